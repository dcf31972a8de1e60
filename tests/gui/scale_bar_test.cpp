// The 2D view's scale bar, measured in the rendered image (Xvfb, Mesa llvmpipe): the distance
// between the bar's end ticks in pixels, times the image's millimetres per pixel, must be the
// length its label says. Millimetres per pixel are measured in the same image, from a block of
// known width (100 mm) in the volume, not taken from the view's camera or formula.
#include <gtest/gtest.h>
#include <vtkActor2DCollection.h>
#include <vtkRenderWindow.h>
#include <vtkRenderer.h>
#include <vtkSmartPointer.h>
#include <vtkTextActor.h>
#include <vtkUnsignedCharArray.h>

#include <cmath>
#include <cstdlib>
#include <string>
#include <vector>

#include "twinplan/rendering/slice_view.h"

namespace twinplan::rendering {
namespace {

constexpr double kSpacing_mm = 0.8;
constexpr int kWidth_px = 600, kHeight_px = 400;

// 250 x 250 x 3 voxels of 0.8 mm in air (-1000), with a bright block (1000) of columns 63..187:
// edges at 62.5 and 187.5 voxels, 125 x 0.8 = 100 mm apart, centred in the view. Rows 70..110
// (56..88 mm): above the crosshair (row 124) and away from the bar at the bottom.
ImageVolume blockPhantom() {
  ImageGeometry g;
  g.size = {250, 250, 3};
  g.spacing_mm = Vec3(kSpacing_mm, kSpacing_mm, 2.0);
  ImageVolume v(g, PixelType::Int16);
  v.name = "block";
  v.unit = "HU";
  auto voxels = v.voxels<std::int16_t>();
  for (std::int64_t k = 0; k < g.size[2]; ++k)
    for (std::int64_t j = 0; j < g.size[1]; ++j)
      for (std::int64_t i = 0; i < g.size[0]; ++i) {
        const bool block = i >= 63 && i <= 187 && j >= 70 && j <= 110;
        voxels[g.linearIndex(i, j, k)] = block ? 1000 : -1000;
      }
  return v;
}
constexpr double kBlockWidth_mm = 125 * kSpacing_mm;

struct Frame {
  std::vector<unsigned char> rgb;  // bottom row first, as OpenGL reads
  int green(int x, int y) const {
    return rgb[3 * (static_cast<std::size_t>(y) * kWidth_px + x) + 1];
  }
};

// The label's length, read from the text actor the view shows ("50 mm", "5 mm", "2.5 mm").
double labelledLength_mm(vtkRenderer& renderer) {
  vtkActor2DCollection* actors = renderer.GetActors2D();
  actors->InitTraversal();
  while (vtkActor2D* actor = actors->GetNextActor2D()) {
    auto* text = vtkTextActor::SafeDownCast(actor);
    if (!text || !text->GetVisibility() || !text->GetInput()) continue;
    const std::string label = text->GetInput();
    if (label.size() > 3 && label.ends_with(" mm")) return std::strtod(label.c_str(), nullptr);
  }
  ADD_FAILURE() << "no visible scale bar label";
  return 0.0;
}

// Where a row's grey level crosses half way (127.5), walking out from x = start until it falls
// below; interpolated between the two pixels around the crossing.
double halfwayCrossing(const Frame& f, int y, int start, int step) {
  for (int x = start; x + step >= 0 && x + step < kWidth_px; x += step) {
    const double a = f.green(x, y), b = f.green(x + step, y);
    if (a >= 127.5 && b < 127.5) return x + step * (a - 127.5) / (a - b);
  }
  ADD_FAILURE() << "no edge in row " << y;
  return 0.0;
}

// Millimetres per screen pixel from the block's two edges, in the row where the block is widest.
double measuredMmPerPixel(const Frame& f) {
  int bestRow = -1, bestCount = 0;
  for (int y = kHeight_px / 2; y < kHeight_px; ++y) {  // the block is in the upper half
    int count = 0;
    for (int x = 0; x < kWidth_px; ++x) count += f.green(x, y) > 200;
    if (count > bestCount) bestCount = count, bestRow = y;
  }
  EXPECT_GT(bestCount, 50) << "the block is not in the image";
  const int centre = kWidth_px / 2;
  const double left = halfwayCrossing(f, bestRow, centre, -1);
  const double right = halfwayCrossing(f, bestRow, centre, +1);
  return kBlockWidth_mm / (right - left);
}

// The bar's end ticks: the two bright runs in a row just above the bar's line, right of the
// crosshair (the bar is in the right fifth of the view).
double measuredBarLength_px(const Frame& f, int& tickRow) {
  for (int y = 29; y <= 31; ++y) {
    std::vector<double> centres;
    int runStart = -1;
    for (int x = kWidth_px * 3 / 5; x <= kWidth_px; ++x) {  // right of the crosshair
      const bool bright = x < kWidth_px && f.green(x, y) > 100;
      if (bright && runStart < 0) runStart = x;
      if (!bright && runStart >= 0) {
        centres.push_back((runStart + x - 1) / 2.0);
        runStart = -1;
      }
    }
    if (centres.size() == 2) {
      tickRow = y;
      return centres[1] - centres[0];
    }
  }
  ADD_FAILURE() << "the scale bar's two end ticks were not found";
  return 0.0;
}

class ScaleBar : public ::testing::TestWithParam<double> {};

TEST_P(ScaleBar, DrawnLengthMatchesItsLabelWithinAPixel) {
  const ImageVolume volume = blockPhantom();
  SliceView view(SliceOrientation::Axial);
  view.setVolume(&volume);
  view.setWindowLevel({2000.0, 0.0});  // -1000 black, +1000 white, halfway at the edge
  auto window = vtkSmartPointer<vtkRenderWindow>::New();
  window->SetOffScreenRendering(1);
  window->SetMultiSamples(0);
  window->SetSize(kWidth_px, kHeight_px);
  window->AddRenderer(view.renderer());
  window->Render();  // sizes the renderer before the camera is fitted to it
  view.resetCamera();
  view.zoom(GetParam());
  view.updateScaleBar();  // what the viewport does before each render
  window->Render();

  auto pixels = vtkSmartPointer<vtkUnsignedCharArray>::New();
  window->GetPixelData(0, 0, kWidth_px - 1, kHeight_px - 1, 0, pixels);
  ASSERT_EQ(pixels->GetNumberOfValues(), static_cast<vtkIdType>(kWidth_px * kHeight_px * 3));
  Frame frame;
  frame.rgb.assign(pixels->GetPointer(0), pixels->GetPointer(0) + pixels->GetNumberOfValues());

  const double label_mm = labelledLength_mm(*view.renderer());
  const double mmPerPixel = measuredMmPerPixel(frame);
  int tickRow = -1;
  const double bar_px = measuredBarLength_px(frame, tickRow);
  std::cout << "[scale bar] zoom " << GetParam() << ": label " << label_mm << " mm, " << mmPerPixel
            << " mm/pixel measured, bar " << bar_px << " px drawn (row " << tickRow << "), "
            << label_mm / mmPerPixel << " px expected\n";
  EXPECT_NEAR(bar_px, label_mm / mmPerPixel, 1.0);
  // A round length (1, 2 or 5 x 10^n) of at most a fifth of the view's width.
  const double decade = std::pow(10.0, std::floor(std::log10(label_mm)));
  const double mantissa = label_mm / decade;
  EXPECT_TRUE(std::abs(mantissa - 1) < 1e-9 || std::abs(mantissa - 2) < 1e-9 ||
              std::abs(mantissa - 5) < 1e-9)
      << label_mm;
  EXPECT_LE(bar_px, kWidth_px / 5.0 + 1.0);
  EXPECT_GT(bar_px, kWidth_px / 5.0 / 2.5 - 1.0) << "the longest round length that fits";
}

// Fitted (about 0.51 mm/pixel: a 50 mm bar), zoomed in (20 mm) and zoomed out (100 mm).
INSTANTIATE_TEST_SUITE_P(Zooms, ScaleBar, ::testing::Values(1.0, 2.0, 0.5));

}  // namespace
}  // namespace twinplan::rendering
