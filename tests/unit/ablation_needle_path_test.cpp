// Needle path feasibility (simulation/ablation/needle_path.h) on constructed cases with known
// answers - a rib in the way, a vessel grazed within the safety radius, a path longer than the
// shaft, a tilted path, bone seen only by its CT number, lung and bowel gas inside the body (by
// segment and by CT number), the air outside the skin that a path may touch - and on the abdomen
// phantom.
#include <gtest/gtest.h>

#include <cmath>

#include "ablation_box_case.h"
#include "twinplan/ablation/needle_path.h"
#include "twinplan/core/error.h"
#include "twinplan/phantom/phantom.h"

namespace twinplan::ablation {
namespace {

// A 120 x 120 x 60 mm CT at 1 mm: air outside, a body |x|, |y| < 50 mm of soft tissue (40 HU)
// with a tumour of radius 8 mm at the origin. Optional: a rib slab y in [-40, -35], |x|, |z| < 10
// (segment "Rib", bone, 700 HU), a vessel along z of radius 2 mm centred at (-25, 4.5)
// ("Vessel", vessel). segments = false leaves the rib in the CT only.
Case boxCase(bool rib, bool vessel, bool segments = true) {
  test::BoxCaseSpec spec;
  spec.size = {120, 120, 60};
  spec.origin_lps = Vec3(-59.5, -59.5, -29.5);
  spec.segments = {{"Tumour", "tumour", {255, 255, 0}, 0, 1},
                   {"Rib", "bone", {250, 230, 150}, 0, 2},
                   {"Vessel", "vessel", {0, 0, 200}, 0, 3}};
  return test::boxCase(spec, [&](const Vec3& p, bool, std::int16_t& hu, std::uint16_t& label) {
    if (p.norm() <= 8.0) label = 1;
    if (rib && p.y() >= -40 && p.y() <= -35 && std::abs(p.x()) < 10 && std::abs(p.z()) < 10) {
      hu = 700;
      if (segments) label = 2;
    }
    if (vessel && std::hypot(p.x() + 25.0, p.y() - 4.5) <= 2.0) {
      hu = 150;
      if (segments) label = 3;
    }
  });
}

NeedlePathRules targetRules() {
  NeedlePathRules rules;
  rules.ignoredSegments = {"Tumour"};
  return rules;
}

TEST(AblationNeedlePath, RibInTheWayIsRefusedAtItsDepth) {
  const Case twin = boxCase(true, false);
  const PathObstacles obstacles(twin, "", targetRules());
  const NeedlePath anterior = tracePath(obstacles, Vec3::Zero(), Vec3(0, -1, 0));
  EXPECT_FALSE(anterior.feasible);
  EXPECT_EQ(anterior.obstacle, "Rib");
  // The skin at y = -50 mm, the rib's outer face at y = -40 mm: the needle meets it 10 mm under
  // the skin (the sampled skin lies half a sample out, 10.5 mm).
  EXPECT_NEAR(anterior.depth_mm, 50.0, 1.0);
  EXPECT_NEAR(anterior.obstacleDepth_mm, 10.0, 1.0);
  EXPECT_EQ(anterior.reason, "crosses Rib at 11 mm depth");
  // Lateral (towards -x, patient's right) nothing is in the way: skin entry at x = -50 mm.
  const NeedlePath lateral = tracePath(obstacles, Vec3::Zero(), Vec3(-1, 0, 0));
  EXPECT_TRUE(lateral.feasible) << lateral.reason;
  EXPECT_NEAR(lateral.entry_lps.x(), -50.0, 1.0);
  EXPECT_NEAR(lateral.depth_mm, 50.0, 1.0);
}

TEST(AblationNeedlePath, BoneFromTheCtAloneWhenTheRibIsNotSegmented) {
  const Case twin = boxCase(true, false, /*segments=*/false);
  const PathObstacles obstacles(twin, "", targetRules());
  const NeedlePath anterior = tracePath(obstacles, Vec3::Zero(), Vec3(0, -1, 0));
  EXPECT_FALSE(anterior.feasible);
  EXPECT_EQ(anterior.obstacle, "bone (CT)");
}

TEST(AblationNeedlePath, VesselGrazedWithinTheSafetyRadiusIsRefused) {
  // The vessel's wall passes 2.5 mm from the lateral path's centre line.
  const Case twin = boxCase(false, true);
  NeedlePathRules rules = targetRules();
  rules.safetyRadius_mm = 3.0;
  const NeedlePath grazing = tracePath(PathObstacles(twin, "", rules), Vec3::Zero(), {-1, 0, 0});
  EXPECT_FALSE(grazing.feasible);
  EXPECT_EQ(grazing.obstacle, "Vessel");
  rules.safetyRadius_mm = 2.0;
  const NeedlePath clear = tracePath(PathObstacles(twin, "", rules), Vec3::Zero(), {-1, 0, 0});
  EXPECT_TRUE(clear.feasible) << clear.reason;
}

TEST(AblationNeedlePath, PathLongerThanTheShaftIsRefused) {
  const Case twin = boxCase(false, false);
  NeedlePathRules rules = targetRules();
  rules.shaftLength_mm = 40.0;
  const NeedlePath path = tracePath(PathObstacles(twin, "", rules), Vec3::Zero(), {-1, 0, 0});
  EXPECT_FALSE(path.feasible);
  EXPECT_EQ(path.reason, "longer than the 40 mm shaft");
  // A chosen entry 45 mm away with a 40 mm shaft: refused the same way.
  const NeedlePath chosen =
      checkPath(PathObstacles(twin, "", rules), Vec3::Zero(), Vec3(-45, 0, 0));
  EXPECT_FALSE(chosen.feasible);
}

TEST(AblationNeedlePath, SteepPathIsRefusedAndCandidatesKeepTheAngleLimit) {
  const Case twin = boxCase(false, false);
  const PathObstacles obstacles(twin, "", targetRules());
  // 60 deg out of the axial plane (z is cranio-caudal).
  const Vec3 steep(-std::cos(M_PI / 3), 0.0, std::sin(M_PI / 3));
  const NeedlePath path = checkPath(obstacles, Vec3::Zero(), 20.0 * steep);
  EXPECT_FALSE(path.feasible);
  EXPECT_NEAR(path.angleFromAxial_deg, 60.0, 1e-6);
  EXPECT_NE(path.reason.find("limit 45 deg"), std::string::npos) << path.reason;
  const std::vector<NeedlePath> candidates = candidatePaths(obstacles, Vec3::Zero(), 200);
  ASSERT_FALSE(candidates.empty());
  // Fibonacci directions are uniform in z: the share within 45 deg is sin(45 deg) = 0.707.
  EXPECT_NEAR(double(candidates.size()) / 200.0, std::sin(M_PI / 4), 0.02);
  for (const NeedlePath& c : candidates) EXPECT_LE(c.angleFromAxial_deg, 45.0 + 1e-9);
}

// Lung and gas inside the box body (skin at |x|, |y| = 50 mm): a lung slab y in [-35, -20],
// |x| < 20, |z| < 15 between the skin and the tumour at the origin (CT lungHu; segment "Lung",
// tissue type lung, when segmented), and a pocket of bowel gas (-1000 HU, never segmented), a
// sphere of radius 6 mm at (-30, 0, 0) on the lateral path. Segments off: no segment at all,
// not even the tumour's.
constexpr double kSkin_mm = 50.0, kLungOuterFace_mm = 35.0, kGasOuterFace_mm = 36.0;
Case lungCase(bool segmented, std::int16_t lungHu = -850) {
  test::BoxCaseSpec spec;
  spec.size = {120, 120, 60};
  spec.origin_lps = Vec3(-59.5, -59.5, -29.5);
  if (segmented)
    spec.segments = {{"Tumour", "tumour", {255, 255, 0}, 0, 1},
                     {"Lung", "lung", {200, 160, 160}, 0, 2}};
  return test::boxCase(spec, [&](const Vec3& p, bool, std::int16_t& hu, std::uint16_t& label) {
    if (segmented && p.norm() <= 8.0) label = 1;
    if (p.y() >= -kLungOuterFace_mm && p.y() <= -20.0 && std::abs(p.x()) < 20.0 &&
        std::abs(p.z()) < 15.0) {
      hu = lungHu;
      if (segmented) label = 2;
    }
    if ((p - Vec3(-30.0, 0.0, 0.0)).norm() <= kGasOuterFace_mm - 30.0) hu = -1000;
  });
}

// The reason names the obstacle and the depth where the needle, going in from the skin, first
// comes within the safety radius of it; the depth within one voxel of the constructed one.
void expectRefusedAt(const NeedlePath& path, const std::string& obstacle, double depth_mm) {
  EXPECT_FALSE(path.feasible);
  EXPECT_EQ(path.obstacle, obstacle);
  EXPECT_NEAR(path.obstacleDepth_mm, depth_mm, 1.0) << path.reason;
  EXPECT_EQ(path.reason, "crosses " + obstacle + " at " +
                             std::to_string(std::lround(path.obstacleDepth_mm)) + " mm depth");
  // The skin entry stays on the outer skin: the lung or gas does not end the path.
  EXPECT_NEAR(path.depth_mm, kSkin_mm, 1.0);
}

TEST(AblationNeedlePath, LungSegmentBetweenSkinAndTargetIsRefusedWhereTheNeedleEntersIt) {
  const Case twin = lungCase(/*segmented=*/true);
  const PathObstacles obstacles(twin, "", targetRules());
  expectRefusedAt(tracePath(obstacles, Vec3::Zero(), Vec3(0, -1, 0)), "Lung",
                  kSkin_mm - kLungOuterFace_mm);
  // The opposite side has no lung: free, entry on the skin at y = +50 mm.
  const NeedlePath posterior = tracePath(obstacles, Vec3::Zero(), Vec3(0, 1, 0));
  EXPECT_TRUE(posterior.feasible) << posterior.reason;
  EXPECT_NEAR(posterior.entry_lps.y(), kSkin_mm, 1.0);
}

TEST(AblationNeedlePath, LungAndBowelGasFromTheCtAloneAreRefusedWhereTheNeedleEntersThem) {
  NeedlePathRules rules;  // no segments: no target to ignore either
  // Aerated lung (-850 HU) and, at -450 HU, lung the body outline (CT >= -400 HU) leaves out
  // although it is above the air threshold (-500 HU): both are holes inside the body.
  for (const std::int16_t lungHu : {std::int16_t(-850), std::int16_t(-450)}) {
    SCOPED_TRACE(lungHu);
    const Case twin = lungCase(/*segmented=*/false, lungHu);
    const PathObstacles obstacles(twin, "", rules);
    expectRefusedAt(tracePath(obstacles, Vec3::Zero(), Vec3(0, -1, 0)), "air or lung (CT)",
                    kSkin_mm - kLungOuterFace_mm);
    expectRefusedAt(tracePath(obstacles, Vec3::Zero(), Vec3(-1, 0, 0)), "air or lung (CT)",
                    kSkin_mm - kGasOuterFace_mm);
    const NeedlePath free = tracePath(obstacles, Vec3::Zero(), Vec3(1, 0, 0));
    EXPECT_TRUE(free.feasible) << free.reason;
    EXPECT_NEAR(free.entry_lps.x(), kSkin_mm, 1.0);
  }
}

TEST(AblationNeedlePath, AirOutsideTheSkinTouchedByThePathIsAllowed) {
  const Case twin = boxCase(false, false);
  const PathObstacles obstacles(twin, "", targetRules());
  // 10 mm under the anterior skin, out at 70 deg from the skin's normal (in the axial plane):
  // the 3 mm safety cylinder reaches the air outside the skin r tan(70 deg) = 8.2 mm before the
  // entry; that air is outside the body, not a hole in it.
  const double tilt = 70.0 * M_PI / 180.0;
  const Vec3 tip(0.0, -kSkin_mm + 10.0, 0.0);
  const NeedlePath oblique = tracePath(obstacles, tip, Vec3(-std::sin(tilt), -std::cos(tilt), 0));
  EXPECT_TRUE(oblique.feasible) << oblique.reason;
  EXPECT_NEAR(oblique.depth_mm, 10.0 / std::cos(tilt), 1.0);
  EXPECT_NEAR(oblique.entry_lps.x(), -10.0 * std::tan(tilt), 1.0);
  EXPECT_NEAR(oblique.entry_lps.y(), -kSkin_mm, 1.0);
  // An entry the user puts 5 mm outside the lateral skin: the needle's last 5 mm are in the
  // room's air.
  const NeedlePath chosen = checkPath(obstacles, Vec3::Zero(), Vec3(-kSkin_mm - 5.0, 0, 0));
  EXPECT_TRUE(chosen.feasible) << chosen.reason;
  EXPECT_NEAR(chosen.depth_mm, kSkin_mm + 5.0, 1e-9);
}

TEST(AblationNeedlePath, UnknownCriticalSegmentIsAnError) {
  const Case twin = boxCase(false, false);
  NeedlePathRules rules;
  rules.extraCriticalSegments = {"Gallbladder"};
  EXPECT_THROW(PathObstacles(twin, "", rules), Error);
}

// The abdomen phantom's Tumour 2 (30 mm, right lobe at (-95, 10, 62) mm): the straight lateral
// path meets the lower ribs or is free, the path to the spine is refused, and every feasible
// path ends on the skin (CT below -400 HU 1 mm outside, above it 1 mm inside).
TEST(AblationNeedlePath, AbdomenPhantomTumourTwo) {
  phantom::PhantomOptions options;
  options.scale = 0.5;
  options.surfaceModels = false;
  const phantom::Phantom abdomen = phantom::makePhantom(options);
  NeedlePathRules rules;
  rules.ignoredSegments = {"Tumour 2"};
  const PathObstacles obstacles(abdomen.twin, "", rules);
  const Vec3 centre = abdomen.tumours[1].centre_lps;
  const NeedlePath toSpine = tracePath(obstacles, centre, Vec3(0, 60, 62) - centre);
  EXPECT_FALSE(toSpine.feasible);
  const std::vector<NeedlePath> paths = candidatePaths(obstacles, centre, 400);
  std::size_t feasible = 0, ribs = 0;
  for (const NeedlePath& p : paths) {
    ribs += p.obstacle == "Ribs";
    if (!p.feasible) continue;
    ++feasible;
    const Vec3 out = (p.entry_lps - p.tip_lps).normalized();
    EXPECT_FALSE(obstacles.insideBody(p.entry_lps + 1.5 * out));
    EXPECT_TRUE(obstacles.insideBody(p.entry_lps - 1.5 * out));
    EXPECT_LE(p.depth_mm, rules.shaftLength_mm);
  }
  EXPECT_GT(feasible, 10u);
  EXPECT_GT(ribs, 0u);
  EXPECT_LT(feasible, paths.size());
}

}  // namespace
}  // namespace twinplan::ablation
