// The geodesic active contour's coarse box preview against the full-resolution run in the same
// box on the full-size abdomen phantom (256x256x100 at 1.5x1.5x2.5 mm), seeded in the liver: the
// preview must show what the apply will give. Figures in docs/validation.md ("Fast tool
// previews, median smoothing and airways").
#include <gtest/gtest.h>

#include <iostream>

#include "twinplan/phantom/phantom.h"
#include "twinplan/segmentation/seeded.h"

using namespace twinplan;
using namespace twinplan::segmentation;

TEST(SegmentationSeededPreviewSlow, GeodesicPreviewOnThePhantomLiverAgreesWithTheFullRun) {
  phantom::PhantomOptions options;
  options.surfaceModels = false;
  const phantom::Phantom p = phantom::makePhantom(options);
  const ImageVolume& ct = *findVolume(p.twin, "CT");
  const LabelMap& labels = p.twin.labelMaps[0];
  const std::uint16_t liverValue = labels.segments()[*labels.findSegment("Liver")].value;
  const ImageGeometry& g = ct.geometry();
  // The liver voxel nearest the right lobe's centre whose +-3 voxel box is all liver.
  Vec3 seed(0, 0, 0);
  double best = 1e9;
  for (std::int64_t k = 3; k + 3 < g.size[2]; ++k)
    for (std::int64_t j = 3; j + 3 < g.size[1]; ++j)
      for (std::int64_t i = 3; i + 3 < g.size[0]; ++i) {
        const Vec3 at = g.indexToLps(Vec3(double(i), double(j), double(k)));
        if ((at - Vec3(-70, -5, 55)).norm() >= best) continue;
        bool deep = true;
        for (int dk = -3; dk <= 3 && deep; ++dk)
          for (int dj = -3; dj <= 3 && deep; ++dj)
            for (int di = -3; di <= 3 && deep; ++di)
              deep = labels.layer(0)[g.linearIndex(i + di, j + dj, k + dk)] == liverValue;
        if (deep) best = (at - Vec3(-70, -5, 55)).norm(), seed = at;
      }
  const std::vector<Vec3> seeds{seed};
  const VoxelBox box = boxAround(g, seed, 40.0);  // 54x54x33 voxels: over the preview budget
  GeodesicOptions gac;
  const RegionMask preview = geodesicActiveContour(ct, seeds, gac, box);
  gac.previewVoxels = 0;
  const RegionMask full = geodesicActiveContour(ct, seeds, gac, box);
  RegionMask liver{preview.geometry, {}};
  for (std::int64_t k = box.begin[2]; k < box.end[2]; ++k)
    for (std::int64_t j = box.begin[1]; j < box.end[1]; ++j)
      for (std::int64_t i = box.begin[0]; i < box.end[0]; ++i)
        liver.inside.push_back(labels.layer(0)[g.linearIndex(i, j, k)] == liverValue);
  const double agreement = dice(preview, full);
  std::cout << "[ DICE     ] gac preview vs full " << agreement << ", full vs liver "
            << dice(full, liver) << ", preview vs liver " << dice(preview, liver) << " ("
            << full.count() << " / " << preview.count() << " voxels)\n";
  RecordProperty("dice_gac_preview_vs_full", std::to_string(agreement));
  EXPECT_GT(full.count(), 1000u);
  EXPECT_GE(agreement, 0.9);
}
