#pragma once
// A rigid ball pressed into an elastic block, for the Hertz checks of the exact (active-set)
// frictionless contact (tests/unit/tissue_hertz_contact_test.cpp, tests/slow/
// tissue_hertz_refinement_test.cpp; docs/validation.md). Hertz (Johnson, Contact Mechanics,
// 1985, section 4.2, eqs. 4.22-4.23), with E* = E / (1 - nu^2) for a rigid indenter:
//   contact radius a = (3 F R / (4 E*))^(1/3),
//   approach delta = a^2 / R = (9 F^2 / (16 R E*^2))^(1/3).
// The block is finite (6 mm wide and deep, 6-8 contact radii) and held at its base: the base's
// approach is Hertz's less the half-space's compliance below the base, linear in F (delta =
// alpha F^(2/3) + C F, C < 0; the far field of the contact pressure depends on its resultant
// only, to O((a/H)^2)), so two indentations give alpha and C, and alpha is compared with
// Hertz's. The contact radius is local and compared directly, against the bracket between the
// last node in contact and the first one free. Quarter model (symmetry rollers on x = 0 and
// y = 0), C3D4, linear elasticity, the mesh graded from the contact outwards.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numbers>
#include <sstream>
#include <vector>

#include "twinplan/tissue/box_mesh.h"
#include "twinplan/tissue/fem_solver.h"
#include "twinplan/tissue/inp_reader.h"

namespace twinplan::test::hertz {

using namespace twinplan::tissue;

constexpr double kRadius_mm = 10, kE_MPa = 1, kNu = 0.3;
constexpr double kSize_mm = 6;    // block width (quarter) and depth
constexpr double kFine_mm = 1.4;  // uniform cells up to here from the contact, then graded

inline double effectiveModulus() { return kE_MPa / (1 - kNu * kNu); }

// Node positions along one axis: cells of `cell_mm` to kFine_mm, then each 1.5 x the last, the
// last stretched or shrunk to end at kSize_mm.
inline std::vector<double> gradedAxis(double cell_mm) {
  std::vector<double> x{0};
  while (x.back() < kFine_mm - 1e-9) x.push_back(x.back() + cell_mm);
  double step = cell_mm;
  while (x.back() + 1.5 * step < kSize_mm) x.push_back(x.back() + (step *= 1.5));
  if (kSize_mm - x.back() < 0.5 * step) x.pop_back();
  x.push_back(kSize_mm);
  return x;
}

// A rigid ball touching the block's top face (z = 0) at the origin from above: the tissue stays
// outside it.
inline RigidObstacle rigidBall(std::vector<std::size_t> nodes) {
  RigidObstacle o;
  o.name = "ball";
  const std::array<double, 3> c{0, 0, kRadius_mm};
  o.signedDistance_mm = [c](const std::array<double, 3>& x) {
    return std::hypot(x[0] - c[0], x[1] - c[1], x[2] - c[2]) - kRadius_mm;
  };
  o.outwardNormal = [c](const std::array<double, 3>& x) {
    const double r = std::hypot(x[0] - c[0], x[1] - c[1], x[2] - c[2]);
    return std::array<double, 3>{(x[0] - c[0]) / r, (x[1] - c[1]) / r, (x[2] - c[2]) / r};
  };
  o.nodes = std::move(nodes);
  o.enforcement = ContactEnforcement::ActiveSet;
  return o;
}

struct Indentation {
  double force_N = 0;           // the whole ball's (4 x the quarter's)
  double lastInContact_mm = 0;  // radius of the outermost node in contact on y = 0
  double firstFree_mm = 0;      // and of the next node out
  double penetration_mm = 0;
  std::size_t nodes = 0;
};

// The block [0, S]^2 x [-S, 0] on the graded lattice, its base pushed up by delta_mm into the
// ball.
inline FeModel indentationModel(double cell_mm, double delta_mm) {
  const std::vector<double> axis = gradedAxis(cell_mm);
  const int cells = static_cast<int>(axis.size()) - 1;
  std::ostringstream deck;
  deck << boxMeshDeck({{double(cells), double(cells), double(cells)},
                       {cells, cells, cells},
                       ElementType::C3D4,
                       0})
       << "*MATERIAL, NAME=M\n*ELASTIC\n"
       << kE_MPa << ", " << kNu
       << "\n*SOLID SECTION, ELSET=EALL, MATERIAL=M\n*BOUNDARY\nX0, 1, 1\nY0, 2, 2\n"
          "*STEP\n*STATIC\n*BOUNDARY\nZ0, 3, 3, "
       << delta_mm << "\n*END STEP\n";
  FeModel model = parseInp(deck.str(), "hertz.inp");
  // Unit lattice -> graded block; z from -S (index 0) to 0 (index cells), fine near the top.
  for (Node& n : model.nodes) {
    const auto index = [](double v) { return static_cast<std::size_t>(std::lround(v)); };
    n.x_mm = {axis[index(n.x_mm[0])], axis[index(n.x_mm[1])],
              -axis[static_cast<std::size_t>(cells) - index(n.x_mm[2])]};
  }
  model.obstacles.push_back(rigidBall(model.nodeSets.at("Z1")));
  return model;
}

inline Indentation indent(double cell_mm, double delta_mm) {
  const FeModel model = indentationModel(cell_mm, delta_mm);
  const SolveResult r = solve(model);

  Indentation out;
  out.nodes = model.nodes.size();
  out.penetration_mm = r.maxPenetration_mm;
  out.firstFree_mm = kSize_mm;
  for (std::size_t n : model.nodeSets.at("Z1")) {
    out.force_N += 4 * r.contactForce_N[n][2];
    const auto& x = model.nodes[n].x_mm;
    if (std::abs(x[1]) > 1e-12) continue;
    const bool touching = std::abs(r.contactForce_N[n][2]) > 0;
    if (touching) out.lastInContact_mm = std::max(out.lastInContact_mm, x[0]);
  }
  for (std::size_t n : model.nodeSets.at("Z1")) {
    const auto& x = model.nodes[n].x_mm;
    if (std::abs(x[1]) < 1e-12 && x[0] > out.lastInContact_mm + 1e-12)
      out.firstFree_mm = std::min(out.firstFree_mm, x[0]);
  }
  out.force_N = std::abs(out.force_N);
  return out;
}

struct HertzCheck {
  double alphaRatio = 0;  // fitted alpha / Hertz's
  double compliance_mm_per_N = 0;
  std::vector<double> radiusError;  // |a_Hertz - bracket midpoint| / a_Hertz, per depth
};

inline HertzCheck check(double cell_mm) {
  const double depths[2] = {0.05, 0.1};  // a = 0.71 and 1.0 mm
  Indentation run[2];
  HertzCheck c;
  for (int i = 0; i < 2; ++i) {
    run[i] = indent(cell_mm, depths[i]);
    const double a = std::cbrt(3 * run[i].force_N * kRadius_mm / (4 * effectiveModulus()));
    const double middle = (run[i].lastInContact_mm + run[i].firstFree_mm) / 2;
    c.radiusError.push_back(std::abs(middle - a) / a);
    std::printf(
        "Hertz, cells %.2f mm (%zu nodes), depth %.3f mm: force %.6g N, contact between %.4f "
        "and %.4f mm, Hertz a(F) %.4f mm; penetration %.2g mm\n",
        cell_mm, run[i].nodes, depths[i], run[i].force_N, run[i].lastInContact_mm,
        run[i].firstFree_mm, a, run[i].penetration_mm);
    EXPECT_LT(run[i].penetration_mm, 1e-6);
    // a lies in the bracket the nodes give (one cell wide).
    EXPECT_GE(a, run[i].lastInContact_mm - 1e-9);
    EXPECT_LE(a, run[i].firstFree_mm + 1e-9);
  }
  // delta_i = alpha F_i^(2/3) + C F_i for both depths.
  const double f0 = run[0].force_N, f1 = run[1].force_N;
  const double p0 = std::pow(f0, 2.0 / 3), p1 = std::pow(f1, 2.0 / 3);
  const double det = p0 * f1 - p1 * f0;
  const double alpha = (depths[0] * f1 - depths[1] * f0) / det;
  c.compliance_mm_per_N = (p0 * depths[1] - p1 * depths[0]) / det;
  const double hertzAlpha =
      std::cbrt(9 / (16 * kRadius_mm * effectiveModulus() * effectiveModulus()));
  c.alphaRatio = alpha / hertzAlpha;
  std::printf(
      "Hertz, cells %.2f mm: approach coefficient %.5f of Hertz's, block compliance "
      "%.4g mm/N\n",
      cell_mm, c.alphaRatio, c.compliance_mm_per_N);
  return c;
}

// Boussinesq's point load on a half-space moves the point at depth z under it by
// F (1 + nu)(3 - 2 nu) / (2 pi E z) (Johnson 1985, section 3.2): the compliance the held base
// at depth S removes, an upper bound of |C| (the block's free sides give some back).
inline double boussinesqCompliance_mm_per_N() {
  return (1 + kNu) * (3 - 2 * kNu) / (2 * std::numbers::pi * kE_MPa * kSize_mm);
}

}  // namespace twinplan::test::hertz
