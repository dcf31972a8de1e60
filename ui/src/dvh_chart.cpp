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
  fitVolumeAxis();
}

void DvhChart::setDifferential(bool differential) {
  differential_ = differential;
  fitVolumeAxis();
}

void DvhChart::fitVolumeAxis() {
  volumeMax_ = 100.0;
  if (differential_) {
    double highest = 0.0;
    for (std::size_t c = 0; c < curves_.size(); ++c)
      for (const DifferentialBin& bin : differentialBins(c))
        highest = std::max(highest, bin.percentPerGy);
    volumeMax_ = niceAxisEnd(highest > 0 ? highest : 1.0, 5);
  }
  clearReadout();
  update();
}

std::vector<DifferentialBin> DvhChart::differentialBins(std::size_t curve) const {
  std::vector<DifferentialBin> bins;
  const radiotherapy::DoseVolumeHistogram& dvh = curves_.at(curve).dvh;
  const std::size_t n = dvh.cumulative_cm3.size();
  if (dvh.figures.volume_cm3 <= 0 || n == 0 || dvh.binWidth_Gy <= 0) return bins;
  // Bins of the same width for every curve: the dose axis in kDifferentialSteps.
  const std::size_t merge = std::max<std::size_t>(
      1, static_cast<std::size_t>(std::ceil(doseMax_Gy_ / kDifferentialSteps / dvh.binWidth_Gy)));
  const auto cumulative = [&](std::size_t at) { return at < n ? dvh.cumulative_cm3[at] : 0.0; };
  for (std::size_t from = 0; from < n; from += merge) {
    const double width_Gy = static_cast<double>(merge) * dvh.binWidth_Gy;
    const double volume_cm3 = cumulative(from) - cumulative(from + merge);
    bins.push_back({static_cast<double>(from) * dvh.binWidth_Gy,
                    static_cast<double>(from + merge) * dvh.binWidth_Gy,
                    100.0 * volume_cm3 / dvh.figures.volume_cm3 / width_Gy});
  }
  return bins;
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

// Dose 0..the axis end on nice ticks; volume 0..100 % every 20 % (cumulative) or on nice ticks.
ChartFrame DvhChart::frame() const {
  return {ChartFrame::plotAreaOf(*this), doseMax_Gy_, volumeMax_, niceTickStep(doseMax_Gy_, 6),
          differential_ ? niceTickStep(volumeMax_, 5) : 20.0};
}

// The differential step of a curve at a dose (0 outside its bins).
static double differentialAt(const std::vector<DifferentialBin>& bins, double dose_Gy) {
  for (const DifferentialBin& bin : bins)
    if (dose_Gy >= bin.from_Gy && dose_Gy < bin.to_Gy) return bin.percentPerGy;
  return 0.0;
}

QString DvhChart::readoutAt(const QPointF& position) const {
  if (curves_.empty() || !frame().area.contains(position)) return {};
  const double dose_Gy = fromWidget(position).x();
  QStringList parts{tr("%1 Gy:").arg(dose_Gy, 0, 'f', 2)};
  for (std::size_t c = 0; c < curves_.size(); ++c) {
    const QString name = QString::fromStdString(curves_[c].dvh.name);
    if (differential_)
      parts << tr("%1 %2 %/Gy").arg(name).arg(differentialAt(differentialBins(c), dose_Gy), 0, 'f',
                                              2);
    else
      parts << tr("%1 %2 %").arg(name).arg(volumePercentAtDose(curves_[c].dvh, dose_Gy), 0, 'f', 1);
  }
  return parts.join("  ");
}

void DvhChart::paintEvent(QPaintEvent*) {
  QPainter painter(this);
  painter.setRenderHint(QPainter::Antialiasing);
  const ChartFrame axes = frame();
  const QRectF& area = axes.area;
  const QColor axisColour = palette().color(QPalette::Text);
  drawChartFrame(painter, *this, axes, tr("Dose (Gy)"),
                 differential_ ? tr("Volume (% per Gy)") : tr("Volume (%)"));
  // The curves, clipped to the plot.
  painter.setClipRect(area.adjusted(-1, -1, 1, 1));
  for (std::size_t c = 0; c < curves_.size(); ++c) {
    std::vector<QPointF> points;
    if (differential_) {
      for (const DifferentialBin& bin : differentialBins(c)) {
        points.emplace_back(bin.from_Gy, bin.percentPerGy);
        points.emplace_back(bin.to_Gy, bin.percentPerGy);
      }
    } else {
      points = plottedPoints(c);
    }
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
