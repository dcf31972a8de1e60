// Editing tools as undoable case edits (segment_edit.h).
#include "twinplan/segmentation/segment_edit.h"

#include <array>
#include <cmath>
#include <set>
#include <sstream>
#include <utility>

#include "twinplan/core/error.h"

namespace twinplan::segmentation {
namespace {

constexpr std::array<std::pair<SegmentTool, const char*>, 14> kToolNames{{
    {SegmentTool::Grow, "grow"},
    {SegmentTool::Shrink, "shrink"},
    {SegmentTool::Open, "open"},
    {SegmentTool::Close, "close"},
    {SegmentTool::Hollow, "hollow"},
    {SegmentTool::FillHoles, "fill-holes"},
    {SegmentTool::Smooth, "smooth"},
    {SegmentTool::FillBetweenSlices, "fill-between-slices"},
    {SegmentTool::KeepLargestIsland, "keep-largest-island"},
    {SegmentTool::KeepIslandAtSeed, "keep-island-at-seed"},
    {SegmentTool::RemoveSmallIslands, "remove-small-islands"},
    {SegmentTool::SplitIslands, "split-islands"},
    {SegmentTool::Logical, "logical"},
    {SegmentTool::Median, "median"},
}};

std::string millimetres(double value) {
  std::ostringstream text;
  text << value;
  return text.str();
}

const LabelMap& labelMapAt(const Case& twin, std::size_t index) {
  if (index >= twin.labelMaps.size()) {
    throw Error(ErrorKind::InvalidInput, "The case has no label map " + std::to_string(index) +
                                             " (it has " + std::to_string(twin.labelMaps.size()) +
                                             ").");
  }
  return twin.labelMaps[index];
}

bool usesRadius(SegmentTool tool) {
  return tool == SegmentTool::Grow || tool == SegmentTool::Shrink || tool == SegmentTool::Open ||
         tool == SegmentTool::Close || tool == SegmentTool::Hollow || tool == SegmentTool::Smooth ||
         tool == SegmentTool::Median;
}

// The seed point as the voxel whose centre is nearest.
Index3 seedVoxel(const ImageGeometry& g, const Vec3& seed_lps) {
  const Vec3 ijk = g.lpsToIndex(seed_lps);
  if (!g.contains(ijk)) {
    throw Error(ErrorKind::InvalidInput,
                "The seed point (" + millimetres(seed_lps.x()) + ", " + millimetres(seed_lps.y()) +
                    ", " + millimetres(seed_lps.z()) +
                    ") mm LPS is outside the segmentation's image; pick a point on the island.");
  }
  return {std::llround(ijk.x()), std::llround(ijk.y()), std::llround(ijk.z())};
}

BinaryMask runTool(const LabelMap& labels, const BinaryMask& mask, const SegmentOperation& op,
                   Progress& progress) {
  switch (op.tool) {
    case SegmentTool::Grow:
      return grow(mask, op.margin_mm, progress);
    case SegmentTool::Shrink:
      return shrink(mask, op.margin_mm, progress);
    case SegmentTool::Open:
      return open(mask, op.margin_mm, progress);
    case SegmentTool::Close:
      return close(mask, op.margin_mm, progress);
    case SegmentTool::Hollow:
      return hollow(mask, op.margin_mm, op.shell, progress);
    case SegmentTool::FillHoles:
      return fillHoles(mask, op.perSlice, progress);
    case SegmentTool::Smooth:
      return gaussianSmooth(mask, op.margin_mm, progress);
    case SegmentTool::Median:
      return medianSmooth(mask, op.margin_mm, progress);
    case SegmentTool::FillBetweenSlices:
      return fillBetweenSlices(mask, progress);
    case SegmentTool::KeepLargestIsland:
      return keepLargestIsland(mask, op.connectivity, progress);
    case SegmentTool::KeepIslandAtSeed:
      return keepIslandAt(mask, seedVoxel(labels.geometry(), op.seed_lps), op.connectivity,
                          progress);
    case SegmentTool::RemoveSmallIslands:
      return removeSmallIslands(mask, op.minIslandVolume_mm3, op.connectivity, progress);
    case SegmentTool::Logical: {
      if (op.logical == LogicalOperation::Invert) return combine(mask, mask, op.logical, progress);
      if (op.otherSegment >= labels.segments().size()) {
        throw Error(ErrorKind::InvalidInput,
                    "The logical operation names segment " + std::to_string(op.otherSegment) +
                        ", which label map '" + labels.name + "' does not have.");
      }
      return combine(mask, extractSegment(labels, op.otherSegment), op.logical, progress);
    }
    case SegmentTool::SplitIslands:
      break;  // handled by splitInto
  }
  throw Error(ErrorKind::Internal, "Unknown segment tool.");
}

// The next label value unused in `layer` of `labels`.
std::uint16_t freeValue(const LabelMap& labels, int layer) {
  std::set<std::uint16_t> used;
  for (const Segment& s : labels.segments())
    if (s.layer == layer) used.insert(s.value);
  for (std::uint32_t v = 1; v <= 0xFFFF; ++v)
    if (!used.count(static_cast<std::uint16_t>(v))) return static_cast<std::uint16_t>(v);
  throw Error(ErrorKind::InvalidInput,
              "Layer " + std::to_string(layer) + " has no free label value for another segment.");
}

// Islands after the largest become new segments "<name> 2", "<name> 3" ... in the same layer,
// so their voxels only change value (a layer holds one segment per voxel).
void splitInto(LabelMap& labels, std::size_t segment, const BinaryMask& mask,
               const BinaryMask& editable, Connectivity connectivity, Progress& progress) {
  const Islands islands = findIslands(mask, connectivity, progress);
  const Segment original = labels.segments()[segment];
  std::vector<std::uint16_t> valueOfIsland(islands.count() + 1, original.value);
  for (std::size_t n = 2; n <= islands.count(); ++n) {
    Segment part = original;
    part.name = original.name + " " + std::to_string(n);
    part.value = freeValue(labels, original.layer);
    part.terminology = original.terminology;
    labels.addSegment(part);
    valueOfIsland[n] = part.value;
  }
  auto& layer = labels.layer(original.layer);
  for (std::size_t v = 0; v < layer.size(); ++v)
    if (islands.label[v] > 1 && editable.voxels[v]) layer[v] = valueOfIsland[islands.label[v]];
}

}  // namespace

const char* toString(SegmentTool tool) {
  for (const auto& [t, name] : kToolNames)
    if (t == tool) return name;
  return "unknown";
}

SegmentTool segmentToolFromString(const std::string& name) {
  for (const auto& [t, known] : kToolNames)
    if (name == known) return t;
  std::string list;
  for (const auto& [t, known] : kToolNames) list += (list.empty() ? "" : ", ") + std::string(known);
  throw Error(ErrorKind::InvalidInput,
              "Unknown segmentation tool '" + name + "'; use one of: " + list + ".");
}

std::string describe(const SegmentOperation& op, const std::string& name,
                     const std::string& other) {
  const std::string r = millimetres(op.margin_mm) + " mm";
  switch (op.tool) {
    case SegmentTool::Grow:
      return "Grow " + name + " by " + r;
    case SegmentTool::Shrink:
      return "Shrink " + name + " by " + r;
    case SegmentTool::Open:
      return "Open " + name + " (" + r + ")";
    case SegmentTool::Close:
      return "Close " + name + " (" + r + ")";
    case SegmentTool::Hollow:
      return "Hollow " + name + " (" + r + " shell)";
    case SegmentTool::FillHoles:
      return std::string("Fill holes in ") + name + (op.perSlice ? " per slice" : "");
    case SegmentTool::Smooth:
      return "Smooth " + name + " (Gaussian " + r + ")";
    case SegmentTool::Median:
      return "Smooth " + name + " (median " + r + ")";
    case SegmentTool::FillBetweenSlices:
      return "Fill between slices of " + name;
    case SegmentTool::KeepLargestIsland:
      return "Keep the largest island of " + name;
    case SegmentTool::KeepIslandAtSeed:
      return "Keep the selected island of " + name;
    case SegmentTool::RemoveSmallIslands:
      return "Remove islands of " + name + " under " + millimetres(op.minIslandVolume_mm3) + " mm3";
    case SegmentTool::SplitIslands:
      return "Split " + name + " into islands";
    case SegmentTool::Logical:
      switch (op.logical) {
        case LogicalOperation::Union:
          return "Add " + other + " to " + name;
        case LogicalOperation::Intersect:
          return "Intersect " + name + " with " + other;
        case LogicalOperation::Subtract:
          return "Subtract " + other + " from " + name;
        case LogicalOperation::Invert:
          return "Invert " + name;
      }
  }
  return "Edit " + name;
}

LabelMap applyToLabelMap(const Case& twin, std::size_t labelMapIndex, std::size_t segmentIndex,
                         const SegmentOperation& op, const EditableArea& area, Progress& progress) {
  const LabelMap& before = labelMapAt(twin, labelMapIndex);
  if (usesRadius(op.tool) && !(op.margin_mm > 0.0)) {
    throw Error(ErrorKind::InvalidInput, std::string("The ") + toString(op.tool) +
                                             " tool needs a length above 0 mm (got " +
                                             millimetres(op.margin_mm) + " mm).");
  }
  const ImageVolume* source = area.intensity ? findVolume(twin, area.intensity->volume) : nullptr;
  const BinaryMask editable = editableVoxels(before, segmentIndex, area, source);
  const BinaryMask mask = extractSegment(before, segmentIndex);
  LabelMap after = before;
  if (op.tool == SegmentTool::SplitIslands) {
    splitInto(after, segmentIndex, mask, editable, op.connectivity, progress);
    return after;
  }
  const BinaryMask edited = runTool(before, mask, op, progress);
  progress.check();
  writeSegment(after, segmentIndex, edited, editable);
  return after;
}

std::unique_ptr<CaseEdit> applyToSegment(const Case& twin, std::size_t labelMapIndex,
                                         std::size_t segmentIndex, const SegmentOperation& op,
                                         const EditableArea& area, Progress& progress) {
  LabelMap edited = applyToLabelMap(twin, labelMapIndex, segmentIndex, op, area, progress);
  const LabelMap& before = twin.labelMaps[labelMapIndex];
  const std::string name = before.segments()[segmentIndex].name;
  const std::string other =
      op.tool == SegmentTool::Logical && op.otherSegment < before.segments().size()
          ? before.segments()[op.otherSegment].name
          : std::string();
  std::vector<LabelMap> labelMaps = twin.labelMaps;
  labelMaps[labelMapIndex] = std::move(edited);
  return edits::replaceLabelMaps(twin, std::move(labelMaps), describe(op, name, other));
}

}  // namespace twinplan::segmentation
