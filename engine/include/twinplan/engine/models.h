#pragma once
// 3D models of a case's segments: the operation behind the GUI's "Build 3D models", the
// `build-models` job and the CLI.
#include <cstddef>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "twinplan/core/case.h"
#include "twinplan/core/progress.h"
#include "twinplan/segmentation/segment_surface.h"

namespace twinplan::engine {

// The settings models of anatomy are built with (the sample case's, docs/validation.md
// "Surface meshes"): half the triangles carry no shape, and a cap of 20 000 triangles a model
// keeps the 3D view fast on a software renderer; smoothing follows the voxel size and each
// model keeps its voxels' volume.
segmentation::SurfaceOptions anatomyModelOptions();

// Called after each batch of finished models with every model built so far, in segment order;
// a job saves them as its checkpoint.
using ModelsDone = std::function<void(const std::vector<SurfaceMesh>&)>;

// Closed surface models of the segments at `segmentIndices` of `labels` (every segment when
// empty), in that order; segments without voxels are skipped. `alreadyBuilt` holds models of
// some of those segments from an interrupted run (matched by segmentName): they are kept and
// not built again. Segments are built in batches (as many as parallel::maxThreads(), built in
// parallel), and `done` is called after each batch. Throws Error(InvalidInput) for an index out
// of range, Cancelled on cancel.
std::vector<SurfaceMesh> buildModels(const LabelMap& labels,
                                     std::vector<std::size_t> segmentIndices,
                                     const segmentation::SurfaceOptions& options,
                                     Progress& progress = noProgress(),
                                     const std::vector<SurfaceMesh>& alreadyBuilt = {},
                                     const ModelsDone& done = {});

// The indices of the segments of `labels` named in `names` (all segments when empty). Throws
// Error(NotFound) naming a segment the labelmap does not have.
std::vector<std::size_t> segmentIndices(const LabelMap& labels,
                                        const std::vector<std::string>& names);

// A provenance record for models built from `labels` with `options`.
nlohmann::json modelsProvenance(const LabelMap& labels, const std::vector<SurfaceMesh>& models,
                                const segmentation::SurfaceOptions& options);

}  // namespace twinplan::engine
