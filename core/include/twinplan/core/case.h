#pragma once
// The Case: one patient's digital twin, the document every module reads and extends.
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "twinplan/core/image_volume.h"
#include "twinplan/core/label_map.h"
#include "twinplan/core/mesh.h"
#include "twinplan/core/scalar_field.h"
#include "twinplan/core/spatial_transform.h"

namespace twinplan {

// A DICOM series the case uses without embedding its voxels (re-imported on open).
struct SeriesReference {
  std::string seriesInstanceUid;
  std::string description;
  std::vector<std::string> files;  // absolute paths at the time the case was saved
  bool operator==(const SeriesReference&) const = default;
};

// Something a user measured or marked, in LPS mm.
struct Measurement {
  enum class Kind { Point, Ruler, Angle, RoiBox, RoiEllipsoid };
  Kind kind = Kind::Point;
  std::string name;
  std::vector<Vec3> points_lps;  // Point: 1, Ruler: 2, Angle: 3 (vertex in the middle),
                                 // RoiBox/RoiEllipsoid: 2 opposite corners of the box
  std::string volumeName;        // the volume it was made on (for ROI statistics)
  bool operator==(const Measurement&) const = default;
};

// A treatment plan (ablation probes, RT beams, shift scenario). The parameters belong to
// the simulation module that reads them; the case stores them as JSON.
struct Plan {
  std::string kind;  // "ablation", "radiotherapy", "tissue-shift"
  std::string name;
  nlohmann::json parameters = nlohmann::json::object();
  bool operator==(const Plan&) const = default;
};

// What a long job (a simulation, building many models) had done when it stopped, so that a later
// run resumes instead of starting over (core/job.h). Saved with the case and its autosave; the
// job's own parameters decide what the state means.
struct JobCheckpoint {
  std::string jobId;  // the job's identity: its kind and a hash of its parameters
  std::string kind;
  nlohmann::json state = nlohmann::json::object();
  std::vector<SurfaceMesh> meshes;  // bulky partial results
  std::vector<ScalarField> fields;
};

struct Case {
  std::string name;
  std::string patientName, patientId;
  std::vector<SeriesReference> series;
  std::vector<ImageVolume> volumes;  // embedded volumes
  std::vector<LabelMap> labelMaps;
  std::vector<SurfaceMesh> meshes;
  std::vector<TetMesh> tetMeshes;
  std::vector<ScalarField> fields;  // simulation results
  std::vector<Plan> plans;
  std::vector<Measurement> measurements;
  // How series that do not share a frame of reference map onto each other (spatial_transform.h).
  std::vector<Registration> registrations;
  std::vector<JobCheckpoint> checkpoints;  // unfinished jobs (not part of the undo history)
  // Where the parts came from: a list of {"step": ..., "time": ..., ...} records.
  nlohmann::json provenance = nlohmann::json::array();
  // How the views were left (layout, slice positions, window/level, zoom, fusion), so that a
  // case reopens as it was closed. The UI owns its content; saved with the case, not undoable.
  nlohmann::json viewState = nlohmann::json::object();
};

// The volume of the case called `name`, or nullptr.
const ImageVolume* findVolume(const Case& twin, const std::string& name);

// Result ids (ScalarField::id). "result-N", N one more than the largest N the case's results
// use: ids are never shared by two results of one case (an id left by an undone result may be
// given again, since that result can no longer come back: a new edit clears the redo steps).
inline constexpr const char* kResultIdPrefix = "result-";
std::string newResultId(const Case& twin);
// Gives every result of the case without an id, or with one an earlier result already has, a
// new id. Case files and the case editor (case_editor.h) call it, so a case built in code may
// leave ids empty.
void giveResultIds(Case& twin);
// The case's result with id `id`, or nullptr.
const ScalarField* findResult(const Case& twin, const std::string& id);

// How to map points of volume `fixed` into volume `moving` (fixed -> moving, LPS mm), or
// nullopt when the case does not know: the same volume or the same non-empty frame of
// reference UID (PS3.3 C.7.4.1: one patient coordinate system) is the identity; otherwise a
// registration between the two, used as it is or inverted when it was made the other way round
// (a B-spline only as made). Throws Error(NotFound) when either volume is not in the case.
std::optional<SpatialTransform> transformBetween(const Case& twin, const std::string& fixed,
                                                 const std::string& moving);

const char* toString(Measurement::Kind kind);

// Now, as the "time" of a provenance record: ISO-8601 UTC, "2026-12-05T03:21:15Z".
std::string utcNowIso8601();
Measurement::Kind measurementKindFromString(const std::string& name);  // throws Error

}  // namespace twinplan
