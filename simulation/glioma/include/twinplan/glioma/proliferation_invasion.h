#pragma once
// The proliferation-invasion (PI) model of a glioma (issue #19 item 6): the normalised tumour cell
// density c(x, t) in [0, 1] obeys the Fisher-Kolmogorov equation
//     dc/dt = div(D(x) grad c) + rho c (1 - c)
// on the segmented brain (Swanson KR, Alvord EC, Murray JD, Br J Cancer 2000;82:1154): cells
// diffuse five times faster in white than in grey matter and not at all through CSF, ventricles
// or skull (no-flux boundary). Radiotherapy kills a fraction of the cells at each fraction by the
// linear-quadratic model, c -> c exp(-alpha d - beta d^2) (Rockne R et al., Phys Med Biol
// 2010;55:3271, with alpha/beta = 10 Gy). MR shows the tumour where c exceeds a detection
// threshold: 0.8 on post-gadolinium T1 and 0.16 on T2/FLAIR (Swanson KR et al., Br J Cancer
// 2008;98:113; Harpold HLP, Alvord EC, Swanson KR, J Neuropathol Exp Neurol 2007;66:1).
//
// Numerics: cell-centred finite volumes on an axis-aligned model grid, face diffusivity the
// harmonic mean of the two cells (0 where either is no brain: no flux); Strang splitting of the
// reaction (solved exactly, the logistic ODE) and the diffusion (backward Euler, matrix-free
// Jacobi-preconditioned CG on core/parallel.h). Unconditionally stable: day-long steps are fine.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "twinplan/core/geometry.h"
#include "twinplan/core/label_map.h"
#include "twinplan/core/progress.h"
#include "twinplan/core/scalar_field.h"

namespace twinplan::glioma {

enum class BrainTissue : std::uint8_t { NoBrain = 0, GreyMatter = 1, WhiteMatter = 2 };

// The brain on the model grid: axis-aligned (LPS), isotropic, usually a box around the tumour.
struct BrainDomain {
  ImageGeometry geometry;
  std::vector<BrainTissue> tissue;  // geometry.voxelCount() values, i fastest
  double voxelVolume_ml() const;
  std::size_t brainVoxelCount() const;
};

// Which segments of a label map are grey and white matter, by tissue type (resources/tissues):
// any segment of that tissue type in any layer. Voxels of a segment typed `tumour` that no brain
// segment covers count as `tumourTissue` (a tumour segmented in the anatomy layer replaces the
// brain it grew in).
struct DomainOptions {
  double spacing_mm = 2.0;
  std::string greyTissueType = "grey-matter", whiteTissueType = "white-matter";
  std::string tumourTissueType = "tumour";
  BrainTissue tumourTissue = BrainTissue::WhiteMatter;
};
// Samples `labels` at the centres of an isotropic grid of `options.spacing_mm` covering the LPS
// box [boxMin_lps, boxMax_lps] (nearest label voxel). InvalidInput when the box is empty or
// the spacing not > 0; NotFound when the label map has no grey- or white-matter segment.
BrainDomain brainDomain(const LabelMap& labels, const Vec3& boxMin_lps, const Vec3& boxMax_lps,
                        const DomainOptions& options = {});

// Patient parameters of the model. Defaults: Swanson 2000 (D_grey = 0.0013 cm^2/day, D_white =
// 5 D_grey, rho = 0.012 /day); alpha/beta = 10 Gy as Rockne 2010; alpha = 0.05 /Gy, of the order
// Rockne 2010 fitted to glioblastoma patients (they report patient values of 10^-2..10^-1 /Gy).
struct GrowthParameters {
  double greyDiffusivity_mm2_per_day = 0.13;
  double whiteToGreyRatio = 5.0;
  double proliferation_per_day = 0.012;
  double alpha_perGy = 0.05;
  double alphaBeta_Gy = 10.0;
  double whiteDiffusivity_mm2_per_day() const {
    return greyDiffusivity_mm2_per_day * whiteToGreyRatio;
  }
  // Fisher's travelling-wave speed 2 sqrt(D rho) in white matter, mm/day (Fisher RA, Ann
  // Eugen 1937;7:355; Kolmogorov, Petrovsky, Piskunov 1937).
  double whiteMatterWaveSpeed_mm_per_day() const;
  void validate() const;  // InvalidInput for a value <= 0 or not finite
};

// Imaging thresholds of the normalised cell density (Swanson 2008, Harpold 2007).
inline constexpr double kT1GadoliniumThreshold = 0.8;
inline constexpr double kT2FlairThreshold = 0.16;

struct SolverOptions {
  double step_days = 1.0;    // time step (largest; a duration is split into equal steps)
  double tolerance = 1e-10;  // PCG: relative residual of each diffusion solve
  int maxIterations = 500;   // PCG iterations per solve (Internal error beyond)
};

// One model on one domain; the density is a plain vector over the domain's voxels.
class ProliferationInvasion {
 public:
  ProliferationInvasion(const BrainDomain& domain, const GrowthParameters& parameters,
                        const SolverOptions& solver = {});
  const BrainDomain& domain() const { return domain_; }
  const GrowthParameters& parameters() const { return parameters_; }

  // Advances `density` by `duration_days` (>= 0) in ceil(duration / step) equal steps.
  void advance(std::vector<double>& density, double duration_days,
               Progress& progress = noProgress()) const;
  // Only the diffusion (no growth) over `duration_days`: conserves the total cell count.
  void diffuse(std::vector<double>& density, double duration_days) const;
  // One radiotherapy fraction: c -> c exp(-alpha d - beta d^2), d = fractionDose_Gy per voxel
  // (size voxelCount) or one dose everywhere.
  void irradiate(std::vector<double>& density, std::span<const double> fractionDose_Gy) const;
  void irradiate(std::vector<double>& density, double fractionDose_Gy) const;
  // The LQ surviving fraction of one fraction of `dose_Gy`.
  double survivingFraction(double dose_Gy) const;

  // The total tumour burden, sum c * voxel volume (ml of fully packed tumour).
  double cellBurden_ml(std::span<const double> density) const;
  // Volume where c >= threshold, ml.
  double visibleVolume_ml(std::span<const double> density, double threshold) const;

 private:
  void diffusionStep(std::vector<double>& density, double step_days) const;
  void reactionStep(std::vector<double>& density, double step_days) const;
  BrainDomain domain_;
  GrowthParameters parameters_;
  SolverOptions solver_;
  std::vector<double> diffusivity_;  // per voxel, mm^2/day (0 outside the brain)
  // Face diffusivity to the +i, +j, +k neighbour (mm^2/day) and each voxel's sum over its faces.
  std::vector<double> faceX_, faceY_, faceZ_, faceSum_;
};

// A density of 0 everywhere but a Gaussian seed of peak `peak` and `sigma_mm` around `centre_lps`
// (brain voxels only). InvalidInput when no brain voxel lies within 3 sigma of the centre.
std::vector<double> seedDensity(const BrainDomain& domain, const Vec3& centre_lps, double peak,
                                double sigma_mm);

// The voxels where density >= threshold (1) and not (0).
std::vector<std::uint8_t> visibleMask(std::span<const double> density, double threshold);

// A density as a case field (quantity "tumour cell density", unit "1").
ScalarField densityField(const BrainDomain& domain, std::span<const double> density,
                         const std::string& name);

}  // namespace twinplan::glioma
