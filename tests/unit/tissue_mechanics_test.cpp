// The per-tissue mechanical table (tissue_mechanics.h, resources/tissues/mechanics.json)
// against its published sources, the thermal table's densities, and the solver's material law.
#include "twinplan/tissue/tissue_mechanics.h"

#include <gtest/gtest.h>

#include <Eigen/Core>

#include "twinplan/ablation/tissue_library.h"
#include "twinplan/core/error.h"
#include "twinplan/tissue/material_law.h"

namespace twinplan::tissue {
namespace {

// Budday et al. 2015 (J Mech Behav Biomed Mater 46:318) report indentation moduli E of 1.389
// kPa (grey) and 1.895 kPa (white) for an incompressible solid, so mu = E / 3.
TEST(TissueMechanics, BrainMattersFollowBudday2015) {
  EXPECT_NEAR(tissueMechanics("grey-matter").shearModulus_kPa, 1.389 / 3, 1e-3);
  EXPECT_NEAR(tissueMechanics("white-matter").shearModulus_kPa, 1.895 / 3, 1e-3);
  EXPECT_NE(tissueMechanics("grey-matter").shearModulusSource.find("Budday"), std::string::npos);
}

// Bennion et al. 2022 identified mu 670 Pa and bulk modulus 148 kPa in vivo: the table's
// Poisson's ratio must give that bulk modulus back.
TEST(TissueMechanics, InVivoBrainBulkModulusFromPoissonsRatio) {
  const TissueMechanics& brain = tissueMechanics("brain");
  EXPECT_DOUBLE_EQ(brain.shearModulus_kPa, 0.67);
  EXPECT_NEAR(brain.bulkModulus_kPa(), 148, 0.01 * 148);
}

TEST(TissueMechanics, DensitiesMatchTheThermalTable) {
  for (const char* id : {"grey-matter", "white-matter", "csf", "liver"})
    EXPECT_DOUBLE_EQ(tissueMechanics(id).density_kg_m3,
                     ablation::tissueLibrary().at(id).density_kg_m3)
        << id;
}

// Soft solids are nearly incompressible: 0.45 <= nu < 0.5 for every solid tissue; CSF is the
// stated exception (a very soft compressible stand-in for a fluid that drains).
TEST(TissueMechanics, PoissonsRatiosOfSolidTissues) {
  for (const TissueMechanics& t : tissueMechanicsTable()) {
    EXPECT_LT(t.poissonsRatio, 0.5) << t.id;
    if (t.id != "csf") {
      EXPECT_GE(t.poissonsRatio, 0.45) << t.id;
    }
  }
  EXPECT_LT(tissueMechanics("csf").shearModulus_kPa,
            0.01 * tissueMechanics("brain").shearModulus_kPa);
}

// Both materials have the table's moduli in the solver's units (MPa), and neo-Hooke's response
// to a small strain is the linear one (Abaqus Theory Manual 4.6.1: mu = 2 C10, K = 2 / D1).
TEST(TissueMechanics, MaterialsInSolverUnits) {
  for (const TissueMechanics& t : tissueMechanicsTable()) {
    const Material linear = t.linearElastic(), neo = t.neoHooke();
    EXPECT_NEAR(linear.shearModulus(), 1e-3 * t.shearModulus_kPa, 1e-12) << t.id;
    EXPECT_NEAR(neo.shearModulus(), 1e-3 * t.shearModulus_kPa, 1e-12) << t.id;
    EXPECT_NEAR(neo.bulkModulus() / linear.bulkModulus(), 1, 1e-12) << t.id;
    EXPECT_DOUBLE_EQ(neo.density_t_per_mm3, t.density_kg_m3 * 1e-12);
    Eigen::Matrix3d F = Eigen::Matrix3d::Identity();
    F(0, 1) = 1e-6, F(2, 2) += 2e-6;
    const Eigen::Matrix3d small = materialResponse(linear, F, false).secondPiolaKirchhoff_MPa;
    const Eigen::Matrix3d finite = materialResponse(neo, F, true).secondPiolaKirchhoff_MPa;
    EXPECT_LT((small - finite).norm(), 1e-4 * small.norm()) << t.id;
  }
}

TEST(TissueMechanics, UnknownTissueNamesTheKnownOnes) {
  try {
    tissueMechanics("spleen");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::NotFound);
    EXPECT_NE(std::string(e.what()).find("grey-matter"), std::string::npos);
  }
}

}  // namespace
}  // namespace twinplan::tissue
