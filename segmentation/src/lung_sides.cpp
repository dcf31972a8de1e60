// Right and left lung for the lungs preset (lung_sides.h).
//
// Lungs that touch at the anterior (or posterior) junction line are one air space at the
// preset's threshold: the pleural layers between them are thinner than a voxel there. The split
// follows the lung-separation step of Hu, Hoffman & Reinhardt (IEEE TMI 2001;20:490-498): the
// junction is the thinnest part of the joined air space, so eroding it breaks it there first
// into a right and a left core; each remaining voxel then joins the core it is geodesically
// nearest to inside the air space (the cut falls in the narrow junction, halfway between the
// cores). Hu et al. search the junction slice by slice with dynamic programming; the 3D
// erosion needs no axial grid and handles an oblique one.
#include "lung_sides.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <queue>
#include <utility>
#include <vector>

#include "preset_steps.h"
#include "twinplan/core/parallel.h"
#include "twinplan/segmentation/binary_mask.h"
#include "twinplan/segmentation/morphology.h"

namespace twinplan::segmentation::detail {
namespace {

// Joined lungs leave well over 25 % of the air space on each side of the midline, a single lung
// (which reaches at most a little past the midline) far less: the right lung is only somewhat
// larger than the left (Gray's Anatomy, 41st ed., ch. 54: right ~55 %, left ~45 % of the
// volume), so the two lungs are of one order.
constexpr double kJoinedLungSide = 0.25;
// For the same reason the two cores of an eroded joined air space are both lungs only when the
// smaller is at least a quarter of the larger: a part broken off one lung first (an apex cut
// off by the erosion) is far smaller, and the erosion goes on.
constexpr double kCoreBalance = 0.25;

struct CentroidX {
  double sum_mm = 0.0;
  std::size_t voxels = 0;
};

// Sum and count of the LPS x of the voxels of `mask` (whole grid) that `keep` accepts.
CentroidX centroidX(const RegionMask& mask, const std::function<bool(std::size_t)>& keep) {
  const ImageGeometry& g = mask.geometry;
  return parallel::parallelReduce(
      {0, static_cast<std::size_t>(g.size[2])}, 4, CentroidX{},
      [&](parallel::IndexRange slices) {
        CentroidX part;
        for (auto k = static_cast<std::int64_t>(slices.begin);
             k < static_cast<std::int64_t>(slices.end); ++k)
          for (std::int64_t j = 0; j < g.size[1]; ++j)
            for (std::int64_t i = 0; i < g.size[0]; ++i) {
              const std::size_t v = g.linearIndex(i, j, k);
              if (!mask.inside[v] || !keep(v)) continue;
              part.sum_mm += g.indexToLps(Vec3(double(i), double(j), double(k))).x();
              ++part.voxels;
            }
        return part;
      },
      [](CentroidX total, const CentroidX& part) {
        total.sum_mm += part.sum_mm;
        total.voxels += part.voxels;
        return total;
      });
}

// The LPS x of the body's mid-sagittal plane: the body outline's centroid (patient left is +x,
// PS3.3 C.7.6.2.1.1).
double midline_x(const RegionMask& body) {
  const CentroidX c = centroidX(body, [](std::size_t) { return true; });
  return c.voxels == 0 ? 0.0 : c.sum_mm / double(c.voxels);
}

// Voxels of `mask` on the patient's left of the plane x = midline (LPS), and all of them.
std::pair<std::size_t, std::size_t> leftOf(const RegionMask& mask, double midline) {
  const ImageGeometry& g = mask.geometry;
  const CentroidX all = centroidX(mask, [](std::size_t) { return true; });
  const std::size_t ni = std::size_t(g.size[0]), nij = ni * std::size_t(g.size[1]);
  const CentroidX left = centroidX(mask, [&](std::size_t v) {
    const Vec3 ijk(double(v % ni), double((v / ni) % std::size_t(g.size[1])), double(v / nij));
    return g.indexToLps(ijk).x() > midline;
  });
  return {left.voxels, all.voxels};
}

// The bounding box of the mask's voxels grown by one voxel (clipped to the grid), so that the
// crop has background around the air space wherever the image has.
VoxelBox boundsWithMargin(const RegionMask& mask) {
  const ImageGeometry& g = mask.geometry;
  VoxelBox box{{g.size[0], g.size[1], g.size[2]}, {0, 0, 0}};
  for (std::int64_t k = 0; k < g.size[2]; ++k)
    for (std::int64_t j = 0; j < g.size[1]; ++j)
      for (std::int64_t i = 0; i < g.size[0]; ++i) {
        if (!mask.inside[g.linearIndex(i, j, k)]) continue;
        const std::array<std::int64_t, 3> at{i, j, k};
        for (int a = 0; a < 3; ++a) {
          box.begin[a] = std::min(box.begin[a], at[a]);
          box.end[a] = std::max(box.end[a], at[a] + 1);
        }
      }
  for (int a = 0; a < 3; ++a) {
    box.begin[a] = std::max<std::int64_t>(0, box.begin[a] - 1);
    box.end[a] = std::min(g.size[a], box.end[a] + 1);
  }
  return box;
}

// Each voxel of `within` labelled by the seed label (1 or 2) it is nearest to along face-
// connected paths inside `within`, each step as long as the voxel spacing along its axis
// (Dijkstra 1959). `label` holds the seeds on entry (0 elsewhere).
void growGeodesically(const BinaryMask& within, std::vector<std::uint8_t>& label,
                      Progress& progress) {
  const ImageGeometry& g = within.geometry;
  const std::size_t ni = std::size_t(g.size[0]), nj = std::size_t(g.size[1]);
  const std::size_t nk = std::size_t(g.size[2]), nij = ni * nj;
  std::vector<float> reached(label.size(), std::numeric_limits<float>::infinity());
  using Front = std::pair<float, std::size_t>;
  std::priority_queue<Front, std::vector<Front>, std::greater<>> front;
  for (std::size_t v = 0; v < label.size(); ++v)
    if (label[v] != 0) reached[v] = 0.0f, front.push({0.0f, v});
  const std::array<float, 3> step{float(g.spacing_mm[0]), float(g.spacing_mm[1]),
                                  float(g.spacing_mm[2])};
  for (std::size_t popped = 0; !front.empty(); ++popped) {
    if (popped % 65536 == 0) progress.check();
    const auto [distance, v] = front.top();
    front.pop();
    if (distance > reached[v]) continue;  // a stale entry
    const std::size_t i = v % ni, j = (v / ni) % nj, k = v / nij;
    auto relax = [&](std::size_t w, float length) {
      if (!within.voxels[w] || distance + length >= reached[w]) return;
      reached[w] = distance + length;
      label[w] = label[v];
      front.push({reached[w], w});
    };
    if (i > 0) relax(v - 1, step[0]);
    if (i + 1 < ni) relax(v + 1, step[0]);
    if (j > 0) relax(v - ni, step[1]);
    if (j + 1 < nj) relax(v + ni, step[1]);
    if (k > 0) relax(v - nij, step[2]);
    if (k + 1 < nk) relax(v + nij, step[2]);
  }
}

// A joined air space (one component holding both lungs) cut into two parts, in the order of
// the two cores' sizes. Empty parts when no erosion leaves two balanced cores (a junction as
// thick as the lungs); the caller then cuts at the midline.
std::pair<RegionMask, RegionMask> cutAtTheJunction(const RegionMask& joined, Progress& progress) {
  const ImageGeometry& g = joined.geometry;
  std::pair<RegionMask, RegionMask> parts{RegionMask{g, std::vector<std::uint8_t>(g.voxelCount())},
                                          RegionMask{g, std::vector<std::uint8_t>(g.voxelCount())}};
  const VoxelBox box = boundsWithMargin(joined);
  BinaryMask air(boxGeometry(g, box));
  const ImageGeometry& crop = air.geometry;
  auto toGrid = [&](std::size_t c) {
    const std::size_t ni = std::size_t(crop.size[0]), nj = std::size_t(crop.size[1]);
    return g.linearIndex(box.begin[0] + std::int64_t(c % ni),
                         box.begin[1] + std::int64_t((c / ni) % nj),
                         box.begin[2] + std::int64_t(c / (ni * nj)));
  };
  for (std::size_t c = 0; c < air.voxels.size(); ++c) air.voxels[c] = joined.inside[toGrid(c)];
  auto mapping = subRange(progress, 0.0, 0.3);
  const std::vector<float> depth_mm = distance_mm(air, false, *mapping);
  const float deepest = *std::max_element(depth_mm.begin(), depth_mm.end());
  // One layer of the coarsest axis per step: a finer step would find the same cut.
  const double step_mm = g.spacing_mm.maxCoeff();
  std::vector<std::uint8_t> label(air.voxels.size(), 0);
  auto eroding = subRange(progress, 0.3, 0.7);
  for (double depth = step_mm; depth < deepest; depth += step_mm) {
    eroding->report(depth / deepest, "Separating the lungs");
    RegionMask core{crop, std::vector<std::uint8_t>(air.voxels.size())};
    for (std::size_t c = 0; c < core.inside.size(); ++c) core.inside[c] = depth_mm[c] > depth;
    const Components cores = components(core, noProgress());
    if (cores.sizes.size() < 2) continue;
    if (double(cores.sizes[1]) < kCoreBalance * double(cores.sizes[0])) continue;
    for (std::size_t c = 0; c < label.size(); ++c)
      label[c] = cores.labels[c] == 1 ? 1 : cores.labels[c] == 2 ? 2 : 0;
    break;
  }
  if (std::none_of(label.begin(), label.end(), [](std::uint8_t l) { return l != 0; })) return parts;
  auto growing = subRange(progress, 0.7, 1.0);
  growGeodesically(air, label, *growing);
  for (std::size_t c = 0; c < label.size(); ++c) {
    if (label[c] == 1) parts.first.inside[toGrid(c)] = 1;
    if (label[c] == 2) parts.second.inside[toGrid(c)] = 1;
  }
  return parts;
}

void addTo(RegionMask& side, const RegionMask& part) {
  for (std::size_t v = 0; v < part.inside.size(); ++v) side.inside[v] |= part.inside[v];
}

}  // namespace

bool holdsBothLungs(const RegionMask& lung, const RegionMask& body) {
  const auto [left, all] = leftOf(lung, midline_x(body));
  if (all == 0) return false;
  return double(std::min(left, all - left)) >= kJoinedLungSide * double(all);
}

LungSides splitLungSides(const RegionMask& lungs, const RegionMask& body, Progress& progress) {
  const ImageGeometry& g = lungs.geometry;
  LungSides sides{RegionMask{g, std::vector<std::uint8_t>(g.voxelCount())},
                  RegionMask{g, std::vector<std::uint8_t>(g.voxelCount())}};
  auto labelling = subRange(progress, 0.0, 0.2);
  const Components spaces = components(lungs, *labelling);
  const double midline = midline_x(body);
  auto centre = [](const RegionMask& m) {
    const CentroidX c = centroidX(m, [](std::size_t) { return true; });
    return c.sum_mm / double(std::max<std::size_t>(c.voxels, 1));
  };
  for (std::size_t n = 0; n < spaces.sizes.size(); ++n) {
    std::vector<bool> only(spaces.sizes.size(), false);
    only[n] = true;
    const RegionMask space = spaces.select(only);
    if (!holdsBothLungs(space, body)) {
      addTo(centre(space) > midline ? sides.left : sides.right, space);
      continue;
    }
    auto cutting = subRange(progress, 0.2, 1.0);
    auto [first, second] = cutAtTheJunction(space, *cutting);
    if (first.count() == 0) {  // no junction found: the midline plane is the cut
      const std::size_t ni = std::size_t(g.size[0]), nij = ni * std::size_t(g.size[1]);
      for (std::size_t v = 0; v < space.inside.size(); ++v) {
        if (!space.inside[v]) continue;
        const Vec3 ijk(double(v % ni), double((v / ni) % std::size_t(g.size[1])), double(v / nij));
        (g.indexToLps(ijk).x() > midline ? sides.left : sides.right).inside[v] = 1;
      }
      continue;
    }
    // The part whose centroid lies further towards the patient's left (+x) is the left lung.
    if (centre(first) > centre(second)) std::swap(first, second);
    addTo(sides.right, first);
    addTo(sides.left, second);
  }
  progress.report(1.0, "Separating the lungs");
  return sides;
}

}  // namespace twinplan::segmentation::detail
