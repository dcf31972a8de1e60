#include "twinplan/radiotherapy/outcome_models.h"

#include <cctype>
#include <utility>

namespace twinplan::radiotherapy {
namespace {

// Organ words -> LKB model ids of resources/radiotherapy/radiobiology.json.
constexpr std::pair<const char*, const char*> kOrganModels[] = {
    {"brainstem", "brainstem-burman1991"}, {"lung", "lung-quantec"},
    {"rectum", "rectum-quantec"},          {"liver", "liver-burman1991"},
    {"heart", "heart-burman1991"},         {"parotid", "parotid-quantec"}};

std::string lowerCase(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

}  // namespace

std::optional<std::string> organNtcpModel(const std::string& roiName) {
  const std::string name = lowerCase(roiName);
  for (const auto& [word, model] : kOrganModels)
    if (name.find(word) != std::string::npos) return model;
  return std::nullopt;
}

DoseVolumeBins binsOf(const DoseVolumeHistogram& dvh) {
  DoseVolumeBins bins;
  for (std::size_t n = 0; n < dvh.differential_cm3.size(); ++n)
    if (dvh.differential_cm3[n] > 0) {
      bins.dose_Gy.push_back((static_cast<double>(n) + 0.5) * dvh.binWidth_Gy);
      bins.volume_cm3.push_back(dvh.differential_cm3[n]);
    }
  return bins;
}

NtcpOutcome lkbNtcp(const DoseVolumeHistogram& dvh, const std::string& modelId,
                    std::optional<int> fractions) {
  NtcpOutcome outcome{radiobiologyTable().ntcpOf(modelId), {}, 0, 0};
  DoseVolumeBins bins = binsOf(dvh);
  outcome.dose = "physical (no --fractions: not converted to 2 Gy fractions)";
  if (fractions) {
    const CitedAlphaBeta& late = radiobiologyTable().alphaBetaOf(kLateTissueAlphaBeta);
    bins = toEqd2(bins, *fractions, late.alphaBeta_Gy);
    outcome.dose = "EQD2, alpha/beta " + std::to_string(late.alphaBeta_Gy).substr(0, 3) + " Gy (" +
                   late.source + ")";
  }
  outcome.geud_Gy = generalisedEud_Gy(bins, outcome.model.parameters.n);
  outcome.ntcp = normalTissueComplicationProbability(bins, outcome.model.parameters);
  return outcome;
}

TcpOutcome poissonTcp(const DoseVolumeHistogram& dvh, int fractions) {
  TcpOutcome outcome{radiobiologyTable().tcpOf(kTargetTcpModel), fractions, 0};
  outcome.tcp = tumourControlProbability(binsOf(dvh), fractions, outcome.model.parameters);
  return outcome;
}

}  // namespace twinplan::radiotherapy
