#pragma once
// The Segments table (issue #16 item 3): one row per segment of every label map of the case,
// with its visibility, colour, name, tissue type, DICOM terminology, lock and volume, and the
// buttons to add, duplicate and remove segments. Every change goes to the case document as one
// undoable edit (core/segment_edits.h, edits::setDisplay); the table then shows the case as it
// is, so undo and redo need nothing of their own.
//
// The selected row is "the current segment": the one the editing tools (segment editor,
// scissors in 3D) work on. Tools read currentSegment() and follow currentSegmentChanged.
#include <QWidget>
#include <cstddef>
#include <functional>
#include <optional>
#include <vector>

#include "twinplan/core/case_edit.h"
#include "twinplan/core/label_map.h"

class QLabel;
class QPushButton;
class QTableWidget;
class QTableWidgetItem;

namespace twinplan::ui {

class CaseDocument;

// A segment of the case: index of its label map and its index in that map's table.
struct SegmentRef {
  std::size_t labelMap = 0;
  std::size_t segment = 0;
  bool operator==(const SegmentRef&) const = default;
};

class SegmentTable : public QWidget {
  Q_OBJECT
 public:
  enum Column { kVisible, kColour, kName, kTissue, kTerminology, kLock, kVolume, kColumnCount };

  explicit SegmentTable(CaseDocument* document, QWidget* parent = nullptr);

  std::optional<SegmentRef> currentSegment() const;
  // Selects the row of `segment` (nothing when the case has no such segment).
  void setCurrentSegment(const SegmentRef& segment);

  // Undoable edits of the current segment; each shows a sentence in the table's message line
  // when the case refuses it (a locked segment, a taken name).
  void addSegment();
  void duplicateSegment();
  void removeSegment();

  // How a colour or a terminology is chosen: dialogs by default; tests put their answer here.
  using ColourChooser = std::function<std::optional<Rgb>(const Rgb& current)>;
  using TerminologyChooser =
      std::function<std::optional<SegmentTerminology>(const Segment& current, QWidget* parent)>;
  void setColourChooser(ColourChooser chooser) { chooseColour_ = std::move(chooser); }
  void setTerminologyChooser(TerminologyChooser chooser) {
    chooseTerminology_ = std::move(chooser);
  }

  QTableWidget* table() const { return table_; }
  QLabel* messageLine() const { return message_; }
  // The row of `segment` (-1 when absent).
  int rowOf(const SegmentRef& segment) const;

 signals:
  // The current segment changed (another row, or none: labelMap and segment are then -1).
  void currentSegmentChanged(int labelMap, int segment);

 private:
  void refresh();         // rebuilds the rows from the case (volumes included)
  void queueRefresh();    // the same on the next event-loop turn
  void refreshDisplay();  // visibility and colour only
  void fillRow(int row, const SegmentRef& ref, const Segment& segment);
  void cellClicked(int row, int column);
  void itemChanged(QTableWidgetItem* item);
  void setTissue(int row, const QString& tissue);
  void editSegment(const SegmentRef& ref, const std::function<void(Segment&)>& change);
  void setVisible(const SegmentRef& ref, bool visible);
  void setColour(const SegmentRef& ref, const Rgb& colour);
  void tryEdit(const std::function<void()>& edit);
  void showCurrent();

  CaseDocument* document_ = nullptr;
  QTableWidget* table_ = nullptr;
  QLabel* message_ = nullptr;
  QPushButton* add_ = nullptr;
  QPushButton* duplicate_ = nullptr;
  QPushButton* remove_ = nullptr;
  std::vector<SegmentRef> rows_;
  // Voxels per label map, per segment: counted in one pass per layer when the label maps were
  // replaced, kept up to date from a stroke's count changes (CaseChange::voxelCountDelta)
  // without a pass over its layer.
  std::vector<std::vector<std::int64_t>> voxelCounts_;
  bool countsFollowedEdit_ = false;  // the last label-map change came with its count changes
  void countVoxels();
  void followCountChanges(const CaseChange& change);
  std::optional<SegmentRef> current_;
  bool filling_ = false;
  bool editing_ = false;  // an edit from this table is being applied
  bool refreshQueued_ = false;
  ColourChooser chooseColour_;
  TerminologyChooser chooseTerminology_;
};

}  // namespace twinplan::ui
