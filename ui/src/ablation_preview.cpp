// The live predicted ablation zone (ablation_preview.h).
#include "twinplan/ui/ablation_preview.h"

#include <QCoreApplication>
#include <QMetaObject>
#include <QThreadPool>
#include <algorithm>
#include <chrono>
#include <cmath>

#include "twinplan/ablation/devices.h"
#include "twinplan/ablation/grid_builder.h"
#include "twinplan/ablation/zone_metrics.h"
#include "twinplan/ablation/zone_surrogate.h"
#include "twinplan/core/error.h"
#include "twinplan/segmentation/segment_surface.h"

namespace twinplan::ui {

struct ZonePreviewCache {
  std::optional<ablation::AblationGrid> grid;
  Vec3 centre_lps = Vec3::Zero();
  double box_mm = 0.0;
  std::vector<std::uint8_t> sink;  // ablation::heatSinkMask of the grid
  std::string tumourName;          // the tumour `tumour` holds, on this grid
  std::vector<std::uint8_t> tumour;
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

// The grid for this placement: the cached one while the zone's centre stays near its centre,
// otherwise a new box around the zone with `slack_mm` of tissue beyond it on every side.
void ensureGrid(const Case& twin, const std::string& ct, const ablation::ZoneSurrogate& s,
                const ablation::ProbePlacement& probe, const ZonePreviewOptions& o,
                ZonePreviewCache& cache, bool& rebuilt) {
  const Vec3 centre = zoneCentre(s, probe);
  const double box_mm =
      std::max(s.calibratedLong_mm, s.calibratedShort_mm) + 2.0 * (o.slack_mm + o.reuseDistance_mm);
  rebuilt = !cache.grid || cache.box_mm < box_mm ||
            (centre - cache.centre_lps).norm() > o.reuseDistance_mm;
  if (!rebuilt) return;
  ablation::GridOptions go;
  go.spacing_mm = o.spacing_mm;
  go.boxSize_mm = std::clamp(box_mm, 10.0, 400.0);
  go.centreBehindTip_mm = std::min(s.centreBehindTip_mm, go.boxSize_mm / 2.0);
  cache.grid = ablation::buildAblationGrid(twin, ct, probe, go);
  cache.centre_lps = centre;
  cache.box_mm = go.boxSize_mm;
  cache.sink = ablation::heatSinkMask(*cache.grid, s.options.sinkDistance_mm);
  cache.tumourName.clear();
  cache.tumour.clear();
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
  if (!setup.complete())
    throw Error(ErrorKind::InvalidInput, "Place the probe's tip and entry to see its zone.",
                "ablation");
  const ablation::AblationDevice& device = ablation::findDevice(setup.deviceId);
  const ablation::ProbePlacement probe{*setup.tip_lps, *setup.entry_lps};
  if ((probe.tip_lps - probe.entry_lps).norm() < 1.0)
    throw Error(ErrorKind::InvalidInput, "The entry lies on the tip; move it at least 1 mm away.",
                "ablation.entry");
  // The tabulated profile for the planner's settings; another power or time is calibrated once
  // on the full physics (about a second on 2 mm) and kept for the session.
  const ablation::ZoneSurrogate& surrogate =
      ablation::cachedSurrogate(device, setup.power_W, setup.duration_s);
  ZonePreview out;
  out.setup = setup;
  ensureGrid(twin, ct, surrogate, probe, options, cache, out.gridRebuilt);
  const ablation::AblationGrid& grid = *cache.grid;

  std::vector<std::uint8_t> zone(grid.geometry.voxelCount(), 0);
  ablation::addPredictedZone(surrogate, grid, probe, cache.sink, zone);
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
