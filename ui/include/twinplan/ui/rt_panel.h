#pragma once
// The radiotherapy panel (issue #19 item 8): the case's RT plans (name, beams, fractions,
// prescription) and the chosen plan's beams (gantry, collimator and couch angles, MU, energy);
// the reference dose the isodoses are percentages of (the plan's prescription, else the dose's
// maximum, editable); the DVH chart with Dx / Vx figures per structure; and the dose-volume
// constraint table (QUANTEC by default) coloured pass / fail / borderline; the regimen
// comparison (LQ) and the glioma twin's predictions (glioma_twin_box.h). Display only: the
// window reads plans, computes DVHs and stores edits.
#include <QList>
#include <QString>
#include <QWidget>
#include <vector>

#include "twinplan/io/dicom_rtplan.h"
#include "twinplan/radiotherapy/dose_constraints.h"
#include "twinplan/radiotherapy/radiobiology.h"
#include "twinplan/ui/beams_eye_view.h"
#include "twinplan/ui/dvh_chart.h"
#include "twinplan/ui/glioma_twin_box.h"

class QComboBox;
class QLabel;
class QTableWidget;
class QDoubleSpinBox;
class QPushButton;

namespace twinplan::ui {

class RtPanel : public QWidget {
  Q_OBJECT
 public:
  explicit RtPanel(QWidget* parent = nullptr);

  // The plans table; the chosen row stays chosen when it still exists (else the first).
  void showPlans(const std::vector<io::RtPlan>& plans);
  int chosenPlan() const;  // -1: none
  int chosenBeam() const;  // the beams table's row; -1: none
  // The reference shown: its value (Gy) and what it is ("prescription of plan X", "maximum").
  void showReference(double reference_Gy, const QString& what);
  double reference_Gy() const;
  QString referenceText() const;
  // The DVHs of the shown dose with their constraint table (evaluated against `protocol`).
  void showDvhs(std::vector<DvhCurve> curves, const radiotherapy::ConstraintTable& table,
                const QString& protocol);
  void showDvhMessage(const QString& message);
  // The Dx (% of volume) and Vx (Gy) the figures table reports per structure.
  void setDx(double percent);
  void setVx(double dose_Gy);

  DvhChart* dvhChart() const { return chart_; }
  BeamsEyeView* beamsEyeView() const { return bev_; }
  QTableWidget* plansTable() const { return plans_; }
  QTableWidget* beamsTable() const { return beams_; }
  QTableWidget* constraintsTable() const { return constraints_; }
  QTableWidget* figuresTable() const { return figures_; }
  // Cumulative or differential DVH curves.
  void setDifferentialDvh(bool differential);
  // TCP / NTCP of the shown DVHs (radiotherapy/outcome_models.h, as `dvh --fractions --target`
  // gives them): LKB NTCP for every structure named after an organ the table has a model for,
  // Poisson TCP for the chosen target, in the course's fractions (the chosen plan's when it
  // has them). Columns: structure, model, parameters, value.
  void setOutcomeFractions(int fractions);
  void setOutcomeTarget(const QString& structure);  // "" : no target
  QTableWidget* outcomeTable() const { return outcomes_; }
  // Regimen comparison (radiotherapy/radiobiology.h): two regimens' BED and EQD2 for each
  // tissue of the cited alpha/beta table. Regimen A follows the chosen plan (prescription and
  // fractions) when it has both.
  void setRegimens(const radiotherapy::Regimen& a, const radiotherapy::Regimen& b);
  void setRegimenA(const radiotherapy::Regimen& a);
  QTableWidget* regimenTable() const { return regimens_; }
  // Dose sum / difference: the case's doses offered as A and B, each item's data its result id
  // and its text `label` (the name; with the id when two doses share it); the choices are kept
  // by id when still there. "Make" asks the window for A + B or A - B of the two ids.
  struct DoseChoice {
    QString id, label;
  };
  void showDoses(const QList<DoseChoice>& doses);
  QComboBox* combineA() const { return combineA_; }
  QComboBox* combineB() const { return combineB_; }
  QComboBox* combineOperation() const { return combineOperation_; }
  QPushButton* combineButton() const { return combine_; }
  // "Export plan…": the chosen plan as RT Structure Set + Plan + Dose (enabled with a plan).
  QPushButton* exportPlanButton() const { return exportPlan_; }
  // The glioma twin: calibration from follow-up scans and its regimen predictions.
  GliomaTwinBox* gliomaTwin() const { return glioma_; }

 signals:
  void addPlanRequested();
  void planConformalRequested();
  void exportPlanRequested();
  void planChosen(int index);
  void beamChosen(int index);
  void referenceEdited(double reference_Gy);
  void referenceReset();  // back to the prescription (or the maximum)
  void computeDvhRequested();
  void combineDosesRequested(const QString& aId, const QString& bId, bool difference);

 private:
  void showBeams();
  void showFigures();
  void showRegimens();
  void showOutcomes();
  QWidget* makeOutcomeBox(QWidget* parent);
  QWidget* makeCombineBox(QWidget* parent);
  std::vector<io::RtPlan> shownPlans_;
  QTableWidget* plans_ = nullptr;
  QTableWidget* beams_ = nullptr;
  BeamsEyeView* bev_ = nullptr;
  QLabel* referenceWhat_ = nullptr;
  QDoubleSpinBox* reference_ = nullptr;
  QPushButton* resetReference_ = nullptr;
  DvhChart* chart_ = nullptr;
  QLabel* dvhMessage_ = nullptr;
  QDoubleSpinBox* dx_ = nullptr;
  QDoubleSpinBox* vx_ = nullptr;
  QTableWidget* figures_ = nullptr;
  QTableWidget* constraints_ = nullptr;
  QLabel* protocol_ = nullptr;
  QDoubleSpinBox* doseA_ = nullptr;
  QDoubleSpinBox* doseB_ = nullptr;
  QDoubleSpinBox* fractionsA_ = nullptr;
  QDoubleSpinBox* fractionsB_ = nullptr;
  QTableWidget* regimens_ = nullptr;
  QDoubleSpinBox* outcomeFractions_ = nullptr;
  QComboBox* outcomeTarget_ = nullptr;
  QTableWidget* outcomes_ = nullptr;
  QComboBox* combineA_ = nullptr;
  QComboBox* combineB_ = nullptr;
  QComboBox* combineOperation_ = nullptr;
  QPushButton* combine_ = nullptr;
  QPushButton* exportPlan_ = nullptr;
  GliomaTwinBox* glioma_ = nullptr;
};

}  // namespace twinplan::ui
