#pragma once
// The plan targets a tissue shift moves (issue #18 item 4): every tumour segment's centroid and
// every ablation plan's probe tip. Shared by the shift job's report and the live tool's table.
#include <string>
#include <vector>

#include "twinplan/core/case.h"
#include "twinplan/core/geometry.h"

namespace twinplan::engine {

struct PlanTarget {
  std::string name;  // "<segment> centroid", "<plan> tip"
  Vec3 p_lps = Vec3::Zero();
};

// Tumour centroids (segments of tissue type "tumour", voxel centroid) of every labelmap, then
// ablation plans' tips (plan parameters "tip_lps"), in case order.
std::vector<PlanTarget> planTargets(const Case& twin);

}  // namespace twinplan::engine
