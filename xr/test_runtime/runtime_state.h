// The objects behind the handles of the TwinPlan XR test runtime and the one lock that guards
// them. A handle is a number issued once (never a pointer), so a stale or made-up handle is
// answered with XR_ERROR_HANDLE_INVALID instead of a crash.
#pragma once

#define XR_USE_PLATFORM_XLIB
#define XR_USE_GRAPHICS_API_OPENGL
#include <GL/gl.h>
#include <GL/glx.h>
#include <X11/Xlib.h>
#include <openxr/openxr.h>
#include <openxr/openxr_platform.h>

#include <cstdint>
#include <deque>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "runtime_script.h"

namespace twinplan::xr_test_runtime {

// One JSON object per line: what a test reads back to check the client's behaviour.
class EventLog {
 public:
  void open(const std::string& path);
  void write(const std::string& jsonObject);
  bool enabled() const { return out_.is_open(); }

 private:
  std::ofstream out_;
};

struct ActionState {
  float value = 0.0f;  // a 2D input's x
  float y = 0.0f;      // a 2D input's y
  bool active = false;
  bool changed = false;
  XrTime lastChange = 0;
};

struct Action {
  XrActionSet set = XR_NULL_HANDLE;
  std::string name;
  XrActionType type = XR_ACTION_TYPE_BOOLEAN_INPUT;
  std::vector<XrPath> subactionPaths;
  std::map<XrPath, ActionState> states;  // per subaction path; XR_NULL_PATH: all of them
};

struct ActionSet {
  XrInstance instance = XR_NULL_HANDLE;
  std::string name;
  std::string localizedName;
  uint32_t priority = 0;
  std::vector<XrAction> actions;
  bool attached = false;
};

struct Binding {
  XrAction action = XR_NULL_HANDLE;
  XrPath path = XR_NULL_PATH;
};

struct Instance {
  HeadsetScript script;
  std::string applicationName;
  bool openglEnabled = false;
  bool depthLayerEnabled = false;
  bool handTrackingEnabled = false;  // XR_EXT_hand_tracking
  bool graphicsRequirementsQueried = false;
  bool lost = false;
  std::vector<std::string> paths;  // XrPath n is paths[n - 1]
  std::map<std::string, XrPath> pathIds;
  std::deque<XrEventDataBuffer> events;
  XrSession session = XR_NULL_HANDLE;
  std::vector<XrActionSet> actionSets;
  std::map<XrPath, std::vector<Binding>> suggestedBindings;  // per interaction profile
  EventLog log;
};

struct Swapchain {
  XrSession session = XR_NULL_HANDLE;
  int64_t format = 0;
  uint32_t width = 0;
  uint32_t height = 0;
  bool depth = false;
  std::vector<GLuint> textures;
  std::deque<uint32_t> acquired;  // in acquisition order; the front one may be waited on
  bool frontWaited = false;
  uint32_t nextImage = 0;
  int lastReleased = -1;
};

enum class SpaceKind { Reference, Action };

struct Space {
  XrSession session = XR_NULL_HANDLE;
  SpaceKind kind = SpaceKind::Reference;
  XrReferenceSpaceType referenceType = XR_REFERENCE_SPACE_TYPE_LOCAL;
  XrAction action = XR_NULL_HANDLE;
  XrPath subactionPath = XR_NULL_PATH;
  XrPosef offset{{0, 0, 0, 1}, {0, 0, 0}};
};

struct Session {
  XrInstance instance = XR_NULL_HANDLE;
  XrSessionState state = XR_SESSION_STATE_UNKNOWN;
  bool running = false;
  bool exitRequested = false;
  bool lost = false;
  XrViewConfigurationType viewConfiguration = XR_VIEW_CONFIGURATION_TYPE_PRIMARY_STEREO;
  Display* display = nullptr;
  GLXDrawable drawable = 0;
  GLXContext context = nullptr;
  // Frame loop: frame n is displayed at epoch + n * period; the first xrWaitFrame gives n = 1.
  int64_t framesWaited = 0;
  bool frameWaitedNotBegun = false;
  bool frameBegun = false;
  int64_t framesEnded = 0;
  int64_t framesDisplayed = 0;  // ended while VISIBLE or FOCUSED: what the exit and loss count
  bool actionSetsAttached = false;
  XrPath interactionProfile = XR_NULL_PATH;
  std::vector<XrSpace> spaces;
  std::vector<XrSwapchain> swapchains;
  std::vector<XrAction> hapticsApplied;
  std::vector<XrHandTrackerEXT> handTrackers;
};

// XR_EXT_hand_tracking: one tracker per hand (runtime_hands.cpp).
struct HandTracker {
  XrSession session = XR_NULL_HANDLE;
  XrHandEXT hand = XR_HAND_LEFT_EXT;
};

// Everything the runtime holds, behind one mutex: every entry point locks it first.
struct Runtime {
  std::mutex mutex;
  uint64_t nextHandle = 1;
  std::unordered_map<uint64_t, std::unique_ptr<Instance>> instances;
  std::unordered_map<uint64_t, std::unique_ptr<Session>> sessions;
  std::unordered_map<uint64_t, std::unique_ptr<Space>> spaces;
  std::unordered_map<uint64_t, std::unique_ptr<Swapchain>> swapchains;
  std::unordered_map<uint64_t, std::unique_ptr<ActionSet>> actionSets;
  std::unordered_map<uint64_t, std::unique_ptr<Action>> actions;
  std::unordered_map<uint64_t, std::unique_ptr<HandTracker>> handTrackers;
};

Runtime& runtime();

// The session behind `handle` when it and its instance are usable; otherwise null with *result
// set to XR_ERROR_HANDLE_INVALID, XR_ERROR_INSTANCE_LOST or XR_ERROR_SESSION_LOST (OpenXR 1.0
// section 2.9, "Return Codes").
Session* liveSession(XrSession handle, XrResult* result, Instance** instanceOut = nullptr);

// The guard every entry point on a session starts with: holds the runtime's lock for the whole
// call, and runs `body(Session&, Instance&)` only when the session and its instance are usable;
// otherwise returns what liveSession says (OpenXR 1.0 section 2.9).
template <class Body>
XrResult onLiveSession(XrSession handle, Body&& body) {
  std::lock_guard lock(runtime().mutex);
  XrResult result = XR_SUCCESS;
  Instance* instance = nullptr;
  Session* session = liveSession(handle, &result, &instance);
  if (session == nullptr) return result;
  return body(*session, *instance);
}

template <class Object, class Handle>
Object* find(std::unordered_map<uint64_t, std::unique_ptr<Object>>& table, Handle handle) {
  const auto it = table.find(reinterpret_cast<uint64_t>(handle));
  return it == table.end() ? nullptr : it->second.get();
}

// The same for entry points on an instance: XR_ERROR_HANDLE_INVALID for an unknown handle,
// XR_ERROR_INSTANCE_LOST once it is lost.
template <class Body>
XrResult onLiveInstance(XrInstance handle, Body&& body) {
  std::lock_guard lock(runtime().mutex);
  Instance* instance = find(runtime().instances, handle);
  if (instance == nullptr) return XR_ERROR_HANDLE_INVALID;
  if (instance->lost) return XR_ERROR_INSTANCE_LOST;
  return body(*instance);
}

template <class Handle, class Object>
Handle issue(std::unordered_map<uint64_t, std::unique_ptr<Object>>& table,
             std::unique_ptr<Object> object) {
  const uint64_t id = runtime().nextHandle++;
  table.emplace(id, std::move(object));
  return reinterpret_cast<Handle>(id);
}

constexpr XrSystemId kSystemId = 1;
constexpr XrTime kEpoch_ns = 1'000'000'000;
constexpr uint32_t kSwapchainImageCount = 3;
constexpr uint32_t kMaxLayerCount = 16;

XrTime framePeriod_ns(const Instance& instance);
XrTime displayTime(const Instance& instance, int64_t frame);
double frameAt(const Instance& instance, XrTime time);

// Queues an event for xrPollEvent (oldest first). A session state change is also applied.
void queueEvent(Instance& instance, const XrEventDataBuffer& event);
void changeSessionState(XrSession handle, Session& session, XrSessionState state);
std::string pathString(const Instance& instance, XrPath path);
XrPath internPath(Instance& instance, const std::string& path);

// Two-call idiom (OpenXR 1.0 section 2.13, "Buffer Size Parameters"): capacity 0 asks for the
// count.
template <class T>
XrResult fillArray(const std::vector<T>& items, uint32_t capacity, uint32_t* countOutput, T* out) {
  if (countOutput == nullptr) return XR_ERROR_VALIDATION_FAILURE;
  *countOutput = static_cast<uint32_t>(items.size());
  if (capacity == 0) return XR_SUCCESS;
  if (capacity < items.size()) return XR_ERROR_SIZE_INSUFFICIENT;
  if (out == nullptr) return XR_ERROR_VALIDATION_FAILURE;
  for (size_t i = 0; i < items.size(); ++i) out[i] = items[i];
  return XR_SUCCESS;
}

XrResult fillString(const std::string& text, uint32_t capacity, uint32_t* countOutput, char* out);

// The OpenXR entry points this runtime implements, reached through xrGetInstanceProcAddr
// only (they live in this namespace, so they never clash with the loader's exports).
namespace api {
XrResult XRAPI_CALL xrGetInstanceProcAddr(XrInstance, const char*, PFN_xrVoidFunction*);
XrResult XRAPI_CALL xrEnumerateApiLayerProperties(uint32_t, uint32_t*, XrApiLayerProperties*);
XrResult XRAPI_CALL xrEnumerateInstanceExtensionProperties(const char*, uint32_t, uint32_t*,
                                                           XrExtensionProperties*);
XrResult XRAPI_CALL xrCreateInstance(const XrInstanceCreateInfo*, XrInstance*);
XrResult XRAPI_CALL xrDestroyInstance(XrInstance);
XrResult XRAPI_CALL xrGetInstanceProperties(XrInstance, XrInstanceProperties*);
XrResult XRAPI_CALL xrPollEvent(XrInstance, XrEventDataBuffer*);
XrResult XRAPI_CALL xrResultToString(XrInstance, XrResult, char[XR_MAX_RESULT_STRING_SIZE]);
XrResult XRAPI_CALL xrStructureTypeToString(XrInstance, XrStructureType,
                                            char[XR_MAX_STRUCTURE_NAME_SIZE]);
XrResult XRAPI_CALL xrGetSystem(XrInstance, const XrSystemGetInfo*, XrSystemId*);
XrResult XRAPI_CALL xrGetSystemProperties(XrInstance, XrSystemId, XrSystemProperties*);
XrResult XRAPI_CALL xrEnumerateEnvironmentBlendModes(XrInstance, XrSystemId,
                                                     XrViewConfigurationType, uint32_t, uint32_t*,
                                                     XrEnvironmentBlendMode*);
XrResult XRAPI_CALL xrEnumerateViewConfigurations(XrInstance, XrSystemId, uint32_t, uint32_t*,
                                                  XrViewConfigurationType*);
XrResult XRAPI_CALL xrGetViewConfigurationProperties(XrInstance, XrSystemId,
                                                     XrViewConfigurationType,
                                                     XrViewConfigurationProperties*);
XrResult XRAPI_CALL xrEnumerateViewConfigurationViews(XrInstance, XrSystemId,
                                                      XrViewConfigurationType, uint32_t, uint32_t*,
                                                      XrViewConfigurationView*);
XrResult XRAPI_CALL xrStringToPath(XrInstance, const char*, XrPath*);
XrResult XRAPI_CALL xrPathToString(XrInstance, XrPath, uint32_t, uint32_t*, char*);
XrResult XRAPI_CALL xrGetOpenGLGraphicsRequirementsKHR(XrInstance, XrSystemId,
                                                       XrGraphicsRequirementsOpenGLKHR*);
// Session, spaces, views, swapchains, frames (runtime_session.cpp).
XrResult XRAPI_CALL xrCreateSession(XrInstance, const XrSessionCreateInfo*, XrSession*);
XrResult XRAPI_CALL xrDestroySession(XrSession);
XrResult XRAPI_CALL xrBeginSession(XrSession, const XrSessionBeginInfo*);
XrResult XRAPI_CALL xrEndSession(XrSession);
XrResult XRAPI_CALL xrRequestExitSession(XrSession);
XrResult XRAPI_CALL xrEnumerateReferenceSpaces(XrSession, uint32_t, uint32_t*,
                                               XrReferenceSpaceType*);
XrResult XRAPI_CALL xrCreateReferenceSpace(XrSession, const XrReferenceSpaceCreateInfo*, XrSpace*);
XrResult XRAPI_CALL xrGetReferenceSpaceBoundsRect(XrSession, XrReferenceSpaceType, XrExtent2Df*);
XrResult XRAPI_CALL xrCreateActionSpace(XrSession, const XrActionSpaceCreateInfo*, XrSpace*);
XrResult XRAPI_CALL xrLocateSpace(XrSpace, XrSpace, XrTime, XrSpaceLocation*);
XrResult XRAPI_CALL xrDestroySpace(XrSpace);
XrResult XRAPI_CALL xrLocateViews(XrSession, const XrViewLocateInfo*, XrViewState*, uint32_t,
                                  uint32_t*, XrView*);
XrResult XRAPI_CALL xrEnumerateSwapchainFormats(XrSession, uint32_t, uint32_t*, int64_t*);
XrResult XRAPI_CALL xrCreateSwapchain(XrSession, const XrSwapchainCreateInfo*, XrSwapchain*);
XrResult XRAPI_CALL xrDestroySwapchain(XrSwapchain);
XrResult XRAPI_CALL xrEnumerateSwapchainImages(XrSwapchain, uint32_t, uint32_t*,
                                               XrSwapchainImageBaseHeader*);
XrResult XRAPI_CALL xrAcquireSwapchainImage(XrSwapchain, const XrSwapchainImageAcquireInfo*,
                                            uint32_t*);
XrResult XRAPI_CALL xrWaitSwapchainImage(XrSwapchain, const XrSwapchainImageWaitInfo*);
XrResult XRAPI_CALL xrReleaseSwapchainImage(XrSwapchain, const XrSwapchainImageReleaseInfo*);
XrResult XRAPI_CALL xrWaitFrame(XrSession, const XrFrameWaitInfo*, XrFrameState*);
XrResult XRAPI_CALL xrBeginFrame(XrSession, const XrFrameBeginInfo*);
XrResult XRAPI_CALL xrEndFrame(XrSession, const XrFrameEndInfo*);
// Actions (runtime_input.cpp).
XrResult XRAPI_CALL xrCreateActionSet(XrInstance, const XrActionSetCreateInfo*, XrActionSet*);
XrResult XRAPI_CALL xrDestroyActionSet(XrActionSet);
XrResult XRAPI_CALL xrCreateAction(XrActionSet, const XrActionCreateInfo*, XrAction*);
XrResult XRAPI_CALL xrDestroyAction(XrAction);
XrResult XRAPI_CALL
xrSuggestInteractionProfileBindings(XrInstance, const XrInteractionProfileSuggestedBinding*);
XrResult XRAPI_CALL xrAttachSessionActionSets(XrSession, const XrSessionActionSetsAttachInfo*);
XrResult XRAPI_CALL xrGetCurrentInteractionProfile(XrSession, XrPath, XrInteractionProfileState*);
XrResult XRAPI_CALL xrSyncActions(XrSession, const XrActionsSyncInfo*);
XrResult XRAPI_CALL xrGetActionStateBoolean(XrSession, const XrActionStateGetInfo*,
                                            XrActionStateBoolean*);
XrResult XRAPI_CALL xrGetActionStateFloat(XrSession, const XrActionStateGetInfo*,
                                          XrActionStateFloat*);
XrResult XRAPI_CALL xrGetActionStateVector2f(XrSession, const XrActionStateGetInfo*,
                                             XrActionStateVector2f*);
XrResult XRAPI_CALL xrGetActionStatePose(XrSession, const XrActionStateGetInfo*,
                                         XrActionStatePose*);
XrResult XRAPI_CALL xrEnumerateBoundSourcesForAction(XrSession,
                                                     const XrBoundSourcesForActionEnumerateInfo*,
                                                     uint32_t, uint32_t*, XrPath*);
XrResult XRAPI_CALL xrGetInputSourceLocalizedName(XrSession,
                                                  const XrInputSourceLocalizedNameGetInfo*,
                                                  uint32_t, uint32_t*, char*);
XrResult XRAPI_CALL xrApplyHapticFeedback(XrSession, const XrHapticActionInfo*,
                                          const XrHapticBaseHeader*);
XrResult XRAPI_CALL xrStopHapticFeedback(XrSession, const XrHapticActionInfo*);
// XR_EXT_hand_tracking (runtime_hands.cpp).
XrResult XRAPI_CALL xrCreateHandTrackerEXT(XrSession, const XrHandTrackerCreateInfoEXT*,
                                           XrHandTrackerEXT*);
XrResult XRAPI_CALL xrDestroyHandTrackerEXT(XrHandTrackerEXT);
XrResult XRAPI_CALL xrLocateHandJointsEXT(XrHandTrackerEXT, const XrHandJointsLocateInfoEXT*,
                                          XrHandJointLocationsEXT*);
}  // namespace api

// Where a space is in STAGE at a frame; false when it cannot be located (an unbound action).
bool spaceInStage(const Session& session, const Space& space, double frame, XrPosef* pose);
// Destroys a hand tracker (xrDestroyHandTrackerEXT and session destruction).
void destroyHandTrackerObject(XrHandTrackerEXT handle);

// Where an action space is in STAGE at a frame; false when its action is not bound to a pose.
bool actionPoseInStage(const Session& session, const Space& space, double frame, XrPosef* pose);
// Destroys an action set and its actions (xrDestroyActionSet and instance destruction).
void eraseActionSet(XrActionSet handle);

}  // namespace twinplan::xr_test_runtime
