// Job "build-models": closed surface models of a case's segments, stored in the case through
// the same undoable edit the GUI uses. Checkpoints after each batch of models, so an interrupted
// run resumes where it stopped.
#include <chrono>

#include "job_kinds.h"
#include "twinplan/core/case_editor.h"
#include "twinplan/core/case_file.h"
#include "twinplan/engine/models.h"
#include "twinplan/segmentation/mesh_metrics.h"

namespace fs = std::filesystem;

namespace twinplan::engine {
namespace {

class BuildModelsJob final : public Job {
 public:
  explicit BuildModelsJob(const JobParameters& p)
      : case_(p.file("case")),
        output_(p.file("output", case_.string())),
        labelMap_(static_cast<std::size_t>(p.integer("labelMap", 0, 0, 1000))),
        segments_(p.texts("segments")),
        checkpointInterval_s_(p.number("checkpointInterval_s", 30.0, 0.0, 86400.0)) {
    const segmentation::SurfaceOptions defaults = anatomyModelOptions();
    options_ = defaults;  // the settings without a parameter (voxel-size smoothing, volume)
    options_.smoothingIterations =
        static_cast<int>(p.integer("smoothingIterations", defaults.smoothingIterations, 0, 1000));
    options_.passBand = p.number("passBand", defaults.passBand, 1e-6, 2.0);
    options_.targetReduction = p.number("targetReduction", defaults.targetReduction, 0.0, 0.95);
    options_.maxTriangles = static_cast<std::size_t>(
        p.integer("maxTriangles", static_cast<long long>(defaults.maxTriangles), 0, 100000000));
    p.rejectUnknown({"case", "output", "labelMap", "segments", "smoothingIterations", "passBand",
                     "targetReduction", "maxTriangles", "checkpointInterval_s"});
  }
  std::string kind() const override { return "build-models"; }
  nlohmann::json parameters() const override {
    return {{"case", case_.string()},
            {"output", output_.string()},
            {"labelMap", labelMap_},
            {"segments", segments_},
            {"smoothingIterations", options_.smoothingIterations},
            {"passBand", options_.passBand},
            {"targetReduction", options_.targetReduction},
            {"maxTriangles", options_.maxTriangles},
            {"checkpointInterval_s", checkpointInterval_s_}};
  }

  nlohmann::json run(Progress& progress, CheckpointStore* external) override {
    auto load = subRange(progress, 0.0, 0.1);
    Case twin = openWorkingCase(*load);
    if (labelMap_ >= twin.labelMaps.size())
      throw Error(ErrorKind::InvalidInput,
                  "The case " + case_.string() + " has " + std::to_string(twin.labelMaps.size()) +
                      " segmentation(s); there is no number " + std::to_string(labelMap_ + 1) + ".",
                  "parameters.labelMap");
    const LabelMap labels = twin.labelMaps[labelMap_];  // shares the voxels
    const std::vector<std::size_t> indices = segmentIndices(labels, segments_);

    // Checkpoints live in the output case file unless the caller keeps them elsewhere.
    CaseCheckpoints inCase(twin, [this](const Case& c) { saveCase(c, output_); });
    CheckpointStore& store = external ? *external : inCase;
    // How often it checkpoints does not change what it builds: not part of its identity.
    nlohmann::json identity = parameters();
    identity.erase("checkpointInterval_s");
    const std::string id = jobIdentity(kind(), identity);
    const std::optional<JobCheckpoint> resumed = store.load(id);
    const std::vector<SurfaceMesh> before = resumed ? resumed->meshes : std::vector<SurfaceMesh>{};

    auto lastSave = std::chrono::steady_clock::now();
    auto checkpoint = [&](const std::vector<SurfaceMesh>& builtNow) {
      if (std::chrono::steady_clock::now() - lastSave <
          std::chrono::duration<double>(checkpointInterval_s_))
        return;
      JobCheckpoint c{id, kind(), {}, before, {}};
      c.meshes.insert(c.meshes.end(), builtNow.begin(), builtNow.end());
      nlohmann::json names = nlohmann::json::array();
      for (const SurfaceMesh& mesh : c.meshes) names.push_back(mesh.segmentName);
      c.state = {{"built", names}};
      store.save(std::move(c));
      lastSave = std::chrono::steady_clock::now();
    };
    auto build = subRange(progress, 0.1, 0.9);
    std::vector<SurfaceMesh> models =
        buildModels(labels, indices, options_, *build, before, checkpoint);

    nlohmann::json result = {{"output", output_.string()},
                             {"resumedModels", before.size()},
                             {"models", modelsJson(models)}};
    storeModels(twin, std::move(models), labels);
    std::erase_if(twin.checkpoints, [&](const JobCheckpoint& c) { return c.jobId == id; });
    if (external) external->clear(id);
    auto save = subRange(progress, 0.9, 1.0);
    saveCase(twin, output_, *save);
    return result;
  }

 private:
  // The input case, with the checkpoints of an interrupted run of this job when the output file
  // is another file that holds them.
  Case openWorkingCase(Progress& progress) const {
    Case twin = loadCase(case_, progress);
    std::error_code ec;
    if (output_ != case_ && fs::exists(output_, ec) && !fs::equivalent(output_, case_, ec)) {
      try {
        twin.checkpoints = loadCase(output_).checkpoints;
      } catch (const Error&) {
        // An unreadable old output is replaced; nothing to resume from.
      }
    }
    return twin;
  }

  // Through the same undoable edit as the GUI's "Build 3D models".
  void storeModels(Case& twin, std::vector<SurfaceMesh> models, const LabelMap& labels) const {
    const nlohmann::json provenance = modelsProvenance(labels, models, options_);
    CaseEditor editor(std::move(twin));
    editor.apply(edits::updateSegmentMeshes(editor.twin(), std::move(models)));
    twin = editor.reset({});
    twin.provenance.push_back(provenance);
  }

  static nlohmann::json modelsJson(const std::vector<SurfaceMesh>& models) {
    nlohmann::json list = nlohmann::json::array();
    for (const SurfaceMesh& mesh : models)
      list.push_back({{"name", mesh.name},
                      {"triangles", mesh.triangles.size()},
                      {"volume_ml", segmentation::enclosedVolume_ml(mesh)}});
    return list;
  }

  fs::path case_, output_;
  std::size_t labelMap_;
  std::vector<std::string> segments_;
  double checkpointInterval_s_;
  segmentation::SurfaceOptions options_;
};

}  // namespace

std::unique_ptr<Job> makeBuildModelsJob(const JobParameters& parameters) {
  return std::make_unique<BuildModelsJob>(parameters);
}

}  // namespace twinplan::engine
