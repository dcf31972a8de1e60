#pragma once
// Beam central axes in a 2D view (issue #19 item 8): each beam's axis, from its source through
// the isocentre to `exitLength_mm` beyond it, projected orthogonally into the view's slice plane
// and drawn as a line in the beam's colour, with a small cross at the isocentre's projection.
// For a coplanar beam (couch 0) on an axial slice the projection is the axis itself; on other
// slices and orientations it is the axis's shadow on that plane, so the user sees where every
// beam enters and leaves. Recomputed for the view's slice when it next renders; the projected
// segments can be read back in LPS (and pixels) for tests.
#include <vtkSmartPointer.h>

#include <vector>

#include "twinplan/core/geometry.h"
#include "twinplan/rendering/slice_view.h"

class vtkActor;
class vtkPolyData;
class vtkCallbackCommand;

namespace twinplan::rendering {

struct BeamAxis {
  Vec3 source_lps;
  Vec3 isocentre_lps;
  RgbColour colour{255, 255, 255};
};

class BeamOverlay {
 public:
  // Adds its actor to `view`'s renderer; the view must outlive the overlay.
  explicit BeamOverlay(SliceView& view);
  ~BeamOverlay();
  BeamOverlay(const BeamOverlay&) = delete;
  BeamOverlay& operator=(const BeamOverlay&) = delete;

  void setBeams(std::vector<BeamAxis> beams);
  void clear() { setBeams({}); }
  // Beyond the isocentre (mm): far enough to leave any patient.
  static constexpr double kExitLength_mm = 300.0;

  // One beam's axis projected into the current slice plane (LPS, on the plane).
  struct ProjectedAxis {
    Vec3 from_lps, to_lps;  // the source's and the exit point's projections
    Vec3 isocentre_lps;     // the isocentre's projection
    bool edgeOn = false;    // the axis is along the view normal: only the cross is drawn
  };
  std::vector<ProjectedAxis> projectedAxes();  // recomputed if stale

 private:
  void update();
  SliceView& view_;
  std::vector<BeamAxis> beams_;
  std::vector<ProjectedAxis> projected_;
  SlicePlane shownPlane_;
  bool stale_ = true;
  vtkSmartPointer<vtkPolyData> lines_;
  vtkSmartPointer<vtkActor> actor_;
  vtkSmartPointer<vtkCallbackCommand> beforeRender_;
  unsigned long observer_ = 0;
};

}  // namespace twinplan::rendering
