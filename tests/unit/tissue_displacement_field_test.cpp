// Outputs of the tissue solver (issue #18 item 4): interpolation of nodal displacements,
// rasterisation on an image grid, pull-back warps and target shifts, against analytic
// displacement fields that the elements reproduce exactly (uniform translation, linear
// stretch; a quadratic field for C3D10), and the brain-shift scenario's gravity and inputs.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>

#include "twinplan/core/error.h"
#include "twinplan/tissue/box_mesh.h"
#include "twinplan/tissue/brain_shift.h"
#include "twinplan/tissue/displacement_field.h"
#include "twinplan/tissue/inp_reader.h"

namespace twinplan::tissue {
namespace {

// A 40 x 30 x 20 mm box at the origin, 4 x 3 x 2 cells.
FeModel box(ElementType type) {
  BoxMeshSpec spec;
  spec.size_mm = {40, 30, 20};
  spec.divisions = {4, 3, 2};
  spec.type = type;
  spec.interiorJitter_mm = 1.5;  // distorted elements: interpolation must not rely on a lattice
  return parseInp(boxMeshDeck(spec), "box");
}

using Field = std::function<Vec3(const Vec3&)>;

std::vector<std::array<double, 3>> nodal(const FeModel& model, const Field& u) {
  std::vector<std::array<double, 3>> d;
  for (const Node& n : model.nodes) {
    const Vec3 v = u(Vec3(n.x_mm[0], n.x_mm[1], n.x_mm[2]));
    d.push_back({v[0], v[1], v[2]});
  }
  return d;
}

const Field kTranslation = [](const Vec3&) { return Vec3(1.5, -2.0, 0.7); };
// A linear stretch with shear: u = A x.
const Field kStretch = [](const Vec3& x) {
  Mat3 a;
  a << 0.05, 0.01, 0, 0, -0.02, 0.03, 0.02, 0, 0.04;
  return Vec3(a * x);
};
const Field kQuadratic = [](const Vec3& x) {
  return Vec3(0.002 * x.x() * x.x(), 0, 0.001 * x.y() * x.z());
};

// Points spread through the box (not on nodes).
std::vector<Vec3> probes() {
  std::vector<Vec3> p;
  for (double x = 1.3; x < 40; x += 7.1)
    for (double y = 0.9; y < 30; y += 5.3)
      for (double z = 0.7; z < 20; z += 4.9) p.emplace_back(x, y, z);
  return p;
}

TEST(TissueDisplacementInterpolation, ReproducesTranslationAndStretchExactlyInLinearTets) {
  const FeModel model = box(ElementType::C3D4);
  for (const Field* u : {&kTranslation, &kStretch}) {
    const DisplacementInterpolator interpolator(model, nodal(model, *u));
    for (const Vec3& p : probes()) {
      const auto got = interpolator.at(p);
      ASSERT_TRUE(got.has_value()) << p.transpose();
      EXPECT_NEAR(((*got) - (*u)(p)).norm(), 0.0, 1e-12) << p.transpose();
    }
  }
}

TEST(TissueDisplacementInterpolation, QuadraticTetsReproduceAQuadraticFieldLinearOnesDoNot) {
  const FeModel quadratic = box(ElementType::C3D10);
  const DisplacementInterpolator exact(quadratic, nodal(quadratic, kQuadratic));
  const FeModel linear = box(ElementType::C3D4);
  const DisplacementInterpolator approximate(linear, nodal(linear, kQuadratic));
  double linearError = 0;
  for (const Vec3& p : probes()) {
    EXPECT_NEAR((*exact.at(p) - kQuadratic(p)).norm(), 0.0, 1e-12) << p.transpose();
    linearError = std::max(linearError, (*approximate.at(p) - kQuadratic(p)).norm());
  }
  // Linear interpolation of 0.002 x^2 over 10 mm cells errs by up to 0.002 * h^2 / 4 ~ 0.05 mm.
  EXPECT_GT(linearError, 0.005);
  EXPECT_LT(linearError, 0.2);
}

TEST(TissueDisplacementInterpolation, OutsideTheMeshIsNoneAndZero) {
  const FeModel model = box(ElementType::C3D4);
  const DisplacementInterpolator interpolator(model, nodal(model, kTranslation));
  EXPECT_FALSE(interpolator.at(Vec3(-1, 5, 5)).has_value());
  EXPECT_FALSE(interpolator.at(Vec3(20, 15, 20.5)).has_value());
  EXPECT_EQ(interpolator.atOrZero(Vec3(100, 5, 5)), Vec3::Zero());
  const TargetShift outside = shiftTarget(interpolator, "far", Vec3(100, 5, 5));
  EXPECT_FALSE(outside.insideMesh);
  EXPECT_EQ(outside.magnitude_mm, 0.0);
  const TargetShift inside = shiftTarget(interpolator, "tumour", Vec3(10, 10, 10));
  EXPECT_TRUE(inside.insideMesh);
  EXPECT_NEAR(inside.magnitude_mm, std::sqrt(1.5 * 1.5 + 4 + 0.49), 1e-12);
  EXPECT_NEAR((inside.after_lps - Vec3(11.5, 8, 10.7)).norm(), 0, 1e-12);
}

TEST(TissueDisplacementInterpolation, RefusesAResultOfAnotherModel) {
  const FeModel model = box(ElementType::C3D4);
  EXPECT_THROW(DisplacementInterpolator(model, {{0, 0, 0}}), Error);
}

// A 1 mm grid over the box, 0.5 mm in from its faces.
ImageGeometry grid() {
  ImageGeometry g;
  g.size = {40, 30, 20};
  g.origin_lps = Vec3(0.5, 0.5, 0.5);
  g.spacing_mm = Vec3(1, 1, 1);
  return g;
}

TEST(TissueDisplacementField, RasterisesTheStretchAndSamplesItTrilinearly) {
  const FeModel model = box(ElementType::C3D4);
  const DisplacementInterpolator interpolator(model, nodal(model, kStretch));
  const DisplacementField field = rasterizeDisplacement(interpolator, grid());
  ASSERT_EQ(field.u_mm.size(), grid().voxelCount());
  for (const Vec3& p : probes()) {
    if (p.x() < 0.5 || p.x() > 39.5 || p.y() < 0.5 || p.y() > 29.5 || p.z() < 0.5 || p.z() > 19.5)
      continue;
    // Trilinear interpolation of a linear field is exact (to float storage).
    EXPECT_NEAR((field.sample(p) - kStretch(p)).norm(), 0.0, 1e-5) << p.transpose();
  }
  const std::vector<ScalarField> fields = displacementFields(field, "Shift");
  ASSERT_EQ(fields.size(), 4u);
  EXPECT_EQ(fields[0].name, "Shift |u|");
  EXPECT_EQ(fields[0].unit, "mm");
  const std::size_t v = grid().linearIndex(39, 29, 19);
  const Vec3 corner = kStretch(Vec3(39.5, 29.5, 19.5));
  EXPECT_NEAR(fields[0].values[v], corner.norm(), 1e-5);
  EXPECT_NEAR(fields[3].values[v], corner.z(), 1e-5);
  EXPECT_NEAR(field.maxMagnitude_mm(), corner.norm(), 1e-5);
}

TEST(TissueDisplacementField, PullBackInvertsTranslationAndStretch) {
  const FeModel model = box(ElementType::C3D4);
  for (const Field* u : {&kTranslation, &kStretch}) {
    const DisplacementField field =
        rasterizeDisplacement(DisplacementInterpolator(model, nodal(model, *u)), grid());
    for (const Vec3& X : {Vec3(10, 10, 10), Vec3(25.3, 12.1, 8.8), Vec3(30, 20, 12)}) {
      const Vec3 y = X + (*u)(X);
      EXPECT_NEAR((pullBack(field, y) - X).norm(), 0.0, 2e-3) << X.transpose();
    }
  }
}

TEST(TissueDisplacementField, WarpsARampImageAndALabelBoxByATranslation) {
  const FeModel model = box(ElementType::C3D4);
  // Exactly two voxels along +L, one along +S.
  const Field shift = [](const Vec3&) { return Vec3(2, 0, 1); };
  const DisplacementField field =
      rasterizeDisplacement(DisplacementInterpolator(model, nodal(model, shift)), grid());
  const ImageGeometry g = grid();
  std::vector<float> ramp(g.voxelCount());
  for (std::int64_t k = 0; k < g.size[2]; ++k)
    for (std::int64_t j = 0; j < g.size[1]; ++j)
      for (std::int64_t i = 0; i < g.size[0]; ++i)
        ramp[g.linearIndex(i, j, k)] = float(3 * i + j + 0.5 * k);
  const std::vector<float> warped = warpImage(ramp, field, -1.f);
  // Inside the mesh, warped(y) = ramp(y - (2, 0, 1)).
  EXPECT_NEAR(warped[g.linearIndex(20, 10, 10)], 3 * 18 + 10 + 0.5 * 9, 1e-4);
  EXPECT_NEAR(warped[g.linearIndex(5, 20, 15)], 3 * 3 + 20 + 0.5 * 14, 1e-4);

  LabelMap labels(g);
  labels.name = "Truth";
  const std::size_t s = labels.addSegment({.name = "Tumour", .value = 1});
  for (std::int64_t k = 5; k < 10; ++k)
    for (std::int64_t j = 5; j < 10; ++j)
      for (std::int64_t i = 10; i < 15; ++i) labels.layer(0)[g.linearIndex(i, j, k)] = 1;
  const LabelMap moved = warpLabelMap(labels, field);
  EXPECT_EQ(moved.voxelCount(s), labels.voxelCount(s));
  EXPECT_TRUE(moved.contains(s, 12, 5, 6));
  EXPECT_TRUE(moved.contains(s, 16, 9, 10));
  EXPECT_FALSE(moved.contains(s, 11, 5, 6));
  EXPECT_FALSE(moved.contains(s, 12, 5, 5));

  SurfaceMesh mesh;
  mesh.points_lps = {{10, 10, 10}, {100, 0, 0}};
  mesh.normals = {{0, 0, 1}, {0, 0, 1}};
  const SurfaceMesh movedMesh =
      warpSurfaceMesh(mesh, DisplacementInterpolator(model, nodal(model, shift)));
  EXPECT_FLOAT_EQ(movedMesh.points_lps[0][0], 12.f);
  EXPECT_FLOAT_EQ(movedMesh.points_lps[0][2], 11.f);
  EXPECT_FLOAT_EQ(movedMesh.points_lps[1][0], 100.f);  // outside the mesh: not moved
  EXPECT_TRUE(movedMesh.normals.empty());
}

TEST(TissueBrainShift, GravityFollowsPatientPositionAndHeadRotation) {
  EXPECT_NEAR((gravityDirection("HFS", 0) - Vec3(0, 1, 0)).norm(), 0, 1e-12);
  EXPECT_NEAR((gravityDirection("FFP", 0) - Vec3(0, -1, 0)).norm(), 0, 1e-12);
  EXPECT_NEAR((gravityDirection("HFDL", 0) - Vec3(1, 0, 0)).norm(), 0, 1e-12);
  EXPECT_NEAR((gravityDirection("HFDR", 0) - Vec3(-1, 0, 0)).norm(), 0, 1e-12);
  // Supine, head turned 90 degrees: the floor is towards the head's left.
  EXPECT_NEAR((gravityDirection("HFS", 90) - Vec3(1, 0, 0)).norm(), 0, 1e-12);
  EXPECT_NEAR((gravityDirection("HFS", 45) - Vec3(1, 1, 0).normalized()).norm(), 0, 1e-12);
  EXPECT_THROW(gravityDirection("SITTING", 0), Error);
  EXPECT_THROW(gravityDirection("HFS", 200), Error);
}

// A ball of "white matter", 30 mm radius, on a 2 mm grid centred at the origin.
LabelMap ballBrain() {
  ImageGeometry g;
  g.size = {40, 40, 40};
  g.spacing_mm = Vec3(2, 2, 2);
  g.origin_lps = Vec3(-39, -39, -39);
  LabelMap labels(g);
  labels.name = "Ball";
  const std::size_t s = labels.addSegment({.name = "WM", .tissueType = "white-matter", .value = 1});
  (void)s;
  for (std::int64_t k = 0; k < 40; ++k)
    for (std::int64_t j = 0; j < 40; ++j)
      for (std::int64_t i = 0; i < 40; ++i)
        if (g.indexToLps(Vec3(double(i), double(j), double(k))).norm() < 30)
          labels.layer(0)[g.linearIndex(i, j, k)] = 1;
  return labels;
}

TEST(TissueBrainShift, SagsTowardsTheFloorUnderTheOpeningAndRefusesBadInput) {
  const LabelMap labels = ballBrain();
  BrainShiftParameters p;
  // The first version's model: surface held outside the opening, linear elastic (the checks
  // below rest on linearity; the sliding, neo-Hookean default is tested in
  // tissue_brain_shift_contact_test.cpp).
  p.skullContact = false;
  p.neoHookean = false;
  p.resolution_mm = 8;
  p.patientPosition = "HFP";                               // prone: the floor is anterior (-P)
  p.openingCentre_lps = std::array<double, 3>{0, -30, 0};  // craniotomy facing the floor
  p.openingRadius_mm = 20;
  const BrainShiftResult r = simulateBrainShift(labels, p);
  EXPECT_GT(r.openingNodes, 0u);
  EXPECT_GT(r.fixedNodes, r.openingNodes);
  EXPECT_EQ(r.drainedElements, r.mesh.model.elements.size());  // all CSF drained by default
  EXPECT_GT(r.maxDisplacement_mm, 0.1);
  EXPECT_LT(r.maxDisplacement_mm, 30.0);
  // The brain moves towards the floor: the largest displacement has -P as main component.
  std::size_t largest = 0;
  for (std::size_t n = 0; n < r.solution.displacement_mm.size(); ++n) {
    const auto& u = r.solution.displacement_mm[n];
    const auto& m = r.solution.displacement_mm[largest];
    if (u[0] * u[0] + u[1] * u[1] + u[2] * u[2] > m[0] * m[0] + m[1] * m[1] + m[2] * m[2])
      largest = n;
  }
  const auto& u = r.solution.displacement_mm[largest];
  EXPECT_LT(u[1], -0.9 * r.maxDisplacement_mm);

  // Linear elasticity: a brain twice as stiff sags half as far.
  BrainShiftParameters stiffer = p;
  stiffer.tissue.youngsModulus_Pa *= 2;
  EXPECT_NEAR(simulateBrainShift(labels, stiffer).maxDisplacement_mm, r.maxDisplacement_mm / 2,
              1e-6 * r.maxDisplacement_mm);

  // A fluid level above the brain: nothing drained, nothing moves.
  BrainShiftParameters full = p;
  full.fluidLevel_mm = 70;
  const BrainShiftResult none = simulateBrainShift(labels, full);
  EXPECT_EQ(none.drainedElements, 0u);
  EXPECT_LT(none.maxDisplacement_mm, 1e-12);

  // No centre given: the surface point nearest the tumour, else the top (against gravity).
  BrainShiftParameters toward = full;
  toward.openingCentre_lps.reset();
  toward.openingToward_lps = std::array<double, 3>{40, 0, 0};
  EXPECT_LT((simulateBrainShift(labels, toward).openingCentre_lps - Vec3(30, 0, 0)).norm(), 5.0);
  toward.openingToward_lps.reset();
  EXPECT_LT((simulateBrainShift(labels, toward).openingCentre_lps - Vec3(0, 30, 0)).norm(), 5.0);

  BrainShiftParameters off = p;
  off.openingCentre_lps = std::array<double, 3>{0, -70, 0};
  EXPECT_THROW(simulateBrainShift(labels, off), Error);
  LabelMap noBrain = labels;
  noBrain.segments()[0].tissueType = "liver";
  EXPECT_THROW(simulateBrainShift(noBrain, p), Error);
  BrainShiftParameters both = p;
  both.fluidLevel_mm = 10;
  both.csfLoss_ml = 10;
  EXPECT_THROW(simulateBrainShift(labels, both), Error);
}

// A retractor blade (20 x 20 mm, pushed 5 mm) on top of the ball, the rest of the surface
// sliding on the skull (the ball fills its cranial cavity): the blade's nodes move by exactly
// the push, the displacement decays away from the blade and is mirror-symmetric about the
// blade's two mid-planes.
TEST(TissueBrainShift, RetractorPushesUnderItsBladeAndTheShiftDecaysSymmetrically) {
  const LabelMap labels = ballBrain();
  BrainShiftParameters p;
  p.skullContact = true;
  p.neoHookean = false;
  p.resolution_mm = 6;
  p.openingCentre_lps = std::array<double, 3>{0, 0, 30};  // the top (S)
  p.openingRadius_mm = 20;
  p.retractor = RetractorBlade{};  // 20 x 20 mm, 5 mm
  const BrainShiftResult r = simulateBrainShift(labels, p);
  EXPECT_EQ(r.drainedElements, 0u);  // the retraction alone
  EXPECT_GT(r.retractorNodes.size(), 4u);
  EXPECT_NEAR((r.retractorNormal_lps - Vec3(0, 0, 1)).norm(), 0, 0.05);
  for (std::size_t n : r.retractorNodes)
    for (int d = 0; d < 3; ++d)
      EXPECT_NEAR(r.solution.displacement_mm[n][d], -5 * r.retractorNormal_lps[d], 1e-9);
  EXPECT_NEAR(r.maxDisplacement_mm, 5, 0.5);
  EXPECT_LT(r.maxPenetration_mm, 1e-3);
  const DisplacementInterpolator u(r.mesh.model, r.solution.displacement_mm);
  // Decay along the axis below the blade (downwards, -S) and across the surface.
  const double below10 = u.atOrZero(Vec3(0, 0, 18)).norm(),
               centre = u.atOrZero(Vec3(0, 0, 0)).norm(),
               below50 = u.atOrZero(Vec3(0, 0, -20)).norm();
  std::printf(
      "retractor: %zu blade nodes, force %.4f N; |u| 10 mm under the blade %.3f mm, at "
      "the centre %.3f mm, 50 mm under %.3f mm\n",
      r.retractorNodes.size(), r.retractorForce_N, below10, centre, below50);
  EXPECT_GT(below10, centre);
  EXPECT_GT(centre, below50);
  EXPECT_LT(below50, 0.5);
  // Mirror symmetry about x = 0 and y = 0 (the ball, the lattice and the blade are symmetric).
  double asymmetry = 0;
  for (const Vec3& q : {Vec3(8, 5, 15), Vec3(12, -7, 5), Vec3(5, 10, -10)}) {
    const Vec3 a = u.atOrZero(q), bx = u.atOrZero(Vec3(-q.x(), q.y(), q.z())),
               by = u.atOrZero(Vec3(q.x(), -q.y(), q.z()));
    asymmetry = std::max({asymmetry, (a - Vec3(-bx.x(), bx.y(), bx.z())).norm(),
                          (a - Vec3(by.x(), -by.y(), by.z())).norm()});
  }
  std::printf("retractor: largest mirror asymmetry %.3g mm\n", asymmetry);
  EXPECT_LT(asymmetry, 0.05 * 5);
  // The blade pushes (a positive force into the brain); a blade reaching beyond the opening is
  // refused.
  EXPECT_GT(r.retractorForce_N, 0);
  BrainShiftParameters narrowOpening = p;
  narrowOpening.openingRadius_mm = 8;
  EXPECT_THROW(simulateBrainShift(labels, narrowOpening), Error);
}

}  // namespace
}  // namespace twinplan::tissue
