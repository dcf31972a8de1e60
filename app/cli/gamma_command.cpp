#include "gamma_command.h"

#include <chrono>

#include "cli_options.h"
#include "twinplan/core/error.h"
#include "twinplan/io/dicom_rtdose.h"
#include "twinplan/io/image_file.h"
#include "twinplan/radiotherapy/gamma.h"

namespace twinplan::cli {
namespace {

struct LoadedDose {
  ScalarField dose;
  std::string frameOfReferenceUid;
  std::string format;
  std::string doseType;
};

// An RTDOSE file by content (io::readRtDose refuses other DICOM objects with a reason), an
// image file by its extension, its values taken as Gy.
LoadedDose loadDose(const std::filesystem::path& file, Progress& progress) {
  LoadedDose loaded;
  if (io::isImageFileName(file)) {
    const ImageVolume image = io::readImageFile(file);
    requirePatientVolume(image, "a gamma comparison");
    loaded.dose.name = file.filename().string();
    loaded.dose.quantity = "dose";
    loaded.dose.unit = units::kGray;
    loaded.dose.geometry = image.geometry();
    visitGreyVoxels(image,
                    [&](auto voxels) { loaded.dose.values.assign(voxels.begin(), voxels.end()); });
    loaded.format = "image";
    return loaded;
  }
  io::RtDose rt = io::readRtDose(file, progress);
  loaded.dose = std::move(rt.dose);
  loaded.frameOfReferenceUid = rt.frameOfReferenceUid;
  loaded.format = "RTDOSE";
  loaded.doseType = rt.doseType;
  return loaded;
}

nlohmann::json describe(const std::filesystem::path& file, const LoadedDose& loaded) {
  nlohmann::json d = gridJson(loaded.dose.geometry);
  d["file"] = file.string();
  d["format"] = loaded.format;
  if (!loaded.frameOfReferenceUid.empty()) d["frame_of_reference_uid"] = loaded.frameOfReferenceUid;
  if (!loaded.doseType.empty()) d["dose_type"] = loaded.doseType;
  return d;
}

ImageVolume gammaImage(const ScalarField& gamma) {
  ImageVolume image(gamma.geometry, PixelType::Float32);
  std::copy(gamma.values.begin(), gamma.values.end(), image.voxels<float>().begin());
  image.name = "gamma";
  image.unit = "";
  return image;
}

}  // namespace

nlohmann::json runGamma(const GammaArguments& a, Progress& progress) {
  const radiotherapy::GammaCriteria& criteria = a.criteria;
  criteria.validate();  // before reading two dose files
  if (!a.output.empty() && !io::isImageFileName(a.output))
    throw Error(ErrorKind::InvalidInput,
                "--output " + a.output.string() +
                    ": write the gamma map as an image file (.nrrd, .mha, .nii.gz).",
                a.output.string());

  std::unique_ptr<Progress> readingReference = subRange(progress, 0.0, 0.05);
  const LoadedDose reference = loadDose(a.reference, *readingReference);
  std::unique_ptr<Progress> readingEvaluated = subRange(progress, 0.05, 0.1);
  const LoadedDose evaluated = loadDose(a.evaluated, *readingEvaluated);
  radiotherapy::DoseFrames frames{reference.frameOfReferenceUid, evaluated.frameOfReferenceUid};
  if (a.sameFrame) {
    if (frames.referenceFrameOfReferenceUid.empty())
      frames.referenceFrameOfReferenceUid = frames.evaluatedFrameOfReferenceUid.empty()
                                                ? "stated by --same-frame"
                                                : frames.evaluatedFrameOfReferenceUid;
    if (frames.evaluatedFrameOfReferenceUid.empty())
      frames.evaluatedFrameOfReferenceUid = frames.referenceFrameOfReferenceUid;
  }

  const auto start = std::chrono::steady_clock::now();
  std::unique_ptr<Progress> computing = subRange(progress, 0.1, 1.0);
  const radiotherapy::GammaResult r =
      radiotherapy::gammaIndex(reference.dose, evaluated.dose, criteria, *computing, frames);
  const double time_s = secondsSince(start);

  nlohmann::json summary = {
      {"pass_rate_percent", r.passRate_percent},
      {"evaluated_voxels", r.evaluatedPoints},
      {"passed_voxels", r.passedPoints},
      {"gamma",
       {{"mean", r.mean}, {"max", r.max}, {"median", r.median}, {"p95", r.p95}, {"p99", r.p99}}},
      {"normalisation_dose_gy", r.normalisationDose_Gy},
      {"threshold_dose_gy", r.thresholdDose_Gy},
      {"same_grid", r.sameGrid},
      {"criteria",
       {{"dose_difference_percent", criteria.doseDifference_percent},
        {"distance_to_agreement_mm", criteria.distanceToAgreement_mm},
        {"local", criteria.local},
        {"threshold_percent", criteria.lowDoseThreshold_percent},
        {"max_gamma", criteria.maxGamma},
        {"pass_fail_only", criteria.passFailOnly}}},
      {"reference", describe(a.reference, reference)},
      {"evaluated", describe(a.evaluated, evaluated)},
      {"time_s", time_s}};
  if (!a.output.empty()) {
    io::writeImageFile(gammaImage(r.gamma), a.output);
    summary["output"] = a.output.string();
  }
  return summary;
}

}  // namespace twinplan::cli
