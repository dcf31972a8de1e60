#pragma once
// The tissue-shift layers of a 2D view (issue #18 item 4), drawn over a SliceView by actors of
// their own (the generic field wash stays SliceView::setScalarField):
//  - displacement arrows: the in-plane part of the displacement (L, P, S component fields) on a
//    subsampled grid of the current slice, drawn `arrowScale()` times their length, with a
//    legend that states the scale;
//  - original and deformed together: the contours of each segment in the original labelmap
//    (white, dashed) and in the deformed one (yellow, solid), with a legend;
//  - the live tool: its tip and the organ as the tool moves it (cyan), with a legend;
//  - a resection sphere before it is simulated: its cross-section (magenta ring), with a legend.
// The legends stack in the top right corner, the visible ones only.
// Everything is recomputed for the view's slice when the view next renders (a hidden view
// costs nothing), and can be read back in LPS for tests.
#include <vtkSmartPointer.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "twinplan/core/geometry.h"
#include "twinplan/core/label_map.h"
#include "twinplan/core/mesh.h"
#include "twinplan/core/scalar_field.h"
#include "twinplan/rendering/slice_view.h"

class vtkActor;
class vtkCellArray;
class vtkPoints;
class vtkPolyData;
class vtkTextActor;
class vtkCallbackCommand;

namespace twinplan::rendering {

class ShiftOverlay {
 public:
  // Adds its actors to `view`'s renderer; the view must outlive the overlay.
  explicit ShiftOverlay(SliceView& view);
  ~ShiftOverlay();
  ShiftOverlay(const ShiftOverlay&) = delete;
  ShiftOverlay& operator=(const ShiftOverlay&) = delete;

  // The displacement's L, P and S components (mm, one grid; borrowed) drawn as arrows every
  // `gridSpacing_mm` on the slice; nullptr clears. The scale is fixed per field (1, 2 or 5 x
  // 10^n), the largest that keeps the largest displacement's arrow within 0.8 grid spacings,
  // so arrows do not overlap and read the same on every slice. Error(InvalidInput) when the
  // three fields do not share a grid.
  void setDisplacement(const ScalarField* uL, const ScalarField* uP, const ScalarField* uS,
                       double gridSpacing_mm = 10.0);
  void clearDisplacement() { setDisplacement(nullptr, nullptr, nullptr); }
  double arrowScale() const { return arrowScale_; }
  std::string arrowLegend() const;  // "shift arrows x2 (1 mm shift = 2 mm arrow)"

  // One arrow of the current slice: at a grid point, the in-plane displacement there.
  struct Arrow {
    Vec3 tail_lps;
    Vec3 inPlaneShift_mm;   // the displacement less its component along the view normal
    Vec3 head_lps() const;  // tail + arrowScale * inPlaneShift (set by the overlay)
    double scale = 1.0;
  };
  std::vector<Arrow> arrows();  // for the current slice (recomputed if stale)

  // The contours of every segment of `original` that `deformed` has too (by name); borrowed,
  // nullptr clears.
  void setContours(const LabelMap* original, const LabelMap* deformed);
  // The contour edges on the current slice (pixel-boundary segments, LPS), of the original or
  // the deformed labelmap, for segment `segment` (name) or every segment (empty).
  std::vector<std::pair<Vec3, Vec3>> contourEdges(bool deformed, const std::string& segment = {});

  // The live tool's tip (a cyan ring of the tip's radius and a cross where its axis meets the
  // slice, drawn on every slice it is within the radius of); nullopt hides it.
  void setToolTip(const std::optional<Vec3>& tip_lps, double radius_mm = 0.0);
  const std::optional<Vec3>& toolTip() const { return tip_lps_; }

  // The live tool's organ as the last update moved it (borrowed; nullptr hides it): where its
  // surface cuts the slice, a solid cyan line, so the organ is seen deforming in 2D too.
  void setLiveSurface(const SurfaceMesh* moved);
  std::vector<std::pair<Vec3, Vec3>> liveSurfaceEdges();  // on the current slice, LPS

  // A sphere to resect (LPS centre, radius mm), drawn where it cuts each slice: a magenta ring
  // of radius sqrt(r^2 - d^2) at d mm from its centre; nullopt hides it.
  void setResectionSphere(const std::optional<Vec3>& centre_lps, double radius_mm = 0.0);
  // Its cross-section on the current slice: centre (LPS, on the slice) and radius (mm);
  // nullopt when the slice misses the sphere or none is set.
  struct Circle {
    Vec3 centre_lps;
    double radius_mm = 0;
  };
  std::optional<Circle> resectionCircle();

  // The legends shown now, top to bottom (text), and where each is drawn (VTK display pixels:
  // x0, x1, y0, y1 of its bounding box) for reading the pixels back.
  struct Legend {
    std::string text;
    double r = 0, g = 0, b = 0;  // its colour (0..1)
    int box[4] = {0, 0, 0, 0};
  };
  std::vector<Legend> legends();

  // Recomputes for the view's current slice when the slice or the data changed (called before
  // each render of the view).
  void update();

 private:
  using Edges = std::vector<std::pair<Vec3, Vec3>>;
  void rebuildArrows();
  void rebuildContours();
  void showLegends();
  void rebuildToolTip();
  void rebuildLiveSurface();
  void rebuildResectionSphere();
  void addRing(vtkPoints* points, vtkCellArray* lines, const Vec3& centre_lps, double r_mm) const;
  std::vector<std::int64_t> voxelsOfPixels(const ImageGeometry& grid) const;
  Edges segmentEdges(const LabelMap& labels, std::size_t segment,
                     const std::vector<std::int64_t>& voxels) const;
  Eigen::Vector2d toWorld(const Vec3& p_lps) const;

  SliceView& view_;
  const ScalarField* u_[3] = {nullptr, nullptr, nullptr};
  double gridSpacing_mm_ = 10.0;
  double arrowScale_ = 1.0;
  std::vector<Arrow> arrows_;
  const LabelMap* original_ = nullptr;
  const LabelMap* deformed_ = nullptr;
  std::vector<std::pair<std::string, Edges>> originalEdges_, deformedEdges_;  // per segment
  std::optional<Vec3> tip_lps_;
  const SurfaceMesh* liveSurface_ = nullptr;
  Edges liveEdges_;
  double tipRadius_mm_ = 0.0;
  std::optional<Vec3> sphereCentre_lps_;
  double sphereRadius_mm_ = 0.0;
  std::optional<Circle> sphereCut_;
  bool stale_ = true;
  SlicePlane shownPlane_;
  vtkSmartPointer<vtkPolyData> arrowLines_, originalLines_, deformedLines_, tipLines_, liveLines_,
      sphereLines_;
  vtkSmartPointer<vtkActor> arrowActor_, originalActor_, deformedActor_, tipActor_, liveActor_,
      sphereActor_;
  vtkSmartPointer<vtkTextActor> arrowLegend_, originalLegend_, deformedLegend_, liveLegend_,
      sphereLegend_;
  vtkSmartPointer<vtkCallbackCommand> beforeRender_;
  unsigned long observer_ = 0;
};

}  // namespace twinplan::rendering
