#include "radiobiology_command.h"

#include <sstream>

#include "twinplan/core/error.h"
#include "twinplan/radiotherapy/radiobiology.h"

namespace twinplan::cli {
namespace {

nlohmann::json tissueTable() {
  nlohmann::json list = nlohmann::json::array();
  for (const radiotherapy::CitedAlphaBeta& a : radiotherapy::radiobiologyTable().alphaBeta)
    list.push_back({{"tissue", a.id},
                    {"name", a.name},
                    {"alpha_beta_gy", a.alphaBeta_Gy},
                    {"source", a.source}});
  return {{"tissues", list}};
}

std::string alphaBetaLabel(double alphaBeta_Gy) {
  std::ostringstream label;
  label << "alpha/beta " << alphaBeta_Gy << " Gy";
  return label.str();
}

}  // namespace

nlohmann::json runEqd2(const Eqd2Arguments& a) {
  if (a.listTissues) return tissueTable();
  if (a.totalDoses_Gy.empty() || a.totalDoses_Gy.size() != a.fractions.size())
    throw Error(
        ErrorKind::InvalidInput,
        "Give each regimen as --dose GY --fractions N (repeat both for a comparison); got " +
            std::to_string(a.totalDoses_Gy.size()) + " doses and " +
            std::to_string(a.fractions.size()) + " fraction counts.",
        "eqd2");
  std::vector<radiotherapy::TissueAlphaBeta> tissues;
  std::vector<std::string> sources;
  for (double alphaBeta : a.alphaBetas_Gy) {
    tissues.push_back({alphaBetaLabel(alphaBeta), alphaBeta});
    sources.emplace_back("given");
  }
  for (const std::string& id : a.tissues) {
    const radiotherapy::CitedAlphaBeta& cited = radiotherapy::radiobiologyTable().alphaBetaOf(id);
    tissues.push_back({cited.id, cited.alphaBeta_Gy});
    sources.push_back(cited.source);
  }
  if (tissues.empty())
    throw Error(ErrorKind::InvalidInput,
                "Give --alpha-beta GY or --tissue ID (see --list-tissues) for at least one tissue.",
                "eqd2");
  std::vector<radiotherapy::Regimen> regimens;
  for (std::size_t r = 0; r < a.totalDoses_Gy.size(); ++r)
    regimens.push_back({a.totalDoses_Gy[r], a.fractions[r]});
  const std::vector<radiotherapy::RegimenEffect> effects =
      radiotherapy::compareRegimens(regimens, tissues);

  nlohmann::json out = {{"regimens", nlohmann::json::array()}};
  std::size_t e = 0;
  for (const radiotherapy::Regimen& regimen : regimens) {
    nlohmann::json row = {{"total_dose_gy", regimen.totalDose_Gy},
                          {"fractions", regimen.fractions},
                          {"dose_per_fraction_gy", regimen.dosePerFraction_Gy()},
                          {"effects", nlohmann::json::array()}};
    for (std::size_t t = 0; t < tissues.size(); ++t, ++e) {
      nlohmann::json effect = {{"tissue", effects[e].tissue},
                               {"alpha_beta_gy", effects[e].alphaBeta_Gy},
                               {"source", sources[t]},
                               {"bed_gy", effects[e].bed_Gy},
                               {"eqd2_gy", effects[e].eqd2_Gy}};
      if (a.toFractionSize_Gy)
        effect["isoeffective_total_dose_gy"] = radiotherapy::isoeffectiveTotalDose_Gy(
            regimen, effects[e].alphaBeta_Gy, *a.toFractionSize_Gy);
      row["effects"].push_back(effect);
    }
    out["regimens"].push_back(row);
  }
  if (a.toFractionSize_Gy) out["to_fraction_size_gy"] = *a.toFractionSize_Gy;
  if (effects.size() == 1) {
    out["bed_gy"] = effects[0].bed_Gy;
    out["eqd2_gy"] = effects[0].eqd2_Gy;
  }
  return out;
}

}  // namespace twinplan::cli
