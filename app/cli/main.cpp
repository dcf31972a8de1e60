// twinplan-cli: a thin main over the library. Each command parses its arguments, calls the
// library and prints text (or JSON with --json). Exit codes are listed in exitCodeFor() and
// in docs/user-guide.md.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>

#include "cli_options.h"
#include "dose_command.h"
#include "dose_sum_command.h"
#include "dvh_command.h"
#include "fem_command.h"
#include "gamma_command.h"
#include "glioma_command.h"
#include "plan_command.h"
#include "radiobiology_command.h"
#include "segment_command.h"
#include "shift_command.h"
#include "teach_command.h"
#include "twinplan/core/case_file.h"
#include "twinplan/core/error.h"
#include "twinplan/core/job.h"
#include "twinplan/engine/ablation.h"
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

using cli::printJson;

// ", NTCP x (model), TCP y" for a DVH entry with radiobiology, else "".
std::string radiobiologyText(const json& structure) {
  std::ostringstream text;
  if (structure.contains("ntcp"))
    text << ", NTCP " << structure["ntcp"]["ntcp"].get<double>() << " ("
         << structure["ntcp"]["model"].get<std::string>() << ", gEUD "
         << structure["ntcp"]["geud_gy"].get<double>() << " Gy)";
  if (structure.contains("tcp")) text << ", TCP " << structure["tcp"]["tcp"].get<double>();
  return text.str();
}

// The constraint table of `dvh --constraints` as text: one line per judged constraint.
void printConstraintTable(const json& table) {
  std::cout << "Constraints (" << table["protocol"].get<std::string>()
            << "): " << table["failed"].get<int>() << " failed\n";
  for (const json& r : table["results"])
    std::cout << "  " << (r["pass"].get<bool>() ? "pass" : "FAIL")
              << (r["borderline"].get<bool>() ? " (borderline)" : "") << "  "
              << r["roi"].get<std::string>() << " " << r["metric"].get<std::string>() << " "
              << r["value"].get<double>() << " " << r["unit"].get<std::string>() << " (limit "
              << r["limit"].get<std::string>() << ")\n";
  for (const json& n : table["not_evaluated"])
    std::cout << "  not judged: " << n.get<std::string>() << '\n';
}

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
  return runJobAndReport(*job, progress, statusFile, printJson, true);
}

// What `convert` does besides series -> image: structures <-> label images (convert job).
struct StructureConvertOptions {
  fs::path reference;
  std::string referenceUid, format;
  bool split = false;
};

void printStructureConversion(const json& r) {
  if (r.contains("sidecar")) {
    std::cout << "Wrote " << r["files"].size() << " label image(s) from the "
              << r["sourceKind"].get<std::string>() << " and " << r["sidecar"].get<std::string>()
              << '\n';
  } else {
    std::cout << "Wrote " << r["output"].get<std::string>() << " ("
              << r["format"].get<std::string>() << ")\n";
  }
  for (const auto& label : r["labels"])
    std::cout << "  " << label["value"] << "  " << label["name"].get<std::string>() << "  "
              << label["volume_ml"].get<double>() << " ml\n";
  if (r.contains("overlappingVoxels") && r["overlappingVoxels"].get<long long>() > 0)
    std::cout << "  " << r["overlappingVoxels"]
              << " voxels lie in several structures: the smaller structure's value was kept "
                 "(--split writes one file per structure)\n";
  if (r.contains("notes"))
    for (const auto& note : r["notes"]) std::cout << "  note: " << note.get<std::string>() << '\n';
}

int runConvert(const fs::path& path, const std::string& uid, const fs::path& out,
               std::optional<int> gzipLevel, const StructureConvertOptions& structures,
               Progress& progress) {
  json parameters = {
      {"input", path.string()}, {"seriesInstanceUid", uid}, {"output", out.string()}};
  if (gzipLevel) parameters["gzipLevel"] = *gzipLevel;
  const bool structureConversion = !structures.reference.empty();
  if (structureConversion) {
    parameters["reference"] = structures.reference.string();
    parameters["referenceSeriesInstanceUid"] = structures.referenceUid;
    parameters["split"] = structures.split;
  }
  if (!structures.format.empty()) parameters["format"] = structures.format;
  const auto job = engine::makeJob({{"job", "convert"}, {"parameters", parameters}});
  if (structureConversion) return runJobAndReport(*job, progress, {}, printStructureConversion);
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

int runResample(const json& parameters, Progress& progress) {
  const auto job = engine::makeJob({{"job", "resample"}, {"parameters", parameters}});
  return runJobAndReport(*job, progress, {}, [](const json& r) {
    const json& g = r["geometry"];
    std::cout << "Wrote " << r["output"].get<std::string>() << ": " << r["name"].get<std::string>()
              << ", " << g["size"][0] << "x" << g["size"][1] << "x" << g["size"][2] << " voxels ("
              << r["transformKind"].get<std::string>() << " transform, "
              << r["interpolation"].get<std::string>() << " interpolation, "
              << r["outsideValue"].get<double>() << " outside)\n";
  });
}

// Registers MOVING onto FIXED through the "register" job; --json prints the job's result:
// {method, metric_value, iterations, rotation_deg, translation_mm, tre_mm, time_s, ...}.
int runRegister(const fs::path& fixed, const fs::path& moving, const json& options,
                Progress& progress) {
  json parameters = options;
  parameters["fixed"] = fs::absolute(fixed).string();
  parameters["moving"] = fs::absolute(moving).string();
  const auto job = engine::makeJob({{"job", "register"}, {"parameters", parameters}});
  return runJobAndReport(*job, progress, {}, [](const json& r) {
    std::cout << "Registered " << r["moving"].get<std::string>() << " onto "
              << r["fixed"].get<std::string>() << " (" << r["method"].get<std::string>() << ")\n";
    if (r.contains("rotation_deg"))
      std::cout << "  rotation " << r["rotation_deg"].dump() << " deg, translation "
                << r["translation_mm"].dump() << " mm\n";
    if (!r["metric_value"].is_null())
      std::cout << "  Mattes MI " << r["metric_value"].get<double>() << " after "
                << r["iterations"].get<int>() << " iterations\n";
    if (r.contains("tre_mm"))
      std::cout << "  landmark error: mean " << r["tre_mm"].get<double>() << " mm, max "
                << r["tre_max_mm"].get<double>() << " mm\n";
    if (r.contains("transform_file"))
      std::cout << "  wrote " << r["transform_file"].get<std::string>() << '\n';
    std::cout << "  " << r["time_s"].get<double>() << " s\n";
  });
}

// The follow-up growth table of a case through the "growth" job; --json prints the job's result
// (schema: docs/architecture.md, "Follow-up growth table").
void printGrowthTable(const json& r) {
  std::cout << "Growth from baseline " << r["baseline"].get<std::string>() << '\n';
  for (const json& p : r["time_points"])
    std::cout << "  day " << p["day"].get<int>() << ": " << p["study_date"].get<std::string>()
              << " (" << p["label_maps"].size() << " label maps)\n";
  auto orDash = [](const json& v, int precision) {
    if (v.is_null()) return std::string("-");
    std::ostringstream text;
    text << std::fixed << std::setprecision(precision) << v.get<double>();
    return text.str();
  };
  for (const json& s : r["segments"]) {
    std::cout << s["name"].get<std::string>() << ":";
    for (const json& v : s["volumes"])
      std::cout << "  " << v["study_date"].get<std::string>() << " " << orDash(v["volume_ml"], 2)
                << " ml";
    std::cout << "\n  change " << orDash(s["change_ml"], 2) << " ml ("
              << orDash(s["change_percent"], 1) << " %), growth rate "
              << orDash(s["growth_rate_per_day"], 5) << " /day, doubling time "
              << orDash(s["doubling_time_days"], 1) << " days";
    if (s["new"].get<bool>()) std::cout << ", NEW";
    if (s["disappeared"].get<bool>()) std::cout << ", DISAPPEARED";
    std::cout << '\n';
  }
  if (r.contains("registrations"))
    for (const json& g : r["registrations"])
      std::cout << "Follow-up " << g["follow_up"].get<std::string>() << ": "
                << (g["registered"].get<bool>()
                        ? std::string("registered")
                        : "not registered, " + g["reason"].get<std::string>())
                << '\n';
  for (const json& note : r["notes"]) std::cout << "Note: " << note.get<std::string>() << '\n';
  std::cout << "Volume changes only; " << r["recist_context"].get<std::string>() << '\n';
}

int runGrowth(const json& parameters, Progress& progress) {
  const auto job = engine::makeJob({{"job", "growth"}, {"parameters", parameters}});
  return runJobAndReport(*job, progress, {}, printGrowthTable);
}

// ---- ablate -------------------------------------------------------------------------------

// One probe's thermal ablation through the "ablate" job; --json prints the job's result
// (docs/user-guide.md, "Thermal ablation").
void printAblation(const json& r) {
  const json& axes = r["axes_mm"];
  std::cout << std::fixed << std::setprecision(1) << r["device"].get<std::string>() << " at "
            << r["power_W"].get<double>() << " W for " << r["duration_s"].get<double>()
            << " s\n  zone " << r["zone_volume_ml"].get<double>() << " ml, axes "
            << axes[0].get<double>() << " x " << axes[1].get<double>() << " x "
            << axes[2].get<double>() << " mm by " << r["zone_criterion_rule"].get<std::string>()
            << ", hottest " << r["max_temperature_degC"].get<double>() << " degC\n";
  if (r.contains("tumour")) {
    std::cout << "  " << r["tumour"].get<std::string>() << ": "
              << r["coverage_percent"].get<double>() << " % of tumour + "
              << r["margin_mm"].get<double>() << " mm covered (the tumour itself "
              << r["tumour_coverage_percent"].get<double>() << " %), minimal ablative margin ";
    // One figure: the margin map's minimum (engine/ablation_margin_map.h tumourMarginReport).
    if (r["min_margin_mm"].is_number())
      std::cout << r["min_margin_mm"].get<double>() << " mm ("
                << r["min_margin_measure"].get<std::string>() << ")\n";
    else
      std::cout << "none (no ablation zone)\n";
  }
  for (const auto& [name, d] : r["critical_damage"].items())
    if (d["ablated_ml"].get<double>() > 0.0)
      std::cout << "  " << name << (d["critical"].get<bool>() ? " (critical)" : "") << ": "
                << d["ablated_ml"].get<double>() << " ml ablated ("
                << d["ablated_percent"].get<double>() << " % of it on the grid)\n";
  if (r.contains("probe_points"))
    for (const json& p : r["probe_points"]) {
      // The hottest the point got and its temperature at the end (the JSON has every step).
      double hottest = -1e9;
      for (const json& t : p["temperature_degC"]) hottest = std::max(hottest, t.get<double>());
      std::cout << "  at " << p["position_mm"].dump() << " mm: hottest " << hottest
                << " degC, at the end " << p["temperature_degC"].back().get<double>() << " degC\n";
    }
  if (r.contains("exported"))
    for (const json& f : r["exported"]) std::cout << "  wrote " << f.get<std::string>() << '\n';
}

int runAblate(const json& parameters, Progress& progress) {
  const auto job = engine::makeJob({{"job", "ablate"}, {"parameters", parameters}});
  return runJobAndReport(*job, progress, {}, printAblation);
}

// Ranked plans through the "plan-ablation" job; --json prints the job's result.
void printPlans(const json& r) {
  std::cout << std::fixed << std::setprecision(1) << r["tumour"].get<std::string>() << " ("
            << r["tumour_volume_ml"].get<double>() << " ml) + " << r["margin_mm"].get<double>()
            << " mm with " << r["device"].get<std::string>() << ": "
            << r["paths_feasible"].get<std::size_t>() << " of "
            << r["paths_tried"].get<std::size_t>() << " needle directions feasible\n";
  for (const json& f : r["refused_paths"])
    std::cout << "  " << f["reason"].get<std::string>() << " (" << f["count"].get<std::size_t>()
              << "; e.g. " << f["example"].get<std::string>() << ")\n";
  for (const json& p : r["plans"]) {
    std::cout << "#" << p["rank"].get<int>() << " " << p["reasons"].get<std::string>() << '\n';
    for (const json& probe : p["probes"])
      std::cout << "    tip " << probe["tip_lps"][0].get<double>() << ","
                << probe["tip_lps"][1].get<double>() << "," << probe["tip_lps"][2].get<double>()
                << "  entry " << probe["entry_lps"][0].get<double>() << ","
                << probe["entry_lps"][1].get<double>() << "," << probe["entry_lps"][2].get<double>()
                << "  depth " << probe["depth_mm"].get<double>() << " mm\n";
  }
}

int runPlanAblation(const json& parameters, Progress& progress) {
  const auto job = engine::makeJob({{"job", "plan-ablation"}, {"parameters", parameters}});
  return runJobAndReport(*job, progress, {}, printPlans);
}

// A ramp generator's protocol in words (ablationDevicesJson's "ramp"; its power_W is where the
// ramp starts): "30 W rising 10 W/min to a roll-off ('boiling'); 2 applications, 30 s apart,
// each after the first holding 50 % of the roll-off power".
std::string rampProtocolText(const json& d) {
  const json& r = d["ramp"];
  std::ostringstream text;
  text << d["power_W"].get<double>() << " W rising " << r["rate_W_per_min"].get<double>()
       << " W/min to a roll-off ('" << r["roll_off"].get<std::string>() << "')";
  const int applications = r["applications"].get<int>();
  if (applications == 1) return text.str() + ", which ends it";
  text << "; " << applications << " applications, " << r["pause_s"].get<double>()
       << " s apart, each after the first ";
  const double fraction = r["restart_fraction"].get<double>();
  if (fraction > 0.0)
    text << "holding " << fraction * 100.0 << " % of the roll-off power";
  else
    text << "the ramp again";
  return text.str();
}

int listAblationDevices() {
  const json devices = engine::ablationDevicesJson();
  if (gJson) {
    printJson(devices);
    return kOk;
  }
  for (const json& d : devices) {
    std::cout << d["id"].get<std::string>() << "  " << d["type"].get<std::string>() << ", "
              << d["power_W"].get<double>() << " W, " << d["duration_s"].get<double>() << " s ("
              << d["control"].get<std::string>() << ")  " << d["name"].get<std::string>()
              << "\n    source: " << d["sources"]["generator"].get<std::string>() << '\n';
    if (!d["ramp"].is_null()) std::cout << "    protocol: " << rampProtocolText(d) << '\n';
  }
  return kOk;
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
  // Each result with its id: what jobs such as combine-doses take to tell two of one name apart.
  json results = json::array();
  for (const ScalarField& f : twin.fields)
    results.push_back({{"id", f.id}, {"name", f.name}, {"quantity", f.quantity}, {"unit", f.unit}});
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
          {"results", results},
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
  for (const ScalarField& f : twin.fields)
    std::cout << "  result " << f.id << ": " << f.name << " (" << f.quantity << ", " << f.unit
              << ")\n";
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

int runCaseAddDose(const fs::path& twin, const fs::path& dose, const fs::path& out,
                   Progress& progress) {
  const auto job = engine::makeJob(
      {{"job", "add-dose"},
       {"parameters",
        {{"case", twin.string()}, {"dose", dose.string()}, {"output", out.string()}}}});
  return runJobAndReport(*job, progress, {}, [](const json& r) {
    std::cout << "Added \"" << r["field"].get<std::string>() << "\" (max "
              << r["max_gy"].get<double>() << " Gy, " << r["summation_type"].get<std::string>()
              << ") to " << r["output"].get<std::string>() << '\n';
    for (const auto& note : r["notes"]) std::cout << "  note: " << note.get<std::string>() << '\n';
  });
}

struct MetricsOptions {
  std::string segmentA, segmentB;
  double labelA = 0, labelB = -1;
};

int runMetrics(const fs::path& a, const fs::path& b, const MetricsOptions& o, Progress& progress) {
  const auto job = engine::makeJob({{"job", "compare-segments"},
                                    {"parameters",
                                     {{"a", a.string()},
                                      {"b", b.string()},
                                      {"segmentA", o.segmentA},
                                      {"segmentB", o.segmentB.empty() ? o.segmentA : o.segmentB},
                                      {"labelA", o.labelA},
                                      {"labelB", o.labelB < 0 ? o.labelA : o.labelB}}}});
  return runJobAndReport(*job, progress, {}, [](const json& r) {
    std::cout << r["a"].get<std::string>() << " vs " << r["b"].get<std::string>() << '\n';
    const std::pair<const char*, const char*> rows[] = {
        {"dice", "Dice"},
        {"jaccard", "Jaccard"},
        {"hausdorff_mm", "Hausdorff (mm)"},
        {"hausdorff95_mm", "Hausdorff 95% (mm)"},
        {"mean_surface_distance_mm", "Mean surface distance (mm)"},
        {"volume_a_ml", "Volume A (ml)"},
        {"volume_b_ml", "Volume B (ml)"},
        {"volume_difference_percent", "Volume difference B-A (%)"}};
    for (const auto& [key, label] : rows)
      std::cout << "  " << label << ": " << r[key].get<double>() << '\n';
  });
}

int runExportMeshes(const fs::path& twin, const fs::path& out,
                    const std::vector<std::string>& meshes, bool forPrinting, bool repair,
                    Progress& progress) {
  const auto job = engine::makeJob({{"job", "export-meshes"},
                                    {"parameters",
                                     {{"case", twin.string()},
                                      {"output", out.string()},
                                      {"meshes", meshes},
                                      {"forPrinting", forPrinting},
                                      {"repair", repair}}}});
  return runJobAndReport(*job, progress, {}, [](const json& r) {
    std::cout << "Wrote " << r["output"].get<std::string>() << '\n';
    for (const json& m : r["models"]) {
      char line[256];
      std::snprintf(line, sizeof line, "  %s: %zu triangles, %s, %.2f ml, %.2f cm2%s\n",
                    m["name"].get<std::string>().c_str(), m["triangles"].get<std::size_t>(),
                    m["closed"].get<bool>() ? "closed" : "open", m["volume_ml"].get<double>(),
                    m["area_cm2"].get<double>(), m["repaired"].get<bool>() ? " (repaired)" : "");
      std::cout << line;
    }
  });
}

int runModel(const fs::path& dicom, const std::string& uid, const fs::path& out,
             const std::vector<std::string>& presets, Progress& progress) {
  const auto job = engine::makeJob({{"job", "model"},
                                    {"parameters",
                                     {{"dicom", dicom.string()},
                                      {"seriesInstanceUid", uid},
                                      {"output", out.string()},
                                      {"presets", presets}}}});
  return runJobAndReport(*job, progress, {}, [](const json& r) {
    std::cout << "Wrote " << r["output"].get<std::string>() << '\n';
    for (const json& s : r["segments"]) {
      char line[256];
      std::snprintf(line, sizeof line, "  %s: %.1f ml (mesh %.1f ml, %.1f cm2, %s)\n",
                    s["name"].get<std::string>().c_str(), s["voxel_volume_ml"].get<double>(),
                    s["mesh_volume_ml"].get<double>(), s["area_cm2"].get<double>(),
                    s["closed"].get<bool>() ? "closed" : "open");
      std::cout << line;
    }
    for (const json& note : r["notes"]) std::cout << "  note: " << note.get<std::string>() << '\n';
  });
}

// ---- segment ------------------------------------------------------------------------------

int runSegment(const cli::SegmentToolArguments& arguments, Progress& progress) {
  cli::printResult(cli::runSegmentTool(arguments, progress), gJson, [](const json& r) {
    std::cout << r["operation"].get<std::string>() << ": " << r["volumeBefore_ml"].get<double>()
              << " ml -> " << r["volumeAfter_ml"].get<double>() << " ml; wrote "
              << r["output"].get<std::string>() << '\n';
  });
  return kOk;
}

// ---- segment: automatic presets ------------------------------------------------------------

int runSegmentPreset(const fs::path& casePath, const std::string& preset,
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
    // One line per segment the preset made (the lungs preset makes two or three).
    for (const json& s : r["segments"])
      std::cout << "Segmented " << s["name"].get<std::string>() << " ("
                << s["tissueType"].get<std::string>() << ") on " << r["volume"].get<std::string>()
                << ": " << s["volume_ml"].get<double>() << " ml\n";
    std::cout << "Wrote " << r["output"].get<std::string>() << '\n';
  });
}

// ---- xr-render ----------------------------------------------------------------------------

// Where "xr-render" stands as the subcommand (after global flags only), setting gJson for a
// --json before it; 0 when the command is another.
int xrRenderArgument(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (a == "xr-render") return i;
    if (a == "--json") {
      gJson = true;
    } else if (a != "--progress") {
      break;
    }
  }
  gJson = false;
  return 0;
}

// The headset view needs OpenGL, VTK and OpenXR, which the CLI never links (DESIGN.md section
// 1: it runs without a display): it lives in twinplan-xr-render, installed beside the CLI,
// which this replaces the process with, so its output and exit code are the command's own.
int runXrRender(std::vector<std::string> arguments) {
  std::error_code error;
  const fs::path self = fs::read_symlink("/proc/self/exe", error);
  const fs::path program = self.parent_path() / "twinplan-xr-render";
  if (error || !fs::exists(program))
    throw Error(ErrorKind::NotFound,
                "This TwinPlan has no headset view: twinplan-xr-render is not installed beside "
                "twinplan-cli. Install the desktop package (or build with "
                "-DTWINPLAN_BUILD_GUI=ON), then try again.",
                program.string());
  if (gJson && std::find(arguments.begin(), arguments.end(), "--json") == arguments.end())
    arguments.emplace_back("--json");
  std::vector<char*> argv{const_cast<char*>(program.c_str())};
  for (std::string& a : arguments) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::cout.flush();
  ::execv(program.c_str(), argv.data());
  throw Error(ErrorKind::Io,
              std::string("Could not start the headset view: ") + std::strerror(errno) + ".",
              program.string());
}

}  // namespace

int main(int argc, char** argv) {
  std::signal(SIGINT, [](int) { gInterrupted = true; });
  if (const int at = xrRenderArgument(argc, argv); at > 0) {
    try {
      return runXrRender(std::vector<std::string>(argv + at + 1, argv + argc));
    } catch (const Error& e) {
      if (gJson) printJson({{"error", errorJson(e)}});
      std::cerr << "twinplan-cli: " << e.what() << " [" << e.context() << "]\n";
      return exitCodeFor(e.kind());
    }
  }

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
      "convert",
      "Convert one DICOM series (or a NIfTI/NRRD image) to NRRD/NIfTI/MetaImage; an RTSTRUCT or "
      "SEG to a label image + JSON sidecar, or a label image to a SEG/RTSTRUCT (--reference)");
  convert->add_option("PATH", path, "Folder, DICOMDIR, image file, RTSTRUCT or SEG file")
      ->required();
  convert->add_option("--series", seriesUid,
                      "SeriesInstanceUID (needed when PATH holds several volumes)");
  convert
      ->add_option("--out", out,
                   "Output file: .nrrd, .nii, .nii.gz, .mha; seg.dcm or rtstruct.dcm for a "
                   "label image")
      ->required();
  StructureConvertOptions structures;
  convert->add_option("--reference", structures.reference,
                      "Image series (folder) the RTSTRUCT/SEG refers to or is written for");
  convert->add_option("--reference-series", structures.referenceUid,
                      "SeriesInstanceUID of the reference when its folder holds several");
  convert->add_flag("--split", structures.split,
                    "RTSTRUCT/SEG input: one 0/1 image per structure (overlaps kept)");
  convert->add_option("--format", structures.format, "Output object for .dcm: seg | rtstruct")
      ->check(CLI::IsMember({"seg", "rtstruct"}));
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
  fs::path dosePath;
  auto* caseAddDose = caseCmd->add_subcommand(
      "add-dose", "Add an RT Dose to a case as a result (shown as a colour wash with isodoses)");
  caseAddDose->add_option("CASE", path, "Case file (.twinplan)")->required();
  caseAddDose->add_option("--dose", dosePath, "RT Dose file (RD.dcm, in Gy)")->required();
  caseAddDose->add_option("--out", out, "Case file to write (default: the case, in place)");

  fs::path otherPath;
  MetricsOptions metricsOptions;
  auto* metrics = app.add_subcommand(
      "metrics", "Compare two segmentations: Dice, Jaccard, Hausdorff, surface distance, volume");
  metrics->add_option("A", path, "Label image (.nii, .nii.gz, .nrrd, .mha) or case (.twinplan)")
      ->required();
  metrics->add_option("B", otherPath, "The other segmentation")->required();
  metrics->add_option("--segment", metricsOptions.segmentA, "Segment name (case files)");
  metrics->add_option("--segment-b", metricsOptions.segmentB, "Segment name in B, if different");
  metrics->add_option("--label", metricsOptions.labelA,
                      "Label value in image files (default 0: every non-zero voxel)");
  metrics->add_option("--label-b", metricsOptions.labelB, "Label value in B, if different");

  std::vector<std::string> meshNames;
  bool forPrinting = false, repair = false;
  auto* exportMeshes = app.add_subcommand(
      "export-meshes", "Write a case's 3D models to .stl, .obj (+.mtl), .ply or .glb");
  exportMeshes->add_option("CASE", path, "Case file (.twinplan)")->required();
  exportMeshes->add_option("--out", out, "Mesh file: .stl, .obj, .ply, .glb")->required();
  exportMeshes->add_option("--mesh", meshNames,
                           "A model to export (repeat; default: every visible)");
  exportMeshes->add_flag("--print", forPrinting,
                         "3D-print export: refuse open or self-crossing models");
  exportMeshes->add_flag("--repair", repair,
                         "With --print: close holes and orient instead of refusing");
  fs::path referencePath, transformPath;
  std::string referenceUid, interpolation = "linear";
  std::optional<double> outsideValue;
  auto* resample = app.add_subcommand(
      "resample", "Resample a series onto another's grid through a registration transform");
  resample->add_option("MOVING", path, "The series to resample: folder, DICOMDIR or image file")
      ->required();
  resample->add_option("--reference", referencePath, "The series whose grid the result takes")
      ->required();
  resample
      ->add_option("--transform", transformPath,
                   "ITK transform file (.tfm, .h5) mapping reference points to moving points")
      ->required();
  resample->add_option("--out", out, "Output file: .nii, .nii.gz, .nrrd, .mha")->required();
  resample->add_option("--series", seriesUid, "SeriesInstanceUID of the moving series");
  resample->add_option("--reference-series", referenceUid,
                       "SeriesInstanceUID of the reference series");
  resample->add_option("--interpolation", interpolation, "linear (default) | nearest (labels)")
      ->check(CLI::IsMember({"linear", "nearest"}));
  resample->add_option("--outside", outsideValue,
                       "Value where the moving image has no data (default: its minimum)");

  fs::path movingPath, landmarksFile;
  std::string method = "rigid", movingSeriesUid;
  std::optional<int> levels, iterations;
  std::optional<double> gridSpacing_mm;
  bool initFromLandmarks = false;
  auto* registerCmd = app.add_subcommand(
      "register", "Register MOVING_DIR onto FIXED_DIR (rigid, affine, B-spline or landmarks)");
  registerCmd->add_option("FIXED_DIR", path, "DICOM folder of the reference series")->required();
  registerCmd->add_option("MOVING_DIR", movingPath, "DICOM folder of the series to align")
      ->required();
  registerCmd->add_option("--method", method, "rigid | affine | bspline | landmark");
  registerCmd->add_option("--landmarks", landmarksFile,
                          "Paired points {\"pairs\": [{name, fixed_lps, moving_lps}]}: reports "
                          "tre_mm; needed by --method landmark");
  registerCmd->add_flag("--init-landmarks", initFromLandmarks,
                        "Start the image registration from the landmarks' rigid transform");
  registerCmd->add_option("--out", out, "Write the transform (fixed -> moving): .tfm or .h5");
  registerCmd->add_option("--fixed-series", seriesUid, "SeriesInstanceUID in FIXED_DIR");
  registerCmd->add_option("--moving-series", movingSeriesUid, "SeriesInstanceUID in MOVING_DIR");
  registerCmd->add_option("--levels", levels, "Resolution levels (default 3: shrink 4, 2, 1)");
  registerCmd->add_option("--iterations", iterations, "Most iterations per level (default 200)");
  registerCmd->add_option("--grid-spacing", gridSpacing_mm,
                          "B-spline control point spacing in mm (default 20)");
  cli::SegmentToolArguments segmentArguments;
  auto* segmentCmd = app.add_subcommand(
      "segment", "Edit a segment of a case with a tool (grow, shrink, hollow, islands ...)");
  cli::addSegmentToolOptions(*segmentCmd, segmentArguments);

  std::string baselineName;
  bool registerFollowUps = false;
  auto* growthCmd = app.add_subcommand(
      "growth", "Follow-up growth table of a case: segment volumes per study date, change, VDT");
  growthCmd->add_option("CASE", path, "Case file (.twinplan) with several studies")->required();
  growthCmd->add_option("--baseline", baselineName, "Baseline series (default: the earliest)");
  growthCmd->add_flag("--register", registerFollowUps,
                      "First register later studies onto the baseline (rigid) and save the case");

  std::vector<std::string> modelPresets;
  auto* modelCmd = app.add_subcommand(
      "model", "DICOM series -> presets -> segments -> .glb/.stl models + summary.json");
  modelCmd->add_option("DICOM", path, "Folder, DICOMDIR or DICOM file")->required();
  modelCmd->add_option("--out", out, "Folder to write")->required();
  modelCmd->add_option("--series", seriesUid, "SeriesInstanceUID (when there are several)");
  modelCmd->add_option("--preset", modelPresets, "A preset to run (repeat; default by modality)");

  struct {
    std::string device, tip, entry, tumour, ct, zoneCriterion;
    std::optional<double> power_W, duration_s, margin_mm, spacing_mm, box_mm;
    fs::path exportDir;
    std::vector<std::string> probePoints;
    bool listDevices = false;
  } abl;
  auto* ablateCmd = app.add_subcommand(
      "ablate", "Simulate one RF or microwave ablation probe on a case (LPS mm); --list-devices");
  ablateCmd->add_option("CASE", path, "Case file (.twinplan) with a CT; segments optional");
  ablateCmd->add_flag("--list-devices", abl.listDevices,
                      "List the device ids with type, default power and time, and sources");
  ablateCmd->add_option("--device", abl.device, "Device id (see --list-devices)");
  ablateCmd->add_option("--tip", abl.tip, "Probe tip x,y,z (LPS mm)");
  ablateCmd->add_option("--entry", abl.entry, "Skin entry x,y,z (LPS mm)");
  ablateCmd->add_option("--power", abl.power_W, "Generator power in W (default: the device's)");
  ablateCmd->add_option("--time", abl.duration_s, "Ablation time in s (default: the device's)");
  ablateCmd->add_option("--tumour", abl.tumour, "Tumour segment: coverage and minimal margin");
  ablateCmd->add_option("--margin", abl.margin_mm, "Safety margin around the tumour, mm (5)");
  ablateCmd->add_option("--export", abl.exportDir,
                        "Folder for max_temperature.nrrd, temperature.nrrd, damage.nrrd, "
                        "the zone as zone.nrrd (labelmap) and zone.stl (LPS mm)");
  ablateCmd
      ->add_option("--probe-point", abl.probePoints,
                   "Record the temperature over time at x,y,z (LPS mm; repeatable)")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  ablateCmd->add_option("--ct", abl.ct, "The CT volume's name (default: the first CT)");
  ablateCmd->add_option("--spacing", abl.spacing_mm, "Grid spacing in mm (default 1)");
  ablateCmd->add_option("--box", abl.box_mm, "Edge of the simulated box in mm (default 100)");
  ablateCmd->add_option("--zone-criterion", abl.zoneCriterion,
                        "Which voxels make the zone: omega1 (Arrhenius Omega >= 1, default), "
                        "omega4.6, t50 / t60 (peak degC), cem43 (240 min)");
  struct {
    std::string tumour, device, ct;
    std::vector<std::string> critical;
    std::optional<double> margin_mm, maxAngle_deg, safety_mm, shaft_mm, spacing_mm;
    std::optional<int> probes;
    bool confirm = false;
  } plan;
  auto* planCmd = app.add_subcommand(
      "plan-ablation", "Ranked ablation plans (probes, power, time) for a tumour plus margin");
  planCmd->add_option("CASE", path, "Case file (.twinplan) with a CT and the tumour segment");
  planCmd->add_option("--tumour", plan.tumour, "Tumour segment")->required();
  planCmd->add_option("--margin", plan.margin_mm, "Safety margin around the tumour, mm (5)");
  planCmd->add_option("--device", plan.device, "Device id (default mw-2450mhz-100w)");
  planCmd->add_option("--probes", plan.probes, "Most probes per plan, 1..3 (3)");
  planCmd->add_flag("--confirm", plan.confirm, "Confirm the best 3 plans with the full physics");
  planCmd->add_option("--critical", plan.critical, "Segments to spare (repeatable)");
  planCmd->add_option("--max-angle", plan.maxAngle_deg, "Largest tilt from axial, deg (45)");
  planCmd->add_option("--safety-radius", plan.safety_mm, "Clearance around the path, mm (3)");
  planCmd->add_option("--shaft", plan.shaft_mm, "Longest insertion depth, mm (200)");
  planCmd->add_option("--spacing", plan.spacing_mm, "Planning grid spacing, mm (2)");
  planCmd->add_option("--ct", plan.ct, "The CT volume's name (default: the first CT)");

  fs::path statusFile;
  auto* run = app.add_subcommand(
      "run", "Run the job described by a JSON file (the batch entry point; see `jobs`)");
  run->add_option("JOB", path, "Job file: {\"job\": KIND, \"parameters\": {...}}")->required();
  run->add_option("--out", statusFile, "Also write the job's status and result (JSON) here");
  auto* jobs =
      app.add_subcommand("jobs", "List the jobs `run` knows, with their parameters (JSON)");

  // xr-render's arguments belong to twinplan-xr-render (forwarded before parsing, above); the
  // entry here lists it in --help.
  app.add_subcommand(
      "xr-render",
      "Show CASE in the OpenXR headset the loader finds: xr-render CASE --frames N --out DIR "
      "[--blend opaque|additive|alpha] [--volume] writes the last frame's eye images and frame "
      "times (runs twinplan-xr-render; see xr-render --help)");

  fs::path femModel;
  cli::ShiftOptions shift;
  auto* shiftCmd = app.add_subcommand(
      "shift",
      "Tissue shift on a case (brain shift, liver under a tool, resection cavity): field, "
      "target shifts, deformed labelmap, volumes and models stored in the case");
  cli::addShiftOptions(*shiftCmd, path, shift);
  auto* femCmd = app.add_subcommand("fem", "Finite-element tissue mechanics");
  femCmd->require_subcommand(1);
  auto* femSolve = femCmd->add_subcommand(
      "solve", "Solve an Abaqus/CalculiX .inp model (C3D4/C3D10, linear elastic, neo-Hooke)");
  femSolve->add_option("MODEL", femModel, "Input deck (.inp)")->required();
  femSolve->add_option("--out", out, "Write the displacements: .vtu (ParaView) or .json");
  cli::FemMeshOptions femMesh;
  auto* femMeshCmd = femCmd->add_subcommand(
      "mesh", "Tetrahedral mesh of a case's segments (multi-material, conforming) as .inp/.vtu");
  femMeshCmd->add_option("CASE", path, "Case file (.twinplan)")->required();
  femMeshCmd
      ->add_option("--segments", femMesh.segments,
                   "Materials, comma-separated: a segment name, or NAME=SEGMENT+SEGMENT")
      ->required();
  femMeshCmd->add_option("--resolution", femMesh.resolution_mm,
                         "Lattice cube edge in mm (default 6; ~12 tetrahedra per cube)");
  femMeshCmd->add_flag("--quadratic", femMesh.quadratic,
                       "C3D10 elements (straight mid-side nodes)");
  femMeshCmd->add_option("--out", femMesh.out, "Write the mesh as an Abaqus/CalculiX deck (.inp)");
  femMeshCmd->add_option("--vtu", femMesh.vtu, "Write the mesh for ParaView (.vtu)");

  cli::GliomaCommands glioma;  // the glioma twin (issue #19 item 6)
  cli::addGliomaCommands(app, glioma);
  cli::PlanCommands planCommands;  // conformal planning (issue #19 item 3)
  cli::addPlanCommands(app, planCommands);

  cli::DvhArguments dvhArguments;
  auto* dvhCmd = app.add_subcommand(
      "dvh", "Dose-volume histograms of an RTSTRUCT's ROIs on an RTDOSE grid (sub-voxel)");
  dvhCmd->add_option("--dose", dvhArguments.dose, "RT Dose file (RD.dcm), in Gy")->required();
  dvhCmd->add_option("--structures", dvhArguments.structures, "RT Structure Set (RS.dcm)")
      ->required();
  dvhCmd->add_option("--structure", dvhArguments.names, "Only this ROI (repeatable)");
  dvhCmd->add_option("--supersampling", dvhArguments.supersampling,
                     "Sub-points per dose voxel along each in-plane axis (4)");
  dvhCmd->add_option("--constraints", dvhArguments.constraints,
                     "Judge a constraint table: 'quantec' (built in) or a JSON file");
  dvhCmd->add_option("--prescription", dvhArguments.prescription_Gy,
                     "Prescription dose in Gy, for limits in % of it (%Rx)");
  dvhCmd->add_option("--fractions", dvhArguments.fractions,
                     "Fractions of the course: NTCP on EQD2 (alpha/beta 3 Gy); needed for TCP");
  dvhCmd->add_option("--target", dvhArguments.targets,
                     "ROI that gets a TCP (Poisson LQ, Webb & Nahum 1993; repeatable)");
  dvhCmd->add_option("--ntcp", dvhArguments.ntcpModels,
                     "ROI=MODEL: LKB NTCP with a model of radiobiology.json, e.g. lung-quantec, "
                     "rectum-burman1991 (repeatable)");

  cli::GammaArguments gammaArgs;
  auto* gammaCmd = app.add_subcommand(
      "gamma", "3D gamma index of two doses (RTDOSE or NRRD/MHA/NIfTI in Gy), exact search");
  gammaCmd->add_option("--reference", gammaArgs.reference, "Reference dose")->required();
  gammaCmd->add_option("--evaluated", gammaArgs.evaluated, "Evaluated dose")->required();
  gammaCmd->add_option("--dose-diff", gammaArgs.criteria.doseDifference_percent,
                       "Dose-difference criterion, percent (3)");
  gammaCmd->add_option("--dta", gammaArgs.criteria.distanceToAgreement_mm,
                       "Distance to agreement, mm (3)");
  gammaCmd->add_flag("--local", gammaArgs.criteria.local,
                     "Local gamma: percent of the reference dose at each point");
  gammaCmd->add_option("--threshold", gammaArgs.criteria.lowDoseThreshold_percent,
                       "Low-dose threshold, percent of the normalisation dose (10)");
  gammaCmd->add_option("--max-gamma", gammaArgs.criteria.maxGamma, "Largest gamma searched (2)");
  gammaCmd->add_option("--normalisation-dose", gammaArgs.criteria.normalisationDose_Gy,
                       "Global normalisation dose in Gy (default: the reference maximum)");
  gammaCmd->add_flag("--same-frame", gammaArgs.sameFrame,
                     "Image files on different grids are in one patient space (image files "
                     "carry no frame of reference)");
  gammaCmd->add_flag("--pass-fail-only", gammaArgs.criteria.passFailOnly,
                     "Stop a voxel's search once it passes (same pass rate, faster)");
  gammaCmd->add_option("--output", gammaArgs.output, "Write the gamma map (.nrrd, .mha, .nii.gz)");

  cli::DoseSumArguments doseSumArgs, doseDiffArgs;
  doseDiffArgs.difference = true;
  auto* doseSumCmd = app.add_subcommand(
      "dose-sum", "Voxel-wise (weighted) sum of RT Doses on one grid and frame, as RTDOSE");
  doseSumCmd->add_option("DOSES", doseSumArgs.doses, "Two or more RT Dose files")->required();
  doseSumCmd->add_option("--weights", doseSumArgs.weights, "One weight per dose (all 1)");
  doseSumCmd->add_option("--out", doseSumArgs.out, "Write the sum as RTDOSE (RD.dcm)")->required();
  auto* doseDiffCmd = app.add_subcommand(
      "dose-diff", "Voxel-wise difference A - B of two RT Doses on one grid and frame, as RTDOSE");
  doseDiffCmd->add_option("DOSES", doseDiffArgs.doses, "A.dcm B.dcm")->required();
  doseDiffCmd->add_option("--out", doseDiffArgs.out, "Write A - B as RTDOSE (Dose Type ERROR)")
      ->required();

  cli::DoseArguments doseArgs;
  auto* doseCmd = app.add_subcommand(
      "dose",
      "Photon dose of an RT Plan on its planning CT (collapsed cone or pencil beam), as RTDOSE");
  doseCmd->add_option("CASE", doseArgs.casePath, "Folder with the planning CT, or a case file")
      ->required();
  doseCmd
      ->add_option("--plan", doseArgs.plan,
                   "RT Plan file (RP.dcm), photon beams; with a case file also the name (or SOP "
                   "Instance UID) of a plan stored in the case")
      ->required();
  doseCmd->add_option("--grid", doseArgs.grid_mm, "Dose grid spacing, mm (2.5)");
  doseCmd->add_option("--out", doseArgs.out, "Write the plan dose as RTDOSE (RD.dcm)");
  doseCmd->add_option("--hu-red", doseArgs.huDensity,
                      "HU to electron density calibration (JSON; default: the cited table)");
  doseCmd->add_option("--position", doseArgs.position,
                      "Patient position (HFS, FFS, HFP ...; default: the CT's)");
  doseCmd
      ->add_option("--engine", doseArgs.engine,
                   "Dose engine: pencil-beam (default) or collapsed-cone; both 6 and 10 MV")
      ->check(CLI::IsMember({"pencil-beam", "collapsed-cone"}));

  cli::TeachPresentOptions presentArgs;
  cli::TeachJoinOptions joinArgs;
  auto* teachCmd = app.add_subcommand(
      "teach", "Teaching sessions: share a case's viewing state with participants (LAN)");
  teachCmd->require_subcommand(1);
  auto* presentCmd = teachCmd->add_subcommand(
      "present", "Host a session for CASE; changes (JSON lines) from --changes or stdin");
  presentCmd->add_option("CASE", presentArgs.casePath, "Case file (.twinplan) everyone has")
      ->required();
  presentCmd->add_option("--address", presentArgs.address,
                         "Interface to listen on (default 127.0.0.1; 0.0.0.0 opens it to the LAN)");
  presentCmd->add_option("--port", presentArgs.port, "Port (default 0: any free port)");
  presentCmd->add_option("--code", presentArgs.code,
                         "Session code, 4+ characters (default: a random 6-digit code)");
  presentCmd->add_option("--changes", presentArgs.changes,
                         "File of changes, one JSON object a line (default -: stdin); the "
                         "session ends after the last");
  presentCmd->add_option("--participants", presentArgs.participants,
                         "Wait for this many participants before the first change");
  presentCmd->add_option("--wait", presentArgs.waitFor_s, "... for at most this many seconds");
  presentCmd->add_option("--port-file", presentArgs.portFile,
                         "Write the listening port to this file (for scripts)");
  presentCmd->add_option("--tls-cert", presentArgs.tlsCertificateFile,
                         "TLS: the session's certificate (PEM); with --tls-key, participants "
                         "must join with --tls-ca or --tls-fingerprint");
  presentCmd->add_option("--tls-key", presentArgs.tlsPrivateKeyFile,
                         "TLS: the certificate's private key (PEM, unencrypted)");
  auto* joinCmd = teachCmd->add_subcommand(
      "join", "Join the session at HOST:PORT and follow it until the presenter ends it");
  joinCmd->add_option("HOST:PORT", joinArgs.hostPort, "Where the presenter's session is")
      ->required();
  joinCmd->add_option("--code", joinArgs.code, "The session code the presenter shows")->required();
  joinCmd->add_option("--name", joinArgs.name, "Your name as the presenter sees it");
  joinCmd->add_option("--case", joinArgs.casePath,
                      "Your copy of the case: refuse when the presenter shows another");
  joinCmd->add_option("--timeout", joinArgs.timeout_s, "Seconds to wait for the presenter");
  joinCmd->add_option("--tls-ca", joinArgs.tlsCaFile,
                      "TLS: join encrypted, trusting presenters whose certificate this CA (PEM) "
                      "signed for HOST");
  joinCmd->add_option("--tls-fingerprint", joinArgs.tlsPinnedSha256,
                      "TLS: join encrypted, accepting only the certificate with this SHA-256 "
                      "fingerprint (as the presenter prints it)");

  cli::Eqd2Arguments eqd2Args;
  auto* eqd2Cmd = app.add_subcommand(
      "eqd2", "BED and EQD2 of fractionation regimens (LQ model); repeat for a comparison");
  eqd2Cmd->add_option("--dose", eqd2Args.totalDoses_Gy, "Total dose in Gy (repeatable)");
  eqd2Cmd->add_option("--fractions", eqd2Args.fractions, "Number of fractions (repeatable)");
  eqd2Cmd->add_option("--alpha-beta", eqd2Args.alphaBetas_Gy, "alpha/beta in Gy (repeatable)");
  eqd2Cmd->add_option("--tissue", eqd2Args.tissues,
                      "A tissue of the cited alpha/beta table (repeatable; --list-tissues)");
  eqd2Cmd->add_option("--to-fraction-size", eqd2Args.toFractionSize_Gy,
                      "Also the isoeffective total dose at this dose per fraction, Gy");
  eqd2Cmd->add_flag("--list-tissues", eqd2Args.listTissues,
                    "List the tissues with alpha/beta and source");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? kOk : kUsage;
  }

  StderrProgress progress(forceProgress || ::isatty(STDERR_FILENO));
  try {
    if (*info) return runInfo(path, progress);
    if (*convert) return runConvert(path, seriesUid, out, gzipLevel, structures, progress);
    if (*resample) {
      json parameters = {{"moving", path.string()},
                         {"movingSeriesInstanceUid", seriesUid},
                         {"reference", referencePath.string()},
                         {"referenceSeriesInstanceUid", referenceUid},
                         {"transform", transformPath.string()},
                         {"output", out.string()},
                         {"interpolation", interpolation}};
      if (outsideValue) parameters["outsideValue"] = *outsideValue;
      return runResample(parameters, progress);
    }
    if (*phantomCmd) return runPhantom(kind, out, seed, oblique, progress);
    if (*caseInfo) return runCaseInfo(path, progress);
    if (*caseCreate) return runCaseCreate(path, seriesUid, out, caseName, progress);
    if (*caseAddDose) return runCaseAddDose(path, dosePath, out, progress);
    if (*registerCmd) {
      json options = {{"method", method},
                      {"fixedSeriesInstanceUid", seriesUid},
                      {"movingSeriesInstanceUid", movingSeriesUid},
                      {"initialiseWithLandmarks", initFromLandmarks}};
      if (!landmarksFile.empty()) options["landmarks"] = fs::absolute(landmarksFile).string();
      if (!out.empty()) options["transform"] = fs::absolute(out).string();
      if (levels) options["levels"] = *levels;
      if (iterations) options["iterations"] = *iterations;
      if (gridSpacing_mm) options["bsplineGridSpacing_mm"] = *gridSpacing_mm;
      return runRegister(path, movingPath, options, progress);
    }
    if (*segmentCmd) {
      const cli::SegmentToolArguments& a = segmentArguments;
      if (a.preset.empty() == a.tool.empty())
        throw Error(ErrorKind::InvalidInput,
                    "Give either --preset NAME (an automatic segmentation) or --op TOOL --segment "
                    "NAME (an edit of a segment).",
                    "segment");
      if (a.tool.empty()) {
        std::vector<std::string> seeds;
        if (!a.seed_lps.empty())
          seeds.push_back(json(a.seed_lps[0]).dump() + "," + json(a.seed_lps[1]).dump() + "," +
                          json(a.seed_lps[2]).dump());
        return runSegmentPreset(a.input, a.preset, seeds, a.volume, a.output, progress);
      }
      if (a.segment.empty())
        throw Error(ErrorKind::InvalidInput, "--op needs --segment NAME.", "segment");
      return runSegment(a, progress);
    }
    if (*growthCmd)
      return runGrowth({{"case", fs::absolute(path).string()},
                        {"baseline", baselineName},
                        {"register", registerFollowUps}},
                       progress);
    if (*ablateCmd) {
      if (abl.listDevices) return listAblationDevices();
      std::string missing;
      for (const auto& [given, name] : {std::pair{!path.empty(), "CASE"},
                                        {!abl.device.empty(), "--device"},
                                        {!abl.tip.empty(), "--tip"},
                                        {!abl.entry.empty(), "--entry"}})
        if (!given) missing += (missing.empty() ? "" : ", ") + std::string(name);
      if (!missing.empty())
        throw Error(ErrorKind::InvalidInput,
                    "ablate needs CASE --device ID --tip x,y,z --entry x,y,z (or --list-devices); "
                    "missing: " +
                        missing + ".",
                    "ablate");
      json parameters = {{"case", fs::absolute(path).string()},
                         {"device", abl.device},
                         {"tip", abl.tip},
                         {"entry", abl.entry},
                         {"tumour", abl.tumour},
                         {"ct", abl.ct}};
      if (!abl.exportDir.empty()) parameters["export"] = fs::absolute(abl.exportDir).string();
      if (abl.power_W) parameters["power_W"] = *abl.power_W;
      if (abl.duration_s) parameters["duration_s"] = *abl.duration_s;
      if (abl.margin_mm) parameters["margin_mm"] = *abl.margin_mm;
      if (abl.spacing_mm) parameters["spacing_mm"] = *abl.spacing_mm;
      if (abl.box_mm) parameters["boxSize_mm"] = *abl.box_mm;
      if (!abl.zoneCriterion.empty()) parameters["zone_criterion"] = abl.zoneCriterion;
      if (!abl.probePoints.empty()) parameters["probe_points"] = abl.probePoints;
      return runAblate(parameters, progress);
    }
    if (*planCmd) {
      if (path.empty())
        throw Error(ErrorKind::InvalidInput, "plan-ablation needs CASE --tumour NAME.",
                    "plan-ablation");
      json parameters = {{"case", fs::absolute(path).string()},
                         {"tumour", plan.tumour},
                         {"confirm", plan.confirm},
                         {"critical", plan.critical},
                         {"ct", plan.ct}};
      if (!plan.device.empty()) parameters["device"] = plan.device;
      if (plan.margin_mm) parameters["margin_mm"] = *plan.margin_mm;
      if (plan.probes) parameters["probes"] = *plan.probes;
      if (plan.maxAngle_deg) parameters["max_angle_deg"] = *plan.maxAngle_deg;
      if (plan.safety_mm) parameters["safety_radius_mm"] = *plan.safety_mm;
      if (plan.shaft_mm) parameters["shaft_mm"] = *plan.shaft_mm;
      if (plan.spacing_mm) parameters["spacing_mm"] = *plan.spacing_mm;
      return runPlanAblation(parameters, progress);
    }
    if (*run) return runJobFile(path, statusFile, progress);
    if (*modelCmd) return runModel(path, seriesUid, out, modelPresets, progress);
    if (*metrics) return runMetrics(path, otherPath, metricsOptions, progress);
    if (*exportMeshes) return runExportMeshes(path, out, meshNames, forPrinting, repair, progress);
    if (*shiftCmd) {
      const auto job =
          engine::makeJob({{"job", "shift"}, {"parameters", cli::shiftParameters(path, shift)}});
      return runJobAndReport(*job, progress, {}, cli::printShift);
    }
    if (cli::runGliomaCommand(glioma, gJson, progress)) return kOk;
    if (cli::runPlanCommand(planCommands, gJson, progress)) return kOk;
    if (*femSolve) {
      cli::printResult(cli::runFemSolve(femModel, out, progress), gJson, [](const json& r) {
        std::cout << "Solved " << r["nodes"] << " nodes, " << r["elements"] << " elements in "
                  << r["iterations"] << " iterations: largest displacement "
                  << r["max_displacement_mm"].get<double>() << " mm at node "
                  << r["max_displacement_node"] << '\n';
        if (r.contains("output")) std::cout << "Wrote " << r["output"].get<std::string>() << '\n';
      });
      return kOk;
    }
    if (*femMeshCmd) {
      cli::printResult(cli::runFemMesh(path, femMesh, progress), gJson, [](const json& r) {
        const json& q = r["quality"];
        std::printf(
            "Meshed %zu tetrahedra, %zu nodes in %.2f s: dihedral angles %.1f..%.1f deg, "
            "radius ratio min %.2f mean %.2f, %zu inverted\n",
            r["elements"].get<std::size_t>(), r["nodes"].get<std::size_t>(),
            r["mesh_time_s"].get<double>(), q["min_dihedral_deg"].get<double>(),
            q["max_dihedral_deg"].get<double>(), q["min_radius_ratio"].get<double>(),
            q["mean_radius_ratio"].get<double>(), q["inverted_elements"].get<std::size_t>());
        for (const json& m : r["materials"])
          std::printf("  %s: %zu tetrahedra, %.2f ml (labelmap %.2f ml)\n",
                      m["name"].get<std::string>().c_str(), m["elements"].get<std::size_t>(),
                      m["volume_ml"].get<double>(), m["labelmap_volume_ml"].get<double>());
        if (r.contains("output")) std::cout << "Wrote " << r["output"].get<std::string>() << '\n';
        if (r.contains("vtu")) std::cout << "Wrote " << r["vtu"].get<std::string>() << '\n';
      });
      return kOk;
    }
    if (*doseCmd) {
      cli::printResult(cli::runDose(doseArgs, progress), gJson, [](const json& r) {
        std::cout << "Plan \"" << r["plan_label"].get<std::string>() << "\" ("
                  << r["engine_id"].get<std::string>() << "): max "
                  << r["max_dose_gy"].get<double>() << " Gy, isocentre "
                  << r["isocentre_dose_gy"].get<double>() << " Gy over "
                  << r["fractions"].get<int>() << " fractions (" << r["time_s"].get<double>()
                  << " s)\n";
        for (const json& b : r["beams"])
          std::cout << "  beam " << b["number"].get<int>() << " " << b["name"].get<std::string>()
                    << ": " << b["energy_mv"].get<double>() << " MV, " << b["mu"].get<double>()
                    << " MU, " << b["isocentre_dose_gy_per_fraction"].get<double>()
                    << " Gy per fraction at its isocentre\n";
        if (r.contains("output")) std::cout << "Wrote " << r["output"].get<std::string>() << '\n';
      });
      return kOk;
    }
    if (*dvhCmd) {
      cli::printResult(cli::runDvh(dvhArguments, progress), gJson, [](const json& r) {
        for (const json& s : r["structures"])
          std::cout << s["name"].get<std::string>() << ": " << s["volume_cm3"].get<double>()
                    << " cm3, Dmin " << s["dmin_gy"].get<double>() << " Gy, Dmean "
                    << s["dmean_gy"].get<double>() << " Gy, Dmax " << s["dmax_gy"].get<double>()
                    << " Gy, D95 " << s["d95_gy"].get<double>() << " Gy, D2 "
                    << s["d2_gy"].get<double>() << " Gy" << radiobiologyText(s) << "\n";
        if (r.contains("constraints")) printConstraintTable(r["constraints"]);
      });
      return kOk;
    }
    if (*doseSumCmd || *doseDiffCmd) {
      const cli::DoseSumArguments& a = *doseSumCmd ? doseSumArgs : doseDiffArgs;
      cli::printResult(cli::runDoseSum(a, progress), gJson, [](const json& r) {
        std::cout << "Wrote " << r["output"].get<std::string>() << ": "
                  << r["operation"].get<std::string>() << " of " << r["inputs"].size() << " doses, "
                  << r["min_gy"].get<double>() << " to " << r["max_gy"].get<double>() << " Gy\n";
      });
      return kOk;
    }
    if (*gammaCmd) {
      cli::printResult(cli::runGamma(gammaArgs, progress), gJson, [&](const json& r) {
        std::cout << "Gamma " << gammaArgs.criteria.doseDifference_percent << " % / "
                  << gammaArgs.criteria.distanceToAgreement_mm << " mm"
                  << (gammaArgs.criteria.local ? " (local)" : " (global)") << ": "
                  << r["pass_rate_percent"].get<double>() << " % of "
                  << r["evaluated_voxels"].get<std::size_t>() << " voxels pass; gamma mean "
                  << r["gamma"]["mean"].get<double>() << ", max " << r["gamma"]["max"].get<double>()
                  << '\n';
        if (r.contains("output")) std::cout << "Wrote " << r["output"].get<std::string>() << '\n';
      });
      return kOk;
    }
    if (*presentCmd) {
      const json r = cli::runTeachPresent(presentArgs, std::cerr);
      if (gJson) printJson(r);
      return kOk;
    }
    if (*joinCmd) {
      cli::printResult(cli::runTeachJoin(joinArgs, std::cerr), gJson,
                       [](const json& r) { printJson(r["state"]); });
      return kOk;
    }
    if (*eqd2Cmd) {
      const json r = cli::runEqd2(eqd2Args);
      if (gJson) {
        printJson(r);
      } else if (r.contains("tissues")) {
        for (const json& t : r["tissues"])
          std::cout << t["tissue"].get<std::string>() << ": alpha/beta "
                    << t["alpha_beta_gy"].get<double>() << " Gy (" << t["source"].get<std::string>()
                    << ")\n";
      } else {
        for (const json& regimen : r["regimens"])
          for (const json& e : regimen["effects"])
            std::cout << regimen["total_dose_gy"].get<double>() << " Gy in "
                      << regimen["fractions"].get<int>() << " fractions, "
                      << e["tissue"].get<std::string>() << ": BED " << e["bed_gy"].get<double>()
                      << " Gy, EQD2 " << e["eqd2_gy"].get<double>() << " Gy"
                      << (e.contains("isoeffective_total_dose_gy")
                              ? ", same BED: " +
                                    std::to_string(e["isoeffective_total_dose_gy"].get<double>()) +
                                    " Gy in " + std::to_string(*eqd2Args.toFractionSize_Gy) +
                                    " Gy fractions"
                              : std::string())
                      << '\n';
      }
      return kOk;
    }
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
