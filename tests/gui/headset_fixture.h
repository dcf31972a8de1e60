#pragma once
// What the View in headset tests share (headset_view_test.cpp, headset_result_test.cpp): the
// window with a liver and a kidney model, started against the project's OpenXR test runtime,
// and reading the headset's mirror.
#include <gtest/gtest.h>

#include <QElapsedTimer>
#include <QImage>
#include <QMessageBox>
#include <QTemporaryDir>
#include <QTest>
#include <QTreeWidget>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>

#include "gui_fixtures.h"
#include "test_support.h"
#include "twinplan/ui/display_list_panel.h"
#include "twinplan/ui/headset_link.h"
#include "twinplan/ui/main_window.h"

namespace twinplan::ui::fixtures {

// A "Liver" sphere of 100 mm radius and a "Kidney" sphere of 40 mm radius 150 mm to the
// patient's left, each built from the segment of the same name: life size, the liver's front
// 0.75 m away, they cover discs about 38 and 16 pixels across in the test runtime's 320 x 360
// eye (measured: 1,100-1,200 and about 200 pixels).
inline Case liverAndKidneyCase() {
  const ImageGeometry g = fixtures::centredGrid({40, 40, 20}, Vec3(10.0, 10.0, 15.0));
  Case twin = fixtures::caseWith(fixtures::ctVolume(g), "Headset");
  SurfaceMesh liver = test::icosphere(Vec3(0, 0, 0), 100.0, 3, true);
  liver.name = "Liver model";
  liver.segmentName = "Liver";
  liver.colour = {190, 110, 90};
  SurfaceMesh kidney = test::icosphere(Vec3(150, 0, 0), 40.0, 3, true);
  kidney.name = "Kidney model";
  kidney.segmentName = "Kidney";
  kidney.colour = {120, 200, 90};
  twin.meshes = {liver, kidney};
  LabelMap labels(g);
  labels.segments() = {{"Liver", "liver", {190, 110, 90}, 0, 1, true, false},
                       {"Kidney", "kidney", {120, 200, 90}, 0, 2, true, false}};
  twin.labelMaps.push_back(std::move(labels));
  return twin;
}

// Pixels that differ from the background by more than 24 in a channel. The 3D view's
// background is a vertical gradient: each row's own first pixel is its background.
inline int anatomyPixels(const QImage& image) {
  int count = 0;
  for (int y = 0; y < image.height(); ++y) {
    const QColor background = image.pixelColor(0, y);
    for (int x = 0; x < image.width(); ++x) {
      const QColor c = image.pixelColor(x, y);
      if (std::abs(c.red() - background.red()) > 24 ||
          std::abs(c.green() - background.green()) > 24 ||
          std::abs(c.blue() - background.blue()) > 24)
        ++count;
    }
  }
  return count;
}

// A window case whose CT is water (0 HU) with a bone ball (1000 HU, radius 40 mm) at the LPS
// origin, and a 5 mm "Marker" model inside the ball (View in headset needs a model).
inline Case boneBallCase() {
  ImageGeometry g;
  g.size = {41, 41, 41};
  g.spacing_mm = Vec3(2.5, 2.5, 2.5);
  g.origin_lps = Vec3(-50, -50, -50);
  ImageVolume ct = fixtures::ctVolume(g);
  auto voxels = ct.voxels<std::int16_t>();
  for (int k = 0; k < 41; ++k)
    for (int j = 0; j < 41; ++j)
      for (int i = 0; i < 41; ++i)
        voxels[g.linearIndex(i, j, k)] = g.indexToLps(Vec3(i, j, k)).norm() <= 40.0 ? 1000 : 0;
  Case twin = fixtures::caseWith(std::move(ct), "Bone ball");
  SurfaceMesh marker = test::icosphere(Vec3(0, 0, 0), 5.0, 2, true);
  marker.name = "Marker";
  twin.meshes = {marker};
  return twin;
}

// Pixels of the CT bone preset's colours: light and warm (red > green > blue, red > 200).
inline int bonePixels(const QImage& image) {
  int count = 0;
  for (int y = 0; y < image.height(); ++y)
    for (int x = 0; x < image.width(); ++x) {
      const QColor c = image.pixelColor(x, y);
      if (c.red() > 200 && c.red() > c.green() && c.green() > c.blue() && c.blue() > 120) ++count;
    }
  return count;
}

class HeadsetViewTest : public CaseWindowTest {
 protected:
  void SetUp() override {
    setenv("XR_RUNTIME_JSON", TWINPLAN_XR_TEST_RUNTIME_JSON, 1);
    setenv("TWINPLAN_XR_RENDER", TWINPLAN_XR_RENDER, 1);
    for (const char* name :
         {"TWINPLAN_XR_TEST_EXIT_AFTER_FRAMES", "TWINPLAN_XR_TEST_SCRIPT", "TWINPLAN_XR_TEST_LOG",
          "TWINPLAN_XR_TEST_RECORD_DIR", "TWINPLAN_XR_TEST_BLEND_MODES"})
      unsetenv(name);
    showCase(liverAndKidneyCase());
  }
  void TearDown() override {
    window_->stopHeadsetView();
    CaseWindowTest::TearDown();
  }

  HeadsetLink* link() { return window_->headsetLink(); }

  // Runs the event loop until `condition` holds or `timeout_ms` passes.
  template <typename Condition>
  bool until(Condition condition, int timeout_ms = 60000) {
    QElapsedTimer clock;
    clock.start();
    while (!condition() && clock.elapsed() < timeout_ms) QTest::qWait(10);
    return condition();
  }
  // The next mirror image after the one counted now.
  QImage nextMirror() {
    const int seen = link()->mirrorImages();
    if (!until([&] { return link()->mirrorImages() > seen; })) return {};
    return link()->mirror();
  }
  QMessageBox* message() { return window_->findChild<QMessageBox*>("headsetMessage"); }
  // The test runtime's script (poses, inputs, stalls: xr/test_runtime) for the next View in
  // headset.
  void scriptRuntime(const nlohmann::json& script) {
    const QString path = scriptDir_.filePath("script.json");
    std::ofstream(path.toStdString()) << script.dump();
    setenv("TWINPLAN_XR_TEST_SCRIPT", path.toUtf8().constData(), 1);
  }
  void tick(int row, bool on) {
    window_->segmentsPanel()->list()->topLevelItem(row)->setCheckState(
        0, on ? Qt::Checked : Qt::Unchecked);  // what a click on the box does
  }

 private:
  QTemporaryDir scriptDir_;
};

}  // namespace twinplan::ui::fixtures
