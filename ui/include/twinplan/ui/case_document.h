#pragma once
// The open case and its edit history. Every change a user makes goes through an undoable
// command here, so undo/redo, the unsaved-changes prompt and autosave all see the same edits.
#include <QObject>
#include <QUndoStack>
#include <filesystem>

#include "twinplan/core/case.h"

namespace twinplan::ui {

class CaseDocument : public QObject {
  Q_OBJECT
 public:
  explicit CaseDocument(QObject* parent = nullptr);

  const Case& twin() const { return case_; }
  // Replaces the whole case (open, import, recover): clears the history.
  void reset(Case twin, std::filesystem::path file = {});
  const std::filesystem::path& file() const { return file_; }
  // After a successful save: the document is clean and belongs to `file`.
  void markSaved(const std::filesystem::path& file);
  bool isModified() const { return !undoStack_.isClean(); }
  // Changes since the last autosave (reset by markAutosaved).
  bool needsAutosave() const { return autosaveRevision_ != revision_; }
  void markAutosaved() { autosaveRevision_ = revision_; }
  QUndoStack* undoStack() { return &undoStack_; }

  // Undoable edits.
  void addMeasurement(Measurement measurement);
  void removeMeasurement(std::size_t index);
  void replaceMeasurement(std::size_t index, Measurement measurement);
  // The next free name like "Ruler 3".
  std::string nextMeasurementName(Measurement::Kind kind) const;

  // How a surface mesh (in 3D) or a segment of the first labelmap (in 2D) is shown; segments
  // have no opacity of their own (it stays 1). Edits with `continuing` set (an opacity slider
  // being dragged) merge with the previous edit of the same item into one undo step.
  // Replaces the surface meshes built from segments (same segmentName) and adds new ones;
  // other meshes stay. Undoable.
  void updateSegmentMeshes(std::vector<SurfaceMesh> built);

  enum class Shown { Mesh, Segment };
  Q_ENUM(Shown)
  struct Display {
    Rgb colour;
    float opacity = 1.0f;
    bool visible = true;
    bool operator==(const Display&) const = default;
  };
  Display display(Shown what, std::size_t index) const;  // throws Error(InvalidInput) if absent
  void setDisplay(Shown what, std::size_t index, const Display& display, bool continuing = false);

 signals:
  void caseReplaced();
  void measurementsChanged();
  void displayChanged(twinplan::ui::CaseDocument::Shown what, std::size_t index);
  void meshesChanged();
  void modifiedChanged(bool modified);

 private:
  friend class MeasurementCommand;
  friend class DisplayCommand;
  friend class MeshesCommand;
  void setMeshes(std::vector<SurfaceMesh> meshes);
  void setMeasurements(std::vector<Measurement> measurements);
  void applyDisplay(Shown what, std::size_t index, const Display& display);

  Case case_;
  std::filesystem::path file_;
  QUndoStack undoStack_;
  std::uint64_t revision_ = 0, autosaveRevision_ = 0;
};

}  // namespace twinplan::ui
