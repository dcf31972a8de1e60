#pragma once
// Landmark (paired point) registration and the target registration error (issue #15): the
// user places the same anatomical points in both series; the transform that best maps the
// fixed points onto the moving ones (least squares) is closed-form.
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
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

// The rigid fit of the pairs with its quality, as the Landmarks panel shows it: the fiducial
// registration error (FRE) of each pair under the fit of all pairs, and each pair's
// leave-one-out target registration error - the distance between its moving point and where a
// fit of the OTHER pairs takes its fixed point. The leave-one-out error estimates the error at a
// target that was not used to register (Fitzpatrick, West & Maurer, IEEE TMI 17(5):694-702,
// 1998, section I: FRE alone says little about TRE); it needs the other pairs to make a rigid
// fit themselves (>= 3, not on one line), else that pair's entry is empty.
struct LandmarkFit {
  SpatialTransform transform;                                   // fixed -> moving, of all pairs
  TargetError fiducial;                                         // FRE
  std::vector<std::optional<double>> leaveOneOut_mm;            // in the order of the pairs
  std::optional<double> leaveOneOutMean_mm, leaveOneOutMax_mm;  // over the non-empty entries
};
// Throws Error(InvalidInput) as landmarkTransform does for fewer than 3 pairs or pairs on one
// line.
LandmarkFit rigidLandmarkFit(const std::vector<LandmarkPair>& pairs);

// The landmark file's JSON: {"pairs": [{"name", "fixed_lps": [x, y, z], "moving_lps"}, ...]}.
nlohmann::json landmarkFileJson(const std::vector<LandmarkPair>& pairs);
// Parses that JSON; `where` (a file name) goes into the errors. Throws Error(InvalidInput).
std::vector<LandmarkPair> landmarkPairsFromJson(const nlohmann::json& json,
                                                const std::string& where);
// Writes the landmark file (readLandmarkFile reads it back to the last bit: nlohmann::json
// writes the shortest decimal that reads back as the same double). Written to a temporary file
// first, so that a failed write leaves no half file; throws Error(Io) naming the file.
void writeLandmarkFile(const std::filesystem::path& file, const std::vector<LandmarkPair>& pairs);

// Reads {"pairs": [{"name": ..., "fixed_lps": [x, y, z], "moving_lps": [x, y, z]}, ...]}.
// Throws Error(NotFound/Io/InvalidInput) naming the file and the faulty pair.
std::vector<LandmarkPair> readLandmarkFile(const std::filesystem::path& file);

}  // namespace twinplan::registration
