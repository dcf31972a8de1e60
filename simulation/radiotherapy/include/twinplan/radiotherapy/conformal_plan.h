#pragma once
// A conformal photon plan made end to end (issue #19 item 3): apertures shaped to the PTV
// (conformal_aperture.h, within the machine's limits), each beam's dose per MU (pencil beam or
// collapsed cone), beam weights optimised against PTV and organ-at-risk objectives
// (beam_weights.h) and normalised to the prescription. The CLI's DICOM form
// (`plan-conformal CT --structures RS.dcm`) and the engine's `plan-conformal` job on a case both
// call planConformal; the caller turns a CTV into the PTV (3D margin) and stores the result.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "twinplan/core/image_volume.h"
#include "twinplan/core/progress.h"
#include "twinplan/core/scalar_field.h"
#include "twinplan/io/dicom_rtplan.h"
#include "twinplan/radiotherapy/beam_weights.h"
#include "twinplan/radiotherapy/conformal_aperture.h"

namespace twinplan::radiotherapy {

// The isocentric linac standard source-axis distance (IEC 60976).
inline constexpr double kConformalSourceAxisDistance_mm = 1000.0;

// The default aperture margin beyond the PTV's projection for 6 MV: the 80-20 % penumbra of a
// 6 MV field is about 3-4 mm at 10 cm depth and the 95 % isodose lies about 6-7 mm inside the
// field edge (50 %) (Khan FM, "The Physics of Radiation Therapy", 4th ed., 2010, ch. 11.1 and
// 11.4; ICRU 62, 1999, section 2.5: the penumbra is added to the aperture, not to the PTV). 7 mm
// keeps the PTV's D95 at >= 95 % of the prescription on the head phantom (docs/validation.md).
inline constexpr double kDefaultApertureMargin_mm = 7.0;

struct PlanBeamSpec {
  std::string name;
  double gantry_deg = 0.0, collimator_deg = 0.0, couch_deg = 0.0;
};
// "G0,G90C15,G270T10": gantry, then optional collimator (C) and couch (T, table) angles, in
// degrees. Error(InvalidInput, context "beams") naming the item that is not of that form.
std::vector<PlanBeamSpec> parseBeamSpecs(const std::string& text);

// An organ-at-risk (or any structure's) objective as "NAME:KIND:VALUE[:IMPORTANCE]":
//   max:Gy (maximum dose), mean:Gy (maximum mean dose), min:Gy (minimum dose),
//   dNN:Gy (at most NN % of the volume above Gy: D_NN <= Gy, e.g. d2:54),
//   vNN:PCT (at most PCT % of the volume above NN Gy: V_NN <= PCT %, e.g. v20:30).
// Error(InvalidInput, context "oar") naming the item for anything else.
DoseObjective parseStructureObjective(const std::string& text);

// The ICRU 50 (1993) target dose range, 95 % to 107 % of the prescription, on "PTV".
std::vector<DoseObjective> defaultTargetObjectives(double prescription_Gy);

// "d50" (the median, ICRU 83 section 3.7), "dNN" or "mean" of the PTV at the prescription.
// Error(InvalidInput, context "normalise") for anything else.
Normalisation normalisationFromString(const std::string& text, double prescription_Gy);

// A structure on the CT's grid (one byte per voxel, non-zero inside).
struct PlanStructureMask {
  std::string name;
  ImageGeometry geometry;
  std::vector<std::uint8_t> inside;
};

struct ConformalPlanSettings {
  std::vector<PlanBeamSpec> beams;
  double apertureMargin_mm = kDefaultApertureMargin_mm;
  double prescription_Gy = 60.0;
  int fractions = 30;
  std::string normalise = "d50";
  // The PTV's range (defaultTargetObjectives) is always optimised; these are added (OARs).
  std::vector<DoseObjective> objectives;
  bool targetObjectives = true;  // false: `objectives` only (they must then name "PTV")
  // Target coverage kept as a constraint: when the optimised, normalised plan gives the PTV a
  // D95 below this % of the prescription (ICRU 83 section 3.7 reports D95; ICRU 50's lower
  // bound is 95 %), the PTV objectives' importance is raised 4-fold and the weights optimised
  // again, up to 8 times (the quadratic penalty method: a growing penalty weight drives the
  // constraint's violation to 0, Nocedal & Wright, "Numerical Optimization", 2nd ed., 2006,
  // section 17.1). 0: off.
  double coverageD95_percent = 95.0;
  double energy_MV = 6.0;
  double grid_mm = 2.5;
  std::string engine = "pencil-beam";  // or "collapsed-cone"
  std::string patientPosition;         // empty: the CT's, else HFS (noted)
  std::string label = "Conformal";
  ConformalApertureOptions aperture;  // margin_mm is set from apertureMargin_mm
  // Error(InvalidInput, context = the setting) before any work.
  void validate() const;
};

struct PlannedStructureDose {
  std::string name;
  std::size_t voxels = 0;  // dose-grid voxels whose centre is inside
  double mean_Gy = 0.0, max_Gy = 0.0, d95_Gy = 0.0, d2_Gy = 0.0;
};

struct ConformalPlan {
  io::RtPlan plan;   // beams with their MU per fraction; no SOP instance UID yet
  ScalarField dose;  // the whole course, Gy, quantity "dose"
  Vec3 isocentre_lps = Vec3::Zero();
  std::string patientPosition;
  std::vector<ConformalAperture> apertures;
  std::vector<double> weights;  // MU per fraction of each beam
  BeamWeightResult optimised;
  std::vector<ObjectiveValue> values;  // of the normalised weights
  double normalisationDose_Gy = 0.0;
  double targetImportance = 1.0;  // the PTV objectives' importance the coverage needed
  std::vector<PlannedStructureDose> structures;  // PTV first, then each objective's structure
  double ptvVolume_cm3 = 0.0;
  std::vector<std::string> notes;
};

// `ptv` and every structure an objective names (in `structures`) on the CT's grid. Throws
// Error(InvalidInput/NotFound) naming the setting or structure before work when a structure is
// missing or empty, Cancelled on cancel.
ConformalPlan planConformal(const ImageVolume& ct, const PlanStructureMask& ptv,
                            const std::vector<PlanStructureMask>& structures,
                            const ConformalPlanSettings& settings,
                            Progress& progress = noProgress());

// The plan as the CLI and the job report it: plan_label, patient_position, ptv, isocentre,
// prescription, fractions, normalisation, beams (MU, jaws, open pairs, machine warnings),
// objectives, structures (mean/max/D95/D2), optimiser, grid, engine, notes.
nlohmann::json conformalPlanJson(const ConformalPlan& plan, const ConformalPlanSettings& settings);

}  // namespace twinplan::radiotherapy
