// The 3D view's pick in the main window (session 14): the surface point under a pixel of the 3D
// view, wherever the view sits in the window and whatever its size. A 20 mm ball model at the
// origin is seen from the front; the point expected under a pixel is the ray's first crossing of
// the sphere, the ray worked out from the view's own projection (VolumeView::lpsToDisplay), not
// from VTK's picker. Session 13 saw the pick at the view's centre land on the ball's far side
// once a toolbar row above the views made the view 394 px high: with an even height the
// centre's ray runs along the ball's equator, on its triangles' edges.
#include <gtest/gtest.h>

#include <QApplication>
#include <QLabel>
#include <QTest>
#include <QToolBar>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <optional>

#include "gui_fixtures.h"
#include "test_support.h"
#include "twinplan/ui/main_window.h"
#include "twinplan/ui/volume_viewport.h"

namespace twinplan::ui {
namespace {

constexpr double kBallRadius_mm = 20.0;

// A 0 HU CT (transparent in the default 3D preset) and the ball: an icosphere of 1280 faces
// whose facets lie within 20 (1 - cos 4.8 deg) = 0.07 mm of the sphere.
Case ballCase() {
  const ImageGeometry g = fixtures::centredGrid({40, 40, 20}, Vec3(2.0, 2.0, 3.0));
  Case twin = fixtures::caseWith(fixtures::ctVolume(g), "Ball");
  SurfaceMesh ball = test::icosphere(Vec3::Zero(), kBallRadius_mm, 3, true);
  ball.name = "Ball";
  twin.meshes.push_back(std::move(ball));
  return twin;
}

// The first crossing of the sphere by the ray through a display point (device pixels, origin
// bottom-left), from the near to the far clipping plane of the view's projection.
std::optional<Vec3> sphereUnder(VolumeViewport& view, const QPoint& display) {
  const QSize size_px = (QSizeF(view.size()) * view.devicePixelRatioF()).toSize();
  const Eigen::Matrix4d toWorld =
      view.view().lpsToDisplay(size_px.width(), size_px.height()).inverse();
  const auto unproject = [&](double depth) {
    const Eigen::Vector4d p = toWorld * Eigen::Vector4d(display.x(), display.y(), depth, 1.0);
    return Vec3(p.head<3>() / p.w());
  };
  const Vec3 near = unproject(-1.0);
  const Vec3 direction = (unproject(1.0) - near).normalized();
  // |near + s d|^2 = r^2, the smaller root.
  const double b = near.dot(direction);
  const double discriminant = b * b - (near.squaredNorm() - kBallRadius_mm * kBallRadius_mm);
  if (discriminant < 0.0) return std::nullopt;
  return Vec3(near + (-b - std::sqrt(discriminant)) * direction);
}

class VolumePickTest : public fixtures::CaseWindowTest {
 protected:
  void SetUp() override { showCase(ballCase()); }
  // Resizes the window and lets the layout settle (the views' sizes follow in later events).
  void resizeWindow(int height) {
    window_->resize(1200, height);
    QTest::qWait(30);
  }
  // Picks at the view's centre pixel and at 8 pixels around it (5 % of the view's height away)
  // and checks each against the sphere; returns whether the centre's ray went through the focal
  // point's row (an even height: the case session 13 missed).
  bool picksLandOnTheNearSide(const char* place) {
    VolumeViewport* view = window_->volumeViewport();
    const QPoint centre(view->width() / 2, view->height() / 2);
    const int step = view->height() / 20;
    for (int dx = -1; dx <= 1; ++dx)
      for (int dy = -1; dy <= 1; ++dy) {
        const QPoint at = centre + QPoint(dx * step, dy * step);
        const auto expected = sphereUnder(*view, view->toVtkDisplay(at));
        const auto pick = view->pickSurface(at);
        EXPECT_TRUE(expected.has_value()) << place << ": pixel off the ball";
        if (!expected) continue;
        EXPECT_TRUE(pick.has_value()) << place << ": nothing picked at the ball";
        if (!pick) continue;
        worstOff_mm_ = std::max(worstOff_mm_, (pick->p_lps - *expected).norm());
        EXPECT_LT((pick->p_lps - *expected).norm(), 0.5)
            << place << ", view " << view->width() << " x " << view->height() << " at "
            << view->mapTo(window_.get(), QPoint()).y() << " px, pixel (" << at.x() << ", "
            << at.y() << "): picked " << pick->p_lps.transpose() << ", expected "
            << expected->transpose();
        EXPECT_LT(pick->p_lps.y(), 0.0) << place << ": the ball's far side";
      }
    return view->height() % 2 == 0;
  }
  double worstOff_mm_ = 0.0;  // the farthest pick from its expected point
};

TEST_F(VolumePickTest, PickFindsTheNearSurfaceWhereverTheViewSits) {
  VolumeViewport* view = window_->volumeViewport();
  const int plainTop = view->mapTo(window_.get(), QPoint()).y();
  int evenHeights = 0;
  // Four window heights in a row give the view both parities of height in each place.
  for (int height = 900; height < 904; ++height) {
    resizeWindow(height);
    evenHeights += picksLandOnTheNearSide("4-up");
  }
  // A toolbar row above the views (as the Result chooser's own row) moves the view down.
  window_->addToolBarBreak();
  QToolBar* row = window_->addToolBar("Extra row");
  row->addWidget(new QLabel("A toolbar row above the views", row));
  QTest::qWait(50);
  const int shiftedTop = view->mapTo(window_.get(), QPoint()).y();
  EXPECT_GT(shiftedTop, plainTop + 10) << "the view did not move";
  for (int height = 900; height < 904; ++height) {
    resizeWindow(height);
    evenHeights += picksLandOnTheNearSide("4-up under a toolbar row");
  }
  // 1+3: the 3D view small, bottom right.
  window_->setLayout(Layout::OnePlusThree);
  QTest::qWait(50);
  EXPECT_GT(view->mapTo(window_.get(), QPoint()).y(), shiftedTop + 100);
  for (int height = 900; height < 904; ++height) {
    resizeWindow(height);
    evenHeights += picksLandOnTheNearSide("1+3 under a toolbar row");
  }
  std::printf(
      "volume pick: 108 picks in 12 view sizes, %d of them of even height (the centre's ray on "
      "the ball's equator); the farthest %.3f mm from the sphere's crossing\n",
      evenHeights, worstOff_mm_);
  EXPECT_GT(evenHeights, 0) << "no view size put the centre's ray on the equator";
}

}  // namespace
}  // namespace twinplan::ui
