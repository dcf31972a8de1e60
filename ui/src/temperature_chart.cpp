// The temperature-over-time chart (temperature_chart.h), drawn with QPainter.
#include "twinplan/ui/temperature_chart.h"

#include <QPainter>
#include <QPainterPath>
#include <algorithm>

#include "chart_frame.h"
#include "twinplan/ui/tumour_burden_chart.h"

namespace twinplan::ui {

TemperatureChart::TemperatureChart(QWidget* parent) : HoverChart(parent) {
  setObjectName("temperatureChart");
}

void TemperatureChart::setCurves(std::vector<TemperatureCurve> curves) {
  curves_ = std::move(curves);
  double last_s = 0.0, hottest = kCoagulation_degC;
  for (const TemperatureCurve& c : curves_) {
    if (!c.time_s.empty()) last_s = std::max(last_s, c.time_s.back());
    for (double t : c.temperature_degC) hottest = std::max(hottest, t);
  }
  timeMax_s_ = niceAxisEnd(last_s, 6);
  // Room above the hottest sample for the legend's rows.
  temperatureMax_degC_ = niceAxisEnd(hottest + 10.0, 5);
  clearReadout();
  update();
}

std::vector<QPointF> TemperatureChart::plottedPoints(std::size_t curve) const {
  const TemperatureCurve& c = curves_.at(curve);
  std::vector<QPointF> points;
  for (std::size_t n = 0; n < std::min(c.time_s.size(), c.temperature_degC.size()); ++n)
    points.emplace_back(c.time_s[n], c.temperature_degC[n]);
  return points;
}

ChartFrame TemperatureChart::frame() const {
  return {ChartFrame::plotAreaOf(*this), timeMax_s_, temperatureMax_degC_,
          niceTickStep(timeMax_s_, 6), niceTickStep(temperatureMax_degC_, 5)};
}

QString TemperatureChart::readoutAt(const QPointF& position) const {
  if (curves_.empty() || !frame().area.contains(position)) return {};
  const double time_s = fromWidget(position).x();
  QStringList parts{tr("%1 s:").arg(time_s, 0, 'f', 0)};
  for (const TemperatureCurve& c : curves_)
    if (const auto t = interpolateAtDay(c.time_s, c.temperature_degC, time_s))
      parts << tr("%1 %2 degC").arg(c.label).arg(*t, 0, 'f', 1);
  return parts.join("  ");
}

void TemperatureChart::paintEvent(QPaintEvent*) {
  QPainter painter(this);
  painter.setRenderHint(QPainter::Antialiasing);
  const ChartFrame axes = frame();
  drawChartFrame(painter, *this, axes, tr("Time (s)"), tr("Temperature (degC)"));
  painter.setClipRect(axes.area.adjusted(-1, -1, 1, 1));
  const QColor text = palette().color(QPalette::Text);
  // The coagulation line under the curves, labelled at its right end.
  painter.setPen(QPen(text, 1.0, Qt::DashLine));
  painter.drawLine(axes.toWidget({0, kCoagulation_degC}),
                   axes.toWidget({timeMax_s_, kCoagulation_degC}));
  painter.setPen(text);
  const QPointF end = axes.toWidget({timeMax_s_, kCoagulation_degC});
  painter.drawText(QRectF(end.x() - 124, end.y() - 16, 120, 14), Qt::AlignRight,
                   tr("%1 degC").arg(kCoagulation_degC));
  std::vector<ChartLegendRow> legend;
  for (std::size_t c = 0; c < curves_.size(); ++c) {
    const std::vector<QPointF> points = plottedPoints(c);
    legend.push_back({curves_[c].label, curves_[c].colour});
    if (points.empty()) continue;
    QPainterPath path(axes.toWidget(points.front()));
    for (std::size_t n = 1; n < points.size(); ++n) path.lineTo(axes.toWidget(points[n]));
    const Rgb& rgb = curves_[c].colour;
    painter.setPen(QPen(QColor(rgb.r, rgb.g, rgb.b), 2.0));
    painter.drawPath(path);
  }
  drawChartLegend(painter, *this, axes, legend);
  painter.setClipping(false);
  drawChartReadout(painter, *this, axes, readout());
}

}  // namespace twinplan::ui
