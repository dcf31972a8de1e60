#pragma once
// The job kinds of the catalogue (jobs.cpp), one file each.
#include <filesystem>
#include <memory>

#include "job_parameters.h"
#include "twinplan/core/job.h"

namespace twinplan::engine {

std::unique_ptr<Job> makeImportSeriesJob(const JobParameters& parameters);
std::unique_ptr<Job> makeBuildModelsJob(const JobParameters& parameters);
std::unique_ptr<Job> makeConvertJob(const JobParameters& parameters);
std::unique_ptr<Job> makeCompareSegmentsJob(const JobParameters& parameters);
std::unique_ptr<Job> makeExportMeshesJob(const JobParameters& parameters);
std::unique_ptr<Job> makeModelJob(const JobParameters& parameters);
std::unique_ptr<Job> makeImportMeshesJob(const JobParameters& parameters);
std::unique_ptr<Job> makeRegisterJob(const JobParameters& parameters);
std::unique_ptr<Job> makeResampleJob(const JobParameters& parameters);
std::unique_ptr<Job> makeSegmentJob(const JobParameters& parameters);
std::unique_ptr<Job> makeGrowthJob(const JobParameters& parameters);
std::unique_ptr<Job> makeAblateJob(const JobParameters& parameters);
std::unique_ptr<Job> makePlanAblationJob(const JobParameters& parameters);
std::unique_ptr<Job> makeShiftJob(const JobParameters& parameters);
std::unique_ptr<Job> makeAddDoseJob(const JobParameters& parameters);
std::unique_ptr<Job> makeDoseJob(const JobParameters& parameters);
std::unique_ptr<Job> makeCombineDosesJob(const JobParameters& parameters);
std::unique_ptr<Job> makePlanConformalJob(const JobParameters& parameters);
std::unique_ptr<Job> makeExportPlanJob(const JobParameters& parameters);

// The short summary of a case the jobs return: what it holds.
nlohmann::json caseSummary(const Case& twin, const std::filesystem::path& file);

}  // namespace twinplan::engine
