// The DVH chart (dvh_chart.h), drawn with QPainter.
#include "twinplan/ui/dvh_chart.h"

#include <QMouseEvent>
#include <QPainter>
#include <QPainterPath>
#include <algorithm>
#include <cmath>

namespace twinplan::ui {

namespace {

// Margins of the plot inside the widget (pixels): room for the tick labels and axis titles.
constexpr double kLeft_px = 46, kRight_px = 12, kTop_px = 10, kBottom_px = 34;

// A "nice" tick step (1, 2 or 5 x 10^n) giving about `ticks` intervals over `range`.
double tickStep(double range, int ticks) {
  const double raw = range / ticks;
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0})
    if (m * magnitude >= raw) return m * magnitude;
  return 10 * magnitude;
}

}  // namespace

double volumePercentAtDose(const radiotherapy::DoseVolumeHistogram& dvh, double dose_Gy) {
  if (dvh.figures.volume_cm3 <= 0) return 0.0;
  return 100.0 * dvh.volumeAtDose(dose_Gy) / dvh.figures.volume_cm3;
}

DvhChart::DvhChart(QWidget* parent) : QWidget(parent) {
  setMouseTracking(true);
  setObjectName("dvhChart");
}

void DvhChart::setCurves(std::vector<DvhCurve> curves) {
  curves_ = std::move(curves);
  double highest = 0.0;
  for (const DvhCurve& c : curves_)
    highest =
        std::max(highest, c.dvh.binWidth_Gy * static_cast<double>(c.dvh.cumulative_cm3.size()));
  // The axis ends on a tick past the hottest bin.
  const double step = highest > 0 ? tickStep(highest, 6) : 1.0;
  doseMax_Gy_ = highest > 0 ? std::ceil(highest / step) * step : 1.0;
  readout_.clear();
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

QRectF DvhChart::plotArea() const {
  return QRectF(kLeft_px, kTop_px, std::max(1.0, width() - kLeft_px - kRight_px),
                std::max(1.0, height() - kTop_px - kBottom_px));
}

QPointF DvhChart::toWidget(const QPointF& doseVolume) const {
  const QRectF area = plotArea();
  return {area.left() + doseVolume.x() / doseMax_Gy_ * area.width(),
          area.bottom() - doseVolume.y() / 100.0 * area.height()};
}

QPointF DvhChart::fromWidget(const QPointF& position) const {
  const QRectF area = plotArea();
  return {(position.x() - area.left()) / area.width() * doseMax_Gy_,
          (area.bottom() - position.y()) / area.height() * 100.0};
}

QString DvhChart::readoutAt(const QPointF& position) const {
  if (curves_.empty() || !plotArea().contains(position)) return {};
  const double dose_Gy = fromWidget(position).x();
  QStringList parts{tr("%1 Gy:").arg(dose_Gy, 0, 'f', 2)};
  for (const DvhCurve& c : curves_)
    parts << tr("%1 %2 %")
                 .arg(QString::fromStdString(c.dvh.name))
                 .arg(volumePercentAtDose(c.dvh, dose_Gy), 0, 'f', 1);
  return parts.join("  ");
}

void DvhChart::mouseMoveEvent(QMouseEvent* event) {
  readout_ = readoutAt(event->position());
  setToolTip(readout_);
  update();
}

void DvhChart::leaveEvent(QEvent*) {
  readout_.clear();
  update();
}

void DvhChart::paintEvent(QPaintEvent*) {
  QPainter painter(this);
  painter.setRenderHint(QPainter::Antialiasing);
  painter.fillRect(rect(), palette().base());
  const QRectF area = plotArea();
  const QColor axisColour = palette().color(QPalette::Text);
  // Grid and ticks: dose every "nice" step, volume every 20 %.
  painter.setPen(QPen(palette().color(QPalette::Mid), 0.5, Qt::DotLine));
  const double doseStep = tickStep(doseMax_Gy_, 6);
  for (double d = 0; d <= doseMax_Gy_ + 1e-9; d += doseStep)
    painter.drawLine(toWidget({d, 0}), toWidget({d, 100}));
  for (int v = 0; v <= 100; v += 20)
    painter.drawLine(toWidget({0, double(v)}), toWidget({doseMax_Gy_, double(v)}));
  painter.setPen(axisColour);
  painter.drawRect(area);
  const QFontMetricsF metrics(font());
  for (double d = 0; d <= doseMax_Gy_ + 1e-9; d += doseStep) {
    const QString label = QString::number(d, 'g', 4);
    const QPointF at = toWidget({d, 0});
    painter.drawText(QPointF(at.x() - metrics.horizontalAdvance(label) / 2, area.bottom() + 14),
                     label);
  }
  for (int v = 0; v <= 100; v += 20) {
    const QString label = QString::number(v);
    const QPointF at = toWidget({0, double(v)});
    painter.drawText(QPointF(area.left() - metrics.horizontalAdvance(label) - 4, at.y() + 4),
                     label);
  }
  painter.drawText(QRectF(area.left(), area.bottom() + 16, area.width(), 16), Qt::AlignHCenter,
                   tr("Dose (Gy)"));
  painter.save();
  painter.translate(12, area.center().y());
  painter.rotate(-90);
  painter.drawText(QRectF(-area.height() / 2, -10, area.height(), 16), Qt::AlignHCenter,
                   tr("Volume (%)"));
  painter.restore();
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
  if (!readout_.isEmpty()) {
    painter.setPen(axisColour);
    painter.drawText(QRectF(area.left() + 4, area.top() + 2, area.width() - 8, 16), Qt::AlignRight,
                     readout_);
  }
}

}  // namespace twinplan::ui
