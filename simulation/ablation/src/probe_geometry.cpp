#include "twinplan/ablation/probe_geometry.h"

#include <Eigen/Geometry>
#include <algorithm>
#include <cmath>
#include <numbers>

#include "twinplan/core/error.h"

namespace twinplan::ablation {
namespace {

// The tines of an everting umbrella: each leaves the cannula tip along the axis and bends
// outwards and back on a half circle of radius D/4, ending D/2 from the axis level with the
// cannula tip, so the deployed diameter is D (the LeVeen shape, DFU).
void addTines(const AblationDevice& device, const Vec3& cannulaTip, const Vec3& axis,
              std::vector<ProbeSegment>& segments) {
  const auto [u, v] = perpendicularBasis(axis);
  const double bendRadius_mm = device.tineDeployedDiameter_mm / 4.0;
  constexpr int kPiecesPerTine = 16;
  const double tineRadius_mm = 0.25;  // 0.5 mm wires
  for (int t = 0; t < device.tineCount; ++t) {
    const double azimuth = 2.0 * std::numbers::pi * t / device.tineCount;
    const Vec3 radial = std::cos(azimuth) * u + std::sin(azimuth) * v;
    auto point = [&](double theta) {
      return Vec3(cannulaTip +
                  bendRadius_mm * ((1.0 - std::cos(theta)) * radial + std::sin(theta) * axis));
    };
    for (int p = 0; p < kPiecesPerTine; ++p) {
      const double a = std::numbers::pi * p / kPiecesPerTine;
      const double b = std::numbers::pi * (p + 1) / kPiecesPerTine;
      segments.push_back({point(a), point(b), tineRadius_mm});
    }
  }
}

// Distance from p to the segment [a, b].
double distanceToSegment(const Vec3& p, const Vec3& a, const Vec3& b) {
  const Vec3 ab = b - a;
  const double length2 = ab.squaredNorm();
  const double t = length2 > 0.0 ? std::clamp((p - a).dot(ab) / length2, 0.0, 1.0) : 0.0;
  return (p - (a + t * ab)).norm();
}

void addSegmentVoxels(const ImageGeometry& g, const ProbeSegment& s,
                      std::vector<std::size_t>& voxels) {
  const double h = g.spacing_mm.minCoeff();
  // Voxels whose centre lies inside the cylinder ...
  const Vec3 a = g.lpsToIndex(s.from_lps), b = g.lpsToIndex(s.to_lps);
  const double pad = s.radius_mm / h + 1.0;
  std::array<std::int64_t, 3> lo{}, hi{};
  for (int d = 0; d < 3; ++d) {
    lo[d] = std::max<std::int64_t>(0, std::int64_t(std::floor(std::min(a[d], b[d]) - pad)));
    hi[d] =
        std::min<std::int64_t>(g.size[d] - 1, std::int64_t(std::ceil(std::max(a[d], b[d]) + pad)));
  }
  for (std::int64_t k = lo[2]; k <= hi[2]; ++k)
    for (std::int64_t j = lo[1]; j <= hi[1]; ++j)
      for (std::int64_t i = lo[0]; i <= hi[0]; ++i) {
        const Vec3 centre = g.indexToLps(Vec3(double(i), double(j), double(k)));
        if (distanceToSegment(centre, s.from_lps, s.to_lps) <= s.radius_mm) {
          voxels.push_back(g.linearIndex(i, j, k));
        }
      }
  // ... and every voxel the centre line passes through (thin parts stay connected).
  const double length_mm = (s.to_lps - s.from_lps).norm();
  const int samples = std::max(1, int(std::ceil(4.0 * length_mm / h)));
  for (int n = 0; n <= samples; ++n) {
    const Vec3 p = s.from_lps + (s.to_lps - s.from_lps) * (double(n) / samples);
    const Vec3 ijk = g.lpsToIndex(p);
    if (!g.contains(ijk)) continue;
    // floor(x + 0.5), not lround: contains() admits -0.5, which lround takes to -1.
    auto nearest = [&](int d) {
      return std::clamp<std::int64_t>(std::int64_t(std::floor(ijk[d] + 0.5)), 0, g.size[d] - 1);
    };
    voxels.push_back(g.linearIndex(nearest(0), nearest(1), nearest(2)));
  }
}

void sortUnique(std::vector<std::size_t>& v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
}

}  // namespace

std::pair<Vec3, Vec3> perpendicularBasis(const Vec3& axis) {
  const Vec3 n = axis.normalized();
  const Vec3 helper = std::abs(n.x()) < 0.9 ? Vec3::UnitX() : Vec3::UnitY();
  const Vec3 u = n.cross(helper).normalized();
  return {u, n.cross(u).normalized()};
}

ProbeLayout probeLayout(const AblationDevice& device, const ProbePlacement& placement) {
  ProbeLayout layout;
  const Vec3 axis = placement.axis();  // entry -> tip
  const double radius_mm = 0.5 * device.shaftDiameter_mm;
  auto straight = [&](const Vec3& tip, const Vec3& entry, double activeLength_mm) {
    const Vec3 activeEnd = tip - axis * activeLength_mm;
    layout.active.push_back({tip, activeEnd, radius_mm});
    layout.shaft.push_back({activeEnd, entry, radius_mm});
  };
  switch (device.type) {
    case DeviceType::RfSingle:
    case DeviceType::Microwave:
      straight(placement.tip_lps, placement.entry_lps, device.activeTipLength_mm);
      break;
    case DeviceType::RfCluster: {
      // Electrodes on a regular polygon whose side is the spacing (Goldberg et al. 1998: three
      // electrodes 0.5 cm apart), centred on the placement's axis.
      const auto [u, v] = perpendicularBasis(axis);
      const double circumradius_mm =
          device.electrodeSpacing_mm / (2.0 * std::sin(std::numbers::pi / device.electrodeCount));
      for (int e = 0; e < device.electrodeCount; ++e) {
        const double azimuth = 2.0 * std::numbers::pi * e / device.electrodeCount;
        const Vec3 offset = circumradius_mm * (std::cos(azimuth) * u + std::sin(azimuth) * v);
        straight(placement.tip_lps + offset, placement.entry_lps + offset,
                 device.activeTipLength_mm);
      }
      break;
    }
    case DeviceType::RfMultiTine:
      // The placement's tip is the cannula tip; the tines reach D/4 ahead of it.
      addTines(device, placement.tip_lps, axis, layout.active);
      layout.shaft.push_back({placement.tip_lps, placement.entry_lps, radius_mm});
      break;
  }
  return layout;
}

std::vector<std::size_t> segmentVoxels(const ImageGeometry& geometry,
                                       const std::vector<ProbeSegment>& segments) {
  std::vector<std::size_t> voxels;
  for (const ProbeSegment& s : segments) addSegmentVoxels(geometry, s, voxels);
  sortUnique(voxels);
  return voxels;
}

ProbeVoxels probeVoxels(const AblationGrid& grid, const AblationDevice& device,
                        const ProbePlacement& placement) {
  const ProbeLayout layout = probeLayout(device, placement);
  ProbeVoxels voxels;
  voxels.active = segmentVoxels(grid.geometry, layout.active);
  if (voxels.active.empty()) {
    throw Error(ErrorKind::InvalidInput,
                "The active part of device '" + device.id +
                    "' has no voxel in the simulation grid; place the tip inside the grid.",
                device.id);
  }
  std::vector<std::size_t> shaft = segmentVoxels(grid.geometry, layout.shaft);
  std::set_difference(shaft.begin(), shaft.end(), voxels.active.begin(), voxels.active.end(),
                      std::back_inserter(voxels.shaft));
  return voxels;
}

}  // namespace twinplan::ablation
