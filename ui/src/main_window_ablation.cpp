// The Ablation dock of the main window (issue #17 item 5): probe placement by clicks in the 2D
// views, the full bioheat simulation in the background, and its result stored in the case as
// one undoable step: the maximum-temperature and damage fields (2D overlays), the ablation zone
// as a segment, and the set-up with its margin report as the case's ablation Plan. While the
// probe is placed or dragged, the live predicted zone (ablation_preview.h) in 2D and 3D, and
// the probe itself in 3D (shaft and active part) and where it crosses each 2D slice.
#include <vtkActor.h>
#include <vtkRenderer.h>

#include <QDockWidget>
#include <QScrollArea>
#include <QScrollBar>
#include <QTimer>
#include <algorithm>
#include <cctype>
#include <cmath>
#include <numbers>
#include <sstream>

#include "dose_display.h"
#include "result_scene.h"
#include "twinplan/ablation/bioheat.h"
#include "twinplan/ablation/device_source.h"
#include "twinplan/ablation/devices.h"
#include "twinplan/ablation/grid_builder.h"
#include "twinplan/ablation/probe_geometry.h"
#include "twinplan/ablation/zone_metrics.h"
#include "twinplan/core/case_edit.h"
#include "twinplan/core/error.h"
#include "twinplan/core/parallel.h"
#include "twinplan/engine/ablation.h"
#include "twinplan/rendering/mesh_actor.h"
#include "twinplan/segmentation/binary_mask.h"
#include "twinplan/segmentation/segment_surface.h"
#include "twinplan/ui/ablation_margin_map.h"
#include "twinplan/ui/ablation_panel.h"
#include "twinplan/ui/ablation_preview.h"
#include "twinplan/ui/background_task.h"
#include "twinplan/ui/landmark_panel.h"
#include "twinplan/ui/main_window.h"
#include "twinplan/ui/slice_viewport.h"
#include "twinplan/ui/volume_viewport.h"

namespace twinplan::ui {

// The ablation's own actors in the 3D scene (not case meshes: they follow the panel).
struct AblationScene {
  vtkRenderer* renderer = nullptr;
  vtkSmartPointer<vtkActor> margin;              // the tumour's surface coloured by margin class
  std::vector<vtkSmartPointer<vtkActor>> probe;  // shaft parts first, then the active ones
  std::size_t shaftParts = 0;
  vtkSmartPointer<vtkActor> preview;  // the live predicted zone
  // Whether a prop is one of these: probe and live zone are seen through by a click in 3D
  // (placing picks the anatomy behind them); the margin map, the tumour's own surface, is not.
  bool drawsProbeOrPreview(const vtkProp* prop) const {
    return prop == preview.Get() || std::any_of(probe.begin(), probe.end(),
                                                [prop](const auto& a) { return a.Get() == prop; });
  }
  void replace(std::vector<vtkSmartPointer<vtkActor>>& actors,
               std::vector<vtkSmartPointer<vtkActor>> now) {
    for (const auto& a : actors) renderer->RemoveActor(a);
    actors = std::move(now);
    for (const auto& a : actors) renderer->AddActor(a);
  }
};

// What the background run hands back to the GUI thread.
struct AblationOutcome {
  ablation::AblationResult result;
  ImageGeometry grid;
  SurfaceMesh zoneSurface;  // empty when the zone is empty
  nlohmann::json report;
  std::shared_ptr<const MarginMapDisplay> margin;  // when the set-up names a tumour on the grid
  // The zone's signed distance (ablation::zoneSignedDistance) the margin map was built from;
  // saved with the case so the map is rebuilt on reopening. Empty without a margin map.
  ScalarField zoneDistance;
};

namespace {

using nlohmann::json;

constexpr const char* kZoneSegment = "Ablation zone";
constexpr const char* kTemperatureField = "Ablation maximum temperature";
constexpr const char* kDamageField = "Ablation damage (Arrhenius Omega)";
constexpr const char* kZoneDistanceField = "Ablation zone signed distance";
constexpr const char* kPlanName = "Ablation";
constexpr Rgb kZoneColour{230, 120, 30};
// The probe in 3D: a light grey insulated shaft and the active (heating) part in gold, as the
// devices look, so the active length reads at a glance.
constexpr Rgb kShaftColour{200, 200, 205};
constexpr Rgb kActiveColour{240, 190, 40};
// The probes' lines in the 2D views: the current probe's in the markers' yellow
// (SliceView's measurement colour, so its line and T/E rings read as one), 3 pixels wide; the
// others thin and ivory, calmer but still seen over the liver's fill.
constexpr Rgb kCurrentNeedleColour{255, 217, 51};
constexpr Rgb kNeedleColour{235, 230, 195};
// A probe crossing a slice closer than this to its tip or entry ring is drawn by that ring.
constexpr double kCrossingClearance_mm = 1.0;

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

// The panel's set-up stored in the case's ablation plan. The changes of one spin-box gesture
// (AblationPanel::editedControl) merge into one undo step, as a slider's display edits do
// (case_edit.h), so undo goes back to the power before the gesture, not one click at a time.
class EditAblationSetup final : public CaseEdit {
 public:
  EditAblationSetup(const Case& twin, std::size_t index, Plan after, std::string control,
                    bool continuing)
      : index_(index),
        before_(twin.plans.at(index)),
        after_(std::move(after)),
        control_(std::move(control)),
        continuing_(continuing) {}
  std::string text() const override {
    return control_.empty() ? "Edit the ablation plan" : "Change the ablation " + control_;
  }
  void apply(Case& twin) override { set(twin, after_); }
  void revert(Case& twin) override { set(twin, before_); }
  std::vector<CaseChange> changes() const override { return {{CasePart::Plans}}; }
  bool mergeWith(const CaseEdit& next) override {
    const auto* edit = dynamic_cast<const EditAblationSetup*>(&next);
    if (!edit || !edit->continuing_ || edit->control_.empty() || edit->control_ != control_ ||
        edit->index_ != index_)
      return false;
    after_ = edit->after_;
    return true;
  }

 private:
  void set(Case& twin, const Plan& plan) const {
    Plan copy = plan;  // copied first: a failure leaves the case as it was
    std::swap(twin.plans.at(index_), copy);
  }
  std::size_t index_;
  Plan before_, after_;
  std::string control_;
  bool continuing_;
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

// A closed cylinder (n-sided prism with caps) from `from` to `to`, for the probe in 3D.
SurfaceMesh cylinder(const Vec3& from, const Vec3& to, double radius_mm, const Rgb& colour) {
  constexpr int kSides = 16;
  SurfaceMesh mesh;
  mesh.colour = colour;
  const Vec3 axis = (to - from).normalized();
  auto [u, v] = ablation::perpendicularBasis(axis);
  if (u.cross(v).dot(axis) < 0.0) v = -v;  // (u, v, axis) right-handed: outward winding below
  auto add = [&](const Vec3& p) {
    mesh.points_lps.push_back({float(p.x()), float(p.y()), float(p.z())});
  };
  for (const Vec3& end : {from, to})
    for (int k = 0; k < kSides; ++k) {
      const double a = 2.0 * std::numbers::pi * k / kSides;
      add(end + radius_mm * (std::cos(a) * u + std::sin(a) * v));
    }
  add(from);
  add(to);
  const auto c0 = std::uint32_t(2 * kSides), c1 = c0 + 1;
  for (std::uint32_t k = 0; k < kSides; ++k) {
    const std::uint32_t k1 = (k + 1) % kSides;
    // Outward winding: counter-clockwise seen from outside.
    mesh.triangles.push_back({k, k1, kSides + k1});
    mesh.triangles.push_back({k, kSides + k1, kSides + k});
    mesh.triangles.push_back({c0, k1, k});
    mesh.triangles.push_back({c1, kSides + k, kSides + k1});
  }
  return mesh;
}

// Every placed probe's line in the 2D views, entry to tip: the current probe (the one the panel
// shows and a click places) emphasised, so the probe being worked on stands out and the rest
// stay in view.
std::vector<rendering::SliceView::Needle> probeNeedles(const AblationSetup& setup,
                                                       std::size_t current) {
  std::vector<rendering::SliceView::Needle> needles;
  for (std::size_t n = 0; n < setup.probes.size(); ++n) {
    const ProbePoints& p = setup.probes[n];
    if (!p.complete()) continue;
    needles.push_back({*p.entry_lps, *p.tip_lps,
                       n == current ? kCurrentNeedleColour : kNeedleColour, n == current});
  }
  return needles;
}

// The point a click in the 3D view places (AblationPanel::placing) from the surface it hit.
Vec3 placedIn3D(const VolumeViewport& volume, AblationPanel::Point point,
                const VolumeViewport::SurfacePick& pick) {
  // A tip clicked on a model (the tumour's) goes to the middle of the model along the line of
  // sight - the midpoint of the ray's chord through it (for a sphere, the point of the line of
  // sight nearest its centre; its centre when clicked over it) - not onto its near surface,
  // where a needle's tip does not belong. On the rendered volume, or a surface the ray does not
  // leave, the picked point itself. An entry is the skin point clicked; a temperature point the
  // surface point.
  if (point == AblationPanel::Point::Tip)
    if (const auto exit = volume.exitPoint(pick)) return 0.5 * (pick.p_lps + *exit);
  return pick.p_lps;
}

// The tips and entries a drag takes in 3D, in the order moveProbeMarker counts them.
std::vector<Vec3> probeHandles(const AblationSetup& setup) {
  std::vector<Vec3> handles;
  for (const ProbePoints& p : setup.probes)
    for (const std::optional<Vec3>& point : {p.tip_lps, p.entry_lps})
      if (point) handles.push_back(*point);
  return handles;
}

// Every probe of a complete set-up; throws Error(InvalidInput) naming a probe whose entry lies on
// its tip.
std::vector<ablation::ProbePlacement> placements(const AblationSetup& setup) {
  if (!setup.complete())
    throw Error(
        ErrorKind::InvalidInput,
        "Place every probe's tip and entry (in a 2D view or the 3D view) before simulating.",
        "ablation");
  std::vector<ablation::ProbePlacement> probes;
  for (const ProbePoints& p : setup.probes) {
    probes.push_back({*p.tip_lps, *p.entry_lps});
    if ((*p.tip_lps - *p.entry_lps).norm() < 1.0)
      throw Error(ErrorKind::InvalidInput,
                  "The entry of probe " + std::to_string(probes.size()) +
                      " lies on its tip; place the skin entry at least 1 mm from the tip.",
                  "ablation.probes[" + std::to_string(probes.size() - 1) + "].entry");
  }
  return probes;
}

// The simulated box. One probe: as the ablate job, the run's box centred on the device's active
// part. Several: centred between their active parts and widened by their spread, so each keeps
// the tissue around it a single probe has; `centre` is then a placement at that centre.
ablation::GridOptions simulationBox(const ablation::AblationDevice& device,
                                    const std::vector<ablation::ProbePlacement>& probes,
                                    const MainWindow::AblationRunOptions& run,
                                    ablation::ProbePlacement& centre) {
  ablation::GridOptions options;
  options.spacing_mm = run.spacing_mm;
  options.boxSize_mm = run.boxSize_mm;
  options.centreBehindTip_mm = std::min(device.activeTipLength_mm / 2.0, options.boxSize_mm / 4.0);
  if (probes.size() > 1) {
    Vec3 mean = Vec3::Zero();
    for (const auto& p : probes) mean += p.tip_lps - options.centreBehindTip_mm * p.axis();
    mean /= double(probes.size());
    double spread_mm = 0.0;
    for (const auto& p : probes)
      spread_mm = std::max(
          spread_mm,
          (p.tip_lps - options.centreBehindTip_mm * p.axis() - mean).cwiseAbs().maxCoeff());
    // The builder's limits: 400 mm and 400 voxels an edge (grid_builder.h).
    options.boxSize_mm =
        std::min({run.boxSize_mm + 2.0 * spread_mm, 400.0, 400.0 * run.spacing_mm});
    centre = {mean, mean - probes.front().axis()};
    options.centreBehindTip_mm = 0.0;
  }
  options.validate();
  return options;
}

// A point whose temperature over time Simulate records, named for the chart's legend.
struct TemperaturePoint {
  std::string label;
  Vec3 p_lps;
};

// The tumour's centroid on the grid and its equivalent sphere's radius (mm); nullopt when the
// set-up names no tumour or it has no voxel on the grid.
std::optional<std::pair<Vec3, double>> tumourCentre(const Case& twin, const std::string& tumour,
                                                    const ImageGeometry& grid) {
  for (const LabelMap& labels : twin.labelMaps) {
    const auto segment = tumour.empty() ? std::nullopt : labels.findSegment(tumour);
    if (!segment) continue;
    const auto onGrid = ablation::segmentOnGrid(labels, *segment, grid);
    Vec3 sum = Vec3::Zero();
    std::size_t count = 0;
    for (std::int64_t k = 0, v = 0; k < grid.size[2]; ++k)
      for (std::int64_t j = 0; j < grid.size[1]; ++j)
        for (std::int64_t i = 0; i < grid.size[0]; ++i, ++v)
          if (onGrid[std::size_t(v)]) {
            sum += grid.indexToLps(Vec3(double(i), double(j), double(k)));
            ++count;
          }
    if (count == 0) return std::nullopt;
    const Vec3& h = grid.spacing_mm;
    const double volume_mm3 = double(count) * h.x() * h.y() * h.z();
    return std::pair{sum / double(count), std::cbrt(3.0 * volume_mm3 / (4.0 * std::numbers::pi))};
  }
  return std::nullopt;
}

// Where Simulate records the temperature over time: the tumour's centre and the point of
// tumour + margin straight across the first probe from it (its equivalent sphere's radius plus
// the margin: where the zone must reach), else each probe's tip; then the points picked in the
// panel. Points outside the simulated box have no temperature and are left out.
std::vector<TemperaturePoint> temperaturePoints(
    const Case& twin, const AblationSetup& setup, const ablation::AblationGrid& grid,
    const std::vector<ablation::ProbePlacement>& probes) {
  std::vector<TemperaturePoint> points;
  if (const auto centre = tumourCentre(twin, setup.tumour, grid.geometry)) {
    const Vec3 across = ablation::perpendicularBasis(probes.front().axis()).first;
    std::ostringstream margin;
    margin << "Margin (" << setup.margin_mm << " mm)";
    points.push_back({"Tumour centre", centre->first});
    points.push_back({margin.str(), centre->first + (centre->second + setup.margin_mm) * across});
  } else {
    for (std::size_t n = 0; n < probes.size(); ++n)
      points.push_back({"Tip " + std::to_string(n + 1), probes[n].tip_lps});
  }
  for (std::size_t n = 0; n < setup.temperaturePoints_lps.size(); ++n)
    points.push_back({"Point " + std::to_string(n + 1), setup.temperaturePoints_lps[n]});
  std::erase_if(points, [&](const TemperaturePoint& p) {
    return !grid.geometry.contains(grid.geometry.lpsToIndex(p.p_lps));
  });
  return points;
}

// The chart's curves from a report's probe_points (ablate job JSON, each with its label), in
// colours that stay apart from each other and from the zone's orange.
std::vector<TemperatureCurve> temperatureCurves(const json& report) {
  static constexpr Rgb kColours[] = {{200, 40, 40},  {30, 110, 200}, {40, 150, 60},
                                     {150, 60, 170}, {20, 150, 150}, {120, 90, 40}};
  std::vector<TemperatureCurve> curves;
  if (!report.contains("probe_points")) return curves;
  for (const json& p : report["probe_points"]) {
    TemperatureCurve c;
    c.label = QString::fromStdString(p.value("label", std::string("Point")));
    c.colour = kColours[curves.size() % std::size(kColours)];
    c.time_s = p["times_s"].get<std::vector<double>>();
    c.temperature_degC = p["temperature_degC"].get<std::vector<double>>();
    curves.push_back(std::move(c));
  }
  return curves;
}

// A zone criterion's label inside a sentence: "where cell death >= 63 % (Omega >= 1)".
std::string whereZone(std::string label) {
  if (!label.empty()) label[0] = char(std::tolower(static_cast<unsigned char>(label[0])));
  return "where " + label;
}

// The report's zone criterion in the Ablation panel's words, or its rule ("omega>=1") when the
// report names none of today's criteria.
std::string zoneCriterionWords(const json& r) {
  try {
    return whereZone(ablation::zoneCriterionChoice(r.value("zone_criterion", std::string())).label);
  } catch (const Error&) {
    return r["zone_criterion_rule"].get<std::string>();
  }
}

// The margin report (issue #17 items 3 and 5): the zone, the coverage of tumour + margin, the
// minimal ablative margin and where it is, and the damage to other structures, one line each.
QString reportText(const json& r) {
  std::ostringstream out;
  out.precision(3);
  if (r.value("probe_count", 1) > 1) out << r["probe_count"].get<int>() << " probes: ";
  // Lengths to a tenth of a millimetre, as the live line and `twinplan-cli ablate` print them:
  // the zone's edge and the margin map are good to about half a voxel, not to three digits.
  const auto mm = [](double x) { return QString::number(x, 'f', 1).toStdString(); };
  out << "Zone " << r["zone_volume_ml"].get<double>() << " ml, "
      << mm(r["axes_mm"][0].get<double>()) << " x " << mm(r["axes_mm"][1].get<double>()) << " x "
      << mm(r["axes_mm"][2].get<double>()) << " mm";
  if (r.contains("zone_criterion_rule")) out << ", " << zoneCriterionWords(r);
  out << "; max " << r["max_temperature_degC"].get<double>() << " degC.";
  if (r.contains("coverage_percent")) {
    out << "\n"
        << r["tumour"].get<std::string>() << " + " << r["margin_mm"].get<double>()
        << " mm: coverage " << r["coverage_percent"].get<double>() << " %";
    if (r.contains("tumour_coverage_percent"))
      out << " (tumour " << r["tumour_coverage_percent"].get<double>() << " %)";
    out << ".\n";
    // One minimal margin, named as the CLI's JSON names it (min_margin_mm, min_margin_measure).
    if (r["min_margin_mm"].is_number()) {
      const double margin = r["min_margin_mm"].get<double>();
      out << "Minimal ablative margin " << mm(margin) << " mm";
      if (r.contains("min_margin_at_lps")) {
        const auto& at = r["min_margin_at_lps"];
        std::ostringstream where;
        where.setf(std::ios::fixed);
        where.precision(1);
        where << " at " << at[0].get<double>() << ", " << at[1].get<double>() << ", "
              << at[2].get<double>() << " mm";
        out << where.str();
      }
      out << (margin < 0.0 ? " (tumour not covered)" : "");
      if (r.contains("min_margin_measure"))
        out << "; " << r["min_margin_measure"].get<std::string>();
      out << ".";
    } else {
      out << "No ablation zone: no margin.";
    }
  }
  if (r["structures_damaged"].empty()) out << "\nNo other structure ablated.";
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
  // Scrolled vertically when the window is short (the temperature chart under the report);
  // never horizontally: the dock is the width.
  auto* scroll = new QScrollArea(this);
  scroll->setWidget(ablation_);
  scroll->setWidgetResizable(true);
  scroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
  scroll->setMinimumWidth(ablation_->minimumSizeHint().width() +
                          scroll->verticalScrollBar()->sizeHint().width());
  auto* dock = new QDockWidget(tr("Ablation"), this);
  dock->setObjectName("ablationDock");
  dock->setWidget(scroll);
  dock->setFeatures(QDockWidget::DockWidgetMovable | QDockWidget::DockWidgetClosable);
  addDockWidget(Qt::RightDockWidgetArea, dock);
  if (auto* landmarks = findChild<QDockWidget*>("landmarkDock")) {
    tabifyDockWidget(landmarks, dock);
    if (auto* series = findChild<QDockWidget*>("seriesDock")) series->raise();
  }
  ablationScene_ = std::make_shared<AblationScene>();
  ablationScene_->renderer = volume_->view().renderer();
  previewer_ = new ZonePreviewer(this);
  connect(previewer_, &ZonePreviewer::ready, this, &MainWindow::showZonePreview);

  connect(ablation_, &AblationPanel::placingChanged, this, [this] {
    const bool placing = ablation_->placing().has_value();
    for (auto* viewport : slices_) viewport->setPickMode(placing || tool_ != Tool::Navigate);
    volume_->setPlacing(placing);
  });
  // In 3D: a click places the point being placed on the anatomy under it, and the tips and
  // entries drag (the same edits as in 2D: one undo step a release).
  volume_->setPickSkipped(
      [scene = ablationScene_](const vtkProp* prop) { return scene->drawsProbeOrPreview(prop); });
  connect(volume_, &VolumeViewport::surfaceClicked, this,
          [this](const VolumeViewport::SurfacePick& pick) {
            if (const auto point = ablation_->placing())
              ablation_->placePoint(placedIn3D(*volume_, *point, pick));
          });
  connect(volume_, &VolumeViewport::handleDragged, this,
          [this](std::size_t handle, const Vec3& p_lps, bool final) {
            moveProbeMarker(handle, p_lps, final);
          });
  connect(ablation_, &AblationPanel::setupChanged, this, [this] {
    showProbe();
    showFieldOverlay();
    requestZonePreview(ablation_->setup());
    // A set-up restored from the case is already the case's: storing it back would edit a case
    // the user only opened (a plan whose device is not offered would be rewritten).
    if (!ablation_->restoring()) storeAblationSetup();
    showMarginMap();
  });
  connect(ablation_, &AblationPanel::simulateRequested, this, [this] {
    try {
      simulateAblation(ablation_->setup());
    } catch (const std::exception& e) {
      ablation_->showReport(tr("Not simulated: %1").arg(QString::fromUtf8(e.what())));
      showError(tr("Cannot simulate the ablation"), e);
    }
  });
  connect(document_, &CaseDocument::caseReplaced, this, [this] {
    previewer_->setCase(currentCase(), background_);
    simulatedMargin_ = nullptr;
    simulatedMarginSource_ = nullptr;
    showZonePreview(nullptr);  // the views drop the previous case's zone before it is freed
    restoreAblation();
    // The Segment editor, connected later, shows the new case's label maps alone; the margin
    // map's outline goes back over them once every handler has run.
    QTimer::singleShot(0, this, [this] { showMarginMap(); });
  });
  connect(document_, &CaseDocument::partChanged, this, [this](CasePart part) {
    if (part == CasePart::LabelMaps || part == CasePart::Volumes) {
      previewer_->setCase(currentCase(), background_);  // the grid reads CT and segments
      requestZonePreview(ablation_->setup());
    }
    if (part == CasePart::LabelMaps) ablation_->showCase(currentCase());
    if (part == CasePart::Plans) restoreAblation();
    if (part == CasePart::Fields) showFieldOverlay();
  });
}

// The panel's overlay switch picks the result the views show (main_window_results.cpp) when it
// changes, or when a case's ablation plan is restored; a probe move leaves the choice alone.
void MainWindow::showFieldOverlay() {
  const Case& twin = currentCase();
  const auto has = [&](const char* name) {
    return std::any_of(twin.fields.begin(), twin.fields.end(),
                       [name](const ScalarField& f) { return f.name == name; });
  };
  const AblationSetup::Overlay overlay = ablation_->setup().overlay;
  if (!results_ || results_->ablationOverlay == static_cast<int>(overlay) ||
      !(has(kTemperatureField) || has(kDamageField))) {
    if (results_) showResult();
    return;
  }
  results_->ablationOverlay = static_cast<int>(overlay);
  switch (overlay) {
    case AblationSetup::Overlay::Temperature:
      chooseResult(has(kTemperatureField) ? kTemperatureField : "");
      break;
    case AblationSetup::Overlay::Damage:
      chooseResult(has(kDamageField) ? kDamageField : "");
      break;
    case AblationSetup::Overlay::Off:
      chooseResult("");
      break;
  }
}

void MainWindow::restoreSimulatedMargin(const Plan& plan) {
  // The simulated zone's margin map, rebuilt from the saved signed distance and the tumour
  // (issue #17 item 3) when the case reopens or an undo/redo brings the result back; kept while
  // the same stored field is there (every plan edit calls this).
  const Case& twin = currentCase();
  const ScalarField* distance = nullptr;
  for (const ScalarField& f : twin.fields)
    if (f.name == kZoneDistanceField) distance = &f;
  if (!distance || !plan.parameters.contains("simulated")) {
    simulatedMargin_ = nullptr;
    simulatedMarginSource_ = nullptr;
    return;
  }
  if (simulatedMargin_ && simulatedMarginSource_ == distance->values.data()) return;
  simulatedMargin_ = nullptr;
  simulatedMarginSource_ = distance->values.data();
  try {
    const AblationSetup simulated = AblationSetup::fromJson(plan.parameters["simulated"]);
    for (const LabelMap& labels : twin.labelMaps)
      if (const auto s = labels.findSegment(simulated.tumour)) {
        const auto tumour = ablation::segmentOnGrid(labels, *s, distance->geometry);
        if (std::find(tumour.begin(), tumour.end(), 1) != tumour.end())
          simulatedMargin_ = makeMarginMapDisplay(*distance, tumour, simulated.margin_mm, true);
        return;
      }
  } catch (const std::exception&) {
    simulatedMargin_ = nullptr;  // a damaged plan or field: the prediction shows instead
  }
}

void MainWindow::restoreAblation() {
  const Case& twin = currentCase();
  ablation_->showCase(twin);
  for (const Plan& plan : twin.plans)
    if (plan.kind == "ablation") {
      restoreSimulatedMargin(plan);
      try {
        ablation_->restoreSetup(AblationSetup::fromJson(plan.parameters));
        QString report =
            plan.parameters.contains("report") ? reportText(plan.parameters["report"]) : QString();
        // A report belongs to the set-up that was simulated; after the probe or the settings
        // changed it no longer describes what the panel shows.
        if (!report.isEmpty() && plan.parameters.contains("simulated") &&
            AblationSetup::fromJson(plan.parameters["simulated"])
                .physicallyDiffers(ablation_->setup()))
          report = tr("Simulated for an earlier set-up (Simulate again):\n%1").arg(report);
        ablation_->showReport(report);
        ablation_->showTemperatureCurves(plan.parameters.contains("report")
                                             ? temperatureCurves(plan.parameters["report"])
                                             : std::vector<TemperatureCurve>{});
      } catch (const std::exception& e) {
        ablation_->showReport(QString::fromUtf8(e.what()));
        ablation_->showTemperatureCurves({});
      }
      showFieldOverlay();
      return;
    }
  // A case without an ablation plan (a new case, or the plan undone): no probe placed.
  simulatedMargin_ = nullptr;
  simulatedMarginSource_ = nullptr;
  AblationSetup fresh;
  fresh.deviceId = ablation_->setup().deviceId;
  fresh.power_W = ablation_->setup().power_W;
  fresh.duration_s = ablation_->setup().duration_s;
  ablation_->restoreSetup(std::move(fresh));
  ablation_->showReport({});
  ablation_->showTemperatureCurves({});
}

void MainWindow::storeAblationSetup() {
  // The set-up lives in the case's ablation Plan, so the probe, device, settings and overlay
  // choice reopen with the case even before a run; the last run's report is kept with it.
  const Case& twin = currentCase();
  const AblationSetup& setup = ablation_->setup();
  for (std::size_t i = 0; i < twin.plans.size(); ++i)
    if (twin.plans[i].kind == "ablation") {
      const Plan& stored = twin.plans[i];
      try {
        if (AblationSetup::fromJson(stored.parameters) == setup) return;
      } catch (const std::exception&) {
        // a damaged plan is replaced by the panel's set-up
      }
      Plan plan = stored;
      plan.parameters.update(setup.toJson());
      document_->apply(std::make_unique<EditAblationSetup>(
          twin, i, std::move(plan), ablation_->editedControl(), ablation_->continuingGesture()));
      return;
    }
  if (!setup.anyPlaced()) return;  // nothing placed yet: nothing to keep
  document_->apply(edits::addPlan(twin, Plan{"ablation", kPlanName, setup.toJson()}));
}

std::vector<rendering::SliceView::ShownLabelMap> MainWindow::shownLabelMaps() const {
  auto shown = rendering::shownLabelMaps(currentCase().labelMaps);
  // The live predicted zone last: hatched over the segments, its outline solid.
  // The tumour's outline in its margin colours over the segments, under the hatched zone.
  if (shownMargin_) shown.push_back({&shownMargin_->outline, std::nullopt});
  if (preview_ && ablation_ && ablation_->setup().livePreview && preview_->failure.empty())
    shown.push_back({&preview_->zone, std::size_t(0)});
  return shown;
}

void MainWindow::requestZonePreview(const AblationSetup& setup) {
  // The placed probes' zone (one added and not yet placed does not hide it).
  const bool placed = std::any_of(setup.probes.begin(), setup.probes.end(),
                                  [](const ProbePoints& p) { return p.complete(); });
  if (!setup.livePreview || !placed) {
    if (preview_) showZonePreview(nullptr);
    ablation_->showLive(setup.livePreview ? tr("Place the tip and the entry to see the "
                                               "predicted zone.")
                                          : QString());
    return;
  }
  previewer_->request(setup);
}

void MainWindow::showZonePreview(std::shared_ptr<const ZonePreview> preview) {
  // An update computed for a set-up the panel has left (the preview switched off meanwhile)
  // is not shown; one for an older probe position is, until the newest arrives.
  if (preview && !ablation_->setup().livePreview) preview = nullptr;
  preview_ = std::move(preview);
  showMarginMap();  // redraws the 2D views' label maps
  if (preview_ && preview_->failure.empty() && !preview_->surface.triangles.empty()) {
    if (ablationScene_->preview) ablationScene_->renderer->RemoveActor(ablationScene_->preview);
    ablationScene_->preview = rendering::makeMeshActor(preview_->surface);
    ablationScene_->renderer->AddActor(ablationScene_->preview);
  } else if (ablationScene_->preview) {
    ablationScene_->renderer->RemoveActor(ablationScene_->preview);
    ablationScene_->preview = nullptr;
  }
  volume_->update();
  if (!preview_) return;
  if (!preview_->failure.empty()) {
    ablation_->showLive(tr("No predicted zone: %1").arg(QString::fromStdString(preview_->failure)));
    return;
  }
  QString text = tr("Predicted zone %1 ml").arg(preview_->volume_ml, 0, 'f', 1);
  if (preview_->coverage) {
    const PreviewCoverage& c = *preview_->coverage;
    text += tr("; %1 + %2 mm covered %3 % (tumour %4 %)")
                .arg(QString::fromStdString(preview_->setup.tumour))
                .arg(preview_->setup.margin_mm, 0, 'f', 1)
                .arg(c.coverage_percent, 0, 'f', 0)
                .arg(c.tumourCoverage_percent, 0, 'f', 0);
    // The one minimal margin: the margin map's minimum, as the simulated report gives it.
    if (preview_->margin)
      text +=
          tr(", minimal ablative margin %1 mm").arg(preview_->margin->map.map.min_mm, 0, 'f', 1);
  }
  // The surrogate's profiles are calibrated with the solver's default zone, Omega >= 1
  // (zone_surrogate.h); another criterion shows after Simulate.
  text += ".";
  if (preview_->setup.zoneCriterion != ablation::zoneCriterionChoices().front().name)
    text +=
        " " +
        tr("The prediction shows the zone %1; Simulate for the zone %2.")
            .arg(QString::fromStdString(whereZone(ablation::zoneCriterionChoices().front().label)),
                 QString::fromStdString(whereZone(
                     ablation::zoneCriterionChoice(preview_->setup.zoneCriterion).label)));
  ablation_->showLive(text);
}

void MainWindow::showMarginMap() {
  if (!ablationScene_) return;  // during construction
  const AblationSetup& setup = ablation_->setup();
  // The simulated zone's map while the case's plan says it was simulated for this set-up.
  bool simulatedApplies = false;
  if (simulatedMargin_)
    for (const Plan& plan : currentCase().plans)
      if (plan.kind == "ablation" && plan.parameters.contains("simulated")) try {
          simulatedApplies =
              !AblationSetup::fromJson(plan.parameters["simulated"]).physicallyDiffers(setup);
        } catch (const std::exception&) {
          simulatedApplies = false;  // a damaged plan: show the prediction instead
        }
  std::shared_ptr<const MarginMapDisplay> shown;
  if (simulatedApplies && !setup.tumour.empty()) {
    shown = simulatedMargin_;
  } else if (preview_ && setup.livePreview && preview_->failure.empty() && preview_->margin &&
             preview_->setup.tumour == setup.tumour) {
    shown = preview_->margin;
  }
  shownMargin_ = std::move(shown);
  if (ablationScene_->margin) ablationScene_->renderer->RemoveActor(ablationScene_->margin);
  ablationScene_->margin = shownMargin_ ? makeMarginMapActor(*shownMargin_) : nullptr;
  if (ablationScene_->margin) ablationScene_->renderer->AddActor(ablationScene_->margin);
  volume_->update();
  for (auto* viewport : slices_) {
    viewport->view().setLabelMaps(shownLabelMaps());
    viewport->update();
  }
  ablation_->showMarginMap(
      shownMargin_ ? QString::fromStdString(marginMapSummary(*shownMargin_)) : QString(),
      setup.margin_mm);
}

void MainWindow::showProbeIn3D(const AblationSetup& s) {
  // Every placed probe: all shafts first, then all active parts (probeBoundsIn3D).
  std::vector<ablation::ProbeLayout> layouts;
  for (const ProbePoints& p : s.probes)
    if (p.complete() && (*p.tip_lps - *p.entry_lps).norm() >= 1.0)
      layouts.push_back(ablation::probeLayout(ablation::findDevice(s.deviceId),
                                              ablation::ProbePlacement{*p.tip_lps, *p.entry_lps}));
  std::vector<vtkSmartPointer<vtkActor>> actors;
  // At least 1 mm across, so a 17-gauge shaft stays visible in a whole-abdomen view.
  for (const auto& layout : layouts)
    for (const auto& part : layout.shaft)
      actors.push_back(rendering::makeMeshActor(
          cylinder(part.from_lps, part.to_lps, std::max(part.radius_mm, 1.0), kShaftColour)));
  const std::size_t shaftParts = actors.size();
  for (const auto& layout : layouts)
    for (const auto& part : layout.active)
      actors.push_back(rendering::makeMeshActor(
          cylinder(part.from_lps, part.to_lps, std::max(part.radius_mm, 1.2), kActiveColour)));
  ablationScene_->replace(ablationScene_->probe, std::move(actors));
  ablationScene_->shaftParts = shaftParts;
  volume_->update();
}

std::optional<std::array<double, 6>> MainWindow::probeBoundsIn3D(bool activePart) const {
  if (!ablationScene_) return std::nullopt;
  std::optional<std::array<double, 6>> bounds;
  for (std::size_t i = 0; i < ablationScene_->probe.size(); ++i) {
    if ((i >= ablationScene_->shaftParts) != activePart) continue;
    const double* b = ablationScene_->probe[i]->GetBounds();
    if (!bounds) bounds = std::array<double, 6>{b[0], b[1], b[2], b[3], b[4], b[5]};
    for (int a = 0; a < 3; ++a) {
      (*bounds)[2 * a] = std::min((*bounds)[2 * a], b[2 * a]);
      (*bounds)[2 * a + 1] = std::max((*bounds)[2 * a + 1], b[2 * a + 1]);
    }
  }
  return bounds;
}

void MainWindow::showProbe() {
  // The probe as a line from entry to tip, projected on each 2D view, while no measurement is
  // being drawn (the views' pending-point overlay); in 3D, its shaft and active part.
  showLandmarkMarkers();  // with the probe's rings
  const AblationSetup& s = ablation_->setup();
  showProbeIn3D(s);
  showProbeLines(s);
}

void MainWindow::showProbeLines(const AblationSetup& s) {
  const auto needles = probeNeedles(s, ablation_->currentProbe());
  for (auto* viewport : slices_) {
    viewport->view().setNeedles(needles);
    viewport->update();
  }
  volume_->setHandles(probeHandles(s));
}

namespace {

std::vector<rendering::SliceView::LandmarkMarker> probeRings(
    const AblationSetup& setup, const std::array<SliceViewport*, 3>& slices) {
  // Each probe's tip and entry ("T", "E"; "T1", "E1", "T2", ... with several), in probe order
  // (moveProbeMarker counts them so), then the crossings, then the picked temperature points
  // ("P1", ...; drawn, not dragged).
  const std::vector<ProbePoints>& probes = setup.probes;
  std::vector<rendering::SliceView::LandmarkMarker> markers;
  for (std::size_t n = 0; n < probes.size(); ++n) {
    const std::string number = probes.size() > 1 ? std::to_string(n + 1) : std::string();
    if (probes[n].tip_lps) markers.push_back({*probes[n].tip_lps, "T" + number});
    if (probes[n].entry_lps) markers.push_back({*probes[n].entry_lps, "E" + number});
  }
  // Where a shaft crosses each view's slice, between entry and tip: an unlabelled ring (the
  // views draw a marker only on the slice it lies on). A shaft in the slice's plane has none.
  for (const ProbePoints& p : probes) {
    if (!p.complete()) continue;
    const Vec3 entry = *p.entry_lps, tip = *p.tip_lps;
    for (const auto* viewport : slices) {
      const Vec3 n = viewport->view().slicePlane().normal();
      const double along = (tip - entry).dot(n);
      if (std::abs(along) < 1e-9) continue;
      const double t = (viewport->view().crosshair() - entry).dot(n) / along;
      const Vec3 crossing = entry + t * (tip - entry);
      if (t <= 0.0 || t >= 1.0 || (crossing - tip).norm() < kCrossingClearance_mm ||
          (crossing - entry).norm() < kCrossingClearance_mm)
        continue;
      markers.push_back({crossing, ""});
    }
  }
  for (std::size_t n = 0; n < setup.temperaturePoints_lps.size(); ++n)
    markers.push_back({setup.temperaturePoints_lps[n], "P" + std::to_string(n + 1)});
  return markers;
}

}  // namespace

std::vector<rendering::SliceView::LandmarkMarker> MainWindow::probeMarkers() const {
  if (!ablation_) return {};  // during construction
  return probeRings(ablation_->setup(), slices_);
}

void MainWindow::moveProbeMarker(std::size_t probeMarker, const Vec3& p_lps, bool final) {
  AblationSetup s = ablation_->setup();
  // The ring's probe and point, counted as probeRings lists them.
  std::optional<Vec3>* moved = nullptr;
  for (std::size_t n = 0, ring = 0; n < s.probes.size() && !moved; ++n)
    for (std::optional<Vec3>* point : {&s.probes[n].tip_lps, &s.probes[n].entry_lps})
      if (*point && ring++ == probeMarker) {
        moved = point;
        break;
      }
  if (!moved) return;  // a crossing ring: drawn, not dragged
  *moved = p_lps;
  if (final) return ablation_->setSetup(std::move(s));  // redraws through setupChanged
  // While dragging: the rings, the line and the probe in 3D follow the mouse, and the live
  // zone is asked for this position (computed off the GUI thread, moves coalesced); the panel
  // takes the point on release.
  const ImageVolume* background = backgroundVolume();
  auto markers = landmarks_->markersOn(background ? background->name : std::string()).markers;
  for (auto& ring : probeRings(s, slices_)) markers.push_back(std::move(ring));
  for (auto* viewport : slices_) viewport->view().setLandmarks(markers);
  showProbeLines(s);
  showProbeIn3D(s);
  requestZonePreview(s);
}

bool MainWindow::simulateAblation(const AblationSetup& setup, const AblationRunOptions& run) {
  const Case& twin = currentCase();
  const ablation::AblationDevice& device = ablation::findDevice(setup.deviceId);
  const std::vector<ablation::ProbePlacement> probes = placements(setup);
  ablation::ProbePlacement probe = probes.front();  // where the box is centred (below)
  const ablation::GridOptions options = simulationBox(device, probes, run, probe);
  const std::string ct = background_;
  const ablation::ZoneCriterionChoice& criterion =
      ablation::zoneCriterionChoice(setup.zoneCriterion);

  auto outcome = runInBackground<AblationOutcome>(
      this, tr("Simulating the ablation"), [&](Progress& progress) {
        auto building = subRange(progress, 0.0, 0.1);
        const ablation::AblationGrid grid =
            ablation::buildAblationGrid(twin, ct, probe, options, *building);
        ablation::BioheatParameters bioheat;
        bioheat.duration_s = setup.duration_s;
        bioheat.timeStep_s = run.timeStep_s;
        const std::vector<TemperaturePoint> watched = temperaturePoints(twin, setup, grid, probes);
        for (const TemperaturePoint& p : watched) bioheat.recordedPoints_lps.push_back(p.p_lps);
        ablation::applyZoneCriterion(bioheat, ablation::parseZoneCriterion(criterion.criterion));
        bioheat.validate(grid);
        // Several probes: one generator for RF electrodes, each antenna at the setting (the
        // planner's confirmation runs the same source, device_source.h).
        const auto source = ablation::makeHeatSource(grid, device, probes, setup.power_W);
        auto simulating = subRange(progress, 0.1, 0.95);
        AblationOutcome out{ablation::simulateAblation(grid, *source, bioheat, *simulating),
                            grid.geometry,
                            {},
                            json::object()};
        const ablation::ZoneAxes axes =
            ablation::measureZoneAxes(out.result.ablationZone, grid.geometry, probes[0].axis());
        float hottest = -1e9f;
        for (float t : out.result.maximumTemperature.values) hottest = std::max(hottest, t);
        out.report = {{"probe_count", probes.size()},
                      {"zone_volume_ml", out.result.zoneVolume_ml},
                      {"zone_criterion", criterion.name},
                      {"zone_criterion_rule", criterion.criterion},
                      {"axes_mm", {axes.long_mm, axes.short_mm[0], axes.short_mm[1]}},
                      {"max_temperature_degC", hottest},
                      {"structures_damaged", json::object()}};
        // The temperature curves, as the ablate job's probe_points, each with its name.
        out.report["probe_points"] = engine::probePointsJson(out.result);
        for (std::size_t n = 0; n < watched.size(); ++n)
          out.report["probe_points"][n]["label"] = watched[n].label;
        for (const LabelMap& labels : twin.labelMaps)
          for (std::size_t s = 0; s < labels.segments().size(); ++s) {
            const Segment& segment = labels.segments()[s];
            if (segment.name == kZoneSegment || segment.tissueType == "body") continue;
            const auto onGrid = ablation::segmentOnGrid(labels, s, grid.geometry);
            if (segment.name == setup.tumour) {
              auto measuring = subRange(progress, 0.95, 0.99);
              const ablation::TumourCoverage c = ablation::tumourCoverage(
                  out.result.ablationZone, onGrid, grid.geometry, setup.margin_mm, *measuring);
              // No zone, no edge to measure the margin to.
              if (out.result.zoneVolume_ml > 0.0 &&
                  std::find(onGrid.begin(), onGrid.end(), 1) != onGrid.end()) {
                out.zoneDistance =
                    ablation::zoneSignedDistance(out.result.ablationZone, grid.geometry);
                out.margin = makeMarginMapDisplay(out.zoneDistance, onGrid, setup.margin_mm, true);
              }
              // The same figures, under the same names, as `twinplan-cli ablate --json`.
              out.report["tumour"] = segment.name;
              out.report["margin_mm"] = setup.margin_mm;
              out.report.update(
                  engine::tumourMarginReport(c, out.margin ? &out.margin->map : nullptr));
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
  simulatedMargin_ = outcome->margin;
  storeAblationResult(setup, *outcome);
  // The new run is shown as the panel's overlay says (temperature or damage), in 2D and 3D.
  if (results_) results_->ablationOverlay.reset();
  showFieldOverlay();
  ablation_->showReport(reportText(outcome->report));
  ablation_->showTemperatureCurves(temperatureCurves(outcome->report));
  showMarginMap();
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
  // The margin map's source (the zone's signed distance, mm), so it reopens with the case.
  if (!outcome.zoneDistance.values.empty())
    fields.push_back(named(outcome.zoneDistance, kZoneDistanceField, "distance"));
  // A run again keeps its results' ids (case.h), so the views keep the one they show; new ones
  // get theirs from the case editor.
  for (ScalarField& f : fields)
    for (const ScalarField& old : twin.fields)
      if (f.id.empty() && old.name == f.name) f.id = old.id;
  for (const ScalarField& f : twin.fields)
    if (f.name != kTemperatureField && f.name != kDamageField && f.name != kZoneDistanceField)
      fields.push_back(f);

  std::vector<Plan> plans;
  Plan plan{"ablation", kPlanName, setup.toJson()};
  plan.parameters["report"] = outcome.report;
  plan.parameters["simulated"] = setup.toJson();  // what the report describes
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
