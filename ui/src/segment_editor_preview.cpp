// The Segment Editor's previews: seeded tools (seeded.h) on the seed's slice while parameters
// change and on the whole volume before Apply, and the effects (segment_edit.h).
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QPushButton>
#include <algorithm>
#include <cmath>

#include "twinplan/core/error.h"
#include "twinplan/core/parallel.h"
#include "twinplan/segmentation/region_mask.h"
#include "twinplan/segmentation/seeded.h"
#include "twinplan/ui/background_task.h"
#include "twinplan/ui/case_document.h"
#include "twinplan/ui/segment_editor.h"
#include "twinplan/ui/slice_viewport.h"

namespace twinplan::ui {

std::unique_ptr<CaseEdit> voxelEdit(std::unique_ptr<CaseEdit> edit);  // segment_editor.cpp

using segmentation::RegionMask;
using segmentation::VoxelBox;

namespace {

constexpr std::size_t kVoxelGrain = 1 << 18;  // voxels per parallel chunk

// The grid's slice that a view shows through `p_lps`: the voxels whose index along the grid
// axis closest to the view's normal is that of the point (for an axial view of an axial grid,
// sliceBox(k)). The seeded tools run there while their parameters change.
VoxelBox viewSlice(const ImageGeometry& grid, const Vec3& normal_lps, const Vec3& p_lps) {
  int axis = 0;
  for (int a = 1; a < 3; ++a)
    if (std::abs(grid.direction.col(a).dot(normal_lps)) >
        std::abs(grid.direction.col(axis).dot(normal_lps)))
      axis = a;
  VoxelBox box = segmentation::wholeGrid(grid);
  const auto at = static_cast<std::int64_t>(std::lround(grid.lpsToIndex(p_lps)[axis]));
  box.begin[axis] = std::clamp<std::int64_t>(at, 0, grid.size[axis] - 1);
  box.end[axis] = box.begin[axis] + 1;
  return box;
}

const char* toolVerb(SegmentEditor::EditorTool tool) {
  switch (tool) {
    case SegmentEditor::EditorTool::RegionGrow:
      return "Grow region into ";
    case SegmentEditor::EditorTool::FastMarching:
      return "Fast marching into ";
    case SegmentEditor::EditorTool::Watershed:
      return "Watershed into ";
    default:
      return "Geodesic contour into ";
  }
}

}  // namespace

void SegmentEditor::addSeed(const Vec3& p_lps, bool background) {
  (background ? backgroundSeeds_ : seeds_).push_back(p_lps);
  std::vector<Vec3> all = seeds_;
  all.insert(all.end(), backgroundSeeds_.begin(), backgroundSeeds_.end());
  for (SliceViewport* view : views_) {
    view->view().setPendingPoints(all);
    view->update();
  }
  if (!seeds_.empty()) preview(false);  // live, on the seed's slice
  refreshToolPage();
}

void SegmentEditor::clearSeeds() {
  seeds_.clear();
  backgroundSeeds_.clear();
  for (SliceViewport* view : views_) {
    view->view().setPendingPoints({});
    view->update();
  }
}

LabelMap SegmentEditor::seededResult(bool whole) {
  const Case& twin = document_->twin();
  const LabelMap& labels = twin.labelMaps[labelMap()];
  const ImageVolume* source = sourceVolume_();
  if (!source) throw Error(ErrorKind::InvalidInput, "There is no image to grow the segment in.");
  if (source->geometry().size != labels.geometry().size ||
      !source->geometry().sameGridAs(labels.geometry())) {
    throw Error(ErrorKind::InvalidInput,
                "The image '" + source->name +
                    "' is not on the segmentation's grid; show the series the segmentation was "
                    "made on.");
  }
  if (seeds_.empty()) throw Error(ErrorKind::InvalidInput, "Click a seed in the segment first.");
  std::optional<VoxelBox> region;
  if (!whole) {
    const Vec3 normal = seedView_ ? seedView_->view().slicePlane().normal() : Vec3::UnitZ();
    region = viewSlice(labels.geometry(), normal, seeds_.back());
  }
  const segmentation::HuRange range{min_->value(), max_->value()};
  const std::vector<Vec3> seeds = seeds_, background = backgroundSeeds_;
  const EditorTool tool = tool_;
  if (tool == EditorTool::Watershed && background.empty()) {
    throw Error(ErrorKind::InvalidInput,
                "The watershed needs background seeds too: Shift+click outside the segment.");
  }
  auto run = [source, seeds, background, range, region, tool](Progress& progress) {
    switch (tool) {
      case EditorTool::RegionGrow:
        return segmentation::connectedThreshold(*source, seeds, range, region, progress);
      case EditorTool::FastMarching:
        return segmentation::fastMarching(*source, seeds, {}, region, progress);
      case EditorTool::Watershed:
        return segmentation::watershed(*source, {seeds, background}, 1.0, region, progress).mask(1);
      default:
        return segmentation::geodesicActiveContour(*source, seeds, {}, region, progress);
    }
  };
  RegionMask grown;
  if (whole) {
    auto result = runInBackground<RegionMask>(this, tr("Previewing…"), run);
    if (!result) throw Cancelled{};
    grown = std::move(*result);
  } else {
    grown = run(noProgress());
  }
  // The grown voxels join the segment (3D Slicer's "Grow from seeds" adds to what is drawn),
  // within the editable area and never in a locked segment.
  const std::size_t index = *segment();
  LabelMap result = labels;
  const RegionMask onWhole = segmentation::onGrid(grown, labels.geometry());
  segmentation::BinaryMask edited = segmentation::extractSegment(labels, index);
  parallel::parallelFor({0, edited.voxels.size()}, kVoxelGrain, [&](parallel::IndexRange r) {
    for (std::size_t v = r.begin; v < r.end; ++v) edited.voxels[v] |= onWhole.inside[v];
  });
  const auto area = masking();
  const auto editable = segmentation::editableVoxels(labels, index, area, intensitySource(area));
  previewChanged_ = segmentation::writeSegment(result, index, edited, editable);
  previewText_ = toolVerb(tool) + labels.segments()[index].name;
  return result;
}

LabelMap SegmentEditor::effectResult(bool /*whole*/) {
  const Case& twin = document_->twin();
  const std::size_t index = *segment();
  const segmentation::SegmentOperation op = chosenEffect();
  const auto area = masking();
  const std::size_t map = labelMap();
  const LabelMap& before = twin.labelMaps[map];
  auto result = runInBackground<LabelMap>(this, tr("Previewing…"), [&](Progress& progress) {
    return segmentation::applyToLabelMap(twin, map, index, op, area, progress);
  });
  if (!result) throw Cancelled{};
  const Segment& s = before.segments()[index];
  const auto& was = before.layer(s.layer);
  const auto& now = result->layer(s.layer);
  previewChanged_ = parallel::parallelReduce(
      {0, was.size()}, kVoxelGrain, std::size_t{0},
      [&](parallel::IndexRange r) {
        std::size_t changed = 0;
        for (std::size_t v = r.begin; v < r.end; ++v) changed += was[v] != now[v];
        return changed;
      },
      [](std::size_t a, std::size_t b) { return a + b; });
  const std::string other = before.segments()[op.otherSegment].name;
  previewText_ = segmentation::describe(op, s.name, other);
  return std::move(*result);
}

bool SegmentEditor::preview(bool whole) {
  const auto index = segment();
  if (!index) {
    say(tr("Add or choose a segment to edit."));
    return false;
  }
  try {
    if (isSeeded(tool_)) {
      preview_ = seededResult(whole);
    } else if (tool_ == EditorTool::Effect) {
      preview_ = effectResult(whole);
    } else {
      return false;
    }
  } catch (const Cancelled&) {
    say(tr("Preview cancelled."));
    return false;
  } catch (const std::exception& e) {
    preview_.reset();
    say(QString::fromUtf8(e.what()));
    showCaseLabels();
    refreshToolPage();
    return false;
  }
  previewWhole_ = whole;
  previewMap_ = labelMap();
  // The views draw the previewed segment hatched in its colour (SliceView::ShownLabelMap), so
  // it reads as "not yet applied" beside the filled segments.
  showCaseLabels();
  refreshToolPage();
  say(tr("Preview (%1): %n voxel(s) change. Enter applies, Esc cancels.", nullptr,
         static_cast<int>(previewChanged_))
          .arg(whole ? tr("whole volume") : tr("this slice")));
  return true;
}

bool SegmentEditor::applyPreview() {
  if (!preview_) return false;
  // A slice preview is applied as the whole-volume result the user would expect from Apply.
  if (!previewWhole_ && !preview(true)) return false;
  const Case& twin = document_->twin();
  std::vector<LabelMap> labelMaps = twin.labelMaps;
  const std::size_t map = previewMap_;
  labelMaps[map] = std::move(*preview_);
  preview_.reset();
  const std::string text = previewText_;
  const std::size_t index = *segment();
  clearSeeds();
  document_->apply(voxelEdit(edits::replaceLabelMaps(twin, std::move(labelMaps), text)));
  say(tr("%1: applied (Ctrl+Z undoes it).").arg(QString::fromStdString(text)));
  refreshToolPage();
  emit segmentsEdited(map, {index});
  return true;
}

void SegmentEditor::cancelPreview() {
  preview_.reset();
  previewChanged_ = 0;
  clearSeeds();
  showCaseLabels();
  refreshToolPage();
  say(tr("Preview cancelled."));
}

}  // namespace twinplan::ui
