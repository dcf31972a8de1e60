#pragma once
// The plan targets a tissue shift moves (issue #18 item 4): every tumour segment's centroid and
// every ablation plan's probe tip. Shared by the shift job's report and the live tool's table.
#include <string>
#include <vector>

#include "twinplan/core/case.h"
#include "twinplan/core/geometry.h"

namespace twinplan::engine {

struct PlanTarget {
  // "<segment> centroid"; "<plan> tip" (one probe) or "<plan> probe N tip" (N from 1)
  std::string name;
  Vec3 p_lps = Vec3::Zero();
};

// Tumour centroids (segments of tissue type "tumour", voxel centroid) of every labelmap, then
// every ablation plan's probe tips in probe order (plan parameters "probes"[].tip_lps, or
// "tip_lps" of a plan saved before several probes; a probe not yet placed is left out), in case
// order.
std::vector<PlanTarget> planTargets(const Case& twin);

}  // namespace twinplan::engine
