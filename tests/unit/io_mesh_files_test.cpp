// Mesh export and import (STL, OBJ+MTL, PLY, glTF binary) and the 3D-print checks
// (issue #16, deliverable 5). Files are read back by VTK's STL and PLY readers, an independent
// implementation of those formats.
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>

#include "test_support.h"
#include "twinplan/core/error.h"
#include "twinplan/io/mesh_files.h"
#include "twinplan/segmentation/mesh_check.h"
#include "twinplan/segmentation/mesh_metrics.h"

namespace twinplan {
namespace {

namespace fs = std::filesystem;

// An axis-aligned box with outward, counter-clockwise triangles.
SurfaceMesh box(const std::string& name, const std::array<float, 3>& low, float edge_mm,
                Rgb colour = {200, 80, 60}) {
  SurfaceMesh mesh;
  mesh.name = mesh.segmentName = name;
  mesh.colour = colour;
  for (int k = 0; k < 2; ++k)
    for (int j = 0; j < 2; ++j)
      for (int i = 0; i < 2; ++i)
        mesh.points_lps.push_back(
            {low[0] + i * edge_mm, low[1] + j * edge_mm, low[2] + k * edge_mm});
  // Corner index = i + 2j + 4k; two triangles per face, normals pointing out.
  mesh.triangles = {{0, 2, 1}, {1, 2, 3}, {4, 5, 6}, {5, 7, 6}, {0, 1, 4}, {1, 5, 4},
                    {2, 6, 3}, {3, 6, 7}, {0, 4, 2}, {2, 4, 6}, {1, 3, 5}, {3, 7, 5}};
  return mesh;
}

std::string readText(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

TEST(MeshFiles, TheTestBoxIsClosedAndOutward) {
  const SurfaceMesh cube = box("Cube", {0, 0, 0}, 10);
  ASSERT_TRUE(segmentation::isClosedManifold(cube));
  EXPECT_NEAR(segmentation::enclosedVolume_ml(cube), 1.0, 1e-9);
}

TEST(MeshFiles, StlRoundTripsThroughVtksReader) {
  test::TempDir dir;
  io::writeMeshFile({box("Cube", {-5, 3, 100}, 10)}, dir / "cube.stl");
  EXPECT_EQ(fs::file_size(dir / "cube.stl"), 80u + 4u + 12u * 50u);  // binary STL layout
  const auto meshes = io::readMeshFile(dir / "cube.stl");
  ASSERT_EQ(meshes.size(), 1u);
  EXPECT_EQ(meshes[0].triangles.size(), 12u);
  EXPECT_EQ(meshes[0].points_lps.size(), 8u);  // VTK merges the corners again
  EXPECT_TRUE(segmentation::isClosedManifold(meshes[0]));
  EXPECT_NEAR(segmentation::enclosedVolume_ml(meshes[0]), 1.0, 1e-6);
}

TEST(MeshFiles, ObjKeepsOneObjectPerModelWithItsMaterial) {
  test::TempDir dir;
  io::writeMeshFile(
      {box("Liver", {0, 0, 0}, 10, {255, 0, 0}), box("Tumour 1", {20, 0, 0}, 5, {0, 0, 255})},
      dir / "models.obj");
  const std::string mtl = readText(dir / "models.mtl");
  EXPECT_NE(mtl.find("Kd 1 0 0"), std::string::npos) << mtl;
  EXPECT_NE(mtl.find("Kd 0 0 1"), std::string::npos) << mtl;
  EXPECT_NE(readText(dir / "models.obj").find("mtllib models.mtl"), std::string::npos);
  const auto meshes = io::readMeshFile(dir / "models.obj");
  ASSERT_EQ(meshes.size(), 2u);
  EXPECT_EQ(meshes[1].name, "Tumour 1");
  EXPECT_NEAR(segmentation::enclosedVolume_ml(meshes[0]), 1.0, 1e-6);
  EXPECT_NEAR(segmentation::enclosedVolume_ml(meshes[1]), 0.125, 1e-6);
}

TEST(MeshFiles, PlyMergesModelsWithVertexColours) {
  test::TempDir dir;
  io::writeMeshFile({box("A", {0, 0, 0}, 10), box("B", {20, 0, 0}, 10)}, dir / "models.ply");
  EXPECT_NE(readText(dir / "models.ply").find("property uchar red"), std::string::npos);
  const auto meshes = io::readMeshFile(dir / "models.ply");
  ASSERT_EQ(meshes.size(), 1u);
  EXPECT_EQ(meshes[0].triangles.size(), 24u);
  EXPECT_NEAR(segmentation::enclosedVolume_ml(meshes[0]), 2.0, 1e-6);
}

TEST(MeshFiles, GlbHasOneNamedNodePerModelInMetresWithYUp) {
  test::TempDir dir;
  SurfaceMesh liver = box("Liver", {10, 20, 30}, 10, {255, 255, 255});
  liver.opacity = 0.5f;
  io::writeMeshFile({liver, box("Kidney", {0, 0, 0}, 5)}, dir / "models.glb");
  const std::string bytes = readText(dir / "models.glb");
  ASSERT_GE(bytes.size(), 20u);
  std::uint32_t header[5];
  std::memcpy(header, bytes.data(), sizeof header);
  EXPECT_EQ(header[0], 0x46546C67u);  // "glTF"
  EXPECT_EQ(header[1], 2u);
  EXPECT_EQ(header[2], bytes.size());
  EXPECT_EQ(header[4], 0x4E4F534Au);  // the JSON chunk comes first
  const auto gltf = nlohmann::json::parse(bytes.substr(20, header[3]));
  ASSERT_EQ(gltf["nodes"].size(), 2u);
  EXPECT_EQ(gltf["nodes"][0]["name"], "Liver");
  EXPECT_EQ(gltf["materials"][0]["alphaMode"], "BLEND");
  EXPECT_DOUBLE_EQ(gltf["materials"][0]["pbrMetallicRoughness"]["baseColorFactor"][0].get<double>(),
                   1.0);
  // LPS (10..20, 20..30, 30..40) mm -> glTF x = L, y = S, z = -P, metres.
  const auto& position =
      gltf["accessors"][gltf["meshes"][0]["primitives"][0]["attributes"]["POSITION"].get<int>()];
  EXPECT_NEAR(position["min"][0].get<double>(), 0.010, 1e-7);
  EXPECT_NEAR(position["min"][1].get<double>(), 0.030, 1e-7);
  EXPECT_NEAR(position["min"][2].get<double>(), -0.030, 1e-7);
  EXPECT_NEAR(position["max"][2].get<double>(), -0.020, 1e-7);
  EXPECT_EQ(position["count"], 8);
}

TEST(MeshFiles, BadInputIsAClearError) {
  test::TempDir dir;
  EXPECT_THROW(io::writeMeshFile({box("A", {0, 0, 0}, 1)}, dir / "a.dae"), Error);
  EXPECT_THROW(io::writeMeshFile({}, dir / "a.stl"), Error);
  SurfaceMesh broken = box("Broken", {0, 0, 0}, 1);
  broken.triangles.push_back({0, 1, 99});
  EXPECT_THROW(io::writeMeshFile({broken}, dir / "a.stl"), Error);
  EXPECT_FALSE(fs::exists(dir / "a.stl"));
  try {
    io::writeMeshFile({box("A", {0, 0, 0}, 1)}, dir / "no/such/folder/a.stl");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Io);
  }

  std::ofstream(dir / "bad.obj") << "v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 99\n";
  try {
    io::readMeshFile(dir / "bad.obj");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Corrupt);
    EXPECT_NE(std::string(e.what()).find("line 4"), std::string::npos) << e.what();
  }
  io::writeMeshFile({box("A", {0, 0, 0}, 10)}, dir / "whole.stl");
  const std::string stl = readText(dir / "whole.stl");
  std::ofstream(dir / "truncated.stl", std::ios::binary) << stl.substr(0, 84 + 50 * 3 + 7);
  EXPECT_THROW(io::readMeshFile(dir / "truncated.stl"), Error);
  EXPECT_THROW(io::readMeshFile(dir / "models.glb"), Error);  // export only (and absent)
}

TEST(MeshCheck, ClosedBoxIsPrintable) {
  const auto check = segmentation::checkMesh(box("Cube", {0, 0, 0}, 10));
  EXPECT_TRUE(check.printable()) << check.problems();
  EXPECT_NEAR(check.volume_ml, 1.0, 1e-9);
  EXPECT_NEAR(check.area_mm2, 600.0, 1e-6);
}

TEST(MeshCheck, HoleIsFoundAndRepaired) {
  SurfaceMesh open = box("Liver", {0, 0, 0}, 10);
  open.triangles.pop_back();  // one triangle of the +x face missing
  const auto check = segmentation::checkMesh(open);
  EXPECT_FALSE(check.closed);
  EXPECT_EQ(check.openEdges, 3u);
  EXPECT_NE(check.problems().find("holes"), std::string::npos);
  const SurfaceMesh repaired = segmentation::repairForPrinting(open);
  EXPECT_TRUE(segmentation::checkMesh(repaired).printable());
  EXPECT_NEAR(segmentation::enclosedVolume_ml(repaired), 1.0, 1e-6);
  EXPECT_EQ(repaired.name, "Liver");
}

TEST(MeshCheck, InterpenetratingBoxesCrossThemselves) {
  SurfaceMesh both = box("Both", {0, 0, 0}, 10);
  const SurfaceMesh other = box("Other", {4, 3, 2.5f}, 10);  // off-centre: no symmetric hits
  const auto offset = static_cast<std::uint32_t>(both.points_lps.size());
  both.points_lps.insert(both.points_lps.end(), other.points_lps.begin(), other.points_lps.end());
  for (auto t : other.triangles)
    both.triangles.push_back({t[0] + offset, t[1] + offset, t[2] + offset});
  const auto check = segmentation::checkMesh(both);
  EXPECT_TRUE(check.closed);               // each box is closed...
  EXPECT_GT(check.selfIntersections, 0u);  // ...but they cross
  EXPECT_FALSE(check.printable());
  EXPECT_THROW(segmentation::repairForPrinting(both), Error);
  // Two boxes side by side do not cross.
  SurfaceMesh apart = box("Apart", {0, 0, 0}, 10);
  const SurfaceMesh far = box("Far", {20, 0, 0}, 10);
  apart.points_lps.insert(apart.points_lps.end(), far.points_lps.begin(), far.points_lps.end());
  for (auto t : far.triangles) apart.triangles.push_back({t[0] + 8, t[1] + 8, t[2] + 8});
  EXPECT_EQ(segmentation::checkMesh(apart).selfIntersections, 0u);
}

}  // namespace
}  // namespace twinplan
