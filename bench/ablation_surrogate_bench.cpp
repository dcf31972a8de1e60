// The zone surrogate's update time while a probe is dragged (docs/benchmarks.md, "Thermal
// ablation: planning" and "ablplan"): the abdomen phantom's ablation grid around Tumour 2 (1 mm,
// 100 mm box, its portal and hepatic veins), predictZone for 20 tip positions 1 mm apart; then
// a 3-probe plan (parallel probes on a triangle of 12 mm circumradius, the planner's layout) with
// one probe dragged the same way, on that grid and on the live preview's 2 mm grid: the held
// probes' heat shares summed once (LiveMultiProbeZone), each update placing the moving probe;
// prints the median and the largest time per update.
#include <algorithm>
#include <chrono>
#include <functional>
#include <iostream>
#include <numbers>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "twinplan/ablation/devices.h"
#include "twinplan/ablation/grid_builder.h"
#include "twinplan/ablation/probe_geometry.h"
#include "twinplan/ablation/zone_surrogate.h"
#include "twinplan/phantom/phantom.h"

namespace {

using namespace twinplan;
using namespace twinplan::ablation;

double millisecondsOf(const std::function<void()>& work) {
  const auto start = std::chrono::steady_clock::now();
  work();
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
      .count();
}

void printTimes(const std::string& what, std::vector<double> times, double volume_ml) {
  std::sort(times.begin(), times.end());
  std::cout << what << ": zone " << volume_ml << " ml, median " << times[times.size() / 2]
            << " ms, max " << times.back() << " ms\n";
}

// Three parallel probes around `centre` (outward: tip -> entry), the zone centred on it.
std::vector<ProbePlacement> threeProbes(const ZoneSurrogate& s, const Vec3& centre,
                                        const Vec3& outward) {
  const auto [u, v] = perpendicularBasis(outward);
  std::vector<ProbePlacement> probes;
  for (int n = 0; n < 3; ++n) {
    const double a = 2.0 * std::numbers::pi * n / 3.0;
    const Vec3 tip =
        centre - s.centreBehindTip_mm * outward + 12.0 * (std::cos(a) * u + std::sin(a) * v);
    probes.push_back({tip, tip + 100.0 * outward});
  }
  return probes;
}

void benchMultiProbeDrag(const phantom::Phantom& abdomen, const ZoneSurrogate& s,
                         double spacing_mm) {
  const Vec3 centre = abdomen.tumours[1].centre_lps;
  const Vec3 outward = Vec3(-80.0, -40.0, 0.0).normalized();
  std::vector<ProbePlacement> probes = threeProbes(s, centre, outward);
  GridOptions go;
  go.spacing_mm = spacing_mm;
  const AblationGrid grid =
      buildAblationGrid(abdomen.twin, "", {centre, centre + 80.0 * outward}, go);
  const std::vector<std::uint8_t> sink = heatSinkMask(grid, s.options.sinkDistance_mm);
  const ProbeInteraction interaction = probeInteraction(s);
  std::optional<LiveMultiProbeZone> live;
  const double held_ms = millisecondsOf([&] {
    live.emplace(s, grid, sink, std::span<const ProbePlacement>(probes.data(), 2), interaction);
  });
  std::vector<double> times, scratch;
  double volume = 0.0;
  const ProbePlacement start = probes[2];
  for (int n = 0; n < 20; ++n) {
    const Vec3 shift(0.0, 0.0, double(n - 10));
    probes[2] = {start.tip_lps + shift, start.entry_lps + shift};
    times.push_back(millisecondsOf([&] { volume = live->withMovingProbe(probes[2]).volume_ml; }));
    scratch.push_back(
        millisecondsOf([&] { predictCombinedZone(s, grid, probes, sink, interaction); }));
  }
  const std::string name = s.deviceId + ", 3 probes, one dragged, grid " +
                           std::to_string(grid.geometry.size[0]) + "^3 at " +
                           std::to_string(spacing_mm).substr(0, 3) + " mm";
  std::cout << name << ": held probes summed once in " << held_ms << " ms\n";
  printTimes(name + ", update", times, volume);
  printTimes(name + ", all three from scratch", scratch, volume);
}

}  // namespace

int main() {
  phantom::PhantomOptions options;
  options.surfaceModels = false;
  const phantom::Phantom abdomen = phantom::makePhantom(options);
  const Vec3 centre = abdomen.tumours[1].centre_lps;
  ProbePlacement probe{centre, centre + Vec3(-80.0, -40.0, 0.0)};
  const AblationGrid grid = buildAblationGrid(abdomen.twin, "", probe);
  for (const char* id : {"mw-2450mhz-100w", "rf-cooled-3cm"}) {
    const ZoneSurrogate& s = cachedSurrogate(findDevice(id));
    std::vector<double> times;
    double volume = 0.0;
    for (int n = 0; n < 20; ++n) {
      probe.tip_lps = centre + Vec3(0.0, double(n - 10), 0.0);
      times.push_back(millisecondsOf([&] { volume = predictZone(s, grid, probe).volume_ml; }));
    }
    printTimes(std::string(id) + ": grid " + std::to_string(grid.geometry.size[0]) +
                   "^3 at 1 mm, predictZone",
               times, volume);
  }
  for (double spacing : {2.0, 1.0})
    benchMultiProbeDrag(abdomen, cachedSurrogate(findDevice("mw-2450mhz-100w")), spacing);
}
