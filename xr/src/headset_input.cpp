#include "twinplan/xr/headset_input.h"

#include <cstring>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "twinplan/xr/xr_result.h"

namespace twinplan::xr {

namespace {

const char* const kHands[2] = {"/user/hand/left", "/user/hand/right"};

// What each profile's controller has for our actions (OpenXR 1.0 section 6.4, "Interaction
// Profiles"). The simple controller has no squeeze or trigger value: select grabs. Vive and
// WMR squeeze buttons are clicks only; Touch and Index report a squeeze value. The toggle (show
// or hide what the laser points at) is the button under the thumb: A on the right Touch, X on
// the left, A on Index, the trackpad's click on Vive and WMR (their thumbsticks and trackpads
// have no face buttons), menu on the simple controller (its only other button).
struct ProfileBindings {
  const char* profile;
  const char* grab;     // component under /user/hand/*/
  const char* pointer;  // nullptr: none
  const char* toggle[2];  // left hand, right hand
};
constexpr ProfileBindings kProfiles[] = {
    {"/interaction_profiles/khr/simple_controller",
     "input/select/click",
     nullptr,
     {"input/menu/click", "input/menu/click"}},
    {"/interaction_profiles/oculus/touch_controller",
     "input/squeeze/value",
     "input/trigger/value",
     {"input/x/click", "input/a/click"}},
    {"/interaction_profiles/valve/index_controller",
     "input/squeeze/value",
     "input/trigger/value",
     {"input/a/click", "input/a/click"}},
    {"/interaction_profiles/htc/vive_controller",
     "input/squeeze/click",
     "input/trigger/value",
     {"input/trackpad/click", "input/trackpad/click"}},
    {"/interaction_profiles/microsoft/motion_controller",
     "input/squeeze/click",
     "input/trigger/value",
     {"input/trackpad/click", "input/trackpad/click"}},
};

XrPath toPath(XrInstance instance, const std::string& text) {
  XrPath path = XR_NULL_PATH;
  checkXr(xrStringToPath(instance, text.c_str(), &path), "xrStringToPath", text);
  return path;
}

XrAction makeAction(XrActionSet set, XrActionType type, const char* name, const char* localized,
                    const std::array<XrPath, 2>& hands) {
  XrActionCreateInfo info{XR_TYPE_ACTION_CREATE_INFO};
  info.actionType = type;
  std::strncpy(info.actionName, name, XR_MAX_ACTION_NAME_SIZE - 1);
  std::strncpy(info.localizedActionName, localized, XR_MAX_LOCALIZED_ACTION_NAME_SIZE - 1);
  info.countSubactionPaths = 2;
  info.subactionPaths = hands.data();
  XrAction action = XR_NULL_HANDLE;
  checkXr(xrCreateAction(set, &info, &action), "xrCreateAction", name);
  return action;
}

XrActionStateGetInfo stateOf(XrAction action, XrPath hand) {
  XrActionStateGetInfo info{XR_TYPE_ACTION_STATE_GET_INFO};
  info.action = action;
  info.subactionPath = hand;
  return info;
}

bool booleanState(XrSession session, XrAction action, XrPath hand) {
  const XrActionStateGetInfo info = stateOf(action, hand);
  XrActionStateBoolean state{XR_TYPE_ACTION_STATE_BOOLEAN};
  checkXr(xrGetActionStateBoolean(session, &info, &state), "xrGetActionStateBoolean");
  return state.isActive == XR_TRUE && state.currentState == XR_TRUE;
}

float floatState(XrSession session, XrAction action, XrPath hand) {
  const XrActionStateGetInfo info = stateOf(action, hand);
  XrActionStateFloat state{XR_TYPE_ACTION_STATE_FLOAT};
  checkXr(xrGetActionStateFloat(session, &info, &state), "xrGetActionStateFloat");
  return state.isActive == XR_TRUE ? state.currentState : 0.0f;
}

bool locate(XrSpace space, XrSpace base, XrTime time, XrPosef& pose) {
  XrSpaceLocation location{XR_TYPE_SPACE_LOCATION};
  checkXr(xrLocateSpace(space, base, time, &location), "xrLocateSpace", "hand");
  const XrSpaceLocationFlags needed =
      XR_SPACE_LOCATION_POSITION_VALID_BIT | XR_SPACE_LOCATION_ORIENTATION_VALID_BIT;
  if ((location.locationFlags & needed) != needed) return false;
  pose = location.pose;
  return true;
}

}  // namespace

std::array<const char*, 5> HeadsetInput::profiles() {
  std::array<const char*, 5> names{};
  for (size_t i = 0; i < names.size(); ++i) names[i] = kProfiles[i].profile;
  return names;
}

HeadsetInput::HeadsetInput(HeadsetSession& session) : session_(session) {
  createActions();
  suggestBindings();
  XrSessionActionSetsAttachInfo attach{XR_TYPE_SESSION_ACTION_SETS_ATTACH_INFO};
  attach.countActionSets = 1;
  attach.actionSets = &actionSet_;
  checkXr(xrAttachSessionActionSets(session_.sessionHandle(), &attach),
          "xrAttachSessionActionSets");
  for (int h = 0; h < 2; ++h) {
    XrActionSpaceCreateInfo info{XR_TYPE_ACTION_SPACE_CREATE_INFO};
    info.subactionPath = handPaths_[h];
    info.poseInActionSpace = {{0, 0, 0, 1}, {0, 0, 0}};
    info.action = gripPose_;
    checkXr(xrCreateActionSpace(session_.sessionHandle(), &info, &gripSpaces_[h]),
            "xrCreateActionSpace", "grip");
    info.action = aimPose_;
    checkXr(xrCreateActionSpace(session_.sessionHandle(), &info, &aimSpaces_[h]),
            "xrCreateActionSpace", "aim");
  }
  if (session_.tracksHands()) createHandTrackers();
}

// The extension's functions come from the runtime (xrGetInstanceProcAddr, section 3.2); a
// headset that cannot track hands after all (XR_ERROR_FEATURE_UNSUPPORTED) leaves the
// controllers alone, without a message: they are what every headset has.
void HeadsetInput::createHandTrackers() {
  const XrInstance instance = session_.instanceHandle();
  PFN_xrCreateHandTrackerEXT create = nullptr;
  const auto load = [&](const char* name, auto& function) {
    PFN_xrVoidFunction any = nullptr;
    checkXr(xrGetInstanceProcAddr(instance, name, &any), "xrGetInstanceProcAddr", name);
    function = reinterpret_cast<std::remove_reference_t<decltype(function)>>(any);
  };
  load("xrCreateHandTrackerEXT", create);
  load("xrDestroyHandTrackerEXT", destroyHandTracker_);
  load("xrLocateHandJointsEXT", locateHandJoints_);
  for (int h = 0; h < 2; ++h) {
    XrHandTrackerCreateInfoEXT info{XR_TYPE_HAND_TRACKER_CREATE_INFO_EXT};
    info.hand = h == 0 ? XR_HAND_LEFT_EXT : XR_HAND_RIGHT_EXT;
    info.handJointSet = XR_HAND_JOINT_SET_DEFAULT_EXT;
    const XrResult result = create(session_.sessionHandle(), &info, &handTrackers_[h]);
    if (result == XR_ERROR_FEATURE_UNSUPPORTED) {
      handTrackers_[h] = XR_NULL_HANDLE;
      break;
    }
    checkXr(result, "xrCreateHandTrackerEXT", h == 0 ? "left hand" : "right hand");
  }
  if (handTrackers_[1] == XR_NULL_HANDLE && handTrackers_[0] != XR_NULL_HANDLE) {
    destroyHandTracker_(handTrackers_[0]);
    handTrackers_[0] = XR_NULL_HANDLE;
  }
}

// Spaces and the action set go with the session anyway (section 2.11); destroyed here so a
// session outlives its input. Results are not checked: nothing can be done about them here.
HeadsetInput::~HeadsetInput() {
  for (XrHandTrackerEXT tracker : handTrackers_)
    if (tracker != XR_NULL_HANDLE) destroyHandTracker_(tracker);
  for (XrSpace space : gripSpaces_)
    if (space != XR_NULL_HANDLE) xrDestroySpace(space);
  for (XrSpace space : aimSpaces_)
    if (space != XR_NULL_HANDLE) xrDestroySpace(space);
  if (actionSet_ != XR_NULL_HANDLE) xrDestroyActionSet(actionSet_);
}

void HeadsetInput::createActions() {
  const XrInstance instance = session_.instanceHandle();
  XrActionSetCreateInfo info{XR_TYPE_ACTION_SET_CREATE_INFO};
  std::strncpy(info.actionSetName, "anatomy", XR_MAX_ACTION_SET_NAME_SIZE - 1);
  std::strncpy(info.localizedActionSetName, "Anatomy", XR_MAX_LOCALIZED_ACTION_SET_NAME_SIZE - 1);
  checkXr(xrCreateActionSet(instance, &info, &actionSet_), "xrCreateActionSet", "anatomy");
  for (int h = 0; h < 2; ++h) handPaths_[h] = toPath(instance, kHands[h]);
  grab_ =
      makeAction(actionSet_, XR_ACTION_TYPE_FLOAT_INPUT, "grab", "Grab the anatomy", handPaths_);
  pointer_ =
      makeAction(actionSet_, XR_ACTION_TYPE_FLOAT_INPUT, "pointer", "Point and pick", handPaths_);
  toggle_ = makeAction(actionSet_, XR_ACTION_TYPE_BOOLEAN_INPUT, "toggle",
                       "Show or hide what the laser points at", handPaths_);
  gripPose_ =
      makeAction(actionSet_, XR_ACTION_TYPE_POSE_INPUT, "grip_pose", "Hand (grip)", handPaths_);
  aimPose_ =
      makeAction(actionSet_, XR_ACTION_TYPE_POSE_INPUT, "aim_pose", "Hand (aim)", handPaths_);
}

void HeadsetInput::suggestBindings() {
  const XrInstance instance = session_.instanceHandle();
  for (const ProfileBindings& profile : kProfiles) {
    std::vector<XrActionSuggestedBinding> bindings;
    for (int h = 0; h < 2; ++h) {
      const std::string base = std::string(kHands[h]) + "/";
      bindings.push_back({grab_, toPath(instance, base + profile.grab)});
      bindings.push_back({toggle_, toPath(instance, base + profile.toggle[h])});
      if (profile.pointer != nullptr)
        bindings.push_back({pointer_, toPath(instance, base + profile.pointer)});
      bindings.push_back({gripPose_, toPath(instance, base + "input/grip/pose")});
      bindings.push_back({aimPose_, toPath(instance, base + "input/aim/pose")});
    }
    XrInteractionProfileSuggestedBinding suggested{XR_TYPE_INTERACTION_PROFILE_SUGGESTED_BINDING};
    suggested.interactionProfile = toPath(instance, profile.profile);
    suggested.countSuggestedBindings = static_cast<uint32_t>(bindings.size());
    suggested.suggestedBindings = bindings.data();
    checkXr(xrSuggestInteractionProfileBindings(instance, &suggested),
            "xrSuggestInteractionProfileBindings", profile.profile);
  }
}

bool HeadsetInput::update() {
  const XrSession session = session_.sessionHandle();
  XrActiveActionSet active{actionSet_, XR_NULL_PATH};
  XrActionsSyncInfo sync{XR_TYPE_ACTIONS_SYNC_INFO};
  sync.countActiveActionSets = 1;
  sync.activeActionSets = &active;
  if (checkXr(xrSyncActions(session, &sync), "xrSyncActions") == XR_SESSION_NOT_FOCUSED) {
    for (HandInput& hand : hands_) hand = HandInput{};
    for (HandGestures& gestures : gestures_) gestures.reset();
    jointsLocated_ = {false, false};
    return false;
  }
  const XrTime time = session_.lastDisplayTime();
  for (int h = 0; h < 2; ++h) {
    HandInput& hand = hands_[h];
    hand.grab = floatState(session, grab_, handPaths_[h]);
    hand.pointer = floatState(session, pointer_, handPaths_[h]);
    hand.toggle = booleanState(session, toggle_, handPaths_[h]);
    hand.tracked =
        time > 0 && locate(gripSpaces_[h], session_.referenceSpaceHandle(), time, hand.grip);
    if (time > 0) locate(aimSpaces_[h], session_.referenceSpaceHandle(), time, hand.aim);
    hand.source = hand.tracked ? HandSource::Controller : HandSource::Untracked;
    if (tracksHands() && time > 0) readTrackedHand(h, time);
  }
  return true;
}

// A controller held in the hand wins: its buttons are deliberate, and some runtimes derive the
// hand's joints from the controller. The hand's own joints drive it when no controller is
// tracked there.
void HeadsetInput::readTrackedHand(int index, XrTime time) {
  XrHandJointsLocateInfoEXT info{XR_TYPE_HAND_JOINTS_LOCATE_INFO_EXT};
  info.baseSpace = session_.referenceSpaceHandle();
  info.time = time;
  XrHandJointLocationsEXT locations{XR_TYPE_HAND_JOINT_LOCATIONS_EXT};
  locations.jointCount = XR_HAND_JOINT_COUNT_EXT;
  locations.jointLocations = joints_[index].data();
  checkXr(locateHandJoints_(handTrackers_[index], &info, &locations), "xrLocateHandJointsEXT",
          index == 0 ? "left hand" : "right hand");
  jointsLocated_[index] = locations.isActive == XR_TRUE;
  if (!jointsLocated_[index]) {
    gestures_[index].reset();
    return;
  }
  const HandInput fromJoints = gestures_[index].read(joints_[index]);
  if (hands_[index].source != HandSource::Controller && fromJoints.tracked)
    hands_[index] = fromJoints;
}

std::string HeadsetInput::currentProfile(int index) const {
  XrInteractionProfileState state{XR_TYPE_INTERACTION_PROFILE_STATE};
  checkXr(xrGetCurrentInteractionProfile(session_.sessionHandle(), handPaths_.at(index), &state),
          "xrGetCurrentInteractionProfile");
  if (state.interactionProfile == XR_NULL_PATH) return {};
  char text[XR_MAX_PATH_LENGTH];
  uint32_t length = 0;
  checkXr(xrPathToString(session_.instanceHandle(), state.interactionProfile, sizeof text, &length,
                         text),
          "xrPathToString");
  return text;
}

}  // namespace twinplan::xr
