// Needle path feasibility (needle_path.h).
#include "twinplan/ablation/needle_path.h"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "twinplan/ablation/probe_geometry.h"
#include "twinplan/core/error.h"
#include "twinplan/core/parallel.h"

namespace twinplan::ablation {
namespace {

const ImageVolume& firstCt(const Case& twin, const std::string& name) {
  for (const ImageVolume& v : twin.volumes)
    if ((name.empty() && (v.dicom.modality == "CT" || v.unit == "HU")) ||
        (!name.empty() && v.name == name))
      return v;
  throw Error(ErrorKind::NotFound,
              name.empty() ? "The case has no CT volume; import the planning CT first."
                           : "The case has no volume \"" + name + "\".",
              "ct");
}

bool listed(const std::vector<std::string>& list, const std::string& s) {
  return std::find(list.begin(), list.end(), s) != list.end();
}

// The voxel whose centre is nearest to continuous index ijk (inside the grid: g.contains).
std::size_t nearestVoxel(const ImageGeometry& g, const Vec3& ijk) {
  auto at = [&](double x, std::int64_t n) {
    return std::clamp<std::int64_t>(std::int64_t(std::floor(x + 0.5)), 0, n - 1);
  };
  return g.linearIndex(at(ijk.x(), g.size[0]), at(ijk.y(), g.size[1]), at(ijk.z(), g.size[2]));
}

std::string depthText(double depth_mm) {
  return std::to_string(std::lround(depth_mm)) + " mm";
}

}  // namespace

void NeedlePathRules::validate() const {
  auto check = [](bool ok, const char* member, const std::string& what) {
    if (!ok) throw Error(ErrorKind::InvalidInput, what, std::string("rules.") + member);
  };
  check(shaftLength_mm > 0.0 && shaftLength_mm <= 500.0, "shaftLength_mm",
        "The shaft length must lie in (0, 500] mm.");
  check(maxAngleFromAxial_deg >= 0.0 && maxAngleFromAxial_deg <= 90.0, "maxAngleFromAxial_deg",
        "The angle limit from the axial plane must lie in [0, 90] degrees.");
  check(safetyRadius_mm >= 0.0 && safetyRadius_mm <= 20.0, "safetyRadius_mm",
        "The safety radius around the needle must lie in [0, 20] mm.");
  check(sampleStep_mm > 0.0 && sampleStep_mm <= 5.0, "sampleStep_mm",
        "The sampling step along the path must lie in (0, 5] mm.");
}

PathObstacles::PathObstacles(const Case& twin, const std::string& ctVolume,
                             const NeedlePathRules& rules)
    : twin_(twin), ct_(&firstCt(twin, ctVolume)), rules_(rules) {
  rules_.validate();
  for (std::size_t m = 0; m < twin.labelMaps.size(); ++m)
    for (const Segment& s : twin.labelMaps[m].segments()) {
      const Blocker b{m, s.layer, s.value, s.name};
      if (s.tissueType == "body" || s.name == "Body") {
        body_ = b;
        continue;
      }
      anySegment_.push_back(b);
      if (listed(rules_.ignoredSegments, s.name))
        ignored_.push_back(b);
      else if (listed(rules_.criticalTissueTypes, s.tissueType) ||
               listed(rules_.extraCriticalSegments, s.name))
        blockers_.push_back(b);
    }
  for (const std::string& name : rules_.extraCriticalSegments) {
    const bool known = std::any_of(anySegment_.begin(), anySegment_.end(),
                                   [&](const Blocker& b) { return b.name == name; });
    if (!known)
      throw Error(ErrorKind::NotFound,
                  "The case has no segment \"" + name + "\" to mark critical for the needle path.",
                  "critical");
  }
}

bool PathObstacles::segmentAt(const Blocker& b, const Vec3& p_lps) const {
  const LabelMap& labels = twin_.labelMaps[b.labelMap];
  const ImageGeometry& g = labels.geometry();
  const Vec3 ijk = g.lpsToIndex(p_lps);
  if (!g.contains(ijk)) return false;
  return labels.layer(b.layer)[nearestVoxel(g, ijk)] == b.value;
}

double PathObstacles::ctAt(const Vec3& p_lps) const {
  const ImageGeometry& g = ct_->geometry();
  const Vec3 ijk = g.lpsToIndex(p_lps);
  if (!g.contains(ijk)) return -1000.0;
  const std::size_t v = nearestVoxel(g, ijk);
  const std::size_t nx = std::size_t(g.size[0]), ny = std::size_t(g.size[1]);
  const double value = ct_->valueAt(std::int64_t(v % nx), std::int64_t(v / nx % ny),
                                    std::int64_t(v / (nx * ny)));
  return ct_->isPadding(value) ? -1000.0 : value;
}

bool PathObstacles::insideBody(const Vec3& p_lps) const {
  if (body_) return segmentAt(*body_, p_lps);
  return ctAt(p_lps) >= rules_.bodyThreshold_HU;
}

std::string PathObstacles::obstacleAt(const Vec3& p_lps) const {
  for (const Blocker& b : blockers_)
    if (segmentAt(b, p_lps)) return b.name;
  for (const Blocker& b : anySegment_)
    if (segmentAt(b, p_lps)) return "";  // a segment that is not critical: CT class not used
  const double hu = ctAt(p_lps);
  if (hu >= rules_.bone_HU) return "bone (CT)";
  if (hu <= rules_.air_HU) return "air or lung (CT)";
  return "";
}

namespace {

// The obstacle within the safety radius of the centre line at p: the centre, then two rings
// (half and full radius, 8 points each) across the path.
std::string obstacleAround(const PathObstacles& o, const Vec3& p, const Vec3& u, const Vec3& v) {
  if (std::string hit = o.obstacleAt(p); !hit.empty()) return hit;
  const double r = o.rules().safetyRadius_mm;
  if (r <= 0.0) return "";
  for (double radius : {0.5 * r, r})
    for (int a = 0; a < 8; ++a) {
      const double angle = a * std::numbers::pi / 4.0;
      const Vec3 q = p + radius * (std::cos(angle) * u + std::sin(angle) * v);
      if (std::string hit = o.obstacleAt(q); !hit.empty()) return hit;
    }
  return "";
}

double angleFromAxial_deg(const Vec3& direction) {
  return std::asin(std::min(1.0, std::abs(direction.normalized().z()))) * 180.0 /
         std::numbers::pi;
}

// Walks from the tip outward; stops at the skin (when `untilSkin`) or after `length_mm`.
NeedlePath walk(const PathObstacles& o, const Vec3& tip, const Vec3& outward, double length_mm,
                bool untilSkin) {
  const NeedlePathRules& rules = o.rules();
  NeedlePath path;
  path.tip_lps = tip;
  path.angleFromAxial_deg = angleFromAxial_deg(outward);
  const auto [u, v] = perpendicularBasis(outward);
  const double step = rules.sampleStep_mm;
  // Where the needle is still inside the body, outward from the tip: the obstacles met, with
  // the depth measured later from the skin.
  std::string obstacle;
  double obstacleFromTip_mm = 0.0;
  double s = 0.0;
  bool reachedSkin = false;
  for (; s <= length_mm; s += step) {
    const Vec3 p = tip + s * outward;
    if (untilSkin && !o.insideBody(p)) {
      reachedSkin = true;
      break;
    }
    if (obstacle.empty()) {
      obstacle = obstacleAround(o, p, u, v);
      obstacleFromTip_mm = s;
    }
  }
  if (!untilSkin) reachedSkin = true, s = length_mm;
  path.depth_mm = std::min(s, length_mm);
  path.entry_lps = tip + path.depth_mm * outward;
  if (!reachedSkin) {
    path.reason = "longer than the " + depthText(rules.shaftLength_mm) + " shaft";
  } else if (!obstacle.empty()) {
    path.obstacle = obstacle;
    path.reason = "crosses " + obstacle + " at " +
                  depthText(path.depth_mm - obstacleFromTip_mm) + " depth";
  } else if (path.angleFromAxial_deg > rules.maxAngleFromAxial_deg + 1e-9) {
    path.reason = "tilted " + std::to_string(std::lround(path.angleFromAxial_deg)) +
                  " deg from the axial plane (limit " +
                  std::to_string(std::lround(rules.maxAngleFromAxial_deg)) + " deg)";
  }
  path.feasible = path.reason.empty();
  return path;
}

}  // namespace

NeedlePath tracePath(const PathObstacles& obstacles, const Vec3& tip_lps, const Vec3& outward) {
  return walk(obstacles, tip_lps, outward.normalized(), obstacles.rules().shaftLength_mm, true);
}

NeedlePath checkPath(const PathObstacles& obstacles, const Vec3& tip_lps, const Vec3& entry_lps) {
  const double length = (entry_lps - tip_lps).norm();
  if (length < 1.0)
    throw Error(ErrorKind::InvalidInput, "The entry lies on the tip; give an entry on the skin.",
                "entry");
  NeedlePath path = walk(obstacles, tip_lps, (entry_lps - tip_lps) / length, length, false);
  if (path.feasible && length > obstacles.rules().shaftLength_mm) {
    path.feasible = false;
    path.reason = "longer than the " + depthText(obstacles.rules().shaftLength_mm) + " shaft";
  }
  return path;
}

std::vector<Vec3> sphereDirections(int count) {
  std::vector<Vec3> directions;
  const double golden = std::numbers::pi * (3.0 - std::sqrt(5.0));
  for (int n = 0; n < count; ++n) {
    const double z = 1.0 - (2.0 * n + 1.0) / count;
    const double r = std::sqrt(std::max(0.0, 1.0 - z * z));
    directions.emplace_back(r * std::cos(golden * n), r * std::sin(golden * n), z);
  }
  return directions;
}

std::vector<NeedlePath> candidatePaths(const PathObstacles& obstacles, const Vec3& tip_lps,
                                       int directionCount, Progress& progress) {
  std::vector<Vec3> directions;
  for (const Vec3& d : sphereDirections(directionCount))
    if (angleFromAxial_deg(d) <= obstacles.rules().maxAngleFromAxial_deg + 1e-9)
      directions.push_back(d);
  std::vector<NeedlePath> paths(directions.size());
  parallel::parallelFor(
      {0, directions.size()}, 8,
      [&](parallel::IndexRange chunk) {
        for (std::size_t i = chunk.begin; i < chunk.end; ++i)
          paths[i] = tracePath(obstacles, tip_lps, directions[i]);
      },
      progress, "Needle paths");
  return paths;
}

}  // namespace twinplan::ablation
