#pragma once
// How the views were left - layout, crosshair, window/level of each series, zoom and pan, the
// background and foreground series and the fusion settings - as the JSON saved in
// Case::viewState, so that a case reopens as it was closed (issue #15 item 6). The schema is in
// docs/architecture.md ("View state in the case"). Pure data: no Qt, no widgets.
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "twinplan/core/geometry.h"
#include "twinplan/rendering/slice_view.h"

namespace twinplan::ui {

// A 2D view's zoom and pan relative to the view fitted to its image (what R resets to), so that
// they mean the same in a window of another size.
struct ViewCamera {
  double zoom = 1.0;                         // > 1: magnified
  double panRight_mm = 0.0, panUp_mm = 0.0;  // of the view's centre, in the slice plane
  bool operator==(const ViewCamera&) const = default;
};

// The fused display of a foreground series over the background (rendering::FusionLayer and the
// SliceView fusion settings), by the stable keys of rendering's toString functions.
struct FusionSettings {
  std::string foreground;              // volume name; empty: no foreground
  double opacity = 0.5;                // 0..1
  std::string colourMap = "hot-iron";  // rendering::colourMapFromString
  std::string mode = "blend";          // rendering::fusionModeFromString
  double checker_mm = 20.0;            // checkerboard square side
  std::string slab = "none";           // rendering::slabModeFromString
  double slabThickness_mm = 10.0;
  bool colourBar = true;
  bool operator==(const FusionSettings&) const = default;
};

// The Landmarks panel's work (issue #15 item 3): the fixed and moving series (volume names) and
// the pairs placed so far, each point in LPS mm of its own series' frame; a point not placed yet
// is empty. Saved with the view state so that half-placed landmarks survive saving and reopening.
struct LandmarkSession {
  struct Pair {
    std::string name;
    std::optional<Vec3> fixed_lps, moving_lps;
    bool operator==(const Pair&) const = default;
  };
  std::string fixed, moving;
  std::vector<Pair> pairs;
  bool operator==(const LandmarkSession&) const = default;
};

struct ViewState {
  static constexpr int kVersion = 1;
  std::string layout = "4up";  // "4up" | "1up" | "1+3"
  std::optional<Vec3> crosshair_lps;
  std::string background;  // volume name; empty: the case's first volume
  std::map<std::string, rendering::WindowLevel> windows;  // by volume name
  std::map<std::string, ViewCamera> cameras;              // "axial", "sagittal", "coronal"
  FusionSettings fusion;
  LandmarkSession landmarks;  // "landmarks": {"fixed", "moving", "pairs": [{"name", "fixed_lps",
                              // "moving_lps"}]}, written when there is a pair or a series pair
};

nlohmann::json viewStateJson(const ViewState& state);
// Members that are missing keep their defaults (an older or partial view state); a member of
// the wrong type or value throws Error(Corrupt) naming it. A newer version is read as far as
// it is understood.
ViewState viewStateFromJson(const nlohmann::json& json);

}  // namespace twinplan::ui
