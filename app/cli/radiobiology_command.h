#pragma once
// `twinplan-cli eqd2 --dose 60 --fractions 30 [--dose D --fractions N ...] (--alpha-beta 3 |
// --tissue prostate ...) [--to-fraction-size 3]`: BED and EQD2 of each regimen for each tissue
// (simulation/radiotherapy/radiobiology.h), the regimen comparison table, and optionally the
// isoeffective total dose at another dose per fraction.
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace twinplan::cli {

struct Eqd2Arguments {
  std::vector<double> totalDoses_Gy;
  std::vector<int> fractions;
  std::vector<double> alphaBetas_Gy;
  std::vector<std::string> tissues;  // ids of resources/radiotherapy/radiobiology.json
  std::optional<double> toFractionSize_Gy;
  bool listTissues = false;
};

// {"regimens": [{"total_dose_gy", "fractions", "dose_per_fraction_gy", "effects": [{"tissue",
// "alpha_beta_gy", "source", "bed_gy", "eqd2_gy", "isoeffective_total_dose_gy"}]}]}, plus
// top-level "bed_gy" and "eqd2_gy" for one regimen and one tissue.
nlohmann::json runEqd2(const Eqd2Arguments& arguments);

}  // namespace twinplan::cli
