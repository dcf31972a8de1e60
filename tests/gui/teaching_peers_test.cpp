// Two real windows in a teaching session over loopback (issue #20 item 5): the presenter's
// window shares what its user does - a scroll in a 2D view (its slice), the mouse over a 2D view
// with the Point tool on (its pointer), its measurements (annotations) and its Result chooser -
// and the following participant's window shows the same slice and result and draws the
// presenter's pointer as a red dot at the pixel of the pointed point, and its annotations, in
// its 2D and 3D views. The presenter's 3D view points too: at the surface under the mouse. The
// presenter's crosshair and display window move all three of the participant's 2D views while it
// follows, and only then. With TWINPLAN_SCREENSHOT_DIR set, the participant window is saved there.
#include <gtest/gtest.h>

#include <QApplication>
#include <QCheckBox>
#include <QComboBox>
#include <QElapsedTimer>
#include <QLineEdit>
#include <QMouseEvent>
#include <QTest>
#include <QWheelEvent>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "gui_fixtures.h"
#include "twinplan/rendering/slice_sampler.h"
#include "twinplan/teaching/teaching_session.h"
#include "twinplan/ui/main_window.h"
#include "twinplan/ui/slice_viewport.h"
#include "twinplan/ui/teaching_dialog.h"
#include "twinplan/ui/volume_viewport.h"

namespace twinplan::ui {
namespace {

using rendering::SliceOrientation;

// The doses' peak: a Gaussian of 10 mm sigma at (+-15, 0, 0) mm, between voxel centres in y
// (+-1 mm) and z (+-1.5 mm), so the grid's maximum is 60 exp(-(1 + 2.25) / 200) = 59.03 Gy.
constexpr double kPeak_Gy = 60.0;
const double kGridMaximum_Gy = kPeak_Gy * std::exp(-(1.0 + 2.25) / 200.0);

constexpr double kBallRadius_mm = 20.0;

// A 0 HU CT of 40 x 40 x 20 voxels of 2 x 2 x 3 mm (it reads mid-grey in the soft-tissue
// window) with two results: the pointer's red dot and yellow notes stand out on it.
Case lessonCase() {
  const ImageGeometry g = fixtures::centredGrid({40, 40, 20}, Vec3(2.0, 2.0, 3.0));
  Case twin = fixtures::caseWith(fixtures::ctVolume(g), "Lesson");
  for (const char* name : {"Plan A dose", "Plan B dose"}) {
    ScalarField dose;
    dose.name = name;
    dose.quantity = "dose";
    dose.unit = "Gy";
    dose.geometry = g;
    dose.values.assign(g.voxelCount(), 0.0f);
    const Vec3 centre = name[5] == 'A' ? Vec3(-15, 0, 0) : Vec3(15, 0, 0);
    for (std::int64_t k = 0; k < g.size[2]; ++k)
      for (std::int64_t j = 0; j < g.size[1]; ++j)
        for (std::int64_t i = 0; i < g.size[0]; ++i) {
          const Vec3 p = g.indexToLps(Vec3(double(i), double(j), double(k)));
          dose.values[g.linearIndex(i, j, k)] =
              float(kPeak_Gy * std::exp(-(p - centre).squaredNorm() / (2 * 10.0 * 10.0)));
        }
    twin.fields.push_back(std::move(dose));
  }
  // A 20 mm ball model at the origin for the 3D view's pointer (an icosphere of 1280 faces: its
  // facets lie within 20 (1 - cos 4.8 deg) = 0.07 mm of the sphere).
  SurfaceMesh ball = test::icosphere(Vec3(0, 0, 0), kBallRadius_mm, 3, true);
  ball.name = "Ball";
  twin.meshes.push_back(std::move(ball));
  return twin;
}

class TeachingPeersTest : public fixtures::CaseWindowTest {
 protected:
  void SetUp() override {
    showCase(lessonCase());
    student_ = std::make_unique<MainWindow>(studentAutosave_.path());
    student_->setCase(lessonCase());
    student_->resize(1200, 900);
    student_->show();
    ASSERT_TRUE(QTest::qWaitForWindowExposed(student_.get()));
    QTest::qWait(200);

    // The presenter asks to be followed and starts; the student joins with the code.
    TeachingDialog* teacher = window_->teachingDialog();
    teacher->followPresenterBox()->setChecked(true);
    teacher->codeField()->setText("4829");
    ASSERT_TRUE(teacher->startPresenting()) << teacher->status().toStdString();
    const int port = teacher->status().section(':', 1).section(' ', 0, 0).toInt();
    TeachingDialog* student = student_->teachingDialog();
    student->joinAddressField()->setText(QString("127.0.0.1:%1").arg(port));
    student->joinCodeField()->setText("4829");
    ASSERT_TRUE(student->joinSession());
    ASSERT_TRUE(until([&] { return student->joined() && student->followedState() != nullptr; }))
        << student->status().toStdString();
  }
  void TearDown() override {
    if (student_) student_->document()->markClean();
    fixtures::CaseWindowTest::TearDown();
  }
  // Runs both windows' event loops (their dialogs' 20 ms timers) until `condition` holds.
  template <typename Condition>
  bool until(Condition condition, int timeout_ms = 10000) {
    QElapsedTimer clock;
    clock.start();
    while (!condition() && clock.elapsed() < timeout_ms) QTest::qWait(10);
    return condition();
  }
  SliceViewport* view(MainWindow& w, SliceOrientation o) { return w.sliceViewport(o); }
  // The widget point (logical pixels) at which a view shows an LPS point.
  static QPointF widgetPoint(SliceViewport* viewport, const Vec3& p_lps) {
    double x, y;
    viewport->view().lpsToDisplay(p_lps, x, y);
    const double ratio = viewport->devicePixelRatioF();
    return {(x + 0.5) / ratio, viewport->height() - (y + 0.5) / ratio};
  }
  static void moveMouse(SliceViewport* viewport, const QPointF& at) {
    QMouseEvent move(QEvent::MouseMove, at, viewport->mapToGlobal(at), Qt::NoButton, Qt::NoButton,
                     Qt::NoModifier);
    QApplication::sendEvent(viewport, &move);
  }
  const teaching::SessionState& followed() { return *student_->teachingDialog()->followedState(); }
  static void click(SliceViewport* viewport, const Vec3& p_lps) {
    QTest::mouseClick(viewport, Qt::LeftButton, Qt::NoModifier,
                      widgetPoint(viewport, p_lps).toPoint());
  }
  // The LPS coordinate a view's slice position is measured along: its normal (into the screen).
  static double alongNormal(SliceViewport* viewport, const Vec3& p_lps) {
    Vec3 right, down;
    rendering::screenAxes(viewport->view().orientation(), right, down);
    return p_lps.dot(right.cross(down));
  }

  twinplan::test::TempDir studentAutosave_{"twinplan-gui-autosave-student"};
  std::unique_ptr<MainWindow> student_;
};

bool isPointerRed(const QColor& c) { return c.red() > 200 && c.green() < 90 && c.blue() < 90; }

TEST_F(TeachingPeersTest, PresentersScrollMovesTheParticipantsSlice) {
  SliceViewport* teacherAxial = view(*window_, SliceOrientation::Axial);
  SliceViewport* studentAxial = view(*student_, SliceOrientation::Axial);
  const double start_mm = teacherAxial->view().slicePosition_mm();
  EXPECT_DOUBLE_EQ(studentAxial->view().slicePosition_mm(), start_mm);

  // Three notches of the wheel in the presenter's axial view: three 3 mm slices up.
  const QPointF centre(teacherAxial->width() / 2.0, teacherAxial->height() / 2.0);
  QWheelEvent wheel(centre, teacherAxial->mapToGlobal(centre), QPoint(), QPoint(0, 3 * 120),
                    Qt::NoButton, Qt::NoModifier, Qt::NoScrollPhase, false);
  QElapsedTimer latency;
  latency.start();
  QApplication::sendEvent(teacherAxial, &wheel);
  const double scrolled_mm = teacherAxial->view().slicePosition_mm();
  EXPECT_NEAR(scrolled_mm - start_mm, 9.0, 1e-6);
  EXPECT_EQ(window_->sharedSliceView(), teacherAxial);

  ASSERT_TRUE(until([&] {
    return std::abs(studentAxial->view().slicePosition_mm() - scrolled_mm) < 1e-6;
  })) << "the participant's axial slice stayed at "
      << studentAxial->view().slicePosition_mm() << " mm";
  std::printf(
      "teaching peers: the presenter's scroll moved the participant's slice after %lld ms\n",
      static_cast<long long>(latency.elapsed()));
  EXPECT_EQ(followed().slice, (teaching::SharedSlice{true, "axial", scrolled_mm}));
  // A scroll moves one plane: the participant's other views keep their slices, as the
  // presenter's do.
  EXPECT_DOUBLE_EQ(view(*student_, SliceOrientation::Sagittal)->view().slicePosition_mm(),
                   view(*window_, SliceOrientation::Sagittal)->view().slicePosition_mm());

  // A scroll in the coronal view makes it the shared slice (LPS y, coronal = P).
  SliceViewport* teacherCoronal = view(*window_, SliceOrientation::Coronal);
  QWheelEvent back(centre, teacherCoronal->mapToGlobal(centre), QPoint(), QPoint(0, -2 * 120),
                   Qt::NoButton, Qt::NoModifier, Qt::NoScrollPhase, false);
  QApplication::sendEvent(teacherCoronal, &back);
  const double coronal_mm = teacherCoronal->view().crosshair()[1];
  ASSERT_TRUE(until([&] {
    return std::abs(view(*student_, SliceOrientation::Coronal)->view().crosshair()[1] -
                    coronal_mm) < 1e-6;
  }));
  EXPECT_EQ(followed().slice.orientation, "coronal");
  EXPECT_NEAR(std::abs(coronal_mm - 0.0), 4.0, 1.01);  // two 2 mm slices from the centre
}

TEST_F(TeachingPeersTest, ParticipantDrawsThePresentersPointerAtItsPixel) {
  SliceViewport* teacherAxial = view(*window_, SliceOrientation::Axial);
  SliceViewport* studentAxial = view(*student_, SliceOrientation::Axial);
  const Vec3 pointed(16.0, -10.0, teacherAxial->view().crosshair()[2]);
  ASSERT_FALSE(isPointerRed(fixtures::shownAt(studentAxial, pointed)));

  window_->setTool(Tool::Point);
  QElapsedTimer latency;
  latency.start();
  moveMouse(teacherAxial, widgetPoint(teacherAxial, pointed));
  ASSERT_TRUE(until([&] { return followed().pointer.active; }));
  const qint64 pointerSeen_ms = latency.elapsed();
  // The ray ends at the point under the mouse (within the view's pixel, about 0.2 mm here).
  const teaching::PointerRay& ray = followed().pointer;
  const Vec3 end =
      Vec3(ray.origin_lps[0], ray.origin_lps[1], ray.origin_lps[2]) +
      ray.length_mm * Vec3(ray.direction_lps[0], ray.direction_lps[1], ray.direction_lps[2]);
  EXPECT_LT((end - pointed).norm(), 0.5) << end.transpose();
  EXPECT_EQ(ray.direction_lps, (std::array<double, 3>{0, 0, 1}));  // into the axial screen

  // The participant draws the red dot at that point's pixel of its own axial view, and not
  // 15 mm beside it.
  ASSERT_TRUE(until([&] { return isPointerRed(fixtures::shownAt(studentAxial, end)); }))
      << "no red dot at the pointed pixel";
  const QColor dot = fixtures::shownAt(studentAxial, end);
  std::printf(
      "teaching peers: pointer in the participant's state after %lld ms, its dot drawn after "
      "%lld ms; pointed point off by %.3f mm; the dot's pixel (%d, %d, %d)\n",
      static_cast<long long>(pointerSeen_ms), static_cast<long long>(latency.elapsed()),
      (end - pointed).norm(), dot.red(), dot.green(), dot.blue());
  EXPECT_FALSE(isPointerRed(fixtures::shownAt(studentAxial, end + Vec3(15, 0, 0))));
  EXPECT_FALSE(isPointerRed(fixtures::shownAt(studentAxial, end + Vec3(0, 15, 0))));
  // The presenter's own view draws no dot: its mouse is there.
  EXPECT_FALSE(isPointerRed(fixtures::shownAt(teacherAxial, end)));

  // The 3D view draws the ray and the dot too (the headset's red).
  const auto redPixels = [](const QImage& frame) {
    int count = 0;
    for (int y = 0; y < frame.height(); ++y)
      for (int x = 0; x < frame.width(); ++x)
        if (isPointerRed(QColor(frame.pixel(x, y)))) ++count;
    return count;
  };
  EXPECT_GT(redPixels(student_->volumeViewport()->grabFramebuffer()), 20);
  if (const char* dir = std::getenv("TWINPLAN_SCREENSHOT_DIR")) {
    QTest::qWait(200);
    student_->grab().save(QString(dir) + "/teaching-participant-pointer.png");
  }

  // In the presenter's 3D view the pointer ends on the ball under the mouse: the view's centre
  // looks at the scene's centre, the ball's, from the anterior (+y into the screen).
  VolumeViewport* teacher3D = window_->volumeViewport();
  const QPointF middle(teacher3D->width() / 2.0, teacher3D->height() / 2.0);
  QMouseEvent over3D(QEvent::MouseMove, middle, teacher3D->mapToGlobal(middle), Qt::NoButton,
                     Qt::NoButton, Qt::NoModifier);
  QApplication::sendEvent(teacher3D, &over3D);
  ASSERT_TRUE(until(
      [&] { return followed().pointer.active && followed().pointer.direction_lps[1] > 0.9; }));
  const teaching::PointerRay& laser = followed().pointer;
  const Vec3 onBall = Vec3(laser.origin_lps[0], laser.origin_lps[1], laser.origin_lps[2]) +
                      laser.length_mm * Vec3(laser.direction_lps[0], laser.direction_lps[1],
                                             laser.direction_lps[2]);
  std::printf("teaching peers: 3D pointer ends at (%.2f, %.2f, %.2f) mm, %.3f mm from the ball\n",
              onBall.x(), onBall.y(), onBall.z(), onBall.norm() - kBallRadius_mm);
  EXPECT_NEAR(onBall.norm(), kBallRadius_mm, 0.1);  // on the ball's surface
  EXPECT_LT(onBall.y(), -15.0);                     // its anterior side, facing the viewer

  // The presenter goes back to Navigate: the pointer goes away on both views.
  window_->setTool(Tool::Navigate);
  ASSERT_TRUE(until([&] { return !followed().pointer.active; }));
  ASSERT_TRUE(until([&] { return !isPointerRed(fixtures::shownAt(studentAxial, end)); }));
  EXPECT_EQ(redPixels(student_->volumeViewport()->grabFramebuffer()), 0);
}

TEST_F(TeachingPeersTest, ParticipantShowsAControllersLaserInItsSlices) {
  // A controller's laser (length 0: it ends where it meets the anatomy), as a headset or a
  // lesson file shares it, put in the presenter's session directly.
  teaching::Presenter* session = window_->teachingDialog()->presenter();
  ASSERT_NE(session, nullptr);
  SliceViewport* studentAxial = view(*student_, SliceOrientation::Axial);
  const double z = studentAxial->view().crosshair()[2];
  // Straight down through the axial slices at (-30, -30) mm, 42 mm beside the ball's axis: it
  // meets nothing, so it runs on through the slice; the axial view shows where it passes.
  const Vec3 crossing(-30.0, -30.0, z);
  session->apply(teaching::SetPointer{{true, {-30.0, -30.0, z + 40.0}, {0, 0, -1}, 0.0}});
  ASSERT_TRUE(until([&] { return isPointerRed(fixtures::shownAt(studentAxial, crossing)); }))
      << "no red dot where the laser crosses the axial slice";
  EXPECT_FALSE(isPointerRed(fixtures::shownAt(studentAxial, crossing + Vec3(15, 0, 0))));
  EXPECT_FALSE(isPointerRed(fixtures::shownAt(studentAxial, crossing + Vec3(0, 15, 0))));
  // Aimed at the ball from the front, within the axial slice: it stops on the ball's anterior
  // surface, y = -sqrt(r^2 - z^2), picked in the participant's own 3D scene; the dot is there,
  // not where the ray started nor behind the surface.
  const Vec3 onBall(0.0, -std::sqrt(kBallRadius_mm * kBallRadius_mm - z * z), z);
  session->apply(teaching::SetPointer{{true, {0.0, -150.0, z}, {0, 1, 0}, 0.0}});
  ASSERT_TRUE(until([&] { return isPointerRed(fixtures::shownAt(studentAxial, onBall)); }))
      << "no red dot where the laser meets the ball";
  EXPECT_FALSE(isPointerRed(fixtures::shownAt(studentAxial, crossing)));
  if (const char* dir = std::getenv("TWINPLAN_SCREENSHOT_DIR")) {
    QTest::qWait(200);
    student_->grab().save(QString(dir) + "/teaching-participant-laser.png");
  }
  EXPECT_FALSE(isPointerRed(fixtures::shownAt(studentAxial, onBall + Vec3(0, 15, 0))));
  EXPECT_FALSE(isPointerRed(fixtures::shownAt(studentAxial, onBall - Vec3(0, 15, 0))));
  std::printf(
      "teaching peers: laser crossing at (%.1f, %.1f, %.1f) mm, on the ball at (%.2f, "
      "%.2f, %.2f) mm\n",
      crossing.x(), crossing.y(), crossing.z(), onBall.x(), onBall.y(), onBall.z());
}

TEST_F(TeachingPeersTest, PresentersMeasurementsAndResultReachTheParticipant) {
  // A ruler in the presenter's case: one annotation at its middle with its length.
  Measurement ruler;
  ruler.kind = Measurement::Kind::Ruler;
  ruler.name = "Ruler 1";
  const double z = view(*window_, SliceOrientation::Axial)->view().crosshair()[2];
  ruler.points_lps = {Vec3(-20, 0, z), Vec3(20, 0, z)};
  window_->document()->addMeasurement(ruler);
  ASSERT_TRUE(until([&] { return followed().annotations.size() == 1; }));
  EXPECT_EQ(followed().annotations[0].text, "Ruler 1: 40.0 mm");
  EXPECT_EQ(followed().annotations[0].point_lps, (std::array<double, 3>{0, 0, z}));
  const auto& marks = view(*student_, SliceOrientation::Axial)->view().presenterMarks();
  ASSERT_EQ(marks.annotations.size(), 1u);
  EXPECT_EQ(marks.annotations[0].label, "Ruler 1: 40.0 mm");
  EXPECT_TRUE(student_->currentCase().measurements.empty());  // drawn, not added to its case
  window_->document()->undo();
  ASSERT_TRUE(until([&] { return followed().annotations.empty(); }));

  // The presenter chooses the second result: the participant shows it, with the same levels.
  window_->chooseResult("Plan B dose");
  ASSERT_TRUE(until([&] { return student_->shownResultName() == "Plan B dose"; }));
  const teaching::SharedResult& result = followed().result;
  EXPECT_EQ(result.field, "Plan B dose");
  ASSERT_EQ(result.surfaces.size(), 2u);  // the 50 % and 95 % isodoses of its maximum
  EXPECT_NEAR(result.surfaces[0].level, 0.50 * kGridMaximum_Gy, 1e-3);
  EXPECT_NEAR(result.surfaces[1].level, 0.95 * kGridMaximum_Gy, 1e-3);
  window_->chooseResult("");
  ASSERT_TRUE(until([&] { return student_->shownResultName().empty(); }));
}

// The grey a window/level shows a 0 HU voxel as: DICOM's linear VOI function (PS3.3
// C.11.2.1.2.1) for an 8-bit display, y = ((x - (c - 0.5)) / (w - 1) + 0.5) * 255, clipped.
double greyOfZeroHu(double window, double level) {
  return std::clamp(((0.0 - (level - 0.5)) / (window - 1.0) + 0.5) * 255.0, 0.0, 255.0);
}

TEST_F(TeachingPeersTest, ParticipantsThreeViewsFollowThePresentersCrosshair) {
  const SliceOrientation orientations[] = {SliceOrientation::Axial, SliceOrientation::Coronal,
                                           SliceOrientation::Sagittal};
  SliceViewport* teacherAxial = view(*window_, SliceOrientation::Axial);
  SliceViewport* teacherCoronal = view(*window_, SliceOrientation::Coronal);
  // The presenter clicks twice, as a teacher finds a point: in the axial view at (x, y), then in
  // the coronal view at the point's height z. Only the clicked view's two coordinates move, so
  // the other views' slices move without a scroll (nothing of protocol 5 followed that).
  const Vec3 target(-17.0, 11.0, 13.5);
  QElapsedTimer latency;
  latency.start();
  click(teacherAxial, Vec3(target.x(), target.y(), teacherAxial->view().crosshair().z()));
  const Vec3 afterFirst = teacherAxial->view().crosshair();
  click(teacherCoronal, Vec3(target.x(), afterFirst.y(), target.z()));
  const Vec3 crosshair = teacherAxial->view().crosshair();
  // Within the views' pixel (78 mm across about 400 px here: 0.2 mm).
  ASSERT_LT((crosshair - target).norm(), 1.0) << crosshair.transpose();

  ASSERT_TRUE(until([&] {
    return (view(*student_, SliceOrientation::Axial)->view().crosshair() - crosshair).norm() <
           1e-9;
  })) << "the participant's crosshair stayed at "
      << view(*student_, SliceOrientation::Axial)->view().crosshair().transpose();
  std::printf(
      "teaching peers: the presenter's two clicks moved the participant's crosshair to (%.3f, "
      "%.3f, %.3f) mm after %lld ms\n",
      crosshair.x(), crosshair.y(), crosshair.z(), static_cast<long long>(latency.elapsed()));
  EXPECT_EQ(followed().crosshair,
            (teaching::SharedCrosshair{true, {crosshair.x(), crosshair.y(), crosshair.z()}}));
  // All three views: each slice through the point, at the presenter's slice position.
  for (SliceOrientation o : orientations) {
    SliceViewport* mine = view(*student_, o);
    EXPECT_DOUBLE_EQ(mine->view().slicePosition_mm(), alongNormal(mine, crosshair))
        << rendering::toString(o);
    EXPECT_DOUBLE_EQ(mine->view().slicePosition_mm(), view(*window_, o)->view().slicePosition_mm())
        << rendering::toString(o);
    EXPECT_TRUE(mine->view().onSlice(crosshair)) << rendering::toString(o);
    std::printf("teaching peers: participant's %s slice at %.3f mm (presenter %.3f mm)\n",
                rendering::toString(o), mine->view().slicePosition_mm(),
                view(*window_, o)->view().slicePosition_mm());
  }

  // The presenter chooses the lung window: the participant's 0 HU reads as that window shows it.
  const Vec3 plain(25.0, -25.0, crosshair.z());  // off the crosshair lines and the doses' peaks
  SliceViewport* studentAxial = view(*student_, SliceOrientation::Axial);
  const int softGrey = fixtures::shownAt(studentAxial, plain).green();
  EXPECT_NEAR(softGrey, greyOfZeroHu(400.0, 40.0), 2.0);
  auto* presets = window_->findChild<QComboBox*>("windowPresets");
  ASSERT_NE(presets, nullptr);
  presets->setCurrentIndex(presets->findText("CT lung"));
  ASSERT_TRUE(until([&] { return studentAxial->view().windowLevel().level == -600.0; }));
  EXPECT_EQ(followed().windowLevel, (teaching::SharedWindowLevel{true, 1500.0, -600.0}));
  for (SliceOrientation o : orientations)
    EXPECT_EQ(view(*student_, o)->view().windowLevel().window, 1500.0) << rendering::toString(o);
  QTest::qWait(100);
  const int lungGrey = fixtures::shownAt(studentAxial, plain).green();
  EXPECT_NEAR(lungGrey, greyOfZeroHu(1500.0, -600.0), 2.0);
  std::printf("teaching peers: 0 HU on the participant's axial view: %d (soft tissue, expected "
              "%.1f), %d (lung, expected %.1f)\n",
              softGrey, greyOfZeroHu(400.0, 40.0), lungGrey, greyOfZeroHu(1500.0, -600.0));
  if (const char* dir = std::getenv("TWINPLAN_SCREENSHOT_DIR")) {
    QTest::qWait(200);
    student_->grab().save(QString(dir) + "/teaching-participant-crosshair.png");
    window_->grab().save(QString(dir) + "/teaching-presenter-crosshair.png");
  }

  // Follow off: the participant is free. Its own click stays where it put it while the
  // presenter moves on, and the presenter's window does not change it either.
  TeachingDialog* studentDialog = student_->teachingDialog();
  studentDialog->followPresenterBox()->setChecked(false);
  ASSERT_EQ(studentDialog->followedState(), nullptr);
  const Vec3 ownPoint(20.0, 20.0, studentAxial->view().crosshair().z());
  click(studentAxial, ownPoint);
  const Vec3 own = studentAxial->view().crosshair();
  ASSERT_LT((own - ownPoint).norm(), 1.0);
  const Vec3 elsewhere(-30.0, -30.0, crosshair.z());
  click(teacherAxial, elsewhere);
  presets->setCurrentIndex(presets->findText("CT bone"));
  const Vec3 moved = teacherAxial->view().crosshair();
  ASSERT_GT((moved - crosshair).norm(), 20.0);
  QTest::qWait(500);  // 25 of the dialogs' 20 ms services: the changes have arrived
  EXPECT_EQ(studentAxial->view().crosshair(), own);
  EXPECT_EQ(studentAxial->view().windowLevel().window, 1500.0);
  for (SliceOrientation o : orientations)
    EXPECT_DOUBLE_EQ(view(*student_, o)->view().slicePosition_mm(),
                     alongNormal(view(*student_, o), own))
        << rendering::toString(o);

  // Follow on again: back to the presenter's crosshair and window at once.
  studentDialog->followPresenterBox()->setChecked(true);
  ASSERT_TRUE(until([&] { return (studentAxial->view().crosshair() - moved).norm() < 1e-9; }));
  EXPECT_EQ(studentAxial->view().windowLevel().window, 1800.0);  // the bone window
  EXPECT_EQ(studentAxial->view().windowLevel().level, 400.0);
}

// A participant that joins after the presenter moved its crosshair gets it in its welcome.
TEST_F(TeachingPeersTest, ALateJoinerStartsAtThePresentersCrosshair) {
  TeachingDialog* studentDialog = student_->teachingDialog();
  studentDialog->endSession();
  SliceViewport* teacherAxial = view(*window_, SliceOrientation::Axial);
  SliceViewport* teacherSagittal = view(*window_, SliceOrientation::Sagittal);
  click(teacherAxial, Vec3(12.0, -21.0, teacherAxial->view().crosshair().z()));
  click(teacherSagittal, Vec3(12.0, -21.0, -16.5));  // the sagittal view: y and z
  const Vec3 crosshair = teacherAxial->view().crosshair();
  ASSERT_LT((crosshair - Vec3(12.0, -21.0, -16.5)).norm(), 1.0) << crosshair.transpose();
  QTest::qWait(100);
  SliceViewport* studentAxial = view(*student_, SliceOrientation::Axial);
  ASSERT_GT((studentAxial->view().crosshair() - crosshair).norm(), 10.0);  // not following

  ASSERT_TRUE(studentDialog->joinSession());
  ASSERT_TRUE(until([&] { return studentDialog->followedState() != nullptr; }))
      << studentDialog->status().toStdString();
  EXPECT_EQ(followed().crosshair,
            (teaching::SharedCrosshair{true, {crosshair.x(), crosshair.y(), crosshair.z()}}));
  ASSERT_TRUE(until([&] { return (studentAxial->view().crosshair() - crosshair).norm() < 1e-9; }));
  for (SliceOrientation o :
       {SliceOrientation::Axial, SliceOrientation::Coronal, SliceOrientation::Sagittal})
    EXPECT_DOUBLE_EQ(view(*student_, o)->view().slicePosition_mm(),
                     view(*window_, o)->view().slicePosition_mm())
        << rendering::toString(o);
}

}  // namespace
}  // namespace twinplan::ui
