// The sample case in a real window: each view shows the phantom's anatomy where its ground
// truth says it is, with the grey levels window/level predicts.
#include <gtest/gtest.h>

#include <QApplication>
#include <QTest>
#include <cmath>

#include "twinplan/phantom/phantom.h"
#include "twinplan/ui/main_window.h"
#include "twinplan/ui/slice_viewport.h"
#include "twinplan/ui/vtk_viewport.h"

namespace twinplan::ui {
namespace {

using rendering::SliceOrientation;

class PhantomViews : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { phantom_ = new phantom::Phantom(phantom::makePhantom({})); }
  static void TearDownTestSuite() { delete phantom_; }

  void SetUp() override {
    window_ = std::make_unique<MainWindow>();
    window_->setCase(phantom_->twin);
    window_->resize(1300, 1000);
    window_->show();
    ASSERT_TRUE(QTest::qWaitForWindowExposed(window_.get()));
    // Pixels must show the image alone: no segment fill, outline or crosshair near the probes.
    for (auto o : {SliceOrientation::Axial, SliceOrientation::Coronal, SliceOrientation::Sagittal})
      window_->sliceViewport(o)->view().setSegmentDisplay(0.0, false);
    window_->setWindowLevel({400, 40});
  }

  int greyAt(SliceOrientation orientation, const Vec3& p_lps) {
    SliceViewport* viewport = window_->sliceViewport(orientation);
    const QImage frame = viewport->grabFramebuffer();
    double x, y;
    viewport->view().lpsToDisplay(p_lps, x, y);
    return qGray(frame.pixel(static_cast<int>(std::lround(x)),
                             frame.height() - 1 - static_cast<int>(std::lround(y))));
  }

  double nominalHu(const std::string& segment) const {
    for (const auto& tissue : phantom_->tissues)
      if (tissue.segment == segment) return tissue.ct_HU;
    ADD_FAILURE() << "no tissue truth for " << segment;
    return 0;
  }

  // A voxel of `segment` on the given axial plane at least `margin_mm` inside it and 20-45 mm
  // from `near_lps`, found from the true labelmap.
  Vec3 insideSegment(const std::string& segment, const Vec3& near_lps, double margin_mm) const {
    const LabelMap& truth = phantom_->twin.labelMaps.front();
    const Segment& s = truth.segments()[*truth.findSegment(segment)];
    const ImageGeometry& g = truth.geometry();
    const auto& labels = truth.layer(s.layer);
    auto isIn = [&](const Vec3& p) {
      const Vec3 ijk = g.lpsToIndex(p);
      if (!g.contains(ijk)) return false;
      return labels[g.linearIndex(std::lround(ijk[0]), std::lround(ijk[1]), std::lround(ijk[2]))] ==
             s.value;
    };
    for (double r = 20; r <= 45; r += 1)
      for (double a = 0; a < 360; a += 10) {
        const Vec3 p = near_lps + r * Vec3(std::cos(a * M_PI / 180), std::sin(a * M_PI / 180), 0);
        bool deep = isIn(p);
        for (const Vec3& d : {Vec3(1, 0, 0), Vec3(-1, 0, 0), Vec3(0, 1, 0), Vec3(0, -1, 0),
                              Vec3(0, 0, 1), Vec3(0, 0, -1)})
          deep = deep && isIn(p + margin_mm * d);
        if (deep) return p;
      }
    ADD_FAILURE() << "no voxel deep inside " << segment;
    return near_lps;
  }

  static phantom::Phantom* phantom_;
  std::unique_ptr<MainWindow> window_;
};

phantom::Phantom* PhantomViews::phantom_ = nullptr;

// Display grey of a tissue of `hu` under window 400 / level 40; tolerance covers the noise
// (SD 8 HU = 5 grey levels, averaged by interpolation) and the window's rounding.
int expectedGrey(double hu) { return rendering::displayGrey(hu, {400, 40}); }

TEST_F(PhantomViews, TumoursAreHypodenseInTheLiver) {
  for (const phantom::TumourTruth& tumour : phantom_->tumours) {
    SCOPED_TRACE(tumour.name);
    const Vec3 centre = tumour.centre_lps;
    const Vec3 liver = insideSegment("Liver", centre, 6.0);
    // The axial plane through the centre; the crosshair lines 6 mm off so they miss the probes.
    window_->setCrosshair(Vec3(centre[0] + 6, centre[1] + 6, centre[2]));
    // Axial: the plane passes through the tumour centre (S) and through `liver` (same S).
    EXPECT_NEAR(greyAt(SliceOrientation::Axial, centre), expectedGrey(nominalHu(tumour.name)), 12);
    EXPECT_NEAR(greyAt(SliceOrientation::Axial, liver), expectedGrey(nominalHu("Liver")), 12);
    EXPECT_LT(greyAt(SliceOrientation::Axial, centre) + 10, greyAt(SliceOrientation::Axial, liver));
  }
}

TEST_F(PhantomViews, CoronalAndSagittalShowTheTumourAtItsCentre) {
  const phantom::TumourTruth& big = phantom_->tumours.back();
  const Vec3 c = big.centre_lps;
  // Coronal plane through c (P = c.y); sagittal through c (L = c.x); the crosshair sits
  // 6 mm off in-plane so its lines miss the probe.
  window_->setCrosshair(c + Vec3(0, 0, 6));
  EXPECT_NEAR(greyAt(SliceOrientation::Coronal, c + Vec3(6, 0, 0)),
              expectedGrey(nominalHu(big.name)), 12);
  EXPECT_NEAR(greyAt(SliceOrientation::Sagittal, c + Vec3(0, 6, 0)),
              expectedGrey(nominalHu(big.name)), 12);
}

}  // namespace
}  // namespace twinplan::ui
