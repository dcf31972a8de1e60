#include "dvh_command.h"

#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>

#include "cli_options.h"
#include "twinplan/core/error.h"
#include "twinplan/io/dicom_rtdose.h"
#include "twinplan/io/dicom_rtstruct.h"
#include "twinplan/radiotherapy/dose_constraints.h"
#include "twinplan/radiotherapy/dose_grid.h"
#include "twinplan/radiotherapy/dvh.h"
#include "twinplan/radiotherapy/outcome_models.h"
#include "twinplan/radiotherapy/radiobiology.h"

namespace twinplan::cli {
namespace {

using nlohmann::json;

// The ROIs to histogram: the named ones (each must exist and have closed contours), else every
// ROI with closed contours (the others are named in the notes).
std::vector<radiotherapy::StructureContours> chooseStructures(io::RtStructContours& rs,
                                                              const DvhArguments& a, json& notes) {
  std::vector<radiotherapy::StructureContours> chosen;
  auto take = [&](io::RtStructRoiContours& roi) {
    radiotherapy::StructureContours s{roi.name, {}};
    for (io::LpsContour& c : roi.contours) s.polygons_lps.push_back(std::move(c.points_lps));
    chosen.push_back(std::move(s));
  };
  if (a.names.empty()) {
    for (io::RtStructRoiContours& roi : rs.rois) {
      if (roi.contours.empty())
        notes.push_back("ROI '" + roi.name + "' has no closed contours; no DVH.");
      else
        take(roi);
    }
    return chosen;
  }
  for (const std::string& name : a.names) {
    auto roi = std::find_if(rs.rois.begin(), rs.rois.end(),
                            [&](const io::RtStructRoiContours& r) { return r.name == name; });
    if (roi == rs.rois.end()) {
      std::vector<std::string> known;
      for (const io::RtStructRoiContours& r : rs.rois) known.push_back(r.name);
      throw Error(ErrorKind::NotFound,
                  "The structure set " + a.structures.string() + " has no ROI named '" + name +
                      "'; it has " + quotedNames(known) + ".",
                  name);
    }
    if (roi->contours.empty())
      throw Error(ErrorKind::InvalidInput,
                  "ROI '" + name + "' has no closed contours, so it has no volume for a DVH.",
                  name);
    take(*roi);
  }
  return chosen;
}

json figuresJson(const radiotherapy::DvhFigures& f) {
  return {{"volume_cm3", f.volume_cm3}, {"dmin_gy", f.dmin_Gy}, {"dmean_gy", f.dmean_Gy},
          {"dmax_gy", f.dmax_Gy},       {"d95_gy", f.d95_Gy},   {"d2_gy", f.d2_Gy}};
}

// The cumulative curve at about 200 doses (every n-th bin), down to the last non-zero volume.
json cumulativeJson(const radiotherapy::DoseVolumeHistogram& dvh) {
  std::size_t last = 0;
  for (std::size_t n = 0; n < dvh.cumulative_cm3.size(); ++n)
    if (dvh.cumulative_cm3[n] > 0) last = n;
  const std::size_t step = std::max<std::size_t>(1, (last + 1) / 200);
  json dose = json::array(), volume = json::array();
  for (std::size_t n = 0; n <= last + step; n += step) {
    const std::size_t at = std::min(n, dvh.cumulative_cm3.size() - 1);
    dose.push_back(static_cast<double>(at) * dvh.binWidth_Gy);
    volume.push_back(dvh.cumulative_cm3[at]);
    if (at == dvh.cumulative_cm3.size() - 1) break;
  }
  return {{"dose_gy", dose}, {"volume_cm3", volume}};
}

// The differential histogram on the cumulative curve's doses: bin n holds the volume receiving
// [dose_gy[n], dose_gy[n + 1]), i.e. cumulative[n] - cumulative[n + 1], so the bins add up to
// the structure's volume and are minus the cumulative curve's steps. Volume at the curve's last
// dose (the grid's hottest bin) is the last bin, one DVH bin wide.
json differentialJson(const json& cumulative, double binWidth_Gy) {
  const json& dose = cumulative["dose_gy"];
  const json& volume = cumulative["volume_cm3"];
  json from = json::array(), to = json::array(), bins = json::array();
  for (std::size_t n = 0; n + 1 < dose.size(); ++n) {
    from.push_back(dose[n]);
    to.push_back(dose[n + 1]);
    bins.push_back(volume[n].get<double>() - volume[n + 1].get<double>());
  }
  if (!volume.empty() && volume.back().get<double>() > 0) {
    from.push_back(dose.back());
    to.push_back(dose.back().get<double>() + binWidth_Gy);
    bins.push_back(volume.back());
  }
  return {{"dose_from_gy", from}, {"dose_to_gy", to}, {"volume_cm3", bins}};
}

radiotherapy::ConstraintProtocol constraintProtocol(const std::string& which) {
  if (which == "quantec") return radiotherapy::quantecProtocol();
  std::ifstream in(which);
  if (!in)
    throw Error(ErrorKind::NotFound,
                "The constraint table " + which +
                    " cannot be opened; give a JSON file or 'quantec' for the built-in table.",
                which);
  std::stringstream text;
  text << in.rdbuf();
  return radiotherapy::parseConstraintProtocol(text.str(), which);
}

json constraintsJson(const std::vector<radiotherapy::DoseVolumeHistogram>& dvhs,
                     const DvhArguments& a) {
  const radiotherapy::ConstraintProtocol protocol = constraintProtocol(a.constraints);
  const radiotherapy::ConstraintTable table =
      radiotherapy::evaluateConstraints(dvhs, protocol, a.prescription_Gy);
  json results = json::array();
  for (const radiotherapy::ConstraintResult& r : table.results)
    results.push_back({{"structure", r.constraint.structure},
                       {"roi", r.roi},
                       {"metric", r.constraint.metric},
                       {"limit", r.constraint.limit},
                       {"value", r.value},
                       {"unit", r.unit},
                       {"limit_value", r.limitValue},
                       {"pass", r.pass},
                       {"borderline", r.borderline},
                       {"uncertainty", r.uncertainty},
                       {"endpoint", r.constraint.endpoint},
                       {"source", r.constraint.source}});
  return {{"protocol", protocol.id},
          {"prescription_gy", a.prescription_Gy ? json(*a.prescription_Gy) : json(nullptr)},
          {"failed", table.failed()},
          {"results", results},
          {"not_evaluated", table.notEvaluated}};
}

bool hasDvh(const std::vector<radiotherapy::DoseVolumeHistogram>& dvhs, const std::string& name) {
  return std::any_of(dvhs.begin(), dvhs.end(),
                     [&](const radiotherapy::DoseVolumeHistogram& d) { return d.name == name; });
}

void requireHistogrammed(const std::vector<radiotherapy::DoseVolumeHistogram>& dvhs,
                         const std::string& name, const std::string& option) {
  if (hasDvh(dvhs, name)) return;
  std::vector<std::string> known;
  for (const radiotherapy::DoseVolumeHistogram& d : dvhs) known.push_back(d.name);
  throw Error(ErrorKind::NotFound,
              option + " names ROI '" + name + "', which has no DVH here; the DVHs are of " +
                  quotedNames(known) + ".",
              name);
}

// ROI name -> (model id, "name" or "option"): the organ-word mapping, overridden by --ntcp.
std::map<std::string, std::pair<std::string, std::string>> ntcpModelsOf(
    const std::vector<radiotherapy::DoseVolumeHistogram>& dvhs, const DvhArguments& a) {
  std::map<std::string, std::pair<std::string, std::string>> models;
  for (const radiotherapy::DoseVolumeHistogram& d : dvhs)
    if (const auto model = radiotherapy::organNtcpModel(d.name)) models[d.name] = {*model, "name"};
  for (const std::string& pair : a.ntcpModels) {
    const std::size_t equals = pair.rfind('=');
    if (equals == std::string::npos || equals == 0 || equals + 1 == pair.size())
      throw Error(ErrorKind::InvalidInput,
                  "--ntcp takes ROI=MODEL (e.g. --ntcp 'Lung L=lung-quantec'); got '" + pair + "'.",
                  pair);
    const std::string roi = pair.substr(0, equals), model = pair.substr(equals + 1);
    requireHistogrammed(dvhs, roi, "--ntcp");
    radiotherapy::radiobiologyTable().ntcpOf(model);  // NotFound lists the model ids
    models[roi] = {model, "option"};
  }
  return models;
}

json ntcpJson(const radiotherapy::DoseVolumeHistogram& dvh, const std::string& modelId,
              const std::string& mappedBy, std::optional<int> fractions) {
  const radiotherapy::NtcpOutcome o = radiotherapy::lkbNtcp(dvh, modelId, fractions);
  return {{"model", o.model.id},
          {"name", o.model.name},
          {"source", o.model.source},
          {"mapped_by", mappedBy},
          {"td50_gy", o.model.parameters.td50_Gy},
          {"m", o.model.parameters.m},
          {"n", o.model.parameters.n},
          {"dose", o.dose},
          {"geud_gy", o.geud_Gy},
          {"ntcp", o.ntcp}};
}

json tcpJson(const radiotherapy::DoseVolumeHistogram& dvh, int fractions) {
  const radiotherapy::TcpOutcome o = radiotherapy::poissonTcp(dvh, fractions);
  const radiotherapy::TcpParameters& p = o.model.parameters;
  return {{"model", o.model.id},
          {"source", o.model.source},
          {"fractions", fractions},
          {"alpha_mean_per_gy", p.alphaMean_perGy},
          {"alpha_sigma_per_gy", p.alphaSigma_perGy},
          {"clonogens_per_cm3", p.clonogenDensity_per_cm3},
          {"alpha_beta_gy", p.alphaBeta_Gy},
          {"tcp", o.tcp}};
}

// Adds "ntcp" and "tcp" to the structures' entries (same order as `dvhs`).
void addRadiobiology(const std::vector<radiotherapy::DoseVolumeHistogram>& dvhs,
                     const DvhArguments& a, json& list) {
  if (a.fractions && *a.fractions < 1)
    throw Error(ErrorKind::InvalidInput,
                "--fractions must be at least 1; got " + std::to_string(*a.fractions) + ".",
                "--fractions");
  if (!a.targets.empty() && !a.fractions)
    throw Error(ErrorKind::InvalidInput,
                "TCP needs the course's fraction count: give --fractions N with --target.",
                "--target");
  for (const std::string& target : a.targets) requireHistogrammed(dvhs, target, "--target");
  const auto models = ntcpModelsOf(dvhs, a);
  for (std::size_t i = 0; i < dvhs.size(); ++i) {
    const std::string& name = dvhs[i].name;
    if (const auto model = models.find(name); model != models.end())
      list[i]["ntcp"] = ntcpJson(dvhs[i], model->second.first, model->second.second, a.fractions);
    if (std::find(a.targets.begin(), a.targets.end(), name) != a.targets.end())
      list[i]["tcp"] = tcpJson(dvhs[i], *a.fractions);
  }
}

}  // namespace

json runDvh(const DvhArguments& a, Progress& progress) {
  if (a.dose.empty() || a.structures.empty())
    throw Error(ErrorKind::InvalidInput, "dvh needs --dose RD.dcm and --structures RS.dcm.", "dvh");
  auto reading = subRange(progress, 0.0, 0.2);
  const io::RtDose dose = io::readRtDose(a.dose, *reading);
  radiotherapy::requireDose(dose.dose,
                            "The dose " + a.dose.string() + " (Dose Units " + dose.doseUnits + ")");
  io::RtStructContours rs = io::readRtStructContours(a.structures);
  for (const io::RtStructRoiContours& roi : rs.rois)
    if (!roi.frameOfReferenceUid.empty() && roi.frameOfReferenceUid != dose.frameOfReferenceUid)
      throw Error(ErrorKind::InvalidInput,
                  "ROI '" + roi.name + "' of " + a.structures.string() +
                      " is drawn in frame of reference " + roi.frameOfReferenceUid +
                      ", but the dose " + a.dose.string() + " is in " + dose.frameOfReferenceUid +
                      ": their coordinates do not match. Give the dose computed on the images "
                      "the structures were drawn on (or register them first).",
                  "(0020,0052)");
  json notes = json(rs.notes);
  for (const std::string& note : dose.notes) notes.push_back(note);
  const std::vector<radiotherapy::StructureContours> structures = chooseStructures(rs, a, notes);
  radiotherapy::DvhOptions options;
  options.supersampling = a.supersampling;
  auto computing = subRange(progress, 0.2, 1.0);
  const auto dvhs = radiotherapy::computeDvhs(dose.dose, structures, options, *computing);

  json list = json::array();
  for (const radiotherapy::DoseVolumeHistogram& dvh : dvhs) {
    json entry = {{"name", dvh.name}};
    entry.update(figuresJson(dvh.figures));
    entry["volume_outside_dose_cm3"] = dvh.volumeOutsideDose_cm3;
    entry["uncertainty"] = figuresJson(dvh.uncertainty);
    entry["cumulative"] = cumulativeJson(dvh);
    entry["differential"] = differentialJson(entry["cumulative"], dvh.binWidth_Gy);
    if (dvh.volumeOutsideDose_cm3 > 1e-3 * std::max(dvh.figures.volume_cm3, 1e-9))
      notes.push_back("ROI '" + dvh.name + "': " + std::to_string(dvh.volumeOutsideDose_cm3) +
                      " cm3 lie outside the dose grid and are not in its DVH.");
    list.push_back(std::move(entry));
  }
  addRadiobiology(dvhs, a, list);
  json result = {{"dose", a.dose.string()},
                 {"structures_file", a.structures.string()},
                 {"frame_of_reference_uid", dose.frameOfReferenceUid},
                 {"dose_type", dose.doseType},
                 {"summation_type", dose.summationType},
                 {"supersampling", a.supersampling},
                 {"bin_width_gy", dvhs.empty() ? 0.0 : dvhs.front().binWidth_Gy},
                 {"structures", list},
                 {"notes", notes}};
  if (!a.constraints.empty()) result["constraints"] = constraintsJson(dvhs, a);
  return result;
}

}  // namespace twinplan::cli
