// Job "add-dose": an RT Dose joins a case as a result field (engine/dose_import.h), through the
// same undoable edit as the GUI (edits::storeResult), and the case is saved.
#include "job_kinds.h"
#include "twinplan/core/case_edit.h"
#include "twinplan/core/case_editor.h"
#include "twinplan/core/case_file.h"
#include "twinplan/engine/dose_import.h"

namespace twinplan::engine {
namespace {

namespace fs = std::filesystem;

class AddDoseJob final : public Job {
 public:
  explicit AddDoseJob(const JobParameters& p)
      : case_(p.file("case")), dose_(p.file("dose")), output_(p.file("output", "")) {
    p.rejectUnknown({"case", "dose", "output"});
  }
  std::string kind() const override { return "add-dose"; }
  nlohmann::json parameters() const override {
    return {{"case", case_.string()}, {"dose", dose_.string()}, {"output", output_.string()}};
  }

  nlohmann::json run(Progress& progress, CheckpointStore*) override {
    auto loading = subRange(progress, 0.0, 0.3);
    Case twin = loadCase(case_, *loading);
    auto reading = subRange(progress, 0.3, 0.6);
    ImportedDose dose = importDose(twin, dose_, *reading);
    const ImageGeometry& g = dose.field.geometry;
    nlohmann::json result = {
        {"field", dose.field.name},
        {"max_gy", dose.max_Gy},
        {"summation_type", dose.summationType},
        {"dose_type", dose.doseType},
        {"frame_of_reference_uid", dose.frameOfReferenceUid},
        {"referenced_plan_sop_instance_uid", dose.referencedPlanSopInstanceUid},
        {"size", {g.size[0], g.size[1], g.size[2]}},
        {"spacing_mm", {g.spacing_mm[0], g.spacing_mm[1], g.spacing_mm[2]}},
        {"notes", dose.notes}};
    CaseEditor editor(std::move(twin));
    editor.apply(edits::storeResult(editor.twin(), std::move(dose.field)));
    twin = editor.reset({});
    const fs::path out = output_.empty() ? case_ : output_;
    auto saving = subRange(progress, 0.6, 1.0);
    saveCase(twin, out, *saving);
    result["output"] = out.string();
    return result;
  }

 private:
  fs::path case_, dose_, output_;
};

}  // namespace

std::unique_ptr<Job> makeAddDoseJob(const JobParameters& parameters) {
  return std::make_unique<AddDoseJob>(parameters);
}

}  // namespace twinplan::engine
