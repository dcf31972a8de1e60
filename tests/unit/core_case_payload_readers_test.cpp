// A saved case's payloads opened by independent readers, as 3D Slicer or ParaView would open
// them: ITK's NrrdImageIO for volumes, labelmap layers and fields (gzip NRRD), VTK's
// vtkPLYReader for surface meshes and vtkUnstructuredGridReader for tet meshes. Each entry is
// extracted from the zip into a plain file first; values, geometry and counts are compared
// with the case that was saved, never with TwinPlan's own decoders.
#include <gtest/gtest.h>
#include <itkImage.h>
#include <itkImageFileReader.h>
#include <itkNrrdImageIO.h>
#include <vtkCellArray.h>
#include <vtkCellData.h>
#include <vtkCellTypes.h>
#include <vtkDataArray.h>
#include <vtkPLYReader.h>
#include <vtkPointData.h>
#include <vtkPolyData.h>
#include <vtkSmartPointer.h>
#include <vtkUnstructuredGrid.h>
#include <vtkUnstructuredGridReader.h>
#include <zip.h>

#include <Eigen/Geometry>
#include <cmath>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <numbers>
#include <span>

#include "oblique_grid.h"
#include "test_support.h"
#include "twinplan/core/case_file.h"

namespace twinplan {
namespace {
namespace fs = std::filesystem;
using nlohmann::json;

Case payloadCase() {
  Case twin;
  twin.name = "payloads";
  ImageVolume ct(test::obliqueCaseGrid({7, 5, 4}), PixelType::Int16);
  auto hu = ct.voxels<std::int16_t>();
  for (std::size_t n = 0; n < hu.size(); ++n)
    hu[n] = static_cast<std::int16_t>(static_cast<int>(n * 97 % 4001) - 1024);
  hu[0] = -32768;
  hu[1] = 32767;
  ct.name = "CT";
  ct.unit = "HU";
  twin.volumes.push_back(std::move(ct));

  LabelMap labels(test::obliqueCaseGrid({7, 5, 4}));
  labels.name = "Segmentation";
  labels.addSegment({"Liver", "liver", {200, 120, 90}, 0, 1, true, false});
  labels.addSegment({"Tumour", "tumour", {255, 255, 0}, 1, 7, true, false});
  for (std::size_t n = 0; n < labels.layer(0).size(); ++n) {
    labels.layer(0)[n] = static_cast<std::uint16_t>(n % 3);
    labels.layer(1)[n] = n % 5 == 0 ? 7 : 0;
  }
  twin.labelMaps.push_back(std::move(labels));

  ScalarField dose;
  dose.name = "Dose";
  dose.quantity = "dose";
  dose.unit = units::kGray;
  dose.geometry = test::obliqueCaseGrid({3, 4, 2});
  for (std::size_t n = 0; n < dose.geometry.voxelCount(); ++n)
    dose.values.push_back(1.0f / (1.0f + static_cast<float>(n)));
  twin.fields.push_back(dose);

  SurfaceMesh withNormals;
  withNormals.name = "Liver surface";
  withNormals.points_lps = {
      {0.f, 0.f, 0.f}, {10.5f, 0.f, 0.f}, {0.f, 10.25f, 0.f}, {0.f, 0.f, -3.75f}};
  withNormals.triangles = {{0, 1, 2}, {0, 3, 1}, {1, 3, 2}, {0, 2, 3}};
  withNormals.normals = {{0.f, 0.f, 1.f}, {0.6f, 0.f, 0.8f}, {0.f, 0.6f, 0.8f}, {-1.f, 0.f, 0.f}};
  twin.meshes.push_back(withNormals);
  SurfaceMesh plain;
  plain.name = "Probe track";
  plain.points_lps = {{1.f, 2.f, 3.f}, {4.f, 5.f, 6.f}, {7.f, 8.f, 10.f}};
  plain.triangles = {{0, 1, 2}};
  twin.meshes.push_back(plain);

  TetMesh tets;
  tets.name = "FE mesh";
  tets.points_lps = {{0.0, 0.0, 0.0},
                     {1.0 / 3.0, 0.0, 0.0},
                     {0.0, 1e-7, 0.0},
                     {0.0, 0.0, -123.456789012345},
                     {1.0, 1.0, 1.0}};
  tets.tets = {{0, 1, 2, 3}, {1, 2, 3, 4}};
  tets.materials = {0, 3};
  tets.materialNames = {"liver", "a", "b", "tumour"};
  twin.tetMeshes.push_back(tets);
  return twin;
}

// A saved case with each payload extracted to a plain file of the same name.
class SavedCase {
 public:
  explicit SavedCase(const Case& twin) : dir_("case-payloads") {
    file_ = dir_ / "case.twinplan";
    saveCase(twin, file_);
    manifest_ = json::parse(entry("manifest.json"));
  }
  const json& manifest() const { return manifest_; }
  std::string entry(const std::string& name) const {
    int error = 0;
    zip_t* archive = zip_open(file_.c_str(), ZIP_RDONLY, &error);
    EXPECT_NE(archive, nullptr);
    if (!archive) return {};
    zip_stat_t stat;
    EXPECT_EQ(zip_stat(archive, name.c_str(), 0, &stat), 0) << name;
    std::string bytes(static_cast<std::size_t>(stat.size), '\0');
    zip_file_t* file = zip_fopen(archive, name.c_str(), 0);
    EXPECT_NE(file, nullptr) << name;
    if (file) {
      EXPECT_EQ(zip_fread(file, bytes.data(), bytes.size()),
                static_cast<zip_int64_t>(bytes.size()));
      zip_fclose(file);
    }
    zip_discard(archive);
    return bytes;
  }
  // Writes the entry beside the case; returns the plain file's path.
  fs::path extract(const std::string& name) const {
    const fs::path out = dir_ / fs::path(name).filename();
    std::ofstream(out, std::ios::binary) << entry(name);
    return out;
  }

 private:
  test::TempDir dir_;
  fs::path file_;
  json manifest_;
};

template <class T>
typename itk::Image<T, 3>::Pointer readNrrdWithItk(const fs::path& file) {
  auto reader = itk::ImageFileReader<itk::Image<T, 3>>::New();
  reader->SetImageIO(itk::NrrdImageIO::New());
  reader->SetFileName(file.string());
  reader->Update();
  return reader->GetOutput();
}

// ITK's image geometry is LPS like ours: origin, spacing and direction must agree.
template <class Image>
void expectItkGeometry(const Image& image, const ImageGeometry& g) {
  const auto size = image.GetLargestPossibleRegion().GetSize();
  for (unsigned a = 0; a < 3; ++a) {
    EXPECT_EQ(static_cast<std::int64_t>(size[a]), g.size[a]) << "axis " << a;
    EXPECT_NEAR(image.GetOrigin()[a], g.origin_lps[a], 1e-9) << "origin " << a;
    EXPECT_NEAR(image.GetSpacing()[a], g.spacing_mm[a], 1e-12) << "spacing " << a;
    for (unsigned b = 0; b < 3; ++b)
      EXPECT_NEAR(image.GetDirection()(a, b), g.direction(a, b), 1e-12) << a << "," << b;
  }
}

template <class T, class Image>
void expectItkVoxels(const Image& image, const ImageGeometry& g, std::span<const T> expected) {
  std::size_t mismatches = 0;
  for (std::int64_t k = 0; k < g.size[2]; ++k)
    for (std::int64_t j = 0; j < g.size[1]; ++j)
      for (std::int64_t i = 0; i < g.size[0]; ++i) {
        const typename Image::IndexType index = {{i, j, k}};
        const T theirs = image.GetPixel(index);
        const T ours = expected[g.linearIndex(i, j, k)];
        if (std::memcmp(&theirs, &ours, sizeof(T)) != 0) ++mismatches;
      }
  EXPECT_EQ(mismatches, 0u);
}

TEST(CasePayloadReaders, ItkReadsTheVolumeNrrdWithItsLpsGeometryAndEveryVoxel) {
  const Case twin = payloadCase();
  const SavedCase saved(twin);
  const auto image =
      readNrrdWithItk<std::int16_t>(saved.extract(saved.manifest()["volumes"][0]["entry"]));
  const ImageVolume& ct = twin.volumes[0];
  expectItkGeometry(*image, ct.geometry());
  expectItkVoxels<std::int16_t>(*image, ct.geometry(), ct.voxels<std::int16_t>());
  const itk::Image<std::int16_t, 3>::IndexType first = {{0, 0, 0}}, second = {{1, 0, 0}};
  EXPECT_EQ(image->GetPixel(first), -32768);
  EXPECT_EQ(image->GetPixel(second), 32767);
}

TEST(CasePayloadReaders, ItkReadsEveryLabelLayerAndTheField) {
  const Case twin = payloadCase();
  const SavedCase saved(twin);
  const LabelMap& labels = twin.labelMaps[0];
  const json& layers = saved.manifest()["labelMaps"][0]["layers"];
  ASSERT_EQ(layers.size(), 2u);
  for (int layer = 0; layer < 2; ++layer) {
    SCOPED_TRACE(layer);
    const auto image = readNrrdWithItk<std::uint16_t>(saved.extract(layers[layer]));
    expectItkGeometry(*image, labels.geometry());
    expectItkVoxels<std::uint16_t>(*image, labels.geometry(),
                                   std::span<const std::uint16_t>(labels.layer(layer)));
  }
  const ScalarField& dose = twin.fields[0];
  const auto field = readNrrdWithItk<float>(saved.extract(saved.manifest()["fields"][0]["entry"]));
  expectItkGeometry(*field, dose.geometry);
  expectItkVoxels<float>(*field, dose.geometry, std::span<const float>(dose.values));
}

vtkSmartPointer<vtkPolyData> readPly(const fs::path& file) {
  auto reader = vtkSmartPointer<vtkPLYReader>::New();
  reader->SetFileName(file.c_str());
  reader->Update();
  return reader->GetOutput();
}

void expectVtkPolyDataIs(vtkPolyData& poly, const SurfaceMesh& mesh) {
  ASSERT_EQ(poly.GetNumberOfPoints(), static_cast<vtkIdType>(mesh.points_lps.size()));
  ASSERT_EQ(poly.GetNumberOfPolys(), static_cast<vtkIdType>(mesh.triangles.size()));
  for (vtkIdType p = 0; p < poly.GetNumberOfPoints(); ++p) {
    double x[3];
    poly.GetPoint(p, x);
    for (int c = 0; c < 3; ++c)  // float32 in the file: exact for float input
      EXPECT_EQ(x[c], static_cast<double>(mesh.points_lps[p][c])) << "point " << p;
  }
  vtkCellArray* polys = poly.GetPolys();
  polys->InitTraversal();
  vtkIdType count = 0;
  const vtkIdType* ids = nullptr;
  for (std::size_t t = 0; polys->GetNextCell(count, ids); ++t) {
    ASSERT_EQ(count, 3);
    for (int c = 0; c < 3; ++c) EXPECT_EQ(ids[c], mesh.triangles[t][c]) << "triangle " << t;
  }
  vtkDataArray* normals = poly.GetPointData()->GetNormals();
  if (mesh.normals.empty()) {
    EXPECT_EQ(normals, nullptr);
    return;
  }
  ASSERT_NE(normals, nullptr) << "vtkPLYReader finds nx ny nz";
  for (vtkIdType p = 0; p < poly.GetNumberOfPoints(); ++p)
    for (int c = 0; c < 3; ++c)
      EXPECT_EQ(normals->GetComponent(p, c), mesh.normals[p][c]) << "normal " << p;
}

TEST(CasePayloadReaders, VtkPlyReaderReadsPointsTrianglesAndNormals) {
  const Case twin = payloadCase();
  const SavedCase saved(twin);
  for (std::size_t m = 0; m < twin.meshes.size(); ++m) {
    SCOPED_TRACE(twin.meshes[m].name);
    const auto poly = readPly(saved.extract(saved.manifest()["meshes"][m]["entry"]));
    expectVtkPolyDataIs(*poly, twin.meshes[m]);
  }
}

TEST(CasePayloadReaders, VtkLegacyReaderReadsTetsAndMaterials) {
  const Case twin = payloadCase();
  const SavedCase saved(twin);
  const TetMesh& mesh = twin.tetMeshes[0];
  auto reader = vtkSmartPointer<vtkUnstructuredGridReader>::New();
  reader->SetFileName(saved.extract(saved.manifest()["tetMeshes"][0]["entry"]).c_str());
  reader->Update();
  vtkUnstructuredGrid* grid = reader->GetOutput();
  ASSERT_EQ(grid->GetNumberOfPoints(), 5);
  ASSERT_EQ(grid->GetNumberOfCells(), 2);
  for (vtkIdType p = 0; p < 5; ++p) {
    double x[3];
    grid->GetPoint(p, x);
    for (int c = 0; c < 3; ++c)  // doubles in the file: every bit kept
      EXPECT_EQ(x[c], mesh.points_lps[p][c]) << "point " << p;
  }
  for (vtkIdType t = 0; t < 2; ++t) {
    EXPECT_EQ(grid->GetCellType(t), VTK_TETRA);
    vtkIdType count = 0;
    const vtkIdType* ids = nullptr;
    grid->GetCellPoints(t, count, ids);
    ASSERT_EQ(count, 4);
    for (int c = 0; c < 4; ++c) EXPECT_EQ(ids[c], mesh.tets[t][c]) << "tet " << t;
  }
  vtkDataArray* material = grid->GetCellData()->GetArray("material");
  ASSERT_NE(material, nullptr);
  EXPECT_EQ(material->GetTuple1(0), 0.0);
  EXPECT_EQ(material->GetTuple1(1), 3.0);
}

}  // namespace
}  // namespace twinplan
