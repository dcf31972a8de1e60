// The paint brush's voxels against lattice-point counts (Gauss's circle problem: N(r) points of
// Z^2 within r of the origin; N(10) = 317, N(5) = 81, OEIS A000328), on isotropic, anisotropic
// and oblique grids, strokes with no gaps, and painting that respects locks and masking.
#include <gtest/gtest.h>

#include <Eigen/Geometry>
#include <cmath>
#include <numbers>
#include <set>

#include "twinplan/core/case_editor.h"
#include "twinplan/core/error.h"
#include "twinplan/core/segment_edits.h"
#include "twinplan/segmentation/brush.h"

namespace twinplan::segmentation {
namespace {

ImageGeometry grid(Vec3 spacing_mm, Index3 size = {64, 64, 16}) {
  ImageGeometry g;
  g.size = size;
  g.spacing_mm = spacing_mm;
  g.origin_lps = Vec3(-32, -32, -8).cwiseProduct(spacing_mm);  // voxel (32,32,8) at 0,0,0
  return g;
}

Brush disk(double radius_mm, double thickness_mm, Vec3 normal = Vec3::UnitZ()) {
  Brush brush;
  brush.radius_mm = radius_mm;
  brush.sliceThickness_mm = thickness_mm;
  brush.sliceNormal_lps = normal;
  return brush;
}

std::set<std::int64_t> slicesOf(const ImageGeometry& g, const std::vector<std::size_t>& voxels) {
  std::set<std::int64_t> k;
  for (std::size_t v : voxels) k.insert(static_cast<std::int64_t>(v) / (g.size[0] * g.size[1]));
  return k;
}

TEST(Brush, DiskOfTenMillimetresOnAOneMillimetreGridHoldsTheGaussCircleCount) {
  const ImageGeometry g = grid(Vec3(1, 1, 1));
  const auto voxels = brushVoxels(g, Vec3::Zero(), Vec3::Zero(), disk(10.0, 1.0));
  EXPECT_EQ(voxels.size(), 317u);  // N(10)
  EXPECT_EQ(slicesOf(g, voxels), std::set<std::int64_t>{8});
  EXPECT_TRUE(std::is_sorted(voxels.begin(), voxels.end()));
}

TEST(Brush, DiskTakesOneSliceOfThickSlices) {
  // 1 x 1 x 2.5 mm: the view's slice step is 2.5 mm; the disk is one slice whatever the step.
  const ImageGeometry g = grid(Vec3(1, 1, 2.5));
  const auto voxels = brushVoxels(g, Vec3(0, 0, 0.4), Vec3(0, 0, 0.4), disk(10.0, 2.5));
  EXPECT_EQ(voxels.size(), 317u);
  EXPECT_EQ(slicesOf(g, voxels), std::set<std::int64_t>{8});
}

TEST(Brush, PlaneHalfwayBetweenTwoSlicesTakesOneOfThem) {
  const ImageGeometry g = grid(Vec3(1, 1, 1));
  const auto voxels = brushVoxels(g, Vec3(0, 0, 0.5), Vec3(0, 0, 0.5), disk(10.0, 1.0));
  EXPECT_EQ(voxels.size(), 317u);
  EXPECT_EQ(slicesOf(g, voxels).size(), 1u);
}

TEST(Brush, DiskOnAnAnisotropicInPlaneGridCountsTheEllipseLatticePoints) {
  // 0.5 x 2 mm pixels: points (0.5 i, 2 j) within 6 mm, counted row by row here.
  const ImageGeometry g = grid(Vec3(0.5, 2.0, 3.0));
  std::size_t expected = 0;
  for (int j = -3; j <= 3; ++j) {
    const double halfChord_mm = std::sqrt(36.0 - 4.0 * j * j);
    expected += 2 * static_cast<std::size_t>(std::floor(halfChord_mm / 0.5)) + 1;
  }
  const auto voxels = brushVoxels(g, Vec3::Zero(), Vec3::Zero(), disk(6.0, 3.0));
  EXPECT_EQ(voxels.size(), expected);  // 2*12+1 + 2*(2*11+1) + 2*(2*8+1) + 2*1 = 107
  EXPECT_EQ(expected, 107u);
}

TEST(Brush, SphereOnAThickSliceGridCountsItsLatticePointsAndApproachesTheBallVolume) {
  const ImageGeometry g = grid(Vec3(0.7, 0.7, 3.0));
  Brush sphere;
  sphere.sphere = true;
  sphere.radius_mm = 5.0;
  const auto voxels = brushVoxels(g, Vec3::Zero(), Vec3::Zero(), sphere);
  // Slice k (z = 3k mm) cuts a disk of radius sqrt(25 - 9k^2) mm: its 0.7 mm lattice points.
  std::size_t expected = 0;
  for (int k = -1; k <= 1; ++k) {
    const double r_px = std::sqrt(25.0 - 9.0 * k * k) / 0.7;
    for (int j = -8; j <= 8; ++j)
      for (int i = -8; i <= 8; ++i) expected += i * i + j * j <= r_px * r_px;
  }
  EXPECT_EQ(expected, 363u);
  EXPECT_EQ(voxels.size(), expected);
  EXPECT_EQ(slicesOf(g, voxels), (std::set<std::int64_t>{7, 8, 9}));
  const double volume_mm3 = static_cast<double>(voxels.size()) * 0.7 * 0.7 * 3.0;
  EXPECT_NEAR(volume_mm3, 4.0 / 3.0 * std::numbers::pi * 125.0, 0.025 * 523.6);
}

TEST(Brush, StrokeIsTheCapsuleBetweenMousePointsWithNoGaps) {
  // Rectangle 21 x 11 points plus two half disks of N(5) = 81: (81 - 11) / 2 = 35 each.
  const ImageGeometry g = grid(Vec3(1, 1, 1));
  const std::vector<Vec3> fastMove{Vec3(-10, 0, 0), Vec3(10, 0, 0)};
  const auto voxels = strokeVoxels(g, fastMove, disk(5.0, 1.0));
  EXPECT_EQ(voxels.size(), 21u * 11u + 2u * 35u);
  // The same path in many small moves covers exactly the same voxels.
  std::vector<Vec3> slowMove;
  for (int n = 0; n <= 40; ++n) slowMove.emplace_back(-10.0 + 0.5 * n, 0, 0);
  EXPECT_EQ(strokeVoxels(g, slowMove, disk(5.0, 1.0)), voxels);
}

TEST(Brush, StrokeStaysInTheFirstPointsPlane) {
  // A mouse point that reads another slice (the view scrolled) is projected onto the stroke's.
  const ImageGeometry g = grid(Vec3(1, 1, 1));
  const std::vector<Vec3> points{Vec3(0, 0, 0), Vec3(0, 0, 3)};
  const auto voxels = strokeVoxels(g, points, disk(10.0, 1.0));
  EXPECT_EQ(voxels.size(), 317u);
  EXPECT_EQ(slicesOf(g, voxels), std::set<std::int64_t>{8});
}

TEST(Brush, DiskOnAnObliqueGridViewedAlongItsSlicesKeepsTheCount) {
  // The grid turned 30 degrees about L and 20 about S; the view's normal is the grid's k axis.
  ImageGeometry g = grid(Vec3(1, 1, 2));
  const Mat3 turn = (Eigen::AngleAxisd(20.0 * std::numbers::pi / 180.0, Vec3::UnitZ()) *
                     Eigen::AngleAxisd(30.0 * std::numbers::pi / 180.0, Vec3::UnitX()))
                        .toRotationMatrix();
  g.direction = turn;
  g.origin_lps = turn * Vec3(-32, -32, -16);
  const Vec3 centre = g.indexToLps(Vec3(32, 32, 8));
  const auto voxels = brushVoxels(g, centre, centre, disk(10.0, 2.0, turn.col(2)));
  EXPECT_EQ(voxels.size(), 317u);
  EXPECT_EQ(slicesOf(g, voxels), std::set<std::int64_t>{8});
  // A sphere does not care about the plane: N3(5) = 515 points of Z^3 within 5 (OEIS A000605),
  // here on a 1 mm grid turned the same way.
  ImageGeometry iso = grid(Vec3(1, 1, 1));
  iso.direction = turn;
  iso.origin_lps = turn * Vec3(-32, -32, -8);
  Brush sphere;
  sphere.sphere = true;
  sphere.radius_mm = 5.0;
  const Vec3 isoCentre = iso.indexToLps(Vec3(32, 32, 8));
  EXPECT_EQ(brushVoxels(iso, isoCentre, isoCentre, sphere).size(), 515u);
}

TEST(Brush, VoxelsOutsideTheGridAreLeftOut) {
  const ImageGeometry g = grid(Vec3(1, 1, 1));
  // Centred on the corner voxel (0,0,8): a quarter of the disk with its two half-axes. N(10) =
  // 1 + 4 * 10 axis points + 4 * 69 points off the axes, so the quarter holds 69 + 10 + 10 + 1.
  const Vec3 corner = g.indexToLps(Vec3(0, 0, 8));
  const auto voxels = brushVoxels(g, corner, corner, disk(10.0, 1.0));
  EXPECT_EQ(voxels.size(), 69u + 10u + 10u + 1u);
}

TEST(Brush, RefusesABrushWithoutSize) {
  const ImageGeometry g = grid(Vec3(1, 1, 1));
  EXPECT_THROW(brushVoxels(g, Vec3::Zero(), Vec3::Zero(), disk(0.0, 1.0)), Error);
  EXPECT_THROW(brushVoxels(g, Vec3::Zero(), Vec3::Zero(), disk(5.0, 0.0)), Error);
  EXPECT_THROW(brushVoxels(g, Vec3::Zero(), Vec3::Zero(), disk(5.0, 1.0, Vec3::Zero())), Error);
}

// Liver (value 1) and a locked Vessel (value 2) side by side in layer 0.
LabelMap liverAndLockedVessel(const ImageGeometry& g) {
  LabelMap labels(g);
  labels.name = "Segmentation";
  labels.addSegment({"Liver", "liver", Rgb{200, 100, 80}});
  Segment vessel{"Vessel", "blood", Rgb{200, 0, 0}};
  vessel.value = 2;
  vessel.locked = true;
  labels.addSegment(vessel);
  auto& layer = labels.layer(0);
  const std::int64_t k = std::min<std::int64_t>(8, g.size[2] - 1);
  for (std::int64_t j = 0; j < g.size[1]; ++j)
    for (std::int64_t i = g.size[0] / 2; i < g.size[0]; ++i) layer[g.linearIndex(i, j, k)] = 2;
  return labels;
}

TEST(Brush, PaintLeavesLockedVoxelsAndEraseOnlyTakesTheSegmentsOwn) {
  const ImageGeometry g = grid(Vec3(1, 1, 1));
  LabelMap labels = liverAndLockedVessel(g);
  const auto dab = brushVoxels(g, Vec3::Zero(), Vec3::Zero(), disk(10.0, 1.0));
  const BinaryMask editable = editableVoxels(labels, 0, {}, nullptr);
  // Columns i >= 32 (x >= 0) belong to the locked vessel; the half disk x < 0 holds
  // (317 - 21) / 2 = 148 points (N(10) less the 21 on the y axis, halved).
  EXPECT_EQ(paintVoxels(labels, 0, dab, BrushAction::Paint, editable), 317u - 169u);
  EXPECT_EQ(labels.voxelCount(0), 148u);
  EXPECT_EQ(labels.voxelCount(1), 64u * 32u);  // the vessel untouched
  // Erasing the liver with a brush that also covers the vessel takes the liver only.
  EXPECT_EQ(paintVoxels(labels, 0, dab, BrushAction::Erase, editable), 148u);
  EXPECT_EQ(labels.voxelCount(0), 0u);
  EXPECT_EQ(labels.voxelCount(1), 64u * 32u);
}

TEST(Brush, ThresholdPaintOnlyTakesVoxelsInTheIntensityRange) {
  const ImageGeometry g = grid(Vec3(1, 1, 1));
  LabelMap labels(g);
  labels.addSegment({"Bone", "bone", Rgb{240, 240, 200}});
  ImageVolume ct(g, PixelType::Int16);
  ct.name = "CT";
  auto hu = ct.voxels<std::int16_t>();
  for (std::int64_t k = 0; k < g.size[2]; ++k)
    for (std::int64_t j = 0; j < g.size[1]; ++j)
      for (std::int64_t i = 0; i < g.size[0]; ++i)
        hu[g.linearIndex(i, j, k)] = static_cast<std::int16_t>(j < 32 ? 700 : 40);  // y < 0: bone
  EditableArea bone;
  bone.intensity = EditableArea::IntensityRange{"CT", 300.0, 3000.0};
  const BinaryMask editable = editableVoxels(labels, 0, bone, &ct);
  const auto dab = brushVoxels(g, Vec3::Zero(), Vec3::Zero(), disk(10.0, 1.0));
  // y < 0 of the disk: (317 - 21) / 2 = 148 points.
  EXPECT_EQ(paintVoxels(labels, 0, dab, BrushAction::Paint, editable), 148u);
  for (std::size_t v : dab) {
    EXPECT_EQ(labels.layer(0)[v] != 0, hu[v] == 700) << "voxel " << v;
  }
}

TEST(Brush, EditableRuleAsksTheSameQuestionAsEditableVoxels) {
  // Locked vessel in the target's layer, masking inside a segment of another layer and an
  // intensity range with pixel padding: the rule answers editableVoxels' mask voxel by voxel.
  const ImageGeometry g = grid(Vec3(1, 1, 1), {32, 24, 6});
  LabelMap labels = liverAndLockedVessel(grid(Vec3(1, 1, 1), {32, 24, 6}));
  Segment region{"Region", "", Rgb{0, 0, 200}};
  region.layer = 1;
  const std::size_t inside = labels.addSegment(region);
  ASSERT_EQ(labels.segments()[inside].layer, 1);
  ImageVolume ct(g, PixelType::Int16);
  ct.name = "CT";
  ct.paddingRange = std::make_pair(-3024.0, -3024.0);
  auto hu = ct.voxels<std::int16_t>();
  for (std::size_t v = 0; v < hu.size(); ++v) {
    hu[v] = static_cast<std::int16_t>(v % 7 == 0 ? -3024 : static_cast<int>(v % 300) - 100);
    if (v % 3 == 0) labels.layer(1)[v] = labels.segments()[inside].value;
  }
  EditableArea area;
  area.insideSegment = inside;
  area.intensity = EditableArea::IntensityRange{"CT", -3024.0, 100.0};
  const BinaryMask mask = editableVoxels(labels, 0, area, &ct);
  const EditableRule rule(labels, 0, area, &ct);
  std::size_t allowed = 0;
  for (std::size_t v = 0; v < g.voxelCount(); ++v) {
    ASSERT_EQ(rule.allows(v), mask.voxels[v] != 0) << "voxel " << v;
    allowed += rule.allows(v);
  }
  EXPECT_GT(allowed, 0u);
  EXPECT_LT(allowed, g.voxelCount() / 3);
  // The same refusals: a locked target, an absent masking segment, a range upside down.
  EXPECT_THROW(EditableRule(labels, 1, {}, nullptr), Error);
  EditableArea absent;
  absent.insideSegment = 9;
  EXPECT_THROW(EditableRule(labels, 0, absent, nullptr), Error);
  EditableArea upsideDown;
  upsideDown.intensity = EditableArea::IntensityRange{"CT", 10.0, -10.0};
  EXPECT_THROW(EditableRule(labels, 0, upsideDown, &ct), Error);
  EXPECT_THROW(EditableRule(labels, 0, area, nullptr), Error);
}

TEST(Brush, StrokeEditStoresOnlyTheChangedVoxelsAndUndoesThemExactly) {
  const ImageGeometry g = grid(Vec3(1, 1, 1));
  Case twin;
  twin.labelMaps.push_back(liverAndLockedVessel(g));
  CaseEditor editor(twin);
  LabelMap working = editor.twin().labelMaps.front();
  const auto dab = brushVoxels(g, Vec3::Zero(), Vec3::Zero(), disk(10.0, 1.0));
  const EditableRule rule(working, 0, {}, nullptr);
  ASSERT_EQ(paintVoxels(working, 0, dab, BrushAction::Paint, rule), 148u);
  std::vector<std::size_t> touched = dab;
  touched.insert(touched.end(), dab.begin(), dab.end());  // a stroke passes twice
  const auto before = editor.twin().labelMaps.front().layer(0);
  editor.apply(strokeEdit(editor.twin(), 0, 0, working, touched, "Paint Liver"));
  EXPECT_EQ(editor.undoText(), "Paint Liver");
  EXPECT_EQ(editor.twin().labelMaps.front().layer(0), working.layer(0));
  EXPECT_EQ(editor.twin().labelMaps.front().voxelCount(0), 148u);
  editor.undo();
  EXPECT_EQ(editor.twin().labelMaps.front().layer(0), before);
  editor.redo();
  EXPECT_EQ(editor.twin().labelMaps.front().layer(0), working.layer(0));
  EXPECT_THROW(strokeEdit(editor.twin(), 1, 0, working, {}, "x"), Error);
  EXPECT_THROW(strokeEdit(editor.twin(), 0, 3, working, {}, "x"), Error);
  EXPECT_THROW(strokeEdit(editor.twin(), 0, 0, working, {g.voxelCount()}, "x"), Error);
}

TEST(Brush, AStrokeCopiesOnlyTheSlicesItPaintsAndUndoesExactly) {
  // A sagittal disk (normal along x) of 5 mm on the 1 mm grid crosses slices k = 3..13 at
  // (0, 0, 0): the stroke's working copy holds those 11 slices of 16, the case none changed.
  const ImageGeometry g = grid(Vec3(1, 1, 1));
  Case twin;
  twin.labelMaps.push_back(liverAndLockedVessel(g));
  CaseEditor editor(twin);
  const LabelMap& caseLabels = editor.twin().labelMaps.front();
  const auto before = caseLabels.layer(0);
  const auto dab =
      brushVoxels(g, Vec3(-0.5, 0, 0), Vec3(-0.5, 4, 0), disk(5.0, 1.0, Vec3::UnitX()));
  const EditableRule rule(caseLabels, 0, {}, nullptr);
  LabelLayerEdit stroke(caseLabels, 0);
  EXPECT_EQ(stroke.copiedSlices(), 0u);
  const std::size_t changed = paintVoxels(stroke, 0, dab, BrushAction::Paint, rule);
  EXPECT_EQ(stroke.copiedSlices(), slicesOf(g, dab).size());
  EXPECT_EQ(slicesOf(g, dab), (std::set<std::int64_t>{3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13}));
  EXPECT_EQ(caseLabels.layer(0), before);  // the case is untouched while the stroke is drawn
  // The same stroke painted into a whole copy of the label map gives the same voxels.
  LabelMap whole = caseLabels;
  EXPECT_EQ(paintVoxels(whole, 0, dab, BrushAction::Paint, rule), changed);
  for (std::size_t v = 0; v < g.voxelCount(); ++v) ASSERT_EQ(stroke[v], whole.layer(0)[v]) << v;
  EXPECT_GT(changed, 0u);
  auto edit = strokeEdit(editor.twin(), 0, stroke, dab, "Paint Liver");
  stroke = LabelLayerEdit();  // the case's layer is no longer shared
  editor.apply(std::move(edit));
  EXPECT_EQ(editor.twin().labelMaps.front().layer(0), whole.layer(0));
  editor.undo();
  EXPECT_EQ(editor.twin().labelMaps.front().layer(0), before);
  // A segment of another layer cannot be painted into this layer's copies.
  LabelMap twoLayers = liverAndLockedVessel(g);
  Segment tumour{"Tumour", "tumour", Rgb{0, 200, 0}};
  tumour.layer = 1;
  twoLayers.addSegment(tumour);
  LabelLayerEdit layer0(twoLayers, 0);
  const EditableRule tumourRule(twoLayers, 2, {}, nullptr);
  EXPECT_THROW(paintVoxels(layer0, 2, dab, BrushAction::Paint, tumourRule), Error);
  EXPECT_THROW(LabelLayerEdit(twoLayers, 5), Error);
}

TEST(Brush, AStrokeAfterAddingOrRenamingASegmentWritesTheLayerInPlace) {
  // Adding or renaming a segment changes the segment table alone, so the undo history holds no
  // second reference to the layer and the stroke's edit writes into it without copying it.
  const ImageGeometry g = grid(Vec3(1, 1, 1));
  Case twin;
  twin.labelMaps.push_back(liverAndLockedVessel(g));
  CaseEditor editor(std::move(twin));
  editor.apply(edits::addSegment(editor.twin(), 0, Segment{"Spleen", "spleen", Rgb{1, 2, 3}}));
  Segment renamed = editor.twin().labelMaps[0].segments()[2];
  renamed.name = "Spleen (reviewed)";
  editor.apply(edits::setSegmentProperties(editor.twin(), 0, 2, renamed));
  const std::uint16_t* voxels = editor.twin().labelMaps[0].layer(0).data();
  const auto dab = brushVoxels(g, Vec3::Zero(), Vec3::Zero(), disk(10.0, 1.0));
  std::unique_ptr<CaseEdit> edit;
  {
    const EditableRule rule(editor.twin().labelMaps[0], 2, {}, nullptr);
    LabelLayerEdit stroke(editor.twin().labelMaps[0], 0);
    ASSERT_EQ(paintVoxels(stroke, 2, dab, BrushAction::Paint, rule), 148u);  // not the vessel
    edit = strokeEdit(editor.twin(), 0, stroke, dab, "Paint Spleen");
  }
  editor.apply(std::move(edit));
  EXPECT_EQ(editor.twin().labelMaps[0].voxelCount(2), 148u);
  EXPECT_EQ(editor.twin().labelMaps[0].layer(0).data(), voxels);  // in place: no copy
  editor.undo();
  editor.undo();
  editor.undo();
  EXPECT_EQ(editor.twin().labelMaps[0].segments().size(), 2u);
  EXPECT_EQ(editor.twin().labelMaps[0].voxelCount(0), 0u);
}

TEST(Brush, PaintRefusesVoxelsOffTheGrid) {
  const ImageGeometry g = grid(Vec3(1, 1, 1));
  LabelMap labels = liverAndLockedVessel(g);
  const BinaryMask editable = editableVoxels(labels, 0, {}, nullptr);
  const std::vector<std::size_t> bad{g.voxelCount()};
  EXPECT_THROW(paintVoxels(labels, 0, bad, BrushAction::Paint, editable), Error);
  EXPECT_THROW(paintVoxels(labels, 7, {}, BrushAction::Paint, editable), Error);
}

}  // namespace
}  // namespace twinplan::segmentation
