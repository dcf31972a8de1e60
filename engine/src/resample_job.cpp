// Job "resample": a series brought onto another series' grid through a registration transform
// file (issue #15, deliverable 5: `twinplan-cli resample`).

#include <algorithm>
#include <limits>

#include "job_kinds.h"
#include "twinplan/core/parallel.h"
#include "twinplan/engine/case_import.h"
#include "twinplan/engine/jobs.h"
#include "twinplan/io/dicom_image2d.h"
#include "twinplan/io/image_file.h"
#include "twinplan/registration/registrable.h"
#include "twinplan/registration/resample.h"
#include "twinplan/registration/transform_file.h"

namespace twinplan::engine {
namespace {

// A DICOM folder/file/DICOMDIR (the series with `uid`, or the only volume) or an image file.
ImageVolume loadSeries(const std::filesystem::path& input, const std::string& uid,
                       Progress& progress) {
  if (std::filesystem::is_regular_file(input) && io::isImageFileName(input))
    return io::readImageFile(input);
  auto scan = subRange(progress, 0.0, 0.2);
  const io::DicomIndex index = io::scanDicom(input, *scan);
  const io::DicomSeries& series = chooseVolumeSeries(index, uid, input);
  auto load = subRange(progress, 0.2, 1.0);
  return io::loadForViewing(series, *load);
}

// A series resampled onto another must be a 3D patient volume: a projection radiograph or a
// photograph has no patient space, and a single slice cannot be interpolated between slices.
void requireVolume(const ImageVolume& volume, const std::string& role) {
  requirePatientVolume(volume, "Resampling (" + role + ")");
  if (volume.geometry().size[2] < 2)
    throw Error(ErrorKind::Unsupported,
                "The " + role + " series \"" + volume.dicom.seriesDescription +
                    "\" is a single 2D slice; resampling needs a volume of at least 2 slices.",
                volume.dicom.seriesInstanceUid);
}

class ResampleJob final : public Job {
 public:
  explicit ResampleJob(const JobParameters& p)
      : moving_(p.file("moving")),
        movingUid_(p.text("movingSeriesInstanceUid", "")),
        reference_(p.file("reference")),
        referenceUid_(p.text("referenceSeriesInstanceUid", "")),
        transform_(p.file("transform")),
        output_(p.file("output")),
        interpolation_(registration::interpolationFromString(p.text("interpolation", "linear"))) {
    p.rejectUnknown({"moving", "movingSeriesInstanceUid", "reference", "referenceSeriesInstanceUid",
                     "transform", "output", "interpolation", "outsideValue"});
    if (p.has("outsideValue")) outsideValue_ = p.number("outsideValue", 0.0, -1e30, 1e30);
    if (!io::isImageFileName(output_))
      throw Error(ErrorKind::InvalidInput,
                  "Parameter \"output\" of the resample job must end in .nii, .nii.gz, .nrrd or "
                  ".mha (it is " +
                      output_.string() + ").",
                  "parameters.output");
  }
  std::string kind() const override { return "resample"; }
  nlohmann::json parameters() const override {
    nlohmann::json j = {{"moving", moving_.string()},
                        {"movingSeriesInstanceUid", movingUid_},
                        {"reference", reference_.string()},
                        {"referenceSeriesInstanceUid", referenceUid_},
                        {"transform", transform_.string()},
                        {"output", output_.string()},
                        {"interpolation", registration::toString(interpolation_)}};
    if (outsideValue_) j["outsideValue"] = *outsideValue_;
    return j;
  }
  nlohmann::json run(Progress& progress, CheckpointStore*) override {
    // The transform first: a missing or unreadable file fails before any series is loaded.
    const SpatialTransform fixedToMoving = registration::readItkTransformFile(transform_);
    auto loadMoving = subRange(progress, 0.0, 0.35);
    const ImageVolume moving = loadSeries(moving_, movingUid_, *loadMoving);
    requireVolume(moving, "moving");
    auto loadReference = subRange(progress, 0.35, 0.6);
    const ImageVolume reference = loadSeries(reference_, referenceUid_, *loadReference);
    requireVolume(reference, "reference");
    const double overlap = registration::boxOverlapFraction(reference, moving, fixedToMoving);
    if (overlap <= 0.0)
      throw Error(ErrorKind::InvalidInput,
                  "Under the transform in " + transform_.filename().string() +
                      " the moving series does not overlap the reference series at all; the "
                      "result would be empty. Check that the transform belongs to these two "
                      "series and maps reference (fixed) points to moving points.",
                  transform_.string());
    const double outside = outsideValue_ ? *outsideValue_ : registration::backgroundValue(moving);
    auto resample = subRange(progress, 0.6, 0.9);
    const ImageVolume resampled = registration::resampleOnto(moving, reference, fixedToMoving,
                                                             interpolation_, outside, *resample);
    progress.check();
    io::writeImageFile(resampled, output_);
    progress.report(1.0, "Written");
    return {{"output", output_.string()},
            {"name", resampled.name},
            {"transformKind", toString(fixedToMoving.kind)},
            {"interpolation", registration::toString(interpolation_)},
            {"outsideValue", outside},
            {"overlapFraction", overlap},
            {"movingSeriesInstanceUid", moving.dicom.seriesInstanceUid},
            {"referenceSeriesInstanceUid", reference.dicom.seriesInstanceUid},
            {"unit", resampled.unit},
            {"pixelType", toString(resampled.pixelType())},
            {"geometry", geometryJson(resampled.geometry())},
            {"assumptions", resampled.assumptions}};
  }

 private:
  std::filesystem::path moving_;
  std::string movingUid_;
  std::filesystem::path reference_;
  std::string referenceUid_;
  std::filesystem::path transform_;
  std::filesystem::path output_;
  registration::Interpolation interpolation_;
  std::optional<double> outsideValue_;
};

}  // namespace

std::unique_ptr<Job> makeResampleJob(const JobParameters& parameters) {
  return std::make_unique<ResampleJob>(parameters);
}

}  // namespace twinplan::engine
