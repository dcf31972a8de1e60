// The 3D view's PET and MR presets in an offscreen window (Xvfb, Mesa llvmpipe): a PET MIP is
// not an empty view - the hot lesion shows where it projects, dark on white in inverted grey
// and bright in hot iron - and the MR preset shows the head phantom's MR, not a blank frame.
#include <gtest/gtest.h>
#include <vtkRenderWindow.h>
#include <vtkRenderer.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "gui_fixtures.h"
#include "twinplan/phantom/phantom.h"
#include "twinplan/rendering/volume_view.h"

namespace twinplan::rendering {
namespace {

constexpr int kSide_px = 240;
const Vec3 kLesion_lps(20.0, 0.0, 10.0);

// A PET-like volume: a body cylinder (radius 60 mm, along S) at SUV 1 with a lesion of radius
// 12 mm at SUV 8, air SUV 0 around.
ImageVolume petLike() {
  const ImageGeometry g = ui::fixtures::centredGrid({80, 80, 60}, Vec3(2.0, 2.0, 2.0));
  ImageVolume pet = ui::fixtures::syntheticVolume(g, PixelType::Float32, "PET", "PT", "SUVbw");
  auto voxels = pet.voxels<float>();
  for (std::int64_t k = 0; k < g.size[2]; ++k)
    for (std::int64_t j = 0; j < g.size[1]; ++j)
      for (std::int64_t i = 0; i < g.size[0]; ++i) {
        const Vec3 p = g.indexToLps(Vec3(i, j, k));
        float suv = std::hypot(p[0], p[1]) <= 60.0 ? 1.0f : 0.0f;
        if ((p - kLesion_lps).norm() <= 12.0) suv = 8.0f;
        voxels[g.linearIndex(i, j, k)] = suv;
      }
  return pet;
}

struct Frame {
  vtkSmartPointer<vtkRenderWindow> window;  // kept: projections need the window's size
  std::vector<RgbColour> pixels;            // bottom-up rows, as OpenGL reads them
  RgbColour at(int x, int y) const { return pixels[static_cast<std::size_t>(y) * kSide_px + x]; }
};

Frame render(VolumeView& view) {
  auto window = vtkSmartPointer<vtkRenderWindow>::New();
  window->SetOffScreenRendering(1);
  window->SetSize(kSide_px, kSide_px);
  view.addTo(window);
  view.resetCamera();
  window->Render();
  std::unique_ptr<unsigned char[]> data(
      window->GetPixelData(0, 0, kSide_px - 1, kSide_px - 1, 0, 0));
  Frame frame;
  frame.window = window;
  if (const char* dump = std::getenv("TWINPLAN_DUMP_FRAMES")) {
    static int count = 0;
    FILE* out =
        std::fopen((std::string(dump) + "/frame" + std::to_string(count++) + ".ppm").c_str(), "wb");
    std::fprintf(out, "P6 %d %d 255\n", kSide_px, kSide_px);
    for (int y = kSide_px - 1; y >= 0; --y)
      std::fwrite(data.get() + y * kSide_px * 3, 1, kSide_px * 3, out);
    std::fclose(out);
  }
  frame.pixels.resize(static_cast<std::size_t>(kSide_px) * kSide_px);
  std::memcpy(frame.pixels.data(), data.get(), frame.pixels.size() * 3);
  return frame;
}

std::pair<int, int> project(VolumeView& view, const Vec3& p) {
  vtkRenderer* renderer = view.renderer();
  renderer->SetWorldPoint(p[0], p[1], p[2], 1.0);
  renderer->WorldToDisplay();
  const double* d = renderer->GetDisplayPoint();
  return {static_cast<int>(d[0]), static_cast<int>(d[1])};
}

int grey(const RgbColour& c) { return (c.r + c.g + c.b) / 3; }

TEST(PetPreset, InvertedGreyMipShowsTheLesionDarkOnWhite) {
  const ImageVolume pet = petLike();
  EXPECT_EQ(defaultPresetFor(pet), VolumePreset::PetMipInvertedGrey);
  VolumeView view;
  view.setVolume(&pet);
  EXPECT_EQ(view.preset(), VolumePreset::PetMipInvertedGrey);
  EXPECT_EQ(view.renderMode(), VolumeRenderMode::Mip);
  const Frame frame = render(view);
  const auto [x, y] = project(view, kLesion_lps);
  // SUV 8 is the top of the window (the 99.9th percentile): black.
  EXPECT_LT(grey(frame.at(x, y)), 60) << x << "," << y;
  // The body's MIP is SUV 1 = 1/8 of the window: inverted grey entry 32 = 223, exactly.
  const auto [bx, by] = project(view, Vec3(-40.0, 0.0, 0.0));
  EXPECT_NEAR(grey(frame.at(bx, by)), 223, 2);
  // The body reads light grey over much of the view: it is not empty.
  int body = 0, white = 0;
  for (const RgbColour& c : frame.pixels) {
    if (grey(c) > 245) ++white;
    if (grey(c) > 150 && grey(c) < 245) ++body;
  }
  EXPECT_GT(body, kSide_px * kSide_px / 10) << "white " << white;
  EXPECT_GT(white, kSide_px * 4);  // the backdrop around the body
}

TEST(PetPreset, HotIronMipShowsTheLesionBright) {
  const ImageVolume pet = petLike();
  VolumeView view;
  view.setVolume(&pet);
  view.setPreset(VolumePreset::PetMipHotIron);
  const Frame frame = render(view);
  const auto [x, y] = project(view, kLesion_lps);
  EXPECT_GT(frame.at(x, y).r, 200);
  EXPECT_GT(frame.at(x, y).g, 200);
  // Composite again after a CT preset.
  view.setPreset(VolumePreset::CtBone);
  EXPECT_EQ(view.renderMode(), VolumeRenderMode::Composite);
}

TEST(MrPreset, HeadPhantomMrIsVisible) {
  phantom::PhantomOptions options;
  options.kind = phantom::PhantomKind::Head;
  options.scale = 0.5;
  options.surfaceModels = false;
  const phantom::Phantom head = phantom::makePhantom(options);
  const ImageVolume* mr = findVolume(head.twin, "MR T1");
  ASSERT_NE(mr, nullptr);
  VolumeView view;
  view.setVolume(mr);
  EXPECT_EQ(view.preset(), VolumePreset::Mr);
  const Frame frame = render(view);
  int lit = 0;
  for (const RgbColour& c : frame.pixels)
    if (grey(c) > 60) ++lit;  // the backdrop is at most 0.11 * 255 = 28
  EXPECT_GT(lit, kSide_px * kSide_px / 10);
  const auto [x, y] = project(view, mr->geometry().indexToLps(Vec3(mr->geometry().size[0] / 2.0,
                                                                   mr->geometry().size[1] / 2.0,
                                                                   mr->geometry().size[2] / 2.0)));
  EXPECT_GT(grey(frame.at(x, y)), 60);
}

}  // namespace
}  // namespace twinplan::rendering
