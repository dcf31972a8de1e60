// The ablation grid built from a case (simulation/ablation/grid_builder.h): the abdomen phantom's
// true segments and CT, a case without segments (HU classes only), overlap precedence, vessel
// radii against analytic cylinders, bad input.
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

#include "test_support.h"
#include "twinplan/ablation/grid_builder.h"
#include "twinplan/ablation/tissue_library.h"
#include "twinplan/core/error.h"
#include "twinplan/phantom/phantom.h"

namespace twinplan::ablation {
namespace {

const phantom::Phantom& abdomen() {
  static const phantom::Phantom p = [] {
    phantom::PhantomOptions options;
    options.surfaceModels = false;
    return phantom::makePhantom(options);
  }();
  return p;
}

const std::string& tissueIdAt(const AblationGrid& grid, const Vec3& p_lps) {
  const Vec3 ijk = grid.geometry.lpsToIndex(p_lps);
  return grid
      .tissueAt(grid.geometry.linearIndex(std::llround(ijk.x()), std::llround(ijk.y()),
                                          std::llround(ijk.z())))
      .id;
}

std::size_t voxelsOf(const AblationGrid& grid, const std::string& id) {
  std::size_t n = 0;
  for (std::size_t v = 0; v < grid.tissue.size(); ++v) n += grid.tissueAt(v).id == id;
  return n;
}

ProbePlacement probeAt(const Vec3& tip_lps) {
  ProbePlacement probe;
  probe.tip_lps = tip_lps;
  probe.entry_lps = tip_lps + Vec3(0.0, -80.0, 0.0);  // from anterior
  return probe;
}

TEST(AblationGridBuilder, AbdomenPhantomTumourLiverAndVesselsFromTheTrueSegments) {
  const phantom::TumourTruth& tumour = abdomen().tumours[1];  // 30 mm, right lobe
  GridNotes notes;
  const AblationGrid grid =
      buildAblationGrid(abdomen().twin, "", probeAt(tumour.centre_lps), {}, noProgress(), &notes);
  // 100 mm box at 1 mm: 101 voxels a side, the tip on the middle voxel, axes along LPS.
  EXPECT_EQ(grid.geometry.size, (Index3{101, 101, 101}));
  EXPECT_TRUE(grid.geometry.indexToLps(Vec3(50, 50, 50)).isApprox(tumour.centre_lps));
  EXPECT_TRUE(grid.geometry.direction.isIdentity());
  EXPECT_FALSE(notes.clipped);
  EXPECT_EQ(tissueIdAt(grid, tumour.centre_lps), "tumour");
  // The tumour (layer 1) beats the liver (layer 0) it lies in: the sphere's volume at 1 mm,
  // within 3 % (the truth is voxelised on the phantom's 1.5 x 1.5 x 2.5 mm grid).
  const double sphere_mm3 = 4.0 / 3.0 * std::numbers::pi * std::pow(tumour.diameter_mm / 2, 3);
  EXPECT_NEAR(double(voxelsOf(grid, "tumour")), sphere_mm3, 0.03 * sphere_mm3);
  // Liver 20 mm lateral of the tumour's edge, with the table's liver values.
  EXPECT_EQ(tissueIdAt(grid, tumour.centre_lps + Vec3(0.0, 0.0, -30.0)), "liver");
  EXPECT_DOUBLE_EQ(tissueLibrary().at("liver").density_kg_m3, 1079.0);
  // The hepatic and portal veins cross the box: blood with a flow speed, nothing else moves.
  EXPECT_GT(notes.vesselVoxels, 1000u);
  ASSERT_EQ(grid.bloodSpeed_m_s.size(), grid.tissue.size());
  for (std::size_t v = 0; v < grid.tissue.size(); ++v) {
    EXPECT_EQ(grid.bloodSpeed_m_s[v] > 0.0f, grid.tissueAt(v).isBlood) << v;
    if (grid.bloodSpeed_m_s[v] > 0.0f) {
      ASSERT_LT(grid.bloodSpeed_m_s[v], 0.3f);
    }
  }
  EXPECT_TRUE(notes.hounsfieldSegments.empty());
}

TEST(AblationGridBuilder, PortalVeinFlowFollowsItsRadius) {
  // The right portal vein runs from the hilum (-35, -10, 35), radius 6 mm, to (-62, -5, 45),
  // radius 5.5 mm (phantom/src/abdomen.cpp); its middle has radius 5.75 mm, so Murray's law
  // gives 0.196 m/s * 5.75 / 6 = 0.188 m/s. The radius is measured on the 1 mm grid from a
  // labelmap voxelised at 1.5 x 1.5 x 2.5 mm: within 1 mm, so within 0.033 m/s.
  const Vec3 middle(-48.5, -7.5, 40.0);
  const AblationGrid grid = buildAblationGrid(abdomen().twin, "CT", probeAt(middle));
  const Vec3 ijk = grid.geometry.lpsToIndex(middle);
  const std::size_t v = grid.geometry.linearIndex(std::llround(ijk.x()), std::llround(ijk.y()),
                                                  std::llround(ijk.z()));
  EXPECT_EQ(grid.tissueAt(v).id, "blood");
  EXPECT_NEAR(grid.bloodSpeed_m_s[v], 0.188, 0.033);
}

TEST(AblationGridBuilder, ACaseWithoutSegmentsIsClassifiedByHounsfieldUnits) {
  Case twin = abdomen().twin;
  twin.labelMaps.clear();
  const Vec3 liver(-70.0, -5.0, 20.0);  // right lobe, away from tumours and vessels
  const AblationGrid grid = buildAblationGrid(twin, "", probeAt(liver));
  EXPECT_TRUE(grid.bloodSpeed_m_s.empty());
  // Enhanced liver (+100 HU) is soft tissue; subcutaneous fat (-100 HU) fat; the air in front
  // of the abdomen (-1000 HU) air. The body's front surface is at y = -115 mm on the midline,
  // the skin 2 mm and the fat below it (phantom/src/abdomen.cpp).
  EXPECT_EQ(tissueIdAt(grid, liver), "soft-tissue");
  EXPECT_EQ(voxelsOf(grid, "liver"), 0u);
  const AblationGrid front = buildAblationGrid(twin, "", probeAt(Vec3(0.0, -100.0, 0.0)));
  EXPECT_EQ(tissueIdAt(front, Vec3(0.0, -140.0, 0.0)), "air");
  EXPECT_EQ(tissueIdAt(front, Vec3(0.0, -108.0, 0.0)), "fat");
  // The vertebral body (cancellous, +300 HU) behind the aorta.
  const AblationGrid spine = buildAblationGrid(twin, "", probeAt(Vec3(0.0, 40.0, 0.0)));
  EXPECT_EQ(tissueIdAt(spine, Vec3(0.0, 40.0, 0.0)).rfind("bone", 0), 0u)
      << tissueIdAt(spine, Vec3(0.0, 40.0, 0.0));
}

// A 41^3 CT of 50 HU at 1 mm with three overlapping segments in three layers: liver everywhere
// (layer 0), a vessel along z through the centre (layer 1), a tumour sphere (layer 2) that
// overlaps the vessel, and a pancreas with no tissue type the table knows.
Case overlapCase() {
  ImageGeometry g;
  g.size = {41, 41, 41};
  g.origin_lps = Vec3::Constant(-20.0);
  Case twin;
  ImageVolume ct(g, PixelType::Int16);
  ct.name = "CT";
  ct.unit = "HU";
  ct.dicom.modality = "CT";
  for (auto& v : ct.voxels<std::int16_t>()) v = 50;
  twin.volumes.push_back(ct);
  LabelMap labels(g);
  labels.addLayer();
  labels.addLayer();
  labels.segments() = {{"Liver", "liver", {}, 0, 1},
                       {"Pancreas", "", {}, 0, 2},
                       {"Portal vein", "vessel", {}, 1, 1},
                       {"Tumour", "tumour", {}, 2, 1}};
  for (std::int64_t k = 0; k < 41; ++k)
    for (std::int64_t j = 0; j < 41; ++j)
      for (std::int64_t i = 0; i < 41; ++i) {
        const Vec3 p = g.indexToLps(Vec3(double(i), double(j), double(k)));
        const std::size_t v = g.linearIndex(i, j, k);
        labels.layer(0)[v] = p.x() > 12.0 ? 2 : 1;
        if (std::hypot(p.x(), p.y()) <= 3.0) labels.layer(1)[v] = 1;
        if ((p - Vec3(0, 0, 8)).norm() <= 5.0) labels.layer(2)[v] = 1;
      }
  twin.labelMaps.push_back(labels);
  return twin;
}

TEST(AblationGridBuilder, OverlapsTumourBeatsVesselBeatsOrgan) {
  GridNotes notes;
  const AblationGrid grid = buildAblationGrid(overlapCase(), "", probeAt(Vec3::Zero()), {1.0, 30.0},
                                              noProgress(), &notes);
  EXPECT_EQ(tissueIdAt(grid, Vec3(0, 0, 8)), "tumour");        // tumour over vessel over liver
  EXPECT_EQ(tissueIdAt(grid, Vec3(0, 0, -8)), "blood");        // vessel over liver
  EXPECT_EQ(tissueIdAt(grid, Vec3(8, 0, -8)), "liver");        // liver alone
  EXPECT_EQ(tissueIdAt(grid, Vec3(14, 0, 0)), "soft-tissue");  // the pancreas: HU class (50 HU)
  ASSERT_EQ(notes.hounsfieldSegments.size(), 1u);
  EXPECT_EQ(notes.hounsfieldSegments[0], "Pancreas");
  // The vessel's radius is 3 mm: Murray speed 0.196 * 3 / 6 m/s on its axis, within 0.5 mm.
  const Vec3 ijk = grid.geometry.lpsToIndex(Vec3(0, 0, -8));
  const float speed = grid.bloodSpeed_m_s[grid.geometry.linearIndex(
      std::llround(ijk.x()), std::llround(ijk.y()), std::llround(ijk.z()))];
  EXPECT_NEAR(speed, 0.098, 0.196 * 0.5 / 6.0);
  // Only the tissues present are listed.
  EXPECT_EQ(grid.tissues.size(), 4u);
}

TEST(AblationGridBuilder, LocalRadiusOfCylindersIsTheirRadiusEverywhereInside) {
  for (const double spacing_mm : {1.0, 0.5}) {
    for (const double radius_mm : {2.0, 4.0, 7.0}) {
      SCOPED_TRACE(std::to_string(spacing_mm) + " mm grid, radius " + std::to_string(radius_mm));
      ImageGeometry g;
      const std::int64_t n = std::llround(40.0 / spacing_mm) + 1;
      g.size = {n, n, 11};
      g.spacing_mm = Vec3::Constant(spacing_mm);
      g.origin_lps = Vec3(-20.0, -20.0, 0.0);
      std::vector<std::uint8_t> inside(g.voxelCount(), 0);
      for (std::int64_t k = 0; k < g.size[2]; ++k)
        for (std::int64_t j = 0; j < n; ++j)
          for (std::int64_t i = 0; i < n; ++i) {
            const Vec3 p = g.indexToLps(Vec3(double(i), double(j), double(k)));
            inside[g.linearIndex(i, j, k)] = std::hypot(p.x(), p.y()) <= radius_mm;
          }
      const std::vector<float> r = localRadius_mm(inside, g);
      // On the axis and at the wall alike (local thickness), within half a voxel; the tube is
      // cut by the box's top and bottom faces, which do not count as walls.
      double worst = 0.0;
      for (std::size_t v = 0; v < inside.size(); ++v)
        if (inside[v]) worst = std::max(worst, std::abs(double(r[v]) - radius_mm));
      EXPECT_LE(worst, 0.5 * spacing_mm + 1e-6);
      EXPECT_EQ(r[g.linearIndex(0, 0, 5)], 0.0f);
    }
  }
}

TEST(AblationGridBuilder, TheBoxCanBeCentredBehindTheTipOnTheActivePart) {
  // A probe from anterior (+y towards the tip): 15 mm behind the tip is 15 mm anterior.
  const Vec3 tip = abdomen().tumours[1].centre_lps;
  GridOptions options;
  options.centreBehindTip_mm = 15.0;
  const AblationGrid grid = buildAblationGrid(abdomen().twin, "", probeAt(tip), options);
  EXPECT_TRUE(grid.geometry.indexToLps(Vec3(50, 50, 50)).isApprox(tip - Vec3(0, 15, 0)));
  EXPECT_EQ(tissueIdAt(grid, tip), "tumour");
  options.centreBehindTip_mm = 60.0;  // more than half the 100 mm box
  EXPECT_THROW((void)buildAblationGrid(abdomen().twin, "", probeAt(tip), options), Error);
}

TEST(AblationGridBuilder, TheBoxIsClippedToTheImage) {
  // The CT spans x from -192 to +192 mm: a tip at x = -185 keeps 7.5 mm on its right side.
  GridNotes notes;
  const AblationGrid grid =
      buildAblationGrid(abdomen().twin, "", probeAt(Vec3(-185, 0, 0)), {}, noProgress(), &notes);
  EXPECT_TRUE(notes.clipped);
  EXPECT_EQ(grid.geometry.size[0], 50 + 8);  // -192 .. -135: voxel centres -192..-135 mm
  EXPECT_EQ(grid.geometry.size[1], 101);
  EXPECT_NEAR(grid.geometry.origin_lps.x(), -192.0, 1e-9);
  EXPECT_EQ(tissueIdAt(grid, Vec3(-185, 0, 0)), "air");  // outside the 165 mm body
}

TEST(AblationGridBuilder, BadInputGetsAClearError) {
  try {
    (void)buildAblationGrid(abdomen().twin, "", probeAt(Vec3(0, 0, 400)));
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::InvalidInput);
    EXPECT_EQ(e.context(), "tip");
    EXPECT_NE(std::string(e.what()).find("The probe tip (0.0, 0.0, 400.0) mm lies outside the CT"),
              std::string::npos)
        << e.what();
  }
  EXPECT_THROW((void)buildAblationGrid(abdomen().twin, "MR", probeAt(Vec3::Zero())), Error);
  EXPECT_THROW((void)buildAblationGrid(abdomen().twin, "", probeAt(Vec3::Zero()), {0.0, 100.0}),
               Error);
  test::RecordingProgress cancelling(1);
  EXPECT_THROW((void)buildAblationGrid(abdomen().twin, "", probeAt(Vec3::Zero()), {}, cancelling),
               Cancelled);
}

}  // namespace
}  // namespace twinplan::ablation
