// Sphere convergence of the exported anatomy models (issue #16 item 9): balls of radius 20 mm
// voxelised at h = 2, 1 and 0.5 mm go through the models' surface path (engine::buildModels
// with anatomyModelOptions(), as `twinplan-cli model` and the GUI build them) and out as .stl
// and .glb; an independent reader (tests/integration/mesh_measure.py: struct + numpy) measures
// the files. Area and volume errors against 4 pi r^2 and 4/3 pi r^3 must fall as h^2.
//
// Each h is sampled at 8 sub-voxel positions of the centre (a Kronecker sequence): a voxelised
// ball's volume error depends on where the ball sits on the grid (lattice-point counting), and
// its mean square over positions falls as h^2 (Kendall, Q J Math 1948;19:1; mean square
// lattice-point discrepancy of a randomly placed convex body in 3D ~ r^2, i.e. h^2 relative).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "test_support.h"
#include "twinplan/engine/models.h"
#include "twinplan/io/mesh_files.h"

namespace twinplan {
namespace {

using nlohmann::json;

constexpr double kRadius_mm = 20.0;
constexpr int kPositions = 8;

// The k-th point of the 3D Kronecker (R3) sequence in [0, 1)^3: well spread for any count.
Vec3 subVoxelPosition(int k) {
  const double g = 1.22074408460575947536;  // the plastic number's 3D analogue: g^4 = g + 1
  const Vec3 step(1.0 / g, 1.0 / (g * g), 1.0 / (g * g * g));
  const Vec3 p = step * static_cast<double>(k + 1);
  return {p[0] - std::floor(p[0]), p[1] - std::floor(p[1]), p[2] - std::floor(p[2])};
}

struct Ball {
  LabelMap labels;
  double voxelVolume_mm3 = 0.0;
};

// A ball of kRadius_mm whose centre lies at `position` (fractions of a voxel) past a grid point,
// on a grid of h mm away from the LPS origin; a voxel is inside when its centre is.
Ball voxelisedBall(double h_mm, const Vec3& position) {
  ImageGeometry g;
  const std::int64_t n = std::llround(2.0 * kRadius_mm / h_mm) + 6;
  g.size = {n, n, n};
  g.spacing_mm = Vec3(h_mm, h_mm, h_mm);
  g.origin_lps = Vec3(-31.0, 12.0, 140.0);
  const Vec3 centre_lps = g.indexToLps(Vec3::Constant(static_cast<double>(n / 2)) + position);
  Ball ball{LabelMap(g), 0.0};
  ball.labels.name = "Spheres";
  const std::size_t index = ball.labels.addSegment({"Ball", "tumour", Rgb{230, 120, 40}});
  auto& layer = ball.labels.layer(0);
  std::size_t inside = 0;
  for (std::int64_t k = 0; k < n; ++k)
    for (std::int64_t j = 0; j < n; ++j)
      for (std::int64_t i = 0; i < n; ++i)
        if ((g.indexToLps(
                 Vec3(static_cast<double>(i), static_cast<double>(j), static_cast<double>(k))) -
             centre_lps)
                .norm() <= kRadius_mm) {
          layer[g.linearIndex(i, j, k)] = ball.labels.segments()[index].value;
          ++inside;
        }
  ball.voxelVolume_mm3 = static_cast<double>(inside) * std::pow(h_mm, 3);
  return ball;
}

// log2 of the error ratio per halving of h, fitted from the coarsest to the finest grid.
double observedOrder(double coarse, double fine, double halvings) {
  return std::log2(coarse / fine) / halvings;
}

TEST(SphereConvergence, ExportedModelsConvergeAsHSquaredInAreaAndVolume) {
  const std::vector<double> spacings_mm{2.0, 1.0, 0.5};
  const double trueVolume_mm3 = 4.0 / 3.0 * M_PI * std::pow(kRadius_mm, 3);
  const double trueArea_mm2 = 4.0 * M_PI * kRadius_mm * kRadius_mm;
  test::TempDir dir("twinplan-sphere");
  std::vector<std::vector<std::string>> files(spacings_mm.size());
  std::vector<std::vector<double>> voxelVolumes(spacings_mm.size());
  std::string arguments;
  for (std::size_t s = 0; s < spacings_mm.size(); ++s)
    for (int k = 0; k < kPositions; ++k) {
      const Ball ball = voxelisedBall(spacings_mm[s], subVoxelPosition(k));
      const std::vector<SurfaceMesh> models =
          engine::buildModels(ball.labels, {}, engine::anatomyModelOptions());
      ASSERT_EQ(models.size(), 1u);
      const std::string stem =
          (dir.path() / ("ball_h" + std::to_string(s) + "_" + std::to_string(k))).string();
      io::writeMeshFile(models, stem + ".stl");
      io::writeMeshFile(models, stem + ".glb");
      files[s].push_back(stem);
      voxelVolumes[s].push_back(ball.voxelVolume_mm3);
      arguments += " '" + stem + ".stl' '" + stem + ".glb'";
    }
  const std::string script =
      (std::filesystem::path(TWINPLAN_SOURCE_DIR) / "tests/integration/mesh_measure.py").string();
  const test::CommandResult read =
      test::runCommand("/usr/bin/python3 '" + script + "'" + arguments);
  ASSERT_EQ(read.status, 0) << read.output;
  const json measured = json::parse(read.output);

  std::vector<double> areaError(spacings_mm.size()), volumeError(spacings_mm.size());
  for (std::size_t s = 0; s < spacings_mm.size(); ++s) {
    double areaSum = 0.0, volumeSquares = 0.0;
    for (int k = 0; k < kPositions; ++k) {
      const json& stl = measured.at(files[s][k] + ".stl");
      const json& glb = measured.at(files[s][k] + ".glb");
      const double volume_mm3 = stl["volume_mm3"].get<double>();
      const double area_mm2 = stl["area_mm2"].get<double>();
      // The .glb (metres, float32, glTF axes) holds the same surface as the .stl.
      EXPECT_NEAR(glb["volume_mm3"].get<double>() / volume_mm3, 1.0, 1e-5) << files[s][k];
      EXPECT_NEAR(glb["area_mm2"].get<double>() / area_mm2, 1.0, 1e-5) << files[s][k];
      // Every model encloses its voxels' volume (anatomyModelOptions keeps it).
      EXPECT_NEAR(volume_mm3 / voxelVolumes[s][k], 1.0, 1e-4) << files[s][k];
      areaSum += area_mm2 / trueArea_mm2 - 1.0;
      volumeSquares += std::pow(volume_mm3 / trueVolume_mm3 - 1.0, 2);
    }
    areaError[s] = areaSum / kPositions;  // the bias: the staircase left after smoothing
    volumeError[s] = std::sqrt(volumeSquares / kPositions);  // RMS over positions
    std::printf(
        "[   INFO   ] h %.1f mm: area error %+.4f %% (mean of %d), volume error %.4f %% (RMS)\n",
        spacings_mm[s], 100.0 * areaError[s], kPositions, 100.0 * volumeError[s]);
  }
  const double areaOrder = observedOrder(areaError[0], areaError[2], 2.0);
  const double volumeOrder = observedOrder(volumeError[0], volumeError[2], 2.0);
  std::printf(
      "[   INFO   ] observed order h=2 -> 0.5 mm: area %.2f (steps %.2f, %.2f), volume %.2f "
      "(steps %.2f, %.2f)\n",
      areaOrder, observedOrder(areaError[0], areaError[1], 1.0),
      observedOrder(areaError[1], areaError[2], 1.0), volumeOrder,
      observedOrder(volumeError[0], volumeError[1], 1.0),
      observedOrder(volumeError[1], volumeError[2], 1.0));
  for (double e : areaError) ASSERT_GT(e, 0.0);  // the order of a sign change means nothing
  EXPECT_GE(areaOrder, 1.7);
  EXPECT_GE(volumeOrder, 1.7);
  for (std::size_t s = 0; s + 1 < spacings_mm.size(); ++s) {
    EXPECT_GE(observedOrder(areaError[s], areaError[s + 1], 1.0), 1.4) << "h " << spacings_mm[s];
    EXPECT_GE(observedOrder(volumeError[s], volumeError[s + 1], 1.0), 1.4)
        << "h " << spacings_mm[s];
  }
  // And small in absolute terms at 0.5 mm.
  EXPECT_LT(areaError[2], 0.001);
  EXPECT_LT(volumeError[2], 0.0005);
}

}  // namespace
}  // namespace twinplan
