#include "twinplan/ui/shift_panel.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPushButton>
#include <QSignalBlocker>
#include <QSlider>
#include <QStackedWidget>
#include <QTableWidget>
#include <QVBoxLayout>
#include <cmath>

namespace twinplan::ui {

namespace {

using nlohmann::json;

// The scenarios in the order of the combo box.
constexpr const char* kScenarios[] = {"brain-shift", "liver-tool", "resection"};

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

QString mm(double v, int decimals = 1) { return QString::number(v, 'f', decimals) + " mm"; }

}  // namespace

ShiftPanel::ShiftPanel(QWidget* parent) : QWidget(parent) {
  auto* layout = new QVBoxLayout(this);
  auto* top = new QFormLayout;
  scenario_ = new QComboBox;
  scenario_->setObjectName("shiftScenario");
  scenario_->addItems(
      {tr("Brain shift after craniotomy"), tr("Liver under a tool"), tr("Resection cavity")});
  top->addRow(tr("Scenario"), scenario_);
  layout->addLayout(top);

  pages_ = new QStackedWidget;
  auto* brain = new QWidget;
  auto* brainForm = new QFormLayout(brain);
  brainForm->setContentsMargins(0, 0, 0, 0);
  openingRadius_ = spin(5, 100, 25, 0, " mm", "shiftOpeningRadius");
  openingRadius_->setToolTip(tr("Craniotomy radius, centred over the first tumour"));
  brainForm->addRow(tr("Opening radius"), openingRadius_);
  csfLoss_ = spin(0, 500, 0, 0, " ml", "shiftCsfLoss");
  csfLoss_->setSpecialValueText(tr("all drained"));
  brainForm->addRow(tr("CSF lost"), csfLoss_);
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
  pages_->addWidget(resection);
  layout->addWidget(pages_);

  auto* meshForm = new QFormLayout;
  resolution_ = spin(2, 40, 6, 1, " mm", "shiftResolution");
  resolution_->setToolTip(tr("Edge of the tetrahedral mesh's lattice: finer is slower"));
  meshForm->addRow(tr("Mesh size"), resolution_);
  layout->addLayout(meshForm);

  simulate_ = new QPushButton(tr("Simulate"));
  simulate_->setObjectName("shiftSimulate");
  layout->addWidget(simulate_);
  wash_ = new QCheckBox(tr("Show shift magnitude in 2D"));
  wash_->setObjectName("shiftWash");
  wash_->setChecked(true);
  layout->addWidget(wash_);

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

  connect(scenario_, &QComboBox::currentIndexChanged, this, [this](int index) {
    pages_->setCurrentIndex(index);
    resolution_->setValue(index == 1 ? 8.0 : 6.0);  // the job's defaults
  });
  connect(simulate_, &QPushButton::clicked, this, &ShiftPanel::simulateRequested);
  connect(wash_, &QCheckBox::toggled, this, &ShiftPanel::displayChanged);
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
  p.liverTool.direction = kDirections[std::max(0, toolDirection_->currentIndex())].lps;
  p.liverTool.ballTip = tipShape_->currentIndex() == 1;
  p.liverTool.tipRadius_mm = tipRadius_->value();
  p.liverTool.indentation_mm = indentation_->value();
  p.resection.segment = resected_->currentText().toStdString();
  return p;
}

void ShiftPanel::setParameters(const engine::TissueShiftParameters& p) {
  for (int i = 0; i < 3; ++i)
    if (p.scenario == kScenarios[i]) scenario_->setCurrentIndex(i);
  resolution_->setValue(p.meshResolution_mm());
  openingRadius_->setValue(p.brain.openingRadius_mm);
  csfLoss_->setValue(p.brain.csfLoss_ml.value_or(0));
  for (int i = 0; i < int(std::size(kDirections)); ++i)
    if (kDirections[i].lps == p.liverTool.direction) toolDirection_->setCurrentIndex(i);
  tipShape_->setCurrentIndex(p.liverTool.ballTip ? 1 : 0);
  tipRadius_->setValue(p.liverTool.tipRadius_mm);
  if (p.liverTool.indentation_mm) indentation_->setValue(*p.liverTool.indentation_mm);
  const int segment = resected_->findText(QString::fromStdString(p.resection.segment));
  if (segment >= 0) resected_->setCurrentIndex(segment);
}

void ShiftPanel::showResult(const json& r) {
  targets_->setRowCount(0);
  if (!r.is_object() || !r.contains("max_displacement_mm")) {
    report_->clear();
    return;
  }
  for (const json& t : r.value("targets", json::array())) {
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
  QStringList lines;
  lines << tr("Largest displacement %1 over %2 tetrahedra (solved in %3 s).")
               .arg(mm(r["max_displacement_mm"].get<double>()))
               .arg(r.value("tet_count", 0))
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
  if (r.contains("opening_radius_mm"))
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

void ShiftPanel::showLive(const QString& text) { live_->setText(text); }

QString ShiftPanel::liveText() const { return live_->text(); }

bool ShiftPanel::washShown() const { return wash_->isChecked(); }

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
