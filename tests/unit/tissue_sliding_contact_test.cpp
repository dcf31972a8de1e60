// Exact frictionless sliding contact (ContactEnforcement::ActiveSet, fem_solver.h; issue #18
// item 2, docs/validation.md "Brain shift with sliding skull contact"): a block sliding down a
// frictionless inclined plane under gravity against its exact quadratic displacement field, a
// ball resting in a spherical shell (only normal contact forces, the shell carries the whole
// weight, the active set settles), and the uniaxial block on a plane without a penalty.
#include <gtest/gtest.h>

#include <Eigen/Geometry>
#include <cmath>
#include <cstdio>
#include <numbers>

#include "twinplan/tissue/box_mesh.h"
#include "twinplan/tissue/contact.h"
#include "twinplan/tissue/fem_solver.h"
#include "twinplan/tissue/inp_reader.h"
#include "twinplan/tissue/resection.h"

namespace twinplan::tissue {
namespace {

constexpr double kGravity_mm_s2 = 9810;
constexpr double kDensity_t_mm3 = 1e-9;  // 1000 kg/m^3

FeModel boxModel(const BoxMeshSpec& spec, double e_MPa, double nu, bool nlgeom,
                 const std::string& boundaries = "") {
  const std::string material =
      nlgeom ? "*HYPERELASTIC, NEO HOOKE\n" + std::to_string(e_MPa / (4 * (1 + nu))) + ", " +
                   std::to_string(6 * (1 - 2 * nu) / e_MPa) + "\n"
             : "*ELASTIC\n" + std::to_string(e_MPa) + ", " + std::to_string(nu) + "\n";
  FeModel model =
      parseInp(boxMeshDeck(spec) + "*MATERIAL, NAME=TISSUE\n" + material +
                   "*DENSITY\n1e-9\n*SOLID SECTION, ELSET=EALL, MATERIAL=TISSUE\n" + boundaries +
                   (nlgeom ? "*STEP, NLGEOM\n" : "*STEP\n") + "*STATIC\n*END STEP\n",
               "box.inp");
  return model;
}

GravityLoad gravityOnAll(const FeModel& model, const std::array<double, 3>& direction) {
  GravityLoad g;
  for (std::size_t e = 0; e < model.elements.size(); ++e) g.elements.push_back(e);
  g.acceleration_mm_s2 = kGravity_mm_s2;
  g.direction = direction;
  return g;
}

Eigen::Vector3d vec(const std::array<double, 3>& a) { return {a[0], a[1], a[2]}; }

// A 20 x 4 x 4 mm block of quadratic tetrahedra lying on a frictionless plane inclined at 30
// degrees, gravity straight down, nu = 0, its uphill end face held. In the slope's frame (s
// down the slope from the held end, w across, h normal to the plane) the exact solution is
// uniaxial in s and in h: sigma_ss = rho g sin(a) (L - s), sigma_hh = -rho g cos(a) (H - h),
// so u_s = rho g sin(a) (L s - s^2 / 2) / E, u_h = -rho g cos(a) (H h - h^2 / 2) / E, u_w = 0
// (equilibrium, compatibility, free faces, a shear-free plane: all hold). The held face's
// nodes get that field's values (u_s = 0 there; their own weight's compression u_h). The field
// is quadratic, so C3D10 reproduces it to rounding: the slide is exact.
TEST(SlidingContact, BlockOnFrictionlessInclinedPlaneSlidesByTheExactAmount) {
  const double L = 20, W = 4, H = 4, E = 0.002;
  const double angle = std::numbers::pi / 6;
  FeModel model = boxModel({{L, W, H}, {4, 1, 1}, ElementType::C3D10}, E, 0.0, false);
  const Eigen::Vector3d downSlope(std::cos(angle), 0, -std::sin(angle));
  const Eigen::Vector3d across(0, 1, 0);
  const Eigen::Vector3d normal(std::sin(angle), 0, std::cos(angle));
  Eigen::Matrix3d toGlobal;
  toGlobal << downSlope, across, normal;
  const double rg = kDensity_t_mm3 * kGravity_mm_s2;
  auto exact = [&](const Eigen::Vector3d& local) {
    const double s = local.x(), h = local.z();
    return Eigen::Vector3d(toGlobal *
                           Eigen::Vector3d(rg * std::sin(angle) * (L * s - s * s / 2) / E, 0,
                                           -rg * std::cos(angle) * (H * h - h * h / 2) / E));
  };
  std::vector<Eigen::Vector3d> local(model.nodes.size());
  for (std::size_t n = 0; n < model.nodes.size(); ++n) {
    local[n] = vec(model.nodes[n].x_mm);
    const Eigen::Vector3d x = toGlobal * local[n];
    model.nodes[n].x_mm = {x.x(), x.y(), x.z()};
  }
  for (std::size_t n : model.nodeSets.at("X0")) {
    const Eigen::Vector3d u = exact(local[n]);
    for (int dof = 0; dof < 3; ++dof) model.steps[0].boundaries.push_back({n, dof, u[dof]});
  }
  model.steps[0].gravity.push_back(gravityOnAll(model, {0, 0, -1}));
  RigidObstacle plane =
      rigidPlane({0, 0, 0}, {normal.x(), normal.y(), normal.z()}, model.nodeSets.at("Z0"));
  plane.enforcement = ContactEnforcement::ActiveSet;
  model.obstacles.push_back(plane);
  SolverOptions options;
  options.relativeResidual = 1e-12;
  const SolveResult r = solve(model, options);

  double worst = 0, tip = 0, maxPenetration = 0, tangential = 0;
  for (std::size_t n = 0; n < model.nodes.size(); ++n) {
    const Eigen::Vector3d u = vec(r.displacement_mm[n]);
    worst = std::max(worst, (u - exact(local[n])).norm());
    if (std::abs(local[n].x() - L) < 1e-9) tip = std::max(tip, u.dot(downSlope));
    const Eigen::Vector3d f = vec(r.contactForce_N[n]);
    tangential = std::max(tangential, (f - f.dot(normal) * normal).norm());
  }
  for (std::size_t n : model.nodeSets.at("Z0")) {
    const Eigen::Vector3d x = vec(model.nodes[n].x_mm) + vec(r.displacement_mm[n]);
    maxPenetration = std::max(maxPenetration, -x.dot(normal));
  }
  const double expectedTip = rg * std::sin(angle) * L * L / (2 * E);
  std::printf(
      "incline: tip slide %.12f mm (exact %.12f), worst nodal error %.3g mm, %d nodes in "
      "contact, tangential contact force %.3g N, penetration %.3g mm, set changes %d\n",
      tip, expectedTip, worst, r.contactNodes, tangential, maxPenetration, r.activeSetChanges);
  EXPECT_NEAR(tip, expectedTip, 1e-9 * expectedTip);
  EXPECT_LT(worst, 1e-9 * expectedTip);
  EXPECT_LT(tangential, 1e-9);
  EXPECT_LT(maxPenetration, 1e-6);
  // The plane's nodes not on the held face: (4 x 2 + 1) x (1 x 2 + 1) less the 3 held.
  EXPECT_EQ(r.contactNodes, 9 * 3 - 3);
  // Every node of the base is pressed (sigma_hh < 0 all along): the set never changes.
  EXPECT_EQ(r.activeSetChanges, 0);
  // The plane pushes along its normal with the weight's normal part, less what the held
  // face's nodes carry; together with those reactions it balances the weight.
  Eigen::Vector3d total = Eigen::Vector3d::Zero();
  for (std::size_t n = 0; n < model.nodes.size(); ++n)
    total += vec(r.contactForce_N[n]) + vec(r.reaction_N[n]);
  const double weight = kDensity_t_mm3 * kGravity_mm_s2 * L * W * H;
  EXPECT_NEAR(total.z(), weight, 1e-9 * weight);
  EXPECT_NEAR(total.x(), 0, 1e-9 * weight);
}

// A ball of radius about 5 mm (the 1 mm cells whose centres lie within 5 mm of its centre)
// in a rigid spherical shell that fits its outermost nodes, under its own weight. Rigid
// rotations (free in a frictionless shell) are held by the centre node (x, y), the top pole
// (x, y) and a node on the +y axis (x); they hold only x and y, so the shell carries the whole
// weight, by normal forces only, on the lower half only. (They would carry nothing on a mirror-
// symmetric mesh; Kuhn's cells are not, so they carry a little: bounded, not zero.)
struct BallInShell {
  FeModel model;
  std::array<double, 3> centre{6, 6, 6};
  double radius = 0;
  std::vector<std::size_t> all;
};

BallInShell ballInShell(double e_MPa = 0.01) {
  BallInShell b;
  const std::array<double, 3> centre = b.centre;
  FeModel box = boxModel({{12, 12, 12}, {12, 12, 12}}, e_MPa, 0.3, false);
  const auto outside = elementsWithCentroidIn(box, [&](const std::array<double, 3>& x) {
    const double cx = std::floor(x[0]) + 0.5, cy = std::floor(x[1]) + 0.5,
                 cz = std::floor(x[2]) + 0.5;
    return std::hypot(cx - centre[0], cy - centre[1], cz - centre[2]) > 5;
  });
  FeModel ball = removeElements(box, outside).model;
  double radius = 0;
  std::size_t middle = 0, pole = 0, side = 0;
  std::vector<std::size_t> all(ball.nodes.size());
  for (std::size_t n = 0; n < ball.nodes.size(); ++n) {
    const Eigen::Vector3d d = vec(ball.nodes[n].x_mm) - vec(centre);
    radius = std::max(radius, d.norm());
    if (d.norm() < 1e-9) middle = n;
    if (std::abs(d.x()) + std::abs(d.y()) < 1e-9 && d.z() > ball.nodes[pole].x_mm[2] - centre[2])
      pole = n;
    if (std::abs(d.x()) + std::abs(d.z()) < 1e-9 && std::abs(d.y() - 3) < 1e-9) side = n;
    all[n] = n;
  }
  for (auto [node, dof] : {std::pair{middle, 0}, {middle, 1}, {pole, 0}, {pole, 1}, {side, 0}})
    ball.steps[0].boundaries.push_back({node, dof, 0.0});
  ball.steps[0].gravity.push_back(gravityOnAll(ball, {0, 0, -1}));
  b.model = std::move(ball);
  b.radius = radius;
  b.all = std::move(all);
  return b;
}

TEST(SlidingContact, BallRestingInSphericalShellHasOnlyNormalContactForces) {
  BallInShell b = ballInShell();
  FeModel& ball = b.model;
  const std::array<double, 3> centre = b.centre;
  const double radius = b.radius;
  RigidObstacle shell = rigidSphericalShell(centre, radius, b.all);
  shell.enforcement = ContactEnforcement::ActiveSet;
  ball.obstacles.push_back(shell);
  SolverOptions options;
  options.relativeResidual = 1e-9;
  std::vector<NewtonTrace> trace;
  options.trace = [&](const NewtonTrace& t) { trace.push_back(t); };
  const SolveResult r = solve(ball, options);

  double weight = 0;
  {
    FeModel probe = ball;  // the weight: the sum of the consistent gravity loads
    probe.obstacles.clear();
    probe.steps[0].boundaries.clear();
    for (std::size_t n = 0; n < probe.nodes.size(); ++n)
      for (int dof = 0; dof < 3; ++dof) probe.steps[0].boundaries.push_back({n, dof, 0.0});
    const SolveResult held = solve(probe);
    for (const auto& f : held.reaction_N) weight += f[2];
  }
  double contactZ = 0, tangential = 0, supports = 0, penetration = 0;
  int upperHalf = 0;
  for (std::size_t n = 0; n < ball.nodes.size(); ++n) {
    const Eigen::Vector3d x = vec(ball.nodes[n].x_mm) + vec(r.displacement_mm[n]);
    const Eigen::Vector3d inward = (vec(centre) - x).normalized();  // the shell's normal
    const Eigen::Vector3d f = vec(r.contactForce_N[n]);
    contactZ += f.z();
    tangential = std::max(tangential, (f - f.dot(inward) * inward).norm());
    if (f.norm() > 0 && ball.nodes[n].x_mm[2] >= centre[2]) ++upperHalf;
    if (f.norm() > 0) {
      EXPECT_GT(f.dot(inward), 0) << "node " << n << " is pulled by the shell";
    }
    penetration = std::max(penetration, (x - vec(centre)).norm() - radius);
    supports = std::max(supports, vec(r.reaction_N[n]).norm());
  }
  std::printf(
      "ball: %zu nodes, %d in contact, weight %.9g N, shell %.9g N, largest tangential contact "
      "force %.3g N, largest support reaction %.3g N, penetration %.3g mm, %d active-set "
      "changes, %d Newton iterations\n",
      ball.nodes.size(), r.contactNodes, weight, contactZ, tangential, supports, penetration,
      r.activeSetChanges, r.totalIterations);
  EXPECT_GT(r.contactNodes, 4);
  EXPECT_EQ(upperHalf, 0);
  EXPECT_LT(tangential, 1e-9);
  EXPECT_LT(penetration, 1e-6);
  EXPECT_NEAR(contactZ, weight, 1e-9 * weight);
  EXPECT_LT(supports, 0.01 * weight);
  EXPECT_GT(r.activeSetChanges, 0);  // the top of the first set leaves, the bottom fills in
  EXPECT_LE(r.activeSetChanges, 10);
  // The shell pushes only: no node in the set at the end is held back by more than the Newton
  // tolerance.
  EXPECT_LE(r.maxContactPull_N, r.contactPullAllowance_N);
  EXPECT_GT(r.contactPullAllowance_N, 0);
  // The trace (SolverOptions::trace) saw every Newton iteration: one line per iteration plus
  // the last evaluation of each increment tried, the set changes the result counts, and the
  // last line converged with the contact set of the result.
  ASSERT_FALSE(trace.empty());
  int converged = 0, changes = 0;
  for (const NewtonTrace& t : trace) {
    converged += t.converged;
    changes += t.joined + t.left > 0;
    // The shell is concave as the ball sees it: its curvature term stiffens the sliding (the
    // tangent stays definite; tissue_hertz_contact_test has a convex obstacle).
    EXPECT_EQ(t.indefiniteCurvatureNodes, 0);
  }
  EXPECT_EQ(converged, r.steps.at(0).increments);
  EXPECT_EQ(static_cast<int>(trace.size()), r.totalIterations + r.attemptedIncrements);
  EXPECT_EQ(changes, r.activeSetChanges);
  EXPECT_TRUE(trace.back().converged);
  EXPECT_EQ(trace.back().contactNodes, r.contactNodes);
  EXPECT_LE(trace.back().residual_N, trace.back().tolerance_N);
}

// The ball in a shell 0.1 mm wider than it, the gap closed along the load
// (RigidObstacle::rampStartGaps, the brain's CSF layer): every node near the shell touches it
// at load factor 0. Started with all of them in contact, the first solve pulls the upper half
// onto the shell and the set must shed it; started with the nodes the weight presses down (the
// lower half, RigidObstacle::initiallyActive: brain_shift.cpp's resting level), Newton reaches
// the same equilibrium in fewer iterations (branch shiftstart).
TEST(SlidingContact, RampedGapStartedWithTheRestingNodesConvergesSooner) {
  // Soft as brain (E about 1 kPa), so the weight, not the pull of the first solve, decides
  // where the ball rests; the nodes within 1 mm of the fitted shell are the candidates.
  const double kSoft_MPa = 0.001, kLayer_mm = 1.0, kGap_mm = 0.1;
  auto solveFrom = [&](bool restingStart) {
    BallInShell b = ballInShell(kSoft_MPa);
    std::vector<std::size_t> outer, lower;
    for (std::size_t n : b.all) {
      const Eigen::Vector3d d = vec(b.model.nodes[n].x_mm) - vec(b.centre);
      if (d.norm() < b.radius - kLayer_mm) continue;
      outer.push_back(n);
      if (d.z() < 0) lower.push_back(n);
    }
    RigidObstacle shell = rigidSphericalShell(b.centre, b.radius + kGap_mm, outer);
    shell.enforcement = ContactEnforcement::ActiveSet;
    shell.rampStartGaps = true;
    if (restingStart) shell.initiallyActive = lower;
    b.model.obstacles.push_back(shell);
    SolverOptions options;
    options.relativeResidual = 1e-10;
    return std::pair{solve(b.model, options), b.model.nodes.size()};
  };
  const auto [allTouching, nodes] = solveFrom(false);
  const auto [resting, sameNodes] = solveFrom(true);
  double difference = 0, largest = 0;
  for (std::size_t n = 0; n < nodes; ++n) {
    difference = std::max(difference, (vec(resting.displacement_mm[n]) -
                                       vec(allTouching.displacement_mm[n])).norm());
    largest = std::max(largest, vec(allTouching.displacement_mm[n]).norm());
  }
  std::printf(
      "ramped ball: all touching %d iterations, %d set changes, %d in contact; resting start %d "
      "iterations, %d set changes, %d in contact; largest nodal difference %.3g mm of %.3g mm\n",
      allTouching.totalIterations, allTouching.activeSetChanges, allTouching.contactNodes,
      resting.totalIterations, resting.activeSetChanges, resting.contactNodes, difference,
      largest);
  EXPECT_EQ(sameNodes, nodes);
  EXPECT_EQ(resting.contactNodes, allTouching.contactNodes);
  EXPECT_LT(difference, 1e-6 * largest);
  EXPECT_GT(largest, 0.5);  // the ball sank onto the shell across the gap
  EXPECT_LT(resting.totalIterations, allTouching.totalIterations);
  EXPECT_LT(resting.activeSetChanges, allTouching.activeSetChanges);
}

// The uniaxial block (tissue_contact_test's first case) with the exact contact: 1 MPa on a 10 x
// 10 x 5 mm block on a frictionless plane: the top moves p H / E, the plane carries p A, with
// no penetration at all (a penalty leaves one proportional to the force).
TEST(SlidingContact, BlockPressedOnPlaneIsUniaxialWithoutPenetration) {
  for (bool nlgeom : {false, true}) {
    FeModel model =
        boxModel({{10, 10, 5}, {4, 4, 2}}, 1000, 0.3, nlgeom, "*BOUNDARY\nX0, 1, 1\nY0, 2, 2\n");
    static constexpr int kCorners[4][3] = {{0, 1, 2}, {0, 3, 1}, {1, 3, 2}, {2, 3, 0}};
    for (std::size_t e = 0; e < model.elements.size(); ++e)
      for (int face = 1; face <= 4; ++face) {
        bool top = true;
        for (int c : kCorners[face - 1])
          top = top &&
                std::abs(model.nodes[model.elements[e].nodes[std::size_t(c)]].x_mm[2] - 5) < 1e-9;
        if (top) model.steps[0].pressures.push_back({e, face, 1.0});
      }
    RigidObstacle plane = rigidPlane({0, 0, 0}, {0, 0, 1}, model.nodeSets.at("Z0"));
    plane.enforcement = ContactEnforcement::ActiveSet;
    model.obstacles.push_back(plane);
    const SolveResult r = solve(model);
    double contactZ = 0, top = 0, penetration = 0;
    for (std::size_t n = 0; n < model.nodes.size(); ++n) {
      contactZ += r.contactForce_N[n][2];
      if (model.nodes[n].x_mm[2] > 4.999) top = std::min(top, r.displacement_mm[n][2]);
      if (model.nodes[n].x_mm[2] < 1e-9)
        penetration = std::max(penetration, -r.displacement_mm[n][2]);
    }
    std::size_t corner = 0;
    for (std::size_t n = 0; n < model.nodes.size(); ++n)
      if (vec(model.nodes[n].x_mm).sum() > vec(model.nodes[corner].x_mm).sum()) corner = n;
    const double area =
        nlgeom ? (10 + r.displacement_mm[corner][0]) * (10 + r.displacement_mm[corner][1]) : 100.0;
    std::printf("%s block: contact %.9f N (p A %.9f), top %.9f mm, penetration %.3g mm\n",
                nlgeom ? "neo-Hookean" : "linear", contactZ, area, top, penetration);
    EXPECT_EQ(r.contactNodes, 25);
    EXPECT_NEAR(contactZ, area, 1e-7 * area);
    EXPECT_LT(penetration, 1e-9);
    if (!nlgeom) {
      EXPECT_NEAR(top, -5.0 / 1000, 1e-9);
    }
  }
}

}  // namespace
}  // namespace twinplan::tissue
