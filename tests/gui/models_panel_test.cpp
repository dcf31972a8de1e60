// The 3D models panel in a real window: what the user changes there (visibility, opacity,
// colour) reaches the 3D view and the case, is undoable (one slider drag = one step), and
// survives save -> reopen.
#include "twinplan/ui/models_panel.h"

#include <gtest/gtest.h>

#include <QAction>
#include <QSlider>
#include <QTest>
#include <QTreeWidget>

#include "test_support.h"
#include "twinplan/ui/case_document.h"
#include "twinplan/ui/main_window.h"
#include "twinplan/ui/volume_viewport.h"

namespace twinplan::ui {
namespace {

Case twoModelCase() {
  ImageGeometry g;
  g.size = {40, 40, 20};
  g.spacing_mm = Vec3(2.0, 2.0, 3.0);
  g.origin_lps = Vec3(-39.0, -39.0, -28.5);
  ImageVolume ct(g, PixelType::Int16);
  ct.name = "CT";
  ct.unit = "HU";
  ct.dicom.modality = "CT";
  Case twin;
  twin.name = "Two models";
  twin.volumes.push_back(std::move(ct));
  SurfaceMesh liver = test::icosphere(Vec3(0, 0, 0), 30.0, 3, true);
  liver.name = "Liver";
  liver.colour = {190, 110, 90};
  liver.opacity = 0.5f;
  SurfaceMesh tumour = test::icosphere(Vec3(5, 0, 0), 8.0, 2, true);
  tumour.name = "Tumour";
  tumour.colour = {240, 200, 40};
  tumour.visible = false;
  twin.meshes = {liver, tumour};
  return twin;
}

class ModelsPanelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    window_ = std::make_unique<MainWindow>(autosave_.path());
    window_->setCase(twoModelCase());
    window_->resize(1200, 900);
    window_->show();
    ASSERT_TRUE(QTest::qWaitForWindowExposed(window_.get()));
    QTest::qWait(200);  // the 3D scene is built in a later event-loop turn
    panel_ = window_->modelsPanel();
    view_ = &window_->volumeViewport()->view();
    ASSERT_EQ(view_->meshCount(), 2u);
  }
  void TearDown() override { window_->document()->undoStack()->setClean(); }

  QTreeWidgetItem* row(int index) { return panel_->list()->topLevelItem(index); }
  const SurfaceMesh& mesh(int index) { return window_->currentCase().meshes[index]; }

  test::TempDir autosave_{"twinplan-models-autosave"};
  std::unique_ptr<MainWindow> window_;
  ModelsPanel* panel_ = nullptr;
  rendering::VolumeView* view_ = nullptr;
};

TEST_F(ModelsPanelTest, ListsEveryModelAsTheCaseShowsIt) {
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

TEST_F(ModelsPanelTest, TickingShowsTheModelAndUndoHidesItAgain) {
  row(1)->setCheckState(0, Qt::Checked);  // what a click on the box does
  EXPECT_TRUE(mesh(1).visible);
  EXPECT_TRUE(view_->meshVisible(1));
  EXPECT_TRUE(window_->document()->isModified());
  window_->document()->undoStack()->undo();
  EXPECT_FALSE(mesh(1).visible);
  EXPECT_FALSE(view_->meshVisible(1));
  EXPECT_EQ(row(1)->checkState(0), Qt::Unchecked);
  window_->document()->undoStack()->redo();
  EXPECT_TRUE(view_->meshVisible(1));
  EXPECT_EQ(row(1)->checkState(0), Qt::Checked);
}

TEST_F(ModelsPanelTest, OneSliderDragIsOneUndoStep) {
  QSlider* slider = panel_->opacitySlider(0);
  QUndoStack* history = window_->document()->undoStack();
  const int before = history->count();
  slider->setSliderDown(true);
  for (int value : {45, 38, 30, 20}) slider->setValue(value);
  slider->setSliderDown(false);
  EXPECT_EQ(history->count(), before + 1);
  EXPECT_FLOAT_EQ(mesh(0).opacity, 0.20f);
  EXPECT_DOUBLE_EQ(view_->meshOpacity(0), 0.20f);
  // A second drag is a step of its own.
  slider->setSliderDown(true);
  slider->setValue(70);
  slider->setSliderDown(false);
  EXPECT_EQ(history->count(), before + 2);
  history->undo();
  EXPECT_FLOAT_EQ(mesh(0).opacity, 0.20f);
  history->undo();
  EXPECT_FLOAT_EQ(mesh(0).opacity, 0.5f);
  EXPECT_EQ(slider->value(), 50);
  EXPECT_DOUBLE_EQ(view_->meshOpacity(0), 0.5);
}

TEST_F(ModelsPanelTest, HidingTheVolumeLeavesTheModels) {
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

TEST_F(ModelsPanelTest, DisplaySurvivesSaveAndReopen) {
  window_->document()->setMeshDisplay(0, {{30, 144, 255}, 0.25f, false});
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
}

}  // namespace
}  // namespace twinplan::ui
