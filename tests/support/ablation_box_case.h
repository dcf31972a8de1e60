#pragma once
// Constructed cases with known answers for the ablation tests (needle path, planner): a CT of
// air around a box-shaped body of one CT number, with one label map whose segments a painter
// sets voxel by voxel (a tumour sphere, a rib, a vessel ...), on an axial grid.
#include <cstdint>
#include <functional>
#include <vector>

#include "twinplan/core/case.h"
#include "twinplan/core/image_volume.h"
#include "twinplan/core/label_map.h"

namespace twinplan::test {

struct BoxCaseSpec {
  Index3 size{0, 0, 0};
  double spacing_mm = 1.0;
  Vec3 origin_lps = Vec3::Zero();
  double bodyHalfWidth_mm = 50.0;  // the body: |x|, |y| below this (all z)
  std::int16_t bodyHu = 40;        // outside it: air, -1000 HU
  std::vector<Segment> segments;   // label values as given
};

// Called for every voxel centre p_lps (inside the body or not) after the body and air are set:
// may change its CT number and its layer-0 label.
using BoxPainter =
    std::function<void(const Vec3& p_lps, bool inBody, std::int16_t& hu, std::uint16_t& label)>;

// The case: volume "CT" (unit HU) and the label map. Deterministic.
inline Case boxCase(const BoxCaseSpec& spec, const BoxPainter& paint) {
  ImageGeometry g;
  g.size = spec.size;
  g.spacing_mm = Vec3::Constant(spec.spacing_mm);
  g.origin_lps = spec.origin_lps;
  ImageVolume ct(g, PixelType::Int16);
  ct.name = "CT";
  ct.unit = "HU";
  LabelMap labels(g);
  for (const Segment& s : spec.segments) labels.addSegment(s);
  auto voxels = ct.voxels<std::int16_t>();
  auto& layer = labels.layer(0);
  for (std::int64_t k = 0; k < g.size[2]; ++k)
    for (std::int64_t j = 0; j < g.size[1]; ++j)
      for (std::int64_t i = 0; i < g.size[0]; ++i) {
        const Vec3 p = g.indexToLps(Vec3(double(i), double(j), double(k)));
        const std::size_t v = g.linearIndex(i, j, k);
        const bool body =
            std::abs(p.x()) < spec.bodyHalfWidth_mm && std::abs(p.y()) < spec.bodyHalfWidth_mm;
        voxels[v] = body ? spec.bodyHu : std::int16_t(-1000);
        paint(p, body, voxels[v], layer[v]);
      }
  Case twin;
  twin.volumes.push_back(std::move(ct));
  twin.labelMaps.push_back(std::move(labels));
  return twin;
}

}  // namespace twinplan::test
