// Actions (OpenXR 1.0 chapter 11): action sets, suggested bindings for the common interaction
// profiles, and boolean / float / vector / pose states driven by the headset script.
#include <algorithm>
#include <cstdio>
#include <cstring>

#include "runtime_state.h"

namespace twinplan::xr_test_runtime {
namespace {

// The interaction profiles of OpenXR 1.0 section 6.4 that TwinPlan suggests bindings for.
const std::vector<std::string>& knownProfiles() {
  static const std::vector<std::string> profiles = {
      "/interaction_profiles/khr/simple_controller",
      "/interaction_profiles/oculus/touch_controller",
      "/interaction_profiles/valve/index_controller",
      "/interaction_profiles/htc/vive_controller",
      "/interaction_profiles/microsoft/motion_controller",
      "/interaction_profiles/google/daydream_controller",
      "/interaction_profiles/oculus/go_controller",
      "/interaction_profiles/htc/vive_pro",
      "/interaction_profiles/microsoft/xbox_controller",
  };
  return profiles;
}

const std::vector<std::string>& userPaths() {
  static const std::vector<std::string> paths = {"/user/hand/left", "/user/hand/right",
                                                 "/user/head", "/user/gamepad"};
  return paths;
}

bool startsWith(const std::string& text, const std::string& prefix) {
  return text.size() >= prefix.size() && text.compare(0, prefix.size(), prefix) == 0;
}

// "/user/hand/left/input/select/click" -> "/user/hand/left".
std::string userPathOf(const std::string& binding) {
  for (const std::string& user : userPaths()) {
    if (startsWith(binding, user + "/")) return user;
  }
  return {};
}

bool validName(const char* name, size_t capacity) {
  const size_t length = strnlen(name, capacity);
  if (length == 0 || length == capacity) return false;
  for (size_t i = 0; i < length; ++i) {
    const char c = name[i];
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.'))
      return false;
  }
  return true;
}

// The value a scripted input path has at a frame. A binding to an identifier without a
// component ("/input/squeeze") reads its value or click (section 6.3.2).
float inputValue(const HeadsetScript& script, const std::string& path, double frame) {
  for (const std::string& candidate : {path, path + "/value", path + "/click"}) {
    const auto it = script.inputs.find(candidate);
    if (it != script.inputs.end()) return valueAt(it->second, frame);
  }
  return 0.0f;
}

bool isPosePath(const std::string& path) {
  return path.size() > 5 && path.compare(path.size() - 5, 5, "/pose") == 0;
}

// Bindings of `action` in the session's current profile, for a subaction path (or all).
std::vector<std::string> boundPaths(const Session& session, const Instance& instance,
                                    XrAction action, XrPath subactionPath) {
  std::vector<std::string> paths;
  if (session.interactionProfile == XR_NULL_PATH) return paths;
  const auto it = instance.suggestedBindings.find(session.interactionProfile);
  if (it == instance.suggestedBindings.end()) return paths;
  const std::string user = pathString(instance, subactionPath);
  for (const Binding& binding : it->second) {
    if (binding.action != action) continue;
    const std::string path = pathString(instance, binding.path);
    if (subactionPath == XR_NULL_PATH || userPathOf(path) == user) paths.push_back(path);
  }
  return paths;
}

// The action and state a xrGetActionState* call asks for, with the section 11.5 checks.
XrResult stateFor(XrSession handle, const XrActionStateGetInfo* info, XrActionType type,
                  ActionState** state) {
  XrResult result = XR_SUCCESS;
  Instance* instance = nullptr;
  if (liveSession(handle, &result, &instance) == nullptr) return result;
  if (info == nullptr || info->type != XR_TYPE_ACTION_STATE_GET_INFO)
    return XR_ERROR_VALIDATION_FAILURE;
  Action* action = find(runtime().actions, info->action);
  if (action == nullptr) return XR_ERROR_HANDLE_INVALID;
  if (action->type != type) return XR_ERROR_ACTION_TYPE_MISMATCH;
  const ActionSet* set = find(runtime().actionSets, action->set);
  if (set == nullptr || !set->attached) return XR_ERROR_ACTIONSET_NOT_ATTACHED;
  if (info->subactionPath != XR_NULL_PATH &&
      std::find(action->subactionPaths.begin(), action->subactionPaths.end(),
                info->subactionPath) == action->subactionPaths.end()) {
    return XR_ERROR_PATH_UNSUPPORTED;
  }
  *state = &action->states[info->subactionPath];
  return XR_SUCCESS;
}

}  // namespace

bool actionPoseInStage(const Session& session, const Space& space, double frame, XrPosef* pose) {
  const Instance& instance = *find(runtime().instances, session.instance);
  for (const std::string& path : boundPaths(session, instance, space.action, space.subactionPath)) {
    if (!isPosePath(path)) continue;
    const std::string user = userPathOf(path);
    if (user == "/user/hand/left") {
      *pose = poseAt(instance.script.leftHand, frame, XrPosef{{0, 0, 0, 1}, {-0.2f, 1.3f, -0.35f}});
      return true;
    }
    if (user == "/user/hand/right") {
      *pose = poseAt(instance.script.rightHand, frame, XrPosef{{0, 0, 0, 1}, {0.2f, 1.3f, -0.35f}});
      return true;
    }
  }
  return false;
}

void eraseActionSet(XrActionSet handle) {
  ActionSet* set = find(runtime().actionSets, handle);
  if (set == nullptr) return;
  for (XrAction action : set->actions) runtime().actions.erase(reinterpret_cast<uint64_t>(action));
  if (Instance* instance = find(runtime().instances, set->instance)) {
    auto& list = instance->actionSets;
    list.erase(std::remove(list.begin(), list.end(), handle), list.end());
  }
  runtime().actionSets.erase(reinterpret_cast<uint64_t>(handle));
}

namespace api {

XrResult XRAPI_CALL xrCreateActionSet(XrInstance handle, const XrActionSetCreateInfo* info,
                                      XrActionSet* out) {
  return onLiveInstance(handle, [&](Instance& instance) -> XrResult {
    if (info == nullptr || out == nullptr || info->type != XR_TYPE_ACTION_SET_CREATE_INFO) {
      return XR_ERROR_VALIDATION_FAILURE;
    }
    if (!validName(info->actionSetName, XR_MAX_ACTION_SET_NAME_SIZE))
      return XR_ERROR_PATH_FORMAT_INVALID;
    if (strnlen(info->localizedActionSetName, XR_MAX_LOCALIZED_ACTION_SET_NAME_SIZE) == 0) {
      return XR_ERROR_LOCALIZED_NAME_INVALID;
    }
    for (XrActionSet existing : instance.actionSets) {
      const ActionSet* other = find(runtime().actionSets, existing);
      if (other->name == info->actionSetName) return XR_ERROR_NAME_DUPLICATED;
      if (other->localizedName == info->localizedActionSetName)
        return XR_ERROR_LOCALIZED_NAME_DUPLICATED;
    }
    auto set = std::make_unique<ActionSet>();
    set->instance = handle;
    set->name = info->actionSetName;
    set->localizedName = info->localizedActionSetName;
    set->priority = info->priority;
    *out = issue<XrActionSet>(runtime().actionSets, std::move(set));
    instance.actionSets.push_back(*out);
    return XR_SUCCESS;
  });
}

XrResult XRAPI_CALL xrDestroyActionSet(XrActionSet handle) {
  std::lock_guard lock(runtime().mutex);
  if (find(runtime().actionSets, handle) == nullptr) return XR_ERROR_HANDLE_INVALID;
  eraseActionSet(handle);
  return XR_SUCCESS;
}

XrResult XRAPI_CALL xrCreateAction(XrActionSet setHandle, const XrActionCreateInfo* info,
                                   XrAction* out) {
  std::lock_guard lock(runtime().mutex);
  ActionSet* set = find(runtime().actionSets, setHandle);
  if (set == nullptr) return XR_ERROR_HANDLE_INVALID;
  Instance* instance = find(runtime().instances, set->instance);
  if (instance->lost) return XR_ERROR_INSTANCE_LOST;
  if (info == nullptr || out == nullptr || info->type != XR_TYPE_ACTION_CREATE_INFO) {
    return XR_ERROR_VALIDATION_FAILURE;
  }
  if (set->attached) return XR_ERROR_ACTIONSETS_ALREADY_ATTACHED;
  if (!validName(info->actionName, XR_MAX_ACTION_NAME_SIZE)) return XR_ERROR_PATH_FORMAT_INVALID;
  switch (info->actionType) {
    case XR_ACTION_TYPE_BOOLEAN_INPUT:
    case XR_ACTION_TYPE_FLOAT_INPUT:
    case XR_ACTION_TYPE_VECTOR2F_INPUT:
    case XR_ACTION_TYPE_POSE_INPUT:
    case XR_ACTION_TYPE_VIBRATION_OUTPUT:
      break;
    default:
      return XR_ERROR_VALIDATION_FAILURE;
  }
  for (XrAction existing : set->actions) {
    if (find(runtime().actions, existing)->name == info->actionName)
      return XR_ERROR_NAME_DUPLICATED;
  }
  auto action = std::make_unique<Action>();
  action->set = setHandle;
  action->name = info->actionName;
  action->type = info->actionType;
  for (uint32_t i = 0; i < info->countSubactionPaths; ++i) {
    const std::string path = pathString(*instance, info->subactionPaths[i]);
    if (std::find(userPaths().begin(), userPaths().end(), path) == userPaths().end()) {
      return XR_ERROR_PATH_UNSUPPORTED;
    }
    action->subactionPaths.push_back(info->subactionPaths[i]);
  }
  *out = issue<XrAction>(runtime().actions, std::move(action));
  set->actions.push_back(*out);
  return XR_SUCCESS;
}

XrResult XRAPI_CALL xrDestroyAction(XrAction handle) {
  std::lock_guard lock(runtime().mutex);
  Action* action = find(runtime().actions, handle);
  if (action == nullptr) return XR_ERROR_HANDLE_INVALID;
  if (ActionSet* set = find(runtime().actionSets, action->set)) {
    set->actions.erase(std::remove(set->actions.begin(), set->actions.end(), handle),
                       set->actions.end());
  }
  runtime().actions.erase(reinterpret_cast<uint64_t>(handle));
  return XR_SUCCESS;
}

XrResult XRAPI_CALL xrSuggestInteractionProfileBindings(
    XrInstance handle, const XrInteractionProfileSuggestedBinding* suggested) {
  return onLiveInstance(handle, [&](Instance& instance) -> XrResult {
    if (suggested == nullptr || suggested->type != XR_TYPE_INTERACTION_PROFILE_SUGGESTED_BINDING ||
        suggested->countSuggestedBindings == 0 || suggested->suggestedBindings == nullptr) {
      return XR_ERROR_VALIDATION_FAILURE;
    }
    const std::string profile = pathString(instance, suggested->interactionProfile);
    if (std::find(knownProfiles().begin(), knownProfiles().end(), profile) ==
        knownProfiles().end()) {
      return XR_ERROR_PATH_UNSUPPORTED;
    }
    std::vector<Binding> bindings;
    for (uint32_t i = 0; i < suggested->countSuggestedBindings; ++i) {
      const XrActionSuggestedBinding& binding = suggested->suggestedBindings[i];
      const Action* action = find(runtime().actions, binding.action);
      if (action == nullptr) return XR_ERROR_HANDLE_INVALID;
      const ActionSet* set = find(runtime().actionSets, action->set);
      if (set->attached) return XR_ERROR_ACTIONSETS_ALREADY_ATTACHED;
      const std::string path = pathString(instance, binding.binding);
      // A binding names a top-level user path and one of its inputs or outputs (section 6.3).
      const bool inputOrOutput =
          path.find("/input/") != std::string::npos || path.find("/output/") != std::string::npos;
      if (userPathOf(path).empty() || !inputOrOutput) return XR_ERROR_PATH_UNSUPPORTED;
      bindings.push_back({binding.action, binding.binding});
    }
    instance.suggestedBindings[suggested->interactionProfile] = bindings;  // replaces earlier ones
    instance.log.write(R"({"event":"suggested_bindings","profile":")" + profile + R"(","count":)" +
                       std::to_string(bindings.size()) + "}");
    return XR_SUCCESS;
  });
}

XrResult XRAPI_CALL xrAttachSessionActionSets(XrSession handle,
                                              const XrSessionActionSetsAttachInfo* info) {
  return onLiveSession(handle, [&](Session& session, Instance& instance) -> XrResult {
    if (info == nullptr || info->type != XR_TYPE_SESSION_ACTION_SETS_ATTACH_INFO ||
        info->countActionSets == 0) {
      return XR_ERROR_VALIDATION_FAILURE;
    }
    if (session.actionSetsAttached) return XR_ERROR_ACTIONSETS_ALREADY_ATTACHED;
    for (uint32_t i = 0; i < info->countActionSets; ++i) {
      if (find(runtime().actionSets, info->actionSets[i]) == nullptr)
        return XR_ERROR_HANDLE_INVALID;
    }
    for (uint32_t i = 0; i < info->countActionSets; ++i)
      find(runtime().actionSets, info->actionSets[i])->attached = true;
    session.actionSetsAttached = true;
    // The simulated controllers are the script's profile; if the application suggested no
    // bindings for it, its actions stay unbound, as with a controller it does not know.
    session.interactionProfile =
        instance.script.interactionProfile.empty()
            ? XR_NULL_PATH  // no controllers held: nothing is bound (section 6.4)
            : internPath(instance, instance.script.interactionProfile);
    XrEventDataBuffer buffer{XR_TYPE_EVENT_DATA_BUFFER};
    auto* changed = reinterpret_cast<XrEventDataInteractionProfileChanged*>(&buffer);
    changed->type = XR_TYPE_EVENT_DATA_INTERACTION_PROFILE_CHANGED;
    changed->next = nullptr;
    changed->session = handle;
    queueEvent(instance, buffer);
    const bool suggestedForIt = instance.suggestedBindings.count(session.interactionProfile) > 0;
    instance.log.write(R"({"event":"attach","profile":")" + instance.script.interactionProfile +
                       R"(","bound":)" + (suggestedForIt ? "true" : "false") + "}");
    return XR_SUCCESS;
  });
}

XrResult XRAPI_CALL xrGetCurrentInteractionProfile(XrSession handle, XrPath topLevelUserPath,
                                                   XrInteractionProfileState* state) {
  return onLiveSession(handle, [&](const Session& session, Instance& instance) -> XrResult {
    if (state == nullptr || state->type != XR_TYPE_INTERACTION_PROFILE_STATE)
      return XR_ERROR_VALIDATION_FAILURE;
    if (!session.actionSetsAttached) return XR_ERROR_ACTIONSET_NOT_ATTACHED;
    const std::string user = pathString(instance, topLevelUserPath);
    if (std::find(userPaths().begin(), userPaths().end(), user) == userPaths().end())
      return XR_ERROR_PATH_UNSUPPORTED;
    state->interactionProfile =
        startsWith(user, "/user/hand/") ? session.interactionProfile : XR_NULL_PATH;
    return XR_SUCCESS;
  });
}

XrResult XRAPI_CALL xrSyncActions(XrSession handle, const XrActionsSyncInfo* info) {
  return onLiveSession(handle, [&](Session& session, Instance& instance) -> XrResult {
    if (info == nullptr || info->type != XR_TYPE_ACTIONS_SYNC_INFO)
      return XR_ERROR_VALIDATION_FAILURE;
    std::vector<ActionSet*> sets;
    for (uint32_t i = 0; i < info->countActiveActionSets; ++i) {
      ActionSet* set = find(runtime().actionSets, info->activeActionSets[i].actionSet);
      if (set == nullptr) return XR_ERROR_HANDLE_INVALID;
      if (!set->attached) return XR_ERROR_ACTIONSET_NOT_ATTACHED;
      sets.push_back(set);
    }
    // Input reaches only the focused application (section 9.4, XR_SESSION_STATE_FOCUSED).
    const bool focused = session.state == XR_SESSION_STATE_FOCUSED;
    const double frame = static_cast<double>(session.framesWaited);
    const XrTime now = displayTime(instance, session.framesWaited);
    for (ActionSet* set : sets) {
      for (XrAction actionHandle : set->actions) {
        Action* action = find(runtime().actions, actionHandle);
        std::vector<XrPath> subactions = action->subactionPaths;
        subactions.push_back(XR_NULL_PATH);
        for (XrPath subaction : subactions) {
          ActionState& state = action->states[subaction];
          const std::vector<std::string> paths =
              boundPaths(session, instance, actionHandle, subaction);
          float value = 0.0f, y = 0.0f;
          bool active = false;
          for (const std::string& path : paths) {
            if (path.find("/output/") != std::string::npos) continue;
            active = true;
            if (action->type == XR_ACTION_TYPE_VECTOR2F_INPUT) {
              // A thumbstick or trackpad identifier reads its /x and /y components (section 6.3.2).
              value = inputValue(instance.script, path + "/x", frame);
              y = inputValue(instance.script, path + "/y", frame);
            } else if (!isPosePath(path)) {
              value = std::max(value, inputValue(instance.script, path, frame));
            }
          }
          active = active && focused;
          if (!active) value = y = 0.0f;
          // Booleans from analogue inputs: pressed above one half (section 11.4, "the runtime
          // must apply hysteresis"; a single threshold is enough for scripted steps).
          if (action->type == XR_ACTION_TYPE_BOOLEAN_INPUT) value = value > 0.5f ? 1.0f : 0.0f;
          state.changed = active && state.active && (value != state.value || y != state.y);
          if (state.changed || (active && !state.active)) state.lastChange = now;
          state.active = active;
          state.value = value;
          state.y = y;
        }
      }
    }
    return focused ? XR_SUCCESS : XR_SESSION_NOT_FOCUSED;
  });
}

XrResult XRAPI_CALL xrGetActionStateBoolean(XrSession handle, const XrActionStateGetInfo* info,
                                            XrActionStateBoolean* out) {
  std::lock_guard lock(runtime().mutex);
  ActionState* state = nullptr;
  if (const XrResult r = stateFor(handle, info, XR_ACTION_TYPE_BOOLEAN_INPUT, &state); XR_FAILED(r))
    return r;
  if (out == nullptr || out->type != XR_TYPE_ACTION_STATE_BOOLEAN)
    return XR_ERROR_VALIDATION_FAILURE;
  out->currentState = state->value > 0.5f ? XR_TRUE : XR_FALSE;
  out->changedSinceLastSync = state->changed ? XR_TRUE : XR_FALSE;
  out->lastChangeTime = state->lastChange;
  out->isActive = state->active ? XR_TRUE : XR_FALSE;
  return XR_SUCCESS;
}

XrResult XRAPI_CALL xrGetActionStateFloat(XrSession handle, const XrActionStateGetInfo* info,
                                          XrActionStateFloat* out) {
  std::lock_guard lock(runtime().mutex);
  ActionState* state = nullptr;
  if (const XrResult r = stateFor(handle, info, XR_ACTION_TYPE_FLOAT_INPUT, &state); XR_FAILED(r))
    return r;
  if (out == nullptr || out->type != XR_TYPE_ACTION_STATE_FLOAT) return XR_ERROR_VALIDATION_FAILURE;
  out->currentState = state->value;
  out->changedSinceLastSync = state->changed ? XR_TRUE : XR_FALSE;
  out->lastChangeTime = state->lastChange;
  out->isActive = state->active ? XR_TRUE : XR_FALSE;
  return XR_SUCCESS;
}

XrResult XRAPI_CALL xrGetActionStateVector2f(XrSession handle, const XrActionStateGetInfo* info,
                                             XrActionStateVector2f* out) {
  std::lock_guard lock(runtime().mutex);
  ActionState* state = nullptr;
  if (const XrResult r = stateFor(handle, info, XR_ACTION_TYPE_VECTOR2F_INPUT, &state);
      XR_FAILED(r))
    return r;
  if (out == nullptr || out->type != XR_TYPE_ACTION_STATE_VECTOR2F)
    return XR_ERROR_VALIDATION_FAILURE;
  out->currentState = {state->value, state->y};
  out->changedSinceLastSync = state->changed ? XR_TRUE : XR_FALSE;
  out->lastChangeTime = state->lastChange;
  out->isActive = state->active ? XR_TRUE : XR_FALSE;
  return XR_SUCCESS;
}

XrResult XRAPI_CALL xrGetActionStatePose(XrSession handle, const XrActionStateGetInfo* info,
                                         XrActionStatePose* out) {
  std::lock_guard lock(runtime().mutex);
  ActionState* state = nullptr;
  if (const XrResult r = stateFor(handle, info, XR_ACTION_TYPE_POSE_INPUT, &state); XR_FAILED(r))
    return r;
  if (out == nullptr || out->type != XR_TYPE_ACTION_STATE_POSE) return XR_ERROR_VALIDATION_FAILURE;
  out->isActive = state->active ? XR_TRUE : XR_FALSE;
  return XR_SUCCESS;
}

XrResult XRAPI_CALL
xrEnumerateBoundSourcesForAction(XrSession handle, const XrBoundSourcesForActionEnumerateInfo* info,
                                 uint32_t capacity, uint32_t* countOutput, XrPath* sources) {
  return onLiveSession(handle, [&](const Session& session, Instance& instance) -> XrResult {
    if (info == nullptr || info->type != XR_TYPE_BOUND_SOURCES_FOR_ACTION_ENUMERATE_INFO) {
      return XR_ERROR_VALIDATION_FAILURE;
    }
    const Action* action = find(runtime().actions, info->action);
    if (action == nullptr) return XR_ERROR_HANDLE_INVALID;
    if (!find(runtime().actionSets, action->set)->attached) return XR_ERROR_ACTIONSET_NOT_ATTACHED;
    std::vector<XrPath> paths;
    for (const std::string& path : boundPaths(session, instance, info->action, XR_NULL_PATH)) {
      paths.push_back(internPath(instance, path));
    }
    return fillArray(paths, capacity, countOutput, sources);
  });
}

XrResult XRAPI_CALL xrGetInputSourceLocalizedName(XrSession handle,
                                                  const XrInputSourceLocalizedNameGetInfo* info,
                                                  uint32_t capacity, uint32_t* countOutput,
                                                  char* buffer) {
  return onLiveSession(handle, [&](const Session& session, Instance& instance) -> XrResult {
    if (info == nullptr || info->type != XR_TYPE_INPUT_SOURCE_LOCALIZED_NAME_GET_INFO ||
        info->whichComponents == 0) {
      return XR_ERROR_VALIDATION_FAILURE;
    }
    const std::string path = pathString(instance, info->sourcePath);
    if (path.empty()) return XR_ERROR_PATH_INVALID;
    // "Right Hand Simple Controller select click": user path, profile, component, as asked.
    std::string name;
    const std::string user = userPathOf(path);
    if (info->whichComponents & XR_INPUT_SOURCE_LOCALIZED_NAME_USER_PATH_BIT) {
      name += user == "/user/hand/left"    ? "Left Hand"
              : user == "/user/hand/right" ? "Right Hand"
                                           : user;
    }
    if (info->whichComponents & XR_INPUT_SOURCE_LOCALIZED_NAME_INTERACTION_PROFILE_BIT) {
      const std::string profile = pathString(instance, session.interactionProfile);
      name += (name.empty() ? "" : " ") + profile.substr(profile.find_last_of('/') + 1);
    }
    if (info->whichComponents & XR_INPUT_SOURCE_LOCALIZED_NAME_COMPONENT_BIT) {
      const size_t kind = path.find('/', user.size() + 1);  // the '/' after "input" or "output"
      std::string component = kind == std::string::npos ? path : path.substr(kind + 1);
      std::replace(component.begin(), component.end(), '/', ' ');
      name += (name.empty() ? "" : " ") + component;
    }
    return fillString(name, capacity, countOutput, buffer);
  });
}

XrResult XRAPI_CALL xrApplyHapticFeedback(XrSession handle, const XrHapticActionInfo* info,
                                          const XrHapticBaseHeader* haptic) {
  return onLiveSession(handle, [&](Session& session, Instance& instance) -> XrResult {
    if (info == nullptr || haptic == nullptr || info->type != XR_TYPE_HAPTIC_ACTION_INFO) {
      return XR_ERROR_VALIDATION_FAILURE;
    }
    const Action* action = find(runtime().actions, info->action);
    if (action == nullptr) return XR_ERROR_HANDLE_INVALID;
    if (action->type != XR_ACTION_TYPE_VIBRATION_OUTPUT) return XR_ERROR_ACTION_TYPE_MISMATCH;
    if (!find(runtime().actionSets, action->set)->attached) return XR_ERROR_ACTIONSET_NOT_ATTACHED;
    session.hapticsApplied.push_back(info->action);
    instance.log.write(R"({"event":"haptic","action":")" + action->name + R"(","subaction":")" +
                       pathString(instance, info->subactionPath) + R"("})");
    return session.state == XR_SESSION_STATE_FOCUSED ? XR_SUCCESS : XR_SESSION_NOT_FOCUSED;
  });
}

XrResult XRAPI_CALL xrStopHapticFeedback(XrSession handle, const XrHapticActionInfo* info) {
  return onLiveSession(handle, [&](Session& session, Instance&) -> XrResult {
    if (info == nullptr || info->type != XR_TYPE_HAPTIC_ACTION_INFO)
      return XR_ERROR_VALIDATION_FAILURE;
    const Action* action = find(runtime().actions, info->action);
    if (action == nullptr) return XR_ERROR_HANDLE_INVALID;
    if (action->type != XR_ACTION_TYPE_VIBRATION_OUTPUT) return XR_ERROR_ACTION_TYPE_MISMATCH;
    return session.state == XR_SESSION_STATE_FOCUSED ? XR_SUCCESS : XR_SESSION_NOT_FOCUSED;
  });
}

}  // namespace api
}  // namespace twinplan::xr_test_runtime
