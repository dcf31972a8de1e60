#include "twinplan/core/case_editor.h"

#include <algorithm>
#include <utility>

#include "twinplan/core/error.h"

namespace twinplan {

CaseEditor::CaseEditor(Case twin) : case_(std::move(twin)) { giveResultIds(case_); }

Case CaseEditor::reset(Case twin) {
  giveResultIds(twin);
  Case previous = std::exchange(case_, std::move(twin));
  history_.clear();
  index_ = 0;
  cleanIndex_ = 0;
  ++revision_;
  notify({{CasePart::Whole}, {CasePart::History}});
  return previous;
}

void CaseEditor::apply(std::unique_ptr<CaseEdit> edit) {
  if (!edit) throw Error(ErrorKind::Internal, "No edit to apply.", "CaseEditor::apply");
  edit->apply(case_);  // throws before anything else changes
  // An edit of its own (the ablation panel's) may bring results without ids: they get theirs
  // here, and keep them through undo and redo (the step swaps the lists it holds).
  giveResultIds(case_);
  ++revision_;
  const std::vector<CaseChange> changes = edit->changes();
  history_.resize(index_);  // the steps that were undone can no longer be redone
  if (cleanIndex_ && *cleanIndex_ > index_) cleanIndex_.reset();
  // Like Qt's QUndoStack: a gesture never merges into the saved step, so "modified" stays true.
  const bool merged = index_ > 0 && (!cleanIndex_ || *cleanIndex_ != index_) &&
                      history_[index_ - 1]->mergeWith(*edit);
  if (!merged) {
    history_.push_back(std::move(edit));
    ++index_;
    trimToLimit();
  }
  auto all = changes;
  all.push_back({CasePart::History});
  notify(all);
}

std::string CaseEditor::undoText() const { return canUndo() ? history_[index_ - 1]->text() : ""; }
std::string CaseEditor::redoText() const { return canRedo() ? history_[index_]->text() : ""; }

void CaseEditor::undo() {
  if (!canUndo()) return;
  CaseEdit& step = *history_[index_ - 1];
  step.revert(case_);
  giveResultIds(case_);
  --index_;
  ++revision_;
  auto all = step.changes();
  all.push_back({CasePart::History});
  notify(all);
}

void CaseEditor::redo() {
  if (!canRedo()) return;
  CaseEdit& step = *history_[index_];
  step.apply(case_);
  giveResultIds(case_);
  ++index_;
  ++revision_;
  auto all = step.changes();
  all.push_back({CasePart::History});
  notify(all);
}

void CaseEditor::setUndoLimit(std::size_t steps) {
  undoLimit_ = steps;
  trimToLimit();
}

void CaseEditor::trimToLimit() {
  if (undoLimit_ == 0 || history_.size() <= undoLimit_) return;
  const std::size_t drop = history_.size() - undoLimit_;
  const std::size_t dropped = std::min(drop, index_);
  history_.erase(history_.begin(), history_.begin() + static_cast<std::ptrdiff_t>(dropped));
  index_ -= dropped;
  if (cleanIndex_) {
    if (*cleanIndex_ < dropped) {
      cleanIndex_.reset();  // the saved state can no longer be reached by undo
    } else {
      *cleanIndex_ -= dropped;
    }
  }
}

void CaseEditor::markClean() {
  cleanIndex_ = index_;
  notify({{CasePart::History}});
}

void CaseEditor::markModified() {
  cleanIndex_.reset();
  notify({{CasePart::History}});
}

int CaseEditor::subscribe(Observer observer) {
  observers_.emplace_back(nextObserverId_, std::move(observer));
  return nextObserverId_++;
}

void CaseEditor::unsubscribe(int id) {
  std::erase_if(observers_, [id](const auto& entry) { return entry.first == id; });
}

void CaseEditor::notify(const std::vector<CaseChange>& changes) {
  // A copy: an observer may subscribe or unsubscribe while being told.
  const auto observers = observers_;
  for (const CaseChange& change : changes)
    for (const auto& [id, observer] : observers) observer(change);
}

}  // namespace twinplan
