// Job "plan-ablation": ranked ablation plans for a tumour plus margin (issue #17 items 3 and 6):
// feasible needle paths, one and several probes, each arrangement at the least-energy power and
// time of the device's planner settings that covers what its strongest setting covers, scored
// by the zone surrogate, optionally confirmed by the full physics (ablation/ablation_planner.h).
#include "job_kinds.h"
#include "twinplan/ablation/ablation_planner.h"
#include "twinplan/ablation/devices.h"
#include "twinplan/core/case_file.h"
#include "twinplan/engine/jobs.h"

namespace twinplan::engine {
namespace {

using nlohmann::json;

json point(const Vec3& p) { return {p.x(), p.y(), p.z()}; }

json evaluationJson(const ablation::PlanEvaluation& e) {
  return {{"coverage_percent", e.coverage_percent},
          {"tumour_coverage_percent", e.tumourCoverage_percent},
          {"min_margin_mm", e.minMargin_mm},
          {"zone_volume_ml", e.zone_ml},
          {"critical_ablated_ml", e.criticalAblated_ml},
          {"ablated_ml", e.ablated_ml}};
}

class PlanAblationJob final : public Job {
 public:
  explicit PlanAblationJob(const JobParameters& p) : case_(p.file("case")) {
    p.rejectUnknown({"case", "tumour", "margin_mm", "device", "probes", "confirm", "ct", "critical",
                     "max_angle_deg", "safety_radius_mm", "shaft_mm", "spacing_mm"});
    o_.tumour = p.text("tumour");
    o_.margin_mm = p.number("margin_mm", ablation::kDefaultTumourMargin_mm, 0.0, 30.0);
    o_.deviceId = ablation::findDevice(p.text("device", o_.deviceId)).id;
    o_.maxProbes = int(p.integer("probes", 3, 1, 3));
    o_.confirm = p.boolean("confirm", false);
    o_.ct = p.text("ct", "");
    o_.pathRules.extraCriticalSegments = p.texts("critical");
    o_.pathRules.maxAngleFromAxial_deg =
        p.number("max_angle_deg", o_.pathRules.maxAngleFromAxial_deg, 0.0, 90.0);
    o_.pathRules.safetyRadius_mm =
        p.number("safety_radius_mm", o_.pathRules.safetyRadius_mm, 0.0, 20.0);
    o_.pathRules.shaftLength_mm = p.number("shaft_mm", o_.pathRules.shaftLength_mm, 10.0, 500.0);
    o_.gridSpacing_mm = p.number("spacing_mm", o_.gridSpacing_mm, 0.5, 5.0);
    o_.validate();
  }

  std::string kind() const override { return "plan-ablation"; }
  json parameters() const override {
    return {{"case", case_.string()},
            {"tumour", o_.tumour},
            {"margin_mm", o_.margin_mm},
            {"device", o_.deviceId},
            {"probes", o_.maxProbes},
            {"confirm", o_.confirm},
            {"ct", o_.ct},
            {"critical", o_.pathRules.extraCriticalSegments},
            {"max_angle_deg", o_.pathRules.maxAngleFromAxial_deg},
            {"safety_radius_mm", o_.pathRules.safetyRadius_mm},
            {"shaft_mm", o_.pathRules.shaftLength_mm},
            {"spacing_mm", o_.gridSpacing_mm}};
  }

  json run(Progress& progress, CheckpointStore*) override {
    auto loading = subRange(progress, 0.0, 0.05);
    const Case twin = loadCase(case_, *loading);
    auto planning = subRange(progress, 0.05, 1.0);
    const ablation::PlanningResult r = ablation::planAblation(twin, o_, *planning);
    json plans = json::array();
    for (std::size_t i = 0; i < r.plans.size(); ++i) {
      const ablation::AblationPlan& plan = r.plans[i];
      json probes = json::array();
      for (const ablation::PlannedProbe& p : plan.probes)
        probes.push_back({{"tip_lps", point(p.tip_lps)},
                          {"entry_lps", point(p.entry_lps)},
                          {"depth_mm", p.depth_mm},
                          {"angle_from_axial_deg", p.angleFromAxial_deg}});
      json entry = {{"rank", i + 1},
                    {"probes", probes},
                    {"power_W", plan.power_W},
                    {"duration_s", plan.duration_s},
                    {"energy_J", plan.energy_J},
                    {"coverage_percent", plan.predicted.coverage_percent},
                    {"min_margin_mm", plan.predicted.minMargin_mm},
                    {"predicted", evaluationJson(plan.predicted)},
                    {"setting_reason", plan.settingReason},
                    {"reasons", plan.summary}};
      if (plan.shorterDuration_s)
        entry["shorter_setting"] = {{"duration_s", *plan.shorterDuration_s},
                                    {"coverage_percent", *plan.shorterCoverage_percent},
                                    {"min_margin_mm", *plan.shorterMinMargin_mm}};
      if (plan.confirmed) entry["confirmed"] = evaluationJson(*plan.confirmed);
      plans.push_back(entry);
    }
    json refused = json::array();
    for (const auto& refusal : r.refusals)
      refused.push_back({{"reason", "refused: " + refusal.kind},
                         {"count", refusal.count},
                         {"example", "path " + refusal.example.reason},
                         {"example_entry_lps", point(refusal.example.entry_lps)}});
    progress.report(1.0, "Planning");
    return {{"tumour", r.tumour},
            {"device", r.deviceId},
            {"margin_mm", r.margin_mm},
            {"tumour_volume_ml", r.tumour_ml},
            {"tumour_centre_lps", point(r.tumourCentre_lps)},
            {"paths_tried", r.pathsTried},
            {"paths_feasible", r.pathsFeasible},
            {"refused_paths", refused},
            {"candidates_scored", r.candidatesScored},
            {"settings_tested", r.settingsTested},
            {"searched_powers_W", r.powersSearched_W},
            {"searched_durations_s", r.durationsSearched_s},
            {"search_s", r.search_s},
            {"confirm_s", r.confirm_s},
            {"plans", plans}};
  }

 private:
  std::filesystem::path case_;
  ablation::PlannerOptions o_;
};

}  // namespace

std::unique_ptr<Job> makePlanAblationJob(const JobParameters& parameters) {
  return std::make_unique<PlanAblationJob>(parameters);
}

}  // namespace twinplan::engine
