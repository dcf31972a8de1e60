// The tumour burden chart (tumour_burden_chart.h), drawn with QPainter.
#include "twinplan/ui/tumour_burden_chart.h"

#include <QPainter>
#include <QPainterPath>
#include <algorithm>

#include "chart_frame.h"

namespace twinplan::ui {

namespace {

QColor colourOf(const Rgb& rgb, int alpha = 255) { return QColor(rgb.r, rgb.g, rgb.b, alpha); }

}  // namespace

std::optional<double> interpolateAtDay(const std::vector<double>& days,
                                       const std::vector<double>& values, double day) {
  if (days.empty() || values.size() != days.size() || day < days.front() || day > days.back())
    return std::nullopt;
  const auto after = std::upper_bound(days.begin(), days.end(), day);
  if (after == days.end()) return values.back();
  const std::size_t n = static_cast<std::size_t>(after - days.begin());
  if (n == 0) return values.front();
  const double t = (day - days[n - 1]) / (days[n] - days[n - 1]);
  return values[n - 1] + t * (values[n] - values[n - 1]);
}

TumourBurdenChart::TumourBurdenChart(QWidget* parent) : HoverChart(parent) {
  setObjectName("tumourBurdenChart");
}

void TumourBurdenChart::setCurves(std::vector<BurdenCurve> curves,
                                  std::optional<double> progressionLevel_ml) {
  curves_ = std::move(curves);
  progression_ml_ = progressionLevel_ml;
  double lastDay = 0.0, highest = progressionLevel_ml.value_or(0.0);
  for (const BurdenCurve& c : curves_) {
    if (!c.day.empty()) lastDay = std::max(lastDay, c.day.back());
    for (double v : c.high_ml) highest = std::max(highest, v);
    for (double v : c.median_ml) highest = std::max(highest, v);
  }
  dayMax_ = niceAxisEnd(lastDay, 6);
  volumeMax_ml_ = niceAxisEnd(highest, 5);
  clearReadout();
  update();
}

ChartFrame TumourBurdenChart::frame() const {
  return {ChartFrame::plotAreaOf(*this), dayMax_, volumeMax_ml_, niceTickStep(dayMax_, 6),
          niceTickStep(volumeMax_ml_, 5)};
}

QString TumourBurdenChart::readoutAt(const QPointF& position) const {
  if (curves_.empty() || !frame().area.contains(position)) return {};
  const double day = fromWidget(position).x();
  QStringList parts{tr("day %1:").arg(day, 0, 'f', 0)};
  for (const BurdenCurve& c : curves_) {
    const auto median = interpolateAtDay(c.day, c.median_ml, day);
    const auto low = interpolateAtDay(c.day, c.low_ml, day);
    const auto high = interpolateAtDay(c.day, c.high_ml, day);
    if (median && low && high)
      parts << tr("%1 %2 ml (%3–%4)")
                   .arg(c.label)
                   .arg(*median, 0, 'f', 1)
                   .arg(*low, 0, 'f', 1)
                   .arg(*high, 0, 'f', 1);
  }
  return parts.join("  ");
}

void TumourBurdenChart::paintEvent(QPaintEvent*) {
  QPainter painter(this);
  painter.setRenderHint(QPainter::Antialiasing);
  const ChartFrame axes = frame();
  drawChartFrame(painter, *this, axes, tr("Days from the first fraction"),
                 tr("Enhancing volume (ml)"));
  painter.setClipRect(axes.area.adjusted(-1, -1, 1, 1));
  // Bands first (light), then the medians over them.
  for (const BurdenCurve& c : curves_) {
    if (c.day.empty() || c.low_ml.size() != c.day.size() || c.high_ml.size() != c.day.size())
      continue;
    QPolygonF band;
    for (std::size_t n = 0; n < c.day.size(); ++n) band << axes.toWidget({c.day[n], c.high_ml[n]});
    for (std::size_t n = c.day.size(); n-- > 0;) band << axes.toWidget({c.day[n], c.low_ml[n]});
    painter.setPen(Qt::NoPen);
    painter.setBrush(colourOf(c.colour, 50));
    painter.drawPolygon(band);
  }
  painter.setBrush(Qt::NoBrush);
  for (const BurdenCurve& c : curves_) {
    if (c.day.empty() || c.median_ml.size() != c.day.size()) continue;
    QPainterPath path(axes.toWidget({c.day.front(), c.median_ml.front()}));
    for (std::size_t n = 1; n < c.day.size(); ++n)
      path.lineTo(axes.toWidget({c.day[n], c.median_ml[n]}));
    painter.setPen(QPen(colourOf(c.colour), 2.0));
    painter.drawPath(path);
  }
  const QColor text = palette().color(QPalette::Text);
  if (progression_ml_) {
    painter.setPen(QPen(text, 1.0, Qt::DashLine));
    painter.drawLine(axes.toWidget({0, *progression_ml_}),
                     axes.toWidget({dayMax_, *progression_ml_}));
    painter.setPen(text);
    const QPointF at = axes.toWidget({dayMax_, *progression_ml_});
    painter.drawText(QRectF(at.x() - 204, at.y() - 16, 200, 14), Qt::AlignRight,
                     tr("progression: back to %1 ml").arg(*progression_ml_, 0, 'f', 1));
  }
  // Legend, top left inside the plot.
  std::vector<ChartLegendRow> legend;
  for (const BurdenCurve& c : curves_) legend.push_back({c.label, c.colour});
  drawChartLegend(painter, *this, axes, legend);
  painter.setClipping(false);
  drawChartReadout(painter, *this, axes, readout());
}

}  // namespace twinplan::ui
