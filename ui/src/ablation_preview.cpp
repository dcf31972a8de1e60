// The live predicted ablation zone (ablation_preview.h).
#include "twinplan/ui/ablation_preview.h"

#include <QCoreApplication>
#include <QMetaObject>
#include <QThreadPool>
#include <algorithm>
#include <chrono>
#include <cmath>

#include "twinplan/ablation/device_source.h"
#include "twinplan/ablation/devices.h"
#include "twinplan/ablation/grid_builder.h"
#include "twinplan/ablation/zone_metrics.h"
#include "twinplan/ablation/zone_surrogate.h"
#include "twinplan/core/error.h"
#include "twinplan/segmentation/segment_surface.h"

namespace twinplan::ui {

struct ZonePreviewCache {
  std::shared_ptr<const ablation::AblationGrid> grid;
  Vec3 centre_lps = Vec3::Zero();
  double box_mm = 0.0;
  std::vector<std::uint8_t> sink;  // ablation::heatSinkMask of the grid
  std::string tumourName;          // the tumour `tumour` holds, on this grid
  std::vector<std::uint8_t> tumour;
  // Several probes: the held probes' heat summed once on `grid` (LiveMultiProbeZone), for the
  // surrogate and the moving probe it was made with; the probes of the last update.
  std::unique_ptr<ablation::LiveMultiProbeZone> live;
  const ablation::ZoneSurrogate* liveSurrogate = nullptr;
  std::size_t liveMoving = 0;
  std::vector<ablation::ProbePlacement> lastProbes;
};

namespace {

using Clock = std::chrono::steady_clock;

constexpr const char* kPredictedSegment = "Predicted zone";
// Orchid: apart from the simulated zone's orange (main_window_ablation.cpp), the phantom's and
// the presets' yellow tumours, red arteries and blue veins; drawn hatched in 2D.
constexpr Rgb kPredictedColour{225, 95, 225};

// Where the zone forms: the surrogate's centroid along the shaft, behind the tip.
Vec3 zoneCentre(const ablation::ZoneSurrogate& s, const ablation::ProbePlacement& probe) {
  return probe.tip_lps - s.centreBehindTip_mm * probe.axis();
}

// The grid for these placements: the cached one while the zones' mean centre stays near its
// centre and the box still holds them, otherwise a new box around the zones with `slack_mm` of
// tissue beyond them on every side.
void ensureGrid(const Case& twin, const std::string& ct, const ablation::ZoneSurrogate& s,
                const std::vector<ablation::ProbePlacement>& probes, const ZonePreviewOptions& o,
                ZonePreviewCache& cache, bool& rebuilt) {
  Vec3 centre = Vec3::Zero();
  for (const auto& p : probes) centre += zoneCentre(s, p);
  centre /= double(probes.size());
  double spread_mm = 0.0;  // how far a zone's centre lies from the mean, along L, P or S
  for (const auto& p : probes)
    spread_mm = std::max(spread_mm, (zoneCentre(s, p) - centre).cwiseAbs().maxCoeff());
  const double box_mm = std::max(s.calibratedLong_mm, s.calibratedShort_mm) + 2.0 * spread_mm +
                        2.0 * (o.slack_mm + o.reuseDistance_mm);
  rebuilt = !cache.grid || cache.box_mm < box_mm ||
            (centre - cache.centre_lps).norm() > o.reuseDistance_mm;
  if (!rebuilt) return;
  cache.live.reset();  // it reads the grid being replaced
  ablation::GridOptions go;
  go.spacing_mm = o.spacing_mm;
  // Several probes: room for their spread to grow by reuseDistance_mm while one is dragged
  // apart, so the held probes' heat is kept (one probe: as before).
  const double room_mm = probes.size() > 1 ? 2.0 * o.reuseDistance_mm : 0.0;
  go.boxSize_mm = std::clamp(box_mm + room_mm, 10.0, std::min(400.0, 400.0 * o.spacing_mm));
  // The box centred on `centre`: a placement with its tip there (the builder reads no more).
  const ablation::ProbePlacement at{centre, centre - probes.front().axis()};
  cache.grid =
      std::make_shared<const ablation::AblationGrid>(ablation::buildAblationGrid(twin, ct, at, go));
  cache.centre_lps = centre;
  cache.box_mm = go.boxSize_mm;
  cache.sink = ablation::heatSinkMask(*cache.grid, s.options.sinkDistance_mm);
  cache.tumourName.clear();
  cache.tumour.clear();
}

bool samePlacement(const ablation::ProbePlacement& a, const ablation::ProbePlacement& b) {
  return a.tip_lps == b.tip_lps && a.entry_lps == b.entry_lps;
}

// Several probes' zone (zone_surrogate.h's superposition rule, voxel for voxel
// predictCombinedZone). The probe that moved since the last update is the moving one; the
// others' heat is summed once and kept while they stay, so a drag costs one probe's update.
std::vector<std::uint8_t> multiProbeZone(const ablation::ZoneSurrogate& s,
                                         const std::vector<ablation::ProbePlacement>& probes,
                                         ZonePreviewCache& cache) {
  std::size_t moving = probes.size() - 1, changedCount = 0;
  if (cache.lastProbes.size() == probes.size()) {
    moving = cache.liveMoving;
    for (std::size_t n = 0; n < probes.size(); ++n)
      if (!samePlacement(probes[n], cache.lastProbes[n])) {
        moving = n;
        ++changedCount;
      }
  }
  bool heldKept = cache.live && cache.liveSurrogate == &s && cache.liveMoving == moving &&
                  cache.lastProbes.size() == probes.size() && changedCount <= 1;
  if (!heldKept) {
    std::vector<ablation::ProbePlacement> held;
    for (std::size_t n = 0; n < probes.size(); ++n)
      if (n != moving) held.push_back(probes[n]);
    cache.live = std::make_unique<ablation::LiveMultiProbeZone>(s, *cache.grid, cache.sink, held,
                                                                ablation::probeInteraction(s));
    cache.liveSurrogate = &s;
    cache.liveMoving = moving;
  }
  cache.lastProbes = probes;
  return cache.live->withMovingProbe(probes[moving]).zone;
}

// The tumour segment on the cached grid (empty when the case has none of that name).
const std::vector<std::uint8_t>& tumourOnGrid(const Case& twin, const std::string& name,
                                              ZonePreviewCache& cache) {
  if (cache.tumourName == name) return cache.tumour;
  cache.tumourName = name;
  cache.tumour.clear();
  for (const LabelMap& labels : twin.labelMaps)
    if (const auto s = labels.findSegment(name)) {
      cache.tumour = ablation::segmentOnGrid(labels, *s, cache.grid->geometry);
      break;
    }
  return cache.tumour;
}

}  // namespace

std::shared_ptr<ZonePreviewCache> makeZonePreviewCache() {
  return std::make_shared<ZonePreviewCache>();
}

ZonePreview predictZonePreview(const Case& twin, const std::string& ct, const AblationSetup& setup,
                               ZonePreviewCache& cache, const ZonePreviewOptions& options) {
  const auto start = Clock::now();
  // The placed probes: one added and not yet placed does not hide the others' zone.
  std::vector<ablation::ProbePlacement> probes;
  for (std::size_t n = 0; n < setup.probes.size(); ++n) {
    const ProbePoints& p = setup.probes[n];
    if (!p.complete()) continue;
    if ((*p.tip_lps - *p.entry_lps).norm() < 1.0)
      throw Error(ErrorKind::InvalidInput,
                  "The entry of probe " + std::to_string(n + 1) +
                      " lies on its tip; move it at least 1 mm away.",
                  "ablation.probes[" + std::to_string(n) + "].entry");
    probes.push_back({*p.tip_lps, *p.entry_lps});
  }
  if (probes.empty())
    throw Error(ErrorKind::InvalidInput, "Place the probe's tip and entry to see its zone.",
                "ablation");
  const ablation::AblationDevice& device = ablation::findDevice(setup.deviceId);
  // The tabulated profile for the planner's settings; another power or time is calibrated once
  // on the full physics (about a second on 2 mm) and kept for the session.
  const ablation::ZoneSurrogate& surrogate =
      ablation::cachedSurrogate(device, setup.power_W, setup.duration_s);
  ZonePreview out;
  out.setup = setup;
  ensureGrid(twin, ct, surrogate, probes, options, cache, out.gridRebuilt);
  const ablation::AblationGrid& grid = *cache.grid;
  // A tip in air gets no zone, as Simulate refuses it (the surrogate would draw liver's zone).
  ablation::requireTipsInTissue(grid, probes);
  out.grid = cache.grid;
  out.placements = probes;

  std::vector<std::uint8_t> zone(grid.geometry.voxelCount(), 0);
  if (probes.size() == 1)
    ablation::addPredictedZone(surrogate, grid, probes.front(), cache.sink, zone);
  else
    zone = multiProbeZone(surrogate, probes, cache);
  std::size_t zoneVoxels = 0;
  for (std::uint8_t v : zone) zoneVoxels += v;
  const Vec3& h = grid.geometry.spacing_mm;
  out.volume_ml = double(zoneVoxels) * h.x() * h.y() * h.z() * 1e-3;

  if (!setup.tumour.empty()) {
    const auto& tumour = tumourOnGrid(twin, setup.tumour, cache);
    if (std::find(tumour.begin(), tumour.end(), 1) != tumour.end()) {
      const ablation::TumourCoverage c =
          ablation::tumourCoverage(zone, tumour, grid.geometry, setup.margin_mm);
      out.coverage = PreviewCoverage{c.coverage_percent, c.tumourCoverage_percent, c.minMargin_mm};
      if (zoneVoxels > 0)  // no zone, no edge to measure the margin to
        out.margin = makeMarginMapDisplay(zone, tumour, grid.geometry, setup.margin_mm, false);
    }
  }

  out.zone = LabelMap(grid.geometry);
  Segment segment;
  segment.name = kPredictedSegment;
  segment.tissueType = "ablated";
  segment.colour = kPredictedColour;
  out.zone.addSegment(segment);
  std::transform(zone.begin(), zone.end(), out.zone.layer(0).begin(),
                 [](std::uint8_t v) { return std::uint16_t(v); });
  if (zoneVoxels > 0) {
    out.surface = segmentation::buildSurface(out.zone, out.zone.segments().front());
    out.surface.name = out.surface.segmentName = kPredictedSegment;
    out.surface.colour = kPredictedColour;
    out.surface.opacity = 0.3f;
  }
  out.compute_s = std::chrono::duration<double>(Clock::now() - start).count();
  return out;
}

ZonePreviewer::ZonePreviewer(QObject* parent)
    : QObject(parent),
      cache_(std::make_shared<ZonePreviewCache>()),
      alive_(std::make_shared<bool>(true)) {}

ZonePreviewer::~ZonePreviewer() { *alive_ = false; }

void ZonePreviewer::setCase(const Case& twin, const std::string& ct) {
  auto parts = std::make_shared<Case>();
  parts->volumes = twin.volumes;  // shared voxels (image_volume.h, label_map.h)
  parts->labelMaps = twin.labelMaps;
  twin_ = std::move(parts);
  ct_ = ct;
  cache_ = std::make_shared<ZonePreviewCache>();  // a running update keeps the old one
}

void ZonePreviewer::request(const AblationSetup& setup) {
  pending_ = setup;
  if (!running_) startNext();
}

void ZonePreviewer::startNext() {
  if (!pending_ || !twin_) return;
  running_ = true;
  const AblationSetup setup = *std::exchange(pending_, std::nullopt);
  std::weak_ptr<bool> alive = alive_;
  QThreadPool::globalInstance()->start(
      [this, alive, setup, twin = twin_, ct = ct_, cache = cache_, options = options_] {
        auto preview = std::make_shared<ZonePreview>();
        try {
          *preview = predictZonePreview(*twin, ct, setup, *cache, options);
        } catch (const std::exception& e) {
          preview->setup = setup;
          preview->failure = e.what();
        }
        // Back on the GUI thread (qApp outlives every window); the previewer may be gone by then.
        QMetaObject::invokeMethod(
            qApp,
            [this, alive, preview] {
              const auto living = alive.lock();
              if (!living || !*living) return;
              running_ = false;
              emit ready(preview);
              startNext();  // the newest move that arrived meanwhile
            },
            Qt::QueuedConnection);
      });
}

}  // namespace twinplan::ui
