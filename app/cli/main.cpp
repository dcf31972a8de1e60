// twinplan-cli: a thin main over the library. Each command parses its arguments, calls the
// library and prints text (or JSON with --json). Exit codes are listed in exitCodeFor() and
// in docs/user-guide.md.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <cctype>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <functional>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>

#include "twinplan/core/case_file.h"
#include "twinplan/core/error.h"
#include "twinplan/core/job.h"
#include "twinplan/engine/jobs.h"
#include "twinplan/io/dicom_index.h"
#include "twinplan/io/dicom_volume.h"
#include "twinplan/io/image_file.h"
#include "twinplan/io/nifti_file.h"
#include "twinplan/phantom/phantom.h"

namespace fs = std::filesystem;
using nlohmann::json;
using namespace twinplan;

namespace {

std::atomic<bool> gInterrupted{false};
bool gJson = false;

// Progress on stderr as one rewritten line, only when stderr is a terminal (or forced).
class StderrProgress final : public Progress {
 public:
  explicit StderrProgress(bool show) : show_(show) {}
  ~StderrProgress() override {
    if (shown_) std::fputc('\n', stderr);
  }
  void report(double fraction, std::string_view step) override {
    if (!show_) return;
    const int percent = static_cast<int>(fraction * 100.0 + 0.5);
    if (percent == lastPercent_ && step == lastStep_) return;
    lastPercent_ = percent;
    lastStep_ = step;
    std::fprintf(stderr, "\r%3d%%  %-60.60s", percent, std::string(step).c_str());
    std::fflush(stderr);
    shown_ = true;
  }
  bool cancelRequested() const override { return gInterrupted.load(); }

 private:
  bool show_;
  bool shown_ = false;
  int lastPercent_ = -1;
  std::string lastStep_;
};

enum ExitCode {
  kOk = 0,
  kUsage = 2,
  kInvalidInput = 3,
  kNotFound = 4,
  kUnsupported = 5,
  kCorrupt = 6,
  kIo = 7,
  kInternal = 8,
  kCancelled = 130,
};

int exitCodeFor(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::InvalidInput:
      return kInvalidInput;
    case ErrorKind::NotFound:
      return kNotFound;
    case ErrorKind::Unsupported:
      return kUnsupported;
    case ErrorKind::Corrupt:
      return kCorrupt;
    case ErrorKind::Io:
    case ErrorKind::Network:
      return kIo;
    case ErrorKind::Internal:
      return kInternal;
  }
  return kInternal;
}

void printJson(const json& value) { std::cout << value.dump(2) << '\n'; }

std::string geometryText(const ImageGeometry& g) {
  char text[256];
  std::snprintf(text, sizeof text, "%lldx%lldx%lld voxels, %.4gx%.4gx%.4g mm",
                static_cast<long long>(g.size[0]), static_cast<long long>(g.size[1]),
                static_cast<long long>(g.size[2]), g.spacing_mm[0], g.spacing_mm[1],
                g.spacing_mm[2]);
  return text;
}

// ---- info ---------------------------------------------------------------------------------

void printIndexText(const io::DicomIndex& index) {
  std::cout << index.filesScanned << " files scanned, " << index.allSeries().size() << " series, "
            << index.skipped.size() << " skipped\n";
  for (const auto& patient : index.patients) {
    std::cout << "Patient " << (patient.name.empty() ? "(no name)" : patient.name) << "  ID "
              << patient.id << '\n';
    for (const auto& study : patient.studies) {
      std::cout << "  Study " << study.date << "  " << study.description << "  ["
                << study.studyInstanceUid << "]\n";
      for (const auto& series : study.series) {
        std::cout << "    #" << series.seriesNumber << " " << series.modality << " "
                  << io::toString(series.kind) << "  " << series.instances.size() << " files, "
                  << series.frameCount() << " frames  \"" << series.description << "\"  ["
                  << series.seriesInstanceUid << "]";
        if (!series.kindReason.empty()) std::cout << "  (" << series.kindReason << ")";
        std::cout << '\n';
      }
    }
  }
  if (!index.skipped.empty()) std::cout << "Skipped files:\n";
  for (const auto& skipped : index.skipped)
    std::cout << "  " << skipped.file.string() << ": " << skipped.reason << '\n';
}

int runInfo(const fs::path& path, Progress& progress) {
  const io::DicomIndex index = io::scanDicom(path, progress);
  if (gJson) {
    printJson(io::toJson(index));
  } else {
    printIndexText(index);
  }
  return kOk;
}

// ---- jobs: run, convert, case create ----------------------------------------------------

// Runs a job in the foreground; the exit code says how it ended. With --json, `run` prints the
// whole status and the other commands print the result alone (or {"error": ...}), as they did
// before they became jobs. The status also goes to `statusFile` when given.
int runJobAndReport(Job& job, Progress& progress, const fs::path& statusFile,
                    const std::function<void(const json&)>& printText, bool printStatus = false) {
  const JobStatus status = runJob(job, progress);
  const json statusJson = status.toJson(job);
  if (!statusFile.empty()) {
    std::ofstream out(statusFile);
    out << statusJson.dump(2) << '\n';
    if (!out) std::cerr << "twinplan-cli: cannot write " << statusFile.string() << '\n';
  }
  if (gJson && printStatus) printJson(statusJson);
  if (gJson && !printStatus)
    printJson(status.state == JobState::Succeeded ? status.result
              : status.state == JobState::Failed  ? json{{"error", status.error}}
                                                  : json{{"cancelled", true}});
  switch (status.state) {
    case JobState::Succeeded:
      if (!gJson && printText) printText(status.result);
      return kOk;
    case JobState::Cancelled:
      std::cerr << "twinplan-cli: cancelled; nothing was written"
                << " (a job that checkpoints resumes when run again).\n";
      return kCancelled;
    case JobState::Failed:
      break;
  }
  const json& error = status.error;
  std::cerr << "twinplan-cli: " << error["message"].get<std::string>();
  if (!error["context"].get<std::string>().empty())
    std::cerr << " [" << error["context"].get<std::string>() << "]";
  std::cerr << '\n';
  for (ErrorKind kind : {ErrorKind::InvalidInput, ErrorKind::Unsupported, ErrorKind::Corrupt,
                         ErrorKind::NotFound, ErrorKind::Io, ErrorKind::Network})
    if (error["kind"] == std::string(toString(kind))) return exitCodeFor(kind);
  return kInternal;
}

int runJobFile(const fs::path& file, const fs::path& statusFile, Progress& progress) {
  const json description = engine::readJobFile(file);
  const auto job = engine::makeJob(description, fs::absolute(file).parent_path());
  return runJobAndReport(
      *job, progress, statusFile, [](const json& result) { std::cout << result.dump(2) << '\n'; },
      true);
}

int runConvert(const fs::path& path, const std::string& uid, const fs::path& out,
               std::optional<int> gzipLevel, Progress& progress) {
  json parameters = {
      {"input", path.string()}, {"seriesInstanceUid", uid}, {"output", out.string()}};
  if (gzipLevel) parameters["gzipLevel"] = *gzipLevel;
  const auto job = engine::makeJob({{"job", "convert"}, {"parameters", parameters}});
  return runJobAndReport(*job, progress, {}, [](const json& r) {
    const json& g = r["geometry"];
    std::cout << "Wrote " << r["output"].get<std::string>() << ": "
              << r["modality"].get<std::string>() << " " << g["size"][0] << "x" << g["size"][1]
              << "x" << g["size"][2] << " voxels, " << g["spacing_mm"][0].get<double>() << "x"
              << g["spacing_mm"][1].get<double>() << "x" << g["spacing_mm"][2].get<double>()
              << " mm, " << r["pixelType"].get<std::string>() << '\n';
    for (const auto& assumption : r["assumptions"])
      std::cout << "  assumed: " << assumption.get<std::string>() << '\n';
  });
}

// ---- phantom ------------------------------------------------------------------------------

int runPhantom(const std::string& kind, const fs::path& out, std::uint32_t seed, bool oblique,
               Progress& progress) {
  phantom::PhantomOptions options;
  options.kind = phantom::phantomKindFromString(kind);
  options.seed = seed;
  options.oblique = oblique;
  auto make = subRange(progress, 0.0, 0.4);
  const phantom::Phantom generated = phantom::makePhantom(options, *make);
  auto write = subRange(progress, 0.4, 1.0);
  const phantom::PhantomFiles files = phantom::writePhantom(generated, out, *write);
  json tumours = json::array();
  for (const auto& t : generated.tumours)
    tumours.push_back({{"name", t.name},
                       {"centre_lps", {t.centre_lps[0], t.centre_lps[1], t.centre_lps[2]}},
                       {"diameter_mm", t.diameter_mm}});
  json series = json::array();
  for (const auto& dir : files.seriesDirs) series.push_back(dir.string());
  const json result = {{"kind", kind},
                       {"seed", seed},
                       {"series", series},
                       {"truthLabels", files.truthLabels.string()},
                       {"case", files.caseFile.string()},
                       {"tumours", tumours}};
  if (gJson) {
    printJson(result);
  } else {
    std::cout << "Phantom '" << kind << "' (seed " << seed << ") written to " << out.string()
              << '\n';
    for (const auto& dir : files.seriesDirs)
      std::cout << "  DICOM series: " << dir.string() << '\n';
    std::cout << "  true labels:  " << files.truthLabels.string() << '\n'
              << "  case file:    " << files.caseFile.string() << '\n';
    for (const auto& t : generated.tumours)
      std::cout << "  " << t.name << ": " << t.diameter_mm << " mm at LPS (" << t.centre_lps[0]
                << ", " << t.centre_lps[1] << ", " << t.centre_lps[2] << ")\n";
  }
  return kOk;
}

// ---- case ---------------------------------------------------------------------------------

json caseSummary(const Case& twin, const fs::path& file) {
  json volumes = json::array();
  for (const auto& v : twin.volumes)
    volumes.push_back({{"name", v.name},
                       {"modality", v.dicom.modality},
                       {"unit", v.unit},
                       {"pixelType", toString(v.pixelType())},
                       {"geometry", engine::geometryJson(v.geometry())}});
  json segments = json::array();
  for (const auto& labels : twin.labelMaps)
    for (std::size_t s = 0; s < labels.segments().size(); ++s) {
      const Segment& seg = labels.segments()[s];
      segments.push_back({{"labelMap", labels.name},
                          {"name", seg.name},
                          {"tissueType", seg.tissueType},
                          {"volume_ml", labels.volume_ml(s)}});
    }
  return {{"file", file.string()},
          {"formatVersion", caseFileVersion(file)},
          {"name", twin.name},
          {"patientName", twin.patientName},
          {"patientId", twin.patientId},
          {"seriesReferences", twin.series.size()},
          {"volumes", volumes},
          {"segments", segments},
          {"meshes", twin.meshes.size()},
          {"tetMeshes", twin.tetMeshes.size()},
          {"fields", twin.fields.size()},
          {"plans", twin.plans.size()},
          {"measurements", twin.measurements.size()}};
}

int runCaseInfo(const fs::path& file, Progress& progress) {
  const Case twin = loadCase(file, progress);
  const json summary = caseSummary(twin, file);
  if (gJson) {
    printJson(summary);
    return kOk;
  }
  std::cout << "Case \"" << twin.name << "\" (format " << summary["formatVersion"] << ")  patient "
            << twin.patientName << "  ID " << twin.patientId << '\n';
  for (const auto& v : twin.volumes)
    std::cout << "  volume " << v.name << ": " << v.dicom.modality << " "
              << geometryText(v.geometry()) << (v.unit.empty() ? "" : ", " + v.unit) << '\n';
  for (const auto& seg : summary["segments"])
    std::cout << "  segment " << seg["name"].get<std::string>() << " ("
              << seg["tissueType"].get<std::string>() << "): " << seg["volume_ml"].get<double>()
              << " ml\n";
  std::cout << "  " << twin.meshes.size() << " meshes, " << twin.plans.size() << " plans, "
            << twin.measurements.size() << " measurements, " << twin.fields.size() << " results\n";
  return kOk;
}

int runCaseCreate(const fs::path& dicom, const std::string& uid, const fs::path& out,
                  const std::string& name, Progress& progress) {
  const auto job = engine::makeJob({{"job", "import-series"},
                                    {"parameters",
                                     {{"dicom", dicom.string()},
                                      {"seriesInstanceUid", uid},
                                      {"output", out.string()},
                                      {"name", name}}}});
  return runJobAndReport(*job, progress, {}, [](const json& r) {
    std::cout << "Wrote case " << r["output"].get<std::string>() << " from series "
              << r["seriesInstanceUid"].get<std::string>() << '\n';
  });
}

// ---- segment: automatic presets ------------------------------------------------------------

int runSegment(const fs::path& casePath, const std::string& preset,
               const std::vector<std::string>& seeds, const std::string& volume,
               const fs::path& out, Progress& progress) {
  const auto job = engine::makeJob({{"job", "segment"},
                                    {"parameters",
                                     {{"case", casePath.string()},
                                      {"output", out.string()},
                                      {"preset", preset},
                                      {"volume", volume},
                                      {"seeds", seeds}}}});
  return runJobAndReport(*job, progress, {}, [](const json& r) {
    std::cout << "Segmented " << r["segment"].get<std::string>() << " ("
              << r["tissueType"].get<std::string>() << ") on " << r["volume"].get<std::string>()
              << ": " << r["volume_ml"].get<double>() << " ml; wrote "
              << r["output"].get<std::string>() << '\n';
  });
}

}  // namespace

int main(int argc, char** argv) {
  std::signal(SIGINT, [](int) { gInterrupted = true; });

  CLI::App app{
      "TwinPlan command-line interface: DICOM import, conversion, phantoms and case files."};
  app.require_subcommand(1);
  app.fallthrough();  // global flags (--json, --progress) also work after the subcommand
  bool forceProgress = false;
  app.add_flag("--json", gJson, "Print results as JSON on stdout");
  app.add_flag("--progress", forceProgress,
               "Show progress on stderr even when it is not a terminal");

  fs::path path, out;
  std::string seriesUid, kind = "abdomen", caseName;
  std::uint32_t seed = 1;
  bool oblique = false;

  auto* info = app.add_subcommand(
      "info", "List the patients, studies and series under PATH (folder, file or DICOMDIR)");
  info->add_option("PATH", path, "Folder, DICOM file or DICOMDIR")->required();

  auto* convert = app.add_subcommand(
      "convert", "Convert one DICOM series (or a NIfTI/NRRD image) to NRRD/NIfTI/MetaImage");
  convert->add_option("PATH", path, "Folder, DICOMDIR or image file")->required();
  convert->add_option("--series", seriesUid,
                      "SeriesInstanceUID (needed when PATH holds several volumes)");
  convert->add_option("--out", out, "Output file: .nrrd, .nii, .nii.gz, .mha")->required();
  std::optional<int> gzipLevel;
  convert
      ->add_option("--gzip-level", gzipLevel,
                   "zlib level of a .nii.gz: 1 fastest .. 9 smallest (default 6, as gzip)")
      ->check(CLI::Range(1, 9));

  auto* phantomCmd = app.add_subcommand(
      "phantom", "Write a digital phantom with ground truth (DICOM, labels, case)");
  phantomCmd->add_option("--kind", kind, "abdomen | head")
      ->check(CLI::IsMember({"abdomen", "head"}));
  phantomCmd->add_option("--out", out, "Output folder")->required();
  phantomCmd->add_option("--seed", seed, "Random seed for the noise (same seed, same voxels)");
  phantomCmd->add_flag("--oblique", oblique, "Tilt the acquisition grid");

  auto* caseCmd = app.add_subcommand("case", "Create or inspect TwinPlan case files (.twinplan)");
  caseCmd->require_subcommand(1);
  auto* caseInfo = caseCmd->add_subcommand("info", "Verify a case file and summarise it");
  caseInfo->add_option("FILE", path, "Case file")->required();
  auto* caseCreate = caseCmd->add_subcommand("create", "Create a case from a DICOM series");
  caseCreate->add_option("PATH", path, "Folder, DICOMDIR or DICOM file")->required();
  caseCreate->add_option("--series", seriesUid,
                         "SeriesInstanceUID (needed when PATH holds several volumes)");
  caseCreate->add_option("--out", out, "Case file to write (.twinplan)")->required();
  caseCreate->add_option("--name", caseName, "Case name (default: the patient's name)");

  std::string presetName, volumeName;
  std::vector<std::string> seedPoints;
  auto* segment = app.add_subcommand(
      "segment", "Run an automatic segmentation preset on a case and add its segment");
  segment->add_option("CASE", path, "Case file (.twinplan)")->required();
  segment->add_option("--preset", presetName, "body | bone | lungs | vessels | liver | brain")
      ->required();
  segment->add_option("--seed", seedPoints, "Seed point x,y,z in LPS mm (liver); repeatable")
      ->take_all();
  segment->add_option("--volume", volumeName, "Volume name (default: the first CT, or MR)");
  segment->add_option("--out", out, "Case file to write (may be CASE itself)")->required();

  fs::path statusFile;
  auto* run = app.add_subcommand(
      "run", "Run the job described by a JSON file (the batch entry point; see `jobs`)");
  run->add_option("JOB", path, "Job file: {\"job\": KIND, \"parameters\": {...}}")->required();
  run->add_option("--out", statusFile, "Also write the job's status and result (JSON) here");
  auto* jobs =
      app.add_subcommand("jobs", "List the jobs `run` knows, with their parameters (JSON)");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? kOk : kUsage;
  }

  StderrProgress progress(forceProgress || ::isatty(STDERR_FILENO));
  try {
    if (*info) return runInfo(path, progress);
    if (*convert) return runConvert(path, seriesUid, out, gzipLevel, progress);
    if (*phantomCmd) return runPhantom(kind, out, seed, oblique, progress);
    if (*caseInfo) return runCaseInfo(path, progress);
    if (*caseCreate) return runCaseCreate(path, seriesUid, out, caseName, progress);
    if (*segment) return runSegment(path, presetName, seedPoints, volumeName, out, progress);
    if (*run) return runJobFile(path, statusFile, progress);
    if (*jobs) {
      printJson(engine::catalogueJson());
      return kOk;
    }
  } catch (const Error& e) {
    if (gJson) printJson({{"error", errorJson(e)}});
    std::cerr << "twinplan-cli: " << e.what();
    if (!e.context().empty()) std::cerr << " [" << e.context() << "]";
    std::cerr << '\n';
    return exitCodeFor(e.kind());
  } catch (const Cancelled&) {
    std::cerr << "twinplan-cli: cancelled; nothing was written.\n";
    return kCancelled;
  } catch (const std::exception& e) {
    std::cerr << "twinplan-cli: internal error: " << e.what() << '\n';
    return kInternal;
  }
  return kUsage;
}
