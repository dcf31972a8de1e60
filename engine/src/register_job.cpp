// Job "register": aligns one series onto another (issue #15) - rigid, affine, B-spline or by
// landmarks - and reports the transform's quality; on a case, stores the Registration through
// the same undoable edit as the GUI; optionally writes the transform as an ITK transform file.
#include <cmath>

#include "job_kinds.h"
#include "twinplan/core/case_edit.h"
#include "twinplan/core/case_editor.h"
#include "twinplan/core/case_file.h"
#include "twinplan/engine/case_import.h"
#include "twinplan/io/dicom_image2d.h"
#include "twinplan/io/dicom_index.h"
#include "twinplan/registration/landmarks.h"
#include "twinplan/registration/register.h"
#include "twinplan/registration/transform_file.h"

namespace twinplan::engine {
namespace {

namespace fs = std::filesystem;
using registration::Method;

nlohmann::json vec3Json(const Vec3& v) { return {v[0], v[1], v[2]}; }

registration::Centring centringFromString(const std::string& name) {
  if (name == "geometry") return registration::Centring::Geometry;
  if (name == "moments") return registration::Centring::Moments;
  throw Error(
      ErrorKind::InvalidInput,
      "\"centring\" is \"geometry\" (box centres) or \"moments\" (centres of mass), not \"" + name +
          "\".",
      "centring");
}

class RegisterJob final : public Job {
 public:
  explicit RegisterJob(const JobParameters& p)
      : fixedDicom_(p.file("fixed", "")),
        fixedUid_(p.text("fixedSeriesInstanceUid", "")),
        movingDicom_(p.file("moving", "")),
        movingUid_(p.text("movingSeriesInstanceUid", "")),
        case_(p.file("case", "")),
        fixedVolume_(p.text("fixedVolume", "")),
        movingVolume_(p.text("movingVolume", "")),
        output_(p.file("output", "")),
        landmarks_(p.file("landmarks", "")),
        transformFile_(p.file("transform", "")),
        initialiseWithLandmarks_(p.boolean("initialiseWithLandmarks", false)) {
    p.rejectUnknown({"fixed",
                     "fixedSeriesInstanceUid",
                     "moving",
                     "movingSeriesInstanceUid",
                     "case",
                     "fixedVolume",
                     "movingVolume",
                     "output",
                     "method",
                     "histogramBins",
                     "samplingFraction",
                     "samplesPerLevel",
                     "finestSpacing_mm",
                     "randomSampling",
                     "samplingSeed",
                     "levels",
                     "iterations",
                     "bsplineGridSpacing_mm",
                     "bsplineIterations",
                     "centring",
                     "landmarks",
                     "initialiseWithLandmarks",
                     "transform"});
    options_.method = registration::methodFromString(p.text("method", "rigid"));
    options_.histogramBins = int(p.integer("histogramBins", options_.histogramBins, 5, 256));
    options_.samplingFraction = p.number("samplingFraction", options_.samplingFraction, 1e-4, 1.0);
    options_.samplesPerLevel =
        int(p.integer("samplesPerLevel", options_.samplesPerLevel, 1000, 100000000));
    options_.finestSpacing_mm = p.number("finestSpacing_mm", options_.finestSpacing_mm, 0.0, 10.0);
    options_.randomSampling = p.boolean("randomSampling", options_.randomSampling);
    options_.samplingSeed =
        std::uint32_t(p.integer("samplingSeed", options_.samplingSeed, 0, 2147483647));
    // Levels N: shrink factors 2^(N-1) .. 1 and sigmas 2^(N-2) .. 0 voxels, the schedule of
    // the default 3 levels (4,2,1 / 2,1,0) extended.
    const int levels = int(p.integer("levels", 3, 1, 6));
    options_.shrinkFactors.clear();
    options_.smoothingSigmas_vox.clear();
    for (int l = levels - 1; l >= 0; --l) {
      options_.shrinkFactors.push_back(1 << l);
      options_.smoothingSigmas_vox.push_back(l == 0 ? 0.0 : std::ldexp(1.0, l - 1));
    }
    options_.iterations = int(p.integer("iterations", options_.iterations, 1, 100000));
    options_.bsplineGridSpacing_mm =
        p.number("bsplineGridSpacing_mm", options_.bsplineGridSpacing_mm, 2.0, 500.0);
    options_.bsplineIterations =
        int(p.integer("bsplineIterations", options_.bsplineIterations, 1, 100000));
    options_.centring = centringFromString(p.text("centring", "geometry"));
    const bool onCase = !case_.empty();
    const bool onDicom = !fixedDicom_.empty() || !movingDicom_.empty();
    if (onCase == onDicom || (onDicom && (fixedDicom_.empty() || movingDicom_.empty())) ||
        (onCase && (fixedVolume_.empty() || movingVolume_.empty())))
      throw Error(ErrorKind::InvalidInput,
                  "The register job takes either \"fixed\" and \"moving\" (DICOM folders) or "
                  "\"case\" with \"fixedVolume\" and \"movingVolume\" (series names).",
                  "register");
    if (options_.method == Method::Landmark && landmarks_.empty())
      throw Error(ErrorKind::InvalidInput,
                  "Landmark registration needs \"landmarks\": a JSON file of paired points.",
                  "landmarks");
  }

  std::string kind() const override { return "register"; }
  nlohmann::json parameters() const override {
    return {
        {"fixed", fixedDicom_.string()},
        {"fixedSeriesInstanceUid", fixedUid_},
        {"moving", movingDicom_.string()},
        {"movingSeriesInstanceUid", movingUid_},
        {"case", case_.string()},
        {"fixedVolume", fixedVolume_},
        {"movingVolume", movingVolume_},
        {"output", output_.string()},
        {"method", registration::toString(options_.method)},
        {"histogramBins", options_.histogramBins},
        {"samplingFraction", options_.samplingFraction},
        {"samplesPerLevel", options_.samplesPerLevel},
        {"finestSpacing_mm", options_.finestSpacing_mm},
        {"randomSampling", options_.randomSampling},
        {"samplingSeed", options_.samplingSeed},
        {"levels", options_.shrinkFactors.size()},
        {"iterations", options_.iterations},
        {"bsplineGridSpacing_mm", options_.bsplineGridSpacing_mm},
        {"bsplineIterations", options_.bsplineIterations},
        {"centring", options_.centring == registration::Centring::Moments ? "moments" : "geometry"},
        {"landmarks", landmarks_.string()},
        {"initialiseWithLandmarks", initialiseWithLandmarks_},
        {"transform", transformFile_.string()}};
  }

  nlohmann::json run(Progress& progress, CheckpointStore*) override {
    auto loading = subRange(progress, 0.0, 0.15);
    Case twin;
    ImageVolume fixed, moving;
    loadInputs(twin, fixed, moving, *loading);
    std::vector<registration::LandmarkPair> pairs;
    if (!landmarks_.empty()) pairs = registration::readLandmarkFile(landmarks_);

    auto registering = subRange(progress, 0.15, 0.95);
    registration::RegistrationResult result;
    if (options_.method == Method::Landmark) {
      result.method = Method::Landmark;
      result.transform = registration::landmarkTransform(pairs, registration::LandmarkModel::Rigid);
    } else {
      registration::RegistrationOptions options = options_;
      if (initialiseWithLandmarks_ && !pairs.empty())
        options.initial =
            registration::landmarkTransform(pairs, registration::LandmarkModel::Rigid);
      result = registration::registerVolumes(fixed, moving, options, *registering);
    }
    nlohmann::json summary = resultJson(result, pairs);
    summary["fixed"] = fixed.name;
    summary["moving"] = moving.name;

    auto saving = subRange(progress, 0.95, 1.0);
    saving->check();
    if (!transformFile_.empty()) {
      registration::writeItkTransformFile(result.transform, transformFile_);
      summary["transform_file"] = transformFile_.string();
    }
    if (!case_.empty()) {
      storeRegistration(twin, result, summary);
      const fs::path output = output_.empty() ? case_ : output_;
      saveCase(twin, output, *saving);
      summary["output"] = output.string();
    }
    return summary;
  }

 private:
  void loadInputs(Case& twin, ImageVolume& fixed, ImageVolume& moving, Progress& progress) const {
    if (!case_.empty()) {
      twin = loadCase(case_, progress);
      fixed = volumeOfCase(twin, fixedVolume_);
      moving = volumeOfCase(twin, movingVolume_);
      return;
    }
    auto first = subRange(progress, 0.0, 0.5);
    fixed = seriesVolume(fixedDicom_, fixedUid_, *first);
    auto second = subRange(progress, 0.5, 1.0);
    moving = seriesVolume(movingDicom_, movingUid_, *second);
  }

  ImageVolume volumeOfCase(const Case& twin, const std::string& name) const {
    const ImageVolume* volume = findVolume(twin, name);
    if (!volume)
      throw Error(ErrorKind::NotFound,
                  "The case " + case_.string() + " has no series named \"" + name + "\".", name);
    return *volume;
  }

  // The series' volume, named after its modality and folder so that every message says which
  // of the two series it is about. A folder holding only one 2D image series (a radiograph) is
  // loaded too, so that the registration check refuses it with its reason (a 2D image) rather
  // than "no volume found".
  static ImageVolume seriesVolume(const fs::path& dicom, const std::string& uid,
                                  Progress& progress) {
    auto scan = subRange(progress, 0.0, 0.2);
    const io::DicomIndex index = io::scanDicom(dicom, *scan);
    const io::DicomSeries* chosen = nullptr;
    const auto all = index.allSeries();
    if (uid.empty() && all.size() == 1 && all.front()->kind != io::SeriesKind::Volume &&
        io::hasViewableImages(*all.front()))
      chosen = all.front();
    else
      chosen = &chooseVolumeSeries(index, uid, dicom);
    auto load = subRange(progress, 0.2, 1.0);
    Case imported = importSeriesAsCase(*chosen, *load);
    ImageVolume volume = std::move(imported.volumes.front());
    volume.name = volume.dicom.modality + " series in " + dicom.string();
    return volume;
  }

  nlohmann::json resultJson(const registration::RegistrationResult& result,
                            const std::vector<registration::LandmarkPair>& pairs) const {
    nlohmann::json j;
    j["method"] = registration::toString(result.method);
    j["metric"] = result.method == Method::Landmark ? "landmarks" : "mattes-mutual-information";
    j["metric_value"] =
        result.method == Method::Landmark ? nlohmann::json() : nlohmann::json(result.metricValue);
    j["iterations"] = result.iterations;
    j["levels"] = result.levels;
    if (result.transform.isLinear()) {
      j["rotation_deg"] = vec3Json(result.transform.eulerAngles_deg());
      j["translation_mm"] = vec3Json(result.transform.translation_mm);
      j["centre_lps"] = vec3Json(result.transform.centre_lps);
    }
    if (!pairs.empty()) {
      const auto tre = registration::targetRegistrationError(result.transform, pairs);
      j["tre_mm"] = tre.mean_mm;
      j["tre_max_mm"] = tre.max_mm;
      j["landmarks"] = pairs.size();
    }
    j["time_s"] = result.time_s;
    if (!result.stopReason.empty()) j["stop_reason"] = result.stopReason;
    j["transform"] = spatialTransformJson(result.transform);
    return j;
  }

  void storeRegistration(Case& twin, const registration::RegistrationResult& result,
                         const nlohmann::json& summary) const {
    Registration record;
    record.fixedVolume = fixedVolume_;
    record.movingVolume = movingVolume_;
    record.method = registration::toString(result.method);
    record.transform = result.transform;
    record.quality = summary;
    record.quality.erase("transform");  // the transform is stored once, in the record itself
    record.created = utcNowIso8601();
    CaseEditor editor(std::move(twin));
    editor.apply(edits::setRegistration(editor.twin(), std::move(record)));
    twin = editor.reset({});
  }

  fs::path fixedDicom_;
  std::string fixedUid_;
  fs::path movingDicom_;
  std::string movingUid_;
  fs::path case_;
  std::string fixedVolume_, movingVolume_;
  fs::path output_, landmarks_, transformFile_;
  bool initialiseWithLandmarks_ = false;
  registration::RegistrationOptions options_;
};

}  // namespace

std::unique_ptr<Job> makeRegisterJob(const JobParameters& parameters) {
  return std::make_unique<RegisterJob>(parameters);
}

}  // namespace twinplan::engine
