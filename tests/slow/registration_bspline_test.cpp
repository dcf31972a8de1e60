// B-spline registration against a known smooth deformation of the head phantom (issue #15,
// deliverables 3 and 7): the CT warped by a known B-spline displacement (trilinear resampling
// in the test), registered back; mean error in the brain. Label "slow" (about a minute).
#include <gtest/gtest.h>

#include <cmath>

#include "registration_fixture.h"
#include "test_support.h"
#include "twinplan/registration/register.h"

namespace twinplan {
namespace {

using registration::Method;
using registration::registerVolumes;
using registration::RegistrationOptions;

class BSplineRegistration : public test::HeadPhantomSuite<BSplineRegistration> {};

// Trilinear CT value at an LPS point (-1000 HU, air, outside), for warping the phantom.
double ctAt(const ImageVolume& ct, const Vec3& p_lps) {
  const ImageGeometry& g = ct.geometry();
  const Vec3 ijk = g.lpsToIndex(p_lps);
  const std::span<const std::int16_t> v = ct.voxels<std::int16_t>();
  std::array<std::int64_t, 3> base{};
  Vec3 f;
  for (int a = 0; a < 3; ++a) {
    base[a] = static_cast<std::int64_t>(std::floor(ijk[a]));
    f[a] = ijk[a] - double(base[a]);
    if (base[a] < 0 || base[a] + 1 >= g.size[a]) return -1000.0;
  }
  double value = 0.0;
  for (int c = 0; c < 8; ++c) {
    const std::int64_t i = base[0] + (c & 1), j = base[1] + ((c >> 1) & 1),
                       k = base[2] + ((c >> 2) & 1);
    const double w = ((c & 1) ? f[0] : 1 - f[0]) * (((c >> 1) & 1) ? f[1] : 1 - f[1]) *
                     (((c >> 2) & 1) ? f[2] : 1 - f[2]);
    value += w * v[g.linearIndex(i, j, k)];
  }
  return value;
}

// A smooth displacement of up to ~4 mm: a B-spline on 40 mm nodes over the head, each node
// moved by a sinusoid of its position (so neighbours move alike: an organ-scale deformation).
SpatialTransform knownWarp(const ImageGeometry& image) {
  SpatialTransform warp;
  warp.kind = SpatialTransform::Kind::BSpline;
  BSplineDisplacement& field = warp.bspline;
  const Vec3 low = image.indexToLps(Vec3::Zero());
  const Vec3 high = image.indexToLps(
      Vec3(double(image.size[0] - 1), double(image.size[1] - 1), double(image.size[2] - 1)));
  field.grid.spacing_mm = Vec3::Constant(40.0);
  for (int a = 0; a < 3; ++a) {
    const double extent = std::abs(high[a] - low[a]);
    const auto cells = static_cast<std::int64_t>(std::ceil(extent / 40.0));
    field.grid.size[a] = cells + 4;                               // support for the last cell too
    field.grid.origin_lps[a] = std::min(low[a], high[a]) - 40.0;  // one node before the domain
  }
  field.coefficients.resize(field.grid.voxelCount());
  for (std::int64_t k = 0; k < field.grid.size[2]; ++k)
    for (std::int64_t j = 0; j < field.grid.size[1]; ++j)
      for (std::int64_t i = 0; i < field.grid.size[0]; ++i) {
        const Vec3 node = field.grid.indexToLps(Vec3(double(i), double(j), double(k)));
        field.coefficients[field.grid.linearIndex(i, j, k)] =
            Vec3(3.0 * std::sin(node[1] / 45.0), 2.5 * std::cos(node[0] / 50.0),
                 2.0 * std::sin((node[0] + node[1]) / 60.0));
      }
  return warp;
}

// The CT seen through `warp`: moving(q) = ct(warp(q)) on the same grid. The fixed -> moving
// transform that registration must find is then warp's inverse: warp(found(p)) = p.
ImageVolume warped(const ImageVolume& ct, const SpatialTransform& warp) {
  ImageVolume moving(ct.geometry(), PixelType::Int16);
  moving.name = "CT warped";
  const ImageGeometry& g = ct.geometry();
  auto out = moving.voxels<std::int16_t>();
  for (std::int64_t k = 0; k < g.size[2]; ++k)
    for (std::int64_t j = 0; j < g.size[1]; ++j)
      for (std::int64_t i = 0; i < g.size[0]; ++i) {
        const Vec3 q = g.indexToLps(Vec3(double(i), double(j), double(k)));
        out[g.linearIndex(i, j, k)] =
            static_cast<std::int16_t>(std::lround(ctAt(ct, warp.apply(q))));
      }
  return moving;
}

TEST_F(BSplineRegistration, BSplineUndoesAKnownSmoothWarpInTheBrain) {
  const SpatialTransform warp = knownWarp(ct().geometry());
  const ImageVolume moving = warped(ct(), warp);
  RegistrationOptions options;
  options.method = Method::BSpline;
  // Lighter than the defaults: control points every 40 mm (the warp's own spacing), two
  // levels, 3 % of the voxels, 30 L-BFGS-B iterations per level.
  options.bsplineGridSpacing_mm = 40.0;
  options.shrinkFactors = {2, 1};
  options.smoothingSigmas_vox = {1.0, 0.0};
  options.samplingFraction = 0.03;
  options.bsplineIterations = 30;
  // The default path: the centred start, the rigid bulk stage, and the B-spline from both the
  // bulk and the start, the better final metric kept. (From the rigid bulk alone the best rigid
  // fit of this shear-like warp is a rotation the 40 mm B-spline does not undo: 3.6 mm.)
  const auto result = registerVolumes(ct(), moving, options);
  ASSERT_EQ(result.transform.kind, SpatialTransform::Kind::BSpline);
  ASSERT_FALSE(result.transform.bspline.empty());

  // Brain voxels (grey and white matter of the true labels), every second one per axis.
  const LabelMap& truth = head_->twin.labelMaps.front();
  const std::size_t grey = *truth.findSegment("Grey matter");
  const std::size_t white = *truth.findSegment("White matter");
  const ImageGeometry& g = ct().geometry();
  double before = 0.0, after = 0.0;
  std::size_t count = 0;
  for (std::int64_t k = 0; k < g.size[2]; k += 2)
    for (std::int64_t j = 0; j < g.size[1]; j += 2)
      for (std::int64_t i = 0; i < g.size[0]; i += 2) {
        if (!truth.contains(grey, i, j, k) && !truth.contains(white, i, j, k)) continue;
        const Vec3 p = g.indexToLps(Vec3(double(i), double(j), double(k)));
        before += (warp.apply(p) - p).norm();
        after += (warp.apply(result.transform.apply(p)) - p).norm();
        ++count;
      }
  ASSERT_GT(count, 1000u);
  before /= double(count);
  after /= double(count);
  EXPECT_GT(before, 1.5) << "the known warp is too small to test anything";
  EXPECT_LT(after, 1.0);
  std::cout << "bspline: mean brain error " << before << " mm before, " << after << " mm after, "
            << result.iterations << " iterations, " << result.time_s << " s\n";
}

}  // namespace
}  // namespace twinplan
