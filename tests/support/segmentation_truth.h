#pragma once
// Ground truth for the segmentation tests (unit and slow presets, seeded previews): a phantom
// label map's true voxels by segment name or tissue type, a result's labelled voxels, a seed deep
// inside a true segment (where a user would click), and an empty CT to draw a constructed case
// on. Header only: the tests that use it link twinplan_segmentation.
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "twinplan/core/image_volume.h"
#include "twinplan/core/label_map.h"
#include "twinplan/segmentation/region_mask.h"

namespace twinplan::test {

// The layer-0 voxels of the true segments whose name or tissue type is listed (every labelled
// voxel when `all`).
inline segmentation::RegionMask trueMask(const LabelMap& labels, const std::set<std::string>& keys,
                                         bool all = false) {
  std::set<std::uint16_t> values;
  for (const Segment& s : labels.segments())
    if (s.layer == 0 && (keys.count(s.tissueType) || keys.count(s.name))) values.insert(s.value);
  segmentation::RegionMask mask{labels.geometry(),
                                std::vector<std::uint8_t>(labels.geometry().voxelCount())};
  const auto& layer = labels.layer(0);
  for (std::size_t v = 0; v < layer.size(); ++v)
    mask.inside[v] = all ? layer[v] != 0 : values.count(layer[v]) != 0;
  return mask;
}

// Every labelled voxel of layer 0 (what a preset made).
inline segmentation::RegionMask labelledMask(const LabelMap& labels) {
  segmentation::RegionMask mask{labels.geometry(),
                                std::vector<std::uint8_t>(labels.geometry().voxelCount())};
  for (std::size_t v = 0; v < mask.inside.size(); ++v) mask.inside[v] = labels.layer(0)[v] != 0;
  return mask;
}

// The voxel centre nearest `near_lps` that lies deep in true segment `segment` (its +-2 voxel box
// all that segment), on slice `onlySlice` when given.
inline Vec3 deepPointIn(const LabelMap& labels, const std::string& segment, const Vec3& near_lps,
                        std::int64_t onlySlice = -1) {
  const std::uint16_t value = labels.segments()[*labels.findSegment(segment)].value;
  const ImageGeometry& g = labels.geometry();
  const auto& layer = labels.layer(0);
  Vec3 best(0, 0, 0);
  double bestDistance = 1e9;
  for (std::int64_t k = 2; k + 2 < g.size[2]; ++k)
    for (std::int64_t j = 2; j + 2 < g.size[1]; ++j)
      for (std::int64_t i = 2; i + 2 < g.size[0]; ++i) {
        if (onlySlice >= 0 && k != onlySlice) continue;
        bool deep = true;
        for (int dk = -2; dk <= 2 && deep; ++dk)
          for (int dj = -2; dj <= 2 && deep; ++dj)
            for (int di = -2; di <= 2 && deep; ++di)
              deep = layer[g.linearIndex(i + di, j + dj, k + dk)] == value;
        if (!deep) continue;
        const Vec3 p = g.indexToLps(Vec3(double(i), double(j), double(k)));
        const double d = (p - near_lps).norm();
        if (d < bestDistance) bestDistance = d, best = p;
      }
  return best;
}

// An empty CT (16-bit HU, all 0) of `size` voxels of `spacing_mm`, centred on the LPS origin.
inline ImageVolume centredCt(const Index3& size, const Vec3& spacing_mm) {
  ImageGeometry g;
  g.size = size;
  g.spacing_mm = spacing_mm;
  g.origin_lps = -0.5 * g.spacing_mm.cwiseProduct(
                            Vec3(double(size[0] - 1), double(size[1] - 1), double(size[2] - 1)));
  ImageVolume ct(g, PixelType::Int16);
  ct.dicom.modality = "CT";
  ct.unit = "HU";
  return ct;
}

}  // namespace twinplan::test
