#pragma once
// What the window's QPainter charts (DvhChart, TumourBurdenChart) share: a readout of the values
// under the mouse, shown in the plot and as the tooltip, cleared when the mouse leaves.
#include <QPointF>
#include <QString>
#include <QWidget>

namespace twinplan::ui {

class HoverChart : public QWidget {
  Q_OBJECT
 public:
  explicit HoverChart(QWidget* parent = nullptr);
  // What the readout says for the mouse at `position` (widget pixels); empty outside the plot.
  virtual QString readoutAt(const QPointF& position) const = 0;
  QString readout() const { return readout_; }

  QSize sizeHint() const override { return {420, 260}; }
  QSize minimumSizeHint() const override { return {240, 160}; }

 protected:
  void mouseMoveEvent(QMouseEvent* event) override;
  void leaveEvent(QEvent* event) override;
  void clearReadout() { readout_.clear(); }

 private:
  QString readout_;
};

}  // namespace twinplan::ui
