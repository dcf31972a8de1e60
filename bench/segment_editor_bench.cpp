// The Segment Editor's interactive steps on a 512x512x300 label map (docs/benchmarks.md,
// "Segment editor"): what the GUI does on a mouse press (the editable area), on each mouse move
// (a 10 mm capsule's voxels and painting them), on release (one undoable edit through
// edits::replaceLabelMaps, and its undo), when the threshold range changes (the in-range
// highlight), and what the Segments table does after a stroke (its volumes). Each step the
// editor used before is timed beside the one it uses now. Goal: each < 200 ms (issue #16 item
// 10, 2D tools). Wall-clock medians of `repeats` runs; prints one JSON object.
#include <algorithm>
#include <chrono>
#include <functional>
#include <iostream>
#include <nlohmann/json.hpp>

#include "twinplan/core/case_editor.h"
#include "twinplan/core/label_layer_edit.h"
#include "twinplan/core/parallel.h"
#include "twinplan/rendering/slice_view.h"
#include "twinplan/segmentation/brush.h"
#include "twinplan/segmentation/seeded.h"

using namespace twinplan;
using namespace twinplan::segmentation;

namespace {

double medianSeconds(int repeats, const std::function<void()>& run) {
  std::vector<double> times;
  for (int r = 0; r < repeats; ++r) {
    const auto start = std::chrono::steady_clock::now();
    run();
    times.push_back(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

// A 512x512x300 CT at 0.8x0.8x1 mm: a water cylinder (40 HU) in air with a bone ring.
Case bigCase() {
  ImageGeometry g;
  g.size = {512, 512, 300};
  g.spacing_mm = Vec3(0.8, 0.8, 1.0);
  g.origin_lps = -0.5 * g.spacing_mm.cwiseProduct(Vec3(511, 511, 299));
  ImageVolume ct(g, PixelType::Int16);
  ct.name = "CT";
  ct.unit = "HU";
  auto voxels = ct.voxels<std::int16_t>();
  parallel::parallelFor({0, std::size_t(g.size[2])}, 1, [&](parallel::IndexRange slices) {
    for (std::size_t k = slices.begin; k < slices.end; ++k)
      for (std::int64_t j = 0; j < g.size[1]; ++j)
        for (std::int64_t i = 0; i < g.size[0]; ++i) {
          const Vec3 p = g.indexToLps(Vec3(double(i), double(j), double(k)));
          const double r = std::hypot(p.x(), p.y());
          voxels[g.linearIndex(i, j, std::int64_t(k))] = std::int16_t(r > 180   ? -1000
                                                                      : r > 170 ? 800
                                                                                : 40);
        }
  });
  Case twin;
  twin.volumes.push_back(std::move(ct));
  LabelMap labels(g);
  labels.name = "Segmentation";
  labels.addSegment({"Liver", "liver", Rgb{200, 100, 80}});
  Segment vessel{"Vessel", "blood", Rgb{200, 0, 0}};
  vessel.value = 2;
  vessel.locked = true;  // a locked segment makes the editable area a full pass over the layer
  labels.addSegment(vessel);
  twin.labelMaps.push_back(std::move(labels));
  return twin;
}

}  // namespace

int main(int argc, char** argv) {
  const int repeats = argc > 1 ? std::max(1, std::atoi(argv[1])) : 5;
  nlohmann::json out;
  out["threads"] = parallel::maxThreads();
  out["grid"] = "512x512x300 at 0.8x0.8x1 mm";
  CaseEditor editor(bigCase());
  const Case& twin = editor.twin();
  const LabelMap& labels = twin.labelMaps.front();
  Brush disk;
  disk.radius_mm = 10.0;
  disk.sliceThickness_mm = 1.0;
  nlohmann::json steps;
  auto time = [&](const std::string& name, const std::function<void()>& run) {
    steps[name] = medianSeconds(repeats, run);
    std::cerr << name << " " << steps[name] << " s\n";
  };
  BinaryMask editable;
  time("press: editable area (locked segment in the layer)",
       [&] { editable = editableVoxels(labels, 0, {}, nullptr); });
  EditableArea bone;
  bone.intensity = EditableArea::IntensityRange{"CT", 300, 3000};
  time("press: editable area (threshold paint range)",
       [&] { editableVoxels(labels, 0, bone, &twin.volumes.front()); });
  time("press: editable rule (what the editor makes instead)",
       [&] { EditableRule rule(labels, 0, bone, &twin.volumes.front()); });
  std::vector<std::size_t> capsule;
  time("move: 10 mm disk capsule over 20 mm, voxels",
       [&] { capsule = brushVoxels(labels.geometry(), Vec3(-10, 0, 0), Vec3(10, 0, 0), disk); });
  Brush ball = disk;
  ball.sphere = true;
  time("move: 10 mm sphere capsule over 20 mm, voxels",
       [&] { brushVoxels(labels.geometry(), Vec3(-10, 0, 0), Vec3(10, 0, 0), ball); });
  time("first move (before): copy-on-write of the layer + paint", [&] {
    LabelMap working = labels;
    paintVoxels(working, 0, capsule, BrushAction::Paint, editable);
  });
  const EditableRule plainRule(labels, 0, {}, nullptr);
  time("first move (now): slice copies of the layer (LabelLayerEdit) + paint", [&] {
    LabelLayerEdit stroke(labels, 0);
    paintVoxels(stroke, 0, capsule, BrushAction::Paint, plainRule);
  });
  Brush coronal = disk;
  coronal.sliceNormal_lps = Vec3::UnitY();
  coronal.sliceThickness_mm = 0.8;
  // Through the centres of row j = 256 (y = 0.4 mm): the disk takes that one row of each slice.
  const double rowY = labels.geometry().indexToLps(Vec3(256, 256, 150)).y();
  const auto coronalCapsule =
      brushVoxels(labels.geometry(), Vec3(-10, rowY, 0), Vec3(10, rowY, 0), coronal);
  out["coronalCapsuleVoxels"] = coronalCapsule.size();
  time("first move (now), coronal view: 21 slice copies + paint", [&] {
    LabelLayerEdit stroke(labels, 0);
    paintVoxels(stroke, 0, coronalCapsule, BrushAction::Paint, plainRule);
  });
  LabelMap working = labels;
  paintVoxels(working, 0, capsule, BrushAction::Paint, editable);
  time("later move: paint the capsule (mask), erase it again", [&] {
    paintVoxels(working, 0, capsule, BrushAction::Paint, editable);
    paintVoxels(working, 0, capsule, BrushAction::Erase, editable);
  });
  const EditableRule rule(labels, 0, bone, &twin.volumes.front());
  time("later move: threshold-paint the capsule (rule), erase it again", [&] {
    paintVoxels(working, 0, capsule, BrushAction::Paint, rule);
    paintVoxels(working, 0, capsule, BrushAction::Erase, rule);
  });
  time("release: replaceLabelMaps + apply, then undo", [&] {
    std::vector<LabelMap> maps = twin.labelMaps;
    maps.front() = working;
    editor.apply(edits::replaceLabelMaps(twin, std::move(maps), "Paint Liver"));
    editor.undo();
  });
  time("release: strokeEdit (changed voxels only) + apply, then undo", [&] {
    editor.apply(strokeEdit(twin, 0, 0, working, capsule, "Paint Liver"));
    editor.undo();
  });
  {
    // What the Segments table did after every label-map change (one pass per layer, counting
    // every label value), and what it does after a stroke now: the stroke edit's count changes.
    LabelLayerEdit stroke(twin.labelMaps.front(), 0);
    paintVoxels(stroke, 0, capsule, BrushAction::Paint, plainRule);
    auto edit = strokeEdit(twin, 0, stroke, capsule, "Paint Liver");
    time("table after a stroke (before): count every segment's voxels, one pass per layer", [&] {
      const auto& layer = twin.labelMaps.front().layer(0);
      const auto counts = parallel::parallelReduce(
          {0, layer.size()}, std::size_t{1} << 20, std::vector<std::size_t>(3, 0),
          [&](parallel::IndexRange block) {
            std::vector<std::size_t> count(3, 0);
            for (std::size_t n = block.begin; n < block.end; ++n)
              ++count[std::min<int>(layer[n], 2)];
            return count;
          },
          [](std::vector<std::size_t> a, const std::vector<std::size_t>& b) {
            for (std::size_t v = 0; v < a.size(); ++v) a[v] += b[v];
            return a;
          });
      if (counts[0] == 0) std::cerr << "";
    });
    time("table after a stroke (now): the stroke's count changes (CaseChange)", [&] {
      const auto changes = edit->changes();
      if (changes.empty()) std::cerr << "";
    });
  }
  {
    // The three views at the grid's centre, 512 x 512 pixels each (the axial at the voxel
    // size): the highlight of each shown slice, computed when the view renders.
    std::vector<std::unique_ptr<rendering::SliceView>> views;
    for (auto orientation :
         {rendering::SliceOrientation::Axial, rendering::SliceOrientation::Coronal,
          rendering::SliceOrientation::Sagittal}) {
      views.push_back(std::make_unique<rendering::SliceView>(orientation));
      views.back()->setVolume(&twin.volumes.front());
      views.back()->setCrosshair(Vec3::Zero());
      views.back()->setLabelMap(&twin.labelMaps.front());
      views.back()->displayedColourAt(0, 0);  // the first sampling, outside the timing
    }
    out["viewPixels"] = views.front()->slicePlane().width * views.front()->slicePlane().height;
    double low = 300.0;
    time("threshold range changed (now): highlight of the 3 shown slices, views resampled", [&] {
      low += 1.0;  // a new range each time
      for (auto& view : views) {
        view->setIntensityHighlight(rendering::SliceView::IntensityHighlight{
            low, 3000.0, Rgb{255, 255, 0}, std::make_pair(std::size_t{0}, std::size_t{0})});
        view->displayedColourAt(0, 0);
      }
    });
    time("3 views resampled without the highlight (image + segments)", [&] {
      for (auto& view : views) {
        view->setIntensityHighlight(std::nullopt);
        view->displayedColourAt(0, 0);
      }
    });
  }
  time("threshold range changed (before): in-range highlight (whole volume)", [&] {
    const auto inRange = threshold(twin.volumes.front(), {300, 3000});
    LabelMap shown = twin.labelMaps.front();  // `labels` went with the first apply
    auto& layer = shown.layer(shown.addLayer());
    parallel::parallelFor({0, layer.size()}, 1 << 18, [&](parallel::IndexRange r) {
      for (std::size_t v = r.begin; v < r.end; ++v) layer[v] = inRange.inside[v];
    });
  });
  out["capsuleVoxels"] = capsule.size();
  out["seconds"] = steps;
  std::cout << out.dump(2) << "\n";
}
