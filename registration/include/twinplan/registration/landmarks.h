#pragma once
// Landmark (paired point) registration and the target registration error (issue #15): the
// user places the same anatomical points in both series; the transform that best maps the
// fixed points onto the moving ones (least squares) is closed-form.
#include <filesystem>
#include <string>
#include <vector>

#include "twinplan/core/spatial_transform.h"

namespace twinplan::registration {

struct LandmarkPair {
  std::string name;
  Vec3 fixed_lps = Vec3::Zero();
  Vec3 moving_lps = Vec3::Zero();
};

enum class LandmarkModel { Rigid, Affine };

// The least-squares transform fixed -> moving through the pairs: rigid by Umeyama's SVD
// solution (IEEE TPAMI 13(4):376-380, 1991; Horn's closed form, JOSA A 4:629, 1987), with a
// proper rotation (no reflection); affine by linear least squares. Rigid needs >= 3 points not
// on one line, affine >= 4 not in one plane; otherwise Error(InvalidInput) says so. The
// rotation centre is the fixed points' centroid.
SpatialTransform landmarkTransform(const std::vector<LandmarkPair>& pairs, LandmarkModel model);

struct TargetError {
  double mean_mm = 0.0;
  double max_mm = 0.0;
  std::vector<double> perPoint_mm;  // in the order of the pairs
};
// |transform(fixed) - moving| at each pair (Fitzpatrick's TRE when the points were not used to
// find the transform; the fiducial registration error when they were).
TargetError targetRegistrationError(const SpatialTransform& transform,
                                    const std::vector<LandmarkPair>& pairs);

// Reads {"pairs": [{"name": ..., "fixed_lps": [x, y, z], "moving_lps": [x, y, z]}, ...]}.
// Throws Error(NotFound/Io/InvalidInput) naming the file and the faulty pair.
std::vector<LandmarkPair> readLandmarkFile(const std::filesystem::path& file);

}  // namespace twinplan::registration
