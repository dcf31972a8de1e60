// XR_EXT_hand_tracking (OpenXR 1.0 section 12.31): hand trackers whose 26 joints come from a
// simple hand model posed by the script's keys (palm pose and gesture), so a test can pinch,
// point and let go through the real loader.
//
// The model is the right hand in the palm joint's frame (the extension's conventions: +Y out of
// the back of the hand, -Z from the wrist towards the finger tips, so the right thumb is on -X);
// the left hand is its mirror image. Fingers flex about the palm's X axis at their three joints
// with adult phalanx lengths of the order Buryanov & Kotiuk report (2010, "Proportions of hand
// segments", Int. J. Morphol. 28(3):755-758); the thumb is a straight chain from its base to its
// tip, which each gesture places. Each joint's frame follows the extension: +Z along its bone,
// away from the tip; X across the finger.
#include <algorithm>
#include <array>
#include <cmath>

#include "pose_math.h"
#include "runtime_state.h"

namespace twinplan::xr_test_runtime {
namespace {

constexpr int kJoints = XR_HAND_JOINT_COUNT_EXT;
constexpr double kDegToRad = 3.14159265358979323846 / 180.0;

struct Vec {
  double x = 0, y = 0, z = 0;
};
Vec operator+(Vec a, Vec b) { return {a.x + b.x, a.y + b.y, a.z + b.z}; }
Vec operator-(Vec a, Vec b) { return {a.x - b.x, a.y - b.y, a.z - b.z}; }
Vec operator*(double s, Vec a) { return {s * a.x, s * a.y, s * a.z}; }
double dot(Vec a, Vec b) { return a.x * b.x + a.y * b.y + a.z * b.z; }
Vec cross(Vec a, Vec b) {
  return {a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x};
}
Vec unit(Vec a) {
  const double n = std::sqrt(dot(a, a));
  return n > 0 ? (1.0 / n) * a : Vec{0, 0, 1};
}

using Skeleton = std::array<Vec, kJoints>;  // joint centres in the palm frame, metres

// One of the four fingers of the right hand: where its metacarpal starts (near the wrist), its
// knuckle, and its proximal, intermediate and distal phalanx lengths.
struct Finger {
  int firstJoint;  // its METACARPAL joint; PROXIMAL, INTERMEDIATE, DISTAL and TIP follow
  Vec base, knuckle;
  double phalanx_m[3];
};
constexpr double kMm = 0.001;
const Finger kFingers[4] = {
    {XR_HAND_JOINT_INDEX_METACARPAL_EXT,
     {-10 * kMm, 0, 32 * kMm},
     {-24 * kMm, 0, -30 * kMm},
     {40 * kMm, 23 * kMm, 18 * kMm}},
    {XR_HAND_JOINT_MIDDLE_METACARPAL_EXT,
     {0, 0, 32 * kMm},
     {0, 0, -33 * kMm},
     {45 * kMm, 27 * kMm, 19 * kMm}},
    {XR_HAND_JOINT_RING_METACARPAL_EXT,
     {10 * kMm, 0, 30 * kMm},
     {20 * kMm, 0, -30 * kMm},
     {41 * kMm, 26 * kMm, 19 * kMm}},
    {XR_HAND_JOINT_LITTLE_METACARPAL_EXT,
     {18 * kMm, 0, 28 * kMm},
     {38 * kMm, 0, -22 * kMm},
     {32 * kMm, 18 * kMm, 17 * kMm}},
};
const Vec kWrist{0, 0, 45 * kMm};
const Vec kThumbBase{-20 * kMm, -10 * kMm, 25 * kMm};
const Vec kThumbTipOpen{-80 * kMm, -10 * kMm, -40 * kMm};
// In a pinch the thumb tip's centre is 15 mm from the index tip's: the two tips' radii
// (kRadius_m) touching. Towards the thumb's side and the palm.
const Vec kPinchGap{-9 * kMm, -12 * kMm, 0};

// Flexion of the knuckle, middle and end joints of a finger, degrees, towards the palm.
struct Flexion {
  double mcp, pip, dip;
};
constexpr Flexion kStraight{0, 0, 0};
constexpr Flexion kCurled{85, 100, 70};   // a fist: near the joints' full range
constexpr Flexion kPinching{35, 45, 20};  // the index bent to meet the thumb
constexpr Flexion kRelaxed{20, 30, 20};   // the other fingers while pinching

// The finger's proximal joint to tip, bending towards -Y (the palm) about +X.
void placeFinger(Skeleton& joints, const Finger& finger, const Flexion& flexion) {
  joints[finger.firstJoint] = finger.base;
  joints[finger.firstJoint + 1] = finger.knuckle;
  const double angles[3] = {flexion.mcp, flexion.pip, flexion.dip};
  double bent = 0.0;
  Vec at = finger.knuckle;
  for (int bone = 0; bone < 3; ++bone) {
    bent += angles[bone] * kDegToRad;
    at = at + finger.phalanx_m[bone] * Vec{0, -std::sin(bent), -std::cos(bent)};
    joints[finger.firstJoint + 2 + bone] = at;
  }
}

void placeThumb(Skeleton& joints, Vec tip) {
  joints[XR_HAND_JOINT_THUMB_METACARPAL_EXT] = kThumbBase;
  joints[XR_HAND_JOINT_THUMB_PROXIMAL_EXT] = kThumbBase + 0.45 * (tip - kThumbBase);
  joints[XR_HAND_JOINT_THUMB_DISTAL_EXT] = kThumbBase + 0.75 * (tip - kThumbBase);
  joints[XR_HAND_JOINT_THUMB_TIP_EXT] = tip;
}

Skeleton skeleton(HandGesture gesture) {
  Skeleton joints{};
  joints[XR_HAND_JOINT_PALM_EXT] = Vec{0, 0, 0};
  joints[XR_HAND_JOINT_WRIST_EXT] = kWrist;
  for (int f = 0; f < 4; ++f) {
    Flexion flexion = kStraight;
    if (gesture == HandGesture::Fist) flexion = kCurled;
    if (gesture == HandGesture::Point) flexion = f == 0 ? kStraight : kCurled;
    if (gesture == HandGesture::Pinch) flexion = f == 0 ? kPinching : kRelaxed;
    placeFinger(joints, kFingers[f], flexion);
  }
  Vec thumbTip = kThumbTipOpen;
  if (gesture == HandGesture::Pinch) thumbTip = joints[XR_HAND_JOINT_INDEX_TIP_EXT] + kPinchGap;
  if (gesture == HandGesture::Fist || gesture == HandGesture::Point)  // over the curled fingers
    thumbTip = joints[XR_HAND_JOINT_MIDDLE_INTERMEDIATE_EXT] + Vec{-5 * kMm, -20 * kMm, 0};
  placeThumb(joints, thumbTip);
  return joints;
}

// Joint radii, metres: of the order real runtimes report (a finger tip about 7 mm).
float radius_m(int joint) {
  if (joint == XR_HAND_JOINT_PALM_EXT) return 0.025f;
  if (joint == XR_HAND_JOINT_WRIST_EXT) return 0.022f;
  if (joint <= XR_HAND_JOINT_THUMB_TIP_EXT) return 0.0085f;
  return 0.0075f;
}

// The joint towards the tip that ends this joint's bone; -1 for a tip (its bone is the one
// before it) and the palm and wrist (oriented as the palm).
int nextJoint(int joint) {
  if (joint <= XR_HAND_JOINT_WRIST_EXT) return -1;
  const bool tip = joint == XR_HAND_JOINT_THUMB_TIP_EXT || joint == XR_HAND_JOINT_INDEX_TIP_EXT ||
                   joint == XR_HAND_JOINT_MIDDLE_TIP_EXT || joint == XR_HAND_JOINT_RING_TIP_EXT ||
                   joint == XR_HAND_JOINT_LITTLE_TIP_EXT;
  return tip ? -1 : joint + 1;
}

// A rotation whose columns are the joint's X, Y and Z axes, as a quaternion.
XrQuaternionf frameQuaternion(Vec x, Vec y, Vec z) {
  const double m00 = x.x, m11 = y.y, m22 = z.z;
  const double trace = m00 + m11 + m22;
  double qw, qx, qy, qz;
  if (trace > 0) {
    const double s = 2.0 * std::sqrt(trace + 1.0);
    qw = 0.25 * s, qx = (y.z - z.y) / s, qy = (z.x - x.z) / s, qz = (x.y - y.x) / s;
  } else if (m00 > m11 && m00 > m22) {
    const double s = 2.0 * std::sqrt(1.0 + m00 - m11 - m22);
    qw = (y.z - z.y) / s, qx = 0.25 * s, qy = (y.x + x.y) / s, qz = (z.x + x.z) / s;
  } else if (m11 > m22) {
    const double s = 2.0 * std::sqrt(1.0 + m11 - m00 - m22);
    qw = (z.x - x.z) / s, qx = (y.x + x.y) / s, qy = 0.25 * s, qz = (z.y + y.z) / s;
  } else {
    const double s = 2.0 * std::sqrt(1.0 + m22 - m00 - m11);
    qw = (x.y - y.x) / s, qx = (z.x + x.z) / s, qy = (z.y + y.z) / s, qz = 0.25 * s;
  }
  return normalised({float(qx), float(qy), float(qz), float(qw)});
}

// The joints' poses in the palm frame: positions, and orientations from the bones.
std::array<XrPosef, kJoints> jointPoses(const Skeleton& joints) {
  std::array<XrPosef, kJoints> poses{};
  for (int j = 0; j < kJoints; ++j) {
    Vec along{0, 0, 1};  // +Z: along the bone, away from the tip
    if (const int next = nextJoint(j); next >= 0) {
      along = unit(joints[j] - joints[next]);
    } else if (j > XR_HAND_JOINT_WRIST_EXT) {
      along = unit(joints[j - 1] - joints[j]);
    }
    const Vec x = unit(Vec{1, 0, 0} - dot(Vec{1, 0, 0}, along) * along);
    const Vec y = cross(along, x);
    poses[j] = {frameQuaternion(x, y, along),
                {float(joints[j].x), float(joints[j].y), float(joints[j].z)}};
  }
  return poses;
}

// The hand at a frame, in STAGE: nullopt-like false when it is not tracked then.
bool handInStage(const std::vector<KeyHand>& keys, XrHandEXT hand, double frame,
                 std::array<XrPosef, kJoints>* stage) {
  if (keys.empty() || frame < keys.front().frame) return false;
  size_t i = 0;
  while (i + 1 < keys.size() && keys[i + 1].frame <= frame) ++i;
  const KeyHand& from = keys[i];
  if (!from.tracked) return false;
  const KeyHand& to = i + 1 < keys.size() && keys[i + 1].tracked ? keys[i + 1] : from;
  const double span = to.frame - from.frame;
  const double t = span > 0 ? (frame - from.frame) / span : 0.0;
  const Skeleton a = skeleton(from.gesture), b = skeleton(to.gesture);
  Skeleton blended{};
  const double mirror = hand == XR_HAND_LEFT_EXT ? -1.0 : 1.0;  // the left hand: x -> -x
  for (int j = 0; j < kJoints; ++j) {
    blended[j] = a[j] + t * (b[j] - a[j]);
    blended[j].x *= mirror;
  }
  const XrPosef palm = interpolate(from.palm, to.palm, float(t));
  const std::array<XrPosef, kJoints> local = jointPoses(blended);
  for (int j = 0; j < kJoints; ++j) (*stage)[j] = compose(palm, local[j]);
  return true;
}

}  // namespace

void destroyHandTrackerObject(XrHandTrackerEXT handle) {
  HandTracker* tracker = find(runtime().handTrackers, handle);
  if (tracker == nullptr) return;
  if (Session* session = find(runtime().sessions, tracker->session); session != nullptr) {
    auto& list = session->handTrackers;
    list.erase(std::remove(list.begin(), list.end(), handle), list.end());
  }
  runtime().handTrackers.erase(reinterpret_cast<uint64_t>(handle));
}

namespace api {

XrResult XRAPI_CALL xrCreateHandTrackerEXT(XrSession handle, const XrHandTrackerCreateInfoEXT* info,
                                           XrHandTrackerEXT* out) {
  return onLiveSession(handle, [&](Session& session, Instance& instance) -> XrResult {
    if (!instance.handTrackingEnabled) return XR_ERROR_FUNCTION_UNSUPPORTED;
    if (info == nullptr || out == nullptr || info->type != XR_TYPE_HAND_TRACKER_CREATE_INFO_EXT)
      return XR_ERROR_VALIDATION_FAILURE;
    if (info->hand != XR_HAND_LEFT_EXT && info->hand != XR_HAND_RIGHT_EXT)
      return XR_ERROR_VALIDATION_FAILURE;
    if (info->handJointSet != XR_HAND_JOINT_SET_DEFAULT_EXT) return XR_ERROR_VALIDATION_FAILURE;
    auto tracker = std::make_unique<HandTracker>();
    tracker->session = handle;
    tracker->hand = info->hand;
    *out = issue<XrHandTrackerEXT>(runtime().handTrackers, std::move(tracker));
    session.handTrackers.push_back(*out);
    instance.log.write(std::string(R"({"event":"xrCreateHandTrackerEXT","hand":")") +
                       (info->hand == XR_HAND_LEFT_EXT ? "left" : "right") + "\"}");
    return XR_SUCCESS;
  });
}

XrResult XRAPI_CALL xrDestroyHandTrackerEXT(XrHandTrackerEXT handle) {
  std::lock_guard lock(runtime().mutex);
  if (find(runtime().handTrackers, handle) == nullptr) return XR_ERROR_HANDLE_INVALID;
  destroyHandTrackerObject(handle);
  return XR_SUCCESS;
}

XrResult XRAPI_CALL xrLocateHandJointsEXT(XrHandTrackerEXT handle,
                                          const XrHandJointsLocateInfoEXT* info,
                                          XrHandJointLocationsEXT* locations) {
  std::lock_guard lock(runtime().mutex);
  const HandTracker* tracker = find(runtime().handTrackers, handle);
  if (tracker == nullptr) return XR_ERROR_HANDLE_INVALID;
  XrResult result = XR_SUCCESS;
  Instance* instance = nullptr;
  const Session* session = liveSession(tracker->session, &result, &instance);
  if (session == nullptr) return result;
  if (info == nullptr || locations == nullptr ||
      info->type != XR_TYPE_HAND_JOINTS_LOCATE_INFO_EXT ||
      locations->type != XR_TYPE_HAND_JOINT_LOCATIONS_EXT || locations->jointLocations == nullptr)
    return XR_ERROR_VALIDATION_FAILURE;
  // The default joint set has exactly XR_HAND_JOINT_COUNT_EXT joints (section 12.31.5).
  if (locations->jointCount != kJoints) return XR_ERROR_VALIDATION_FAILURE;
  const Space* base = find(runtime().spaces, info->baseSpace);
  if (base == nullptr) return XR_ERROR_HANDLE_INVALID;
  if (info->time <= 0) return XR_ERROR_TIME_INVALID;
  // Velocities may be chained (XrHandJointVelocitiesEXT): the model reports none as valid.
  for (auto* item = static_cast<XrBaseOutStructure*>(locations->next); item != nullptr;
       item = item->next) {
    if (item->type != XR_TYPE_HAND_JOINT_VELOCITIES_EXT) continue;
    auto* velocities = reinterpret_cast<XrHandJointVelocitiesEXT*>(item);
    if (velocities->jointCount != kJoints || velocities->jointVelocities == nullptr)
      return XR_ERROR_VALIDATION_FAILURE;
    for (int j = 0; j < kJoints; ++j) velocities->jointVelocities[j] = {0, {0, 0, 0}, {0, 0, 0}};
  }
  const double frame = frameAt(*instance, info->time);
  const auto& keys = tracker->hand == XR_HAND_LEFT_EXT ? instance->script.leftHandJoints
                                                       : instance->script.rightHandJoints;
  std::array<XrPosef, kJoints> stage{};
  XrPosef basePose{};
  const bool seen = handInStage(keys, tracker->hand, frame, &stage) &&
                    spaceInStage(*session, *base, frame, &basePose);
  locations->isActive = seen ? XR_TRUE : XR_FALSE;
  const XrPosef toBase = inverse(basePose);
  for (int j = 0; j < kJoints; ++j) {
    XrHandJointLocationEXT& joint = locations->jointLocations[j];
    joint.radius = radius_m(j);
    joint.locationFlags = 0;
    joint.pose = identityPose();
    if (!seen) continue;
    joint.pose = compose(toBase, stage[j]);
    joint.locationFlags =
        XR_SPACE_LOCATION_ORIENTATION_VALID_BIT | XR_SPACE_LOCATION_POSITION_VALID_BIT |
        XR_SPACE_LOCATION_ORIENTATION_TRACKED_BIT | XR_SPACE_LOCATION_POSITION_TRACKED_BIT;
  }
  return XR_SUCCESS;
}

}  // namespace api
}  // namespace twinplan::xr_test_runtime
