// The right-hand panels grouped by workflow (MainWindow::addWorkflowDock): seven tabs side by
// side along the top of the dock were cut to "S...", "Follo..."; now their tabs run down the
// window's right edge, in workflow order (images, segmenting, planning, presenting), and at
// 1280 x 800 and 1920 x 1200 every tab has room for its whole name. Screenshots of both sizes
// go to $TWINPLAN_SCREENSHOT_DIR when it is set.
#include <gtest/gtest.h>

#include <QDockWidget>
#include <QFontMetrics>
#include <QLabel>
#include <QTabBar>
#include <QTest>
#include <filesystem>
#include <iostream>

#include "gui_fixtures.h"
#include "twinplan/ui/main_window.h"
#include "twinplan/ui/vtk_viewport.h"

namespace twinplan::ui {
namespace {

// The tab bar of the right-hand dock group: the one whose tabs include "Series".
QTabBar* rightHandTabs(MainWindow& window) {
  for (QTabBar* bar : window.findChildren<QTabBar*>())
    for (int i = 0; i < bar->count(); ++i)
      if (bar->tabText(i) == "Series" && bar->isVisible()) return bar;
  return nullptr;
}

std::vector<QString> tabTexts(const QTabBar& bar) {
  std::vector<QString> texts;
  for (int i = 0; i < bar.count(); ++i) texts.push_back(bar.tabText(i));
  return texts;
}

class WorkflowDocksTest : public fixtures::CaseWindowTest {
 protected:
  void SetUp() override {
    const ImageGeometry g = fixtures::tiltedGrid(Vec3(0.0, 0.0, 0.0));
    showCase(fixtures::caseWith(fixtures::ctVolume(g), "Workflow"));
  }

  void resizeTo(int width, int height) {
    window_->resize(width, height);
    QTest::qWait(100);
    ASSERT_EQ(window_->size(), QSize(width, height));
  }

  // Every tab is long enough for its whole name (the bar runs down the side: its height) and
  // lies inside the window.
  void expectWholeNames(const char* size) {
    QTabBar* bar = rightHandTabs(*window_);
    ASSERT_NE(bar, nullptr) << size;
    EXPECT_EQ(bar->shape(), QTabBar::RoundedEast) << size;
    const QFontMetrics metrics(bar->font());
    for (int i = 0; i < bar->count(); ++i) {
      const QRect tab = bar->tabRect(i);
      const int needed_px = metrics.horizontalAdvance(bar->tabText(i));
      EXPECT_GE(tab.height(), needed_px) << size << ": " << bar->tabText(i).toStdString();
      const QPoint end = bar->mapTo(window_.get(), tab.bottomRight());
      EXPECT_LE(end.y(), window_->height()) << size << ": " << bar->tabText(i).toStdString();
      std::cout << size << " " << bar->tabText(i).toStdString() << ": " << tab.height()
                << " px for a " << needed_px << " px name\n";
    }
  }

  void saveScreenshot(const char* name) {
    const char* dir = std::getenv("TWINPLAN_SCREENSHOT_DIR");
    if (!dir) return;
    const VtkViewport::RenderAllNow everyView;
    window_->grab().save(QString::fromStdString((std::filesystem::path(dir) / name).string()),
                         "PNG");
  }
};

TEST_F(WorkflowDocksTest, TabsRunDownTheSideInWorkflowOrderWithWholeNames) {
  QTabBar* bar = rightHandTabs(*window_);
  ASSERT_NE(bar, nullptr);
  // Images (Series, Follow-up, Landmarks), segmenting, planning (Ablation, Tissue shift,
  // Radiotherapy); the Headset tab appears when the headset view starts.
  EXPECT_EQ(tabTexts(*bar),
            (std::vector<QString>{"Series", "Follow-up", "Landmarks", "Segment editor", "Ablation",
                                  "Tissue shift", "Radiotherapy"}));
  EXPECT_EQ(bar->tabText(bar->currentIndex()), "Series");
  // Each dock keeps its objectName; raising one shows its tab.
  window_->findChild<QDockWidget*>("ablationDock")->raise();
  QTest::qWait(20);
  EXPECT_EQ(bar->tabText(bar->currentIndex()), "Ablation");
  window_->findChild<QDockWidget*>("seriesDock")->raise();

  resizeTo(1280, 800);
  expectWholeNames("1280x800");
  saveScreenshot("workflow-docks-1280x800.png");
  resizeTo(1920, 1200);
  expectWholeNames("1920x1200");
  saveScreenshot("workflow-docks-1920x1200.png");
}

// A panel added later (another engineer's) slots into its workflow: after the planning panels,
// before presenting; the Headset dock, shown, comes last and is in front.
TEST_F(WorkflowDocksTest, APanelAddedLaterJoinsItsWorkflow) {
  auto* dock = new QDockWidget("Later plan", window_.get());
  dock->setObjectName("laterPlanDock");
  dock->setWidget(new QLabel("plan"));
  window_->addWorkflowDock(dock, Workflow::Plan);
  auto* headset = window_->findChild<QDockWidget*>("headsetDock");
  ASSERT_NE(headset, nullptr);
  headset->show();
  headset->raise();
  QTest::qWait(50);
  QTabBar* bar = rightHandTabs(*window_);
  ASSERT_NE(bar, nullptr);
  EXPECT_EQ(tabTexts(*bar),
            (std::vector<QString>{"Series", "Follow-up", "Landmarks", "Segment editor", "Ablation",
                                  "Tissue shift", "Radiotherapy", "Later plan", "Headset"}));
  EXPECT_EQ(bar->tabText(bar->currentIndex()), "Headset");
  EXPECT_TRUE(headset->isVisible());
  resizeTo(1280, 800);
  expectWholeNames("1280x800, nine panels");
  saveScreenshot("workflow-docks-nine-1280x800.png");
}

}  // namespace
}  // namespace twinplan::ui
