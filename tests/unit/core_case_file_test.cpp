// Case files (.twinplan): round trip of every part, corruption and truncation detection,
// version handling, atomic and cancellable saves, autosave.
#include <gtest/gtest.h>
#include <unistd.h>
#include <zip.h>
#include <zlib.h>

#include <Eigen/Geometry>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <limits>
#include <numbers>
#include <optional>
#include <string>
#include <vector>

#include "oblique_grid.h"
#include "test_support.h"
#include "twinplan/core/case_file.h"
#include "twinplan/core/parallel.h"

namespace twinplan {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using test::RecordingProgress;
using test::TempDir;

// ------------------------------------------------------------------ fixtures

DicomInfo fullDicomInfo() {
  DicomInfo d;
  d.patientName = "Müller^Anna";  // non-ASCII survives as UTF-8
  d.patientId = "PAT-0042";
  d.patientBirthDate = "19610203";
  d.patientSex = "F";
  d.studyInstanceUid = "1.2.826.0.1.3680043.8.498.1";
  d.studyDate = "20261124";
  d.studyTime = "081500.123";
  d.studyDescription = "CT abdomen with contrast";
  d.accessionNumber = "ACC123";
  d.seriesInstanceUid = "1.2.826.0.1.3680043.8.498.2";
  d.seriesDate = "20261124";
  d.seriesTime = "081733";
  d.seriesDescription = "Portal venous 1.25mm";
  d.seriesNumber = 4;
  d.modality = "CT";
  d.frameOfReferenceUid = "1.2.826.0.1.3680043.8.498.3";
  d.patientPosition = "FFS";
  d.acquisitionTime = "081801.5";
  d.manufacturer = "ACME";
  d.manufacturerModel = "Scanner 9000";
  d.institutionName = "St. Elsewhere";
  d.bodyPartExamined = "ABDOMEN";
  d.imageType = "ORIGINAL\\PRIMARY\\AXIAL";
  d.windowCenter = 40.5;
  d.windowWidth = 400.25;
  return d;
}

Case fullCase() {
  Case twin;
  twin.name = "Liver ablation — case 7";
  twin.patientName = "Müller^Anna";
  twin.patientId = "PAT-0042";
  twin.series = {{"1.2.3.4", "Arterial", {"/data/a/1.dcm", "/data/a/2.dcm"}}, {"1.2.3.5", "", {}}};

  ImageVolume ct(test::obliqueCaseGrid({7, 5, 4}), PixelType::Int16);
  auto hu = ct.voxels<std::int16_t>();
  for (std::size_t i = 0; i < hu.size(); ++i) {
    hu[i] = static_cast<std::int16_t>(static_cast<int>(i * 97 % 4001) - 1024);
  }
  hu[0] = std::numeric_limits<std::int16_t>::min();
  hu[1] = std::numeric_limits<std::int16_t>::max();
  ct.name = "CT";
  ct.unit = "HU";
  ct.dicom = fullDicomInfo();
  ct.assumptions = {"Slice gap of 2.5 mm filled by linear interpolation.",
                    "Gantry tilt of 12 deg kept as an oblique grid."};
  twin.volumes.push_back(std::move(ct));

  ImageGeometry mrGeometry = test::obliqueCaseGrid({4, 3, 2});
  mrGeometry.spacing_mm = Vec3(1.1, 1.1, 3.3);
  ImageVolume mr(mrGeometry, PixelType::Float32);
  auto intensity = mr.voxels<float>();
  for (std::size_t i = 0; i < intensity.size(); ++i) intensity[i] = 0.1f * static_cast<float>(i);
  intensity[2] = -0.0f;
  intensity[3] = std::numeric_limits<float>::denorm_min();
  intensity[4] = std::numeric_limits<float>::quiet_NaN();
  intensity[5] = -std::numeric_limits<float>::infinity();
  mr.name = "T1 post";
  mr.unit = "";
  twin.volumes.push_back(std::move(mr));

  LabelMap labels(test::obliqueCaseGrid({7, 5, 4}));
  labels.name = "Segmentation";
  labels.addSegment({"Liver",
                     "liver",
                     {200, 120, 90},
                     0,
                     1,
                     true,
                     false,
                     {{"123037004", "SCT", "Anatomical Structure"}, {"10200004", "SCT", "Liver"}}});
  labels.addSegment({"Vessels", "vessel", {10, 20, 250}, 0, 2, true, true});
  labels.addSegment({"Tumour 1", "tumour", {255, 255, 0}, 1, 1, false, true});
  for (std::size_t i = 0; i < labels.layer(0).size(); ++i) {
    labels.layer(0)[i] = static_cast<std::uint16_t>(i % 3);
    labels.layer(1)[i] = i % 7 == 0 ? 1 : 0;
  }
  twin.labelMaps.push_back(std::move(labels));

  SurfaceMesh liver;
  liver.name = "Liver surface";
  liver.segmentName = "Liver";
  liver.colour = {200, 120, 90};
  liver.opacity = 0.35f;
  liver.visible = false;
  liver.points_lps = {{0.f, 0.f, 0.f}, {10.5f, 0.f, 0.f}, {0.f, 10.25f, 0.f}, {0.f, 0.f, -3.75f}};
  liver.triangles = {{0, 1, 2}, {0, 3, 1}, {1, 3, 2}};
  liver.normals = {{0.f, 0.f, 1.f}, {0.6f, 0.f, 0.8f}, {0.f, 0.6f, 0.8f}, {-1.f, 0.f, 0.f}};
  twin.meshes.push_back(liver);
  SurfaceMesh probe;  // no normals, default colour
  probe.name = "Probe track";
  probe.points_lps = {{1.f, 2.f, 3.f}, {4.f, 5.f, 6.f}, {7.f, 8.f, 10.f}};
  probe.triangles = {{0, 1, 2}};
  twin.meshes.push_back(probe);

  TetMesh tets;
  tets.name = "Liver FE mesh";
  tets.points_lps = {{0.0, 0.0, 0.0},
                     {1.0 / 3.0, 0.0, 0.0},
                     {0.0, 1e-7, 0.0},
                     {0.0, 0.0, -123.456789012345},
                     {1.0, 1.0, 1.0}};
  tets.tets = {{0, 1, 2, 3}, {1, 2, 3, 4}};
  tets.materials = {0, 1};
  tets.materialNames = {"liver", "tumour"};
  twin.tetMeshes.push_back(tets);

  ScalarField dose;
  dose.name = "Dose (plan sum)";
  dose.quantity = "dose";
  dose.unit = units::kGray;
  dose.geometry = test::obliqueCaseGrid({3, 3, 2});
  dose.values.resize(dose.geometry.voxelCount());
  for (std::size_t i = 0; i < dose.values.size(); ++i)
    dose.values[i] = 1.0f / (1.0f + static_cast<float>(i));
  twin.fields.push_back(dose);

  twin.plans.push_back({"ablation", "Two probes",
                        json{{"probes", json::array({json{{"tip_lps", {1.5, -2.25, 300.0}},
                                                          {"power_W", 60},
                                                          {"model", "microwave"}},
                                                     json{{"tip_lps", {0.1, 0.2, 0.3}}}})},
                             {"duration_s", 600.5},
                             {"flags", json::array({true, false, nullptr})},
                             {"nested", {{"deeper", {{"deepest", "x"}}}}}}});
  twin.plans.push_back({"radiotherapy", "Empty", json::object()});

  twin.measurements = {
      {Measurement::Kind::Point, "Entry point", {Vec3(1.5, 2.5, -3.5)}, "CT"},
      {Measurement::Kind::Ruler, "Tumour diameter", {Vec3(0, 0, 0), Vec3(10.1, 0.2, 0.3)}, "CT"},
      {Measurement::Kind::Angle, "Needle angle", {Vec3(1, 0, 0), Vec3(0, 0, 0), Vec3(0, 1, 0)}, ""},
      {Measurement::Kind::RoiBox, "Box", {Vec3(-1, -2, -3), Vec3(4, 5, 6)}, "T1 post"},
      {Measurement::Kind::RoiEllipsoid, "Lesion", {Vec3(-1.25, -2, -3), Vec3(4, 5, 6.75)}, "CT"},
  };
  twin.provenance = json::array(
      {json{{"step", "import"}, {"time", "2026-11-24T08:00:00Z"}, {"series", "1.2.3.4"}},
       json{{"step", "segment"}, {"tool", "threshold"}, {"lower", -100.5}}});
  return twin;
}

// Bitwise comparison of payload arrays (NaN == NaN, -0 != +0).
template <class T>
bool sameBits(const std::vector<T>& a, const std::vector<T>& b) {
  return a.size() == b.size() &&
         (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0);
}

void expectSameGeometry(const ImageGeometry& a, const ImageGeometry& b) {
  EXPECT_EQ(a.size, b.size);
  EXPECT_EQ(a.origin_lps, b.origin_lps);  // exact: the manifest keeps every double bit
  EXPECT_EQ(a.spacing_mm, b.spacing_mm);
  EXPECT_EQ(a.direction, b.direction);
}

void expectSameDicom(const DicomInfo& a, const DicomInfo& b) {
  EXPECT_EQ(a.patientName, b.patientName);
  EXPECT_EQ(a.patientId, b.patientId);
  EXPECT_EQ(a.patientBirthDate, b.patientBirthDate);
  EXPECT_EQ(a.patientSex, b.patientSex);
  EXPECT_EQ(a.studyInstanceUid, b.studyInstanceUid);
  EXPECT_EQ(a.studyDate, b.studyDate);
  EXPECT_EQ(a.studyTime, b.studyTime);
  EXPECT_EQ(a.studyDescription, b.studyDescription);
  EXPECT_EQ(a.accessionNumber, b.accessionNumber);
  EXPECT_EQ(a.seriesInstanceUid, b.seriesInstanceUid);
  EXPECT_EQ(a.seriesDate, b.seriesDate);
  EXPECT_EQ(a.seriesTime, b.seriesTime);
  EXPECT_EQ(a.seriesDescription, b.seriesDescription);
  EXPECT_EQ(a.seriesNumber, b.seriesNumber);
  EXPECT_EQ(a.modality, b.modality);
  EXPECT_EQ(a.frameOfReferenceUid, b.frameOfReferenceUid);
  EXPECT_EQ(a.patientPosition, b.patientPosition);
  EXPECT_EQ(a.acquisitionTime, b.acquisitionTime);
  EXPECT_EQ(a.manufacturer, b.manufacturer);
  EXPECT_EQ(a.manufacturerModel, b.manufacturerModel);
  EXPECT_EQ(a.institutionName, b.institutionName);
  EXPECT_EQ(a.bodyPartExamined, b.bodyPartExamined);
  EXPECT_EQ(a.imageType, b.imageType);
  EXPECT_EQ(a.windowCenter, b.windowCenter);
  EXPECT_EQ(a.windowWidth, b.windowWidth);
}

void expectSameCase(const Case& a, const Case& b) {
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.patientName, b.patientName);
  EXPECT_EQ(a.patientId, b.patientId);
  EXPECT_EQ(a.series, b.series);
  ASSERT_EQ(a.volumes.size(), b.volumes.size());
  for (std::size_t i = 0; i < a.volumes.size(); ++i) {
    SCOPED_TRACE("volume " + a.volumes[i].name);
    const ImageVolume& x = a.volumes[i];
    const ImageVolume& y = b.volumes[i];
    EXPECT_EQ(x.name, y.name);
    EXPECT_EQ(x.unit, y.unit);
    EXPECT_EQ(x.pixelType(), y.pixelType());
    expectSameGeometry(x.geometry(), y.geometry());
    expectSameDicom(x.dicom, y.dicom);
    EXPECT_EQ(x.assumptions, y.assumptions);
    ASSERT_EQ(x.bytes().size(), y.bytes().size());
    EXPECT_EQ(std::memcmp(x.bytes().data(), y.bytes().data(), x.bytes().size()), 0);
  }
  ASSERT_EQ(a.labelMaps.size(), b.labelMaps.size());
  for (std::size_t i = 0; i < a.labelMaps.size(); ++i) {
    const LabelMap& x = a.labelMaps[i];
    const LabelMap& y = b.labelMaps[i];
    EXPECT_EQ(x.name, y.name);
    expectSameGeometry(x.geometry(), y.geometry());
    EXPECT_EQ(x.segments(), y.segments());
    ASSERT_EQ(x.layerCount(), y.layerCount());
    for (int layer = 0; layer < x.layerCount(); ++layer) EXPECT_EQ(x.layer(layer), y.layer(layer));
  }
  ASSERT_EQ(a.meshes.size(), b.meshes.size());
  for (std::size_t i = 0; i < a.meshes.size(); ++i) {
    const SurfaceMesh& x = a.meshes[i];
    const SurfaceMesh& y = b.meshes[i];
    EXPECT_EQ(x.name, y.name);
    EXPECT_EQ(x.segmentName, y.segmentName);
    EXPECT_EQ(x.colour, y.colour);
    EXPECT_EQ(x.opacity, y.opacity);
    EXPECT_EQ(x.visible, y.visible);
    EXPECT_TRUE(sameBits(x.points_lps, y.points_lps));
    EXPECT_EQ(x.triangles, y.triangles);
    EXPECT_TRUE(sameBits(x.normals, y.normals));
  }
  ASSERT_EQ(a.tetMeshes.size(), b.tetMeshes.size());
  for (std::size_t i = 0; i < a.tetMeshes.size(); ++i) {
    const TetMesh& x = a.tetMeshes[i];
    const TetMesh& y = b.tetMeshes[i];
    EXPECT_EQ(x.name, y.name);
    EXPECT_TRUE(sameBits(x.points_lps, y.points_lps));
    EXPECT_EQ(x.tets, y.tets);
    EXPECT_EQ(x.materials, y.materials);
    EXPECT_EQ(x.materialNames, y.materialNames);
  }
  ASSERT_EQ(a.fields.size(), b.fields.size());
  for (std::size_t i = 0; i < a.fields.size(); ++i) {
    const ScalarField& x = a.fields[i];
    const ScalarField& y = b.fields[i];
    EXPECT_EQ(x.name, y.name);
    EXPECT_EQ(x.quantity, y.quantity);
    EXPECT_EQ(x.unit, y.unit);
    expectSameGeometry(x.geometry, y.geometry);
    EXPECT_TRUE(sameBits(x.values, y.values));
  }
  EXPECT_EQ(a.plans, b.plans);
  EXPECT_EQ(a.measurements, b.measurements);
  EXPECT_EQ(a.provenance, b.provenance);
}

// ------------------------------------------------------------------ raw file helpers

std::string readBytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void writeBytes(const fs::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::uint32_t le32(const std::string& bytes, std::size_t at) {
  std::uint32_t v = 0;
  for (int i = 3; i >= 0; --i)
    v = (v << 8) | static_cast<unsigned char>(bytes[at + static_cast<std::size_t>(i)]);
  return v;
}
std::uint16_t le16(const std::string& bytes, std::size_t at) {
  return static_cast<std::uint16_t>(static_cast<unsigned char>(bytes[at]) |
                                    (static_cast<unsigned char>(bytes[at + 1]) << 8));
}

// Entries of a zip file as laid out on disk, from its local file headers (APPNOTE 4.3.7).
struct RawEntry {
  std::string name;
  std::size_t dataOffset = 0, dataSize = 0;
  int method = 0;
};

std::vector<RawEntry> rawEntries(const std::string& zip) {
  std::vector<RawEntry> entries;
  std::size_t at = 0;
  while (at + 30 <= zip.size() && le32(zip, at) == 0x04034b50u) {
    RawEntry e;
    EXPECT_EQ(le16(zip, at + 6) & 0x8u, 0u) << "sizes are in the local header";
    e.method = le16(zip, at + 8);
    e.dataSize = le32(zip, at + 18);
    const std::size_t nameLength = le16(zip, at + 26);
    const std::size_t extraLength = le16(zip, at + 28);
    e.name = zip.substr(at + 30, nameLength);
    e.dataOffset = at + 30 + nameLength + extraLength;
    at = e.dataOffset + e.dataSize;
    entries.push_back(e);
  }
  return entries;
}

// Replaces (or adds) one entry of an existing archive with libzip, keeping the others.
void replaceEntry(const fs::path& path, const std::string& name, const std::string& bytes) {
  int error = 0;
  zip_t* archive = zip_open(path.c_str(), 0, &error);
  ASSERT_NE(archive, nullptr);
  // libzip copies the buffer lazily on close; keep it alive until then.
  static std::vector<std::string> keep;
  keep.push_back(bytes);
  zip_source_t* source = zip_source_buffer(archive, keep.back().data(), keep.back().size(), 0);
  ASSERT_NE(source, nullptr);
  ASSERT_GE(zip_file_add(archive, name.c_str(), source, ZIP_FL_OVERWRITE | ZIP_FL_ENC_UTF_8), 0);
  ASSERT_EQ(zip_close(archive), 0) << zip_strerror(archive);
}

void removeEntry(const fs::path& path, const std::string& name) {
  int error = 0;
  zip_t* archive = zip_open(path.c_str(), 0, &error);
  ASSERT_NE(archive, nullptr);
  const zip_int64_t index = zip_name_locate(archive, name.c_str(), 0);
  ASSERT_GE(index, 0);
  ASSERT_EQ(zip_delete(archive, static_cast<zip_uint64_t>(index)), 0);
  ASSERT_EQ(zip_close(archive), 0);
}

std::string readEntry(const fs::path& path, const std::string& name) {
  int error = 0;
  zip_t* archive = zip_open(path.c_str(), ZIP_RDONLY, &error);
  EXPECT_NE(archive, nullptr);
  if (!archive) return {};
  zip_stat_t stat;
  EXPECT_EQ(zip_stat(archive, name.c_str(), 0, &stat), 0) << name;
  std::string bytes(static_cast<std::size_t>(stat.size), '\0');
  zip_file_t* file = zip_fopen(archive, name.c_str(), 0);
  EXPECT_NE(file, nullptr);
  EXPECT_EQ(zip_fread(file, bytes.data(), bytes.size()), static_cast<zip_int64_t>(bytes.size()));
  zip_fclose(file);
  zip_discard(archive);
  return bytes;
}

json readManifest(const fs::path& path) { return json::parse(readEntry(path, "manifest.json")); }

// Saves `twin` as `file`, then rewrites its manifest through `edit`: a file as an older TwinPlan
// or a damaged copy left it.
void saveWithEditedManifest(const Case& twin, const fs::path& file,
                            const std::function<void(json&)>& edit) {
  saveCase(twin, file);
  json manifest = readManifest(file);
  edit(manifest);
  replaceEntry(file, "manifest.json", manifest.dump());
}

std::vector<std::string> folderListing(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir))
    names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

// Calls loadCase and returns the Error it throws (fails the test when it does not throw).
std::optional<Error> loadError(const fs::path& path) {
  try {
    (void)loadCase(path);
  } catch (const Error& e) {
    return e;
  }
  ADD_FAILURE() << "loadCase(" << path << ") did not throw";
  return std::nullopt;
}

// ------------------------------------------------------------------ round trip

TEST(CaseFile, RoundTripKeepsEveryField) {
  TempDir dir;
  const Case original = fullCase();
  const fs::path file = dir / "case.twinplan";
  saveCase(original, file);
  const Case loaded = loadCase(file);
  expectSameCase(original, loaded);
  EXPECT_EQ(caseFileVersion(file), kCaseFormatVersion);
  EXPECT_EQ(folderListing(dir.path()), std::vector<std::string>{"case.twinplan"});
}

TEST(CaseFile, EmptyCaseRoundTrips) {
  TempDir dir;
  Case empty;
  saveCase(empty, dir / "empty.twinplan");
  expectSameCase(empty, loadCase(dir / "empty.twinplan"));
}

TEST(CaseFile, ManifestDescribesTheCaseAndEveryPayload) {
  TempDir dir;
  const fs::path file = dir / "case.twinplan";
  saveCase(fullCase(), file);
  const json manifest = readManifest(file);
  EXPECT_EQ(manifest["format"], "TwinPlan case");
  EXPECT_EQ(manifest["formatVersion"], kCaseFormatVersion);
  EXPECT_TRUE(manifest["appVersion"].is_string());
  // ISO-8601 UTC, e.g. 2026-11-24T07:48:13Z
  const std::string created = manifest["created"];
  ASSERT_EQ(created.size(), 20u);
  EXPECT_EQ(created[4], '-');
  EXPECT_EQ(created[10], 'T');
  EXPECT_EQ(created.back(), 'Z');
  EXPECT_EQ(manifest["case"]["patientId"], "PAT-0042");
  const CaseFileInfo info = readCaseFileInfo(file);
  EXPECT_EQ(info.formatVersion, kCaseFormatVersion);
  EXPECT_EQ(info.appVersion, manifest["appVersion"]);
  EXPECT_EQ(info.created, created);
  EXPECT_EQ(info.modified, manifest["modified"]);
  EXPECT_EQ(info.caseName, "Liver ablation — case 7");
  EXPECT_EQ(info.patientName, "Müller^Anna");
  EXPECT_EQ(info.patientId, "PAT-0042");
  EXPECT_EQ(manifest["labelMaps"][0]["segments"][2]["name"], "Tumour 1");
  EXPECT_EQ(manifest["meshes"][0]["opacity"], 0.35f);
  EXPECT_EQ(manifest["meshes"][0]["visible"], false);
  EXPECT_EQ(manifest["fields"][0]["unit"], "Gy");

  // One payload record per entry; each size and CRC-32 matches the bytes in the zip.
  const auto entries = rawEntries(readBytes(file));
  ASSERT_EQ(manifest["payloads"].size() + 1, entries.size());
  for (const json& record : manifest["payloads"]) {
    const std::string bytes = readEntry(file, record["entry"]);
    EXPECT_EQ(record["size"], bytes.size());
    char hex[9];
    std::snprintf(
        hex, sizeof hex, "%08lx",
        ::crc32(0, reinterpret_cast<const Bytef*>(bytes.data()), static_cast<uInt>(bytes.size())));
    EXPECT_EQ(record["crc32"], hex) << record["entry"];
  }
  // gzip'd NRRD is stored as it is; manifest and meshes are deflated.
  for (const RawEntry& e : entries) {
    const bool nrrd = e.name.ends_with(".nrrd");
    EXPECT_EQ(e.method, nrrd ? ZIP_CM_STORE : ZIP_CM_DEFLATE) << e.name;
  }
}

TEST(CaseFile, NrrdPayloadIsAStandaloneNrrdFile) {
  TempDir dir;
  const Case twin = fullCase();
  const fs::path file = dir / "case.twinplan";
  saveCase(twin, file);
  const std::string nrrd = readEntry(file, readManifest(file)["volumes"][0]["entry"]);
  const std::size_t headerEnd = nrrd.find("\n\n");
  ASSERT_NE(headerEnd, std::string::npos);
  const std::string header = nrrd.substr(0, headerEnd + 1);
  EXPECT_TRUE(header.starts_with("NRRD0004\n"));
  EXPECT_NE(header.find("\ntype: short\n"), std::string::npos);
  EXPECT_NE(header.find("\ndimension: 3\n"), std::string::npos);
  EXPECT_NE(header.find("\nspace: left-posterior-superior\n"), std::string::npos);
  EXPECT_NE(header.find("\nsizes: 7 5 4\n"), std::string::npos);
  EXPECT_NE(header.find("\nendian: little\n"), std::string::npos);
  EXPECT_NE(header.find("\nencoding: gzip\n"), std::string::npos);
  EXPECT_NE(header.find("\nspace origin: (-112.3046875,87.65,-301.125)\n"), std::string::npos);
  // space directions = direction columns * spacing
  const ImageGeometry& g = twin.volumes[0].geometry();
  const std::size_t at = header.find("space directions: (");
  ASSERT_NE(at, std::string::npos);
  double v[9];
  ASSERT_EQ(std::sscanf(header.c_str() + at,
                        "space directions: (%lf,%lf,%lf) (%lf,%lf,%lf) (%lf,%lf,%lf)", &v[0], &v[1],
                        &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &v[8]),
            9);
  for (int axis = 0; axis < 3; ++axis) {
    for (int r = 0; r < 3; ++r) {
      EXPECT_NEAR(v[axis * 3 + r], g.direction(r, axis) * g.spacing_mm[axis], 1e-12);
    }
  }
  // The data after the blank line is one gzip stream of the voxels, little-endian, i fastest.
  const auto& voxels = twin.volumes[0].bytes();
  std::string raw(voxels.size() + 16, '\0');
  z_stream z{};
  ASSERT_EQ(inflateInit2(&z, 15 + 16), Z_OK);
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(nrrd.data() + headerEnd + 2));
  z.avail_in = static_cast<uInt>(nrrd.size() - headerEnd - 2);
  z.next_out = reinterpret_cast<Bytef*>(raw.data());
  z.avail_out = static_cast<uInt>(raw.size());
  EXPECT_EQ(inflate(&z, Z_FINISH), Z_STREAM_END);
  EXPECT_EQ(z.total_out, voxels.size());
  EXPECT_EQ(z.avail_in, 0u);
  inflateEnd(&z);
  EXPECT_EQ(std::memcmp(raw.data(), voxels.data(), voxels.size()), 0);
}

// A volume of several MiB is deflated in 1 MiB pieces in parallel (case_gzip.cpp): the payload
// must still be one standard gzip member that zlib's own inflate reads back exactly, the same
// bytes on 1 thread as on all, and within 1 % of one sequential stream's size.
TEST(CaseFile, LargeNrrdPayloadIsOneGzipStreamOnAnyThreadCount) {
  TempDir dir;
  Case twin = fullCase();
  ImageVolume big(test::obliqueCaseGrid({256, 256, 40}), PixelType::Int16);  // 5 MiB: 5 pieces
  std::uint32_t state = 777u;
  std::size_t n = 0;
  for (auto& v : big.voxels<std::int16_t>()) {
    state = state * 1664525u + 1013904223u;
    // CT-like: air outside a disc (runs of one value), noisy tissue inside.
    const auto i = static_cast<double>(n % 256) - 128.0,
               j = static_cast<double>(n / 256 % 256) - 128.0;
    v = static_cast<std::int16_t>(i * i + j * j < 100.0 * 100.0 ? 40 + (state >> 27) : -1000);
    ++n;
  }
  big.name = "Big";
  twin.volumes.insert(twin.volumes.begin(), std::move(big));
  const fs::path parallelFile = dir / "parallel.twinplan", serialFile = dir / "serial.twinplan";
  saveCase(twin, parallelFile);
  {
    const parallel::ThreadLimit oneThread(1);
    saveCase(twin, serialFile);
  }
  const std::string nrrd =
      readEntry(parallelFile, readManifest(parallelFile)["volumes"][0]["entry"]);
  EXPECT_EQ(readEntry(serialFile, readManifest(serialFile)["volumes"][0]["entry"]), nrrd);
  const std::size_t dataStart = nrrd.find("\n\n") + 2;
  const auto& voxels = twin.volumes[0].bytes();
  std::string raw(voxels.size() + 16, '\0');
  z_stream z{};
  ASSERT_EQ(inflateInit2(&z, 15 + 16), Z_OK);
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(nrrd.data() + dataStart));
  z.avail_in = static_cast<uInt>(nrrd.size() - dataStart);
  z.next_out = reinterpret_cast<Bytef*>(raw.data());
  z.avail_out = static_cast<uInt>(raw.size());
  EXPECT_EQ(inflate(&z, Z_FINISH), Z_STREAM_END);  // also checks the CRC-32 and length
  EXPECT_EQ(z.total_out, voxels.size());
  EXPECT_EQ(z.avail_in, 0u);
  inflateEnd(&z);
  EXPECT_EQ(std::memcmp(raw.data(), voxels.data(), voxels.size()), 0);
  // One sequential gzip stream at the same level, for the size.
  z_stream whole{};
  ASSERT_EQ(deflateInit2(&whole, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
  std::string once(deflateBound(&whole, static_cast<uLong>(voxels.size())), '\0');
  whole.next_in = reinterpret_cast<Bytef*>(const_cast<std::byte*>(voxels.data()));
  whole.avail_in = static_cast<uInt>(voxels.size());
  whole.next_out = reinterpret_cast<Bytef*>(once.data());
  whole.avail_out = static_cast<uInt>(once.size());
  ASSERT_EQ(deflate(&whole, Z_FINISH), Z_STREAM_END);
  const auto sequentialBytes = static_cast<double>(whole.total_out);
  deflateEnd(&whole);
  EXPECT_LE(static_cast<double>(nrrd.size() - dataStart), 1.01 * sequentialBytes);
  // And it loads back.
  const Case loaded = loadCase(parallelFile);
  ASSERT_EQ(loaded.volumes[0].bytes().size(), voxels.size());
  EXPECT_EQ(std::memcmp(loaded.volumes[0].bytes().data(), voxels.data(), voxels.size()), 0);
}

TEST(CaseFile, PlyPayloadIsBinaryLittleEndianPly) {
  TempDir dir;
  const fs::path file = dir / "case.twinplan";
  const Case twin = fullCase();
  saveCase(twin, file);
  const std::string ply = readEntry(file, readManifest(file)["meshes"][0]["entry"]);
  EXPECT_TRUE(ply.starts_with("ply\nformat binary_little_endian 1.0\n"));
  EXPECT_NE(ply.find("element vertex 4\nproperty float x\nproperty float y\nproperty float z\n"
                     "property float nx\nproperty float ny\nproperty float nz\n"
                     "element face 3\nproperty list uchar uint vertex_indices\nend_header\n"),
            std::string::npos);
  const std::size_t body = ply.find("end_header\n") + 11;
  EXPECT_EQ(ply.size() - body, 4u * 24u + 3u * 13u);
  float x1;
  std::memcpy(&x1, ply.data() + body + 24, 4);  // second vertex, x
  EXPECT_EQ(x1, 10.5f);
}

TEST(CaseFile, ProgressIsMonotonicAndEndsAtOne) {
  TempDir dir;
  RecordingProgress saving, loading;
  saveCase(fullCase(), dir / "case.twinplan", saving);
  (void)loadCase(dir / "case.twinplan", loading);
  for (const RecordingProgress* p : {&saving, &loading}) {
    ASSERT_GT(p->fractions.size(), 5u);
    EXPECT_TRUE(std::is_sorted(p->fractions.begin(), p->fractions.end()));
    EXPECT_GE(p->fractions.front(), 0.0);
    EXPECT_DOUBLE_EQ(p->fractions.back(), 1.0);
    for (const std::string& step : p->steps) EXPECT_FALSE(step.empty());
  }
  EXPECT_NE(std::find(saving.steps.begin(), saving.steps.end(), "Saving volume 'CT'"),
            saving.steps.end());
  EXPECT_NE(
      std::find(loading.steps.begin(), loading.steps.end(), "Loading surface 'Liver surface'"),
      loading.steps.end());
}

TEST(CaseFile, ResavingKeepsTheCreationTime) {
  TempDir dir;
  const fs::path file = dir / "case.twinplan";
  saveWithEditedManifest(fullCase(), file, [](json& m) { m["created"] = "2020-01-02T03:04:05Z"; });
  saveCase(fullCase(), file);
  EXPECT_EQ(readManifest(file)["created"], "2020-01-02T03:04:05Z");
  Case other = fullCase();
  other.patientId = "SOMEONE-ELSE";
  saveCase(other, file);
  EXPECT_NE(readManifest(file)["created"], "2020-01-02T03:04:05Z");
}

// ------------------------------------------------------------------ damaged files

TEST(CaseFile, FlippedByteInAnyEntryIsCorruptAndNamesTheEntry) {
  TempDir dir;
  const fs::path good = dir / "good.twinplan";
  saveCase(fullCase(), good);
  const std::string bytes = readBytes(good);
  const auto entries = rawEntries(bytes);
  ASSERT_EQ(entries.size(), 1u + 2u + 2u + 2u + 1u + 1u);  // manifest, 2 volumes, 2 layers ...
  for (const RawEntry& e : entries) {
    for (double where : {0.0, 0.5, 0.999}) {
      SCOPED_TRACE(e.name + " at " + std::to_string(where));
      std::string damaged = bytes;
      const std::size_t at =
          e.dataOffset + static_cast<std::size_t>(where * static_cast<double>(e.dataSize - 1));
      damaged[at] = static_cast<char>(damaged[at] ^ 0x10);
      const fs::path file = dir / "damaged.twinplan";
      writeBytes(file, damaged);
      const auto error = loadError(file);
      ASSERT_TRUE(error);
      EXPECT_EQ(error->kind(), ErrorKind::Corrupt) << error->what();
      EXPECT_NE(std::string(error->what()).find("'" + e.name + "'"), std::string::npos)
          << error->what();
      EXPECT_NE(std::string(error->what()).find("damaged.twinplan"), std::string::npos);
      EXPECT_EQ(error->context(), file.string());
      // One sentence: the file is named once (a wrapped error once repeated itself).
      const std::string message = error->what();
      EXPECT_EQ(message.find("The case file"), message.rfind("The case file")) << message;
    }
  }
}

TEST(CaseFile, TruncatedFileIsAnErrorAtEveryOffset) {
  TempDir dir;
  const fs::path good = dir / "good.twinplan";
  saveCase(fullCase(), good);
  const std::string bytes = readBytes(good);
  const fs::path file = dir / "truncated.twinplan";
  std::vector<std::size_t> offsets;
  for (std::size_t n = 0; n < 64; ++n) offsets.push_back(n);
  for (std::size_t n = 64; n < bytes.size(); n += 37) offsets.push_back(n);
  for (std::size_t n = bytes.size() - 64; n < bytes.size(); ++n) offsets.push_back(n);
  for (std::size_t n : offsets) {
    SCOPED_TRACE("truncated to " + std::to_string(n) + " of " + std::to_string(bytes.size()));
    writeBytes(file, bytes.substr(0, n));
    const auto error = loadError(file);
    ASSERT_TRUE(error);
    EXPECT_TRUE(error->kind() == ErrorKind::Corrupt || error->kind() == ErrorKind::InvalidInput)
        << error->what();
  }
  // Bytes appended after the archive are damage too, not silently accepted... or accepted
  // whole: either way never a partial case.
  writeBytes(file, bytes + "garbage");
  try {
    expectSameCase(fullCase(), loadCase(file));
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Corrupt);
  }
}

TEST(CaseFile, DamageAnywhereIsAnErrorOrHarmless) {
  TempDir dir;
  const Case original = fullCase();
  saveCase(original, dir / "good.twinplan");
  const std::string bytes = readBytes(dir / "good.twinplan");
  const fs::path file = dir / "damaged.twinplan";
  int refused = 0;
  // Every 11th byte, headers and zip directory included: a flip is detected, or it hit a byte
  // nobody reads (a zip timestamp) and the whole case loads unchanged. Never a crash.
  for (std::size_t at = 0; at < bytes.size(); at += 11) {
    SCOPED_TRACE("byte " + std::to_string(at));
    std::string damaged = bytes;
    damaged[at] = static_cast<char>(~damaged[at]);
    writeBytes(file, damaged);
    try {
      const Case loaded = loadCase(file);
      expectSameCase(original, loaded);
    } catch (const Error& e) {
      ++refused;
      EXPECT_NE(e.kind(), ErrorKind::Internal) << e.what();
    }
  }
  EXPECT_GT(refused, static_cast<int>(bytes.size() / 11) * 9 / 10);
}

TEST(CaseFile, PayloadThatDisagreesWithTheManifestIsCorrupt) {
  TempDir dir;
  const fs::path file = dir / "case.twinplan";
  saveCase(fullCase(), file);
  const json manifest = readManifest(file);
  const std::string ctEntry = manifest["volumes"][0]["entry"];

  {  // a consistent zip entry whose bytes are not those the manifest recorded
    const fs::path copy = dir / "swapped.twinplan";
    fs::copy_file(file, copy);
    replaceEntry(copy, ctEntry, readEntry(file, manifest["fields"][0]["entry"]));
    const auto error = loadError(copy);
    ASSERT_TRUE(error);
    EXPECT_EQ(error->kind(), ErrorKind::Corrupt);
    EXPECT_NE(std::string(error->what()).find(ctEntry), std::string::npos) << error->what();
  }
  {  // the manifest says another grid than the NRRD header (CRC updated to match)
    const fs::path copy = dir / "grid.twinplan";
    fs::copy_file(file, copy);
    json edited = manifest;
    edited["volumes"][0]["geometry"]["origin_lps"][0] = -112.0;
    replaceEntry(copy, "manifest.json", edited.dump());
    const auto error = loadError(copy);
    ASSERT_TRUE(error);
    EXPECT_EQ(error->kind(), ErrorKind::Corrupt);
    EXPECT_NE(std::string(error->what()).find("space origin"), std::string::npos) << error->what();
    EXPECT_NE(std::string(error->what()).find(ctEntry), std::string::npos) << error->what();
  }
  {  // a payload entry is missing
    const fs::path copy = dir / "missing.twinplan";
    fs::copy_file(file, copy);
    const std::string tetEntry = manifest["tetMeshes"][0]["entry"];
    removeEntry(copy, tetEntry);
    const auto error = loadError(copy);
    ASSERT_TRUE(error);
    EXPECT_EQ(error->kind(), ErrorKind::Corrupt);
    EXPECT_NE(std::string(error->what()).find(tetEntry), std::string::npos) << error->what();
  }
  {  // a manifest that promises a huge grid is refused before anything is allocated
    const fs::path copy = dir / "huge.twinplan";
    fs::copy_file(file, copy);
    json edited = manifest;
    edited["volumes"][0]["geometry"]["size"] = {100000, 100000, 6};
    replaceEntry(copy, "manifest.json", edited.dump());
    const auto error = loadError(copy);
    ASSERT_TRUE(error);
    EXPECT_EQ(error->kind(), ErrorKind::Corrupt) << error->what();
  }
}

TEST(CaseFile, ManifestWithMissingOrWrongFieldsIsCorrupt) {
  TempDir dir;
  const fs::path file = dir / "case.twinplan";
  saveCase(fullCase(), file);
  const json manifest = readManifest(file);
  const std::vector<std::pair<std::string, std::function<void(json&)>>> edits = {
      {"no volumes", [](json& m) { m.erase("volumes"); }},
      {"name not a string", [](json& m) { m["case"]["name"] = 3; }},
      {"colour out of range", [](json& m) { m["labelMaps"][0]["segments"][0]["colour"][1] = 256; }},
      {"segment in a missing layer",
       [](json& m) { m["labelMaps"][0]["segments"][0]["layer"] = 2; }},
      {"label 0", [](json& m) { m["labelMaps"][0]["segments"][0]["value"] = 0; }},
      {"unknown pixel type", [](json& m) { m["volumes"][0]["pixelType"] = "complex"; }},
      {"unknown measurement", [](json& m) { m["measurements"][0]["kind"] = "protractor"; }},
      {"negative spacing", [](json& m) { m["fields"][0]["geometry"]["spacing_mm"][2] = -1.0; }},
      {"bad crc text", [](json& m) { m["payloads"][0]["crc32"] = "xyz"; }},
      {"payload without record", [](json& m) { m["payloads"].erase(0); }},
      {"format version 0", [](json& m) { m["formatVersion"] = 0; }},
      {"format version text", [](json& m) { m["formatVersion"] = "1"; }},
      {"point count", [](json& m) { m["meshes"][0]["pointCount"] = 5; }},
      {"tet count", [](json& m) { m["tetMeshes"][0]["tetCount"] = 1; }},
      {"visible not a boolean", [](json& m) { m["meshes"][0]["visible"] = "no"; }},
      {"result without an id", [](json& m) { m["fields"][0].erase("id"); }},
      {"result with an empty id", [](json& m) { m["fields"][0]["id"] = ""; }},
  };
  for (const auto& [what, edit] : edits) {
    SCOPED_TRACE(what);
    const fs::path copy = dir / "edited.twinplan";
    fs::remove(copy);
    fs::copy_file(file, copy);
    json edited = manifest;
    edit(edited);
    replaceEntry(copy, "manifest.json", edited.dump());
    const auto error = loadError(copy);
    ASSERT_TRUE(error);
    EXPECT_EQ(error->kind(), ErrorKind::Corrupt) << error->what();
    EXPECT_NE(std::string(error->what()).find("edited.twinplan"), std::string::npos);
  }
  {  // nested a million levels deep: refused, not a stack overflow
    const fs::path copy = dir / "deep.twinplan";
    fs::copy_file(file, copy);
    json edited = manifest;
    edited["plans"][0]["parameters"] = "PLACEHOLDER";
    std::string text = edited.dump();
    text.replace(text.find("\"PLACEHOLDER\""), 13,
                 std::string(1'000'000, '[') + std::string(1'000'000, ']'));
    replaceEntry(copy, "manifest.json", text);
    const auto error = loadError(copy);
    ASSERT_TRUE(error);
    EXPECT_EQ(error->kind(), ErrorKind::Corrupt);
    EXPECT_NE(std::string(error->what()).find("nests deeper"), std::string::npos) << error->what();
  }
  {  // deep but legitimate plan parameters load
    Case deep = fullCase();
    json value = 1.5;
    for (int level = 0; level < 100; ++level) value = json::array({value});
    deep.plans[0].parameters["deep"] = value;
    saveCase(deep, dir / "deep-ok.twinplan");
    EXPECT_EQ(loadCase(dir / "deep-ok.twinplan").plans, deep.plans);
  }
  const fs::path copy = dir / "notjson.twinplan";
  fs::copy_file(file, copy);
  replaceEntry(copy, "manifest.json", "{\"format\": \"TwinPlan case\", ");
  const auto error = loadError(copy);
  ASSERT_TRUE(error);
  EXPECT_EQ(error->kind(), ErrorKind::Corrupt);
  EXPECT_NE(std::string(error->what()).find("'manifest.json'"), std::string::npos) << error->what();
}

TEST(CaseFile, MeshesWithoutAVisibleFlagAreShown) {
  // Files written before meshes had a visibility flag.
  TempDir dir;
  const fs::path file = dir / "older.twinplan";
  saveWithEditedManifest(fullCase(), file, [](json& m) {
    for (json& mesh : m["meshes"]) mesh.erase("visible");
  });
  const Case twin = loadCase(file);
  ASSERT_FALSE(twin.meshes.empty());
  for (const SurfaceMesh& mesh : twin.meshes) EXPECT_TRUE(mesh.visible) << mesh.name;
}

// ------------------------------------------------------------------ result ids (format 2)

// Two doses of one name (a plan's dose imported twice, or renamed), as a case built in code
// leaves them: without ids.
Case twoDosesOfOneName() {
  Case twin;
  twin.name = "Two doses";
  ImageGeometry grid;
  grid.size = {3, 2, 2};
  grid.spacing_mm = Vec3(2.5, 2.5, 2.5);
  for (const float peak_Gy : {60.0f, 20.0f}) {
    ScalarField dose;
    dose.name = "Dose (plan)";
    dose.quantity = "dose";
    dose.unit = units::kGray;
    dose.geometry = grid;
    for (std::size_t n = 0; n < grid.voxelCount(); ++n)
      dose.values.push_back(peak_Gy * static_cast<float>(n + 1) / 12.0f);
    twin.fields.push_back(std::move(dose));
  }
  return twin;
}

TEST(CaseFile, ResultsKeepTheirIdsThroughSaveAndOpen) {
  TempDir dir;
  Case twin = twoDosesOfOneName();
  giveResultIds(twin);
  ASSERT_EQ(twin.fields[0].id, "result-1");
  ASSERT_EQ(twin.fields[1].id, "result-2");
  twin.fields[0].id = "result-7";  // ids need not follow each other
  EXPECT_EQ(newResultId(twin), "result-8");
  saveCase(twin, dir / "ids.twinplan");
  const json manifest = readManifest(dir / "ids.twinplan");
  EXPECT_EQ(manifest["formatVersion"], 2);
  EXPECT_EQ(manifest["fields"][0]["id"], "result-7");
  EXPECT_EQ(manifest["fields"][1]["id"], "result-2");
  const Case loaded = loadCase(dir / "ids.twinplan");
  ASSERT_EQ(loaded.fields.size(), 2u);
  EXPECT_EQ(loaded.fields[0].id, "result-7");
  EXPECT_EQ(loaded.fields[1].id, "result-2");
  EXPECT_EQ(loaded.fields[1].name, "Dose (plan)");  // the same name, two results
  EXPECT_FLOAT_EQ(loaded.fields[0].values.back(), 60.0f);
  EXPECT_FLOAT_EQ(loaded.fields[1].values.back(), 20.0f);
  EXPECT_EQ(findResult(loaded, "result-2"), &loaded.fields[1]);
  EXPECT_EQ(findResult(loaded, "result-3"), nullptr);
  // A case built in code and saved without ids: the file numbers them in order.
  saveCase(twoDosesOfOneName(), dir / "no-ids.twinplan");
  const Case given = loadCase(dir / "no-ids.twinplan");
  EXPECT_EQ(given.fields[0].id, "result-1");
  EXPECT_EQ(given.fields[1].id, "result-2");
}

// A manifest as format 1 wrote it: before results had ids.
void asFormatOne(json& manifest) {
  manifest["formatVersion"] = 1;
  for (json& field : manifest["fields"]) field.erase("id");
}

// A format-1 case (written before results had ids: its fields have no "id") opens, every time
// with the same ids, and is saved again as format 2 keeping them.
TEST(CaseFile, FormatOneCaseOpensWithItsResultsNumbered) {
  TempDir dir;
  const fs::path file = dir / "format1.twinplan";
  saveWithEditedManifest(twoDosesOfOneName(), file, asFormatOne);
  EXPECT_EQ(caseFileVersion(file), 1);
  for (int opening = 0; opening < 2; ++opening) {
    const Case twin = loadCase(file);
    ASSERT_EQ(twin.fields.size(), 2u);
    EXPECT_EQ(twin.fields[0].id, "result-1");
    EXPECT_EQ(twin.fields[1].id, "result-2");
    EXPECT_FLOAT_EQ(twin.fields[1].values.back(), 20.0f);
  }
  saveCase(loadCase(file), dir / "format2.twinplan");
  const json again = readManifest(dir / "format2.twinplan");
  EXPECT_EQ(again["formatVersion"], 2);
  EXPECT_EQ(again["fields"][1]["id"], "result-2");
  // The full case (a checkpoint's field among its fields, which needs no id) migrates too.
  saveWithEditedManifest(fullCase(), dir / "full1.twinplan", asFormatOne);
  const Case migrated = loadCase(dir / "full1.twinplan");
  expectSameCase(fullCase(), migrated);
  for (std::size_t n = 0; n < migrated.fields.size(); ++n)
    EXPECT_EQ(migrated.fields[n].id, "result-" + std::to_string(n + 1));
}

TEST(CaseFile, ARepeatedResultIdIsCorrupt) {
  TempDir dir;
  const fs::path file = dir / "repeated.twinplan";
  saveWithEditedManifest(twoDosesOfOneName(), file,
                         [](json& m) { m["fields"][1]["id"] = "result-1"; });
  const auto error = loadError(file);
  ASSERT_TRUE(error);
  EXPECT_EQ(error->kind(), ErrorKind::Corrupt);
  EXPECT_NE(std::string(error->what()).find("fields[1].id"), std::string::npos) << error->what();
}

TEST(CaseFile, NewerFormatIsRefusedAsUnsupported) {
  TempDir dir;
  const fs::path file = dir / "future.twinplan";
  saveWithEditedManifest(fullCase(), file, [](json& m) {
    m["formatVersion"] = 7;
    m["somethingNew"] = {{"a", 1}};
  });
  EXPECT_EQ(caseFileVersion(file), 7);
  EXPECT_EQ(readCaseFileInfo(file).formatVersion, 7);
  const auto error = loadError(file);
  ASSERT_TRUE(error);
  EXPECT_EQ(error->kind(), ErrorKind::Unsupported);
  const std::string message = error->what();
  EXPECT_NE(message.find("future.twinplan"), std::string::npos) << message;
  EXPECT_NE(message.find("was written by a newer TwinPlan (format 7); this version reads up to 2"),
            std::string::npos)
      << message;
}

TEST(CaseFile, FilesThatAreNotCasesAreRefusedClearly) {
  TempDir dir;
  {
    const auto error = loadError(dir / "absent.twinplan");
    ASSERT_TRUE(error);
    EXPECT_EQ(error->kind(), ErrorKind::NotFound);
  }
  {
    writeBytes(dir / "notes.twinplan", "Dear colleague,\nplease find the case attached.\n");
    const auto error = loadError(dir / "notes.twinplan");
    ASSERT_TRUE(error);
    EXPECT_EQ(error->kind(), ErrorKind::InvalidInput);
    EXPECT_NE(std::string(error->what()).find("not a TwinPlan case file"), std::string::npos);
  }
  {
    writeBytes(dir / "empty.twinplan", "");
    const auto error = loadError(dir / "empty.twinplan");
    ASSERT_TRUE(error);
    EXPECT_EQ(error->kind(), ErrorKind::Corrupt);
    EXPECT_NE(std::string(error->what()).find("empty"), std::string::npos);
  }
  {  // a zip, but someone else's
    const fs::path other = dir / "other.zip";
    saveCase(Case{}, other);
    replaceEntry(other, "readme.txt", "hello");
    removeEntry(other, "manifest.json");
    const auto error = loadError(other);
    ASSERT_TRUE(error);
    EXPECT_EQ(error->kind(), ErrorKind::InvalidInput);
    EXPECT_NE(std::string(error->what()).find("not a TwinPlan case file"), std::string::npos);
    EXPECT_THROW(caseFileVersion(other), Error);
  }
  {  // a JSON manifest of another program
    const fs::path other = dir / "other2.zip";
    saveCase(Case{}, other);
    replaceEntry(other, "manifest.json", R"({"format": "Slicer scene", "formatVersion": 1})");
    const auto error = loadError(other);
    ASSERT_TRUE(error);
    EXPECT_EQ(error->kind(), ErrorKind::InvalidInput) << error->what();
  }
}

// ------------------------------------------------------------------ saving safely

// A case big enough that libzip reports progress several times while writing.
Case largerCase(std::int16_t seed) {
  Case twin = fullCase();
  ImageVolume big(test::obliqueCaseGrid({96, 96, 40}), PixelType::Int16);
  std::uint32_t state = 12345u + static_cast<std::uint32_t>(seed);
  for (auto& v : big.voxels<std::int16_t>()) {
    state = state * 1664525u + 1013904223u;  // noise: keeps the gzip payload large
    v = static_cast<std::int16_t>(state >> 16);
  }
  big.name = "Big";
  twin.volumes.push_back(std::move(big));
  return twin;
}

TEST(CaseFile, CancelledSaveLeavesTheOldFileAndNoTemporaryFiles) {
  TempDir dir;
  const fs::path file = dir / "case.twinplan";
  saveCase(largerCase(1), file);
  const std::string before = readBytes(file);

  RecordingProgress full;
  saveCase(largerCase(2), dir / "probe.twinplan", full);
  fs::remove(dir / "probe.twinplan");
  const int reports = static_cast<int>(full.fractions.size());
  const auto writing = std::count_if(full.steps.begin(), full.steps.end(),
                                     [](const std::string& s) { return s.starts_with("Writing"); });
  ASSERT_GE(writing, 3) << "cancellation should also be tried while libzip writes";

  for (int cancelAt = 0; cancelAt < reports; ++cancelAt) {
    SCOPED_TRACE("cancel after report " + std::to_string(cancelAt) + " of " +
                 std::to_string(reports));
    RecordingProgress cancelling(cancelAt);
    EXPECT_THROW(saveCase(largerCase(2), file, cancelling), Cancelled);
    ASSERT_EQ(folderListing(dir.path()), std::vector<std::string>{"case.twinplan"});
    ASSERT_EQ(readBytes(file), before);
  }
  // Not cancelled: it replaces the file.
  saveCase(largerCase(2), file);
  EXPECT_NE(readBytes(file), before);
  EXPECT_EQ(folderListing(dir.path()), std::vector<std::string>{"case.twinplan"});
}

TEST(CaseFile, LoadCanBeCancelledAtEveryReport) {
  TempDir dir;
  const fs::path file = dir / "case.twinplan";
  saveCase(fullCase(), file);
  RecordingProgress full;
  (void)loadCase(file, full);
  const int reports = static_cast<int>(full.fractions.size());
  for (int cancelAt = 0; cancelAt < reports; ++cancelAt) {
    RecordingProgress cancelling(cancelAt);
    EXPECT_THROW((void)loadCase(file, cancelling), Cancelled) << "cancel at " << cancelAt;
  }
}

TEST(CaseFile, InvalidCaseIsRefusedAndTheOldFileKept) {
  TempDir dir;
  const fs::path file = dir / "case.twinplan";
  saveCase(fullCase(), file);
  const std::string before = readBytes(file);
  Case bad = fullCase();
  bad.labelMaps[0].segments()[0].layer = 5;
  try {
    saveCase(bad, file);
    ADD_FAILURE() << "saved a segment in a missing layer";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::InvalidInput);
    EXPECT_NE(std::string(e.what()).find("Liver"), std::string::npos) << e.what();
  }
  Case noPoints = fullCase();
  noPoints.tetMeshes[0].tets[1][3] = 99;
  EXPECT_THROW(saveCase(noPoints, file), Error);
  Case nanRuler = fullCase();
  nanRuler.measurements[1].points_lps[1].x() = std::nan("");
  EXPECT_THROW(saveCase(nanRuler, file), Error);
  EXPECT_EQ(readBytes(file), before);
  EXPECT_EQ(folderListing(dir.path()), std::vector<std::string>{"case.twinplan"});
}

TEST(CaseFile, SavingKeepsPermissionsAndFollowsSymbolicLinks) {
  TempDir dir;
  const fs::path real = dir / "real.twinplan";
  saveCase(fullCase(), real);
  fs::permissions(real, fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read);
  fs::create_symlink(real, dir / "link.twinplan");
  Case changed = fullCase();
  changed.name = "Changed";
  saveCase(changed, dir / "link.twinplan");
  EXPECT_TRUE(fs::is_symlink(dir / "link.twinplan"));
  EXPECT_EQ(loadCase(real).name, "Changed");
  EXPECT_EQ(fs::status(real).permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read);
  EXPECT_EQ(folderListing(dir.path()),
            (std::vector<std::string>{"link.twinplan", "real.twinplan"}));
}

TEST(CaseFile, UnwritableDestinationIsAnIoError) {
  TempDir dir;
  writeBytes(dir / "plain-file", "x");
  for (const fs::path& target :
       {dir / "no-such-folder" / "case.twinplan", dir / "plain-file" / "case.twinplan"}) {
    SCOPED_TRACE(target.string());
    try {
      saveCase(fullCase(), target);
      ADD_FAILURE() << "saved where no file can be created";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::Io);
      EXPECT_NE(std::string(e.what()).find(target.string()), std::string::npos) << e.what();
    }
  }
  EXPECT_EQ(folderListing(dir.path()), std::vector<std::string>{"plain-file"});
}

// ------------------------------------------------------------------ autosave

// Sets an environment variable for the scope of a test.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::optional<std::string>& value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value) {
      ::setenv(name, value->c_str(), 1);
    } else {
      ::unsetenv(name);
    }
  }
  ~ScopedEnv() {
    if (old_) {
      ::setenv(name_, old_->c_str(), 1);
    } else {
      ::unsetenv(name_);
    }
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

TEST(Autosaver, DefaultDirectoryFollowsXdg) {
  {
    ScopedEnv xdg("XDG_DATA_HOME", "/data/xdg");
    EXPECT_EQ(Autosaver::defaultDirectory(), fs::path("/data/xdg/TwinPlan/autosave"));
  }
  {
    ScopedEnv xdg("XDG_DATA_HOME", std::nullopt);
    ScopedEnv home("HOME", "/home/planner");
    EXPECT_EQ(Autosaver::defaultDirectory(),
              fs::path("/home/planner/.local/share/TwinPlan/autosave"));
  }
  {
    ScopedEnv xdg("XDG_DATA_HOME", "relative/ignored");
    ScopedEnv home("HOME", "/home/planner");
    EXPECT_EQ(Autosaver::defaultDirectory(),
              fs::path("/home/planner/.local/share/TwinPlan/autosave"));
  }
}

TEST(Autosaver, SaveRecoverDiscard) {
  TempDir dir;
  ScopedEnv xdg("XDG_DATA_HOME", dir.path().string());
  Autosaver autosaver(Autosaver::defaultDirectory());
  EXPECT_EQ(autosaver.file(), dir.path() / "TwinPlan" / "autosave" / "autosave.twinplan");
  EXPECT_FALSE(autosaver.recoverable());

  const Case twin = fullCase();
  autosaver.save(twin);  // creates the folder
  ASSERT_TRUE(autosaver.recoverable());
  EXPECT_EQ(*autosaver.recoverable(), autosaver.file());
  expectSameCase(twin, loadCase(*autosaver.recoverable()));
  autosaver.save(twin);  // and overwrites atomically
  EXPECT_EQ(folderListing(autosaver.file().parent_path()),
            std::vector<std::string>{"autosave.twinplan"});

  autosaver.discard();
  EXPECT_FALSE(fs::exists(autosaver.file()));
  EXPECT_FALSE(autosaver.recoverable());
  autosaver.discard();  // nothing to discard is fine

  // Leftovers of a crashed save are removed once they are old, not while they may be in use.
  const fs::path stale = autosaver.file().parent_path() / ".autosave.twinplan.saving-0badf00d";
  const fs::path fresh = autosaver.file().parent_path() / ".autosave.twinplan.saving-12345678";
  writeBytes(stale, "PK");
  writeBytes(fresh, "PK");
  fs::last_write_time(stale, fs::file_time_type::clock::now() - std::chrono::hours(2));
  autosaver.discard();
  EXPECT_FALSE(fs::exists(stale));
  EXPECT_TRUE(fs::exists(fresh));
  fs::remove(fresh);

  // A half-written (truncated) autosave is not offered.
  saveCase(twin, autosaver.file());
  const std::string bytes = readBytes(autosaver.file());
  writeBytes(autosaver.file(), bytes.substr(0, bytes.size() / 2));
  EXPECT_FALSE(autosaver.recoverable());
}

}  // namespace
}  // namespace twinplan
