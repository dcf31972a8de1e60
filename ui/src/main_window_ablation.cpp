// The Ablation dock of the main window (issue #17 item 5): probe placement by clicks in the 2D
// views, the full bioheat simulation in the background, and its result stored in the case as
// one undoable step: the maximum-temperature and damage fields (2D overlays), the ablation zone
// as a segment, and the set-up with its margin report as the case's ablation Plan.
#include <QDockWidget>
#include <cmath>
#include <sstream>

#include "twinplan/ablation/bioheat.h"
#include "twinplan/ablation/device_source.h"
#include "twinplan/ablation/devices.h"
#include "twinplan/ablation/grid_builder.h"
#include "twinplan/ablation/zone_metrics.h"
#include "twinplan/core/case_edit.h"
#include "twinplan/core/error.h"
#include "twinplan/core/parallel.h"
#include "twinplan/segmentation/binary_mask.h"
#include "twinplan/segmentation/segment_surface.h"
#include "twinplan/ui/ablation_panel.h"
#include "twinplan/ui/background_task.h"
#include "twinplan/ui/landmark_panel.h"
#include "twinplan/ui/main_window.h"
#include "twinplan/ui/slice_viewport.h"

namespace twinplan::ui {

// What the background run hands back to the GUI thread.
struct AblationOutcome {
  ablation::AblationResult result;
  ImageGeometry grid;
  SurfaceMesh zoneSurface;  // empty when the zone is empty
  nlohmann::json report;
};

namespace {

using nlohmann::json;

constexpr const char* kZoneSegment = "Ablation zone";
constexpr const char* kTemperatureField = "Ablation maximum temperature";
constexpr const char* kDamageField = "Ablation damage (Arrhenius Omega)";
constexpr const char* kPlanName = "Ablation";
constexpr Rgb kZoneColour{230, 120, 30};

// Stores a whole ablation result as one undo step: the label maps (with the zone segment),
// the fields and the plans before and after. Copies are made before the swap, so a failure
// leaves the case untouched (case_edit.h).
class StoreAblationResult final : public CaseEdit {
 public:
  StoreAblationResult(const Case& twin, std::vector<LabelMap> labelMaps,
                      std::vector<ScalarField> fields, std::vector<Plan> plans,
                      std::vector<SurfaceMesh> meshes)
      : labelMaps_(std::move(labelMaps)),
        fields_(std::move(fields)),
        plans_(std::move(plans)),
        meshes_(std::move(meshes)) {
    (void)twin;
  }
  std::string text() const override { return "Simulate ablation"; }
  void apply(Case& twin) override { swapWith(twin); }
  void revert(Case& twin) override { swapWith(twin); }
  std::vector<CaseChange> changes() const override {
    return {{CasePart::LabelMaps}, {CasePart::Fields}, {CasePart::Plans}, {CasePart::Meshes}};
  }

 private:
  void swapWith(Case& twin) {
    std::swap(twin.labelMaps, labelMaps_);
    std::swap(twin.fields, fields_);
    std::swap(twin.plans, plans_);
    std::swap(twin.meshes, meshes_);
  }
  std::vector<LabelMap> labelMaps_;
  std::vector<ScalarField> fields_;
  std::vector<Plan> plans_;
  std::vector<SurfaceMesh> meshes_;
};

ScalarField named(ScalarField field, const char* name, const char* quantity) {
  field.name = name;
  field.quantity = quantity;
  return field;
}

// The zone (on the ablation grid) as a mask on the label map's grid: nearest neighbour, so a
// label voxel is in the zone when the ablation voxel its centre falls in is.
segmentation::BinaryMask zoneOnLabels(const std::vector<std::uint8_t>& zone,
                                      const ImageGeometry& grid, const ImageGeometry& labels) {
  segmentation::BinaryMask mask(labels);
  const auto n = labels.size;
  parallel::parallelFor({0, std::size_t(n[2])}, 1, [&](parallel::IndexRange slices) {
    for (std::size_t k = slices.begin; k < slices.end; ++k)
      for (std::int64_t j = 0; j < n[1]; ++j)
        for (std::int64_t i = 0; i < n[0]; ++i) {
          const Vec3 g = grid.lpsToIndex(labels.indexToLps(Vec3(i, j, double(k))));
          const std::int64_t gi = std::llround(g.x()), gj = std::llround(g.y()),
                             gk = std::llround(g.z());
          if (gi < 0 || gj < 0 || gk < 0 || gi >= grid.size[0] || gj >= grid.size[1] ||
              gk >= grid.size[2])
            continue;
          if (zone[grid.linearIndex(gi, gj, gk)])
            mask.voxels[labels.linearIndex(i, j, std::int64_t(k))] = 1;
        }
  });
  return mask;
}

// The zone's closed surface for the 3D view, built on the ablation grid itself (no
// resampling), translucent so the tumour inside stays visible.
SurfaceMesh zoneSurface(const std::vector<std::uint8_t>& zone, const ImageGeometry& grid) {
  if (std::find(zone.begin(), zone.end(), 1) == zone.end()) return {};
  LabelMap labels(grid);
  Segment segment;
  segment.name = kZoneSegment;
  segment.colour = kZoneColour;
  labels.addSegment(segment);
  std::transform(zone.begin(), zone.end(), labels.layer(0).begin(),
                 [](std::uint8_t v) { return std::uint16_t(v); });
  SurfaceMesh mesh = segmentation::buildSurface(labels, labels.segments().front());
  mesh.name = mesh.segmentName = kZoneSegment;
  mesh.colour = kZoneColour;
  mesh.opacity = 0.4f;
  return mesh;
}

QString reportText(const json& r) {
  std::ostringstream out;
  out.precision(3);
  out << "Zone " << r["zone_volume_ml"].get<double>() << " ml, axes "
      << r["axes_mm"][0].get<double>() << " x " << r["axes_mm"][1].get<double>() << " x "
      << r["axes_mm"][2].get<double>() << " mm; max " << r["max_temperature_degC"].get<double>()
      << " degC.";
  if (r.contains("coverage_percent"))
    out << "\n"
        << r["tumour"].get<std::string>() << " + " << r["margin_mm"].get<double>()
        << " mm: coverage " << r["coverage_percent"].get<double>() << " %, minimal margin "
        << r["min_margin_mm"].get<double>() << " mm.";
  for (const auto& [name, d] : r["structures_damaged"].items())
    out << "\n"
        << name << ": " << d["ablated_ml"].get<double>() << " ml ablated ("
        << d["ablated_percent"].get<double>() << " %), max "
        << d["max_temperature_degC"].get<double>() << " degC.";
  return QString::fromStdString(out.str());
}

}  // namespace

void MainWindow::buildAblationDock() {
  ablation_ = new AblationPanel(this);
  ablation_->setObjectName("ablationPanel");
  auto* dock = new QDockWidget(tr("Ablation"), this);
  dock->setObjectName("ablationDock");
  dock->setWidget(ablation_);
  dock->setFeatures(QDockWidget::DockWidgetMovable | QDockWidget::DockWidgetClosable);
  addDockWidget(Qt::RightDockWidgetArea, dock);
  if (auto* landmarks = findChild<QDockWidget*>("landmarkDock")) {
    tabifyDockWidget(landmarks, dock);
    if (auto* series = findChild<QDockWidget*>("seriesDock")) series->raise();
  }
  connect(ablation_, &AblationPanel::placingChanged, this, [this] {
    const bool placing = ablation_->placing().has_value();
    for (auto* viewport : slices_) viewport->setPickMode(placing || tool_ != Tool::Navigate);
  });
  connect(ablation_, &AblationPanel::setupChanged, this, &MainWindow::showProbe);
  connect(ablation_, &AblationPanel::simulateRequested, this, [this] {
    try {
      simulateAblation(ablation_->setup());
    } catch (const std::exception& e) {
      ablation_->showReport(tr("Not simulated: %1").arg(QString::fromUtf8(e.what())));
      showError(tr("Cannot simulate the ablation"), e);
    }
  });
  connect(document_, &CaseDocument::caseReplaced, this, &MainWindow::restoreAblation);
  connect(document_, &CaseDocument::partChanged, this, [this](CasePart part) {
    if (part == CasePart::LabelMaps) ablation_->showCase(currentCase());
    if (part == CasePart::Plans) restoreAblation();
    if (part == CasePart::Fields) showFieldOverlay();
  });
}

void MainWindow::showFieldOverlay() {
  const Case& twin = currentCase();
  const ScalarField* field = twin.fields.empty() ? nullptr : &twin.fields.front();
  rendering::SliceView::FieldDisplay display;
  if (field) {
    float hottest = 0.0f;
    for (float v : field->values)
      if (std::isfinite(v)) hottest = std::max(hottest, v);
    display.max = hottest > 0.0f ? hottest : 1.0;
    display.opacity = 0.45;
    if (field->quantity == "temperature") {
      // Washed from 43 degC, the CEM43 reference (Sapareto SA, Dewey WC, Int J Radiat Oncol
      // Biol Phys 1984;10:787-800), so unheated tissue stays clear; isotherms at 50 degC (cell
      // death within minutes) and 60 degC (near-instant coagulation): Goldberg SN et al., AJR
      // 2000;174:323-331.
      display.min = 43.0;
      display.isolevels = {50.0, 60.0};
    } else {
      display.min = 0.1 * display.max;
      for (double fraction : {0.2, 0.4, 0.6, 0.8, 0.95})
        display.isolevels.push_back(fraction * display.max);
    }
  }
  for (auto* viewport : slices_) {
    viewport->view().setScalarField(field, display);
    viewport->update();
  }
}

void MainWindow::restoreAblation() {
  const Case& twin = currentCase();
  ablation_->showCase(twin);
  for (const Plan& plan : twin.plans)
    if (plan.kind == "ablation") {
      try {
        ablation_->setSetup(AblationSetup::fromJson(plan.parameters));
        ablation_->showReport(
            plan.parameters.contains("report") ? reportText(plan.parameters["report"]) : QString());
      } catch (const std::exception& e) {
        ablation_->showReport(QString::fromUtf8(e.what()));
      }
      return;
    }
  ablation_->showReport({});
}

void MainWindow::showProbe() {
  // The probe as a line from entry to tip, projected on each 2D view, while no measurement is
  // being drawn (the views' pending-point overlay).
  showLandmarkMarkers();  // with the probe's rings
  if (!pendingPoints_.empty()) return;
  const AblationSetup& s = ablation_->setup();
  std::vector<Vec3> points;
  if (s.entry_lps) points.push_back(*s.entry_lps);
  if (s.tip_lps) points.push_back(*s.tip_lps);
  for (auto* viewport : slices_) {
    viewport->view().setPendingPoints(points, points.size() == 2);
    viewport->update();
  }
}

std::vector<rendering::SliceView::LandmarkMarker> MainWindow::probeMarkers() const {
  std::vector<rendering::SliceView::LandmarkMarker> markers;
  if (!ablation_) return markers;  // during construction
  const AblationSetup& s = ablation_->setup();
  if (s.tip_lps) markers.push_back({*s.tip_lps, "T"});
  if (s.entry_lps) markers.push_back({*s.entry_lps, "E"});
  return markers;
}

void MainWindow::moveProbeMarker(std::size_t probeMarker, const Vec3& p_lps, bool final) {
  AblationSetup s = ablation_->setup();
  const bool tip = probeMarker == 0 && s.tip_lps;
  if (!tip && !s.entry_lps) return;
  (tip ? s.tip_lps : s.entry_lps) = p_lps;
  if (final) return ablation_->setSetup(std::move(s));  // redraws through setupChanged
  // While dragging: the rings and the line follow the mouse; the panel takes the point on
  // release.
  const ImageVolume* background = backgroundVolume();
  auto markers = landmarks_->markersOn(background ? background->name : std::string()).markers;
  if (s.tip_lps) markers.push_back({*s.tip_lps, "T"});
  if (s.entry_lps) markers.push_back({*s.entry_lps, "E"});
  std::vector<Vec3> line;
  if (s.entry_lps) line.push_back(*s.entry_lps);
  if (s.tip_lps) line.push_back(*s.tip_lps);
  for (auto* viewport : slices_) {
    viewport->view().setLandmarks(markers);
    if (pendingPoints_.empty()) viewport->view().setPendingPoints(line, line.size() == 2);
    viewport->update();
  }
}

bool MainWindow::simulateAblation(const AblationSetup& setup, const AblationRunOptions& run) {
  if (!setup.complete())
    throw Error(ErrorKind::InvalidInput,
                "Place the probe's tip and entry in a 2D view before simulating.", "ablation");
  const Case& twin = currentCase();
  const ablation::AblationDevice& device = ablation::findDevice(setup.deviceId);
  ablation::ProbePlacement probe{*setup.tip_lps, *setup.entry_lps};
  if ((probe.tip_lps - probe.entry_lps).norm() < 1.0)
    throw Error(ErrorKind::InvalidInput,
                "The entry lies on the tip; place the skin entry at least 1 mm from the tip.",
                "ablation.entry");
  ablation::GridOptions options;
  options.spacing_mm = run.spacing_mm;
  options.boxSize_mm = run.boxSize_mm;
  // As the ablate job: the box centred on the device's active part.
  options.centreBehindTip_mm = std::min(device.activeTipLength_mm / 2.0, options.boxSize_mm / 4.0);
  options.validate();
  const std::string ct = background_;

  auto outcome = runInBackground<AblationOutcome>(
      this, tr("Simulating the ablation"), [&](Progress& progress) {
        auto building = subRange(progress, 0.0, 0.1);
        const ablation::AblationGrid grid =
            ablation::buildAblationGrid(twin, ct, probe, options, *building);
        ablation::BioheatParameters bioheat;
        bioheat.duration_s = setup.duration_s;
        bioheat.timeStep_s = run.timeStep_s;
        bioheat.recordedPoints_lps = {probe.tip_lps};
        bioheat.validate(grid);
        const auto source = ablation::makeHeatSource(grid, device, probe, setup.power_W);
        auto simulating = subRange(progress, 0.1, 0.95);
        AblationOutcome out{ablation::simulateAblation(grid, *source, bioheat, *simulating),
                            grid.geometry,
                            {},
                            json::object()};
        const ablation::ZoneAxes axes =
            ablation::measureZoneAxes(out.result.ablationZone, grid.geometry, probe.axis());
        float hottest = -1e9f;
        for (float t : out.result.maximumTemperature.values) hottest = std::max(hottest, t);
        out.report = {{"zone_volume_ml", out.result.zoneVolume_ml},
                      {"axes_mm", {axes.long_mm, axes.short_mm[0], axes.short_mm[1]}},
                      {"max_temperature_degC", hottest},
                      {"structures_damaged", json::object()}};
        for (const LabelMap& labels : twin.labelMaps)
          for (std::size_t s = 0; s < labels.segments().size(); ++s) {
            const Segment& segment = labels.segments()[s];
            if (segment.name == kZoneSegment || segment.tissueType == "body") continue;
            const auto onGrid = ablation::segmentOnGrid(labels, s, grid.geometry);
            if (segment.name == setup.tumour) {
              auto measuring = subRange(progress, 0.95, 0.99);
              const ablation::TumourCoverage c = ablation::tumourCoverage(
                  out.result.ablationZone, onGrid, grid.geometry, setup.margin_mm, *measuring);
              out.report.update({{"tumour", segment.name},
                                 {"margin_mm", setup.margin_mm},
                                 {"coverage_percent", c.coverage_percent},
                                 {"tumour_coverage_percent", c.tumourCoverage_percent},
                                 {"min_margin_mm", c.minMargin_mm}});
              continue;
            }
            const ablation::StructureDamage d =
                ablation::structureDamage(out.result.ablationZone, onGrid,
                                          out.result.maximumTemperature.values, grid.geometry);
            if (d.ablated_ml > 0.0)
              out.report["structures_damaged"][segment.name] = {
                  {"ablated_ml", d.ablated_ml},
                  {"ablated_percent", d.ablated_percent},
                  {"max_temperature_degC", d.maxTemperature_degC}};
          }
        out.zoneSurface = zoneSurface(out.result.ablationZone, grid.geometry);
        return out;
      });
  if (!outcome) return false;
  storeAblationResult(setup, *outcome);
  ablation_->showReport(reportText(outcome->report));
  return true;
}

void MainWindow::storeAblationResult(const AblationSetup& setup, const AblationOutcome& outcome) {
  const Case& twin = currentCase();
  // The zone as a segment of the first label map (a new one on the background's grid when the
  // case has none), replacing the previous run's zone.
  std::vector<LabelMap> labelMaps = twin.labelMaps;
  if (labelMaps.empty()) {
    const ImageVolume* image = backgroundVolume();
    if (!image)
      throw Error(ErrorKind::InvalidInput, "The case has no image to put the ablation zone on.",
                  "volumes");
    labelMaps.emplace_back(image->geometry());
  }
  LabelMap& labels = labelMaps.front();
  std::size_t zone = 0;
  if (const auto found = labels.findSegment(kZoneSegment)) {
    zone = *found;
  } else {
    Segment segment;
    segment.name = kZoneSegment;
    segment.tissueType = "ablated";
    segment.colour = kZoneColour;
    zone = labels.addSegment(segment);
  }
  segmentation::BinaryMask everywhere(labels.geometry());
  std::fill(everywhere.voxels.begin(), everywhere.voxels.end(), 1);
  segmentation::writeSegment(
      labels, zone, zoneOnLabels(outcome.result.ablationZone, outcome.grid, labels.geometry()),
      everywhere);

  // The maximum temperature first: the 2D views wash the case's first field.
  std::vector<ScalarField> fields;
  fields.push_back(named(outcome.result.maximumTemperature, kTemperatureField, "temperature"));
  fields.push_back(named(outcome.result.damage, kDamageField, "damage"));
  for (const ScalarField& f : twin.fields)
    if (f.name != kTemperatureField && f.name != kDamageField) fields.push_back(f);

  std::vector<Plan> plans;
  Plan plan{"ablation", kPlanName, setup.toJson()};
  plan.parameters["report"] = outcome.report;
  plans.push_back(std::move(plan));
  for (const Plan& p : twin.plans)
    if (p.kind != "ablation") plans.push_back(p);

  std::vector<SurfaceMesh> meshes;
  for (const SurfaceMesh& m : twin.meshes)
    if (m.segmentName != kZoneSegment) meshes.push_back(m);
  if (!outcome.zoneSurface.triangles.empty()) meshes.push_back(outcome.zoneSurface);

  document_->apply(std::make_unique<StoreAblationResult>(
      twin, std::move(labelMaps), std::move(fields), std::move(plans), std::move(meshes)));
}

}  // namespace twinplan::ui
