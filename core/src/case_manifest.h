#pragma once
// The manifest of a case file (manifest.json): everything but the voxels and mesh
// arrays, plus the size and CRC-32 of every payload entry. Documented in
// docs/architecture.md ("Case files").
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "twinplan/core/case.h"

namespace twinplan::casefile {

inline constexpr const char* kFormatName = "TwinPlan case";
inline constexpr const char* kManifestEntry = "manifest.json";

struct VolumeMeta {
  std::string name, unit;
  PixelType type = PixelType::Int16;
  ImageGeometry geometry;
  DicomInfo dicom;
  std::vector<std::string> assumptions;
  std::string entry;
  bool planar2D = false;  // "planar2D" in the manifest, written only when true
  // "paddingRange": [low, high] in the manifest, written only when present (ImageVolume).
  std::optional<std::pair<double, double>> paddingRange;
};

struct LabelMapMeta {
  std::string name;
  ImageGeometry geometry;
  std::vector<Segment> segments;
  std::vector<std::string> layerEntries;  // one per layer
};

struct MeshMeta {
  std::string name, segmentName;
  Rgb colour;
  float opacity = 1.0f;
  bool visible = true;
  std::uint64_t pointCount = 0, triangleCount = 0;
  bool hasNormals = false;
  std::string entry;
  std::string checkpoint;  // the jobId of the checkpoint it belongs to; empty: the case's own
};

struct TetMeshMeta {
  std::string name;
  std::vector<std::string> materialNames;
  std::uint64_t pointCount = 0, tetCount = 0;
  std::string entry;
};

struct FieldMeta {
  std::string id;  // the result's id (format 2); empty for a checkpoint's fields
  std::string name, quantity, unit;
  ImageGeometry geometry;
  std::string entry;
  std::string checkpoint;  // as MeshMeta::checkpoint
};

struct PayloadRecord {
  std::string entry;
  std::uint64_t size = 0;
  std::uint32_t crc32 = 0;
};

struct Manifest {
  int formatVersion = 0;
  std::string appVersion, created, modified;  // ISO-8601 UTC, "2026-11-24T07:48:13Z"
  // name, patient, series, plans, measurements, provenance, checkpoints (jobId, kind, state:
  // their meshes and fields are in `meshes` and `fields`, tagged with the jobId); no parts
  Case header;
  std::vector<VolumeMeta> volumes;
  std::vector<LabelMapMeta> labelMaps;
  std::vector<MeshMeta> meshes;
  std::vector<TetMeshMeta> tetMeshes;
  std::vector<FieldMeta> fields;
  std::vector<PayloadRecord> payloads;
};

// The meshes and fields a case file holds: the case's own, then each checkpoint's, in order
// (their index is their index in Manifest::meshes / fields).
std::vector<const SurfaceMesh*> savedMeshes(const Case& twin);
std::vector<const ScalarField*> savedFields(const Case& twin);

// The manifest for `twin` with entry names assigned; payload records are left empty.
// Throws Error(InvalidInput) for a case that could not be read back (empty grids, segment
// in a missing layer, non-finite geometry, mismatched array sizes ...).
Manifest describe(const Case& twin);

// Keys in reading order: format and version first, payload records last.
nlohmann::ordered_json toJson(const Manifest& manifest);

// Reads the "formatVersion" of a parsed manifest after checking the "format" name. Throws
// Error(InvalidInput) when it is not a TwinPlan manifest, Error(Corrupt) when the version is
// missing or not a positive integer (phrases continuing "entry 'manifest.json' ...").
int formatVersionOf(const nlohmann::json& manifest);

// Upgrades a manifest written by format `fromVersion` (1 <= fromVersion <= current) to the
// current format, one step at a time.
nlohmann::json migrate(nlohmann::json manifest, int fromVersion);

// Parses a current-format manifest. Throws Error(Corrupt) with a phrase naming the field.
Manifest fromJson(const nlohmann::json& manifest);

}  // namespace twinplan::casefile
