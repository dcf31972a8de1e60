#pragma once
// The case's RT plans for the window: engine/rt_plan_record.h (shared with the jobs that store
// plans in a case).
#include "twinplan/engine/rt_plan_record.h"

namespace twinplan::ui {

using engine::casePlans;
using engine::kRadiotherapyPlanKind;
using engine::plannedFractions;
using engine::ReadableRtPlan;
using engine::readableRtPlans;
using engine::rtPlanToJson;

}  // namespace twinplan::ui
