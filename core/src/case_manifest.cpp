#include "case_manifest.h"

#include <array>
#include <cmath>
#include <limits>
#include <set>
#include <utility>

#include "case_text.h"
#include "result_ids.h"
#include "twinplan/core/case_file.h"
#include "twinplan/core/error.h"

namespace twinplan::casefile {
namespace {

using nlohmann::json;
// Written with keys in a reading order (format first), for people who unzip a case.
using ojson = nlohmann::ordered_json;

// ---------------------------------------------------------------- writing

[[noreturn]] void refuse(const std::string& what, const std::string& context) {
  throw Error(ErrorKind::InvalidInput,
              "Cannot save the case: " + what + " Fix it (or remove that part) and save again.",
              context);
}

bool finite(const Vec3& v) { return v.allFinite(); }

// Grids larger than this are not a medical image; the limit keeps size products far from
// overflow on save and on load.
constexpr std::int64_t kMaxAxis = std::int64_t{1} << 20;
constexpr std::uint64_t kMaxVoxels = std::uint64_t{1} << 36;

std::string gridProblem(const ImageGeometry& g) {
  std::uint64_t voxels = 1;
  for (std::int64_t n : g.size) {
    if (n < 1 || n > kMaxAxis) return "has a grid size of " + formatInt(n) + " voxels on an axis.";
    voxels *= static_cast<std::uint64_t>(n);
  }
  if (voxels > kMaxVoxels) return "has more than 2^36 voxels.";
  if (!finite(g.origin_lps) || !g.spacing_mm.allFinite() || !g.direction.allFinite()) {
    return "has a non-finite origin, spacing or direction.";
  }
  if ((g.spacing_mm.array() <= 0.0).any()) return "has a spacing that is not positive.";
  return {};
}

void requireGrid(const ImageGeometry& g, const std::string& what) {
  if (auto problem = gridProblem(g); !problem.empty()) refuse(what + " " + problem, what);
}

// "Liver tumour 1" -> "Liver_tumour_1": readable names for users who unzip a case.
std::string slug(const std::string& name) {
  std::string out;
  for (char c : name) {
    const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                       c == '-' || c == '.';
    if (out.size() >= 40) break;
    if (plain) {
      out += c;
    } else if (!out.empty() && out.back() != '_') {
      out += '_';
    }
  }
  while (!out.empty() && (out.back() == '_' || out.back() == '.')) out.pop_back();
  return out.empty() ? "unnamed" : out;
}

std::string entryName(const char* folder, std::size_t index, const std::string& name,
                      const char* suffix) {
  std::string number = formatInt(static_cast<std::int64_t>(index));
  if (number.size() < 2) number.insert(0, 2 - number.size(), '0');
  return std::string(folder) + "/" + number + "-" + slug(name) + suffix;
}

ojson vec(const Vec3& v) { return ojson::array({v[0], v[1], v[2]}); }

ojson geometryJson(const ImageGeometry& g) {
  return {{"size", json::array({g.size[0], g.size[1], g.size[2]})},
          {"origin_lps", vec(g.origin_lps)},
          {"spacing_mm", vec(g.spacing_mm)},
          // columns: the unit vectors of the i, j and k axes in LPS
          {"direction", ojson::array({vec(g.direction.col(0)), vec(g.direction.col(1)),
                                      vec(g.direction.col(2))})}};
}

const std::array<std::pair<const char*, std::string DicomInfo::*>, 23> kDicomStrings = {{
    {"patientName", &DicomInfo::patientName},
    {"patientId", &DicomInfo::patientId},
    {"patientBirthDate", &DicomInfo::patientBirthDate},
    {"patientSex", &DicomInfo::patientSex},
    {"studyInstanceUid", &DicomInfo::studyInstanceUid},
    {"studyDate", &DicomInfo::studyDate},
    {"studyTime", &DicomInfo::studyTime},
    {"studyDescription", &DicomInfo::studyDescription},
    {"accessionNumber", &DicomInfo::accessionNumber},
    {"seriesInstanceUid", &DicomInfo::seriesInstanceUid},
    {"seriesDate", &DicomInfo::seriesDate},
    {"seriesTime", &DicomInfo::seriesTime},
    {"seriesDescription", &DicomInfo::seriesDescription},
    {"modality", &DicomInfo::modality},
    {"frameOfReferenceUid", &DicomInfo::frameOfReferenceUid},
    {"patientPosition", &DicomInfo::patientPosition},
    {"acquisitionTime", &DicomInfo::acquisitionTime},
    {"manufacturer", &DicomInfo::manufacturer},
    {"manufacturerModel", &DicomInfo::manufacturerModel},
    {"institutionName", &DicomInfo::institutionName},
    {"bodyPartExamined", &DicomInfo::bodyPartExamined},
    {"imageType", &DicomInfo::imageType},
    {"seriesNumber", nullptr},  // the int, handled apart
}};

ojson dicomJson(const DicomInfo& d) {
  ojson j = ojson::object();
  for (const auto& [key, member] : kDicomStrings) {
    if (member) j[key] = d.*member;
  }
  j["seriesNumber"] = d.seriesNumber;
  j["windowCenter"] = d.windowCenter;
  j["windowWidth"] = d.windowWidth;
  if (d.displayInverted) j["displayInverted"] = true;  // older cases: absent, false
  return j;
}

ojson colourJson(const Rgb& c) { return ojson::array({c.r, c.g, c.b}); }

// ---------------------------------------------------------------- reading

[[noreturn]] void invalid(const std::string& where, const std::string& what) {
  throw Error(ErrorKind::Corrupt, "has an invalid field '" + where + "' (" + what + ").");
}

const json& member(const json& object, const char* key, const std::string& where) {
  if (!object.is_object()) invalid(where, "not an object");
  auto it = object.find(key);
  if (it == object.end()) {
    throw Error(ErrorKind::Corrupt, "lacks the field '" + where + "." + key + "'.");
  }
  return *it;
}

std::string path(const std::string& where, const char* key) { return where + "." + key; }
std::string path(const std::string& where, std::size_t index) {
  return where + "[" + formatInt(static_cast<std::int64_t>(index)) + "]";
}

std::string asString(const json& j, const std::string& where) {
  if (!j.is_string()) invalid(where, "not a string");
  return j.get<std::string>();
}
double asNumber(const json& j, const std::string& where) {
  if (!j.is_number()) invalid(where, "not a number");
  return j.get<double>();
}
std::int64_t asInt(const json& j, const std::string& where, std::int64_t lo, std::int64_t hi) {
  if (!j.is_number_integer()) invalid(where, "not an integer");
  if (j.is_number_unsigned() &&
      j.get<std::uint64_t>() >
          static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
    invalid(where, "out of range");
  }
  const auto value = j.get<std::int64_t>();
  if (value < lo || value > hi) invalid(where, "out of range");
  return value;
}
bool asBool(const json& j, const std::string& where) {
  if (!j.is_boolean()) invalid(where, "not true or false");
  return j.get<bool>();
}
const json& asArray(const json& j, const std::string& where) {
  if (!j.is_array()) invalid(where, "not an array");
  return j;
}

std::string str(const json& o, const char* key, const std::string& where) {
  return asString(member(o, key, where), path(where, key));
}
double num(const json& o, const char* key, const std::string& where) {
  return asNumber(member(o, key, where), path(where, key));
}
std::int64_t integer(const json& o, const char* key, const std::string& where, std::int64_t lo,
                     std::int64_t hi) {
  return asInt(member(o, key, where), path(where, key), lo, hi);
}
bool boolean(const json& o, const char* key, const std::string& where) {
  return asBool(member(o, key, where), path(where, key));
}
const json& array(const json& o, const char* key, const std::string& where) {
  return asArray(member(o, key, where), path(where, key));
}

std::vector<std::string> strings(const json& o, const char* key, const std::string& where) {
  const json& a = array(o, key, where);
  std::vector<std::string> out;
  for (std::size_t i = 0; i < a.size(); ++i)
    out.push_back(asString(a[i], path(path(where, key), i)));
  return out;
}

Vec3 asVec(const json& j, const std::string& where) {
  if (!j.is_array() || j.size() != 3) invalid(where, "not three numbers");
  return {asNumber(j[0], where), asNumber(j[1], where), asNumber(j[2], where)};
}

ImageGeometry geometryFrom(const json& o, const std::string& where) {
  ImageGeometry g;
  const json& size = array(o, "size", where);
  if (size.size() != 3) invalid(path(where, "size"), "not three integers");
  for (std::size_t a = 0; a < 3; ++a) g.size[a] = asInt(size[a], path(where, "size"), 1, kMaxAxis);
  g.origin_lps = asVec(member(o, "origin_lps", where), path(where, "origin_lps"));
  g.spacing_mm = asVec(member(o, "spacing_mm", where), path(where, "spacing_mm"));
  const json& direction = array(o, "direction", where);
  if (direction.size() != 3) invalid(path(where, "direction"), "not three columns");
  for (int a = 0; a < 3; ++a) {
    g.direction.col(a) = asVec(direction[static_cast<std::size_t>(a)], path(where, "direction"));
  }
  if (auto problem = gridProblem(g); !problem.empty()) invalid(where, problem);
  return g;
}

DicomInfo dicomFrom(const json& o, const std::string& where) {
  DicomInfo d;
  for (const auto& [key, member] : kDicomStrings) {
    if (member) d.*member = str(o, key, where);
  }
  d.seriesNumber = static_cast<int>(integer(
      o, "seriesNumber", where, std::numeric_limits<int>::min(), std::numeric_limits<int>::max()));
  d.windowCenter = num(o, "windowCenter", where);
  d.windowWidth = num(o, "windowWidth", where);
  d.displayInverted = o.contains("displayInverted") ? boolean(o, "displayInverted", where) : false;
  return d;
}

// [low, high], finite, low <= high (older cases have no such key: no padding).
std::pair<double, double> paddingRangeFrom(const json& volume, const std::string& where) {
  const json& r = asArray(volume.at("paddingRange"), where);
  if (r.size() != 2) invalid(where, "not two numbers");
  const double low = asNumber(r[0], where), high = asNumber(r[1], where);
  if (!std::isfinite(low) || !std::isfinite(high) || low > high) {
    invalid(where, "not a finite range with low <= high");
  }
  return {low, high};
}

Rgb colourFrom(const json& o, const char* key, const std::string& where) {
  const json& c = array(o, key, where);
  if (c.size() != 3) invalid(path(where, key), "not three integers");
  const std::string p = path(where, key);
  return {static_cast<std::uint8_t>(asInt(c[0], p, 0, 255)),
          static_cast<std::uint8_t>(asInt(c[1], p, 0, 255)),
          static_cast<std::uint8_t>(asInt(c[2], p, 0, 255))};
}

std::uint64_t count(const json& o, const char* key, const std::string& where) {
  return static_cast<std::uint64_t>(integer(o, key, where, 0, std::int64_t{1} << 40));
}

std::uint32_t crcFrom(const json& o, const std::string& where) {
  const std::string hex = str(o, "crc32", where);
  if (hex.size() != 8) invalid(path(where, "crc32"), "not 8 hex digits");
  std::uint32_t crc = 0;
  for (char c : hex) {
    std::uint32_t digit;
    if (c >= '0' && c <= '9') {
      digit = static_cast<std::uint32_t>(c - '0');
    } else if (c >= 'a' && c <= 'f') {
      digit = static_cast<std::uint32_t>(c - 'a' + 10);
    } else {
      invalid(path(where, "crc32"), "not 8 hex digits");
    }
    crc = (crc << 4) | digit;
  }
  return crc;
}

// A step turns a format-v manifest into a format-(v+1) one.
using MigrationStep = json (*)(json);

// Format 1 -> 2: results get ids. The case's own fields (not a checkpoint's) are numbered in
// their order, "result-1", "result-2" ..., so an old file opened twice gives the same ids.
json giveFieldsIds(json manifest) {
  if (!manifest.contains("fields") || !manifest["fields"].is_array()) return manifest;
  int number = 0;
  for (json& field : manifest["fields"])
    if (field.is_object() && !field.contains("checkpoint"))
      field["id"] = kResultIdPrefix + std::to_string(++number);
  return manifest;
}

// kMigrations[v - 1] upgrades format v; when the manifest changes shape, bump
// kCaseFormatVersion and append the step here.
const std::array<MigrationStep, kCaseFormatVersion - 1> kMigrations = {giveFieldsIds};

// The id each of the case's own results is saved with: its own, or a new one when it has none
// or repeats an earlier one (a case built in code; case.h giveResultIds).
std::vector<std::string> savedResultIds(const Case& twin) {
  std::vector<ScalarField> ids;  // ids only, no values: what nextResultId reads
  std::set<std::string> seen;
  for (const ScalarField& f : twin.fields) {
    ids.emplace_back();
    ids.back().id = f.id;
  }
  for (ScalarField& f : ids)
    if (f.id.empty() || !seen.insert(f.id).second) {
      f.id = nextResultId(ids);
      seen.insert(f.id);
    }
  std::vector<std::string> out;
  for (const ScalarField& f : ids) out.push_back(f.id);
  return out;
}

// The jobId each saved mesh and field belongs to (empty: the case's own), in saved order.
struct Owners {
  std::vector<std::string> meshes, fields;
};
Owners checkpointOwners(const Case& twin) {
  Owners owners;
  owners.meshes.assign(twin.meshes.size(), {});
  owners.fields.assign(twin.fields.size(), {});
  for (const JobCheckpoint& c : twin.checkpoints) {
    owners.meshes.insert(owners.meshes.end(), c.meshes.size(), c.jobId);
    owners.fields.insert(owners.fields.end(), c.fields.size(), c.jobId);
  }
  return owners;
}

}  // namespace

std::vector<const SurfaceMesh*> savedMeshes(const Case& twin) {
  std::vector<const SurfaceMesh*> all;
  for (const SurfaceMesh& mesh : twin.meshes) all.push_back(&mesh);
  for (const JobCheckpoint& c : twin.checkpoints)
    for (const SurfaceMesh& mesh : c.meshes) all.push_back(&mesh);
  return all;
}

std::vector<const ScalarField*> savedFields(const Case& twin) {
  std::vector<const ScalarField*> all;
  for (const ScalarField& field : twin.fields) all.push_back(&field);
  for (const JobCheckpoint& c : twin.checkpoints)
    for (const ScalarField& field : c.fields) all.push_back(&field);
  return all;
}

Manifest describe(const Case& twin) {
  Manifest m;
  m.formatVersion = kCaseFormatVersion;
  m.header.name = twin.name;
  m.header.patientName = twin.patientName;
  m.header.patientId = twin.patientId;
  m.header.series = twin.series;
  m.header.plans = twin.plans;
  m.header.measurements = twin.measurements;
  m.header.provenance = twin.provenance;
  m.header.registrations = twin.registrations;
  m.header.viewState = twin.viewState;
  for (const Registration& r : twin.registrations)
    for (const std::string* name : {&r.fixedVolume, &r.movingVolume})
      if (!findVolume(twin, *name))
        refuse("a registration names the series '" + *name + "', which the case does not have.",
               *name);
  for (const Measurement& measurement : twin.measurements) {
    for (const Vec3& p : measurement.points_lps) {
      if (!finite(p))
        refuse("measurement '" + measurement.name + "' has a non-finite point.", measurement.name);
    }
  }
  for (std::size_t i = 0; i < twin.volumes.size(); ++i) {
    const ImageVolume& v = twin.volumes[i];
    const std::string what = "volume '" + v.name + "'";
    requireGrid(v.geometry(), what);
    if (v.bytes().size() != v.voxelCount() * bytesPerVoxel(v.pixelType())) {
      refuse(what + " holds the wrong number of voxels.", v.name);
    }
    if (!std::isfinite(v.dicom.windowCenter) || !std::isfinite(v.dicom.windowWidth)) {
      refuse(what + " has a non-finite window.", v.name);
    }
    m.volumes.push_back({v.name, v.unit, v.pixelType(), v.geometry(), v.dicom, v.assumptions,
                         entryName("volumes", i, v.name, ".nrrd"), v.planar2D, v.paddingRange});
    if (v.paddingRange &&
        !(std::isfinite(v.paddingRange->first) && std::isfinite(v.paddingRange->second) &&
          v.paddingRange->first <= v.paddingRange->second)) {
      refuse(what + " has an invalid pixel padding range.", v.name);
    }
  }
  for (std::size_t i = 0; i < twin.labelMaps.size(); ++i) {
    const LabelMap& l = twin.labelMaps[i];
    const std::string what = "labelmap '" + l.name + "'";
    requireGrid(l.geometry(), what);
    if (l.layerCount() < 1) refuse(what + " has no layers.", l.name);
    LabelMapMeta meta{l.name, l.geometry(), l.segments(), {}};
    for (int layer = 0; layer < l.layerCount(); ++layer) {
      if (l.layer(layer).size() != l.geometry().voxelCount()) {
        refuse(what + " has a layer of the wrong size.", l.name);
      }
      meta.layerEntries.push_back(entryName("labelmaps", i, l.name, "") + "-layer" +
                                  formatInt(layer) + ".nrrd");
    }
    for (const Segment& s : l.segments()) {
      if (s.layer < 0 || s.layer >= l.layerCount() || s.value == 0) {
        refuse(what + " has segment '" + s.name + "' in a missing layer or with label 0.", l.name);
      }
    }
    m.labelMaps.push_back(std::move(meta));
  }
  const auto meshes = savedMeshes(twin);
  const auto owners = checkpointOwners(twin);
  for (std::size_t i = 0; i < meshes.size(); ++i) {
    const SurfaceMesh& s = *meshes[i];
    const std::string what = "surface mesh '" + s.name + "'";
    if (!s.normals.empty() && s.normals.size() != s.points_lps.size()) {
      refuse(what + " has a different number of normals and points.", s.name);
    }
    for (const auto& t : s.triangles) {
      for (std::uint32_t index : t) {
        if (index >= s.points_lps.size())
          refuse(what + " has a triangle with a missing point.", s.name);
      }
    }
    if (!std::isfinite(s.opacity)) refuse(what + " has a non-finite opacity.", s.name);
    m.meshes.push_back({s.name, s.segmentName, s.colour, s.opacity, s.visible, s.points_lps.size(),
                        s.triangles.size(), !s.normals.empty(),
                        entryName("meshes", i, s.name, ".ply"), owners.meshes[i]});
  }
  for (std::size_t i = 0; i < twin.tetMeshes.size(); ++i) {
    const TetMesh& t = twin.tetMeshes[i];
    const std::string what = "tet mesh '" + t.name + "'";
    if (t.materials.size() != t.tets.size()) {
      refuse(what + " does not have one material per tet.", t.name);
    }
    for (const auto& tet : t.tets) {
      for (std::uint32_t index : tet) {
        if (index >= t.points_lps.size()) refuse(what + " has a tet with a missing point.", t.name);
      }
    }
    m.tetMeshes.push_back({t.name, t.materialNames, t.points_lps.size(), t.tets.size(),
                           entryName("tetmeshes", i, t.name, ".vtk")});
  }
  const auto fields = savedFields(twin);
  const std::vector<std::string> ids = savedResultIds(twin);
  for (std::size_t i = 0; i < fields.size(); ++i) {
    const ScalarField& f = *fields[i];
    const std::string what = "field '" + f.name + "'";
    requireGrid(f.geometry, what);
    if (f.values.size() != f.geometry.voxelCount()) {
      refuse(what + " holds the wrong number of values.", f.name);
    }
    m.fields.push_back({i < ids.size() ? ids[i] : std::string(), f.name, f.quantity, f.unit,
                        f.geometry, entryName("fields", i, f.name, ".nrrd"), owners.fields[i]});
  }
  std::set<std::string> jobIds;
  for (const JobCheckpoint& c : twin.checkpoints) {
    if (c.jobId.empty() || !jobIds.insert(c.jobId).second)
      refuse("a job checkpoint has an empty or repeated job id '" + c.jobId + "'.", c.jobId);
    m.header.checkpoints.push_back({c.jobId, c.kind, c.state, {}, {}});
  }
  return m;
}

ojson toJson(const Manifest& m) {
  ojson j;
  j["format"] = kFormatName;
  j["formatVersion"] = m.formatVersion;
  j["appVersion"] = m.appVersion;
  j["created"] = m.created;
  j["modified"] = m.modified;
  j["case"] = {{"name", m.header.name},
               {"patientName", m.header.patientName},
               {"patientId", m.header.patientId}};
  ojson series = ojson::array();
  for (const SeriesReference& s : m.header.series) {
    series.push_back({{"seriesInstanceUid", s.seriesInstanceUid},
                      {"description", s.description},
                      {"files", s.files}});
  }
  j["series"] = std::move(series);
  ojson volumes = ojson::array();
  for (const VolumeMeta& v : m.volumes) {
    volumes.push_back({{"name", v.name},
                       {"unit", v.unit},
                       {"pixelType", toString(v.type)},
                       {"geometry", geometryJson(v.geometry)},
                       {"dicom", dicomJson(v.dicom)},
                       {"assumptions", v.assumptions},
                       {"entry", v.entry}});
    if (v.planar2D) volumes.back()["planar2D"] = true;
    if (v.paddingRange) {
      volumes.back()["paddingRange"] =
          ojson::array({v.paddingRange->first, v.paddingRange->second});
    }
  }
  j["volumes"] = std::move(volumes);
  ojson labelMaps = ojson::array();
  for (const LabelMapMeta& l : m.labelMaps) {
    ojson segments = ojson::array();
    for (const Segment& s : l.segments) {
      segments.push_back({{"name", s.name},
                          {"tissueType", s.tissueType},
                          {"colour", colourJson(s.colour)},
                          {"layer", s.layer},
                          {"value", s.value},
                          {"visible", s.visible},
                          {"locked", s.locked}});
      // Optional: written only for coded segments (older files have none).
      ojson terms = ojson::object();
      for (const auto& [key, code] :
           {std::pair{"category", &s.terminology.category}, std::pair{"type", &s.terminology.type},
            std::pair{"anatomicRegion", &s.terminology.anatomicRegion}})
        if (!code->empty())
          terms[key] = {
              {"value", code->value}, {"scheme", code->scheme}, {"meaning", code->meaning}};
      if (!terms.empty()) segments.back()["terminology"] = std::move(terms);
    }
    labelMaps.push_back({{"name", l.name},
                         {"pixelType", toString(PixelType::UInt16)},
                         {"geometry", geometryJson(l.geometry)},
                         {"layers", l.layerEntries},
                         {"segments", std::move(segments)}});
  }
  j["labelMaps"] = std::move(labelMaps);
  ojson meshes = ojson::array();
  for (const MeshMeta& s : m.meshes) {
    meshes.push_back({{"name", s.name},
                      {"segmentName", s.segmentName},
                      {"colour", colourJson(s.colour)},
                      {"opacity", static_cast<double>(s.opacity)},
                      {"visible", s.visible},
                      {"pointCount", s.pointCount},
                      {"triangleCount", s.triangleCount},
                      {"hasNormals", s.hasNormals},
                      {"entry", s.entry}});
    if (!s.checkpoint.empty()) meshes.back()["checkpoint"] = s.checkpoint;
  }
  j["meshes"] = std::move(meshes);
  ojson tetMeshes = ojson::array();
  for (const TetMeshMeta& t : m.tetMeshes) {
    tetMeshes.push_back({{"name", t.name},
                         {"materialNames", t.materialNames},
                         {"pointCount", t.pointCount},
                         {"tetCount", t.tetCount},
                         {"entry", t.entry}});
  }
  j["tetMeshes"] = std::move(tetMeshes);
  ojson fields = ojson::array();
  for (const FieldMeta& f : m.fields) {
    fields.push_back({{"name", f.name},
                      {"quantity", f.quantity},
                      {"unit", f.unit},
                      {"pixelType", toString(PixelType::Float32)},
                      {"geometry", geometryJson(f.geometry)},
                      {"entry", f.entry}});
    if (!f.id.empty()) fields.back()["id"] = f.id;
    if (!f.checkpoint.empty()) fields.back()["checkpoint"] = f.checkpoint;
  }
  j["fields"] = std::move(fields);
  // Unfinished jobs' state (core/job.h); their meshes and fields carry "checkpoint": jobId.
  ojson checkpoints = ojson::array();
  for (const JobCheckpoint& c : m.header.checkpoints)
    checkpoints.push_back({{"jobId", c.jobId}, {"kind", c.kind}, {"state", ojson(c.state)}});
  if (!checkpoints.empty()) j["checkpoints"] = std::move(checkpoints);
  ojson plans = ojson::array();
  for (const Plan& p : m.header.plans) {
    plans.push_back({{"kind", p.kind}, {"name", p.name}, {"parameters", ojson(p.parameters)}});
  }
  j["plans"] = std::move(plans);
  ojson measurements = ojson::array();
  for (const Measurement& x : m.header.measurements) {
    ojson points = ojson::array();
    for (const Vec3& p : x.points_lps) points.push_back(vec(p));
    measurements.push_back({{"kind", toString(x.kind)},
                            {"name", x.name},
                            {"points_lps", std::move(points)},
                            {"volumeName", x.volumeName}});
  }
  j["measurements"] = std::move(measurements);
  j["provenance"] = ojson(m.header.provenance);
  // Optional (older files have neither): written when there is something to keep.
  ojson registrations = ojson::array();
  for (const Registration& r : m.header.registrations)
    registrations.push_back({{"fixedVolume", r.fixedVolume},
                             {"movingVolume", r.movingVolume},
                             {"method", r.method},
                             {"transform", ojson(spatialTransformJson(r.transform))},
                             {"quality", ojson(r.quality)},
                             {"created", r.created}});
  if (!registrations.empty()) j["registrations"] = std::move(registrations);
  if (!m.header.viewState.empty()) j["viewState"] = ojson(m.header.viewState);
  ojson payloads = ojson::array();
  for (const PayloadRecord& p : m.payloads) {
    payloads.push_back({{"entry", p.entry}, {"size", p.size}, {"crc32", crc32Hex(p.crc32)}});
  }
  j["payloads"] = std::move(payloads);
  return j;
}

int formatVersionOf(const json& manifest) {
  if (!manifest.is_object() || !manifest.contains("format") || manifest["format"] != kFormatName) {
    throw Error(ErrorKind::InvalidInput, "is not a TwinPlan case manifest.");
  }
  return static_cast<int>(integer(manifest, "formatVersion", "manifest", 1, 1'000'000));
}

json migrate(json manifest, int fromVersion) {
  for (int version = fromVersion; version < kCaseFormatVersion; ++version) {
    manifest = kMigrations.at(static_cast<std::size_t>(version - 1))(std::move(manifest));
    manifest["formatVersion"] = version + 1;
  }
  return manifest;
}

Manifest fromJson(const json& j) {
  Manifest m;
  const std::string root = "manifest";
  m.formatVersion =
      static_cast<int>(integer(j, "formatVersion", root, kCaseFormatVersion, kCaseFormatVersion));
  m.appVersion = str(j, "appVersion", root);
  m.created = str(j, "created", root);
  m.modified = str(j, "modified", root);
  const json& c = member(j, "case", root);
  m.header.name = str(c, "name", "case");
  m.header.patientName = str(c, "patientName", "case");
  m.header.patientId = str(c, "patientId", "case");

  const json& series = array(j, "series", root);
  for (std::size_t i = 0; i < series.size(); ++i) {
    const std::string w = path("series", i);
    m.header.series.push_back({str(series[i], "seriesInstanceUid", w),
                               str(series[i], "description", w), strings(series[i], "files", w)});
  }
  const json& volumes = array(j, "volumes", root);
  for (std::size_t i = 0; i < volumes.size(); ++i) {
    const std::string w = path("volumes", i);
    const json& v = volumes[i];
    VolumeMeta meta;
    meta.name = str(v, "name", w);
    meta.unit = str(v, "unit", w);
    try {
      meta.type = pixelTypeFromString(str(v, "pixelType", w));
    } catch (const Error&) {
      invalid(path(w, "pixelType"), "unknown pixel type");
    }
    meta.geometry = geometryFrom(member(v, "geometry", w), path(w, "geometry"));
    meta.dicom = dicomFrom(member(v, "dicom", w), path(w, "dicom"));
    meta.assumptions = strings(v, "assumptions", w);
    meta.entry = str(v, "entry", w);
    meta.planar2D = v.contains("planar2D") ? boolean(v, "planar2D", w) : false;
    if (v.contains("paddingRange"))
      meta.paddingRange = paddingRangeFrom(v, path(w, "paddingRange"));
    m.volumes.push_back(std::move(meta));
  }
  const json& labelMaps = array(j, "labelMaps", root);
  for (std::size_t i = 0; i < labelMaps.size(); ++i) {
    const std::string w = path("labelMaps", i);
    const json& l = labelMaps[i];
    LabelMapMeta meta;
    meta.name = str(l, "name", w);
    if (str(l, "pixelType", w) != toString(PixelType::UInt16)) {
      invalid(path(w, "pixelType"), "labelmaps are uint16");
    }
    meta.geometry = geometryFrom(member(l, "geometry", w), path(w, "geometry"));
    meta.layerEntries = strings(l, "layers", w);
    if (meta.layerEntries.empty() || meta.layerEntries.size() > 256) {
      invalid(path(w, "layers"), "needs 1 to 256 layers");
    }
    const json& segments = array(l, "segments", w);
    for (std::size_t s = 0; s < segments.size(); ++s) {
      const std::string ws = path(path(w, "segments"), s);
      Segment segment;
      segment.name = str(segments[s], "name", ws);
      segment.tissueType = str(segments[s], "tissueType", ws);
      segment.colour = colourFrom(segments[s], "colour", ws);
      segment.layer = static_cast<int>(integer(
          segments[s], "layer", ws, 0, static_cast<std::int64_t>(meta.layerEntries.size()) - 1));
      segment.value = static_cast<std::uint16_t>(integer(segments[s], "value", ws, 1, 65535));
      segment.visible = boolean(segments[s], "visible", ws);
      segment.locked = boolean(segments[s], "locked", ws);
      if (segments[s].contains("terminology")) {
        const json& terms = member(segments[s], "terminology", ws);
        const std::string wt = path(ws, "terminology");
        for (const auto& [key, code] :
             {std::pair{"category", &segment.terminology.category},
              std::pair{"type", &segment.terminology.type},
              std::pair{"anatomicRegion", &segment.terminology.anatomicRegion}}) {
          if (!terms.contains(key)) continue;
          const json& c = member(terms, key, wt);
          const std::string wc = path(wt, key);
          *code = {str(c, "value", wc), str(c, "scheme", wc), str(c, "meaning", wc)};
        }
      }
      meta.segments.push_back(std::move(segment));
    }
    m.labelMaps.push_back(std::move(meta));
  }
  const json& meshes = array(j, "meshes", root);
  for (std::size_t i = 0; i < meshes.size(); ++i) {
    const std::string w = path("meshes", i);
    const json& s = meshes[i];
    MeshMeta meta;
    meta.name = str(s, "name", w);
    meta.segmentName = str(s, "segmentName", w);
    meta.colour = colourFrom(s, "colour", w);
    meta.opacity = static_cast<float>(num(s, "opacity", w));
    // Added in a later build of format 1; files without it show every mesh.
    meta.visible = s.contains("visible") ? boolean(s, "visible", w) : true;
    meta.pointCount = count(s, "pointCount", w);
    meta.triangleCount = count(s, "triangleCount", w);
    meta.hasNormals = boolean(s, "hasNormals", w);
    meta.entry = str(s, "entry", w);
    if (s.contains("checkpoint")) meta.checkpoint = str(s, "checkpoint", w);
    m.meshes.push_back(std::move(meta));
  }
  const json& tetMeshes = array(j, "tetMeshes", root);
  for (std::size_t i = 0; i < tetMeshes.size(); ++i) {
    const std::string w = path("tetMeshes", i);
    const json& t = tetMeshes[i];
    m.tetMeshes.push_back({str(t, "name", w), strings(t, "materialNames", w),
                           count(t, "pointCount", w), count(t, "tetCount", w), str(t, "entry", w)});
  }
  const json& fields = array(j, "fields", root);
  std::set<std::string> resultIds;
  for (std::size_t i = 0; i < fields.size(); ++i) {
    const std::string w = path("fields", i);
    const json& f = fields[i];
    if (str(f, "pixelType", w) != toString(PixelType::Float32)) {
      invalid(path(w, "pixelType"), "fields are float32");
    }
    const bool ownResult = !f.contains("checkpoint");
    // The case's own results have an id, unique among them; a checkpoint's fields need none.
    std::string id = ownResult || f.contains("id") ? str(f, "id", w) : std::string();
    if (ownResult && (id.empty() || !resultIds.insert(id).second))
      invalid(path(w, "id"), "is empty or repeats another result's id");
    m.fields.push_back({std::move(id), str(f, "name", w), str(f, "quantity", w), str(f, "unit", w),
                        geometryFrom(member(f, "geometry", w), path(w, "geometry")),
                        str(f, "entry", w), ownResult ? std::string() : str(f, "checkpoint", w)});
  }
  // Optional: written only when a job left a checkpoint.
  std::set<std::string> jobIds;
  if (j.contains("checkpoints")) {
    const json& checkpoints = array(j, "checkpoints", root);
    for (std::size_t i = 0; i < checkpoints.size(); ++i) {
      const std::string w = path("checkpoints", i);
      JobCheckpoint c;
      c.jobId = str(checkpoints[i], "jobId", w);
      c.kind = str(checkpoints[i], "kind", w);
      c.state = member(checkpoints[i], "state", w);
      if (c.jobId.empty() || !jobIds.insert(c.jobId).second)
        invalid(path(w, "jobId"), "is empty or repeated");
      m.header.checkpoints.push_back(std::move(c));
    }
  }
  for (const auto& s : m.meshes)
    if (!s.checkpoint.empty() && !jobIds.count(s.checkpoint))
      invalid("meshes", "mesh '" + s.name + "' belongs to a checkpoint that is not listed");
  for (const auto& f : m.fields)
    if (!f.checkpoint.empty() && !jobIds.count(f.checkpoint))
      invalid("fields", "field '" + f.name + "' belongs to a checkpoint that is not listed");
  const json& plans = array(j, "plans", root);
  for (std::size_t i = 0; i < plans.size(); ++i) {
    const std::string w = path("plans", i);
    m.header.plans.push_back(
        {str(plans[i], "kind", w), str(plans[i], "name", w), member(plans[i], "parameters", w)});
  }
  const json& measurements = array(j, "measurements", root);
  for (std::size_t i = 0; i < measurements.size(); ++i) {
    const std::string w = path("measurements", i);
    const json& x = measurements[i];
    Measurement measurement;
    try {
      measurement.kind = measurementKindFromString(str(x, "kind", w));
    } catch (const Error&) {
      invalid(path(w, "kind"), "unknown measurement kind");
    }
    measurement.name = str(x, "name", w);
    const json& points = array(x, "points_lps", w);
    for (std::size_t p = 0; p < points.size(); ++p) {
      measurement.points_lps.push_back(asVec(points[p], path(path(w, "points_lps"), p)));
    }
    measurement.volumeName = str(x, "volumeName", w);
    m.header.measurements.push_back(std::move(measurement));
  }
  m.header.provenance = member(j, "provenance", root);
  if (j.contains("registrations")) {
    const json& registrations = array(j, "registrations", root);
    for (std::size_t i = 0; i < registrations.size(); ++i) {
      const std::string w = path("registrations", i);
      const json& r = registrations[i];
      Registration registration;
      registration.fixedVolume = str(r, "fixedVolume", w);
      registration.movingVolume = str(r, "movingVolume", w);
      registration.method = str(r, "method", w);
      try {
        registration.transform = spatialTransformFromJson(member(r, "transform", w));
      } catch (const Error& e) {
        invalid(path(w, "transform"), e.what());
      }
      registration.quality = member(r, "quality", w);
      registration.created = str(r, "created", w);
      m.header.registrations.push_back(std::move(registration));
    }
  }
  if (j.contains("viewState")) {
    m.header.viewState = member(j, "viewState", root);
    if (!m.header.viewState.is_object()) invalid("viewState", "is not an object");
  }

  // Every payload a part names has exactly one record, and every record is used.
  std::set<std::string> referenced;
  auto use = [&](const std::string& entry) {
    if (entry == kManifestEntry || !referenced.insert(entry).second) {
      invalid("payloads", "entry '" + entry + "' is used twice");
    }
  };
  for (const auto& v : m.volumes) use(v.entry);
  for (const auto& l : m.labelMaps) {
    for (const auto& e : l.layerEntries) use(e);
  }
  for (const auto& s : m.meshes) use(s.entry);
  for (const auto& t : m.tetMeshes) use(t.entry);
  for (const auto& f : m.fields) use(f.entry);
  const json& payloads = array(j, "payloads", root);
  std::set<std::string> recorded;
  for (std::size_t i = 0; i < payloads.size(); ++i) {
    const std::string w = path("payloads", i);
    PayloadRecord record;
    record.entry = str(payloads[i], "entry", w);
    record.size = static_cast<std::uint64_t>(
        integer(payloads[i], "size", w, 0, std::numeric_limits<std::int64_t>::max()));
    record.crc32 = crcFrom(payloads[i], w);
    if (!referenced.count(record.entry) || !recorded.insert(record.entry).second) {
      invalid(w, "entry '" + record.entry + "' is not used once by a part");
    }
    m.payloads.push_back(std::move(record));
  }
  if (recorded.size() != referenced.size()) invalid("payloads", "a part's entry has no record");
  return m;
}

}  // namespace twinplan::casefile
