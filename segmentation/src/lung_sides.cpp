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

// The LPS x of voxel (i, j, k) is x0 + di i + dj j + dk k (the first row of the index-to-LPS
// affine): cheaper per voxel than a full index-to-LPS transform.
struct LpsX {
  double x0, di, dj, dk;
  explicit LpsX(const ImageGeometry& g)
      : x0(g.origin_lps.x()),
        di(g.direction(0, 0) * g.spacing_mm[0]),
        dj(g.direction(0, 1) * g.spacing_mm[1]),
        dk(g.direction(0, 2) * g.spacing_mm[2]) {}
  double row(std::int64_t j, std::int64_t k) const { return x0 + dj * double(j) + dk * double(k); }
};

// Per air space: voxels, the sum of their LPS x, and how many lie left of the midline (+x).
struct SpaceStats {
  std::size_t voxels = 0, leftOfMidline = 0;
  double sumX_mm = 0.0;
  double centroidX_mm() const { return sumX_mm / double(std::max<std::size_t>(voxels, 1)); }
};

// The LPS x of the body's mid-sagittal plane: the body outline's centroid (patient left is +x,
// PS3.3 C.7.6.2.1.1). One pass over the grid, slices in parallel (deterministic sum).
double midlineX(const RegionMask& body) {
  const ImageGeometry& g = body.geometry;
  const LpsX lps(g);
  const SpaceStats c = parallel::parallelReduce(
      {0, static_cast<std::size_t>(g.size[2])}, 4, SpaceStats{},
      [&](parallel::IndexRange slices) {
        SpaceStats part;
        for (auto k = std::int64_t(slices.begin); k < std::int64_t(slices.end); ++k)
          for (std::int64_t j = 0; j < g.size[1]; ++j) {
            const double x = lps.row(j, k);
            const std::uint8_t* row = &body.inside[g.linearIndex(0, j, k)];
            for (std::int64_t i = 0; i < g.size[0]; ++i)
              if (row[i]) part.sumX_mm += x + lps.di * double(i), ++part.voxels;
          }
        return part;
      },
      [](SpaceStats total, const SpaceStats& part) {
        total.voxels += part.voxels;
        total.sumX_mm += part.sumX_mm;
        return total;
      });
  return c.centroidX_mm();
}

// The statistics of air spaces 1..count (labels of `spaces`), in one pass.
std::vector<SpaceStats> spaceStats(const Components& spaces, std::size_t count, double midline) {
  const ImageGeometry& g = spaces.geometry;
  const LpsX lps(g);
  using Stats = std::vector<SpaceStats>;
  return parallel::parallelReduce(
      {0, static_cast<std::size_t>(g.size[2])}, 4, Stats(count),
      [&](parallel::IndexRange slices) {
        Stats part(count);
        for (auto k = std::int64_t(slices.begin); k < std::int64_t(slices.end); ++k)
          for (std::int64_t j = 0; j < g.size[1]; ++j) {
            const double x = lps.row(j, k);
            const std::uint32_t* row = &spaces.labels[g.linearIndex(0, j, k)];
            for (std::int64_t i = 0; i < g.size[0]; ++i) {
              if (row[i] == 0 || row[i] > count) continue;
              SpaceStats& s = part[row[i] - 1];
              const double xi = x + lps.di * double(i);
              ++s.voxels;
              s.sumX_mm += xi;
              s.leftOfMidline += xi > midline;
            }
          }
        return part;
      },
      [](Stats total, const Stats& part) {
        for (std::size_t n = 0; n < total.size(); ++n) {
          total[n].voxels += part[n].voxels;
          total[n].leftOfMidline += part[n].leftOfMidline;
          total[n].sumX_mm += part[n].sumX_mm;
        }
        return total;
      });
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

}  // namespace

LungSides findLungSides(const Components& spaces, const std::vector<bool>& lungSized,
                        const RegionMask& body, Progress& progress) {
  const ImageGeometry& g = spaces.geometry;
  LungSides sides{RegionMask{g, std::vector<std::uint8_t>(g.voxelCount())},
                  RegionMask{g, std::vector<std::uint8_t>(g.voxelCount())}};
  std::vector<bool> kept = lungSized;
  kept.resize(std::min<std::size_t>(kept.size(), 2));
  const double midline = midlineX(body);
  const std::vector<SpaceStats> stats = spaceStats(spaces, kept.size(), midline);
  auto holdsBoth = [&](const SpaceStats& s) {
    const std::size_t smaller = std::min(s.leftOfMidline, s.voxels - s.leftOfMidline);
    return s.voxels > 0 && double(smaller) >= kJoinedLungSide * double(s.voxels);
  };
  const bool joined = !kept.empty() && kept[0] && holdsBoth(stats[0]);
  // Lungs joined in front of the heart (the anterior junction line blurred at the threshold)
  // are one air space that holds both; the next largest is then bowel or stomach gas.
  if (joined && kept.size() > 1) kept[1] = false;
  for (std::size_t n = 0; n < kept.size(); ++n) {
    if (!kept[n] || (joined && n == 0)) continue;
    RegionMask& side = stats[n].centroidX_mm() > midline ? sides.left : sides.right;
    for (std::size_t v = 0; v < spaces.labels.size(); ++v)
      if (spaces.labels[v] == n + 1) side.inside[v] = 1;
  }
  if (joined) {
    std::vector<bool> first(spaces.sizes.size(), false);
    first[0] = true;
    const RegionMask space = spaces.select(first);
    auto [one, other] = cutAtTheJunction(space, progress);
    if (one.count() == 0) {  // no junction found: the midline plane is the cut
      const LpsX lps(g);
      for (std::int64_t k = 0; k < g.size[2]; ++k)
        for (std::int64_t j = 0; j < g.size[1]; ++j)
          for (std::int64_t i = 0; i < g.size[0]; ++i) {
            const std::size_t v = g.linearIndex(i, j, k);
            if (space.inside[v])
              (lps.row(j, k) + lps.di * double(i) > midline ? sides.left : sides.right).inside[v] =
                  1;
          }
    } else {
      // The part whose centroid lies further towards the patient's left (+x) is the left lung.
      Components parts{g, std::vector<std::uint32_t>(g.voxelCount()), {one.count(), other.count()}};
      for (std::size_t v = 0; v < parts.labels.size(); ++v)
        parts.labels[v] = one.inside[v] ? 1 : other.inside[v] ? 2 : 0;
      const std::vector<SpaceStats> cut = spaceStats(parts, 2, midline);
      if (cut[0].centroidX_mm() > cut[1].centroidX_mm()) std::swap(one, other);
      sides.right = std::move(one);
      sides.left = std::move(other);
    }
  }
  progress.report(1.0, "Separating the lungs");
  return sides;
}

}  // namespace twinplan::segmentation::detail
