#pragma once
// The Tissue shift panel (a dock; issue #18 item 8): the scenario - brain shift after
// craniotomy, the liver under a tool, a resection cavity - and its parameters, "Simulate",
// which the main window runs in the background with progress and Cancel
// (MainWindow::simulateTissueShift), and the result: each plan target's shift in mm, the
// maximum displacement, the scenario's own figures (tool force, cavity volume change), and
// what the 2D views show of it: the magnitude washed over the image, the displacement as arrows,
// the original and deformed contours together. Gravity follows the Patient Position (0018,5100),
// the images' by default; a resection removes a segment or a sphere picked in a 2D view.
#include <QWidget>
#include <array>
#include <nlohmann/json.hpp>
#include <optional>

#include "twinplan/core/case.h"
#include "twinplan/engine/tissue_shift.h"

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QPushButton;
class QSlider;
class QStackedWidget;
class QFormLayout;
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
  bool washShown() const;      // the shift magnitude over the 2D views
  bool arrowsShown() const;    // the in-plane displacement as arrows
  bool contoursShown() const;  // the original and the deformed segments' contours
  void setArrowsShown(bool on);
  void setContoursShown(bool on);
  // The gravity line: the position used (the chosen one, or the images') and gravity's
  // direction in LPS (tissue/brain_shift.h gravityDirection).
  QString gravityText() const;
  // Resection of a sphere: picking its centre in a 2D view (the button's state, without
  // signals) and the centre picked (LPS mm), which ends the picking.
  bool pickingCentre() const;
  void setPickingCentre(bool on);
  void setResectionCentre(const Vec3& centre_lps);
  // The sphere to resect as placed now (L, P, S centre and radius, mm): while the scenario is
  // a resection of a sphere; nullopt otherwise. resectionSphereChanged tells each change.
  std::optional<std::array<double, 4>> resectionSphere() const;
  QString reportText() const;
  // The targets' table as shown: name and shift magnitude (mm) per row.
  std::vector<std::pair<std::string, double>> shownTargets() const;
  // The live liver tool: grabbed or not, how far the tool is pushed in (mm along the chosen
  // direction), and what the last update did.
  bool grabbing() const;
  void setGrabbing(bool on);  // the button's state, without signals
  double toolOffset_mm() const;
  void setToolOffset_mm(double offset_mm);   // emits toolOffsetChanged
  void showToolOffset_mm(double offset_mm);  // the slider only (a drag in 2D moved the tool)
  // The live tool's targets: each plan target's displacement now (the table's rows).
  void showLiveTargets(const std::vector<std::pair<std::string, Vec3>>& shifts_mm);
  void showLive(const QString& text);
  QString liveText() const;
  // The live line for a tool at `offset_mm` from its grab point (LPS) with the tool's unit
  // `direction`: "Tool 12.0 mm in: organ moved up to 4.1 mm (89 ms an update)" for a push, and
  // for a drag with a sideways part (over 0.05 mm) also how far the tool moved and sideways:
  // "Tool 2.0 mm in, moved 8.2 mm (8.0 mm sideways): ...". Out of the organ reads "out".
  static QString liveToolText(const Vec3& offset_mm, const Vec3& direction, double organMoved_mm,
                              double updateSeconds);

 signals:
  void simulateRequested();
  void displayChanged();
  void grabToggled(bool on);
  void toolOffsetChanged(double offset_mm);
  void pickCentreToggled(bool on);
  void resectionSphereChanged();

 private:
  void showTargets(const nlohmann::json& targets);
  void showGravity();
  void fitPagesToShownOne();
  void showRetractorRows(bool retractor);
  QComboBox* scenario_ = nullptr;
  QComboBox* patientPosition_ = nullptr;
  QLabel* gravity_ = nullptr;
  QString imagesPosition_ = "HFS";
  QCheckBox* resectSphere_ = nullptr;
  QDoubleSpinBox* sphereCentre_[3] = {nullptr, nullptr, nullptr};
  QDoubleSpinBox* sphereRadius_ = nullptr;
  QPushButton* pickCentre_ = nullptr;
  QCheckBox* arrows_ = nullptr;
  QCheckBox* contours_ = nullptr;
  QStackedWidget* pages_ = nullptr;
  QDoubleSpinBox* openingRadius_ = nullptr;
  QDoubleSpinBox* csfLoss_ = nullptr;
  QCheckBox* skullContact_ = nullptr;
  QCheckBox* drainVentricles_ = nullptr;
  QComboBox* brainMaterial_ = nullptr;
  // The retractor scenario shares the brain page: its blade's rows shown, the CSF rows hidden.
  QFormLayout* brainForm_ = nullptr;
  QDoubleSpinBox* bladeWidth_ = nullptr;
  QDoubleSpinBox* bladeDepth_ = nullptr;
  QDoubleSpinBox* bladePush_ = nullptr;
  QComboBox* toolDirection_ = nullptr;
  QComboBox* tipShape_ = nullptr;
  QDoubleSpinBox* tipRadius_ = nullptr;
  QDoubleSpinBox* indentation_ = nullptr;
  QComboBox* resected_ = nullptr;
  QPushButton* grab_ = nullptr;
  QSlider* toolOffset_ = nullptr;
  QLabel* live_ = nullptr;
  QComboBox* elements_ = nullptr;  // linear (C3D4) or quadratic (C3D10) tetrahedra
  QDoubleSpinBox* resolution_ = nullptr;
  QPushButton* simulate_ = nullptr;
  QCheckBox* wash_ = nullptr;
  QTableWidget* targets_ = nullptr;
  QLabel* report_ = nullptr;
};

}  // namespace twinplan::ui
