#pragma once
// The 3D gamma index (Low DA, Harms WB, Mutic S, Purdy JA. A technique for the quantitative
// evaluation of dose distributions. Med Phys 1998;25:656-661): at every reference point r_r,
//   gamma(r_r) = min over r_e of sqrt(|r_e - r_r|^2 / DTA^2 + (D_e(r_e) - D_r(r_r))^2 / dD^2),
// where D_e is the evaluated dose. As in Low 1998, plastimatch gamma and pymedphys, gamma is
// reported on the reference grid and the evaluated dose is searched.
//
// The search is exact on a continuous evaluated dose, not a grid search (a grid search
// over-estimates gamma and is off by up to 31 % in pass rate at coarse spacing): each cell of
// the evaluated grid is split into six tetrahedra (Kuhn's triangulation), the dose is linear on
// each, and gamma is the distance from the reference point to that piecewise-linear dose surface
// in the (x/DTA, y/DTA, z/DTA, D/dD) space: the geometric method of Ju T, Simpson T, Deasy JO,
// Low DA, Geometric interpretation of the gamma dose distribution comparison technique:
// interpolation-free calculation, Med Phys 2008;35:879-887. The piecewise-linear dose equals the
// grid values at the grid points and differs from trilinear interpolation inside a cell by at
// most the grid's second differences.
#include <cstddef>
#include <string>

#include "twinplan/core/progress.h"
#include "twinplan/core/scalar_field.h"

namespace twinplan::radiotherapy {

struct GammaCriteria {
  // Dose-difference criterion dD, percent: of the normalisation dose (global) or of the
  // reference dose at the point (local). 3 %/3 mm is Low 1998's example criterion; AAPM TG-218
  // (Miften M et al., Med Phys 2018;45:e53-e83) recommends 3 %/2 mm for IMRT QA.
  double doseDifference_percent = 3.0;
  // Distance-to-agreement criterion DTA, mm.
  double distanceToAgreement_mm = 3.0;
  // Local gamma: dD is a percentage of the reference dose at each point (Low 1998, section II).
  bool local = false;
  // Reference points whose dose is below this percentage of the normalisation dose are not
  // evaluated (TG-218 recommends 10 %, plastimatch's --analysis-threshold 0.1).
  double lowDoseThreshold_percent = 10.0;
  // The dose that dD and the threshold are percentages of; 0 means the maximum reference dose
  // (TG-218's global normalisation, plastimatch's default).
  double normalisationDose_Gy = 0.0;
  // The search stops at this gamma: the search radius is maxGamma * DTA and larger values are
  // reported as maxGamma (plastimatch's --gamma-max, default 2).
  double maxGamma = 2.0;
  // Pass/fail only: stop a point's search once gamma <= 1 is proven; its value is then an upper
  // bound <= 1, not the minimum. Off by default: the true gamma is reported.
  bool passFailOnly = false;

  // Throws InvalidInput naming the parameter.
  void validate() const;
};

// The DICOM FrameOfReferenceUID (PS3.3 C.7.4.1) of each dose, when known. Two doses on
// different grids are compared only when both are known and equal: their LPS coordinates are
// then the same patient space, and each reference point is mapped into the evaluated grid.
// Doses on the same grid are compared unless both UIDs are known and differ.
struct DoseFrames {
  std::string referenceFrameOfReferenceUid;
  std::string evaluatedFrameOfReferenceUid;
};

struct GammaResult {
  ScalarField gamma;  // on the reference grid, unit "1"; NaN where a point was not evaluated
  std::size_t evaluatedPoints = 0;  // reference points at or above the threshold
  std::size_t passedPoints = 0;     // of which gamma <= 1
  double passRate_percent = 0.0;
  double mean = 0.0, max = 0.0;               // over the evaluated points
  double median = 0.0, p95 = 0.0, p99 = 0.0;  // percentiles (nearest rank)
  double normalisationDose_Gy = 0.0;          // the dose dD and the threshold refer to
  double thresholdDose_Gy = 0.0;
  bool sameGrid = true;  // false when reference points were mapped into the evaluated grid
};

// Computes gamma at every reference point at or above the threshold, in parallel on
// core/parallel.h; cancellable. Throws InvalidInput for a dose that is not in Gy, grids that
// differ without a shared frame of reference, a non-orthonormal direction or bad criteria.
GammaResult gammaIndex(const ScalarField& reference, const ScalarField& evaluated,
                       const GammaCriteria& criteria, Progress& progress = noProgress(),
                       const DoseFrames& frames = {});

}  // namespace twinplan::radiotherapy
