// The shared chart frame (chart_frame.h).
#include "chart_frame.h"

#include <QPainter>
#include <QWidget>
#include <algorithm>
#include <cmath>

namespace twinplan::ui {

namespace {
// Margins of the plot inside the widget (pixels): room for the tick labels and axis titles.
constexpr double kLeft_px = 46, kRight_px = 12, kTop_px = 10, kBottom_px = 34;
}  // namespace

double niceTickStep(double range, int ticks) {
  const double raw = range / ticks;
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0})
    if (m * magnitude >= raw) return m * magnitude;
  return 10 * magnitude;
}

double niceAxisEnd(double value, int ticks) {
  if (!(value > 0)) return 1.0;
  const double step = niceTickStep(value, ticks);
  return std::ceil(value / step - 1e-9) * step;
}

QRectF ChartFrame::plotAreaOf(const QWidget& widget) {
  return QRectF(kLeft_px, kTop_px, std::max(1.0, widget.width() - kLeft_px - kRight_px),
                std::max(1.0, widget.height() - kTop_px - kBottom_px));
}

QPointF ChartFrame::toWidget(const QPointF& data) const {
  return {area.left() + data.x() / xMax * area.width(),
          area.bottom() - data.y() / yMax * area.height()};
}

QPointF ChartFrame::fromWidget(const QPointF& position) const {
  return {(position.x() - area.left()) / area.width() * xMax,
          (area.bottom() - position.y()) / area.height() * yMax};
}

void drawChartFrame(QPainter& painter, const QWidget& widget, const ChartFrame& frame,
                    const QString& xTitle, const QString& yTitle) {
  const QPalette& palette = widget.palette();
  const QRectF& area = frame.area;
  painter.fillRect(widget.rect(), palette.base());
  painter.setPen(QPen(palette.color(QPalette::Mid), 0.5, Qt::DotLine));
  for (double x = 0; x <= frame.xMax + 1e-9; x += frame.xStep)
    painter.drawLine(frame.toWidget({x, 0}), frame.toWidget({x, frame.yMax}));
  for (double y = 0; y <= frame.yMax + 1e-9; y += frame.yStep)
    painter.drawLine(frame.toWidget({0, y}), frame.toWidget({frame.xMax, y}));
  painter.setPen(palette.color(QPalette::Text));
  painter.drawRect(area);
  const QFontMetricsF metrics(widget.font());
  for (double x = 0; x <= frame.xMax + 1e-9; x += frame.xStep) {
    const QString label = QString::number(x, 'g', 4);
    const QPointF at = frame.toWidget({x, 0});
    painter.drawText(QPointF(at.x() - metrics.horizontalAdvance(label) / 2, area.bottom() + 14),
                     label);
  }
  for (double y = 0; y <= frame.yMax + 1e-9; y += frame.yStep) {
    const QString label = QString::number(y, 'g', 4);
    const QPointF at = frame.toWidget({0, y});
    painter.drawText(QPointF(area.left() - metrics.horizontalAdvance(label) - 4, at.y() + 4),
                     label);
  }
  painter.drawText(QRectF(area.left(), area.bottom() + 16, area.width(), 16), Qt::AlignHCenter,
                   xTitle);
  painter.save();
  painter.translate(12, area.center().y());
  painter.rotate(-90);
  painter.drawText(QRectF(-area.height() / 2, -10, area.height(), 16), Qt::AlignHCenter, yTitle);
  painter.restore();
}

void drawChartLegend(QPainter& painter, const QWidget& widget, const ChartFrame& frame,
                     const std::vector<ChartLegendRow>& rows) {
  const QFontMetricsF metrics(widget.font());
  QPointF row = frame.area.topLeft() + QPointF(8, 6);
  for (const ChartLegendRow& r : rows) {
    painter.fillRect(QRectF(row.x(), row.y() + 3, 12, 8),
                     QColor(r.colour.r, r.colour.g, r.colour.b));
    painter.setPen(widget.palette().color(QPalette::Text));
    painter.drawText(QPointF(row.x() + 16, row.y() + metrics.ascent()), r.label);
    row.ry() += metrics.height() + 2;
  }
}

void drawChartReadout(QPainter& painter, const QWidget& widget, const ChartFrame& frame,
                      const QString& readout) {
  if (readout.isEmpty()) return;
  painter.setPen(widget.palette().color(QPalette::Text));
  painter.drawText(
      QRectF(frame.area.left() + 4, frame.area.bottom() - 18, frame.area.width() - 8, 16),
      Qt::AlignRight, readout);
}

}  // namespace twinplan::ui
