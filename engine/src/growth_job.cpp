// Job "growth": the follow-up growth table of a case (engine/followup.h); with "register", first
// registers the later studies onto the baseline and stores the registrations in the case through
// the same undoable edit as the GUI.
#include "job_kinds.h"
#include "twinplan/core/case_edit.h"
#include "twinplan/core/case_editor.h"
#include "twinplan/core/case_file.h"
#include "twinplan/engine/followup.h"

namespace twinplan::engine {
namespace {

namespace fs = std::filesystem;

class GrowthJob final : public Job {
 public:
  explicit GrowthJob(const JobParameters& p)
      : case_(p.file("case")),
        baseline_(p.text("baseline", "")),
        register_(p.boolean("register", false)),
        method_(p.text("method", "rigid")),
        output_(p.file("output", "")) {
    p.rejectUnknown({"case", "baseline", "register", "method", "output"});
  }
  std::string kind() const override { return "growth"; }
  nlohmann::json parameters() const override {
    return {{"case", case_.string()},
            {"baseline", baseline_},
            {"register", register_},
            {"method", method_},
            {"output", output_.string()}};
  }

  nlohmann::json run(Progress& progress, CheckpointStore*) override {
    auto loading = subRange(progress, 0.0, 0.1);
    Case twin = loadCase(case_, *loading);
    nlohmann::json registrations = nlohmann::json::array();
    if (register_) {
      auto registering = subRange(progress, 0.1, 0.9);
      const auto results = registerFollowUps(twin, baseline_, method_, *registering);
      CaseEditor editor(std::move(twin));
      bool changed = false;
      for (const FollowUpRegistration& r : results) {
        registrations.push_back({{"baseline", r.baseline},
                                 {"follow_up", r.followUp},
                                 {"registered", r.registered},
                                 {"reason", r.reason}});
        if (r.record) {
          registrations.back()["quality"] = r.record->quality;
          editor.apply(edits::setRegistration(editor.twin(), *r.record));
          changed = true;
        }
      }
      twin = editor.reset({});
      if (changed) {
        auto saving = subRange(progress, 0.9, 0.95);
        saveCase(twin, output_.empty() ? case_ : output_, *saving);
      }
    }
    progress.check();
    nlohmann::json result = growthTableJson(growthTable(twin, baseline_));
    if (register_) result["registrations"] = registrations;
    progress.report(1.0, "Growth table");
    return result;
  }

 private:
  fs::path case_;
  std::string baseline_;
  bool register_ = false;
  std::string method_;
  fs::path output_;
};

}  // namespace

std::unique_ptr<Job> makeGrowthJob(const JobParameters& parameters) {
  return std::make_unique<GrowthJob>(parameters);
}

}  // namespace twinplan::engine
