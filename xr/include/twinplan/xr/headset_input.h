#pragma once
// Controller input of a headset session (issue #20 item 3): one action set ("anatomy") with a
// grab action (the grip / squeeze), a pointer action (the trigger), a toggle (the button under
// the thumb: show or hide what the laser points at) and the grip and aim poses
// of both hands, with suggested bindings for the common controllers (OpenXR 1.0 section 6.4:
// Khronos simple, Oculus Touch, Valve Index, HTC Vive, Microsoft motion controllers). The
// runtime picks the binding of the controller it has; an unknown one leaves the actions unbound.
// Where the headset tracks hands (XR_EXT_hand_tracking) a hand without a tracked controller is
// read from its joints instead (hand_gestures.h): pinch to grab, point to pick.
#include <openxr/openxr.h>

#include <array>
#include <string>

#include "twinplan/xr/hand_gestures.h"
#include "twinplan/xr/headset_session.h"

namespace twinplan::xr {

class HeadsetInput {
 public:
  // Creates the action set, its actions and hand spaces, suggests bindings for every profile
  // listed above and attaches the set to the session (once per session, section 11.5).
  explicit HeadsetInput(HeadsetSession& session);
  ~HeadsetInput();
  HeadsetInput(const HeadsetInput&) = delete;
  HeadsetInput& operator=(const HeadsetInput&) = delete;

  // Reads the controllers (xrSyncActions; only a FOCUSED session gets input, section 11.6)
  // and locates both hands at the last frame's display time. Returns false while unfocused.
  bool update();
  const HandInput& hand(int index) const { return hands_.at(index); }  // 0 left, 1 right
  // The profile the runtime bound for a hand, e.g. "/interaction_profiles/oculus/touch_controller";
  // empty while none.
  std::string currentProfile(int index) const;

  // Whether hand trackers were created (the session tracks hands), and a hand's last joints
  // in the reference space with whether they were located (the hand was seen).
  bool tracksHands() const { return handTrackers_[0] != XR_NULL_HANDLE; }
  const HandJoints& joints(int index) const { return joints_.at(index); }
  bool jointsLocated(int index) const { return jointsLocated_.at(index); }

  // The interaction profiles bindings are suggested for.
  static std::array<const char*, 5> profiles();

 private:
  void createActions();
  void suggestBindings();
  void createHandTrackers();
  void readTrackedHand(int index, XrTime time);

  HeadsetSession& session_;
  XrActionSet actionSet_ = XR_NULL_HANDLE;
  XrAction grab_ = XR_NULL_HANDLE;
  XrAction pointer_ = XR_NULL_HANDLE;
  XrAction toggle_ = XR_NULL_HANDLE;
  XrAction gripPose_ = XR_NULL_HANDLE;
  XrAction aimPose_ = XR_NULL_HANDLE;
  std::array<XrPath, 2> handPaths_{XR_NULL_PATH, XR_NULL_PATH};
  std::array<XrSpace, 2> gripSpaces_{XR_NULL_HANDLE, XR_NULL_HANDLE};
  std::array<XrSpace, 2> aimSpaces_{XR_NULL_HANDLE, XR_NULL_HANDLE};
  std::array<HandInput, 2> hands_;
  // XR_EXT_hand_tracking, when the session tracks hands.
  std::array<XrHandTrackerEXT, 2> handTrackers_{XR_NULL_HANDLE, XR_NULL_HANDLE};
  PFN_xrLocateHandJointsEXT locateHandJoints_ = nullptr;
  PFN_xrDestroyHandTrackerEXT destroyHandTracker_ = nullptr;
  std::array<HandJoints, 2> joints_{};
  std::array<bool, 2> jointsLocated_{false, false};
  std::array<HandGestures, 2> gestures_;
};

}  // namespace twinplan::xr
