// Job "dose": the photon dose of an RT Plan computed on a case's planning CT (pencil beam or
// collapsed cone, simulation/radiotherapy) and stored in the case as a result field, through the
// same undoable edit as an imported RT Dose (edits::storeResult, engine/dose_import.h's
// convention: quantity "dose", Gy, on its own grid); the case is saved. The plan must be in the
// CT's frame of reference (PS3.3 C.7.4.1): a dose is placed by the CT's patient coordinates.
#include <chrono>

#include "job_kinds.h"
#include "twinplan/core/case_edit.h"
#include "twinplan/core/case_editor.h"
#include "twinplan/core/case_file.h"
#include "twinplan/core/error.h"
#include "twinplan/engine/rt_plan_record.h"
#include "twinplan/io/dicom_rtplan.h"
#include "twinplan/radiotherapy/collapsed_cone.h"
#include "twinplan/radiotherapy/pencil_beam.h"

namespace twinplan::engine {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

class DoseJob final : public Job {
 public:
  explicit DoseJob(const JobParameters& p)
      : case_(p.file("case")),
        plan_(p.file("plan")),
        output_(p.file("output", "")),
        engine_(p.text("engine", "pencil-beam")),
        ct_(p.text("ct", "")),
        position_(p.text("position", "")),
        grid_mm_(p.number("grid_mm", 2.5, 0.5, 20.0)) {
    p.rejectUnknown({"case", "plan", "output", "engine", "ct", "position", "grid_mm"});
    if (engine_ != "pencil-beam" && engine_ != "collapsed-cone")
      throw Error(
          ErrorKind::InvalidInput,
          "The dose job's engine must be pencil-beam or collapsed-cone, not \"" + engine_ + "\".",
          "engine");
  }
  std::string kind() const override { return "dose"; }
  json parameters() const override {
    return {{"case", case_.string()},
            {"plan", plan_.string()},
            {"output", output_.string()},
            {"engine", engine_},
            {"ct", ct_},
            {"position", position_},
            {"grid_mm", grid_mm_}};
  }

  json run(Progress& progress, CheckpointStore*) override {
    const auto start = std::chrono::steady_clock::now();
    const io::RtPlan plan = io::readRtPlan(plan_);
    Case twin = loadCase(case_, *subRange(progress, 0.0, 0.1));
    const ImageVolume& ct = planningCt(twin, ct_, case_.string());
    const std::string& ctFrame = ct.dicom.frameOfReferenceUid;
    if (!plan.frameOfReferenceUid.empty() && !ctFrame.empty() &&
        plan.frameOfReferenceUid != ctFrame)
      throw Error(ErrorKind::InvalidInput,
                  "The plan " + plan_.string() + " is in frame of reference " +
                      plan.frameOfReferenceUid + " but the case's CT \"" + ct.name + "\" is in " +
                      ctFrame + "; compute the dose on the CT the plan was made on.",
                  "FrameOfReferenceUID");
    std::string position = position_;
    if (position.empty()) position = plan.patientPosition;
    if (position.empty()) position = ct.dicom.patientPosition;
    if (position.empty()) position = "HFS";
    const radiotherapy::PatientPosition patientPosition =
        radiotherapy::patientPositionFromString(position);
    const radiotherapy::DensityGrid density = radiotherapy::densityGridFromCt(
        ct, radiotherapy::defaultHuDensityCalibration(), *subRange(progress, 0.1, 0.15));
    const ImageGeometry doseGrid = radiotherapy::doseGridCovering(ct.geometry(), grid_mm_);
    const auto computing = subRange(progress, 0.15, 0.9);
    radiotherapy::PlanDose dose;
    if (engine_ == "collapsed-cone") {
      radiotherapy::CollapsedConeParameters parameters;
      parameters.doseGridSpacing_mm = grid_mm_;
      dose = radiotherapy::computeCollapsedConePlanDose(density, doseGrid, plan, patientPosition,
                                                        parameters, *computing);
    } else {
      radiotherapy::PencilBeamParameters parameters;
      parameters.doseGridSpacing_mm = grid_mm_;
      dose = radiotherapy::computePlanDose(density, doseGrid, plan, patientPosition, parameters,
                                           *computing);
    }
    dose.dose.name = "Dose (" + engine_ + ", " + (plan.label.empty() ? "plan" : plan.label) + ")";
    json beams = json::array();
    for (const radiotherapy::BeamDose& b : dose.beams)
      beams.push_back({{"number", b.beamNumber},
                       {"name", b.beamName},
                       {"energy_mv", b.nominalEnergy_MV},
                       {"mu", b.meterset_MU},
                       {"isocentre_dose_gy_per_fraction", b.isocentreDose_Gy}});
    json result = {{"field", dose.dose.name},
                   {"engine", engine_},
                   {"plan_label", plan.label},
                   {"ct", ct.name},
                   {"patient_position", position},
                   {"fractions", dose.fractions},
                   {"max_dose_gy", dose.maxDose_Gy},
                   {"isocentre_dose_gy", dose.isocentreDose_Gy},
                   {"grid_spacing_mm", grid_mm_},
                   {"beams", beams},
                   {"notes", dose.notes}};
    CaseEditor editor(std::move(twin));
    editor.apply(edits::storeResult(editor.twin(), std::move(dose.dose)));
    twin = editor.reset({});
    const fs::path out = output_.empty() ? case_ : output_;
    saveCase(twin, out, *subRange(progress, 0.9, 1.0));
    result["output"] = out.string();
    result["time_s"] =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return result;
  }

 private:
  fs::path case_, plan_, output_;
  std::string engine_, ct_, position_;
  double grid_mm_;
};

}  // namespace

std::unique_ptr<Job> makeDoseJob(const JobParameters& parameters) {
  return std::make_unique<DoseJob>(parameters);
}

}  // namespace twinplan::engine
