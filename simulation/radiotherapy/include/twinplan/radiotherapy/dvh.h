#pragma once
// Dose-volume histograms of structures drawn as planar contours, on a dose grid (issue #19,
// item 4). Plain C++ on core's parallel layer.
//
// Structure model (stated, as every DVH tool must: Nelms et al., Med Phys 42:4435, 2015,
// found the tools disagree mainly here):
//  - A structure is its closed planar contours, combined even-odd within a plane (holes and
//    keyhole contours, PS3.3 C.8.8.6.3), as in io/contour_raster.h.
//  - Each contour plane stands for a slab reaching half-way to its neighbouring planes; the end
//    caps reach half the spacing to the neighbouring plane beyond the first and last contours
//    (a structure on one plane is one dose slice thick). So a structure contoured on CT slices
//    gets the volume of the CT voxels it covers, which is what a TPS reports.
//  - The part of a structure outside the dose grid has no dose: it is left out of the DVH and
//    reported as volumeOutsideDose_cm3 (beyond the first or last slice exactly; beside the
//    grid's rows and columns counted at voxel centres, so that only the grid is sampled).
// Sampling: in each slab the contours are rasterised on a sub-grid of `supersampling` x
// `supersampling` points per dose voxel. A dose voxel whose sub-points all lie inside is one
// sample at its centre; a partial voxel contributes each of its inside sub-points (the partial
// volume). Along the slice normal a slab is cut into layers of at most one dose slice (within
// its slab a structure is a prism, so layers only follow the dose). The dose is trilinear,
// and each sample's volume is spread uniformly over the dose range it spans (the width whose
// variance matches the dose differences across the sample's box along i, j and k), so a linear
// dose gradient gives the exact DVH of the sampled volume instead of a staircase. The curves
// start at 0 Gy: volume whose dose (or spread) lies below 0 is counted at 0. Dmin and Dmax are
// the ends of the histogram: the lowest and highest dose any sample's spread reaches (within
// the grid's own dose range).
//
// Discretisation uncertainty: the DVH is also computed at supersampling / 2 (at least 1); the
// absolute difference of each figure between the two levels is reported with it.
#include <string>
#include <vector>

#include "twinplan/core/geometry.h"
#include "twinplan/core/progress.h"
#include "twinplan/core/scalar_field.h"

namespace twinplan::radiotherapy {

// A structure as drawn: closed planar polygons in LPS mm (each at least 3 points).
struct StructureContours {
  std::string name;
  std::vector<std::vector<Vec3>> polygons_lps;
};

struct DvhOptions {
  int supersampling = 4;  // sub-points per dose voxel along i and j (1..16)
  bool estimateUncertainty = true;
  // Width of the dose bins of the curves; 0 = the grid's largest dose / 4000.
  double binWidth_Gy = 0.0;
  void validate() const;  // Error(InvalidInput) naming the parameter
};

// The figures a DVH gives, and their discretisation spread.
struct DvhFigures {
  double volume_cm3 = 0, dmin_Gy = 0, dmean_Gy = 0, dmax_Gy = 0, d95_Gy = 0, d2_Gy = 0;
};

struct DoseVolumeHistogram {
  std::string name;
  DvhFigures figures;
  DvhFigures uncertainty;  // |figures at supersampling - figures at supersampling / 2|
  double volumeOutsideDose_cm3 = 0;
  int supersampling = 0;
  double binWidth_Gy = 0;
  // cumulative_cm3[n] = volume receiving at least n x binWidth_Gy; differential_cm3[n] = volume
  // receiving [n, n + 1) x binWidth_Gy.
  std::vector<double> cumulative_cm3, differential_cm3;

  // Dx: the least dose received by the hottest `percent` % of the volume (D95, D2).
  double doseToVolumePercent(double percent) const;
  // Vx: the volume (cm3) receiving at least `dose_Gy`.
  double volumeAtDose(double dose_Gy) const;
};

// Throws Error(InvalidInput) for a dose that is not a dose in Gy (requireDose) or a structure
// with no contours, a polygon of fewer than 3 points or one spanning more than 3 m,
// Error(Unsupported) naming the structure when a contour's plane is not parallel to the dose grid's
// slices. Cancelled on cancel.
DoseVolumeHistogram computeDvh(const ScalarField& dose, const StructureContours& structure,
                               const DvhOptions& options = {}, Progress& progress = noProgress());

std::vector<DoseVolumeHistogram> computeDvhs(const ScalarField& dose,
                                             const std::vector<StructureContours>& structures,
                                             const DvhOptions& options = {},
                                             Progress& progress = noProgress());

}  // namespace twinplan::radiotherapy
