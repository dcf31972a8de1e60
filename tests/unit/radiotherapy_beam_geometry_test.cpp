// IEC 61217 beam geometry and beam's-eye fluence (simulation/radiotherapy/beam_geometry.h),
// against cases worked by hand: for a head-first supine patient gantry 0 irradiates from
// anterior, gantry 90 from the patient's left (IEC 61217; the convention every planning system
// shows), a couch kick of 90 degrees turns the patient's feet toward gantry 90, collimator 90
// turns the X jaws to the cranio-caudal direction.
#include <gtest/gtest.h>

#include <Eigen/Geometry>

#include "twinplan/core/error.h"
#include "twinplan/radiotherapy/beam_geometry.h"

namespace twinplan::radiotherapy {
namespace {

void expectVec(const Vec3& actual, const Vec3& expected, double tol = 1e-9) {
  EXPECT_NEAR((actual - expected).norm(), 0.0, tol)
      << "actual " << actual.transpose() << " expected " << expected.transpose();
}

const Vec3 kLeft(1, 0, 0), kPosterior(0, 1, 0), kSuperior(0, 0, 1);

TEST(BeamGeometry, HeadFirstSupineGantryAngles) {
  const Vec3 iso(10, 20, 30);
  BeamGeometry g0 = beamGeometry(0, 0, 0, iso, 1000, PatientPosition::HFS);
  expectVec(g0.source_lps, iso - 1000 * kPosterior);  // anterior
  expectVec(g0.xAxis_lps, kLeft);
  expectVec(g0.yAxis_lps, kSuperior);
  BeamGeometry g90 = beamGeometry(90, 0, 0, iso, 1000, PatientPosition::HFS);
  expectVec(g90.source_lps, iso + 1000 * kLeft);  // from the patient's left
  expectVec(g90.xAxis_lps, kPosterior);           // Xg = -Zf after a 90 degree gantry turn
  expectVec(g90.yAxis_lps, kSuperior);
  expectVec(beamGeometry(270, 0, 0, iso, 1000, PatientPosition::HFS).source_lps,
            iso - 1000 * kLeft);
  expectVec(beamGeometry(180, 0, 0, iso, 1000, PatientPosition::HFS).source_lps,
            iso + 1000 * kPosterior);
}

TEST(BeamGeometry, OtherPatientPositions) {
  const Vec3 iso = Vec3::Zero();
  // Feet first supine: gantry 90 comes from the patient's right.
  expectVec(beamGeometry(90, 0, 0, iso, 1000, PatientPosition::FFS).source_lps, -1000 * kLeft);
  // Prone: gantry 0 comes from posterior; HFP gantry 90 from the patient's right.
  expectVec(beamGeometry(0, 0, 0, iso, 1000, PatientPosition::HFP).source_lps, 1000 * kPosterior);
  expectVec(beamGeometry(90, 0, 0, iso, 1000, PatientPosition::HFP).source_lps, -1000 * kLeft);
  expectVec(beamGeometry(90, 0, 0, iso, 1000, PatientPosition::FFP).source_lps, 1000 * kLeft);
  // Decubitus left (lying on the left side): gantry 0 comes from the patient's right.
  expectVec(beamGeometry(0, 0, 0, iso, 1000, PatientPosition::HFDL).source_lps, -1000 * kLeft);
  expectVec(beamGeometry(0, 0, 0, iso, 1000, PatientPosition::HFDR).source_lps, 1000 * kLeft);
  for (PatientPosition p : {PatientPosition::HFS, PatientPosition::FFDL, PatientPosition::FFDR}) {
    const Mat3 axes = supportAxesInPatient(p);
    EXPECT_NEAR(axes.col(0).cross(axes.col(1)).dot(axes.col(2)), 1.0, 1e-12)
        << toString(p);  // right-handed
  }
  EXPECT_EQ(patientPositionFromString("FFDR"), PatientPosition::FFDR);
  EXPECT_THROW(patientPositionFromString("SITTING"), Error);
}

TEST(BeamGeometry, CouchKickAndCollimator) {
  const Vec3 iso = Vec3::Zero();
  // Couch 90 (counter-clockwise from above): the head turns away from gantry 90, so a gantry
  // 90 beam comes from the patient's feet.
  expectVec(beamGeometry(90, 0, 90, iso, 1000, PatientPosition::HFS).source_lps, -1000 * kSuperior);
  expectVec(beamGeometry(90, 0, 270, iso, 1000, PatientPosition::HFS).source_lps, 1000 * kSuperior);
  // A couch kick leaves a vertical beam vertical but turns its jaws.
  const BeamGeometry kicked = beamGeometry(0, 0, 90, iso, 1000, PatientPosition::HFS);
  expectVec(kicked.source_lps, -1000 * kPosterior);
  expectVec(kicked.xAxis_lps, -kSuperior);
  // Collimator 90: X jaws along the patient's superior, Y jaws toward the patient's right.
  const BeamGeometry c90 = beamGeometry(0, 90, 0, iso, 1000, PatientPosition::HFS);
  expectVec(c90.source_lps, -1000 * kPosterior);
  expectVec(c90.xAxis_lps, kSuperior);
  expectVec(c90.yAxis_lps, -kLeft);
}

TEST(BeamGeometry, BeamsEyeProjection) {
  const BeamGeometry g = beamGeometry(0, 0, 0, Vec3::Zero(), 1000, PatientPosition::HFS);
  expectVec(g.toBeamsEye(Vec3(10, 0, 20)), Vec3(10, 20, 1000));
  // 100 mm below the isocentre the same ray has spread by 1100 / 1000.
  expectVec(g.toBeamsEye(Vec3(11, 100, 22)), Vec3(10, 20, 1100));
  expectVec(g.pointOnRay(10, 20, 1100), Vec3(11, 100, 22));
  const BeamGeometry oblique = beamGeometry(33, 17, 8, Vec3(5, -7, 9), 1000, PatientPosition::FFS);
  const Vec3 p(40, -30, 70);
  const Vec3 b = oblique.toBeamsEye(p);
  expectVec(oblique.pointOnRay(b.x(), b.y(), b.z()), p, 1e-9);
}

io::Beam staticBeam(double x1, double x2, double y1, double y2, double mu) {
  io::Beam beam;
  beam.number = 1;
  beam.name = "test";
  beam.radiationType = "PHOTON";
  beam.meterset = mu;
  beam.devices = {{"ASYMX", 1, {}}, {"ASYMY", 1, {}}};
  for (int i = 0; i < 2; ++i) {
    io::ControlPoint cp;
    cp.index = i;
    cp.cumulativeMetersetWeight = i;
    cp.nominalEnergy = 6.0;
    cp.isocentre_lps = Vec3::Zero();
    cp.devices = {{"ASYMX", {x1, x2}}, {"ASYMY", {y1, y2}}};
    beam.controlPoints.push_back(cp);
  }
  return beam;
}

TEST(BeamFluence, StaticJawField) {
  const FluenceMap map = beamFluence(staticBeam(-50, 50, -30, 70, 200), 1.0, 10.0);
  EXPECT_DOUBLE_EQ(map.sample(0, 20), 200.0);
  EXPECT_DOUBLE_EQ(map.sample(-55, 20), 0.0);
  EXPECT_DOUBLE_EQ(map.sample(0, 75), 0.0);
  EXPECT_NEAR(map.sample(50, 0), 100.0, 1e-4);  // the pixel centred on the jaw edge: half open
  // The map spans the field plus the margin.
  EXPECT_LE(map.x0_mm, -60.0);
  EXPECT_GE(map.x0_mm + (map.nx - 1) * map.spacing_mm, 60.0);
}

TEST(BeamFluence, MultileafStepAndShootWeightsByMeterset) {
  io::Beam beam = staticBeam(-50, 50, -50, 50, 100);
  beam.devices.push_back({"MLCX", 2, {-20.0, 0.0, 20.0}});
  // Segment A (first half of the MU): lower pair open -40..40, upper pair 0..40.
  // Segment B (second half): both pairs -40..0. Step-and-shoot: four control points.
  const std::vector<double> a{-40, 0, 40, 40}, b{-40, -40, 0, 0};
  const double weights[] = {0.0, 0.5, 0.5, 1.0};
  beam.controlPoints.clear();
  for (int i = 0; i < 4; ++i) {
    io::ControlPoint cp;
    cp.index = i;
    cp.cumulativeMetersetWeight = weights[i];
    cp.isocentre_lps = Vec3::Zero();
    cp.devices = {{"ASYMX", {-50, 50}}, {"ASYMY", {-50, 50}}, {"MLCX", i < 2 ? a : b}};
    beam.controlPoints.push_back(cp);
  }
  const FluenceMap map = beamFluence(beam, 1.0, 5.0);
  EXPECT_NEAR(map.sample(-20.5, -10.5), 100.0, 1e-4);     // open in both segments
  EXPECT_NEAR(map.sample(20.5, -10.5), 50.0, 1e-4);       // segment A only
  EXPECT_NEAR(map.sample(-20.5, 10.5), 50.0, 1e-4);       // segment B only
  EXPECT_NEAR(map.sample(20.5, 10.5), 50.0, 1e-4);        // segment A only
  EXPECT_NEAR(map.sample(-45.5, 0.0 - 10.5), 0.0, 1e-4);  // behind the leaves
  // Outside the leaf bank (|y| > 20) only the jaws collimate.
  EXPECT_NEAR(map.sample(45.5, 30.5), 100.0, 1e-4);
  // Leaf positions that do not match the bank are refused.
  beam.controlPoints[1].devices[2].positions_mm.pop_back();
  EXPECT_THROW(beamFluence(beam, 1.0, 5.0), Error);
}

TEST(BeamFluence, LeavesWithoutJawsAcrossThemCloseBeyondTheBank) {
  // An MLC-only head (no Y jaws): the field is the leaf opening, 2 pairs of 10 mm x 30 mm.
  Aperture a;
  a.x1_mm = -50, a.x2_mm = 50;
  a.leafBoundaries_mm = {-10, 0, 10};
  a.leafNegative_mm = {-15, -15};
  a.leafPositive_mm = {15, 15};
  const auto b = a.bounds();
  EXPECT_DOUBLE_EQ(b[0], -15);
  EXPECT_DOUBLE_EQ(b[1], 15);
  EXPECT_DOUBLE_EQ(b[2], -10);
  EXPECT_DOUBLE_EQ(b[3], 10);
  EXPECT_DOUBLE_EQ(a.openFraction(-20, 20, -20, 20), 600.0 / 1600.0);
}

TEST(BeamFluence, RefusesBeamsItCannotDeliver) {
  io::Beam noMeterset = staticBeam(-50, 50, -50, 50, 100);
  noMeterset.meterset.reset();
  EXPECT_THROW(beamFluence(noMeterset, 1.0, 5.0), Error);
  io::Beam arc = staticBeam(-50, 50, -50, 50, 100);
  arc.controlPoints[1].gantryAngle_deg = 180;
  try {
    beamGeometry(arc, PatientPosition::HFS);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Unsupported);
  }
  io::Beam open = staticBeam(-50, 50, -50, 50, 100);
  open.devices = {{"ASYMX", 1, {}}};
  for (auto& cp : open.controlPoints) cp.devices = {{"ASYMX", {-50, 50}}};
  EXPECT_THROW(beamFluence(open, 1.0, 5.0), Error);  // no Y collimation: unbounded
}

}  // namespace
}  // namespace twinplan::radiotherapy
