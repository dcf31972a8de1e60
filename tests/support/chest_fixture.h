#pragma once
// A constructed chest CT with known right and left lungs, for the lungs preset's tests
// (unit/segmentation_presets_test, integration/segmentation_cli_test). Header only: the tests
// that use it link twinplan_segmentation.
#include <cmath>
#include <cstdint>
#include <vector>

#include "twinplan/core/image_volume.h"
#include "twinplan/segmentation/region_mask.h"

namespace twinplan::test {

// A constructed chest on 5 x 5 x 6 mm voxels: an elliptic body of soft tissue (40 HU, semi-axes
// 150 and 100 mm) in air (-1000 HU), two lungs (-850 HU ellipsoids, centre and semi-axes each),
// optionally a bridge of lung between them (the junction where they touch), and a ball of bowel
// gas (-950 HU). Truth: `lungs` (inside the body), and each side: a voxel of one ellipsoid only
// is that lung's, one of both or of the bridge goes by x < junction_x (the junction's middle).
// `turned`: the grid rotated 180 degrees about the patient's z axis (i runs to the patient's
// right, j to the front), so that sides must come from LPS, not from the voxel index.
struct Ellipsoid {
  Vec3 centre = Vec3::Zero(), radii = Vec3::Zero();
  bool contains(const Vec3& p) const {
    return radii.minCoeff() > 0.0 && (p - centre).cwiseQuotient(radii).squaredNorm() <= 1.0;
  }
};
struct ConstructedChest {
  ImageVolume ct;
  segmentation::RegionMask lungs, right, left;
};
inline ConstructedChest constructedChest(std::int64_t slices, const Ellipsoid& right,
                                         const Ellipsoid& left, const Ellipsoid& gas,
                                         const Ellipsoid& bridge = {}, bool turned = false,
                                         double junction_x = 0.0) {
  ImageGeometry g;
  g.size = {64, 48, slices};
  g.spacing_mm = Vec3(5.0, 5.0, 6.0);
  g.origin_lps = -0.5 * g.spacing_mm.cwiseProduct(Vec3(63, 47, double(slices - 1)));
  if (turned) {
    g.direction = Vec3(-1, -1, 1).asDiagonal();
    g.origin_lps.x() *= -1.0, g.origin_lps.y() *= -1.0;
  }
  const segmentation::RegionMask none{g, std::vector<std::uint8_t>(g.voxelCount())};
  ConstructedChest chest{ImageVolume(g, PixelType::Int16), none, none, none};
  chest.ct.dicom.modality = "CT";
  chest.ct.unit = "HU";
  auto voxels = chest.ct.voxels<std::int16_t>();
  for (std::int64_t k = 0; k < g.size[2]; ++k)
    for (std::int64_t j = 0; j < g.size[1]; ++j)
      for (std::int64_t i = 0; i < g.size[0]; ++i) {
        const Vec3 p = g.indexToLps(Vec3(double(i), double(j), double(k)));
        const std::size_t v = g.linearIndex(i, j, k);
        const bool body = std::pow(p.x() / 150, 2) + std::pow(p.y() / 100, 2) <= 1.0;
        const bool inRight = right.contains(p), inLeft = left.contains(p);
        const bool lung = inRight || inLeft || bridge.contains(p);
        chest.lungs.inside[v] = body && lung;
        const bool rightSide = inRight != inLeft ? inRight : p.x() < junction_x;
        chest.right.inside[v] = chest.lungs.inside[v] && rightSide;
        chest.left.inside[v] = chest.lungs.inside[v] && !rightSide;
        voxels[v] = static_cast<std::int16_t>(!body             ? -1000
                                              : lung            ? -850
                                              : gas.contains(p) ? -950
                                                                : 40);
      }
  return chest;
}

}  // namespace twinplan::test
