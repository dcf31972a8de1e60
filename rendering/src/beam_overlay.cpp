#include "twinplan/rendering/beam_overlay.h"

#include <vtkActor.h>
#include <vtkCallbackCommand.h>
#include <vtkCellArray.h>
#include <vtkCellData.h>
#include <vtkPoints.h>
#include <vtkPolyData.h>
#include <vtkPolyDataMapper.h>
#include <vtkProperty.h>
#include <vtkRenderer.h>
#include <vtkUnsignedCharArray.h>

namespace twinplan::rendering {
namespace {

// Half the arm of the isocentre's cross (mm).
constexpr double kCross_mm = 4.0;

bool samePlane(const SlicePlane& a, const SlicePlane& b) {
  return a.width == b.width && a.height == b.height && a.spacing_mm == b.spacing_mm &&
         a.origin_lps == b.origin_lps && a.right == b.right && a.down == b.down;
}

Vec3 onPlane(const SlicePlane& plane, const Vec3& p_lps) {
  const Vec3 n = plane.normal();
  return p_lps - (p_lps - plane.origin_lps).dot(n) * n;
}

}  // namespace

BeamOverlay::BeamOverlay(SliceView& view) : view_(view) {
  lines_ = vtkSmartPointer<vtkPolyData>::New();
  auto mapper = vtkSmartPointer<vtkPolyDataMapper>::New();
  mapper->SetInputData(lines_);
  mapper->SetScalarModeToUseCellData();
  actor_ = vtkSmartPointer<vtkActor>::New();
  actor_->SetMapper(mapper);
  actor_->GetProperty()->SetLineWidth(2.0);
  actor_->GetProperty()->SetLighting(false);
  // In front of the slice, the field's isolines (0.4) and the crosshair (0.5).
  actor_->SetPosition(0, 0, 0.7);
  actor_->SetVisibility(false);
  view_.renderer()->AddActor(actor_);
  beforeRender_ = vtkSmartPointer<vtkCallbackCommand>::New();
  beforeRender_->SetClientData(this);
  beforeRender_->SetCallback([](vtkObject*, unsigned long, void* overlay, void*) {
    static_cast<BeamOverlay*>(overlay)->update();
  });
  observer_ = view_.renderer()->AddObserver(vtkCommand::StartEvent, beforeRender_);
}

BeamOverlay::~BeamOverlay() {
  view_.renderer()->RemoveObserver(observer_);
  view_.renderer()->RemoveActor(actor_);
}

void BeamOverlay::setBeams(std::vector<BeamAxis> beams) {
  beams_ = std::move(beams);
  stale_ = true;
}

std::vector<BeamOverlay::ProjectedAxis> BeamOverlay::projectedAxes() {
  update();
  return projected_;
}

void BeamOverlay::update() {
  const SlicePlane& plane = view_.slicePlane();
  if (!stale_ && samePlane(plane, shownPlane_)) return;
  stale_ = false;
  shownPlane_ = plane;
  projected_.clear();
  auto points = vtkSmartPointer<vtkPoints>::New();
  auto cells = vtkSmartPointer<vtkCellArray>::New();
  auto colours = vtkSmartPointer<vtkUnsignedCharArray>::New();
  colours->SetNumberOfComponents(3);
  // SliceView's world: mm along the plane's right, and up from its bottom row.
  const auto world = [&](const Vec3& p) {
    const Vec3 d = p - plane.origin_lps;
    return points->InsertNextPoint(d.dot(plane.right),
                                   (plane.height - 1) * plane.spacing_mm - d.dot(plane.down), 0.0);
  };
  const auto line = [&](const Vec3& a, const Vec3& b, const RgbColour& c) {
    const vtkIdType ids[2] = {world(a), world(b)};
    cells->InsertNextCell(2, ids);
    colours->InsertNextTuple3(c.r, c.g, c.b);
  };
  if (plane.width > 0) {
    for (const BeamAxis& beam : beams_) {
      const Vec3 axis = (beam.isocentre_lps - beam.source_lps).normalized();
      ProjectedAxis p;
      p.from_lps = onPlane(plane, beam.source_lps);
      p.to_lps = onPlane(plane, beam.isocentre_lps + kExitLength_mm * axis);
      p.isocentre_lps = onPlane(plane, beam.isocentre_lps);
      p.edgeOn = (p.to_lps - p.from_lps).norm() < 1e-6;
      if (!p.edgeOn) line(p.from_lps, p.to_lps, beam.colour);
      for (const Vec3& arm : {plane.right, plane.down})
        line(p.isocentre_lps - kCross_mm * arm, p.isocentre_lps + kCross_mm * arm, beam.colour);
      projected_.push_back(p);
    }
  }
  lines_->SetPoints(points);
  lines_->SetLines(cells);
  lines_->GetCellData()->SetScalars(colours);
  lines_->Modified();
  actor_->SetVisibility(!beams_.empty());
}

}  // namespace twinplan::rendering
