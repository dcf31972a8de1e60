// Affine registration against a known scaling of the head phantom (issue #15, deliverables 3
// and 7): a series rescaled and shifted by a known affine (geometry rewritten, no
// interpolation). The B-spline counterpart takes minutes: tests/slow/registration_bspline_test.
#include <gtest/gtest.h>

#include "registration_fixture.h"
#include "test_support.h"
#include "twinplan/registration/register.h"

namespace twinplan {
namespace {

using registration::Method;
using registration::registerVolumes;
using registration::RegistrationOptions;

class DeformableRegistration : public test::HeadPhantomSuite<DeformableRegistration> {};

TEST_F(DeformableRegistration, AffineRecoversAKnownScalingAndShift) {
  // Voxels 6 % wider in L, 5 % narrower in P, 3 % taller in S, about the head's centre, then
  // shifted: p_moving = A p + t with A = D diag(s) D^T.
  const ImageGeometry& g = ct().geometry();
  const Vec3 s(1.06, 0.95, 1.03);
  const Mat3 a = g.direction * s.asDiagonal() * g.direction.transpose();
  const SpatialTransform truth = SpatialTransform::affine(a, Vec3(3.0, -2.0, 4.0));
  ImageVolume moving = ct();
  ImageGeometry mg = g;
  mg.spacing_mm = g.spacing_mm.cwiseProduct(s);
  mg.origin_lps = truth.apply(g.origin_lps);
  moving.setGeometry(mg);
  moving.name = "CT rescaled";

  RegistrationOptions options;
  options.method = Method::Affine;
  options.samplingFraction = 0.05;  // 5 % of each level: seconds, still well within 1 mm
  const auto result = registerVolumes(ct(), moving, options);
  EXPECT_EQ(result.transform.kind, SpatialTransform::Kind::Affine);
  const double worst_mm = test::maxDisagreement_mm(result.transform, truth, test::boxCorners(g));
  EXPECT_LT(worst_mm, 1.0);
  EXPECT_NEAR(result.transform.matrix.determinant(), a.determinant(), 0.01);
  std::cout << "affine: worst corner error " << worst_mm << " mm, " << result.iterations
            << " iterations, " << result.time_s << " s\n";
}

}  // namespace
}  // namespace twinplan
