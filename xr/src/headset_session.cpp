#include "twinplan/xr/headset_session.h"

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "twinplan/core/error.h"
#include "twinplan/xr/xr_result.h"

namespace twinplan::xr {
namespace {

constexpr XrViewConfigurationType kStereo = XR_VIEW_CONFIGURATION_TYPE_PRIMARY_STEREO;

std::string blendModeName(XrEnvironmentBlendMode mode) {
  switch (mode) {
    case XR_ENVIRONMENT_BLEND_MODE_OPAQUE:
      return "opaque";
    case XR_ENVIRONMENT_BLEND_MODE_ADDITIVE:
      return "additive";
    case XR_ENVIRONMENT_BLEND_MODE_ALPHA_BLEND:
      return "alpha-blend";
    default:
      return std::to_string(static_cast<int>(mode));
  }
}

std::string joined(const std::vector<int64_t>& values) {
  std::string text;
  for (int64_t value : values) {
    char hex[32];
    std::snprintf(hex, sizeof hex, "%s0x%llX", text.empty() ? "" : ", ",
                  static_cast<long long>(value));
    text += hex;
  }
  return text.empty() ? "none" : text;
}

// Whether the active runtime lists an instance extension (OpenXR 1.0 section 4.1). No runtime at
// all answers XR_ERROR_RUNTIME_UNAVAILABLE here: then "not offered", and xrCreateInstance says
// what to install.
bool runtimeOffers(const char* extension) {
  uint32_t count = 0;
  if (XR_FAILED(xrEnumerateInstanceExtensionProperties(nullptr, 0, &count, nullptr))) return false;
  std::vector<XrExtensionProperties> offered(count, {XR_TYPE_EXTENSION_PROPERTIES});
  if (XR_FAILED(xrEnumerateInstanceExtensionProperties(nullptr, count, &count, offered.data())))
    return false;
  return std::any_of(offered.begin(), offered.begin() + count, [&](const XrExtensionProperties& p) {
    return std::strcmp(p.extensionName, extension) == 0;
  });
}

}  // namespace

HeadsetSession::HeadsetSession(GraphicsBinding& graphics, HeadsetOptions options)
    : graphics_(graphics), options_(std::move(options)) {
  try {
    if (!(options_.near_m > 0.0f) || !(options_.far_m > options_.near_m))
      throw Error(ErrorKind::InvalidInput,
                  "The headset's near and far planes must satisfy 0 < near < far (metres).",
                  "near " + std::to_string(options_.near_m) + " m, far " +
                      std::to_string(options_.far_m) + " m");
    createInstance();
    chooseBlendMode();
    graphics_.checkRequirements(instance_, system_);
    createSession();
    createReferenceSpace();
    createSwapchains();
  } catch (...) {
    destroy();  // nothing half-made stays behind; the error goes to the caller
    throw;
  }
}

HeadsetSession::~HeadsetSession() { destroy(); }

void HeadsetSession::createInstance() {
  XrInstanceCreateInfo info{XR_TYPE_INSTANCE_CREATE_INFO};
  std::snprintf(info.applicationInfo.applicationName, XR_MAX_APPLICATION_NAME_SIZE, "%s",
                options_.applicationName.c_str());
  std::snprintf(info.applicationInfo.engineName, XR_MAX_ENGINE_NAME_SIZE, "TwinPlan");
  info.applicationInfo.apiVersion = XR_CURRENT_API_VERSION;
  std::vector<const char*> extensions{graphics_.instanceExtension()};
  if (options_.submitDepth && !graphics_.depthFormats().empty() &&
      runtimeOffers(XR_KHR_COMPOSITION_LAYER_DEPTH_EXTENSION_NAME)) {
    extensions.push_back(XR_KHR_COMPOSITION_LAYER_DEPTH_EXTENSION_NAME);
    depthExtensionEnabled_ = true;
  }
  if (options_.trackHands && runtimeOffers(XR_EXT_HAND_TRACKING_EXTENSION_NAME)) {
    extensions.push_back(XR_EXT_HAND_TRACKING_EXTENSION_NAME);
    handExtensionEnabled_ = true;
  }
  info.enabledExtensionCount = static_cast<uint32_t>(extensions.size());
  info.enabledExtensionNames = extensions.data();
  checkXr(xrCreateInstance(&info, &instance_), "xrCreateInstance",
          std::string("extension ") + extensions[0]);

  XrInstanceProperties properties{XR_TYPE_INSTANCE_PROPERTIES};
  checkXr(xrGetInstanceProperties(instance_, &properties), "xrGetInstanceProperties");
  runtimeName_ = properties.runtimeName;

  XrSystemGetInfo systemInfo{XR_TYPE_SYSTEM_GET_INFO};
  systemInfo.formFactor = XR_FORM_FACTOR_HEAD_MOUNTED_DISPLAY;
  checkXr(xrGetSystem(instance_, &systemInfo, &system_), "xrGetSystem",
          "head-mounted display on " + runtimeName_);
  if (handExtensionEnabled_) {
    XrSystemHandTrackingPropertiesEXT hands{XR_TYPE_SYSTEM_HAND_TRACKING_PROPERTIES_EXT};
    XrSystemProperties properties{XR_TYPE_SYSTEM_PROPERTIES};
    properties.next = &hands;
    checkXr(xrGetSystemProperties(instance_, system_, &properties), "xrGetSystemProperties",
            "hand tracking");
    tracksHands_ = hands.supportsHandTracking == XR_TRUE;
  }
}

void HeadsetSession::chooseBlendMode() {
  uint32_t count = 0;
  checkXr(xrEnumerateEnvironmentBlendModes(instance_, system_, kStereo, 0, &count, nullptr),
          "xrEnumerateEnvironmentBlendModes");
  std::vector<XrEnvironmentBlendMode> offered(count);
  checkXr(
      xrEnumerateEnvironmentBlendModes(instance_, system_, kStereo, count, &count, offered.data()),
      "xrEnumerateEnvironmentBlendModes");
  // The headset's order first (section 10.4.6: the runtime lists its preferred mode first).
  for (XrEnvironmentBlendMode mode : offered) {
    const auto& accepted = options_.acceptedBlendModes;
    if (std::find(accepted.begin(), accepted.end(), mode) != accepted.end()) {
      blendMode_ = mode;
      return;
    }
  }
  std::string list;
  for (XrEnvironmentBlendMode mode : offered)
    list += (list.empty() ? "" : ", ") + blendModeName(mode);
  throw Error(ErrorKind::Unsupported,
              "The headset blends the image with the room in a way TwinPlan was not asked to draw "
              "for (it offers " +
                  list + ").",
              "xrEnumerateEnvironmentBlendModes");
}

void HeadsetSession::createSession() {
  XrSessionCreateInfo info{XR_TYPE_SESSION_CREATE_INFO};
  info.next = graphics_.sessionBinding();
  info.systemId = system_;
  checkXr(xrCreateSession(instance_, &info, &session_), "xrCreateSession", runtimeName_);
}

// STAGE (the room's floor, where anatomy can stand on a table) when the headset has one,
// else LOCAL (where the head started): section 7.1 guarantees LOCAL.
void HeadsetSession::createReferenceSpace() {
  uint32_t count = 0;
  checkXr(xrEnumerateReferenceSpaces(session_, 0, &count, nullptr), "xrEnumerateReferenceSpaces");
  std::vector<XrReferenceSpaceType> offered(count);
  checkXr(xrEnumerateReferenceSpaces(session_, count, &count, offered.data()),
          "xrEnumerateReferenceSpaces");
  const bool hasStage =
      std::find(offered.begin(), offered.end(), XR_REFERENCE_SPACE_TYPE_STAGE) != offered.end();
  referenceSpace_ = hasStage ? XR_REFERENCE_SPACE_TYPE_STAGE : XR_REFERENCE_SPACE_TYPE_LOCAL;
  XrReferenceSpaceCreateInfo info{XR_TYPE_REFERENCE_SPACE_CREATE_INFO};
  info.referenceSpaceType = referenceSpace_;
  info.poseInReferenceSpace = {{0, 0, 0, 1}, {0, 0, 0}};
  checkXr(xrCreateReferenceSpace(session_, &info, &space_), "xrCreateReferenceSpace",
          hasStage ? "STAGE" : "LOCAL");
}

void HeadsetSession::createSwapchains() {
  uint32_t count = 0;
  checkXr(xrEnumerateSwapchainFormats(session_, 0, &count, nullptr), "xrEnumerateSwapchainFormats");
  std::vector<int64_t> offered(count);
  checkXr(xrEnumerateSwapchainFormats(session_, count, &count, offered.data()),
          "xrEnumerateSwapchainFormats");
  // The runtime's order is its preference (section 10.1); the first one we can draw wins.
  const std::vector<int64_t> drawable = graphics_.colorFormats();
  const auto chosen =
      std::find_first_of(offered.begin(), offered.end(), drawable.begin(), drawable.end());
  if (chosen == offered.end()) {
    throw Error(ErrorKind::Unsupported,
                "The headset offers no colour format TwinPlan can draw into (it offers " +
                    joined(offered) + "; TwinPlan draws " + joined(drawable) + ").",
                "xrEnumerateSwapchainFormats");
  }
  colorFormat_ = *chosen;
  chooseDepthFormat(offered);

  checkXr(xrEnumerateViewConfigurationViews(instance_, system_, kStereo, 0, &count, nullptr),
          "xrEnumerateViewConfigurationViews");
  std::vector<XrViewConfigurationView> views(count, {XR_TYPE_VIEW_CONFIGURATION_VIEW});
  checkXr(
      xrEnumerateViewConfigurationViews(instance_, system_, kStereo, count, &count, views.data()),
      "xrEnumerateViewConfigurationViews");
  if (views.size() != 2) {
    throw Error(
        ErrorKind::Unsupported,
        "The headset reports " + std::to_string(views.size()) + " views for stereo instead of two.",
        "xrEnumerateViewConfigurationViews");
  }
  eyeWidth_px_ = views[0].recommendedImageRectWidth;
  eyeHeight_px_ = views[0].recommendedImageRectHeight;
  for (const XrViewConfigurationView& view : views) {
    XrSwapchainCreateInfo info{XR_TYPE_SWAPCHAIN_CREATE_INFO};
    info.usageFlags = XR_SWAPCHAIN_USAGE_COLOR_ATTACHMENT_BIT | XR_SWAPCHAIN_USAGE_SAMPLED_BIT;
    info.format = colorFormat_;
    info.sampleCount = 1;
    info.width = view.recommendedImageRectWidth;
    info.height = view.recommendedImageRectHeight;
    info.faceCount = 1;
    info.arraySize = 1;
    info.mipCount = 1;
    EyeSwapchain eye;
    checkXr(xrCreateSwapchain(session_, &info, &eye.handle), "xrCreateSwapchain",
            std::to_string(info.width) + "x" + std::to_string(info.height) + " format " +
                joined({colorFormat_}));
    swapchains_.push_back(eye);
    swapchains_.back().images = graphics_.swapchainImages(eye.handle);
    if (depthFormat_ == 0) continue;
    // The depth image of the same view: same size (XR_KHR_composition_layer_depth pairs them).
    info.usageFlags =
        XR_SWAPCHAIN_USAGE_DEPTH_STENCIL_ATTACHMENT_BIT | XR_SWAPCHAIN_USAGE_SAMPLED_BIT;
    info.format = depthFormat_;
    EyeSwapchain depth;
    checkXr(xrCreateSwapchain(session_, &info, &depth.handle), "xrCreateSwapchain",
            std::to_string(info.width) + "x" + std::to_string(info.height) + " depth format " +
                joined({depthFormat_}));
    depthSwapchains_.push_back(depth);
    depthSwapchains_.back().images = graphics_.swapchainImages(depth.handle);
  }
}

// Depth is optional: without the extension, or without a depth format both sides know, the
// frames go without it (the compositor then reprojects by rotation only).
void HeadsetSession::chooseDepthFormat(const std::vector<int64_t>& offered) {
  depthFormat_ = 0;
  if (!depthExtensionEnabled_) return;
  const std::vector<int64_t> writable = graphics_.depthFormats();
  const auto chosen =
      std::find_first_of(offered.begin(), offered.end(), writable.begin(), writable.end());
  if (chosen != offered.end()) depthFormat_ = *chosen;
}

void HeadsetSession::pollEvents() {
  if (instance_ == XR_NULL_HANDLE) return;
  for (;;) {
    XrEventDataBuffer event{XR_TYPE_EVENT_DATA_BUFFER};
    const XrResult result = checkXr(xrPollEvent(instance_, &event), "xrPollEvent");
    if (result == XR_EVENT_UNAVAILABLE) return;
    switch (event.type) {
      case XR_TYPE_EVENT_DATA_SESSION_STATE_CHANGED: {
        const auto& changed = reinterpret_cast<const XrEventDataSessionStateChanged&>(event);
        if (changed.session == session_) onStateChanged(changed.state);
        break;
      }
      case XR_TYPE_EVENT_DATA_INSTANCE_LOSS_PENDING:
        // The runtime goes away (an update, a crash): no call may follow but destruction.
        lost_ = true;
        running_ = false;
        return;
      default:
        break;  // interaction profile and reference space changes: not used yet
    }
  }
}

void HeadsetSession::onStateChanged(XrSessionState state) {
  state_ = state;
  history_.push_back(state);
  switch (state) {
    case XR_SESSION_STATE_READY: {
      XrSessionBeginInfo info{XR_TYPE_SESSION_BEGIN_INFO};
      info.primaryViewConfigurationType = kStereo;
      checkXr(xrBeginSession(session_, &info), "xrBeginSession");
      running_ = true;
      break;
    }
    case XR_SESSION_STATE_STOPPING:
      running_ = false;
      checkXr(xrEndSession(session_), "xrEndSession");
      break;
    case XR_SESSION_STATE_EXITING:
      exited_ = true;
      break;
    case XR_SESSION_STATE_LOSS_PENDING:
      lost_ = true;
      running_ = false;
      break;
    default:
      break;
  }
}

uint32_t HeadsetSession::acquireImage(XrSwapchain swapchain) {
  uint32_t index = 0;
  XrSwapchainImageAcquireInfo acquire{XR_TYPE_SWAPCHAIN_IMAGE_ACQUIRE_INFO};
  checkXr(xrAcquireSwapchainImage(swapchain, &acquire, &index), "xrAcquireSwapchainImage");
  XrSwapchainImageWaitInfo wait{XR_TYPE_SWAPCHAIN_IMAGE_WAIT_INFO};
  wait.timeout = XR_INFINITE_DURATION;
  checkXr(xrWaitSwapchainImage(swapchain, &wait), "xrWaitSwapchainImage");
  return index;
}

void HeadsetSession::releaseImage(XrSwapchain swapchain) {
  XrSwapchainImageReleaseInfo release{XR_TYPE_SWAPCHAIN_IMAGE_RELEASE_INFO};
  checkXr(xrReleaseSwapchainImage(swapchain, &release), "xrReleaseSwapchainImage");
}

void HeadsetSession::requestExit() {
  if (!running_ || lost_) return;
  checkXr(xrRequestExitSession(session_), "xrRequestExitSession");
}

bool HeadsetSession::renderFrame(EyeRenderer& renderer) {
  if (!running_ || lost_) return false;
  XrFrameState frame{XR_TYPE_FRAME_STATE};
  XrFrameWaitInfo waitInfo{XR_TYPE_FRAME_WAIT_INFO};
  checkXr(xrWaitFrame(session_, &waitInfo, &frame), "xrWaitFrame");
  lastDisplayTime_ = frame.predictedDisplayTime;
  XrFrameBeginInfo beginInfo{XR_TYPE_FRAME_BEGIN_INFO};
  checkXr(xrBeginFrame(session_, &beginInfo), "xrBeginFrame");

  std::vector<XrCompositionLayerProjectionView> layerViews;
  std::vector<XrCompositionLayerDepthInfoKHR> depthInfos;
  XrCompositionLayerProjection layer{XR_TYPE_COMPOSITION_LAYER_PROJECTION};
  bool rendered = false;
  if (frame.shouldRender == XR_TRUE) {
    XrViewLocateInfo locateInfo{XR_TYPE_VIEW_LOCATE_INFO};
    locateInfo.viewConfigurationType = kStereo;
    locateInfo.displayTime = frame.predictedDisplayTime;
    locateInfo.space = space_;
    XrViewState viewState{XR_TYPE_VIEW_STATE};
    std::vector<XrView> views(2, {XR_TYPE_VIEW});
    uint32_t count = 0;
    checkXr(xrLocateViews(session_, &locateInfo, &viewState, 2, &count, views.data()),
            "xrLocateViews");
    const XrViewStateFlags needed =
        XR_VIEW_STATE_POSITION_VALID_BIT | XR_VIEW_STATE_ORIENTATION_VALID_BIT;
    if ((viewState.viewStateFlags & needed) == needed && count == 2) {
      layerViews.resize(2, {XR_TYPE_COMPOSITION_LAYER_PROJECTION_VIEW});
      depthInfos.resize(2, {XR_TYPE_COMPOSITION_LAYER_DEPTH_INFO_KHR});
      for (uint32_t eye = 0; eye < 2; ++eye) {
        EyeSwapchain& swapchain = swapchains_[eye];
        const uint32_t index = acquireImage(swapchain.handle);
        const bool withDepth = !depthSwapchains_.empty();
        const uint32_t depthIndex = withDepth ? acquireImage(depthSwapchains_[eye].handle) : 0;
        EyeImage image;
        image.eye = eye;
        image.pose = views[eye].pose;
        image.headPose.orientation = views[0].pose.orientation;
        image.headPose.position = {0.5f * (views[0].pose.position.x + views[1].pose.position.x),
                                   0.5f * (views[0].pose.position.y + views[1].pose.position.y),
                                   0.5f * (views[0].pose.position.z + views[1].pose.position.z)};
        image.fov = views[eye].fov;
        image.colorTexture = swapchain.images.at(index);
        image.colorFormat = colorFormat_;
        image.width_px = eyeWidth_px_;
        image.height_px = eyeHeight_px_;
        image.blendMode = blendMode_;
        image.displayTime = frame.predictedDisplayTime;
        image.near_m = options_.near_m;
        image.far_m = options_.far_m;
        if (withDepth) {
          image.depthTexture = depthSwapchains_[eye].images.at(depthIndex);
          image.depthFormat = depthFormat_;
        }
        renderer.renderEye(image);
        releaseImage(swapchain.handle);
        if (withDepth) releaseImage(depthSwapchains_[eye].handle);
        const XrRect2Di rect{
            {0, 0}, {static_cast<int32_t>(eyeWidth_px_), static_cast<int32_t>(eyeHeight_px_)}};
        layerViews[eye].pose = views[eye].pose;
        layerViews[eye].fov = views[eye].fov;
        layerViews[eye].subImage.swapchain = swapchain.handle;
        layerViews[eye].subImage.imageRect = rect;
        if (withDepth) {
          // OpenGL's default depth range: window depth 0 at the near plane, 1 at the far one
          // (XrCompositionLayerDepthInfoKHR: minDepth/maxDepth, nearZ/farZ in metres).
          XrCompositionLayerDepthInfoKHR& depth = depthInfos[eye];
          depth.subImage.swapchain = depthSwapchains_[eye].handle;
          depth.subImage.imageRect = rect;
          depth.minDepth = 0.0f;
          depth.maxDepth = 1.0f;
          depth.nearZ = options_.near_m;
          depth.farZ = options_.far_m;
          layerViews[eye].next = &depth;
        }
      }
      layer.space = space_;
      layer.viewCount = 2;
      layer.views = layerViews.data();
      // Mixed reality: the image's alpha says where the room shows through (section 10.4.4).
      if (blendMode_ == XR_ENVIRONMENT_BLEND_MODE_ALPHA_BLEND) {
        layer.layerFlags = XR_COMPOSITION_LAYER_BLEND_TEXTURE_SOURCE_ALPHA_BIT;
      }
      rendered = true;
    }
  }
  const XrCompositionLayerBaseHeader* layers[] = {
      reinterpret_cast<XrCompositionLayerBaseHeader*>(&layer)};
  XrFrameEndInfo endInfo{XR_TYPE_FRAME_END_INFO};
  endInfo.displayTime = frame.predictedDisplayTime;
  endInfo.environmentBlendMode = blendMode_;
  endInfo.layerCount = rendered ? 1 : 0;
  endInfo.layers = rendered ? layers : nullptr;
  checkXr(xrEndFrame(session_, &endInfo), "xrEndFrame");
  if (rendered) ++framesSubmitted_;
  return rendered;
}

// Children before parents (section 2.11 destroys them anyway); results are not checked:
// a lost runtime may refuse, and a destructor must not throw.
void HeadsetSession::destroy() noexcept {
  for (const EyeSwapchain& swapchain : swapchains_) {
    if (swapchain.handle != XR_NULL_HANDLE) xrDestroySwapchain(swapchain.handle);
  }
  swapchains_.clear();
  for (const EyeSwapchain& swapchain : depthSwapchains_) {
    if (swapchain.handle != XR_NULL_HANDLE) xrDestroySwapchain(swapchain.handle);
  }
  depthSwapchains_.clear();
  if (space_ != XR_NULL_HANDLE) xrDestroySpace(space_);
  space_ = XR_NULL_HANDLE;
  if (session_ != XR_NULL_HANDLE) xrDestroySession(session_);
  session_ = XR_NULL_HANDLE;
  if (instance_ != XR_NULL_HANDLE) xrDestroyInstance(instance_);
  instance_ = XR_NULL_HANDLE;
}

}  // namespace twinplan::xr
