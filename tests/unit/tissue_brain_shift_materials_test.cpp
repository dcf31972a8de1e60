// Brain shift's default materials come from the cited tissue table (tissue_mechanics.h,
// resources/tissues/mechanics.json), not from constants of its own (issue #18 item 3).
#include <gtest/gtest.h>

#include "twinplan/tissue/brain_shift.h"
#include "twinplan/tissue/tissue_mechanics.h"

namespace twinplan::tissue {
namespace {

TEST(TissueBrainShiftMaterials, ModuliComeFromTheCitedTable) {
  // Independent of the table's code path: the published values, E = 2 mu (1 + nu) with
  // brain mu 0.67 kPa (Bennion 2022), glioma 1.34 kPa (twice brain, Wittek 2010), nu 0.45
  // (Miga 1999).
  const BrainTissue t = citedBrainTissue();
  EXPECT_NEAR(t.youngsModulus_Pa, 2 * 670 * 1.45, 1e-9);
  EXPECT_NEAR(t.tumourYoungsModulus_Pa, 2 * 1340 * 1.45, 1e-9);
  EXPECT_DOUBLE_EQ(t.poissonsRatio, 0.45);
  const BrainShiftParameters defaults;
  EXPECT_DOUBLE_EQ(defaults.tissue.youngsModulus_Pa, t.youngsModulus_Pa);
  EXPECT_DOUBLE_EQ(defaults.tissue.tumourYoungsModulus_Pa, t.tumourYoungsModulus_Pa);
  EXPECT_NO_THROW(defaults.validate());
}

}  // namespace
}  // namespace twinplan::tissue
