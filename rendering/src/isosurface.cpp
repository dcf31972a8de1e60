#include "twinplan/rendering/isosurface.h"

#include <vtkCellArray.h>
#include <vtkFloatArray.h>
#include <vtkFlyingEdges3D.h>
#include <vtkImageData.h>
#include <vtkPointData.h>
#include <vtkPolyData.h>

#include <algorithm>

#include "twinplan/core/error.h"

namespace twinplan::rendering {

SurfaceMesh isosurface(const ScalarField& field, double level, const std::string& name,
                       const Rgb& colour, float opacity) {
  const ImageGeometry& g = field.geometry;
  if (field.values.size() != g.voxelCount())
    throw Error(ErrorKind::InvalidInput,
                "The field '" + field.name + "' has " + std::to_string(field.values.size()) +
                    " values for a grid of " + std::to_string(g.voxelCount()) + " voxels.",
                field.name);
  SurfaceMesh mesh;
  mesh.name = name;
  mesh.colour = colour;
  mesh.opacity = opacity;
  // Index space scaled by the spacing (so VTK's normals and gradients are isotropic); the
  // direction and origin are applied to the points afterwards.
  auto image = vtkSmartPointer<vtkImageData>::New();
  image->SetDimensions(static_cast<int>(g.size[0]), static_cast<int>(g.size[1]),
                       static_cast<int>(g.size[2]));
  image->SetSpacing(g.spacing_mm[0], g.spacing_mm[1], g.spacing_mm[2]);
  image->SetOrigin(0, 0, 0);
  auto values = vtkSmartPointer<vtkFloatArray>::New();
  values->SetNumberOfTuples(static_cast<vtkIdType>(field.values.size()));
  std::copy(field.values.begin(), field.values.end(), values->GetPointer(0));
  image->GetPointData()->SetScalars(values);
  auto contour = vtkSmartPointer<vtkFlyingEdges3D>::New();
  contour->SetInputData(image);
  contour->SetValue(0, level);
  contour->ComputeNormalsOff();
  contour->ComputeGradientsOff();
  contour->ComputeScalarsOff();
  contour->Update();
  vtkPolyData* surface = contour->GetOutput();
  mesh.points_lps.reserve(static_cast<std::size_t>(surface->GetNumberOfPoints()));
  for (vtkIdType n = 0; n < surface->GetNumberOfPoints(); ++n) {
    double p[3];
    surface->GetPoint(n, p);
    const Vec3 lps = g.origin_lps + g.direction * Vec3(p[0], p[1], p[2]);
    mesh.points_lps.push_back(
        {static_cast<float>(lps[0]), static_cast<float>(lps[1]), static_cast<float>(lps[2])});
  }
  vtkCellArray* polys = surface->GetPolys();
  vtkIdType count = 0;
  const vtkIdType* ids = nullptr;
  for (polys->InitTraversal(); polys->GetNextCell(count, ids);)
    if (count == 3)
      mesh.triangles.push_back({static_cast<std::uint32_t>(ids[0]),
                                static_cast<std::uint32_t>(ids[1]),
                                static_cast<std::uint32_t>(ids[2])});
  return mesh;
}

}  // namespace twinplan::rendering
