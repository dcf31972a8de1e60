// The radiotherapy panel (rt_panel.h).
#include "twinplan/ui/rt_panel.h"

#include <QDoubleSpinBox>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPushButton>
#include <QScrollArea>
#include <QSignalBlocker>
#include <QTableWidget>
#include <QVBoxLayout>

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

void setCell(QTableWidget* table, int row, int column, const QString& text) {
  auto* item = new QTableWidgetItem(text);
  table->setItem(row, column, item);
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
  planLayout->addWidget(plans_);
  auto* planButtons = new QHBoxLayout;
  planButtons->addWidget(addPlan);
  planButtons->addWidget(planConformal);
  planLayout->addLayout(planButtons);
  beams_ = makeTable(planBox, "rtBeams",
                     {tr("Beam"), tr("Gantry °"), tr("Collimator °"), tr("Couch °"), tr("MU"),
                      tr("Energy"), tr("Type")});
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
  regimens_ =
      makeTable(regimenBox, "rtRegimens",
                {tr("Tissue"), tr("α/β Gy"), tr("A BED"), tr("A EQD2"), tr("B BED"), tr("B EQD2")});
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
    setCell(beams_, row, 6, QString::fromStdString(beam.radiationType + " " + beam.type).trimmed());
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

void RtPanel::setDx(double percent) { dx_->setValue(percent); }
void RtPanel::setVx(double dose_Gy) { vx_->setValue(dose_Gy); }

void RtPanel::showDvhs(std::vector<DvhCurve> curves, const radiotherapy::ConstraintTable& table,
                       const QString& protocol) {
  chart_->setCurves(std::move(curves));
  showFigures();
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
    regimens_->item(row, 0)->setToolTip(QString::fromStdString(table[t].source));
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
