// An RT Dose added to the open case in a real window (issue #19 items 1 and 4): written by
// io::writeRtDose in the CT's frame of reference, read back through "Add RT dose", stored
// undoably and drawn with isodose lines at the analytic radii; a dose of another frame of
// reference is refused and leaves the case as it was.
#include <gtest/gtest.h>

#include <QApplication>
#include <QTest>
#include <cmath>
#include <cstdlib>

#include "dose_fixtures.h"
#include "gui_fixtures.h"
#include "rt_gui_fixture.h"
#include "test_support.h"
#include "twinplan/core/case_edit.h"
#include "twinplan/io/dicom_rtdose.h"
#include "twinplan/ui/case_document.h"
#include "twinplan/ui/main_window.h"
#include "twinplan/ui/slice_viewport.h"

namespace twinplan::ui {
namespace {

using rendering::SliceOrientation;

const Vec3& kIsocentre_lps = fixtures::kRtIsocentre_lps;
constexpr double kSigma_mm = fixtures::kRtDoseSigma_mm;
constexpr const char* kFrame = fixtures::kRtFrame;

// 2 Gy x a Gaussian about the isocentre on a 2.5 mm grid with a voxel centre on it: its 50 %
// isodose is the circle r = sigma sqrt(2 ln 2) = 17.66 mm, its 80 % one r = 10.02 mm.
std::filesystem::path writeDose(const std::filesystem::path& folder, const DicomInfo& ct) {
  const ScalarField dose =
      twinplan::test::gaussianDose(fixtures::rtDoseGrid(), kIsocentre_lps, 2.0, kSigma_mm);
  io::RtDoseWriteOptions options;
  options.dicom = ct;
  options.referencedPlanSopInstanceUid = "1.2.826.0.1.3680043.8.498.79";
  const std::filesystem::path file = folder / "RD.dcm";
  io::writeRtDose(dose, file, options);
  return file;
}

class DoseDisplayTest : public fixtures::CaseWindowTest {
 protected:
  void SetUp() override {
    showCase(fixtures::rtPlanningCase(), 0);
    if (HasFatalFailure()) return;
    window_->setCrosshair(kIsocentre_lps);
  }
  twinplan::test::TempDir files_{"twinplan-gui-dose"};
};

TEST_F(DoseDisplayTest, AddedDoseIsShownWithIsodosesAtTheAnalyticRadii) {
  const auto rd = writeDose(files_.path(), window_->currentCase().volumes[0].dicom);
  ASSERT_TRUE(window_->addDose(rd));
  ASSERT_EQ(window_->currentCase().fields.size(), 1u);
  EXPECT_EQ(window_->currentCase().fields[0].name, "Dose (plan)");

  const rendering::SliceView& axial = window_->sliceViewport(SliceOrientation::Axial)->view();
  const auto segments = axial.isolineSegments();
  ASSERT_GT(segments.size(), 60u);
  // Isodoses at 20/50/80/90/95 % of the 2 Gy maximum: r = sigma sqrt(-2 ln f).
  std::vector<double> radii;
  for (double f : {0.2, 0.5, 0.8, 0.9, 0.95})
    radii.push_back(kSigma_mm * std::sqrt(-2 * std::log(f)));
  std::vector<int> near(radii.size(), 0);
  for (const auto& [a, b] : segments)
    for (const Vec3& p : {a, b}) {
      EXPECT_NEAR(p[2], kIsocentre_lps[2], 1e-6);
      const double r = std::hypot(p[0] - kIsocentre_lps[0], p[1] - kIsocentre_lps[1]);
      std::size_t closest = 0;
      for (std::size_t n = 1; n < radii.size(); ++n)
        if (std::abs(r - radii[n]) < std::abs(r - radii[closest])) closest = n;
      // Trilinear interpolation of a Gaussian on a 2.5 mm grid: within 0.4 mm.
      EXPECT_NEAR(r, radii[closest], 0.4) << "isodose point at r = " << r << " mm";
      ++near[closest];
    }
  for (std::size_t n = 0; n < radii.size(); ++n) EXPECT_GT(near[n], 10) << radii[n] << " mm";

  for (SliceOrientation o : {SliceOrientation::Coronal, SliceOrientation::Sagittal})
    EXPECT_GT(window_->sliceViewport(o)->view().isolineSegments().size(), 60u)
        << "no isodoses in view " << static_cast<int>(o);
  screenshot("dose.png");
  // In 3D: the 50 % and 95 % isodose surfaces, spheres of the analytic radii (17.66 and
  // 4.82 mm) within 0.4 mm.
  // They are built off the GUI thread (ui/isosurface_builder.h).
  ASSERT_TRUE(QTest::qWaitFor([&] { return !window_->resultSurfacesPending(); }, 20000));
  const std::vector<SurfaceMesh> surfaces = window_->isodoseSurfaces();
  ASSERT_EQ(surfaces.size(), 2u);
  for (std::size_t n = 0; n < 2; ++n) {
    const double radius = kSigma_mm * std::sqrt(-2 * std::log(n == 0 ? 0.5 : 0.95));
    ASSERT_GT(surfaces[n].triangles.size(), 20u) << surfaces[n].name;
    for (const auto& p : surfaces[n].points_lps)
      EXPECT_NEAR((Vec3(p[0], p[1], p[2]) - kIsocentre_lps).norm(), radius, 0.4)
          << surfaces[n].name;
  }
  // One undo step removes the dose, in 2D and 3D.
  window_->document()->undo();
  EXPECT_TRUE(window_->currentCase().fields.empty());
  EXPECT_TRUE(window_->isodoseSurfaces().empty());
}

TEST_F(DoseDisplayTest, DoseOfAnotherFrameIsRefusedAndTheCaseIsUnchanged) {
  DicomInfo other = window_->currentCase().volumes[0].dicom;
  other.frameOfReferenceUid = "1.2.826.0.1.3680043.8.498.80";
  const auto rd = writeDose(files_.path(), other);
  try {
    window_->addDose(rd);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::InvalidInput);
    EXPECT_NE(std::string(e.what()).find(kFrame), std::string::npos) << e.what();
  }
  EXPECT_TRUE(window_->currentCase().fields.empty());
}

}  // namespace
}  // namespace twinplan::ui
