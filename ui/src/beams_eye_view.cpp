// The beam's-eye view (beams_eye_view.h), drawn with QPainter.
#include "twinplan/ui/beams_eye_view.h"

#include <QPainter>
#include <algorithm>
#include <cmath>

namespace twinplan::ui {

BeamsEyeView::BeamsEyeView(QWidget* parent) : QWidget(parent) {
  setObjectName("beamsEyeView");
  setMinimumSize(200, 200);
}

void BeamsEyeView::showBeam(const BeamDrawing& beam, std::vector<ProjectedStructure> structures) {
  beam_ = beam;
  structures_ = std::move(structures);
  shown_ = true;
  // Room for the field and 30 % around it, at least 50 mm either side.
  double extent = 50.0;
  for (const auto& [x1, x2, y1, y2] : beam_.openings_mm)
    extent = std::max({extent, std::abs(x1), std::abs(x2), std::abs(y1), std::abs(y2)});
  halfWidth_mm_ = 1.3 * extent;
  update();
}

void BeamsEyeView::clear() {
  beam_ = {};
  structures_.clear();
  shown_ = false;
  update();
}

QPointF BeamsEyeView::toWidget(double x_mm, double y_mm) const {
  const double side = std::min(width(), height());
  const double scale = side / (2 * halfWidth_mm_);
  return {width() / 2.0 + x_mm * scale, height() / 2.0 - y_mm * scale};
}

void BeamsEyeView::paintEvent(QPaintEvent*) {
  QPainter painter(this);
  painter.setRenderHint(QPainter::Antialiasing);
  painter.fillRect(rect(), Qt::black);
  if (!shown_) {
    painter.setPen(Qt::lightGray);
    painter.drawText(rect(), Qt::AlignCenter, tr("Choose a beam"));
    return;
  }
  // The collimators block everything but the openings: grey outside, clear inside.
  painter.fillRect(rect(), QColor(70, 70, 78));
  for (const auto& [x1, x2, y1, y2] : beam_.openings_mm)
    painter.fillRect(QRectF(toWidget(x1, y2), toWidget(x2, y1)), Qt::black);
  // The leaf ends and jaws: each opening's outline.
  painter.setPen(QPen(QColor(255, 220, 0), 1.0));
  painter.setBrush(Qt::NoBrush);
  for (const auto& [x1, x2, y1, y2] : beam_.openings_mm)
    painter.drawRect(QRectF(toWidget(x1, y2), toWidget(x2, y1)));
  // The central axis (isocentre) and the collimator axes Xb (right) and Yb (up).
  painter.setPen(QPen(Qt::cyan, 1.0, Qt::DashLine));
  painter.drawLine(toWidget(-halfWidth_mm_, 0), toWidget(halfWidth_mm_, 0));
  painter.drawLine(toWidget(0, -halfWidth_mm_), toWidget(0, halfWidth_mm_));
  // Structures, projected from the source, over the rest.
  for (const ProjectedStructure& s : structures_) {
    painter.setPen(QPen(QColor(s.colour.r, s.colour.g, s.colour.b), 3.0, Qt::SolidLine,
                        Qt::RoundCap));
    for (const auto& [x, y] : s.points_mm) painter.drawPoint(toWidget(x, y));
  }
  painter.setPen(Qt::white);
  painter.drawText(QRectF(4, 4, width() - 8, 18), Qt::AlignLeft,
                   tr("%1 — beam's-eye view at the isocentre (X right, Y up)")
                       .arg(QString::fromStdString(beam_.name)));
}

}  // namespace twinplan::ui
