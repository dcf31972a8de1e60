// Series that cannot be registered are refused with the reason (issue #15, deliverable 5).
#include <gtest/gtest.h>

#include "twinplan/core/error.h"
#include "twinplan/registration/registrable.h"

namespace twinplan {
namespace {

ImageVolume cube(const std::string& name, const Vec3& origin, std::int64_t n = 10) {
  ImageGeometry g;
  g.size = {n, n, n};
  g.origin_lps = origin;
  ImageVolume v(g, PixelType::Int16);
  v.name = name;
  return v;
}

TEST(Registrable, OverlapIsTheCoveredFractionOfTheReferenceBox) {
  // Boxes span voxel edges: [-0.5, 9.5) per axis; shifting by 5 mm along x leaves half.
  const ImageVolume fixed = cube("CT", Vec3::Zero());
  const ImageVolume moving = cube("MR", Vec3(5, 0, 0));
  EXPECT_NEAR(registration::boxOverlapFraction(fixed, moving), 0.5, 1e-12);
  // Mapping the fixed box by +5 mm in x (fixed -> moving) makes them coincide.
  const auto shift = SpatialTransform::rigid(Mat3::Identity(), Vec3(5, 0, 0));
  EXPECT_NEAR(registration::boxOverlapFraction(fixed, moving, shift), 1.0, 1e-12);
}

TEST(Registrable, RefusesDisjointSeriesThinVolumesAnd2DImages) {
  const ImageVolume fixed = cube("CT", Vec3::Zero());
  const ImageVolume far = cube("MR", Vec3(0, 0, 500));
  try {
    registration::requireRegistrable(fixed, far, SpatialTransform::identity(),
                                     "rigid registration");
    FAIL() << "disjoint series were accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("do not overlap"), std::string::npos) << e.what();
    EXPECT_EQ(e.context(), "MR");
  }
  const ImageVolume thin = cube("thin", Vec3::Zero(), 3);
  EXPECT_THROW(registration::requireRegistrable(fixed, thin, SpatialTransform::identity(), "x"),
               Error);
  ImageVolume xray = cube("CR", Vec3::Zero());
  xray.planar2D = true;
  EXPECT_THROW(registration::requireRegistrable(fixed, xray, SpatialTransform::identity(), "x"),
               Error);
  EXPECT_NO_THROW(registration::requireRegistrable(fixed, cube("MR", Vec3(2, 2, 2)),
                                                   SpatialTransform::identity(), "x"));
}

}  // namespace
}  // namespace twinplan
