#pragma once
// A simulation's outputs stored in a case as ONE undoable step (issue #18 item 8: "results
// saved in the case"; one Undo takes the whole tissue-shift result out again). A simulation
// typically adds several parts at once - a field, a tetrahedral mesh, a deformed labelmap and
// volume, moved surface models, a plan with its report - and a user who undoes it expects all of
// them to go together, not one per Undo.
#include <memory>
#include <string>
#include <vector>

#include "twinplan/core/case.h"
#include "twinplan/core/case_edit.h"

namespace twinplan {

// Each item replaces the case's item of the same name (plans: the same kind and name) or is
// added after the others; a field with an id replaces the result of that id, and a field
// without one takes the id of the result it replaces or a new one (case_edit.h storeResult).
// Parts left empty are not touched.
struct SimulationOutputs {
  std::vector<ImageVolume> volumes;
  std::vector<LabelMap> labelMaps;
  std::vector<SurfaceMesh> meshes;
  std::vector<TetMesh> tetMeshes;
  std::vector<ScalarField> fields;
  std::vector<Plan> plans;
  bool empty() const {
    return volumes.empty() && labelMaps.empty() && meshes.empty() && tetMeshes.empty() &&
           fields.empty() && plans.empty();
  }
};

namespace edits {

// Throws Error(InvalidInput) before anything changes when the outputs are empty, a field's
// value count does not match its grid, a volume has no voxels, or two outputs of one part
// share a name.
std::unique_ptr<CaseEdit> storeSimulationOutputs(const Case& twin, SimulationOutputs outputs,
                                                 std::string text);

}  // namespace edits
}  // namespace twinplan
