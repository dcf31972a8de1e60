#pragma once
// The frame the window's QPainter charts share (DVH chart, tumour burden chart): a plot area
// inside margins for the tick labels and axis titles, data <-> widget positions, a dotted grid on
// "nice" ticks and the axis titles. (Qt Charts is GPL-3 for open-source use: dvh_chart.h.)
#include <QString>
#include <vector>

#include "twinplan/core/label_map.h"
#include "twinplan/ui/hover_chart.h"

class QPainter;

namespace twinplan::ui {

// A "nice" tick step (1, 2 or 5 x 10^n) giving about `ticks` intervals over `range`.
double niceTickStep(double range, int ticks);
// The smallest multiple of a nice step at or above `value` (an axis end on a tick); 1 for <= 0.
double niceAxisEnd(double value, int ticks);

// Background, grid, frame, tick labels and axis titles in the widget's palette.
void drawChartFrame(QPainter& painter, const QWidget& widget, const ChartFrame& frame,
                    const QString& xTitle, const QString& yTitle);

// A legend inside the plot's top left corner: a swatch in each row's colour, then its label.
struct ChartLegendRow {
  QString label;
  Rgb colour;
};
void drawChartLegend(QPainter& painter, const QWidget& widget, const ChartFrame& frame,
                     const std::vector<ChartLegendRow>& rows);
// The hover readout along the plot's bottom edge, right-aligned (nothing when empty).
void drawChartReadout(QPainter& painter, const QWidget& widget, const ChartFrame& frame,
                      const QString& readout);

}  // namespace twinplan::ui
