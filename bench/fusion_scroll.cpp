// twinplan-fusion-bench: the frame rate of scrolling a fused axial view (issue #15 item 8,
// docs/benchmarks-gui.md "Fused scrolling"). A 512x512x300 CT (int16) as the background and a
// PET-like float volume (200x200x150, 1.8x1.8x2 mm) through a rigid transform (a registration
// result: 2 and 1 degrees, a few mm), in an offscreen VTK window of the 1-up view's size, each
// frame read back as the desktop viewport does (it paints the framebuffer as an image). The
// CT alone is scrolled in the same run as the baseline: the figures are its ratios.
//
//   twinplan-fusion-bench [--frames N] [--size W]   (run under Xvfb: bench/gui_bench.sh sets
//   it up; or xvfb-run -a -s "-screen 0 1920x1200x24" build/bench/gui/twinplan-fusion-bench)
#include <vtkRenderWindow.h>
#include <vtkRenderer.h>

#include <Eigen/Geometry>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "synthetic_pet.h"
#include "twinplan/core/parallel.h"
#include "twinplan/rendering/slice_view.h"

namespace {

using namespace twinplan;
using namespace twinplan::rendering;

ImageVolume syntheticCt() {
  ImageGeometry g;
  g.size = {512, 512, 300};
  g.spacing_mm = Vec3(0.7, 0.7, 1.0);
  g.origin_lps = Vec3(-179, -179, -150);
  ImageVolume ct(g, PixelType::Int16);
  ct.unit = "HU";
  auto voxels = ct.voxels<std::int16_t>();
  for (std::int64_t k = 0; k < g.size[2]; ++k)
    for (std::int64_t j = 0; j < g.size[1]; ++j)
      for (std::int64_t i = 0; i < g.size[0]; ++i) {
        const Vec3 p = g.indexToLps(Vec3(i, j, k));
        const double r = std::hypot(p[0] / 1.3, p[1]);
        std::int16_t hu = r < 130 ? 40 : -1000;                          // an elliptic body in air
        if (r < 130 && std::hypot(p[0] - 60, p[1] - 10) < 25) hu = 700;  // a bone
        voxels[g.linearIndex(i, j, k)] = static_cast<std::int16_t>(hu + (i * 7 + j * 13 + k) % 11);
      }
  return ct;
}

struct Result {
  double fps = 0, mean_ms = 0, p95_ms = 0;
  double compose_ms = 0;  // the slice's sampling, fusion and colouring (CPU), mean per frame
};

Result scroll(vtkRenderWindow* window, SliceView& view, int frames, int side) {
  view.setCrosshair(Vec3(0, 0, -60));
  window->Render();
  std::vector<double> times;
  std::unique_ptr<unsigned char[]> pixels;
  double compose_ms = 0.0;
  const auto start = std::chrono::steady_clock::now();
  for (int f = 0; f < frames; ++f) {
    const auto t0 = std::chrono::steady_clock::now();
    view.scrollSlices(1);
    view.displayedColourAt(0, 0);  // composes the slice now, to time it apart from the render
    compose_ms +=
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    window->Render();
    pixels.reset(window->GetPixelData(0, 0, side - 1, side - 1, 0, 0));  // the viewport's read-back
    times.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  const double total_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  Result r;
  r.fps = 1000.0 * frames / total_ms;
  r.mean_ms = total_ms / frames;
  r.compose_ms = compose_ms / frames;
  std::sort(times.begin(), times.end());
  r.p95_ms = times[static_cast<std::size_t>(0.95 * (times.size() - 1))];
  return r;
}

double threadCpuMs() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

// The CPU time of composing one slice on one thread (scroll + sample + fuse + colour, no
// render): independent of other processes' load, unlike the wall-clock frame rate.
double composeCpuMs(SliceView& view, int frames) {
  const parallel::ThreadLimit oneThread(1);
  view.setCrosshair(Vec3(0, 0, -60));
  view.displayedColourAt(0, 0);
  const double start = threadCpuMs();
  for (int f = 0; f < frames; ++f) {
    view.scrollSlices(1);
    view.displayedColourAt(0, 0);
  }
  return (threadCpuMs() - start) / frames;
}

}  // namespace

int main(int argc, char** argv) {
  int frames = 120, side = 900;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--frames") == 0) frames = std::atoi(argv[i + 1]);
    if (std::strcmp(argv[i], "--size") == 0) side = std::atoi(argv[i + 1]);
  }
  std::printf("building CT 512x512x300 and PET 200x200x150 ...\n");
  const ImageVolume ct = syntheticCt();
  const ImageVolume pet = bench::syntheticPet(200, 150, 130.0 * 1.3, 130.0, Vec3(-40, 20, 0));
  auto window = vtkSmartPointer<vtkRenderWindow>::New();
  window->SetOffScreenRendering(1);
  window->SetSize(side, side);
  SliceView view(SliceOrientation::Axial);
  window->AddRenderer(view.renderer());
  view.setVolume(&ct);
  view.resetCamera();
  window->Render();
  const std::string capabilities = window->ReportCapabilities();
  const auto renderer = capabilities.find("OpenGL renderer string:");
  if (renderer != std::string::npos)
    std::printf(
        "%s\n",
        capabilities.substr(renderer, capabilities.find('\n', renderer) - renderer).c_str());

  FusionLayer layer;
  layer.volume = &pet;
  const Mat3 rotation = (Eigen::AngleAxisd(2.0 * M_PI / 180.0, Vec3::UnitZ()) *
                         Eigen::AngleAxisd(1.0 * M_PI / 180.0, Vec3::UnitX()))
                            .toRotationMatrix();
  layer.backgroundToLayer = SpatialTransform::rigid(rotation, Vec3(3.0, -2.0, 5.0));
  layer.window = {5.0, 2.5};
  layer.opacity = 0.5;

  // A deformable registration: the same rigid part after a B-spline on a 40 mm control grid
  // over the field of view, with pseudo-random displacements up to 4 mm.
  FusionLayer deformable = layer;
  deformable.backgroundToLayer.kind = SpatialTransform::Kind::BSpline;
  BSplineDisplacement& field = deformable.backgroundToLayer.bspline;
  field.grid.size = {12, 12, 11};
  field.grid.spacing_mm = Vec3(40, 40, 40);
  field.grid.origin_lps = Vec3(-220, -220, -200);
  std::uint32_t state = 7;
  auto random_mm = [&state] {
    state = state * 1664525u + 1013904223u;
    return (state >> 8) / double(1u << 24) * 8.0 - 4.0;
  };
  for (int n = 0; n < 12 * 12 * 11; ++n)
    field.coefficients.emplace_back(random_mm(), random_mm(), random_mm());

  struct Case {
    const char* name;
    std::function<void()> setUp;
  };
  const std::vector<Case> cases = {
      {"CT alone (baseline)", [&] { view.clearForeground(); }},
      {"CT + PET, rigid, blend (hot iron 50%)",
       [&] {
         view.setForeground(layer);
         view.setFusionMode(FusionMode::Blend);
       }},
      {"CT + PET, rigid, checkerboard 20 mm",
       [&] { view.setFusionMode(FusionMode::Checkerboard, 20.0); }},
      {"CT + PET, B-spline, blend",
       [&] {
         view.setForeground(deformable);
         view.setFusionMode(FusionMode::Blend);
       }},
      {"CT + PET, rigid, blend, MIP slab 10 mm",
       [&] {
         view.setForeground(layer);
         view.setSlab(SlabMode::Mip, 10.0);
       }},
  };
  double baseline = 0.0;
  std::printf("axial view %dx%d px, %d frames each (scrollSlices(1) + render + read-back)\n", side,
              side, frames);
  for (const Case& c : cases) {
    c.setUp();
    const double cpu_ms = composeCpuMs(view, frames);
    const Result r = scroll(window, view, frames, side);
    if (baseline == 0.0) baseline = r.fps;
    std::printf(
        "  %-42s %6.1f fps  mean %5.1f ms  p95 %5.1f ms  compose %5.1f ms (1 thread CPU %5.1f "
        "ms)  (%.2f x baseline)\n",
        c.name, r.fps, r.mean_ms, r.p95_ms, r.compose_ms, cpu_ms, r.fps / baseline);
  }
  return 0;
}
