// Several series in one case in the workstation (issue #15 items 1, 2 and 6): real import of the
// sarcoma study (CT, MR and PET of one patient sharing a frame of reference), "Add to case" and
// undo, PET fused over CT in hot iron checked on the screen's pixels, the view state saved and
// restored, registration states in the Series panel, and removal taking its registration along.
// With TWINPLAN_SCREENSHOT_DIR set, the fused window and the Series panel are saved there.
#include <gtest/gtest.h>

#include <QAction>
#include <QApplication>
#include <QComboBox>
#include <QDropEvent>
#include <QLabel>
#include <QMenuBar>
#include <QMimeData>
#include <QPushButton>
#include <QRegularExpression>
#include <QStandardItemModel>
#include <QStatusBar>
#include <QTest>
#include <QTreeWidget>
#include <QUrl>
#include <cmath>
#include <cstdlib>

#include "gui_fixtures.h"
#include "test_support.h"
#include "twinplan/core/case_edit.h"
#include "twinplan/core/case_file.h"
#include "twinplan/phantom/phantom.h"
#include "twinplan/rendering/colour_maps.h"
#include "twinplan/rendering/volume_view.h"
#include "twinplan/ui/dicom_browser.h"
#include "twinplan/ui/main_window.h"
#include "twinplan/ui/series_panel.h"
#include "twinplan/ui/slice_viewport.h"
#include "twinplan/ui/volume_viewport.h"

namespace twinplan::ui {
namespace {

using rendering::SliceOrientation;
namespace fs = std::filesystem;

const io::DicomSeries* seriesOfModality(const MainWindow& window, const std::string& modality) {
  for (const io::DicomSeries* series : window.dicomBrowser()->index().allSeries())
    if (series->modality == modality && series->kind == io::SeriesKind::Volume) return series;
  return nullptr;
}

// Trilinear interpolation of `volume` at a patient point, written here from the grid alone (not
// the renderer's sampler), as the independent expectation.
double trilinear(const ImageVolume& volume, const Vec3& p_lps) {
  const Vec3 ijk = volume.geometry().lpsToIndex(p_lps);
  const auto& size = volume.geometry().size;
  double sum = 0.0;
  const std::int64_t i0 = static_cast<std::int64_t>(std::floor(ijk[0]));
  const std::int64_t j0 = static_cast<std::int64_t>(std::floor(ijk[1]));
  const std::int64_t k0 = static_cast<std::int64_t>(std::floor(ijk[2]));
  for (int c = 0; c < 8; ++c) {
    const std::int64_t i = i0 + (c & 1), j = j0 + ((c >> 1) & 1), k = k0 + ((c >> 2) & 1);
    const double w = (c & 1 ? ijk[0] - i0 : 1 - (ijk[0] - i0)) *
                     ((c >> 1) & 1 ? ijk[1] - j0 : 1 - (ijk[1] - j0)) *
                     ((c >> 2) & 1 ? ijk[2] - k0 : 1 - (ijk[2] - k0));
    const auto clamp = [](std::int64_t v, std::int64_t n) {
      return std::clamp<std::int64_t>(v, 0, n - 1);
    };
    sum += w * volume.valueAt(clamp(i, size[0]), clamp(j, size[1]), clamp(k, size[2]));
  }
  return sum;
}

// The voxel centre of the largest value of `volume`, in LPS.
Vec3 hottestPoint(const ImageVolume& volume) {
  const auto& size = volume.geometry().size;
  double best = -1e300;
  Vec3 where = Vec3::Zero();
  for (std::int64_t k = 0; k < size[2]; ++k)
    for (std::int64_t j = 0; j < size[1]; ++j)
      for (std::int64_t i = 0; i < size[0]; ++i)
        if (volume.valueAt(i, j, k) > best) {
          best = volume.valueAt(i, j, k);
          where = volume.geometry().indexToLps(Vec3(double(i), double(j), double(k)));
        }
  return where;
}

using fixtures::shownAt;

void saveScreenshot(QWidget& widget, const char* name) {
  const char* dir = std::getenv("TWINPLAN_SCREENSHOT_DIR");
  if (!dir) return;
  const VtkViewport::RenderAllNow everyView;
  widget.grab().save(QString::fromStdString((fs::path(dir) / name).string()), "PNG");
}

// The window with its drop handler reachable (a synthetic QDropEvent is not routed by
// QApplication without a drag in progress).
class DropTarget : public MainWindow {
 public:
  using MainWindow::dropEvent;
  using MainWindow::MainWindow;
};

class SeriesInTheUi : public ::testing::Test {
 protected:
  void SetUp() override {
    window_.resize(1500, 950);
    window_.show();
    ASSERT_TRUE(QTest::qWaitForWindowExposed(&window_));
    ASSERT_TRUE(window_.importDicom(test::sharedData("sarcoma-ct-mr-pet/dicom")));
    ct_ = seriesOfModality(window_, "CT");
    pet_ = seriesOfModality(window_, "PT");
    mr_ = seriesOfModality(window_, "MR");
    ASSERT_TRUE(ct_ && pet_ && mr_);
    ASSERT_TRUE(window_.loadSeries(*ct_));
  }
  test::TempDir autosave_{"series-autosave"};
  DropTarget window_{autosave_.path()};
  const io::DicomSeries* ct_ = nullptr;
  const io::DicomSeries* pet_ = nullptr;
  const io::DicomSeries* mr_ = nullptr;
};

TEST_F(SeriesInTheUi, AddToCaseFromTheBrowserAndUndo) {
  const std::string ctUid = ct_->seriesInstanceUid, petUid = pet_->seriesInstanceUid;
  DicomBrowser* browser = window_.dicomBrowser();
  EXPECT_EQ(browser->caseSeries(), std::set<std::string>{ctUid});
  EXPECT_EQ(browser->selectedSeries(), ctUid);  // opening a case selects its series

  // A second import adds to the list instead of replacing it.
  const std::size_t listed = browser->index().allSeries().size();
  ASSERT_TRUE(window_.importDicom(test::sharedData("seg-dcmqi/ct")));
  EXPECT_EQ(browser->index().allSeries().size(), listed + 1);
  pet_ = seriesOfModality(window_, "PT");  // the index was rebuilt

  ASSERT_TRUE(browser->selectSeries(petUid));
  auto* add = browser->findChild<QPushButton*>("addToCase");
  ASSERT_NE(add, nullptr);
  ASSERT_TRUE(add->isEnabled());
  QTest::mouseClick(add, Qt::LeftButton);
  const Case& twin = window_.currentCase();
  ASSERT_EQ(twin.volumes.size(), 2u);
  EXPECT_EQ(twin.volumes[1].name, "PT");
  EXPECT_EQ(twin.volumes[1].unit, "SUVbw");
  EXPECT_EQ(twin.series.size(), 2u);
  EXPECT_EQ(browser->caseSeries(), (std::set<std::string>{ctUid, petUid}));
  auto* table = window_.seriesPanel()->findChild<QTreeWidget*>("seriesTable");
  ASSERT_EQ(table->topLevelItemCount(), 2);
  EXPECT_EQ(table->topLevelItem(1)->text(1), "same frame as CT");

  window_.document()->undo();
  EXPECT_EQ(window_.currentCase().volumes.size(), 1u);
  EXPECT_EQ(browser->caseSeries(), std::set<std::string>{ctUid});
  EXPECT_EQ(table->topLevelItemCount(), 1);
  // The views still show the CT (re-pointed after the edit), on one of its slices.
  EXPECT_EQ(window_.backgroundSeries(), "CT");
  const double z = window_.sliceViewport(SliceOrientation::Axial)->view().crosshair()[2];
  EXPECT_GT(z, -881.4);
  EXPECT_LT(z, -881.3 + 58 * 3.28);
  window_.document()->redo();
  EXPECT_EQ(window_.currentCase().volumes.size(), 2u);
}

TEST_F(SeriesInTheUi, PetFusedInHotIronShowsItsColourAndTheStateSurvivesSaveAndOpen) {
  ASSERT_TRUE(window_.addSeriesToCase(*pet_, false));
  const ImageVolume& pet = window_.currentCase().volumes.at(1);
  const Vec3 hot = hottestPoint(pet);
  window_.setCrosshair(hot);
  auto* axial = window_.sliceViewport(SliceOrientation::Axial);
  // Read the screen beside the crosshair lines (2.5 mm diagonally off the hot spot, in the
  // axial plane), not on them.
  const Vec3 probe = hot + Vec3(2.5, 2.5, 0.0);
  QTest::qWait(50);
  const QColor before = shownAt(axial, probe);
  EXPECT_LE(std::abs(before.red() - before.blue()), 2) << "the CT alone is grey";

  window_.setForegroundSeries("PT");
  ASSERT_EQ(window_.fusionSettings().foreground, "PT");
  FusionSettings fusion = window_.fusionSettings();
  fusion.colourMap = "hot-iron";
  fusion.opacity = 1.0;  // the pixel is the PET's colour alone
  window_.setFusion(fusion);
  // A window from SUV 0 that puts the probe's uptake at 60 % of the scale, in the ramp of hot
  // iron (its red rises first, then green, then blue: PS3.6 B.1.1).
  const double suvProbe = trilinear(pet, probe);
  ASSERT_GT(suvProbe, 1.0) << "the probe must be in the uptake";
  const rendering::WindowLevel window{suvProbe / 0.6, suvProbe / 0.6 / 2.0};
  window_.setForegroundWindow(window);
  QTest::qWait(50);
  const QColor fused = shownAt(axial, probe);
  // The patient point the probe's screen pixel shows, and the PET there by our own trilinear
  // interpolation; LINEAR_EXACT windowing (PS3.3 C.11.2.1.3.2) from SUV 0.
  Vec3 p_lps;
  double x, y;
  axial->view().lpsToDisplay(probe, x, y);
  ASSERT_TRUE(axial->view().displayToLps(static_cast<int>(std::lround(x)),
                                         static_cast<int>(std::lround(y)), p_lps));
  const double t = std::clamp(trilinear(pet, p_lps) / window.window, 0.0, 1.0);
  const RgbColour expected = rendering::colourOf(rendering::ColourMap::HotIron, t);
  // Tolerance: the screen interpolates between the slice's samples (CT pixels of 0.98 mm) and
  // the PET's 4.7 mm voxels change fast around a hot spot. Measured: (255, 59, 0) shown for
  // (255, 54, 0) expected at t = 0.609 (SUV 20.1 at the probe).
  EXPECT_NEAR(fused.red(), expected.r, 12) << "t = " << t;
  EXPECT_NEAR(fused.green(), expected.g, 12) << "t = " << t;
  EXPECT_NEAR(fused.blue(), expected.b, 12) << "t = " << t;
  EXPECT_GT(fused.red() - fused.blue(), 80) << "not hot iron";
  // The status bar reads the PET at the cursor too (trilinear through its transform).
  emit axial->cursorMoved(probe, true);
  QString readout;
  for (auto* label : window_.statusBar()->findChildren<QLabel*>())
    if (label->text().contains("SUVbw")) readout = label->text();
  const QRegularExpressionMatch petValue = QRegularExpression("PT ([0-9.]+) SUVbw").match(readout);
  ASSERT_TRUE(petValue.hasMatch()) << readout.toStdString();
  EXPECT_NEAR(petValue.captured(1).toDouble(), suvProbe, 0.006) << readout.toStdString();
  emit axial->cursorMoved(probe, false);  // the cursor left the view: the readout clears
  // As a reader would look at it: half opacity, SUV 0-5 (the preset a PET opens in).
  const rendering::WindowLevel suv0to5 = rendering::suvWindowPresets().front().window;
  fusion.opacity = 0.5;
  window_.setFusion(fusion);
  window_.setForegroundWindow(suv0to5);
  window_.setCrosshair(hot);
  saveScreenshot(window_, "fusion-pet-ct.png");
  saveScreenshot(*window_.seriesPanel(), "series-panel.png");

  // Leave the views in a state worth restoring, then save.
  window_.setLayout(Layout::OnePlusThree);
  window_.setWindowLevel({350.0, 50.0});
  fusion.opacity = 0.6;
  fusion.mode = "checkerboard";
  fusion.slab = "mip";
  fusion.slabThickness_mm = 12.0;
  window_.setFusion(fusion);
  const Vec3 crosshair = hot + Vec3(3.0, -4.0, 0.0);
  window_.setCrosshair(crosshair);
  axial->view().zoom(2.0);
  // The autosave copy carries the view state too (a crash loses no view).
  ASSERT_TRUE(window_.autosaveNow());
  EXPECT_EQ(loadCase(autosave_.path() / "autosave.twinplan").viewState.at("layout"), "1+3");
  test::TempDir dir;
  ASSERT_TRUE(window_.saveCaseAs(dir / "sarcoma.twinplan"));

  // What is on disk, read by the case reader (not the window).
  const Case saved = loadCase(dir / "sarcoma.twinplan");
  EXPECT_EQ(saved.viewState.at("layout"), "1+3");
  EXPECT_EQ(saved.viewState.at("fusion").at("foreground"), "PT");
  EXPECT_EQ(saved.viewState.at("fusion").at("colourMap"), "hot-iron");
  EXPECT_DOUBLE_EQ(saved.viewState.at("windows").at("CT").at("window").get<double>(), 350.0);
  EXPECT_NEAR(saved.viewState.at("views").at("axial").at("zoom").get<double>(), 2.0, 1e-9);

  test::TempDir autosave2("series-autosave-2");
  MainWindow reopened(autosave2.path());
  reopened.resize(1500, 950);
  reopened.show();
  ASSERT_TRUE(QTest::qWaitForWindowExposed(&reopened));
  reopened.openCase(dir / "sarcoma.twinplan");
  QTest::qWait(200);
  auto* axial2 = reopened.sliceViewport(SliceOrientation::Axial);
  auto* coronal2 = reopened.sliceViewport(SliceOrientation::Coronal);
  EXPECT_GT(axial2->width(), 2 * coronal2->width()) << "1+3: the axial view is the large one";
  int checkedLayouts = 0;
  for (QAction* action : reopened.menuBar()->findChildren<QAction*>())
    if (action->isCheckable() && action->shortcut() == QKeySequence("Ctrl+3")) {
      EXPECT_TRUE(action->isChecked()) << "View menu shows 1+3";
      ++checkedLayouts;
    }
  EXPECT_EQ(checkedLayouts, 1);
  EXPECT_LT((axial2->view().crosshair() - crosshair).norm(), 1e-9);
  EXPECT_DOUBLE_EQ(axial2->view().windowLevel().window, 350.0);
  EXPECT_DOUBLE_EQ(axial2->view().windowLevel().level, 50.0);
  ASSERT_TRUE(axial2->view().hasForeground());
  EXPECT_EQ(axial2->view().foreground().volume->name, "PT");
  EXPECT_EQ(axial2->view().foreground().colourMap, rendering::ColourMap::HotIron);
  EXPECT_DOUBLE_EQ(axial2->view().foreground().opacity, 0.6);
  EXPECT_DOUBLE_EQ(axial2->view().foreground().window.window, suv0to5.window);
  EXPECT_DOUBLE_EQ(axial2->view().foreground().window.level, suv0to5.level);
  EXPECT_EQ(axial2->view().fusionMode(), rendering::FusionMode::Checkerboard);
  EXPECT_EQ(axial2->view().slabMode(), rendering::SlabMode::Mip);
  EXPECT_DOUBLE_EQ(axial2->view().slabThickness_mm(), 12.0);
  EXPECT_NEAR(reopened.viewState().cameras.at("axial").zoom, 2.0, 1e-6);
}

TEST_F(SeriesInTheUi, PetAsBackgroundOpensTheThreeDViewInAPetPreset) {
  ASSERT_TRUE(window_.addSeriesToCase(*pet_, false));
  ASSERT_TRUE(window_.addSeriesToCase(*mr_, false));
  window_.setBackgroundSeries("PT");
  EXPECT_EQ(window_.volumeViewport()->view().preset(),
            rendering::defaultPresetFor(window_.currentCase().volumes[1]));
  EXPECT_EQ(window_.volumeViewport()->view().preset(), rendering::VolumePreset::PetMipInvertedGrey);
  EXPECT_EQ(window_.sliceViewport(SliceOrientation::Axial)->view().windowLevel().window, 5.0)
      << "PET opens in SUV 0-5";
  window_.setBackgroundSeries("MR");
  EXPECT_EQ(window_.volumeViewport()->view().preset(), rendering::VolumePreset::Mr);
}

TEST_F(SeriesInTheUi, DroppingAFolderOnAnOpenCaseAddsTheSamePatientsSeries) {
  QMimeData data;
  data.setUrls({QUrl::fromLocalFile(
      QString::fromStdString(test::sharedData("sarcoma-ct-mr-pet/dicom/STS_001/MR_T1").string()))});
  QDropEvent drop(QPointF(700, 400), Qt::CopyAction, &data, Qt::LeftButton, Qt::NoModifier);
  window_.dropEvent(&drop);
  EXPECT_TRUE(window_.statusBar()->currentMessage().startsWith("Added to the case: MR"))
      << window_.statusBar()->currentMessage().toStdString();
  ASSERT_EQ(window_.currentCase().volumes.size(), 2u);
  EXPECT_EQ(window_.currentCase().volumes[1].name, "MR");

  // Another patient's series is refused (not forced): the case is unchanged.
  ASSERT_TRUE(window_.importDicom(test::sharedData("seg-dcmqi/ct")));
  const io::DicomSeries* other = nullptr;
  for (const io::DicomSeries* s : window_.dicomBrowser()->index().allSeries())
    if (s->modality == "CT" && s->instances.size() == 3) other = s;
  ASSERT_NE(other, nullptr);
  EXPECT_THROW(window_.addSeriesToCase(*other, false), Error);
  EXPECT_EQ(window_.currentCase().volumes.size(), 2u);
}

// The saved form: what a case file holds, and what the window does with an old or a damaged one.
TEST(ViewStateJson, RoundTripDefaultsAndClearRefusals) {
  ViewState state;
  state.layout = "1+3";
  state.crosshair_lps = Vec3(1.5, -2.0, -700.25);
  state.background = "CT";
  state.windows["PT"] = {5.0, 2.5};
  state.cameras["axial"] = {2.0, 10.0, -4.5};
  state.fusion.foreground = "PT";
  state.fusion.mode = "flicker";
  const ViewState back = viewStateFromJson(viewStateJson(state));
  EXPECT_EQ(back.layout, "1+3");
  EXPECT_EQ(*back.crosshair_lps, *state.crosshair_lps);
  EXPECT_EQ(back.cameras, state.cameras);
  EXPECT_EQ(back.fusion, state.fusion);
  EXPECT_DOUBLE_EQ(back.windows.at("PT").level, 2.5);
  // An older or partial state: what is missing keeps its default.
  const ViewState partial = viewStateFromJson({{"layout", "1up"}});
  EXPECT_EQ(partial.layout, "1up");
  EXPECT_FALSE(partial.crosshair_lps);
  EXPECT_EQ(partial.fusion, FusionSettings{});
  for (const nlohmann::json& bad :
       {nlohmann::json{{"layout", "9up"}}, nlohmann::json{{"fusion", {{"colourMap", "plaid"}}}},
        nlohmann::json{{"fusion", {{"opacity", 3}}}}, nlohmann::json{{"crosshair_lps", "here"}},
        nlohmann::json{{"views", {{"axial", {{"zoom", 0}}}}}}}) {
    try {
      viewStateFromJson(bad);
      ADD_FAILURE() << "accepted " << bad.dump();
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::Corrupt) << bad.dump();
      EXPECT_NE(std::string(e.what()).find("view state"), std::string::npos) << e.what();
    }
  }
}

TEST(ViewStateInTheWindow, ACaseWithoutOrWithABadViewStateOpensWithDefaultViews) {
  phantom::PhantomOptions options;
  options.kind = phantom::PhantomKind::Head;
  options.scale = 0.25;
  options.surfaceModels = false;
  Case twin = phantom::makePhantom(options).twin;
  test::TempDir dir;
  saveCase(twin, dir / "old.twinplan");  // no viewState, as every case saved before it
  twin.viewState = {{"layout", "9up"}};
  saveCase(twin, dir / "bad.twinplan");
  for (const char* name : {"old.twinplan", "bad.twinplan"}) {
    test::TempDir autosave("series-autosave-4");
    MainWindow window(autosave.path());
    window.resize(1200, 800);
    window.show();
    ASSERT_TRUE(QTest::qWaitForWindowExposed(&window));
    window.openCase(dir / name);
    EXPECT_EQ(window.currentCase().volumes.size(), 2u) << name;
    EXPECT_EQ(window.backgroundSeries(), "CT") << name;
    EXPECT_EQ(window.viewState().layout, "4up") << name;
    EXPECT_TRUE(window.fusionSettings().foreground.empty()) << name;
    EXPECT_TRUE(window.volumeViewport()->isVisible()) << name;
  }
}

// A series of another frame of reference: warned about, not fused, until a registration maps
// it; removing it takes its registration along (and undo brings both back).
TEST(SeriesRegistrationState, UnregisteredIsNotFusedAndRemovalTakesTheRegistration) {
  phantom::PhantomOptions options;
  options.kind = phantom::PhantomKind::Head;
  options.scale = 0.25;
  options.surfaceModels = false;
  Case twin = phantom::makePhantom(options).twin;
  ASSERT_EQ(twin.volumes.size(), 2u);
  const std::string mrName = twin.volumes[1].name;
  twin.volumes[1].dicom.frameOfReferenceUid = "1.2.826.0.1.3680043.2.1125.77";
  test::TempDir autosave("series-autosave-3");
  MainWindow window(autosave.path());
  window.resize(1300, 900);
  window.show();
  ASSERT_TRUE(QTest::qWaitForWindowExposed(&window));
  window.setCase(twin);
  auto* table = window.seriesPanel()->findChild<QTreeWidget*>("seriesTable");
  ASSERT_EQ(table->topLevelItemCount(), 2);
  EXPECT_EQ(table->topLevelItem(1)->text(1), "not registered");
  auto* foreground = window.seriesPanel()->findChild<QComboBox*>("foregroundSeries");
  auto* model = qobject_cast<QStandardItemModel*>(foreground->model());
  ASSERT_EQ(foreground->count(), 2);  // None, MR
  EXPECT_FALSE(model->item(1)->isEnabled());
  window.setForegroundSeries(mrName);
  EXPECT_EQ(window.fusionSettings().foreground, "");
  EXPECT_FALSE(window.sliceViewport(SliceOrientation::Axial)->view().hasForeground());

  Registration rigid;
  rigid.fixedVolume = "CT";
  rigid.movingVolume = mrName;
  rigid.method = "rigid";
  rigid.transform = SpatialTransform::rigid(Mat3::Identity(), Vec3(2.0, 0.0, 0.0));
  window.document()->apply(edits::setRegistration(window.currentCase(), rigid));
  EXPECT_EQ(table->topLevelItem(1)->text(1), "registered (rigid)");
  window.setForegroundSeries(mrName);
  EXPECT_EQ(window.fusionSettings().foreground, mrName);
  ASSERT_TRUE(window.sliceViewport(SliceOrientation::Axial)->view().hasForeground());
  EXPECT_LT((window.sliceViewport(SliceOrientation::Axial)
                 ->view()
                 .foreground()
                 .backgroundToLayer.translation_mm -
             Vec3(2.0, 0.0, 0.0))
                .norm(),
            1e-12);

  window.removeSeriesFromCase(1);
  EXPECT_EQ(window.currentCase().volumes.size(), 1u);
  EXPECT_TRUE(window.currentCase().registrations.empty());
  EXPECT_FALSE(window.sliceViewport(SliceOrientation::Axial)->view().hasForeground());
  EXPECT_EQ(table->topLevelItemCount(), 1);
  window.document()->undo();
  EXPECT_EQ(window.currentCase().volumes.size(), 2u);
  EXPECT_EQ(window.currentCase().registrations.size(), 1u);
}

}  // namespace
}  // namespace twinplan::ui
