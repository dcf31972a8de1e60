#include <QCheckBox>
#include <QComboBox>
#include <QDockWidget>
#include <QHBoxLayout>
#include <QPushButton>
#include <QStatusBar>
#include <QToolButton>
#include <QVBoxLayout>
#include <algorithm>

#include "twinplan/ui/background_task.h"
#include "twinplan/ui/case_document.h"
#include "twinplan/ui/display_list_panel.h"
#include "twinplan/ui/main_window.h"
#include "twinplan/ui/segment_comparison_panel.h"
#include "twinplan/ui/segment_editor.h"
#include "twinplan/ui/segment_table.h"
#include "twinplan/ui/slice_viewport.h"
#include "twinplan/ui/volume_viewport.h"

namespace twinplan::ui {

// The segment docks of the main window: the Segments table with the 3D scissors' switch, and
// Compare segments (the other panels are in main_window_panels.cpp).

void MainWindow::buildSegmentDocks() {
  segmentTable_ = new SegmentTable(document_, this);
  auto* box = new QWidget(this);
  auto* layout = new QVBoxLayout(box);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->addWidget(segmentTable_, 1);
  auto* scissorsRow = new QHBoxLayout;
  auto* scissors = new QToolButton(box);
  scissors->setObjectName("scissors3d");
  scissors->setText(tr("Scissors (3D)"));
  scissors->setCheckable(true);
  scissors->setToolTip(
      tr("Drag a lasso in the 3D view: the current segment's voxels that project inside it, at "
         "every depth, are erased (undoable). Esc in the 3D view turns it off."));
  auto* side = new QComboBox(box);
  side->setObjectName("scissorsSide");
  side->addItem(tr("Erase inside"), static_cast<int>(segmentation::ScissorsSide::EraseInside));
  side->addItem(tr("Erase outside"), static_cast<int>(segmentation::ScissorsSide::EraseOutside));
  scissorsRow->addWidget(scissors);
  scissorsRow->addWidget(side);
  scissorsRow->addStretch(1);
  auto* build = new QPushButton(tr("Build 3D models"), box);
  build->setObjectName("buildModelsFromTable");
  build->setToolTip(
      tr("Closed surface models of the ticked segments, shown in 3D and saved with the case "
         "(undoable)"));
  connect(build, &QPushButton::clicked, this, [this] {
    try {
      buildModels();
    } catch (const std::exception& e) {
      showError(tr("Cannot build 3D models"), e);
    }
  });
  layout->addLayout(scissorsRow);
  // Full width on its own row, as under the Segments list before: the dock stays as narrow as
  // the other left-hand panels, so the views keep their size.
  layout->addWidget(build);

  // The table replaces the Segments list (same ticks and colours, and more) under its name;
  // the list stays built, hidden, for what still reads it.
  auto* tableDock = new QDockWidget(tr("Segments"), this);
  tableDock->setObjectName("segmentTableDock");
  tableDock->setWidget(box);
  tableDock->setFeatures(QDockWidget::DockWidgetMovable | QDockWidget::DockWidgetClosable);
  addDockWidget(Qt::LeftDockWidgetArea, tableDock);
  comparison_ = new SegmentComparisonPanel(document_, this);
  auto* compareDock = new QDockWidget(tr("Compare"), this);
  compareDock->setToolTip(tr("Compare segments: overlap and surface distances"));
  compareDock->setObjectName("compareSegmentsDock");
  compareDock->setWidget(comparison_);
  compareDock->setFeatures(QDockWidget::DockWidgetMovable | QDockWidget::DockWidgetClosable);
  addDockWidget(Qt::LeftDockWidgetArea, compareDock);
  if (auto* segmentsDock = findChild<QDockWidget*>("segmentsDock")) {
    tabifyDockWidget(segmentsDock, tableDock);
    tabifyDockWidget(tableDock, compareDock);
    segmentsDock->hide();
    findChild<QDockWidget*>("modelsDock")->raise();
  }

  connect(scissors, &QToolButton::toggled, volume_, &VolumeViewport::setScissors);
  connect(volume_, &VolumeViewport::scissorsChanged, scissors, &QToolButton::setChecked);
  connect(side, &QComboBox::currentIndexChanged, this, [this, side](int) {
    volume_->setScissorsSide(static_cast<segmentation::ScissorsSide>(side->currentData().toInt()));
  });
  connect(volume_, &VolumeViewport::lassoDrawn, this,
          [this](const segmentation::ScissorsCut& cut) { cutCurrentSegment(cut); });
  connect(document_, &CaseDocument::partChanged, this, [this](CasePart part) {
    if (part == CasePart::LabelMaps) showLabelMaps();
  });
}

void MainWindow::showLabelMaps() {
  // The views borrow every label map; an edit replaced the case's list of them.
  for (auto* viewport : slices_) {
    viewport->view().setLabelMaps(shownLabelMaps());
    viewport->update();
  }
  showDisplayLists();
}

bool MainWindow::cutCurrentSegment(const segmentation::ScissorsCut& cut) {
  const auto current = segmentTable_->currentSegment();
  if (!current) {
    statusBar()->showMessage(tr("Select a segment in the Segment table to cut."), 8000);
    return false;
  }
  const Case& twin = document_->twin();
  const std::string name = twin.labelMaps[current->labelMap].segments()[current->segment].name;
  try {
    // A copy of the one label map: the work reads it while the GUI thread keeps the case.
    Case labelsOnly;
    labelsOnly.labelMaps = twin.labelMaps;
    auto cutResult = runInBackground<segmentation::ScissorsResult>(
        this, tr("Cutting %1…").arg(QString::fromStdString(name)), [&](Progress& progress) {
          return segmentation::cutSegment(labelsOnly, current->labelMap, current->segment, cut,
                                          progress);
        });
    if (!cutResult) return false;
    if (cutResult->voxelsCut == 0) {
      statusBar()->showMessage(
          tr("The lasso holds none of %1's voxels: nothing cut.").arg(QString::fromStdString(name)),
          8000);
      return false;
    }
    std::vector<LabelMap> labelMaps = twin.labelMaps;
    labelMaps[current->labelMap] = std::move(cutResult->labels);
    document_->apply(
        voxelEdit(edits::replaceLabelMaps(twin, std::move(labelMaps), "Scissors on " + name)));
    statusBar()->showMessage(
        tr("Cut %n voxel(s) from %1.", nullptr, static_cast<int>(cutResult->voxelsCut))
            .arg(QString::fromStdString(name)),
        8000);
    // A 3D model of the segment is rebuilt in the background and joins the cut's undo step, as
    // after the editor's strokes.
    rebuildShownModels(current->labelMap, {current->segment});
    return true;
  } catch (const std::exception& e) {
    statusBar()->showMessage(QString::fromUtf8(e.what()), 10000);
    return false;
  }
}

}  // namespace twinplan::ui
