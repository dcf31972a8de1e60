#pragma once
// Edits of a Case as commands with do and undo, without Qt (DESIGN.md section 2: "only explicit
// edit commands change it"). Every front end - the GUI, the CLI, an XR session, a test - changes
// a case by handing one of these to a CaseEditor (case_editor.h), which keeps the undo history
// and tells observers what changed. Like 3D Slicer's scene-level undo, this keeps the logic
// testable headless.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "twinplan/core/case.h"

namespace twinplan {

// Which part of a case an edit touched; observers redraw only that.
enum class CasePart {
  Whole,  // a new case (open, import, recover)
  Volumes,
  LabelMaps,  // segments' voxels or their table
  Meshes,     // the list of surface meshes
  TetMeshes,
  Fields,  // simulation results
  Plans,
  Measurements,
  Registrations,
  MeshDisplay,     // colour/opacity/visibility of mesh `index`
  SegmentDisplay,  // colour/visibility of segment `index` of label map `labelMap`
  History,         // undo/redo availability, texts or the clean state changed (no case data)
};
const char* toString(CasePart part);

struct CaseChange {
  static constexpr std::size_t kAll = static_cast<std::size_t>(-1);
  CasePart part = CasePart::Whole;
  std::size_t index = kAll;
  std::size_t labelMap = 0;
  // LabelMaps only, for a step that changed some voxels of one layer in place (a brush stroke,
  // its undo): `index` is that layer and this lists, for each label value whose voxel count
  // changed, by how much (+ gained, - lost), so that observers (the Segments table's volumes)
  // update without a pass over the layer. It is the step's whole effect on the label maps.
  std::vector<std::pair<std::uint16_t, std::int64_t>> voxelCountDelta;
  bool operator==(const CaseChange&) const = default;
};

// One undoable step. apply() and revert() must each leave the case either fully changed or
// untouched (they copy first, then swap), so a failed edit never half-changes a case.
class CaseEdit {
 public:
  virtual ~CaseEdit() = default;
  // What the step does, for the Undo/Redo menu ("Add Ruler 1").
  virtual std::string text() const = 0;
  virtual void apply(Case& twin) = 0;
  virtual void revert(Case& twin) = 0;
  virtual std::vector<CaseChange> changes() const = 0;
  // Absorbs `next` (already applied) into this step, so that one slider drag is one undo step.
  // Returns false when the two are different steps.
  virtual bool mergeWith(const CaseEdit& /*next*/) { return false; }
};

// How a mesh (in 3D) or a segment (in 2D) is shown. Segments have no opacity of their own.
struct DisplayProperties {
  Rgb colour;
  float opacity = 1.0f;
  bool visible = true;
  bool operator==(const DisplayProperties&) const = default;
};
enum class DisplayedItem { Mesh, Segment };

// The edits. Each factory checks its arguments against `twin` (the case it will be applied to)
// and throws Error(InvalidInput) naming what is wrong before anything changes.
namespace edits {

std::unique_ptr<CaseEdit> addMeasurement(const Case& twin, Measurement measurement);
std::unique_ptr<CaseEdit> removeMeasurement(const Case& twin, std::size_t index);
std::unique_ptr<CaseEdit> replaceMeasurement(const Case& twin, std::size_t index,
                                             Measurement measurement);

// `continuing`: part of an ongoing gesture (an opacity slider being dragged); merges with the
// previous display edit of the same item into one undo step.
DisplayProperties displayOf(const Case& twin, DisplayedItem what, std::size_t index,
                            std::size_t labelMap = 0);
std::unique_ptr<CaseEdit> setDisplay(const Case& twin, DisplayedItem what, std::size_t index,
                                     const DisplayProperties& display, bool continuing = false,
                                     std::size_t labelMap = 0);

// Surface models built from segments: each replaces the mesh of the same segmentName (keeping
// how the user chose to show it) or is added; other meshes stay.
std::unique_ptr<CaseEdit> updateSegmentMeshes(const Case& twin, std::vector<SurfaceMesh> built,
                                              std::string text = "Build 3D models");

std::unique_ptr<CaseEdit> replaceLabelMaps(const Case& twin, std::vector<LabelMap> labelMaps,
                                           std::string text);
std::unique_ptr<CaseEdit> addPlan(const Case& twin, Plan plan);
std::unique_ptr<CaseEdit> replacePlan(const Case& twin, std::size_t index, Plan plan);
std::unique_ptr<CaseEdit> removePlan(const Case& twin, std::size_t index);
// A simulation result. With an id: replaces the result of that id, or is added with it.
// Without one: replaces the first result of the same name and takes its id (a simulation run
// again), or is added with a new id (case.h newResultId).
std::unique_ptr<CaseEdit> storeResult(const Case& twin, ScalarField field);
// Renames result `index`; its id stays, and another result may have the same name.
std::unique_ptr<CaseEdit> renameResult(const Case& twin, std::size_t index, std::string name);
std::unique_ptr<CaseEdit> removeResult(const Case& twin, std::size_t index);

// A series added to the case: its volume (renamed "<name> 2", "<name> 3" ... when the case
// already has a volume of that name, since volumes are known by name) and, when it came from
// DICOM, the reference to its files.
std::unique_ptr<CaseEdit> addSeries(const Case& twin, ImageVolume volume,
                                    std::optional<SeriesReference> reference = std::nullopt);
// Removes volume `index`, its series reference (same series UID) and the registrations that name
// it. Its label maps, meshes and measurements stay: they are in patient space.
std::unique_ptr<CaseEdit> removeSeries(const Case& twin, std::size_t index);
// Stores a registration: replaces the one between the same two volumes (made either way round)
// or is added. Throws Error(InvalidInput) when a volume it names is not in the case.
std::unique_ptr<CaseEdit> setRegistration(const Case& twin, Registration registration);
std::unique_ptr<CaseEdit> removeRegistration(const Case& twin, std::size_t index);

}  // namespace edits
}  // namespace twinplan
