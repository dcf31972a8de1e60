#pragma once
// What the window's QPainter charts (DvhChart, TumourBurdenChart) share: the plot's frame (data
// <-> widget positions) and a readout of the values under the mouse, shown in the plot and as the
// tooltip, cleared when the mouse leaves.
#include <QPointF>
#include <QRectF>
#include <QString>
#include <QWidget>

namespace twinplan::ui {

// The plot area (widget pixels) and its axes, both starting at 0, with their tick steps.
struct ChartFrame {
  QRectF area;
  double xMax = 1, yMax = 1;
  double xStep = 1, yStep = 1;
  // The plot area of `widget` inside the margins the tick labels and axis titles need.
  static QRectF plotAreaOf(const QWidget& widget);
  QPointF toWidget(const QPointF& data) const;
  QPointF fromWidget(const QPointF& position) const;
};

class HoverChart : public QWidget {
  Q_OBJECT
 public:
  explicit HoverChart(QWidget* parent = nullptr);
  // What the readout says for the mouse at `position` (widget pixels); empty outside the plot.
  virtual QString readoutAt(const QPointF& position) const = 0;
  QString readout() const { return readout_; }
  // The widget position of a data point (x, y) and back.
  QPointF toWidget(const QPointF& data) const { return frame().toWidget(data); }
  QPointF fromWidget(const QPointF& position) const { return frame().fromWidget(position); }

  QSize sizeHint() const override { return {420, 260}; }
  QSize minimumSizeHint() const override { return {240, 160}; }

 protected:
  virtual ChartFrame frame() const = 0;  // as drawn at the widget's present size
  void mouseMoveEvent(QMouseEvent* event) override;
  void leaveEvent(QEvent* event) override;
  void clearReadout() { readout_.clear(); }

 private:
  QString readout_;
};

}  // namespace twinplan::ui
