#pragma once
// Surface meshes (LPS mm) as VTK polydata and actors for the 3D view.
#include <vtkSmartPointer.h>

#include "twinplan/core/mesh.h"

class vtkActor;
class vtkPolyData;

namespace twinplan::rendering {

// The mesh's points, triangles (in order, winding kept) and, when it has one per point, its
// normals, in LPS mm. Throws Error(InvalidInput) for a triangle naming a missing point or a
// normal count that is neither 0 nor the point count; the mesh name is the context.
vtkSmartPointer<vtkPolyData> toPolyData(const SurfaceMesh& mesh);

// toPolyData with point normals for smooth shading: the mesh's own when present, otherwise
// computed from the triangles (vtkPolyDataNormals: no splitting or reordering, so points and
// triangles stay as they are; counter-clockwise winding from outside gives outward normals).
vtkSmartPointer<vtkPolyData> toShadedPolyData(const SurfaceMesh& mesh);

// An actor drawing the mesh in its colour and opacity, lit from both sides.
vtkSmartPointer<vtkActor> makeMeshActor(const SurfaceMesh& mesh);

}  // namespace twinplan::rendering
