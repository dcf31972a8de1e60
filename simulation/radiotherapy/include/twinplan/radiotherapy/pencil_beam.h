#pragma once
// A pencil-beam photon dose engine (issue #19 item 2) for 6 MV and 10 MV, with heterogeneity
// correction by radiological depth.
//
// The model (after the separated primary/scatter pencil beams of Ahnesjo A, Saxner M, Trepp A,
// Med Phys 1992;19:263, and Bortfeld T, Schlegel W, Rhein B, Med Phys 1993;20:311): the dose per
// MU at a point of radiological depth d (mm of water along the ray from the source) whose ray
// crosses the isocentre plane at (x, y) is
//   D = k (SAD / z)^2 [ P(d) (F * G_p(d))(x, y) + s d P(d) (F * G_s)(x, y) ],
//   P(d) = (1 - exp(-beta d)) exp(-mu d),  G_p a Gaussian of sigma_p0 + sigma_p1 d, G_s of sigma_s,
// F the fluence in MU (beam_geometry.h), z the distance from the source along the central axis
// and k the factor that gives the calibration dose per MU at the reference point (TG-51: 10 x
// 10 cm field, SSD 100 cm, 1 cGy/MU at dmax). The parameters of each energy, with their
// sources, are in resources/radiotherapy/photon_beams.json, fitted by
// scripts/radiotherapy/fit_pencil_beam.py to published water data; docs/validation.md
// gives the data the fit did not use and how the engine meets it.
//
// Heterogeneities change d only (the radiological depth, an exact path integral of the
// relative electron density through the CT voxels, Siddon RL, Med Phys 1985;12:252, traversed
// as Amanatides J, Woo A, Eurographics 1987): the lateral spread stays that of water, so the
// engine overestimates the dose in and behind low-density regions for small fields, where
// lateral electron disequilibrium matters (Knoos T et al. Phys Med Biol 2006;51:5785).
// Not modelled: head scatter (Sc; output factors are phantom scatter only), off-axis beam
// softening and horns, MLC transmission and tongue-and-groove, electron contamination.
//
// The radiological depth grid and the fluence map are separate, reusable pieces: the
// collapsed-cone engine (collapsed_cone.h) takes the same DensityGrid, BeamGeometry, FluenceMap and
// RadiologicalDepthGrid for its TERMA.
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "twinplan/core/progress.h"
#include "twinplan/core/scalar_field.h"
#include "twinplan/io/dicom_rtplan.h"
#include "twinplan/radiotherapy/beam_geometry.h"
#include "twinplan/radiotherapy/hu_density.h"

namespace twinplan::radiotherapy {

struct PhotonBeamModel {
  std::string id;  // "6MV"
  double nominalEnergy_MV = 6.0;
  double attenuation_per_mm = 0.0, buildUp_per_mm = 0.0, scatterPerPrimary_per_mm = 0.0;
  double scatterSigma_mm = 0.0, primarySigma0_mm = 0.0, primarySigmaPerDepth = 0.0;
  double referenceDepth_mm = 15.0, referenceField_mm = 100.0, referenceSsd_mm = 1000.0;
  double referenceDose_Gy_per_MU = 0.01;
  double referenceSourceAxisDistance_mm = 1000.0;
  std::string source;  // the references its values cite

  double primaryDepthTerm(double depth_mm) const;  // P(d)
  double primarySigma_mm(double depth_mm) const;
  // k: the dose per MU at the reference point divided by the model's bracket there.
  double calibrationFactor() const;
};

// The models of photon_beams.json.
const std::vector<PhotonBeamModel>& photonBeamModels();
// The model within 0.5 MV of `nominalEnergy_MV`; Error(Unsupported) naming the energies there are.
const PhotonBeamModel& photonBeamModel(double nominalEnergy_MV);

// Relative electron densities below this count as vacuum in the ray tracing and get no dose:
// air in the CT (-1000 HU) has a water-equivalent thickness of about 1 mm per metre, below the
// dose grid's resolution, and dose to air is not reported.
inline constexpr double kVacuumBelowDensity = 0.02;

// The radiological path length (mm of water) of the straight segment from `from_lps` to `to_lps`
// through the density grid: the exact sum of density x chord length over the voxels it crosses.
double radiologicalPathLength(const DensityGrid& density, const Vec3& from_lps, const Vec3& to_lps);

// Radiological depth along the diverging rays of one beam, on a grid of rays through the
// isocentre plane (x, y) and distances z from the source: a beam's-eye volume that the dose
// kernel interpolates (and a collapsed-cone TERMA can reuse).
class RadiologicalDepthGrid {
 public:
  RadiologicalDepthGrid() = default;
  // Rays every `raySpacing_mm` over [x0, x1] x [y0, y1] of the isocentre plane, sampled every
  // `step_mm` of z over the part of the density grid in front of the source.
  RadiologicalDepthGrid(const DensityGrid& density, const BeamGeometry& geometry, double x0_mm,
                        double x1_mm, double y0_mm, double y1_mm, double raySpacing_mm,
                        double step_mm, Progress& progress = noProgress());
  // The depth at beam's-eye (x, y, z) (BeamGeometry::toBeamsEye), trilinear; -1 outside.
  double at(const Vec3& beamsEye) const;
  // The largest depth any ray reaches (at its far end).
  double maxDepth_mm() const;

 private:
  double x0_ = 0, y0_ = 0, z0_ = 0, raySpacing_ = 1, step_ = 1;
  int nx_ = 0, ny_ = 0, nz_ = 0;
  std::vector<float> depth_mm_;  // z fastest, then x, then y
};

struct PencilBeamParameters {
  double doseGridSpacing_mm = 2.5;  // issue #19: the default dose grid
  double fluenceSpacing_mm = 1.0;   // fine enough for the 1.7 mm 80-20 % penumbra at dmax
  double raySpacing_mm = 2.0;
  double depthStep_mm = 2.0;
  // Error(InvalidInput, context = the parameter) for a spacing that is not in (0, 20] mm.
  void validate() const;
};

// The dose of one static photon beam, for its Beam Meterset (one fraction).
class PencilBeamCalculator {
 public:
  PencilBeamCalculator(const DensityGrid& density, const io::Beam& beam, PatientPosition position,
                       const PhotonBeamModel& model, const PencilBeamParameters& parameters,
                       Progress& progress = noProgress());
  double dose_Gy(const Vec3& p_lps) const;
  // The dose on every voxel of `grid`; parallel, cancellable.
  ScalarField doseOn(const ImageGeometry& grid, Progress& progress = noProgress()) const;
  const BeamGeometry& geometry() const { return geometry_; }
  const FluenceMap& fluence() const { return fluence_; }

 private:
  const DensityGrid& density_;
  PhotonBeamModel model_;
  BeamGeometry geometry_;
  FluenceMap fluence_, scatterMap_;
  std::vector<FluenceMap> primaryMaps_;  // at radiological depths 0, kDepthNode, 2 kDepthNode ...
  RadiologicalDepthGrid depth_;
  double calibration_ = 0.0;
};

// A grid with the CT's orientation covering the CT's voxel centres, `spacing_mm` apart.
ImageGeometry doseGridCovering(const ImageGeometry& ct, double spacing_mm);

struct BeamDose {
  int beamNumber = 0;
  std::string beamName;
  double nominalEnergy_MV = 0.0;
  double meterset_MU = 0.0;       // per fraction
  double isocentreDose_Gy = 0.0;  // per fraction, at the beam's isocentre
  ScalarField dose;               // per fraction
};

struct PlanDose {
  ScalarField dose;  // the whole course: sum of beam doses x fractions planned
  int fractionGroupNumber = 1;
  int fractions = 1;
  std::vector<BeamDose> beams;
  double maxDose_Gy = 0.0;            // whole course
  Vec3 isocentre_lps = Vec3::Zero();  // the first beam's isocentre
  double isocentreDose_Gy = 0.0;      // whole course, there
  std::vector<std::string> notes;
};

// One beam's dose for the plan loop that every engine shares: fills `out.dose` (one fraction, on
// the plan's dose grid) and `out.isocentreDose_Gy` (at the beam's own isocentre), and returns
// the beam's dose per fraction at `planIsocentre_lps` (the first beam's isocentre).
using BeamDoseFunction = std::function<double(const io::Beam& beam, const Vec3& planIsocentre_lps,
                                              BeamDose& out, Progress& progress)>;

// The plan loop: the first fraction group's beams (checked: photon, with an energy), each
// computed by `beamDose`, summed x fractions. `engineName` names the engine in the messages
// and in the dose's name.
PlanDose sumPlanBeams(const io::RtPlan& plan, const ImageGeometry& doseGrid,
                      PatientPosition position, std::string_view engineName,
                      const BeamDoseFunction& beamDose, Progress& progress = noProgress());

// Every photon beam of the plan's first fraction group on `doseGrid`. Error(Unsupported) for an
// ion plan, a non-photon beam or an energy without a model; Error(InvalidInput) for a beam
// without meterset, isocentre or energy.
PlanDose computePlanDose(const DensityGrid& density, const ImageGeometry& doseGrid,
                         const io::RtPlan& plan, PatientPosition position,
                         const PencilBeamParameters& parameters, Progress& progress = noProgress());

}  // namespace twinplan::radiotherapy
