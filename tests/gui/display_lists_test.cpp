// The 3D models and segments lists in a real window: what the user changes there
// (visibility, opacity, colour) reaches the views and the case, is undoable (one slider drag =
// one step), and survives save -> reopen.
#include <gtest/gtest.h>

#include <QAction>
#include <QSlider>
#include <QTest>
#include <QTreeWidget>
#include <cmath>

#include "gui_fixtures.h"
#include "test_support.h"
#include "twinplan/segmentation/mesh_metrics.h"
#include "twinplan/ui/case_document.h"
#include "twinplan/ui/display_list_panel.h"
#include "twinplan/ui/main_window.h"
#include "twinplan/ui/slice_viewport.h"
#include "twinplan/ui/volume_viewport.h"

namespace twinplan::ui {
namespace {

// The 40 x 40 x 20 CT (2 x 2 x 3 mm) of the segment tests, a see-through "Liver" model and a
// hidden "Tumour" model, and two segments: a 20 mm cube ("Cyst") in the middle slices, and an
// empty one.
Case twoModelCase() {
  const ImageGeometry g = fixtures::centredGrid({40, 40, 20}, Vec3(2.0, 2.0, 3.0));
  Case twin = fixtures::caseWith(fixtures::ctVolume(g), "Two models");
  SurfaceMesh liver = test::icosphere(Vec3(0, 0, 0), 30.0, 3, true);
  liver.name = "Liver";
  liver.colour = {190, 110, 90};
  liver.opacity = 0.5f;
  SurfaceMesh tumour = test::icosphere(Vec3(5, 0, 0), 8.0, 2, true);
  tumour.name = "Tumour";
  tumour.colour = {240, 200, 40};
  tumour.visible = false;
  twin.meshes = {liver, tumour};
  LabelMap labels(g);
  labels.segments() = {{"Cyst", "fluid", {60, 120, 250}, 0, 1, true, false},
                       {"Empty", "", {250, 250, 0}, 0, 2, true, false}};
  fixtures::fillBox(labels, {15, 15, 8}, {24, 24, 11}, 1);
  twin.labelMaps.push_back(std::move(labels));
  return twin;
}

class DisplayListsTest : public fixtures::CaseWindowTest {
 protected:
  void SetUp() override {
    showCase(twoModelCase());
    if (HasFatalFailure()) return;
    panel_ = window_->modelsPanel();
    view_ = &window_->volumeViewport()->view();
    ASSERT_EQ(view_->meshCount(), 2u);
  }

  QTreeWidgetItem* row(int index) { return panel_->list()->topLevelItem(index); }
  const SurfaceMesh& mesh(int index) { return window_->currentCase().meshes[index]; }

  DisplayListPanel* panel_ = nullptr;
  rendering::VolumeView* view_ = nullptr;
};

TEST_F(DisplayListsTest, ListsEveryModelAsTheCaseShowsIt) {
  ASSERT_EQ(panel_->list()->topLevelItemCount(), 2);
  EXPECT_EQ(row(0)->text(0), "Liver");
  EXPECT_EQ(row(0)->checkState(0), Qt::Checked);
  EXPECT_EQ(panel_->opacitySlider(0)->value(), 50);
  EXPECT_EQ(row(1)->text(0), "Tumour");
  EXPECT_EQ(row(1)->checkState(0), Qt::Unchecked);
  EXPECT_EQ(panel_->opacitySlider(1)->value(), 100);
  // The 3D view shows them the same way.
  EXPECT_TRUE(view_->meshVisible(0));
  EXPECT_FALSE(view_->meshVisible(1));
  EXPECT_DOUBLE_EQ(view_->meshOpacity(0), 0.5);
}

TEST_F(DisplayListsTest, TickingShowsTheModelAndUndoHidesItAgain) {
  row(1)->setCheckState(0, Qt::Checked);  // what a click on the box does
  EXPECT_TRUE(mesh(1).visible);
  EXPECT_TRUE(view_->meshVisible(1));
  EXPECT_TRUE(window_->document()->isModified());
  window_->document()->undo();
  EXPECT_FALSE(mesh(1).visible);
  EXPECT_FALSE(view_->meshVisible(1));
  EXPECT_EQ(row(1)->checkState(0), Qt::Unchecked);
  window_->document()->redo();
  EXPECT_TRUE(view_->meshVisible(1));
  EXPECT_EQ(row(1)->checkState(0), Qt::Checked);
}

TEST_F(DisplayListsTest, OneSliderDragIsOneUndoStep) {
  QSlider* slider = panel_->opacitySlider(0);
  CaseEditor& history = window_->document()->editor();
  const std::size_t before = history.historySize();
  slider->setSliderDown(true);
  for (int value : {45, 38, 30, 20}) slider->setValue(value);
  slider->setSliderDown(false);
  EXPECT_EQ(history.historySize(), before + 1);
  EXPECT_FLOAT_EQ(mesh(0).opacity, 0.20f);
  EXPECT_DOUBLE_EQ(view_->meshOpacity(0), 0.20f);
  // A second drag is a step of its own.
  slider->setSliderDown(true);
  slider->setValue(70);
  slider->setSliderDown(false);
  EXPECT_EQ(history.historySize(), before + 2);
  history.undo();
  EXPECT_FLOAT_EQ(mesh(0).opacity, 0.20f);
  history.undo();
  EXPECT_FLOAT_EQ(mesh(0).opacity, 0.5f);
  EXPECT_EQ(slider->value(), 50);
  EXPECT_DOUBLE_EQ(view_->meshOpacity(0), 0.5);
}

TEST_F(DisplayListsTest, HidingTheVolumeLeavesTheModels) {
  auto* showVolume = window_->findChild<QAction*>("volumeVisible");
  ASSERT_NE(showVolume, nullptr);
  EXPECT_TRUE(view_->volumeVisible());
  showVolume->trigger();
  EXPECT_FALSE(view_->volumeVisible());
  EXPECT_TRUE(view_->meshVisible(0));
  // The 3D view still draws the liver: its centre is not the background.
  const QImage frame = window_->volumeViewport()->grabFramebuffer();
  const QColor centre = frame.pixelColor(frame.width() / 2, frame.height() / 2);
  EXPECT_GT(centre.red(), centre.blue() + 20) << "the liver's reddish colour";
  showVolume->trigger();
  EXPECT_TRUE(view_->volumeVisible());
}

TEST_F(DisplayListsTest, HidingASegmentShowsTheImageUnderIt) {
  DisplayListPanel* segments = window_->segmentsPanel();
  ASSERT_EQ(segments->list()->topLevelItemCount(), 2);
  EXPECT_EQ(segments->list()->topLevelItem(0)->text(0), "Cyst");
  EXPECT_EQ(segments->opacitySlider(0), nullptr);  // segments share the toolbar's fill opacity
  window_->setWindowLevel({400, 40});
  window_->setCrosshair(Vec3(-9, -9, 0));  // the axial slice through the cyst, lines off-centre
  SliceViewport* axial = window_->sliceViewport(rendering::SliceOrientation::Axial);
  auto centreColour = [&] {
    const QImage frame = axial->grabFramebuffer();
    double x, y;
    axial->view().lpsToDisplay(Vec3(0, 0, 0), x, y);
    return frame.pixelColor(static_cast<int>(std::lround(x)),
                            frame.height() - 1 - static_cast<int>(std::lround(y)));
  };
  const QColor filled = centreColour();
  EXPECT_GT(filled.blue(), filled.red() + 20) << "the cyst's blue fill";
  segments->list()->topLevelItem(0)->setCheckState(0, Qt::Unchecked);
  EXPECT_FALSE(window_->currentCase().labelMaps.front().segments()[0].visible);
  const QColor bare = centreColour();
  EXPECT_NEAR(bare.red(), bare.blue(), 2) << "grey image (0 HU) under the hidden segment";
  window_->document()->undo();
  EXPECT_TRUE(window_->currentCase().labelMaps.front().segments()[0].visible);
  EXPECT_EQ(segments->list()->topLevelItem(0)->checkState(0), Qt::Checked);
  EXPECT_GT(centreColour().blue(), centreColour().red() + 20);
}

TEST_F(DisplayListsTest, BuildingModelsFromTheTickedSegmentsIsUndoable) {
  ASSERT_TRUE(window_->buildModels());  // "Cyst" has voxels; "Empty" is skipped
  const auto& meshes = window_->currentCase().meshes;
  ASSERT_EQ(meshes.size(), 3u);
  const SurfaceMesh& cyst = meshes.back();
  EXPECT_EQ(cyst.segmentName, "Cyst");
  EXPECT_EQ(cyst.colour, (Rgb{60, 120, 250}));
  EXPECT_TRUE(segmentation::isClosedManifold(cyst));
  // 20 x 20 x 12 mm of voxels = 4.8 ml; smoothing rounds the box's edges and corners.
  EXPECT_GT(segmentation::enclosedVolume_ml(cyst), 3.8);
  EXPECT_LT(segmentation::enclosedVolume_ml(cyst), 4.9);
  EXPECT_EQ(view_->meshCount(), 3u);
  EXPECT_EQ(panel_->list()->topLevelItemCount(), 3);
  // Rebuilding keeps how the user shows the model.
  window_->document()->setDisplay(CaseDocument::Shown::Mesh, 2, {{200, 0, 200}, 0.4f, true});
  ASSERT_TRUE(window_->buildModels());
  EXPECT_EQ(window_->currentCase().meshes.size(), 3u);
  EXPECT_EQ(window_->currentCase().meshes.back().colour, (Rgb{200, 0, 200}));
  EXPECT_FLOAT_EQ(window_->currentCase().meshes.back().opacity, 0.4f);
  // Undo, three times: the rebuild, the colour, the first build.
  for (int i = 0; i < 3; ++i) window_->document()->undo();
  EXPECT_EQ(window_->currentCase().meshes.size(), 2u);
  EXPECT_EQ(view_->meshCount(), 2u);
  EXPECT_EQ(panel_->list()->topLevelItemCount(), 2);
}

TEST_F(DisplayListsTest, NothingTickedBuildsNothing) {
  for (int i = 0; i < 2; ++i)
    window_->segmentsPanel()->list()->topLevelItem(i)->setCheckState(0, Qt::Unchecked);
  EXPECT_FALSE(window_->buildModels());
  EXPECT_EQ(window_->currentCase().meshes.size(), 2u);
}

TEST_F(DisplayListsTest, DisplaySurvivesSaveAndReopen) {
  window_->document()->setDisplay(CaseDocument::Shown::Mesh, 0, {{30, 144, 255}, 0.25f, false});
  EXPECT_EQ(view_->meshColour(0), (Rgb{30, 144, 255}));
  test::TempDir dir;
  ASSERT_TRUE(window_->saveCaseAs(dir / "models.twinplan"));
  MainWindow reopened(autosave_.path());
  reopened.openCase(dir / "models.twinplan");
  QTest::qWait(100);
  const SurfaceMesh& liver = reopened.currentCase().meshes.at(0);
  EXPECT_EQ(liver.colour, (Rgb{30, 144, 255}));
  EXPECT_FLOAT_EQ(liver.opacity, 0.25f);
  EXPECT_FALSE(liver.visible);
  EXPECT_EQ(reopened.modelsPanel()->list()->topLevelItem(0)->checkState(0), Qt::Unchecked);
  EXPECT_EQ(reopened.modelsPanel()->opacitySlider(0)->value(), 25);
  EXPECT_FALSE(reopened.volumeViewport()->view().meshVisible(0));
  // and a segment's
  window_->document()->setDisplay(CaseDocument::Shown::Segment, 0, {{10, 200, 10}, 1.0f, false});
  ASSERT_TRUE(window_->saveCaseAs(dir / "segments.twinplan"));
  reopened.openCase(dir / "segments.twinplan");
  const Segment& cyst = reopened.currentCase().labelMaps.at(0).segments().at(0);
  EXPECT_EQ(cyst.colour, (Rgb{10, 200, 10}));
  EXPECT_FALSE(cyst.visible);
  EXPECT_EQ(reopened.segmentsPanel()->list()->topLevelItem(0)->checkState(0), Qt::Unchecked);
}

}  // namespace
}  // namespace twinplan::ui
