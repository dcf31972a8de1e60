#include "twinplan/ablation/grid_builder.h"

#include <Eigen/LU>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <map>

#include "distance_map.h"
#include "twinplan/ablation/tissue_library.h"
#include "twinplan/core/error.h"
#include "twinplan/core/parallel.h"

namespace twinplan::ablation {

namespace {

// Overlapping segments: the higher rank wins (grid_builder.h).
enum Rank : std::uint8_t { kHounsfield = 0, kOtherTissue = 1, kBlood = 2, kTumour = 3 };

// Air, for CT padding and for box voxels outside an oblique CT (Hounsfield scale: -1000 HU).
constexpr double kAir_HU = -1000.0;

std::string mm(const Vec3& p) {
  char text[96];
  std::snprintf(text, sizeof text, "(%.1f, %.1f, %.1f)", p.x(), p.y(), p.z());
  return text;
}

// p transformed by a 4x4 affine (LPS -> continuous index).
Vec3 applyAffine(const Eigen::Matrix4d& affine, const Vec3& p) {
  return affine.topLeftCorner<3, 3>() * p + affine.topRightCorner<3, 1>();
}

// The LPS bounding box of the CT's voxels (their outer faces, not their centres).
std::pair<Vec3, Vec3> lpsExtent(const ImageGeometry& g) {
  Vec3 lo = Vec3::Constant(std::numeric_limits<double>::infinity()), hi = -lo;
  for (int corner = 0; corner < 8; ++corner) {
    const Vec3 ijk((corner & 1) ? double(g.size[0]) - 0.5 : -0.5,
                   (corner & 2) ? double(g.size[1]) - 0.5 : -0.5,
                   (corner & 4) ? double(g.size[2]) - 0.5 : -0.5);
    const Vec3 p = g.indexToLps(ijk);
    lo = lo.cwiseMin(p);
    hi = hi.cwiseMax(p);
  }
  return {lo, hi};
}

// A cube of odd edge (its centre on a voxel centre) around centre_lps, clipped to the CT's
// extent.
ImageGeometry boxAround(const Vec3& centre_lps, const GridOptions& options, const ImageGeometry& ct,
                        bool& clipped) {
  const double h = options.spacing_mm;
  const std::int64_t half = std::llround(options.boxSize_mm / (2.0 * h));
  const auto [lo, hi] = lpsExtent(ct);
  ImageGeometry box;
  box.spacing_mm = Vec3::Constant(h);
  clipped = false;
  for (int a = 0; a < 3; ++a) {
    const double first_mm = centre_lps[a] - double(half) * h;
    std::int64_t begin = 0, end = 2 * half + 1;
    begin = std::max<std::int64_t>(begin, std::llround(std::ceil((lo[a] - first_mm) / h - 1e-9)));
    end = std::min<std::int64_t>(end, std::llround(std::floor((hi[a] - first_mm) / h + 1e-9)) + 1);
    clipped = clipped || begin > 0 || end < 2 * half + 1;
    box.origin_lps[a] = first_mm + double(begin) * h;
    box.size[a] = std::max<std::int64_t>(1, end - begin);
  }
  return box;
}

// Trilinear CT number at continuous index ijk (clamped to the image), padding read as air.
template <class T>
double trilinear(std::span<const T> voxels, const ImageVolume& ct, const Vec3& ijk) {
  const ImageGeometry& g = ct.geometry();
  std::int64_t base[3];
  double frac[3];
  for (int a = 0; a < 3; ++a) {
    const double x = std::clamp(ijk[a], 0.0, double(g.size[a] - 1));
    base[a] = std::min<std::int64_t>(std::int64_t(std::floor(x)),
                                     std::max<std::int64_t>(0, g.size[a] - 2));
    frac[a] = g.size[a] > 1 ? x - double(base[a]) : 0.0;
  }
  double sum = 0.0;
  for (int corner = 0; corner < 8; ++corner) {
    const int di = corner & 1, dj = (corner >> 1) & 1, dk = (corner >> 2) & 1;
    const double w = (di ? frac[0] : 1.0 - frac[0]) * (dj ? frac[1] : 1.0 - frac[1]) *
                     (dk ? frac[2] : 1.0 - frac[2]);
    if (w == 0.0) continue;
    const std::int64_t i = std::min(base[0] + di, g.size[0] - 1);
    const std::int64_t j = std::min(base[1] + dj, g.size[1] - 1);
    const std::int64_t k = std::min(base[2] + dk, g.size[2] - 1);
    const double value = double(voxels[g.linearIndex(i, j, k)]);
    sum += w * (ct.isPadding(value) ? kAir_HU : value);
  }
  return sum;
}

// visit(v, ijk) for every voxel v of `grid`, with ijk its voxel centre's continuous index in
// `other` (the CT's or a label map's grid); slices in parallel.
template <class Visit>
void forEachVoxelIn(const ImageGeometry& grid, const ImageGeometry& other, Visit&& visit,
                    Progress& progress = noProgress(), std::string_view step = {}) {
  const Eigen::Matrix4d lpsToOther = other.indexToLpsAffine().inverse();
  parallel::parallelFor(
      {0, std::size_t(grid.size[2])}, 1,
      [&](parallel::IndexRange slices) {
        for (auto k = std::int64_t(slices.begin); k < std::int64_t(slices.end); ++k)
          for (std::int64_t j = 0; j < grid.size[1]; ++j)
            for (std::int64_t i = 0; i < grid.size[0]; ++i)
              visit(
                  grid.linearIndex(i, j, k),
                  applyAffine(lpsToOther, grid.indexToLps(Vec3(double(i), double(j), double(k)))));
      },
      progress, step);
}

// The CT numbers at the grid's voxel centres.
std::vector<float> sampleCt(const ImageVolume& ct, const ImageGeometry& grid, Progress& progress) {
  std::vector<float> hu(grid.voxelCount());
  visitGreyVoxels(ct, [&](auto voxels) {
    forEachVoxelIn(
        grid, ct.geometry(),
        [&](std::size_t v, const Vec3& ijk) {
          hu[v] = float(ct.geometry().contains(ijk) ? trilinear(voxels, ct, ijk) : kAir_HU);
        },
        progress, "Sampling the CT");
    return 0;
  });
  return hu;
}

// What one label value of one layer stands for.
struct LabelTissue {
  const TissueProperties* tissue = nullptr;  // nullptr: classified by HU
  Rank rank = kHounsfield;
};

Rank rankOf(const TissueProperties& t) {
  if (t.id == "tumour") return kTumour;
  if (t.isBlood) return kBlood;
  return kOtherTissue;
}

// Per layer: label value -> tissue; records the segments left to the HU classes.
std::vector<std::vector<LabelTissue>> layerTables(const LabelMap& labels, GridNotes& notes) {
  std::vector<std::vector<LabelTissue>> tables(std::size_t(labels.layerCount()));
  for (const Segment& s : labels.segments()) {
    if (s.layer < 0 || s.layer >= labels.layerCount()) continue;
    auto& table = tables[std::size_t(s.layer)];
    if (table.size() <= s.value) table.resize(std::size_t(s.value) + 1);
    const TissueProperties* t = tissueLibrary().find(s.tissueType);
    if (!t) {
      notes.hounsfieldSegments.push_back(s.name);
      continue;
    }
    table[s.value] = {t, rankOf(*t)};
  }
  return tables;
}

struct VoxelTissues {
  std::vector<const TissueProperties*> tissue;
  std::vector<std::uint8_t> rank;
};

// Overlays the segments of one label map on the HU classification (precedence: grid_builder.h).
// The voxel whose cell holds the continuous index ijk, which lg.contains(): contains() is
// half-open, [-0.5, size - 0.5), so halves round up (llround(-0.5) would be voxel -1).
std::size_t nearestVoxel(const ImageGeometry& lg, const Vec3& ijk) {
  const auto nearest = [](double x) { return std::int64_t(std::floor(x + 0.5)); };
  return lg.linearIndex(nearest(ijk.x()), nearest(ijk.y()), nearest(ijk.z()));
}

void overlaySegments(const LabelMap& labels, const ImageGeometry& grid, VoxelTissues& voxels,
                     GridNotes& notes, Progress& progress) {
  const auto tables = layerTables(labels, notes);
  const ImageGeometry& lg = labels.geometry();
  for (int layer = 0; layer < labels.layerCount(); ++layer) {
    const auto& table = tables[std::size_t(layer)];
    if (table.empty()) continue;
    const std::vector<std::uint16_t>& values = labels.layer(layer);
    forEachVoxelIn(
        grid, lg,
        [&](std::size_t v, const Vec3& ijk) {
          if (!lg.contains(ijk)) return;
          const std::uint16_t value = values[nearestVoxel(lg, ijk)];
          if (value == 0 || value >= table.size() || !table[value].tissue) return;
          if (table[value].rank >= voxels.rank[v]) {
            voxels.tissue[v] = table[value].tissue;
            voxels.rank[v] = table[value].rank;
          }
        },
        progress, "Reading the segments");
  }
}

void validateTip(const ImageVolume& ct, const Vec3& tip_lps) {
  if (!tip_lps.allFinite())
    throw Error(ErrorKind::InvalidInput, "The probe tip has no finite coordinates.", "tip");
  if (ct.geometry().contains(ct.geometry().lpsToIndex(tip_lps))) return;
  const auto [lo, hi] = lpsExtent(ct.geometry());
  throw Error(ErrorKind::InvalidInput,
              "The probe tip " + mm(tip_lps) + " mm lies outside the CT \"" + ct.name +
                  "\", which spans " + mm(lo) + " to " + mm(hi) +
                  " mm (LPS); place the tip inside the image.",
              "tip");
}

}  // namespace

void GridOptions::validate() const {
  if (!(spacing_mm >= 0.25 && spacing_mm <= 5.0))
    throw Error(ErrorKind::InvalidInput,
                "The grid spacing must be 0.25 to 5 mm (1 mm is the default).", "spacing_mm");
  if (!(boxSize_mm >= 10.0 && boxSize_mm <= 400.0))
    throw Error(ErrorKind::InvalidInput,
                "The simulation box must be 10 to 400 mm on a side (100 mm is the default).",
                "boxSize_mm");
  if (!(centreBehindTip_mm >= 0.0 && centreBehindTip_mm <= boxSize_mm / 2.0))
    throw Error(ErrorKind::InvalidInput,
                "The box centre must lie 0 to half the box size behind the tip.",
                "centreBehindTip_mm");
  if (boxSize_mm / spacing_mm > 400.0)
    throw Error(ErrorKind::InvalidInput,
                "The simulation box would have more than 400 voxels on a side; use a larger "
                "spacing or a smaller box.",
                "boxSize_mm");
}

const ImageVolume& ablationCt(const Case& twin, const std::string& name) {
  for (const ImageVolume& v : twin.volumes) {
    const bool isCt = v.dicom.modality == "CT" || v.unit == "HU";
    if ((name.empty() && isCt) || (!name.empty() && v.name == name)) {
      requirePatientVolume(v, "The ablation grid");
      if (!isCt)
        throw Error(ErrorKind::InvalidInput,
                    "The volume \"" + v.name +
                        "\" is not a CT in HU; the ablation grid classifies tissue by CT number.",
                    v.name);
      return v;
    }
  }
  throw Error(ErrorKind::NotFound,
              name.empty() ? "The case has no CT volume; import the planning CT first."
                           : "The case has no volume \"" + name + "\".",
              name);
}

std::vector<std::uint8_t> segmentOnGrid(const LabelMap& labels, std::size_t segment,
                                        const ImageGeometry& grid) {
  const Segment& s = labels.segments().at(segment);
  const ImageGeometry& lg = labels.geometry();
  const std::vector<std::uint16_t>& values = labels.layer(s.layer);
  std::vector<std::uint8_t> mask(grid.voxelCount(), 0);
  forEachVoxelIn(grid, lg, [&](std::size_t v, const Vec3& ijk) {
    if (lg.contains(ijk) && values[nearestVoxel(lg, ijk)] == s.value) mask[v] = 1;
  });
  return mask;
}

std::vector<float> localRadius_mm(const std::vector<std::uint8_t>& inside,
                                  const ImageGeometry& grid, Progress& progress) {
  const std::vector<double> d2 = squaredDistanceToOutside_vox(inside, grid, progress);
  // Balls: every inside voxel is the centre of the largest ball that fits (radius = distance
  // to the nearest outside voxel centre, capped at the grid's diagonal when none is outside).
  const double cap = Vec3(double(grid.size[0]), double(grid.size[1]), double(grid.size[2])).norm();
  struct Ball {
    std::int64_t i, j, k;
    double r;
  };
  std::vector<Ball> balls;
  for (std::int64_t k = 0; k < grid.size[2]; ++k)
    for (std::int64_t j = 0; j < grid.size[1]; ++j)
      for (std::int64_t i = 0; i < grid.size[0]; ++i) {
        const std::size_t v = grid.linearIndex(i, j, k);
        if (inside[v]) balls.push_back({i, j, k, std::min(std::sqrt(d2[v]), cap)});
      }
  std::vector<double> thickest(inside.size(), 0.0);
  // Each slice takes the balls that reach it and keeps, per voxel, the largest covering one.
  parallel::parallelFor(
      {0, std::size_t(grid.size[2])}, 1,
      [&](parallel::IndexRange slices) {
        for (std::size_t ks = slices.begin; ks < slices.end; ++ks) {
          const std::int64_t k = std::int64_t(ks);
          for (const Ball& b : balls) {
            const double dz = double(k - b.k);
            const double rest2 = b.r * b.r - dz * dz;
            if (rest2 <= 0.0) continue;
            const std::int64_t reach = std::int64_t(std::ceil(std::sqrt(rest2)));
            for (std::int64_t j = std::max<std::int64_t>(0, b.j - reach);
                 j <= std::min(grid.size[1] - 1, b.j + reach); ++j)
              for (std::int64_t i = std::max<std::int64_t>(0, b.i - reach);
                   i <= std::min(grid.size[0] - 1, b.i + reach); ++i) {
                const double di = double(i - b.i), dj = double(j - b.j);
                if (di * di + dj * dj >= rest2) continue;
                double& t = thickest[grid.linearIndex(i, j, k)];
                t = std::max(t, b.r);
              }
          }
        }
      },
      progress, "Vessel radii");
  // Nearest outside centres lie about half a voxel beyond the wall.
  const double h = grid.spacing_mm.x();
  std::vector<float> radius(inside.size(), 0.0f);
  for (std::size_t v = 0; v < inside.size(); ++v)
    if (inside[v]) radius[v] = float(std::max(thickest[v] - 0.5, 0.5) * h);
  return radius;
}

AblationGrid buildAblationGrid(const Case& twin, const std::string& ctVolume,
                               const ProbePlacement& probe, const GridOptions& options,
                               Progress& progress, GridNotes* notesOut) {
  options.validate();
  const ImageVolume& ct = ablationCt(twin, ctVolume);
  validateTip(ct, probe.tip_lps);
  GridNotes notes;
  AblationGrid grid;
  const Vec3 centre_lps = probe.tip_lps - options.centreBehindTip_mm * probe.axis();
  grid.geometry = boxAround(centre_lps, options, ct.geometry(), notes.clipped);
  const ImageGeometry& g = grid.geometry;
  progress.report(0.0, "Sampling the CT");

  auto sampling = subRange(progress, 0.0, 0.4);
  const std::vector<float> hu = sampleCt(ct, g, *sampling);
  VoxelTissues voxels{std::vector<const TissueProperties*>(g.voxelCount()),
                      std::vector<std::uint8_t>(g.voxelCount(), kHounsfield)};
  const HuClassification& classes = huClassification();
  const TissueLibrary& library = tissueLibrary();
  for (std::size_t v = 0; v < hu.size(); ++v)
    voxels.tissue[v] = &library.at(classes.classify(hu[v]).tissue);

  auto segments = subRange(progress, 0.4, 0.7);
  for (std::size_t m = 0; m < twin.labelMaps.size(); ++m) {
    auto one = subRange(*segments, double(m) / double(twin.labelMaps.size()),
                        double(m + 1) / double(twin.labelMaps.size()));
    overlaySegments(twin.labelMaps[m], g, voxels, notes, *one);
  }

  // The grid's own tissue list: only the tissues it holds, in order of first appearance.
  std::map<const TissueProperties*, TissueIndex> index;
  grid.tissue.resize(g.voxelCount());
  for (std::size_t v = 0; v < g.voxelCount(); ++v) {
    auto [it, added] = index.try_emplace(voxels.tissue[v], TissueIndex(grid.tissues.size()));
    if (added) grid.tissues.push_back(*voxels.tissue[v]);
    grid.tissue[v] = it->second;
  }

  std::vector<std::uint8_t> vessel(g.voxelCount(), 0);
  for (std::size_t v = 0; v < g.voxelCount(); ++v) {
    vessel[v] = voxels.rank[v] == kBlood ? 1 : 0;
    notes.vesselVoxels += vessel[v];
  }
  if (notes.vesselVoxels > 0) {
    auto radii = subRange(progress, 0.7, 1.0);
    const std::vector<float> radius = localRadius_mm(vessel, g, *radii);
    const VesselFlowModel& flow = vesselFlowModel();
    grid.bloodSpeed_m_s.assign(g.voxelCount(), 0.0f);
    for (std::size_t v = 0; v < g.voxelCount(); ++v)
      if (vessel[v]) grid.bloodSpeed_m_s[v] = float(flow.speed_m_s(radius[v]));
  }
  progress.report(1.0, "Ablation grid");
  if (notesOut) *notesOut = std::move(notes);
  return grid;
}

}  // namespace twinplan::ablation
