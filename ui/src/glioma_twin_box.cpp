// The glioma twin in the RT panel (glioma_twin_box.h).
#include "twinplan/ui/glioma_twin_box.h"

#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSignalBlocker>
#include <QSpinBox>
#include <QTableWidget>
#include <QVBoxLayout>
#include <type_traits>

namespace twinplan::ui {

namespace {

// Calm, distinct line colours (Tableau 10's first five), one per regimen in the table's order.
constexpr Rgb kRegimenColours[] = {
    {31, 119, 180}, {255, 127, 14}, {44, 160, 44}, {148, 103, 189}, {140, 86, 75}};

Rgb regimenColour(std::size_t n) { return kRegimenColours[n % std::size(kRegimenColours)]; }

std::vector<double> numbers(const nlohmann::json& j) {
  return j.is_array() ? j.get<std::vector<double>>() : std::vector<double>{};
}

QString days(const nlohmann::json& value, const QString& whenNone) {
  return value.is_number() ? QString::number(value.get<double>(), 'f', 0) : whenNone;
}

// "D grey 0.102 mm²/day (90 %: 0.084–0.124)" for one calibrated parameter.
QString parameterText(const nlohmann::json& parameters, const char* name, const QString& label,
                      const QString& unit) {
  if (!parameters.contains(name)) return {};
  const nlohmann::json& p = parameters[name];
  return QObject::tr("%1 %2 %3 (90 %: %4–%5)")
      .arg(label)
      .arg(p.at("mode").get<double>(), 0, 'g', 3)
      .arg(unit)
      .arg(p.at("p05").get<double>(), 0, 'g', 3)
      .arg(p.at("p95").get<double>(), 0, 'g', 3);
}

// A widget of the box with its object name (tests find it by that) and tooltip.
template <class Widget, class... Text>
Widget* named(QWidget* parent, const char* name, const QString& tip, const Text&... text) {
  auto* widget = new Widget(text..., parent);
  widget->setObjectName(name);
  widget->setToolTip(tip);
  return widget;
}

// A QSpinBox or QDoubleSpinBox (one decimal) with its range and unit.
template <class Spin>
Spin* spinBox(QWidget* parent, const char* name, double low, double high, const QString& unit,
              const QString& tip) {
  auto* spin = named<Spin>(parent, name, tip);
  if constexpr (std::is_same_v<Spin, QDoubleSpinBox>) spin->setDecimals(1);
  spin->setRange(low, high);
  spin->setSuffix(unit);
  return spin;
}

}  // namespace

GliomaTwinBox::GliomaTwinBox(QWidget* parent)
    : QGroupBox(tr("Glioma twin: growth and regimen prediction"), parent) {
  setObjectName("gliomaTwin");
  auto* layout = new QVBoxLayout(this);
  status_ = new QLabel(this);
  status_->setObjectName("gliomaStatus");
  status_->setWordWrap(true);
  layout->addWidget(status_);

  auto* form = new QFormLayout;
  segment_ = named<QComboBox>(
      this, "gliomaSegment", tr("The enhancing tumour (T1-Gd), segmented at every follow-up scan"));
  oedema_ = named<QComboBox>(
      this, "gliomaOedema",
      tr("The T2/FLAIR abnormality at every scan: with it the twin tells diffusion from "
         "proliferation; without, only their product"));
  // A long segment name is shown cut, not widening the box past its dock.
  for (QComboBox* combo : {segment_, oedema_}) {
    combo->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    combo->setMinimumContentsLength(12);
  }
  form->addRow(tr("Enhancing tumour"), segment_);
  form->addRow(tr("T2/FLAIR"), oedema_);
  // One setting a row: the three side by side made the box wider than the RT dock (a
  // horizontal scrollbar, the status line's end out of view at 1200 x 900).
  spacing_ = spinBox<QDoubleSpinBox>(this, "gliomaSpacing", 1.0, 8.0, " mm",
                                     tr("Model grid (3 mm: about 1-2 minutes on a clinic PC)"));
  step_ = spinBox<QDoubleSpinBox>(this, "gliomaStep", 0.5, 10.0, tr(" days"), tr("Time step"));
  samples_ = spinBox<QSpinBox>(this, "gliomaSamples", 1, 200, tr(" samples"),
                               tr("Posterior samples: the bands are their 5th-95th percentiles"));
  form->addRow(tr("Model grid"), spacing_);
  form->addRow(tr("Time step"), step_);
  form->addRow(tr("Samples"), samples_);
  calibrate_ = named<QPushButton>(
      this, "gliomaCalibrate",
      tr("Fit diffusivity and proliferation (and radiosensitivity when radiotherapy lies "
         "between the scans) to the segmented scans, with their uncertainty"),
      tr("Calibrate from follow-up scans"));
  form->addRow(calibrate_);
  regimens_ = named<QLineEdit>(this, "gliomaRegimens",
                               tr("Total dose / fractions, comma separated; Monday to Friday"));
  horizon_ = spinBox<QSpinBox>(this, "gliomaHorizon", 30, 3650, tr(" days"),
                               tr("Followed from the first fraction"));
  horizon_->setSingleStep(30);
  form->addRow(tr("Regimens"), regimens_);
  form->addRow(tr("Follow for"), horizon_);
  predict_ = named<QPushButton>(this, "gliomaPredict",
                                tr("Grow every posterior sample under each regimen"),
                                tr("Predict regimens"));
  form->addRow(predict_);
  layout->addLayout(form);

  chart_ = new TumourBurdenChart(this);
  chart_->setMinimumHeight(240);
  layout->addWidget(chart_);
  table_ = new QTableWidget(0, 7, this);
  table_->setObjectName("gliomaRegimenTable");
  table_->setHorizontalHeaderLabels({tr("Regimen"), tr("Dose"), tr("BED Gy"), tr("EQD2 Gy"),
                                     tr("Progression day"), tr("90 % band"), tr("Progressed")});
  table_->verticalHeader()->hide();
  table_->setEditTriggers(QAbstractItemView::NoEditTriggers);
  table_->setSelectionMode(QAbstractItemView::NoSelection);
  table_->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
  table_->horizontalHeader()->setStretchLastSection(true);
  table_->setMinimumHeight(140);
  layout->addWidget(table_);
  caveat_ = new QLabel(
      tr("Proliferation-invasion model (Swanson 2000) with LQ cell kill, α/β 10 Gy, dose uniform "
         "to the T2/FLAIR abnormality + 2 cm. Progression: the enhancing volume back at its "
         "pre-treatment size. A model's prediction for comparing regimens, not an outcome "
         "validated in patients."),
      this);
  caveat_->setObjectName("gliomaCaveat");
  caveat_->setWordWrap(true);
  caveat_->setStyleSheet("color: palette(mid);");
  layout->addWidget(caveat_);

  setOptions({});
  connect(calibrate_, &QPushButton::clicked, this, &GliomaTwinBox::calibrateRequested);
  connect(predict_, &QPushButton::clicked, this, &GliomaTwinBox::predictRequested);
  connect(segment_, &QComboBox::currentTextChanged, this, &GliomaTwinBox::segmentChosen);
  showTwin(nullptr);
}

void GliomaTwinBox::setSegments(const QStringList& names) {
  const QString tumour = segment_->currentText(), oedema = oedema_->currentData().toString();
  const QSignalBlocker quietTumour(segment_), quietOedema(oedema_);
  segment_->clear();
  segment_->addItems(names);
  oedema_->clear();
  oedema_->addItem(tr("(none)"), QString());
  for (const QString& name : names) oedema_->addItem(name, name);
  if (names.contains(tumour)) segment_->setCurrentText(tumour);
  oedema_->setCurrentIndex(std::max(0, oedema_->findData(oedema)));
}

engine::GliomaTwinOptions GliomaTwinBox::options() const {
  engine::GliomaTwinOptions o = settings_;  // what the box has no widget for (box margin ...)
  o.segment = segment_->currentText().toStdString();
  o.oedema = oedema_->currentData().toString().toStdString();
  o.spacing_mm = spacing_->value();
  o.step_days = step_->value();
  o.samples = samples_->value();
  o.regimens.clear();
  for (const QString& text : regimens_->text().split(',', Qt::SkipEmptyParts))
    if (!text.trimmed().isEmpty()) o.regimens.push_back(text.trimmed().toStdString());
  o.horizon_days = horizon_->value();
  return o;
}

void GliomaTwinBox::setOptions(const engine::GliomaTwinOptions& o) {
  settings_ = o;
  if (!o.segment.empty() && segment_->findText(QString::fromStdString(o.segment)) >= 0)
    segment_->setCurrentText(QString::fromStdString(o.segment));
  oedema_->setCurrentIndex(std::max(0, oedema_->findData(QString::fromStdString(o.oedema))));
  spacing_->setValue(o.spacing_mm);
  step_->setValue(o.step_days);
  samples_->setValue(o.samples);
  QStringList regimens;
  for (const std::string& r : o.regimens) regimens << QString::fromStdString(r);
  // Empty: the cited table of resources/glioma/regimens.json.
  regimens_->setText(regimens.isEmpty() ? "60Gy/30, 40Gy/15, 34Gy/10, 25Gy/5"
                                        : regimens.join(", "));
  horizon_->setValue(static_cast<int>(o.horizon_days));
}

QString GliomaTwinBox::statusText() const { return status_->text(); }

void GliomaTwinBox::showTwin(const nlohmann::json* record) {
  predict_->setEnabled(record != nullptr);
  if (!record) {
    status_->setText(
        tr("Not calibrated. Segment the enhancing tumour (and the T2/FLAIR abnormality) on two "
           "or more dated MR studies of the patient, register them to the baseline, then "
           "calibrate."));
    chart_->setCurves({}, std::nullopt);
    table_->setRowCount(0);
    return;
  }
  const nlohmann::json& scans = record->at("scans");
  const nlohmann::json& parameters = record->at("posterior").at("parameters");
  QStringList scanDays;
  for (const nlohmann::json& s : scans) scanDays << days(s.at("day"), "?");
  QStringList fitted;
  for (const QString& p :
       {parameterText(parameters, "greyDiffusivity_mm2_per_day", tr("D grey"), tr("mm²/day")),
        parameterText(parameters, "proliferation_per_day", tr("ρ"), tr("/day")),
        parameterText(parameters, "alpha_perGy", tr("α"), tr("/Gy"))})
    if (!p.isEmpty()) fitted << p;
  status_->setText(tr("Calibrated on %1 scans (days %2): %3.")
                       .arg(scans.size())
                       .arg(scanDays.join(", "))
                       .arg(fitted.join("; ")));
  const nlohmann::json predictions = record->value("predictions", nlohmann::json::array());
  const double preTreatment_ml =
      predictions.empty() ? 0.0 : predictions[0].value("pre_treatment_enhancing_ml", 0.0);
  showPredictions(predictions, preTreatment_ml);
}

void GliomaTwinBox::showPredictions(const nlohmann::json& predictions, double preTreatment_ml) {
  std::vector<BurdenCurve> curves;
  table_->setRowCount(static_cast<int>(predictions.size()));
  const auto cell = [this](int row, int column, const QString& text) {
    table_->setItem(row, column, new QTableWidgetItem(text));
  };
  for (std::size_t n = 0; n < predictions.size(); ++n) {
    const nlohmann::json& p = predictions[n];
    const int row = static_cast<int>(n);
    const QString id = QString::fromStdString(p.at("id").get<std::string>());
    const nlohmann::json& curve = p.at("curve");
    const nlohmann::json& enhancing = curve.at("enhancing_ml");
    curves.push_back({id, regimenColour(n), numbers(curve.at("day")),
                      numbers(enhancing.at("median")), numbers(enhancing.at("p05")),
                      numbers(enhancing.at("p95"))});
    const double total = p.at("total_dose_gy").get<double>();
    const int fractions = p.at("fractions").get<int>();
    cell(row, 0, id);
    table_->item(row, 0)->setToolTip(
        QString::fromStdString(p.value("name", "") + " — " + p.value("source", "")));
    const Rgb c = regimenColour(n);
    table_->item(row, 0)->setForeground(QColor(c.r, c.g, c.b));
    cell(row, 1,
         tr("%1 Gy in %2 × %3 Gy")
             .arg(total, 0, 'g', 4)
             .arg(fractions)
             .arg(total / fractions, 0, 'f', 2));
    cell(row, 2, QString::number(p.at("bed_gy").get<double>(), 'f', 1));
    cell(row, 3, QString::number(p.value("eqd2_gy", 0.0), 'f', 1));
    const nlohmann::json& ttp = p.at("ttp_days");
    const QString beyond =
        tr("> %1").arg(curves.back().day.empty() ? 0.0 : curves.back().day.back());
    cell(row, 4, days(ttp.at("median"), beyond));
    cell(row, 5, tr("%1–%2").arg(days(ttp.at("p05"), "—"), days(ttp.at("p95"), beyond)));
    cell(row, 6,
         tr("%1 of %2").arg(p.at("progressed_samples").get<int>()).arg(p.at("samples").get<int>()));
  }
  chart_->setCurves(std::move(curves),
                    predictions.empty() ? std::nullopt : std::optional<double>(preTreatment_ml));
}

}  // namespace twinplan::ui
