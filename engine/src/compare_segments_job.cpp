// Job "compare-segments": overlap and surface distances between two segmentations of one
// structure (label images or segments of case files), as radiologists compare contours.

#include "job_kinds.h"
#include "twinplan/core/case_file.h"
#include "twinplan/io/image_file.h"
#include "twinplan/segmentation/segment_comparison.h"

namespace twinplan::engine {
namespace {

bool isCaseFile(const std::filesystem::path& path) { return path.extension() == ".twinplan"; }

// The structure in `file`: a segment of a case by name, or a label value of a label image.
segmentation::SegmentMask structureIn(const std::filesystem::path& file, const std::string& segment,
                                      double label, const char* which) {
  if (isCaseFile(file)) {
    const Case twin = loadCase(file);
    if (segment.empty())
      throw Error(ErrorKind::InvalidInput,
                  std::string("Name the segment of case ") + file.filename().string() +
                      " to compare (parameter \"segment" + which + "\").",
                  std::string("parameters.segment") + which);
    for (const LabelMap& labels : twin.labelMaps)
      if (auto index = labels.findSegment(segment))
        return segmentation::maskOfSegment(labels, *index);
    throw Error(ErrorKind::NotFound,
                "Case " + file.filename().string() + " has no segment \"" + segment + "\".",
                segment);
  }
  if (!io::isImageFileName(file))
    throw Error(ErrorKind::InvalidInput,
                "Compare label images (.nii, .nii.gz, .nrrd, .mha) or case files (.twinplan); " +
                    file.filename().string() + " is neither.",
                file.string());
  const ImageVolume labels = io::readImageFile(file);
  return segmentation::maskOfLabel(
      labels, label,
      file.filename().string() + (label != 0.0 ? " label " + std::to_string(int(label)) : ""));
}

class CompareSegmentsJob final : public Job {
 public:
  explicit CompareSegmentsJob(const JobParameters& p)
      : a_(p.file("a")),
        b_(p.file("b")),
        segmentA_(p.text("segmentA", "")),
        segmentB_(p.text("segmentB", segmentA_)),
        labelA_(p.number("labelA", 0, 0, 1e9)),
        labelB_(p.number("labelB", labelA_, 0, 1e9)) {
    p.rejectUnknown({"a", "b", "segmentA", "segmentB", "labelA", "labelB"});
  }
  std::string kind() const override { return "compare-segments"; }
  nlohmann::json parameters() const override {
    return {{"a", a_.string()},      {"b", b_.string()},  {"segmentA", segmentA_},
            {"segmentB", segmentB_}, {"labelA", labelA_}, {"labelB", labelB_}};
  }
  nlohmann::json run(Progress& progress, CheckpointStore*) override {
    const segmentation::SegmentMask a = structureIn(a_, segmentA_, labelA_, "A");
    const segmentation::SegmentMask b = structureIn(b_, segmentB_, labelB_, "B");
    progress.report(0.1, "Compared");
    auto rest = subRange(progress, 0.1, 1.0);
    nlohmann::json result =
        segmentation::comparisonJson(segmentation::compareSegments(a, b, *rest));
    result["a"] = a.name;
    result["b"] = b.name;
    return result;
  }

 private:
  std::filesystem::path a_, b_;
  std::string segmentA_, segmentB_;
  double labelA_, labelB_;
};

}  // namespace

std::unique_ptr<Job> makeCompareSegmentsJob(const JobParameters& parameters) {
  return std::make_unique<CompareSegmentsJob>(parameters);
}

}  // namespace twinplan::engine
