#include "twinplan/rendering/mesh_actor.h"

#include <vtkActor.h>
#include <vtkCellArray.h>
#include <vtkFloatArray.h>
#include <vtkIdTypeArray.h>
#include <vtkPointData.h>
#include <vtkPoints.h>
#include <vtkPolyData.h>
#include <vtkPolyDataMapper.h>
#include <vtkPolyDataNormals.h>
#include <vtkProperty.h>

#include <string>

#include "twinplan/core/error.h"

namespace twinplan::rendering {

namespace {

vtkSmartPointer<vtkFloatArray> floatTriples(const std::vector<std::array<float, 3>>& values,
                                            const char* name) {
  auto array = vtkSmartPointer<vtkFloatArray>::New();
  array->SetName(name);
  array->SetNumberOfComponents(3);
  array->SetNumberOfTuples(static_cast<vtkIdType>(values.size()));
  float* out = array->GetPointer(0);
  for (const auto& v : values) {
    *out++ = v[0];
    *out++ = v[1];
    *out++ = v[2];
  }
  return array;
}

}  // namespace

vtkSmartPointer<vtkPolyData> toPolyData(const SurfaceMesh& mesh) {
  const std::size_t pointCount = mesh.points_lps.size();
  if (!mesh.normals.empty() && mesh.normals.size() != pointCount) {
    throw Error(ErrorKind::InvalidInput,
                "Surface mesh '" + mesh.name + "' has " + std::to_string(mesh.normals.size()) +
                    " normals for " + std::to_string(pointCount) +
                    " points; re-create the mesh or remove its normals.",
                mesh.name);
  }
  auto points = vtkSmartPointer<vtkPoints>::New();
  points->SetData(floatTriples(mesh.points_lps, "Points"));

  auto offsets = vtkSmartPointer<vtkIdTypeArray>::New();
  auto connectivity = vtkSmartPointer<vtkIdTypeArray>::New();
  offsets->SetNumberOfTuples(static_cast<vtkIdType>(mesh.triangles.size() + 1));
  connectivity->SetNumberOfTuples(static_cast<vtkIdType>(mesh.triangles.size() * 3));
  vtkIdType* offset = offsets->GetPointer(0);
  vtkIdType* corner = connectivity->GetPointer(0);
  for (std::size_t t = 0; t < mesh.triangles.size(); ++t) {
    *offset++ = static_cast<vtkIdType>(3 * t);
    for (std::uint32_t index : mesh.triangles[t]) {
      if (index >= pointCount) {
        throw Error(ErrorKind::InvalidInput,
                    "Surface mesh '" + mesh.name + "': triangle " + std::to_string(t) +
                        " names point " + std::to_string(index) + " but the mesh has only " +
                        std::to_string(pointCount) + " points; the mesh is damaged.",
                    mesh.name);
      }
      *corner++ = static_cast<vtkIdType>(index);
    }
  }
  *offset = static_cast<vtkIdType>(3 * mesh.triangles.size());
  auto triangles = vtkSmartPointer<vtkCellArray>::New();
  triangles->SetData(offsets, connectivity);

  auto polyData = vtkSmartPointer<vtkPolyData>::New();
  polyData->SetPoints(points);
  polyData->SetPolys(triangles);
  if (!mesh.normals.empty() && pointCount > 0) {
    polyData->GetPointData()->SetNormals(floatTriples(mesh.normals, "Normals"));
  }
  return polyData;
}

vtkSmartPointer<vtkPolyData> toShadedPolyData(const SurfaceMesh& mesh) {
  vtkSmartPointer<vtkPolyData> polyData = toPolyData(mesh);
  if (polyData->GetPointData()->GetNormals() || mesh.triangles.empty()) return polyData;
  auto normals = vtkSmartPointer<vtkPolyDataNormals>::New();
  normals->SetInputData(polyData);
  normals->ComputePointNormalsOn();
  normals->ComputeCellNormalsOff();
  normals->SplittingOff();    // keeps the points: one normal per mesh point
  normals->ConsistencyOff();  // keeps the triangles' order and winding
  normals->AutoOrientNormalsOff();
  normals->Update();
  vtkSmartPointer<vtkPolyData> shaded = normals->GetOutput();
  return shaded;
}

vtkSmartPointer<vtkActor> makeMeshActor(const SurfaceMesh& mesh) {
  auto mapper = vtkSmartPointer<vtkPolyDataMapper>::New();
  mapper->SetInputData(toShadedPolyData(mesh));
  mapper->ScalarVisibilityOff();
  auto actor = vtkSmartPointer<vtkActor>::New();
  actor->SetMapper(mapper);
  vtkProperty* property = actor->GetProperty();
  property->SetColor(mesh.colour.r / 255.0, mesh.colour.g / 255.0, mesh.colour.b / 255.0);
  property->SetOpacity(mesh.opacity);
  property->SetInterpolationToPhong();
  property->SetAmbient(0.15);
  property->SetDiffuse(0.8);
  property->SetSpecular(0.15);
  property->SetSpecularPower(20.0);
  // Clipped meshes show their inside: light it like the outside.
  property->BackfaceCullingOff();
  return actor;
}

}  // namespace twinplan::rendering
