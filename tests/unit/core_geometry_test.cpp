#include <gtest/gtest.h>

#include <cmath>
#include <utility>

#include "test_support.h"
#include "twinplan/core/geometry.h"
#include "twinplan/core/image_volume.h"
#include "twinplan/core/itk_view.h"
#include "twinplan/core/label_map.h"
#include "twinplan/core/progress.h"
#include "twinplan/core/vtk_view.h"

namespace twinplan {
namespace {

ImageGeometry obliqueGeometry() {
  ImageGeometry g;
  g.size = {4, 5, 6};
  g.origin_lps = Vec3(-10.0, 20.0, 30.0);
  g.spacing_mm = Vec3(0.5, 0.75, 2.0);
  const double a = 30.0 * M_PI / 180.0;  // rotation about the L-R axis
  g.direction << 1, 0, 0, 0, std::cos(a), -std::sin(a), 0, std::sin(a), std::cos(a);
  return g;
}

TEST(ImageGeometry, IndexToLpsFollowsDicomConvention) {
  const ImageGeometry g = obliqueGeometry();
  // Voxel (2,0,0) lies 2*0.5 mm along the row direction (L).
  EXPECT_NEAR((g.indexToLps(Vec3(2, 0, 0)) - Vec3(-9.0, 20.0, 30.0)).norm(), 0.0, 1e-12);
  // Voxel (0,0,1) lies 2 mm along the rotated slice normal.
  const Vec3 expected(-10.0, 20.0 - 2.0 * std::sin(M_PI / 6), 30.0 + 2.0 * std::cos(M_PI / 6));
  EXPECT_NEAR((g.indexToLps(Vec3(0, 0, 1)) - expected).norm(), 0.0, 1e-12);
}

TEST(ImageGeometry, LpsToIndexInvertsIndexToLps) {
  const ImageGeometry g = obliqueGeometry();
  const Vec3 ijk(1.25, 3.5, 4.75);
  EXPECT_NEAR((g.lpsToIndex(g.indexToLps(ijk)) - ijk).norm(), 0.0, 1e-12);
  EXPECT_TRUE(g.contains(ijk));
  EXPECT_FALSE(g.contains(Vec3(-0.6, 0, 0)));
}

TEST(ImageGeometry, AffineMatchesIndexToLps) {
  const ImageGeometry g = obliqueGeometry();
  const Eigen::Vector4d p = g.indexToLpsAffine() * Eigen::Vector4d(3, 2, 1, 1);
  EXPECT_NEAR((p.head<3>() - g.indexToLps(Vec3(3, 2, 1))).norm(), 0.0, 1e-12);
}

TEST(ImageVolume, TypedAccessChecksTheStoredType) {
  ImageVolume v(obliqueGeometry(), PixelType::Int16);
  EXPECT_EQ(v.voxels<std::int16_t>().size(), 120u);
  v.voxels<std::int16_t>()[v.geometry().linearIndex(1, 2, 3)] = -1000;
  EXPECT_EQ(v.valueAt(1, 2, 3), -1000.0);
  EXPECT_THROW(v.voxels<float>(), Error);
}

TEST(ImageVolume, CopiesShareVoxelsUntilOneIsWritten) {
  ImageVolume original(obliqueGeometry(), PixelType::Int16);
  original.voxels<std::int16_t>()[7] = 100;
  const ImageVolume snapshot = original;  // e.g. an autosave snapshot: no voxel copy
  EXPECT_TRUE(snapshot.sharesVoxelsWith(original));
  original.voxels<std::int16_t>()[7] = -5;  // writing detaches the original...
  EXPECT_FALSE(snapshot.sharesVoxelsWith(original));
  EXPECT_EQ(snapshot.voxels<std::int16_t>()[7], 100);  // ...and the snapshot keeps its values
  EXPECT_EQ(original.valueAt(3, 1, 0), -5.0);
}

TEST(LabelMap, CopiesShareLayersUntilOneIsWritten) {
  LabelMap labels(obliqueGeometry());
  labels.layer(0)[3] = 2;
  const LabelMap copy = labels;
  EXPECT_EQ(&copy.layer(0), &std::as_const(labels).layer(0));
  labels.layer(0)[3] = 9;
  EXPECT_EQ(copy.layer(0)[3], 2);
  EXPECT_EQ(std::as_const(labels).layer(0)[3], 9);
}

TEST(ImageVolume, ItkViewSharesTheBufferAndGeometry) {
  ImageVolume v(obliqueGeometry(), PixelType::Int16);
  auto image = asItkImage<std::int16_t>(v);
  itk::Index<3> index{{3, 4, 5}};
  image->SetPixel(index, 42);
  EXPECT_EQ(v.valueAt(3, 4, 5), 42.0);
  itk::Point<double, 3> p;
  image->TransformIndexToPhysicalPoint(index, p);
  const Vec3 expected = v.geometry().indexToLps(Vec3(3, 4, 5));
  for (int a = 0; a < 3; ++a) EXPECT_NEAR(p[a], expected[a], 1e-9);
}

TEST(ImageVolume, VtkViewOfASharedVolumeCopiesNoVoxels) {
  // The 3D view reads the case's volume while an autosave or undo copy may share its voxels:
  // taking the view must not make the volume copy them.
  const ImageVolume original(obliqueGeometry(), PixelType::Int16);
  const ImageVolume copy = original;
  auto image = asVtkImage(copy);
  EXPECT_TRUE(copy.sharesVoxelsWith(original));
  EXPECT_EQ(image->GetScalarPointer(), static_cast<const void*>(original.bytes().data()));
}

TEST(ImageVolume, VtkViewSharesTheBufferAndGeometry) {
  ImageVolume v(obliqueGeometry(), PixelType::Float32);
  v.voxels<float>()[v.geometry().linearIndex(2, 1, 4)] = 3.5f;
  auto image = asVtkImage(v);
  EXPECT_EQ(image->GetScalarComponentAsDouble(2, 1, 4, 0), 3.5);
  double p[3];
  image->TransformIndexToPhysicalPoint(2, 1, 4, p);
  const Vec3 expected = v.geometry().indexToLps(Vec3(2, 1, 4));
  for (int a = 0; a < 3; ++a) EXPECT_NEAR(p[a], expected[a], 1e-9);
}

TEST(LabelMap, OverlappingSegmentsLiveInSeparateLayers) {
  LabelMap labels(obliqueGeometry());
  const auto liver =
      labels.addSegment({.name = "Liver", .tissueType = "liver", .layer = 0, .value = 1});
  const auto tumour =
      labels.addSegment({.name = "Tumour", .tissueType = "tumour", .layer = 1, .value = 1});
  EXPECT_EQ(labels.layerCount(), 2);
  labels.layer(0)[labels.geometry().linearIndex(1, 1, 1)] = 1;
  labels.layer(1)[labels.geometry().linearIndex(1, 1, 1)] = 1;
  EXPECT_TRUE(labels.contains(liver, 1, 1, 1));
  EXPECT_TRUE(labels.contains(tumour, 1, 1, 1));
  EXPECT_EQ(labels.voxelCount(liver), 1u);
  EXPECT_NEAR(labels.volume_ml(liver), 0.5 * 0.75 * 2.0 / 1000.0, 1e-15);
  EXPECT_EQ(labels.findSegment("Tumour"), tumour);
  EXPECT_FALSE(labels.findSegment("Spleen").has_value());
}

TEST(Progress, SubRangeMapsAndCancelPropagates) {
  test::RecordingProgress parent(2);
  auto child = subRange(parent, 0.5, 1.0);
  child->report(0.5, "half");
  EXPECT_DOUBLE_EQ(parent.fractions.back(), 0.75);
  EXPECT_NO_THROW(child->check());
  child->report(1.0, "done");
  EXPECT_THROW(child->check(), Cancelled);
}

}  // namespace
}  // namespace twinplan
