// The live predicted zone's update time (docs/benchmarks.md, "Ablation: live zone in the GUI"):
// predictZonePreview (ui/ablation_preview.h: surrogate zone, coverage of tumour + 5 mm, surface
// for 3D) for 20 tip positions 1 mm apart through the abdomen phantom's 15 mm Tumour 1, on the
// preview's 2 mm grid and on 1 mm in the same run; prints the first update (grid built), the
// median and largest of the rest (grid reused), and the zone volume and coverage on both grids.
#include <algorithm>
#include <iostream>
#include <vector>

#include "twinplan/ablation/devices.h"
#include "twinplan/phantom/phantom.h"
#include "twinplan/ui/ablation_preview.h"

int main() {
  using namespace twinplan;
  phantom::PhantomOptions options;
  options.surfaceModels = false;
  const phantom::Phantom abdomen = phantom::makePhantom(options);
  const phantom::TumourTruth& tumour = abdomen.tumours.at(0);
  for (double spacing_mm : {2.0, 1.0}) {
    ui::ZonePreviewOptions o;
    o.spacing_mm = spacing_mm;
    for (const char* device : {"mw-2450mhz-100w", "rf-cooled-3cm"}) {
      auto cache = ui::makeZonePreviewCache();
      ui::AblationSetup s;
      s.deviceId = device;
      s.power_W = ablation::findDevice(device).power_W;  // its default: a tabulated profile
      s.duration_s = ablation::findDevice(device).duration_s;
      s.tumour = tumour.name;
      std::vector<double> reused_ms;
      double first_ms = 0.0, volume = 0.0, coverage = 0.0;
      for (int n = 0; n < 20; ++n) {
        ui::ProbePoints& probe = s.probes.front();
        probe.tip_lps = tumour.centre_lps + Vec3(double(n - 10), 0.0, 0.0);
        probe.entry_lps = *probe.tip_lps + Vec3(0.0, -80.0, 0.0);
        const ui::ZonePreview p = ui::predictZonePreview(abdomen.twin, "", s, *cache, o);
        (n == 0 ? first_ms : reused_ms.emplace_back()) = 1e3 * p.compute_s;
        if (n == 10) {
          volume = p.volume_ml;
          coverage = p.coverage ? p.coverage->coverage_percent : -1.0;
        }
      }
      std::sort(reused_ms.begin(), reused_ms.end());
      std::cout << device << " on " << spacing_mm << " mm: first update " << first_ms
                << " ms (grid built), then median " << reused_ms[reused_ms.size() / 2]
                << " ms, max " << reused_ms.back() << " ms; tip at the centre: zone " << volume
                << " ml, coverage of tumour + 5 mm " << coverage << " %\n";
    }
  }
}
