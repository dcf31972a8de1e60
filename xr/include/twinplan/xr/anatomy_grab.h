#pragma once
// Grabbing the anatomy with the controllers (issue #20 item 3): one hand holding the grip moves
// and turns the anatomy with it, as if held; two hands scale it by the change of the distance
// between them and turn it with the line between them, about their midpoint.
#include <Eigen/Geometry>
#include <array>

#include "twinplan/xr/headset_input.h"

namespace twinplan::xr {

class AnatomyGrab {
 public:
  // A hand grabs at grab >= 0.5 and lets go below 0.4: the hysteresis OpenXR asks runtimes to
  // apply when a value drives a boolean (OpenXR 1.0 section 11.5, "Input Actions & Output
  // Actions"), so a squeeze held near one level does not flicker.
  static constexpr float kGrabAt = 0.5f;
  static constexpr float kReleaseBelow = 0.4f;
  // The anatomy never becomes smaller than 1/20 or larger than 20 times life size.
  static constexpr double kMinScale = 0.05, kMaxScale = 20.0;

  // The anatomy's placement (p_room = placement * p_lps) after this frame's hands.
  Eigen::Affine3d update(const Eigen::Affine3d& placement, const std::array<HandInput, 2>& hands);
  int handsHolding() const { return static_cast<int>(holding_[0]) + static_cast<int>(holding_[1]); }

 private:
  std::array<bool, 2> holding_{false, false};
  Eigen::Affine3d startPlacement_ = Eigen::Affine3d::Identity();
  Eigen::Affine3d startHand_ = Eigen::Affine3d::Identity();  // one hand
  Eigen::Vector3d startMid_ = Eigen::Vector3d::Zero();       // two hands
  Eigen::Vector3d startSpan_ = Eigen::Vector3d::UnitX();
};

// An OpenXR pose as a rigid transform (p_space = pose * p_local).
Eigen::Affine3d toAffine(const XrPosef& pose);

}  // namespace twinplan::xr
