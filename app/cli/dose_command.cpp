#include "dose_command.h"

#include <algorithm>
#include <chrono>

#include "cli_options.h"
#include "twinplan/core/case.h"
#include "twinplan/core/case_file.h"
#include "twinplan/core/error.h"
#include "twinplan/engine/rt_plan_record.h"
#include "twinplan/io/dicom_index.h"
#include "twinplan/io/dicom_rtdose.h"
#include "twinplan/io/dicom_rtplan.h"
#include "twinplan/io/dicom_volume.h"
#include "twinplan/radiotherapy/collapsed_cone.h"
#include "twinplan/radiotherapy/pencil_beam.h"

namespace twinplan::cli {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// The CT of a DICOM folder: the CT series in the plan's frame of reference (the largest if
// several), else the largest CT series.
void refuseIonPlan(const io::RtPlan& plan, const std::string& where, const std::string& engine) {
  if (plan.ion)
    throw Error(ErrorKind::Unsupported,
                "The plan \"" + plan.label + "\" " + where + " is an RT Ion Plan; the " + engine +
                    " engine computes photon beams only.",
                plan.label);
}

ImageVolume ctFromFolder(const fs::path& folder, const std::string& frameOfReferenceUid,
                         Progress& progress) {
  const auto scanning = subRange(progress, 0.0, 0.05);
  const io::DicomIndex index = io::scanDicom(folder, *scanning);
  const io::DicomSeries* best = nullptr;
  auto better = [&](const io::DicomSeries* s) {
    if (!best) return true;
    const bool sFrame = s->frameOfReferenceUid == frameOfReferenceUid;
    const bool bestFrame = best->frameOfReferenceUid == frameOfReferenceUid;
    if (sFrame != bestFrame) return sFrame;
    return s->frameCount() > best->frameCount();
  };
  for (const io::DicomSeries* s : index.allSeries())
    if (s->modality == "CT" && s->kind == io::SeriesKind::Volume && better(s)) best = s;
  if (!best)
    throw Error(ErrorKind::NotFound,
                "The folder " + folder.string() +
                    " holds no CT series; dose calculation needs the planning CT.",
                folder.string());
  const auto loading = subRange(progress, 0.05, 0.2);
  ImageVolume ct = io::loadVolume(*best, {}, *loading);
  ct.name = "CT";
  return ct;
}

// The plan and the CT it is computed on: an RT Plan file with a DICOM folder or a case file's
// CT, or (with a case file) a plan stored in the case, named by its name or SOP Instance UID.
struct PlanOnCt {
  io::RtPlan plan;
  ImageVolume ct;
  bool storedInCase = false;
};

PlanOnCt planOnCt(const DoseArguments& a, Progress& progress) {
  const bool caseFile = !fs::is_directory(a.casePath);
  PlanOnCt r;
  if (caseFile && !fs::is_regular_file(a.plan)) {
    Case twin = loadCase(a.casePath, *subRange(progress, 0.0, 0.2));
    r.plan = engine::findCasePlan(twin, a.plan.string(), a.casePath.string()).plan;
    r.storedInCase = true;
    refuseIonPlan(r.plan, "stored in the case " + a.casePath.string(), a.engine);
    r.ct = engine::planningCt(twin, "", a.casePath.string());
    return r;
  }
  r.plan = io::readRtPlan(a.plan);
  refuseIonPlan(r.plan, "in " + a.plan.string(), a.engine);  // before the CT is read
  if (caseFile) {
    const Case twin = loadCase(a.casePath, *subRange(progress, 0.0, 0.2));
    r.ct = engine::planningCt(twin, "", a.casePath.string());
  } else {
    r.ct = ctFromFolder(a.casePath, r.plan.frameOfReferenceUid, progress);
  }
  return r;
}

double maxOf(const ScalarField& field) {
  float m = 0.0f;
  for (float v : field.values) m = std::max(m, v);
  return m;
}

}  // namespace

json runDose(const DoseArguments& a, Progress& progress) {
  const auto start = std::chrono::steady_clock::now();
  const bool collapsedCone = a.engine == "collapsed-cone";
  if (!collapsedCone && a.engine != "pencil-beam")
    throw Error(ErrorKind::InvalidInput,
                "Unknown dose engine \"" + a.engine + "\"; use pencil-beam or collapsed-cone.",
                "engine");
  PlanOnCt planAndCt = planOnCt(a, progress);
  const io::RtPlan& plan = planAndCt.plan;
  ImageVolume& ct = planAndCt.ct;
  json notes = json::array();
  const std::string& ctFrame = ct.dicom.frameOfReferenceUid;
  if (!plan.frameOfReferenceUid.empty() && !ctFrame.empty() && plan.frameOfReferenceUid != ctFrame)
    throw Error(ErrorKind::InvalidInput,
                "The plan " + a.plan.string() + " is in frame of reference " +
                    plan.frameOfReferenceUid + " but the CT is in " + ctFrame +
                    "; compute the dose on the CT the plan was made on (or register the two "
                    "first).",
                "FrameOfReferenceUID");
  if (plan.frameOfReferenceUid.empty() || ctFrame.empty())
    notes.push_back(
        "The plan or the CT states no frame of reference; the plan's isocentre was "
        "taken in the CT's patient coordinates.");
  // The plan's Patient Setup states the position the beams were planned in (PS3.3 C.8.8.12);
  // the CT's says how it was scanned; they should agree.
  std::string positionCode = a.position;
  if (positionCode.empty()) positionCode = plan.patientPosition;
  if (!plan.patientPosition.empty() && !ct.dicom.patientPosition.empty() &&
      plan.patientPosition != ct.dicom.patientPosition)
    notes.push_back("The plan's Patient Setup says " + plan.patientPosition + " but the CT was " +
                    ct.dicom.patientPosition + "; the plan's position was used.");
  if (positionCode.empty()) positionCode = ct.dicom.patientPosition;
  if (positionCode.empty()) {
    positionCode = "HFS";
    notes.push_back("The CT states no Patient Position; head first supine (HFS) was assumed.");
  }
  const radiotherapy::PatientPosition position =
      radiotherapy::patientPositionFromString(positionCode);
  const radiotherapy::HuDensityCalibration calibration =
      a.huDensity.empty() ? radiotherapy::defaultHuDensityCalibration()
                          : radiotherapy::readHuDensityCalibration(a.huDensity);
  radiotherapy::PencilBeamParameters parameters;
  parameters.doseGridSpacing_mm = a.grid_mm;
  parameters.validate();
  radiotherapy::CollapsedConeParameters coneParameters;
  coneParameters.doseGridSpacing_mm = a.grid_mm;
  coneParameters.validate();
  const radiotherapy::DensityGrid density =
      radiotherapy::densityGridFromCt(ct, calibration, *subRange(progress, 0.2, 0.25));
  const ImageGeometry doseGrid = radiotherapy::doseGridCovering(ct.geometry(), a.grid_mm);
  const auto computing = subRange(progress, 0.25, 0.95);
  const radiotherapy::PlanDose result =
      collapsedCone ? radiotherapy::computeCollapsedConePlanDose(density, doseGrid, plan, position,
                                                                 coneParameters, *computing)
                    : radiotherapy::computePlanDose(density, doseGrid, plan, position, parameters,
                                                    *computing);
  for (const std::string& n : result.notes) notes.push_back(n);

  json beams = json::array();
  for (const radiotherapy::BeamDose& b : result.beams)
    beams.push_back({{"number", b.beamNumber},
                     {"name", b.beamName},
                     {"energy_mv", b.nominalEnergy_MV},
                     {"mu", b.meterset_MU},
                     {"isocentre_dose_gy_per_fraction", b.isocentreDose_Gy},
                     {"max_dose_gy_per_fraction", maxOf(b.dose)}});
  json r = {{"plan", a.plan.string()},
            {"plan_source", planAndCt.storedInCase ? "case" : "file"},
            {"plan_label", plan.label},
            {"referenced_plan_sop_instance_uid", plan.sopInstanceUid},
            {"frame_of_reference_uid", ctFrame.empty() ? plan.frameOfReferenceUid : ctFrame},
            {"ct", ct.dicom.seriesInstanceUid},
            {"patient_position", positionCode},
            {"grid",
             {{"spacing_mm", a.grid_mm},
              {"size", {doseGrid.size[0], doseGrid.size[1], doseGrid.size[2]}}}},
            {"fraction_group", result.fractionGroupNumber},
            {"fractions", result.fractions},
            {"max_dose_gy", result.maxDose_Gy},
            {"isocentre_lps_mm",
             {result.isocentre_lps.x(), result.isocentre_lps.y(), result.isocentre_lps.z()}},
            {"isocentre_dose_gy", result.isocentreDose_Gy},
            {"beams", beams},
            {"engine",
             collapsedCone
                 ? "collapsed-cone convolution/superposition (Ahnesjo 1989; EDKnrc and Mackie "
                   "1988 kernels, Mohan 6 / 10 MV spectra), "
                   "resources/radiotherapy/collapsed_cone_kernels.json"
                 : "pencil beam (radiological depth), resources/radiotherapy/photon_beams.json"},
            {"engine_id", a.engine},
            {"hu_density_calibration", calibration.name}};
  if (!a.out.empty()) {
    io::RtDoseWriteOptions options;
    options.dicom = ct.dicom;
    if (options.dicom.frameOfReferenceUid.empty())
      options.dicom.frameOfReferenceUid = plan.frameOfReferenceUid;
    options.summationType = "PLAN";
    options.seriesDescription =
        collapsedCone ? "TwinPlan collapsed-cone dose" : "TwinPlan pencil-beam dose";
    options.referencedPlanSopClassUid =
        plan.sopClassUid.empty() ? io::kRtPlanSopClass : plan.sopClassUid;
    options.referencedPlanSopInstanceUid = plan.sopInstanceUid;
    options.referencedFractionGroupNumber = result.fractionGroupNumber;
    r["rtdose_sop_instance_uid"] =
        io::writeRtDose(result.dose, a.out, options, *subRange(progress, 0.95, 1.0));
    r["output"] = a.out.string();
  }
  r["notes"] = notes;
  r["time_s"] = secondsSince(start);
  return r;
}

}  // namespace twinplan::cli
