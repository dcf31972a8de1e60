#pragma once
// Treatment beams in the views (issue #19 items 1 and 8): each beam's geometry (IEC 61217,
// radiotherapy/beam_geometry.h) at its first control point, the openings of its jaws and leaves
// in the isocentre plane, the 3D lines of its central axis, its field outline in the isocentre
// plane and the divergent edges from the source through the outline's corners; and the beam's-eye
// view: the aperture with its leaves, and the structures projected from the source onto the
// isocentre plane.
#include <QImage>
#include <QPainterPath>
#include <QWidget>
#include <array>
#include <string>
#include <vector>

#include "twinplan/core/label_map.h"
#include "twinplan/radiotherapy/beam_geometry.h"
#include "twinplan/rendering/line_actor.h"

namespace twinplan::ui {

// Beyond the isocentre the 3D lines reach this far (mm), through the patient.
inline constexpr double kBeamLineBeyondIsocentre_mm = 150.0;

struct BeamDrawing {
  std::string name;
  radiotherapy::BeamGeometry geometry;
  // Open rectangles x1, x2, y1, y2 (mm, along Xb and Yb in the isocentre plane): one per open
  // leaf pair, or the jaws' rectangle without leaves; empty when the beam's collimation is not
  // known (an ion beam without jaws).
  std::vector<std::array<double, 4>> openings_mm;
  std::vector<rendering::LineSegment> axis_lps;     // source -> beyond the isocentre
  std::vector<rendering::LineSegment> outline_lps;  // the openings' edges in the isocentre plane
  std::vector<rendering::LineSegment> edges_lps;    // source -> beyond, through the corners
};

// A structure seen from the source: the faces of the slabs its contours stand for, projected
// on the isocentre plane (x, y in mm along Xb, Yb). The view fills their union (the structure's
// silhouette from the source) translucently and draws its outline.
struct ProjectedStructure {
  std::string name;
  Rgb colour;
  std::vector<std::vector<std::array<double, 2>>> polygons_mm;
};

class BeamsEyeView : public QWidget {
  Q_OBJECT
 public:
  explicit BeamsEyeView(QWidget* parent = nullptr);
  void showBeam(const BeamDrawing& beam, std::vector<ProjectedStructure> structures);
  void clear();
  const std::string& beamName() const { return beam_.name; }
  const std::vector<std::array<double, 4>>& openings_mm() const { return beam_.openings_mm; }
  const std::vector<ProjectedStructure>& structures() const { return structures_; }
  // The widget position of a point of the isocentre plane (mm along Xb, Yb; Yb up).
  QPointF toWidget(double x_mm, double y_mm) const;
  QSize sizeHint() const override { return {260, 260}; }
  // The structure's silhouette as drawn (widget pixels): the union of its projected faces
  // (winding fill), and that filled in `colour` on a transparent image of the widget's size.
  QPainterPath silhouette(const ProjectedStructure& structure) const;
  QImage silhouetteMask(const ProjectedStructure& structure, const QColor& colour) const;
  // The mask's boundary pixels (inside, with a 4-neighbour outside).
  static QImage outlineOf(const QImage& mask);
  static constexpr int kStructureFillAlpha = 70;  // of 255: the field stays readable below

 protected:
  void paintEvent(QPaintEvent* event) override;

 private:
  BeamDrawing beam_;
  std::vector<ProjectedStructure> structures_;
  double halfWidth_mm_ = 100.0;  // the view shows [-h, h] in both directions
  bool shown_ = false;
};

}  // namespace twinplan::ui
