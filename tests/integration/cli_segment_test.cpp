// `twinplan-cli segment` end to end with the real binary: a case file with a sphere on an
// anisotropic oblique grid is grown, hollowed and cleaned of islands; the written case holds
// the analytic answers, the input stays as it was, and bad requests exit with a sentence.
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "test_support.h"
#include "twinplan/core/case_file.h"

namespace twinplan {
namespace {

using nlohmann::json;

constexpr double kRadius_mm = 10.0;

ImageGeometry obliqueGrid() {
  ImageGeometry g;
  g.size = {64, 64, 24};
  g.spacing_mm = Vec3(0.7, 0.7, 2.5);
  const double a = 12.0 * M_PI / 180.0;
  g.direction << 1, 0, 0, 0, std::cos(a), -std::sin(a), 0, std::sin(a), std::cos(a);
  g.origin_lps = Vec3(-22.0, -30.0, 40.0);
  return g;
}

Vec3 centre(const ImageGeometry& g) { return g.indexToLps(Vec3(31.6, 32.2, 11.7)); }

// Voxel centres within radius_mm of the centre.
std::size_t ballCount(const ImageGeometry& g, double radius_mm) {
  std::size_t n = 0;
  for (std::int64_t k = 0; k < g.size[2]; ++k)
    for (std::int64_t j = 0; j < g.size[1]; ++j)
      for (std::int64_t i = 0; i < g.size[0]; ++i)
        n += (g.indexToLps(
                  Vec3(static_cast<double>(i), static_cast<double>(j), static_cast<double>(k))) -
              centre(g))
                 .norm() <= radius_mm;
  return n;
}

// A tumour sphere and a lone voxel of the same segment; a locked "Vessel" beside it.
std::filesystem::path writeCase(const test::TempDir& dir) {
  const ImageGeometry g = obliqueGrid();
  Case twin;
  twin.name = "Segment CLI test";
  ImageVolume ct(g, PixelType::Int16);
  ct.name = "CT";
  twin.volumes.push_back(ct);
  LabelMap labels(g);
  labels.name = "Segmentation";
  const std::size_t tumour = labels.addSegment({"Tumour", "tumour", Rgb{0, 200, 0}});
  auto& layer = labels.layer(0);
  for (std::int64_t k = 0; k < g.size[2]; ++k)
    for (std::int64_t j = 0; j < g.size[1]; ++j)
      for (std::int64_t i = 0; i < g.size[0]; ++i)
        if ((g.indexToLps(
                 Vec3(static_cast<double>(i), static_cast<double>(j), static_cast<double>(k))) -
             centre(g))
                .norm() <= kRadius_mm)
          layer[g.linearIndex(i, j, k)] = labels.segments()[tumour].value;
  layer[g.linearIndex(2, 2, 2)] = 1;  // a speck of the tumour far away
  twin.labelMaps.push_back(labels);
  const auto path = dir / "in.twinplan";
  saveCase(twin, path);
  return path;
}

struct CliRun {
  int status;
  json result;
  std::string text;
};

CliRun segment(const std::string& args, bool asJson = true) {
  const auto r = test::runCommand(test::cliPath().string() + (asJson ? " --json" : "") +
                                  " segment " + args + " 2>&1");
  CliRun run{r.status, json(), r.output};
  if (asJson) run.result = json::parse(r.output, nullptr, false);
  return run;
}

TEST(CliSegment, GrowWritesTheGrownSphereAndLeavesTheInputAlone) {
  test::TempDir dir;
  const auto in = writeCase(dir);
  const auto out = dir / "grown.twinplan";
  const CliRun run =
      segment(in.string() + " --op grow --segment Tumour --mm 5 --out " + out.string());
  ASSERT_EQ(run.status, 0) << run.text;
  EXPECT_EQ(run.result["operation"], "Grow Tumour by 5 mm");
  const Case grown = loadCase(out);
  const ImageGeometry g = obliqueGrid();
  // Lattice dilation: between the voxelised balls of r + m - d and r + m (d: voxel diagonal),
  // plus the speck grown by 5 mm (at most the voxels of a 5 mm ball).
  const std::size_t count = grown.labelMaps[0].voxelCount(0);
  EXPECT_GE(count, ballCount(g, kRadius_mm + 5.0 - g.spacing_mm.norm()));
  EXPECT_LE(count, ballCount(g, kRadius_mm + 5.0) + 200);
  EXPECT_NEAR(run.result["volumeAfter_ml"].get<double>(),
              static_cast<double>(count) * 0.7 * 0.7 * 2.5 / 1000.0, 1e-9);
  EXPECT_EQ(loadCase(in).labelMaps[0].voxelCount(0), ballCount(g, kRadius_mm) + 1);
  EXPECT_EQ(grown.provenance.back()["operation"], "Grow Tumour by 5 mm");
}

TEST(CliSegment, RemoveSmallIslandsThenHollowInPlace) {
  test::TempDir dir;
  const auto in = writeCase(dir);
  const auto path = in.string();
  CliRun run =
      segment(path + " --op remove-small-islands --min-mm3 10 --segment Tumour --out " + path);
  ASSERT_EQ(run.status, 0) << run.text;
  EXPECT_EQ(loadCase(in).labelMaps[0].voxelCount(0), ballCount(obliqueGrid(), kRadius_mm));
  run = segment(path + " --op hollow --mm 3 --shell inside --segment Tumour --out " + path, false);
  ASSERT_EQ(run.status, 0) << run.text;
  EXPECT_NE(run.text.find("Hollow Tumour (3 mm shell)"), std::string::npos) << run.text;
  const std::size_t shell = loadCase(in).labelMaps[0].voxelCount(0);
  const ImageGeometry g = obliqueGrid();
  EXPECT_LE(shell, ballCount(g, kRadius_mm) - ballCount(g, kRadius_mm - 3.0));
  EXPECT_GE(shell, ballCount(g, kRadius_mm) - ballCount(g, kRadius_mm - 3.0 + g.spacing_mm.norm()));
}

TEST(CliSegment, MedianRemovesTheSpeckAndKeepsTheSphere) {
  // --op median --mm 2 on 0.7 x 0.7 x 2.5 mm voxels: a 7 x 7 x 3 window (round(2 / 0.7) = 3,
  // round(2 / 2.5) = 1). The lone voxel goes; the 10 mm sphere only shrinks at its outline (a
  // window median shaves a convex outline by about mean(h^2) / 3R = 0.17 mm, 5% of the volume,
  // more with 2.5 mm slices: measured 9%), never gains.
  test::TempDir dir;
  const auto in = writeCase(dir);
  const auto out = dir / "median.twinplan";
  const CliRun run =
      segment(in.string() + " --op median --segment Tumour --mm 2 --out " + out.string());
  ASSERT_EQ(run.status, 0) << run.text;
  EXPECT_EQ(run.result["operation"], "Smooth Tumour (median 2 mm)");
  const Case smoothed = loadCase(out);
  const std::size_t sphere = ballCount(obliqueGrid(), kRadius_mm);
  const std::size_t count = smoothed.labelMaps[0].voxelCount(0);
  EXPECT_EQ(smoothed.labelMaps[0].layer(0)[smoothed.labelMaps[0].geometry().linearIndex(2, 2, 2)],
            0);
  EXPECT_LT(count, sphere);
  EXPECT_GT(static_cast<double>(count), 0.88 * static_cast<double>(sphere));
}

TEST(CliSegment, BadRequestsExitWithASentence) {
  test::TempDir dir;
  const auto in = writeCase(dir).string();
  const auto out = (dir / "out.twinplan").string();
  CliRun run = segment(in + " --op grow --segment Liver --mm 5 --out " + out, false);
  EXPECT_EQ(run.status, 4);
  EXPECT_NE(run.text.find("no segment 'Liver'; its segments are 'Tumour'"), std::string::npos)
      << run.text;
  run = segment(in + " --op grow --segment Tumour --out " + out, false);
  EXPECT_EQ(run.status, 3);
  EXPECT_NE(run.text.find("add --mm"), std::string::npos) << run.text;
  run = segment(in + " --op dilate --segment Tumour --mm 2 --out " + out, false);
  EXPECT_EQ(run.status, 3);
  EXPECT_NE(run.text.find("use one of: grow, shrink"), std::string::npos) << run.text;
  run =
      segment(in + " --op keep-island-at-seed --seed 900,0,0 --segment Tumour --out " + out, false);
  EXPECT_EQ(run.status, 3);
  EXPECT_NE(run.text.find("outside the segmentation's image"), std::string::npos) << run.text;
  EXPECT_FALSE(std::filesystem::exists(out));
}

}  // namespace
}  // namespace twinplan
