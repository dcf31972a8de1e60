// The headless test runtime itself, called through the real Khronos loader with plain OpenXR:
// the answers the OpenXR 1.0 specification requires of a runtime (section numbers in each
// test), and the simulated headset's geometry against poses worked out by hand.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "xr_test_gl.h"

namespace fs = std::filesystem;
namespace test = twinplan::xr::test;

namespace {

class TestRuntime : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(test::sharedGlContext().ok());
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    work_ = fs::path(TWINPLAN_XR_TEST_WORK_DIR) / info->name();
    fs::remove_all(work_);
    fs::create_directories(work_);
    setenv("XR_RUNTIME_JSON", TWINPLAN_XR_TEST_RUNTIME_JSON, 1);
    for (const char* name : {"TWINPLAN_XR_TEST_EXIT_AFTER_FRAMES", "TWINPLAN_XR_TEST_BLEND_MODES",
                             "TWINPLAN_XR_TEST_RECORD_DIR", "TWINPLAN_XR_TEST_LOG"}) {
      unsetenv(name);
    }
    script("{}");
  }
  void TearDown() override {
    if (session_ != XR_NULL_HANDLE) xrDestroySession(session_);
    if (instance_ != XR_NULL_HANDLE) xrDestroyInstance(instance_);
  }
  void script(const std::string& json) {
    std::ofstream(work_ / "script.json") << json;
    setenv("TWINPLAN_XR_TEST_SCRIPT", (work_ / "script.json").c_str(), 1);
  }
  void createInstance(bool withDepthLayers = false) {
    XrInstanceCreateInfo info{XR_TYPE_INSTANCE_CREATE_INFO};
    std::snprintf(info.applicationInfo.applicationName, XR_MAX_APPLICATION_NAME_SIZE,
                  "runtime test");
    info.applicationInfo.apiVersion = XR_CURRENT_API_VERSION;
    const char* extensions[] = {XR_KHR_OPENGL_ENABLE_EXTENSION_NAME,
                                XR_KHR_COMPOSITION_LAYER_DEPTH_EXTENSION_NAME};
    info.enabledExtensionCount = withDepthLayers ? 2 : 1;
    info.enabledExtensionNames = extensions;
    ASSERT_EQ(xrCreateInstance(&info, &instance_), XR_SUCCESS);
    XrSystemGetInfo systemInfo{XR_TYPE_SYSTEM_GET_INFO};
    systemInfo.formFactor = XR_FORM_FACTOR_HEAD_MOUNTED_DISPLAY;
    ASSERT_EQ(xrGetSystem(instance_, &systemInfo, &system_), XR_SUCCESS);
  }
  XrResult queryRequirements() {
    PFN_xrGetOpenGLGraphicsRequirementsKHR get = nullptr;
    xrGetInstanceProcAddr(instance_, "xrGetOpenGLGraphicsRequirementsKHR",
                          reinterpret_cast<PFN_xrVoidFunction*>(&get));
    XrGraphicsRequirementsOpenGLKHR requirements{XR_TYPE_GRAPHICS_REQUIREMENTS_OPENGL_KHR};
    return get(instance_, system_, &requirements);
  }
  XrResult createSession(bool withBinding = true) {
    XrSessionCreateInfo info{XR_TYPE_SESSION_CREATE_INFO};
    if (withBinding) info.next = binding_.sessionBinding();
    info.systemId = system_;
    return xrCreateSession(instance_, &info, &session_);
  }
  void createRunningSession(bool withDepthLayers = false) {
    createInstance(withDepthLayers);
    ASSERT_EQ(queryRequirements(), XR_SUCCESS);
    ASSERT_EQ(createSession(), XR_SUCCESS);
    XrSessionBeginInfo begin{XR_TYPE_SESSION_BEGIN_INFO};
    begin.primaryViewConfigurationType = XR_VIEW_CONFIGURATION_TYPE_PRIMARY_STEREO;
    ASSERT_EQ(xrBeginSession(session_, &begin), XR_SUCCESS);
  }
  std::vector<XrSessionState> drainStates() {
    std::vector<XrSessionState> states;
    XrEventDataBuffer event{XR_TYPE_EVENT_DATA_BUFFER};
    while (xrPollEvent(instance_, &event) == XR_SUCCESS) {
      if (event.type == XR_TYPE_EVENT_DATA_SESSION_STATE_CHANGED) {
        states.push_back(reinterpret_cast<XrEventDataSessionStateChanged&>(event).state);
      }
      event = {XR_TYPE_EVENT_DATA_BUFFER};
    }
    return states;
  }
  XrTime emptyFrame(XrEnvironmentBlendMode mode = XR_ENVIRONMENT_BLEND_MODE_OPAQUE,
                    XrResult* endResult = nullptr) {
    XrFrameState frame{XR_TYPE_FRAME_STATE};
    XrFrameWaitInfo wait{XR_TYPE_FRAME_WAIT_INFO};
    EXPECT_EQ(xrWaitFrame(session_, &wait, &frame), XR_SUCCESS);
    XrFrameBeginInfo begin{XR_TYPE_FRAME_BEGIN_INFO};
    EXPECT_EQ(xrBeginFrame(session_, &begin), XR_SUCCESS);
    XrFrameEndInfo end{XR_TYPE_FRAME_END_INFO};
    end.displayTime = frame.predictedDisplayTime;
    end.environmentBlendMode = mode;
    const XrResult result = xrEndFrame(session_, &end);
    if (endResult != nullptr) *endResult = result;
    return frame.predictedDisplayTime;
  }
  // Waits for and begins a frame; returns its end info: opaque, with `layers` (one layer).
  XrFrameEndInfo beginFrameWith(const XrCompositionLayerBaseHeader* const* layers) {
    XrFrameState frame{XR_TYPE_FRAME_STATE};
    XrFrameWaitInfo wait{XR_TYPE_FRAME_WAIT_INFO};
    EXPECT_EQ(xrWaitFrame(session_, &wait, &frame), XR_SUCCESS);
    XrFrameBeginInfo beginFrame{XR_TYPE_FRAME_BEGIN_INFO};
    EXPECT_EQ(xrBeginFrame(session_, &beginFrame), XR_SUCCESS);
    XrFrameEndInfo end{XR_TYPE_FRAME_END_INFO};
    end.displayTime = frame.predictedDisplayTime;
    end.environmentBlendMode = XR_ENVIRONMENT_BLEND_MODE_OPAQUE;
    end.layerCount = 1;
    end.layers = layers;
    return end;
  }

  XrSpace referenceSpace(XrReferenceSpaceType type) {
    XrReferenceSpaceCreateInfo info{XR_TYPE_REFERENCE_SPACE_CREATE_INFO};
    info.referenceSpaceType = type;
    info.poseInReferenceSpace = {{0, 0, 0, 1}, {0, 0, 0}};
    XrSpace space = XR_NULL_HANDLE;
    EXPECT_EQ(xrCreateReferenceSpace(session_, &info, &space), XR_SUCCESS);
    return space;
  }
  XrPath path(const char* text) {
    XrPath result = XR_NULL_PATH;
    EXPECT_EQ(xrStringToPath(instance_, text, &result), XR_SUCCESS) << text;
    return result;
  }

  fs::path work_;
  twinplan::xr::GlxGraphicsBinding binding_ = test::sharedGlContext().binding();
  XrInstance instance_ = XR_NULL_HANDLE;
  XrSystemId system_ = XR_NULL_SYSTEM_ID;
  XrSession session_ = XR_NULL_HANDLE;
};

// Section 3.2: functions the runtime lacks come back as XR_ERROR_FUNCTION_UNSUPPORTED.
TEST_F(TestRuntime, UnknownFunctionIsUnsupported) {
  createInstance();
  PFN_xrVoidFunction function = nullptr;
  EXPECT_EQ(xrGetInstanceProcAddr(instance_, "xrCreateHandTrackerEXT", &function),
            XR_ERROR_FUNCTION_UNSUPPORTED);
  EXPECT_EQ(function, nullptr);
  EXPECT_EQ(xrGetInstanceProcAddr(instance_, "xrGetOpenGLGraphicsRequirementsKHR", &function),
            XR_SUCCESS);
  EXPECT_NE(function, nullptr);
}

// XR_EXT_hand_tracking (section 12.31): listed, reported by the system, its functions once
// enabled, the joints of the scripted open right hand where the runtime's hand model puts them
// (docs/architecture.md, "XR: tracked hands": index tip 24 mm to the thumb side of the palm
// joint and 111 mm ahead, thumb tip at (-80, -10, -40) mm), an unscripted hand inactive, and
// the trackers gone with their session.
TEST_F(TestRuntime, HandTrackersLocateTheScriptedJoints) {
  script(R"({"interaction_profile": "",
             "hands": {"right": [{"frame": 0, "position_m": [0.2, 1.3, -0.35], "gesture": "open"}]}})");
  uint32_t count = 0;
  ASSERT_EQ(xrEnumerateInstanceExtensionProperties(nullptr, 0, &count, nullptr), XR_SUCCESS);
  std::vector<XrExtensionProperties> offered(count, {XR_TYPE_EXTENSION_PROPERTIES});
  ASSERT_EQ(xrEnumerateInstanceExtensionProperties(nullptr, count, &count, offered.data()),
            XR_SUCCESS);
  EXPECT_TRUE(std::any_of(offered.begin(), offered.end(), [](const XrExtensionProperties& p) {
    return std::string(p.extensionName) == XR_EXT_HAND_TRACKING_EXTENSION_NAME;
  }));
  XrInstanceCreateInfo info{XR_TYPE_INSTANCE_CREATE_INFO};
  std::snprintf(info.applicationInfo.applicationName, XR_MAX_APPLICATION_NAME_SIZE, "hands");
  info.applicationInfo.apiVersion = XR_CURRENT_API_VERSION;
  const char* extensions[] = {XR_KHR_OPENGL_ENABLE_EXTENSION_NAME,
                              XR_EXT_HAND_TRACKING_EXTENSION_NAME};
  info.enabledExtensionCount = 2;
  info.enabledExtensionNames = extensions;
  ASSERT_EQ(xrCreateInstance(&info, &instance_), XR_SUCCESS);
  XrSystemGetInfo systemInfo{XR_TYPE_SYSTEM_GET_INFO};
  systemInfo.formFactor = XR_FORM_FACTOR_HEAD_MOUNTED_DISPLAY;
  ASSERT_EQ(xrGetSystem(instance_, &systemInfo, &system_), XR_SUCCESS);
  XrSystemHandTrackingPropertiesEXT hands{XR_TYPE_SYSTEM_HAND_TRACKING_PROPERTIES_EXT};
  XrSystemProperties properties{XR_TYPE_SYSTEM_PROPERTIES};
  properties.next = &hands;
  ASSERT_EQ(xrGetSystemProperties(instance_, system_, &properties), XR_SUCCESS);
  EXPECT_EQ(hands.supportsHandTracking, XR_TRUE);
  PFN_xrCreateHandTrackerEXT create = nullptr;
  PFN_xrLocateHandJointsEXT locate = nullptr;
  ASSERT_EQ(xrGetInstanceProcAddr(instance_, "xrCreateHandTrackerEXT",
                                  reinterpret_cast<PFN_xrVoidFunction*>(&create)),
            XR_SUCCESS);
  ASSERT_EQ(xrGetInstanceProcAddr(instance_, "xrLocateHandJointsEXT",
                                  reinterpret_cast<PFN_xrVoidFunction*>(&locate)),
            XR_SUCCESS);
  ASSERT_EQ(queryRequirements(), XR_SUCCESS);
  ASSERT_EQ(createSession(), XR_SUCCESS);
  XrHandTrackerCreateInfoEXT trackerInfo{XR_TYPE_HAND_TRACKER_CREATE_INFO_EXT};
  trackerInfo.hand = XR_HAND_RIGHT_EXT;
  trackerInfo.handJointSet = static_cast<XrHandJointSetEXT>(7);  // no such joint set
  XrHandTrackerEXT right = XR_NULL_HANDLE, left = XR_NULL_HANDLE;
  EXPECT_EQ(create(session_, &trackerInfo, &right), XR_ERROR_VALIDATION_FAILURE);
  trackerInfo.handJointSet = XR_HAND_JOINT_SET_DEFAULT_EXT;
  ASSERT_EQ(create(session_, &trackerInfo, &right), XR_SUCCESS);
  trackerInfo.hand = XR_HAND_LEFT_EXT;
  ASSERT_EQ(create(session_, &trackerInfo, &left), XR_SUCCESS);
  const XrSpace stage = referenceSpace(XR_REFERENCE_SPACE_TYPE_STAGE);
  XrHandJointsLocateInfoEXT locateInfo{XR_TYPE_HAND_JOINTS_LOCATE_INFO_EXT};
  locateInfo.baseSpace = stage;
  locateInfo.time = 1'000'000'000 + 11'111'111;  // frame 1 of the 90 Hz display
  std::array<XrHandJointLocationEXT, XR_HAND_JOINT_COUNT_EXT> joints{};
  XrHandJointLocationsEXT located{XR_TYPE_HAND_JOINT_LOCATIONS_EXT};
  located.jointCount = XR_HAND_JOINT_COUNT_EXT - 1;
  located.jointLocations = joints.data();
  EXPECT_EQ(locate(right, &locateInfo, &located), XR_ERROR_VALIDATION_FAILURE);
  located.jointCount = XR_HAND_JOINT_COUNT_EXT;
  ASSERT_EQ(locate(right, &locateInfo, &located), XR_SUCCESS);
  EXPECT_TRUE(located.isActive);
  const auto at = [&](int joint) { return joints[joint].pose.position; };
  const XrVector3f tip = at(XR_HAND_JOINT_INDEX_TIP_EXT);
  EXPECT_NEAR(tip.x, 0.2f - 0.024f, 1e-6);
  EXPECT_NEAR(tip.y, 1.3f, 1e-6);
  EXPECT_NEAR(tip.z, -0.35f - 0.111f, 1e-6);
  const XrVector3f thumb = at(XR_HAND_JOINT_THUMB_TIP_EXT);
  EXPECT_NEAR(std::hypot(thumb.x - tip.x, thumb.y - tip.y, thumb.z - tip.z), std::sqrt(8277e-6),
              1e-6);
  // A straight finger's joints: +Z along the bone away from the tip (+z here), +Y up.
  const XrQuaternionf q = joints[XR_HAND_JOINT_INDEX_PROXIMAL_EXT].pose.orientation;
  EXPECT_NEAR(std::abs(q.w), 1.0f, 1e-6);
  EXPECT_EQ(joints[XR_HAND_JOINT_PALM_EXT].locationFlags & XR_SPACE_LOCATION_POSITION_VALID_BIT,
            XR_SPACE_LOCATION_POSITION_VALID_BIT);
  ASSERT_EQ(locate(left, &locateInfo, &located), XR_SUCCESS);
  EXPECT_FALSE(located.isActive);  // the script has no left hand
  EXPECT_EQ(joints[XR_HAND_JOINT_PALM_EXT].locationFlags, 0u);
  ASSERT_EQ(xrDestroySession(session_), XR_SUCCESS);
  session_ = XR_NULL_HANDLE;
  EXPECT_EQ(locate(right, &locateInfo, &located), XR_ERROR_HANDLE_INVALID);
}

// XR_KHR_opengl_enable: the requirements call comes first, and the session needs a binding.
TEST_F(TestRuntime, SessionNeedsRequirementsAndABinding) {
  createInstance();
  EXPECT_EQ(createSession(), XR_ERROR_GRAPHICS_REQUIREMENTS_CALL_MISSING);
  ASSERT_EQ(queryRequirements(), XR_SUCCESS);
  EXPECT_EQ(createSession(false), XR_ERROR_GRAPHICS_DEVICE_INVALID);
  EXPECT_EQ(createSession(), XR_SUCCESS);
  XrSession second = XR_NULL_HANDLE;
  XrSessionCreateInfo info{XR_TYPE_SESSION_CREATE_INFO};
  info.next = binding_.sessionBinding();
  info.systemId = system_;
  EXPECT_EQ(xrCreateSession(instance_, &info, &second), XR_ERROR_LIMIT_REACHED);
}

// Section 9.3: begin only from READY and once, end only when STOPPING, frames only when running.
TEST_F(TestRuntime, SessionStateMachineRefusesOutOfOrderCalls) {
  createInstance();
  ASSERT_EQ(queryRequirements(), XR_SUCCESS);
  ASSERT_EQ(createSession(), XR_SUCCESS);
  EXPECT_EQ(drainStates(),
            (std::vector<XrSessionState>{XR_SESSION_STATE_IDLE, XR_SESSION_STATE_READY}));
  XrFrameState frame{XR_TYPE_FRAME_STATE};
  XrFrameWaitInfo wait{XR_TYPE_FRAME_WAIT_INFO};
  EXPECT_EQ(xrWaitFrame(session_, &wait, &frame), XR_ERROR_SESSION_NOT_RUNNING);
  EXPECT_EQ(xrEndSession(session_), XR_ERROR_SESSION_NOT_RUNNING);
  XrSessionBeginInfo begin{XR_TYPE_SESSION_BEGIN_INFO};
  begin.primaryViewConfigurationType = XR_VIEW_CONFIGURATION_TYPE_PRIMARY_MONO;
  EXPECT_EQ(xrBeginSession(session_, &begin), XR_ERROR_VIEW_CONFIGURATION_TYPE_UNSUPPORTED);
  begin.primaryViewConfigurationType = XR_VIEW_CONFIGURATION_TYPE_PRIMARY_STEREO;
  EXPECT_EQ(xrBeginSession(session_, &begin), XR_SUCCESS);
  EXPECT_EQ(xrBeginSession(session_, &begin), XR_ERROR_SESSION_RUNNING);
  EXPECT_EQ(xrEndSession(session_), XR_ERROR_SESSION_NOT_STOPPING);
  // Frame timing: wait -> begin -> end, 90 Hz apart.
  XrFrameBeginInfo beginFrame{XR_TYPE_FRAME_BEGIN_INFO};
  EXPECT_EQ(xrBeginFrame(session_, &beginFrame), XR_ERROR_CALL_ORDER_INVALID);
  XrFrameEndInfo end{XR_TYPE_FRAME_END_INFO};
  end.displayTime = 1;
  end.environmentBlendMode = XR_ENVIRONMENT_BLEND_MODE_OPAQUE;
  EXPECT_EQ(xrEndFrame(session_, &end), XR_ERROR_CALL_ORDER_INVALID);
  const XrTime first = emptyFrame();
  const XrTime second = emptyFrame();
  EXPECT_EQ(second - first, 11'111'111);  // 1 s / 90
  // A begun frame that is never ended is discarded by the next xrBeginFrame (section 10.4).
  ASSERT_EQ(xrWaitFrame(session_, &wait, &frame), XR_SUCCESS);
  ASSERT_EQ(xrBeginFrame(session_, &beginFrame), XR_SUCCESS);
  ASSERT_EQ(xrWaitFrame(session_, &wait, &frame), XR_SUCCESS);
  EXPECT_EQ(xrBeginFrame(session_, &beginFrame), XR_FRAME_DISCARDED);
  end.displayTime = frame.predictedDisplayTime;
  EXPECT_EQ(xrEndFrame(session_, &end), XR_SUCCESS);
  // Exit: FOCUSED -> VISIBLE -> SYNCHRONIZED -> STOPPING; end -> IDLE -> EXITING.
  drainStates();
  ASSERT_EQ(xrRequestExitSession(session_), XR_SUCCESS);
  EXPECT_EQ(drainStates(),
            (std::vector<XrSessionState>{XR_SESSION_STATE_VISIBLE, XR_SESSION_STATE_SYNCHRONIZED,
                                         XR_SESSION_STATE_STOPPING}));
  EXPECT_EQ(xrEndSession(session_), XR_SUCCESS);
  EXPECT_EQ(drainStates(),
            (std::vector<XrSessionState>{XR_SESSION_STATE_IDLE, XR_SESSION_STATE_EXITING}));
}

// Section 10.4: the blend mode must be the system's; layers need released swapchain images.
TEST_F(TestRuntime, EndFrameChecksBlendModeAndLayers) {
  createRunningSession();
  XrResult result = XR_SUCCESS;
  emptyFrame(XR_ENVIRONMENT_BLEND_MODE_ADDITIVE, &result);
  EXPECT_EQ(result, XR_ERROR_ENVIRONMENT_BLEND_MODE_UNSUPPORTED);
  {
    // The refused frame stays begun: the next xrBeginFrame discards it (section 10.4).
    XrFrameState frame{XR_TYPE_FRAME_STATE};
    XrFrameWaitInfo wait{XR_TYPE_FRAME_WAIT_INFO};
    ASSERT_EQ(xrWaitFrame(session_, &wait, &frame), XR_SUCCESS);
    XrFrameBeginInfo beginFrame{XR_TYPE_FRAME_BEGIN_INFO};
    EXPECT_EQ(xrBeginFrame(session_, &beginFrame), XR_FRAME_DISCARDED);
    XrFrameEndInfo end{XR_TYPE_FRAME_END_INFO};
    end.displayTime = frame.predictedDisplayTime;
    end.environmentBlendMode = XR_ENVIRONMENT_BLEND_MODE_OPAQUE;
    EXPECT_EQ(xrEndFrame(session_, &end), XR_SUCCESS);
  }

  XrSwapchainCreateInfo info{XR_TYPE_SWAPCHAIN_CREATE_INFO};
  info.format = 0x881A;  // GL_RGBA16F
  info.width = 64;
  info.height = 32;
  info.sampleCount = info.faceCount = info.arraySize = info.mipCount = 1;
  XrSwapchain swapchain = XR_NULL_HANDLE;
  info.format = 0x8051;  // GL_RGB8: not offered
  EXPECT_EQ(xrCreateSwapchain(session_, &info, &swapchain), XR_ERROR_SWAPCHAIN_FORMAT_UNSUPPORTED);
  info.format = 0x881A;
  ASSERT_EQ(xrCreateSwapchain(session_, &info, &swapchain), XR_SUCCESS);
  // Section 10.1: acquire, wait, release in order; three images.
  XrSwapchainImageReleaseInfo release{XR_TYPE_SWAPCHAIN_IMAGE_RELEASE_INFO};
  EXPECT_EQ(xrReleaseSwapchainImage(swapchain, &release), XR_ERROR_CALL_ORDER_INVALID);
  uint32_t index = 0;
  for (uint32_t i = 0; i < 3; ++i) {
    ASSERT_EQ(xrAcquireSwapchainImage(swapchain, nullptr, &index), XR_SUCCESS);
    EXPECT_EQ(index, i);
  }
  EXPECT_EQ(xrAcquireSwapchainImage(swapchain, nullptr, &index), XR_ERROR_CALL_ORDER_INVALID);

  // A projection layer naming a swapchain with nothing released yet is invalid.
  XrSpace stage = referenceSpace(XR_REFERENCE_SPACE_TYPE_STAGE);
  XrCompositionLayerProjectionView views[2] = {{XR_TYPE_COMPOSITION_LAYER_PROJECTION_VIEW},
                                               {XR_TYPE_COMPOSITION_LAYER_PROJECTION_VIEW}};
  for (auto& view : views) {
    view.subImage.swapchain = swapchain;
    view.subImage.imageRect = {{0, 0}, {64, 32}};
    view.pose = {{0, 0, 0, 1}, {0, 0, 0}};
  }
  XrCompositionLayerProjection layer{XR_TYPE_COMPOSITION_LAYER_PROJECTION};
  layer.space = stage;
  layer.viewCount = 2;
  layer.views = views;
  const XrCompositionLayerBaseHeader* layers[] = {
      reinterpret_cast<XrCompositionLayerBaseHeader*>(&layer)};
  XrFrameEndInfo end = beginFrameWith(layers);
  EXPECT_EQ(xrEndFrame(session_, &end), XR_ERROR_LAYER_INVALID);
  XrSwapchainImageWaitInfo waitImage{XR_TYPE_SWAPCHAIN_IMAGE_WAIT_INFO};
  waitImage.timeout = XR_INFINITE_DURATION;
  ASSERT_EQ(xrWaitSwapchainImage(swapchain, &waitImage), XR_SUCCESS);
  ASSERT_EQ(xrReleaseSwapchainImage(swapchain, &release), XR_SUCCESS);
  views[1].subImage.imageRect = {{32, 0}, {64, 32}};  // reaches past the image's right edge
  EXPECT_EQ(xrEndFrame(session_, &end), XR_ERROR_SWAPCHAIN_RECT_INVALID);
  views[1].subImage.imageRect = {{0, 0}, {64, 32}};
  EXPECT_EQ(xrEndFrame(session_, &end), XR_SUCCESS);
  EXPECT_EQ(xrDestroySwapchain(swapchain), XR_SUCCESS);
  EXPECT_EQ(xrDestroySwapchain(swapchain), XR_ERROR_HANDLE_INVALID);  // stale handle: no crash
}

// XR_KHR_composition_layer_depth: a view's depth goes with a depth swapchain, a valid range and
// distinct planes (XrCompositionLayerDepthInfoKHR valid usage); the runtime logs the planes.
TEST_F(TestRuntime, DepthLayersAreChecked) {
  setenv("TWINPLAN_XR_TEST_LOG", (work_ / "log.jsonl").c_str(), 1);
  createRunningSession(true);
  emptyFrame();
  const auto makeSwapchain = [&](int64_t format) {
    XrSwapchainCreateInfo info{XR_TYPE_SWAPCHAIN_CREATE_INFO};
    info.format = format;
    info.width = 32;
    info.height = 32;
    info.sampleCount = info.faceCount = info.arraySize = info.mipCount = 1;
    XrSwapchain swapchain = XR_NULL_HANDLE;
    EXPECT_EQ(xrCreateSwapchain(session_, &info, &swapchain), XR_SUCCESS);
    uint32_t index = 0;
    EXPECT_EQ(xrAcquireSwapchainImage(swapchain, nullptr, &index), XR_SUCCESS);
    XrSwapchainImageWaitInfo wait{XR_TYPE_SWAPCHAIN_IMAGE_WAIT_INFO};
    wait.timeout = XR_INFINITE_DURATION;
    EXPECT_EQ(xrWaitSwapchainImage(swapchain, &wait), XR_SUCCESS);
    XrSwapchainImageReleaseInfo release{XR_TYPE_SWAPCHAIN_IMAGE_RELEASE_INFO};
    EXPECT_EQ(xrReleaseSwapchainImage(swapchain, &release), XR_SUCCESS);
    return swapchain;
  };
  const XrSwapchain colour = makeSwapchain(0x8058);  // GL_RGBA8
  const XrSwapchain depth = makeSwapchain(0x81A6);   // GL_DEPTH_COMPONENT24
  XrCompositionLayerDepthInfoKHR depthInfo[2];
  XrCompositionLayerProjectionView views[2];
  for (int v = 0; v < 2; ++v) {
    depthInfo[v] = {XR_TYPE_COMPOSITION_LAYER_DEPTH_INFO_KHR};
    depthInfo[v].subImage.swapchain = depth;
    depthInfo[v].subImage.imageRect = {{0, 0}, {32, 32}};
    depthInfo[v].minDepth = 0.0f;
    depthInfo[v].maxDepth = 1.0f;
    depthInfo[v].nearZ = 0.05f;
    depthInfo[v].farZ = 10.0f;
    views[v] = {XR_TYPE_COMPOSITION_LAYER_PROJECTION_VIEW, &depthInfo[v]};
    views[v].pose = {{0, 0, 0, 1}, {0, 0, 0}};
    views[v].subImage.swapchain = colour;
    views[v].subImage.imageRect = {{0, 0}, {32, 32}};
  }
  XrCompositionLayerProjection layer{XR_TYPE_COMPOSITION_LAYER_PROJECTION};
  layer.space = referenceSpace(XR_REFERENCE_SPACE_TYPE_LOCAL);
  layer.viewCount = 2;
  layer.views = views;
  const XrCompositionLayerBaseHeader* layers[] = {
      reinterpret_cast<XrCompositionLayerBaseHeader*>(&layer)};
  XrFrameEndInfo end = beginFrameWith(layers);
  depthInfo[1].minDepth = 0.5f;
  depthInfo[1].maxDepth = 0.2f;
  EXPECT_EQ(xrEndFrame(session_, &end), XR_ERROR_VALIDATION_FAILURE);
  depthInfo[1].minDepth = 0.0f;
  depthInfo[1].maxDepth = 1.0f;
  depthInfo[1].subImage.swapchain = colour;  // depth must come from a depth swapchain
  EXPECT_EQ(xrEndFrame(session_, &end), XR_ERROR_LAYER_INVALID);
  depthInfo[1].subImage.swapchain = depth;
  views[0].subImage.swapchain = depth;  // and colour from a colour one
  EXPECT_EQ(xrEndFrame(session_, &end), XR_ERROR_LAYER_INVALID);
  views[0].subImage.swapchain = colour;
  EXPECT_EQ(xrEndFrame(session_, &end), XR_SUCCESS);
  std::ifstream log(work_ / "log.jsonl");
  std::string line, lastFrame;
  while (std::getline(log, line)) {
    if (line.find(R"("event":"frame")") != std::string::npos) lastFrame = line;
  }
  EXPECT_NE(lastFrame.find(R"("depth":{"near_m":0.050000,"far_m":10.000000})"), std::string::npos)
      << lastFrame;
}

// Views and spaces: the scripted head turned 90 degrees to the left (yaw about +Y). The left
// eye's offset (-IPD/2, 0, 0) turns to (0, 0, +IPD/2); the right controller held 0.4 m in
// front of the turned head (world -X) is at (0, 0, -0.4) in VIEW.
TEST_F(TestRuntime, ViewsAndSpacesFollowTheScriptedPoses) {
  script(R"({"head": [{"frame": 0, "position_m": [1.0, 1.7, 0.5], "yaw_deg": 90}],
             "right_hand": [{"frame": 0, "position_m": [0.6, 1.7, 0.5]}],
             "reference_spaces": ["view", "local"]})");
  createRunningSession();
  XrReferenceSpaceCreateInfo stageInfo{XR_TYPE_REFERENCE_SPACE_CREATE_INFO};
  stageInfo.referenceSpaceType = XR_REFERENCE_SPACE_TYPE_STAGE;
  stageInfo.poseInReferenceSpace = {{0, 0, 0, 1}, {0, 0, 0}};
  XrSpace missing = XR_NULL_HANDLE;
  EXPECT_EQ(xrCreateReferenceSpace(session_, &stageInfo, &missing),
            XR_ERROR_REFERENCE_SPACE_UNSUPPORTED);
  const XrTime time = emptyFrame();
  XrSpace local = referenceSpace(XR_REFERENCE_SPACE_TYPE_LOCAL);
  XrSpace view = referenceSpace(XR_REFERENCE_SPACE_TYPE_VIEW);

  XrViewLocateInfo locate{XR_TYPE_VIEW_LOCATE_INFO};
  locate.viewConfigurationType = XR_VIEW_CONFIGURATION_TYPE_PRIMARY_STEREO;
  locate.displayTime = time;
  locate.space = view;
  XrViewState state{XR_TYPE_VIEW_STATE};
  XrView views[2] = {{XR_TYPE_VIEW}, {XR_TYPE_VIEW}};
  uint32_t count = 0;
  ASSERT_EQ(xrLocateViews(session_, &locate, &state, 2, &count, views), XR_SUCCESS);
  EXPECT_NEAR(views[0].pose.position.x, -0.0315f, 1e-6);  // in VIEW the eyes are not turned
  EXPECT_NEAR(views[0].pose.position.z, 0.0f, 1e-6);
  // LOCAL starts at the head, turned with it: the eyes are again at -+IPD/2 on its x axis.
  locate.space = local;
  ASSERT_EQ(xrLocateViews(session_, &locate, &state, 2, &count, views), XR_SUCCESS);
  EXPECT_NEAR(views[1].pose.position.x, 0.0315f, 1e-6);
  EXPECT_NEAR(views[1].pose.position.y, 0.0f, 1e-6);

  // The right grip through an action bound on the simple controller.
  XrActionSetCreateInfo setInfo{XR_TYPE_ACTION_SET_CREATE_INFO};
  std::snprintf(setInfo.actionSetName, sizeof setInfo.actionSetName, "anatomy");
  std::snprintf(setInfo.localizedActionSetName, sizeof setInfo.localizedActionSetName, "Anatomy");
  XrActionSet set = XR_NULL_HANDLE;
  ASSERT_EQ(xrCreateActionSet(instance_, &setInfo, &set), XR_SUCCESS);
  XrPath hands[2] = {path("/user/hand/left"), path("/user/hand/right")};
  XrActionCreateInfo actionInfo{XR_TYPE_ACTION_CREATE_INFO};
  actionInfo.actionType = XR_ACTION_TYPE_POSE_INPUT;
  std::snprintf(actionInfo.actionName, sizeof actionInfo.actionName, "grip");
  std::snprintf(actionInfo.localizedActionName, sizeof actionInfo.localizedActionName, "Grip");
  actionInfo.countSubactionPaths = 2;
  actionInfo.subactionPaths = hands;
  XrAction grip = XR_NULL_HANDLE;
  ASSERT_EQ(xrCreateAction(set, &actionInfo, &grip), XR_SUCCESS);
  const XrActionSuggestedBinding binding{grip, path("/user/hand/right/input/grip/pose")};
  XrInteractionProfileSuggestedBinding suggested{XR_TYPE_INTERACTION_PROFILE_SUGGESTED_BINDING};
  suggested.interactionProfile = path("/interaction_profiles/khr/simple_controller");
  suggested.countSuggestedBindings = 1;
  suggested.suggestedBindings = &binding;
  ASSERT_EQ(xrSuggestInteractionProfileBindings(instance_, &suggested), XR_SUCCESS);
  XrSessionActionSetsAttachInfo attach{XR_TYPE_SESSION_ACTION_SETS_ATTACH_INFO};
  attach.countActionSets = 1;
  attach.actionSets = &set;
  ASSERT_EQ(xrAttachSessionActionSets(session_, &attach), XR_SUCCESS);
  XrActionSpaceCreateInfo spaceInfo{XR_TYPE_ACTION_SPACE_CREATE_INFO};
  spaceInfo.action = grip;
  spaceInfo.subactionPath = hands[1];
  spaceInfo.poseInActionSpace = {{0, 0, 0, 1}, {0, 0, 0}};
  XrSpace rightGrip = XR_NULL_HANDLE, leftGrip = XR_NULL_HANDLE;
  ASSERT_EQ(xrCreateActionSpace(session_, &spaceInfo, &rightGrip), XR_SUCCESS);
  spaceInfo.subactionPath = hands[0];
  ASSERT_EQ(xrCreateActionSpace(session_, &spaceInfo, &leftGrip), XR_SUCCESS);
  XrSpaceLocation location{XR_TYPE_SPACE_LOCATION};
  ASSERT_EQ(xrLocateSpace(rightGrip, view, time, &location), XR_SUCCESS);
  ASSERT_NE(location.locationFlags & XR_SPACE_LOCATION_POSITION_VALID_BIT, 0u);
  EXPECT_NEAR(location.pose.position.x, 0.0f, 1e-5);
  EXPECT_NEAR(location.pose.position.y, 0.0f, 1e-5);
  EXPECT_NEAR(location.pose.position.z, -0.4f, 1e-5);
  // The left grip has no binding: a valid call, no valid location.
  ASSERT_EQ(xrLocateSpace(leftGrip, view, time, &location), XR_SUCCESS);
  EXPECT_EQ(location.locationFlags, 0u);
}

// Chapter 11: inputs reach the application only when focused; booleans from analogue values
// above one half; changedSinceLastSync between two syncs.
TEST_F(TestRuntime, ScriptedInputsReachFocusedActions) {
  script(R"({"interaction_profile": "/interaction_profiles/oculus/touch_controller",
             "inputs": {"/user/hand/right/input/trigger/value": [{"frame": 3, "value": 0.3}, {"frame": 4, "value": 0.8}],
                        "/user/hand/left/input/thumbstick/x": [{"frame": 4, "value": -0.5}],
                        "/user/hand/left/input/thumbstick/y": [{"frame": 3, "value": 0.25}]}})");
  createInstance();
  XrActionSetCreateInfo setInfo{XR_TYPE_ACTION_SET_CREATE_INFO};
  std::snprintf(setInfo.actionSetName, sizeof setInfo.actionSetName, "tools");
  std::snprintf(setInfo.localizedActionSetName, sizeof setInfo.localizedActionSetName, "Tools");
  XrActionSet set = XR_NULL_HANDLE;
  ASSERT_EQ(xrCreateActionSet(instance_, &setInfo, &set), XR_SUCCESS);
  XrActionCreateInfo actionInfo{XR_TYPE_ACTION_CREATE_INFO};
  actionInfo.actionType = XR_ACTION_TYPE_BOOLEAN_INPUT;
  std::snprintf(actionInfo.actionName, sizeof actionInfo.actionName, "pick");
  std::snprintf(actionInfo.localizedActionName, sizeof actionInfo.localizedActionName, "Pick");
  XrAction pick = XR_NULL_HANDLE, squeeze = XR_NULL_HANDLE;
  ASSERT_EQ(xrCreateAction(set, &actionInfo, &pick), XR_SUCCESS);
  actionInfo.actionType = XR_ACTION_TYPE_FLOAT_INPUT;
  std::snprintf(actionInfo.actionName, sizeof actionInfo.actionName, "squeeze");
  std::snprintf(actionInfo.localizedActionName, sizeof actionInfo.localizedActionName, "Squeeze");
  ASSERT_EQ(xrCreateAction(set, &actionInfo, &squeeze), XR_SUCCESS);
  actionInfo.actionType = XR_ACTION_TYPE_VECTOR2F_INPUT;
  std::snprintf(actionInfo.actionName, sizeof actionInfo.actionName, "turn");
  std::snprintf(actionInfo.localizedActionName, sizeof actionInfo.localizedActionName, "Turn");
  XrAction turn = XR_NULL_HANDLE;
  ASSERT_EQ(xrCreateAction(set, &actionInfo, &turn), XR_SUCCESS);
  XrPath badPath = XR_NULL_PATH;
  EXPECT_EQ(xrStringToPath(instance_, "/user/hand/left/", &badPath), XR_ERROR_PATH_FORMAT_INVALID);
  const XrActionSuggestedBinding bindings[] = {
      {pick, path("/user/hand/right/input/trigger/value")},
      {squeeze, path("/user/hand/right/input/trigger/value")},
      {turn, path("/user/hand/left/input/thumbstick")}};
  XrInteractionProfileSuggestedBinding suggested{XR_TYPE_INTERACTION_PROFILE_SUGGESTED_BINDING};
  suggested.interactionProfile = path("/interaction_profiles/acme/laser_pointer");
  suggested.countSuggestedBindings = 3;
  suggested.suggestedBindings = bindings;
  EXPECT_EQ(xrSuggestInteractionProfileBindings(instance_, &suggested), XR_ERROR_PATH_UNSUPPORTED);
  suggested.interactionProfile = path("/interaction_profiles/oculus/touch_controller");
  ASSERT_EQ(xrSuggestInteractionProfileBindings(instance_, &suggested), XR_SUCCESS);
  ASSERT_EQ(queryRequirements(), XR_SUCCESS);
  ASSERT_EQ(createSession(), XR_SUCCESS);
  const XrActiveActionSet active{set, XR_NULL_PATH};
  XrActionsSyncInfo sync{XR_TYPE_ACTIONS_SYNC_INFO};
  sync.countActiveActionSets = 1;
  sync.activeActionSets = &active;
  EXPECT_EQ(xrSyncActions(session_, &sync), XR_ERROR_ACTIONSET_NOT_ATTACHED);
  XrSessionActionSetsAttachInfo attach{XR_TYPE_SESSION_ACTION_SETS_ATTACH_INFO};
  attach.countActionSets = 1;
  attach.actionSets = &set;
  ASSERT_EQ(xrAttachSessionActionSets(session_, &attach), XR_SUCCESS);
  XrSessionBeginInfo begin{XR_TYPE_SESSION_BEGIN_INFO};
  begin.primaryViewConfigurationType = XR_VIEW_CONFIGURATION_TYPE_PRIMARY_STEREO;
  ASSERT_EQ(xrBeginSession(session_, &begin), XR_SUCCESS);
  EXPECT_EQ(xrSyncActions(session_, &sync), XR_SESSION_NOT_FOCUSED);  // READY: not focused yet

  const auto states = [&]() {
    XrActionStateGetInfo get{XR_TYPE_ACTION_STATE_GET_INFO};
    get.action = pick;
    XrActionStateBoolean boolean{XR_TYPE_ACTION_STATE_BOOLEAN};
    EXPECT_EQ(xrGetActionStateBoolean(session_, &get, &boolean), XR_SUCCESS);
    get.action = squeeze;
    XrActionStateFloat analogue{XR_TYPE_ACTION_STATE_FLOAT};
    EXPECT_EQ(xrGetActionStateFloat(session_, &get, &analogue), XR_SUCCESS);
    return std::make_pair(boolean, analogue);
  };
  emptyFrame();  // frame 1: SYNCHRONIZED -> then VISIBLE, FOCUSED
  emptyFrame();  // frame 2
  XrFrameState frame{XR_TYPE_FRAME_STATE};
  XrFrameWaitInfo wait{XR_TYPE_FRAME_WAIT_INFO};
  ASSERT_EQ(xrWaitFrame(session_, &wait, &frame), XR_SUCCESS);  // frame 3: trigger at 0.3
  ASSERT_EQ(xrSyncActions(session_, &sync), XR_SUCCESS);
  auto [pressed, value] = states();
  EXPECT_TRUE(pressed.isActive);
  EXPECT_FALSE(pressed.currentState);
  EXPECT_NEAR(value.currentState, 0.3f, 1e-6);
  XrFrameBeginInfo beginFrame{XR_TYPE_FRAME_BEGIN_INFO};
  ASSERT_EQ(xrBeginFrame(session_, &beginFrame), XR_SUCCESS);
  XrFrameEndInfo end{XR_TYPE_FRAME_END_INFO};
  end.displayTime = frame.predictedDisplayTime;
  end.environmentBlendMode = XR_ENVIRONMENT_BLEND_MODE_OPAQUE;
  ASSERT_EQ(xrEndFrame(session_, &end), XR_SUCCESS);
  ASSERT_EQ(xrWaitFrame(session_, &wait, &frame), XR_SUCCESS);  // frame 4: trigger at 0.8
  ASSERT_EQ(xrSyncActions(session_, &sync), XR_SUCCESS);
  std::tie(pressed, value) = states();
  EXPECT_TRUE(pressed.currentState);
  EXPECT_TRUE(pressed.changedSinceLastSync);
  EXPECT_NEAR(value.currentState, 0.8f, 1e-6);
  ASSERT_EQ(xrSyncActions(session_, &sync), XR_SUCCESS);  // same frame again: nothing changed
  std::tie(pressed, value) = states();
  EXPECT_TRUE(pressed.currentState);
  EXPECT_FALSE(pressed.changedSinceLastSync);
  // The left thumbstick: y pushed at frame 3, x at frame 4.
  XrActionStateGetInfo getTurn{XR_TYPE_ACTION_STATE_GET_INFO};
  getTurn.action = turn;
  XrActionStateVector2f stick{XR_TYPE_ACTION_STATE_VECTOR2F};
  ASSERT_EQ(xrGetActionStateVector2f(session_, &getTurn, &stick), XR_SUCCESS);
  EXPECT_TRUE(stick.isActive);
  EXPECT_NEAR(stick.currentState.x, -0.5f, 1e-6);
  EXPECT_NEAR(stick.currentState.y, 0.25f, 1e-6);
  XrInteractionProfileState profile{XR_TYPE_INTERACTION_PROFILE_STATE};
  ASSERT_EQ(xrGetCurrentInteractionProfile(session_, path("/user/hand/right"), &profile),
            XR_SUCCESS);
  EXPECT_EQ(profile.interactionProfile, path("/interaction_profiles/oculus/touch_controller"));
}

}  // namespace
