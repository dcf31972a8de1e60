// Segment edits as undoable case edits: the grown segment is the grown mask, undo restores
// the exact voxels, masking (inside a segment, an intensity range) and locks are respected,
// other layers are untouched, splitting adds segments, and bad requests are refused before
// anything changes.
#include <gtest/gtest.h>

#include "test_support.h"
#include "twinplan/core/case_editor.h"
#include "twinplan/core/error.h"
#include "twinplan/segmentation/segment_edit.h"

namespace twinplan::segmentation {
namespace {

ImageGeometry grid() {
  ImageGeometry g;
  g.size = {40, 40, 16};
  g.spacing_mm = Vec3(0.7, 0.7, 2.5);
  g.origin_lps = Vec3(-10, -10, 50);
  return g;
}

void paintBox(LabelMap& labels, std::size_t segment, Index3 lo, Index3 hi) {
  const Segment& s = labels.segments()[segment];
  auto& layer = labels.layer(s.layer);
  for (std::int64_t k = lo[2]; k < hi[2]; ++k)
    for (std::int64_t j = lo[1]; j < hi[1]; ++j)
      for (std::int64_t i = lo[0]; i < hi[0]; ++i)
        layer[labels.geometry().linearIndex(i, j, k)] = s.value;
}

// Liver (layer 0, value 1), Vessel (layer 0, value 2, locked), Tumour (layer 1, overlapping
// the liver); a CT whose left half is 100 HU and right half -50 HU.
Case makeCase() {
  Case twin;
  const ImageGeometry g = grid();
  ImageVolume ct(g, PixelType::Int16);
  ct.name = "CT";
  auto hu = ct.voxels<std::int16_t>();
  for (std::int64_t k = 0; k < g.size[2]; ++k)
    for (std::int64_t j = 0; j < g.size[1]; ++j)
      for (std::int64_t i = 0; i < g.size[0]; ++i)
        hu[g.linearIndex(i, j, k)] = static_cast<std::int16_t>(i < 20 ? 100 : -50);
  twin.volumes.push_back(std::move(ct));
  LabelMap labels(g);
  labels.name = "Segmentation";
  const std::size_t liver = labels.addSegment({"Liver", "liver", Rgb{200, 100, 80}});
  Segment vessel{"Vessel", "blood", Rgb{200, 0, 0}};
  vessel.value = 2;
  vessel.locked = true;
  const std::size_t vesselIndex = labels.addSegment(vessel);
  Segment tumour{"Tumour", "tumour", Rgb{0, 200, 0}};
  tumour.layer = 1;
  const std::size_t tumourIndex = labels.addSegment(tumour);
  paintBox(labels, liver, {10, 10, 5}, {30, 30, 11});
  paintBox(labels, vesselIndex, {31, 10, 5}, {33, 30, 11});  // beside the liver, 1 voxel gap
  paintBox(labels, tumourIndex, {15, 15, 6}, {20, 20, 9});
  twin.labelMaps.push_back(std::move(labels));
  return twin;
}

SegmentOperation growBy(double mm) {
  SegmentOperation op;
  op.tool = SegmentTool::Grow;
  op.margin_mm = mm;
  return op;
}

TEST(SegmentEdit, GrowIsUndoableAndRestoresTheExactVoxels) {
  CaseEditor editor;
  editor.reset(makeCase());
  const LabelMap before = editor.twin().labelMaps[0];
  auto edit = applyToSegment(editor.twin(), 0, 0, growBy(5.0));
  EXPECT_EQ(edit->text(), "Grow Liver by 5 mm");
  editor.apply(std::move(edit));
  const LabelMap& after = editor.twin().labelMaps[0];
  // The liver is the grown mask except where the locked vessel is.
  const BinaryMask grown = grow(extractSegment(before, 0), 5.0);
  const BinaryMask vessel = extractSegment(before, 1);
  std::size_t expected = 0;
  for (std::size_t v = 0; v < grown.voxels.size(); ++v)
    expected += grown.voxels[v] && !vessel.voxels[v];
  EXPECT_EQ(after.voxelCount(0), expected);
  EXPECT_GT(after.voxelCount(0), before.voxelCount(0));
  EXPECT_EQ(after.voxelCount(1), before.voxelCount(1));  // locked: untouched
  EXPECT_EQ(after.layer(1), before.layer(1));            // the tumour's layer: untouched
  editor.undo();
  EXPECT_EQ(editor.twin().labelMaps[0].layer(0), before.layer(0));
  editor.redo();
  EXPECT_EQ(editor.twin().labelMaps[0].voxelCount(0), expected);
}

TEST(SegmentEdit, MaskingKeepsTheEditInsideTheAreaAndTheIntensityRange) {
  const Case twin = makeCase();
  const LabelMap& before = twin.labelMaps[0];
  // Grow only where the CT is between 0 and 200 HU (the left half, i < 20).
  EditableArea area;
  area.intensity = EditableArea::IntensityRange{"CT", 0.0, 200.0};
  const LabelMap after = applyToLabelMap(twin, 0, 0, growBy(4.0), area);
  const ImageGeometry& g = before.geometry();
  std::size_t grownLeft = 0;
  for (std::int64_t k = 0; k < g.size[2]; ++k)
    for (std::int64_t j = 0; j < g.size[1]; ++j)
      for (std::int64_t i = 0; i < g.size[0]; ++i) {
        const bool was = before.contains(0, i, j, k), is = after.contains(0, i, j, k);
        if (i >= 20) {  // outside the range
          ASSERT_EQ(was, is) << i << " " << j << " " << k;
        }
        grownLeft += is && !was;
      }
  EXPECT_GT(grownLeft, 0u);

  // Pixel padding is never editable, even inside the range: mark the left half's 100 HU as
  // padding and the same edit changes nothing.
  Case padded = makeCase();
  padded.volumes[0].paddingRange = std::make_pair(100.0, 100.0);
  const LabelMap unchanged = applyToLabelMap(padded, 0, 0, growBy(4.0), area);
  EXPECT_EQ(unchanged.layer(0), before.layer(0));

  // Inside-segment masking reads the area's own layer (the tumour is in layer 1): shrinking
  // the liver by more than its size, only inside the tumour, removes exactly the tumour's voxels.
  EditableArea insideTumour;
  insideTumour.insideSegment = 2;
  SegmentOperation erase;
  erase.tool = SegmentTool::Shrink;
  erase.margin_mm = 50.0;
  const LabelMap carved = applyToLabelMap(twin, 0, 0, erase, insideTumour);
  EXPECT_EQ(carved.voxelCount(0), before.voxelCount(0) - before.voxelCount(2));
}

TEST(SegmentEdit, LockedSegmentsAreNeverChanged) {
  Case twin = makeCase();
  // Invert the liver: every other voxel of layer 0 would become liver, but the vessel is locked.
  SegmentOperation invert;
  invert.tool = SegmentTool::Logical;
  invert.logical = LogicalOperation::Invert;
  const LabelMap after = applyToLabelMap(twin, 0, 0, invert);
  EXPECT_EQ(after.voxelCount(1), twin.labelMaps[0].voxelCount(1));
  EXPECT_EQ(after.voxelCount(0), grid().voxelCount() - twin.labelMaps[0].voxelCount(0) -
                                     twin.labelMaps[0].voxelCount(1));
  // Editing the locked segment itself is refused.
  EXPECT_THROW(applyToSegment(twin, 0, 1, growBy(2.0)), Error);
}

TEST(SegmentEdit, LogicalSubtractAndSplitIntoNewSegments) {
  Case twin = makeCase();
  SegmentOperation subtract;
  subtract.tool = SegmentTool::Logical;
  subtract.logical = LogicalOperation::Subtract;
  subtract.otherSegment = 2;
  auto edit = applyToSegment(twin, 0, 0, subtract);
  EXPECT_EQ(edit->text(), "Subtract Tumour from Liver");
  edit->apply(twin);
  EXPECT_EQ(twin.labelMaps[0].voxelCount(0), 20u * 20u * 6u - 5u * 5u * 3u);

  // Two separate liver islands: splitting makes "Liver 2" in layer 0 with a free value.
  Case split = makeCase();
  paintBox(split.labelMaps[0], 0, {2, 2, 1}, {5, 5, 3});
  SegmentOperation op;
  op.tool = SegmentTool::SplitIslands;
  auto splitEdit = applyToSegment(split, 0, 0, op);
  splitEdit->apply(split);
  const LabelMap& parts = split.labelMaps[0];
  ASSERT_EQ(parts.segments().size(), 4u);
  EXPECT_EQ(parts.segments()[3].name, "Liver 2");
  EXPECT_EQ(parts.segments()[3].layer, 0);
  EXPECT_EQ(parts.segments()[3].value, 3);
  EXPECT_EQ(parts.voxelCount(0), 20u * 20u * 6u);
  EXPECT_EQ(parts.voxelCount(3), 3u * 3u * 2u);
  splitEdit->revert(split);
  EXPECT_EQ(split.labelMaps[0].segments().size(), 3u);
}

TEST(SegmentEdit, KeepIslandAtASeedPointInPatientSpace) {
  Case twin = makeCase();
  paintBox(twin.labelMaps[0], 0, {2, 2, 1}, {5, 5, 3});
  SegmentOperation op;
  op.tool = SegmentTool::KeepIslandAtSeed;
  op.seed_lps = grid().indexToLps(Vec3(3, 3, 2));
  const LabelMap kept = applyToLabelMap(twin, 0, 0, op);
  EXPECT_EQ(kept.voxelCount(0), 18u);
  op.seed_lps = Vec3(1000, 0, 0);
  EXPECT_THROW(applyToLabelMap(twin, 0, 0, op), Error);
}

TEST(SegmentEdit, BadRequestsAreRefusedWithASentence) {
  const Case twin = makeCase();
  EXPECT_THROW(applyToSegment(twin, 1, 0, growBy(1.0)), Error);  // no label map 1
  EXPECT_THROW(applyToSegment(twin, 0, 9, growBy(1.0)), Error);  // no segment 9
  EXPECT_THROW(applyToSegment(twin, 0, 0, growBy(0.0)), Error);  // no length
  EditableArea area;
  area.intensity = EditableArea::IntensityRange{"MR", 0.0, 1.0};
  try {
    applyToSegment(twin, 0, 0, growBy(1.0), area);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::InvalidInput);
    EXPECT_NE(std::string(e.what()).find("'MR'"), std::string::npos) << e.what();
  }
  EXPECT_THROW(segmentToolFromString("dilate-ish"), Error);
  EXPECT_EQ(segmentToolFromString("fill-holes"), SegmentTool::FillHoles);
}

TEST(SegmentEdit, CancelLeavesTheCaseUnchanged) {
  CaseEditor editor;
  editor.reset(makeCase());
  const LabelMap before = editor.twin().labelMaps[0];
  test::RecordingProgress cancelling(0);
  EXPECT_THROW(applyToSegment(editor.twin(), 0, 0, growBy(3.0), {}, cancelling), Cancelled);
  EXPECT_EQ(editor.twin().labelMaps[0].layer(0), before.layer(0));
  EXPECT_FALSE(editor.canUndo());
}

}  // namespace
}  // namespace twinplan::segmentation
