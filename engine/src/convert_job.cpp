// Job "convert": one DICOM series (or a NIfTI/NRRD/MetaImage file) to an image file; with a
// reference series, an RTSTRUCT or SEG to a label image (+ JSON sidecar) and a label image to a
// SEG or RTSTRUCT (segments_convert.h).

#include "job_kinds.h"
#include "segments_convert.h"
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
        output_(p.file("output")),
        reference_(p.file("reference", "")),
        referenceUid_(p.text("referenceSeriesInstanceUid", "")),
        format_(p.text("format", "")),
        split_(p.boolean("split", false)) {
    p.rejectUnknown({"input", "seriesInstanceUid", "output", "volume", "petBodyWeightSuv",
                     "gzipLevel", "reference", "referenceSeriesInstanceUid", "format", "split"});
    load_.volume = static_cast<std::size_t>(p.integer("volume", 0, 0, 100000));
    load_.petBodyWeightSuv = p.boolean("petBodyWeightSuv", false);
    gzipLevel_ = static_cast<int>(p.integer("gzipLevel", 6, 1, 9));
    if (p.has("gzipLevel") && !io::isNiftiGzName(output_))
      throw Error(ErrorKind::InvalidInput,
                  "Parameter \"gzipLevel\" of the convert job applies to .nii.gz output only, "
                  "not to " +
                      output_.filename().string() + ".",
                  "parameters.gzipLevel");
    toDicomObject_ = output_.extension() == ".dcm" || output_.extension() == ".DCM";
    if (!io::isImageFileName(output_) && !toDicomObject_)
      throw Error(ErrorKind::InvalidInput,
                  "Parameter \"output\" of the convert job must end in .nii, .nii.gz, .nrrd, "
                  ".mha, or .dcm for a SEG or RTSTRUCT (it is " +
                      output_.string() + ").",
                  "parameters.output");
    if (toDicomObject_) {
      format_ = segmentsFormat(output_, format_);
      if (reference_.empty())
        throw Error(ErrorKind::InvalidInput,
                    "Writing a DICOM SEG or RTSTRUCT needs the image series it refers to "
                    "(parameter \"reference\", --reference SERIES_DIR).",
                    "parameters.reference");
    } else if (!format_.empty()) {
      throw Error(ErrorKind::InvalidInput,
                  "Parameter \"format\" applies to .dcm output (a SEG or RTSTRUCT) only.",
                  "parameters.format");
    }
  }
  std::string kind() const override { return "convert"; }
  nlohmann::json parameters() const override {
    return {{"input", input_.string()},
            {"seriesInstanceUid", seriesUid_},
            {"output", output_.string()},
            {"volume", load_.volume},
            {"petBodyWeightSuv", load_.petBodyWeightSuv},
            {"gzipLevel", gzipLevel_},
            {"reference", reference_.string()},
            {"referenceSeriesInstanceUid", referenceUid_},
            {"format", format_},
            {"split", split_}};
  }
  nlohmann::json run(Progress& progress, CheckpointStore*) override {
    if (toDicomObject_ || isStructureObject(input_)) return runStructures(progress);
    if (!reference_.empty() || split_)
      throw Error(ErrorKind::InvalidInput,
                  "Parameters \"reference\" and \"split\" apply to an RTSTRUCT or SEG input, "
                  "or to .dcm output; " +
                      input_.string() + " is neither an RTSTRUCT nor a SEG.",
                  "parameters.reference");
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
  nlohmann::json runStructures(Progress& progress) {
    if (reference_.empty())
      throw Error(ErrorKind::InvalidInput,
                  input_.string() +
                      " is an RTSTRUCT or SEG: its structures are rasterised on an image series; "
                      "give it (parameter \"reference\", --reference SERIES_DIR).",
                  "parameters.reference");
    auto scan = subRange(progress, 0.0, 0.1);
    const io::DicomIndex index = io::scanDicom(reference_, *scan);
    const io::DicomSeries& series = chooseVolumeSeries(index, referenceUid_, reference_);
    auto load = subRange(progress, 0.1, 0.5);
    const io::ReferenceSeries reference = io::referenceFromSeries(series, *load);
    auto convert = subRange(progress, 0.5, 1.0);
    if (toDicomObject_) {
      if (!io::isImageFileName(input_))
        throw Error(ErrorKind::InvalidInput,
                    "To write a SEG or RTSTRUCT the input must be a label image (.nii.gz, "
                    ".nrrd ...); " +
                        input_.string() + " is not.",
                    "parameters.input");
      return labelImageToStructures(input_, reference, output_, format_, *convert);
    }
    return structuresToLabelImage(input_, reference, output_, split_, gzipLevel_, *convert);
  }

  std::filesystem::path input_;
  std::string seriesUid_;
  std::filesystem::path output_;
  io::VolumeLoadOptions load_;
  int gzipLevel_ = 6;
  std::filesystem::path reference_;
  std::string referenceUid_, format_;
  bool split_ = false;
  bool toDicomObject_ = false;
};

}  // namespace

std::unique_ptr<Job> makeConvertJob(const JobParameters& parameters) {
  return std::make_unique<ConvertJob>(parameters);
}

}  // namespace twinplan::engine
