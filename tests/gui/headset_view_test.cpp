// View in headset (issue #20 item 4) under Xvfb with the project's OpenXR test runtime: the
// window starts twinplan-xr-render --live as a child process, which follows the window over a
// teaching session on 127.0.0.1 and mirrors its left eye into the "Headset" panel. Checked: the
// mirror shows the anatomy, hiding a segment in the window removes its model from the headset's
// image, the window's event loop keeps running while the headset renders, and the two failures
// a user meets (no runtime, a runtime that ends the session) give a message box that says what
// to do (the shown result and slice: headset_result_test.cpp). With TWINPLAN_SCREENSHOT_DIR set,
// the window with the mirror is saved there.
#include <gtest/gtest.h>

#include <QAction>
#include <QApplication>
#include <QDockWidget>
#include <QElapsedTimer>
#include <QLabel>
#include <QMessageBox>
#include <QPushButton>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>
#include <QTreeWidget>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <vector>

#include "../support/xr_script_keys.h"
#include "gui_fixtures.h"
#include "headset_fixture.h"
#include "test_support.h"
#include "twinplan/core/measurement.h"
#include "twinplan/rendering/headset_view.h"
#include "twinplan/rendering/volume_view.h"
#include "twinplan/teaching/teaching_session.h"
#include "twinplan/ui/display_list_panel.h"
#include "twinplan/ui/headset_link.h"
#include "twinplan/ui/main_window.h"
#include "twinplan/ui/volume_viewport.h"

namespace twinplan::ui {
namespace {

using fixtures::anatomyPixels;
using fixtures::boneBallCase;
using fixtures::bonePixels;
using fixtures::HeadsetViewTest;

struct Lateness {
  double median_ms = 0, p95_ms = 0, max_ms = 0;
};

// How late a 10 ms timer fires while the event loop runs for `duration_ms`.
Lateness eventLoopLateness(int duration_ms) {
  std::vector<double> late_ms;
  QElapsedTimer clock;
  clock.start();
  qint64 last = clock.elapsed();
  QTimer probe;
  probe.setInterval(10);
  QObject::connect(&probe, &QTimer::timeout, [&] {
    const qint64 now = clock.elapsed();
    late_ms.push_back(double(now - last) - 10.0);
    last = now;
  });
  probe.start();
  QTest::qWait(duration_ms);
  probe.stop();
  if (late_ms.empty()) return {1e9, 1e9, 1e9};
  std::sort(late_ms.begin(), late_ms.end());
  return {late_ms[late_ms.size() / 2], late_ms[late_ms.size() * 95 / 100], late_ms.back()};
}

TEST_F(HeadsetViewTest, MirrorShowsTheAnatomyAndFollowsSegmentVisibility) {
  QTest::qWait(500);  // the window's first 3D render is not part of the baseline
  const Lateness baseline = eventLoopLateness(1000);
  QElapsedTimer started;
  started.start();
  ASSERT_TRUE(window_->startHeadsetView());
  ASSERT_TRUE(until([&] { return link()->joined() && link()->mirrorImages() > 0; }))
      << "the headset did not join or mirror within 60 s";
  const double firstImage_ms = double(started.elapsed());
  EXPECT_TRUE(window_->findChild<QAction*>("viewInHeadset")->isChecked());
  EXPECT_TRUE(window_->findChild<QDockWidget*>("headsetDock")->isVisible());
  EXPECT_FALSE(window_->findChild<QLabel*>("headsetMirror")->pixmap().isNull());

  const QImage both = nextMirror();
  if (const char* dir = std::getenv("TWINPLAN_SCREENSHOT_DIR")) {  // the window with the mirror
    QTest::qWait(300);
    window_->grab().save(QString(dir) + "/headset-mirror.png");
  }
  ASSERT_FALSE(both.isNull());
  EXPECT_EQ(both.width(), 320);  // the test runtime's eye
  const int bothPixels = anatomyPixels(both);
  EXPECT_GT(bothPixels, 800) << "the mirror does not show the anatomy";
  EXPECT_LT(bothPixels, 4000);

  // Hide the Liver segment in the window: its model leaves the headset's image.
  QElapsedTimer hidden;
  hidden.start();
  tick(0, false);
  QImage withoutLiver;
  ASSERT_TRUE(until([&] {
    withoutLiver = link()->mirror();
    return anatomyPixels(withoutLiver) < bothPixels / 2;
  })) << "hiding the Liver segment did not change the headset's image";
  const double hideSeen_ms = double(hidden.elapsed());
  const int kidneyPixels = anatomyPixels(withoutLiver);
  EXPECT_GT(kidneyPixels, 80) << "the kidney should still show";
  EXPECT_LT(kidneyPixels, 400);

  // Show it again: the image comes back to what it was (the same scene, the same head pose).
  tick(0, true);
  ASSERT_TRUE(until([&] { return anatomyPixels(link()->mirror()) > bothPixels * 9 / 10; }));
  EXPECT_LT(std::abs(anatomyPixels(link()->mirror()) - bothPixels), bothPixels / 20);

  // The window's event loop while the headset renders, against the same window before it
  // started (baseline, measured first in this test).
  const int mirrorsBefore = link()->mirrorImages();
  const Lateness during = eventLoopLateness(2000);
  const int mirrors = link()->mirrorImages() - mirrorsBefore;
  std::printf(
      "headset view: anatomy pixels %d with the liver, %d without; first mirror image %.0f ms "
      "after start; hide seen in the mirror after %.0f ms; %d mirror images in 2 s; event-loop "
      "lateness of a 10 ms timer, median / p95 / max: %.1f / %.1f / %.1f ms without the headset, "
      "%.1f / %.1f / %.1f ms while it runs\n",
      bothPixels, kidneyPixels, firstImage_ms, hideSeen_ms, mirrors, baseline.median_ms,
      baseline.p95_ms, baseline.max_ms, during.median_ms, during.p95_ms, during.max_ms);
  EXPECT_GT(mirrors, 0) << "the mirror stopped updating";
  // Responsive: no stall a user would notice as a frozen window (0.1 s is "instant", Nielsen
  // 1993, Usability Engineering ch. 5; 250 ms leaves margin for the loaded test machine). A
  // headset loop on the GUI thread would block it for every frame it waits on the runtime.
  EXPECT_LT(during.max_ms, 250.0);

  window_->stopHeadsetView();
  EXPECT_FALSE(link()->running());
  EXPECT_FALSE(window_->findChild<QAction*>("viewInHeadset")->isChecked());
  EXPECT_EQ(message(), nullptr) << message()->text().toStdString();
}

TEST_F(HeadsetViewTest, SaysWhatToInstallWhenNoRuntimeIsThere) {
  setenv("XR_RUNTIME_JSON", "/nonexistent/no-such-runtime.json", 1);
  ASSERT_TRUE(window_->startHeadsetView());
  ASSERT_TRUE(until([&] { return message() != nullptr; }, 30000));
  EXPECT_EQ(message()->windowTitle(), "No headset runtime");
  const std::string text = message()->text().toStdString();
  EXPECT_NE(text.find("Monado, SteamVR, Meta Quest Link"), std::string::npos) << text;
  EXPECT_NE(text.find("XR_ERROR_RUNTIME_UNAVAILABLE"), std::string::npos) << text;
  EXPECT_FALSE(link()->running());
  EXPECT_FALSE(window_->findChild<QAction*>("viewInHeadset")->isChecked());
  message()->close();
}

TEST_F(HeadsetViewTest, SaysSoWhenTheRuntimeEndsTheSession) {
  // The test runtime asks the session to exit after 15 frames, as a runtime that stops does.
  setenv("TWINPLAN_XR_TEST_EXIT_AFTER_FRAMES", "15", 1);
  ASSERT_TRUE(window_->startHeadsetView());
  ASSERT_TRUE(until([&] { return message() != nullptr; }, 60000));
  EXPECT_EQ(message()->windowTitle(), "The headset view stopped");
  const std::string text = message()->text().toStdString();
  EXPECT_NE(text.find("ended the session after"), std::string::npos) << text;
  EXPECT_NE(text.find("Start the headset view again"), std::string::npos) << text;
  EXPECT_FALSE(link()->running());
  message()->close();
}

// Issue #20 items 4 and 5: a grab in the headset flows back to the window. Oculus Touch: the
// right hand squeezes from frame 30 and carries the anatomy 10 cm to the viewer's right
// between frames 40 and 60. The headset faces the patient (patient left = viewer's right,
// life size: rendering::placeInFrontOf), so the move is +100 mm along LPS x, no turn.
TEST_F(HeadsetViewTest, AGrabInTheHeadsetMovesTheModelsInTheWindow) {
  QTemporaryDir work;
  ASSERT_TRUE(work.isValid());
  const nlohmann::json script = {
      {"interaction_profile", "/interaction_profiles/oculus/touch_controller"},
      {"right_hand",
       {{{"frame", 40}, {"position_m", {0.2, 1.3, -0.35}}},
        {{"frame", 60}, {"position_m", {0.3, 1.3, -0.35}}}}},
      {"inputs", {{"/user/hand/right/input/squeeze/value", {{{"frame", 30}, {"value", 1.0}}}}}}};
  const QString scriptPath = work.filePath("script.json");
  {
    std::ofstream(scriptPath.toStdString()) << script.dump();
  }
  setenv("TWINPLAN_XR_TEST_SCRIPT", scriptPath.toUtf8().constData(), 1);
  rendering::VolumeView& view = window_->volumeViewport()->view();
  ASSERT_EQ(view.meshCount(), 2u);
  std::vector<std::array<double, 16>> moves;
  QObject::connect(link(), &HeadsetLink::anatomyMoved,
                   [&](const std::array<double, 16>& m) { moves.push_back(m); });
  ASSERT_TRUE(window_->startHeadsetView());
  const auto movedBy = [&](std::size_t mesh) {
    const auto m = view.meshActorMatrix(mesh);
    return Vec3(m[3], m[7], m[11]);
  };
  ASSERT_TRUE(until([&] { return (movedBy(0) - Vec3(100, 0, 0)).norm() < 1e-3; }))
      << "the liver model stands at +" << movedBy(0).transpose() << " mm, not +100 mm along x";
  for (std::size_t mesh = 0; mesh < 2; ++mesh) {
    const auto m = view.meshActorMatrix(mesh);
    const std::array<double, 16> expected{1, 0, 0, 100, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1};
    for (std::size_t i = 0; i < 16; ++i) EXPECT_NEAR(m[i], expected[i], 1e-3) << mesh << ", " << i;
  }
  // The move was carried in steps as the hand went (not only its end), and is the session's.
  EXPECT_GE(moves.size(), 2u);
  EXPECT_LT(moves.front()[3], 100.0 - 1e-3);
  EXPECT_EQ(link()->session()->state().anatomyTransform, view.meshPlacement());
  if (const char* dir = std::getenv("TWINPLAN_SCREENSHOT_DIR")) {  // the window after the grab
    QTest::qWait(300);
    window_->grab().save(QString(dir) + "/headset-grab-moved.png");
  }
  window_->stopHeadsetView();
  EXPECT_EQ(view.meshPlacement()[3], view.meshActorMatrix(0)[3]);  // stays where it was put
}

using test::aimKey;
using test::pressed;

// Issue #20 item 3: the headset's controllers drag the slice plane (the window's crosshair
// follows), measure between the kidney and the liver (a ruler in the case, as the window's
// own) and hide the kidney (its tick in the segment table goes off).
TEST_F(HeadsetViewTest, TheHeadsetsControllersMoveTheSliceMeasureAndHideASegment) {
  QTemporaryDir work;
  ASSERT_TRUE(work.isValid());
  // Models only: with the 3D view's volume rendering the headset would place the image's box.
  auto* volumeShown = window_->findChild<QAction*>("volumeVisible");
  ASSERT_NE(volumeShown, nullptr);
  volumeShown->setChecked(false);
  // Where the headset stands the models (as twinplan-xr-render does at its first frame: the
  // models' bounds in front of the head at (0, 1.6, 0)), so the script can aim at them.
  const Case& twin = window_->currentCase();
  rendering::VolumeView models;
  models.setMeshes(&twin.meshes);
  rendering::BoxLps bounds;
  models.sceneBounds(bounds);
  const rendering::RoomPlacement placement =
      rendering::placeInFrontOf(bounds, Vec3(0, 1.6, 0), Eigen::Quaterniond::Identity());
  const double z0_mm =
      window_->sliceViewport(rendering::SliceOrientation::Axial)->view().crosshair().z();
  // The axial plane the window shares, at the crosshair: the right hand aims at a point of it
  // outside the models (150 mm to the patient's right and front), pulls the trigger (frames
  // 40-60) and rises 3 cm (frames 45-55): 30 mm towards S. It then aims at the liver's centre
  // and clicks (66-68) after the left hand clicked on the kidney's (62-64); the left X (72-74)
  // hides the kidney.
  const Vec3 onPlane = placement * Vec3(-150, -150, z0_mm), liver = placement * Vec3(0, 0, 0),
             kidney = placement * Vec3(150, 0, 0);
  const Vec3 rightHand(0.2, 1.3, -0.35), leftHand(-0.2, 1.3, -0.35), up(0, 0.03, 0);
  const nlohmann::json script = {
      {"interaction_profile", "/interaction_profiles/oculus/touch_controller"},
      {"hand_tracking", false},
      {"right_hand",
       {aimKey(45, rightHand, onPlane), aimKey(55, rightHand + up, onPlane + up),
        aimKey(58, rightHand + up, onPlane + up), aimKey(62, rightHand + up, liver)}},
      {"left_hand", {aimKey(0, leftHand, kidney)}},
      {"inputs",
       {{"/user/hand/right/input/trigger/value",
         {{{"frame", 40}, {"value", 1.0}},
          {{"frame", 60}, {"value", 0.0}},
          {{"frame", 66}, {"value", 1.0}},
          {{"frame", 68}, {"value", 0.0}}}},
        {"/user/hand/left/input/trigger/value", pressed(62, 64)},
        {"/user/hand/left/input/x/click", pressed(72, 74)}}}};
  const QString scriptPath = work.filePath("script.json");
  { std::ofstream(scriptPath.toStdString()) << script.dump(); }
  setenv("TWINPLAN_XR_TEST_SCRIPT", scriptPath.toUtf8().constData(), 1);
  ASSERT_TRUE(window_->startHeadsetView());
  ASSERT_EQ(link()->session()->state().slice.orientation, "axial");

  // The crosshair follows the dragged plane: z0 + 30 mm.
  const auto crosshairZ = [&] {
    return window_->sliceViewport(rendering::SliceOrientation::Axial)->view().crosshair().z();
  };
  ASSERT_TRUE(until([&] { return std::abs(crosshairZ() - (z0_mm + 30.0)) < 1e-3; }))
      << "the crosshair stands at z " << crosshairZ() << " mm, not " << z0_mm + 30.0;
  EXPECT_NEAR(link()->session()->state().slice.position_mm, z0_mm + 30.0, 1e-3);
  // The ruler: from where the left laser enters the kidney (40 mm before its centre) to where
  // the right one enters the liver (100 mm before its centre).
  ASSERT_TRUE(until([&] { return window_->currentCase().measurements.size() == 1; }))
      << "the headset's measurement did not reach the case";
  const Measurement& ruler = window_->currentCase().measurements.front();
  EXPECT_EQ(ruler.kind, Measurement::Kind::Ruler);
  EXPECT_EQ(ruler.name, "Ruler 1");
  const rendering::RoomPlacement toLps = placement.inverse();
  const auto entry = [&](const Vec3& hand, const Vec3& centre_m, double radius_mm) {
    return Vec3(toLps * centre_m - radius_mm * (toLps.linear() * (centre_m - hand)).normalized());
  };
  const Vec3 a = entry(leftHand, kidney, 40.0), b = entry(rightHand + up, liver, 100.0);
  ASSERT_EQ(ruler.points_lps.size(), 2u);
  // The icospheres' flat facets lie up to 0.8 mm (liver) inside the true sphere.
  EXPECT_NEAR((ruler.points_lps[0] - a).norm(), 0.0, 1.5);
  EXPECT_NEAR((ruler.points_lps[1] - b).norm(), 0.0, 1.5);
  EXPECT_NEAR(rulerLength_mm(ruler), (b - a).norm(), 1.5);
  // The kidney hidden: its tick in the segment table is off, and the session's too.
  QTreeWidgetItem* kidneyRow = window_->segmentsPanel()->list()->topLevelItem(1);
  ASSERT_TRUE(until([&] { return kidneyRow->checkState(0) == Qt::Unchecked; }))
      << "the segment table still shows the kidney";
  EXPECT_EQ(link()->session()->state().segmentVisible.at("Kidney"), false);
  EXPECT_EQ(window_->segmentsPanel()->list()->topLevelItem(0)->checkState(0), Qt::Checked);
  std::printf(
      "[ figures ] headset controls in the window: crosshair z %.3f -> %.3f mm; ruler %.2f mm "
      "(ray-sphere %.2f mm); kidney hidden\n",
      z0_mm, crosshairZ(), rulerLength_mm(ruler), (b - a).norm());
  if (const char* dir = std::getenv("TWINPLAN_SCREENSHOT_DIR")) {
    QTest::qWait(500);
    window_->grab().save(QString(dir) + "/headset-controls.png");
  }
}

TEST_F(HeadsetViewTest, TheHeadsetVolumeRendersWhenThe3DViewDoes) {
  // The 3D view opens a CT in the CT bone preset with the volume shown: the headset's eye shows
  // the ball in the preset's bone colours (the preset at 1000 HU is (255, 242, 230), at 300 HU
  // (230, 191, 140)); with the 3D view's Volume button off, none.
  showCase(boneBallCase());
  auto* volumeShown = window_->findChild<QAction*>("volumeVisible");
  ASSERT_NE(volumeShown, nullptr);
  ASSERT_TRUE(volumeShown->isChecked());
  ASSERT_TRUE(window_->startHeadsetView());
  ASSERT_TRUE(until([&] { return link()->mirrorImages() >= 2; }));
  const int withVolume = bonePixels(nextMirror());
  window_->stopHeadsetView();
  volumeShown->setChecked(false);
  ASSERT_TRUE(window_->startHeadsetView());
  ASSERT_TRUE(until([&] { return link()->mirrorImages() >= 2; }));
  const int without = bonePixels(nextMirror());
  std::printf("[ figures ] bone-coloured mirror pixels: %d with the volume, %d without\n",
              withVolume, without);
  EXPECT_GT(withVolume, 100);
  EXPECT_EQ(without, 0);
}

// The test runtime's script: the Nth xrWaitFrame blocks for some seconds (a slow first frame, or
// a headset that hangs). Returns the script's path, which TWINPLAN_XR_TEST_SCRIPT names.
std::string stallScript(const QTemporaryDir& dir, int frame, double seconds) {
  const std::string path = dir.filePath("stall.json").toStdString();
  std::ofstream(path) << R"({"stalls": [{"frame": )" << frame << R"(, "seconds": )" << seconds
                      << "}]}";
  setenv("TWINPLAN_XR_TEST_SCRIPT", path.c_str(), 1);
  return path;
}

TEST_F(HeadsetViewTest, AHeadsetWhoseFirstFrameTakes3sStaysConnected) {
  // The teaching default drops a participant after 2 s of silence; the headset's first frame
  // (shader compilation on a loaded PC without a GPU) took longer and View in headset stopped.
  QTemporaryDir dir;
  stallScript(dir, 1, 3.0);
  QElapsedTimer clock;
  clock.start();
  ASSERT_TRUE(window_->startHeadsetView());
  ASSERT_TRUE(until([&] { return link()->mirrorImages() >= 3; }, 60000));
  EXPECT_GE(clock.elapsed(), 3000);  // the stall happened before the headset's first image
  EXPECT_TRUE(link()->running());
  EXPECT_TRUE(link()->joined());
  EXPECT_TRUE(link()->session()->departures().empty())
      << link()->session()->departures().front();
  EXPECT_EQ(message(), nullptr);
  EXPECT_GT(anatomyPixels(link()->mirror()), 500);
}

TEST_F(HeadsetViewTest, AHeadsetThatGoesSilentAfterJoiningIsDroppedWithAMessage) {
  // Frame 20 hangs for a minute: after the allowance (shortened to 4 s here; 10 s by default)
  // the window stops the headset process and says so, without waiting for it.
  QTemporaryDir dir;
  stallScript(dir, 20, 60.0);
  link()->setSilenceAllowance(4.0);
  ASSERT_TRUE(window_->startHeadsetView());
  ASSERT_TRUE(until([&] { return link()->joined() && link()->mirrorImages() >= 1; }, 60000));
  QElapsedTimer clock;
  clock.start();
  ASSERT_TRUE(until([&] { return message() != nullptr; }, 30000));
  EXPECT_LT(clock.elapsed(), 15000);
  EXPECT_EQ(message()->windowTitle(), "The headset stopped answering");
  const std::string text = message()->text().toStdString();
  EXPECT_NE(text.find("did not answer for 4 s"), std::string::npos) << text;
  EXPECT_NE(text.find("View in headset again"), std::string::npos) << text;
  EXPECT_FALSE(link()->running());
  EXPECT_FALSE(window_->findChild<QAction*>("viewInHeadset")->isChecked());
  message()->close();
}

}  // namespace
}  // namespace twinplan::ui
