#include "twinplan/io/mesh_files.h"

#include <vtkCellArray.h>
#include <vtkPLYReader.h>
#include <vtkPoints.h>
#include <vtkPolyData.h>
#include <vtkSTLReader.h>
#include <vtkSmartPointer.h>
#include <vtkTriangleFilter.h>

#include <Eigen/Geometry>
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>

#include "twinplan/core/error.h"

namespace twinplan::io {

namespace fs = std::filesystem;
static_assert(std::endian::native == std::endian::little,
              "STL, PLY and GLB are written little-endian straight from memory");

namespace {

std::string lowerExtension(const fs::path& path) {
  std::string ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return char(std::tolower(c)); });
  return ext;
}

// A file written beside its destination and renamed over it at the end, so that nobody ever
// sees half a mesh; removed if anything fails first.
class StagedFile {
 public:
  explicit StagedFile(fs::path destination) : final_(std::move(destination)) {
    std::random_device random;
    staging_ = final_.parent_path() /
               ("." + final_.filename().string() + ".saving-" + std::to_string(random()));
    out_.open(staging_, std::ios::binary | std::ios::trunc);
    if (!out_) fail("it cannot be created");
  }
  ~StagedFile() {
    if (!committed_) {
      out_.close();
      std::error_code ec;
      fs::remove(staging_, ec);
    }
  }
  std::ofstream& out() { return out_; }
  void write(const void* data, std::size_t bytes) {
    out_.write(static_cast<const char*>(data), std::streamsize(bytes));
  }
  void commit() {
    out_.close();
    if (!out_) fail("writing failed (disk full?)");
    std::error_code ec;
    fs::rename(staging_, final_, ec);
    if (ec) fail("it cannot be put in place: " + ec.message());
    committed_ = true;
  }

 private:
  [[noreturn]] void fail(const std::string& why) const {
    throw Error(ErrorKind::Io, "Cannot write " + final_.string() + ": " + why + ".",
                final_.string());
  }
  fs::path final_, staging_;
  std::ofstream out_;
  bool committed_ = false;
};

void checkMeshes(const std::vector<SurfaceMesh>& meshes, const fs::path& path) {
  if (meshes.empty())
    throw Error(ErrorKind::InvalidInput,
                "There is no mesh to write to " + path.filename().string() + ".", path.string());
  for (const SurfaceMesh& mesh : meshes) {
    if (mesh.triangles.empty())
      throw Error(ErrorKind::InvalidInput, "The model \"" + mesh.name + "\" has no triangles.",
                  mesh.name);
    for (const auto& t : mesh.triangles)
      for (std::uint32_t index : t)
        if (index >= mesh.points_lps.size())
          throw Error(ErrorKind::InvalidInput,
                      "The model \"" + mesh.name + "\" has a triangle with point " +
                          std::to_string(index) + " of " + std::to_string(mesh.points_lps.size()) +
                          ".",
                      mesh.name);
  }
}

using Float3 = std::array<float, 3>;

Float3 faceNormal(const Float3& a, const Float3& b, const Float3& c) {
  const Eigen::Vector3f u(b[0] - a[0], b[1] - a[1], b[2] - a[2]);
  const Eigen::Vector3f v(c[0] - a[0], c[1] - a[1], c[2] - a[2]);
  Eigen::Vector3f n = u.cross(v);
  const float length = n.norm();
  if (length > 0) n /= length;
  return {n[0], n[1], n[2]};
}

// Binary STL (the de-facto 3D Systems format): 80-byte header, triangle count, then per
// triangle its unit normal, three corners (float32) and a 2-byte attribute count of 0.
void writeStl(const std::vector<SurfaceMesh>& meshes, StagedFile& file) {
  char header[80] = {};
  std::snprintf(header, sizeof header, "TwinPlan binary STL, LPS millimetres");
  file.write(header, sizeof header);
  std::uint32_t count = 0;
  for (const SurfaceMesh& mesh : meshes) count += static_cast<std::uint32_t>(mesh.triangles.size());
  file.write(&count, 4);
  for (const SurfaceMesh& mesh : meshes)
    for (const auto& t : mesh.triangles) {
      const Float3 &a = mesh.points_lps[t[0]], &b = mesh.points_lps[t[1]],
                   &c = mesh.points_lps[t[2]];
      const Float3 n = faceNormal(a, b, c);
      float record[12];
      std::memcpy(record, n.data(), 12);
      std::memcpy(record + 3, a.data(), 12);
      std::memcpy(record + 6, b.data(), 12);
      std::memcpy(record + 9, c.data(), 12);
      const std::uint16_t attributes = 0;
      file.write(record, sizeof record);
      file.write(&attributes, 2);
    }
}

std::string materialName(std::size_t index, const std::string& name) {
  std::string safe = name;
  for (char& c : safe)
    if (std::isspace(static_cast<unsigned char>(c)) || c == '#') c = '_';
  return "m" + std::to_string(index) + "_" + safe;
}

// Wavefront OBJ with its MTL (Kd: diffuse colour 0..1, d: dissolve = opacity), both written
// with the C locale so that decimals are points.
void writeObj(const std::vector<SurfaceMesh>& meshes, StagedFile& file, const fs::path& path) {
  const fs::path mtlPath = fs::path(path).replace_extension(".mtl");
  {
    StagedFile mtl(mtlPath);
    std::ostringstream text;
    text.imbue(std::locale::classic());
    text << "# TwinPlan materials\n";
    for (std::size_t m = 0; m < meshes.size(); ++m) {
      const Rgb& c = meshes[m].colour;
      text << "newmtl " << materialName(m, meshes[m].name) << "\nKa 0 0 0\nKd " << c.r / 255.0
           << ' ' << c.g / 255.0 << ' ' << c.b / 255.0 << "\nKs 0 0 0\nd " << meshes[m].opacity
           << "\nillum 1\n";
    }
    mtl.out() << text.str();
    mtl.commit();
  }
  std::ostringstream text;
  text.imbue(std::locale::classic());
  text.precision(9);
  text << "# TwinPlan surface models, LPS millimetres\nmtllib " << mtlPath.filename().string()
       << '\n';
  std::size_t offset = 1;  // OBJ indices count from 1 over the whole file
  for (std::size_t m = 0; m < meshes.size(); ++m) {
    const SurfaceMesh& mesh = meshes[m];
    text << "o " << mesh.name << "\nusemtl " << materialName(m, mesh.name) << '\n';
    for (const Float3& p : mesh.points_lps)
      text << "v " << p[0] << ' ' << p[1] << ' ' << p[2] << '\n';
    for (const auto& t : mesh.triangles)
      text << "f " << t[0] + offset << ' ' << t[1] + offset << ' ' << t[2] + offset << '\n';
    offset += mesh.points_lps.size();
  }
  file.out() << text.str();
}

// PLY 1.0, binary little-endian, every mesh merged, with per-vertex colour (as 3D printing
// software reads it).
void writePly(const std::vector<SurfaceMesh>& meshes, StagedFile& file) {
  std::size_t points = 0, triangles = 0;
  for (const SurfaceMesh& mesh : meshes) {
    points += mesh.points_lps.size();
    triangles += mesh.triangles.size();
  }
  file.out()
      << "ply\nformat binary_little_endian 1.0\ncomment TwinPlan surface models, LPS millimetres\n"
      << "element vertex " << points
      << "\nproperty float x\nproperty float y\nproperty float z\nproperty uchar red\n"
         "property uchar green\nproperty uchar blue\nelement face "
      << triangles << "\nproperty list uchar int vertex_indices\nend_header\n";
  for (const SurfaceMesh& mesh : meshes)
    for (const Float3& p : mesh.points_lps) {
      file.write(p.data(), 12);
      const std::uint8_t rgb[3] = {mesh.colour.r, mesh.colour.g, mesh.colour.b};
      file.write(rgb, 3);
    }
  std::int32_t offset = 0;
  for (const SurfaceMesh& mesh : meshes) {
    for (const auto& t : mesh.triangles) {
      const std::uint8_t three = 3;
      const std::int32_t corners[3] = {std::int32_t(t[0]) + offset, std::int32_t(t[1]) + offset,
                                       std::int32_t(t[2]) + offset};
      file.write(&three, 1);
      file.write(corners, sizeof corners);
    }
    offset += static_cast<std::int32_t>(mesh.points_lps.size());
  }
}

// glTF's frame from LPS mm: x = L, y = S, z = A = -P, in metres (see mesh_files.h).
Float3 gltfPosition(const Float3& p_lps) {
  return {p_lps[0] * 1e-3f, p_lps[2] * 1e-3f, -p_lps[1] * 1e-3f};
}
Float3 gltfDirection(const Float3& n_lps) { return {n_lps[0], n_lps[2], -n_lps[1]}; }

// glTF colour factors are linear; our colours are sRGB (IEC 61966-2-1 transfer function).
double linearFromSrgb(std::uint8_t value) {
  const double c = value / 255.0;
  return c <= 0.04045 ? c / 12.92 : std::pow((c + 0.055) / 1.055, 2.4);
}

// Per-point unit normals in glTF's frame, or empty when the mesh has none or one is degenerate
// (glTF requires unit NORMALs; a viewer then computes flat normals itself).
std::vector<Float3> gltfNormals(const SurfaceMesh& mesh) {
  if (mesh.normals.size() != mesh.points_lps.size()) return {};
  std::vector<Float3> normals;
  normals.reserve(mesh.normals.size());
  for (const Float3& n : mesh.normals) {
    const Eigen::Vector3f v(n[0], n[1], n[2]);
    if (!(v.norm() > 1e-6f)) return {};
    const Eigen::Vector3f u = v.normalized();
    normals.push_back(gltfDirection({u[0], u[1], u[2]}));
  }
  return normals;
}

class GlbBuilder {
 public:
  void add(const SurfaceMesh& mesh, std::size_t index) {
    std::vector<Float3> positions;
    positions.reserve(mesh.points_lps.size());
    Float3 low{1e30f, 1e30f, 1e30f}, high{-1e30f, -1e30f, -1e30f};
    for (const Float3& p : mesh.points_lps) {
      positions.push_back(gltfPosition(p));
      for (int a = 0; a < 3; ++a) {
        low[a] = std::min(low[a], positions.back()[a]);
        high[a] = std::max(high[a], positions.back()[a]);
      }
    }
    nlohmann::json attributes;
    attributes["POSITION"] = accessor(view(positions.data(), positions.size() * 12, 34962), 5126,
                                      positions.size(), "VEC3", {{"min", low}, {"max", high}});
    const std::vector<Float3> normals = gltfNormals(mesh);
    if (!normals.empty())
      attributes["NORMAL"] =
          accessor(view(normals.data(), normals.size() * 12, 34962), 5126, normals.size(), "VEC3");
    const std::size_t indices = mesh.triangles.size() * 3;
    const std::size_t indexAccessor =
        accessor(view(mesh.triangles.data(), indices * 4, 34963), 5125, indices, "SCALAR");
    const double alpha = std::clamp(double(mesh.opacity), 0.0, 1.0);
    json_["materials"].push_back({{"name", mesh.name},
                                  {"pbrMetallicRoughness",
                                   {{"baseColorFactor",
                                     {linearFromSrgb(mesh.colour.r), linearFromSrgb(mesh.colour.g),
                                      linearFromSrgb(mesh.colour.b), alpha}},
                                    {"metallicFactor", 0.0},
                                    {"roughnessFactor", 0.6}}},
                                  {"alphaMode", alpha < 1.0 ? "BLEND" : "OPAQUE"}});
    json_["meshes"].push_back({{"name", mesh.name},
                               {"primitives",
                                {{{"attributes", attributes},
                                  {"indices", indexAccessor},
                                  {"material", index},
                                  {"mode", 4}}}}});
    json_["nodes"].push_back({{"name", mesh.name}, {"mesh", index}});
    json_["scenes"][0]["nodes"].push_back(index);
  }

  void write(StagedFile& file) {
    json_["asset"] = {{"version", "2.0"}, {"generator", "TwinPlan"}};
    json_["scene"] = 0;
    json_["buffers"] = {{{"byteLength", binary_.size()}}};
    std::string text = json_.dump();
    text.resize((text.size() + 3) / 4 * 4,
                ' ');  // chunks are 4-byte aligned: JSON pads with spaces
    const std::uint32_t total =
        12 + 8 + std::uint32_t(text.size()) + 8 + std::uint32_t(binary_.size());
    const std::uint32_t header[3] = {0x46546C67u /* "glTF" */, 2u, total};
    file.write(header, sizeof header);
    const std::uint32_t jsonChunk[2] = {std::uint32_t(text.size()), 0x4E4F534Au /* "JSON" */};
    file.write(jsonChunk, sizeof jsonChunk);
    file.write(text.data(), text.size());
    const std::uint32_t binChunk[2] = {std::uint32_t(binary_.size()), 0x004E4942u /* "BIN" */};
    file.write(binChunk, sizeof binChunk);
    file.write(binary_.data(), binary_.size());
  }

 private:
  std::size_t view(const void* data, std::size_t bytes, int target) {
    const std::size_t offset = binary_.size();
    binary_.resize(offset + (bytes + 3) / 4 * 4, 0);  // the BIN chunk pads with zeros
    std::memcpy(binary_.data() + offset, data, bytes);
    json_["bufferViews"].push_back(
        {{"buffer", 0}, {"byteOffset", offset}, {"byteLength", bytes}, {"target", target}});
    return json_["bufferViews"].size() - 1;
  }
  std::size_t accessor(std::size_t bufferView, int componentType, std::size_t count,
                       const char* type, nlohmann::json extra = nlohmann::json::object()) {
    nlohmann::json a = {{"bufferView", bufferView},
                        {"componentType", componentType},
                        {"count", count},
                        {"type", type}};
    a.update(extra);
    json_["accessors"].push_back(std::move(a));
    return json_["accessors"].size() - 1;
  }
  nlohmann::json json_ = {{"scenes", {{{"nodes", nlohmann::json::array()}}}}};
  std::vector<std::uint8_t> binary_;
};

// ---- reading --------------------------------------------------------------------------------

[[noreturn]] void corrupt(const fs::path& path, const std::string& why) {
  throw Error(ErrorKind::Corrupt, "Cannot read the mesh file " + path.string() + ": " + why + ".",
              path.string());
}

SurfaceMesh meshFromPolyData(vtkPolyData* input, const std::string& name, const fs::path& path) {
  auto triangulate = vtkSmartPointer<vtkTriangleFilter>::New();
  triangulate->SetInputData(input);
  triangulate->PassLinesOff();
  triangulate->PassVertsOff();
  triangulate->Update();
  vtkPolyData* poly = triangulate->GetOutput();
  if (!poly || poly->GetNumberOfPolys() == 0) corrupt(path, "it holds no triangles");
  SurfaceMesh mesh;
  mesh.name = mesh.segmentName = name;
  mesh.points_lps.resize(static_cast<std::size_t>(poly->GetNumberOfPoints()));
  for (vtkIdType i = 0; i < poly->GetNumberOfPoints(); ++i) {
    double p[3];
    poly->GetPoint(i, p);
    mesh.points_lps[static_cast<std::size_t>(i)] = {float(p[0]), float(p[1]), float(p[2])};
  }
  vtkCellArray* cells = poly->GetPolys();
  cells->InitTraversal();
  vtkIdType count = 0;
  const vtkIdType* ids = nullptr;
  while (cells->GetNextCell(count, ids))
    if (count == 3)
      mesh.triangles.push_back(
          {std::uint32_t(ids[0]), std::uint32_t(ids[1]), std::uint32_t(ids[2])});
  return mesh;
}

template <class Reader>
std::vector<SurfaceMesh> readWithVtk(const fs::path& path) {
  auto reader = vtkSmartPointer<Reader>::New();
  reader->SetFileName(path.c_str());
  reader->Update();
  if (reader->GetErrorCode() != 0 || !reader->GetOutput() ||
      reader->GetOutput()->GetNumberOfPoints() == 0)
    corrupt(path, "the reader found no valid points (truncated or not this format)");
  return {meshFromPolyData(reader->GetOutput(), path.stem().string(), path)};
}

// A binary STL is 84 bytes plus 50 per triangle its header counts; a file that is not that
// size and does not start as ASCII STL ("solid") was cut short. VTK's reader would read what is
// there without a word, so this is checked first.
void requireCompleteStl(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  char start[84] = {};
  in.read(start, sizeof start);
  const auto size = fs::file_size(path);
  std::uint32_t count = 0;
  std::memcpy(&count, start + 80, 4);
  if (size >= 84 && size == 84 + 50ull * count) return;
  if (std::string_view(start, std::min<std::size_t>(size, 5)) == "solid") return;  // ASCII STL
  corrupt(path, size < 84 ? "it is shorter than a binary STL header"
                          : "its header counts " + std::to_string(count) + " triangles (" +
                                std::to_string(84 + 50ull * count) + " bytes) but the file has " +
                                std::to_string(size) + " bytes");
}

// One OBJ index ("7", "7/2", "7//3", "-1") to a 0-based position in `count` vertices so far.
std::uint32_t objIndex(const std::string& token, std::size_t count, const fs::path& path,
                       std::size_t line) {
  long value = 0;
  try {
    value = std::stol(token.substr(0, token.find('/')));
  } catch (const std::exception&) {
    corrupt(path, "line " + std::to_string(line) + " has a face index that is not a number");
  }
  const long resolved = value < 0 ? long(count) + value : value - 1;  // negatives count back
  if (value == 0 || resolved < 0 || resolved >= long(count))
    corrupt(path, "line " + std::to_string(line) + " refers to vertex " + std::to_string(value) +
                      " of " + std::to_string(count));
  return std::uint32_t(resolved);
}

// Wavefront OBJ: "v" vertices shared by the file, "f" polygons (fan-triangulated), "o"/"g"
// start a new model; each model keeps the vertices it uses.
std::vector<SurfaceMesh> readObj(const fs::path& path) {
  std::ifstream in(path);
  if (!in) throw Error(ErrorKind::NotFound, "Cannot open " + path.string() + ".", path.string());
  std::vector<Float3> vertices;
  std::vector<std::pair<std::string, std::vector<std::array<std::uint32_t, 3>>>> groups;
  std::string text;
  for (std::size_t line = 1; std::getline(in, text); ++line) {
    std::istringstream words(text);
    words.imbue(std::locale::classic());
    std::string kind;
    words >> kind;
    if (kind == "v") {
      Float3 p{};
      if (!(words >> p[0] >> p[1] >> p[2]))
        corrupt(path, "line " + std::to_string(line) + " is not a vertex");
      vertices.push_back(p);
    } else if (kind == "o" || kind == "g") {
      std::string name;
      std::getline(words >> std::ws, name);
      groups.emplace_back(name.empty() ? path.stem().string() : name,
                          std::vector<std::array<std::uint32_t, 3>>{});
    } else if (kind == "f") {
      std::vector<std::uint32_t> polygon;
      for (std::string token; words >> token;)
        polygon.push_back(objIndex(token, vertices.size(), path, line));
      if (polygon.size() < 3)
        corrupt(path, "line " + std::to_string(line) + " has a face of fewer than 3 points");
      if (groups.empty())
        groups.emplace_back(path.stem().string(), std::vector<std::array<std::uint32_t, 3>>{});
      for (std::size_t k = 1; k + 1 < polygon.size(); ++k)
        groups.back().second.push_back({polygon[0], polygon[k], polygon[k + 1]});
    }
  }
  std::vector<SurfaceMesh> meshes;
  for (auto& [name, triangles] : groups) {
    if (triangles.empty()) continue;
    SurfaceMesh mesh;
    mesh.name = mesh.segmentName = name;
    std::map<std::uint32_t, std::uint32_t> local;
    for (auto& t : triangles)
      for (std::uint32_t& index : t) {
        auto [it, added] = local.emplace(index, std::uint32_t(mesh.points_lps.size()));
        if (added) mesh.points_lps.push_back(vertices[index]);
        index = it->second;
      }
    mesh.triangles = std::move(triangles);
    meshes.push_back(std::move(mesh));
  }
  if (meshes.empty()) corrupt(path, "it holds no faces");
  return meshes;
}

}  // namespace

MeshFormat meshFormatOf(const fs::path& path) {
  const std::string ext = lowerExtension(path);
  if (ext == ".stl") return MeshFormat::Stl;
  if (ext == ".obj") return MeshFormat::Obj;
  if (ext == ".ply") return MeshFormat::Ply;
  if (ext == ".glb") return MeshFormat::Glb;
  throw Error(
      ErrorKind::InvalidInput,
      "A mesh file ends in .stl, .obj, .ply or .glb; " + path.filename().string() + " does not.",
      path.string());
}

bool isMeshFileName(const fs::path& path) {
  const std::string ext = lowerExtension(path);
  return ext == ".stl" || ext == ".obj" || ext == ".ply" || ext == ".glb";
}

void writeMeshFile(const std::vector<SurfaceMesh>& meshes, const fs::path& path) {
  const MeshFormat format = meshFormatOf(path);
  checkMeshes(meshes, path);
  StagedFile file(path);
  switch (format) {
    case MeshFormat::Stl:
      writeStl(meshes, file);
      break;
    case MeshFormat::Obj:
      writeObj(meshes, file, path);
      break;
    case MeshFormat::Ply:
      writePly(meshes, file);
      break;
    case MeshFormat::Glb: {
      GlbBuilder glb;
      for (std::size_t m = 0; m < meshes.size(); ++m) glb.add(meshes[m], m);
      glb.write(file);
      break;
    }
  }
  file.commit();
}

std::vector<SurfaceMesh> readMeshFile(const fs::path& path) {
  const MeshFormat format = meshFormatOf(path);
  if (!fs::is_regular_file(path))
    throw Error(ErrorKind::NotFound, "There is no mesh file " + path.string() + ".", path.string());
  switch (format) {
    case MeshFormat::Stl:
      requireCompleteStl(path);
      return readWithVtk<vtkSTLReader>(path);
    case MeshFormat::Ply:
      return readWithVtk<vtkPLYReader>(path);
    case MeshFormat::Obj:
      return readObj(path);
    case MeshFormat::Glb:
      break;
  }
  throw Error(ErrorKind::Unsupported,
              "TwinPlan writes .glb files but does not read them; import STL, OBJ or PLY.",
              path.string());
}

}  // namespace twinplan::io
