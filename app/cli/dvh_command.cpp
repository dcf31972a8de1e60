#include "dvh_command.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <map>
#include <sstream>

#include "twinplan/core/error.h"
#include "twinplan/io/dicom_rtdose.h"
#include "twinplan/io/dicom_rtstruct.h"
#include "twinplan/radiotherapy/dose_constraints.h"
#include "twinplan/radiotherapy/dose_grid.h"
#include "twinplan/radiotherapy/dvh.h"
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
      std::string known;
      for (const io::RtStructRoiContours& r : rs.rois)
        known += (known.empty() ? "'" : ", '") + r.name + "'";
      throw Error(ErrorKind::NotFound,
                  "The structure set " + a.structures.string() + " has no ROI named '" + name +
                      "'; it has " + known + ".",
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
json curveJson(const radiotherapy::DoseVolumeHistogram& dvh) {
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

// Organ words in an ROI name (case-insensitive) -> its LKB model in
// resources/radiotherapy/radiobiology.json: the QUANTEC fit where the table has one (lung,
// rectum, parotid), Burman et al. 1991 otherwise. Other ROIs get NTCP only through --ntcp.
constexpr std::pair<const char*, const char*> kOrganModels[] = {
    {"brainstem", "brainstem-burman1991"}, {"lung", "lung-quantec"},
    {"rectum", "rectum-quantec"},          {"liver", "liver-burman1991"},
    {"heart", "heart-burman1991"},         {"parotid", "parotid-quantec"}};
constexpr const char* kTcpModel = "webb-nahum-1993";
constexpr const char* kLateTissue = "late";  // alpha/beta 3 Gy (Fowler 1989) for NTCP's EQD2

std::string lowerCase(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

// The DVH's differential bins at their centre doses: the distribution TCP and NTCP sum over.
radiotherapy::DoseVolumeBins binsOf(const radiotherapy::DoseVolumeHistogram& dvh) {
  radiotherapy::DoseVolumeBins bins;
  for (std::size_t n = 0; n < dvh.differential_cm3.size(); ++n)
    if (dvh.differential_cm3[n] > 0) {
      bins.dose_Gy.push_back((static_cast<double>(n) + 0.5) * dvh.binWidth_Gy);
      bins.volume_cm3.push_back(dvh.differential_cm3[n]);
    }
  return bins;
}

bool hasDvh(const std::vector<radiotherapy::DoseVolumeHistogram>& dvhs, const std::string& name) {
  return std::any_of(dvhs.begin(), dvhs.end(),
                     [&](const radiotherapy::DoseVolumeHistogram& d) { return d.name == name; });
}

void requireHistogrammed(const std::vector<radiotherapy::DoseVolumeHistogram>& dvhs,
                         const std::string& name, const std::string& option) {
  if (hasDvh(dvhs, name)) return;
  std::string known;
  for (const radiotherapy::DoseVolumeHistogram& d : dvhs)
    known += (known.empty() ? "'" : ", '") + d.name + "'";
  throw Error(
      ErrorKind::NotFound,
      option + " names ROI '" + name + "', which has no DVH here; the DVHs are of " + known + ".",
      name);
}

// ROI name -> (model id, "name" or "option"): the organ-word mapping, overridden by --ntcp.
std::map<std::string, std::pair<std::string, std::string>> ntcpModelsOf(
    const std::vector<radiotherapy::DoseVolumeHistogram>& dvhs, const DvhArguments& a) {
  std::map<std::string, std::pair<std::string, std::string>> models;
  for (const radiotherapy::DoseVolumeHistogram& d : dvhs)
    for (const auto& [word, model] : kOrganModels)
      if (lowerCase(d.name).find(word) != std::string::npos) {
        models[d.name] = {model, "name"};
        break;
      }
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
  const radiotherapy::CitedLkb& model = radiotherapy::radiobiologyTable().ntcpOf(modelId);
  radiotherapy::DoseVolumeBins bins = binsOf(dvh);
  // The LKB fits are to conventionally fractionated data: with the course's fraction count the
  // bins become EQD2 at the late-tissue alpha/beta; without it the physical dose is used.
  std::string dose = "physical (no --fractions: not converted to 2 Gy fractions)";
  if (fractions) {
    const radiotherapy::CitedAlphaBeta& late =
        radiotherapy::radiobiologyTable().alphaBetaOf(kLateTissue);
    bins = radiotherapy::toEqd2(bins, *fractions, late.alphaBeta_Gy);
    dose = "EQD2, alpha/beta " + std::to_string(late.alphaBeta_Gy).substr(0, 3) + " Gy (" +
           late.source + ")";
  }
  return {{"model", model.id},
          {"name", model.name},
          {"source", model.source},
          {"mapped_by", mappedBy},
          {"td50_gy", model.parameters.td50_Gy},
          {"m", model.parameters.m},
          {"n", model.parameters.n},
          {"dose", dose},
          {"geud_gy", radiotherapy::generalisedEud_Gy(bins, model.parameters.n)},
          {"ntcp", radiotherapy::normalTissueComplicationProbability(bins, model.parameters)}};
}

json tcpJson(const radiotherapy::DoseVolumeHistogram& dvh, int fractions) {
  const radiotherapy::CitedTcp& model = radiotherapy::radiobiologyTable().tcpOf(kTcpModel);
  const radiotherapy::TcpParameters& p = model.parameters;
  return {{"model", model.id},
          {"source", model.source},
          {"fractions", fractions},
          {"alpha_mean_per_gy", p.alphaMean_perGy},
          {"alpha_sigma_per_gy", p.alphaSigma_perGy},
          {"clonogens_per_cm3", p.clonogenDensity_per_cm3},
          {"alpha_beta_gy", p.alphaBeta_Gy},
          {"tcp", radiotherapy::tumourControlProbability(binsOf(dvh), fractions, p)}};
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
    entry["cumulative"] = curveJson(dvh);
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
