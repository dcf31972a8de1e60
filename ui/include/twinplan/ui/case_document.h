#pragma once
// The open case in the desktop app: a thin Qt adapter over twinplan::CaseEditor (core), which
// holds the case, its edits and their undo history without Qt. This class turns the editor's
// change notifications into Qt signals, gives the window undo/redo actions, and keeps the file
// name and the autosave mark.
#include <QObject>
#include <filesystem>
#include <memory>

#include "twinplan/core/case.h"
#include "twinplan/core/case_editor.h"

class QAction;

namespace twinplan::ui {

class CaseDocument : public QObject {
  Q_OBJECT
 public:
  explicit CaseDocument(QObject* parent = nullptr);
  ~CaseDocument() override;

  const Case& twin() const { return editor_.twin(); }
  CaseEditor& editor() { return editor_; }
  // Replaces the whole case (open, import, recover): clears the history.
  void reset(Case twin, std::filesystem::path file = {});
  const std::filesystem::path& file() const { return file_; }
  // After a successful save: the document is clean and belongs to `file`.
  void markSaved(const std::filesystem::path& file);
  bool isModified() const { return editor_.isModified(); }
  void markClean() { editor_.markClean(); }
  void markModified() { editor_.markModified(); }
  // Changes since the last autosave (reset by markAutosaved).
  bool needsAutosave() const { return autosaveRevision_ != editor_.revision(); }
  void markAutosaved() { autosaveRevision_ = editor_.revision(); }

  // Applies any edit (core/case_edit.h); throws twinplan::Error when it does not fit the case.
  void apply(std::unique_ptr<CaseEdit> edit) { editor_.apply(std::move(edit)); }
  void undo() { editor_.undo(); }
  void redo() { editor_.redo(); }
  // Menu actions that follow the history (enabled state, "Undo Add Ruler 1").
  QAction* createUndoAction(QObject* parent, const QString& prefix) {
    return createHistoryAction(parent, prefix, true);
  }
  QAction* createRedoAction(QObject* parent, const QString& prefix) {
    return createHistoryAction(parent, prefix, false);
  }

  // Undoable edits the window uses (shorthands for apply(edits::...)).
  void addMeasurement(Measurement measurement);
  void removeMeasurement(std::size_t index);
  void replaceMeasurement(std::size_t index, Measurement measurement);
  // The next free name like "Ruler 3".
  std::string nextMeasurementName(Measurement::Kind kind) const;
  // Replaces the surface meshes built from segments (same segmentName) and adds new ones;
  // other meshes stay.
  void updateSegmentMeshes(std::vector<SurfaceMesh> built);

  // How a surface mesh (in 3D) or a segment of the first labelmap (in 2D) is shown. Edits with
  // `continuing` set (an opacity slider being dragged) merge with the previous edit of the same
  // item into one undo step.
  enum class Shown { Mesh, Segment };
  Q_ENUM(Shown)
  using Display = DisplayProperties;
  Display display(Shown what, std::size_t index) const;  // throws Error(InvalidInput) if absent
  void setDisplay(Shown what, std::size_t index, const Display& display, bool continuing = false);

 signals:
  void caseReplaced();
  void measurementsChanged();
  void displayChanged(twinplan::ui::CaseDocument::Shown what, std::size_t index);
  void meshesChanged();
  // Some voxels of one label layer changed in place, with each label value's count change
  // (CaseChange::voxelCountDelta: a brush stroke, its undo); sent just before partChanged.
  void labelVoxelsChanged(const twinplan::CaseChange& change);
  void partChanged(twinplan::CasePart part);  // every change, also parts without a signal above
  void modifiedChanged(bool modified);
  void historyChanged();

 private:
  void forward(const CaseChange& change);
  QAction* createHistoryAction(QObject* parent, const QString& prefix, bool undo);

  CaseEditor editor_;
  std::filesystem::path file_;
  std::uint64_t autosaveRevision_ = 0;
  bool wasModified_ = false;
};

}  // namespace twinplan::ui
