// Segment <-> mask, and the masking rule of an edit.
#include "twinplan/segmentation/binary_mask.h"

#include <atomic>

#include "twinplan/core/error.h"
#include "twinplan/core/parallel.h"

namespace twinplan::segmentation {
namespace {

// Slabs of voxels per parallel chunk: large enough to amortise scheduling, small enough to
// poll for cancel well within 50 ms.
constexpr std::size_t kVoxelGrain = 1 << 18;

void requireSameGrid(const ImageGeometry& a, const ImageGeometry& b, const std::string& what) {
  if (a.size != b.size || !a.sameGridAs(b)) {
    throw Error(ErrorKind::InvalidInput,
                what + " is not on the label map's grid; resample it onto the segmentation first.");
  }
}

const Segment& segmentAt(const LabelMap& labels, std::size_t segment) {
  if (segment >= labels.segments().size()) {
    throw Error(ErrorKind::InvalidInput, "Label map '" + labels.name + "' has no segment " +
                                             std::to_string(segment) + " (it has " +
                                             std::to_string(labels.segments().size()) + ").");
  }
  return labels.segments()[segment];
}

}  // namespace

std::size_t BinaryMask::count() const {
  return parallel::parallelReduce(
      {0, voxels.size()}, kVoxelGrain, std::size_t{0},
      [&](parallel::IndexRange r) {
        std::size_t n = 0;
        for (std::size_t v = r.begin; v < r.end; ++v) n += voxels[v] != 0;
        return n;
      },
      [](std::size_t a, std::size_t b) { return a + b; });
}

double BinaryMask::volume_mm3() const { return static_cast<double>(count()) * voxelVolume_mm3(); }

BinaryMask extractSegment(const LabelMap& labels, std::size_t segment) {
  const Segment& s = segmentAt(labels, segment);
  BinaryMask mask(labels.geometry());
  const auto& layer = labels.layer(s.layer);
  parallel::parallelFor({0, layer.size()}, kVoxelGrain, [&](parallel::IndexRange r) {
    for (std::size_t v = r.begin; v < r.end; ++v) mask.voxels[v] = layer[v] == s.value;
  });
  return mask;
}

BinaryMask editableVoxels(const LabelMap& labels, std::size_t segment, const EditableArea& area,
                          const ImageVolume* intensitySource) {
  const Segment& target = segmentAt(labels, segment);
  if (target.locked) {
    throw Error(ErrorKind::InvalidInput,
                "Segment '" + target.name + "' is locked; unlock it before editing it.");
  }
  BinaryMask editable(labels.geometry());
  std::fill(editable.voxels.begin(), editable.voxels.end(), std::uint8_t{1});
  const auto& layer = labels.layer(target.layer);
  // Locked segments of the target's layer: their voxels cannot take the target's value.
  std::vector<std::uint16_t> lockedValues;
  for (const Segment& s : labels.segments())
    if (s.locked && s.layer == target.layer) lockedValues.push_back(s.value);

  std::optional<BinaryMask> inside;
  if (area.insideSegment) {
    if (*area.insideSegment >= labels.segments().size()) {
      throw Error(ErrorKind::InvalidInput,
                  "The editable area names segment " + std::to_string(*area.insideSegment) +
                      ", which label map '" + labels.name + "' does not have.");
    }
    inside = extractSegment(labels, *area.insideSegment);
  }
  if (area.intensity) {
    if (!intensitySource) {
      throw Error(ErrorKind::InvalidInput, "The editable intensity range names volume '" +
                                               area.intensity->volume +
                                               "', which the case does not have.");
    }
    requireSameGrid(intensitySource->geometry(), labels.geometry(),
                    "Volume '" + area.intensity->volume + "'");
    if (!(area.intensity->min <= area.intensity->max)) {
      throw Error(ErrorKind::InvalidInput, "The editable intensity range is empty (minimum " +
                                               std::to_string(area.intensity->min) +
                                               " above maximum " +
                                               std::to_string(area.intensity->max) + ").");
    }
  }
  if (!inside && !area.intensity && lockedValues.empty()) return editable;  // all editable
  const ImageGeometry& g = labels.geometry();
  const auto sliceVoxels = static_cast<std::size_t>(g.size[0] * g.size[1]);
  parallel::parallelFor({0, static_cast<std::size_t>(g.size[2])}, 1, [&](parallel::IndexRange r) {
    for (std::size_t k = r.begin; k < r.end; ++k)
      for (std::int64_t j = 0; j < g.size[1]; ++j)
        for (std::int64_t i = 0; i < g.size[0]; ++i) {
          const std::size_t v = k * sliceVoxels + static_cast<std::size_t>(j * g.size[0] + i);
          bool ok =
              std::find(lockedValues.begin(), lockedValues.end(), layer[v]) == lockedValues.end();
          if (ok && inside) ok = inside->voxels[v] != 0;
          if (ok && area.intensity) {
            const double value = intensitySource->valueAt(i, j, static_cast<std::int64_t>(k));
            // Pixel padding (outside the scanned field, PS3.3 C.7.5.1.1.2) is not tissue,
            // whatever its value (image_volume.h: threshold tools leave it out).
            ok = value >= area.intensity->min && value <= area.intensity->max &&
                 !intensitySource->isPadding(value);
          }
          editable.voxels[v] = ok;
        }
  });
  return editable;
}

std::size_t writeSegment(LabelMap& labels, std::size_t segment, const BinaryMask& edited,
                         const BinaryMask& editable) {
  const Segment s = segmentAt(labels, segment);
  requireSameGrid(edited.geometry, labels.geometry(), "The edited mask");
  requireSameGrid(editable.geometry, labels.geometry(), "The editable area");
  auto& layer = labels.layer(s.layer);
  return parallel::parallelReduce(
      {0, layer.size()}, kVoxelGrain, std::size_t{0},
      [&](parallel::IndexRange r) {
        std::size_t changed = 0;
        for (std::size_t v = r.begin; v < r.end; ++v) {
          if (editable.voxels[v])
            changed += writeMembership(layer[v], s.value, edited.voxels[v] != 0);
        }
        return changed;
      },
      [](std::size_t a, std::size_t b) { return a + b; });
}

}  // namespace twinplan::segmentation
