// Surface traction as a load of its own (simulation/tissue/surface_traction.h, issue #18 item 2):
// a bar under a uniform end traction against sigma / E, any uniform stress reproduced exactly
// when its traction sigma n acts on every face, the consistent nodal forces adding up to the
// traction times the area, and clear errors for a patch that misses the surface.
#include <gtest/gtest.h>

#include <Eigen/Core>
#include <Eigen/Geometry>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include "twinplan/core/error.h"
#include "twinplan/tissue/box_mesh.h"
#include "twinplan/tissue/fem_solver.h"
#include "twinplan/tissue/inp_reader.h"
#include "twinplan/tissue/surface_traction.h"

namespace twinplan::tissue {
namespace {

constexpr double kE_MPa = 0.005, kNu = 0.45;  // liver-like (only the ratios matter here)

FeModel boxModel(const BoxMeshSpec& spec, const std::string& boundary) {
  return parseInp(boxMeshDeck(spec) +
                      "*MATERIAL, NAME=TISSUE\n*ELASTIC\n0.005, 0.45\n"
                      "*SOLID SECTION, ELSET=EALL, MATERIAL=TISSUE\n" +
                      boundary + "*STEP\n*STATIC\n*END STEP\n",
                  "box.inp");
}

SurfaceRegion beyondX(double x_mm) {
  return [x_mm](const std::array<double, 3>& p) { return p[0] > x_mm; };
}

// A bar 40 x 10 x 10 mm on rollers at x = 0, y = 0, z = 0, pulled by 200 Pa along x on its end:
// uniaxial stress, u_x = sigma x / E and u_y = -nu sigma y / E everywhere (exact for both
// element types: the field is linear).
void expectBarStretchesBySigmaOverE(ElementType type) {
  const BoxMeshSpec spec{{40, 10, 10}, {4, 2, 2}, type, 0};
  FeModel m = boxModel(spec, "*BOUNDARY\nX0, 1\nY0, 2\nZ0, 3\n");
  const std::vector<BoundaryFace> end = boundaryFaces(m, {}, beyondX(40 - 1e-9));
  EXPECT_EQ(end.size(), 8u);  // 2 x 2 cells, two triangles each
  const double sigma_Pa = 200, sigma_MPa = sigma_Pa * 1e-6;
  m.steps[0].tractions = surfaceTraction(end, {sigma_Pa, 0, 0}, "the bar's end");
  const SolveResult r = solve(m);
  double largest = 0;
  for (std::size_t i = 0; i < m.nodes.size(); ++i) {
    const auto& x = m.nodes[i].x_mm;
    EXPECT_NEAR(r.displacement_mm[i][0], sigma_MPa * x[0] / kE_MPa, 1e-10);
    EXPECT_NEAR(r.displacement_mm[i][1], -kNu * sigma_MPa * x[1] / kE_MPa, 1e-10);
    EXPECT_NEAR(r.displacement_mm[i][2], -kNu * sigma_MPa * x[2] / kE_MPa, 1e-10);
    largest = std::max(largest, r.displacement_mm[i][0]);
  }
  EXPECT_NEAR(largest, 1.6, 1e-10);  // 200 Pa * 40 mm / 5 kPa
}

TEST(SurfaceTraction, UniformEndTractionStretchesABarBySigmaOverEC3D4) {
  expectBarStretchesBySigmaOverE(ElementType::C3D4);
}

TEST(SurfaceTraction, UniformEndTractionStretchesABarBySigmaOverEC3D10) {
  expectBarStretchesBySigmaOverE(ElementType::C3D10);
}

// Patch test with tractions: a uniform stress sigma (shear included) in equilibrium needs
// t = sigma n on each face of the body; the solution is the uniform strain eps = C^-1 sigma,
// u = eps x (the rigid motions held by 6 prescribed components of that same field). Exact on
// distorted elements, for both types.
void expectUniformStressReproduced(ElementType type) {
  const BoxMeshSpec spec{{20, 16, 12}, {3, 2, 2}, type, 1.5};
  const Eigen::Matrix3d sigma_Pa =
      (Eigen::Matrix3d() << 150, 40, -25, 40, -80, 30, -25, 30, 60).finished();
  const double mu = kE_MPa / (2 * (1 + kNu)), lambda = kE_MPa * kNu / ((1 + kNu) * (1 - 2 * kNu));
  const Eigen::Matrix3d sigma = sigma_Pa * 1e-6;
  const Eigen::Matrix3d eps =
      (sigma - lambda / (2 * mu + 3 * lambda) * sigma.trace() * Eigen::Matrix3d::Identity()) /
      (2 * mu);
  const auto u = [&](const std::array<double, 3>& x) -> Eigen::Vector3d {
    return eps * Eigen::Vector3d(x.data());
  };
  FeModel m = boxModel(spec, "");
  // The corners (0,0,0), (20,0,0) and (0,16,0) hold the rigid motions.
  const auto nodeAt = [&m](const std::array<double, 3>& x) {
    for (std::size_t i = 0; i < m.nodes.size(); ++i)
      if (m.nodes[i].x_mm == x) return i;
    throw std::runtime_error("no node there");
  };
  const std::size_t origin = nodeAt({0, 0, 0}), alongX = nodeAt({20, 0, 0}),
                    alongY = nodeAt({0, 16, 0});
  for (int d = 0; d < 3; ++d) m.fixedBoundaries.push_back({origin, d, 0});
  m.fixedBoundaries.push_back({alongX, 1, u(m.nodes[alongX].x_mm)[1]});
  m.fixedBoundaries.push_back({alongX, 2, u(m.nodes[alongX].x_mm)[2]});
  m.fixedBoundaries.push_back({alongY, 2, u(m.nodes[alongY].x_mm)[2]});
  for (const BoundaryFace& f : boundaryFaces(m)) {
    Eigen::Vector3d x[3];
    for (int c = 0; c < 3; ++c) x[c] = Eigen::Vector3d(m.nodes[f.nodes[c]].x_mm.data());
    const Eigen::Vector3d outward = -(x[1] - x[0]).cross(x[2] - x[0]).normalized();
    const Eigen::Vector3d t = sigma_Pa * outward;
    for (const FaceTraction& load : surfaceTraction({f}, {t[0], t[1], t[2]}, "a box face"))
      m.steps[0].tractions.push_back(load);
  }
  const SolveResult r = solve(m);
  for (std::size_t i = 0; i < m.nodes.size(); ++i) {
    const Eigen::Vector3d exact = u(m.nodes[i].x_mm);
    for (int d = 0; d < 3; ++d) EXPECT_NEAR(r.displacement_mm[i][d], exact[d], 1e-9) << i;
  }
}

TEST(SurfaceTraction, AnyUniformStressIsReproducedExactlyC3D4) {
  expectUniformStressReproduced(ElementType::C3D4);
}

TEST(SurfaceTraction, AnyUniformStressIsReproducedExactlyC3D10) {
  expectUniformStressReproduced(ElementType::C3D10);
}

// The consistent forces of an oblique traction add up to t A; on C3D10 faces the corners carry
// none and the mid-side nodes a third of each face (the quadratic shape functions' integrals).
TEST(SurfaceTraction, ConsistentForcesAddUpToTractionTimesArea) {
  const BoxMeshSpec spec{{30, 12, 8}, {3, 2, 2}, ElementType::C3D10, 0};
  const FeModel m = boxModel(spec, "");
  const std::vector<BoundaryFace> top =
      boundaryFaces(m, {}, [](const std::array<double, 3>& p) { return p[2] > 8 - 1e-9; });
  EXPECT_NEAR(faceArea_mm2(m, top), 30 * 12, 1e-9);
  const std::vector<FaceTraction> t = surfaceTraction(top, {300, -120, 50}, "the top");
  Eigen::Vector3d total = Eigen::Vector3d::Zero();
  for (const NodalForce& f : consistentNodalForces(m, t)) {
    total[f.dof] += f.force_N;
    const auto& x = m.nodes[f.node].x_mm;
    const bool corner = std::fmod(x[0], 10) == 0 && std::fmod(x[1], 6) == 0;
    EXPECT_FALSE(corner) << "node " << m.nodes[f.node].id;
  }
  // 360 mm^2 x (300, -120, 50) Pa x 1e-6 N/mm^2 per Pa.
  EXPECT_NEAR(total[0], 0.108, 1e-15);
  EXPECT_NEAR(total[1], -0.0432, 1e-15);
  EXPECT_NEAR(total[2], 0.018, 1e-15);
  // The *CLOAD form reads back into the same forces.
  const FeModel back = parseInp(
      boxMeshDeck(spec) + "*STEP\n*STATIC\n" + tractionAsCload(m, t) + "*END STEP\n", "cload.inp");
  Eigen::Vector3d readTotal = Eigen::Vector3d::Zero();
  for (const NodalForce& f : back.steps[0].nodalForces) readTotal[f.dof] += f.force_N;
  EXPECT_NEAR((readTotal - total).norm(), 0, 1e-15);
}

TEST(SurfaceTraction, AFaceOfASetsInterfaceIsOnItsBoundary) {
  // Two halves of a box as two element sets: the half x < 10 has its own outer faces plus the
  // interface at x = 10, which the whole box does not have.
  const BoxMeshSpec spec{{20, 10, 10}, {2, 1, 1}, ElementType::C3D4, 0};
  const FeModel m = boxModel(spec, "");
  std::vector<std::size_t> left;
  for (std::size_t e = 0; e < m.elements.size(); ++e) {
    double cx = 0;
    for (std::size_t n : m.elements[e].nodes) cx += m.nodes[n].x_mm[0] / 4;
    if (cx < 10) left.push_back(e);
  }
  const auto atInterface = [](const std::array<double, 3>& p) {
    return std::abs(p[0] - 10) < 1e-9;
  };
  EXPECT_EQ(boundaryFaces(m, left, atInterface).size(), 2u);
  EXPECT_EQ(boundaryFaces(m, {}, atInterface).size(), 0u);
  EXPECT_NEAR(faceArea_mm2(m, boundaryFaces(m, left, atInterface)), 100, 1e-12);
}

TEST(SurfaceTraction, ABadPatchIsRefusedSayingWhere) {
  const FeModel m = boxModel({{10, 10, 10}, {1, 1, 1}, ElementType::C3D4, 0}, "");
  try {
    surfaceTraction(boundaryFaces(m, {}, beyondX(50)), {1, 0, 0}, "the retractor blade");
    FAIL() << "an empty patch was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::InvalidInput);
    EXPECT_NE(std::string(e.what()).find("No surface face lies in the retractor blade"),
              std::string::npos)
        << e.what();
  }
  EXPECT_THROW(surfaceTraction(boundaryFaces(m), {std::nan(""), 0, 0}, "the top"), Error);
  EXPECT_THROW(facesById(m, {{99, 1}}), Error);
  EXPECT_THROW(facesById(m, {{1, 5}}), Error);
  EXPECT_EQ(facesById(m, {{1, 2}}).size(), 1u);
  // Abaqus' traction vector on *DLOAD: CalculiX refuses it, and so do we, pointing to *CLOAD.
  try {
    parseInp(boxMeshDeck({{10, 10, 10}, {1, 1, 1}, ElementType::C3D4, 0}) +
                 "*STEP\n*STATIC\n*DLOAD\n1, TRVEC1, 1.0, 1, 0, 0\n*END STEP\n",
             "trvec.inp");
    FAIL() << "TRVEC was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Unsupported);
    EXPECT_NE(std::string(e.what()).find("*CLOAD"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace twinplan::tissue
