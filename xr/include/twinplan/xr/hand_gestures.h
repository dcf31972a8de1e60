#pragma once
// A tracked hand (XR_EXT_hand_tracking, OpenXR 1.0 section 12.31) read as a controller (issue
// #20 item 3): a pinch of thumb and index grabs like the controller's squeeze, the index finger
// is the laser pointer's ray, and pointing with it (index straight, the other fingers curled)
// pulls the pointer's trigger. Pure functions of the 26 joints: no OpenXR calls here.
#include <openxr/openxr.h>

#include <array>
#include <vector>

namespace twinplan::xr {

// Where a hand's input comes from: a controller held in it, or the hand itself tracked
// (XR_EXT_hand_tracking; hand_gestures.h reads its joints as a controller).
enum class HandSource { Untracked, Controller, TrackedHand };

struct HandInput {
  HandSource source = HandSource::Untracked;
  bool tracked = false;                   // the grip pose is valid (position and orientation)
  XrPosef grip{{0, 0, 0, 1}, {0, 0, 0}};  // in the session's reference space
  XrPosef aim{{0, 0, 0, 1}, {0, 0, 0}};
  float grab = 0.0f;     // squeeze 0..1 (simple controller: select click)
  float pointer = 0.0f;  // trigger 0..1
  bool toggle = false;   // the button under the thumb (A, X, trackpad click, menu) is down
};

using HandJoints = std::array<XrHandJointLocationEXT, XR_HAND_JOINT_COUNT_EXT>;

class HandGestures {
 public:
  // A pinch starts when the thumb tip and index tip joints come closer than 30 mm and ends when
  // they part beyond 40 mm: the activate and deactivate distances of Ultraleap's PinchDetector
  // (Ultraleap Unity plugin, Leap.Unity.PinchDetector, ActivateDistance 0.03 m and
  // DeactivateDistance 0.04 m, measured between the tip joints as here). The gap between them is
  // the hysteresis that keeps a pinch held near one distance from flickering.
  static constexpr double kPinchAt_m = 0.030;
  static constexpr double kPinchReleaseAbove_m = 0.040;
  // A finger counts as straight while its proximal-joint-to-tip chord is at least 0.9 of its
  // three phalanges' length: the two end joints each bent less than about 33 degrees, a third
  // of the middle joint's normal 100-degree range (American Academy of Orthopaedic Surgeons,
  // "Joint Motion: Method of Measuring and Recording", 1965). A finger is curled when its tip
  // is closer to the wrist than its knuckle (the proximal joint).
  static constexpr double kStraightChord = 0.9;

  // The hand as a controller: tracked when the palm, wrist, thumb and index joints are; grip at
  // the pinch point (midway between the thumb and index tips) turned like the palm; aim from the
  // index tip along the finger (-z, as a controller's aim pose, section 6.3.2); grab 1 while
  // pinching, pointer 1 while pointing. `source` is TrackedHand.
  HandInput read(const HandJoints& joints);
  bool pinching() const { return pinching_; }
  void reset() { pinching_ = false; }

 private:
  bool pinching_ = false;
};

// The hand's bones as pairs of joints (XrHandJointEXT values), for drawing it: the wrist to the
// thumb's metacarpal and on to its tip, and the wrist to each finger's metacarpal and on along
// the finger to its tip (24 bones; the palm joint lies on the middle metacarpal, in none).
std::vector<std::array<int, 2>> handBones();

// The distance between the thumb tip and index tip joints' centres, metres.
double pinchDistance_m(const HandJoints& joints);
// Finger 0 index, 1 middle, 2 ring, 3 little.
bool fingerStraight(const HandJoints& joints, int finger);
bool fingerCurled(const HandJoints& joints, int finger);

}  // namespace twinplan::xr
