#include "twinplan/core/segment_edits.h"

#include <algorithm>
#include <limits>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "twinplan/core/error.h"

namespace twinplan::edits {

namespace {

void requireSegment(const Case& twin, std::size_t labelMap, std::size_t segment) {
  if (labelMap >= twin.labelMaps.size())
    throw Error(ErrorKind::InvalidInput,
                "There is no label map number " + std::to_string(labelMap + 1) + "; the case has " +
                    std::to_string(twin.labelMaps.size()) + ".",
                "label map");
  const auto& segments = twin.labelMaps[labelMap].segments();
  if (segment >= segments.size())
    throw Error(ErrorKind::InvalidInput,
                "There is no segment number " + std::to_string(segment + 1) + "; the label map \"" +
                    twin.labelMaps[labelMap].name + "\" has " + std::to_string(segments.size()) +
                    ".",
                "segment");
}

// Segments are found by name (LabelMap::findSegment, meshes' segmentName), so names are unique.
void requireFreeName(const LabelMap& labels, const std::string& name,
                     std::optional<std::size_t> self) {
  if (name.empty())
    throw Error(ErrorKind::InvalidInput, "A segment needs a name; type one in the Name column.",
                "name");
  const auto& segments = labels.segments();
  for (std::size_t i = 0; i < segments.size(); ++i)
    if (segments[i].name == name && (!self || *self != i))
      throw Error(ErrorKind::InvalidInput,
                  "Another segment is already called \"" + name + "\"; choose another name.", name);
}

std::uint16_t firstUnusedValue(const LabelMap& labels, int layer) {
  std::set<std::uint16_t> used;
  for (const Segment& s : labels.segments())
    if (s.layer == layer) used.insert(s.value);
  for (std::uint32_t v = 1; v <= std::numeric_limits<std::uint16_t>::max(); ++v)
    if (!used.contains(static_cast<std::uint16_t>(v))) return static_cast<std::uint16_t>(v);
  throw Error(ErrorKind::InvalidInput,
              "Layer " + std::to_string(layer) + " of the label map holds 65535 segments already.",
              "layer");
}

// True when no voxel of `mask` (label `value` in `source`) is taken in `layer`.
bool layerIsFreeWhere(const std::vector<std::uint16_t>& layer,
                      const std::vector<std::uint16_t>& source, std::uint16_t value) {
  for (std::size_t n = 0; n < source.size(); ++n)
    if (source[n] == value && layer[n] != 0) return false;
  return true;
}

// A change of a segment that has surface models, where the label maps and the models change
// together and one undo takes back both: a rename (the models' links, SurfaceMesh::segmentName,
// and the name they were given after the segment follow it, so "Build 3D models" keeps
// replacing the same model) or a removal (its models go with it).
class LabelMapsWithModels final : public CaseEdit {
 public:
  LabelMapsWithModels(const Case& twin, std::vector<LabelMap> labelMaps,
                      std::vector<SurfaceMesh> meshes, std::string text)
      : before_{twin.labelMaps, twin.meshes},
        after_{std::move(labelMaps), std::move(meshes)},
        text_(std::move(text)) {}
  std::string text() const override { return text_; }
  void apply(Case& twin) override { assign(twin, after_); }
  void revert(Case& twin) override { assign(twin, before_); }
  std::vector<CaseChange> changes() const override {
    return {{CasePart::LabelMaps}, {CasePart::Meshes}};
  }

 private:
  struct Lists {
    std::vector<LabelMap> labelMaps;
    std::vector<SurfaceMesh> meshes;
  };
  static void assign(Case& twin, const Lists& lists) {
    Lists copy = lists;  // may throw: the case is still untouched
    twin.labelMaps.swap(copy.labelMaps);
    twin.meshes.swap(copy.meshes);
  }
  Lists before_, after_;
  std::string text_;
};

// A change of one label map's segment table alone (a property, an added empty segment): it
// keeps the tables before and after, never the voxels, so the case's layers stay unshared and
// a brush stroke after it writes into them without copying a whole layer (copy-on-write,
// label_map.h; docs/benchmarks.md "Segment editor").
class SegmentListEdit final : public CaseEdit {
 public:
  SegmentListEdit(const Case& twin, std::size_t labelMap, std::vector<Segment> after,
                  std::string text)
      : labelMap_(labelMap),
        before_(twin.labelMaps[labelMap].segments()),
        after_(std::move(after)),
        text_(std::move(text)) {}
  std::string text() const override { return text_; }
  void apply(Case& twin) override { assign(twin, after_); }
  void revert(Case& twin) override { assign(twin, before_); }
  std::vector<CaseChange> changes() const override { return {{CasePart::LabelMaps}}; }

 private:
  void assign(Case& twin, const std::vector<Segment>& segments) const {
    if (labelMap_ >= twin.labelMaps.size())
      throw Error(ErrorKind::Internal, "The segment's label map is no longer in the case.", text_);
    std::vector<Segment> copy = segments;  // may throw: the case is still untouched
    twin.labelMaps[labelMap_].segments().swap(copy);
  }
  std::size_t labelMap_;
  std::vector<Segment> before_, after_;
  std::string text_;
};

}  // namespace

std::string unusedSegmentName(const LabelMap& labels, const std::string& wanted) {
  const std::string base = wanted.empty() ? std::string("Segment") : wanted;
  std::string name = base;
  for (int n = 2; labels.findSegment(name); ++n) name = base + " " + std::to_string(n);
  return name;
}

std::unique_ptr<CaseEdit> setSegmentProperties(const Case& twin, std::size_t labelMap,
                                               std::size_t segment, Segment properties) {
  requireSegment(twin, labelMap, segment);
  const LabelMap& labels = twin.labelMaps[labelMap];
  requireFreeName(labels, properties.name, segment);
  const Segment& before = labels.segments()[segment];
  properties.layer = before.layer;  // where its voxels are: not a property
  properties.value = before.value;
  std::string text = before.name == properties.name
                         ? "Edit segment " + properties.name
                         : "Rename " + before.name + " to " + properties.name;
  const std::string oldName = before.name, newName = properties.name;
  auto after = twin.labelMaps;  // the layers are shared, copy-on-write
  after[labelMap].segments()[segment] = std::move(properties);
  const auto isModelOf = [&](const SurfaceMesh& m) { return m.segmentName == oldName; };
  if (oldName == newName || std::none_of(twin.meshes.begin(), twin.meshes.end(), isModelOf))
    return std::make_unique<SegmentListEdit>(twin, labelMap, after[labelMap].segments(),
                                             std::move(text));
  std::vector<SurfaceMesh> meshes = twin.meshes;
  for (SurfaceMesh& mesh : meshes) {
    if (!isModelOf(mesh)) continue;
    mesh.segmentName = newName;
    if (mesh.name == oldName) mesh.name = newName;
  }
  return std::make_unique<LabelMapsWithModels>(twin, std::move(after), std::move(meshes),
                                               std::move(text));
}

std::unique_ptr<CaseEdit> addSegment(const Case& twin, std::size_t labelMap, Segment properties) {
  if (labelMap >= twin.labelMaps.size())
    throw Error(ErrorKind::InvalidInput,
                "There is no label map number " + std::to_string(labelMap + 1) +
                    " to add a segment to; the case has " + std::to_string(twin.labelMaps.size()) +
                    ".",
                "label map");
  const LabelMap& labels = twin.labelMaps[labelMap];
  requireFreeName(labels, properties.name, std::nullopt);
  properties.layer = 0;
  properties.value = firstUnusedValue(labels, 0);
  std::string text = "Add segment " + properties.name;
  if (labels.layerCount() == 0) {  // a label map without voxels yet: it gets its first layer
    auto maps = twin.labelMaps;
    maps[labelMap].addSegment(std::move(properties));
    return replaceLabelMaps(twin, std::move(maps), std::move(text));
  }
  // The segment table alone changes (the new segment has no voxels yet).
  std::vector<Segment> after = labels.segments();
  after.push_back(std::move(properties));
  return std::make_unique<SegmentListEdit>(twin, labelMap, std::move(after), std::move(text));
}

std::unique_ptr<CaseEdit> removeSegment(const Case& twin, std::size_t labelMap,
                                        std::size_t segment) {
  requireSegment(twin, labelMap, segment);
  const Segment& removed = twin.labelMaps[labelMap].segments()[segment];
  if (removed.locked)
    throw Error(ErrorKind::InvalidInput,
                "The segment \"" + removed.name + "\" is locked; unlock it to delete it.",
                removed.name);
  std::string text = "Delete segment " + removed.name;
  auto after = twin.labelMaps;
  LabelMap& labels = after[labelMap];
  std::vector<std::uint16_t>& layer = labels.layer(removed.layer);
  std::replace(layer.begin(), layer.end(), removed.value, std::uint16_t{0});
  labels.segments().erase(labels.segments().begin() + static_cast<std::ptrdiff_t>(segment));
  // Its 3D models go too (they would show anatomy the case no longer has), unless a segment of
  // the same name lives on in another label map: models are linked by name.
  const std::string& name = twin.labelMaps[labelMap].segments()[segment].name;
  const bool nameLivesOn = std::any_of(after.begin(), after.end(), [&](const LabelMap& map) {
    return map.findSegment(name).has_value();
  });
  const auto isModelOf = [&](const SurfaceMesh& m) { return m.segmentName == name; };
  if (nameLivesOn || std::none_of(twin.meshes.begin(), twin.meshes.end(), isModelOf))
    return replaceLabelMaps(twin, std::move(after), std::move(text));
  std::vector<SurfaceMesh> meshes = twin.meshes;
  std::erase_if(meshes, isModelOf);
  return std::make_unique<LabelMapsWithModels>(twin, std::move(after), std::move(meshes),
                                               std::move(text));
}

std::unique_ptr<CaseEdit> duplicateSegment(const Case& twin, std::size_t labelMap,
                                           std::size_t segment) {
  requireSegment(twin, labelMap, segment);
  auto after = twin.labelMaps;
  LabelMap& labels = after[labelMap];
  const Segment original = labels.segments()[segment];
  const std::vector<std::uint16_t> source = std::as_const(labels).layer(original.layer);
  int target = 0;
  while (target < labels.layerCount() &&
         !layerIsFreeWhere(std::as_const(labels).layer(target), source, original.value))
    ++target;
  if (target == labels.layerCount()) labels.addLayer();
  Segment copy = original;
  copy.name = unusedSegmentName(labels, original.name + " copy");
  copy.locked = false;
  copy.layer = target;
  copy.value = firstUnusedValue(labels, target);
  std::vector<std::uint16_t>& layer = labels.layer(target);
  for (std::size_t n = 0; n < source.size(); ++n)
    if (source[n] == original.value) layer[n] = copy.value;
  std::string text = "Duplicate " + original.name;
  labels.addSegment(std::move(copy));
  return replaceLabelMaps(twin, std::move(after), std::move(text));
}

}  // namespace twinplan::edits
