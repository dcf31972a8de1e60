// Hertz contact under mesh refinement (tests/support/hertz_indentation.h): the rigid ball's
// approach coefficient and contact radius on 0.2 mm and 0.1 mm cells at the contact (about 40 s
// of CPU on 2 cores, hence slow; the unit test runs the coarse mesh alone).
#include "hertz_indentation.h"

namespace twinplan::test::hertz {
namespace {

TEST(HertzContact, ErrorFallsWithMeshRefinement) {
  const HertzCheck coarse = check(0.2);
  const HertzCheck fine = check(0.1);
  // Within 2 % on the fine mesh (1.4 % low), closer to Hertz than the coarse mesh's.
  EXPECT_NEAR(fine.alphaRatio, 1, 0.02);
  EXPECT_LT(std::abs(fine.alphaRatio - 1), std::abs(coarse.alphaRatio - 1));
  EXPECT_LT(fine.compliance_mm_per_N, 0);
  EXPECT_LT(-fine.compliance_mm_per_N, boussinesqCompliance_mm_per_N());
  // The contact radius: the bracket's middle within 5 % (half a 0.1 mm cell at a = 0.73 mm).
  for (double e : fine.radiusError) EXPECT_LT(e, 0.05);
}

}  // namespace
}  // namespace twinplan::test::hertz
