// The tissue table, HU classes and vessel flow model compiled into the ablation module
// (simulation/ablation/tissue_library.h, resources/tissues/*.json).
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "twinplan/ablation/bioheat.h"
#include "twinplan/ablation/fixed_power_source.h"
#include "twinplan/ablation/tissue_library.h"
#include "twinplan/core/error.h"
#include "twinplan/segmentation/terminology.h"

namespace twinplan::ablation {
namespace {

constexpr double kGasConstant_J_molK = 8.314462618;  // CODATA 2018

// A one-tissue table with every field cited, for the error tests to break one field at a time.
std::string oneTissueTable(const std::string& dropField = "", const std::string& source = "s",
                           double waterContent = 0.5) {
  const char* fields[] = {"density_kg_m3",
                          "heatCapacity_J_kgK",
                          "thermalConductivity_W_mK",
                          "thermalConductivityCoefficient_per_K",
                          "bloodPerfusion_ml_min_kg",
                          "electricalConductivity_S_m",
                          "electricalConductivityCoefficient_per_K",
                          "relativePermittivity_915MHz",
                          "electricalConductivity_915MHz_S_m",
                          "relativePermittivity_2450MHz",
                          "electricalConductivity_2450MHz_S_m",
                          "arrheniusFrequencyFactor_per_s",
                          "arrheniusActivationEnergy_J_mol",
                          "waterContent_kg_kg"};
  std::string tissue = R"({"id": "liver", "name": "Liver", "isBlood": false)";
  for (const std::string f : fields)
    if (f != dropField)
      tissue += ", \"" + f + "\": {\"value\": " +
                std::to_string(f == "waterContent_kg_kg" ? waterContent : 1.5) +
                R"(, "source": ")" + source + "\"}";
  return R"({"references": {"s": "a book"}, "tissues": [)" + tissue + "}]}";
}

TEST(TissueLibrary, EveryTissueTypeThePresetsAndPhantomsSetIsKnown) {
  // "body" is the outline of the whole patient, not a tissue: its voxels take the HU class.
  for (const std::string& key : segmentation::knownTissueTypes()) {
    if (key == "body") continue;
    EXPECT_NE(tissueLibrary().find(key), nullptr) << key;
  }
  for (const char* key :
       {"airway", "tumour", "blood", "fat", "muscle", "bone", "lung", "kidney", "gallbladder",
        "bile", "bowel", "skin", "soft-tissue", "grey-matter", "white-matter", "hcc", "metastasis"})
    EXPECT_NE(tissueLibrary().find(key), nullptr) << key;
  EXPECT_EQ(tissueLibrary().find("body"), nullptr);
}

TEST(TissueLibrary, AliasesResolveToTheirTissue) {
  EXPECT_EQ(tissueLibrary().at("vessel").id, "blood");
  EXPECT_TRUE(tissueLibrary().at("vessel").isBlood);
  EXPECT_EQ(tissueLibrary().at("skull").id, "bone-cortical");
  EXPECT_EQ(tissueLibrary().at("metastasis").id, "tumour");
  EXPECT_FALSE(tissueLibrary().at("liver").isBlood);
}

TEST(TissueLibrary, LiverHasTheItisValuesAndPerfusionInPerSecond) {
  const TissueProperties& liver = tissueLibrary().at("liver");
  EXPECT_DOUBLE_EQ(liver.density_kg_m3, 1079.0);
  EXPECT_DOUBLE_EQ(liver.heatCapacity_J_kgK, 3540.0);
  EXPECT_DOUBLE_EQ(liver.thermalConductivity_W_mK, 0.52);
  // IT'IS gives 860 ml/min/kg: w = 860e-6 m3/kg/min * 1079 kg/m3 / 60 s/min = 0.015466 1/s.
  EXPECT_NEAR(liver.perfusion_per_s, 0.0154663, 1e-6);
  EXPECT_DOUBLE_EQ(liver.electricalConductivity_S_m, 0.333);
  EXPECT_DOUBLE_EQ(liver.electricalConductivityCoefficient_per_K, 0.015);
}

// The table's liver perfusion acts in the bioheat solver at its full size (issue #17 item 4: a
// perfusion that made no difference to a zone was the red flag): a plane held 10 K above
// arterial temperature in the table's liver, steady state, perfusion never shut down. The rise
// must fall as exp(-x / L) with the Pennes length L = sqrt(k / (w rho_b c_b)) =
// sqrt(0.52 / (0.0154663 x 1050 x 3617)) = 2.976 mm (closed form of the 1D Pennes equation;
// the 7-point scheme's own solution is lambda^n, lambda + 1/lambda = 2 + (h / L)^2). With the
// perfusion ignored, or off by the factor 60 of a min/s slip, the rise 6 mm out would be about
// 10 K (conduction alone, far from the box's faces) or 7.7 K instead of 1.33 K.
TEST(TissueLibrary, LiverPerfusionActsInTheSolverWithItsPennesLength) {
  TissueProperties liver = tissueLibrary().at("liver");
  liver.thermalConductivityCoefficient_per_K = 0.0;  // constant k, as the closed form assumes
  const AblationGrid grid = uniformGrid(liver, {41, 61, 61}, 1.0);
  std::vector<HeldTemperature> plane;
  for (std::int64_t k = 0; k < 61; ++k)
    for (std::int64_t j = 0; j < 61; ++j)
      plane.push_back({grid.geometry.linearIndex(10, j, k), 47.0f});
  FixedPowerSource source(grid, std::vector<float>(grid.geometry.voxelCount(), 0.0f), plane);
  BioheatParameters p;
  p.duration_s = 25000.0;  // five steps of 5000 s: backward Euler's fixed point, the steady state
  p.timeStep_s = 5000.0;
  p.perfusionShutdown = PerfusionShutdown::None;
  p.waterVaporisation = false;
  p.solverTolerance_K = 1e-7;
  const AblationResult result = simulateAblation(grid, source, p);
  const double length_mm =
      1e3 * std::sqrt(0.52 / (0.0154663 * p.bloodDensity_kg_m3 * p.bloodHeatCapacity_J_kgK));
  EXPECT_NEAR(length_mm, 2.976, 1e-3);
  const double mh2 = std::pow(1.0 / length_mm, 2);
  const double lambda = 0.5 * (2.0 + mh2 - std::sqrt((2.0 + mh2) * (2.0 + mh2) - 4.0));
  for (int n = 1; n <= 9; ++n) {
    const double rise_K =
        result.finalTemperature.values[grid.geometry.linearIndex(10 + n, 30, 30)] - 37.0;
    EXPECT_NEAR(rise_K, 10.0 * std::pow(lambda, n), 2e-3) << n << " mm from the plane";
    EXPECT_NEAR(rise_K, 10.0 * std::exp(-n / length_mm), 0.03 * 10.0 * std::exp(-n / length_mm))
        << n << " mm from the plane";
  }
}

TEST(TissueLibrary, LiverArrheniusReachesOmegaOneAfter61SecondsAt50DegC) {
  // Issue #17 item 4: Omega = 1 after 61.4 s at 50 degC for A = 7.39e39 1/s, Ea = 2.577e5 J/mol.
  const TissueProperties& liver = tissueLibrary().at("liver");
  const double rate_per_s =
      liver.arrheniusFrequencyFactor_per_s *
      std::exp(-liver.arrheniusActivationEnergy_J_mol / (kGasConstant_J_molK * (50.0 + 273.15)));
  EXPECT_NEAR(1.0 / rate_per_s, 61.4, 0.5);
}

TEST(TissueLibrary, EveryTissueIsPhysical) {
  for (const TissueProperties& t : tissueLibrary().tissues()) {
    SCOPED_TRACE(t.id);
    // Volumetric heat capacity: air ~1e3, tissues 1.5e6 (bone) to 4.2e6 (CSF) J/(m3 K).
    const double rhoC = t.density_kg_m3 * t.heatCapacity_J_kgK;
    if (t.id == "air") {
      EXPECT_LT(rhoC, 2e3);
    } else {
      EXPECT_GT(rhoC, 1.4e6);
      EXPECT_LT(rhoC, 4.3e6);
      EXPECT_GE(t.relativePermittivity_915MHz, t.relativePermittivity_2450MHz);  // dispersion
      EXPECT_LT(t.electricalConductivity_915MHz_S_m, t.electricalConductivity_2450MHz_S_m);
    }
    EXPECT_GT(t.thermalConductivity_W_mK, 0.0);
    EXPECT_LT(t.thermalConductivity_W_mK, 0.7);
    EXPECT_LT(t.perfusion_per_s, 0.1);  // kidney, the highest, ~0.067 1/s
  }
  // Tumour at microwave frequencies: the liver's permittivity x 1.12 (Stauffer et al. 2003).
  EXPECT_NEAR(tissueLibrary().at("tumour").relativePermittivity_2450MHz,
              1.12 * tissueLibrary().at("liver").relativePermittivity_2450MHz, 0.1);
}

TEST(TissueLibrary, WaterContentIsPerTissueAndAMassFraction) {
  // Woodard & White 1986 / ICRU 46 adult tissues (unverified transcription, resources/README.md):
  // adipose tissue holds far less water than liver, CSF is almost all water, air none.
  const TissueLibrary& lib = tissueLibrary();
  EXPECT_DOUBLE_EQ(lib.at("liver").waterContent_kg_kg, 0.72);
  EXPECT_LT(lib.at("fat").waterContent_kg_kg, 0.5 * lib.at("liver").waterContent_kg_kg);
  EXPECT_GT(lib.at("csf").waterContent_kg_kg, lib.at("liver").waterContent_kg_kg);
  EXPECT_EQ(lib.at("air").waterContent_kg_kg, 0.0);
  for (const TissueProperties& t : lib.tissues()) {
    EXPECT_GE(t.waterContent_kg_kg, 0.0) << t.id;
    EXPECT_LE(t.waterContent_kg_kg, 1.0) << t.id;
  }
  try {
    (void)parseTissueLibrary(oneTissueTable("", "s", 1.2), "test.json");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Corrupt);
    EXPECT_EQ(e.context(), "tissue \"liver\".waterContent_kg_kg");
  }
}

TEST(TissueLibrary, UnknownTissueNamesTheKeyAndTheKnownOnes) {
  try {
    (void)tissueLibrary().at("pancreas");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::NotFound);
    EXPECT_EQ(e.context(), "pancreas");
    EXPECT_NE(std::string(e.what()).find("liver"), std::string::npos) << e.what();
  }
}

TEST(TissueLibrary, AValidTableParses) {
  const TissueLibrary library = parseTissueLibrary(oneTissueTable(), "test.json");
  ASSERT_EQ(library.tissues().size(), 1u);
  EXPECT_DOUBLE_EQ(library.at("liver").relativePermittivity_915MHz, 1.5);
}

TEST(TissueLibrary, AMissingValueNamesTheTissueAndTheField) {
  try {
    (void)parseTissueLibrary(oneTissueTable("electricalConductivity_915MHz_S_m"), "test.json");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Corrupt);
    EXPECT_EQ(e.context(), "tissue \"liver\".electricalConductivity_915MHz_S_m");
    EXPECT_NE(std::string(e.what()).find("test.json"), std::string::npos) << e.what();
  }
}

TEST(TissueLibrary, AValueWithoutAListedSourceIsRefused) {
  try {
    (void)parseTissueLibrary(oneTissueTable("", "nowhere"), "test.json");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Corrupt);
    EXPECT_NE(std::string(e.what()).find("source"), std::string::npos) << e.what();
  }
  EXPECT_THROW((void)parseTissueLibrary("{\"tissues\": [", "bad.json"), Error);
}

TEST(HuClassification, ClassesFollowTheCitedRanges) {
  const HuClassification& hu = huClassification();
  EXPECT_EQ(hu.classify(-1000).tissue, "air");
  EXPECT_EQ(hu.classify(-951).tissue, "air");
  EXPECT_EQ(hu.classify(-950).tissue, "lung");  // Gevenois et al. 1996
  EXPECT_EQ(hu.classify(-700).tissue, "lung");
  EXPECT_EQ(hu.classify(-100).tissue, "fat");  // Kvist et al. 1988: -190..-30
  EXPECT_EQ(hu.classify(-30).tissue, "soft-tissue");
  EXPECT_EQ(hu.classify(180).tissue, "soft-tissue");  // enhanced portal vein (Bae 2010)
  EXPECT_EQ(hu.classify(200).tissue, "bone-cancellous");
  EXPECT_EQ(hu.classify(1200).tissue, "bone-cortical");
  for (const HuClass& c : hu.classes()) EXPECT_NE(tissueLibrary().find(c.tissue), nullptr);
}

TEST(HuClassification, GapsBetweenClassesAreRefused) {
  const std::string gap = R"({"references": {"s": "x"}, "classes": [
      {"tissue": "air", "low_HU": null, "high_HU": -900, "source": "s"},
      {"tissue": "fat", "low_HU": -800, "high_HU": null, "source": "s"}]})";
  try {
    (void)parseHuClassification(gap, "hu.json");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Corrupt);
    EXPECT_EQ(e.context(), "fat");
  }
}

TEST(VesselFlow, MurraysLawAnchoredAtThePortalVein) {
  const VesselFlowModel& flow = vesselFlowModel();
  EXPECT_DOUBLE_EQ(flow.speed_m_s(6.0), 0.196);  // Zironi et al. 1992, 6 mm radius
  EXPECT_DOUBLE_EQ(flow.speed_m_s(3.0), 0.098);  // flow ~ r^3: mean speed ~ r
  EXPECT_DOUBLE_EQ(flow.speed_m_s(0.0), 0.0);
}

}  // namespace
}  // namespace twinplan::ablation
