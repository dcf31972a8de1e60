// Job "model": from a DICOM series to printable, XR-ready anatomy models in one run (issue #16
// item 8): import -> automatic presets -> segments -> surface models -> one .glb and one .stl
// per segment, model.glb with all of them, the case, and summary.json.

#include <cctype>
#include <chrono>
#include <ctime>
#include <fstream>

#include "job_kinds.h"
#include "twinplan/core/case_editor.h"
#include "twinplan/core/case_file.h"
#include "twinplan/engine/case_import.h"
#include "twinplan/engine/models.h"
#include "twinplan/io/mesh_files.h"
#include "twinplan/segmentation/mesh_check.h"
#include "twinplan/segmentation/presets.h"

namespace fs = std::filesystem;

namespace twinplan::engine {
namespace {

// The presets that need no seed and are made for the volume's modality (CT: body, bone, lungs,
// vessels; MR: brain).
std::vector<std::string> defaultPresets(const std::string& modality) {
  std::vector<std::string> names;
  for (const auto& info : segmentation::presetCatalogue())
    if (!info.needsSeed && info.modality == (modality == "MR" ? "MR" : "CT"))
      names.push_back(info.name);
  return names;
}

// Wall-clock and CPU seconds (all threads of the process) of the job's stages, in the order
// they ran, for summary.json: the benchmark (bench/model_bench.sh) reads them to say where the
// time goes, and CPU time still says it when other work shares the machine.
class StageClock {
 public:
  void stop(const std::string& stage) {
    const auto now = std::chrono::steady_clock::now();
    const std::clock_t cpu = std::clock();
    stages_.push_back({{"stage", stage},
                       {"time_s", std::chrono::duration<double>(now - last_).count()},
                       {"cpu_s", static_cast<double>(cpu - lastCpu_) / CLOCKS_PER_SEC}});
    last_ = now;
    lastCpu_ = cpu;
  }
  const nlohmann::json& json() const { return stages_; }

 private:
  std::chrono::steady_clock::time_point last_ = std::chrono::steady_clock::now();
  std::clock_t lastCpu_ = std::clock();
  nlohmann::json stages_ = nlohmann::json::array();
};

// A file name from a segment name: letters, digits, '-' and '_' kept, the rest '_'.
std::string fileStem(const std::string& name) {
  std::string stem;
  for (unsigned char c : name) stem += std::isalnum(c) || c == '-' || c == '_' ? char(c) : '_';
  return stem.empty() ? "segment" : stem;
}

class ModelJob final : public Job {
 public:
  explicit ModelJob(const JobParameters& p)
      : dicom_(p.file("dicom")),
        seriesUid_(p.text("seriesInstanceUid", "")),
        output_(p.file("output")),
        presets_(p.texts("presets")) {
    p.rejectUnknown({"dicom", "seriesInstanceUid", "output", "presets"});
    for (const std::string& name : presets_) segmentation::presetFromString(name);  // fail early
  }
  std::string kind() const override { return "model"; }
  nlohmann::json parameters() const override {
    return {{"dicom", dicom_.string()},
            {"seriesInstanceUid", seriesUid_},
            {"output", output_.string()},
            {"presets", presets_}};
  }

  nlohmann::json run(Progress& progress, CheckpointStore*) override {
    StageClock clock;
    auto importing = subRange(progress, 0.0, 0.15);
    CaseEditor editor(importCase(dicom_, seriesUid_, *importing));
    clock.stop("import");
    const ImageVolume volume = editor.twin().volumes.front();
    const std::vector<std::string> presets =
        presets_.empty() ? defaultPresets(volume.dicom.modality) : presets_;
    nlohmann::json notes = nlohmann::json::array();
    segmentation::PresetCache shared;  // the body outline, computed once for all the presets
    for (std::size_t n = 0; n < presets.size(); ++n) {
      auto step = subRange(progress, 0.15 + 0.55 * double(n) / double(presets.size()),
                           0.15 + 0.55 * double(n + 1) / double(presets.size()));
      const auto preset = segmentation::presetFromString(presets[n]);
      try {
        const LabelMap result = segmentation::runPreset(volume, preset, {}, shared, *step);
        // Any of its segments (the lungs preset's right lung is empty when only the left is
        // in view).
        bool found = false;
        for (std::size_t s = 0; s < result.segments().size() && !found; ++s)
          found = result.voxelCount(s) != 0;
        if (!found)
          notes.push_back("preset " + presets[n] + " found nothing in this series");
        else
          editor.apply(
              segmentation::addPresetSegments(editor.twin(), result, "Preset " + presets[n]));
      } catch (const Error& e) {
        // One preset that does not apply (an MR preset on CT, no seed) must not lose the others.
        notes.push_back("preset " + presets[n] + " skipped: " + e.what());
      }
      clock.stop("preset " + presets[n]);
    }
    if (editor.twin().labelMaps.empty())
      throw Error(ErrorKind::InvalidInput,
                  "No preset found anything in this series; there is nothing to model.",
                  dicom_.string());
    const LabelMap& labels = editor.twin().labelMaps.front();
    auto building = subRange(progress, 0.7, 0.95);
    std::vector<SurfaceMesh> models = buildModels(labels, {}, anatomyModelOptions(), *building);
    editor.apply(edits::updateSegmentMeshes(editor.twin(), models));
    clock.stop("surfaces");
    return write(editor.twin(), labels, models, notes, clock, progress);
  }

 private:
  nlohmann::json write(const Case& twin, const LabelMap& labels,
                       const std::vector<SurfaceMesh>& models, const nlohmann::json& notes,
                       StageClock& clock, Progress& progress) const {
    std::error_code ec;
    fs::create_directories(output_, ec);
    if (ec)
      throw Error(ErrorKind::Io,
                  "Cannot create the folder " + output_.string() + ": " + ec.message() + ".",
                  output_.string());
    nlohmann::json segments = nlohmann::json::array();
    for (const SurfaceMesh& model : models) {
      const auto index = labels.findSegment(model.segmentName);
      const segmentation::MeshCheck check = segmentation::checkMesh(model);
      const std::string stem = fileStem(model.name);
      io::writeMeshFile({model}, output_ / (stem + ".glb"));
      io::writeMeshFile({model}, output_ / (stem + ".stl"));
      segments.push_back({{"name", model.name},
                          {"tissueType", index ? labels.segments()[*index].tissueType : ""},
                          {"voxel_volume_ml", index ? labels.volume_ml(*index) : 0.0},
                          {"mesh_volume_ml", check.volume_ml},
                          {"area_cm2", check.area_mm2 / 100.0},
                          {"closed", check.closed},
                          {"files", {stem + ".glb", stem + ".stl"}}});
      progress.check();
    }
    io::writeMeshFile(models, output_ / "model.glb");
    clock.stop("mesh files");
    saveCase(twin, output_ / "model.twinplan");
    clock.stop("case file");
    const nlohmann::json summary = {{"series", twin.volumes.front().dicom.seriesDescription},
                                    {"modality", twin.volumes.front().dicom.modality},
                                    {"segments", segments},
                                    {"notes", notes},
                                    {"files", {"model.glb", "model.twinplan"}},
                                    {"timings", clock.json()}};
    std::ofstream(output_ / "summary.json") << summary.dump(2) << '\n';
    progress.report(1.0, "Written");
    nlohmann::json result = summary;
    result["output"] = output_.string();
    return result;
  }

  fs::path dicom_;
  std::string seriesUid_;
  fs::path output_;
  std::vector<std::string> presets_;
};

}  // namespace

std::unique_ptr<Job> makeModelJob(const JobParameters& parameters) {
  return std::make_unique<ModelJob>(parameters);
}

}  // namespace twinplan::engine
