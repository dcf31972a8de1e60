// The pencil-beam engine's ray tracing on a real CT (issue #19 item 2): the DCPT head phantom
// (../shared/data/ct-head-phantom-dcpt, Siemens dual-energy CT, 512 x 512 x 39) through the
// default HU -> electron density table, against an independent computation with pydicom and
// numpy (tests/integration/radiological_depth_probe.py: fine sampling of the same table).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "test_support.h"
#include "twinplan/io/dicom_index.h"
#include "twinplan/io/dicom_volume.h"
#include "twinplan/radiotherapy/pencil_beam.h"

namespace twinplan {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

TEST(PencilBeamSharedCt, RadiologicalDepthThroughTheHeadPhantomMatchesNumpy) {
  const fs::path folder = test::sharedData("ct-head-phantom-dcpt/CT");
  const io::DicomIndex index = io::scanDicom(folder);
  ASSERT_EQ(index.allSeries().size(), 1u);
  const ImageVolume ct = io::loadVolume(*index.allSeries()[0]);
  ASSERT_EQ(ct.unit, "HU");
  const radiotherapy::DensityGrid density =
      radiotherapy::densityGridFromCt(ct, radiotherapy::defaultHuDensityCalibration());
  struct Ray {
    Vec3 from, to;
  };
  // Through the head (centre near x 0, y -175 mm): anterior-posterior, left-right, oblique.
  for (const Ray& ray :
       {Ray{Vec3(0, -320, 23), Vec3(0, -20, 23)}, Ray{Vec3(-160, -175, 10), Vec3(160, -175, 10)},
        Ray{Vec3(-120, -300, -4), Vec3(110, -60, 50)}}) {
    const double ours = radiotherapy::radiologicalPathLength(density, ray.from, ray.to);
    const test::CommandResult r = test::runCommand(
        "/usr/bin/python3 '" +
        (fs::path(TWINPLAN_SOURCE_DIR) / "tests/integration/radiological_depth_probe.py").string() +
        "' '" + folder.string() + "' '" +
        (fs::path(TWINPLAN_SOURCE_DIR) / "resources/radiotherapy/hu_red_default.json").string() +
        "' " + std::to_string(ray.from.x()) + " " + std::to_string(ray.from.y()) + " " +
        std::to_string(ray.from.z()) + " " + std::to_string(ray.to.x()) + " " +
        std::to_string(ray.to.y()) + " " + std::to_string(ray.to.z()) + " 2>&1");
    ASSERT_EQ(r.status, 0) << r.output;
    const double numpy = json::parse(r.output)["radiological_mm"].get<double>();
    EXPECT_GT(numpy, 50.0);  // the ray crosses the head
    // Sampling every 0.005 mm puts each voxel boundary within 0.0025 mm: a few hundred
    // boundaries x density < 2 -> under 1e-4 (measured: 2.5e-5).
    EXPECT_NEAR(ours, numpy, 1e-4 * numpy) << ray.from.transpose() << " -> " << ray.to.transpose();
    std::printf("ray %s: TwinPlan %.3f mm, numpy %.3f mm\n",
                (std::to_string(ray.from.x()) + "..").c_str(), ours, numpy);
  }
}

}  // namespace
}  // namespace twinplan
