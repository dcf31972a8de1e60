// Right and left lung for the lungs preset (lung_sides.h).
//
// Lungs that touch at the anterior (or posterior) junction line are one air space at the
// preset's threshold: the pleural layers between them are thinner than a voxel there. The
// junction is the thinnest part of the joined air space (Hu, Hoffman & Reinhardt, IEEE TMI
// 2001;20:490-498, cut it there slice by slice with dynamic programming); here it is found in
// 3D: eroding the air space breaks it at the junction first into a right and a left core, and
// each remaining voxel then joins the core it is geodesically nearest to inside the air space
// (the cut falls in the narrow junction, halfway between the cores). No axial grid is needed,
// so an oblique one works too.
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
// broader and heavier than the left (Gray's Anatomy, "Lungs"), so the two are of one order.
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

// The bounding box of air space `label` grown by one voxel (clipped to the grid), so that the
// crop has background around it wherever the image has. Slices in parallel.
VoxelBox boundsWithMargin(const Components& spaces, std::uint32_t label) {
  const ImageGeometry& g = spaces.geometry;
  const VoxelBox none{{g.size[0], g.size[1], g.size[2]}, {0, 0, 0}};
  auto unite = [](VoxelBox a, const VoxelBox& b) {
    for (int n = 0; n < 3; ++n)
      a.begin[n] = std::min(a.begin[n], b.begin[n]), a.end[n] = std::max(a.end[n], b.end[n]);
    return a;
  };
  VoxelBox box = parallel::parallelReduce(
      {0, static_cast<std::size_t>(g.size[2])}, 4, none,
      [&](parallel::IndexRange slices) {
        VoxelBox found = none;
        for (auto k = std::int64_t(slices.begin); k < std::int64_t(slices.end); ++k)
          for (std::int64_t j = 0; j < g.size[1]; ++j) {
            const std::uint32_t* row = &spaces.labels[g.linearIndex(0, j, k)];
            for (std::int64_t i = 0; i < g.size[0]; ++i)
              if (row[i] == label) found = unite(found, {{i, j, k}, {i + 1, j + 1, k + 1}});
          }
        return found;
      },
      unite);
  for (int a = 0; a < 3; ++a) {
    box.begin[a] = std::max<std::int64_t>(0, box.begin[a] - 1);
    box.end[a] = std::min(g.size[a], box.end[a] + 1);
  }
  return box;
}

// Each voxel of `within` labelled by the seed label (1 or 2) it is nearest to along face-
// connected paths inside `within`, each step as long as the voxel spacing along its axis
// (Dijkstra 1959). `label` holds the seeds on entry (0 elsewhere); only seeds on the edge of
// their core (next to an unlabelled voxel of `within`) start the front.
void growGeodesically(const BinaryMask& within, std::vector<std::uint8_t>& label,
                      Progress& progress) {
  const ImageGeometry& g = within.geometry;
  const std::size_t ni = std::size_t(g.size[0]), nj = std::size_t(g.size[1]);
  const std::size_t nk = std::size_t(g.size[2]), nij = ni * nj;
  std::vector<float> reached(label.size(), std::numeric_limits<float>::infinity());
  using Front = std::pair<float, std::size_t>;
  std::vector<Front> edge;
  auto forEachNeighbour = [&](std::size_t v, auto&& visit) {
    const std::size_t i = v % ni, j = (v / ni) % nj, k = v / nij;
    if (i > 0) visit(v - 1, 0);
    if (i + 1 < ni) visit(v + 1, 0);
    if (j > 0) visit(v - ni, 1);
    if (j + 1 < nj) visit(v + ni, 1);
    if (k > 0) visit(v - nij, 2);
    if (k + 1 < nk) visit(v + nij, 2);
  };
  for (std::size_t v = 0; v < label.size(); ++v) {
    if (label[v] == 0) continue;
    reached[v] = 0.0f;
    bool onEdge = false;
    forEachNeighbour(v, [&](std::size_t w, int) { onEdge |= within.voxels[w] && !label[w]; });
    if (onEdge) edge.push_back({0.0f, v});
  }
  std::priority_queue<Front, std::vector<Front>, std::greater<>> front(std::greater<>{},
                                                                       std::move(edge));
  const std::array<float, 3> step{float(g.spacing_mm[0]), float(g.spacing_mm[1]),
                                  float(g.spacing_mm[2])};
  for (std::size_t popped = 0; !front.empty(); ++popped) {
    if (popped % 65536 == 0) progress.check();
    const auto [distance, v] = front.top();
    front.pop();
    if (distance > reached[v]) continue;  // a stale entry
    forEachNeighbour(v, [&](std::size_t w, int axis) {
      const float length = step[static_cast<std::size_t>(axis)];
      if (!within.voxels[w] || distance + length >= reached[w]) return;
      reached[w] = distance + length;
      label[w] = label[v];
      front.push({reached[w], w});
    });
  }
}

// The sides of a joined air space (label 1 of `spaces`) on its bounding box `box`: 1 the
// right lung, 2 the left, 0 outside it. The erosion that leaves two balanced cores, the
// geodesic growth from them, and the core further to the patient's left (+x) is the left
// lung; the plane x = midline when no erosion leaves two such cores (a junction as thick as
// the lungs).
std::vector<std::uint8_t> cutAtTheJunction(const Components& spaces, const VoxelBox& box,
                                           double midline, Progress& progress) {
  const ImageGeometry& g = spaces.geometry;
  BinaryMask air(boxGeometry(g, box));
  const ImageGeometry& crop = air.geometry;
  const std::size_t ni = std::size_t(crop.size[0]), nj = std::size_t(crop.size[1]);
  parallel::parallelFor({0, std::size_t(crop.size[2])}, 4, [&](parallel::IndexRange slices) {
    for (std::size_t k = slices.begin; k < slices.end; ++k)
      for (std::size_t j = 0; j < nj; ++j) {
        const std::uint32_t* row = &spaces.labels[g.linearIndex(
            box.begin[0], box.begin[1] + std::int64_t(j), box.begin[2] + std::int64_t(k))];
        std::uint8_t* to = &air.voxels[(k * nj + j) * ni];
        for (std::size_t i = 0; i < ni; ++i) to[i] = row[i] == 1;
      }
  });
  auto mapping = subRange(progress, 0.0, 0.3);
  const std::vector<float> depth_mm = distance_mm(air, false, *mapping);
  const float deepest = *std::max_element(depth_mm.begin(), depth_mm.end());
  // One layer of the coarsest axis per step: a finer step would find the same cut.
  const double step_mm = g.spacing_mm.maxCoeff();
  std::vector<std::uint8_t> label(air.voxels.size(), 0);
  auto eroding = subRange(progress, 0.3, 0.7);
  bool split = false;
  for (double depth = step_mm; depth < deepest && !split; depth += step_mm) {
    eroding->report(depth / deepest, "Separating the lungs");
    eroding->check();
    RegionMask core{crop, std::vector<std::uint8_t>(air.voxels.size())};
    for (std::size_t c = 0; c < core.inside.size(); ++c) core.inside[c] = depth_mm[c] > depth;
    const Components cores = components(core, noProgress());
    if (cores.sizes.size() < 2) continue;
    if (double(cores.sizes[1]) < kCoreBalance * double(cores.sizes[0])) continue;
    for (std::size_t c = 0; c < label.size(); ++c)
      label[c] = cores.labels[c] == 1 ? 1 : cores.labels[c] == 2 ? 2 : 0;
    split = true;
  }
  const LpsX lps(crop);
  auto xOf = [&](std::size_t c) {
    return lps.row(std::int64_t((c / ni) % nj), std::int64_t(c / (ni * nj))) +
           lps.di * double(c % ni);
  };
  if (!split) {
    for (std::size_t c = 0; c < label.size(); ++c)
      label[c] = !air.voxels[c] ? 0 : xOf(c) > midline ? 2 : 1;
    return label;
  }
  auto growing = subRange(progress, 0.7, 1.0);
  growGeodesically(air, label, *growing);
  std::array<double, 2> sumX{0.0, 0.0};
  std::array<std::size_t, 2> voxels{0, 0};
  for (std::size_t c = 0; c < label.size(); ++c)
    if (label[c] != 0) sumX[label[c] - 1] += xOf(c), ++voxels[label[c] - 1];
  if (sumX[0] / double(voxels[0]) > sumX[1] / double(voxels[1]))  // core 1 is the left lung
    for (std::uint8_t& l : label) l = l == 0 ? 0 : std::uint8_t(3 - l);
  return label;
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
  // side[n]: 0 not a lung, 1 right, 2 left (air space n + 1 goes whole to its centroid's side).
  std::vector<std::uint8_t> side(2, 0);
  for (std::size_t n = 0; n < kept.size(); ++n)
    if (kept[n] && !(joined && n == 0)) side[n] = stats[n].centroidX_mm() > midline ? 2 : 1;
  parallel::parallelFor({0, g.voxelCount()}, 1 << 20, [&](parallel::IndexRange voxels) {
    for (std::size_t v = voxels.begin; v < voxels.end; ++v) {
      const std::uint32_t l = spaces.labels[v];
      if (l == 0 || l > 2 || side[l - 1] == 0) continue;
      (side[l - 1] == 2 ? sides.left : sides.right).inside[v] = 1;
    }
  });
  if (joined) {
    const VoxelBox box = boundsWithMargin(spaces, 1);
    const std::vector<std::uint8_t> cut = cutAtTheJunction(spaces, box, midline, progress);
    const std::size_t ni = std::size_t(box.extent(0)), nj = std::size_t(box.extent(1));
    for (std::size_t c = 0; c < cut.size(); ++c) {
      if (cut[c] == 0) continue;
      const std::size_t v = g.linearIndex(box.begin[0] + std::int64_t(c % ni),
                                          box.begin[1] + std::int64_t((c / ni) % nj),
                                          box.begin[2] + std::int64_t(c / (ni * nj)));
      (cut[c] == 2 ? sides.left : sides.right).inside[v] = 1;
    }
  }
  progress.report(1.0, "Separating the lungs");
  return sides;
}

}  // namespace twinplan::segmentation::detail
