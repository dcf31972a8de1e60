#pragma once
// The Ablation panel (a dock; issue #17 item 5): the device, power and time, one to three probes
// (each with its tip and skin entry placed by clicking in a 2D view), the tumour and margin to
// cover, and "Simulate", which runs the full bioheat physics of all probes together in the
// background (MainWindow::simulateAblation). The
// panel holds the set-up; the main window stores it with the result as the case's ablation
// Plan, so it reopens with the case. While the probe is placed or dragged the panel shows the
// live predicted zone's coverage (ablation_preview.h); after a run, the margin report.
#include <QWidget>
#include <algorithm>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "twinplan/core/case.h"
#include "twinplan/ui/temperature_chart.h"

namespace twinplan::ablation {
struct AblationDevice;
}

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QPushButton;

namespace twinplan::ui {

// Where one probe lies (LPS mm), as far as it is placed.
struct ProbePoints {
  std::optional<Vec3> tip_lps, entry_lps;
  bool complete() const { return tip_lps && entry_lps; }
  bool operator==(const ProbePoints&) const = default;
};

// Several probes switched on together are of one device at one setting: the physics drives RF
// electrodes from one generator and antennas each at the setting (ablation/device_source.h),
// and the live zone's superposition rule is calibrated for one device's profile
// (ablation/zone_surrogate.h, LiveMultiProbeZone). Three at most, as the planner proposes.
inline constexpr std::size_t kMaxAblationProbes = 3;

// The treatment as the panel sets it up (LPS mm, W, s).
struct AblationSetup {
  std::string deviceId;
  double power_W = 0.0, duration_s = 0.0;             // per probe
  std::vector<ProbePoints> probes = {ProbePoints{}};  // one to kMaxAblationProbes
  // Points (LPS mm) whose temperature over time the next Simulate records and the panel plots,
  // besides the tumour's centre and a point on its margin (picked in a 2D view).
  std::vector<Vec3> temperaturePoints_lps;
  std::string tumour;      // segment name; empty: no coverage report
  double margin_mm = 5.0;  // ablative margin around the tumour (issue #17 item 3)
  // Which voxels make the zone: a name of ablation::zoneCriterionChoices() ("omega1" default,
  // "omega4.6", "t50", "t60", "cem43"); saved with the plan and its result.
  std::string zoneCriterion = "omega1";
  // What the 2D views wash over the image after a run: the maximum temperature, the Arrhenius
  // damage, or nothing.
  enum class Overlay { Temperature, Damage, Off };
  Overlay overlay = Overlay::Temperature;
  bool livePreview = true;  // the surrogate's predicted zone while placing and dragging
  // Every probe's tip and entry placed.
  bool complete() const {
    return std::all_of(probes.begin(), probes.end(),
                       [](const ProbePoints& p) { return p.complete(); });
  }
  bool anyPlaced() const {
    return std::any_of(probes.begin(), probes.end(),
                       [](const ProbePoints& p) { return p.tip_lps || p.entry_lps; });
  }
  // Saved as "probes" [{tip_lps, entry_lps}] and, for readers of one probe (plans saved before
  // several probes, engine/plan_targets.cpp), the first probe's "tip_lps" and "entry_lps".
  nlohmann::json toJson() const;
  // Throws Error(InvalidInput) naming the member that is missing or malformed.
  static AblationSetup fromJson(const nlohmann::json& json);
  bool operator==(const AblationSetup&) const = default;
  // Whether a simulation of `other` would differ (device, settings, probes, tumour, margin, zone
  // criterion; not the display choices nor the temperature points, which add curves only).
  bool physicallyDiffers(const AblationSetup& other) const;
};

class AblationPanel : public QWidget {
  Q_OBJECT
 public:
  // Tip and Entry of the current probe; Temperature: a point to plot (picking stays on, one
  // point a click, until switched off).
  enum class Point { Tip, Entry, Temperature };
  // Offers the device catalogue (ablation/devices.h deviceCatalogue).
  explicit AblationPanel(QWidget* parent = nullptr);
  // Offers `devices` (at least one) instead: the catalogue, or a list with a device outside it
  // (the tests' withdrawn devices, whose zone note the panel must still show).
  explicit AblationPanel(std::vector<ablation::AblationDevice> devices, QWidget* parent = nullptr);
  // Out of line: the header only declares AblationDevice, which devices_ must see to be freed.
  ~AblationPanel() override;
  // Offers the case's segments as the tumour (keeps the chosen one when it is still there).
  void showCase(const Case& twin);
  const AblationSetup& setup() const { return setup_; }
  // Restores a set-up (from the case's plan or a test); a device the panel does not offer falls
  // back to the first it offers, with a note saying so (why, for a withdrawn device) until a
  // set-up with an offered device comes or a device is chosen.
  void setSetup(AblationSetup setup);
  // setSetup for a set-up read from the case (a case opened, an undo): during its setupChanged
  // restoring() is true, so the window does not store the set-up back into the case.
  void restoreSetup(AblationSetup setup);
  bool restoring() const { return restoring_; }

  // The probe whose tip and entry the panel shows and a click places (index into setup().probes).
  std::size_t currentProbe() const { return current_; }
  void setCurrentProbe(std::size_t probe);
  // Another probe (unplaced, then current), up to kMaxAblationProbes; removes the current one
  // (never the last).
  void addProbe();
  void removeCurrentProbe();

  // Which point a click in a 2D view places, if any.
  std::optional<Point> placing() const { return placing_; }
  void setPlacing(std::optional<Point> point);
  // A point picked in a view while placing (for the current probe); placing then moves on
  // (tip -> entry -> done).
  void placePoint(const Vec3& p_lps);
  // The last simulation's margin report (or the reason it failed), as plain text.
  void showReport(const QString& text);
  QString reportText() const;
  // Temperature over time at the recorded points of the last simulation (empty: hidden).
  void showTemperatureCurves(std::vector<TemperatureCurve> curves);
  const TemperatureChart* temperatureChart() const { return temperatureChart_; }
  // The live predicted zone's figures (or why there is none), as plain text.
  void showLive(const QString& text);
  QString liveText() const;

  // Undo (issue #17 item 5): the power, time and margin spin boxes change the set-up at every
  // arrow click, wheel step and keystroke; one editing gesture (from the first change until the
  // box loses focus or Enter is pressed, or another control changes) is one undo step. During
  // setupChanged: the control whose value changed ("power", "time", "margin"; empty for any
  // other change), and whether the change continues that control's gesture.
  // The margin map's legend and figures (marginMapSummary); empty: hidden.
  void showMarginMap(const QString& summary, double margin_mm);
  QString marginMapText() const;

  const std::string& editedControl() const { return editedControl_; }
  bool continuingGesture() const { return continuing_; }

 signals:
  void placingChanged();
  void setupChanged();
  void simulateRequested();

 private:
  void showDevice();  // limits and published zone of setup_.deviceId
  // The offered device with this id; the first offered where none has it.
  const ablation::AblationDevice& offered(const std::string& id) const;
  // The note for a device whose zone is not matched to its published one (hidden otherwise).
  void showZoneCheck(const ablation::AblationDevice& device);
  void refresh();  // probe list, point labels and the Simulate button
  ProbePoints& current() { return setup_.probes[current_]; }
  // A spin box's value changed: starts or continues its gesture, then setupChanged.
  void settingEdited(const char* control);
  void endGesture();  // the next change starts a new undo step
  void changed();     // any other change of the set-up: ends the gesture, then setupChanged
  QComboBox* device_ = nullptr;
  QLabel* deviceInfo_ = nullptr;
  QLabel* zoneNote_ = nullptr;
  QLabel* deviceFallbackNote_ = nullptr;  // a restored plan's device not offered (setSetup)
  QDoubleSpinBox* power_ = nullptr;
  QDoubleSpinBox* time_ = nullptr;
  QComboBox* probe_ = nullptr;
  QPushButton* addProbe_ = nullptr;
  QPushButton* removeProbe_ = nullptr;
  QLabel* tip_ = nullptr;
  QLabel* entry_ = nullptr;
  QPushButton* placeTip_ = nullptr;
  QPushButton* placeEntry_ = nullptr;
  QLabel* temperaturePoints_ = nullptr;
  QPushButton* pickPoint_ = nullptr;
  QPushButton* clearPoints_ = nullptr;
  TemperatureChart* temperatureChart_ = nullptr;
  QComboBox* tumour_ = nullptr;
  QDoubleSpinBox* margin_ = nullptr;
  QComboBox* zoneCriterion_ = nullptr;
  QComboBox* overlay_ = nullptr;
  QCheckBox* live_ = nullptr;
  QLabel* liveText_ = nullptr;
  QPushButton* simulate_ = nullptr;
  QLabel* reportHeading_ = nullptr;  // "Simulated zone (full physics)", over the report
  QLabel* report_ = nullptr;
  QLabel* marginLegend_ = nullptr;
  QLabel* marginText_ = nullptr;
  std::vector<ablation::AblationDevice> devices_;  // offered in the chooser, in its order
  AblationSetup setup_;
  std::size_t current_ = 0;
  std::optional<Point> placing_;
  bool refreshing_ = false;
  bool restoring_ = false;  // within restoreSetup
  std::string editedControl_;
  bool continuing_ = false;
};

}  // namespace twinplan::ui
