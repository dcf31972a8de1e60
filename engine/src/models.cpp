#include "twinplan/engine/models.h"

#include <algorithm>

#include "twinplan/core/error.h"
#include "twinplan/core/parallel.h"

namespace twinplan::engine {

segmentation::SurfaceOptions anatomyModelOptions() {
  segmentation::SurfaceOptions options;
  options.targetReduction = 0.5;
  options.maxTriangles = 20000;
  // Area and volume converge as h^2 on a voxelised sphere, and every model encloses its voxels'
  // volume (docs/validation.md, "Sphere convergence" and "Model volumes").
  options.smoothingFollowsVoxelSize = true;
  options.keepVoxelVolume = true;
  return options;
}

std::vector<std::size_t> segmentIndices(const LabelMap& labels,
                                        const std::vector<std::string>& names) {
  std::vector<std::size_t> indices;
  if (names.empty()) {
    for (std::size_t i = 0; i < labels.segments().size(); ++i) indices.push_back(i);
    return indices;
  }
  for (const std::string& name : names) {
    const auto index = labels.findSegment(name);
    if (!index)
      throw Error(ErrorKind::NotFound,
                  "The segmentation \"" + labels.name + "\" has no segment \"" + name + "\".",
                  name);
    indices.push_back(*index);
  }
  return indices;
}

std::vector<SurfaceMesh> buildModels(const LabelMap& labels,
                                     std::vector<std::size_t> segmentIndices,
                                     const segmentation::SurfaceOptions& options,
                                     Progress& progress,
                                     const std::vector<SurfaceMesh>& alreadyBuilt,
                                     const ModelsDone& done) {
  if (segmentIndices.empty())
    for (std::size_t i = 0; i < labels.segments().size(); ++i) segmentIndices.push_back(i);
  for (std::size_t index : segmentIndices)
    if (index >= labels.segments().size())
      throw Error(ErrorKind::InvalidInput,
                  "There is no segment number " + std::to_string(index + 1) + " in \"" +
                      labels.name + "\".",
                  labels.name);
  auto builtBefore = [&](std::size_t index) -> const SurfaceMesh* {
    const std::string& name = labels.segments()[index].name;
    for (const SurfaceMesh& mesh : alreadyBuilt)
      if (mesh.segmentName == name) return &mesh;
    return nullptr;
  };
  std::vector<std::size_t> toBuild;
  for (std::size_t index : segmentIndices)
    if (!builtBefore(index)) toBuild.push_back(index);

  // Batches as wide as the machine: each batch's segments are built in parallel, and a batch
  // is the unit of work a cancel or a crash can lose.
  const std::size_t width = std::max<std::size_t>(1, parallel::maxThreads());
  std::vector<SurfaceMesh> built;
  for (std::size_t first = 0; first < toBuild.size(); first += width) {
    const std::vector<std::size_t> batch(
        toBuild.begin() + static_cast<std::ptrdiff_t>(first),
        toBuild.begin() + static_cast<std::ptrdiff_t>(std::min(first + width, toBuild.size())));
    auto share = subRange(progress, static_cast<double>(first) / toBuild.size(),
                          static_cast<double>(first + batch.size()) / toBuild.size());
    for (SurfaceMesh& mesh : segmentation::buildSurfaces(labels, batch, options, *share))
      built.push_back(std::move(mesh));
    if (done) done(built);
  }
  // Segment order, old and new models together; empty segments have none.
  std::vector<SurfaceMesh> models;
  for (std::size_t index : segmentIndices) {
    if (const SurfaceMesh* before = builtBefore(index)) {
      models.push_back(*before);
      continue;
    }
    const std::string& name = labels.segments()[index].name;
    for (SurfaceMesh& mesh : built)
      if (mesh.segmentName == name) models.push_back(std::move(mesh));
  }
  progress.report(1.0, "Built 3D models");
  return models;
}

nlohmann::json modelsProvenance(const LabelMap& labels, const std::vector<SurfaceMesh>& models,
                                const segmentation::SurfaceOptions& options) {
  nlohmann::json names = nlohmann::json::array();
  for (const SurfaceMesh& mesh : models) names.push_back(mesh.name);
  return {{"step", "surface models"},
          {"time", utcNowIso8601()},
          {"labelMap", labels.name},
          {"meshes", names},
          {"settings",
           {{"smoothingIterations", options.smoothingIterations},
            {"passBand", options.passBand},
            {"targetReduction", options.targetReduction},
            {"maxTriangles", options.maxTriangles},
            {"smoothingFollowsVoxelSize", options.smoothingFollowsVoxelSize},
            {"keepVoxelVolume", options.keepVoxelVolume}}},
          {"generator", "twinplan::engine::buildModels"}};
}

}  // namespace twinplan::engine
