// The fast paths of the interactive tools (issue #16 item 10) against what they replace, on the
// abdomen phantom and a constructed sphere: confidence connected on our flood fill against
// ITK's ConfidenceConnectedImageFilter itself (voxel for voxel), the watershed's slice preview
// against the four-slice run it replaces and against the full 3D run, and the geodesic active
// contour's coarse preview against the full-resolution run in the same box.
#include <gtest/gtest.h>
#include <itkConfidenceConnectedImageFilter.h>
#include <itkConnectedThresholdImageFilter.h>

#include <cmath>
#include <iostream>

#include "segmentation_truth.h"
#include "twinplan/core/itk_view.h"
#include "twinplan/phantom/phantom.h"
#include "twinplan/segmentation/seeded.h"

using namespace twinplan;
using namespace twinplan::segmentation;

namespace {

const phantom::Phantom& abdomen() {
  static const phantom::Phantom p = [] {
    phantom::PhantomOptions options;
    options.scale = 0.5;
    options.surfaceModels = false;
    return phantom::makePhantom(options);
  }();
  return p;
}

const ImageVolume& abdomenCt() { return *findVolume(abdomen().twin, "CT"); }

// A voxel centre deep in a true segment of the abdomen phantom nearest `near_lps`.
Vec3 pointIn(const std::string& segment, const Vec3& near_lps, std::int64_t onlySlice = -1) {
  return test::deepPointIn(abdomen().twin.labelMaps[0], segment, near_lps, onlySlice);
}

// ITK's own filter on the whole volume, for comparison.
RegionMask itkConfidenceConnected(const ImageVolume& ct, const Vec3& seed_lps,
                                  const ConfidenceOptions& options) {
  const ImageGeometry& g = ct.geometry();
  auto image = newItkImage<float>(g);
  const auto voxels = ct.voxels<std::int16_t>();
  std::copy(voxels.begin(), voxels.end(), image->GetBufferPointer());
  using Filter =
      itk::ConfidenceConnectedImageFilter<itk::Image<float, 3>, itk::Image<std::uint8_t, 3>>;
  auto filter = Filter::New();
  filter->SetInput(image);
  filter->SetMultiplier(options.multiplier);
  filter->SetNumberOfIterations(static_cast<unsigned>(options.iterations));
  filter->SetInitialNeighborhoodRadius(static_cast<unsigned>(options.initialRadius_voxels));
  filter->SetReplaceValue(1);
  const Vec3 ijk = g.lpsToIndex(seed_lps);
  itk::Index<3> seed;
  for (unsigned a = 0; a < 3; ++a) seed[a] = std::llround(ijk[a]);
  filter->AddSeed(seed);
  filter->Update();
  RegionMask mask{g, std::vector<std::uint8_t>(g.voxelCount())};
  std::copy_n(filter->GetOutput()->GetBufferPointer(), g.voxelCount(), mask.inside.begin());
  return mask;
}

RegionMask sliceOf(const RegionMask& mask, std::int64_t k) {
  const ImageGeometry g = boxGeometry(mask.geometry, sliceBox(mask.geometry, k));
  const std::size_t n = g.voxelCount();
  return {g,
          std::vector<std::uint8_t>(mask.inside.begin() + std::ptrdiff_t(n * std::size_t(k)),
                                    mask.inside.begin() + std::ptrdiff_t(n * std::size_t(k + 1)))};
}

RegionMask cropped(const RegionMask& mask, const VoxelBox& box) {
  RegionMask out{boxGeometry(mask.geometry, box), {}};
  for (std::int64_t k = box.begin[2]; k < box.end[2]; ++k)
    for (std::int64_t j = box.begin[1]; j < box.end[1]; ++j)
      for (std::int64_t i = box.begin[0]; i < box.end[0]; ++i)
        out.inside.push_back(mask.inside[mask.geometry.linearIndex(i, j, k)]);
  return out;
}

double reported(const std::string& name, double value) {
  std::cout << "[ DICE     ] " << name << " " << value << "\n";
  ::testing::Test::RecordProperty(name, std::to_string(value));
  return value;
}

}  // namespace

TEST(SegmentationSeededPreview, ConfidenceConnectedIsItksFilterVoxelForVoxel) {
  const ImageVolume& ct = abdomenCt();
  const Vec3 seed = pointIn("Liver", Vec3(-70, -5, 55));
  for (const ConfidenceOptions& options :
       {ConfidenceOptions{}, ConfidenceOptions{2.0, 3, 1}, ConfidenceOptions{3.0, 0, 2}}) {
    const RegionMask expected = itkConfidenceConnected(ct, seed, options);
    const std::vector<Vec3> seeds{seed};
    const RegionMask ours = confidenceConnected(ct, seeds, options);
    ASSERT_GT(expected.count(), 1000u);  // the liver, not a speck
    EXPECT_EQ(ours.count(), expected.count());
    EXPECT_EQ(ours.inside, expected.inside);
  }
}

TEST(SegmentationSeededPreview, ConfidenceConnectedIsTheSameOnEveryPixelType) {
  // The whole volume grows on the volume's own voxels (no float copy), one instantiation per
  // pixel type: the CT's values as int32, float and (shifted by +1024 HU) uint16 give ITK's
  // region on the int16 CT, voxel for voxel.
  const ImageVolume& ct = abdomenCt();
  const Vec3 seed = pointIn("Liver", Vec3(-70, -5, 55));
  const std::vector<Vec3> seeds{seed};
  const RegionMask expected = itkConfidenceConnected(ct, seed, {});
  ASSERT_GT(expected.count(), 1000u);
  const auto hu = ct.voxels<std::int16_t>();
  ImageVolume asInt32(ct.geometry(), PixelType::Int32), asFloat(ct.geometry(), PixelType::Float32);
  ImageVolume asUInt16(ct.geometry(), PixelType::UInt16);
  std::copy(hu.begin(), hu.end(), asInt32.voxels<std::int32_t>().begin());
  std::copy(hu.begin(), hu.end(), asFloat.voxels<float>().begin());
  std::transform(hu.begin(), hu.end(), asUInt16.voxels<std::uint16_t>().begin(),
                 [](std::int16_t v) { return static_cast<std::uint16_t>(v + 1024); });
  for (ImageVolume* volume : {&asInt32, &asFloat, &asUInt16}) {
    volume->dicom = ct.dicom;
    volume->unit = ct.unit;
    EXPECT_EQ(confidenceConnected(*volume, seeds, {}).inside, expected.inside)
        << int(volume->pixelType());
  }
}

TEST(SegmentationSeededPreview, RegionGrowingIsItksConnectedThresholdVoxelForVoxel) {
  const ImageVolume& ct = abdomenCt();
  const ImageGeometry& g = ct.geometry();
  const Vec3 seed = pointIn("Liver", Vec3(-70, -5, 55));
  auto image = newItkImage<float>(g);
  const auto voxels = ct.voxels<std::int16_t>();
  std::copy(voxels.begin(), voxels.end(), image->GetBufferPointer());
  for (const HuRange range : {HuRange{70, 130}, HuRange{-29, 150}, HuRange{80.5, 119.5}}) {
    using Filter =
        itk::ConnectedThresholdImageFilter<itk::Image<float, 3>, itk::Image<std::uint8_t, 3>>;
    auto filter = Filter::New();
    filter->SetInput(image);
    filter->SetLower(static_cast<float>(range.low_HU));
    filter->SetUpper(static_cast<float>(range.high_HU));
    filter->SetReplaceValue(1);
    const Vec3 ijk = g.lpsToIndex(seed);
    itk::Index<3> index;
    for (unsigned a = 0; a < 3; ++a) index[a] = std::llround(ijk[a]);
    filter->AddSeed(index);
    filter->Update();
    const std::uint8_t* theirs = filter->GetOutput()->GetBufferPointer();
    const std::vector<Vec3> seeds{seed};
    const RegionMask ours = connectedThreshold(ct, seeds, range);
    ASSERT_GT(ours.count(), 1000u);
    EXPECT_TRUE(std::equal(ours.inside.begin(), ours.inside.end(), theirs));
  }
}

TEST(SegmentationSeededPreview, ConfidenceConnectedBoxPreviewIsTheBoxOfItksRunOnTheBox) {
  // A preview box sees only its voxels: the same as ITK's filter on that box as an image.
  const ImageVolume& ct = abdomenCt();
  const Vec3 seed = pointIn("Liver", Vec3(-70, -5, 55));
  const VoxelBox box = boxAround(ct.geometry(), seed, 30.0);
  const std::vector<Vec3> seeds{seed};
  const RegionMask preview = confidenceConnected(ct, seeds, {}, box);
  ImageVolume cropped(preview.geometry, PixelType::Int16);
  cropped.dicom = ct.dicom;
  cropped.unit = ct.unit;
  const auto from = ct.voxels<std::int16_t>();
  auto to = cropped.voxels<std::int16_t>();
  std::size_t v = 0;
  for (std::int64_t k = box.begin[2]; k < box.end[2]; ++k)
    for (std::int64_t j = box.begin[1]; j < box.end[1]; ++j)
      for (std::int64_t i = box.begin[0]; i < box.end[0]; ++i)
        to[v++] = from[ct.geometry().linearIndex(i, j, k)];
  EXPECT_EQ(preview.inside, itkConfidenceConnected(cropped, seed, {}).inside);
}

TEST(SegmentationSeededPreview, WatershedSlicePreviewAgreesWithTheFourSliceAndFullRuns) {
  // Liver against everything else, split on the liver's edge.
  const ImageVolume& ct = abdomenCt();
  const ImageGeometry& g = ct.geometry();
  const Vec3 inLiver = pointIn("Liver", Vec3(-70, -5, 55));
  const std::int64_t k = std::llround(g.lpsToIndex(inLiver)[2]);
  // Markers in the liver, the spleen, the muscle and the air around the body; label 1 compared.
  const Vec3 spleen = pointIn("Spleen", inLiver + Vec3(150, 0, 0), k);
  const Vec3 muscle = pointIn("Muscle", inLiver + Vec3(60, 80, 0), k);
  const std::vector<std::vector<Vec3>> markers{
      {inLiver}, {spleen}, {muscle}, {g.indexToLps(Vec3(2, 2, double(k)))}};
  const WatershedResult preview = watershed(ct, markers, 1.0, sliceBox(g, k));
  ASSERT_EQ(preview.geometry.size[2], 1);
  // What the preview was before: the 3D flooding of a four-slice box, cut to the slice.
  const VoxelBox four{{0, 0, k - 2}, {g.size[0], g.size[1], k + 2}};
  const WatershedResult fourSlices = watershed(ct, markers, 1.0, four);
  const RegionMask before = sliceOf(onGrid(fourSlices.mask(1), g), k);
  const RegionMask full = sliceOf(watershed(ct, markers, 1.0).mask(1), k);
  const RegionMask now{before.geometry, preview.mask(1).inside};
  EXPECT_GT(now.count(), 500u);
  EXPECT_GE(reported("watershed_slice_vs_four_slice", dice(now, before)), 0.97);
  // A 3D flooding may reach a basin through other slices, so neither preview is the full run's
  // slice (measured 0.54 and 0.56); the slice preview is no further from it than before.
  EXPECT_GE(reported("watershed_slice_vs_full_3d", dice(now, full)),
            reported("watershed_four_slice_vs_full_3d", dice(before, full)) - 0.05);
}

TEST(SegmentationSeededPreview, WatershedSagittalSlicePreviewAgreesWithTheFourSliceRun) {
  // A slice along i (sagittal) through the liver: markers in the liver and the air.
  const ImageVolume& ct = abdomenCt();
  const ImageGeometry& g = ct.geometry();
  const Vec3 inLiver = pointIn("Liver", Vec3(-70, -5, 55));
  const std::int64_t i = std::llround(g.lpsToIndex(inLiver)[0]);
  const Vec3 air = g.indexToLps(Vec3(double(i), 1, 1));
  const std::vector<std::vector<Vec3>> markers{{inLiver}, {air}};
  const VoxelBox slice{{i, 0, 0}, {i + 1, g.size[1], g.size[2]}};
  const WatershedResult preview = watershed(ct, markers, 1.0, slice);
  ASSERT_EQ(preview.geometry.size[0], 1);
  const VoxelBox four{{i - 2, 0, 0}, {i + 2, g.size[1], g.size[2]}};
  const RegionMask before = cropped(onGrid(watershed(ct, markers, 1.0, four).mask(1), g), slice);
  const RegionMask now{before.geometry, preview.mask(1).inside};
  EXPECT_GT(now.count(), 500u);
  EXPECT_GE(reported("watershed_sagittal_slice_vs_four_slice", dice(now, before)), 0.97);
}

TEST(SegmentationSeededPreview, GeodesicCoarsePreviewAgreesWithTheFullResolutionRun) {
  // A 12 mm ball of 100 HU on 0 HU, 0.8x0.8x1 mm voxels, seeded off centre; a 64 mm box
  // (80x80x64 voxels) is over the preview budget and evolves on 2x2x2 blocks.
  ImageVolume ct = test::centredCt({80, 80, 64}, Vec3(0.8, 0.8, 1.0));
  const ImageGeometry g = ct.geometry();
  RegionMask ball{g, std::vector<std::uint8_t>(g.voxelCount())};
  auto voxels = ct.voxels<std::int16_t>();
  for (std::int64_t k = 0; k < g.size[2]; ++k)
    for (std::int64_t j = 0; j < g.size[1]; ++j)
      for (std::int64_t i = 0; i < g.size[0]; ++i) {
        const std::size_t v = g.linearIndex(i, j, k);
        ball.inside[v] = g.indexToLps(Vec3(double(i), double(j), double(k))).norm() <= 12.0;
        voxels[v] = ball.inside[v] ? 100 : 0;
      }
  const std::vector<Vec3> seed{Vec3(2.0, -1.0, 1.0)};
  GeodesicOptions options;
  options.speed.edgeGradient_per_mm = 40.0;  // the step of 100 over a 1 mm Gaussian
  options.iterations = 200;
  const RegionMask preview = geodesicActiveContour(ct, seed, options, wholeGrid(g));
  options.previewVoxels = 0;
  const RegionMask full = geodesicActiveContour(ct, seed, options, wholeGrid(g));
  EXPECT_GE(reported("gac_full_vs_truth", dice(full, ball)), 0.95);
  EXPECT_GE(reported("gac_preview_vs_full", dice(preview, full)), 0.93);
  EXPECT_GE(reported("gac_preview_vs_truth", dice(preview, ball)), 0.93);
}
