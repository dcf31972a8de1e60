// Brush geometry (disk in the slice plane, sphere) and painting a stroke's voxels.
#include "twinplan/segmentation/brush.h"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <limits>
#include <map>
#include <string>

#include "twinplan/core/error.h"
#include "twinplan/core/parallel.h"

namespace twinplan::segmentation {
namespace {

// Centres exactly on the brush's rim are inside ("within r mm"); this absorbs the rounding of
// the centre's LPS position so that a rim voxel does not flicker in and out with the origin.
constexpr double kRimTolerance = 1e-9;

// Voxels per chunk when painting: a mouse move's capsule (a few thousand voxels) is one chunk.
constexpr std::size_t kPaintGrain = 1 << 14;

// The index-space box [lo, hi] (inclusive, clipped to the grid) that holds every voxel centre
// within `reach_mm` of the segment [a, b]: the LPS bounding box of the capsule, through the
// grid's (possibly oblique) index transform.
struct IndexBox {
  Index3 lo{0, 0, 0}, hi{-1, -1, -1};
  bool empty() const { return hi[0] < lo[0] || hi[1] < lo[1] || hi[2] < lo[2]; }
};

IndexBox indexBoxAround(const ImageGeometry& grid, const Vec3& a, const Vec3& b, double reach_mm) {
  const Vec3 lo = a.cwiseMin(b) - Vec3::Constant(reach_mm);
  const Vec3 hi = a.cwiseMax(b) + Vec3::Constant(reach_mm);
  Vec3 ijkLo = Vec3::Constant(std::numeric_limits<double>::infinity());
  Vec3 ijkHi = -ijkLo;
  for (int corner = 0; corner < 8; ++corner) {
    const Vec3 p((corner & 1) ? hi.x() : lo.x(), (corner & 2) ? hi.y() : lo.y(),
                 (corner & 4) ? hi.z() : lo.z());
    const Vec3 ijk = grid.lpsToIndex(p);
    ijkLo = ijkLo.cwiseMin(ijk);
    ijkHi = ijkHi.cwiseMax(ijk);
  }
  IndexBox box;
  for (int axis = 0; axis < 3; ++axis) {
    const double first = std::max(std::floor(ijkLo[axis]), 0.0);
    const double last = std::min(std::ceil(ijkHi[axis]), static_cast<double>(grid.size[axis] - 1));
    box.lo[axis] = static_cast<std::int64_t>(first);
    box.hi[axis] = static_cast<std::int64_t>(last);
  }
  return box;
}

}  // namespace

void Brush::validate() const {
  if (!std::isfinite(radius_mm) || radius_mm <= 0.0) {
    throw Error(ErrorKind::InvalidInput,
                "The brush radius must be a positive number of millimetres (got " +
                    std::to_string(radius_mm) + ").",
                "radius_mm");
  }
  if (sphere) return;
  if (!std::isfinite(sliceThickness_mm) || sliceThickness_mm <= 0.0) {
    throw Error(ErrorKind::InvalidInput,
                "The brush's slice thickness must be a positive number of millimetres (got " +
                    std::to_string(sliceThickness_mm) + ").",
                "sliceThickness_mm");
  }
  if (!sliceNormal_lps.allFinite() || sliceNormal_lps.norm() < 1e-6) {
    throw Error(ErrorKind::InvalidInput,
                "The brush's slice normal is not a direction; give the view's normal.",
                "sliceNormal_lps");
  }
}

std::vector<std::size_t> brushVoxels(const ImageGeometry& grid, const Vec3& from_lps,
                                     const Vec3& to_lps, const Brush& brush) {
  brush.validate();
  const Vec3 normal = brush.sliceNormal_lps.normalized();
  const double halfSlice_mm = 0.5 * brush.sliceThickness_mm;
  // The disk is drawn in the plane through `from`: the segment is projected into it.
  const Vec3 a = from_lps;
  const Vec3 b = brush.sphere ? to_lps : to_lps - normal * normal.dot(to_lps - from_lps);
  const Vec3 along = b - a;
  const double length2 = along.squaredNorm();
  const double radius2 = brush.radius_mm * brush.radius_mm * (1.0 + kRimTolerance);
  const double reach_mm =
      brush.sphere ? brush.radius_mm : std::hypot(brush.radius_mm, halfSlice_mm);
  const IndexBox box = indexBoxAround(grid, a, b, reach_mm);
  if (box.empty()) return {};

  // Voxel centre = origin + step * ijk (step: direction times spacing, mm per index).
  const Mat3 step = grid.direction * grid.spacing_mm.asDiagonal();
  auto covers = [&](const Vec3& centre) {
    const Vec3 fromA = centre - a;
    Vec3 offset = fromA;
    if (!brush.sphere) {
      const double height_mm = normal.dot(fromA);
      if (!(height_mm > -halfSlice_mm && height_mm <= halfSlice_mm)) return false;
      offset -= normal * height_mm;  // into the plane
    }
    const double t = length2 > 0.0 ? std::clamp(offset.dot(along) / length2, 0.0, 1.0) : 0.0;
    return (offset - t * along).squaredNorm() <= radius2;
  };
  // One slice of the box per chunk; chunks are joined in k order, so indices stay ascending.
  const auto slices = static_cast<std::size_t>(box.hi[2] - box.lo[2] + 1);
  return parallel::parallelReduce(
      {0, slices}, 1, std::vector<std::size_t>{},
      [&](parallel::IndexRange r) {
        std::vector<std::size_t> covered;
        for (std::size_t s = r.begin; s < r.end; ++s) {
          const std::int64_t k = box.lo[2] + static_cast<std::int64_t>(s);
          for (std::int64_t j = box.lo[1]; j <= box.hi[1]; ++j) {
            const Vec3 rowStart =
                grid.origin_lps + step * Vec3(static_cast<double>(box.lo[0]),
                                              static_cast<double>(j), static_cast<double>(k));
            for (std::int64_t i = box.lo[0]; i <= box.hi[0]; ++i) {
              const Vec3 centre = rowStart + step.col(0) * static_cast<double>(i - box.lo[0]);
              if (covers(centre)) covered.push_back(grid.linearIndex(i, j, k));
            }
          }
        }
        return covered;
      },
      [](std::vector<std::size_t> all, std::vector<std::size_t> block) {
        all.insert(all.end(), block.begin(), block.end());
        return all;
      });
}

std::vector<std::size_t> strokeVoxels(const ImageGeometry& grid, std::span<const Vec3> points_lps,
                                      const Brush& brush) {
  if (points_lps.empty()) return {};
  // Every capsule lies in the plane of the first point: project the points there.
  Brush inPlane = brush;
  const Vec3 normal = brush.sphere ? Vec3::Zero() : brush.sliceNormal_lps.normalized();
  auto onPlane = [&](const Vec3& p) {
    return Vec3(p - normal * normal.dot(p - points_lps.front()));
  };
  std::vector<std::size_t> all = brushVoxels(grid, points_lps.front(), points_lps.front(), inPlane);
  for (std::size_t n = 1; n < points_lps.size(); ++n) {
    const auto capsule =
        brushVoxels(grid, onPlane(points_lps[n - 1]), onPlane(points_lps[n]), inPlane);
    std::vector<std::size_t> merged;
    merged.reserve(all.size() + capsule.size());
    std::set_union(all.begin(), all.end(), capsule.begin(), capsule.end(),
                   std::back_inserter(merged));
    all = std::move(merged);
  }
  return all;
}

namespace {

// Checks that `voxels` are the label map's and `segment` exists; returns the segment.
Segment checkedSegment(const LabelMap& labels, std::size_t segment,
                       std::span<const std::size_t> voxels) {
  if (segment >= labels.segments().size()) {
    throw Error(ErrorKind::InvalidInput, "Label map '" + labels.name + "' has no segment " +
                                             std::to_string(segment) + " to paint.");
  }
  const std::size_t voxelCount = labels.geometry().voxelCount();
  if (std::any_of(voxels.begin(), voxels.end(), [&](std::size_t v) { return v >= voxelCount; })) {
    throw Error(ErrorKind::InvalidInput, "A brush voxel lies outside label map '" + labels.name +
                                             "' (" + std::to_string(voxelCount) +
                                             " voxels); compute the stroke on its grid.");
  }
  return labels.segments()[segment];
}

// Paints `voxels` (distinct) of segment `s` where `editable(v)` says so, writing through
// `voxel(v)` (a reference into the layer or into a stroke's slice copies).
template <class Voxel, class Editable>
std::size_t paintWhere(const Segment& s, std::span<const std::size_t> voxels, BrushAction action,
                       const Voxel& voxel, const Editable& editable) {
  const bool paint = action == BrushAction::Paint;
  // The stroke's voxels are distinct, so chunks never write the same voxel.
  return parallel::parallelReduce(
      {0, voxels.size()}, kPaintGrain, std::size_t{0},
      [&](parallel::IndexRange r) {
        std::size_t changed = 0;
        for (std::size_t n = r.begin; n < r.end; ++n) {
          const std::size_t v = voxels[n];
          if (editable(v)) changed += writeMembership(voxel(v), s.value, paint);
        }
        return changed;
      },
      [](std::size_t a, std::size_t b) { return a + b; });
}

}  // namespace

std::size_t paintVoxels(LabelMap& labels, std::size_t segment, std::span<const std::size_t> voxels,
                        BrushAction action, const BinaryMask& editable) {
  const ImageGeometry& g = labels.geometry();
  if (editable.geometry.size != g.size || !editable.geometry.sameGridAs(g)) {
    throw Error(ErrorKind::InvalidInput,
                "The editable area is not on the label map's grid; compute it from this label "
                "map (editableVoxels).");
  }
  const Segment s = checkedSegment(labels, segment, voxels);
  auto& layer = labels.layer(s.layer);
  return paintWhere(
      s, voxels, action, [&](std::size_t v) -> std::uint16_t& { return layer[v]; },
      [&](std::size_t v) { return editable.voxels[v] != 0; });
}

std::size_t paintVoxels(LabelMap& labels, std::size_t segment, std::span<const std::size_t> voxels,
                        BrushAction action, const EditableRule& rule) {
  const Segment s = checkedSegment(labels, segment, voxels);
  auto& layer = labels.layer(s.layer);
  return paintWhere(
      s, voxels, action, [&](std::size_t v) -> std::uint16_t& { return layer[v]; },
      [&](std::size_t v) { return rule.allows(v); });
}

std::size_t paintVoxels(LabelLayerEdit& stroke, std::size_t segment,
                        std::span<const std::size_t> voxels, BrushAction action,
                        const EditableRule& rule) {
  const Segment s = checkedSegment(stroke.original(), segment, voxels);
  if (s.layer != stroke.layer()) {
    throw Error(ErrorKind::InvalidInput,
                "Segment '" + s.name + "' lives in layer " + std::to_string(s.layer) +
                    ", not in the edited layer " + std::to_string(stroke.layer()) + ".");
  }
  stroke.prepare(voxels);  // the new slices' copies, before the threads
  return paintWhere(
      s, voxels, action, [&](std::size_t v) -> std::uint16_t& { return stroke.writable(v); },
      [&](std::size_t v) { return rule.allows(v); });
}

EditableRule::EditableRule(const LabelMap& labels, std::size_t segment, const EditableArea& area,
                           const ImageVolume* intensitySource)
    : labels_(labels), intensity_(area.intensity), intensitySource_(intensitySource) {
  if (segment >= labels_.segments().size()) {
    throw Error(ErrorKind::InvalidInput, "Label map '" + labels_.name + "' has no segment " +
                                             std::to_string(segment) + " (it has " +
                                             std::to_string(labels_.segments().size()) + ").");
  }
  const Segment& target = labels_.segments()[segment];
  if (target.locked) {
    throw Error(ErrorKind::InvalidInput,
                "Segment '" + target.name + "' is locked; unlock it before editing it.");
  }
  const LabelMap& shared = labels_;  // const access: no copy of the layers
  layer_ = &shared.layer(target.layer);
  for (const Segment& s : shared.segments())
    if (s.locked && s.layer == target.layer) lockedValues_.push_back(s.value);
  if (area.insideSegment) {
    if (*area.insideSegment >= shared.segments().size()) {
      throw Error(ErrorKind::InvalidInput,
                  "The editable area names segment " + std::to_string(*area.insideSegment) +
                      ", which label map '" + shared.name + "' does not have.");
    }
    const Segment& inside = shared.segments()[*area.insideSegment];
    insideLayer_ = &shared.layer(inside.layer);
    insideValue_ = inside.value;
  }
  if (intensity_) {
    if (!intensitySource_) {
      throw Error(ErrorKind::InvalidInput, "The editable intensity range names volume '" +
                                               intensity_->volume +
                                               "', which the case does not have.");
    }
    const ImageGeometry& a = intensitySource_->geometry();
    if (a.size != shared.geometry().size || !a.sameGridAs(shared.geometry())) {
      throw Error(ErrorKind::InvalidInput,
                  "Volume '" + intensity_->volume +
                      "' is not on the label map's grid; resample it onto the segmentation first.");
    }
    if (!(intensity_->min <= intensity_->max)) {
      throw Error(ErrorKind::InvalidInput, "The editable intensity range is empty (minimum " +
                                               std::to_string(intensity_->min) + " above maximum " +
                                               std::to_string(intensity_->max) + ").");
    }
  }
}

bool EditableRule::allows(std::size_t v) const {
  const std::uint16_t held = (*layer_)[v];
  if (std::find(lockedValues_.begin(), lockedValues_.end(), held) != lockedValues_.end())
    return false;
  if (insideLayer_ && (*insideLayer_)[v] != insideValue_) return false;
  if (!intensity_) return true;
  const auto& size = labels_.geometry().size;
  const auto i = static_cast<std::int64_t>(v % static_cast<std::size_t>(size[0]));
  const auto j = static_cast<std::int64_t>((v / static_cast<std::size_t>(size[0])) %
                                           static_cast<std::size_t>(size[1]));
  const auto k = static_cast<std::int64_t>(v / static_cast<std::size_t>(size[0] * size[1]));
  const double value = intensitySource_->valueAt(i, j, k);
  // Pixel padding is not tissue, whatever its value (as editableVoxels).
  return value >= intensity_->min && value <= intensity_->max &&
         !intensitySource_->isPadding(value);
}

namespace {

class StrokeEdit : public CaseEdit {
 public:
  StrokeEdit(std::size_t labelMap, int layer, std::vector<std::size_t> voxels,
             std::vector<std::uint16_t> before, std::vector<std::uint16_t> after, std::string text)
      : labelMap_(labelMap),
        layer_(layer),
        voxels_(std::move(voxels)),
        before_(std::move(before)),
        after_(std::move(after)),
        text_(std::move(text)) {}
  std::string text() const override { return text_; }
  void apply(Case& twin) override {
    write(twin, after_);
    applied_ = true;
  }
  void revert(Case& twin) override {
    write(twin, before_);
    applied_ = false;
  }
  // The layer changed in place, and each label value's count by the stroke (or its undo).
  std::vector<CaseChange> changes() const override {
    CaseChange change{CasePart::LabelMaps, static_cast<std::size_t>(layer_), labelMap_};
    std::map<std::uint16_t, std::int64_t> delta;
    for (std::size_t n = 0; n < voxels_.size(); ++n) {
      --delta[applied_ ? before_[n] : after_[n]];
      ++delta[applied_ ? after_[n] : before_[n]];
    }
    for (const auto& [value, count] : delta)
      if (count != 0) change.voxelCountDelta.emplace_back(value, count);
    return {change};
  }

 private:
  void write(Case& twin, const std::vector<std::uint16_t>& values) const {
    // Checked before anything is written (a case changed under the history is refused whole).
    if (labelMap_ >= twin.labelMaps.size() || layer_ >= twin.labelMaps[labelMap_].layerCount()) {
      throw Error(ErrorKind::Internal, "The painted layer is no longer in the case.", text_);
    }
    auto& layer = twin.labelMaps[labelMap_].layer(layer_);  // copies a shared layer first
    if (!voxels_.empty() && voxels_.back() >= layer.size()) {
      throw Error(ErrorKind::Internal, "The painted layer changed size.", text_);
    }
    parallel::parallelFor({0, voxels_.size()}, kPaintGrain, [&](parallel::IndexRange r) {
      for (std::size_t n = r.begin; n < r.end; ++n) layer[voxels_[n]] = values[n];
    });
  }
  std::size_t labelMap_;
  int layer_;
  std::vector<std::size_t> voxels_;  // ascending
  std::vector<std::uint16_t> before_, after_;
  std::string text_;
  bool applied_ = false;
};

}  // namespace

namespace {

// The stroke's edit from the layer as it is in the case (`was`) and its new values `now(v)` at
// `touched` (any order, repeats allowed): only the voxels that differ are kept.
template <class Now>
std::unique_ptr<CaseEdit> changedVoxelsEdit(const LabelMap& current, std::size_t labelMap,
                                            int layer, const Now& now,
                                            std::vector<std::size_t> touched, std::string text) {
  std::sort(touched.begin(), touched.end());
  touched.erase(std::unique(touched.begin(), touched.end()), touched.end());
  const auto& was = current.layer(layer);
  if (!touched.empty() && touched.back() >= was.size()) {
    throw Error(ErrorKind::InvalidInput,
                "A painted voxel lies outside label map '" + current.name + "'.", text);
  }
  struct Changes {
    std::vector<std::size_t> voxels;
    std::vector<std::uint16_t> before, after;
  };
  // Blocks joined in order, so the voxels stay ascending.
  Changes changes = parallel::parallelReduce(
      {0, touched.size()}, kPaintGrain, Changes{},
      [&](parallel::IndexRange r) {
        Changes block;
        for (std::size_t n = r.begin; n < r.end; ++n) {
          const std::size_t v = touched[n];
          const std::uint16_t after = now(v);
          if (was[v] == after) continue;
          block.voxels.push_back(v);
          block.before.push_back(was[v]);
          block.after.push_back(after);
        }
        return block;
      },
      [](Changes all, Changes block) {
        all.voxels.insert(all.voxels.end(), block.voxels.begin(), block.voxels.end());
        all.before.insert(all.before.end(), block.before.begin(), block.before.end());
        all.after.insert(all.after.end(), block.after.begin(), block.after.end());
        return all;
      });
  return std::make_unique<StrokeEdit>(labelMap, layer, std::move(changes.voxels),
                                      std::move(changes.before), std::move(changes.after),
                                      std::move(text));
}

const LabelMap& paintedLabelMap(const Case& twin, std::size_t labelMap, const std::string& text) {
  if (labelMap >= twin.labelMaps.size()) {
    throw Error(ErrorKind::InvalidInput,
                "The case has no label map " + std::to_string(labelMap) + " to paint.", text);
  }
  return twin.labelMaps[labelMap];
}

void requireSameGrid(const LabelMap& current, const ImageGeometry& edited,
                     const std::string& text) {
  if (edited.size != current.geometry().size || !edited.sameGridAs(current.geometry())) {
    throw Error(ErrorKind::InvalidInput,
                "The painted label map is not on the grid of '" + current.name + "'.", text);
  }
}

}  // namespace

std::unique_ptr<CaseEdit> strokeEdit(const Case& twin, std::size_t labelMap, int layer,
                                     const LabelMap& edited, std::vector<std::size_t> touched,
                                     std::string text) {
  const LabelMap& current = paintedLabelMap(twin, labelMap, text);
  if (layer < 0 || layer >= current.layerCount() || layer >= edited.layerCount()) {
    throw Error(ErrorKind::InvalidInput,
                "Label map '" + current.name + "' has no layer " + std::to_string(layer) + ".",
                text);
  }
  requireSameGrid(current, edited.geometry(), text);
  const auto& now = edited.layer(layer);
  return changedVoxelsEdit(
      current, labelMap, layer, [&](std::size_t v) { return now[v]; }, std::move(touched),
      std::move(text));
}

std::unique_ptr<CaseEdit> strokeEdit(const Case& twin, std::size_t labelMap,
                                     const LabelLayerEdit& edited, std::vector<std::size_t> touched,
                                     std::string text) {
  const LabelMap& current = paintedLabelMap(twin, labelMap, text);
  const int layer = edited.layer();
  if (layer >= current.layerCount()) {
    throw Error(ErrorKind::InvalidInput,
                "Label map '" + current.name + "' has no layer " + std::to_string(layer) + ".",
                text);
  }
  requireSameGrid(current, edited.original().geometry(), text);
  return changedVoxelsEdit(
      current, labelMap, layer, [&](std::size_t v) { return edited[v]; }, std::move(touched),
      std::move(text));
}

}  // namespace twinplan::segmentation
