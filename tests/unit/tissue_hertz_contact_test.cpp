// Hertz contact for the exact (active-set) frictionless contact (fe_model.h
// ContactEnforcement::ActiveSet; issue #18 items 2, 6): a rigid ball of radius 10 mm pressed
// 0.05 and 0.1 mm into an elastic block (tests/support/hertz_indentation.h says how the
// approach and contact radius are compared with Hertz's). The coarse mesh (0.2 mm cells at the
// contact); tests/slow/tissue_hertz_refinement_test.cpp refines it.
#include "hertz_indentation.h"

namespace twinplan::test::hertz {
namespace {

TEST(HertzContact, RigidBallOnAnElasticBlockMatchesHertz) {
  const HertzCheck coarse = check(0.2);
  // The approach's F^(2/3) coefficient within 5 % of Hertz's (3.5 % low on this mesh).
  EXPECT_NEAR(coarse.alphaRatio, 1, 0.05);
  // The held base takes away the half-space below it: C < 0, at most Boussinesq's.
  EXPECT_LT(coarse.compliance_mm_per_N, 0);
  EXPECT_LT(-coarse.compliance_mm_per_N, boussinesqCompliance_mm_per_N());
  // The contact radius: the nodes' bracket holds Hertz's a (asserted in check()); its middle
  // within 10 % (half a 0.2 mm cell at a = 0.74 and 1.06 mm).
  for (double e : coarse.radiusError) EXPECT_LT(e, 0.1);
}

// The ball bulges into the block: under the contact force its curvature term (-p dn/dx on the
// tangent plane, p > 0, dn/dx = P / R for a ball) is negative at every node it presses, so the
// solver's trace counts those nodes as making the tangent indefinite (SolverOptions::trace,
// NewtonTrace::indefiniteCurvatureNodes; a concave wall counts none:
// tissue_sliding_contact_test's ball in a shell).
TEST(HertzContact, TheBallsCurvatureMakesTheTangentIndefiniteWhereItPresses) {
  const FeModel model = indentationModel(0.2, 0.1);
  SolverOptions options;
  std::vector<NewtonTrace> trace;
  options.trace = [&](const NewtonTrace& t) { trace.push_back(t); };
  const SolveResult r = solve(model, options);
  ASSERT_FALSE(trace.empty());
  const NewtonTrace& last = trace.back();
  std::printf("%d nodes in contact, %d with an indefinite curvature block in the last tangent\n",
              r.contactNodes, last.indefiniteCurvatureNodes);
  EXPECT_TRUE(last.converged);
  EXPECT_GT(r.contactNodes, 10);
  // Every pressed node but those at the rim, whose force is within the tolerance of zero.
  EXPECT_LE(last.indefiniteCurvatureNodes, r.contactNodes);
  EXPECT_GE(last.indefiniteCurvatureNodes, r.contactNodes / 2);
}

}  // namespace
}  // namespace twinplan::test::hertz
