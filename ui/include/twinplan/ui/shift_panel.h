#pragma once
// The Tissue shift panel (a dock; issue #18 item 8): the scenario - brain shift after
// craniotomy, the liver under a tool, a resection cavity - and its parameters, "Simulate",
// which the main window runs in the background with progress and Cancel
// (MainWindow::simulateTissueShift), and the result: each plan target's shift in mm, the
// maximum displacement, the scenario's own figures (tool force, cavity volume change), and
// whether the 2D views wash the shift magnitude over the image.
#include <QWidget>
#include <nlohmann/json.hpp>

#include "twinplan/core/case.h"
#include "twinplan/engine/tissue_shift.h"

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QPushButton;
class QSlider;
class QStackedWidget;
class QTableWidget;

namespace twinplan::ui {

class ShiftPanel : public QWidget {
  Q_OBJECT
 public:
  explicit ShiftPanel(QWidget* parent = nullptr);
  // Offers the case's segments for resection; shows the case's last tissue-shift result.
  void showCase(const Case& twin);
  // The scenario and parameters as set now.
  engine::TissueShiftParameters parameters() const;
  void setParameters(const engine::TissueShiftParameters& parameters);
  // A result's report (engine/tissue_shift.h TissueShift::report): the targets' table and the
  // figures; an empty object clears them.
  void showResult(const nlohmann::json& report);
  void showFailure(const QString& text);
  bool washShown() const;  // the shift magnitude over the 2D views
  QString reportText() const;
  // The targets' table as shown: name and shift magnitude (mm) per row.
  std::vector<std::pair<std::string, double>> shownTargets() const;
  // The live liver tool: grabbed or not, how far the tool is pushed in (mm along the chosen
  // direction), and what the last update did.
  bool grabbing() const;
  void setGrabbing(bool on);  // the button's state, without signals
  double toolOffset_mm() const;
  void setToolOffset_mm(double offset_mm);  // emits toolOffsetChanged
  void showLive(const QString& text);
  QString liveText() const;

 signals:
  void simulateRequested();
  void displayChanged();
  void grabToggled(bool on);
  void toolOffsetChanged(double offset_mm);

 private:
  QComboBox* scenario_ = nullptr;
  QStackedWidget* pages_ = nullptr;
  QDoubleSpinBox* openingRadius_ = nullptr;
  QDoubleSpinBox* csfLoss_ = nullptr;
  QComboBox* toolDirection_ = nullptr;
  QComboBox* tipShape_ = nullptr;
  QDoubleSpinBox* tipRadius_ = nullptr;
  QDoubleSpinBox* indentation_ = nullptr;
  QComboBox* resected_ = nullptr;
  QPushButton* grab_ = nullptr;
  QSlider* toolOffset_ = nullptr;
  QLabel* live_ = nullptr;
  QDoubleSpinBox* resolution_ = nullptr;
  QPushButton* simulate_ = nullptr;
  QCheckBox* wash_ = nullptr;
  QTableWidget* targets_ = nullptr;
  QLabel* report_ = nullptr;
};

}  // namespace twinplan::ui
