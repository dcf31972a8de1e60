// The beam's-eye view (beams_eye_view.h), drawn with QPainter.
#include "twinplan/ui/beams_eye_view.h"

#include <QPainter>
#include <QPainterPath>
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

QPainterPath BeamsEyeView::silhouette(const ProjectedStructure& s) const {
  QPainterPath path;
  path.setFillRule(Qt::WindingFill);
  for (const auto& polygon : s.polygons_mm) {
    if (polygon.size() < 3) continue;
    QPolygonF widget;
    for (const auto& [x, y] : polygon) widget << toWidget(x, y);
    // Every face counter-clockwise on screen, so that overlapping faces add up under the
    // winding rule whatever their orientation in the patient (the union, not the XOR).
    double area2 = 0.0;
    for (int n = 0; n < widget.size(); ++n) {
      const QPointF& a = widget[n];
      const QPointF& b = widget[(n + 1) % widget.size()];
      area2 += a.x() * b.y() - b.x() * a.y();
    }
    if (area2 < 0) std::reverse(widget.begin(), widget.end());
    path.addPolygon(widget);
    path.closeSubpath();
  }
  return path;
}

QImage BeamsEyeView::silhouetteMask(const ProjectedStructure& s, const QColor& colour) const {
  QImage mask(size(), QImage::Format_ARGB32_Premultiplied);
  mask.fill(Qt::transparent);
  QPainter p(&mask);
  p.setRenderHint(QPainter::Antialiasing, false);
  p.setPen(Qt::NoPen);
  p.setBrush(colour);
  p.drawPath(silhouette(s));
  return mask;
}

QImage BeamsEyeView::outlineOf(const QImage& mask) {
  QImage outline(mask.size(), QImage::Format_ARGB32_Premultiplied);
  outline.fill(Qt::transparent);
  const auto inside = [&](int x, int y) {
    return x >= 0 && y >= 0 && x < mask.width() && y < mask.height() &&
           qAlpha(mask.pixel(x, y)) > 0;
  };
  for (int y = 0; y < mask.height(); ++y)
    for (int x = 0; x < mask.width(); ++x)
      if (inside(x, y) &&
          (!inside(x - 1, y) || !inside(x + 1, y) || !inside(x, y - 1) || !inside(x, y + 1)))
        outline.setPixel(x, y, mask.pixel(x, y));
  return outline;
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
  // Structures, projected from the source, over the rest: each one's silhouette (the union
  // of its projected faces) filled once into a mask, laid over translucently, and outlined
  // where the mask meets its outside.
  for (const ProjectedStructure& s : structures_) {
    const QColor colour(s.colour.r, s.colour.g, s.colour.b);
    const QImage mask = silhouetteMask(s, colour);
    painter.setOpacity(kStructureFillAlpha / 255.0);
    painter.drawImage(0, 0, mask);
    painter.setOpacity(1.0);
    painter.drawImage(0, 0, outlineOf(mask));
  }
  painter.setBrush(Qt::NoBrush);
  painter.setPen(Qt::white);
  // Wrapped: at the dock's width at 1200 x 900 one line was cut.
  painter.drawText(QRectF(4, 4, width() - 8, 40), Qt::AlignLeft | Qt::TextWordWrap,
                   tr("%1 — beam's-eye view at the isocentre (X right, Y up)")
                       .arg(QString::fromStdString(beam_.name)));
}

}  // namespace twinplan::ui
