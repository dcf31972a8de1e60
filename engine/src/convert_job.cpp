// Job "convert": one DICOM series (or a NIfTI/NRRD/MetaImage file) to an image file.

#include "job_kinds.h"
#include "twinplan/engine/case_import.h"
#include "twinplan/engine/jobs.h"
#include "twinplan/io/dicom_image2d.h"
#include "twinplan/io/image_file.h"

namespace twinplan::engine {
namespace {

class ConvertJob final : public Job {
 public:
  explicit ConvertJob(const JobParameters& p)
      : input_(p.file("input")),
        seriesUid_(p.text("seriesInstanceUid", "")),
        output_(p.file("output")) {
    p.rejectUnknown(
        {"input", "seriesInstanceUid", "output", "volume", "petBodyWeightSuv", "gzipLevel"});
    load_.volume = static_cast<std::size_t>(p.integer("volume", 0, 0, 100000));
    load_.petBodyWeightSuv = p.boolean("petBodyWeightSuv", false);
    gzipLevel_ = static_cast<int>(p.integer("gzipLevel", 6, 1, 9));
    if (p.has("gzipLevel") && !io::isNiftiGzName(output_))
      throw Error(ErrorKind::InvalidInput,
                  "Parameter \"gzipLevel\" of the convert job applies to .nii.gz output only, "
                  "not to " +
                      output_.filename().string() + ".",
                  "parameters.gzipLevel");
    if (!io::isImageFileName(output_))
      throw Error(ErrorKind::InvalidInput,
                  "Parameter \"output\" of the convert job must end in .nii, .nii.gz, .nrrd or "
                  ".mha (it is " +
                      output_.string() + ").",
                  "parameters.output");
  }
  std::string kind() const override { return "convert"; }
  nlohmann::json parameters() const override {
    return {{"input", input_.string()},
            {"seriesInstanceUid", seriesUid_},
            {"output", output_.string()},
            {"volume", load_.volume},
            {"petBodyWeightSuv", load_.petBodyWeightSuv},
            {"gzipLevel", gzipLevel_}};
  }
  nlohmann::json run(Progress& progress, CheckpointStore*) override {
    ImageVolume volume;
    if (std::filesystem::is_regular_file(input_) && io::isImageFileName(input_)) {
      volume = io::readImageFile(input_);
    } else {
      auto scan = subRange(progress, 0.0, 0.2);
      const io::DicomIndex index = io::scanDicom(input_, *scan);
      const io::DicomSeries& series = chooseVolumeSeries(index, seriesUid_, input_);
      auto load = subRange(progress, 0.2, 0.95);
      // A 2D or colour image is loaded as what it is, so that the writer says why it cannot be
      // exported instead of the volume loader complaining about missing positions.
      volume = io::loadForViewing(series, load_, *load);
    }
    progress.check();
    io::NiftiWriteOptions nifti;
    nifti.gzipLevel = gzipLevel_;
    io::writeImageFile(volume, output_, nifti);
    progress.report(1.0, "Written");
    return {{"output", output_.string()},
            {"seriesInstanceUid", volume.dicom.seriesInstanceUid},
            {"modality", volume.dicom.modality},
            {"pixelType", toString(volume.pixelType())},
            {"unit", volume.unit},
            {"geometry", geometryJson(volume.geometry())},
            {"assumptions", volume.assumptions}};
  }

 private:
  std::filesystem::path input_;
  std::string seriesUid_;
  std::filesystem::path output_;
  io::VolumeLoadOptions load_;
  int gzipLevel_ = 6;
};

}  // namespace

std::unique_ptr<Job> makeConvertJob(const JobParameters& parameters) {
  return std::make_unique<ConvertJob>(parameters);
}

}  // namespace twinplan::engine
