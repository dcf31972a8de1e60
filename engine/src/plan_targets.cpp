#include "twinplan/engine/plan_targets.h"

#include <algorithm>
#include <nlohmann/json.hpp>

namespace twinplan::engine {

using nlohmann::json;

namespace {

bool isPoint(const json& p) {
  return p.is_array() && p.size() == 3 &&
         std::all_of(p.begin(), p.end(), [](const json& c) { return c.is_number(); });
}

}  // namespace

std::vector<PlanTarget> planTargets(const Case& twin) {
  std::vector<PlanTarget> targets;
  for (const LabelMap& labels : twin.labelMaps) {
    const ImageGeometry& g = labels.geometry();
    for (std::size_t s = 0; s < labels.segments().size(); ++s) {
      if (labels.segments()[s].tissueType != "tumour") continue;
      Vec3 sum = Vec3::Zero();
      std::size_t count = 0;
      for (std::int64_t k = 0; k < g.size[2]; ++k)
        for (std::int64_t j = 0; j < g.size[1]; ++j)
          for (std::int64_t i = 0; i < g.size[0]; ++i)
            if (labels.contains(s, i, j, k)) {
              sum += Vec3(double(i), double(j), double(k));
              ++count;
            }
      if (count > 0)
        targets.push_back(
            {labels.segments()[s].name + " centroid", g.indexToLps(sum / double(count))});
    }
  }
  for (const Plan& plan : twin.plans) {
    if (plan.kind != "ablation") continue;
    // Every probe's tip ("probes": [{tip_lps, entry_lps}]); plans of one probe saved before
    // several probes carry "tip_lps" alone.
    std::vector<json> tips;
    if (plan.parameters.contains("probes") && plan.parameters["probes"].is_array()) {
      for (const json& probe : plan.parameters["probes"])
        tips.push_back(probe.is_object() ? probe.value("tip_lps", json()) : json());
    } else {
      tips.push_back(plan.parameters.value("tip_lps", json()));
    }
    for (std::size_t n = 0; n < tips.size(); ++n) {
      if (!isPoint(tips[n])) continue;  // a probe not placed yet has no target
      const std::string name = tips.size() > 1
                                   ? plan.name + " probe " + std::to_string(n + 1) + " tip"
                                   : plan.name + " tip";
      targets.push_back({name, Vec3(tips[n][0], tips[n][1], tips[n][2])});
    }
  }
  return targets;
}

}  // namespace twinplan::engine
