#pragma once
// Line segments in LPS mm as one VTK actor for the 3D view (treatment beams: central axes, field
// outlines and their divergent edges).
#include <vtkSmartPointer.h>

#include <utility>
#include <vector>

#include "twinplan/core/geometry.h"
#include "twinplan/core/label_map.h"

class vtkActor;

namespace twinplan::rendering {

using LineSegment = std::pair<Vec3, Vec3>;

// An unlit actor drawing `segments` in `colour`, `width_px` wide (an empty actor for none).
vtkSmartPointer<vtkActor> makeLinesActor(const std::vector<LineSegment>& segments,
                                         const Rgb& colour, double width_px, double opacity);

}  // namespace twinplan::rendering
