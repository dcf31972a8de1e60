#include "twinplan/rendering/line_actor.h"

#include <vtkActor.h>
#include <vtkCellArray.h>
#include <vtkPoints.h>
#include <vtkPolyData.h>
#include <vtkPolyDataMapper.h>
#include <vtkProperty.h>

namespace twinplan::rendering {

vtkSmartPointer<vtkActor> makeLinesActor(const std::vector<LineSegment>& segments,
                                         const Rgb& colour, double width_px, double opacity) {
  auto points = vtkSmartPointer<vtkPoints>::New();
  auto lines = vtkSmartPointer<vtkCellArray>::New();
  for (const auto& [a, b] : segments) {
    const vtkIdType ids[2] = {points->InsertNextPoint(a[0], a[1], a[2]),
                              points->InsertNextPoint(b[0], b[1], b[2])};
    lines->InsertNextCell(2, ids);
  }
  auto data = vtkSmartPointer<vtkPolyData>::New();
  data->SetPoints(points);
  data->SetLines(lines);
  auto mapper = vtkSmartPointer<vtkPolyDataMapper>::New();
  mapper->SetInputData(data);
  auto actor = vtkSmartPointer<vtkActor>::New();
  actor->SetMapper(mapper);
  vtkProperty* p = actor->GetProperty();
  p->SetColor(colour.r / 255.0, colour.g / 255.0, colour.b / 255.0);
  p->SetLineWidth(static_cast<float>(width_px));
  p->SetOpacity(opacity);
  p->LightingOff();
  return actor;
}

}  // namespace twinplan::rendering
