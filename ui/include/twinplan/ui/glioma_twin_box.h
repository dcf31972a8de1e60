#pragma once
// The glioma twin in the RT panel (issue #19 item 8): which segments are the tumour at each
// follow-up scan, the model's settings, Calibrate (from the case's dated scans) and Predict (the
// regimens to compare) - both run by the window as background jobs with progress and Cancel -
// and what the case's stored twin says: the calibrated parameters with their 90 % intervals, the
// predicted enhancing volume over time per regimen with its 5th-95th percentile band, and a
// regimen table (dose, BED and EQD2 of the tumour, time to progression with its band). Display
// and settings only: the window reads the twin's plan record from the case and shows it here.
#include <QGroupBox>
#include <QStringList>
#include <nlohmann/json.hpp>

#include "twinplan/engine/glioma_twin.h"
#include "twinplan/ui/tumour_burden_chart.h"

class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QSpinBox;
class QTableWidget;

namespace twinplan::ui {

class GliomaTwinBox : public QGroupBox {
  Q_OBJECT
 public:
  explicit GliomaTwinBox(QWidget* parent = nullptr);

  // The case's segment names (the tumour and T2/FLAIR choices keep theirs when still there).
  void setSegments(const QStringList& names);
  // The stored twin (a "glioma-twin" plan's parameters), or none: not calibrated yet.
  void showTwin(const nlohmann::json* record);
  // The settings as the engine takes them (segment, oedema, grid, step, samples, regimens,
  // horizon) over the last options set (which keeps what has no widget: the model box margin,
  // past radiotherapy, start delay); regimens are split at commas.
  engine::GliomaTwinOptions options() const;
  void setOptions(const engine::GliomaTwinOptions& options);

  TumourBurdenChart* chart() const { return chart_; }
  QTableWidget* regimenTable() const { return table_; }
  QString statusText() const;
  QPushButton* calibrateButton() const { return calibrate_; }
  QPushButton* predictButton() const { return predict_; }

 signals:
  void calibrateRequested();
  void predictRequested();
  void segmentChosen(const QString& segment);

 private:
  void showPredictions(const nlohmann::json& predictions, double preTreatment_ml);
  QLabel* status_ = nullptr;
  QComboBox* segment_ = nullptr;
  QComboBox* oedema_ = nullptr;
  QDoubleSpinBox* spacing_ = nullptr;
  QDoubleSpinBox* step_ = nullptr;
  QSpinBox* samples_ = nullptr;
  QPushButton* calibrate_ = nullptr;
  QLineEdit* regimens_ = nullptr;
  QSpinBox* horizon_ = nullptr;
  QPushButton* predict_ = nullptr;
  TumourBurdenChart* chart_ = nullptr;
  QTableWidget* table_ = nullptr;
  QLabel* caveat_ = nullptr;
  engine::GliomaTwinOptions settings_;
};

}  // namespace twinplan::ui
