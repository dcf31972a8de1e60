#pragma once
// A collapsed-cone convolution/superposition photon dose engine (issue #19 item 2), after
// Ahnesjo A, "Collapsed cone convolution of radiant energy for photon dose calculation in
// heterogeneous media", Med Phys 1989;16:577-592.
//
// Per beam, on a beam-aligned calculation box (axes Xb, Yb and the beam direction; cubic voxels
// of the dose grid's spacing, covering the field plus a lateral margin):
// 1. TERMA, ray traced: T = F(x, y) (SAD/z)^2 sum_E w_E E mu_E exp(-mu_E d), with F the MU
//    fluence through the collimators (beam_geometry.h), d the radiological depth along the
//    diverging ray (RadiologicalDepthGrid, an exact Siddon traversal) and w_E the Mohan et al.
//    (Med Phys 1985;12:592) 6 or 10 MV spectrum: each energy bin attenuates with its own mu, so
//    the beam hardens with depth. mu/rho of water from NIST XCOM, scaled by the relative electron
//    density (Compton-dominated, TG-65).
// 2. The released energy T rho is spread by a polyenergetic point kernel in the analytic form
//    h(r, theta) = (A_theta e^{-a_theta r} + B_theta e^{-b_theta r}) / r^2 (Ahnesjo 1989 eq. 9),
//    or with a third term C_theta e^{-c_theta r} where the resource fits three (the kernel's
//    "terms"; each term is transported on its own along every cone), fitted per zenith bin
//    to monoenergetic kernels weighted by the spectrum: EDKnrc's to 6 MeV,
//    and for 10 MV Mackie et al.'s (Phys Med Biol 1988;33:1) 8 and 10 MeV arrays above them
//    (resources/radiotherapy/collapsed_cone_kernels.json, scripts/radiotherapy/fit_ccc_kernel.py).
// 3. Collapsed cones: the sphere is cut into 42 cones around lattice directions of the box
//    (the 26 neighbour directions, plus the 16 at (+-1|0, +-1|0, +-2) that refine the forward and
//    backward lobes: zenith 0, 26.6, 35.3, 45, 54.7, 90 deg and their mirrors). Each cone's
//    energy and attenuation come from integrating the kernel over the cone's solid angle (the
//    cone's share of each zenith bin, by quadrature; the attenuation matches the mean range).
//    The energy in a cone is transported along the lattice line through every voxel by
//    Ahnesjo's recursion (eq. 13-15), with radiological steps (density scaling: rho x chord),
//    so lateral electron transport shrinks or stretches with the density - what a pencil beam
//    misses in lung. Each voxel lies on exactly one line per direction: no interpolation.
// 4. Kernel tilting: the kernel's axis follows the local diverging ray, not the central axis;
//    each voxel's release into a cone is weighted by the kernel at the angle between the cone
//    and its own ray (renormalised so a voxel releases the same energy in total).
// The dose on the plan's grid is interpolated trilinearly from the box. MU: the same
// calibration as the pencil beam (photon_beams.json, TG-51: 10 x 10 cm, SSD 100 cm, 1 cGy/MU
// at the reference depth), by computing that reference field in water once per model and
// spacing.
//
// Not modelled (as the pencil beam): head scatter, horns and off-axis softening, MLC
// transmission, electron contamination (so the surface dose is low), source size (the
// penumbra comes from the kernel and the grid). The kernel is that of the surface spectrum
// (hardening changes the TERMA, not the kernel), and is water's, scaled by density only.
// Scatter farther than the box's lateral margin (50 mm) from the field is not computed.
// Energies: 6 and 10 MV (the plan's Nominal Beam Energy picks the model; any other energy is
// Error(Unsupported), naming the energies there are). The MU calibration of each is the pencil
// beam's reference point for that energy (photon_beams.json: 15 mm at 6 MV, 24 mm at 10 MV).
#include <array>
#include <string>
#include <vector>

#include "twinplan/core/progress.h"
#include "twinplan/core/scalar_field.h"
#include "twinplan/io/dicom_rtplan.h"
#include "twinplan/radiotherapy/beam_geometry.h"
#include "twinplan/radiotherapy/hu_density.h"
#include "twinplan/radiotherapy/pencil_beam.h"

namespace twinplan::radiotherapy {

// The most exponential terms a kernel carries: Ahnesjo's two, or three (a fit of the same
// monoenergetic kernels that follows the 10 MV build-up in lung, docs/validation.md
// "Collapsed cone: three-term kernels (session 13)").
constexpr int kMaxKernelTerms = 3;
// One exponential term of the kernel: within radius r (mm of water) it holds
// eta (1 - e^{-mu r}) of the released energy.
struct KernelTerm {
  double eta = 0, mu_per_mm = 0;
};
using KernelTerms = std::array<KernelTerm, kMaxKernelTerms>;

// One zenith bin of the polyenergetic kernel: within radius r the bin receives the sum of its
// terms (the model's kernelTerms of them, fastest first; the rest are zero).
struct KernelZenithBin {
  double thetaFrom_deg = 0, thetaTo_deg = 0;
  KernelTerms terms{};
};

struct CollapsedConeBeamModel {
  std::string id;  // "6MV"
  double nominalEnergy_MV = 6.0;
  std::vector<double> energy_MeV;      // spectrum bin centres
  std::vector<double> fluenceWeight;   // photons per bin, sum 1
  std::vector<double> waterMu_per_mm;  // per bin, at density 1
  int kernelTerms = 2;                 // 2 or 3 exponential terms per zenith bin and cone
  bool optIn = false;                  // picked by id only, never by energy
  std::vector<KernelZenithBin> kernel;
  std::string source;
  // The energy released per unit fluence at radiological depth d, relative to the surface's.
  double releasedEnergy(double depth_mm) const;
};

const std::vector<CollapsedConeBeamModel>& collapsedConeBeamModels();
// The default model of each energy; Error(Unsupported) naming the energies there are.
const CollapsedConeBeamModel& collapsedConeBeamModel(double nominalEnergy_MV);
// Any model of the resource by its id, the opt-in ones too ("10MV-3terms");
// Error(Unsupported) naming the ids there are.
const CollapsedConeBeamModel& collapsedConeBeamModelById(const std::string& id);

struct CollapsedConeParameters {
  double doseGridSpacing_mm = 2.5;  // also the calculation box's voxel
  double fluenceSpacing_mm = 1.0;
  double raySpacing_mm = 2.0, depthStep_mm = 2.0;  // the radiological depth grid
  double lateralMargin_mm = 50.0;                  // box beyond the field's edges
  bool tiltKernels = true;
  // "": each energy's default model; else a model of the resource by id (the opt-in three-term
  // kernels "6MV-3terms", "10MV-3terms"), for the plan's beams of its energy.
  std::string kernelId;
  // Error(InvalidInput, context = the parameter) for a spacing outside (0, 20] mm or a margin
  // outside [0, 300] mm.
  void validate() const;
};

// One cone of the discretised kernel (lattice direction and its energy and attenuation).
struct CollapsedCone {
  int di = 0, dj = 0, dk = 0;  // box index step (k along the beam)
  double zenith_deg = 0;
  KernelTerms terms{};  // the cone's energy and attenuation per kernel term
};
// The 42 cones for `model` (exposed for tests: their energies sum to the kernel's).
std::vector<CollapsedCone> collapsedCones(const CollapsedConeBeamModel& model);

// The dose of one static photon beam, for its Beam Meterset (one fraction).
class CollapsedConeCalculator {
 public:
  CollapsedConeCalculator(const DensityGrid& density, const io::Beam& beam,
                          PatientPosition position, const CollapsedConeBeamModel& model,
                          const CollapsedConeParameters& parameters,
                          Progress& progress = noProgress());
  // Trilinear in the calculation box; 0 outside it and in vacuum.
  double dose_Gy(const Vec3& p_lps) const;
  ScalarField doseOn(const ImageGeometry& grid, Progress& progress = noProgress()) const;
  const BeamGeometry& geometry() const { return geometry_; }
  // The dose per MU per unit of the engine's raw energy (the calibration).
  double calibration() const { return calibration_; }

 private:
  friend double collapsedConeCalibration(const CollapsedConeBeamModel&,
                                         const CollapsedConeParameters&);
  CollapsedConeCalculator(const DensityGrid& density, const io::Beam& beam,
                          PatientPosition position, const CollapsedConeBeamModel& model,
                          const CollapsedConeParameters& parameters, double calibration,
                          Progress& progress);
  void compute(const DensityGrid& density, const io::Beam& beam, const CollapsedConeBeamModel& m,
               const CollapsedConeParameters& parameters, Progress& progress);
  double boxValue(const Vec3& p_lps, bool requireMatter) const;

  BeamGeometry geometry_;
  const DensityGrid* density_ = nullptr;
  double u0_ = 0, v0_ = 0, w0_ = 0, spacing_ = 2.5;  // box voxel (0,0,0) centre, beam frame
  int nu_ = 0, nv_ = 0, nw_ = 0;
  std::vector<float> dose_;  // raw energy per mass, i fastest
  double calibration_ = 0.0;
};

// The reference-field calibration of `model` at the parameters' spacing (cached).
double collapsedConeCalibration(const CollapsedConeBeamModel& model,
                                const CollapsedConeParameters& parameters);

// The model for a beam of `nominalEnergy_MV` under `parameters` (kernelId or the energy's
// default); Error(Unsupported) for an unknown id or energy, Error(InvalidInput, "kernelId") for
// a kernel of another energy.
const CollapsedConeBeamModel& collapsedConeBeamModel(double nominalEnergy_MV,
                                                     const CollapsedConeParameters& parameters);

// Every photon beam of the plan's first fraction group with the collapsed-cone engine (the
// same plan loop and errors as computePlanDose).
PlanDose computeCollapsedConePlanDose(const DensityGrid& density, const ImageGeometry& doseGrid,
                                      const io::RtPlan& plan, PatientPosition position,
                                      const CollapsedConeParameters& parameters,
                                      Progress& progress = noProgress());

}  // namespace twinplan::radiotherapy
