#pragma once
// Automatic segmentation presets (issue #16 item 2): CT body outline, bone, lungs, contrast-
// enhanced vessels, liver from one seed, and the MR head brain mask. Each makes a LabelMap on the
// volume's grid whose segments carry a name, colour, tissue type (the key of the simulations'
// property tables) and SNOMED CT terminology. Parameters and their sources: presets.cpp and
// docs/validation.md "Segmentation presets".
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "twinplan/core/case_edit.h"
#include "twinplan/core/image_volume.h"
#include "twinplan/core/label_map.h"
#include "twinplan/core/progress.h"
#include "twinplan/segmentation/region_mask.h"

namespace twinplan::segmentation {

enum class PresetName { BodyOutline, Bone, Lungs, Vessels, Liver, BrainMask };

struct PresetInfo {
  PresetName preset;
  std::string name;      // as the CLI and jobs spell it: "body", "bone", "lungs" ...
  std::string summary;   // one sentence for help texts
  std::string modality;  // "CT" or "MR": the volumes it is made for
  bool needsSeed = false;
};
const std::vector<PresetInfo>& presetCatalogue();
const PresetInfo& presetInfo(PresetName preset);
// Throws Error(InvalidInput) naming the known presets.
PresetName presetFromString(std::string_view name);

// The segment (name, colour, tissue type, terminology) a preset makes; value 1, layer 0. For
// the lungs preset, the first of its segments ("Right lung").
Segment presetSegment(PresetName preset);
// Every segment a preset makes, in value order: the lungs preset makes "Right lung" (value 1)
// and "Left lung" (value 2), always (the one not in view empty), and "Airways" (trachea and
// bronchi, value 3 in the same layer) when it finds a trachea.
std::vector<Segment> presetSegments(PresetName preset);

// Runs a preset on `volume`. Throws Error(InvalidInput) when the preset needs a seed and none is
// given or a seed lies outside the image, Error(Unsupported) when the volume is not the modality
// the preset is made for (CT presets need HU) or is not a patient volume; Cancelled on cancel.
LabelMap runPreset(const ImageVolume& volume, PresetName preset, std::span<const Vec3> seeds_lps,
                   Progress& progress = noProgress());

// What presets run one after the other on the same volume share: the CT body outline, which
// body, bone, lungs and vessels all start from (about 3 s CPU each at 512x512x600), and the
// connected components of dense tissue that bone and vessels both select from, each computed
// once. A cache serves the one volume it was first used with (same voxel buffer and grid); used
// with another it starts again. Do not change the volume's voxels while the cache is in use.
class PresetCache {
 public:
  // The body outline of `ct` (the body preset's mask), computed on first use.
  const RegionMask& bodyOutline(const ImageVolume& ct, Progress& progress = noProgress());

  // The components of bone-dense voxels inside the body outline, two ways: those larger than a
  // speck (the bone preset's mask) and those holding cortex (bone to the vessels preset).
  struct DenseBone {
    RegionMask bone, cortical;
  };
  const DenseBone& denseBone(const ImageVolume& ct, Progress& progress = noProgress());

 private:
  void serve(const ImageVolume& ct);  // forgets what it holds when `ct` is another volume

  const void* voxels_ = nullptr;
  ImageGeometry grid_;
  std::optional<RegionMask> body_;
  std::optional<DenseBone> dense_;
};

// runPreset with intermediate results shared through `cache` (model runs several presets).
LabelMap runPreset(const ImageVolume& volume, PresetName preset, std::span<const Vec3> seeds_lps,
                   PresetCache& cache, Progress& progress = noProgress());

// The undoable edit that adds a preset's result to a case (edits::replaceLabelMaps): its segments
// join the first labelmap on the same grid as new layers (their names made unique), or the result
// becomes a new labelmap when none is on that grid.
std::unique_ptr<CaseEdit> addPresetSegments(const Case& twin, const LabelMap& result,
                                            const std::string& text);

}  // namespace twinplan::segmentation
