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

constexpr const char* kAirObstacle = "air or lung (CT)";

std::string depthText(double depth_mm) { return std::to_string(std::lround(depth_mm)) + " mm"; }

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
  const double value =
      ct_->valueAt(std::int64_t(v % nx), std::int64_t(v / nx % ny), std::int64_t(v / (nx * ny)));
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
  // Below the body outline's threshold is not body either: inside the outline (the caller
  // checks) it is lung or gas, also between air_HU and bodyThreshold_HU (-500..-400 HU: dense
  // lung, or lung's edge in a voxel partly filled with air).
  if (hu <= rules_.air_HU || hu < rules_.bodyThreshold_HU) return kAirObstacle;
  return "";
}

namespace {

// Whether the body lies further out from p along the needle (up to the CT's edge): then air at p
// is a hole inside the body outline (lung, bowel gas), else the room's air outside the skin -
// which the safety cylinder of an oblique path, or a path to an entry chosen off the skin, meets
// and may.
bool enclosedByBody(const PathObstacles& o, const Vec3& p, const Vec3& outward) {
  const ImageGeometry& g = o.ctGeometry();
  const Vec3 step = o.rules().sampleStep_mm * outward;
  for (Vec3 q = p + step; g.contains(g.lpsToIndex(q)); q += step)
    if (o.insideBody(q)) return true;
  return false;
}

// The obstacle within the safety radius of the centre line at p: the centre, then two rings
// (half and full radius, 8 points each) across the path.
std::string obstacleAround(const PathObstacles& o, const Vec3& p, const Vec3& outward) {
  const auto [u, v] = perpendicularBasis(outward);
  auto obstacle = [&](const Vec3& q) {
    std::string hit = o.obstacleAt(q);
    return hit != kAirObstacle || enclosedByBody(o, q, outward) ? hit : std::string();
  };
  if (std::string hit = obstacle(p); !hit.empty()) return hit;
  const double r = o.rules().safetyRadius_mm;
  if (r <= 0.0) return "";
  for (double radius : {0.5 * r, r})
    for (int a = 0; a < 8; ++a) {
      const double angle = a * std::numbers::pi / 4.0;
      if (std::string hit = obstacle(p + radius * (std::cos(angle) * u + std::sin(angle) * v));
          !hit.empty())
        return hit;
    }
  return "";
}

double angleFromAxial_deg(const Vec3& direction) {
  return std::asin(std::min(1.0, std::abs(direction.normalized().z()))) * 180.0 / std::numbers::pi;
}

// The skin along the ray: the last sample inside the body before the ray leaves the CT (so
// lung or bowel gas inside the body does not end the path); -1 when none.
double skinDistance(const PathObstacles& o, const Vec3& tip, const Vec3& outward, double limit) {
  double last = -1.0;
  const double step = o.rules().sampleStep_mm;
  for (double s = 0.0; s <= limit; s += step)
    if (o.insideBody(tip + s * outward)) last = s;
  return last;
}

// Checks the obstacles from the tip out to `length_mm` (the skin or the chosen entry).
NeedlePath walk(const PathObstacles& o, const Vec3& tip, const Vec3& outward, double length_mm) {
  const NeedlePathRules& rules = o.rules();
  NeedlePath path;
  path.tip_lps = tip;
  path.angleFromAxial_deg = angleFromAxial_deg(outward);
  path.depth_mm = length_mm;
  path.entry_lps = tip + length_mm * outward;
  // From the skin in, as the needle goes: the reason names the first obstacle it meets and the
  // depth where it comes within the safety radius of it.
  const double step = rules.sampleStep_mm;
  for (auto k = std::int64_t(std::floor(length_mm / step + 1e-9)); k >= 0; --k) {
    const double s = double(k) * step;  // from the tip
    const std::string hit = obstacleAround(o, tip + s * outward, outward);
    if (hit.empty()) continue;
    path.obstacle = hit;
    path.obstacleDepth_mm = length_mm - s;
    path.reason = "crosses " + hit + " at " + depthText(path.obstacleDepth_mm) + " depth";
    break;
  }
  if (path.reason.empty() && length_mm > rules.shaftLength_mm + 1e-9)
    path.reason = "longer than the " + depthText(rules.shaftLength_mm) + " shaft";
  if (path.reason.empty() && path.angleFromAxial_deg > rules.maxAngleFromAxial_deg + 1e-9)
    path.reason = "tilted " + std::to_string(std::lround(path.angleFromAxial_deg)) +
                  " deg from the axial plane (limit " +
                  std::to_string(std::lround(rules.maxAngleFromAxial_deg)) + " deg)";
  path.feasible = path.reason.empty();
  return path;
}

}  // namespace

NeedlePath tracePath(const PathObstacles& obstacles, const Vec3& tip_lps, const Vec3& outward) {
  const Vec3 d = outward.normalized();
  // Far enough to leave any CT: its diagonal.
  const ImageGeometry& g = obstacles.ctGeometry();
  const double reach =
      (g.spacing_mm.cwiseProduct(Vec3(double(g.size[0]), double(g.size[1]), double(g.size[2]))))
          .norm();
  const double skin = skinDistance(obstacles, tip_lps, d, reach);
  if (skin < 0.0) {
    NeedlePath path;
    path.tip_lps = path.entry_lps = tip_lps;
    path.reason = "starts outside the body";
    return path;
  }
  // The needle leaves the body half a sample beyond the last sample inside.
  const double depth = skin + 0.5 * obstacles.rules().sampleStep_mm;
  if (depth > obstacles.rules().shaftLength_mm) {
    NeedlePath path;
    path.tip_lps = tip_lps;
    path.depth_mm = depth;
    path.entry_lps = tip_lps + depth * d;
    path.angleFromAxial_deg = angleFromAxial_deg(d);
    path.reason = "longer than the " + depthText(obstacles.rules().shaftLength_mm) + " shaft";
    return path;
  }
  return walk(obstacles, tip_lps, d, depth);
}

NeedlePath checkPath(const PathObstacles& obstacles, const Vec3& tip_lps, const Vec3& entry_lps) {
  const double length = (entry_lps - tip_lps).norm();
  if (length < 1.0)
    throw Error(ErrorKind::InvalidInput, "The entry lies on the tip; give an entry on the skin.",
                "entry");
  return walk(obstacles, tip_lps, (entry_lps - tip_lps) / length, length);
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
