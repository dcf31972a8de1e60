// Surface meshes -> VTK polydata for the 3D view: geometry, topology and normals survive the
// conversion, and a closed sphere encloses the analytic volume.
#include <gtest/gtest.h>
#include <vtkCellArray.h>
#include <vtkDataArray.h>
#include <vtkIdList.h>
#include <vtkMassProperties.h>
#include <vtkPiecewiseFunction.h>
#include <vtkPointData.h>
#include <vtkPolyData.h>
#include <vtkRenderer.h>
#include <vtkVolume.h>
#include <vtkVolumeCollection.h>
#include <vtkVolumeProperty.h>

#include <cmath>
#include <map>

#include "test_support.h"
#include "twinplan/core/error.h"
#include "twinplan/rendering/mesh_actor.h"
#include "twinplan/rendering/volume_view.h"

namespace twinplan::rendering {
namespace {

using test::icosphere;

TEST(MeshConversion, KeepsPointsTrianglesAndNormals) {
  const SurfaceMesh mesh = icosphere(Vec3(12.0, -30.0, 85.0), 20.0, 2, true);
  ASSERT_EQ(mesh.points_lps.size(), 162u);
  ASSERT_EQ(mesh.triangles.size(), 320u);
  vtkSmartPointer<vtkPolyData> polyData = toPolyData(mesh);
  ASSERT_EQ(polyData->GetNumberOfPoints(), 162);
  ASSERT_EQ(polyData->GetNumberOfPolys(), 320);
  for (vtkIdType i = 0; i < polyData->GetNumberOfPoints(); ++i) {
    double p[3];
    polyData->GetPoint(i, p);
    for (int axis = 0; axis < 3; ++axis)
      EXPECT_EQ(p[axis], mesh.points_lps[i][axis]) << "point " << i;
  }
  auto ids = vtkSmartPointer<vtkIdList>::New();
  vtkCellArray* polys = polyData->GetPolys();
  for (vtkIdType cell = 0; cell < polys->GetNumberOfCells(); ++cell) {
    polys->GetCellAtId(cell, ids);
    ASSERT_EQ(ids->GetNumberOfIds(), 3);
    for (int corner = 0; corner < 3; ++corner)
      EXPECT_EQ(ids->GetId(corner), mesh.triangles[cell][corner]) << "triangle " << cell;
  }
  vtkDataArray* normals = polyData->GetPointData()->GetNormals();
  ASSERT_NE(normals, nullptr);
  ASSERT_EQ(normals->GetNumberOfTuples(), 162);
  for (vtkIdType i = 0; i < normals->GetNumberOfTuples(); ++i)
    for (int axis = 0; axis < 3; ++axis)
      EXPECT_EQ(normals->GetComponent(i, axis), mesh.normals[i][axis]) << "normal " << i;
}

TEST(MeshConversion, ComputesOutwardUnitNormalsWhenTheMeshHasNone) {
  const Vec3 centre(-4.0, 7.0, 150.0);
  const SurfaceMesh mesh = icosphere(centre, 25.0, 3, false);
  EXPECT_EQ(toPolyData(mesh)->GetPointData()->GetNormals(), nullptr);
  vtkSmartPointer<vtkPolyData> shaded = toShadedPolyData(mesh);
  // No splitting: the same points and triangles, one normal per point.
  ASSERT_EQ(shaded->GetNumberOfPoints(), static_cast<vtkIdType>(mesh.points_lps.size()));
  ASSERT_EQ(shaded->GetNumberOfPolys(), static_cast<vtkIdType>(mesh.triangles.size()));
  vtkDataArray* normals = shaded->GetPointData()->GetNormals();
  ASSERT_NE(normals, nullptr);
  ASSERT_EQ(normals->GetNumberOfTuples(), shaded->GetNumberOfPoints());
  double worst = 1.0;
  for (vtkIdType i = 0; i < shaded->GetNumberOfPoints(); ++i) {
    double p[3], n[3];
    shaded->GetPoint(i, p);
    normals->GetTuple(i, n);
    const Vec3 radial = (Vec3(p[0], p[1], p[2]) - centre).normalized();
    const Vec3 normal(n[0], n[1], n[2]);
    EXPECT_NEAR(normal.norm(), 1.0, 1e-5);
    worst = std::min(worst, normal.dot(radial));
  }
  // An area-weighted average of facet normals on a 1280-triangle sphere is within a degree
  // or two of the radial direction.
  EXPECT_GT(worst, std::cos(3.0 * M_PI / 180.0));
}

TEST(MeshConversion, ClosedSphereEnclosesItsAnalyticVolume) {
  const double radius_mm = 30.0;
  // 5120 triangles: the inscribed polyhedron misses 0.22% of the ball.
  const SurfaceMesh mesh = icosphere(Vec3(100.0, -50.0, 20.0), radius_mm, 4, false);
  auto mass = vtkSmartPointer<vtkMassProperties>::New();
  mass->SetInputData(toShadedPolyData(mesh));
  mass->Update();
  const double expected_mm3 = 4.0 / 3.0 * M_PI * std::pow(radius_mm, 3);
  EXPECT_NEAR(mass->GetVolume(), expected_mm3, 0.01 * expected_mm3);
  EXPECT_LT(mass->GetVolume(), expected_mm3);  // inscribed
  const double expectedArea_mm2 = 4.0 * M_PI * radius_mm * radius_mm;
  EXPECT_NEAR(mass->GetSurfaceArea(), expectedArea_mm2, 0.01 * expectedArea_mm2);
}

TEST(MeshConversion, RejectsADamagedMesh) {
  SurfaceMesh broken = icosphere(Vec3::Zero(), 10.0, 1, true);
  broken.name = "Liver";
  broken.triangles.push_back({0, 1, 4000});
  try {
    toPolyData(broken);
    FAIL() << "a triangle naming a missing point was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::InvalidInput);
    EXPECT_EQ(e.context(), "Liver");
    EXPECT_NE(std::string(e.what()).find("4000"), std::string::npos) << e.what();
  }
  SurfaceMesh fewNormals = icosphere(Vec3::Zero(), 10.0, 1, true);
  fewNormals.normals.pop_back();
  EXPECT_THROW(toPolyData(fewNormals), Error);
}

TEST(MeshConversion, AnEmptyMeshIsAnEmptyPolyData) {
  SurfaceMesh empty;
  vtkSmartPointer<vtkPolyData> polyData = toShadedPolyData(empty);
  EXPECT_EQ(polyData->GetNumberOfPoints(), 0);
  EXPECT_EQ(polyData->GetNumberOfPolys(), 0);
}

// Opacity of `value` in the volume view's transfer function.
double shownOpacity(VolumeView& view, double value) {
  vtkVolumeCollection* volumes = view.renderer()->GetVolumes();
  volumes->InitTraversal();
  vtkVolume* volume = volumes->GetNextVolume();
  return volume->GetProperty()->GetScalarOpacity()->GetValue(value);
}

TEST(VolumeViewPadding, PaddedValuesAreTransparent) {
  // PS3.3 C.7.5.1.1.2: padding is outside the scanned field. A padding range over bone values
  // (constructed so the bone preset would show it) must be drawn with opacity 0.
  ImageGeometry g;
  g.size = {4, 4, 4};
  ImageVolume ct(g, PixelType::Int16);
  ct.dicom.modality = "CT";
  VolumeView view;
  view.setVolume(&ct);
  view.setPreset(VolumePreset::CtBone);
  const double boneOpacity = shownOpacity(view, 1000.0);
  ASSERT_GT(boneOpacity, 0.0);
  ImageVolume padded = ct;
  padded.paddingRange = std::pair{900.0, 1100.0};
  view.setVolume(&padded);
  view.setPreset(VolumePreset::CtBone);
  EXPECT_EQ(shownOpacity(view, 900.0), 0.0);
  EXPECT_EQ(shownOpacity(view, 1000.0), 0.0);
  EXPECT_EQ(shownOpacity(view, 1100.0), 0.0);
  EXPECT_GT(shownOpacity(view, 1500.0), 0.0);  // beyond the range the preset again
}

TEST(VolumeViewMeshes, ADamagedMeshLeavesTheShownMeshesAsTheyWere) {
  VolumeView view;
  const std::vector<SurfaceMesh> organs = {icosphere(Vec3(0, 0, 0), 10.0, 2, false),
                                           icosphere(Vec3(50, -20, 30), 5.0, 2, true)};
  view.setMeshes(&organs);
  ASSERT_EQ(view.meshCount(), 2u);
  view.setMeshOpacity(1, 0.3);
  view.setMeshOpacity(0, 7.0);
  EXPECT_DOUBLE_EQ(view.meshOpacity(0), 1.0);  // clamped
  // The scene is the box around both meshes' points.
  Vec3 lo = Vec3::Constant(1e9), hi = Vec3::Constant(-1e9);
  for (const SurfaceMesh& mesh : organs)
    for (const auto& p : mesh.points_lps) {
      lo = lo.cwiseMin(Vec3(p[0], p[1], p[2]));
      hi = hi.cwiseMax(Vec3(p[0], p[1], p[2]));
    }
  BoxLps scene;
  ASSERT_TRUE(view.sceneBounds(scene));
  EXPECT_LT((scene.lo_lps - lo).cwiseAbs().maxCoeff(), 1e-9);
  EXPECT_LT((scene.hi_lps - hi).cwiseAbs().maxCoeff(), 1e-9);
  EXPECT_GT(hi[0], 50.0);  // both meshes are in it

  std::vector<SurfaceMesh> damaged = organs;
  damaged[1].triangles.front()[2] = 100000;
  EXPECT_THROW(view.setMeshes(&damaged), Error);
  ASSERT_EQ(view.meshCount(), 2u);
  EXPECT_DOUBLE_EQ(view.meshOpacity(1), 0.3);
  EXPECT_THROW(view.meshOpacity(2), Error);

  view.setMeshes(nullptr);
  EXPECT_EQ(view.meshCount(), 0u);
  EXPECT_FALSE(view.sceneBounds(scene));
}

TEST(VolumeViewClipping, TheBoxMustHaveAPositiveSizeOnEveryAxis) {
  VolumeView view;
  EXPECT_FALSE(view.hasClippingBox());
  EXPECT_THROW(view.setClippingBox(Vec3(0, 0, 0), Vec3(10, 10, 0)), Error);
  EXPECT_FALSE(view.hasClippingBox());
  view.setClippingBox(Vec3(-5, -6, -7), Vec3(5, 6, 7));
  ASSERT_TRUE(view.hasClippingBox());
  EXPECT_EQ(view.clippingBox().size_mm(), Vec3(10, 12, 14));
  view.clearClippingBox();
  EXPECT_FALSE(view.hasClippingBox());
}

}  // namespace
}  // namespace twinplan::rendering
