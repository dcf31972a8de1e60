// Job "import-series": a DICOM series becomes a new case file.
#include "job_kinds.h"
#include "twinplan/core/case_file.h"
#include "twinplan/engine/case_import.h"

namespace twinplan::engine {
namespace {

class ImportSeriesJob final : public Job {
 public:
  explicit ImportSeriesJob(const JobParameters& p)
      : dicom_(p.file("dicom")),
        seriesUid_(p.text("seriesInstanceUid", "")),
        output_(p.file("output")),
        name_(p.text("name", "")) {
    p.rejectUnknown({"dicom", "seriesInstanceUid", "output", "name"});
  }
  std::string kind() const override { return "import-series"; }
  nlohmann::json parameters() const override {
    return {{"dicom", dicom_.string()},
            {"seriesInstanceUid", seriesUid_},
            {"output", output_.string()},
            {"name", name_}};
  }
  nlohmann::json run(Progress& progress, CheckpointStore*) override {
    auto import = subRange(progress, 0.0, 0.8);
    const Case twin = importCase(dicom_, seriesUid_, *import, name_);
    auto save = subRange(progress, 0.8, 1.0);
    saveCase(twin, output_, *save);
    nlohmann::json result = caseSummary(twin, output_);
    result["seriesInstanceUid"] = twin.series.front().seriesInstanceUid;
    result["assumptions"] = twin.volumes.front().assumptions;
    return result;
  }

 private:
  std::filesystem::path dicom_;
  std::string seriesUid_;
  std::filesystem::path output_;
  std::string name_;
};

}  // namespace

std::unique_ptr<Job> makeImportSeriesJob(const JobParameters& parameters) {
  return std::make_unique<ImportSeriesJob>(parameters);
}

}  // namespace twinplan::engine
