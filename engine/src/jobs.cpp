#include "twinplan/engine/jobs.h"

#include <fstream>
#include <sstream>

#include "job_kinds.h"
#include "twinplan/core/error.h"

namespace twinplan::engine {

namespace {
using Factory = std::unique_ptr<Job> (*)(const JobParameters&);
struct Entry {
  JobKindInfo info;
  Factory make;
};

const std::vector<Entry>& entries() {
  using J = nlohmann::json;
  static const std::vector<Entry> kEntries = {
      {{"import-series",
        "Import one DICOM image series as a new case file.",
        {{"dicom", "path", "Folder, DICOM file or DICOMDIR to scan", J()},
         {"seriesInstanceUid", "string", "The series to import; needed when there are several", ""},
         {"output", "path", "The case file to write (.twinplan)", J()},
         {"name", "string", "Case name (default: the patient's name)", ""}}},
       makeImportSeriesJob},
      {{"build-models",
        "Build closed surface models of a case's segments and store them in the case "
        "(resumes from its checkpoint after an interruption).",
        {{"case", "path", "The case file to read", J()},
         {"output", "path", "The case file to write (default: the input, in place)", "= case"},
         {"labelMap", "integer", "Which segmentation of the case (0: the first)", 0},
         {"segments", "list of strings", "Segment names (default: every segment)", J::array()},
         {"smoothingIterations", "integer", "Windowed-sinc iterations, 0..1000", 20},
         {"passBand", "number", "Windowed-sinc pass band, (0, 2]", 0.05},
         {"targetReduction", "number", "Fraction of triangles removed by decimation, 0..0.95", 0.5},
         {"maxTriangles", "integer", "Most triangles a model keeps (0: no limit)", 20000},
         {"checkpointInterval_s", "number", "Least time between checkpoints written", 30.0}}},
       makeBuildModelsJob},
      {{"convert",
        "Convert one DICOM series (or a NIfTI/NRRD/MetaImage file) to NIfTI, NRRD or MetaImage.",
        {{"input", "path", "Folder, DICOMDIR, DICOM file or image file", J()},
         {"seriesInstanceUid", "string", "The series; needed when there are several", ""},
         {"output", "path", "Output file: .nii, .nii.gz, .nrrd, .mha", J()},
         {"volume", "integer",
          "Which volume of a series holding several (echoes, time points), from 0", 0},
         {"petBodyWeightSuv", "boolean", "Convert PET in Bq/ml to body-weight SUV", false},
         {"gzipLevel", "integer", "zlib level of a .nii.gz, 1 fastest .. 9 smallest", 6}}},
       makeConvertJob},
      {{"segment",
        "Run an automatic segmentation preset (body, bone, lungs, vessels, liver, brain) on a "
        "volume of a case and add its segment, undoably, to the case.",
        {{"case", "path", "The case file to read", J()},
         {"output", "path", "The case file to write (default: the input, in place)", "= case"},
         {"preset", "string", "body, bone, lungs, vessels, liver (needs a seed) or brain (MR)",
          J()},
         {"volume", "string", "The volume (default: the first of the preset's modality)", ""},
         {"seeds", "list of strings", "Seed points \"x,y,z\" in LPS mm", J::array()}}},
       makeSegmentJob},
  };
  return kEntries;
}

std::string kindList() {
  std::string list;
  for (const Entry& e : entries()) list += (list.empty() ? "" : ", ") + e.info.kind;
  return list;
}
}  // namespace

const std::vector<JobKindInfo>& jobCatalogue() {
  static const std::vector<JobKindInfo> kCatalogue = [] {
    std::vector<JobKindInfo> list;
    for (const Entry& e : entries()) list.push_back(e.info);
    return list;
  }();
  return kCatalogue;
}

nlohmann::json catalogueJson() {
  nlohmann::json kinds = nlohmann::json::array();
  for (const JobKindInfo& info : jobCatalogue()) {
    nlohmann::json parameters = nlohmann::json::array();
    for (const JobParameterInfo& p : info.parameters) {
      nlohmann::json entry = {{"name", p.name},
                              {"type", p.type},
                              {"description", p.description},
                              {"required", p.defaultValue.is_null()}};
      if (!p.defaultValue.is_null()) entry["default"] = p.defaultValue;
      parameters.push_back(std::move(entry));
    }
    kinds.push_back({{"job", info.kind}, {"summary", info.summary}, {"parameters", parameters}});
  }
  return kinds;
}

std::unique_ptr<Job> makeJob(const nlohmann::json& description,
                             const std::filesystem::path& baseDir) {
  if (!description.is_object() || !description.contains("job") || !description["job"].is_string())
    throw Error(ErrorKind::InvalidInput,
                "A job description is a JSON object with \"job\" (one of " + kindList() +
                    ") and \"parameters\".",
                "job");
  for (const auto& [key, value] : description.items())
    if (key != "job" && key != "parameters")
      throw Error(
          ErrorKind::InvalidInput,
          "A job description has only \"job\" and \"parameters\"; \"" + key + "\" is not known.",
          key);
  const std::string kind = description["job"];
  const nlohmann::json parameters =
      description.contains("parameters") ? description["parameters"] : nlohmann::json::object();
  for (const Entry& e : entries())
    if (e.info.kind == kind) return e.make(JobParameters(parameters, kind, baseDir));
  throw Error(ErrorKind::InvalidInput,
              "There is no job \"" + kind + "\"; the jobs are " + kindList() + ".", "job");
}

nlohmann::json readJobFile(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) {
    std::error_code ec;
    throw Error(std::filesystem::exists(file, ec) ? ErrorKind::Io : ErrorKind::NotFound,
                "Cannot read the job file " + file.string() + ".", file.string());
  }
  std::stringstream text;
  text << in.rdbuf();
  try {
    return nlohmann::json::parse(text.str());
  } catch (const nlohmann::json::parse_error& e) {
    throw Error(ErrorKind::InvalidInput,
                "The job file " + file.string() + " is not valid JSON: " + e.what(), file.string());
  }
}

nlohmann::json geometryJson(const ImageGeometry& g) {
  nlohmann::json direction = nlohmann::json::array();
  for (int r = 0; r < 3; ++r)
    direction.push_back({g.direction(r, 0), g.direction(r, 1), g.direction(r, 2)});
  return {{"size", g.size},
          {"spacing_mm", {g.spacing_mm[0], g.spacing_mm[1], g.spacing_mm[2]}},
          {"origin_lps", {g.origin_lps[0], g.origin_lps[1], g.origin_lps[2]}},
          {"direction", direction}};
}

nlohmann::json caseSummary(const Case& twin, const std::filesystem::path& file) {
  nlohmann::json volumes = nlohmann::json::array();
  for (const auto& v : twin.volumes)
    volumes.push_back({{"name", v.name},
                       {"modality", v.dicom.modality},
                       {"unit", v.unit},
                       {"size", v.geometry().size}});
  return {{"output", file.string()},     {"name", twin.name},  {"patientName", twin.patientName},
          {"patientId", twin.patientId}, {"volumes", volumes}, {"meshes", twin.meshes.size()}};
}

}  // namespace twinplan::engine
