#include "twinplan/radiotherapy/hu_density.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "radiotherapy_resources.h"
#include "twinplan/core/error.h"
#include "twinplan/core/parallel.h"

namespace twinplan::radiotherapy {
namespace {

constexpr const char* kDefaultPath = "radiotherapy/hu_red_default.json";

[[noreturn]] void corrupt(const std::string& context, const std::string& what) {
  throw Error(ErrorKind::Corrupt,
              "The HU to electron density calibration " + context + " " + what +
                  " It needs {\"points\": [{\"hu\": number, \"red\": number}, ...]} with HU "
                  "increasing.",
              context);
}

}  // namespace

void HuDensityCalibration::validate() const {
  auto fail = [&](const std::string& sentence) {
    throw Error(ErrorKind::InvalidInput,
                "The HU to electron density calibration \"" + name + "\" " + sentence, "points");
  };
  if (points.size() < 2) fail("needs at least two (HU, density) points.");
  for (std::size_t i = 0; i < points.size(); ++i) {
    const HuDensityPoint& p = points[i];
    if (!std::isfinite(p.hu) || !std::isfinite(p.relativeElectronDensity) ||
        p.relativeElectronDensity < 0.0)
      fail("has point " + std::to_string(i + 1) +
           " with a density that is negative or not a number; relative electron densities are "
           ">= 0 (water 1).");
    if (i > 0 && !(p.hu > points[i - 1].hu))
      fail("has HU values that do not increase at point " + std::to_string(i + 1) +
           "; list the points from the lowest CT number up, each HU once.");
  }
}

double HuDensityCalibration::relativeElectronDensity(double hu) const {
  if (hu <= points.front().hu) return points.front().relativeElectronDensity;
  if (hu >= points.back().hu) return points.back().relativeElectronDensity;
  const auto upper = std::upper_bound(points.begin(), points.end(), hu,
                                      [](double v, const HuDensityPoint& p) { return v < p.hu; });
  const HuDensityPoint& b = *upper;
  const HuDensityPoint& a = *(upper - 1);
  const double w = (hu - a.hu) / (b.hu - a.hu);
  return a.relativeElectronDensity + w * (b.relativeElectronDensity - a.relativeElectronDensity);
}

HuDensityCalibration parseHuDensityCalibration(std::string_view text, const std::string& context) {
  nlohmann::json root;
  try {
    root = nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    corrupt(context, std::string("is not valid JSON (") + e.what() + ").");
  }
  if (!root.is_object() || !root.contains("points") || !root["points"].is_array())
    corrupt(context, "has no \"points\" list.");
  HuDensityCalibration calibration;
  calibration.name = root.value("scanner", context);
  calibration.source = root.value("source", std::string("unstated (") + context + ")");
  for (const auto& point : root["points"]) {
    if (!point.is_object() || !point.contains("hu") || !point.contains("red") ||
        !point["hu"].is_number() || !point["red"].is_number())
      corrupt(context, "has a point without numeric \"hu\" and \"red\".");
    calibration.points.push_back({point["hu"].get<double>(), point["red"].get<double>()});
  }
  calibration.validate();
  return calibration;
}

const HuDensityCalibration& defaultHuDensityCalibration() {
  static const HuDensityCalibration calibration = [] {
    const std::string_view text = resources::radiotherapyResource(kDefaultPath);
    if (text.empty()) corrupt(kDefaultPath, "is missing from the program (re-run cmake).");
    return parseHuDensityCalibration(text, kDefaultPath);
  }();
  return calibration;
}

HuDensityCalibration readHuDensityCalibration(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in)
    throw Error(ErrorKind::NotFound,
                "The HU to electron density calibration " + file.string() +
                    " cannot be opened; give an existing JSON file.",
                file.string());
  std::ostringstream text;
  text << in.rdbuf();
  return parseHuDensityCalibration(text.str(), file.string());
}

DensityGrid densityGridFromCt(const ImageVolume& ct, const HuDensityCalibration& calibration,
                              Progress& progress) {
  requirePatientVolume(ct, "Dose calculation");
  if (ct.unit != "HU")
    throw Error(ErrorKind::InvalidInput,
                "The series \"" + ct.name + "\" is in \"" + ct.unit +
                    "\", not HU; dose calculation needs a CT in Hounsfield units.",
                ct.name);
  calibration.validate();
  DensityGrid grid{ct.geometry(), std::vector<float>(ct.voxelCount(), 0.0f)};
  visitGreyVoxels(ct, [&](auto voxels) {
    parallel::parallelFor(
        {0, voxels.size()}, 1 << 16,
        [&](parallel::IndexRange chunk) {
          for (std::size_t i = chunk.begin; i < chunk.end; ++i) {
            const double hu = static_cast<double>(voxels[i]);
            grid.relativeElectronDensity[i] =
                ct.isPadding(hu) ? 0.0f
                                 : static_cast<float>(calibration.relativeElectronDensity(hu));
          }
        },
        progress, "Electron density from HU");
  });
  return grid;
}

}  // namespace twinplan::radiotherapy
