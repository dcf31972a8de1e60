#pragma once
// The open case and its edit history, without Qt: the one place a case is changed. Front ends
// (the GUI's CaseDocument, the CLI, an XR teaching session, tests) apply CaseEdits here and
// observe what changed. Not thread-safe: use it from one thread (the GUI thread in the app).
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "twinplan/core/case.h"
#include "twinplan/core/case_edit.h"

namespace twinplan {

class CaseEditor {
 public:
  using Observer = std::function<void(const CaseChange&)>;

  CaseEditor() = default;
  // The case's results without an id get one (case.h giveResultIds), here and in reset().
  explicit CaseEditor(Case twin);
  CaseEditor(const CaseEditor&) = delete;
  CaseEditor& operator=(const CaseEditor&) = delete;

  const Case& twin() const { return case_; }

  // Replaces the whole case (open, import, recover) and clears the history; the new case is
  // clean. Returns the previous case, so that a front end can free it off its UI thread.
  Case reset(Case twin);

  // Applies an edit and pushes it on the history (dropping anything that was undone). A
  // continuing gesture merges into the step before it, unless that step is the saved state.
  // If the edit throws, the case and the history are unchanged.
  void apply(std::unique_ptr<CaseEdit> edit);

  bool canUndo() const { return index_ > 0; }
  bool canRedo() const { return index_ < history_.size(); }
  std::string undoText() const;  // empty when there is nothing to undo
  std::string redoText() const;
  void undo();  // no-op when there is nothing to undo
  void redo();
  std::size_t historySize() const { return history_.size(); }
  // The most steps kept; older ones are dropped (0: no limit, the default).
  void setUndoLimit(std::size_t steps);

  // The saved state: "modified" is "not at the clean step".
  bool isModified() const { return !cleanIndex_ || *cleanIndex_ != index_; }
  void markClean();
  // No step is clean any more (recovered work that only the autosave holds).
  void markModified();

  // Increases with every change of the case's content: autosave compares it with the last
  // revision it wrote.
  std::uint64_t revision() const { return revision_; }

  // Observers are called after each change, in the order they subscribed: once per changed part,
  // then once with CasePart::History when undo/redo/clean state changed.
  int subscribe(Observer observer);
  void unsubscribe(int id);

 private:
  void notify(const std::vector<CaseChange>& changes);
  void trimToLimit();

  Case case_;
  std::vector<std::unique_ptr<CaseEdit>> history_;
  std::size_t index_ = 0;  // steps applied: history_[0..index_)
  std::optional<std::size_t> cleanIndex_ = 0;
  std::size_t undoLimit_ = 0;
  std::uint64_t revision_ = 0;
  int nextObserverId_ = 1;
  std::vector<std::pair<int, Observer>> observers_;
};

}  // namespace twinplan
