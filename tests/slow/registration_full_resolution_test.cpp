// Registration on the full-resolution head phantom (224x224x96 at 1x1x2 mm), label "slow": the
// same known-motion checks as tests/unit/registration_rigid_test.cpp, at the resolution a
// clinical head CT/MR has, for each of several motions.
#include <gtest/gtest.h>

#include "registration_fixture.h"
#include "test_support.h"
#include "twinplan/registration/register.h"

namespace twinplan {
namespace {

struct Motion {
  double angle_deg;
  Vec3 axis, translation_mm;
};

TEST(RegistrationFullResolution, RecoversRigidMotionsCtToCtAndCtToMr) {
  const phantom::Phantom head = test::headPhantom(1.0);
  const ImageVolume& ct = test::volumeOf(head, "CT");
  const ImageVolume& mr = test::volumeOf(head, "MR T1");
  const std::vector<Motion> motions = {{5.0, {0.3, -0.5, 1.0}, {5.0, -4.0, 4.8}},
                                       {10.0, {1.0, 0.0, 0.0}, {-12.0, 6.0, 0.0}},
                                       {3.0, {0.0, 1.0, 0.2}, {0.0, 0.0, -15.0}}};
  for (const Motion& m : motions) {
    const SpatialTransform truth = SpatialTransform::rigid(
        Eigen::AngleAxisd(m.angle_deg * M_PI / 180.0, m.axis.normalized()).toRotationMatrix(),
        m.translation_mm);
    for (const ImageVolume* source : {&ct, &mr}) {
      const ImageVolume moved = test::movedRigidly(*source, truth, source->name + " moved");
      const auto result = registration::registerVolumes(ct, moved, {});
      std::vector<Vec3> targets = test::boxCorners(ct.geometry());
      targets.push_back(head.tumours.front().centre_lps);
      const double worst_mm = test::maxDisagreement_mm(result.transform, truth, targets);
      const double angle_deg = test::rotationDifference_deg(result.transform.matrix, truth.matrix);
      std::cout << "CT->" << source->name << " " << m.angle_deg << " deg, "
                << m.translation_mm.norm() << " mm: worst target " << worst_mm << " mm, "
                << angle_deg << " deg, " << result.time_s << " s\n";
      EXPECT_LT(worst_mm, source == &ct ? 0.5 : 1.0);
      EXPECT_LT(angle_deg, 0.5);
    }
  }
}

}  // namespace
}  // namespace twinplan
