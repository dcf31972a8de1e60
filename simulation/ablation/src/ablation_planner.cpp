// The ablation plan optimiser (ablation_planner.h).
#include "twinplan/ablation/ablation_planner.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <iterator>
#include <memory>
#include <mutex>
#include <numbers>
#include <set>
#include <sstream>
#include <tuple>
#include <utility>

#include "distance_map.h"
#include "twinplan/ablation/bioheat.h"
#include "twinplan/ablation/device_source.h"
#include "twinplan/ablation/devices.h"
#include "twinplan/ablation/grid_builder.h"
#include "twinplan/ablation/probe_geometry.h"
#include "twinplan/ablation/tissue_library.h"
#include "twinplan/ablation/zone_surrogate.h"
#include "twinplan/core/error.h"
#include "twinplan/core/parallel.h"

namespace twinplan::ablation {

void PlannerOptions::validate() const {
  auto check = [](bool ok, const char* member, const std::string& what) {
    if (!ok) throw Error(ErrorKind::InvalidInput, what, std::string("options.") + member);
  };
  check(!tumour.empty(), "tumour", "Name the tumour segment to plan for.");
  check(margin_mm >= 0.0 && margin_mm <= 30.0, "margin_mm",
        "The safety margin must lie in [0, 30] mm.");
  check(maxProbes >= 1 && maxProbes <= 3, "maxProbes", "Plans use 1 to 3 probes.");
  check(confirmCount >= 1 && confirmCount <= 10, "confirmCount",
        "Confirm 1 to 10 plans with the full physics.");
  check(gridSpacing_mm >= 0.5 && gridSpacing_mm <= 5.0, "gridSpacing_mm",
        "The planning grid spacing must lie in [0.5, 5] mm.");
  check(directionCount >= 10 && directionCount <= 20000, "directionCount",
        "Try 10 to 20000 needle directions.");
  check(directionsUsed >= 1 && directionsUsed <= 20, "directionsUsed",
        "Use 1 to 20 needle directions for plans.");
  check(maxPlans >= 1 && maxPlans <= 100, "maxPlans", "Return 1 to 100 plans.");
  pathRules.validate();
}

namespace {

struct TumourInfo {
  std::size_t labelMap = 0, segment = 0;
  Vec3 centre_lps = Vec3::Zero();
  double radius_mm = 0.0;  // farthest voxel centre from the centre
  double volume_ml = 0.0;
};

TumourInfo findTumour(const Case& twin, const std::string& name) {
  std::string names;
  for (std::size_t m = 0; m < twin.labelMaps.size(); ++m) {
    const LabelMap& labels = twin.labelMaps[m];
    if (const auto s = labels.findSegment(name)) {
      TumourInfo t{m, *s};
      const ImageGeometry& g = labels.geometry();
      const Segment& seg = labels.segments()[*s];
      const std::vector<std::uint16_t>& layer = labels.layer(seg.layer);
      std::vector<Vec3> points;
      for (std::int64_t k = 0; k < g.size[2]; ++k)
        for (std::int64_t j = 0; j < g.size[1]; ++j)
          for (std::int64_t i = 0; i < g.size[0]; ++i)
            if (layer[g.linearIndex(i, j, k)] == seg.value)
              points.push_back(g.indexToLps(Vec3(double(i), double(j), double(k))));
      if (points.empty())
        throw Error(ErrorKind::InvalidInput,
                    "The tumour segment \"" + name + "\" is empty; draw or segment it first.",
                    "tumour");
      for (const Vec3& p : points) t.centre_lps += p;
      t.centre_lps /= double(points.size());
      for (const Vec3& p : points) t.radius_mm = std::max(t.radius_mm, (p - t.centre_lps).norm());
      t.volume_ml = labels.volume_ml(*s);
      return t;
    }
    for (const Segment& s : labels.segments()) names += (names.empty() ? "" : ", ") + s.name;
  }
  throw Error(
      ErrorKind::NotFound,
      "The case has no segment \"" + name + "\"" +
          (names.empty() ? std::string(" (it has no segments)") : "; its segments are " + names) +
          ".",
      "tumour");
}

// "crosses Ribs at 62 mm depth" -> "crosses Ribs"; "tilted 50 deg ..." -> "tilted ...".
std::string reasonKind(const std::string& reason) {
  if (const auto at = reason.find(" at "); reason.rfind("crosses ", 0) == 0 && at != reason.npos)
    return reason.substr(0, at);
  return reason;
}

double angleBetween_deg(const Vec3& a, const Vec3& b) {
  return std::acos(std::clamp(a.normalized().dot(b.normalized()), -1.0, 1.0)) * 180.0 /
         std::numbers::pi;
}

// Feasible paths, shortest first, at least 20 deg apart.
std::vector<NeedlePath> chooseDirections(const std::vector<NeedlePath>& paths, int count) {
  std::vector<const NeedlePath*> feasible;
  for (const NeedlePath& p : paths)
    if (p.feasible) feasible.push_back(&p);
  std::stable_sort(feasible.begin(), feasible.end(), [](const NeedlePath* a, const NeedlePath* b) {
    return a->depth_mm < b->depth_mm;
  });
  std::vector<NeedlePath> chosen;
  for (const NeedlePath* p : feasible) {
    const Vec3 d = p->entry_lps - p->tip_lps;
    const bool distinct = std::all_of(chosen.begin(), chosen.end(), [&](const NeedlePath& c) {
      return angleBetween_deg(d, c.entry_lps - c.tip_lps) >= 20.0;
    });
    if (distinct) chosen.push_back(*p);
    if (int(chosen.size()) == count) break;
  }
  return chosen;
}

// A critical structure on the planning grid.
struct Structure {
  std::string name;
  std::vector<std::uint8_t> mask;
  std::size_t voxels = 0;
};

// Structures whose thermal injury is a known complication of abdominal ablation (Rhim et al.,
// RadioGraphics 2004;24:41-52; the same list as the `ablate` job's damage report) and the
// segments the user marks critical.
bool criticalForDamage(const Segment& s, const PlannerOptions& o) {
  const TissueProperties* t = tissueLibrary().find(s.tissueType);
  const bool byType = t && (t->isBlood || t->id == "bile" || t->id == "gallbladder" ||
                            t->id == "bowel" || t->id == "lung" || t->id == "skin");
  const auto& extra = o.pathRules.extraCriticalSegments;
  return byType || std::find(extra.begin(), extra.end(), s.name) != extra.end();
}

struct PlanningGrid {
  AblationGrid grid;
  std::vector<std::uint8_t> tumour, target;
  std::vector<float> distanceToTumour_mm;  // 0 inside
  std::vector<std::uint8_t> sink;
  std::vector<Structure> critical;
  std::size_t targetVoxels = 0, tumourVoxels = 0;
  // The voxels within the margin plus one voxel of the tumour: a setting's coverage and its
  // minimal margin up to the requested one (the ranking's first two keys) depend on them alone.
  std::vector<std::size_t> shell;
};

PlanningGrid planningGrid(const Case& twin, const PlannerOptions& o, const TumourInfo& t,
                          const Vec3& entry_lps, Progress& progress) {
  PlanningGrid pg;
  GridOptions go;
  go.spacing_mm = o.gridSpacing_mm;
  // The tumour plus margin plus the 2-3 cm a zone reaches beyond it on every side.
  go.boxSize_mm = std::clamp(2.0 * (t.radius_mm + o.margin_mm) + 60.0, 80.0, 200.0);
  ProbePlacement probe{t.centre_lps, entry_lps};
  pg.grid = buildAblationGrid(twin, o.ct, probe, go, progress);
  const ImageGeometry& g = pg.grid.geometry;
  pg.tumour = segmentOnGrid(twin.labelMaps[t.labelMap], t.segment, g);
  std::vector<std::uint8_t> outside(pg.tumour.size());
  for (std::size_t v = 0; v < outside.size(); ++v) outside[v] = !pg.tumour[v];
  const std::vector<double> d2 = squaredDistanceToOutside_vox(outside, g);
  const double h = g.spacing_mm.x();
  pg.distanceToTumour_mm.resize(d2.size());
  pg.target.resize(d2.size());
  for (std::size_t v = 0; v < d2.size(); ++v) {
    pg.distanceToTumour_mm[v] = float(std::sqrt(d2[v]) * h);
    pg.target[v] = pg.distanceToTumour_mm[v] <= o.margin_mm + 1e-6;
    pg.targetVoxels += pg.target[v];
    pg.tumourVoxels += pg.tumour[v];
    if (pg.distanceToTumour_mm[v] <= o.margin_mm + h + 1e-6) pg.shell.push_back(v);
  }
  pg.sink = heatSinkMask(pg.grid, SurrogateOptions{}.sinkDistance_mm);
  for (std::size_t m = 0; m < twin.labelMaps.size(); ++m) {
    const LabelMap& labels = twin.labelMaps[m];
    for (std::size_t s = 0; s < labels.segments().size(); ++s) {
      if (m == t.labelMap && s == t.segment) continue;
      if (!criticalForDamage(labels.segments()[s], o)) continue;
      Structure c{labels.segments()[s].name, segmentOnGrid(labels, s, g)};
      for (std::uint8_t x : c.mask) c.voxels += x;
      if (c.voxels) pg.critical.push_back(std::move(c));
    }
  }
  return pg;
}

// The planner settings' surrogates, power-major (tabulated: no physics at planning time).
struct SettingTable {
  std::vector<double> powers_W, durations_s;
  std::vector<const ZoneSurrogate*> surrogates;
  const ZoneSurrogate& at(std::size_t power, std::size_t time) const {
    return *surrogates[power * durations_s.size() + time];
  }
  const ZoneSurrogate& strongest() const { return *surrogates.back(); }
};

SettingTable settingTable(const AblationDevice& device) {
  SettingTable t{plannerPowers_W(device), plannerDurations_s(device), {}};
  for (double p : t.powers_W)
    for (double d : t.durations_s) t.surrogates.push_back(&cachedSurrogate(device, p, d));
  return t;
}

// The ranking's first two keys (lower is better): coverage of tumour + margin to 0.1 %, the
// minimal margin up to the requested one to 0.5 mm.
std::pair<double, double> coverageKey(double coverage_percent, double minMargin_mm,
                                      double margin_mm) {
  return {-std::round(coverage_percent * 10.0),
          -std::round(std::min(minMargin_mm, margin_mm) * 2.0)};
}

// A setting's coverage and minimal margin from its verdicts on the shell (as evaluateZone).
struct ShellScore {
  double coverage_percent = 0.0, minMargin_mm = 0.0;
  std::pair<double, double> key;
};

ShellScore scoreShell(const std::vector<std::uint8_t>& in, const PlanningGrid& pg,
                      double margin_mm) {
  std::size_t covered = 0, tumourIn = 0;
  double nearestMiss_mm = 1e300;
  for (std::size_t n = 0; n < pg.shell.size(); ++n) {
    const std::size_t v = pg.shell[n];
    if (in[n]) {
      covered += pg.target[v];
      tumourIn += pg.tumour[v];
    } else {
      nearestMiss_mm = std::min(nearestMiss_mm, double(pg.distanceToTumour_mm[v]));
    }
  }
  const double h = pg.grid.geometry.spacing_mm.x();
  ShellScore score;
  score.coverage_percent =
      pg.targetVoxels ? 100.0 * double(covered) / double(pg.targetVoxels) : 0.0;
  score.minMargin_mm = tumourIn < pg.tumourVoxels ? -h : nearestMiss_mm - h;
  score.key = coverageKey(score.coverage_percent, score.minMargin_mm, margin_mm);
  return score;
}

struct Candidate {
  std::vector<PlannedProbe> probes;
  DeviceSetting setting;
  std::size_t power = 0, time = 0;  // in the setting table
  const ZoneSurrogate* surrogate = nullptr;
  ShellScore strongest;                           // at the strongest setting
  std::optional<ShellScore> shorter;              // the chosen power one time step shorter
  std::optional<std::size_t> strongestPowerTime;  // the time the highest power needs
  std::size_t settingsTested = 0;
  PlanEvaluation eval;
  // The scored zone's voxels while the candidate is among the plans to return (BestZones).
  std::vector<std::size_t> zoneVoxels;
  bool feasible = true;
};

std::vector<std::size_t> voxelsOf(const std::vector<std::uint8_t>& zone) {
  std::vector<std::size_t> voxels;
  for (std::size_t v = 0; v < zone.size(); ++v)
    if (zone[v]) voxels.push_back(v);
  return voxels;
}

std::vector<std::uint8_t> zoneOf(const std::vector<std::size_t>& voxels, std::size_t gridVoxels) {
  std::vector<std::uint8_t> zone(gridVoxels, 0);
  for (std::size_t v : voxels) zone[v] = 1;
  return zone;
}

// Parallel probes around the tumour's centre, zone centres on the centre.
std::vector<std::vector<Vec3>> probeLayouts(const Vec3& centre, const Vec3& outward,
                                            double centreBehindTip_mm, int maxProbes) {
  const auto [u, v] = perpendicularBasis(outward);
  const Vec3 tip0 = centre - centreBehindTip_mm * outward;
  std::vector<std::vector<Vec3>> layouts;
  for (double shift : {0.0, -5.0, 5.0}) layouts.push_back({tip0 + shift * outward});
  if (maxProbes >= 2)
    for (double spacing : {10.0, 15.0, 20.0})
      for (const Vec3& w : {u, v})
        layouts.push_back({tip0 + 0.5 * spacing * w, tip0 - 0.5 * spacing * w});
  if (maxProbes >= 3)
    for (double radius : {8.0, 12.0, 16.0})
      for (double turn : {0.0, std::numbers::pi / 3.0}) {
        std::vector<Vec3> tips;
        for (int n = 0; n < 3; ++n) {
          const double a = turn + 2.0 * std::numbers::pi * n / 3.0;
          tips.push_back(tip0 + radius * (std::cos(a) * u + std::sin(a) * v));
        }
        layouts.push_back(tips);
      }
  return layouts;
}

PlanEvaluation evaluateZone(const std::vector<std::uint8_t>& zone, const PlanningGrid& pg) {
  PlanEvaluation e;
  const double voxel_ml = std::pow(pg.grid.geometry.spacing_mm.x(), 3) * 1e-3;
  const std::size_t tumourAll = pg.tumourVoxels;
  std::size_t covered = 0, tumourIn = 0, zoneCount = 0;
  double nearestMiss_mm = 1e300;
  for (std::size_t v = 0; v < zone.size(); ++v) {
    zoneCount += zone[v];
    covered += zone[v] && pg.target[v];
    tumourIn += zone[v] && pg.tumour[v];
    if (!zone[v]) nearestMiss_mm = std::min(nearestMiss_mm, double(pg.distanceToTumour_mm[v]));
  }
  e.zone_ml = double(zoneCount) * voxel_ml;
  e.coverage_percent = pg.targetVoxels ? 100.0 * double(covered) / double(pg.targetVoxels) : 0.0;
  e.tumourCoverage_percent = tumourAll ? 100.0 * double(tumourIn) / double(tumourAll) : 0.0;
  // As zone_metrics.h: distance between voxel centres less one voxel; a tumour voxel left out
  // gives a negative margin (refined by tumourCoverage for the plans returned).
  e.minMargin_mm = tumourIn < tumourAll ? -pg.grid.geometry.spacing_mm.x()
                                        : nearestMiss_mm - pg.grid.geometry.spacing_mm.x();
  for (const Structure& c : pg.critical) {
    std::size_t hit = 0;
    for (std::size_t v = 0; v < zone.size(); ++v) hit += zone[v] && c.mask[v];
    e.ablated_ml[c.name] = double(hit) * voxel_ml;
    e.criticalAblated_ml += double(hit) * voxel_ml;
  }
  return e;
}

std::vector<ProbePlacement> placementsOf(const std::vector<PlannedProbe>& probes) {
  std::vector<ProbePlacement> placements;
  for (const PlannedProbe& p : probes) placements.push_back({p.tip_lps, p.entry_lps});
  return placements;
}

// The surrogate's zone of a candidate's probes together on the planning grid.
std::vector<std::uint8_t> predictedZone(const Candidate& c, const PlanningGrid& pg,
                                        bool probeInteraction) {
  const ProbeInteraction interaction =
      probeInteraction ? ablation::probeInteraction(*c.surrogate) : ProbeInteraction{};
  return predictCombinedZone(*c.surrogate, pg.grid, placementsOf(c.probes), pg.sink, interaction)
      .zone;
}

auto rankKey(const Candidate& c, double margin_mm) {
  const PlanEvaluation& e = c.eval;
  const auto [coverage, margin] = coverageKey(e.coverage_percent, e.minMargin_mm, margin_mm);
  return std::make_tuple(coverage, margin, std::round(e.criticalAblated_ml * 10.0), c.probes.size(),
                         std::round(c.setting.power_W * c.setting.duration_s), -e.minMargin_mm);
}

using RankKey = decltype(rankKey(std::declval<const Candidate&>(), 0.0));

// The zones of the plans to return, each made once: while the candidates are scored (in any
// order, in parallel), a candidate keeps its zone's voxels only while it is among the best
// `count` scored so far by rank key, then candidate order (the stable ranking's tie-break), so
// at the end exactly the first `count` of the ranking hold theirs and no more are ever held.
class BestZones {
 public:
  BestZones(std::vector<Candidate>& candidates, std::size_t count, double margin_mm)
      : candidates_(candidates), count_(count), margin_mm_(margin_mm) {}

  void offer(std::size_t index, const std::vector<std::uint8_t>& zone) {
    const Entry entry{rankKey(candidates_[index], margin_mm_), index};
    if (!wouldKeep(entry)) return;
    // The grid-wide scan runs outside the lock, so the other threads' offers do not wait on it.
    std::vector<std::size_t> voxels = voxelsOf(zone);
    const std::lock_guard lock(mutex_);
    if (!keeps(entry)) return;
    candidates_[index].zoneVoxels = std::move(voxels);
    kept_.insert(entry);
    if (kept_.size() <= count_) return;
    candidates_[kept_.rbegin()->second].zoneVoxels = {};
    kept_.erase(std::prev(kept_.end()));
  }

 private:
  using Entry = std::pair<RankKey, std::size_t>;
  bool keeps(const Entry& entry) const { return kept_.size() < count_ || entry < *kept_.rbegin(); }
  bool wouldKeep(const Entry& entry) {
    const std::lock_guard lock(mutex_);
    return keeps(entry);
  }

  std::vector<Candidate>& candidates_;
  const std::size_t count_;
  const double margin_mm_;
  std::mutex mutex_;
  std::set<Entry> kept_;
};

std::string number(double x, int decimals) {
  std::ostringstream out;
  out.setf(std::ios::fixed);
  out.precision(decimals);
  out << x;
  return out.str();
}

// "60 W"; for a ramp generator (devices.json control 'ramp') the power is where the ramp starts,
// not a power held: "the ramp from 30 W".
std::string powerName(const AblationDevice& device, double power_W) {
  const std::string watts = number(power_W, 0) + " W";
  return device.control == PowerControl::RampUntilRollOff ? "the ramp from " + watts : watts;
}

// "at 60 W", "on the ramp from 30 W".
std::string atPower(const AblationDevice& device, double power_W) {
  return (device.control == PowerControl::RampUntilRollOff ? "on " : "at ") +
         powerName(device, power_W);
}

std::string summarise(const AblationPlan& p, const PlanEvaluation& e, double margin_mm,
                      const AblationDevice& device) {
  std::string s = "covers " + number(e.coverage_percent, 1) + " % of tumour + " +
                  number(margin_mm, 0) + " mm, min margin " + number(e.minMargin_mm, 1) + " mm";
  std::string spared, hit;
  for (const auto& [name, ml] : e.ablated_ml)
    if (ml > 0.0)
      hit += (hit.empty() ? "" : ", ") + name + " (" + number(ml, 1) + " ml)";
    else
      spared += (spared.empty() ? "" : ", ") + name;
  if (!spared.empty()) s += ", spares " + spared + " (0 ml damaged)";
  if (!hit.empty()) s += ", ablates " + hit;
  s += "; " + std::to_string(p.probes.size()) + (p.probes.size() == 1 ? " probe" : " probes") +
       " " + atPower(device, p.power_W) + " for " + number(p.duration_s, 0) + " s";
  return s;
}

// The arrangement's setting (ablation_planner.h): per power, from the highest down, the shortest
// time whose shell score is at least the strongest setting's, by bisection (the zone grows with
// time); then the least energy of those, ties to the shorter time.
void chooseSetting(Candidate& c, const SettingTable& table, const PlanningGrid& pg,
                   const PlannerOptions& o) {
  const std::vector<ProbePlacement> placements = placementsOf(c.probes);
  const std::size_t powers = table.powers_W.size(), times = table.durations_s.size();
  std::vector<std::optional<ShellScore>> memo(powers * times);
  auto score = [&](std::size_t p, std::size_t t) -> const ShellScore& {
    std::optional<ShellScore>& slot = memo[p * times + t];
    if (!slot) {
      const ZoneSurrogate& s = table.at(p, t);
      const ProbeInteraction interaction =
          o.probeInteraction ? probeInteraction(s) : ProbeInteraction{};
      slot = scoreShell(combinedZoneAt(s, pg.grid, placements, pg.sink, interaction, pg.shell), pg,
                        o.margin_mm);
      ++c.settingsTested;
    }
    return *slot;
  };
  c.strongest = score(powers - 1, times - 1);
  auto reaches = [&](const ShellScore& x) { return x.key <= c.strongest.key; };
  std::optional<std::pair<std::size_t, std::size_t>> best;
  for (std::size_t p = powers; p-- > 0;) {
    if (!reaches(score(p, times - 1))) continue;
    std::size_t lo = 0, hi = times - 1;
    while (lo < hi) {
      const std::size_t mid = (lo + hi) / 2;
      if (reaches(score(p, mid)))
        hi = mid;
      else
        lo = mid + 1;
    }
    if (p == powers - 1) c.strongestPowerTime = hi;
    const double energy = table.at(p, hi).deliveredEnergy_J;
    const double bestEnergy = best ? table.at(best->first, best->second).deliveredEnergy_J : 1e300;
    if (energy < bestEnergy * (1.0 - 1e-9) ||
        (energy <= bestEnergy * (1.0 + 1e-9) && hi < best->second))
      best = {p, hi};
  }
  c.power = best->first;
  c.time = best->second;
  c.surrogate = &table.at(c.power, c.time);
  c.setting = {table.powers_W[c.power], table.durations_s[c.time]};
  if (c.time > 0) c.shorter = score(c.power, c.time - 1);
}

std::string minutes(double s) {
  const double m = s / 60.0;
  return number(m, std::abs(m - std::round(m)) < 1e-9 ? 0 : 1) + " min";
}

// Why the candidate's power and time: "4 min is the shortest at 60 W that covers tumour + 5 mm
// (3 min: 97.3 %, min margin -2.0 mm); the least energy of 50-100 W (14.4 kJ; 100 W needs
// 3 min, 18.0 kJ)".
std::string settingReason(const Candidate& c, const SettingTable& table, double margin_mm,
                          const AblationDevice& device) {
  const bool full = c.strongest.key == coverageKey(100.0, margin_mm, margin_mm);
  const std::string target = "tumour + " + number(margin_mm, 0) + " mm";
  const std::string goal = full ? "covers " + target
                                : "reaches the " + number(c.strongest.coverage_percent, 1) +
                                      " % of " + target + " that " +
                                      powerName(device, table.powers_W.back()) + " for " +
                                      minutes(table.durations_s.back()) + " reaches";
  std::string r;
  if (!c.shorter)
    r = minutes(c.setting.duration_s) + ", the shortest time searched, already " + goal;
  else
    r = minutes(c.setting.duration_s) + " is the shortest " + atPower(device, c.setting.power_W) +
        " that " + goal + " (" + minutes(table.durations_s[c.time - 1]) + ": " +
        number(c.shorter->coverage_percent, 1) + " %, min margin " +
        number(c.shorter->minMargin_mm, 1) + " mm)";
  if (table.powers_W.size() > 1) {
    const double probes = double(c.probes.size());
    r += "; the least energy of " + number(table.powers_W.front(), 0) + "-" +
         number(table.powers_W.back(), 0) + " W (" +
         number(c.surrogate->deliveredEnergy_J * probes * 1e-3, 1) + " kJ";
    if (c.power + 1 < table.powers_W.size() && c.strongestPowerTime) {
      const std::size_t top = table.powers_W.size() - 1;
      r += "; " + number(table.powers_W.back(), 0) + " W needs " +
           minutes(table.durations_s[*c.strongestPowerTime]) + ", " +
           number(table.at(top, *c.strongestPowerTime).deliveredEnergy_J * probes * 1e-3, 1) +
           " kJ";
    }
    r += ")";
  }
  return r;
}

// A zone's evaluation (evaluateZone of the same zone) with the coverage and minimal margin that
// zone_metrics.h tumourCoverage measures, as the returned plans report them.
PlanEvaluation withMeasuredMargin(PlanEvaluation e, const std::vector<std::uint8_t>& zone,
                                  const PlanningGrid& pg, double margin_mm) {
  const TumourCoverage tc = tumourCoverage(zone, pg.tumour, pg.grid.geometry, margin_mm);
  e.coverage_percent = tc.coverage_percent;
  e.minMargin_mm = tc.minMargin_mm;
  return e;
}

PlanEvaluation confirmPlan(const AblationPlan& plan, const AblationDevice& device,
                           const PlanningGrid& pg, double margin_mm, Progress& progress) {
  // Several RF electrodes: one generator, all at one potential (coupled fields); several
  // antennas: their powers add (device_source.h).
  const std::unique_ptr<HeatSource> source =
      makeHeatSource(pg.grid, device, placementsOf(plan.probes), plan.power_W);
  BioheatParameters bioheat;
  bioheat.duration_s = plan.duration_s;
  const AblationResult r = simulateAblation(pg.grid, *source, bioheat, progress);
  return withMeasuredMargin(evaluateZone(r.ablationZone, pg), r.ablationZone, pg, margin_mm);
}

}  // namespace

PlanningResult planAblation(const Case& twin, const PlannerOptions& options, Progress& progress) {
  const auto start = std::chrono::steady_clock::now();
  options.validate();
  const AblationDevice& device = findDevice(options.deviceId);
  const TumourInfo tumour = findTumour(twin, options.tumour);
  PlanningResult result;
  result.tumour = options.tumour;
  result.deviceId = device.id;
  result.margin_mm = options.margin_mm;
  result.tumour_ml = tumour.volume_ml;
  result.tumourCentre_lps = tumour.centre_lps;

  // 1. Needle paths from the tumour's centre.
  NeedlePathRules rules = options.pathRules;
  rules.ignoredSegments.push_back(options.tumour);
  const PathObstacles obstacles(twin, options.ct, rules);
  auto tracing = subRange(progress, 0.0, 0.15);
  const std::vector<NeedlePath> paths =
      candidatePaths(obstacles, tumour.centre_lps, options.directionCount, *tracing);
  result.pathsTried = paths.size();
  for (const NeedlePath& p : paths) {
    if (p.feasible) {
      ++result.pathsFeasible;
      continue;
    }
    const std::string kind = reasonKind(p.reason);
    auto known = std::find_if(result.refusals.begin(), result.refusals.end(),
                              [&](const auto& r) { return r.kind == kind; });
    if (known == result.refusals.end())
      result.refusals.push_back({kind, 1, p});
    else
      ++known->count;
  }
  std::stable_sort(result.refusals.begin(), result.refusals.end(),
                   [](const auto& a, const auto& b) { return a.count > b.count; });
  if (paths.empty())
    throw Error(ErrorKind::InvalidInput,
                "None of the " + std::to_string(options.directionCount) +
                    " needle directions the planner tries (spread evenly over the sphere) lies "
                    "within " +
                    number(rules.maxAngleFromAxial_deg, 1) +
                    " deg of the axial plane; allow a larger angle from the axial plane (45 deg "
                    "by default).",
                "max_angle_deg");
  const std::vector<NeedlePath> directions = chooseDirections(paths, options.directionsUsed);
  if (directions.empty()) {
    std::string why;
    for (const auto& r : result.refusals)
      why += (why.empty() ? "" : "; ") + r.kind + ": " + std::to_string(r.count);
    throw Error(ErrorKind::InvalidInput,
                "No feasible needle path reaches \"" + options.tumour + "\": all " +
                    std::to_string(paths.size()) + " directions within " +
                    number(rules.maxAngleFromAxial_deg, 0) +
                    " deg of the axial plane are refused (" + why +
                    "). Relax the angle limit or the safety radius, or plan by hand.",
                "tumour");
  }

  // 2. The planning grid and the surrogates.
  auto building = subRange(progress, 0.15, 0.3);
  const PlanningGrid pg =
      planningGrid(twin, options, tumour, directions.front().entry_lps, *building);
  const SettingTable table = settingTable(device);
  result.powersSearched_W = table.powers_W;
  result.durationsSearched_s = table.durations_s;

  // 3. Candidates: direction x layout, each with its own setting; every probe's own path must be
  // feasible. The layouts centre the strongest setting's zone on the tumour (the zone's centre
  // moves by under a millimetre with time: docs/validation.md "ablplanpt").
  std::vector<Candidate> candidates;
  for (const NeedlePath& path : directions) {
    const Vec3 outward = (path.entry_lps - path.tip_lps).normalized();
    for (const auto& tips : probeLayouts(tumour.centre_lps, outward,
                                         table.strongest().centreBehindTip_mm, options.maxProbes)) {
      Candidate c;
      for (const Vec3& tip : tips) c.probes.push_back({tip, tip + 100.0 * outward});
      candidates.push_back(std::move(c));
    }
  }
  auto scoring = subRange(progress, 0.3, options.confirm ? 0.5 : 0.95);
  BestZones bestZones(candidates, std::size_t(options.maxPlans), options.margin_mm);
  parallel::forEachChunk(
      {0, candidates.size()}, {1, "Scoring plans", {}},
      [&](parallel::IndexRange chunk, Progress&) {
        for (std::size_t i = chunk.begin; i < chunk.end; ++i) {
          Candidate& c = candidates[i];
          const Vec3 outward = (c.probes.front().entry_lps - c.probes.front().tip_lps).normalized();
          for (PlannedProbe& p : c.probes) {
            const NeedlePath np = tracePath(obstacles, p.tip_lps, outward);
            c.feasible = c.feasible && np.feasible;
            p.entry_lps = np.entry_lps;
            p.depth_mm = np.depth_mm;
            p.angleFromAxial_deg = np.angleFromAxial_deg;
          }
          if (!c.feasible) continue;
          chooseSetting(c, table, pg, options);
          const std::vector<std::uint8_t> zone = predictedZone(c, pg, options.probeInteraction);
          c.eval = evaluateZone(zone, pg);
          bestZones.offer(i, zone);
        }
      },
      *scoring);
  result.candidatesScored = candidates.size();
  for (const Candidate& c : candidates) result.settingsTested += c.settingsTested;
  std::vector<const Candidate*> ranked;
  for (const Candidate& c : candidates)
    if (c.feasible) ranked.push_back(&c);
  std::stable_sort(ranked.begin(), ranked.end(), [&](const Candidate* a, const Candidate* b) {
    return rankKey(*a, options.margin_mm) < rankKey(*b, options.margin_mm);
  });
  if (ranked.empty())
    throw Error(ErrorKind::InvalidInput,
                "Every probe layout for \"" + options.tumour +
                    "\" has a probe whose own path is refused; plan by hand.",
                "tumour");

  // 4. The plans returned, with the margin measured as zone_metrics.h does.
  for (const Candidate* c : ranked) {
    if (int(result.plans.size()) == options.maxPlans) break;
    AblationPlan plan;
    plan.probes = c->probes;
    plan.power_W = c->setting.power_W;
    plan.duration_s = c->setting.duration_s;
    plan.energy_J = c->surrogate->deliveredEnergy_J * double(c->probes.size());
    // The scoring's zone and its evaluation, with the margin measured as the CLI's ablate does.
    plan.predicted =
        withMeasuredMargin(c->eval, zoneOf(c->zoneVoxels, pg.tumour.size()), pg, options.margin_mm);
    plan.settingReason = settingReason(*c, table, options.margin_mm, device);
    if (c->shorter) {
      plan.shorterDuration_s = table.durations_s[c->time - 1];
      plan.shorterCoverage_percent = c->shorter->coverage_percent;
      plan.shorterMinMargin_mm = c->shorter->minMargin_mm;
    }
    plan.summary =
        summarise(plan, plan.predicted, options.margin_mm, device) + "; " + plan.settingReason;
    result.plans.push_back(std::move(plan));
  }
  result.search_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  // 5. The full physics on the best plans.
  if (options.confirm) {
    const std::size_t n = std::min<std::size_t>(options.confirmCount, result.plans.size());
    for (std::size_t i = 0; i < n; ++i) {
      auto one = subRange(progress, 0.5 + 0.45 * double(i) / double(n),
                          0.5 + 0.45 * double(i + 1) / double(n));
      AblationPlan& plan = result.plans[i];
      plan.confirmed = confirmPlan(plan, device, pg, options.margin_mm, *one);
      plan.summary += "; full physics: " + number(plan.confirmed->coverage_percent, 1) +
                      " % covered, min margin " + number(plan.confirmed->minMargin_mm, 1) + " mm";
    }
    result.confirm_s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() -
        result.search_s;
  }
  // No zone note on the plans: the planner takes catalogue devices only, and every one's zone
  // is matched to its published one (ablation_devices_test; a device that is not was withdrawn).
  progress.report(1.0, "Planning");
  return result;
}

std::vector<PlanEvaluation> evaluatePlanSettings(const Case& twin, const PlannerOptions& options,
                                                 const std::vector<PlannedProbe>& probes,
                                                 std::span<const DeviceSetting> settings) {
  options.validate();
  if (probes.empty())
    throw Error(ErrorKind::InvalidInput, "A plan to evaluate needs at least one probe.", "probes");
  const AblationDevice& device = findDevice(options.deviceId);
  const TumourInfo tumour = findTumour(twin, options.tumour);
  const PlanningGrid pg =
      planningGrid(twin, options, tumour, probes.front().entry_lps, noProgress());
  std::vector<PlanEvaluation> evaluations;
  for (const DeviceSetting& setting : settings) {
    Candidate c;
    c.probes = probes;
    c.surrogate = &cachedSurrogate(device, setting.power_W, setting.duration_s);
    const std::vector<std::uint8_t> zone = predictedZone(c, pg, options.probeInteraction);
    evaluations.push_back(withMeasuredMargin(evaluateZone(zone, pg), zone, pg, options.margin_mm));
  }
  return evaluations;
}

}  // namespace twinplan::ablation
