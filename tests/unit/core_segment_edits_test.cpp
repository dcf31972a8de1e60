// The segment table's edits (core/segment_edits.h): each change is one undo step that restores
// the exact table and voxels (issue #16 item 3).
#include <gtest/gtest.h>

#include <algorithm>

#include "twinplan/core/case_editor.h"
#include "twinplan/core/error.h"
#include "twinplan/core/segment_edits.h"

namespace twinplan {
namespace {

// A 4x4x4 grid at 2 mm: "Liver" is the slab k = 0..1 (32 voxels), "Tumour" the voxel (1,1,1)
// inside it, in layer 1 (overlapping segments live in separate layers).
Case liverAndTumour() {
  ImageGeometry grid;
  grid.size = {4, 4, 4};
  grid.spacing_mm = Vec3(2, 2, 2);
  LabelMap labels(grid);
  labels.name = "Segmentation";
  Segment liver;
  liver.name = "Liver";
  liver.tissueType = "liver";
  liver.colour = {200, 100, 80};
  liver.value = 1;
  labels.addSegment(liver);
  Segment tumour;
  tumour.name = "Tumour";
  tumour.tissueType = "tumour";
  tumour.layer = 1;
  tumour.value = 1;
  labels.addSegment(tumour);
  for (int k = 0; k < 2; ++k)
    for (int j = 0; j < 4; ++j)
      for (int i = 0; i < 4; ++i) labels.layer(0)[grid.linearIndex(i, j, k)] = 1;
  labels.layer(1)[grid.linearIndex(1, 1, 1)] = 1;
  Case twin;
  twin.labelMaps.push_back(labels);
  return twin;
}

const Segment& segmentOf(const CaseEditor& editor, std::size_t index) {
  return editor.twin().labelMaps[0].segments()[index];
}

TEST(SegmentEdits, PropertiesChangeAndUndo) {
  CaseEditor editor(liverAndTumour());
  Segment edited = segmentOf(editor, 0);
  edited.name = "Liver (reviewed)";
  edited.colour = {10, 20, 30};
  edited.locked = true;
  edited.layer = 5;   // not a property: ignored
  edited.value = 99;  // idem
  edited.terminology.category = {"123037004", "SCT", "Anatomical Structure"};
  edited.terminology.type = {"10200004", "SCT", "Liver"};
  editor.apply(edits::setSegmentProperties(editor.twin(), 0, 0, edited));
  const Segment& now = segmentOf(editor, 0);
  EXPECT_EQ(now.name, "Liver (reviewed)");
  EXPECT_EQ(now.colour, (Rgb{10, 20, 30}));
  EXPECT_TRUE(now.locked);
  EXPECT_EQ(now.terminology.type.value, "10200004");
  EXPECT_EQ(now.layer, 0);
  EXPECT_EQ(now.value, 1);
  EXPECT_EQ(editor.twin().labelMaps[0].voxelCount(0), 32u);
  EXPECT_EQ(editor.undoText(), "Rename Liver to Liver (reviewed)");
  editor.undo();
  EXPECT_EQ(segmentOf(editor, 0), liverAndTumour().labelMaps[0].segments()[0]);
}

TEST(SegmentEdits, ARenamedSegmentKeepsItsModel) {
  Case twin = liverAndTumour();
  SurfaceMesh model;
  model.name = model.segmentName = "Liver";
  SurfaceMesh other;
  other.name = "Probe";
  twin.meshes = {model, other};
  CaseEditor editor(twin);
  Segment renamed = segmentOf(editor, 0);
  renamed.name = "Liver (reviewed)";
  editor.apply(edits::setSegmentProperties(editor.twin(), 0, 0, renamed));
  EXPECT_EQ(editor.twin().meshes[0].segmentName, "Liver (reviewed)");
  EXPECT_EQ(editor.twin().meshes[0].name, "Liver (reviewed)");
  EXPECT_EQ(editor.twin().meshes[1].name, "Probe");
  editor.undo();
  EXPECT_EQ(editor.twin().meshes[0].segmentName, "Liver");
  EXPECT_EQ(segmentOf(editor, 0).name, "Liver");
  // A colour change leaves the models alone.
  Segment recoloured = segmentOf(editor, 0);
  recoloured.colour = {1, 2, 3};
  editor.apply(edits::setSegmentProperties(editor.twin(), 0, 0, recoloured));
  EXPECT_EQ(editor.twin().meshes[0].segmentName, "Liver");
}

TEST(SegmentEdits, NamesMustBeUniqueAndNotEmpty) {
  const Case twin = liverAndTumour();
  Segment renamed = twin.labelMaps[0].segments()[0];
  renamed.name = "Tumour";
  EXPECT_THROW(edits::setSegmentProperties(twin, 0, 0, renamed), Error);
  renamed.name = "";
  EXPECT_THROW(edits::setSegmentProperties(twin, 0, 0, renamed), Error);
  renamed.name = "Liver";  // its own name is fine
  EXPECT_NO_THROW(edits::setSegmentProperties(twin, 0, 0, renamed));
  EXPECT_THROW(edits::setSegmentProperties(twin, 0, 2, renamed), Error);
  EXPECT_THROW(edits::setSegmentProperties(twin, 1, 0, renamed), Error);
  EXPECT_EQ(edits::unusedSegmentName(twin.labelMaps[0], "Liver"), "Liver 2");
  EXPECT_EQ(edits::unusedSegmentName(twin.labelMaps[0], "Spleen"), "Spleen");
}

TEST(SegmentEdits, AddAnEmptySegmentWithAFreeValue) {
  CaseEditor editor(liverAndTumour());
  Segment spleen;
  spleen.name = "Spleen";
  spleen.layer = 3;
  editor.apply(edits::addSegment(editor.twin(), 0, spleen));
  ASSERT_EQ(editor.twin().labelMaps[0].segments().size(), 3u);
  const Segment& added = segmentOf(editor, 2);
  EXPECT_EQ(added.layer, 0);
  EXPECT_EQ(added.value, 2);  // 1 is the liver's
  EXPECT_EQ(editor.twin().labelMaps[0].voxelCount(2), 0u);
  EXPECT_EQ(editor.twin().labelMaps[0].layerCount(), 2);
  editor.undo();
  EXPECT_EQ(editor.twin().labelMaps[0].segments().size(), 2u);
  EXPECT_THROW(edits::addSegment(editor.twin(), 0, segmentOf(editor, 0)), Error);  // taken name
  EXPECT_THROW(edits::addSegment(editor.twin(), 4, spleen), Error);
}

TEST(SegmentEdits, RemoveClearsTheVoxelsAndUndoBringsThemBack) {
  CaseEditor editor(liverAndTumour());
  editor.apply(edits::removeSegment(editor.twin(), 0, 0));
  const LabelMap& labels = editor.twin().labelMaps[0];
  ASSERT_EQ(labels.segments().size(), 1u);
  EXPECT_EQ(labels.segments()[0].name, "Tumour");
  EXPECT_EQ(std::count(labels.layer(0).begin(), labels.layer(0).end(), 0), 64);
  EXPECT_EQ(labels.voxelCount(0), 1u);  // the tumour's layer is untouched
  editor.undo();
  EXPECT_EQ(editor.twin().labelMaps[0].voxelCount(0), 32u);
  EXPECT_EQ(segmentOf(editor, 0).name, "Liver");
}

TEST(SegmentEdits, RemovingASegmentRemovesItsModelUndoably) {
  Case twin = liverAndTumour();
  SurfaceMesh liverModel;
  liverModel.name = liverModel.segmentName = "Liver";
  liverModel.points_lps = {{0, 0, 0}, {1, 0, 0}, {0, 1, 0}};
  liverModel.triangles = {{0, 1, 2}};
  SurfaceMesh probe;
  probe.name = "Probe";
  twin.meshes = {liverModel, probe};
  CaseEditor editor(twin);
  editor.apply(edits::removeSegment(editor.twin(), 0, 0));
  ASSERT_EQ(editor.twin().meshes.size(), 1u);
  EXPECT_EQ(editor.twin().meshes[0].name, "Probe");
  EXPECT_EQ(editor.undoText(), "Delete segment Liver");
  editor.undo();
  ASSERT_EQ(editor.twin().meshes.size(), 2u);
  EXPECT_EQ(editor.twin().meshes[0].segmentName, "Liver");
  EXPECT_EQ(editor.twin().meshes[0].points_lps.size(), 3u);
  EXPECT_EQ(editor.twin().labelMaps[0].voxelCount(0), 32u);
  editor.redo();
  EXPECT_EQ(editor.twin().meshes.size(), 1u);
  // A segment of the same name in another label map keeps the model (models link by name).
  Case two = twin;
  two.labelMaps.push_back(two.labelMaps[0]);
  CaseEditor both(two);
  both.apply(edits::removeSegment(both.twin(), 0, 0));
  EXPECT_EQ(both.twin().meshes.size(), 2u);
}

TEST(SegmentEdits, ALockedSegmentCannotBeRemoved) {
  Case twin = liverAndTumour();
  twin.labelMaps[0].segments()[1].locked = true;
  try {
    edits::removeSegment(twin, 0, 1);
    FAIL() << "removed a locked segment";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("locked"), std::string::npos);
  }
}

TEST(SegmentEdits, DuplicateGoesToALayerWhereItsVoxelsAreFree) {
  CaseEditor editor(liverAndTumour());
  // The liver's 32 voxels are taken in layer 0 (by itself) and at (1,1,1) in layer 1: a new
  // layer 2.
  editor.apply(edits::duplicateSegment(editor.twin(), 0, 0));
  const LabelMap& labels = editor.twin().labelMaps[0];
  ASSERT_EQ(labels.segments().size(), 3u);
  EXPECT_EQ(labels.segments()[2].name, "Liver copy");
  EXPECT_EQ(labels.segments()[2].layer, 2);
  EXPECT_EQ(labels.voxelCount(2), 32u);
  EXPECT_EQ(labels.voxelCount(0), 32u);
  EXPECT_EQ(editor.undoText(), "Duplicate Liver");
  // The tumour's voxel is taken in layers 0 (liver), 1 (itself) and 2 (the liver's copy).
  editor.apply(edits::duplicateSegment(editor.twin(), 0, 1));
  EXPECT_EQ(segmentOf(editor, 3).layer, 3);
  // Without the liver's copy, layer 2 is not needed: the tumour's copy makes it.
  editor.undo();
  editor.undo();
  EXPECT_EQ(editor.twin().labelMaps[0].layerCount(), 2);
  editor.apply(edits::duplicateSegment(editor.twin(), 0, 1));
  EXPECT_EQ(segmentOf(editor, 2).name, "Tumour copy");
  EXPECT_EQ(segmentOf(editor, 2).layer, 2);
  EXPECT_TRUE(editor.twin().labelMaps[0].contains(2, 1, 1, 1));
  EXPECT_EQ(editor.twin().labelMaps[0].voxelCount(2), 1u);
}

}  // namespace
}  // namespace twinplan
