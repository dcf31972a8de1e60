// The Segment Editor in the main window: its dock, its keys, and the 3D models of edited
// segments rebuilt in the background after each edit.
#include <QActionGroup>
#include <QApplication>
#include <QDockWidget>
#include <QPointer>
#include <QScrollArea>
#include <QScrollBar>
#include <QStatusBar>
#include <QThreadPool>
#include <algorithm>
#include <cstddef>

#include "twinplan/engine/models.h"
#include "twinplan/ui/case_document.h"
#include "twinplan/ui/main_window.h"
#include "twinplan/ui/segment_editor.h"
#include "twinplan/ui/segment_table.h"
#include "twinplan/ui/slice_viewport.h"

namespace twinplan::ui {

void MainWindow::buildEditorDock() {
  editor_ = new SegmentEditor(document_, slices_, [this] { return backgroundVolume(); });
  auto* scroll = new QScrollArea(this);
  scroll->setWidget(editor_);
  scroll->setWidgetResizable(true);
  scroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);  // the dock is the width
  scroll->setMinimumWidth(editor_->minimumSizeHint().width() +
                          scroll->verticalScrollBar()->sizeHint().width());
  auto* dock = new QDockWidget(tr("Segment editor"), this);
  dock->setObjectName("segmentEditorDock");
  dock->setWidget(scroll);
  dock->setFeatures(QDockWidget::DockWidgetMovable | QDockWidget::DockWidgetClosable);
  addDockWidget(Qt::RightDockWidgetArea, dock);
  if (auto* series = findChild<QDockWidget*>("seriesDock")) {
    tabifyDockWidget(series, dock);
    series->raise();
  }
  // The window holds the editor's actions, so that P, E, T ... work wherever the focus is in
  // it (a view, the dock after a click on its buttons). While the editor is shown its keys win:
  // the measurement tools' P (point) and E (ellipse ROI) keys rest until it is hidden.
  addActions(QList<QAction*>(editor_->actions().begin(), editor_->actions().end()));
  linkEditorToSegmentTable();
  // The editor redraws the case's label maps; the window's overlays (after them in
  // shownLabelMaps: margin outline, predicted zone) stay drawn over them.
  editor_->setOverlayLabelMaps([this] {
    auto overlays = shownLabelMaps();
    const auto caseMaps = std::min(overlays.size(), currentCase().labelMaps.size());
    overlays.erase(overlays.begin(), overlays.begin() + std::ptrdiff_t(caseMaps));
    return overlays;
  });
  connect(dock, &QDockWidget::visibilityChanged, this, [this](bool shown) {
    editor_->setKeysEnabled(shown);
    if (!shown) editor_->setTool(SegmentEditor::EditorTool::None);
    for (QAction* action : toolActions_->actions()) {
      const QVariant resting = action->property("editorRestingKey");
      if (shown && !resting.isValid()) {
        const QKeySequence key = action->shortcut();
        if (key == QKeySequence("P") || key == QKeySequence("E")) {
          action->setProperty("editorRestingKey", key);
          action->setShortcut({});
        }
      } else if (!shown && resting.isValid()) {
        action->setShortcut(resting.value<QKeySequence>());
        action->setProperty("editorRestingKey", QVariant());
      }
    }
  });
  connect(editor_, &SegmentEditor::segmentsEdited, this, &MainWindow::rebuildShownModels);
  // One tool at a time: an editor tool ends a measurement tool and the other way round.
  connect(editor_, &SegmentEditor::toolChanged, this, [this](SegmentEditor::EditorTool tool) {
    if (tool != SegmentEditor::EditorTool::None && tool_ != Tool::Navigate) setTool(Tool::Navigate);
  });
  connect(toolActions_, &QActionGroup::triggered, this, [this] {
    if (editor_->tool() != SegmentEditor::EditorTool::None)
      editor_->setTool(SegmentEditor::EditorTool::None);
  });
  // Segments added or edited: the Segments list shows the case's table again.
  connect(document_, &CaseDocument::partChanged, this, [this](CasePart part) {
    if (part == CasePart::LabelMaps) showDisplayLists();
  });
}

// The models of the edited segments that the case already has (the surgeon is looking at them
// in 3D) are rebuilt off the GUI thread; the newest rebuild wins and joins the edit's undo step.
void MainWindow::rebuildShownModels(std::size_t labelMap,
                                    const std::vector<std::size_t>& segments) {
  const Case& twin = document_->twin();
  if (labelMap >= twin.labelMaps.size()) return;
  const LabelMap labels = twin.labelMaps[labelMap];  // the copy shares the voxels
  std::vector<std::size_t> shown;
  for (std::size_t s : segments) {
    if (s >= labels.segments().size()) continue;
    const std::string& name = labels.segments()[s].name;
    for (const SurfaceMesh& mesh : twin.meshes)
      if (mesh.segmentName == name) {
        shown.push_back(s);
        break;
      }
  }
  if (shown.empty()) return;
  const int rebuild = ++modelRebuilds_;
  const std::uint64_t revision = document_->editor().revision();
  QPointer<MainWindow> window(this);
  QThreadPool::globalInstance()->start([window, labels, shown, rebuild, revision] {
    std::vector<SurfaceMesh> built;
    QString failure;
    try {
      built = engine::buildModels(labels, shown, engine::anatomyModelOptions(), noProgress());
    } catch (const std::exception& e) {
      failure = QString::fromUtf8(e.what());
    }
    // Back on the GUI thread (qApp outlives every window); the window may be gone by then.
    QMetaObject::invokeMethod(
        qApp,
        [window, built = std::move(built), failure, rebuild, revision]() mutable {
          // Dropped when a newer edit follows, or the case changed meanwhile (undo, open).
          if (!window || rebuild != window->modelRebuilds_ ||
              window->document_->editor().revision() != revision)
            return;
          if (!failure.isEmpty()) {
            window->statusBar()->showMessage(
                MainWindow::tr("The 3D model was not updated: %1").arg(failure), 8000);
            return;
          }
          if (built.empty()) return;
          const Case& now = window->document_->twin();
          window->document_->apply(modelsFollowingEdit(
              edits::updateSegmentMeshes(now, std::move(built), "Update 3D models")));
        },
        Qt::QueuedConnection);
  });
}

// The Segments table and the editor work on one segment, of any label map: choosing it in
// either chooses it in the other.
void MainWindow::linkEditorToSegmentTable() {
  connect(segmentTable_, &SegmentTable::currentSegmentChanged, editor_,
          [this](int labelMap, int segment) {
            if (labelMap < 0 || segment < 0) return;
            const auto map = static_cast<std::size_t>(labelMap);
            const auto index = static_cast<std::size_t>(segment);
            if (editor_->segment() != index || editor_->labelMap() != map)
              editor_->selectSegment(index, map);
          });
  connect(editor_, &SegmentEditor::segmentChosen, segmentTable_,
          [this](std::size_t labelMap, std::size_t segment) {
            const SegmentRef ref{labelMap, segment};
            if (segmentTable_->currentSegment() != ref) segmentTable_->setCurrentSegment(ref);
          });
}

}  // namespace twinplan::ui
