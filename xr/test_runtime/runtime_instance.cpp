// Loader negotiation, xrGetInstanceProcAddr, the instance, the simulated system and paths.
#include <openxr/openxr_reflection.h>

#include <cstdio>
#include <cstring>
#include <stdexcept>

#include "loader_negotiation.h"
#include "runtime_state.h"

namespace twinplan::xr_test_runtime {

Runtime& runtime() {
  static Runtime state;
  return state;
}

Session* liveSession(XrSession handle, XrResult* result, Instance** instanceOut) {
  Session* session = find(runtime().sessions, handle);
  if (session == nullptr) {
    *result = XR_ERROR_HANDLE_INVALID;
    return nullptr;
  }
  Instance* instance = find(runtime().instances, session->instance);
  if (instance->lost) {
    *result = XR_ERROR_INSTANCE_LOST;
    return nullptr;
  }
  if (session->lost) {
    *result = XR_ERROR_SESSION_LOST;
    return nullptr;
  }
  if (instanceOut != nullptr) *instanceOut = instance;
  return session;
}

void EventLog::open(const std::string& path) {
  out_.open(path, std::ios::app);
  if (!out_)
    std::fprintf(stderr, "TwinPlan XR test runtime: cannot write the log %s\n", path.c_str());
}

void EventLog::write(const std::string& jsonObject) {
  if (!out_.is_open()) return;
  out_ << jsonObject << '\n';
  out_.flush();  // a test may read it while the client still runs, or after a crash
}

XrTime framePeriod_ns(const Instance& instance) {
  return static_cast<XrTime>(1e9 / instance.script.displayRate_Hz + 0.5);
}

XrTime displayTime(const Instance& instance, int64_t frame) {
  return kEpoch_ns + frame * framePeriod_ns(instance);
}

double frameAt(const Instance& instance, XrTime time) {
  return static_cast<double>(time - kEpoch_ns) / static_cast<double>(framePeriod_ns(instance));
}

const char* sessionStateName(XrSessionState state) {
  switch (state) {
#define TWINPLAN_XR_STATE_NAME(name, value) \
  case name:                                \
    return #name;
    XR_LIST_ENUM_XrSessionState(TWINPLAN_XR_STATE_NAME)
#undef TWINPLAN_XR_STATE_NAME
        default : return "unknown";
  }
}

void queueEvent(Instance& instance, const XrEventDataBuffer& event) {
  instance.events.push_back(event);
}

void changeSessionState(XrSession handle, Session& session, XrSessionState state) {
  Instance* instance = find(runtime().instances, session.instance);
  const XrSessionState from = session.state;
  session.state = state;
  XrEventDataBuffer buffer{XR_TYPE_EVENT_DATA_BUFFER};
  auto* changed = reinterpret_cast<XrEventDataSessionStateChanged*>(&buffer);
  changed->type = XR_TYPE_EVENT_DATA_SESSION_STATE_CHANGED;
  changed->next = nullptr;
  changed->session = handle;
  changed->state = state;
  changed->time = displayTime(*instance, session.framesWaited);
  queueEvent(*instance, buffer);
  char line[256];
  std::snprintf(line, sizeof line, R"({"event":"state","from":"%s","to":"%s","frame":%lld})",
                sessionStateName(from), sessionStateName(state),
                static_cast<long long>(session.framesWaited));
  instance->log.write(line);
}

std::string pathString(const Instance& instance, XrPath path) {
  if (path == XR_NULL_PATH || path > instance.paths.size()) return {};
  return instance.paths[path - 1];
}

XrPath internPath(Instance& instance, const std::string& path) {
  const auto it = instance.pathIds.find(path);
  if (it != instance.pathIds.end()) return it->second;
  instance.paths.push_back(path);
  const XrPath id = instance.paths.size();
  instance.pathIds.emplace(path, id);
  return id;
}

XrResult fillString(const std::string& text, uint32_t capacity, uint32_t* countOutput, char* out) {
  if (countOutput == nullptr) return XR_ERROR_VALIDATION_FAILURE;
  *countOutput = static_cast<uint32_t>(text.size() + 1);
  if (capacity == 0) return XR_SUCCESS;
  if (capacity < text.size() + 1) return XR_ERROR_SIZE_INSUFFICIENT;
  if (out == nullptr) return XR_ERROR_VALIDATION_FAILURE;
  std::memcpy(out, text.c_str(), text.size() + 1);
  return XR_SUCCESS;
}

namespace {

// Well-formed path strings (OpenXR 1.0 section 6.2 "Well-Formed Path Strings"): absolute, no empty,
// "." or ".." element, no trailing slash, characters a-z 0-9 - _ . /.
bool wellFormedPath(const char* path) {
  const size_t length = std::strlen(path);
  if (length < 2 || length >= XR_MAX_PATH_LENGTH || path[0] != '/' || path[length - 1] == '/') {
    return false;
  }
  std::string element;
  for (size_t i = 1; i <= length; ++i) {
    const char c = path[i];
    if (c == '/' || c == '\0') {
      if (element.empty() || element == "." || element == "..") return false;
      element.clear();
      continue;
    }
    const bool allowed =
        (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
    if (!allowed) return false;
    element.push_back(c);
  }
  return true;
}

// The script decides whether the depth and hand-tracking extensions are listed; a malformed
// script lists them (the error is reported where xrCreateInstance reads the script).
bool extensionOffered(const std::string& name) {
  try {
    const HeadsetScript script = loadHeadsetScript();
    if (name == XR_KHR_COMPOSITION_LAYER_DEPTH_EXTENSION_NAME) return script.offerDepthLayer;
    if (name == XR_EXT_HAND_TRACKING_EXTENSION_NAME) return script.offerHandTracking;
    return true;
  } catch (const std::exception&) {
    return true;
  }
}

const std::vector<std::pair<const char*, uint32_t>>& supportedExtensions() {
  static const std::vector<std::pair<const char*, uint32_t>> extensions = {
      {XR_KHR_OPENGL_ENABLE_EXTENSION_NAME, XR_KHR_opengl_enable_SPEC_VERSION},
      {XR_KHR_COMPOSITION_LAYER_DEPTH_EXTENSION_NAME, XR_KHR_composition_layer_depth_SPEC_VERSION},
      {XR_EXT_HAND_TRACKING_EXTENSION_NAME, XR_EXT_hand_tracking_SPEC_VERSION},
  };
  return extensions;
}

struct Entry {
  const char* name;
  PFN_xrVoidFunction function;
  const char* extension;  // nullptr: core
};

#define TWINPLAN_XR_ENTRY(name) \
  { #name, reinterpret_cast < PFN_xrVoidFunction>(&api::name), nullptr }
const std::vector<Entry>& entryPoints() {
  static const std::vector<Entry> entries = {
      TWINPLAN_XR_ENTRY(xrGetInstanceProcAddr),
      TWINPLAN_XR_ENTRY(xrEnumerateApiLayerProperties),
      TWINPLAN_XR_ENTRY(xrEnumerateInstanceExtensionProperties),
      TWINPLAN_XR_ENTRY(xrCreateInstance),
      TWINPLAN_XR_ENTRY(xrDestroyInstance),
      TWINPLAN_XR_ENTRY(xrGetInstanceProperties),
      TWINPLAN_XR_ENTRY(xrPollEvent),
      TWINPLAN_XR_ENTRY(xrResultToString),
      TWINPLAN_XR_ENTRY(xrStructureTypeToString),
      TWINPLAN_XR_ENTRY(xrGetSystem),
      TWINPLAN_XR_ENTRY(xrGetSystemProperties),
      TWINPLAN_XR_ENTRY(xrEnumerateEnvironmentBlendModes),
      TWINPLAN_XR_ENTRY(xrEnumerateViewConfigurations),
      TWINPLAN_XR_ENTRY(xrGetViewConfigurationProperties),
      TWINPLAN_XR_ENTRY(xrEnumerateViewConfigurationViews),
      TWINPLAN_XR_ENTRY(xrStringToPath),
      TWINPLAN_XR_ENTRY(xrPathToString),
      TWINPLAN_XR_ENTRY(xrCreateSession),
      TWINPLAN_XR_ENTRY(xrDestroySession),
      TWINPLAN_XR_ENTRY(xrBeginSession),
      TWINPLAN_XR_ENTRY(xrEndSession),
      TWINPLAN_XR_ENTRY(xrRequestExitSession),
      TWINPLAN_XR_ENTRY(xrEnumerateReferenceSpaces),
      TWINPLAN_XR_ENTRY(xrCreateReferenceSpace),
      TWINPLAN_XR_ENTRY(xrGetReferenceSpaceBoundsRect),
      TWINPLAN_XR_ENTRY(xrCreateActionSpace),
      TWINPLAN_XR_ENTRY(xrLocateSpace),
      TWINPLAN_XR_ENTRY(xrDestroySpace),
      TWINPLAN_XR_ENTRY(xrLocateViews),
      TWINPLAN_XR_ENTRY(xrEnumerateSwapchainFormats),
      TWINPLAN_XR_ENTRY(xrCreateSwapchain),
      TWINPLAN_XR_ENTRY(xrDestroySwapchain),
      TWINPLAN_XR_ENTRY(xrEnumerateSwapchainImages),
      TWINPLAN_XR_ENTRY(xrAcquireSwapchainImage),
      TWINPLAN_XR_ENTRY(xrWaitSwapchainImage),
      TWINPLAN_XR_ENTRY(xrReleaseSwapchainImage),
      TWINPLAN_XR_ENTRY(xrWaitFrame),
      TWINPLAN_XR_ENTRY(xrBeginFrame),
      TWINPLAN_XR_ENTRY(xrEndFrame),
      TWINPLAN_XR_ENTRY(xrCreateActionSet),
      TWINPLAN_XR_ENTRY(xrDestroyActionSet),
      TWINPLAN_XR_ENTRY(xrCreateAction),
      TWINPLAN_XR_ENTRY(xrDestroyAction),
      TWINPLAN_XR_ENTRY(xrSuggestInteractionProfileBindings),
      TWINPLAN_XR_ENTRY(xrAttachSessionActionSets),
      TWINPLAN_XR_ENTRY(xrGetCurrentInteractionProfile),
      TWINPLAN_XR_ENTRY(xrSyncActions),
      TWINPLAN_XR_ENTRY(xrGetActionStateBoolean),
      TWINPLAN_XR_ENTRY(xrGetActionStateFloat),
      TWINPLAN_XR_ENTRY(xrGetActionStateVector2f),
      TWINPLAN_XR_ENTRY(xrGetActionStatePose),
      TWINPLAN_XR_ENTRY(xrEnumerateBoundSourcesForAction),
      TWINPLAN_XR_ENTRY(xrGetInputSourceLocalizedName),
      TWINPLAN_XR_ENTRY(xrApplyHapticFeedback),
      TWINPLAN_XR_ENTRY(xrStopHapticFeedback),
      {"xrGetOpenGLGraphicsRequirementsKHR",
       reinterpret_cast<PFN_xrVoidFunction>(&api::xrGetOpenGLGraphicsRequirementsKHR),
       XR_KHR_OPENGL_ENABLE_EXTENSION_NAME},
      {"xrCreateHandTrackerEXT", reinterpret_cast<PFN_xrVoidFunction>(&api::xrCreateHandTrackerEXT),
       XR_EXT_HAND_TRACKING_EXTENSION_NAME},
      {"xrDestroyHandTrackerEXT",
       reinterpret_cast<PFN_xrVoidFunction>(&api::xrDestroyHandTrackerEXT),
       XR_EXT_HAND_TRACKING_EXTENSION_NAME},
      {"xrLocateHandJointsEXT", reinterpret_cast<PFN_xrVoidFunction>(&api::xrLocateHandJointsEXT),
       XR_EXT_HAND_TRACKING_EXTENSION_NAME},
  };
  return entries;
}
#undef TWINPLAN_XR_ENTRY

bool extensionEnabled(const Instance* instance, const std::string& name) {
  if (instance == nullptr) return false;
  if (name == XR_KHR_OPENGL_ENABLE_EXTENSION_NAME) return instance->openglEnabled;
  if (name == XR_EXT_HAND_TRACKING_EXTENSION_NAME) return instance->handTrackingEnabled;
  return false;
}

Instance* liveInstance(XrInstance handle, XrResult* result) {
  Instance* instance = find(runtime().instances, handle);
  if (instance == nullptr) {
    *result = XR_ERROR_HANDLE_INVALID;
  } else if (instance->lost) {
    *result = XR_ERROR_INSTANCE_LOST;
    instance = nullptr;
  }
  return instance;
}

}  // namespace

namespace api {

XrResult XRAPI_CALL xrGetInstanceProcAddr(XrInstance instanceHandle, const char* name,
                                          PFN_xrVoidFunction* function) {
  if (name == nullptr || function == nullptr) return XR_ERROR_VALIDATION_FAILURE;
  *function = nullptr;
  std::lock_guard lock(runtime().mutex);
  const Instance* instance = nullptr;
  if (instanceHandle == XR_NULL_HANDLE) {
    // Without an instance only these may be asked for (OpenXR 1.0 section 3.2).
    const std::string entry = name;
    if (entry != "xrEnumerateInstanceExtensionProperties" &&
        entry != "xrEnumerateApiLayerProperties" && entry != "xrCreateInstance") {
      return entry == "xrInitializeLoaderKHR" ? XR_ERROR_FUNCTION_UNSUPPORTED
                                              : XR_ERROR_HANDLE_INVALID;
    }
  } else {
    instance = find(runtime().instances, instanceHandle);
    if (instance == nullptr) return XR_ERROR_HANDLE_INVALID;
  }
  for (const Entry& entry : entryPoints()) {
    if (std::strcmp(entry.name, name) != 0) continue;
    if (entry.extension != nullptr && !extensionEnabled(instance, entry.extension)) {
      return XR_ERROR_FUNCTION_UNSUPPORTED;  // an extension function of an extension not enabled
    }
    *function = entry.function;
    return XR_SUCCESS;
  }
  return XR_ERROR_FUNCTION_UNSUPPORTED;
}

XrResult XRAPI_CALL xrEnumerateApiLayerProperties(uint32_t capacity, uint32_t* countOutput,
                                                  XrApiLayerProperties* properties) {
  return fillArray(std::vector<XrApiLayerProperties>{}, capacity, countOutput, properties);
}

XrResult XRAPI_CALL xrEnumerateInstanceExtensionProperties(const char* layerName, uint32_t capacity,
                                                           uint32_t* countOutput,
                                                           XrExtensionProperties* properties) {
  if (layerName != nullptr && *layerName != '\0') return XR_ERROR_API_LAYER_NOT_PRESENT;
  std::vector<XrExtensionProperties> list;
  for (const auto& [name, version] : supportedExtensions()) {
    if (!extensionOffered(name)) continue;
    XrExtensionProperties property{XR_TYPE_EXTENSION_PROPERTIES};
    std::snprintf(property.extensionName, sizeof property.extensionName, "%s", name);
    property.extensionVersion = version;
    list.push_back(property);
  }
  if (countOutput == nullptr) return XR_ERROR_VALIDATION_FAILURE;
  *countOutput = static_cast<uint32_t>(list.size());
  if (capacity == 0) return XR_SUCCESS;
  if (capacity < list.size()) return XR_ERROR_SIZE_INSUFFICIENT;
  for (size_t i = 0; i < list.size(); ++i) {
    if (properties[i].type != XR_TYPE_EXTENSION_PROPERTIES) return XR_ERROR_VALIDATION_FAILURE;
    std::memcpy(properties[i].extensionName, list[i].extensionName, sizeof list[i].extensionName);
    properties[i].extensionVersion = list[i].extensionVersion;
  }
  return XR_SUCCESS;
}

XrResult XRAPI_CALL xrCreateInstance(const XrInstanceCreateInfo* info, XrInstance* out) {
  if (info == nullptr || out == nullptr || info->type != XR_TYPE_INSTANCE_CREATE_INFO) {
    return XR_ERROR_VALIDATION_FAILURE;
  }
  if (XR_VERSION_MAJOR(info->applicationInfo.apiVersion) != 1)
    return XR_ERROR_API_VERSION_UNSUPPORTED;
  if (info->enabledApiLayerCount > 0) return XR_ERROR_API_LAYER_NOT_PRESENT;
  auto instance = std::make_unique<Instance>();
  for (uint32_t i = 0; i < info->enabledExtensionCount; ++i) {
    const std::string name = info->enabledExtensionNames[i];
    if (name == XR_KHR_OPENGL_ENABLE_EXTENSION_NAME) {
      instance->openglEnabled = true;
    } else if (name == XR_KHR_COMPOSITION_LAYER_DEPTH_EXTENSION_NAME) {
      instance->depthLayerEnabled = true;
    } else if (name == XR_EXT_HAND_TRACKING_EXTENSION_NAME) {
      instance->handTrackingEnabled = true;
    } else {
      return XR_ERROR_EXTENSION_NOT_PRESENT;
    }
  }
  try {
    instance->script = loadHeadsetScript();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return XR_ERROR_RUNTIME_FAILURE;
  }
  if ((instance->depthLayerEnabled && !instance->script.offerDepthLayer) ||
      (instance->handTrackingEnabled && !instance->script.offerHandTracking))
    return XR_ERROR_EXTENSION_NOT_PRESENT;
  instance->applicationName = info->applicationInfo.applicationName;
  if (!instance->script.logPath.empty()) instance->log.open(instance->script.logPath);
  std::lock_guard lock(runtime().mutex);
  Instance* raw = instance.get();
  *out = issue<XrInstance>(runtime().instances, std::move(instance));
  raw->log.write(R"({"event":"xrCreateInstance","application":")" + raw->applicationName + R"("})");
  return XR_SUCCESS;
}

XrResult XRAPI_CALL xrDestroyInstance(XrInstance handle) {
  std::unique_lock lock(runtime().mutex);
  Instance* instance = find(runtime().instances, handle);
  if (instance == nullptr) return XR_ERROR_HANDLE_INVALID;
  const XrSession session = instance->session;
  const std::vector<XrActionSet> sets = instance->actionSets;
  lock.unlock();
  // Destroying a parent destroys its children (OpenXR 1.0 section 2.11).
  if (session != XR_NULL_HANDLE) xrDestroySession(session);
  for (XrActionSet set : sets) xrDestroyActionSet(set);
  lock.lock();
  instance = find(runtime().instances, handle);
  if (instance == nullptr) return XR_ERROR_HANDLE_INVALID;
  instance->log.write(R"({"event":"xrDestroyInstance"})");
  runtime().instances.erase(reinterpret_cast<uint64_t>(handle));
  return XR_SUCCESS;
}

XrResult XRAPI_CALL xrGetInstanceProperties(XrInstance handle, XrInstanceProperties* properties) {
  std::lock_guard lock(runtime().mutex);
  XrResult result = XR_SUCCESS;
  if (liveInstance(handle, &result) == nullptr) return result;
  if (properties == nullptr || properties->type != XR_TYPE_INSTANCE_PROPERTIES) {
    return XR_ERROR_VALIDATION_FAILURE;
  }
  properties->runtimeVersion = XR_MAKE_VERSION(0, 1, 0);
  std::snprintf(properties->runtimeName, sizeof properties->runtimeName,
                "TwinPlan XR test runtime");
  return XR_SUCCESS;
}

XrResult XRAPI_CALL xrPollEvent(XrInstance handle, XrEventDataBuffer* event) {
  std::lock_guard lock(runtime().mutex);
  Instance* instance = find(runtime().instances, handle);  // a lost instance still delivers
  if (instance == nullptr) return XR_ERROR_HANDLE_INVALID;
  if (event == nullptr) return XR_ERROR_VALIDATION_FAILURE;
  if (instance->events.empty()) return XR_EVENT_UNAVAILABLE;
  *event = instance->events.front();
  instance->events.pop_front();
  return XR_SUCCESS;
}

XrResult XRAPI_CALL xrResultToString(XrInstance handle, XrResult value,
                                     char buffer[XR_MAX_RESULT_STRING_SIZE]) {
  std::lock_guard lock(runtime().mutex);
  if (find(runtime().instances, handle) == nullptr) return XR_ERROR_HANDLE_INVALID;
  switch (value) {
#define TWINPLAN_XR_RESULT_NAME(name, number)                      \
  case name:                                                       \
    std::snprintf(buffer, XR_MAX_RESULT_STRING_SIZE, "%s", #name); \
    return XR_SUCCESS;
    XR_LIST_ENUM_XrResult(TWINPLAN_XR_RESULT_NAME)
#undef TWINPLAN_XR_RESULT_NAME
        default : std::snprintf(buffer, XR_MAX_RESULT_STRING_SIZE, "%s_%d",
                                value < 0 ? "XR_UNKNOWN_FAILURE" : "XR_UNKNOWN_SUCCESS",
                                static_cast<int>(value));
    return XR_SUCCESS;
  }
}

XrResult XRAPI_CALL xrStructureTypeToString(XrInstance handle, XrStructureType value,
                                            char buffer[XR_MAX_STRUCTURE_NAME_SIZE]) {
  std::lock_guard lock(runtime().mutex);
  if (find(runtime().instances, handle) == nullptr) return XR_ERROR_HANDLE_INVALID;
  switch (value) {
#define TWINPLAN_XR_TYPE_NAME(name, number)                         \
  case name:                                                        \
    std::snprintf(buffer, XR_MAX_STRUCTURE_NAME_SIZE, "%s", #name); \
    return XR_SUCCESS;
    XR_LIST_ENUM_XrStructureType(TWINPLAN_XR_TYPE_NAME)
#undef TWINPLAN_XR_TYPE_NAME
        default : std::snprintf(buffer, XR_MAX_STRUCTURE_NAME_SIZE, "XR_UNKNOWN_STRUCTURE_TYPE_%d",
                                static_cast<int>(value));
    return XR_SUCCESS;
  }
}

XrResult XRAPI_CALL xrGetSystem(XrInstance handle, const XrSystemGetInfo* info,
                                XrSystemId* systemId) {
  std::lock_guard lock(runtime().mutex);
  XrResult result = XR_SUCCESS;
  if (liveInstance(handle, &result) == nullptr) return result;
  if (info == nullptr || systemId == nullptr || info->type != XR_TYPE_SYSTEM_GET_INFO) {
    return XR_ERROR_VALIDATION_FAILURE;
  }
  if (info->formFactor != XR_FORM_FACTOR_HEAD_MOUNTED_DISPLAY)
    return XR_ERROR_FORM_FACTOR_UNSUPPORTED;
  *systemId = kSystemId;
  return XR_SUCCESS;
}

XrResult XRAPI_CALL xrGetSystemProperties(XrInstance handle, XrSystemId systemId,
                                          XrSystemProperties* properties) {
  std::lock_guard lock(runtime().mutex);
  XrResult result = XR_SUCCESS;
  const Instance* instance = liveInstance(handle, &result);
  if (instance == nullptr) return result;
  if (systemId != kSystemId) return XR_ERROR_SYSTEM_INVALID;
  if (properties == nullptr || properties->type != XR_TYPE_SYSTEM_PROPERTIES) {
    return XR_ERROR_VALIDATION_FAILURE;
  }
  properties->systemId = kSystemId;
  properties->vendorId = 0;
  std::snprintf(properties->systemName, sizeof properties->systemName,
                "TwinPlan simulated stereo headset");
  properties->graphicsProperties = {4096, 4096, kMaxLayerCount};
  properties->trackingProperties = {XR_TRUE, XR_TRUE};
  // XR_EXT_hand_tracking section 12.31.2: the system says whether it tracks hands, in a
  // structure the application chains when it enabled the extension.
  for (auto* item = static_cast<XrBaseOutStructure*>(properties->next); item != nullptr;
       item = item->next) {
    if (item->type == XR_TYPE_SYSTEM_HAND_TRACKING_PROPERTIES_EXT && instance->handTrackingEnabled)
      reinterpret_cast<XrSystemHandTrackingPropertiesEXT*>(item)->supportsHandTracking = XR_TRUE;
  }
  return XR_SUCCESS;
}

XrResult XRAPI_CALL xrEnumerateEnvironmentBlendModes(XrInstance handle, XrSystemId systemId,
                                                     XrViewConfigurationType type,
                                                     uint32_t capacity, uint32_t* countOutput,
                                                     XrEnvironmentBlendMode* modes) {
  std::lock_guard lock(runtime().mutex);
  XrResult result = XR_SUCCESS;
  const Instance* instance = liveInstance(handle, &result);
  if (instance == nullptr) return result;
  if (systemId != kSystemId) return XR_ERROR_SYSTEM_INVALID;
  if (type != XR_VIEW_CONFIGURATION_TYPE_PRIMARY_STEREO)
    return XR_ERROR_VIEW_CONFIGURATION_TYPE_UNSUPPORTED;
  return fillArray(instance->script.blendModes, capacity, countOutput, modes);
}

XrResult XRAPI_CALL xrEnumerateViewConfigurations(XrInstance handle, XrSystemId systemId,
                                                  uint32_t capacity, uint32_t* countOutput,
                                                  XrViewConfigurationType* types) {
  std::lock_guard lock(runtime().mutex);
  XrResult result = XR_SUCCESS;
  if (liveInstance(handle, &result) == nullptr) return result;
  if (systemId != kSystemId) return XR_ERROR_SYSTEM_INVALID;
  return fillArray(std::vector<XrViewConfigurationType>{XR_VIEW_CONFIGURATION_TYPE_PRIMARY_STEREO},
                   capacity, countOutput, types);
}

XrResult XRAPI_CALL xrGetViewConfigurationProperties(XrInstance handle, XrSystemId systemId,
                                                     XrViewConfigurationType type,
                                                     XrViewConfigurationProperties* properties) {
  std::lock_guard lock(runtime().mutex);
  XrResult result = XR_SUCCESS;
  if (liveInstance(handle, &result) == nullptr) return result;
  if (systemId != kSystemId) return XR_ERROR_SYSTEM_INVALID;
  if (type != XR_VIEW_CONFIGURATION_TYPE_PRIMARY_STEREO)
    return XR_ERROR_VIEW_CONFIGURATION_TYPE_UNSUPPORTED;
  if (properties == nullptr || properties->type != XR_TYPE_VIEW_CONFIGURATION_PROPERTIES) {
    return XR_ERROR_VALIDATION_FAILURE;
  }
  properties->viewConfigurationType = type;
  properties->fovMutable = XR_FALSE;
  return XR_SUCCESS;
}

XrResult XRAPI_CALL xrEnumerateViewConfigurationViews(XrInstance handle, XrSystemId systemId,
                                                      XrViewConfigurationType type,
                                                      uint32_t capacity, uint32_t* countOutput,
                                                      XrViewConfigurationView* views) {
  std::lock_guard lock(runtime().mutex);
  XrResult result = XR_SUCCESS;
  const Instance* instance = liveInstance(handle, &result);
  if (instance == nullptr) return result;
  if (systemId != kSystemId) return XR_ERROR_SYSTEM_INVALID;
  if (type != XR_VIEW_CONFIGURATION_TYPE_PRIMARY_STEREO)
    return XR_ERROR_VIEW_CONFIGURATION_TYPE_UNSUPPORTED;
  XrViewConfigurationView view{XR_TYPE_VIEW_CONFIGURATION_VIEW};
  view.recommendedImageRectWidth = instance->script.eyeWidth_px;
  view.recommendedImageRectHeight = instance->script.eyeHeight_px;
  view.maxImageRectWidth = 4096;
  view.maxImageRectHeight = 4096;
  view.recommendedSwapchainSampleCount = 1;
  view.maxSwapchainSampleCount = 1;
  if (countOutput == nullptr) return XR_ERROR_VALIDATION_FAILURE;
  *countOutput = 2;
  if (capacity == 0) return XR_SUCCESS;
  if (capacity < 2) return XR_ERROR_SIZE_INSUFFICIENT;
  for (uint32_t i = 0; i < 2; ++i) {
    if (views[i].type != XR_TYPE_VIEW_CONFIGURATION_VIEW) return XR_ERROR_VALIDATION_FAILURE;
    view.next = views[i].next;
    views[i] = view;
  }
  return XR_SUCCESS;
}

XrResult XRAPI_CALL xrStringToPath(XrInstance handle, const char* text, XrPath* path) {
  std::lock_guard lock(runtime().mutex);
  XrResult result = XR_SUCCESS;
  Instance* instance = liveInstance(handle, &result);
  if (instance == nullptr) return result;
  if (text == nullptr || path == nullptr) return XR_ERROR_VALIDATION_FAILURE;
  if (!wellFormedPath(text)) return XR_ERROR_PATH_FORMAT_INVALID;
  *path = internPath(*instance, text);
  return XR_SUCCESS;
}

XrResult XRAPI_CALL xrPathToString(XrInstance handle, XrPath path, uint32_t capacity,
                                   uint32_t* countOutput, char* buffer) {
  std::lock_guard lock(runtime().mutex);
  XrResult result = XR_SUCCESS;
  const Instance* instance = liveInstance(handle, &result);
  if (instance == nullptr) return result;
  if (path == XR_NULL_PATH || path > instance->paths.size()) return XR_ERROR_PATH_INVALID;
  return fillString(instance->paths[path - 1], capacity, countOutput, buffer);
}

XrResult XRAPI_CALL xrGetOpenGLGraphicsRequirementsKHR(
    XrInstance handle, XrSystemId systemId, XrGraphicsRequirementsOpenGLKHR* requirements) {
  std::lock_guard lock(runtime().mutex);
  XrResult result = XR_SUCCESS;
  Instance* instance = liveInstance(handle, &result);
  if (instance == nullptr) return result;
  if (systemId != kSystemId) return XR_ERROR_SYSTEM_INVALID;
  if (requirements == nullptr || requirements->type != XR_TYPE_GRAPHICS_REQUIREMENTS_OPENGL_KHR) {
    return XR_ERROR_VALIDATION_FAILURE;
  }
  // OpenGL 3.3 core is enough for what the runtime does with the client's context
  // (texture creation and glGetTexImage); 4.6 is the newest OpenGL.
  requirements->minApiVersionSupported = XR_MAKE_VERSION(3, 3, 0);
  requirements->maxApiVersionSupported = XR_MAKE_VERSION(4, 6, 0);
  instance->graphicsRequirementsQueried = true;
  return XR_SUCCESS;
}

}  // namespace api
}  // namespace twinplan::xr_test_runtime

using namespace twinplan::xr_test_runtime;

extern "C" __attribute__((visibility("default"))) XrResult xrNegotiateLoaderRuntimeInterface(
    const XrNegotiateLoaderInfo* loaderInfo, XrNegotiateRuntimeRequest* runtimeRequest) {
  // The checks the loader document lists for a runtime: the right structures, and a version
  // range that contains interface version 1 and OpenXR 1.0.
  if (loaderInfo == nullptr || runtimeRequest == nullptr ||
      loaderInfo->structType != XR_LOADER_INTERFACE_STRUCT_LOADER_INFO ||
      loaderInfo->structVersion != kLoaderInfoStructVersion ||
      loaderInfo->structSize != sizeof(XrNegotiateLoaderInfo) ||
      runtimeRequest->structType != XR_LOADER_INTERFACE_STRUCT_RUNTIME_REQUEST ||
      runtimeRequest->structVersion != kRuntimeInfoStructVersion ||
      runtimeRequest->structSize != sizeof(XrNegotiateRuntimeRequest)) {
    return XR_ERROR_INITIALIZATION_FAILED;
  }
  if (loaderInfo->minInterfaceVersion > kRuntimeInterfaceVersion ||
      loaderInfo->maxInterfaceVersion < kRuntimeInterfaceVersion ||
      loaderInfo->minApiVersion > XR_CURRENT_API_VERSION ||
      XR_VERSION_MAJOR(loaderInfo->maxApiVersion) < 1) {
    return XR_ERROR_INITIALIZATION_FAILED;
  }
  runtimeRequest->runtimeInterfaceVersion = kRuntimeInterfaceVersion;
  runtimeRequest->runtimeApiVersion = XR_CURRENT_API_VERSION;
  runtimeRequest->getInstanceProcAddr = &api::xrGetInstanceProcAddr;
  return XR_SUCCESS;
}
