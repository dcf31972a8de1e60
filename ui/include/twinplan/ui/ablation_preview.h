#pragma once
// The live predicted ablation zone while a probe is placed or dragged (issue #17 items 3 and 5):
// the zone surrogate (ablation/zone_surrogate.h: a radial profile calibrated on the full physics,
// with the heat-sink rule of large vessels) placed on a coarse grid around the probes (several
// probes: the superposition rule of LiveMultiProbeZone, the held probes' heat summed once), its
// coverage of tumour + margin, and its surface for the 3D view. The work runs off the GUI thread
// (ZonePreviewer); moves that arrive while one is computed are coalesced, so only the newest
// placement is computed next and the GUI thread never waits.
#include <QObject>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "twinplan/ablation/ablation_grid.h"
#include "twinplan/ablation/heat_source.h"
#include "twinplan/core/case.h"
#include "twinplan/ui/ablation_margin_map.h"
#include "twinplan/ui/ablation_panel.h"

namespace twinplan::ui {

struct ZonePreviewOptions {
  // The preview grid's voxel edge: 2 mm keeps one update near 30 ms on the abdomen phantom
  // (the surrogate costs 165 ms on a 1 mm 101^3 grid, docs/validation.md), and the zone's
  // outline within a voxel of the 1 mm prediction (docs/benchmarks.md, "Ablation preview").
  double spacing_mm = 2.0;
  // The grid is reused while the zone's centre stays within this distance of the grid's
  // centre; the box keeps this much tissue beyond the zone on every side (mm).
  double reuseDistance_mm = 10.0;
  double slack_mm = 20.0;
};

// The preview's coverage of tumour + margin (ablation::TumourCoverage's figures).
struct PreviewCoverage {
  double coverage_percent = 0.0;
  double tumourCoverage_percent = 0.0;
  // zone_metrics' voxel-centre estimate of the minimal margin (TumourCoverage::minMargin_mm);
  // the panel shows the margin map's minimum instead (ZonePreview::margin), as the report does.
  double voxelCentreMargin_mm = 0.0;
};

struct ZonePreview {
  AblationSetup setup;  // what it was computed for
  LabelMap zone;        // the preview grid, one segment "Predicted zone"
  SurfaceMesh surface;  // its closed surface (empty when the zone is empty)
  // The grid it was predicted on and the placed probes it was predicted for (LPS mm).
  std::shared_ptr<const ablation::AblationGrid> grid;
  std::vector<ablation::ProbePlacement> placements;
  double volume_ml = 0.0;
  std::optional<PreviewCoverage> coverage;         // when the setup names a tumour on the grid
  std::shared_ptr<const MarginMapDisplay> margin;  // the tumour's margin map, with coverage
  double compute_s = 0.0;                          // worker time for this update
  bool gridRebuilt = false;                        // the grid was (re)built for this update
  std::string failure;                             // a sentence when it could not be predicted
};

// Grid, tumour and heat-sink masks kept between updates (one worker at a time uses it).
struct ZonePreviewCache;
std::shared_ptr<ZonePreviewCache> makeZonePreviewCache();

// Predicts the zone of `setup`'s placed probes (at least one) in `twin` (CT `ct`, "" = the
// first): pure apart from `cache`, which it fills and reuses. Throws Error for a setup the
// surrogate or the grid refuses.
ZonePreview predictZonePreview(const Case& twin, const std::string& ct, const AblationSetup& setup,
                               ZonePreviewCache& cache, const ZonePreviewOptions& options = {});

// Runs predictZonePreview on a worker, one at a time, newest request wins.
class ZonePreviewer : public QObject {
  Q_OBJECT
 public:
  explicit ZonePreviewer(QObject* parent = nullptr);
  ~ZonePreviewer() override;
  // The case parts the grid reads (volumes and label maps share their voxels: cheap copies).
  // A new case or changed segments drop the cached grid.
  void setCase(const Case& twin, const std::string& ct);
  void request(const AblationSetup& setup);
  bool busy() const { return running_; }
  void setOptions(const ZonePreviewOptions& options) { options_ = options; }

 signals:
  // On the GUI thread, for each update computed (a failure carries its sentence).
  void ready(std::shared_ptr<const twinplan::ui::ZonePreview> preview);

 private:
  void startNext();
  std::shared_ptr<const Case> twin_;
  std::string ct_;
  std::shared_ptr<ZonePreviewCache> cache_;
  std::optional<AblationSetup> pending_;
  ZonePreviewOptions options_;
  bool running_ = false;
  std::shared_ptr<bool> alive_;
};

}  // namespace twinplan::ui
