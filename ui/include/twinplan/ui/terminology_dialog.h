#pragma once
// Picks what a segment is from the terminology catalogue (segmentation/terminology.h): a search
// box over category, type and code, and the matching entries as "Type - Category (SCT code)".
#include <QDialog>
#include <optional>

#include "twinplan/segmentation/terminology.h"

class QLineEdit;
class QListWidget;

namespace twinplan::ui {

class TerminologyDialog : public QDialog {
  Q_OBJECT
 public:
  explicit TerminologyDialog(const SegmentTerminology& current, QWidget* parent = nullptr);

  QLineEdit* searchBox() const { return search_; }
  QListWidget* list() const { return list_; }
  // The entry selected in the list (none before a choice).
  std::optional<segmentation::TerminologyEntry> selected() const;

 private:
  void showMatches(const QString& text);

  QLineEdit* search_ = nullptr;
  QListWidget* list_ = nullptr;
  std::vector<segmentation::TerminologyEntry> shown_;
};

}  // namespace twinplan::ui
