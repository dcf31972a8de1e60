// Frictionless contact with rigid obstacles (docs/validation.md, "Tissue mechanics: contact"):
// a block pressed onto a rigid plane against the exact uniaxial-stress answer, the same plane
// given as a sampled distance map (the skull's form), and a ball pushed into a rigid spherical
// shell: penetration within a stated tolerance and the contact force in equilibrium with the
// load.
#include <gtest/gtest.h>

#include <Eigen/Geometry>
#include <cmath>
#include <cstdio>

#include "twinplan/core/error.h"
#include "twinplan/core/label_map.h"
#include "twinplan/tissue/box_mesh.h"
#include "twinplan/tissue/contact.h"
#include "twinplan/tissue/fem_solver.h"
#include "twinplan/tissue/inp_reader.h"
#include "twinplan/tissue/resection.h"

namespace twinplan::tissue {
namespace {

constexpr double kE_MPa = 1000, kNu = 0.3;

// A cube of n^3 1 mm voxels centred on the origin, and which of its voxels lie outside a sphere
// of radius_mm about the origin (a spherical cavity, voxelised).
ImageGeometry cubeAroundOrigin(std::int64_t n) {
  ImageGeometry g;
  g.size = {n, n, n};
  g.origin_lps = Vec3::Constant(-(double(n) - 1) / 2);
  return g;
}

std::vector<char> outsideSphere(const ImageGeometry& g, double radius_mm) {
  std::vector<char> outside(g.voxelCount());
  for (std::int64_t k = 0; k < g.size[2]; ++k)
    for (std::int64_t j = 0; j < g.size[1]; ++j)
      for (std::int64_t i = 0; i < g.size[0]; ++i)
        outside[g.linearIndex(i, j, k)] =
            g.indexToLps(Vec3(double(i), double(j), double(k))).norm() > radius_mm;
  return outside;
}

FeModel boxModel(const BoxMeshSpec& spec, const std::string& boundaries, bool nlgeom) {
  const std::string material =
      nlgeom ? "*HYPERELASTIC, NEO HOOKE\n" + std::to_string(kE_MPa / (4 * (1 + kNu))) + ", " +
                   std::to_string(6 * (1 - 2 * kNu) / kE_MPa) + "\n"
             : "*ELASTIC\n" + std::to_string(kE_MPa) + ", " + std::to_string(kNu) + "\n";
  return parseInp(boxMeshDeck(spec) + "*MATERIAL, NAME=TISSUE\n" + material +
                      "*SOLID SECTION, ELSET=EALL, MATERIAL=TISSUE\n" + boundaries +
                      (nlgeom ? "*STEP, NLGEOM\n" : "*STEP\n") + "*STATIC\n*END STEP\n",
                  "box.inp");
}

// Pressure on every element face whose corners lie on the plane x[axis] = at.
void pressFace(FeModel& model, int axis, double at, double pressure_MPa) {
  static constexpr int kCorners[4][3] = {{0, 1, 2}, {0, 3, 1}, {1, 3, 2}, {2, 3, 0}};
  for (std::size_t e = 0; e < model.elements.size(); ++e)
    for (int face = 1; face <= 4; ++face) {
      bool on = true;
      for (int c : kCorners[face - 1])
        on = on &&
             std::abs(model.nodes[model.elements[e].nodes[static_cast<std::size_t>(c)]].x_mm[axis] -
                      at) < 1e-9;
      if (on) model.steps[0].pressures.push_back({e, face, pressure_MPa});
    }
}

// A 10 x 10 x 5 mm block on the rigid plane z = 0, rollers on x = 0 and y = 0 (symmetry), the
// pressure p on its top face. Frictionless contact leaves it free to spread sideways, so the
// stress is exactly uniaxial: the top moves down by p H / E and the plane carries p A.
void expectUniaxialOnPlane(const std::function<RigidObstacle(std::vector<std::size_t>)>& plane,
                           bool nlgeom) {
  const double H = 5, p = 1;
  FeModel model = boxModel({{10, 10, H}, {4, 4, 2}}, "*BOUNDARY\nX0, 1, 1\nY0, 2, 2\n", nlgeom);
  pressFace(model, 2, H, p);
  model.obstacles.push_back(plane(model.nodeSets.at("Z0")));
  const SolveResult r = solve(model);
  const double expected = -p * H / kE_MPa;
  double contactZ = 0;
  for (const auto& f : r.contactForce_N) contactZ += f[2];
  std::printf("plane: %d nodes in contact, max penetration %.3g mm, contact %.9f N\n",
              r.contactNodes, r.maxPenetration_mm, contactZ);
  EXPECT_EQ(r.contactNodes, 25);
  // Stated tolerance: penetration below 1e-3 of the compression.
  EXPECT_LT(r.maxPenetration_mm, 1e-3 * std::abs(expected));
  // Under NLGEOM the pressure follows the top face, which spreads sideways: the plane carries
  // p times the deformed area.
  std::size_t corner = 0;
  for (std::size_t n = 0; n < model.nodes.size(); ++n)
    if (model.nodes[n].x_mm[0] + model.nodes[n].x_mm[1] + model.nodes[n].x_mm[2] >
        model.nodes[corner].x_mm[0] + model.nodes[corner].x_mm[1] + model.nodes[corner].x_mm[2])
      corner = n;
  const double area =
      nlgeom ? (10 + r.displacement_mm[corner][0]) * (10 + r.displacement_mm[corner][1]) : 100.0;
  EXPECT_NEAR(contactZ, p * area, 1e-6 * p * area);
  std::printf("top %.7f mm, p H / E %.7f mm\n", r.displacement_mm[corner][2], expected);
  for (std::size_t n : model.nodeSets.at("Z1"))
    EXPECT_NEAR(r.displacement_mm[n][2], expected, (nlgeom ? 5e-3 : 1e-3) * std::abs(expected));
}

RigidObstacle exactPlane(std::vector<std::size_t> nodes) {
  return rigidPlane({0, 0, 0}, {0, 0, 1}, std::move(nodes));
}

TEST(Contact, BlockPressedOnRigidPlaneIsUniaxial) { expectUniaxialOnPlane(exactPlane, false); }

TEST(Contact, NeoHookeanBlockPressedOnRigidPlaneIsUniaxial) {
  expectUniaxialOnPlane(exactPlane, true);
}

// The plane z = 0 as a distance map sampled on a 1 mm grid (as a skull's distance map would be).
DistanceMap planeDistanceMap() {
  DistanceMap map;
  map.geometry.size = {14, 14, 12};
  map.geometry.origin_lps = Vec3(-2, -2, -3);
  for (std::int64_t k = 0; k < map.geometry.size[2]; ++k)
    for (std::int64_t v = 0; v < map.geometry.size[0] * map.geometry.size[1]; ++v)
      map.distance_mm.push_back(static_cast<float>(-3.0 + double(k)));
  return map;
}

// Trilinear interpolation of a linear distance is exact, so the answer is the same.
TEST(Contact, DistanceMapPlaneGivesTheSameAnswer) {
  expectUniaxialOnPlane(
      [](std::vector<std::size_t> nodes) {
        return obstacleFromDistanceMap(planeDistanceMap(), std::move(nodes));
      },
      false);
}

// The same plane read as a cubic B-spline (DistanceInterpolation::CubicBSpline, the brain-shift
// skull): B-splines reproduce linear functions (linear precision), so again the same answer.
TEST(Contact, CubicBSplineDistanceMapPlaneGivesTheSameAnswer) {
  expectUniaxialOnPlane(
      [](std::vector<std::size_t> nodes) {
        return obstacleFromDistanceMap(planeDistanceMap(), std::move(nodes), "plane",
                                       DistanceInterpolation::CubicBSpline);
      },
      false);
}

// A tilted plane on an oblique, anisotropic grid: the B-spline's value is the exact distance and
// its analytic gradient the plane's normal, at points between voxels, away from the border.
// A sphere's distance map: the normal is the gradient of the distance it reports (central
// differences of signedDistance agree with outwardNormal), and it turns smoothly - between
// points 0.01 voxel apart by no more than a C1 function allows - where trilinear interpolation's
// gradient jumps at voxel faces.
// The distance n . x + 1 to a tilted plane (unit normal n) on an oblique grid of 1 x 1.5 x 2 mm
// voxels.
const Vec3 kTiltedNormal = Vec3(0.2, -0.5, 0.84).normalized();
DistanceMap tiltedPlaneMap(const std::array<std::int64_t, 3>& size, const Vec3& origin_lps) {
  DistanceMap plane;
  ImageGeometry& g = plane.geometry;
  g.size = size;
  g.spacing_mm = Vec3(1.0, 1.5, 2.0);
  g.direction = Eigen::AngleAxisd(0.3, Vec3(1, 2, 3).normalized()).toRotationMatrix();
  g.origin_lps = origin_lps;
  for (std::int64_t k = 0; k < g.size[2]; ++k)
    for (std::int64_t j = 0; j < g.size[1]; ++j)
      for (std::int64_t i = 0; i < g.size[0]; ++i)
        plane.distance_mm.push_back(static_cast<float>(
            kTiltedNormal.dot(g.indexToLps(Vec3(double(i), double(j), double(k)))) + 1));
  return plane;
}

TEST(Contact, CubicBSplineNormalIsTheDistanceGradientAndContinuous) {
  const DistanceMap plane = tiltedPlaneMap({12, 10, 9}, Vec3(-5, -4, -6));
  const ImageGeometry& g = plane.geometry;
  const Vec3& n = kTiltedNormal;
  const RigidObstacle o =
      obstacleFromDistanceMap(plane, {}, "plane", DistanceInterpolation::CubicBSpline);
  for (const Vec3& ijk : {Vec3(3.3, 4.7, 2.1), Vec3(5.5, 5.5, 4.5), Vec3(7.9, 3.2, 6.0)}) {
    const Vec3 x = g.indexToLps(ijk);
    EXPECT_NEAR(o.signedDistance_mm({x.x(), x.y(), x.z()}), n.dot(x) + 1, 1e-5);
    const auto normal = o.outwardNormal({x.x(), x.y(), x.z()});
    EXPECT_NEAR((Vec3(normal[0], normal[1], normal[2]) - n).norm(), 0, 1e-6);
  }

  const ImageGeometry s = cubeAroundOrigin(24);
  const std::vector<char> outside = outsideSphere(s, 8);
  const RigidObstacle shell = obstacleFromDistanceMap(regionDistanceMap(s, outside, "shell"), {},
                                                      "shell", DistanceInterpolation::CubicBSpline);
  double worstTurn = 0, worstGradient = 0;
  for (double t = -0.505; t < 0.5; t += 0.01) {  // across the voxel face at x = 0.5 mm
    const std::array<double, 3> a{6.5 + t, 2.2, 1.1}, b{6.51 + t, 2.2, 1.1};
    const auto na = shell.outwardNormal(a), nb = shell.outwardNormal(b);
    worstTurn = std::max(worstTurn, std::hypot(na[0] - nb[0], na[1] - nb[1], na[2] - nb[2]));
    Vec3 gradient;
    for (int d = 0; d < 3; ++d) {
      std::array<double, 3> plus = a, minus = a;
      plus[d] += 1e-4;
      minus[d] -= 1e-4;
      gradient[d] = (shell.signedDistance_mm(plus) - shell.signedDistance_mm(minus)) / 2e-4;
    }
    worstGradient =
        std::max(worstGradient, (gradient.normalized() - Vec3(na[0], na[1], na[2])).norm());
    EXPECT_LT(na[0], 0) << "the free side of the shell is towards its centre";
  }
  // 0.01 mm steps on a surface of radius ~8 mm smoothed over a voxel: well under 0.01 rad each.
  EXPECT_LT(worstTurn, 0.01);
  EXPECT_LT(worstGradient, 1e-5);
}

// smoothDistanceMap (the skull of brain shift): a plane's distance, linear in position, stays
// exact on an oblique anisotropic grid; a voxelised sphere's wall - a staircase whose radius
// varies by about a voxel from direction to direction - becomes round, and moves inwards by
// about sigma^2 / R (E|x + s| = r + sigma^2 / r for an isotropic Gaussian s).
TEST(Contact, SmoothedDistanceMapKeepsPlanesAndRoundsTheVoxelStaircase) {
  DistanceMap plane = tiltedPlaneMap({24, 20, 16}, Vec3::Zero());
  const ImageGeometry& g = plane.geometry;
  const Vec3& n = kTiltedNormal;
  smoothDistanceMap(plane, 1.5);
  const RigidObstacle flat =
      obstacleFromDistanceMap(plane, {}, "plane", DistanceInterpolation::CubicBSpline);
  for (const Vec3& ijk : {Vec3(11.3, 9.7, 7.1), Vec3(12.5, 10.5, 8.5), Vec3(10.9, 8.2, 7.9)}) {
    const Vec3 x = g.indexToLps(ijk);
    EXPECT_NEAR(flat.signedDistance_mm({x.x(), x.y(), x.z()}), n.dot(x) + 1, 1e-4);
  }
  EXPECT_THROW(smoothDistanceMap(plane, std::nan("")), Error);

  // A spherical cavity of radius 8 mm in 1 mm voxels; its wall's radius along 200 directions.
  const ImageGeometry s = cubeAroundOrigin(28);
  const double radius = 8;
  const std::vector<char> outside = outsideSphere(s, radius);
  const DistanceMap raw = regionDistanceMap(s, outside, "shell");
  DistanceMap smooth = raw;
  const double sigma = 1;
  smoothDistanceMap(smooth, sigma);
  struct Wall {
    double mean = 0, lowest = 1e9, highest = 0;
  };
  auto wall = [](const DistanceMap& map) {
    const RigidObstacle o =
        obstacleFromDistanceMap(map, {}, "shell", DistanceInterpolation::CubicBSpline);
    Wall w;
    const int directions = 200;
    for (int d = 0; d < directions; ++d) {  // a Fibonacci sphere of directions
      const double z = 1 - 2 * (d + 0.5) / directions, phi = 2.39996322972865332 * d;
      const Vec3 u(std::sqrt(1 - z * z) * std::cos(phi), std::sqrt(1 - z * z) * std::sin(phi), z);
      double inside = 4, beyond = 12;  // bisection on the zero of the distance along u
      for (int i = 0; i < 50; ++i) {
        const double r = (inside + beyond) / 2;
        (o.signedDistance_mm({r * u.x(), r * u.y(), r * u.z()}) > 0 ? inside : beyond) = r;
      }
      w.mean += inside / directions;
      w.lowest = std::min(w.lowest, inside);
      w.highest = std::max(w.highest, inside);
    }
    return w;
  };
  const Wall before = wall(raw), after = wall(smooth);
  std::printf(
      "sphere R 8 mm in 1 mm voxels: wall radius %.3f mm (%.3f-%.3f) as sampled, %.3f mm "
      "(%.3f-%.3f) smoothed by %.1f mm; sigma^2 / R = %.3f mm\n",
      before.mean, before.lowest, before.highest, after.mean, after.lowest, after.highest, sigma,
      sigma * sigma / radius);
  EXPECT_LT(after.highest - after.lowest, 0.5 * (before.highest - before.lowest));
  EXPECT_NEAR(before.mean - after.mean, sigma * sigma / radius, 0.05);
}

// staircaseDeparture (how far brain shift's smoothed skull lies from the labelmap's voxel
// faces): a plane 0.3 mm beyond the faces of a half-space region is 0.3 mm from every face; a
// voxelised sphere (R 8 mm, 1 mm voxels) smoothed by one voxel stays within half a voxel of its
// staircase, but smoothed by 3 mm it shrinks by about sigma^2 / R = 1.1 mm, and the measure says
// so; smoothing along one axis only leaves a map that varies along another unchanged.
TEST(Contact, StaircaseDepartureMeasuresHowFarASmoothedSurfaceMoved) {
  ImageGeometry g;
  g.size = {12, 10, 14};
  g.spacing_mm = Vec3(1, 1, 2);
  std::vector<char> below(g.voxelCount());
  for (std::int64_t k = 0; k < 14; ++k)
    for (std::int64_t j = 0; j < 10; ++j)
      for (std::int64_t i = 0; i < 12; ++i) below[g.linearIndex(i, j, k)] = k < 6;
  // The faces between k = 5 and k = 6 lie at z = 5.5 voxels = 11 mm; tissue above.
  const SurfaceDeparture shifted =
      staircaseDeparture(g, below, rigidPlane({0, 0, 11.3}, {0, 0, 1}, {}));
  EXPECT_EQ(shifted.faces, 12u * 10u);
  EXPECT_NEAR(shifted.largest_mm, 0.3, 1e-12);
  EXPECT_NEAR(shifted.rms_mm, 0.3, 1e-12);
  EXPECT_EQ(shifted.beyondHalfVoxel, 0u);  // 0.3 mm of a 2 mm voxel
  EXPECT_EQ(staircaseDeparture(g, below, rigidPlane({0, 0, 12.1}, {0, 0, 1}, {})).beyondHalfVoxel,
            12u * 10u);
  EXPECT_THROW(staircaseDeparture(g, std::vector<char>(5), rigidPlane({0, 0, 0}, {0, 0, 1}, {})),
               Error);

  const ImageGeometry s = cubeAroundOrigin(28);
  const std::vector<char> outside = outsideSphere(s, 8);
  const DistanceMap raw = regionDistanceMap(s, outside, "shell");
  auto departure = [&](double sigma_mm) {
    DistanceMap map = raw;
    smoothDistanceMap(map, Vec3::Constant(sigma_mm));
    return staircaseDeparture(
        s, outside, obstacleFromDistanceMap(map, {}, "shell", DistanceInterpolation::CubicBSpline));
  };
  const SurfaceDeparture voxel = departure(1), wide = departure(3);
  std::printf("sphere R 8 mm in 1 mm voxels, %zu faces: departure from the staircase %.3f mm "
              "(RMS %.3f) smoothed by 1 mm, %.3f mm (RMS %.3f) by 3 mm\n",
              voxel.faces, voxel.largest_mm, voxel.rms_mm, wide.largest_mm, wide.rms_mm);
  EXPECT_LE(voxel.largest_mm, 0.5);
  EXPECT_EQ(voxel.beyondHalfVoxel, 0u);
  EXPECT_GT(wide.rms_mm, 0.5);
  EXPECT_GT(wide.largest_mm, 1.0);

  // Smoothing along k only: a map that varies along i alone is unchanged.
  DistanceMap alongI{g, std::vector<float>(g.voxelCount())};
  for (std::int64_t k = 0; k < 14; ++k)
    for (std::int64_t j = 0; j < 10; ++j)
      for (std::int64_t i = 0; i < 12; ++i)
        alongI.distance_mm[g.linearIndex(i, j, k)] = static_cast<float>(i % 3);
  DistanceMap smoothed = alongI;
  smoothDistanceMap(smoothed, Vec3(0, 0, 4));
  EXPECT_EQ(smoothed.distance_mm, alongI.distance_mm);
  EXPECT_THROW(smoothDistanceMap(smoothed, Vec3(0, std::nan(""), 1)), Error);
}

// A quarter ball of radius about 5 mm (the 1 mm cells whose centres lie within 5 mm) (symmetry
// rollers on x = 0 and y = 0) in a rigid spherical shell that fits its outermost node, pushed 0.3
// mm down at its top pole: it must not leave the shell by more than the tolerance, it touches the
// shell's lower half, and the shell's force balances the force at the pole.
TEST(Contact, BallPushedIntoRigidSphericalShellStaysInside) {
  const std::array<double, 3> centre{0, 0, 6};
  FeModel box = boxModel({{6, 6, 12}, {6, 6, 12}}, "*BOUNDARY\nX0, 1, 1\nY0, 2, 2\n", false);
  // Whole 1 mm cells (their 6 tetrahedra) go or stay by their centre, so the ball is one solid:
  // no tetrahedron hangs on by an edge (a mechanism).
  const auto outside = elementsWithCentroidIn(box, [&](const std::array<double, 3>& x) {
    const double cx = std::floor(x[0]) + 0.5, cy = std::floor(x[1]) + 0.5,
                 cz = std::floor(x[2]) + 0.5;
    return std::hypot(cx - centre[0], cy - centre[1], cz - centre[2]) > 5;
  });
  FeModel ball = removeElements(box, outside).model;
  double radius = 0;
  std::size_t pole = 0;
  std::vector<std::size_t> all(ball.nodes.size());
  for (std::size_t n = 0; n < ball.nodes.size(); ++n) {
    const auto& x = ball.nodes[n].x_mm;
    radius = std::max(radius, std::hypot(x[0] - centre[0], x[1] - centre[1], x[2] - centre[2]));
    if (x[2] > ball.nodes[pole].x_mm[2]) pole = n;
    all[n] = n;
  }
  const double push = 0.3;
  ball.steps[0].boundaries.push_back({pole, 2, -push});
  ball.obstacles.push_back(rigidSphericalShell(centre, radius, all));
  const SolveResult r = solve(ball);
  double contactZ = 0;
  for (std::size_t n = 0; n < ball.nodes.size(); ++n) {
    contactZ += r.contactForce_N[n][2];
    if (r.contactForce_N[n][2] != 0) {
      EXPECT_LT(ball.nodes[n].x_mm[2], centre[2]) << n;
    }
  }
  std::printf("shell: %d nodes in contact, max penetration %.3g mm, contact %.6f N, pole %.6f N\n",
              r.contactNodes, r.maxPenetration_mm, contactZ, r.reaction_N[pole][2]);
  EXPECT_GT(r.contactNodes, 0);
  EXPECT_LT(r.maxPenetration_mm, 1e-3 * push);
  EXPECT_GT(contactZ, 0);
  EXPECT_NEAR(contactZ + r.reaction_N[pole][2], 0, 1e-6 * contactZ);
}

// The skull's distance map from a labelmap: a segment on an anisotropic grid (0.8 x 1 x 1.5 mm,
// an oblique direction) against brute force, the distance from each voxel centre to the nearest
// centre on the other side, less half the smallest spacing.
TEST(Contact, SkullDistanceMapMatchesBruteForce) {
  ImageGeometry g;
  g.size = {13, 11, 9};
  g.spacing_mm = Vec3(0.8, 1.0, 1.5);
  g.origin_lps = Vec3(-4, 2, 7);
  g.direction = Eigen::AngleAxisd(0.3, Vec3(1, 2, 3).normalized()).toRotationMatrix();
  LabelMap labels(g);
  const std::size_t skull = labels.addSegment({.name = "Skull", .tissueType = "bone"});
  const std::uint16_t value = labels.segments()[skull].value;
  for (std::int64_t k = 0; k < g.size[2]; ++k)
    for (std::int64_t j = 0; j < g.size[1]; ++j)
      for (std::int64_t i = 0; i < g.size[0]; ++i) {
        const double r = std::hypot((i - 6) * 0.8, (j - 5) * 1.0, (k - 4) * 1.5);
        if (r > 4.5 || (i == 2 && j == 9)) labels.layer(0)[g.linearIndex(i, j, k)] = value;
      }
  const DistanceMap map = skullDistanceMap(labels, skull);
  double worst = 0;
  for (std::int64_t k = 0; k < g.size[2]; ++k)
    for (std::int64_t j = 0; j < g.size[1]; ++j)
      for (std::int64_t i = 0; i < g.size[0]; ++i) {
        const bool in = labels.contains(skull, i, j, k);
        double nearest = 1e30;
        for (std::int64_t c = 0; c < g.size[2]; ++c)
          for (std::int64_t b = 0; b < g.size[1]; ++b)
            for (std::int64_t a = 0; a < g.size[0]; ++a)
              if (labels.contains(skull, a, b, c) != in)
                nearest =
                    std::min(nearest, std::hypot((a - i) * 0.8, (b - j) * 1.0, (c - k) * 1.5));
        const double expected = in ? -(nearest - 0.4) : nearest - 0.4;
        worst = std::max(worst, std::abs(map.distance_mm[g.linearIndex(i, j, k)] - expected));
      }
  EXPECT_LT(worst, 1e-5);
}

// The rigid plane as a labelmap's region (voxels below z = 0, 1 mm voxels whose faces lie on
// z = 0): the block scenario gives the exact uniaxial answer through skullDistanceMap.
TEST(Contact, LabelmapObstacleGivesTheUniaxialAnswer) {
  expectUniaxialOnPlane(
      [](std::vector<std::size_t> nodes) {
        ImageGeometry g;
        g.size = {16, 16, 12};
        g.origin_lps = Vec3(-2.5, -2.5, -3.5);
        LabelMap labels(g);
        const std::size_t below = labels.addSegment({.name = "Below"});
        for (std::int64_t k = 0; k < 4; ++k)
          for (std::int64_t v = 0; v < g.size[0] * g.size[1]; ++v)
            labels.layer(0)[static_cast<std::size_t>(k * g.size[0] * g.size[1] + v)] =
                labels.segments()[below].value;
        return obstacleFromDistanceMap(skullDistanceMap(labels, below), std::move(nodes));
      },
      false);
}

TEST(Contact, RefusesBadObstacles) {
  FeModel model = boxModel({{4, 4, 4}, {1, 1, 1}}, "*BOUNDARY\nZ0, 1, 3\n", false);
  model.obstacles.push_back(rigidPlane({0, 0, 0}, {0, 0, 1}, {model.nodes.size()}));
  EXPECT_THROW(solve(model), Error);
  DistanceMap tooFew;
  tooFew.geometry.size = {2, 2, 2};
  tooFew.distance_mm = {0.f};
  EXPECT_THROW(obstacleFromDistanceMap(tooFew, {}), Error);
  LabelMap labels(tooFew.geometry);
  const std::size_t empty = labels.addSegment({.name = "Skull"});
  EXPECT_THROW(skullDistanceMap(labels, empty), Error);
}

}  // namespace
}  // namespace twinplan::tissue
