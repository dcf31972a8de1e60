#pragma once
// What the GUI tests share: small synthetic volumes and cases (a CT of a few thousand voxels on
// a grid centred on the origin, boxes of label values), the main window showing a case, and the
// colour a 2D view shows at an LPS point. One place, so that each test says only what is
// particular to it.
#include <gtest/gtest.h>

#include <QColor>
#include <memory>
#include <string>

#include "test_support.h"
#include "twinplan/core/case.h"
#include "twinplan/ui/main_window.h"
#include "twinplan/ui/slice_viewport.h"

namespace twinplan::ui::fixtures {

// A grid of `size` voxels of `spacing_mm`, axial, centred on the LPS origin.
ImageGeometry centredGrid(const Index3& size, const Vec3& spacing_mm);

// The grid tilted 10 degrees about the patient's left-right axis (64 x 60 x 40 voxels of
// 2 x 2 x 2.5 mm) whose centre is `centre_lps`: position and orientation can be read back.
ImageGeometry tiltedGrid(const Vec3& centre_lps);

// A volume of zeros named `name` with its modality and unit ("HU", "SUVbw", "").
ImageVolume syntheticVolume(const ImageGeometry& grid, PixelType type, const std::string& name,
                            const std::string& modality, const std::string& unit);
// An int16 CT ("CT", modality CT, HU) of 0 HU.
ImageVolume ctVolume(const ImageGeometry& grid);
// A case named `name` holding `volume`.
Case caseWith(ImageVolume volume, const std::string& name);

// Sets the layer-0 voxels of the index box first..last (inclusive) to `value`.
void fillBox(LabelMap& labels, const Index3& first, const Index3& last, std::uint16_t value);

// The colour `viewport` shows at an LPS point of its slice (a failure when it is off screen).
QColor shownAt(SliceViewport* viewport, const Vec3& p_lps);

// A main window (1200 x 900, autosaving to a temporary folder) showing a case; the case is
// marked clean at the end so that closing asks nothing.
class CaseWindowTest : public ::testing::Test {
 protected:
  // Shows `twin` and waits `settle_ms` (the 3D scene is built in a later event-loop turn).
  void showCase(Case twin, int settle_ms = 200);
  void TearDown() override;
  // Saves the whole window as `name` (PNG) in $TWINPLAN_SCREENSHOT_DIR when it is set, every
  // view rendered first; does nothing otherwise.
  void screenshot(const char* name);

  twinplan::test::TempDir autosave_{"twinplan-gui-autosave"};
  std::unique_ptr<MainWindow> window_;
};

}  // namespace twinplan::ui::fixtures
