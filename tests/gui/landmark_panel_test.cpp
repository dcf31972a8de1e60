// Landmark registration in the workstation (issue #15 item 3, GUI): the head phantom CT and the
// same CT moved by a known rigid motion (another frame of reference) in one case. Landmarks are
// placed by clicking known phantom points in the axial view - the views switch to the series
// being placed on - and "Register by landmarks" gives the motion back; the residuals and the
// leave-one-out TRE equal an independent numpy computation on the saved landmark file; markers
// are drawn numbered where they lie, dragged, deleted and renamed; too few or collinear pairs
// are refused; the pairs survive saving and reopening the case. With TWINPLAN_SCREENSHOT_DIR
// set, the window and the panel with points placed are saved there.
#include "twinplan/ui/landmark_panel.h"

#include <gtest/gtest.h>

#include <QApplication>
#include <QDockWidget>
#include <QLabel>
#include <QPushButton>
#include <QStatusBar>
#include <QTableWidget>
#include <QTest>
#include <QTreeWidget>
#include <cmath>
#include <fstream>

#include "registration_fixture.h"
#include "test_support.h"
#include "twinplan/core/error.h"
#include "twinplan/registration/landmarks.h"
#include "twinplan/ui/main_window.h"
#include "twinplan/ui/slice_viewport.h"
#include "twinplan/ui/vtk_viewport.h"

namespace twinplan::ui {
namespace {

namespace fs = std::filesystem;
using rendering::SliceOrientation;
using Side = LandmarkPanel::Side;

// An independent computation of the fit's errors: Kabsch's SVD solution with numpy (Arun,
// Huang & Blostein, IEEE TPAMI 9(5):698-700, 1987, with the reflection fix), the residual of
// each pair under the fit of all, and each pair's error under the fit of the others.
constexpr const char* kNumpyLeaveOneOut = R"(
import json, sys
import numpy as np
pairs = json.load(open(sys.argv[1]))["pairs"]
F = np.array([p["fixed_lps"] for p in pairs], dtype=float)
M = np.array([p["moving_lps"] for p in pairs], dtype=float)
def fit(F, M):
    cf, cm = F.mean(axis=0), M.mean(axis=0)
    U, S, Vt = np.linalg.svd((F - cf).T @ (M - cm))
    D = np.diag([1.0, 1.0, np.sign(np.linalg.det(Vt.T @ U.T))])
    R = Vt.T @ D @ U.T
    return R, cm - R @ cf
R, t = fit(F, M)
fre = np.linalg.norm(F @ R.T + t - M, axis=1)
loo = []
for i in range(len(F)):
    keep = [j for j in range(len(F)) if j != i]
    Ri, ti = fit(F[keep], M[keep])
    loo.append(float(np.linalg.norm(Ri @ F[i] + ti - M[i])))
print(json.dumps({"fre": fre.tolist(), "loo": loo}))
)";

void saveScreenshot(QWidget& widget, const char* name) {
  const char* dir = std::getenv("TWINPLAN_SCREENSHOT_DIR");
  if (!dir) return;
  const VtkViewport::RenderAllNow everyView;
  widget.grab().save(QString::fromStdString((fs::path(dir) / name).string()), "PNG");
}

QTreeWidgetItem* rowOf(QTreeWidget& table, const QString& name) {
  for (int r = 0; r < table.topLevelItemCount(); ++r)
    if (table.topLevelItem(r)->text(0) == name) return table.topLevelItem(r);
  return nullptr;
}

class LandmarksInTheUi : public ::testing::Test {
 protected:
  void SetUp() override {
    static const phantom::Phantom head = test::headPhantom(0.5);  // 112x112x48, 2x2x4 mm
    Case twin = head.twin;
    std::erase_if(twin.volumes, [](const ImageVolume& v) { return v.name != "CT"; });
    twin.labelMaps.clear();
    ImageVolume& ct = twin.volumes.front();
    ct.dicom.frameOfReferenceUid = "1.2.826.0.1.3680043.8.498.2001";
    ImageVolume moved = test::movedRigidly(ct, truth_, "CT moved");
    moved.dicom.frameOfReferenceUid = "1.2.826.0.1.3680043.8.498.2002";
    twin.volumes.push_back(std::move(moved));
    grid_ = ct.geometry();
    corners_ = test::boxCorners(grid_);
    // Six voxel centres spread over the head (not in one plane): the anatomy at p in the CT is
    // at truth(p) in the moved copy (registration_fixture.h).
    for (const Vec3& ijk : {Vec3(30, 56, 12), Vec3(82, 50, 14), Vec3(56, 24, 24), Vec3(52, 88, 30),
                            Vec3(60, 60, 40), Vec3(40, 72, 20)})
      fixedPoints_.push_back(grid_.indexToLps(ijk));
    window_ = std::make_unique<MainWindow>(autosave_.path());
    window_->resize(1600, 1000);
    window_->show();
    ASSERT_TRUE(QTest::qWaitForWindowExposed(window_.get()));
    window_->setCase(std::move(twin));
    panel_ = window_->landmarkPanel();
    ASSERT_NE(panel_, nullptr);
    auto* dock = window_->findChild<QDockWidget*>("landmarkDock");
    dock->raise();
    // Wide enough for the whole table, as a user drags the dock when placing.
    window_->resizeDocks({dock}, {500}, Qt::Horizontal);
    table_ = panel_->findChild<QTableWidget*>("landmarkTable");
    ASSERT_NE(table_, nullptr);
  }
  void TearDown() override { window_->document()->markClean(); }

  SliceViewport* axial() const { return window_->sliceViewport(SliceOrientation::Axial); }

  QPoint widgetPoint(SliceViewport* viewport, const Vec3& p_lps) const {
    double x, y;
    viewport->view().lpsToDisplay(p_lps, x, y);
    const double ratio = viewport->devicePixelRatioF();
    return QPoint(static_cast<int>(std::lround(x / ratio)),
                  static_cast<int>(std::lround(viewport->height() - y / ratio)));
  }

  // As a user does: the axial slice moved through p, then a click on p in the axial view.
  void clickLandmark(const Vec3& p_lps) {
    window_->setCrosshair(p_lps);
    axial()->setFocus(Qt::OtherFocusReason);
    QTest::qWait(20);
    QTest::mouseClick(axial(), Qt::LeftButton, Qt::NoModifier, widgetPoint(axial(), p_lps));
  }

  // Every pair placed by clicks: all fixed points, then all moving points.
  void placeAllByClicks() {
    QTest::mouseClick(panel_->findChild<QPushButton*>("placeOnFixed"), Qt::LeftButton);
    EXPECT_EQ(window_->backgroundSeries(), "CT");
    for (const Vec3& p : fixedPoints_) clickLandmark(p);
    QTest::mouseClick(panel_->findChild<QPushButton*>("placeOnMoving"), Qt::LeftButton);
    EXPECT_EQ(window_->backgroundSeries(), "CT moved") << "the views show the series placed on";
    for (const Vec3& p : fixedPoints_) clickLandmark(truth_.apply(p));
  }

  // Pairs set through the panel's own API (tests of what happens after placing).
  void placeDirectly(const std::vector<Vec3>& fixed, const std::vector<Vec3>& moving) {
    panel_->setPlacing(Side::Fixed);
    for (const Vec3& p : fixed) panel_->placePoint(p);
    panel_->setPlacing(Side::Moving);
    for (const Vec3& p : moving) panel_->placePoint(p);
    panel_->setPlacing({});
  }

  const SpatialTransform truth_ = test::knownRigidMotion();
  ImageGeometry grid_;
  std::vector<Vec3> corners_, fixedPoints_;
  test::TempDir autosave_{"twinplan-landmarks-autosave"};
  std::unique_ptr<MainWindow> window_;
  LandmarkPanel* panel_ = nullptr;
  QTableWidget* table_ = nullptr;
};

TEST_F(LandmarksInTheUi, ClickedLandmarksOnAKnownMotionGiveItBackWithinHalfAMillimetre) {
  // One large axial view, as a reader places landmarks: a screen pixel is ~0.25 mm.
  window_->setLayout(Layout::OneUp);
  QTest::qWait(100);
  placeAllByClicks();
  const LandmarkSession& session = panel_->session();
  ASSERT_EQ(session.pairs.size(), fixedPoints_.size());
  double worstPick_mm = 0.0;
  for (std::size_t n = 0; n < fixedPoints_.size(); ++n) {
    ASSERT_TRUE(session.pairs[n].fixed_lps && session.pairs[n].moving_lps) << "pair " << n;
    worstPick_mm = std::max(worstPick_mm, (*session.pairs[n].fixed_lps - fixedPoints_[n]).norm());
    worstPick_mm = std::max(worstPick_mm,
                            (*session.pairs[n].moving_lps - truth_.apply(fixedPoints_[n])).norm());
  }
  EXPECT_LT(worstPick_mm, 0.5) << "a click lands within a screen pixel of the point";
  EXPECT_EQ(table_->rowCount(), 6);
  EXPECT_EQ(table_->item(0, LandmarkPanel::kName)->text(), "Landmark 1");
  // The moving series' ring of the last pair is drawn, numbered, on the slice through it.
  const Vec3 last = truth_.apply(fixedPoints_.back());
  double x, y;
  axial()->view().lpsToDisplay(last, x, y);
  EXPECT_EQ(axial()->view().landmarkAt(x, y, 2.0), std::optional<std::size_t>(5));
  {
    const VtkViewport::RenderAllNow render;
    bool numbered = false;
    for (const auto& box : axial()->view().textBoxes()) numbered |= box.text == "6";
    EXPECT_TRUE(numbered) << "the ring's number is drawn beside it";
  }
  saveScreenshot(*window_, "landmarks-window.png");
  saveScreenshot(*window_->findChild<QDockWidget*>("landmarkDock"), "landmarks-panel.png");

  auto* registerButton = panel_->findChild<QPushButton*>("registerByLandmarks");
  ASSERT_TRUE(registerButton->isEnabled());
  QTest::mouseClick(registerButton, Qt::LeftButton);
  EXPECT_FALSE(panel_->placing()) << "registering ends placing";
  ASSERT_EQ(window_->currentCase().registrations.size(), 1u);
  const Registration stored = window_->currentCase().registrations.front();
  EXPECT_EQ(stored.method, "landmark");
  EXPECT_EQ(stored.fixedVolume, "CT");
  EXPECT_EQ(stored.movingVolume, "CT moved");
  const double cornerError_mm = test::maxDisagreement_mm(stored.transform, truth_, corners_);
  const double angleError_deg =
      test::rotationDifference_deg(stored.transform.matrix, truth_.matrix);
  EXPECT_LT(cornerError_mm, 0.5);
  EXPECT_LT(angleError_deg, 0.5);
  std::cout << "Landmarks clicked in the GUI: worst click " << worstPick_mm
            << " mm; registration corner error " << cornerError_mm << " mm, " << angleError_deg
            << " deg; residual mean " << stored.quality.at("fre_mean_mm") << " mm, TRE (LOO) mean "
            << stored.quality.at("tre_mm") << " mm, max " << stored.quality.at("tre_max_mm")
            << " mm\n";
  // Fused at once over the fixed series; the Series panel says how and how well.
  EXPECT_EQ(window_->backgroundSeries(), "CT");
  EXPECT_EQ(window_->fusionSettings().foreground, "CT moved");
  auto* seriesTable = window_->findChild<QTreeWidget*>("seriesTable");
  const QString alignment = rowOf(*seriesTable, "CT moved")->text(1);
  EXPECT_TRUE(alignment.startsWith("registered (landmark) · ")) << alignment.toStdString();
  EXPECT_TRUE(alignment.contains(
      QString("TRE %1 mm").arg(stored.quality.at("tre_mm").get<double>(), 0, 'f', 2)))
      << alignment.toStdString();

  window_->document()->undo();
  EXPECT_TRUE(window_->currentCase().registrations.empty());
}

TEST_F(LandmarksInTheUi, ResidualsAndLeaveOneOutTreEqualNumpyOnTheSavedFileAfterADrag) {
  std::vector<Vec3> moving;
  for (const Vec3& p : fixedPoints_) moving.push_back(truth_.apply(p));
  placeDirectly(fixedPoints_, moving);
  // Drag the moving ring of pair 3 about 8 mm to the right in the axial view: a misplaced
  // landmark, which its leave-one-out error shows.
  window_->setBackgroundSeries("CT moved");
  window_->setCrosshair(moving[2]);
  QTest::qWait(20);
  const QPoint from = widgetPoint(axial(), moving[2]);
  // Pixels per mm of the view: measured from two known points rather than assumed.
  const QPoint tenMmRight = widgetPoint(axial(), moving[2] + Vec3(-10, 0, 0));  // R is screen left
  const double pixelsPerMm = std::abs(tenMmRight.x() - from.x()) / 10.0;
  const QPoint target = from + QPoint(static_cast<int>(std::lround(8.0 * pixelsPerMm)), 0);
  QTest::mousePress(axial(), Qt::LeftButton, Qt::NoModifier, from);
  QTest::mouseMove(axial(), from + QPoint(3, 0));
  QTest::mouseMove(axial(), target);
  QTest::mouseRelease(axial(), Qt::LeftButton, Qt::NoModifier, target);
  const Vec3 dragged = *panel_->session().pairs[2].moving_lps;
  // Exactly the point under the release (the view's own pixel -> LPS), 8 mm from where it was
  // to within the rounding of the two mouse positions to whole pixels.
  const double ratio = axial()->devicePixelRatioF();
  Vec3 released;
  ASSERT_TRUE(axial()->view().displayToLps(
      static_cast<int>(target.x() * ratio),
      static_cast<int>((axial()->height() - target.y()) * ratio), released));
  EXPECT_LT((dragged - released).norm(), 1e-9) << "the ring followed the drag";
  EXPECT_NEAR((dragged - moving[2]).norm(), 8.0, 1.5 / pixelsPerMm);
  EXPECT_NEAR(dragged[2], moving[2][2], 1e-6) << "a drag stays on the slice";

  test::TempDir dir("twinplan-landmark-file");
  window_->setPathChooser([&](const QString&, const QString&, bool save) {
    EXPECT_TRUE(save);
    return dir / "pairs.json";
  });
  ASSERT_TRUE(window_->saveLandmarks());
  std::ofstream(dir / "loo.py") << kNumpyLeaveOneOut;
  const auto result = test::runCommand("/usr/bin/python3 " + (dir / "loo.py").string() + " " +
                                       (dir / "pairs.json").string());
  ASSERT_EQ(result.status, 0) << result.output;
  const auto numpy = nlohmann::json::parse(result.output);
  const LandmarkQuality& quality = panel_->quality();
  ASSERT_TRUE(quality.valid);
  double worstLoo = 0.0;
  for (std::size_t n = 0; n < 6; ++n) {
    EXPECT_NEAR(*quality.residual_mm[n], numpy["fre"][n].get<double>(), 1e-6) << "pair " << n;
    EXPECT_NEAR(*quality.leaveOneOut_mm[n], numpy["loo"][n].get<double>(), 1e-6) << "pair " << n;
    worstLoo = std::max(worstLoo, *quality.leaveOneOut_mm[n]);
    // The table shows them to 0.01 mm.
    EXPECT_EQ(table_->item(static_cast<int>(n), LandmarkPanel::kLeaveOneOut)->text(),
              QString::number(*quality.leaveOneOut_mm[n], 'f', 2));
  }
  EXPECT_EQ(worstLoo, *quality.leaveOneOut_mm[2]) << "the dragged pair is the worst";
  EXPECT_GT(worstLoo, 5.0);
  // The registration carries the same figures (made here through the Register dialog's
  // "landmark" method, which takes the panel's pairs).
  ASSERT_TRUE(window_->registerSeries("CT", "CT moved", "landmark"));
  ASSERT_EQ(window_->currentCase().registrations.size(), 1u);
  const Registration& stored = window_->currentCase().registrations.front();
  for (std::size_t n = 0; n < 6; ++n)
    EXPECT_NEAR(stored.quality.at("tre_per_pair_mm")[n].get<double>(),
                numpy["loo"][n].get<double>(), 1e-6);
  auto* summary = panel_->findChild<QLabel*>("landmarkQuality");
  EXPECT_TRUE(summary->text().contains("leave-one-out")) << summary->text().toStdString();
}

TEST_F(LandmarksInTheUi, TooFewOrCollinearPairsAreRefusedAndPairsCanBeRenamedAndDeleted) {
  auto* registerButton = panel_->findChild<QPushButton*>("registerByLandmarks");
  const Vec3 a = fixedPoints_[0], b = fixedPoints_[1];
  placeDirectly({a, b}, {truth_.apply(a), truth_.apply(b)});
  EXPECT_FALSE(registerButton->isEnabled());
  try {
    window_->registerByLandmarks(panel_->session());
    FAIL() << "two pairs were registered";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::InvalidInput);
    EXPECT_NE(std::string(e.what()).find("at least 3 pairs"), std::string::npos) << e.what();
  }
  // A third pair on the line through the first two.
  const Vec3 c = a + 0.5 * (b - a);
  placeDirectly({c}, {truth_.apply(c)});
  EXPECT_EQ(panel_->session().pairs.size(), 3u);
  EXPECT_FALSE(registerButton->isEnabled());
  EXPECT_THROW(window_->registerByLandmarks(panel_->session()), Error);
  EXPECT_TRUE(window_->currentCase().registrations.empty());
  // A series onto itself.
  LandmarkSession self = panel_->session();
  self.moving = self.fixed;
  EXPECT_THROW(window_->registerByLandmarks(self), Error);
  // The Register dialog's "landmark" method takes the panel's pairs, for the panel's pair only.
  EXPECT_THROW(window_->registerSeries("CT moved", "CT", "landmark"), Error);

  // The Delete key on a Moving cell forgets that point only; the pair stays, incomplete.
  table_->setFocus();
  table_->setCurrentCell(0, LandmarkPanel::kMoving);
  QTest::keyClick(table_, Qt::Key_Delete);
  ASSERT_EQ(panel_->session().pairs.size(), 3u);
  EXPECT_FALSE(panel_->session().pairs[0].moving_lps);
  EXPECT_TRUE(panel_->session().pairs[0].fixed_lps);
  EXPECT_EQ(table_->item(0, LandmarkPanel::kMoving)->text(), "—");
  // Rename by editing the name cell; delete the selected pair.
  table_->item(1, LandmarkPanel::kName)->setText("nasion");
  EXPECT_EQ(panel_->session().pairs[1].name, "nasion");
  panel_->selectPair(2);
  QTest::mouseClick(panel_->findChild<QPushButton*>("deleteLandmark"), Qt::LeftButton);
  ASSERT_EQ(panel_->session().pairs.size(), 2u);
  EXPECT_EQ(table_->rowCount(), 2);
  EXPECT_EQ(table_->item(1, LandmarkPanel::kName)->text(), "nasion");
}

TEST_F(LandmarksInTheUi, PairsSurviveSavingAndReopeningAndLoadFromALandmarkFile) {
  // Two complete pairs and a half-placed third.
  placeDirectly({fixedPoints_[0], fixedPoints_[1], fixedPoints_[2]},
                {truth_.apply(fixedPoints_[0]), truth_.apply(fixedPoints_[1])});
  panel_->renamePair(0, "left orbit");
  const LandmarkSession placed = panel_->session();
  ASSERT_FALSE(placed.pairs[2].moving_lps);
  EXPECT_TRUE(window_->document()->isModified()) << "placing landmarks is worth saving";
  test::TempDir dir("twinplan-landmark-case");
  ASSERT_TRUE(window_->saveCaseAs(dir / "landmarks.twinplan"));

  MainWindow reopened(autosave_.path());
  reopened.resize(1200, 900);
  reopened.show();
  ASSERT_TRUE(QTest::qWaitForWindowExposed(&reopened));
  reopened.openCase(dir / "landmarks.twinplan");
  EXPECT_EQ(reopened.landmarkPanel()->session(), placed);
  // The fixed series is the background: its rings are drawn where they lie.
  SliceViewport* view = reopened.sliceViewport(SliceOrientation::Axial);
  reopened.setCrosshair(fixedPoints_[1]);
  double x, y;
  view->view().lpsToDisplay(fixedPoints_[1], x, y);
  EXPECT_EQ(view->view().landmarkAt(x, y, 2.0), std::optional<std::size_t>(1));
  reopened.document()->markClean();

  // A landmark file (as twinplan-cli register --landmarks reads) replaces the pairs.
  std::vector<registration::LandmarkPair> fromFile;
  for (std::size_t n = 3; n < 6; ++n)
    fromFile.push_back(
        {"file " + std::to_string(n), fixedPoints_[n], truth_.apply(fixedPoints_[n])});
  registration::writeLandmarkFile(dir / "pairs.json", fromFile);
  window_->setPathChooser([&](const QString&, const QString&, bool) { return dir / "pairs.json"; });
  ASSERT_TRUE(window_->loadLandmarks());
  ASSERT_EQ(panel_->session().pairs.size(), 3u);
  EXPECT_EQ(panel_->session().pairs[0].name, "file 3");
  EXPECT_EQ(*panel_->session().pairs[2].moving_lps, truth_.apply(fixedPoints_[5]));
  EXPECT_TRUE(panel_->quality().valid);
  // A damaged file: a clear error, the pairs unchanged.
  std::ofstream(dir / "bad.json") << R"({"pairs": [{"fixed_lps": [1, 2]}]})";
  window_->setPathChooser([&](const QString&, const QString&, bool) { return dir / "bad.json"; });
  EXPECT_THROW(window_->loadLandmarks(), Error);
  EXPECT_EQ(panel_->session().pairs.size(), 3u);
}

// The view state's "landmarks" member: written only when there is something, read back equal
// (half-placed pairs included), and a damaged one refused naming the member.
TEST(LandmarkViewState, RoundTripAndClearRefusals) {
  EXPECT_FALSE(viewStateJson(ViewState{}).contains("landmarks"));
  ViewState state;
  state.landmarks.fixed = "CT";
  state.landmarks.moving = "MR";
  state.landmarks.pairs = {{"nasion", Vec3(1.0 / 3.0, -90.25, 10), Vec3(0.5, -88, 11)},
                           {"half", Vec3(4, 5, 6), std::nullopt}};
  const nlohmann::json j = viewStateJson(state);
  EXPECT_FALSE(j["landmarks"]["pairs"][1].contains("moving_lps"));
  EXPECT_EQ(viewStateFromJson(j).landmarks, state.landmarks);
  for (const nlohmann::json& bad :
       {nlohmann::json{{"landmarks", "CT"}}, nlohmann::json{{"landmarks", {{"pairs", 3}}}},
        nlohmann::json{{"landmarks", {{"pairs", {{{"fixed_lps", {1, 2}}}}}}}}}) {
    try {
      viewStateFromJson(bad);
      ADD_FAILURE() << "accepted " << bad.dump();
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::Corrupt) << bad.dump();
      EXPECT_NE(std::string(e.what()).find("landmarks"), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace twinplan::ui
