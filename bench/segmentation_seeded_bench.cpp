// Interactive segmentation tools and automatic presets (docs/benchmarks.md, "Segmentation
// tools and presets"): each tool's preview on a 512x512x300 CT-like volume (goal: < 200 ms for
// the 2D tools, < 2 s for 3D region growing) and its full 3D run, and each preset's full run on
// the full-size phantoms. Wall-clock medians of `repeats` runs; prints one JSON object.
#include <itkConfidenceConnectedImageFilter.h>
#include <itkConnectedThresholdImageFilter.h>
#include <sys/resource.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>

#include "twinplan/core/itk_view.h"
#include "twinplan/core/parallel.h"
#include "twinplan/phantom/phantom.h"
#include "twinplan/segmentation/presets.h"
#include "twinplan/segmentation/seeded.h"

using namespace twinplan;
using namespace twinplan::segmentation;

namespace {

// CPU seconds of the whole process (all threads): on a shared, loaded machine the wall time
// depends on the other users, the CPU time much less.
double processCpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& t) { return double(t.tv_sec) + 1e-6 * double(t.tv_usec); };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

struct Timing {
  double wall_s = 0.0, cpu_s = 0.0;  // medians over the repeats
};

Timing medianTiming(int repeats, const std::function<void()>& run) {
  std::vector<double> walls, cpus;
  for (int r = 0; r < repeats; ++r) {
    const auto start = std::chrono::steady_clock::now();
    const double cpuStart = processCpuSeconds();
    run();
    cpus.push_back(processCpuSeconds() - cpuStart);
    walls.push_back(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  std::sort(walls.begin(), walls.end());
  std::sort(cpus.begin(), cpus.end());
  return {walls[walls.size() / 2], cpus[cpus.size() / 2]};
}

double medianSeconds(int repeats, const std::function<void()>& run) {
  return medianTiming(repeats, run).wall_s;
}

// A 512x512x300 CT at 0.8x0.8x1 mm: air (-1000 HU) outside an elliptic body (semi-axes 180
// and 130 mm) whose voxels are tissueAt(p_lps) HU, plus noise of SD 10 HU (a fixed hash, no
// RNG state).
template <class TissueAt>
ImageVolume bigVolume(TissueAt&& tissueAt) {
  ImageGeometry g;
  g.size = {512, 512, 300};
  g.spacing_mm = Vec3(0.8, 0.8, 1.0);
  g.origin_lps = -0.5 * g.spacing_mm.cwiseProduct(Vec3(511, 511, 299));
  ImageVolume ct(g, PixelType::Int16);
  ct.dicom.modality = "CT";
  ct.unit = "HU";
  auto voxels = ct.voxels<std::int16_t>();
  parallel::parallelFor({0, std::size_t(g.size[2])}, 1, [&](parallel::IndexRange slices) {
    for (std::size_t k = slices.begin; k < slices.end; ++k)
      for (std::int64_t j = 0; j < g.size[1]; ++j)
        for (std::int64_t i = 0; i < g.size[0]; ++i) {
          const Vec3 p = g.indexToLps(Vec3(double(i), double(j), double(k)));
          const bool body = std::pow(p.x() / 180, 2) + std::pow(p.y() / 130, 2) <= 1.0;
          std::uint64_t h =
              (std::uint64_t(i) * 73856093u) ^ (std::uint64_t(j) * 19349663u) ^ (k * 83492791u);
          h = (h ^ (h >> 13)) * 0x9E3779B97F4A7C15ull;
          const double noise = (double(h >> 40) / double(1ull << 24) - 0.5) * 34.6;  // SD 10
          const double hu = body ? tissueAt(p) : -1000.0;
          voxels[g.linearIndex(i, j, std::int64_t(k))] = std::int16_t(std::lround(hu + noise));
        }
  });
  return ct;
}

bool inEllipsoid(const Vec3& p, const Vec3& centre, const Vec3& radii) {
  return (p - centre).cwiseQuotient(radii).squaredNorm() <= 1.0;
}

// The tools' CT: body 40 HU, an organ (100 HU) with a vessel tube (170 HU).
ImageVolume bigCt() {
  return bigVolume([](const Vec3& p) {
    const bool organ = inEllipsoid(p, Vec3(-40, 0, 0), Vec3(80, 70, 100));
    const bool vessel = std::hypot(p.x() + 40, p.y()) <= 6.0;
    return vessel && organ ? 170.0 : organ ? 100.0 : 40.0;
  });
}

// A chest for the lungs preset: body 40 HU, two lungs (-850 HU ellipsoids, right 60 x 75 x 120
// mm, left 55 x 70 x 115 mm semi-axes, 30 mm apart), joined in front by a 20 mm thick bridge of
// lung (the anterior junction) when `joined`.
ImageVolume bigChest(bool joined) {
  return bigVolume([joined](const Vec3& p) {
    const bool lung = inEllipsoid(p, Vec3(-75, 0, 0), Vec3(60, 75, 120)) ||
                      inEllipsoid(p, Vec3(70, 0, 0), Vec3(55, 70, 115)) ||
                      (joined && inEllipsoid(p, Vec3(0, 55, 10), Vec3(40, 10, 50)));
    return lung ? -850.0 : 40.0;
  });
}

// The peers of the region-growing tools, which now run ITK's rules on our own flood fill: ITK's
// own filters on the same voxels (a float copy of the box, as the tools make), timed with it.
using FloatImage = itk::Image<float, 3>;
using MaskImage = itk::Image<std::uint8_t, 3>;

FloatImage::Pointer floatCopy(const ImageVolume& ct, const VoxelBox& box) {
  auto image = newItkImage<float>(boxGeometry(ct.geometry(), box));
  const auto voxels = ct.voxels<std::int16_t>();
  float* out = image->GetBufferPointer();
  for (std::int64_t k = box.begin[2]; k < box.end[2]; ++k)
    for (std::int64_t j = box.begin[1]; j < box.end[1]; ++j)
      for (std::int64_t i = box.begin[0]; i < box.end[0]; ++i)
        *out++ = voxels[ct.geometry().linearIndex(i, j, k)];
  return image;
}

itk::Index<3> seedIndex(const ImageVolume& ct, const VoxelBox& box, const Vec3& seed_lps) {
  const Vec3 ijk = ct.geometry().lpsToIndex(seed_lps);
  itk::Index<3> index;
  for (unsigned a = 0; a < 3; ++a) index[a] = std::llround(ijk[a]) - box.begin[a];
  return index;
}

void itkConnectedThreshold(const ImageVolume& ct, const VoxelBox& box, const Vec3& seed,
                           HuRange range) {
  auto grow = itk::ConnectedThresholdImageFilter<FloatImage, MaskImage>::New();
  grow->SetInput(floatCopy(ct, box));
  grow->SetLower(float(range.low_HU));
  grow->SetUpper(float(range.high_HU));
  grow->AddSeed(seedIndex(ct, box, seed));
  grow->Update();
}

void itkConfidenceConnected(const ImageVolume& ct, const VoxelBox& box, const Vec3& seed) {
  auto grow = itk::ConfidenceConnectedImageFilter<FloatImage, MaskImage>::New();
  grow->SetInput(floatCopy(ct, box));
  grow->SetMultiplier(2.5);
  grow->SetNumberOfIterations(5);
  grow->SetInitialNeighborhoodRadius(2);
  grow->AddSeed(seedIndex(ct, box, seed));
  grow->Update();
}

}  // namespace

int main(int argc, char** argv) {
  const int repeats = argc > 1 ? std::max(1, std::atoi(argv[1])) : 3;
  // An optional second argument keeps only the tools whose name contains it (and skips the
  // presets), for profiling one tool: `... 3 watershed`.
  const std::string only = argc > 2 ? argv[2] : "";
  nlohmann::json out;
  out["threads"] = parallel::maxThreads();
  std::array<double, 3> load{};
  if (getloadavg(load.data(), 3) == 3) out["load average 1/5/15 min"] = load;
  const ImageVolume ct = bigCt();
  const std::vector<Vec3> seed{Vec3(-70, 20, 0)};  // in the organ, beside the vessel
  const HuRange organ{70, 130};
  const ImageGeometry& g = ct.geometry();
  const VoxelBox slice = sliceBox(g, 150);
  const VoxelBox box = boxAround(g, seed[0], 40.0);  // an 80 mm cube around the seed
  nlohmann::json tools;
  auto time = [&](const std::string& name, const std::function<void()>& run, int n) {
    if (name.find(only) == std::string::npos) return;
    const Timing t = medianTiming(n, run);
    tools[name] = t.wall_s;
    tools[name + " cpu_s"] = t.cpu_s;
    std::cerr << name << " " << t.wall_s << " s (CPU " << t.cpu_s << " s)\n";
  };
  time(
      "threshold slice preview", [&] { threshold(ct, organ, slice); }, repeats);
  time(
      "threshold full", [&] { threshold(ct, organ); }, repeats);
  time(
      "region growing slice preview", [&] { connectedThreshold(ct, seed, organ, slice); }, repeats);
  time(
      "region growing 80 mm box preview", [&] { connectedThreshold(ct, seed, organ, box); },
      repeats);
  time(
      "region growing full", [&] { connectedThreshold(ct, seed, organ); }, repeats);
  time(
      "confidence connected 80 mm box preview", [&] { confidenceConnected(ct, seed, {}, box); },
      repeats);
  time(
      "confidence connected full", [&] { confidenceConnected(ct, seed); }, 1);
  // Peers in the same run: ITK's filters (what the tools ran before), the old watershed slice
  // preview (a 3D flooding of the four-slice box the recursive Gaussian needs) and the geodesic
  // active contour at full resolution in the box (what its preview did before).
  time(
      "peer ITK connected threshold 80 mm box",
      [&] { itkConnectedThreshold(ct, box, seed[0], organ); }, repeats);
  time(
      "peer ITK connected threshold full",
      [&] { itkConnectedThreshold(ct, wholeGrid(g), seed[0], organ); }, 1);
  time(
      "peer ITK confidence connected 80 mm box", [&] { itkConfidenceConnected(ct, box, seed[0]); },
      repeats);
  FastMarchingOptions marching;
  marching.arrivalTime = 30.0;
  time(
      "fast marching slice preview", [&] { fastMarching(ct, seed, marching, slice); }, repeats);
  time(
      "fast marching 80 mm box preview", [&] { fastMarching(ct, seed, marching, box); }, repeats);
  time(
      "geodesic active contour 80 mm box preview",
      [&] { geodesicActiveContour(ct, seed, {}, box); }, repeats);
  GeodesicOptions fullResolution;
  fullResolution.previewVoxels = 0;
  time(
      "peer old geodesic active contour 80 mm box (full resolution)",
      [&] { geodesicActiveContour(ct, seed, fullResolution, box); }, 1);
  const std::vector<std::vector<Vec3>> markers{{Vec3(-40, 0, 0)}, seed};  // vessel vs organ
  time(
      "watershed slice preview", [&] { watershed(ct, markers, 1.0, slice); }, repeats);
  const VoxelBox fourSlices{{0, 0, 148}, {g.size[0], g.size[1], 152}};
  time(
      "peer old watershed slice preview (3D on 4 slices)",
      [&] { watershed(ct, markers, 1.0, fourSlices); }, repeats);
  time(
      "watershed 80 mm box preview", [&] { watershed(ct, markers, 1.0, box); }, repeats);
  // The lungs preset on a chest of this size: two separate lungs, and the same lungs joined at
  // an anterior junction (the distance map, erosion steps and geodesic cut of lung_sides.cpp).
  for (const bool joined : {false, true}) {
    const std::string name = std::string("lungs preset chest ") + (joined ? "joined" : "separate");
    if (name.find(only) == std::string::npos) continue;
    const ImageVolume chest = bigChest(joined);
    time(
        name, [&] { runPreset(chest, PresetName::Lungs, {}); }, 1);
  }
  out["tools 512x512x300"] = tools;
  if (!only.empty()) {
    std::cout << out.dump(2) << '\n';
    return 0;
  }

  nlohmann::json presets;
  phantom::PhantomOptions options;
  options.surfaceModels = false;
  const phantom::Phantom abdomen = phantom::makePhantom(options);
  const ImageVolume& abdomenCt = *findVolume(abdomen.twin, "CT");
  for (PresetName preset : {PresetName::BodyOutline, PresetName::Bone, PresetName::Lungs,
                            PresetName::Vessels, PresetName::Liver}) {
    const std::vector<Vec3> liverSeed{Vec3(-60, 30, 80)};
    presets["abdomen 256x256x100 " + presetInfo(preset).name] =
        medianSeconds(1, [&] { runPreset(abdomenCt, preset, liverSeed); });
  }
  options.kind = phantom::PhantomKind::Head;
  const phantom::Phantom head = phantom::makePhantom(options);
  presets["head 224x224x96 brain"] = medianSeconds(
      1, [&] { runPreset(*findVolume(head.twin, "MR T1"), PresetName::BrainMask, {}); });
  presets["big CT 512x512x300 body"] =
      medianSeconds(1, [&] { runPreset(ct, PresetName::BodyOutline, {}); });
  out["presets"] = presets;
  std::cout << out.dump(2) << '\n';
  return 0;
}
