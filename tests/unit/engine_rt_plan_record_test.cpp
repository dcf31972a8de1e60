// Which radiotherapy plans of a case are readable (engine/rt_plan_record.h): the one list the RT
// panel shows, the window's export takes its chosen plan from, casePlans reads and planOfDose
// counts in. A record that cannot be read, or a plan of another kind, takes no place in it.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "twinplan/core/case.h"
#include "twinplan/engine/rt_plan_record.h"

namespace twinplan::engine {
namespace {

// A plan of one static beam (two control points at gantry `gantry_deg`), labelled `label`.
io::RtPlan onePhotonBeam(const std::string& label, double gantry_deg) {
  io::RtPlan plan;
  plan.label = label;
  plan.prescriptionDose_Gy = 2.0;
  plan.fractionGroups.push_back({1, 30, {1}});
  io::Beam beam;
  beam.number = 1;
  beam.name = label + " beam";
  for (double weight : {0.0, 1.0}) {
    io::ControlPoint cp;
    cp.cumulativeMetersetWeight = weight;
    cp.gantryAngle_deg = gantry_deg;
    beam.controlPoints.push_back(cp);
  }
  plan.beams.push_back(beam);
  return plan;
}

ScalarField doseNamed(const std::string& name, const std::string& id) {
  ScalarField dose;
  dose.name = name;
  dose.id = id;
  dose.quantity = "dose";
  dose.unit = "Gy";
  return dose;
}

// Plan A (its dose by id), an ablation plan, a radiotherapy record that cannot be read (its
// beams are not a list) naming a dose of its own, and plan B (an older record: its dose by name
// only).
Case caseWithFourPlans() {
  Case twin;
  twin.fields = {doseNamed("Dose A", "result-1"), doseNamed("Dose broken", "result-2"),
                 doseNamed("Dose B", "result-3")};
  Plan a{kRadiotherapyPlanKind, "Plan A", rtPlanToJson(onePhotonBeam("A", 0.0))};
  a.parameters[kPlanDoseFieldKey] = "Dose A";
  a.parameters[kPlanDoseIdKey] = "result-1";
  Plan probe{"ablation", "Probe", nlohmann::json::object()};
  Plan broken{kRadiotherapyPlanKind, "Broken", rtPlanToJson(onePhotonBeam("X", 45.0))};
  broken.parameters["beams"] = "not a list";
  broken.parameters[kPlanDoseIdKey] = "result-2";
  Plan b{kRadiotherapyPlanKind, "Plan B", rtPlanToJson(onePhotonBeam("B", 90.0))};
  b.parameters[kPlanDoseFieldKey] = "Dose B";
  twin.plans = {a, probe, broken, b};
  return twin;
}

TEST(ReadableRtPlans, SkipsOtherKindsAndUnreadableRecordsKeepingTheCaseOrder) {
  const Case twin = caseWithFourPlans();
  std::vector<std::string> failures;
  const std::vector<ReadableRtPlan> readable = readableRtPlans(twin, &failures);
  ASSERT_EQ(readable.size(), 2u);
  EXPECT_EQ(readable[0].record, &twin.plans[0]);
  EXPECT_EQ(readable[1].record, &twin.plans[3]);
  EXPECT_EQ(readable[0].plan.label, "A");
  EXPECT_EQ(readable[1].plan.label, "B");
  ASSERT_EQ(readable[1].plan.beams.size(), 1u);
  EXPECT_DOUBLE_EQ(readable[1].plan.beams[0].controlPoints[0].gantryAngle_deg, 90.0);
  // The unreadable record is named in a sentence; the ablation plan is not a failure.
  ASSERT_EQ(failures.size(), 1u);
  EXPECT_NE(failures[0].find("\"Broken\""), std::string::npos) << failures[0];

  // casePlans reads the same plans in the same order.
  const std::vector<io::RtPlan> plans = casePlans(twin);
  ASSERT_EQ(plans.size(), 2u);
  EXPECT_EQ(plans[0].label, "A");
  EXPECT_EQ(plans[1].label, "B");

  // planOfDose counts in that list: plan B is 1, not 2 (the broken record takes no place), and
  // the broken record's dose belongs to no plan.
  EXPECT_EQ(planOfDose(twin, twin.fields[0]), std::optional<std::size_t>(0));
  EXPECT_EQ(planOfDose(twin, twin.fields[2]), std::optional<std::size_t>(1));
  EXPECT_EQ(planOfDose(twin, twin.fields[1]), std::nullopt);
}

TEST(ReadableRtPlans, ACaseWithoutRadiotherapyPlansHasNone) {
  Case twin;
  twin.plans = {Plan{"ablation", "Probe", nlohmann::json::object()}};
  std::vector<std::string> failures;
  EXPECT_TRUE(readableRtPlans(twin, &failures).empty());
  EXPECT_TRUE(failures.empty());
  EXPECT_TRUE(readableRtPlans(Case{}).empty());
}

}  // namespace
}  // namespace twinplan::engine
