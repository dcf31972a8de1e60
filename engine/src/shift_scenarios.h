#pragma once
// The liver-tool and resection scenarios of the "shift" job (issue #18 item 3) on a case's
// labelmap: what to mesh, how it is held and loaded, and the scenario's own figures. The job
// (shift_job.cpp) turns the solved displacement into the field, the warps and the target shifts
// the same way for every scenario.
#include <array>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "twinplan/core/label_map.h"
#include "twinplan/core/mesh.h"
#include "twinplan/core/progress.h"
#include "twinplan/engine/tissue_shift.h"
#include "twinplan/tissue/fe_model.h"
#include "twinplan/tissue/labelmap_mesher.h"

namespace twinplan::engine {

// A solved scenario: the model in its reference configuration and its nodal displacements.
struct ShiftOutcome {
  tissue::FeModel model;
  std::vector<std::array<double, 3>> displacement_mm;
  TetMesh tetMesh;  // the mesh as the case keeps it
  double maxDisplacement_mm = 0;
  double solveTime_s = 0;
  double minDihedral_deg = 0;
  std::vector<std::size_t> meshedSegments;           // their 3D models move with the tissue
  nlohmann::json report = nlohmann::json::object();  // the scenario's own figures
};

// Liver under a tool: the organ (segments named or of tissue type `organ`, with the tumours
// inside it) meshed at `resolution_mm`, linear elastic with the liver's cited shear modulus
// (tissue_mechanics.h "liver": Yin 2007, 2.2 kPa) and nu 0.45 on linear tetrahedra (they lock
// at the table's 0.49; brain_shift.h does the same) or the table's 0.49 on quadratic ones
// (`quadratic`: C3D10, the live tool always meshes linear ones), held on the half of its surface away from the
// tool (the organ rests on what lies behind it: a TwinPlan assumption, docs/validation.md), the
// tool pressed along its direction by an indentation or with a force.
void validateLiverTool(const LiverToolSettings& p);
// The organ meshed, with materials and its held half in model.fixedBoundaries, and the tool's
// tip (given, or the first surface node along the direction); shared with the live tool.
struct PreparedOrgan {
  tissue::LabelMesh mesh;
  std::vector<std::size_t> meshedSegments, heldNodes;
  Vec3 tip_lps = Vec3::Zero();
};
PreparedOrgan prepareOrganUnderTool(const LabelMap& labels, const LiverToolSettings& p,
                                    double resolution_mm, Progress& progress = noProgress(),
                                    bool quadratic = false);
ShiftOutcome simulateLiverTool(const LabelMap& labels, const LiverToolSettings& p,
                               double resolution_mm, Progress& progress = noProgress(),
                               bool quadratic = false);

// Resection: a segment (or a sphere) removed from the tissue around it, and the cavity's change
// as the remaining tissue loses the support of what was removed (gravity from the patient
// position, brain_shift.h gravityDirection); `quadratic` meshes C3D10 with the table's nu 0.49.
void validateResection(const ResectionSettings& p);
ShiftOutcome simulateResectionCavity(const LabelMap& labels, const ResectionSettings& p,
                                     const std::string& patientPosition, double resolution_mm,
                                     Progress& progress = noProgress(), bool quadratic = false);

}  // namespace twinplan::engine
