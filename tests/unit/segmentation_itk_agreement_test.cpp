// The segment tools against ITK 5.2, an independent implementation: margins against
// SignedMaurerDistanceMapImageFilter thresholded at the margin (with image spacing), islands
// against ConnectedComponentImageFilter, hole filling against BinaryFillholeImageFilter - on
// random blobs on an anisotropic grid.
#include <gtest/gtest.h>
#include <itkBinaryFillholeImageFilter.h>
#include <itkBinaryMedianImageFilter.h>
#include <itkConnectedComponentImageFilter.h>
#include <itkImage.h>
#include <itkImportImageContainer.h>
#include <itkSignedMaurerDistanceMapImageFilter.h>

#include <random>

#include "twinplan/segmentation/label_ops.h"
#include "twinplan/segmentation/morphology.h"

namespace twinplan::segmentation {
namespace {

using MaskImage = itk::Image<std::uint8_t, 3>;

// Random blobs: 25 balls of 1-4 mm radius, some overlapping, one hollow.
BinaryMask blobs() {
  ImageGeometry g;
  g.size = {56, 48, 20};
  g.spacing_mm = Vec3(0.7, 0.7, 2.5);
  BinaryMask m(g);
  std::mt19937 random(5);
  auto paint = [&](const Vec3& c, double r, std::uint8_t value) {
    for (std::int64_t k = 0; k < g.size[2]; ++k)
      for (std::int64_t j = 0; j < g.size[1]; ++j)
        for (std::int64_t i = 0; i < g.size[0]; ++i)
          if ((g.indexToLps(
                   Vec3(static_cast<double>(i), static_cast<double>(j), static_cast<double>(k))) -
               c)
                  .norm() <= r)
            m.voxels[g.linearIndex(i, j, k)] = value;
  };
  for (int n = 0; n < 25; ++n) {
    const Vec3 c(std::uniform_real_distribution<double>(0, 39)(random),
                 std::uniform_real_distribution<double>(0, 33)(random),
                 std::uniform_real_distribution<double>(0, 48)(random));
    paint(c, std::uniform_real_distribution<double>(1.0, 4.0)(random), 1);
  }
  paint(Vec3(20, 17, 25), 9.0, 1);  // a hollow ball: a hole for fill holes
  paint(Vec3(20, 17, 25), 5.0, 0);
  return m;
}

MaskImage::Pointer itkView(BinaryMask& m) {
  auto image = MaskImage::New();
  MaskImage::RegionType region;
  MaskImage::SpacingType spacing;
  for (unsigned a = 0; a < 3; ++a) {
    region.SetSize(a, static_cast<itk::SizeValueType>(m.geometry.size[a]));
    spacing[a] = m.geometry.spacing_mm[a];
  }
  image->SetRegions(region);
  image->SetSpacing(spacing);
  auto container = itk::ImportImageContainer<itk::SizeValueType, std::uint8_t>::New();
  container->SetImportPointer(m.voxels.data(), m.voxels.size(), false);
  image->SetPixelContainer(container);
  return image;
}

// ITK's distance outside a mask: to the nearest mask voxel centre, in mm (image spacing).
std::vector<float> itkOutsideDistance_mm(BinaryMask& m) {
  using Distance = itk::SignedMaurerDistanceMapImageFilter<MaskImage, itk::Image<float, 3>>;
  auto distance = Distance::New();
  distance->SetInput(itkView(m));
  distance->SetUseImageSpacing(true);
  distance->SetSquaredDistance(false);
  distance->SetInsideIsPositive(false);  // outside positive
  distance->SetBackgroundValue(0);
  distance->Update();
  const float* d = distance->GetOutput()->GetBufferPointer();
  return std::vector<float>(d, d + m.voxels.size());
}

// Median smoothing against itk::BinaryMedianImageFilter with the same per-axis radius. ITK
// repeats the edge voxels at the border where ours leaves outside the image out of the window
// (as vtkImageMedian3D): voxels whose window lies inside the image must agree exactly.
TEST(SegmentationItkAgreement, MedianMatchesItksBinaryMedianAwayFromTheBorder) {
  BinaryMask m = blobs();
  const double radius_mm = 1.5;
  const Index3 r = medianRadius_voxels(m.geometry, radius_mm);
  const BinaryMask ours = medianSmooth(m, radius_mm);
  using Median = itk::BinaryMedianImageFilter<MaskImage, MaskImage>;
  auto median = Median::New();
  median->SetInput(itkView(m));
  Median::InputSizeType radius;
  for (unsigned a = 0; a < 3; ++a) radius[a] = static_cast<itk::SizeValueType>(r[a]);
  median->SetRadius(radius);
  median->SetForegroundValue(1);
  median->SetBackgroundValue(0);
  median->Update();
  const std::uint8_t* theirs = median->GetOutput()->GetBufferPointer();
  const ImageGeometry& g = m.geometry;
  std::size_t compared = 0, changed = 0;
  for (std::int64_t k = r[2]; k < g.size[2] - r[2]; ++k)
    for (std::int64_t j = r[1]; j < g.size[1] - r[1]; ++j)
      for (std::int64_t i = r[0]; i < g.size[0] - r[0]; ++i) {
        const std::size_t v = g.linearIndex(i, j, k);
        ASSERT_EQ(ours.voxels[v], theirs[v]) << i << "," << j << "," << k;
        ++compared;
        changed += ours.voxels[v] != m.voxels[v];
      }
  EXPECT_GT(compared, m.voxels.size() / 2);
  EXPECT_GT(changed, 100u);  // the median did change the blobs
}

TEST(SegmentationItkAgreement, GrowAndShrinkMatchItksMaurerDistanceMap) {
  BinaryMask m = blobs();
  BinaryMask outside = m;
  for (auto& v : outside.voxels) v = !v;
  // Grow: within the margin of the mask. Shrink: farther than the margin from the background,
  // i.e. ITK's outside distance of the inverted mask (only image voxels are sites in both).
  const std::vector<float> toMask = itkOutsideDistance_mm(m);
  const std::vector<float> toBackground = itkOutsideDistance_mm(outside);
  // Margins off the lattice's distances: at a tie (a voxel exactly m mm away, e.g. m = 0.7 on
  // 0.7 mm voxels) ITK's float distance is 0.700000763 (1.1e-6 relative over) and drops the
  // voxel, while ours keeps voxels at exactly m.
  for (const double margin_mm : {0.75, 1.45, 2.55, 3.1, 5.05}) {
    const BinaryMask grown = grow(m, margin_mm);
    const BinaryMask shrunk = shrink(m, margin_mm);
    const double limit = margin_mm * (1 + 1e-6);
    std::size_t growDiffer = 0, shrinkDiffer = 0;
    for (std::size_t v = 0; v < m.voxels.size(); ++v) {
      growDiffer += (grown.voxels[v] != 0) != (m.voxels[v] || toMask[v] <= limit);
      shrinkDiffer += (shrunk.voxels[v] != 0) != (m.voxels[v] && toBackground[v] > limit);
    }
    EXPECT_EQ(growDiffer, 0u) << margin_mm;
    EXPECT_EQ(shrinkDiffer, 0u) << margin_mm;
    EXPECT_GT(grown.count(), m.count());
    EXPECT_LT(shrunk.count(), m.count());
  }
}

TEST(SegmentationItkAgreement, IslandsAndHolesMatchItk) {
  BinaryMask m = blobs();
  for (const bool full : {false, true}) {
    using Labels = itk::Image<std::uint32_t, 3>;
    auto components = itk::ConnectedComponentImageFilter<MaskImage, Labels>::New();
    components->SetInput(itkView(m));
    components->SetFullyConnected(full);
    components->Update();
    const Islands islands = findIslands(m, full ? Connectivity::Full26 : Connectivity::Faces6);
    EXPECT_EQ(islands.count(), components->GetObjectCount()) << full;
    EXPECT_GT(islands.count(), 5u);
  }
  auto fill = itk::BinaryFillholeImageFilter<MaskImage>::New();
  fill->SetInput(itkView(m));
  fill->SetForegroundValue(1);
  fill->SetFullyConnected(false);
  fill->Update();
  const std::uint8_t* filled = fill->GetOutput()->GetBufferPointer();
  const BinaryMask ours = fillHoles(m, false);
  std::size_t differ = 0;
  for (std::size_t v = 0; v < m.voxels.size(); ++v)
    differ += (ours.voxels[v] != 0) != (filled[v] != 0);
  EXPECT_EQ(differ, 0u);
  EXPECT_GT(ours.count(), m.count());  // the hollow ball had a hole to fill
}

}  // namespace
}  // namespace twinplan::segmentation
