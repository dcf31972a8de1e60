#include "twinplan/rendering/shift_overlay.h"

#include <vtkActor.h>
#include <vtkCallbackCommand.h>
#include <vtkCellArray.h>
#include <vtkPoints.h>
#include <vtkPolyData.h>
#include <vtkPolyDataMapper.h>
#include <vtkProperty.h>
#include <vtkRenderer.h>
#include <vtkTextActor.h>
#include <vtkTextProperty.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "twinplan/core/error.h"

namespace twinplan::rendering {

namespace {

// Arrows shorter than this (mm, in plane) are not drawn: the tissue did not move there.
constexpr double kSmallestArrowShift_mm = 0.05;
// An arrow's head: two barbs of this fraction of its length, this far off its shaft.
constexpr double kBarbFraction = 0.3;
constexpr double kBarbAngle_rad = 25.0 * M_PI / 180.0;

// Trilinear value of `field` at p, NaN outside its grid.
double sampleField(const ScalarField& field, const Vec3& p_lps) {
  const ImageGeometry& g = field.geometry;
  const Vec3 x = g.lpsToIndex(p_lps);
  double value = 0.0;
  const std::int64_t i0 = std::int64_t(std::floor(x[0])), j0 = std::int64_t(std::floor(x[1])),
                     k0 = std::int64_t(std::floor(x[2]));
  for (int c = 0; c < 8; ++c) {
    const std::int64_t i = i0 + (c & 1), j = j0 + ((c >> 1) & 1), k = k0 + ((c >> 2) & 1);
    const double w = ((c & 1) ? x[0] - i0 : 1 - (x[0] - i0)) *
                     (((c >> 1) & 1) ? x[1] - j0 : 1 - (x[1] - j0)) *
                     (((c >> 2) & 1) ? x[2] - k0 : 1 - (x[2] - k0));
    if (w == 0.0) continue;
    // A flat grid (one slice) samples its only slice; otherwise the corners must lie inside.
    const std::int64_t ic = std::clamp<std::int64_t>(i, 0, g.size[0] - 1),
                       jc = std::clamp<std::int64_t>(j, 0, g.size[1] - 1),
                       kc = std::clamp<std::int64_t>(k, 0, g.size[2] - 1);
    if ((ic != i && g.size[0] > 1) || (jc != j && g.size[1] > 1) || (kc != k && g.size[2] > 1))
      return std::numeric_limits<double>::quiet_NaN();
    value += w * field.values[std::size_t((kc * g.size[1] + jc) * g.size[0] + ic)];
  }
  return value;
}

// The largest of 1, 2, 5 x 10^n not above `limit`.
double niceScaleBelow(double limit) {
  const double decade = std::pow(10.0, std::floor(std::log10(limit)));
  for (double m : {5.0, 2.0, 1.0})
    if (m * decade <= limit * (1 + 1e-9)) return m * decade;
  return decade;
}

vtkSmartPointer<vtkActor> lineActor(vtkPolyData* lines, double r, double g, double b,
                                    double width_px) {
  auto mapper = vtkSmartPointer<vtkPolyDataMapper>::New();
  mapper->SetInputData(lines);
  auto actor = vtkSmartPointer<vtkActor>::New();
  actor->SetMapper(mapper);
  actor->GetProperty()->SetColor(r, g, b);
  actor->GetProperty()->SetLineWidth(width_px);
  actor->SetVisibility(false);
  return actor;
}

vtkSmartPointer<vtkTextActor> legendText(double y, double r, double g, double b) {
  auto text = vtkSmartPointer<vtkTextActor>::New();
  text->GetPositionCoordinate()->SetCoordinateSystemToNormalizedViewport();
  text->SetPosition(0.99, y);
  text->GetTextProperty()->SetFontSize(13);
  text->GetTextProperty()->SetColor(r, g, b);
  text->GetTextProperty()->SetShadow(true);
  text->GetTextProperty()->SetJustification(VTK_TEXT_RIGHT);
  text->GetTextProperty()->SetVerticalJustification(VTK_TEXT_TOP);
  text->SetVisibility(false);
  return text;
}

// The legends' rows (normalised viewport heights): the first under the corner text (two
// lines), each next one a line lower, above the field's colour bar (0.25 to 0.65 of the height,
// its title above it); the bottom right holds the scale bar.
constexpr double kFirstLegendY = 0.9;
constexpr double kLegendRow = 0.04;

bool samePlane(const SlicePlane& a, const SlicePlane& b) {
  return a.width == b.width && a.height == b.height && a.spacing_mm == b.spacing_mm &&
         a.origin_lps == b.origin_lps && a.right == b.right && a.down == b.down;
}

}  // namespace

Vec3 ShiftOverlay::Arrow::head_lps() const { return tail_lps + scale * inPlaneShift_mm; }

ShiftOverlay::ShiftOverlay(SliceView& view) : view_(view) {
  arrowLines_ = vtkSmartPointer<vtkPolyData>::New();
  originalLines_ = vtkSmartPointer<vtkPolyData>::New();
  deformedLines_ = vtkSmartPointer<vtkPolyData>::New();
  tipLines_ = vtkSmartPointer<vtkPolyData>::New();
  liveLines_ = vtkSmartPointer<vtkPolyData>::New();
  sphereLines_ = vtkSmartPointer<vtkPolyData>::New();
  // Arrows in green (apart from the yellow/white contours and the rainbow |u| wash).
  arrowActor_ = lineActor(arrowLines_, 0.3, 1.0, 0.4, 2.0);
  originalActor_ = lineActor(originalLines_, 1.0, 1.0, 1.0, 1.5);
  deformedActor_ = lineActor(deformedLines_, 1.0, 0.85, 0.1, 2.0);
  tipActor_ = lineActor(tipLines_, 0.2, 0.9, 1.0, 2.0);
  tipActor_->SetPosition(0, 0, 0.68);
  liveActor_ = lineActor(liveLines_, 0.2, 0.9, 1.0, 2.0);
  liveActor_->SetPosition(0, 0, 0.67);
  // Magenta: apart from the contours, arrows, the tool's cyan and the segments' own colours.
  sphereActor_ = lineActor(sphereLines_, 1.0, 0.3, 1.0, 2.0);
  sphereActor_->SetPosition(0, 0, 0.69);
  // In front of the slice image, the field's isolines (0.4) and the crosshair (0.5).
  originalActor_->SetPosition(0, 0, 0.62);
  deformedActor_->SetPosition(0, 0, 0.64);
  arrowActor_->SetPosition(0, 0, 0.66);
  // Top right, under the corner text (two lines) and above the field's colour bar (0.25 to
  // 0.65 of the height, its title above it); the bottom right holds the scale bar.
  // (showLegends stacks the visible ones from the top.)
  originalLegend_ = legendText(kFirstLegendY, 1.0, 1.0, 1.0);
  deformedLegend_ = legendText(kFirstLegendY, 1.0, 0.85, 0.1);
  arrowLegend_ = legendText(kFirstLegendY, 0.3, 1.0, 0.4);
  liveLegend_ = legendText(kFirstLegendY, 0.2, 0.9, 1.0);
  sphereLegend_ = legendText(kFirstLegendY, 1.0, 0.3, 1.0);
  deformedLegend_->SetInput("solid: deformed (shifted) contours");
  originalLegend_->SetInput("dashed: original contours");
  liveLegend_->SetInput("cyan: tool tip and the organ as it moves it");
  vtkRenderer* renderer = view_.renderer();
  for (vtkActor* actor : {arrowActor_.Get(), originalActor_.Get(), deformedActor_.Get(),
                          tipActor_.Get(), liveActor_.Get(), sphereActor_.Get()})
    renderer->AddActor(actor);
  for (vtkTextActor* text : {originalLegend_.Get(), deformedLegend_.Get(), arrowLegend_.Get(),
                             liveLegend_.Get(), sphereLegend_.Get()})
    renderer->AddActor2D(text);
  beforeRender_ = vtkSmartPointer<vtkCallbackCommand>::New();
  beforeRender_->SetClientData(this);
  beforeRender_->SetCallback([](vtkObject*, unsigned long, void* overlay, void*) {
    static_cast<ShiftOverlay*>(overlay)->update();
  });
  observer_ = renderer->AddObserver(vtkCommand::StartEvent, beforeRender_);
}

ShiftOverlay::~ShiftOverlay() {
  vtkRenderer* renderer = view_.renderer();
  renderer->RemoveObserver(observer_);
  for (vtkActor* actor : {arrowActor_.Get(), originalActor_.Get(), deformedActor_.Get(),
                          tipActor_.Get(), liveActor_.Get(), sphereActor_.Get()})
    renderer->RemoveActor(actor);
  for (vtkTextActor* text : {originalLegend_.Get(), deformedLegend_.Get(), arrowLegend_.Get(),
                             liveLegend_.Get(), sphereLegend_.Get()})
    renderer->RemoveActor2D(text);
}

void ShiftOverlay::setDisplacement(const ScalarField* uL, const ScalarField* uP,
                                   const ScalarField* uS, double gridSpacing_mm) {
  if (!uL || !uP || !uS) {
    u_[0] = u_[1] = u_[2] = nullptr;
  } else {
    if (!uP->geometry.sameGridAs(uL->geometry) || !uS->geometry.sameGridAs(uL->geometry) ||
        uL->values.size() != uL->geometry.voxelCount() || uP->values.size() != uL->values.size() ||
        uS->values.size() != uL->values.size())
      throw Error(ErrorKind::InvalidInput,
                  "The displacement components \"" + uL->name + "\", \"" + uP->name + "\" and \"" +
                      uS->name + "\" are not on one grid; simulate the shift again.",
                  uL->name);
    if (!(gridSpacing_mm > 0))
      throw Error(ErrorKind::InvalidInput, "The arrows' grid spacing must be positive.",
                  "gridSpacing_mm");
    u_[0] = uL;
    u_[1] = uP;
    u_[2] = uS;
    gridSpacing_mm_ = gridSpacing_mm;
    double largest_mm = 0.0;
    for (std::size_t v = 0; v < uL->values.size(); ++v) {
      const double m = Vec3(uL->values[v], uP->values[v], uS->values[v]).norm();
      if (std::isfinite(m)) largest_mm = std::max(largest_mm, m);
    }
    arrowScale_ = largest_mm > 0 ? niceScaleBelow(0.8 * gridSpacing_mm / largest_mm) : 1.0;
  }
  stale_ = true;
}

std::string ShiftOverlay::arrowLegend() const {
  char text[96];
  std::snprintf(text, sizeof text, "shift arrows x%g (1 mm shift = %g mm arrow)", arrowScale_,
                arrowScale_);
  return text;
}

void ShiftOverlay::setContours(const LabelMap* original, const LabelMap* deformed) {
  original_ = original && deformed ? original : nullptr;
  deformed_ = original && deformed ? deformed : nullptr;
  stale_ = true;
}

std::vector<ShiftOverlay::Arrow> ShiftOverlay::arrows() {
  update();
  return arrows_;
}

std::vector<std::pair<Vec3, Vec3>> ShiftOverlay::contourEdges(bool deformed,
                                                              const std::string& segment) {
  update();
  Edges out;
  for (const auto& [name, edges] : deformed ? deformedEdges_ : originalEdges_)
    if (segment.empty() || name == segment) out.insert(out.end(), edges.begin(), edges.end());
  return out;
}

void ShiftOverlay::update() {
  const SlicePlane& plane = view_.slicePlane();
  if (!stale_ && samePlane(plane, shownPlane_)) return;
  stale_ = false;
  shownPlane_ = plane;
  rebuildArrows();
  rebuildContours();
  rebuildToolTip();
  rebuildLiveSurface();
  rebuildResectionSphere();
  showLegends();
}

void ShiftOverlay::setLiveSurface(const SurfaceMesh* moved) {
  liveSurface_ = moved;
  stale_ = true;
}

std::vector<std::pair<Vec3, Vec3>> ShiftOverlay::liveSurfaceEdges() {
  update();
  return liveEdges_;
}

void ShiftOverlay::rebuildLiveSurface() {
  // Each triangle that the slice plane cuts gives one segment between the two points where its
  // edges cross the plane (signed distances of opposite signs, linear along the edge).
  liveEdges_.clear();
  auto points = vtkSmartPointer<vtkPoints>::New();
  auto lines = vtkSmartPointer<vtkCellArray>::New();
  if (liveSurface_ && shownPlane_.width > 0) {
    const Vec3 normal = shownPlane_.normal();
    const Vec3 origin = shownPlane_.origin_lps;
    const auto& xyz = liveSurface_->points_lps;
    auto point = [&](std::uint32_t v) { return Vec3(xyz[v][0], xyz[v][1], xyz[v][2]); };
    for (const auto& t : liveSurface_->triangles) {
      const Vec3 p[3] = {point(t[0]), point(t[1]), point(t[2])};
      double d[3];
      for (int c = 0; c < 3; ++c) d[c] = (p[c] - origin).dot(normal);
      Vec3 cut[2];
      int n = 0;
      for (int c = 0; c < 3 && n < 2; ++c) {
        const int e = (c + 1) % 3;
        if ((d[c] < 0) != (d[e] < 0)) cut[n++] = p[c] + (d[c] / (d[c] - d[e])) * (p[e] - p[c]);
      }
      if (n == 2) liveEdges_.emplace_back(cut[0], cut[1]);
    }
    for (const auto& [a, b] : liveEdges_) {
      const Eigen::Vector2d pa = toWorld(a), pb = toWorld(b);
      const vtkIdType ids[2] = {points->InsertNextPoint(pa[0], pa[1], 0.0),
                                points->InsertNextPoint(pb[0], pb[1], 0.0)};
      lines->InsertNextCell(2, ids);
    }
  }
  liveLines_->SetPoints(points);
  liveLines_->SetLines(lines);
  liveLines_->Modified();
  liveActor_->SetVisibility(!liveEdges_.empty());
}

void ShiftOverlay::setToolTip(const std::optional<Vec3>& tip_lps, double radius_mm) {
  tip_lps_ = tip_lps;
  tipRadius_mm_ = radius_mm;
  stale_ = true;
}

void ShiftOverlay::rebuildToolTip() {
  auto points = vtkSmartPointer<vtkPoints>::New();
  auto lines = vtkSmartPointer<vtkCellArray>::New();
  const double off_mm =
      tip_lps_ ? (*tip_lps_ - shownPlane_.origin_lps).dot(shownPlane_.normal()) : 0.0;
  const double reach_mm = std::max(tipRadius_mm_, shownPlane_.spacing_mm);
  if (tip_lps_ && std::abs(off_mm) <= reach_mm) {
    // The tip's cross-section on this slice: its radius where the slice cuts a ball of it.
    const double r = std::sqrt(std::max(0.0, reach_mm * reach_mm - off_mm * off_mm));
    const Eigen::Vector2d c = toWorld(*tip_lps_);
    auto add = [&](const Eigen::Vector2d& a, const Eigen::Vector2d& b) {
      const vtkIdType ids[2] = {points->InsertNextPoint(a[0], a[1], 0.0),
                                points->InsertNextPoint(b[0], b[1], 0.0)};
      lines->InsertNextCell(2, ids);
    };
    addRing(points, lines, *tip_lps_, r);
    const double arm = std::max(1.0, r / 3);
    add(c - Eigen::Vector2d(arm, 0), c + Eigen::Vector2d(arm, 0));
    add(c - Eigen::Vector2d(0, arm), c + Eigen::Vector2d(0, arm));
  }
  tipLines_->SetPoints(points);
  tipLines_->SetLines(lines);
  tipLines_->Modified();
  tipActor_->SetVisibility(lines->GetNumberOfCells() > 0);
}

void ShiftOverlay::addRing(vtkPoints* points, vtkCellArray* lines, const Vec3& centre_lps,
                           double r_mm) const {
  // A polygon fine enough that its sides stay within a tenth of a pixel of the circle for a
  // ring of up to 100 pixels (sagitta r (1 - cos(pi / n))).
  constexpr int kSides = 96;
  const Eigen::Vector2d c = toWorld(centre_lps);
  for (int i = 0; i < kSides; ++i) {
    const double a = 2 * M_PI * i / kSides, b = 2 * M_PI * (i + 1) / kSides;
    const Eigen::Vector2d p = c + r_mm * Eigen::Vector2d(std::cos(a), std::sin(a)),
                          q = c + r_mm * Eigen::Vector2d(std::cos(b), std::sin(b));
    const vtkIdType ids[2] = {points->InsertNextPoint(p[0], p[1], 0.0),
                              points->InsertNextPoint(q[0], q[1], 0.0)};
    lines->InsertNextCell(2, ids);
  }
}

void ShiftOverlay::setResectionSphere(const std::optional<Vec3>& centre_lps, double radius_mm) {
  sphereCentre_lps_ = centre_lps && radius_mm > 0 ? centre_lps : std::nullopt;
  sphereRadius_mm_ = radius_mm;
  stale_ = true;
}

std::optional<ShiftOverlay::Circle> ShiftOverlay::resectionCircle() {
  update();
  return sphereCut_;
}

void ShiftOverlay::rebuildResectionSphere() {
  // The plane at distance d from the centre cuts the sphere in a circle of radius
  // sqrt(r^2 - d^2) about the centre's projection on it.
  sphereCut_.reset();
  auto points = vtkSmartPointer<vtkPoints>::New();
  auto lines = vtkSmartPointer<vtkCellArray>::New();
  if (sphereCentre_lps_ && shownPlane_.width > 0) {
    const Vec3 normal = shownPlane_.normal();
    const double d = (*sphereCentre_lps_ - shownPlane_.origin_lps).dot(normal);
    if (std::abs(d) < sphereRadius_mm_) {
      sphereCut_ = Circle{*sphereCentre_lps_ - d * normal,
                          std::sqrt(sphereRadius_mm_ * sphereRadius_mm_ - d * d)};
      addRing(points, lines, sphereCut_->centre_lps, sphereCut_->radius_mm);
    }
  }
  sphereLines_->SetPoints(points);
  sphereLines_->SetLines(lines);
  sphereLines_->Modified();
  sphereActor_->SetVisibility(sphereCut_.has_value());
}

Eigen::Vector2d ShiftOverlay::toWorld(const Vec3& p_lps) const {
  // SliceView's world: mm along the plane's right, and up from its bottom row.
  const SlicePlane& plane = shownPlane_;
  const Vec3 d = p_lps - plane.origin_lps;
  return {d.dot(plane.right), (plane.height - 1) * plane.spacing_mm - d.dot(plane.down)};
}

void ShiftOverlay::rebuildArrows() {
  arrows_.clear();
  auto points = vtkSmartPointer<vtkPoints>::New();
  auto lines = vtkSmartPointer<vtkCellArray>::New();
  const SlicePlane& plane = shownPlane_;
  if (u_[0] && plane.width > 0 && plane.height > 0) {
    const Vec3 normal = plane.normal();
    // Grid points every gridSpacing_mm, anchored at the plane's first pixel.
    const double step_px = std::max(1.0, gridSpacing_mm_ / plane.spacing_mm);
    for (double v = step_px / 2; v < plane.height; v += step_px)
      for (double u = step_px / 2; u < plane.width; u += step_px) {
        const Vec3 p = plane.pixelToLps(u, v);
        const Vec3 shift(sampleField(*u_[0], p), sampleField(*u_[1], p), sampleField(*u_[2], p));
        if (!shift.allFinite()) continue;
        const Vec3 inPlane = shift - shift.dot(normal) * normal;
        if (inPlane.norm() < kSmallestArrowShift_mm) continue;
        arrows_.push_back({p, inPlane, arrowScale_});
      }
    auto add = [&](const Eigen::Vector2d& a, const Eigen::Vector2d& b) {
      const vtkIdType ids[2] = {points->InsertNextPoint(a[0], a[1], 0.0),
                                points->InsertNextPoint(b[0], b[1], 0.0)};
      lines->InsertNextCell(2, ids);
    };
    for (const Arrow& arrow : arrows_) {
      const Eigen::Vector2d tail = toWorld(arrow.tail_lps), head = toWorld(arrow.head_lps());
      add(tail, head);
      const Eigen::Vector2d back = (tail - head) * kBarbFraction;
      const Eigen::Rotation2Dd turn(kBarbAngle_rad);
      add(head, head + turn * back);
      add(head, head + turn.inverse() * back);
    }
  }
  arrowLines_->SetPoints(points);
  arrowLines_->SetLines(lines);
  arrowLines_->Modified();
  arrowActor_->SetVisibility(!arrows_.empty());
}

std::vector<std::int64_t> ShiftOverlay::voxelsOfPixels(const ImageGeometry& g) const {
  // The voxel nearest each slice pixel (-1 outside the grid), as SliceView samples segments.
  const SlicePlane& plane = shownPlane_;
  std::vector<std::int64_t> voxels(std::size_t(plane.width) * plane.height, -1);
  for (int v = 0; v < plane.height; ++v)
    for (int u = 0; u < plane.width; ++u) {
      const Vec3 x = g.lpsToIndex(plane.pixelToLps(u, v));
      const std::int64_t i = std::llround(x[0]), j = std::llround(x[1]), k = std::llround(x[2]);
      if (i < 0 || j < 0 || k < 0 || i >= g.size[0] || j >= g.size[1] || k >= g.size[2]) continue;
      voxels[std::size_t(v) * plane.width + u] = std::int64_t(g.linearIndex(i, j, k));
    }
  return voxels;
}

ShiftOverlay::Edges ShiftOverlay::segmentEdges(const LabelMap& labels, std::size_t segment,
                                               const std::vector<std::int64_t>& voxels) const {
  // The contour is the boundary between member and non-member pixels (pixel edges).
  const SlicePlane& plane = shownPlane_;
  const int w = plane.width, h = plane.height;
  const Segment& s = labels.segments()[segment];
  const std::vector<std::uint16_t>& layer = labels.layer(s.layer);
  std::vector<std::uint8_t> inside(std::size_t(w) * h, 0);
  for (std::size_t p = 0; p < inside.size(); ++p)
    inside[p] = voxels[p] >= 0 && layer[std::size_t(voxels[p])] == s.value;
  auto at = [&](int u, int v) {
    return u >= 0 && v >= 0 && u < w && v < h && inside[std::size_t(v) * w + u];
  };
  Edges edges;
  auto corner = [&](double u, double v) { return plane.pixelToLps(u, v); };
  for (int v = 0; v <= h; ++v)
    for (int u = 0; u <= w; ++u) {
      // The edge left of pixel (u, v) and the edge above it.
      if (v < h && at(u - 1, v) != at(u, v))
        edges.emplace_back(corner(u - 0.5, v - 0.5), corner(u - 0.5, v + 0.5));
      if (u < w && at(u, v - 1) != at(u, v))
        edges.emplace_back(corner(u - 0.5, v - 0.5), corner(u + 0.5, v - 0.5));
    }
  return edges;
}

void ShiftOverlay::rebuildContours() {
  originalEdges_.clear();
  deformedEdges_.clear();
  std::vector<std::int64_t> originalVoxels, deformedVoxels;
  if (original_ && shownPlane_.width > 0) {
    originalVoxels = voxelsOfPixels(original_->geometry());
    deformedVoxels = deformed_->geometry().sameGridAs(original_->geometry())
                         ? originalVoxels
                         : voxelsOfPixels(deformed_->geometry());
  }
  if (original_ && shownPlane_.width > 0)
    for (std::size_t s = 0; s < original_->segments().size(); ++s) {
      const Segment& segment = original_->segments()[s];
      const auto moved = deformed_->findSegment(segment.name);
      if (!segment.visible || !moved) continue;
      originalEdges_.emplace_back(segment.name, segmentEdges(*original_, s, originalVoxels));
      deformedEdges_.emplace_back(segment.name, segmentEdges(*deformed_, *moved, deformedVoxels));
    }
  auto draw = [&](const std::vector<std::pair<std::string, Edges>>& sets, vtkPolyData* out,
                  vtkActor* actor, bool dashed) {
    auto points = vtkSmartPointer<vtkPoints>::New();
    auto lines = vtkSmartPointer<vtkCellArray>::New();
    // Dashes: every other pair of pixel edges along x and y (a 2-pixel dash, 2-pixel gap) -
    // OpenGL core profiles have no line stipple.
    const double dash_mm = 2.0 * shownPlane_.spacing_mm;
    for (const auto& [name, edges] : sets)
      for (const auto& [a, b] : edges) {
        const Eigen::Vector2d p = toWorld(a), q = toWorld(b), mid = (p + q) / 2;
        if (dashed && (long(std::floor(mid[0] / dash_mm)) + long(std::floor(mid[1] / dash_mm))) % 2)
          continue;
        const vtkIdType ids[2] = {points->InsertNextPoint(p[0], p[1], 0.0),
                                  points->InsertNextPoint(q[0], q[1], 0.0)};
        lines->InsertNextCell(2, ids);
      }
    out->SetPoints(points);
    out->SetLines(lines);
    out->Modified();
    actor->SetVisibility(lines->GetNumberOfCells() > 0);
  };
  draw(originalEdges_, originalLines_, originalActor_, true);
  draw(deformedEdges_, deformedLines_, deformedActor_, false);
}

void ShiftOverlay::showLegends() {
  arrowLegend_->SetInput(arrowLegend().c_str());
  char sphere[96];
  std::snprintf(sphere, sizeof sphere, "magenta ring: resection sphere, radius %.1f mm",
                sphereRadius_mm_);
  sphereLegend_->SetInput(sphere);
  const std::pair<vtkTextActor*, bool> rows[] = {
      {originalLegend_, original_ != nullptr},
      {deformedLegend_, original_ != nullptr},
      {arrowLegend_, u_[0] != nullptr},
      // The live outline and the tip: while the tool holds the organ.
      {liveLegend_, !liveEdges_.empty() || tip_lps_.has_value()},
      {sphereLegend_, sphereCentre_lps_.has_value()}};
  double y = kFirstLegendY;
  for (const auto& [text, shown] : rows) {
    text->SetVisibility(shown);
    if (!shown) continue;
    text->SetPosition(0.99, y);
    y -= kLegendRow;
  }
}

std::vector<ShiftOverlay::Legend> ShiftOverlay::legends() {
  update();
  std::vector<Legend> out;
  for (vtkTextActor* text : {originalLegend_.Get(), deformedLegend_.Get(), arrowLegend_.Get(),
                             liveLegend_.Get(), sphereLegend_.Get()}) {
    if (!text->GetVisibility()) continue;
    Legend legend;
    legend.text = text->GetInput();
    text->GetTextProperty()->GetColor(legend.r, legend.g, legend.b);
    // The text's box about its anchor (vtkTextActor::GetBoundingBox), moved to where the
    // anchor is drawn.
    double box[4];
    text->GetBoundingBox(view_.renderer(), box);
    const int* anchor = text->GetPositionCoordinate()->GetComputedDisplayValue(view_.renderer());
    for (int i = 0; i < 4; ++i) legend.box[i] = anchor[i / 2] + int(std::lround(box[i]));
    out.push_back(std::move(legend));
  }
  return out;
}

}  // namespace twinplan::rendering
