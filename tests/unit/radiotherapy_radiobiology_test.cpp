// Radiobiology against closed forms (LQ BED/EQD2, Poisson TCP) and published tolerance data
// (Emami 1991 TD5 doses reproduced by the Burman 1991 LKB fits), with an independent
// numerical integral for the population TCP.
#include <gtest/gtest.h>

#include <cmath>

#include "twinplan/core/error.h"
#include "twinplan/radiotherapy/radiobiology.h"

namespace twinplan::radiotherapy {
namespace {

TEST(Radiobiology, BedAndEqd2OfConventionalAndHypofractionatedRegimens) {
  // 60 Gy in 30 fractions: BED = 60 (1 + 2/10) = 72 Gy, EQD2 = 60 Gy for alpha/beta 10; BED =
  // 60 (1 + 2/3) = 100 Gy, EQD2 = 60 Gy for alpha/beta 3 (2 Gy fractions are their own EQD2).
  const Regimen conventional{60.0, 30};
  EXPECT_NEAR(biologicallyEffectiveDose_Gy(conventional, 10.0), 72.0, 1e-12);
  EXPECT_NEAR(equivalentDoseIn2GyFractions_Gy(conventional, 10.0), 60.0, 1e-12);
  EXPECT_NEAR(biologicallyEffectiveDose_Gy(conventional, 3.0), 100.0, 1e-12);
  EXPECT_NEAR(equivalentDoseIn2GyFractions_Gy(conventional, 3.0), 60.0, 1e-12);
  // CHHiP prostate 60 Gy / 20 fractions at alpha/beta 1.5 Gy: BED 180 Gy, EQD2 77.14 Gy.
  EXPECT_NEAR(biologicallyEffectiveDose_Gy({60.0, 20}, 1.5), 180.0, 1e-12);
  EXPECT_NEAR(equivalentDoseIn2GyFractions_Gy({60.0, 20}, 1.5), 180.0 / (1 + 2 / 1.5), 1e-12);
  EXPECT_NEAR(equivalentDoseIn2GyFractions_Gy({60.0, 20}, 1.5), 77.142857, 1e-6);
  // START B breast 40 Gy / 15 fractions vs 50 Gy / 25 at alpha/beta 3.5 Gy: EQD2 44.85 Gy.
  EXPECT_NEAR(equivalentDoseIn2GyFractions_Gy({40.0, 15}, 3.5),
              40.0 * (1 + 40.0 / 15 / 3.5) / (1 + 2 / 3.5), 1e-12);
  EXPECT_NEAR(equivalentDoseIn2GyFractions_Gy({40.0, 15}, 3.5), 44.848485, 1e-6);
  // The same late effect as 60 Gy / 30 at alpha/beta 3 in 3 Gy fractions: 100 / (1 + 1) = 50 Gy.
  EXPECT_NEAR(isoeffectiveTotalDose_Gy(conventional, 3.0, 3.0), 50.0, 1e-12);
}

TEST(Radiobiology, RegimenComparisonIsRegimenMajor) {
  const Regimen regimens[] = {{60.0, 30}, {60.0, 20}};
  const TissueAlphaBeta tissues[] = {{"tumour", 10.0}, {"late", 3.0}};
  const std::vector<RegimenEffect> table = compareRegimens(regimens, tissues);
  ASSERT_EQ(table.size(), 4u);
  EXPECT_EQ(table[1].tissue, "late");
  EXPECT_NEAR(table[1].eqd2_Gy, 60.0, 1e-12);
  EXPECT_NEAR(table[2].eqd2_Gy, 60.0 * 1.3 / 1.2, 1e-12);  // 3 Gy fractions, alpha/beta 10
  EXPECT_NEAR(table[3].eqd2_Gy, 72.0, 1e-12);              // 3 Gy fractions, alpha/beta 3
}

TEST(Radiobiology, PoissonTcpWithoutSpreadIsTheClosedForm) {
  // 1 cm3 of 1e7 clonogens, 40 Gy in 20 fractions, alpha 0.35/Gy, alpha/beta 10 Gy: surviving
  // clonogens N = 1e7 exp(-0.35 * 40 * 1.2) = 0.5057, TCP = exp(-N) = 0.6031.
  TcpParameters p;
  p.alphaSigma_perGy = 0.0;
  const DoseVolumeBins uniform{{40.0}, {1.0}};
  const double survivors = 1e7 * std::exp(-0.35 * 40.0 * 1.2);
  EXPECT_NEAR(tumourControlProbability(uniform, 20, p), std::exp(-survivors), 1e-12);
  EXPECT_NEAR(tumourControlProbability(uniform, 20, p), 0.6031, 1e-4);
  // Two half-volumes: the control probabilities multiply.
  const DoseVolumeBins split{{40.0, 44.0}, {0.5, 0.5}};
  const double expected = std::exp(-0.5e7 * std::exp(-0.35 * 40.0 * 1.2)) *
                          std::exp(-0.5e7 * std::exp(-0.35 * 44.0 * (1 + 2.2 / 10)));
  EXPECT_NEAR(tumourControlProbability(split, 20, p), expected, 1e-12);
}

TEST(Radiobiology, PopulationTcpMatchesAnIndependentIntegral) {
  // Webb & Nahum 1993's spread of alpha (0.35 +- 0.08 /Gy) on a 10 cm3 tumour at 60 Gy / 30:
  // a 200001-point trapezoid integral of the normal density times TCP(alpha).
  const TcpParameters p;  // the defaults are Webb & Nahum's
  const DoseVolumeBins tumour{{60.0}, {10.0}};
  double weighted = 0.0, weights = 0.0;
  const int steps = 200000;
  for (int s = 0; s <= steps; ++s) {
    const double alpha = 1.0 * s / steps;  // 0 .. 1 /Gy
    const double w =
        (s == 0 || s == steps ? 0.5 : 1.0) * std::exp(-0.5 * std::pow((alpha - 0.35) / 0.08, 2));
    weighted += w * std::exp(-1e8 * std::exp(-alpha * 60.0 * 1.2));
    weights += w;
  }
  const double tcp = tumourControlProbability(tumour, 30, p);
  EXPECT_NEAR(tcp, weighted / weights, 2e-4);
  // The spread flattens the curve: the patient with mean alpha is controlled with TCP ~ 1.
  TcpParameters noSpread = p;
  noSpread.alphaSigma_perGy = 0.0;
  EXPECT_GT(tumourControlProbability(tumour, 30, noSpread), 0.99);
  EXPECT_LT(tcp, 0.9);
}

TEST(Radiobiology, LkbReproducesEmamiTolerancesThroughBurmansFits) {
  // Burman 1991 fitted TD50, m, n to Emami 1991's TD5/TD50: whole-organ TD5 doses (lung 17.5,
  // rectum 60, liver 30, heart 40, brainstem 50 Gy) must give NTCP near 5 %, TD50 gives 50 %.
  const RadiobiologyTable& table = radiobiologyTable();
  const std::pair<const char*, double> td5[] = {{"lung-pneumonitis-burman1991", 17.5},
                                                {"rectum-burman1991", 60.0},
                                                {"liver-burman1991", 30.0},
                                                {"heart-burman1991", 40.0},
                                                {"brainstem-burman1991", 50.0}};
  for (const auto& [id, dose] : td5) {
    const LkbParameters& lkb = table.ntcpOf(id).parameters;
    EXPECT_NEAR(normalTissueComplicationProbability({{dose}, {1.0}}, lkb), 0.05, 0.01) << id;
    EXPECT_NEAR(normalTissueComplicationProbability({{lkb.td50_Gy}, {1.0}}, lkb), 0.5, 1e-12);
  }
  // Partial volume: Emami's lung TD5(1/3) = 45 Gy; gEUD = 45 * 3^-0.87 = 17.29 Gy -> 5.1 %.
  const LkbParameters& lung = table.ntcpOf("lung-pneumonitis-burman1991").parameters;
  const DoseVolumeBins third{{45.0, 0.0}, {1.0, 2.0}};
  EXPECT_NEAR(generalisedEud_Gy(third, 0.87), 45.0 * std::pow(3.0, -0.87), 1e-9);
  EXPECT_NEAR(normalTissueComplicationProbability(third, lung), 0.051, 0.002);
}

TEST(Radiobiology, GeneralisedEudClosedForms) {
  const DoseVolumeBins halves{{20.0, 40.0}, {5.0, 5.0}};
  EXPECT_NEAR(generalisedEud_Gy(halves, 1.0), 30.0, 1e-12);                     // mean dose
  EXPECT_NEAR(generalisedEud_Gy(halves, 0.5), std::sqrt(200.0 + 800.0), 1e-9);  // RMS
  EXPECT_NEAR(generalisedEud_Gy(halves, 0.01), 40.0, 0.3);  // serial organ -> max dose
  // QUANTEC rectum at its TD50 and 60 Gy / 20 converted to EQD2 for alpha/beta 3: 72 Gy.
  const RadiobiologyTable& table = radiobiologyTable();
  EXPECT_NEAR(normalTissueComplicationProbability({{76.9}, {1.0}},
                                                  table.ntcpOf("rectum-quantec").parameters),
              0.5, 1e-12);
  EXPECT_NEAR(toEqd2({{60.0}, {1.0}}, 20, 3.0).dose_Gy[0], 72.0, 1e-12);
}

TEST(Radiobiology, TableIsCitedAndUnknownIdsAreNamed) {
  const RadiobiologyTable& table = radiobiologyTable();
  EXPECT_EQ(table.alphaBetaOf("prostate").alphaBeta_Gy, 1.5);
  EXPECT_EQ(table.alphaBetaOf("prostate").source, "brenner1999");
  EXPECT_EQ(table.alphaBetaOf("late").alphaBeta_Gy, 3.0);
  EXPECT_EQ(table.tcpOf("webb-nahum-1993").parameters.alphaMean_perGy, 0.35);
  try {
    table.alphaBetaOf("spleen");
    ADD_FAILURE() << "unknown tissue accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::NotFound);
    EXPECT_NE(std::string(e.what()).find("prostate"), std::string::npos) << e.what();
  }
  EXPECT_THROW(biologicallyEffectiveDose_Gy({60.0, 0}, 3.0), Error);
  EXPECT_THROW(biologicallyEffectiveDose_Gy({60.0, 30}, 0.0), Error);
  EXPECT_THROW(normalTissueComplicationProbability({{10.0}, {}}, {24.5, 0.18, 0.87}), Error);
}

}  // namespace
}  // namespace twinplan::radiotherapy
