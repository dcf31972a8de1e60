#include "twinplan/ui/shift_panel.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPushButton>
#include <QScrollArea>
#include <QSignalBlocker>
#include <QSlider>
#include <QStackedWidget>
#include <QTableWidget>
#include <QVBoxLayout>
#include <cmath>

#include "twinplan/tissue/brain_shift.h"

namespace twinplan::ui {

namespace {

using nlohmann::json;

// The scenarios in the order of the combo box.
constexpr const char* kScenarios[] = {"brain-shift", "liver-tool", "resection", "retractor"};
constexpr int kRetractor = 3;  // shares the brain page (0)

// The tool's direction into the tissue, in the patient's words (LPS unit vectors).
struct Direction {
  const char* text;
  std::array<double, 3> lps;
};
constexpr Direction kDirections[] = {
    {"Anterior to posterior", {0, 1, 0}}, {"Posterior to anterior", {0, -1, 0}},
    {"Right to left", {1, 0, 0}},         {"Left to right", {-1, 0, 0}},
    {"Superior to inferior", {0, 0, -1}}, {"Inferior to superior", {0, 0, 1}}};

QDoubleSpinBox* spin(double lo, double hi, double value, int decimals, const char* suffix,
                     const char* name) {
  auto* box = new QDoubleSpinBox;
  box->setRange(lo, hi);
  box->setDecimals(decimals);
  box->setValue(value);
  box->setSuffix(suffix);
  box->setObjectName(name);
  return box;
}

// DICOM Patient Position (0018,5100) defined terms for a patient lying on a table (PS3.3
// C.7.3.1.1.2): head or feet first; supine, prone, decubitus left or right.
constexpr const char* kPatientPositions[] = {"HFS", "HFP", "HFDL", "HFDR",
                                             "FFS", "FFP", "FFDL", "FFDR"};

// A direction in LPS in the patient's words: "posterior (LPS 0, 1, 0)".
QString patientDirection(const Vec3& d) {
  int axis = 0;
  for (int a = 1; a < 3; ++a)
    if (std::abs(d[a]) > std::abs(d[axis])) axis = a;
  static const char* kPositive[] = {"left", "posterior", "superior"};
  static const char* kNegative[] = {"right", "anterior", "inferior"};
  return QString("%1 (LPS %2, %3, %4)")
      .arg(d[axis] >= 0 ? kPositive[axis] : kNegative[axis])
      .arg(d.x(), 0, 'g', 3)
      .arg(d.y(), 0, 'g', 3)
      .arg(d.z(), 0, 'g', 3);
}

QString mm(double v, int decimals = 1) { return QString::number(v, 'f', decimals) + " mm"; }

}  // namespace

ShiftPanel::ShiftPanel(QWidget* parent) : QWidget(parent) {
  // The panel scrolls: in a dock shorter than the panel (1200 x 900 window) the report's last
  // lines are scrolled to instead of being squeezed and cut off.
  auto* content = new QWidget;
  auto* layout = new QVBoxLayout(content);
  auto* top = new QFormLayout;
  scenario_ = new QComboBox;
  scenario_->setObjectName("shiftScenario");
  scenario_->addItems({tr("Brain shift after craniotomy"), tr("Liver under a tool"),
                       tr("Resection cavity"), tr("Retractor blade on the brain")});
  top->addRow(tr("Scenario"), scenario_);
  patientPosition_ = new QComboBox;
  patientPosition_->setObjectName("shiftPatientPosition");
  patientPosition_->addItem(tr("As in the images"));
  for (const char* position : kPatientPositions) patientPosition_->addItem(position);
  patientPosition_->setToolTip(
      tr("Patient Position (0018,5100) on the table during surgery: sets gravity's direction"));
  top->addRow(tr("Patient position"), patientPosition_);
  gravity_ = new QLabel;
  gravity_->setObjectName("shiftGravity");
  gravity_->setWordWrap(true);  // "HFDL: towards the patient's left (LPS …)" outgrows the dock
  top->addRow(tr("Gravity"), gravity_);
  layout->addLayout(top);

  pages_ = new QStackedWidget;
  auto* brain = new QWidget;
  auto* brainForm = brainForm_ = new QFormLayout(brain);
  brainForm->setContentsMargins(0, 0, 0, 0);
  openingRadius_ = spin(5, 100, 25, 0, " mm", "shiftOpeningRadius");
  openingRadius_->setToolTip(tr("Craniotomy radius, centred over the first tumour"));
  brainForm->addRow(tr("Opening radius"), openingRadius_);
  csfLoss_ = spin(0, 500, 0, 0, " ml", "shiftCsfLoss");
  csfLoss_->setSpecialValueText(tr("all drained"));
  brainForm->addRow(tr("CSF lost"), csfLoss_);
  // tissue/brain_shift.h: the brain outside the opening slides on the skull instead of being
  // held; the ventricles drain with the subarachnoid CSF; the material law.
  skullContact_ = new QCheckBox(tr("Brain slides on the skull (contact)"));
  skullContact_->setObjectName("shiftSkullContact");
  brainForm->addRow(skullContact_);
  drainVentricles_ = new QCheckBox(tr("Ventricles drain too"));
  drainVentricles_->setObjectName("shiftDrainVentricles");
  brainForm->addRow(drainVentricles_);
  brainMaterial_ = new QComboBox;
  brainMaterial_->setObjectName("shiftBrainMaterial");
  brainMaterial_->addItems(
      {tr("Neo-Hookean (large deformation)"), tr("Linear elastic (small strain)")});
  brainForm->addRow(tr("Material"), brainMaterial_);
  // engine/tissue_shift.h RetractorSettings: the blade at the opening centre.
  bladeWidth_ = spin(2, 100, 20, 0, " mm", "shiftBladeWidth");
  bladeWidth_->setToolTip(tr("Blade width on the brain surface"));
  brainForm->addRow(tr("Blade width"), bladeWidth_);
  bladeDepth_ = spin(2, 100, 20, 0, " mm", "shiftBladeDepth");
  bladeDepth_->setToolTip(tr("Blade depth on the brain surface"));
  brainForm->addRow(tr("Blade depth"), bladeDepth_);
  bladePush_ = spin(0.5, 30, 5, 1, " mm", "shiftBladePush");
  bladePush_->setToolTip(tr("How far the blade pushes the brain in"));
  brainForm->addRow(tr("Retraction"), bladePush_);
  pages_->addWidget(brain);

  auto* liver = new QWidget;
  auto* liverForm = new QFormLayout(liver);
  liverForm->setContentsMargins(0, 0, 0, 0);
  toolDirection_ = new QComboBox;
  toolDirection_->setObjectName("shiftToolDirection");
  for (const Direction& d : kDirections) toolDirection_->addItem(tr(d.text));
  liverForm->addRow(tr("Tool pushes"), toolDirection_);
  tipShape_ = new QComboBox;
  tipShape_->setObjectName("shiftTipShape");
  tipShape_->addItems({tr("Flat (blunt probe)"), tr("Ball")});
  liverForm->addRow(tr("Tip"), tipShape_);
  tipRadius_ = spin(1, 50, 5, 1, " mm", "shiftTipRadius");
  liverForm->addRow(tr("Tip radius"), tipRadius_);
  indentation_ = spin(0.5, 60, 10, 1, " mm", "shiftIndentation");
  liverForm->addRow(tr("Indentation"), indentation_);
  // The live tool: grab the organ where the tool first meets it and push it in with the slider
  // (tenths of a millimetre), watching the 3D model deform.
  grab_ = new QPushButton(tr("Grab the organ"));
  grab_->setObjectName("shiftGrab");
  grab_->setCheckable(true);
  grab_->setToolTip(tr("Live tool: holds the organ under the tip; move the slider to push it"));
  liverForm->addRow(tr("Live tool"), grab_);
  toolOffset_ = new QSlider(Qt::Horizontal);
  toolOffset_->setObjectName("shiftToolOffset");
  toolOffset_->setRange(-100, 300);  // -10 .. 30 mm: pull out a little, push in further
  toolOffset_->setEnabled(false);
  liverForm->addRow(tr("Push"), toolOffset_);
  live_ = new QLabel;
  live_->setObjectName("shiftLive");
  live_->setWordWrap(true);
  liverForm->addRow(live_);
  pages_->addWidget(liver);

  auto* resection = new QWidget;
  auto* resectionForm = new QFormLayout(resection);
  resectionForm->setContentsMargins(0, 0, 0, 0);
  resected_ = new QComboBox;
  resected_->setObjectName("shiftResectedSegment");
  resectionForm->addRow(tr("Resect"), resected_);
  // Or a sphere: a cavity where no segment is drawn (its centre picked in a 2D view).
  resectSphere_ = new QCheckBox(tr("A sphere instead"));
  resectSphere_->setObjectName("shiftResectSphere");
  resectionForm->addRow(resectSphere_);
  const char* axes[] = {"L", "P", "S"};
  for (int a = 0; a < 3; ++a) {
    sphereCentre_[a] = spin(-2000, 2000, 0, 1, " mm", "");
    sphereCentre_[a]->setObjectName(QString("shiftSphereCentre%1").arg(axes[a]));
    resectionForm->addRow(tr("Centre %1").arg(axes[a]), sphereCentre_[a]);
  }
  sphereRadius_ = spin(1, 100, 15, 1, " mm", "shiftSphereRadius");
  resectionForm->addRow(tr("Radius"), sphereRadius_);
  pickCentre_ = new QPushButton(tr("Pick the centre in a 2D view"));
  pickCentre_->setObjectName("shiftPickCentre");
  pickCentre_->setCheckable(true);
  resectionForm->addRow(pickCentre_);
  pages_->addWidget(resection);
  layout->addWidget(pages_);

  auto* meshForm = new QFormLayout;
  // engine/tissue_shift.h elementOrder: linear tetrahedra lock at the cited nu 0.49 of brain and
  // liver, so they run at 0.45; quadratic ones carry 0.49 and take tens of times longer. The
  // live tool (Grab) always meshes linear ones: it must answer in milliseconds.
  elements_ = new QComboBox;
  elements_->setObjectName("shiftElements");
  elements_->addItems({tr("Linear (\u03bd 0.45)"), tr("Quadratic (\u03bd 0.49)")});
  elements_->setToolTip(
      tr("Linear tetrahedra (fast) run at Poisson's ratio 0.45; quadratic ones (C3D10, tens of "
         "times slower) keep the brain's nearly incompressible 0.49 without locking"));
  meshForm->addRow(tr("Elements"), elements_);
  resolution_ = spin(2, 40, 6, 1, " mm", "shiftResolution");
  resolution_->setToolTip(tr("Edge of the tetrahedral mesh's lattice: finer is slower"));
  meshForm->addRow(tr("Mesh size"), resolution_);
  layout->addLayout(meshForm);
  // The common rows' fields start where the scenario's do (another form, shorter labels).
  const int labelWidth = top->labelForField(patientPosition_)->sizeHint().width();
  for (QWidget* field : std::initializer_list<QWidget*>{elements_, resolution_})
    meshForm->labelForField(field)->setMinimumWidth(labelWidth);

  simulate_ = new QPushButton(tr("Simulate"));
  simulate_->setObjectName("shiftSimulate");
  layout->addWidget(simulate_);
  wash_ = new QCheckBox(tr("Show shift magnitude in 2D"));
  wash_->setObjectName("shiftWash");
  wash_->setChecked(true);
  layout->addWidget(wash_);
  arrows_ = new QCheckBox(tr("Show displacement arrows in 2D"));
  arrows_->setObjectName("shiftArrows");
  layout->addWidget(arrows_);
  contours_ = new QCheckBox(tr("Show original and deformed contours in 2D"));
  contours_->setObjectName("shiftContours");
  contours_->setChecked(true);
  layout->addWidget(contours_);

  targets_ = new QTableWidget(0, 2);
  targets_->setObjectName("shiftTargets");
  targets_->setHorizontalHeaderLabels({tr("Target"), tr("Shift")});
  targets_->horizontalHeader()->setSectionResizeMode(0, QHeaderView::Stretch);
  targets_->horizontalHeader()->setSectionResizeMode(1, QHeaderView::ResizeToContents);
  targets_->verticalHeader()->hide();
  targets_->setEditTriggers(QAbstractItemView::NoEditTriggers);
  targets_->setSelectionMode(QAbstractItemView::NoSelection);
  targets_->setMaximumHeight(140);
  layout->addWidget(targets_);
  report_ = new QLabel;
  report_->setObjectName("shiftReport");
  report_->setWordWrap(true);
  report_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  layout->addWidget(report_);
  layout->addStretch(1);
  // Long choices are shown cut (their full text in the open list), not widening the panel.
  for (QComboBox* combo : content->findChildren<QComboBox*>()) {
    combo->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    combo->setMinimumContentsLength(12);
  }
  auto* scroll = new QScrollArea(this);
  scroll->setFrameShape(QFrame::NoFrame);
  scroll->setWidgetResizable(true);
  scroll->setWidget(content);
  auto* outer = new QVBoxLayout(this);
  outer->setContentsMargins(0, 0, 0, 0);
  outer->addWidget(scroll);

  fitPagesToShownOne();
  connect(scenario_, &QComboBox::currentIndexChanged, this, [this](int index) {
    pages_->setCurrentIndex(index == kRetractor ? 0 : index);
    fitPagesToShownOne();
    showRetractorRows(index == kRetractor);
    // The job's default: the retracted brain presses on the skull around the opening.
    if (index == kRetractor) skullContact_->setChecked(true);
    resolution_->setValue(index == 1 ? 8.0 : 6.0);  // the job's defaults
    emit resectionSphereChanged();
  });
  // The sphere is drawn in the 2D views as soon as it is placed and follows every change.
  for (auto* box : sphereCentre_)
    connect(box, &QDoubleSpinBox::valueChanged, this, &ShiftPanel::resectionSphereChanged);
  connect(sphereRadius_, &QDoubleSpinBox::valueChanged, this, &ShiftPanel::resectionSphereChanged);
  connect(simulate_, &QPushButton::clicked, this, &ShiftPanel::simulateRequested);
  connect(wash_, &QCheckBox::toggled, this, &ShiftPanel::displayChanged);
  connect(arrows_, &QCheckBox::toggled, this, &ShiftPanel::displayChanged);
  connect(contours_, &QCheckBox::toggled, this, &ShiftPanel::displayChanged);
  connect(patientPosition_, &QComboBox::currentIndexChanged, this, [this] { showGravity(); });
  connect(pickCentre_, &QPushButton::toggled, this, &ShiftPanel::pickCentreToggled);
  connect(resectSphere_, &QCheckBox::toggled, this, [this](bool on) {
    resected_->setEnabled(!on);
    for (auto* box : sphereCentre_) box->setEnabled(on);
    sphereRadius_->setEnabled(on);
    pickCentre_->setEnabled(on);
    emit resectionSphereChanged();
  });
  for (auto* box : sphereCentre_) box->setEnabled(false);
  sphereRadius_->setEnabled(false);
  pickCentre_->setEnabled(false);
  showGravity();
  showRetractorRows(false);
  connect(grab_, &QPushButton::toggled, this, [this](bool on) {
    toolOffset_->setEnabled(on);
    emit grabToggled(on);
  });
  connect(toolOffset_, &QSlider::valueChanged, this,
          [this](int) { emit toolOffsetChanged(toolOffset_mm()); });
}

void ShiftPanel::showCase(const Case& twin) {
  const QString current = resected_->currentText();
  resected_->clear();
  for (const LabelMap& labels : twin.labelMaps)
    for (const Segment& s : labels.segments())
      if (resected_->findText(QString::fromStdString(s.name)) < 0)
        resected_->addItem(QString::fromStdString(s.name));
  int index = resected_->findText(current);
  if (index < 0) {  // a tumour first: the usual resection
    for (const LabelMap& labels : twin.labelMaps)
      for (const Segment& s : labels.segments())
        if (index < 0 && s.tissueType == "tumour")
          index = resected_->findText(QString::fromStdString(s.name));
  }
  if (index >= 0) resected_->setCurrentIndex(index);
  imagesPosition_ = "HFS";  // as the job assumes when the images do not say
  for (const ImageVolume& volume : twin.volumes)
    if (!volume.dicom.patientPosition.empty()) {
      imagesPosition_ = QString::fromStdString(volume.dicom.patientPosition);
      break;
    }
  patientPosition_->setItemText(0, tr("As in the images (%1)").arg(imagesPosition_));
  showGravity();
  json last;
  for (const Plan& plan : twin.plans)
    if (plan.kind == "tissue-shift" && plan.parameters.contains("result"))
      last = plan.parameters["result"];
  showResult(last.is_object() ? last : json::object());
}

engine::TissueShiftParameters ShiftPanel::parameters() const {
  engine::TissueShiftParameters p;
  p.scenario = kScenarios[std::max(0, scenario_->currentIndex())];
  p.resolution_mm = resolution_->value();
  p.brain.openingRadius_mm = openingRadius_->value();
  if (csfLoss_->value() > 0) p.brain.csfLoss_ml = csfLoss_->value();
  p.brain.skullContact = skullContact_->isChecked();
  p.brain.drainVentricles = drainVentricles_->isChecked();
  p.brain.neoHookean = brainMaterial_->currentIndex() == 0;
  p.elementOrder = elements_->currentIndex() == 1 ? "quadratic" : "linear";
  p.retractor.width_mm = bladeWidth_->value();
  p.retractor.depth_mm = bladeDepth_->value();
  p.retractor.push_mm = bladePush_->value();
  p.liverTool.direction = kDirections[std::max(0, toolDirection_->currentIndex())].lps;
  p.liverTool.ballTip = tipShape_->currentIndex() == 1;
  p.liverTool.tipRadius_mm = tipRadius_->value();
  p.liverTool.indentation_mm = indentation_->value();
  if (patientPosition_->currentIndex() > 0)
    p.patientPosition = kPatientPositions[patientPosition_->currentIndex() - 1];
  if (resectSphere_->isChecked()) {
    p.resection.sphere = std::array<double, 4>{sphereCentre_[0]->value(), sphereCentre_[1]->value(),
                                               sphereCentre_[2]->value(), sphereRadius_->value()};
  } else {
    p.resection.segment = resected_->currentText().toStdString();
  }
  return p;
}

void ShiftPanel::setParameters(const engine::TissueShiftParameters& p) {
  for (int i = 0; i < int(std::size(kScenarios)); ++i)
    if (p.scenario == kScenarios[i]) scenario_->setCurrentIndex(i);
  bladeWidth_->setValue(p.retractor.width_mm);
  bladeDepth_->setValue(p.retractor.depth_mm);
  bladePush_->setValue(p.retractor.push_mm);
  resolution_->setValue(p.meshResolution_mm());
  openingRadius_->setValue(p.brain.openingRadius_mm);
  csfLoss_->setValue(p.brain.csfLoss_ml.value_or(0));
  skullContact_->setChecked(p.brain.skullContact);
  drainVentricles_->setChecked(p.brain.drainVentricles);
  brainMaterial_->setCurrentIndex(p.brain.neoHookean ? 0 : 1);
  elements_->setCurrentIndex(p.elementOrder == "quadratic" ? 1 : 0);
  for (int i = 0; i < int(std::size(kDirections)); ++i)
    if (kDirections[i].lps == p.liverTool.direction) toolDirection_->setCurrentIndex(i);
  tipShape_->setCurrentIndex(p.liverTool.ballTip ? 1 : 0);
  tipRadius_->setValue(p.liverTool.tipRadius_mm);
  if (p.liverTool.indentation_mm) indentation_->setValue(*p.liverTool.indentation_mm);
  const int segment = resected_->findText(QString::fromStdString(p.resection.segment));
  if (segment >= 0) resected_->setCurrentIndex(segment);
  patientPosition_->setCurrentIndex(0);
  for (int i = 0; i < int(std::size(kPatientPositions)); ++i)
    if (p.patientPosition == kPatientPositions[i]) patientPosition_->setCurrentIndex(i + 1);
  resectSphere_->setChecked(p.resection.sphere.has_value());
  if (p.resection.sphere) {
    for (int a = 0; a < 3; ++a) sphereCentre_[a]->setValue((*p.resection.sphere)[a]);
    sphereRadius_->setValue((*p.resection.sphere)[3]);
  }
}

// A stacked widget is as tall as its tallest page: the brain's five rows sat above the liver
// page's empty height, a gap before "Mesh size". Hidden pages are ignored in the layout.
void ShiftPanel::fitPagesToShownOne() {
  for (int i = 0; i < pages_->count(); ++i) {
    const auto vertical = i == pages_->currentIndex() ? QSizePolicy::Preferred : QSizePolicy::Ignored;
    pages_->widget(i)->setSizePolicy(QSizePolicy::Preferred, vertical);
  }
  pages_->adjustSize();
}

void ShiftPanel::showRetractorRows(bool retractor) {
  // The retraction alone: no CSF drained (tissue/brain_shift.h RetractorBlade).
  brainForm_->setRowVisible(csfLoss_, !retractor);
  brainForm_->setRowVisible(drainVentricles_, !retractor);
  for (QDoubleSpinBox* box : {bladeWidth_, bladeDepth_, bladePush_})
    brainForm_->setRowVisible(box, retractor);
}

void ShiftPanel::showGravity() {
  const QString position =
      patientPosition_->currentIndex() > 0 ? patientPosition_->currentText() : imagesPosition_;
  try {
    gravity_->setText(
        tr("%1: towards the patient's %2")
            .arg(position)
            .arg(patientDirection(tissue::gravityDirection(position.toStdString(), 0))));
  } catch (const std::exception& e) {
    gravity_->setText(QString::fromUtf8(e.what()));
  }
}

QString ShiftPanel::gravityText() const { return gravity_->text(); }

bool ShiftPanel::pickingCentre() const { return pickCentre_->isChecked(); }

void ShiftPanel::setPickingCentre(bool on) {
  const QSignalBlocker quiet(pickCentre_);
  pickCentre_->setChecked(on);
}

void ShiftPanel::setResectionCentre(const Vec3& centre_lps) {
  resectSphere_->setChecked(true);
  for (int a = 0; a < 3; ++a) sphereCentre_[a]->setValue(centre_lps[a]);
  setPickingCentre(false);
}

void ShiftPanel::showTargets(const json& targets) {
  targets_->setRowCount(0);
  for (const json& t : targets) {
    const int row = targets_->rowCount();
    targets_->insertRow(row);
    const json& d = t["displacement_mm"];
    auto* name = new QTableWidgetItem(QString::fromStdString(t["name"].get<std::string>()));
    const bool inside = t.value("inside_model", true);
    auto* shift = new QTableWidgetItem(inside ? mm(t["magnitude_mm"].get<double>(), 2)
                                              : tr("not in the model"));
    shift->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
    const QString vector = tr("L %1, P %2, S %3 mm")
                               .arg(d[0].get<double>(), 0, 'f', 2)
                               .arg(d[1].get<double>(), 0, 'f', 2)
                               .arg(d[2].get<double>(), 0, 'f', 2);
    name->setToolTip(vector);
    shift->setToolTip(vector);
    targets_->setItem(row, 0, name);
    targets_->setItem(row, 1, shift);
  }
}

void ShiftPanel::showLiveTargets(const std::vector<std::pair<std::string, Vec3>>& shifts_mm) {
  json targets = json::array();
  for (const auto& [name, d] : shifts_mm)
    targets.push_back(
        {{"name", name}, {"displacement_mm", {d.x(), d.y(), d.z()}}, {"magnitude_mm", d.norm()}});
  showTargets(targets);
}

void ShiftPanel::showResult(const json& r) {
  targets_->setRowCount(0);
  if (!r.is_object() || !r.contains("max_displacement_mm")) {
    report_->clear();
    return;
  }
  showTargets(r.value("targets", json::array()));
  QStringList lines;
  const bool quadratic = r.value("element_order", "") == "quadratic";
  lines << tr("Largest displacement %1 over %2 %3tetrahedra (solved in %4 s).")
               .arg(mm(r["max_displacement_mm"].get<double>()))
               .arg(r.value("tet_count", 0))
               .arg(quadratic ? tr("quadratic ") : QString())
               .arg(r.value("solve_time_s", 0.0), 0, 'f', 1);
  if (r.contains("tool_force_N"))
    lines << tr("Tool %1 deep, force %2 N.")
                 .arg(mm(r["indentation_mm"].get<double>()))
                 .arg(r["tool_force_N"].get<double>(), 0, 'f', 3);
  if (r.contains("cavity_volume_before_ml"))
    lines << tr("Cavity %1 ml -> %2 ml (%3 %).")
                 .arg(r["cavity_volume_before_ml"].get<double>(), 0, 'f', 2)
                 .arg(r["cavity_volume_after_ml"].get<double>(), 0, 'f', 2)
                 .arg(r["cavity_volume_change_percent"].get<double>(), 0, 'f', 1);
  if (r.contains("retractor_force_N"))
    lines << tr("Retractor %1 x %2 pushed %3 in, force %4 N.")
                 .arg(mm(r["retractor_width_mm"].get<double>(), 0))
                 .arg(mm(r["retractor_depth_mm"].get<double>(), 0))
                 .arg(mm(r["retractor_push_mm"].get<double>()))
                 .arg(r["retractor_force_N"].get<double>(), 0, 'f', 3);
  if (r.contains("retractor_force_N"))
    lines << tr("Craniotomy radius %1.").arg(mm(r["opening_radius_mm"].get<double>(), 0));
  else if (r.contains("opening_radius_mm"))
    lines << tr("Craniotomy radius %1, CSF level %2 above the lowest point.")
                 .arg(mm(r["opening_radius_mm"].get<double>(), 0))
                 .arg(mm(r.value("fluid_level_mm", 0.0)));
  report_->setText(lines.join("\n"));
}

void ShiftPanel::showFailure(const QString& text) {
  targets_->setRowCount(0);
  report_->setText(text);
}

bool ShiftPanel::grabbing() const { return grab_->isChecked(); }

void ShiftPanel::setGrabbing(bool on) {
  const QSignalBlocker quiet(grab_);
  grab_->setChecked(on);
  toolOffset_->setEnabled(on);
  if (!on) {
    const QSignalBlocker still(toolOffset_);
    toolOffset_->setValue(0);
  }
}

double ShiftPanel::toolOffset_mm() const { return 0.1 * toolOffset_->value(); }

void ShiftPanel::setToolOffset_mm(double offset_mm) {
  toolOffset_->setValue(int(std::lround(10 * offset_mm)));
}

void ShiftPanel::showToolOffset_mm(double offset_mm) {
  const QSignalBlocker quiet(toolOffset_);
  toolOffset_->setValue(int(std::lround(10 * offset_mm)));
}

void ShiftPanel::showLive(const QString& text) { live_->setText(text); }

QString ShiftPanel::liveText() const { return live_->text(); }

QString ShiftPanel::liveToolText(const Vec3& offset_mm, const Vec3& direction, double organMoved_mm,
                                 double updateSeconds) {
  // The depth is the part along the tool; a drag in a 2D view adds a sideways part, which the
  // depth alone would hide (the offset's length would read as depth).
  const double depth_mm = offset_mm.dot(direction);
  const double sideways_mm = (offset_mm - depth_mm * direction).norm();
  QString tool = depth_mm >= 0 ? tr("Tool %1 mm in").arg(depth_mm, 0, 'f', 1)
                               : tr("Tool %1 mm out").arg(-depth_mm, 0, 'f', 1);
  if (sideways_mm > 0.05)
    tool += tr(", moved %1 mm (%2 mm sideways)")
                .arg(offset_mm.norm(), 0, 'f', 1)
                .arg(sideways_mm, 0, 'f', 1);
  return tr("%1: organ moved up to %2 mm (%3 ms an update)")
      .arg(tool)
      .arg(organMoved_mm, 0, 'f', 1)
      .arg(1000 * updateSeconds, 0, 'f', 0);
}

bool ShiftPanel::washShown() const { return wash_->isChecked(); }
bool ShiftPanel::arrowsShown() const { return arrows_->isChecked(); }
bool ShiftPanel::contoursShown() const { return contours_->isChecked(); }
void ShiftPanel::setArrowsShown(bool on) { arrows_->setChecked(on); }
void ShiftPanel::setContoursShown(bool on) { contours_->setChecked(on); }

std::optional<std::array<double, 4>> ShiftPanel::resectionSphere() const {
  if (scenario_->currentIndex() != 2 || !resectSphere_->isChecked()) return std::nullopt;
  return std::array<double, 4>{sphereCentre_[0]->value(), sphereCentre_[1]->value(),
                               sphereCentre_[2]->value(), sphereRadius_->value()};
}

QString ShiftPanel::reportText() const { return report_->text(); }

std::vector<std::pair<std::string, double>> ShiftPanel::shownTargets() const {
  std::vector<std::pair<std::string, double>> out;
  for (int row = 0; row < targets_->rowCount(); ++row) {
    const QString shift = targets_->item(row, 1)->text();
    out.emplace_back(targets_->item(row, 0)->text().toStdString(),
                     shift.endsWith(" mm") ? shift.chopped(3).toDouble() : std::nan(""));
  }
  return out;
}

}  // namespace twinplan::ui
