#include "twinplan/xr/anatomy_grab.h"

#include <algorithm>

namespace twinplan::xr {

Eigen::Affine3d toAffine(const XrPosef& pose) {
  Eigen::Affine3d t = Eigen::Affine3d::Identity();
  t.linear() = Eigen::Quaterniond(pose.orientation.w, pose.orientation.x, pose.orientation.y,
                                  pose.orientation.z)
                   .normalized()
                   .toRotationMatrix();
  t.translation() = Eigen::Vector3d(pose.position.x, pose.position.y, pose.position.z);
  return t;
}

Eigen::Affine3d AnatomyGrab::update(const Eigen::Affine3d& placement,
                                    const std::array<HandInput, 2>& hands) {
  std::array<bool, 2> holding{};
  for (int h = 0; h < 2; ++h) {
    const float threshold = holding_[h] ? kReleaseBelow : kGrabAt;
    holding[h] = hands[h].tracked && hands[h].grab >= threshold;
  }
  const int count = static_cast<int>(holding[0]) + static_cast<int>(holding[1]);
  const Eigen::Vector3d p0 = toAffine(hands[0].grip).translation();
  const Eigen::Vector3d p1 = toAffine(hands[1].grip).translation();
  if (holding != holding_) {  // a hand grabbed or let go: the gesture starts afresh from here
    holding_ = holding;
    startPlacement_ = placement;
    if (count == 1) startHand_ = toAffine(hands[holding[0] ? 0 : 1].grip);
    if (count == 2) startMid_ = 0.5 * (p0 + p1), startSpan_ = p1 - p0;
    return placement;
  }
  if (count == 1) {
    const Eigen::Affine3d hand = toAffine(hands[holding[0] ? 0 : 1].grip);
    return hand * startHand_.inverse() * startPlacement_;
  }
  if (count == 2 && startSpan_.norm() > 1e-3) {
    const Eigen::Vector3d span = p1 - p0;
    // Life size is 1 mm of patient per mm of room: 0.001 m per LPS mm.
    const double timesLifeSize = std::cbrt(startPlacement_.linear().determinant()) / 0.001;
    const double scale = std::clamp(span.norm() / startSpan_.norm(), kMinScale / timesLifeSize,
                                    kMaxScale / timesLifeSize);
    const Eigen::Quaterniond turn = Eigen::Quaterniond::FromTwoVectors(startSpan_, span);
    return Eigen::Translation3d(0.5 * (p0 + p1)) * turn * Eigen::Scaling(scale) *
           Eigen::Translation3d(-startMid_) * startPlacement_;
  }
  return placement;
}

}  // namespace twinplan::xr
