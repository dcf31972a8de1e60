// The zone surrogate's update time while a probe is dragged (docs/benchmarks.md, "Thermal
// ablation: planning"): the abdomen phantom's ablation grid around Tumour 2 (1 mm, 100 mm box,
// its portal and hepatic veins), predictZone for 20 tip positions 1 mm apart; prints the median
// and the largest time per update.
#include <algorithm>
#include <chrono>
#include <iostream>

#include "twinplan/ablation/devices.h"
#include "twinplan/ablation/grid_builder.h"
#include "twinplan/ablation/zone_surrogate.h"
#include "twinplan/phantom/phantom.h"

int main() {
  using namespace twinplan;
  using namespace twinplan::ablation;
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
      const auto start = std::chrono::steady_clock::now();
      const PredictedZone z = predictZone(s, grid, probe);
      times.push_back(
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
              .count());
      volume = z.volume_ml;
    }
    std::sort(times.begin(), times.end());
    std::cout << id << ": grid " << grid.geometry.size[0] << "^3 at 1 mm, zone " << volume
              << " ml, predictZone median " << times[times.size() / 2] << " ms, max "
              << times.back() << " ms\n";
  }
}
