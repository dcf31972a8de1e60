// The radiotherapy panel (rt_panel.h).
#include "twinplan/ui/rt_panel.h"

#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFont>
#include <QFormLayout>
#include <QGridLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPushButton>
#include <QRadioButton>
#include <QScrollArea>
#include <QSignalBlocker>
#include <QTableWidget>
#include <QVBoxLayout>

#include "twinplan/radiotherapy/outcome_models.h"

namespace twinplan::ui {

namespace {

QTableWidget* makeTable(QWidget* parent, const char* name, const QStringList& headers) {
  auto* table = new QTableWidget(0, static_cast<int>(headers.size()), parent);
  table->setObjectName(name);
  table->setHorizontalHeaderLabels(headers);
  table->verticalHeader()->hide();
  table->setEditTriggers(QAbstractItemView::NoEditTriggers);
  table->setSelectionBehavior(QAbstractItemView::SelectRows);
  table->setSelectionMode(QAbstractItemView::SingleSelection);
  table->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
  table->horizontalHeader()->setStretchLastSection(true);
  return table;
}

// A table as wide as its panel (no horizontal scrollbar at 1200 x 900): the `flexible`
// column takes the width the others leave and wraps (or elides) its text; the others fit theirs.
void fitToWidth(QTableWidget* table, int flexible) {
  QHeaderView* header = table->horizontalHeader();
  header->setStretchLastSection(false);
  header->setSectionResizeMode(QHeaderView::ResizeToContents);
  header->setSectionResizeMode(flexible, QHeaderView::Stretch);
  table->setWordWrap(true);
  table->setTextElideMode(Qt::ElideRight);
  // Rows as tall as their wrapped text, whatever width the dock gives.
  table->verticalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
}

void setCell(QTableWidget* table, int row, int column, const QString& text) {
  auto* item = new QTableWidgetItem(text);
  table->setItem(row, column, item);
}

// A probability in %: one decimal, or two significant digits below 0.1 % (an NTCP of 0.012 %
// is not 0.0 %).
QString probabilityText(double p) {
  const double percent = 100.0 * p;
  return (percent >= 0.1 || percent == 0.0 ? QString::number(percent, 'f', 1)
                                           : QString::number(percent, 'g', 2)) +
         " %";
}

QString number(const std::optional<double>& v, int decimals, const QString& unit = {}) {
  if (!v) return QStringLiteral("—");
  return QString::number(*v, 'f', decimals) + (unit.isEmpty() ? QString() : " " + unit);
}

}  // namespace

RtPanel::RtPanel(QWidget* parent) : QWidget(parent) {
  auto* content = new QWidget;
  auto* layout = new QVBoxLayout(content);

  auto* planBox = new QGroupBox(tr("Plans"), content);
  auto* planLayout = new QVBoxLayout(planBox);
  plans_ =
      makeTable(planBox, "rtPlans", {tr("Plan"), tr("Beams"), tr("Fractions"), tr("Prescription")});
  plans_->setMaximumHeight(110);
  auto* addPlan = new QPushButton(tr("Add RT plan…"), planBox);
  addPlan->setObjectName("rtAddPlan");
  addPlan->setToolTip(tr("Read an RT Plan (DICOM) of this patient's planning CT"));
  auto* planConformal = new QPushButton(tr("Plan conformal…"), planBox);
  planConformal->setObjectName("rtPlanConformal");
  planConformal->setToolTip(
      tr("Make a conformal photon plan on this case: MLC shaped to the PTV segment, beam "
         "weights optimised against organ-at-risk objectives"));
  exportPlan_ = new QPushButton(tr("Export plan…"), planBox);
  exportPlan_->setObjectName("rtExportPlan");
  exportPlan_->setToolTip(
      tr("Write the chosen plan as RT Structure Set, RT Plan and RT Dose (RS.dcm, RP.dcm, "
         "RD.dcm) that reference each other, for a planning or record-and-verify system"));
  exportPlan_->setEnabled(false);
  planLayout->addWidget(plans_);
  // Two rows: the three buttons side by side set the dock's width (349 px), wider than the
  // dock's view at 1200 x 900 once the Ablation panel no longer widened the dock area.
  auto* planButtons = new QGridLayout;
  planButtons->addWidget(addPlan, 0, 0);
  planButtons->addWidget(planConformal, 0, 1);
  planButtons->addWidget(exportPlan_, 1, 0, 1, 2);
  planLayout->addLayout(planButtons);
  // Two-line headers keep the angle columns as narrow as their numbers; the beam's radiation
  // and delivery type ("photon beam, static") are in each row's tooltip, not a column: at
  // 1200 x 900 every column then shows its whole text and header, the beam's name taking the
  // width left (it wraps). A type column was cut to "P… S…", then its header "Beam" was.
  beams_ = makeTable(
      planBox, "rtBeams",
      {tr("Beam"), tr("Gantry\n°"), tr("Coll.\n°"), tr("Couch\n°"), tr("MU"), tr("Energy")});
  fitToWidth(beams_, 0);
  beams_->setMaximumHeight(150);
  planLayout->addWidget(beams_);
  bev_ = new BeamsEyeView(planBox);
  bev_->setMinimumHeight(220);
  planLayout->addWidget(bev_);
  layout->addWidget(planBox);

  auto* referenceBox = new QGroupBox(tr("Isodose reference"), content);
  auto* referenceLayout = new QHBoxLayout(referenceBox);
  reference_ = new QDoubleSpinBox(referenceBox);
  reference_->setObjectName("rtReference");
  reference_->setRange(0.01, 1000.0);
  reference_->setDecimals(2);
  reference_->setSuffix(" Gy");
  reference_->setKeyboardTracking(false);
  reference_->setToolTip(tr("The dose the isodose lines and surfaces are percentages of"));
  referenceWhat_ = new QLabel(referenceBox);
  referenceWhat_->setObjectName("rtReferenceWhat");
  referenceWhat_->setWordWrap(true);
  resetReference_ = new QPushButton(tr("Reset"), referenceBox);
  resetReference_->setObjectName("rtReferenceReset");
  resetReference_->setToolTip(tr("Back to the plan's prescription, or the dose's maximum"));
  referenceLayout->addWidget(reference_);
  referenceLayout->addWidget(referenceWhat_, 1);
  referenceLayout->addWidget(resetReference_);
  layout->addWidget(referenceBox);
  layout->addWidget(makeCombineBox(content));

  auto* dvhBox = new QGroupBox(tr("Dose-volume histograms"), content);
  auto* dvhLayout = new QVBoxLayout(dvhBox);
  auto* compute = new QPushButton(tr("Compute DVHs of the shown dose"), dvhBox);
  compute->setObjectName("rtComputeDvh");
  dvhLayout->addWidget(compute);
  dvhMessage_ = new QLabel(dvhBox);
  dvhMessage_->setObjectName("rtDvhMessage");
  dvhMessage_->setWordWrap(true);
  dvhLayout->addWidget(dvhMessage_);
  chart_ = new DvhChart(dvhBox);
  chart_->setMinimumHeight(220);
  auto* kindRow = new QHBoxLayout;
  auto* cumulative = new QRadioButton(tr("Cumulative"), dvhBox);
  cumulative->setObjectName("rtDvhCumulative");
  cumulative->setChecked(true);
  auto* differential = new QRadioButton(tr("Differential"), dvhBox);
  differential->setObjectName("rtDvhDifferential");
  differential->setToolTip(tr("Volume per Gy over dose: where each structure's dose lies"));
  kindRow->addWidget(cumulative);
  kindRow->addWidget(differential);
  kindRow->addStretch();
  connect(differential, &QRadioButton::toggled, chart_, &DvhChart::setDifferential);
  dvhLayout->addLayout(kindRow);
  dvhLayout->addWidget(chart_);
  auto* readoutRow = new QHBoxLayout;
  dx_ = new QDoubleSpinBox(dvhBox);
  dx_->setObjectName("rtDx");
  dx_->setRange(0.0, 100.0);
  dx_->setDecimals(1);
  dx_->setValue(95.0);
  dx_->setPrefix("D");
  dx_->setSuffix(" %");
  vx_ = new QDoubleSpinBox(dvhBox);
  vx_->setObjectName("rtVx");
  vx_->setRange(0.0, 1000.0);
  vx_->setDecimals(2);
  vx_->setValue(20.0);
  vx_->setPrefix("V");
  vx_->setSuffix(" Gy");
  readoutRow->addWidget(dx_);
  readoutRow->addWidget(vx_);
  readoutRow->addStretch();
  dvhLayout->addLayout(readoutRow);
  figures_ = makeTable(
      dvhBox, "rtDvhFigures",
      {tr("Structure"), tr("Volume cm³"), tr("Dmean Gy"), tr("Dmax Gy"), tr("Dx Gy"), tr("Vx %")});
  figures_->setMinimumHeight(120);
  dvhLayout->addWidget(figures_);
  layout->addWidget(dvhBox);

  auto* constraintBox = new QGroupBox(tr("Constraints"), content);
  auto* constraintLayout = new QVBoxLayout(constraintBox);
  protocol_ = new QLabel(constraintBox);
  protocol_->setWordWrap(true);
  constraintLayout->addWidget(protocol_);
  constraints_ = makeTable(constraintBox, "rtConstraints",
                           {tr("Structure"), tr("Metric"), tr("Limit"), tr("Value"), tr("Result")});
  constraints_->setMinimumHeight(140);
  constraintLayout->addWidget(constraints_);
  layout->addWidget(constraintBox);
  layout->addWidget(makeOutcomeBox(content));

  // Regimen comparison. B defaults to 40.05 Gy in 15 fractions, the START-B hypofractionated
  // breast regimen (Haviland JS et al., Lancet Oncol 2013;14:1086-1094), against A's 60 Gy in 30.
  auto* regimenBox = new QGroupBox(tr("Regimen comparison (LQ: BED, EQD2)"), content);
  auto* regimenLayout = new QVBoxLayout(regimenBox);
  const auto regimenRow = [&](const QString& label, QDoubleSpinBox*& dose, QDoubleSpinBox*& n,
                              const char* name, double dose_Gy, int fractions) {
    auto* row = new QHBoxLayout;
    row->addWidget(new QLabel(label, regimenBox));
    dose = new QDoubleSpinBox(regimenBox);
    dose->setObjectName(QString("rtRegimenDose%1").arg(name));
    dose->setRange(0.0, 200.0);
    dose->setDecimals(2);
    dose->setSuffix(" Gy");
    dose->setValue(dose_Gy);
    n = new QDoubleSpinBox(regimenBox);
    n->setObjectName(QString("rtRegimenFractions%1").arg(name));
    n->setRange(1, 100);
    n->setDecimals(0);
    n->setSuffix(tr(" fractions"));
    n->setValue(fractions);
    row->addWidget(dose);
    row->addWidget(n);
    row->addStretch();
    regimenLayout->addLayout(row);
  };
  regimenRow(tr("A:"), doseA_, fractionsA_, "A", 60.0, 30);
  regimenRow(tr("B:"), doseB_, fractionsB_, "B", 40.05, 15);
  regimens_ = makeTable(
      regimenBox, "rtRegimens",
      {tr("Tissue"), tr("α/β\nGy"), tr("A\nBED"), tr("A\nEQD2"), tr("B\nBED"), tr("B\nEQD2")});
  fitToWidth(regimens_, 0);
  regimens_->setMinimumHeight(140);
  regimenLayout->addWidget(regimens_);
  layout->addWidget(regimenBox);
  for (QDoubleSpinBox* box : {doseA_, doseB_, fractionsA_, fractionsB_})
    connect(box, &QDoubleSpinBox::valueChanged, this, &RtPanel::showRegimens);
  showRegimens();
  glioma_ = new GliomaTwinBox(content);
  layout->addWidget(glioma_);
  layout->addStretch();

  auto* scroll = new QScrollArea(this);
  scroll->setWidget(content);
  scroll->setWidgetResizable(true);
  auto* outer = new QVBoxLayout(this);
  outer->setContentsMargins(0, 0, 0, 0);
  outer->addWidget(scroll);

  connect(addPlan, &QPushButton::clicked, this, &RtPanel::addPlanRequested);
  connect(planConformal, &QPushButton::clicked, this, &RtPanel::planConformalRequested);
  connect(exportPlan_, &QPushButton::clicked, this, &RtPanel::exportPlanRequested);
  connect(compute, &QPushButton::clicked, this, &RtPanel::computeDvhRequested);
  connect(plans_, &QTableWidget::currentCellChanged, this, [this](int row) {
    showBeams();
    emit planChosen(row);
  });
  connect(beams_, &QTableWidget::currentCellChanged, this,
          [this](int row) { emit beamChosen(row); });
  connect(reference_, &QDoubleSpinBox::valueChanged, this, &RtPanel::referenceEdited);
  connect(resetReference_, &QPushButton::clicked, this, &RtPanel::referenceReset);
  connect(dx_, &QDoubleSpinBox::valueChanged, this, &RtPanel::showFigures);
  connect(vx_, &QDoubleSpinBox::valueChanged, this, &RtPanel::showFigures);
  showDvhMessage(
      tr("Add an RT dose (File > Add RT dose) and segment or import the structures, "
         "then compute."));
}

QWidget* RtPanel::makeOutcomeBox(QWidget* parent) {
  auto* box = new QGroupBox(tr("TCP / NTCP"), parent);
  auto* form = new QFormLayout(box);
  outcomeFractions_ = new QDoubleSpinBox(box);
  outcomeFractions_->setObjectName("rtOutcomeFractions");
  outcomeFractions_->setRange(1, 100);
  outcomeFractions_->setDecimals(0);
  outcomeFractions_->setValue(30);
  outcomeFractions_->setToolTip(
      tr("The course's fractions: TCP's LQ kill per fraction, and NTCP's doses converted to 2 Gy "
         "fractions (EQD2, alpha/beta 3 Gy) for the conventionally fractionated fits"));
  outcomeTarget_ = new QComboBox(box);
  outcomeTarget_->setObjectName("rtOutcomeTarget");
  outcomeTarget_->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
  outcomeTarget_->setMinimumContentsLength(12);
  outcomeTarget_->setToolTip(tr("The structure whose tumour control probability is shown"));
  form->addRow(tr("Fractions"), outcomeFractions_);
  form->addRow(tr("Target (TCP)"), outcomeTarget_);
  outcomes_ = makeTable(box, "rtOutcomes", {tr("Structure"), tr("Model"), tr("Value")});
  fitToWidth(outcomes_, 0);
  outcomes_->setMinimumHeight(200);  // three structures with their parameters
  form->addRow(outcomes_);
  connect(outcomeFractions_, &QDoubleSpinBox::valueChanged, this, &RtPanel::showOutcomes);
  connect(outcomeTarget_, &QComboBox::currentIndexChanged, this, &RtPanel::showOutcomes);
  return box;
}

void RtPanel::setOutcomeFractions(int fractions) { outcomeFractions_->setValue(fractions); }

void RtPanel::setOutcomeTarget(const QString& structure) {
  outcomeTarget_->setCurrentIndex(std::max(0, outcomeTarget_->findData(structure)));
}

// Each structure's NTCP (organ models) and the target's TCP, from the chart's DVHs.
void RtPanel::showOutcomes() {
  const int fractions = static_cast<int>(outcomeFractions_->value());
  const QString target = outcomeTarget_->currentData().toString();
  outcomes_->setRowCount(0);
  // Per outcome two rows: structure, model and value; then the model's parameters across the
  // table (a narrow dock has no room for them in a column). The probability itself rides with
  // its value cell (Qt::UserRole), unrounded.
  const auto addRow = [this](const QString& structure, const QString& model, const QString& what,
                             double probability, const QString& kind, const std::string& source) {
    const int row = outcomes_->rowCount();
    outcomes_->insertRow(row);
    outcomes_->insertRow(row + 1);
    setCell(outcomes_, row, 0, structure);
    setCell(outcomes_, row, 1, model);
    setCell(outcomes_, row, 2, kind + " " + probabilityText(probability));
    setCell(outcomes_, row + 1, 0, what);
    outcomes_->setSpan(row + 1, 0, 1, outcomes_->columnCount());
    QFont parameters = outcomes_->font();
    parameters.setItalic(true);
    outcomes_->item(row + 1, 0)->setFont(parameters);
    outcomes_->item(row, 2)->setData(Qt::UserRole, probability);
    for (int r = row; r <= row + 1; ++r)
      for (int c = 0; c < outcomes_->columnCount(); ++c)
        if (QTableWidgetItem* item = outcomes_->item(r, c))
          item->setToolTip(QString::fromStdString(source));
  };
  for (const DvhCurve& curve : chart_->curves()) {
    const radiotherapy::DoseVolumeHistogram& dvh = curve.dvh;
    const QString name = QString::fromStdString(dvh.name);
    if (name == target) {
      const radiotherapy::TcpOutcome o = radiotherapy::poissonTcp(dvh, fractions);
      const radiotherapy::TcpParameters& p = o.model.parameters;
      addRow(name, tr("Poisson TCP"),
             tr("%1: α %2 ± %3 /Gy, α/β %4 Gy, %5 clonogens/cm³")
                 .arg(QString::fromStdString(o.model.name))
                 .arg(p.alphaMean_perGy)
                 .arg(p.alphaSigma_perGy)
                 .arg(p.alphaBeta_Gy)
                 .arg(p.clonogenDensity_per_cm3, 0, 'g', 2),
             o.tcp, tr("TCP"), o.model.source);
    }
    if (const auto modelId = radiotherapy::organNtcpModel(dvh.name)) {
      const radiotherapy::NtcpOutcome o = radiotherapy::lkbNtcp(dvh, *modelId, fractions);
      const radiotherapy::LkbParameters& p = o.model.parameters;
      addRow(name, tr("LKB NTCP"),
             tr("%1: TD50 %2 Gy, m %3, n %4; gEUD %5 Gy (EQD2)")
                 .arg(QString::fromStdString(o.model.name))
                 .arg(p.td50_Gy)
                 .arg(p.m)
                 .arg(p.n)
                 .arg(o.geud_Gy, 0, 'f', 2),
             o.ntcp, tr("NTCP"), o.model.source + "; " + o.dose);
    }
  }
}

QWidget* RtPanel::makeCombineBox(QWidget* parent) {
  auto* box = new QGroupBox(tr("Dose sum / difference"), parent);
  auto* form = new QFormLayout(box);
  const auto chooser = [box](const char* name) {
    auto* combo = new QComboBox(box);
    combo->setObjectName(name);
    // Long dose names must not widen the dock: shown cut, in full in the list.
    combo->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    combo->setMinimumContentsLength(12);
    return combo;
  };
  combineA_ = chooser("rtCombineA");
  combineB_ = chooser("rtCombineB");
  combineOperation_ = new QComboBox(box);
  combineOperation_->setObjectName("rtCombineOperation");
  combineOperation_->addItem(tr("A + B (sum)"), false);
  combineOperation_->addItem(tr("A − B (difference)"), true);
  combineOperation_->setToolTip(
      tr("A sum adds two courses (a plan and its boost); a difference is signed, red where A "
         "gives more and blue where B does"));
  combine_ = new QPushButton(tr("Make"), box);
  combine_->setObjectName("rtCombine");
  combine_->setToolTip(tr("Add the result to the case and show it (Undo removes it)"));
  auto* makeRow = new QHBoxLayout;
  makeRow->addWidget(combineOperation_, 1);
  makeRow->addWidget(combine_);
  form->addRow(tr("A"), combineA_);
  form->addRow(tr("B"), combineB_);
  form->addRow(makeRow);
  connect(combine_, &QPushButton::clicked, this, [this] {
    emit combineDosesRequested(combineA_->currentData().toString(),
                               combineB_->currentData().toString(),
                               combineOperation_->currentData().toBool());
  });
  showDoses({});
  return box;
}

void RtPanel::showDoses(const QList<DoseChoice>& doses) {
  const QVariant a = combineA_->currentData(), b = combineB_->currentData();
  for (QComboBox* combo : {combineA_, combineB_}) {
    combo->clear();
    for (const DoseChoice& dose : doses) {
      combo->addItem(dose.label, dose.id);
      combo->setItemData(combo->count() - 1, dose.label, Qt::ToolTipRole);
    }
  }
  // A and B start as two different doses: the first two.
  const int count = static_cast<int>(doses.size());
  combineA_->setCurrentIndex(a.isValid() && combineA_->findData(a) >= 0 ? combineA_->findData(a)
                                                                        : 0);
  combineB_->setCurrentIndex(b.isValid() && combineB_->findData(b) >= 0 ? combineB_->findData(b)
                                                                        : std::min(1, count - 1));
  combine_->setEnabled(count >= 1);
  combine_->setToolTip(count == 0 ? tr("The case has no dose: add an RT dose or plan first")
                                  : tr("Add the result to the case and show it (Undo "
                                       "removes it)"));
}

void RtPanel::showPlans(const std::vector<io::RtPlan>& plans) {
  const int chosen = chosenPlan();
  const QSignalBlocker quiet(plans_);
  shownPlans_ = plans;
  plans_->setRowCount(static_cast<int>(plans.size()));
  for (int row = 0; row < plans_->rowCount(); ++row) {
    const io::RtPlan& plan = plans[static_cast<std::size_t>(row)];
    int fractions = 0;
    for (const io::FractionGroup& g : plan.fractionGroups) fractions += g.fractionsPlanned;
    setCell(plans_, row, 0, QString::fromStdString(plan.label));
    setCell(plans_, row, 1, QString::number(plan.beams.size()));
    setCell(plans_, row, 2, fractions > 0 ? QString::number(fractions) : QStringLiteral("—"));
    setCell(plans_, row, 3, number(plan.prescriptionDose_Gy, 2, "Gy"));
  }
  if (!plans.empty())
    plans_->setCurrentCell(chosen >= 0 && chosen < plans_->rowCount() ? chosen : 0, 0);
  exportPlan_->setEnabled(!plans.empty());
  showBeams();
}

int RtPanel::chosenPlan() const {
  const int row = plans_->currentRow();
  return row >= 0 && row < static_cast<int>(shownPlans_.size()) ? row : -1;
}

int RtPanel::chosenBeam() const { return beams_->currentRow(); }

void RtPanel::showBeams() {
  const int chosen = chosenPlan();
  const QSignalBlocker quiet(beams_);
  beams_->setRowCount(0);
  if (chosen < 0) return;
  const io::RtPlan& plan = shownPlans_[static_cast<std::size_t>(chosen)];
  beams_->setRowCount(static_cast<int>(plan.beams.size()));
  for (int row = 0; row < beams_->rowCount(); ++row) {
    const io::Beam& beam = plan.beams[static_cast<std::size_t>(row)];
    const io::ControlPoint* first = beam.controlPoints.empty() ? nullptr : &beam.controlPoints[0];
    const QString name =
        QString::fromStdString(beam.name.empty() ? std::to_string(beam.number) : beam.name);
    setCell(beams_, row, 0, name);
    setCell(beams_, row, 1, first ? QString::number(first->gantryAngle_deg, 'f', 1) : "—");
    setCell(beams_, row, 2, first ? QString::number(first->collimatorAngle_deg, 'f', 1) : "—");
    setCell(beams_, row, 3, first ? QString::number(first->couchAngle_deg, 'f', 1) : "—");
    setCell(beams_, row, 4, number(beam.meterset, 1));
    // Nominal Beam Energy (300A,0114): MV for photons and electrons, MeV/u for ions.
    const QString energyUnit =
        beam.ion ? "MeV/u" : (beam.radiationType == "ELECTRON" ? "MeV" : "MV");
    setCell(beams_, row, 5, number(first ? first->nominalEnergy : std::nullopt, 0, energyUnit));
    const QString what = tr("%1: %2 beam, %3")
                             .arg(name, QString::fromStdString(beam.radiationType).toLower(),
                                  QString::fromStdString(beam.type).toLower());
    for (int column = 0; column < beams_->columnCount(); ++column)
      beams_->item(row, column)->setToolTip(what);
  }
  if (beams_->rowCount() > 0) beams_->setCurrentCell(0, 0);
}

void RtPanel::showReference(double reference_Gy, const QString& what) {
  const QSignalBlocker quiet(reference_);
  reference_->setValue(reference_Gy);
  referenceWhat_->setText(what);
}

double RtPanel::reference_Gy() const { return reference_->value(); }
QString RtPanel::referenceText() const { return referenceWhat_->text(); }

void RtPanel::showDvhMessage(const QString& message) { dvhMessage_->setText(message); }

void RtPanel::setDifferentialDvh(bool differential) {
  findChild<QRadioButton*>(differential ? "rtDvhDifferential" : "rtDvhCumulative")
      ->setChecked(true);
}

void RtPanel::setDx(double percent) { dx_->setValue(percent); }
void RtPanel::setVx(double dose_Gy) { vx_->setValue(dose_Gy); }

void RtPanel::showDvhs(std::vector<DvhCurve> curves, const radiotherapy::ConstraintTable& table,
                       const QString& protocol) {
  chart_->setCurves(std::move(curves));
  showFigures();
  // The targets offered for TCP: every structure; a PTV, GTV or CTV is guessed first.
  {
    const QString was = outcomeTarget_->currentData().toString();
    const QSignalBlocker quiet(outcomeTarget_);
    outcomeTarget_->clear();
    outcomeTarget_->addItem(tr("None"), QString());
    for (const DvhCurve& c : chart_->curves()) {
      const QString name = QString::fromStdString(c.dvh.name);
      outcomeTarget_->addItem(name, name);
    }
    int chosen = outcomeTarget_->findData(was);
    for (const char* guess : {"CTV", "GTV", "PTV"})
      for (int n = 1; chosen < 1 && n < outcomeTarget_->count(); ++n)
        if (outcomeTarget_->itemData(n).toString().contains(guess, Qt::CaseInsensitive)) chosen = n;
    outcomeTarget_->setCurrentIndex(std::max(0, chosen));
  }
  showOutcomes();
  protocol_->setText(protocol);
  constraints_->setRowCount(static_cast<int>(table.results.size()));
  // Pass green, fail red, borderline amber (within the DVH's discretisation spread).
  const QColor pass(200, 235, 200), fail(245, 190, 190), borderline(250, 225, 160);
  for (int row = 0; row < constraints_->rowCount(); ++row) {
    const radiotherapy::ConstraintResult& r = table.results[static_cast<std::size_t>(row)];
    setCell(constraints_, row, 0, QString::fromStdString(r.roi));
    setCell(constraints_, row, 1, QString::fromStdString(r.constraint.metric));
    setCell(constraints_, row, 2, QString::fromStdString(r.constraint.limit));
    setCell(constraints_, row, 3,
            QString("%1 %2").arg(r.value, 0, 'f', 2).arg(QString::fromStdString(r.unit)));
    const QString verdict = r.borderline ? tr("borderline") : (r.pass ? tr("pass") : tr("FAIL"));
    setCell(constraints_, row, 4, verdict);
    const QColor colour = r.borderline ? borderline : (r.pass ? pass : fail);
    for (int c = 0; c < constraints_->columnCount(); ++c) {
      constraints_->item(row, c)->setBackground(colour);
      constraints_->item(row, c)->setForeground(Qt::black);
      constraints_->item(row, c)->setToolTip(
          QString::fromStdString(r.constraint.endpoint + " (" + r.constraint.source + ")"));
    }
  }
}

void RtPanel::setRegimens(const radiotherapy::Regimen& a, const radiotherapy::Regimen& b) {
  for (QDoubleSpinBox* box : {doseA_, doseB_, fractionsA_, fractionsB_}) box->blockSignals(true);
  doseA_->setValue(a.totalDose_Gy);
  fractionsA_->setValue(a.fractions);
  doseB_->setValue(b.totalDose_Gy);
  fractionsB_->setValue(b.fractions);
  for (QDoubleSpinBox* box : {doseA_, doseB_, fractionsA_, fractionsB_}) box->blockSignals(false);
  showRegimens();
}

void RtPanel::setRegimenA(const radiotherapy::Regimen& a) {
  setRegimens(a, {doseB_->value(), static_cast<int>(fractionsB_->value())});
}

void RtPanel::showRegimens() {
  const radiotherapy::Regimen regimens[2] = {
      {doseA_->value(), static_cast<int>(fractionsA_->value())},
      {doseB_->value(), static_cast<int>(fractionsB_->value())}};
  std::vector<radiotherapy::TissueAlphaBeta> tissues;
  for (const auto& cited : radiotherapy::radiobiologyTable().alphaBeta)
    tissues.push_back({cited.id, cited.alphaBeta_Gy});
  const std::vector<radiotherapy::RegimenEffect> effects =
      radiotherapy::compareRegimens(regimens, tissues);  // regimen-major
  regimens_->setRowCount(static_cast<int>(tissues.size()));
  const auto& table = radiotherapy::radiobiologyTable().alphaBeta;
  for (std::size_t t = 0; t < tissues.size(); ++t) {
    const int row = static_cast<int>(t);
    setCell(regimens_, row, 0, QString::fromStdString(table[t].name));
    regimens_->item(row, 0)->setToolTip(
        QString::fromStdString(table[t].name + " (" + table[t].source + ")"));
    setCell(regimens_, row, 1, QString::number(tissues[t].alphaBeta_Gy, 'g', 3));
    for (std::size_t r = 0; r < 2; ++r) {
      const radiotherapy::RegimenEffect& e = effects[r * tissues.size() + t];
      setCell(regimens_, row, 2 + 2 * static_cast<int>(r), QString::number(e.bed_Gy, 'f', 2));
      setCell(regimens_, row, 3 + 2 * static_cast<int>(r), QString::number(e.eqd2_Gy, 'f', 2));
    }
  }
}

void RtPanel::showFigures() {
  const auto& curves = chart_->curves();
  figures_->setHorizontalHeaderLabels({tr("Structure"), tr("Volume cm³"), tr("Dmean Gy"),
                                       tr("Dmax Gy"), tr("D%1% Gy").arg(dx_->value()),
                                       tr("V%1Gy %").arg(vx_->value())});
  figures_->setRowCount(static_cast<int>(curves.size()));
  for (int row = 0; row < figures_->rowCount(); ++row) {
    const radiotherapy::DoseVolumeHistogram& dvh = curves[static_cast<std::size_t>(row)].dvh;
    setCell(figures_, row, 0, QString::fromStdString(dvh.name));
    setCell(figures_, row, 1, QString::number(dvh.figures.volume_cm3, 'f', 2));
    setCell(figures_, row, 2, QString::number(dvh.figures.dmean_Gy, 'f', 2));
    setCell(figures_, row, 3, QString::number(dvh.figures.dmax_Gy, 'f', 2));
    setCell(figures_, row, 4, QString::number(dvh.doseToVolumePercent(dx_->value()), 'f', 2));
    setCell(figures_, row, 5, QString::number(volumePercentAtDose(dvh, vx_->value()), 'f', 1));
    const Rgb& c = curves[static_cast<std::size_t>(row)].colour;
    figures_->item(row, 0)->setForeground(QColor(c.r, c.g, c.b));
  }
}

}  // namespace twinplan::ui
