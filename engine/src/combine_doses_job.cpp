// Job "combine-doses": two doses of a case summed or subtracted into a new result
// (engine/dose_combination.h), through the same undoable edit as the window
// (edits::storeResult), and the case saved.
#include "job_kinds.h"
#include "twinplan/core/case_edit.h"
#include "twinplan/core/case_editor.h"
#include "twinplan/core/case_file.h"
#include "twinplan/engine/dose_combination.h"

namespace twinplan::engine {
namespace {

namespace fs = std::filesystem;

class CombineDosesJob final : public Job {
 public:
  explicit CombineDosesJob(const JobParameters& p)
      : case_(p.file("case")),
        a_(p.text("a")),
        b_(p.text("b")),
        operation_(p.text("operation", "sum")),
        name_(p.text("name", "")),
        output_(p.file("output", "")) {
    p.rejectUnknown({"case", "a", "b", "operation", "name", "output"});
    doseOperationNamed(operation_);  // refused before any work
  }
  std::string kind() const override { return "combine-doses"; }
  nlohmann::json parameters() const override {
    return {{"case", case_.string()},  {"a", a_},       {"b", b_},
            {"operation", operation_}, {"name", name_}, {"output", output_.string()}};
  }

  nlohmann::json run(Progress& progress, CheckpointStore*) override {
    Case twin = loadCase(case_, *subRange(progress, 0.0, 0.4));
    CombinedDose combined = combineDoses(twin, a_, b_, doseOperationNamed(operation_), name_);
    nlohmann::json result = {{"field", combined.field.name},
                             {"quantity", combined.field.quantity},
                             {"operation", operation_},
                             {"a", a_},
                             {"b", b_},
                             {"a_id", combined.a_id},
                             {"b_id", combined.b_id},
                             {"min_gy", combined.min_Gy},
                             {"max_gy", combined.max_Gy}};
    CaseEditor editor(std::move(twin));
    editor.apply(edits::storeResult(editor.twin(), std::move(combined.field)));
    result["id"] = editor.twin().fields.back().id;  // a free name: added last
    twin = editor.reset({});
    const fs::path out = output_.empty() ? case_ : output_;
    saveCase(twin, out, *subRange(progress, 0.5, 1.0));
    result["output"] = out.string();
    return result;
  }

 private:
  fs::path case_;
  std::string a_, b_, operation_, name_;
  fs::path output_;
};

}  // namespace

std::unique_ptr<Job> makeCombineDosesJob(const JobParameters& parameters) {
  return std::make_unique<CombineDosesJob>(parameters);
}

}  // namespace twinplan::engine
