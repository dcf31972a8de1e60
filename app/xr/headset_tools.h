#pragma once
// What the viewer's controllers do in twinplan-xr-render besides grabbing the anatomy (issue #20
// item 3): the trigger pulled while the laser meets the slice plane before any surface drags the
// plane along its axis; pulled on a surface it places a measurement point (two make a ruler);
// the button under the thumb hides the model the laser points at, or, pointing at nothing,
// shows the one hidden last. The changes are kept here for the desktop (twinplan-xr-render
// --live sends them) and for xr-render.json.
#include <array>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "twinplan/core/geometry.h"
#include "twinplan/core/mesh.h"
#include "twinplan/rendering/headset_view.h"
#include "twinplan/teaching/session_state.h"
#include "twinplan/xr/headset_input.h"

namespace twinplan::xr_app {

class HeadsetTools {
 public:
  // Borrowed: all outlive the tools. `models` are the scene's first meshes (the case's own, whose
  // visibility the tools change; the results' surfaces after them are not toggled); `slice` may
  // be null (a case without an image).
  HeadsetTools(rendering::HeadsetSceneRenderer& headset, rendering::VolumeView& scene,
               const std::vector<SurfaceMesh>& models, rendering::HeadsetSlice* slice,
               rendering::HeadsetAnnotations& rulers);

  // One frame of both hands (after HeadsetInput::update and the grab), with the scene as
  // placed now. `labelRulers`: write each ruler's length beside it (off where the desktop
  // labels the measurement it stores).
  void update(const xr::HeadsetInput& input, std::int64_t frame, bool labelRulers);

  // A hand drags the slice plane now (the desktop's slice waits until it lets go).
  bool dragging() const { return dragHand_ >= 0; }

  // What changed since the last take*(), for the desktop.
  std::optional<teaching::SharedSlice> takeSliceMove();
  std::vector<std::pair<std::string, bool>> takeVisibility();
  std::vector<std::array<Vec3, 2>> takeRulers();

  // Everything done, for xr-render.json: slice moves (frame, orientation, position_mm),
  // visibility changes (frame, segment, visible) and rulers (frame, from_lps, to_lps,
  // length_mm).
  const nlohmann::json& log() const { return log_; }

 private:
  void pull(int hand, const Eigen::Affine3d& aim, std::int64_t frame);
  void drag(const Eigen::Affine3d& aim, std::int64_t frame);
  void toggle(const Eigen::Affine3d& aim, std::int64_t frame);
  void drawRulers(bool label);

  rendering::HeadsetSceneRenderer& headset_;
  rendering::VolumeView& scene_;
  const std::vector<SurfaceMesh>& models_;
  rendering::HeadsetSlice* slice_;
  rendering::HeadsetAnnotations& rulers_;
  std::array<bool, 2> triggerHeld_{false, false};
  std::array<bool, 2> toggleHeld_{false, false};
  int dragHand_ = -1;
  Vec3 dragStart_m_ = Vec3::Zero();  // the dragging hand's aim position when it took the plane
  double dragStartPosition_mm_ = 0.0;
  std::optional<Vec3> firstPoint_lps_;  // a ruler's first end, waiting for its second
  std::vector<std::array<Vec3, 2>> measured_;
  std::vector<std::size_t> hidden_;  // models hidden here, the last last
  std::optional<teaching::SharedSlice> sliceMove_;
  std::vector<std::pair<std::string, bool>> visibility_;
  std::vector<std::array<Vec3, 2>> newRulers_;
  nlohmann::json log_ = {{"sliceMoves", nlohmann::json::array()},
                         {"visibility", nlohmann::json::array()},
                         {"measurements", nlohmann::json::array()}};
};

// The key the teaching state knows a model by (SessionState::segmentVisible): the segment it was
// built from, else its own name.
std::string modelKey(const SurfaceMesh& mesh);

}  // namespace twinplan::xr_app
