#include "twinplan/registration/landmarks.h"

#include <Eigen/Dense>
#include <Eigen/Geometry>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "twinplan/core/error.h"

namespace twinplan::registration {

namespace {

// Points as columns, and their spread about the centroid: the singular values of the centred
// cloud say whether it spans a line (one > 0), a plane (two) or space (three).
Eigen::Matrix3Xd columns(const std::vector<LandmarkPair>& pairs, bool fixed) {
  Eigen::Matrix3Xd points(3, static_cast<Eigen::Index>(pairs.size()));
  for (std::size_t n = 0; n < pairs.size(); ++n)
    points.col(static_cast<Eigen::Index>(n)) = fixed ? pairs[n].fixed_lps : pairs[n].moving_lps;
  return points;
}

int spannedDimensions(const Eigen::Matrix3Xd& points) {
  const Eigen::Matrix3Xd centred = points.colwise() - points.rowwise().mean();
  const Eigen::JacobiSVD<Eigen::Matrix3Xd> svd(centred);
  const Vec3 s = svd.singularValues();
  // 1e-6 of the cloud's largest spread (and at least 1 micrometre): numerically flat.
  const double tolerance = std::max(1e-3, 1e-6 * s[0]);
  return int(s[0] > tolerance) + int(s[1] > tolerance) + int(s[2] > tolerance);
}

[[noreturn]] void tooFew(std::size_t count, const char* model, const char* need) {
  throw Error(ErrorKind::InvalidInput,
              "A " + std::string(model) + " landmark registration needs " + need + "; " +
                  std::to_string(count) +
                  " pair(s) were given that do not. Place more landmarks, spread over the "
                  "anatomy.",
              "landmarks");
}

Vec3 readPoint(const nlohmann::json& pair, const char* key, const std::string& where) {
  const auto it = pair.find(key);
  if (it == pair.end() || !it->is_array() || it->size() != 3)
    throw Error(ErrorKind::InvalidInput,
                where + " needs \"" + key + "\": [x, y, z] in LPS millimetres.", where);
  Vec3 p;
  for (int a = 0; a < 3; ++a) {
    if (!(*it)[a].is_number())
      throw Error(ErrorKind::InvalidInput, where + ": \"" + key + "\" holds a non-number.", where);
    p[a] = (*it)[a].get<double>();
  }
  return p;
}

}  // namespace

SpatialTransform landmarkTransform(const std::vector<LandmarkPair>& pairs, LandmarkModel model) {
  const Eigen::Matrix3Xd fixed = columns(pairs, true), moving = columns(pairs, false);
  const Vec3 centroid = pairs.empty() ? Vec3::Zero() : Vec3(fixed.rowwise().mean());
  if (model == LandmarkModel::Rigid) {
    if (pairs.size() < 3 || spannedDimensions(fixed) < 2)
      tooFew(pairs.size(), "rigid", "at least 3 pairs not on one line");
    // Umeyama (1991) without scaling: the least-squares rotation and translation, with the
    // reflection case corrected (Eigen::umeyama implements that paper).
    const Eigen::Matrix4d h = Eigen::umeyama(fixed, moving, /*with_scaling=*/false);
    const Mat3 rotation = h.topLeftCorner<3, 3>();
    const Vec3 offset = h.topRightCorner<3, 1>();
    // p_moving = R p + offset = R (p - c) + c + t  =>  t = offset + R c - c.
    return SpatialTransform::rigid(rotation, offset + rotation * centroid - centroid, centroid);
  }
  if (pairs.size() < 4 || spannedDimensions(fixed) < 3)
    tooFew(pairs.size(), "affine", "at least 4 pairs not in one plane");
  // Linear least squares for [A | b] in p_moving = A (p - c) + c + b, by QR.
  Eigen::MatrixXd design(fixed.cols(), 4);
  design.leftCols<3>() = (fixed.colwise() - centroid).transpose();
  design.col(3).setOnes();
  const Eigen::MatrixXd target = (moving.colwise() - centroid).transpose();
  const Eigen::MatrixXd solution = design.colPivHouseholderQr().solve(target);  // 4x3
  const Mat3 matrix = solution.topRows<3>().transpose();
  const Vec3 translation = solution.row(3).transpose();
  return SpatialTransform::affine(matrix, translation, centroid);
}

TargetError targetRegistrationError(const SpatialTransform& transform,
                                    const std::vector<LandmarkPair>& pairs) {
  TargetError error;
  for (const LandmarkPair& pair : pairs) {
    const double distance = (transform.apply(pair.fixed_lps) - pair.moving_lps).norm();
    error.perPoint_mm.push_back(distance);
    error.mean_mm += distance;
    error.max_mm = std::max(error.max_mm, distance);
  }
  if (!pairs.empty()) error.mean_mm /= double(pairs.size());
  return error;
}

LandmarkFit rigidLandmarkFit(const std::vector<LandmarkPair>& pairs) {
  LandmarkFit fit;
  fit.transform = landmarkTransform(pairs, LandmarkModel::Rigid);
  fit.fiducial = targetRegistrationError(fit.transform, pairs);
  double sum = 0.0;
  std::size_t counted = 0;
  for (std::size_t left = 0; left < pairs.size(); ++left) {
    std::vector<LandmarkPair> others = pairs;
    others.erase(others.begin() + static_cast<std::ptrdiff_t>(left));
    std::optional<double> error;
    if (others.size() >= 3 && spannedDimensions(columns(others, true)) >= 2) {
      const SpatialTransform without = landmarkTransform(others, LandmarkModel::Rigid);
      error = (without.apply(pairs[left].fixed_lps) - pairs[left].moving_lps).norm();
      sum += *error;
      ++counted;
      fit.leaveOneOutMax_mm = std::max(fit.leaveOneOutMax_mm.value_or(0.0), *error);
    }
    fit.leaveOneOut_mm.push_back(error);
  }
  if (counted > 0) fit.leaveOneOutMean_mm = sum / double(counted);
  return fit;
}

nlohmann::json landmarkFileJson(const std::vector<LandmarkPair>& pairs) {
  nlohmann::json list = nlohmann::json::array();
  for (const LandmarkPair& pair : pairs)
    list.push_back({{"name", pair.name},
                    {"fixed_lps", {pair.fixed_lps[0], pair.fixed_lps[1], pair.fixed_lps[2]}},
                    {"moving_lps", {pair.moving_lps[0], pair.moving_lps[1], pair.moving_lps[2]}}});
  return {{"pairs", list}};
}

std::vector<LandmarkPair> landmarkPairsFromJson(const nlohmann::json& j, const std::string& where) {
  if (!j.is_object() || !j.contains("pairs") || !j["pairs"].is_array())
    throw Error(ErrorKind::InvalidInput,
                "The landmark file " + where +
                    " needs {\"pairs\": [{\"name\", \"fixed_lps\", \"moving_lps\"}, ...]}.",
                where);
  std::vector<LandmarkPair> pairs;
  for (const auto& entry : j["pairs"]) {
    const std::string at =
        std::filesystem::path(where).filename().string() + " pair " + std::to_string(pairs.size());
    if (!entry.is_object())
      throw Error(ErrorKind::InvalidInput, at + " is not a JSON object.", where);
    LandmarkPair pair;
    if (entry.contains("name") && entry["name"].is_string()) pair.name = entry["name"];
    pair.fixed_lps = readPoint(entry, "fixed_lps", at);
    pair.moving_lps = readPoint(entry, "moving_lps", at);
    pairs.push_back(std::move(pair));
  }
  return pairs;
}

void writeLandmarkFile(const std::filesystem::path& file, const std::vector<LandmarkPair>& pairs) {
  std::filesystem::path partial = file;
  partial += ".partial";
  {
    std::ofstream out(partial, std::ios::trunc);
    out << landmarkFileJson(pairs).dump(2) << "\n";
    out.close();
    if (!out) {
      std::error_code ignored;
      std::filesystem::remove(partial, ignored);
      throw Error(ErrorKind::Io,
                  "Cannot write the landmark file " + file.string() +
                      ": check that the folder exists and is writable.",
                  file.string());
    }
  }
  std::error_code ec;
  std::filesystem::rename(partial, file, ec);
  if (ec) {
    std::error_code ignored;
    std::filesystem::remove(partial, ignored);
    throw Error(ErrorKind::Io,
                "Cannot write the landmark file " + file.string() + ": " + ec.message(),
                file.string());
  }
}

std::vector<LandmarkPair> readLandmarkFile(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) {
    std::error_code ec;
    throw Error(std::filesystem::exists(file, ec) ? ErrorKind::Io : ErrorKind::NotFound,
                "Cannot read the landmark file " + file.string() + ".", file.string());
  }
  std::stringstream text;
  text << in.rdbuf();
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text.str());
  } catch (const nlohmann::json::parse_error& e) {
    throw Error(ErrorKind::InvalidInput,
                "The landmark file " + file.string() + " is not valid JSON: " + e.what(),
                file.string());
  }
  return landmarkPairsFromJson(j, file.string());
}

}  // namespace twinplan::registration
