// The DVH chart (dvh_chart.h), drawn with QPainter.
#include "twinplan/ui/dvh_chart.h"

#include <QPainter>
#include <QPainterPath>
#include <algorithm>
#include <cmath>

#include "chart_frame.h"

namespace twinplan::ui {

double volumePercentAtDose(const radiotherapy::DoseVolumeHistogram& dvh, double dose_Gy) {
  if (dvh.figures.volume_cm3 <= 0) return 0.0;
  return 100.0 * dvh.volumeAtDose(dose_Gy) / dvh.figures.volume_cm3;
}

DvhChart::DvhChart(QWidget* parent) : HoverChart(parent) { setObjectName("dvhChart"); }

void DvhChart::setCurves(std::vector<DvhCurve> curves) {
  curves_ = std::move(curves);
  double highest = 0.0;
  for (const DvhCurve& c : curves_)
    highest =
        std::max(highest, c.dvh.binWidth_Gy * static_cast<double>(c.dvh.cumulative_cm3.size()));
  // The axis ends on a tick past the hottest bin.
  doseMax_Gy_ = niceAxisEnd(highest, 6);
  clearReadout();
  update();
}

std::vector<QPointF> DvhChart::plottedPoints(std::size_t curve) const {
  std::vector<QPointF> points;
  const radiotherapy::DoseVolumeHistogram& dvh = curves_.at(curve).dvh;
  if (dvh.figures.volume_cm3 <= 0) return points;
  // Bins past the last with volume are all zero: one of them closes the curve on the axis.
  std::size_t last = dvh.cumulative_cm3.size();
  while (last > 1 && dvh.cumulative_cm3[last - 1] <= 0 && dvh.cumulative_cm3[last - 2] <= 0) --last;
  points.reserve(last);
  for (std::size_t n = 0; n < last; ++n)
    points.emplace_back(static_cast<double>(n) * dvh.binWidth_Gy,
                        100.0 * dvh.cumulative_cm3[n] / dvh.figures.volume_cm3);
  return points;
}

// Dose 0..the axis end on nice ticks, volume 0..100 % every 20 %.
ChartFrame DvhChart::frame() const {
  return {ChartFrame::plotAreaOf(*this), doseMax_Gy_, 100.0, niceTickStep(doseMax_Gy_, 6), 20.0};
}

QString DvhChart::readoutAt(const QPointF& position) const {
  if (curves_.empty() || !frame().area.contains(position)) return {};
  const double dose_Gy = fromWidget(position).x();
  QStringList parts{tr("%1 Gy:").arg(dose_Gy, 0, 'f', 2)};
  for (const DvhCurve& c : curves_)
    parts << tr("%1 %2 %")
                 .arg(QString::fromStdString(c.dvh.name))
                 .arg(volumePercentAtDose(c.dvh, dose_Gy), 0, 'f', 1);
  return parts.join("  ");
}

void DvhChart::paintEvent(QPaintEvent*) {
  QPainter painter(this);
  painter.setRenderHint(QPainter::Antialiasing);
  const ChartFrame axes = frame();
  const QRectF& area = axes.area;
  const QColor axisColour = palette().color(QPalette::Text);
  drawChartFrame(painter, *this, axes, tr("Dose (Gy)"), tr("Volume (%)"));
  // The curves, clipped to the plot.
  painter.setClipRect(area.adjusted(-1, -1, 1, 1));
  for (std::size_t c = 0; c < curves_.size(); ++c) {
    const std::vector<QPointF> points = plottedPoints(c);
    if (points.empty()) continue;
    QPainterPath path(toWidget(points.front()));
    for (std::size_t n = 1; n < points.size(); ++n) path.lineTo(toWidget(points[n]));
    const Rgb& rgb = curves_[c].colour;
    painter.setPen(QPen(QColor(rgb.r, rgb.g, rgb.b), 2.0));
    painter.drawPath(path);
  }
  painter.setClipping(false);
  if (!readout().isEmpty()) {
    painter.setPen(axisColour);
    painter.drawText(QRectF(area.left() + 4, area.top() + 2, area.width() - 8, 16), Qt::AlignRight,
                     readout());
  }
}

}  // namespace twinplan::ui
