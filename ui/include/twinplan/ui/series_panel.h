#pragma once
// The Series panel (a dock): the series of the open case - modality, description, study date
// and how each lines up with the background ("same frame as CT", "registered (rigid)", "not
// registered") - with the choice of background and foreground, Remove and Register, and the
// fusion controls (FusionPanel) below. It shows and asks; the main window applies.
#include <QWidget>
#include <string>

#include "twinplan/core/case.h"
#include "twinplan/rendering/slice_view.h"
#include "twinplan/ui/view_state.h"

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QPushButton;
class QSlider;
class QTreeWidget;

namespace twinplan::ui {

// Foreground opacity, colour map, window presets (SUV presets for PET), fusion mode, slab and
// colour bar.
class FusionPanel : public QWidget {
  Q_OBJECT
 public:
  explicit FusionPanel(QWidget* parent = nullptr);
  // Shows `settings`; `foreground` (may be nullptr) decides the window presets offered.
  void showSettings(const FusionSettings& settings, const ImageVolume* foreground,
                    const rendering::WindowLevel& foregroundWindow);
  const FusionSettings& settings() const { return settings_; }

 signals:
  void settingsChanged(const twinplan::ui::FusionSettings& settings);
  void foregroundWindowChosen(const twinplan::rendering::WindowLevel& window);

 private:
  void emitChange();
  FusionSettings settings_;
  std::vector<rendering::NamedWindow> presets_;
  QSlider* opacity_ = nullptr;
  QComboBox* colourMap_ = nullptr;
  QComboBox* window_ = nullptr;
  QComboBox* mode_ = nullptr;
  QComboBox* slab_ = nullptr;
  QDoubleSpinBox* slabThickness_ = nullptr;
  QCheckBox* colourBar_ = nullptr;
  bool showing_ = false;
};

class SeriesPanel : public QWidget {
  Q_OBJECT
 public:
  explicit SeriesPanel(QWidget* parent = nullptr);
  // Lists the case's volumes against `background` and marks `foreground` (names; may be empty).
  void showSeries(const Case& twin, const std::string& background, const std::string& foreground);
  FusionPanel* fusion() const { return fusion_; }
  // The series selected in the list (name), empty when none.
  std::string selectedVolume() const;

 signals:
  void backgroundChosen(const std::string& volume);
  void foregroundChosen(const std::string& volume);  // empty: none
  void removeRequested(std::size_t volumeIndex);
  void registerRequested();
  void removeRegistrationRequested(const std::string& movingVolume);

 private:
  QTreeWidget* table_ = nullptr;
  QComboBox* background_ = nullptr;
  QComboBox* foreground_ = nullptr;
  QPushButton* remove_ = nullptr;
  QPushButton* register_ = nullptr;
  QPushButton* removeRegistration_ = nullptr;
  QLabel* quality_ = nullptr;
  void showSelected(const Case& twin);
  // The registration bringing `volume` onto another series, or nullptr.
  static const Registration* registrationOf(const Case& twin, const std::string& volume);
  const Case* shown_ = nullptr;  // the case of the last showSeries (the window's, outlives us)
  QLabel* warning_ = nullptr;
  FusionPanel* fusion_ = nullptr;
  bool showing_ = false;
};

}  // namespace twinplan::ui
