#include "segment_command.h"

#include "cli_options.h"
#include "twinplan/core/case_editor.h"
#include "twinplan/core/case_file.h"
#include "twinplan/core/error.h"
#include "twinplan/segmentation/segment_edit.h"

namespace twinplan::cli {
namespace {

using segmentation::SegmentTool;

std::string segmentNames(const Case& twin) {
  std::vector<std::string> names;
  for (const LabelMap& labels : twin.labelMaps)
    for (const Segment& s : labels.segments()) names.push_back(s.name);
  return names.empty() ? "none" : quotedNames(names);
}

// The label map holding segment `name` (the one named `labelMap` when given).
std::pair<std::size_t, std::size_t> findSegment(const Case& twin, const std::string& name,
                                                const std::string& labelMap) {
  for (std::size_t m = 0; m < twin.labelMaps.size(); ++m) {
    if (!labelMap.empty() && twin.labelMaps[m].name != labelMap) continue;
    if (const auto s = twin.labelMaps[m].findSegment(name)) return {m, *s};
  }
  throw Error(ErrorKind::NotFound,
              "The case has no segment '" + name + "'" +
                  (labelMap.empty() ? "" : " in label map '" + labelMap + "'") +
                  "; its segments are " + segmentNames(twin) + ".",
              name);
}

std::size_t segmentInSameMap(const Case& twin, std::size_t labelMap, const std::string& name,
                             const char* option) {
  if (const auto s = twin.labelMaps[labelMap].findSegment(name)) return *s;
  throw Error(ErrorKind::NotFound,
              std::string(option) + " names segment '" + name + "', which label map '" +
                  twin.labelMaps[labelMap].name + "' does not have; its segments are " +
                  segmentNames(twin) + ".",
              name);
}

segmentation::SegmentOperation operationOf(const SegmentToolArguments& a, const Case& twin,
                                           std::size_t labelMap) {
  segmentation::SegmentOperation op;
  op.tool = segmentation::segmentToolFromString(a.tool);
  const bool needsLength = op.tool == SegmentTool::Grow || op.tool == SegmentTool::Shrink ||
                           op.tool == SegmentTool::Open || op.tool == SegmentTool::Close ||
                           op.tool == SegmentTool::Hollow || op.tool == SegmentTool::Smooth ||
                           op.tool == SegmentTool::Median;
  if (needsLength && !a.margin_mm) {
    throw Error(ErrorKind::InvalidInput,
                "--op " + a.tool + " needs a length: add --mm R (millimetres).");
  }
  op.margin_mm = a.margin_mm.value_or(0.0);
  op.shell = a.shell == "outside"   ? segmentation::ShellPlacement::Outside
             : a.shell == "centred" ? segmentation::ShellPlacement::Centred
                                    : segmentation::ShellPlacement::Inside;
  op.perSlice = a.perSlice;
  op.minIslandVolume_mm3 = a.minIslandVolume_mm3;
  op.connectivity =
      a.connectivity == 6 ? segmentation::Connectivity::Faces6 : segmentation::Connectivity::Full26;
  if (op.tool == SegmentTool::KeepIslandAtSeed) {
    if (a.seed_lps.size() != 3) {
      throw Error(ErrorKind::InvalidInput,
                  "--op keep-island-at-seed needs --seed x,y,z (patient LPS millimetres).");
    }
    op.seed_lps = Vec3(a.seed_lps[0], a.seed_lps[1], a.seed_lps[2]);
  }
  if (op.tool == SegmentTool::Logical) {
    if (a.logical.empty()) {
      throw Error(ErrorKind::InvalidInput,
                  "--op logical needs --logical union|intersect|subtract|invert.");
    }
    op.logical = a.logical == "union"       ? segmentation::LogicalOperation::Union
                 : a.logical == "intersect" ? segmentation::LogicalOperation::Intersect
                 : a.logical == "subtract"  ? segmentation::LogicalOperation::Subtract
                                            : segmentation::LogicalOperation::Invert;
    if (op.logical != segmentation::LogicalOperation::Invert) {
      if (a.other.empty()) {
        throw Error(ErrorKind::InvalidInput,
                    "--logical " + a.logical + " needs --other NAME (the second segment).");
      }
      op.otherSegment = segmentInSameMap(twin, labelMap, a.other, "--other");
    }
  }
  return op;
}

segmentation::EditableArea areaOf(const SegmentToolArguments& a, const Case& twin,
                                  std::size_t labelMap) {
  segmentation::EditableArea area;
  if (!a.insideSegment.empty())
    area.insideSegment = segmentInSameMap(twin, labelMap, a.insideSegment, "--inside");
  if (!a.intensityRange.empty()) {
    if (twin.volumes.empty()) {
      throw Error(ErrorKind::InvalidInput,
                  "--intensity-range needs an image, and the case has no volume.");
    }
    area.intensity = segmentation::EditableArea::IntensityRange{
        a.intensityVolume.empty() ? twin.volumes.front().name : a.intensityVolume,
        a.intensityRange[0], a.intensityRange[1]};
  }
  return area;
}

}  // namespace

void addSegmentToolOptions(CLI::App& command, SegmentToolArguments& a) {
  command.add_option("CASE", a.input, "Case file (.twinplan)")->required();
  command.add_option("--out", a.output, "Case file to write (may be CASE itself)")->required();
  command.add_option("--op", a.tool,
                     "grow | shrink | open | close | hollow | fill-holes | smooth | median | "
                     "fill-between-slices | keep-largest-island | keep-island-at-seed | "
                     "remove-small-islands | split-islands | logical");
  command.add_option("--preset", a.preset,
                     "Instead of --op: body | bone | lungs | vessels | liver | brain");
  command.add_option("--volume", a.volume,
                     "--preset: the volume to segment (default: the first CT, or MR)");
  command.add_option("--segment", a.segment, "--op: name of the segment to edit");
  command.add_option("--label-map", a.labelMap,
                     "Label map holding it (default: the first that does)");
  command.add_option("--mm", a.margin_mm,
                     "Length in mm: margin (grow, shrink), ball radius (open, close), shell "
                     "thickness (hollow), Gaussian sigma (smooth), window radius (median)");
  command.add_option("--shell", a.shell, "hollow: inside | outside | centred (default inside)")
      ->check(CLI::IsMember({"inside", "outside", "centred"}));
  command.add_flag("--per-slice", a.perSlice, "fill-holes: each slice on its own (2D)");
  command.add_option("--min-mm3", a.minIslandVolume_mm3,
                     "remove-small-islands: keep islands of at least this volume (mm3)");
  addNumbersOption(command, "--seed", a.seed_lps, 3,
                   "A point x,y,z in LPS mm: keep-island-at-seed, or the liver preset's seed");
  command.add_option("--connectivity", a.connectivity, "Islands: 6 (faces) or 26 (default)")
      ->check(CLI::IsMember({6, 26}));
  command.add_option("--logical", a.logical, "logical: union | intersect | subtract | invert")
      ->check(CLI::IsMember({"union", "intersect", "subtract", "invert"}));
  command.add_option("--other", a.other, "logical: the second segment");
  command.add_option("--inside", a.insideSegment,
                     "Masking: change only voxels inside this segment");
  addNumbersOption(command, "--intensity-range", a.intensityRange, 2,
                   "Masking: change only voxels whose image value is in MIN,MAX");
  command.add_option("--intensity-volume", a.intensityVolume,
                     "Masking: the volume --intensity-range reads (default: the first)");
}

nlohmann::json runSegmentTool(const SegmentToolArguments& a, Progress& progress) {
  auto loading = subRange(progress, 0.0, 0.2);
  Case twin = loadCase(a.input, *loading);
  const auto [labelMap, segment] = findSegment(twin, a.segment, a.labelMap);
  const segmentation::SegmentOperation op = operationOf(a, twin, labelMap);
  const segmentation::EditableArea area = areaOf(a, twin, labelMap);
  const double before_ml = twin.labelMaps[labelMap].volume_ml(segment);

  auto editing = subRange(progress, 0.2, 0.8);
  CaseEditor editor(std::move(twin));
  editor.apply(segmentation::applyToSegment(editor.twin(), labelMap, segment, op, area, *editing));
  const std::string text = editor.undoText();
  twin = editor.reset({});
  twin.provenance.push_back({{"step", "segment"},
                             {"time", utcNowIso8601()},
                             {"operation", text},
                             {"tool", a.tool},
                             {"segment", a.segment}});
  auto saving = subRange(progress, 0.8, 1.0);
  saveCase(twin, a.output, *saving);

  const LabelMap& labels = twin.labelMaps[labelMap];
  nlohmann::json segments = nlohmann::json::array();
  for (std::size_t s = 0; s < labels.segments().size(); ++s)
    segments.push_back({{"name", labels.segments()[s].name}, {"volume_ml", labels.volume_ml(s)}});
  return {{"operation", text},
          {"segment", a.segment},
          {"labelMap", labels.name},
          {"volumeBefore_ml", before_ml},
          {"volumeAfter_ml", labels.volume_ml(segment)},
          {"output", a.output.string()},
          {"segments", segments}};
}

}  // namespace twinplan::cli
