#pragma once
// Keys of the headless OpenXR test runtime's script (xr/test_runtime, docs/architecture.md "XR:
// the headless test runtime") that the XR and GUI tests share: a hand aiming at a point, a button
// or trigger held for some frames.
#include <Eigen/Geometry>
#include <nlohmann/json.hpp>

#include "twinplan/core/geometry.h"

namespace twinplan::test {

// A key of a hand: at `position_m` (room, metres), its aim pose's -z (OpenXR 1.0 section 6.3.2)
// towards `target_m`.
inline nlohmann::json aimKey(double frame, const Vec3& position_m, const Vec3& target_m) {
  const Eigen::Quaterniond aim =
      Eigen::Quaterniond::FromTwoVectors(Vec3(0, 0, -1), (target_m - position_m).normalized());
  return {{"frame", frame},
          {"position_m", {position_m.x(), position_m.y(), position_m.z()}},
          {"orientation_xyzw", {aim.x(), aim.y(), aim.z(), aim.w()}}};
}

// An input held at `value` from frame `from` until frame `to` (then 0).
inline nlohmann::json pressed(double from, double to, double value = 1.0) {
  return nlohmann::json::array(
      {{{"frame", from}, {"value", value}}, {{"frame", to}, {"value", 0.0}}});
}

}  // namespace twinplan::test
