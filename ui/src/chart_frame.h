#pragma once
// The frame the window's QPainter charts share (DVH chart, tumour burden chart): a plot area
// inside margins for the tick labels and axis titles, data <-> widget positions, a dotted grid on
// "nice" ticks and the axis titles. (Qt Charts is GPL-3 for open-source use: dvh_chart.h.)
#include <QPointF>
#include <QRectF>
#include <QString>

class QPainter;
class QWidget;

namespace twinplan::ui {

// A "nice" tick step (1, 2 or 5 x 10^n) giving about `ticks` intervals over `range`.
double niceTickStep(double range, int ticks);
// The smallest multiple of a nice step at or above `value` (an axis end on a tick); 1 for <= 0.
double niceAxisEnd(double value, int ticks);

struct ChartFrame {
  QRectF area;                // the plot, widget pixels
  double xMax = 1, yMax = 1;  // both axes start at 0
  double xStep = 1, yStep = 1;
  // The plot area of `widget` inside the margins the labels need.
  static QRectF plotAreaOf(const QWidget& widget);
  QPointF toWidget(const QPointF& data) const;
  QPointF fromWidget(const QPointF& position) const;
};

// Background, grid, frame, tick labels and axis titles in the widget's palette.
void drawChartFrame(QPainter& painter, const QWidget& widget, const ChartFrame& frame,
                    const QString& xTitle, const QString& yTitle);

}  // namespace twinplan::ui
