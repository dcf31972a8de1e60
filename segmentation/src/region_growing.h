#pragma once
// Region growing on a box of voxels in plain C++ (no ITK): the flood fills behind
// connectedThreshold and confidenceConnected (seeded.h). ITK's flood-filled iterators evaluate an
// image function and bounds checks per neighbour (~150 ns a voxel here); a scan-line flood fill
// over a contiguous buffer does the same set in a few ns a voxel, which is what takes the
// confidence-connected box preview (six floods) under the 2 s goal (docs/benchmarks.md).
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "twinplan/core/progress.h"

namespace twinplan::segmentation::detail {

// The grown region and the sums ITK's ConfidenceConnectedImageFilter re-estimates its range
// from (double accumulators, like ITK's RealType for float pixels).
struct GrownRegion {
  std::vector<std::uint8_t> inside;  // 1 inside, per voxel of the box
  std::size_t count = 0;
  double sum = 0.0, sumOfSquares = 0.0;
};

// The voxels face-connected (6-neighbourhood) to a seed whose values v satisfy low <= v <= high
// (a NaN never does), on a box of `size` voxels (i fastest). Seeds are linear indices in the
// box; a seed outside the range starts nothing (as ITK's flood iterators).
GrownRegion floodFill(std::span<const float> values, const std::array<std::int64_t, 3>& size,
                      std::span<const std::size_t> seeds, float low, float high,
                      Progress& progress = noProgress());

// itk::ConfidenceConnectedImageFilter's algorithm (ITK 5.2, itkConfidenceConnectedImageFilter.hxx)
// with floodFill for its region growing: the same thresholds, computed the same way (initial
// mean and variance over the (2r+1)^3 neighbourhoods of the seeds, edge voxels repeated; the
// range widened to hold every seed's value; the thresholds rounded to float), so the same voxels
// (exactly on integer-valued images such as CT, where every sum is exact in double; the test
// segmentation_itk_agreement_test checks it against the ITK filter).
// `values` of any greyscale pixel type (uint8, int16, uint16, int32, float), compared and summed
// as float like ITK's float image of them, so that a whole volume is grown on its own voxels
// without a float copy. A flood whose thresholds are those of the one before is not run again
// (the same region). Instantiated in region_growing.cpp.
template <class T>
GrownRegion confidenceFlood(std::span<const T> values, const std::array<std::int64_t, 3>& size,
                            std::span<const std::array<std::int64_t, 3>> seeds, double multiplier,
                            int iterations, int initialRadius_voxels,
                            Progress& progress = noProgress());

}  // namespace twinplan::segmentation::detail
