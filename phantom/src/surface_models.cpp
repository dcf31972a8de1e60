// The sample case's 3D models: closed meshes of the true labelmap's segments that a surgeon
// wants in 3D. Skin, fat, muscle and air are left out: they hide everything else.
#include <span>
#include <string_view>

#include "anatomy.h"
#include "twinplan/segmentation/segment_surface.h"

namespace twinplan::phantom::detail {
namespace {

struct ModelChoice {
  std::string_view segment;
  float opacity;
  bool target;  // a tumour: every triangle kept, so its volume stays true
};

// Organs that hold a target are see-through so the tumours and vessels inside stay visible.
// Targets come last: the models are listed anatomy first, then targets.
constexpr ModelChoice kAbdomenModels[] = {{"Liver", 0.5f, false},
                                          {"Portal vein", 1.0f, false},
                                          {"Hepatic veins", 1.0f, false},
                                          {"Aorta", 1.0f, false},
                                          {"Inferior vena cava", 1.0f, false},
                                          {"Left kidney", 1.0f, false},
                                          {"Right kidney", 1.0f, false},
                                          {"Spleen", 1.0f, false},
                                          {"Vertebrae", 1.0f, false},
                                          {"Tumour 1", 1.0f, true},
                                          {"Tumour 2", 1.0f, true}};

// The grey matter's outer face is the brain's surface; see-through, it shows the ventricles
// and the tumour inside.
constexpr ModelChoice kHeadModels[] = {
    {"Grey matter", 0.3f, false}, {"Ventricles", 1.0f, false}, {"Tumour", 1.0f, true}};

segmentation::SurfaceOptions anatomyOptions() {
  segmentation::SurfaceOptions options;
  // Flying edges gives about two triangles per voxel face; half of them carry no shape.
  options.targetReduction = 0.5;
  // Keeps the case file small and the 3D view fast on a software renderer.
  options.maxTriangles = 20000;
  // Each model encloses its segment's voxel volume (thin vessels lost 4-7 % to smoothing and
  // decimation without it; docs/validation.md, "Anatomy models").
  options.keepVoxelVolume = true;
  return options;
}

}  // namespace

std::vector<SurfaceMesh> makeSurfaceModels(const LabelMap& truth, PhantomKind kind,
                                           Progress& progress, nlohmann::json& settings) {
  const std::span<const ModelChoice> choices = kind == PhantomKind::Abdomen
                                                   ? std::span<const ModelChoice>(kAbdomenModels)
                                                   : std::span<const ModelChoice>(kHeadModels);
  std::vector<std::size_t> anatomy, targets;
  for (const ModelChoice& choice : choices)
    if (const auto index = truth.findSegment(std::string(choice.segment)))
      (choice.target ? targets : anatomy).push_back(*index);
  const segmentation::SurfaceOptions anatomyOpts = anatomyOptions(), targetOpts;
  std::vector<SurfaceMesh> meshes =
      segmentation::buildSurfaces(truth, anatomy, anatomyOpts, *subRange(progress, 0.0, 0.9));
  for (SurfaceMesh& target :
       segmentation::buildSurfaces(truth, targets, targetOpts, *subRange(progress, 0.9, 1.0)))
    meshes.push_back(std::move(target));
  for (SurfaceMesh& mesh : meshes)
    for (const ModelChoice& choice : choices)
      if (mesh.segmentName == choice.segment) mesh.opacity = choice.opacity;
  auto describe = [](const segmentation::SurfaceOptions& o) {
    return nlohmann::json{{"smoothingIterations", o.smoothingIterations},
                          {"passBand", o.passBand},
                          {"targetReduction", o.targetReduction},
                          {"maxTriangles", o.maxTriangles},
                          {"keepVoxelVolume", o.keepVoxelVolume}};
  };
  settings = {{"method",
               "flying edges, windowed sinc, topology-preserving (else quadric) decimation, point "
               "normals"},
              {"anatomy", describe(anatomyOpts)},
              {"targets", describe(targetOpts)}};
  return meshes;
}

}  // namespace twinplan::phantom::detail
