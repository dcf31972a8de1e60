#include "twinplan/xr/hand_gestures.h"

#include <Eigen/Geometry>

namespace twinplan::xr {
namespace {

Eigen::Vector3d at(const HandJoints& joints, int joint) {
  const XrVector3f& p = joints[joint].pose.position;
  return {p.x, p.y, p.z};
}

bool located(const XrHandJointLocationEXT& joint) {
  const XrSpaceLocationFlags needed =
      XR_SPACE_LOCATION_POSITION_VALID_BIT | XR_SPACE_LOCATION_ORIENTATION_VALID_BIT;
  return (joint.locationFlags & needed) == needed;
}

// The METACARPAL joint of a finger (0 index .. 3 little); PROXIMAL, INTERMEDIATE, DISTAL and
// TIP follow it (section 12.31.4, XrHandJointEXT).
int metacarpal(int finger) { return XR_HAND_JOINT_INDEX_METACARPAL_EXT + 5 * finger; }

XrPosef toPose(const Eigen::Quaterniond& q, const Eigen::Vector3d& p) {
  return {{float(q.x()), float(q.y()), float(q.z()), float(q.w())},
          {float(p.x()), float(p.y()), float(p.z())}};
}

Eigen::Quaterniond orientationOf(const XrHandJointLocationEXT& joint) {
  const XrQuaternionf& q = joint.pose.orientation;
  return Eigen::Quaterniond(q.w, q.x, q.y, q.z).normalized();
}

// The index finger's ray: from its tip along the finger (proximal joint to tip) as -z, with +y
// as near the palm's back (+y of the palm joint) as the finger allows.
XrPosef indexRay(const HandJoints& joints) {
  const Eigen::Vector3d tip = at(joints, XR_HAND_JOINT_INDEX_TIP_EXT);
  const Eigen::Vector3d forward = (tip - at(joints, XR_HAND_JOINT_INDEX_PROXIMAL_EXT)).normalized();
  const Eigen::Vector3d back =
      orientationOf(joints[XR_HAND_JOINT_PALM_EXT]) * Eigen::Vector3d::UnitY();
  Eigen::Vector3d up = back - back.dot(forward) * forward;
  if (up.norm() < 1e-6) up = forward.unitOrthogonal();
  Eigen::Matrix3d frame;
  frame.col(2) = -forward;
  frame.col(1) = up.normalized();
  frame.col(0) = frame.col(1).cross(frame.col(2));
  return toPose(Eigen::Quaterniond(frame), tip);
}

}  // namespace

double pinchDistance_m(const HandJoints& joints) {
  return (at(joints, XR_HAND_JOINT_THUMB_TIP_EXT) - at(joints, XR_HAND_JOINT_INDEX_TIP_EXT)).norm();
}

bool fingerStraight(const HandJoints& joints, int finger) {
  const int proximal = metacarpal(finger) + 1;
  double length = 0.0;
  for (int j = proximal; j < proximal + 3; ++j)
    length += (at(joints, j + 1) - at(joints, j)).norm();
  const double chord = (at(joints, proximal + 3) - at(joints, proximal)).norm();
  return length > 0.0 && chord >= HandGestures::kStraightChord * length;
}

bool fingerCurled(const HandJoints& joints, int finger) {
  const int proximal = metacarpal(finger) + 1;
  const Eigen::Vector3d wrist = at(joints, XR_HAND_JOINT_WRIST_EXT);
  return (at(joints, proximal + 3) - wrist).norm() < (at(joints, proximal) - wrist).norm();
}

HandInput HandGestures::read(const HandJoints& joints) {
  HandInput hand;
  hand.source = HandSource::TrackedHand;
  for (int joint : {XR_HAND_JOINT_PALM_EXT, XR_HAND_JOINT_WRIST_EXT, XR_HAND_JOINT_THUMB_TIP_EXT,
                    XR_HAND_JOINT_INDEX_PROXIMAL_EXT, XR_HAND_JOINT_INDEX_TIP_EXT}) {
    if (!located(joints[joint])) {
      pinching_ = false;  // a hand lost from view lets go
      hand.source = HandSource::Untracked;
      return hand;
    }
  }
  hand.tracked = true;
  const double gap_m = pinchDistance_m(joints);
  pinching_ = pinching_ ? gap_m <= kPinchReleaseAbove_m : gap_m < kPinchAt_m;
  hand.grab = pinching_ ? 1.0f : 0.0f;
  const Eigen::Vector3d pinchPoint =
      0.5 * (at(joints, XR_HAND_JOINT_THUMB_TIP_EXT) + at(joints, XR_HAND_JOINT_INDEX_TIP_EXT));
  hand.grip = toPose(orientationOf(joints[XR_HAND_JOINT_PALM_EXT]), pinchPoint);
  hand.aim = indexRay(joints);
  const bool pointing = fingerStraight(joints, 0) && fingerCurled(joints, 1) &&
                        fingerCurled(joints, 2) && fingerCurled(joints, 3);
  hand.pointer = pointing ? 1.0f : 0.0f;
  return hand;
}

std::vector<std::array<int, 2>> handBones() {
  std::vector<std::array<int, 2>> bones;
  // The thumb's four joints and each finger's five are consecutive in XrHandJointEXT.
  const int chains[5][2] = {{XR_HAND_JOINT_THUMB_METACARPAL_EXT, XR_HAND_JOINT_THUMB_TIP_EXT},
                            {XR_HAND_JOINT_INDEX_METACARPAL_EXT, XR_HAND_JOINT_INDEX_TIP_EXT},
                            {XR_HAND_JOINT_MIDDLE_METACARPAL_EXT, XR_HAND_JOINT_MIDDLE_TIP_EXT},
                            {XR_HAND_JOINT_RING_METACARPAL_EXT, XR_HAND_JOINT_RING_TIP_EXT},
                            {XR_HAND_JOINT_LITTLE_METACARPAL_EXT, XR_HAND_JOINT_LITTLE_TIP_EXT}};
  for (const auto& [first, tip] : chains) {
    bones.push_back({XR_HAND_JOINT_WRIST_EXT, first});
    for (int joint = first; joint < tip; ++joint) bones.push_back({joint, joint + 1});
  }
  return bones;
}

}  // namespace twinplan::xr
