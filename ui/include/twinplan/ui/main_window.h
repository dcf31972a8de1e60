#pragma once
// TwinPlan's main window: the case's views in a 4-up / 1-up / 1+3 layout with a linked
// crosshair, window/level presets and a cursor readout.
#include <QMainWindow>
#include <array>
#include <filesystem>

#include "twinplan/core/case.h"
#include "twinplan/io/dicom_index.h"
#include "twinplan/rendering/slice_view.h"

class QGridLayout;
class QLabel;
class QWidget;

namespace twinplan::ui {

class SliceViewport;
class DicomBrowser;
class VolumeViewport;

enum class Layout { FourUp, OneUp, OnePlusThree };
Layout layoutFromString(const std::string& name);  // "4up" | "1up" | "1+3"

class MainWindow : public QMainWindow {
  Q_OBJECT
 public:
  MainWindow();
  ~MainWindow() override;

  // Takes the case; shows its first volume. Throws twinplan::Error on a bad file.
  void openCase(const std::filesystem::path& file);
  // Scans a folder, DICOMDIR or file in the background into the DICOM browser. Returns false
  // when cancelled. Throws twinplan::Error.
  bool importDicom(const std::filesystem::path& path);
  // Loads a volume series in the background as a new case. False when cancelled.
  bool loadSeries(const io::DicomSeries& series);
  bool saveCaseAs(const std::filesystem::path& file);
  const Case& currentCase() const { return case_; }
  DicomBrowser* dicomBrowser() const { return browser_; }
  void setCase(Case twin);
  void setLayout(Layout layout);
  void setWindowLevel(const rendering::WindowLevel& wl);
  void setCrosshair(const Vec3& p_lps);
  SliceViewport* sliceViewport(rendering::SliceOrientation orientation) const;
  VolumeViewport* volumeViewport() const { return volume_; }

 private:
  void buildMenus();
  void buildToolbar();
  void showCursor(const Vec3& p_lps, bool inside);
  void updateOverlays();
  void openCaseDialog();
  void importDialog();
  void saveCase();
  void saveCaseAsDialog();
  void showError(const QString& title, const std::exception& error);
  void dragEnterEvent(QDragEnterEvent* event) override;
  void dropEvent(QDropEvent* event) override;
  void saveScreenshotDialog();

  Case case_;
  std::filesystem::path caseFile_;
  Layout layout_ = Layout::FourUp;
  std::array<SliceViewport*, 3> slices_{};
  VolumeViewport* volume_ = nullptr;
  QWidget* viewArea_ = nullptr;
  QGridLayout* grid_ = nullptr;
  QLabel* readout_ = nullptr;
  DicomBrowser* browser_ = nullptr;
};

}  // namespace twinplan::ui
