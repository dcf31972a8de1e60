#include "twinplan/engine/plan_targets.h"

#include <nlohmann/json.hpp>

namespace twinplan::engine {

using nlohmann::json;

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
    const json& tip = plan.parameters.contains("tip_lps") ? plan.parameters["tip_lps"] : json();
    if (tip.is_array() && tip.size() == 3 && tip[0].is_number())
      targets.push_back({plan.name + " tip", Vec3(tip[0], tip[1], tip[2])});
  }
  return targets;
}

}  // namespace twinplan::engine
