// The Segment Editor's interactive steps on a 512x512x300 label map (docs/benchmarks.md,
// "Segment editor"): what the GUI does on a mouse press (the editable area), on each mouse move
// (a 10 mm capsule's voxels and painting them), on release (one undoable edit through
// edits::replaceLabelMaps, and its undo), and when the threshold range changes (the in-range
// highlight). Goal: each < 200 ms (issue #16 item 10, 2D tools). Wall-clock medians of
// `repeats` runs; prints one JSON object.
#include <algorithm>
#include <chrono>
#include <functional>
#include <iostream>
#include <nlohmann/json.hpp>

#include "twinplan/core/case_editor.h"
#include "twinplan/core/parallel.h"
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
  time("first move: copy-on-write of the layer + paint", [&] {
    LabelMap working = labels;
    paintVoxels(working, 0, capsule, BrushAction::Paint, editable);
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
  time("threshold range changed: in-range highlight (whole volume)", [&] {
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
