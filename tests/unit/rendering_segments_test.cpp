// Segments in a 2D view (rendering::SliceView): every visible segment of every layer of every
// label map filled and outlined, a tool's preview hatched, a brush stroke's slice copies drawn
// in place of the layer they edit, and threshold paint's in-range highlight of the shown slice
// (issue #16 item 4). Expected colours come from the segments' analytic shapes and the CT's
// known values, pixel by pixel, through the documented blend (fill 0.35, outline opaque).
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <functional>

#include "twinplan/core/label_layer_edit.h"
#include "twinplan/rendering/slice_view.h"

namespace twinplan::rendering {
namespace {

constexpr double kFill = 0.35;  // SliceView's default fill opacity

// 40 x 30 x 10 voxels of 1 x 1 x 2 mm: CT 100 HU for i < 20, 500 HU beyond, pixel padding
// (-3024) in the columns i < 3.
ImageGeometry grid() {
  ImageGeometry g;
  g.size = {40, 30, 10};
  g.spacing_mm = Vec3(1, 1, 2);
  return g;
}

ImageVolume ct() {
  ImageVolume volume(grid(), PixelType::Int16);
  volume.name = "CT";
  volume.paddingRange = std::make_pair(-3024.0, -3024.0);
  auto hu = volume.voxels<std::int16_t>();
  const ImageGeometry g = grid();
  for (std::int64_t k = 0; k < g.size[2]; ++k)
    for (std::int64_t j = 0; j < g.size[1]; ++j)
      for (std::int64_t i = 0; i < g.size[0]; ++i)
        hu[g.linearIndex(i, j, k)] = static_cast<std::int16_t>(i < 3 ? -3024 : i < 20 ? 100 : 500);
  return volume;
}

using Box = std::array<std::int64_t, 4>;  // i0, i1, j0, j1 (half-open), every slice
bool inBox(const Box& b, const Index3& ijk) {
  return ijk[0] >= b[0] && ijk[0] < b[1] && ijk[1] >= b[2] && ijk[1] < b[3];
}

void fill(LabelMap& labels, int layer, std::uint16_t value, const Box& box) {
  const ImageGeometry& g = labels.geometry();
  auto& voxels = labels.layer(layer);
  for (std::int64_t k = 0; k < g.size[2]; ++k)
    for (std::int64_t j = box[2]; j < box[3]; ++j)
      for (std::int64_t i = box[0]; i < box[1]; ++i) voxels[g.linearIndex(i, j, k)] = value;
}

// Liver (red) in layer 0 and Tumour (green) overlapping it in layer 1 of one label map; a
// Vessel (blue) crossing both in a second label map.
const Box kLiver{5, 25, 5, 25}, kTumour{10, 16, 10, 16}, kVessel{12, 35, 12, 15};
const Rgb kRed{220, 40, 40}, kGreen{40, 200, 60}, kBlue{30, 60, 230}, kYellow{255, 255, 0};

LabelMap liverAndTumour() {
  LabelMap labels(grid());
  labels.name = "Abdomen";
  labels.addSegment({"Liver", "liver", kRed});
  Segment tumour{"Tumour", "tumour", kGreen};
  tumour.layer = 1;
  labels.addSegment(tumour);
  fill(labels, 0, 1, kLiver);
  fill(labels, 1, 1, kTumour);
  return labels;
}

LabelMap vessel() {
  LabelMap labels(grid());
  labels.name = "Vessels";
  labels.addSegment({"Vessel", "vessel", kBlue});
  fill(labels, 0, 1, kVessel);
  return labels;
}

struct Colour {
  double r, g, b;
};
Colour blend(Colour under, const Rgb& over, double alpha) {
  auto mix = [&](double a, double b) { return std::floor(a * (1 - alpha) + b * alpha + 0.5); };
  return {mix(under.r, over.r), mix(under.g, over.g), mix(under.b, over.b)};
}

// An axial view through slice k = 4, and the voxel each of its pixels shows (nearest centre).
class SegmentsInView : public ::testing::Test {
 protected:
  void SetUp() override {
    view_.setVolume(&ct_);
    view_.setCrosshair(grid().indexToLps(Vec3(20, 15, 4)));
  }
  std::optional<Index3> voxelAt(int u, int v) const {
    const SlicePlane& plane = view_.slicePlane();
    if (u < 0 || v < 0 || u >= plane.width || v >= plane.height) return std::nullopt;
    const Vec3 ijk = grid().lpsToIndex(plane.pixelToLps(u, v));
    const Index3 nearest{std::llround(ijk[0]), std::llround(ijk[1]), std::llround(ijk[2])};
    for (int a = 0; a < 3; ++a)
      if (nearest[a] < 0 || nearest[a] >= grid().size[a]) return std::nullopt;
    return nearest;
  }
  // Whether `inside` changes between pixel (u, v) and a 4-neighbour (the outline rule).
  bool edgeOf(const std::function<bool(const std::optional<Index3>&)>& inside, int u, int v) const {
    const bool here = inside(voxelAt(u, v));
    const int du[4] = {1, -1, 0, 0}, dv[4] = {0, 0, 1, -1};
    for (int n = 0; n < 4; ++n) {
      const int uu = u + du[n], vv = v + dv[n];
      const SlicePlane& plane = view_.slicePlane();
      if (uu < 0 || vv < 0 || uu >= plane.width || vv >= plane.height) return true;
      if (inside(voxelAt(uu, vv)) != here) return true;
    }
    return false;
  }
  Colour grey(int u, int v) const {
    const auto ijk = voxelAt(u, v);
    if (!ijk) return {0, 0, 0};
    const double value = ct_.valueAt((*ijk)[0], (*ijk)[1], (*ijk)[2]);
    const double g = screenGrey(value, view_.windowLevel(), ct_);
    return {g, g, g};
  }
  static std::function<bool(const std::optional<Index3>&)> in(const Box& box) {
    return [box](const std::optional<Index3>& ijk) { return ijk && inBox(box, *ijk); };
  }
  // Checks every pixel of the view against `expected(u, v)`; returns how many were checked.
  int expectPixels(const std::function<Colour(int, int)>& expected) const {
    const SlicePlane& plane = view_.slicePlane();
    int checked = 0;
    for (int v = 0; v < plane.height; ++v)
      for (int u = 0; u < plane.width; ++u) {
        const RgbColour shown = view_.displayedColourAt(u, v);
        const Colour want = expected(u, v);
        EXPECT_NEAR(shown.r, want.r, 1.0) << "pixel " << u << "," << v;
        EXPECT_NEAR(shown.g, want.g, 1.0) << "pixel " << u << "," << v;
        EXPECT_NEAR(shown.b, want.b, 1.0) << "pixel " << u << "," << v;
        if (::testing::Test::HasFailure()) return checked;
        ++checked;
      }
    return checked;
  }
  ImageVolume ct_ = ct();
  SliceView view_{SliceOrientation::Axial};
};

TEST_F(SegmentsInView, EveryLayerOfEveryLabelMapIsFilledAndOutlined) {
  const LabelMap abdomen = liverAndTumour(), vessels = vessel();
  view_.setLabelMaps({{&abdomen}, {&vessels}});
  const std::array<std::pair<Box, Rgb>, 3> drawn{
      {{kLiver, kRed}, {kTumour, kGreen}, {kVessel, kBlue}}};  // in drawing order
  const int checked = expectPixels([&](int u, int v) {
    Colour c = grey(u, v);
    for (const auto& [box, colour] : drawn)
      if (in(box)(voxelAt(u, v))) c = blend(c, colour, edgeOf(in(box), u, v) ? 1.0 : kFill);
    return c;
  });
  EXPECT_EQ(checked, view_.slicePlane().width * view_.slicePlane().height);
  EXPECT_GT(checked, 1000);
  EXPECT_EQ(view_.labelMap(), &abdomen);  // the first shown
}

TEST_F(SegmentsInView, APreviewIsHatchedNotFilled) {
  const LabelMap abdomen = liverAndTumour();
  view_.setLabelMaps({{&abdomen, std::size_t{0}}});  // the liver previewed
  int stripes = 0, gaps = 0;
  expectPixels([&](int u, int v) {
    Colour c = grey(u, v);
    if (in(kLiver)(voxelAt(u, v))) {
      if (edgeOf(in(kLiver), u, v)) {
        c = blend(c, kRed, 1.0);
      } else if ((u + view_.slicePlane().height - 1 - v) % 6 < 2) {
        c = blend(c, kRed, 0.85);  // a stripe
        ++stripes;
      } else {
        ++gaps;  // the image shows through, untinted
      }
    }
    if (in(kTumour)(voxelAt(u, v))) c = blend(c, kGreen, edgeOf(in(kTumour), u, v) ? 1.0 : kFill);
    return c;
  });
  EXPECT_GT(stripes, 50);
  EXPECT_GT(gaps, 2 * stripes - 20);  // 2 of every 6 diagonals striped
}

TEST_F(SegmentsInView, AStrokesSliceCopiesAreDrawnInPlaceOfTheirLayer) {
  const LabelMap abdomen = liverAndTumour();
  view_.setLabelMaps({{&abdomen}});
  LabelLayerEdit stroke(abdomen, 0);
  const Box painted{28, 34, 20, 26};  // outside the liver, on the shown slice k = 4
  for (std::int64_t j = painted[2]; j < painted[3]; ++j)
    for (std::int64_t i = painted[0]; i < painted[1]; ++i)
      stroke.writable(grid().linearIndex(i, j, 4)) = 1;
  view_.setLayerEdit(&stroke);
  const Box liverNow = kLiver;
  expectPixels([&](int u, int v) {
    Colour c = grey(u, v);
    const auto inLayer0 = [&](const std::optional<Index3>& ijk) {
      return in(liverNow)(ijk) || in(painted)(ijk);
    };
    if (inLayer0(voxelAt(u, v))) c = blend(c, kRed, edgeOf(inLayer0, u, v) ? 1.0 : kFill);
    if (in(kTumour)(voxelAt(u, v))) c = blend(c, kGreen, edgeOf(in(kTumour), u, v) ? 1.0 : kFill);
    return c;
  });
  EXPECT_EQ(abdomen.voxelCount(0), 20u * 20u * 10u);  // the label map itself is untouched
  EXPECT_EQ(stroke.copiedSlices(), 1u);
}

TEST_F(SegmentsInView, ThresholdHighlightTakesTheShownSlicesVoxelsInRange) {
  const LabelMap abdomen = liverAndTumour();
  view_.setLabelMaps({{&abdomen}});
  // -5000..200 HU: the 100 HU columns 3 <= i < 20; the padding columns i < 3 never; the
  // liver's own voxels left out (they show the liver's colour only).
  view_.setIntensityHighlight(SliceView::IntensityHighlight{
      -5000.0, 200.0, kYellow, std::make_pair(std::size_t{0}, std::size_t{0})});
  const auto highlighted = [](const std::optional<Index3>& ijk) {
    return ijk && (*ijk)[0] >= 3 && (*ijk)[0] < 20 && !inBox(kLiver, *ijk);
  };
  int yellow = 0;
  expectPixels([&](int u, int v) {
    Colour c = grey(u, v);
    if (in(kLiver)(voxelAt(u, v))) c = blend(c, kRed, edgeOf(in(kLiver), u, v) ? 1.0 : kFill);
    if (in(kTumour)(voxelAt(u, v))) c = blend(c, kGreen, edgeOf(in(kTumour), u, v) ? 1.0 : kFill);
    if (highlighted(voxelAt(u, v))) {
      c = blend(c, kYellow, edgeOf(highlighted, u, v) ? 1.0 : kFill);
      ++yellow;
    }
    return c;
  });
  EXPECT_GT(yellow, 100);
  // Off again: the segments alone.
  view_.setIntensityHighlight(std::nullopt);
  expectPixels([&](int u, int v) {
    Colour c = grey(u, v);
    if (in(kLiver)(voxelAt(u, v))) c = blend(c, kRed, edgeOf(in(kLiver), u, v) ? 1.0 : kFill);
    if (in(kTumour)(voxelAt(u, v))) c = blend(c, kGreen, edgeOf(in(kTumour), u, v) ? 1.0 : kFill);
    return c;
  });
}

TEST(SampleInRange, IsTheNearestVoxelsThresholdWithoutPadding) {
  const ImageVolume volume = ct();
  const SlicePlane plane = planeCovering(volume.geometry(), SliceOrientation::Coronal,
                                         grid().indexToLps(Vec3(20, 15, 4)));
  std::vector<std::uint8_t> inRange;
  sampleInRange(volume, plane, 400.0, 600.0, inRange);
  ASSERT_EQ(inRange.size(), static_cast<std::size_t>(plane.width * plane.height));
  int inside = 0;
  for (int v = 0; v < plane.height; ++v)
    for (int u = 0; u < plane.width; ++u) {
      const Vec3 ijk = grid().lpsToIndex(plane.pixelToLps(u, v));
      const bool onGrid = ijk.minCoeff() > -0.5 && ijk[0] < 39.5 && ijk[1] < 29.5 && ijk[2] < 9.5;
      const bool expected = onGrid && std::llround(ijk[0]) >= 20;  // 500 HU columns
      ASSERT_EQ(inRange[static_cast<std::size_t>(v) * plane.width + u], expected) << u << "," << v;
      inside += expected;
    }
  EXPECT_GT(inside, 50);
}

}  // namespace
}  // namespace twinplan::rendering
