#pragma once
// Morphology of binary masks in millimetres, exact on anisotropic and oblique grids.
//
// Everything here rests on one exact Euclidean distance transform in mm (distance_mm below):
// the separable lower-envelope-of-parabolas algorithm of Felzenszwalb & Huttenlocher,
// "Distance Transforms of Sampled Functions", Theory of Computing 8 (2012) 415-428, which gives
// the same exact distances as Maurer, Qi & Raghavan, IEEE TPAMI 25(2) (2003) 265-270 (the
// algorithm of ITK's SignedMaurerDistanceMapImageFilter). Per-axis spacing enters the squared
// distance, so a radius in mm is a true ball in patient space whatever the voxel shape; the
// direction cosines are a rotation and do not change distances, so oblique grids need nothing
// more. Dilation and erosion by a ball of radius r mm (the ellipsoid of r/spacing voxels on the
// grid) are then thresholds of the distance map - the "margin" of radiotherapy planning.
//
// Outside the image is "unknown": it neither grows into a mask nor erodes it (ITK's
// BinaryErodeImageFilter default, and Slicer's Margin effect at the image border).
#include <cstdint>
#include <vector>

#include "twinplan/core/progress.h"
#include "twinplan/segmentation/binary_mask.h"

namespace twinplan::segmentation {

// Distance in mm from each voxel centre to the nearest voxel centre where mask == target (0 on
// those voxels); a very large value (> 1e9) when there is none. Float per voxel.
std::vector<float> distance_mm(const BinaryMask& mask, bool target,
                               Progress& progress = noProgress());

// Voxels within margin_mm of the mask (Minkowski sum with a ball; dilation).
BinaryMask grow(const BinaryMask& mask, double margin_mm, Progress& progress = noProgress());
// Voxels farther than margin_mm from every background voxel of the image (erosion).
BinaryMask shrink(const BinaryMask& mask, double margin_mm, Progress& progress = noProgress());
// Erosion then dilation: removes parts thinner than 2 r (Slicer "Opening").
BinaryMask open(const BinaryMask& mask, double radius_mm, Progress& progress = noProgress());
// Dilation then erosion: fills gaps and dents narrower than 2 r (Slicer "Closing").
BinaryMask close(const BinaryMask& mask, double radius_mm, Progress& progress = noProgress());

// A shell of `thickness_mm` along the mask's surface: inside it (the wall of an organ whose
// segment is its outline), outside it (a margin ring around a tumour), or centred on it.
enum class ShellPlacement { Inside, Outside, Centred };
BinaryMask hollow(const BinaryMask& mask, double thickness_mm, ShellPlacement placement,
                  Progress& progress = noProgress());

// Fills holes: background regions that do not reach the image border. In 3D the background is
// 6-connected (the dual of a 26-connected foreground, so a hole sealed by voxels that touch
// only at corners is still a hole); per slice (perSlice, each k-slice on its own, as a
// clinician fills drawn outlines) it is 4-connected in the slice.
BinaryMask fillHoles(const BinaryMask& mask, bool perSlice, Progress& progress = noProgress());

// Gaussian smoothing of the mask's indicator with sigma_mm (the same in mm on every axis, kernel
// cut at 3 sigma), re-thresholded at 0.5: rounds corners and removes steps smaller than about
// sigma while keeping the volume of smooth shapes (3D Slicer's Smoothing effect, "Gaussian").
// Smooth shapes shrink a little (mean-curvature flow): a 12 mm ball by 0.19 mm at sigma 1.5 mm.
// Throws Error(InvalidInput) for a sigma not above 0 or above 20 mm.
BinaryMask gaussianSmooth(const BinaryMask& mask, double sigma_mm,
                          Progress& progress = noProgress());

// Median smoothing: each voxel takes the majority value of the box of (2 r_i + 1) x (2 r_j + 1) x
// (2 r_k + 1) voxels around it, r_a = round(radius_mm / spacing_a) per axis (so the window spans
// about the same millimetres along every axis of an anisotropic grid; an axis whose spacing is
// above twice the radius is not smoothed along). Removes extrusions and fills gaps thinner than
// the window while smooth contours stay mostly unchanged: 3D Slicer's Segment Editor
// "Smoothing" effect, method "Median" (slicer.readthedocs.io, Segment Editor, Smoothing; it runs
// vtkImageMedian3D with an odd kernel of the size in mm). On a binary mask the median is the
// majority; at the image border the window holds only voxels inside the image, and a tie (an
// even window there) keeps the voxel. Throws Error(InvalidInput) for a radius not above 0, above
// 20 mm, or under half a voxel along every axis.
BinaryMask medianSmooth(const BinaryMask& mask, double radius_mm,
                        Progress& progress = noProgress());
// The per-axis window radius in voxels medianSmooth uses.
Index3 medianRadius_voxels(const ImageGeometry& grid, double radius_mm);

// Fills the slices between sparsely drawn slices (along k, the acquisition axis): a slice is
// "drawn" when it holds any mask voxel; each undrawn slice between two drawn ones gets the
// zero level set of the linear interpolation of the two drawn slices' in-plane signed distance
// maps (mm). Shape-based interpolation: Raya & Udupa, IEEE TMI 9(1) (1990) 32-42; Herman,
// Zheng & Bucholtz, IEEE CG&A 12(3) (1992) 69-79. ITK's MorphologicalContourInterpolator
// (Zukic et al., Insight Journal 2016; Albu et al., IEEE TMI 27(9) 2008) is a remote module not
// in Debian's ITK 5.2, so it is not used. Drawn slices are kept as they are; nothing is added
// beyond the first and last drawn slice.
BinaryMask fillBetweenSlices(const BinaryMask& mask, Progress& progress = noProgress());

}  // namespace twinplan::segmentation
