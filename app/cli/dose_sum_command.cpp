#include "dose_sum_command.h"

#include <algorithm>

#include "cli_options.h"
#include "twinplan/core/error.h"
#include "twinplan/io/dicom_rtdose.h"
#include "twinplan/radiotherapy/dose_grid.h"

namespace twinplan::cli {
namespace {

using nlohmann::json;

void requireInputs(const DoseSumArguments& a, const char* command) {
  if (a.difference ? a.doses.size() != 2 : a.doses.size() < 2)
    throw Error(ErrorKind::InvalidInput,
                std::string(command) +
                    (a.difference ? " takes exactly two doses (A B: the result is A - B)"
                                  : " takes two or more doses") +
                    "; got " + std::to_string(a.doses.size()) + ".",
                command);
  if (a.difference && !a.weights.empty())
    throw Error(ErrorKind::InvalidInput, "dose-diff takes no --weights.", "--weights");
  if (!a.weights.empty() && a.weights.size() != a.doses.size())
    throw Error(ErrorKind::InvalidInput,
                "Give one --weights value per dose: " + std::to_string(a.doses.size()) +
                    " doses, " + std::to_string(a.weights.size()) + " weights.",
                "--weights");
  if (a.out.empty())
    throw Error(ErrorKind::InvalidInput, std::string(command) + " needs --out RESULT.dcm.",
                "--out");
}

// Every dose must be absolute, in the first dose's frame of reference and on its grid.
void requireComparable(const std::vector<io::RtDose>& doses, const DoseSumArguments& a) {
  const io::RtDose& first = doses.front();
  for (std::size_t i = 0; i < doses.size(); ++i) {
    const std::string what = "The dose " + a.doses[i].string();
    radiotherapy::requireDose(doses[i].dose, what + " (Dose Units " + doses[i].doseUnits + ")");
    if (i == 0) continue;
    if (doses[i].frameOfReferenceUid != first.frameOfReferenceUid)
      throw Error(ErrorKind::InvalidInput,
                  what + " is in frame of reference " + doses[i].frameOfReferenceUid + ", but " +
                      a.doses[0].string() + " is in " + first.frameOfReferenceUid +
                      ": their coordinates do not match (register them first).",
                  "(0020,0052)");
    // Physical and RBE-weighted (EFFECTIVE) doses are different quantities: no sum of both.
    if (doses[i].doseType != first.doseType)
      throw Error(ErrorKind::InvalidInput,
                  what + " has Dose Type " + doses[i].doseType + ", but " + a.doses[0].string() +
                      " has " + first.doseType + ": they are different quantities.",
                  "(3004,0004)");
    radiotherapy::requireSameGrid(first.dose, "the dose " + a.doses[0].string(), doses[i].dose,
                                  "the dose " + a.doses[i].string());
  }
}

// A PLAN sum when all inputs reference one RT Plan (its beams or fractions), else MULTI_PLAN.
io::RtDoseWriteOptions sumOptions(const std::vector<io::RtDose>& doses) {
  io::RtDoseWriteOptions o;
  const io::RtDose& first = doses.front();
  const bool onePlan =
      !first.referencedPlanSopInstanceUid.empty() &&
      std::all_of(doses.begin(), doses.end(), [&](const io::RtDose& d) {
        return d.referencedPlanSopInstanceUid == first.referencedPlanSopInstanceUid;
      });
  o.summationType = onePlan ? "PLAN" : "MULTI_PLAN";
  if (onePlan) {
    o.referencedPlanSopClassUid = first.referencedPlanSopClassUid.empty()
                                      ? io::kRtPlanSopClass
                                      : first.referencedPlanSopClassUid;
    o.referencedPlanSopInstanceUid = first.referencedPlanSopInstanceUid;
  }
  o.doseType = first.doseType.empty() ? "PHYSICAL" : first.doseType;
  o.seriesDescription = "TwinPlan dose sum";
  return o;
}

// A - B is a signed ERROR dose; it keeps A's summation type and plan reference.
io::RtDoseWriteOptions differenceOptions(const io::RtDose& a) {
  io::RtDoseWriteOptions o;
  o.doseType = "ERROR";
  o.summationType = a.summationType.empty() ? "PLAN" : a.summationType;
  o.referencedPlanSopClassUid =
      a.referencedPlanSopClassUid.empty() ? io::kRtPlanSopClass : a.referencedPlanSopClassUid;
  o.referencedPlanSopInstanceUid = a.referencedPlanSopInstanceUid;
  o.referencedFractionGroupNumber = a.referencedFractionGroupNumber;
  o.referencedBeamNumbers = a.referencedBeamNumbers;
  if (o.referencedPlanSopInstanceUid.empty()) o.summationType = "MULTI_PLAN";
  o.seriesDescription = "TwinPlan dose difference";
  return o;
}

}  // namespace

json runDoseSum(const DoseSumArguments& a, Progress& progress) {
  const char* command = a.difference ? "dose-diff" : "dose-sum";
  requireInputs(a, command);
  std::vector<io::RtDose> doses;
  for (std::size_t i = 0; i < a.doses.size(); ++i)
    doses.push_back(io::readRtDose(
        a.doses[i], *subRange(progress, 0.8 * i / a.doses.size(), 0.8 * (i + 1) / a.doses.size())));
  requireComparable(doses, a);

  std::vector<double> weights = a.weights;
  if (weights.empty()) weights.assign(doses.size(), 1.0);
  ScalarField result;
  if (a.difference) {
    result = radiotherapy::doseDifference(doses[0].dose, doses[1].dose);
  } else {
    result = radiotherapy::weightedDoseSum(doses[0].dose, weights[0], doses[1].dose, weights[1]);
    for (std::size_t i = 2; i < doses.size(); ++i)
      result = radiotherapy::weightedDoseSum(result, 1.0, doses[i].dose, weights[i]);
  }

  io::RtDoseWriteOptions options = a.difference ? differenceOptions(doses[0]) : sumOptions(doses);
  options.dicom = doses[0].dicom;
  options.dicom.frameOfReferenceUid = doses[0].frameOfReferenceUid;
  const std::string uid = io::writeRtDose(result, a.out, options, *subRange(progress, 0.9, 1.0));

  json inputs = json::array();
  for (std::size_t i = 0; i < doses.size(); ++i)
    inputs.push_back(
        {{"file", a.doses[i].string()},
         {"weight", a.difference ? (i == 0 ? 1.0 : -1.0) : weights[i]},
         {"summation_type", doses[i].summationType},
         {"dose_type", doses[i].doseType},
         {"max_gy", *std::max_element(doses[i].dose.values.begin(), doses[i].dose.values.end())}});
  const auto [lowest, highest] = std::minmax_element(result.values.begin(), result.values.end());
  json r = {{"operation", a.difference ? "difference" : "sum"},
            {"inputs", inputs},
            {"frame_of_reference_uid", doses[0].frameOfReferenceUid},
            {"min_gy", *lowest},
            {"max_gy", *highest},
            {"dose_type", options.doseType},
            {"summation_type", options.summationType},
            {"output", a.out.string()},
            {"rtdose_sop_instance_uid", uid}};
  r.update(gridJson(result.geometry));
  return r;
}

}  // namespace twinplan::cli
