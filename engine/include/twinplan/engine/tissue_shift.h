#pragma once
// Tissue shift on a case (issue #18 items 3, 4, 8), for every front end: the brain after
// craniotomy, the liver under a tool, a resection cavity. One call meshes the tissue, solves,
// and returns everything that goes into the case - the displacement field (|u| and its L, P, S
// components), the tetrahedral mesh, the deformed labelmap and volumes, the moved 3D models and
// a "tissue-shift" plan with the report - as SimulationOutputs, which the caller stores with
// edits::storeSimulationOutputs: one undo step for the whole result. The case itself is not
// changed here, so a failure (bad input, an inverted element, Newton not converging, Cancel)
// leaves it as it was.
#include <array>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "twinplan/core/case.h"
#include "twinplan/core/progress.h"
#include "twinplan/core/simulation_outputs_edit.h"

namespace twinplan::engine {

// tissue/brain_shift.h BrainShiftParameters, without the tissue module's types.
struct BrainShiftSettings {
  std::optional<std::array<double, 3>> opening_lps;  // default: over the first plan target
  double openingRadius_mm = 25;
  std::optional<double> csfLoss_ml, fluidLevel_mm;
  double headRotation_deg = 0;
  // tissue/brain_shift.h BrainShiftParameters::skullContact: the brain surface outside the
  // opening slides on the skull (frictionless contact) instead of being held.
  bool skullContact = false;
  // BrainShiftParameters::drainVentricles: the ventricles lose their CSF pressure too.
  bool drainVentricles = false;
  // BrainShiftParameters::neoHookean: neo-Hookean, large deformation (true, "neo-hookean") or
  // linear elastic, small strain (false, "linear").
  bool neoHookean = true;
};

struct LiverToolSettings {
  std::string organ = "liver";                   // segment name or tissue type
  std::optional<std::array<double, 3>> tip_lps;  // default: the first surface point met
  std::array<double, 3> direction{0, 1, 0};      // into the tissue, LPS (default A -> P)
  bool ballTip = false;                          // false: a flat (blunt cylindrical) tip
  double tipRadius_mm = 5;
  std::optional<double> indentation_mm;  // default 10 mm
  std::optional<double> force_N;         // instead of an indentation (linear model)
  bool nonlinear = false;                // neo-Hooke, NLGEOM
};

struct ResectionSettings {
  std::string segment;                          // the resected segment, or
  std::optional<std::array<double, 4>> sphere;  // x, y, z, radius (LPS mm)
  std::string organ;                            // the tissue around it; empty: the brain's segments
};

// tissue/brain_shift.h RetractorBlade: a blade width x depth on the brain surface at the
// craniotomy centre (BrainShiftSettings::opening_lps and openingRadius_mm), pushed push_mm into
// the brain along the surface normal; the rest of the opening free, the skull contact around.
struct RetractorSettings {
  double width_mm = 20, depth_mm = 20, push_mm = 5;
  std::optional<std::array<double, 3>> widthAxis_lps;  // default: normal x S
};

struct TissueShiftParameters {
  std::string scenario = "brain-shift";  // "brain-shift", "liver-tool", "resection", "retractor"
  std::string patientPosition;           // DICOM (0018,5100); empty: the images'
  std::optional<double> resolution_mm;   // mesh lattice edge; default per scenario
  // "linear": C3D4 with nu 0.45 (linear tetrahedra lock at the cited 0.49); "quadratic": the
  // same mesh promoted to C3D10 (shared mid-side nodes) with nu 0.49 and the same cited shear
  // moduli (liver and tumour: the table's 0.49), in every scenario but the live tool.
  std::string elementOrder = "linear";
  BrainShiftSettings brain;
  LiverToolSettings liverTool;
  ResectionSettings resection;
  RetractorSettings retractor;  // with the brain settings (opening, contact, material)
  // The mesh resolution used: the given one, or 6 mm (brain shift, resection), 8 mm (liver).
  double meshResolution_mm() const;
  // Error(InvalidInput) naming the parameter; Error(Unsupported) for an unknown scenario.
  void validate() const;
};

// The result's name in the case: "Brain shift", "Liver tool", "Resection", "Retractor".
std::string shiftResultName(const std::string& scenario);

struct TissueShift {
  std::string name;
  SimulationOutputs outputs;
  // max_displacement_mm, tet_count, node_count, solve_time_s, targets (each: name, before_lps,
  // after_lps, displacement_mm, magnitude_mm, inside_model) and the scenario's own figures.
  nlohmann::json report;
};

// Runs the scenario on `twin` (read only). Throws Error naming the parameter, element or step;
// Cancelled on cancel.
TissueShift simulateTissueShift(const Case& twin, const TissueShiftParameters& parameters,
                                Progress& progress = noProgress());

}  // namespace twinplan::engine
