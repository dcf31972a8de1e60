#pragma once
// The Follow-up panel (a dock beside Series, issue #15 item 4): the growth table of the open case
// (engine/followup.h) - each segment's volume per study date, change, growth rate, doubling
// time, new/disappeared - and a chart of segment volume over time, refreshed whenever the
// case's volumes, label maps or registrations change; a button registers the later studies
// onto the baseline in the background and stores the registrations as one undoable edit each.
#include <QWidget>
#include <optional>

#include "twinplan/engine/followup.h"

class QLabel;
class QPushButton;
class QTableWidget;

namespace twinplan::ui {

class CaseDocument;

// Segment volume (ml, y) over days since the baseline (x, labelled by study date): one line
// per segment in the segment's colour, drawn with QPainter (QtCharts is not a dependency).
class GrowthChart : public QWidget {
  Q_OBJECT
 public:
  explicit GrowthChart(QWidget* parent = nullptr);
  void showTable(const engine::GrowthTable& table);
  QSize sizeHint() const override { return {360, 220}; }

 protected:
  void paintEvent(QPaintEvent* event) override;

 private:
  engine::GrowthTable table_;
};

class FollowUpPanel : public QWidget {
  Q_OBJECT
 public:
  explicit FollowUpPanel(CaseDocument* document, QWidget* parent = nullptr);
  // Recomputes the table from the document's case (also called on every relevant change).
  void refresh();
  // Registers the later studies onto the baseline in the background (the button's action).
  void registerFollowUps();
  // The table last shown; none when the case cannot give one (`status` says why).
  const std::optional<engine::GrowthTable>& table() const { return table_; }

 private:
  CaseDocument* document_;
  std::optional<engine::GrowthTable> table_;
  QTableWidget* grid_ = nullptr;
  GrowthChart* chart_ = nullptr;
  QLabel* status_ = nullptr;
  QPushButton* register_ = nullptr;
};

}  // namespace twinplan::ui
