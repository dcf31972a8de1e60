// The session: its state machine (OpenXR 1.0 section 9.1, "Session Lifecycle"), reference and
// action spaces, the two views of the simulated headset, GL swapchains and the frame loop,
// where the runtime reads back and records every submitted eye image.
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <chrono>
#include <cstring>
#include <thread>

#include "png_file.h"
#include "pose_math.h"
#include "runtime_state.h"

namespace twinplan::xr_test_runtime {
namespace {

// Makes the client's GL context current for the runtime's own GL calls and puts back whatever
// was current before (XR_KHR_opengl_enable lets the runtime use the bound context during
// swapchain and frame calls).
class ScopedContext {
 public:
  explicit ScopedContext(const Session& session) {
    previousDisplay_ = glXGetCurrentDisplay();
    previousContext_ = glXGetCurrentContext();
    previousDraw_ = glXGetCurrentDrawable();
    previousRead_ = glXGetCurrentReadDrawable();
    if (previousContext_ == session.context) {
      ok_ = true;
      return;
    }
    ok_ =
        glXMakeContextCurrent(session.display, session.drawable, session.drawable, session.context);
    switched_ = ok_;
  }
  ~ScopedContext() {
    if (!switched_) return;
    if (previousContext_ != nullptr) {
      glXMakeContextCurrent(previousDisplay_, previousDraw_, previousRead_, previousContext_);
    }
  }
  ScopedContext(const ScopedContext&) = delete;
  ScopedContext& operator=(const ScopedContext&) = delete;
  bool ok() const { return ok_; }

 private:
  Display* previousDisplay_ = nullptr;
  GLXContext previousContext_ = nullptr;
  GLXDrawable previousDraw_ = 0;
  GLXDrawable previousRead_ = 0;
  bool ok_ = false;
  bool switched_ = false;
};

bool isDepthFormat(int64_t format) { return format == 0x81A6 || format == 0x8CAC; }

const XrBaseInStructure* findInChain(const void* next, XrStructureType type) {
  for (auto* item = static_cast<const XrBaseInStructure*>(next); item != nullptr;
       item = item->next) {
    if (item->type == type) return item;
  }
  return nullptr;
}

XrPosef headInStage(const Instance& instance, double frame) {
  return poseAt(instance.script.head, frame, XrPosef{{0, 0, 0, 1}, {0, 1.6f, 0}});
}

// LOCAL: at the head's starting position, turned with its yaw only, gravity-aligned (OpenXR 1.0
// section 7.1, XR_REFERENCE_SPACE_TYPE_LOCAL).
XrPosef localInStage(const Instance& instance) {
  const XrPosef head = headInStage(instance, 0.0);
  return XrPosef{normalised({0.0f, head.orientation.y, 0.0f, head.orientation.w}), head.position};
}

std::string poseJson(const XrPosef& p) {
  char text[256];
  std::snprintf(text, sizeof text,
                R"({"position_m":[%.6f,%.6f,%.6f],"orientation_xyzw":[%.6f,%.6f,%.6f,%.6f]})",
                p.position.x, p.position.y, p.position.z, p.orientation.x, p.orientation.y,
                p.orientation.z, p.orientation.w);
  return text;
}

std::string fovJson(const XrFovf& f) {
  char text[160];
  std::snprintf(text, sizeof text, R"({"left":%.6f,"right":%.6f,"up":%.6f,"down":%.6f})",
                f.angleLeft, f.angleRight, f.angleUp, f.angleDown);
  return text;
}

const char* blendName(XrEnvironmentBlendMode mode) {
  switch (mode) {
    case XR_ENVIRONMENT_BLEND_MODE_OPAQUE:
      return "opaque";
    case XR_ENVIRONMENT_BLEND_MODE_ADDITIVE:
      return "additive";
    case XR_ENVIRONMENT_BLEND_MODE_ALPHA_BLEND:
      return "alpha_blend";
    default:
      return "unknown";
  }
}

void destroySwapchainObject(XrSwapchain handle) {
  Swapchain* swapchain = find(runtime().swapchains, handle);
  if (swapchain == nullptr) return;
  Session* session = find(runtime().sessions, swapchain->session);
  if (session != nullptr) {
    ScopedContext context(*session);
    if (context.ok() && !swapchain->textures.empty()) {
      glDeleteTextures(static_cast<GLsizei>(swapchain->textures.size()),
                       swapchain->textures.data());
    }
    auto& list = session->swapchains;
    list.erase(std::remove(list.begin(), list.end(), handle), list.end());
  }
  runtime().swapchains.erase(reinterpret_cast<uint64_t>(handle));
}

void destroySpaceObject(XrSpace handle) {
  Space* space = find(runtime().spaces, handle);
  if (space == nullptr) return;
  if (Session* session = find(runtime().sessions, space->session)) {
    auto& list = session->spaces;
    list.erase(std::remove(list.begin(), list.end(), handle), list.end());
  }
  runtime().spaces.erase(reinterpret_cast<uint64_t>(handle));
}

// The session leaves FOCUSED through VISIBLE and SYNCHRONIZED to STOPPING (section 9.1's diagram).
void beginExit(XrSession handle, Session& session) {
  if (session.exitRequested) return;
  session.exitRequested = true;
  if (session.state == XR_SESSION_STATE_FOCUSED)
    changeSessionState(handle, session, XR_SESSION_STATE_VISIBLE);
  if (session.state == XR_SESSION_STATE_VISIBLE) {
    changeSessionState(handle, session, XR_SESSION_STATE_SYNCHRONIZED);
  }
  changeSessionState(handle, session, XR_SESSION_STATE_STOPPING);
}

// Reads one eye's image back from its swapchain texture (rows bottom-up in GL) and writes it
// top row first as PNG.
bool recordEye(const Swapchain& swapchain, const XrRect2Di& rect, const std::string& path) {
  if (swapchain.lastReleased < 0) return false;
  GLint previousTexture = 0, previousPackBuffer = 0, previousAlignment = 4;
  glGetIntegerv(GL_TEXTURE_BINDING_2D, &previousTexture);
  glGetIntegerv(GL_PIXEL_PACK_BUFFER_BINDING, &previousPackBuffer);
  glGetIntegerv(GL_PACK_ALIGNMENT, &previousAlignment);
  // glBindBuffer is OpenGL 1.5: not in gl.h's 1.3 prototypes, so it is looked up.
  static const auto bindBuffer = reinterpret_cast<PFNGLBINDBUFFERPROC>(
      glXGetProcAddressARB(reinterpret_cast<const GLubyte*>("glBindBuffer")));
  if (bindBuffer != nullptr) bindBuffer(GL_PIXEL_PACK_BUFFER, 0);
  glPixelStorei(GL_PACK_ALIGNMENT, 1);
  glBindTexture(GL_TEXTURE_2D, swapchain.textures[swapchain.lastReleased]);
  std::vector<uint8_t> full(static_cast<size_t>(swapchain.width) * swapchain.height * 4);
  glGetTexImage(GL_TEXTURE_2D, 0, GL_RGBA, GL_UNSIGNED_BYTE, full.data());
  glBindTexture(GL_TEXTURE_2D, static_cast<GLuint>(previousTexture));
  glPixelStorei(GL_PACK_ALIGNMENT, previousAlignment);
  if (bindBuffer != nullptr)
    bindBuffer(GL_PIXEL_PACK_BUFFER, static_cast<GLuint>(previousPackBuffer));
  const GLenum error = glGetError();
  if (error != GL_NO_ERROR) {
    std::fprintf(
        stderr, "TwinPlan XR test runtime: reading back a swapchain image failed (GL error 0x%x)\n",
        error);
    return false;
  }
  const uint32_t width = static_cast<uint32_t>(rect.extent.width);
  const uint32_t height = static_cast<uint32_t>(rect.extent.height);
  std::vector<uint8_t> image(static_cast<size_t>(width) * height * 4);
  for (uint32_t row = 0; row < height; ++row) {
    const uint32_t glRow = static_cast<uint32_t>(rect.offset.y) + height - 1 - row;
    const uint8_t* from =
        full.data() + (static_cast<size_t>(glRow) * swapchain.width + rect.offset.x) * 4;
    std::copy(from, from + static_cast<size_t>(width) * 4,
              image.data() + static_cast<size_t>(row) * width * 4);
  }
  if (!writeRgbaPng(path, width, height, image)) {
    std::fprintf(stderr, "TwinPlan XR test runtime: cannot write %s: %s\n", path.c_str(),
                 std::strerror(errno));
    return false;
  }
  return true;
}

// Reads one eye's depth image back (GL_DEPTH_COMPONENT as floats, the window depth in [0, 1])
// and writes the sub-image as PFM, rows bottom first.
bool recordDepth(const Swapchain& swapchain, const XrRect2Di& rect, const std::string& path) {
  if (swapchain.lastReleased < 0) return false;
  GLint previousTexture = 0, previousPackBuffer = 0, previousAlignment = 4;
  glGetIntegerv(GL_TEXTURE_BINDING_2D, &previousTexture);
  glGetIntegerv(GL_PIXEL_PACK_BUFFER_BINDING, &previousPackBuffer);
  glGetIntegerv(GL_PACK_ALIGNMENT, &previousAlignment);
  static const auto bindBuffer = reinterpret_cast<PFNGLBINDBUFFERPROC>(
      glXGetProcAddressARB(reinterpret_cast<const GLubyte*>("glBindBuffer")));
  if (bindBuffer != nullptr) bindBuffer(GL_PIXEL_PACK_BUFFER, 0);
  glPixelStorei(GL_PACK_ALIGNMENT, 4);
  glBindTexture(GL_TEXTURE_2D, swapchain.textures[swapchain.lastReleased]);
  std::vector<float> full(static_cast<size_t>(swapchain.width) * swapchain.height);
  glGetTexImage(GL_TEXTURE_2D, 0, GL_DEPTH_COMPONENT, GL_FLOAT, full.data());
  glBindTexture(GL_TEXTURE_2D, static_cast<GLuint>(previousTexture));
  glPixelStorei(GL_PACK_ALIGNMENT, previousAlignment);
  if (bindBuffer != nullptr)
    bindBuffer(GL_PIXEL_PACK_BUFFER, static_cast<GLuint>(previousPackBuffer));
  if (const GLenum error = glGetError(); error != GL_NO_ERROR) {
    std::fprintf(stderr,
                 "TwinPlan XR test runtime: reading back a depth image failed (GL error 0x%x)\n",
                 error);
    return false;
  }
  const uint32_t width = static_cast<uint32_t>(rect.extent.width);
  const uint32_t height = static_cast<uint32_t>(rect.extent.height);
  std::vector<float> image(static_cast<size_t>(width) * height);
  for (uint32_t row = 0; row < height; ++row) {
    const float* from =
        full.data() + (static_cast<size_t>(rect.offset.y + row) * swapchain.width + rect.offset.x);
    std::copy(from, from + width, image.data() + static_cast<size_t>(row) * width);
  }
  if (!writeDepthPfm(path, width, height, image)) {
    std::fprintf(stderr, "TwinPlan XR test runtime: cannot write %s: %s\n", path.c_str(),
                 std::strerror(errno));
    return false;
  }
  return true;
}

}  // namespace

bool spaceInStage(const Session& session, const Space& space, double frame, XrPosef* pose) {
  const Instance& instance = *find(runtime().instances, session.instance);
  XrPosef base = identityPose();
  if (space.kind == SpaceKind::Reference) {
    switch (space.referenceType) {
      case XR_REFERENCE_SPACE_TYPE_VIEW:
        base = headInStage(instance, frame);
        break;
      case XR_REFERENCE_SPACE_TYPE_LOCAL:
        base = localInStage(instance);
        break;
      default:
        break;  // STAGE is the runtime's world frame
    }
  } else if (!actionPoseInStage(session, space, frame, &base)) {
    return false;
  }
  *pose = compose(base, space.offset);
  return true;
}

namespace api {

XrResult XRAPI_CALL xrCreateSession(XrInstance instanceHandle, const XrSessionCreateInfo* info,
                                    XrSession* out) {
  return onLiveInstance(instanceHandle, [&](Instance& instance) -> XrResult {
    if (info == nullptr || out == nullptr || info->type != XR_TYPE_SESSION_CREATE_INFO) {
      return XR_ERROR_VALIDATION_FAILURE;
    }
    if (info->systemId != kSystemId) return XR_ERROR_SYSTEM_INVALID;
    if (!instance.graphicsRequirementsQueried) return XR_ERROR_GRAPHICS_REQUIREMENTS_CALL_MISSING;
    const auto* binding = reinterpret_cast<const XrGraphicsBindingOpenGLXlibKHR*>(
        findInChain(info->next, XR_TYPE_GRAPHICS_BINDING_OPENGL_XLIB_KHR));
    if (binding == nullptr || binding->xDisplay == nullptr || binding->glxContext == nullptr) {
      return XR_ERROR_GRAPHICS_DEVICE_INVALID;
    }
    if (instance.session != XR_NULL_HANDLE) return XR_ERROR_LIMIT_REACHED;
    auto session = std::make_unique<Session>();
    session->instance = instanceHandle;
    session->display = binding->xDisplay;
    session->drawable = binding->glxDrawable;
    session->context = binding->glxContext;
    Session* raw = session.get();
    const XrSession handle = issue<XrSession>(runtime().sessions, std::move(session));
    instance.session = handle;
    instance.log.write(R"({"event":"xrCreateSession"})");
    // A new session is IDLE and becomes READY at once: the simulated headset is always worn.
    changeSessionState(handle, *raw, XR_SESSION_STATE_IDLE);
    changeSessionState(handle, *raw, XR_SESSION_STATE_READY);
    *out = handle;
    return XR_SUCCESS;
  });
}

XrResult XRAPI_CALL xrDestroySession(XrSession handle) {
  std::lock_guard lock(runtime().mutex);
  Session* session = find(runtime().sessions, handle);
  if (session == nullptr) return XR_ERROR_HANDLE_INVALID;
  for (XrSwapchain swapchain : std::vector<XrSwapchain>(session->swapchains))
    destroySwapchainObject(swapchain);
  for (XrSpace space : std::vector<XrSpace>(session->spaces)) destroySpaceObject(space);
  for (XrHandTrackerEXT tracker : std::vector<XrHandTrackerEXT>(session->handTrackers))
    destroyHandTrackerObject(tracker);
  Instance* instance = find(runtime().instances, session->instance);
  char line[160];
  std::snprintf(line, sizeof line,
                R"({"event":"xrDestroySession","state_running":%s,"frames_displayed":%lld})",
                session->running ? "true" : "false",
                static_cast<long long>(session->framesDisplayed));
  instance->log.write(line);
  instance->session = XR_NULL_HANDLE;
  runtime().sessions.erase(reinterpret_cast<uint64_t>(handle));
  return XR_SUCCESS;
}

XrResult XRAPI_CALL xrBeginSession(XrSession handle, const XrSessionBeginInfo* info) {
  return onLiveSession(handle, [&](Session& session, Instance& instance) -> XrResult {
    if (info == nullptr || info->type != XR_TYPE_SESSION_BEGIN_INFO)
      return XR_ERROR_VALIDATION_FAILURE;
    if (session.running) return XR_ERROR_SESSION_RUNNING;
    if (session.state != XR_SESSION_STATE_READY) return XR_ERROR_SESSION_NOT_READY;
    if (info->primaryViewConfigurationType != XR_VIEW_CONFIGURATION_TYPE_PRIMARY_STEREO) {
      return XR_ERROR_VIEW_CONFIGURATION_TYPE_UNSUPPORTED;
    }
    session.running = true;
    session.viewConfiguration = info->primaryViewConfigurationType;
    instance.log.write(R"({"event":"xrBeginSession"})");
    return XR_SUCCESS;
  });
}

XrResult XRAPI_CALL xrEndSession(XrSession handle) {
  return onLiveSession(handle, [&](Session& session, Instance& instance) -> XrResult {
    if (!session.running) return XR_ERROR_SESSION_NOT_RUNNING;
    if (session.state != XR_SESSION_STATE_STOPPING) return XR_ERROR_SESSION_NOT_STOPPING;
    session.running = false;
    session.frameBegun = false;
    session.frameWaitedNotBegun = false;
    instance.log.write(R"({"event":"xrEndSession"})");
    changeSessionState(handle, session, XR_SESSION_STATE_IDLE);
    if (session.exitRequested) changeSessionState(handle, session, XR_SESSION_STATE_EXITING);
    return XR_SUCCESS;
  });
}

XrResult XRAPI_CALL xrRequestExitSession(XrSession handle) {
  return onLiveSession(handle, [&](Session& session, Instance& instance) -> XrResult {
    if (!session.running) return XR_ERROR_SESSION_NOT_RUNNING;
    instance.log.write(R"({"event":"xrRequestExitSession"})");
    beginExit(handle, session);
    return XR_SUCCESS;
  });
}

XrResult XRAPI_CALL xrEnumerateReferenceSpaces(XrSession handle, uint32_t capacity,
                                               uint32_t* countOutput,
                                               XrReferenceSpaceType* spaces) {
  std::lock_guard lock(runtime().mutex);
  XrResult result = XR_SUCCESS;
  Instance* instance = nullptr;
  if (liveSession(handle, &result, &instance) == nullptr) return result;
  return fillArray(instance->script.referenceSpaces, capacity, countOutput, spaces);
}

XrResult XRAPI_CALL xrCreateReferenceSpace(XrSession handle, const XrReferenceSpaceCreateInfo* info,
                                           XrSpace* out) {
  return onLiveSession(handle, [&](Session& session, Instance& instance) -> XrResult {
    if (info == nullptr || out == nullptr || info->type != XR_TYPE_REFERENCE_SPACE_CREATE_INFO) {
      return XR_ERROR_VALIDATION_FAILURE;
    }
    const auto& offered = instance.script.referenceSpaces;
    if (std::find(offered.begin(), offered.end(), info->referenceSpaceType) == offered.end()) {
      return XR_ERROR_REFERENCE_SPACE_UNSUPPORTED;
    }
    auto space = std::make_unique<Space>();
    space->session = handle;
    space->kind = SpaceKind::Reference;
    space->referenceType = info->referenceSpaceType;
    space->offset = XrPosef{normalised(info->poseInReferenceSpace.orientation),
                            info->poseInReferenceSpace.position};
    *out = issue<XrSpace>(runtime().spaces, std::move(space));
    session.spaces.push_back(*out);
    return XR_SUCCESS;
  });
}

XrResult XRAPI_CALL xrGetReferenceSpaceBoundsRect(XrSession handle, XrReferenceSpaceType type,
                                                  XrExtent2Df* bounds) {
  std::lock_guard lock(runtime().mutex);
  XrResult result = XR_SUCCESS;
  Instance* instance = nullptr;
  if (liveSession(handle, &result, &instance) == nullptr) return result;
  if (bounds == nullptr) return XR_ERROR_VALIDATION_FAILURE;
  const auto& offered = instance->script.referenceSpaces;
  if (std::find(offered.begin(), offered.end(), type) == offered.end()) {
    return XR_ERROR_REFERENCE_SPACE_UNSUPPORTED;
  }
  if (type != XR_REFERENCE_SPACE_TYPE_STAGE) {
    *bounds = {0.0f, 0.0f};
    return XR_SPACE_BOUNDS_UNAVAILABLE;
  }
  *bounds = {2.0f, 2.0f};  // a 2 m x 2 m play area
  return XR_SUCCESS;
}

XrResult XRAPI_CALL xrCreateActionSpace(XrSession handle, const XrActionSpaceCreateInfo* info,
                                        XrSpace* out) {
  std::lock_guard lock(runtime().mutex);
  XrResult result = XR_SUCCESS;
  Session* session = liveSession(handle, &result);
  if (session == nullptr) return result;
  if (info == nullptr || out == nullptr || info->type != XR_TYPE_ACTION_SPACE_CREATE_INFO) {
    return XR_ERROR_VALIDATION_FAILURE;
  }
  const Action* action = find(runtime().actions, info->action);
  if (action == nullptr) return XR_ERROR_HANDLE_INVALID;
  if (action->type != XR_ACTION_TYPE_POSE_INPUT) return XR_ERROR_ACTION_TYPE_MISMATCH;
  if (info->subactionPath != XR_NULL_PATH &&
      std::find(action->subactionPaths.begin(), action->subactionPaths.end(),
                info->subactionPath) == action->subactionPaths.end()) {
    return XR_ERROR_PATH_UNSUPPORTED;
  }
  auto space = std::make_unique<Space>();
  space->session = handle;
  space->kind = SpaceKind::Action;
  space->action = info->action;
  space->subactionPath = info->subactionPath;
  space->offset =
      XrPosef{normalised(info->poseInActionSpace.orientation), info->poseInActionSpace.position};
  *out = issue<XrSpace>(runtime().spaces, std::move(space));
  session->spaces.push_back(*out);
  return XR_SUCCESS;
}

XrResult XRAPI_CALL xrLocateSpace(XrSpace spaceHandle, XrSpace baseHandle, XrTime time,
                                  XrSpaceLocation* location) {
  std::lock_guard lock(runtime().mutex);
  const Space* space = find(runtime().spaces, spaceHandle);
  const Space* base = find(runtime().spaces, baseHandle);
  if (space == nullptr || base == nullptr) return XR_ERROR_HANDLE_INVALID;
  XrResult result = XR_SUCCESS;
  Instance* instance = nullptr;
  const Session* session = liveSession(space->session, &result, &instance);
  if (session == nullptr) return result;
  if (location == nullptr || location->type != XR_TYPE_SPACE_LOCATION)
    return XR_ERROR_VALIDATION_FAILURE;
  if (time <= 0) return XR_ERROR_TIME_INVALID;
  const double frame = frameAt(*instance, time);
  XrPosef spacePose{}, basePose{};
  location->locationFlags = 0;
  location->pose = identityPose();
  if (spaceInStage(*session, *space, frame, &spacePose) &&
      spaceInStage(*session, *base, frame, &basePose)) {
    location->pose = compose(inverse(basePose), spacePose);
    location->locationFlags =
        XR_SPACE_LOCATION_ORIENTATION_VALID_BIT | XR_SPACE_LOCATION_POSITION_VALID_BIT |
        XR_SPACE_LOCATION_ORIENTATION_TRACKED_BIT | XR_SPACE_LOCATION_POSITION_TRACKED_BIT;
  }
  return XR_SUCCESS;
}

XrResult XRAPI_CALL xrDestroySpace(XrSpace handle) {
  std::lock_guard lock(runtime().mutex);
  if (find(runtime().spaces, handle) == nullptr) return XR_ERROR_HANDLE_INVALID;
  destroySpaceObject(handle);
  return XR_SUCCESS;
}

XrResult XRAPI_CALL xrLocateViews(XrSession handle, const XrViewLocateInfo* info,
                                  XrViewState* state, uint32_t capacity, uint32_t* countOutput,
                                  XrView* views) {
  return onLiveSession(handle, [&](const Session& session, Instance& instance) -> XrResult {
    if (info == nullptr || state == nullptr || countOutput == nullptr ||
        info->type != XR_TYPE_VIEW_LOCATE_INFO || state->type != XR_TYPE_VIEW_STATE) {
      return XR_ERROR_VALIDATION_FAILURE;
    }
    if (info->viewConfigurationType != XR_VIEW_CONFIGURATION_TYPE_PRIMARY_STEREO) {
      return XR_ERROR_VIEW_CONFIGURATION_TYPE_UNSUPPORTED;
    }
    const Space* space = find(runtime().spaces, info->space);
    if (space == nullptr) return XR_ERROR_HANDLE_INVALID;
    if (info->displayTime <= 0) return XR_ERROR_TIME_INVALID;
    *countOutput = 2;
    if (capacity == 0) return XR_SUCCESS;
    if (capacity < 2) return XR_ERROR_SIZE_INSUFFICIENT;
    const double frame = frameAt(instance, info->displayTime);
    XrPosef spacePose{};
    state->viewStateFlags = 0;
    if (!spaceInStage(session, *space, frame, &spacePose)) return XR_SUCCESS;
    const XrPosef head = headInStage(instance, frame);
    const float halfIpd_m = 0.5f * instance.script.ipd_m;
    const XrFovf fovs[2] = {instance.script.leftEyeFov, instance.script.rightEyeFov};
    for (int eye = 0; eye < 2; ++eye) {
      if (views[eye].type != XR_TYPE_VIEW) return XR_ERROR_VALIDATION_FAILURE;
      const XrPosef eyeInHead{{0, 0, 0, 1}, {eye == 0 ? -halfIpd_m : halfIpd_m, 0.0f, 0.0f}};
      views[eye].pose = compose(inverse(spacePose), compose(head, eyeInHead));
      views[eye].fov = fovs[eye];
    }
    state->viewStateFlags = XR_VIEW_STATE_ORIENTATION_VALID_BIT | XR_VIEW_STATE_POSITION_VALID_BIT |
                            XR_VIEW_STATE_ORIENTATION_TRACKED_BIT |
                            XR_VIEW_STATE_POSITION_TRACKED_BIT;
    return XR_SUCCESS;
  });
}

XrResult XRAPI_CALL xrEnumerateSwapchainFormats(XrSession handle, uint32_t capacity,
                                                uint32_t* countOutput, int64_t* formats) {
  std::lock_guard lock(runtime().mutex);
  XrResult result = XR_SUCCESS;
  Instance* instance = nullptr;
  if (liveSession(handle, &result, &instance) == nullptr) return result;
  return fillArray(instance->script.swapchainFormats, capacity, countOutput, formats);
}

XrResult XRAPI_CALL xrCreateSwapchain(XrSession handle, const XrSwapchainCreateInfo* info,
                                      XrSwapchain* out) {
  return onLiveSession(handle, [&](Session& session, Instance& instance) -> XrResult {
    if (info == nullptr || out == nullptr || info->type != XR_TYPE_SWAPCHAIN_CREATE_INFO) {
      return XR_ERROR_VALIDATION_FAILURE;
    }
    const auto& formats = instance.script.swapchainFormats;
    if (std::find(formats.begin(), formats.end(), info->format) == formats.end()) {
      return XR_ERROR_SWAPCHAIN_FORMAT_UNSUPPORTED;
    }
    if (info->sampleCount != 1 || info->arraySize != 1 || info->faceCount != 1 ||
        info->mipCount != 1) {
      return XR_ERROR_FEATURE_UNSUPPORTED;
    }
    if (info->width == 0 || info->height == 0 || info->width > 4096 || info->height > 4096) {
      return XR_ERROR_VALIDATION_FAILURE;
    }
    ScopedContext context(session);
    if (!context.ok()) return XR_ERROR_GRAPHICS_DEVICE_INVALID;
    auto swapchain = std::make_unique<Swapchain>();
    swapchain->session = handle;
    swapchain->format = info->format;
    swapchain->width = info->width;
    swapchain->height = info->height;
    swapchain->depth = isDepthFormat(info->format);
    swapchain->textures.resize(kSwapchainImageCount);
    GLint previousTexture = 0;
    glGetIntegerv(GL_TEXTURE_BINDING_2D, &previousTexture);
    glGenTextures(kSwapchainImageCount, swapchain->textures.data());
    for (GLuint texture : swapchain->textures) {
      glBindTexture(GL_TEXTURE_2D, texture);
      glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_LINEAR);
      glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_LINEAR);
      glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAX_LEVEL, 0);
      if (swapchain->depth) {
        glTexImage2D(GL_TEXTURE_2D, 0, static_cast<GLint>(info->format),
                     static_cast<GLsizei>(info->width), static_cast<GLsizei>(info->height), 0,
                     GL_DEPTH_COMPONENT, GL_FLOAT, nullptr);
      } else {
        glTexImage2D(GL_TEXTURE_2D, 0, static_cast<GLint>(info->format),
                     static_cast<GLsizei>(info->width), static_cast<GLsizei>(info->height), 0,
                     GL_RGBA, GL_UNSIGNED_BYTE, nullptr);
      }
    }
    glBindTexture(GL_TEXTURE_2D, static_cast<GLuint>(previousTexture));
    if (const GLenum error = glGetError(); error != GL_NO_ERROR) {
      glDeleteTextures(kSwapchainImageCount, swapchain->textures.data());
      std::fprintf(stderr,
                   "TwinPlan XR test runtime: creating swapchain textures failed (GL error 0x%x)\n",
                   error);
      return XR_ERROR_RUNTIME_FAILURE;
    }
    *out = issue<XrSwapchain>(runtime().swapchains, std::move(swapchain));
    session.swapchains.push_back(*out);
    char line[160];
    std::snprintf(line, sizeof line,
                  R"({"event":"xrCreateSwapchain","format":%lld,"width":%u,"height":%u})",
                  static_cast<long long>(info->format), info->width, info->height);
    instance.log.write(line);
    return XR_SUCCESS;
  });
}

XrResult XRAPI_CALL xrDestroySwapchain(XrSwapchain handle) {
  std::lock_guard lock(runtime().mutex);
  if (find(runtime().swapchains, handle) == nullptr) return XR_ERROR_HANDLE_INVALID;
  destroySwapchainObject(handle);
  return XR_SUCCESS;
}

XrResult XRAPI_CALL xrEnumerateSwapchainImages(XrSwapchain handle, uint32_t capacity,
                                               uint32_t* countOutput,
                                               XrSwapchainImageBaseHeader* images) {
  std::lock_guard lock(runtime().mutex);
  const Swapchain* swapchain = find(runtime().swapchains, handle);
  if (swapchain == nullptr) return XR_ERROR_HANDLE_INVALID;
  if (countOutput == nullptr) return XR_ERROR_VALIDATION_FAILURE;
  *countOutput = kSwapchainImageCount;
  if (capacity == 0) return XR_SUCCESS;
  if (capacity < kSwapchainImageCount) return XR_ERROR_SIZE_INSUFFICIENT;
  auto* gl = reinterpret_cast<XrSwapchainImageOpenGLKHR*>(images);
  for (uint32_t i = 0; i < kSwapchainImageCount; ++i) {
    if (gl[i].type != XR_TYPE_SWAPCHAIN_IMAGE_OPENGL_KHR) return XR_ERROR_VALIDATION_FAILURE;
    gl[i].image = swapchain->textures[i];
  }
  return XR_SUCCESS;
}

XrResult XRAPI_CALL xrAcquireSwapchainImage(XrSwapchain handle, const XrSwapchainImageAcquireInfo*,
                                            uint32_t* index) {
  std::lock_guard lock(runtime().mutex);
  Swapchain* swapchain = find(runtime().swapchains, handle);
  if (swapchain == nullptr) return XR_ERROR_HANDLE_INVALID;
  XrResult result = XR_SUCCESS;
  if (liveSession(swapchain->session, &result) == nullptr) return result;
  if (index == nullptr) return XR_ERROR_VALIDATION_FAILURE;
  if (swapchain->acquired.size() >= kSwapchainImageCount) return XR_ERROR_CALL_ORDER_INVALID;
  *index = swapchain->nextImage;
  swapchain->acquired.push_back(swapchain->nextImage);
  swapchain->nextImage = (swapchain->nextImage + 1) % kSwapchainImageCount;
  return XR_SUCCESS;
}

XrResult XRAPI_CALL xrWaitSwapchainImage(XrSwapchain handle, const XrSwapchainImageWaitInfo* info) {
  std::lock_guard lock(runtime().mutex);
  Swapchain* swapchain = find(runtime().swapchains, handle);
  if (swapchain == nullptr) return XR_ERROR_HANDLE_INVALID;
  XrResult result = XR_SUCCESS;
  if (liveSession(swapchain->session, &result) == nullptr) return result;
  if (info == nullptr || info->type != XR_TYPE_SWAPCHAIN_IMAGE_WAIT_INFO)
    return XR_ERROR_VALIDATION_FAILURE;
  if (swapchain->acquired.empty() || swapchain->frontWaited) return XR_ERROR_CALL_ORDER_INVALID;
  swapchain->frontWaited = true;
  return XR_SUCCESS;
}

XrResult XRAPI_CALL xrReleaseSwapchainImage(XrSwapchain handle,
                                            const XrSwapchainImageReleaseInfo*) {
  std::lock_guard lock(runtime().mutex);
  Swapchain* swapchain = find(runtime().swapchains, handle);
  if (swapchain == nullptr) return XR_ERROR_HANDLE_INVALID;
  XrResult result = XR_SUCCESS;
  if (liveSession(swapchain->session, &result) == nullptr) return result;
  if (swapchain->acquired.empty() || !swapchain->frontWaited) return XR_ERROR_CALL_ORDER_INVALID;
  swapchain->lastReleased = static_cast<int>(swapchain->acquired.front());
  swapchain->acquired.pop_front();
  swapchain->frontWaited = false;
  return XR_SUCCESS;
}

XrResult XRAPI_CALL xrWaitFrame(XrSession handle, const XrFrameWaitInfo* info,
                                XrFrameState* state) {
  return onLiveSession(handle, [&](Session& session, Instance& instance) -> XrResult {
    if (state == nullptr || state->type != XR_TYPE_FRAME_STATE ||
        (info != nullptr && info->type != XR_TYPE_FRAME_WAIT_INFO)) {
      return XR_ERROR_VALIDATION_FAILURE;
    }
    if (!session.running) return XR_ERROR_SESSION_NOT_RUNNING;
    // A second wait before xrBeginFrame would block forever in a single-threaded client.
    if (session.frameWaitedNotBegun) return XR_ERROR_CALL_ORDER_INVALID;
    session.framesWaited += 1;
    session.frameWaitedNotBegun = true;
    for (const KeyValue& stall : instance.script.stalls)
      if (stall.frame == static_cast<double>(session.framesWaited))
        std::this_thread::sleep_for(std::chrono::duration<double>(stall.value));
    // The frame loop is synchronised from the first wait on (section 9.4: SYNCHRONIZED).
    if (session.state == XR_SESSION_STATE_READY)
      changeSessionState(handle, session, XR_SESSION_STATE_SYNCHRONIZED);
    state->predictedDisplayTime = displayTime(instance, session.framesWaited);
    state->predictedDisplayPeriod = framePeriod_ns(instance);
    state->shouldRender =
        (session.state == XR_SESSION_STATE_VISIBLE || session.state == XR_SESSION_STATE_FOCUSED)
            ? XR_TRUE
            : XR_FALSE;
    return XR_SUCCESS;
  });
}

XrResult XRAPI_CALL xrBeginFrame(XrSession handle, const XrFrameBeginInfo* info) {
  std::lock_guard lock(runtime().mutex);
  XrResult result = XR_SUCCESS;
  Session* session = liveSession(handle, &result);
  if (session == nullptr) return result;
  if (info != nullptr && info->type != XR_TYPE_FRAME_BEGIN_INFO) return XR_ERROR_VALIDATION_FAILURE;
  if (!session->running) return XR_ERROR_SESSION_NOT_RUNNING;
  if (!session->frameWaitedNotBegun) return XR_ERROR_CALL_ORDER_INVALID;
  session->frameWaitedNotBegun = false;
  if (session->frameBegun) return XR_FRAME_DISCARDED;  // the previous begun frame is dropped
  session->frameBegun = true;
  return XR_SUCCESS;
}

namespace {

// Checks the layers of xrEndFrame (section 10.4) and returns the projection views to record.
// A sub-image names a swapchain of the right kind (colour or depth) with a released image, and
// a rectangle inside it (section 10.4, XrSwapchainSubImage).
XrResult checkSubImage(const XrSwapchainSubImage& subImage, bool depth) {
  const Swapchain* swapchain = find(runtime().swapchains, subImage.swapchain);
  if (swapchain == nullptr) return XR_ERROR_HANDLE_INVALID;
  if (swapchain->lastReleased < 0 || swapchain->depth != depth) return XR_ERROR_LAYER_INVALID;
  const XrRect2Di& rect = subImage.imageRect;
  if (rect.offset.x < 0 || rect.offset.y < 0 || rect.extent.width <= 0 || rect.extent.height <= 0 ||
      static_cast<uint32_t>(rect.offset.x + rect.extent.width) > swapchain->width ||
      static_cast<uint32_t>(rect.offset.y + rect.extent.height) > swapchain->height) {
    return XR_ERROR_SWAPCHAIN_RECT_INVALID;
  }
  if (subImage.imageArrayIndex != 0) return XR_ERROR_VALIDATION_FAILURE;
  return XR_SUCCESS;
}

// XR_KHR_composition_layer_depth: a view's depth, chained to it, when the extension is enabled.
const XrCompositionLayerDepthInfoKHR* depthInfoOf(const XrCompositionLayerProjectionView& view) {
  return reinterpret_cast<const XrCompositionLayerDepthInfoKHR*>(
      findInChain(view.next, XR_TYPE_COMPOSITION_LAYER_DEPTH_INFO_KHR));
}

// Checks the layers of xrEndFrame (section 10.4) and returns the projection views to record.
XrResult checkLayers(const Instance& instance, const XrFrameEndInfo& info,
                     std::vector<const XrCompositionLayerProjectionView*>& views,
                     const XrCompositionLayerProjection** projection) {
  if (info.layerCount > kMaxLayerCount) return XR_ERROR_LAYER_LIMIT_EXCEEDED;
  if (info.layerCount > 0 && info.layers == nullptr) return XR_ERROR_VALIDATION_FAILURE;
  for (uint32_t i = 0; i < info.layerCount; ++i) {
    const XrCompositionLayerBaseHeader* layer = info.layers[i];
    if (layer == nullptr) return XR_ERROR_LAYER_INVALID;
    if (find(runtime().spaces, layer->space) == nullptr) return XR_ERROR_HANDLE_INVALID;
    if (layer->type != XR_TYPE_COMPOSITION_LAYER_PROJECTION) {
      continue;  // quads etc.: accepted, not recorded
    }
    const auto* proj = reinterpret_cast<const XrCompositionLayerProjection*>(layer);
    if (proj->viewCount != 2 || proj->views == nullptr) return XR_ERROR_VALIDATION_FAILURE;
    for (uint32_t v = 0; v < 2; ++v) {
      const XrCompositionLayerProjectionView& view = proj->views[v];
      if (view.type != XR_TYPE_COMPOSITION_LAYER_PROJECTION_VIEW)
        return XR_ERROR_VALIDATION_FAILURE;
      if (const XrResult r = checkSubImage(view.subImage, false); XR_FAILED(r)) return r;
      const XrCompositionLayerDepthInfoKHR* depth = depthInfoOf(view);
      if (depth == nullptr || !instance.depthLayerEnabled) continue;
      // XrCompositionLayerDepthInfoKHR's valid usage: depth range within [0, 1], ordered,
      // and distinct near and far planes.
      if (depth->minDepth < 0.0f || depth->maxDepth > 1.0f || depth->minDepth >= depth->maxDepth ||
          depth->nearZ == depth->farZ) {
        return XR_ERROR_VALIDATION_FAILURE;
      }
      if (const XrResult r = checkSubImage(depth->subImage, true); XR_FAILED(r)) return r;
    }
    if (*projection == nullptr) {
      *projection = proj;
      views = {&proj->views[0], &proj->views[1]};
    }
  }
  return XR_SUCCESS;
}

void logFrame(Instance& instance, const Session& session, const XrFrameEndInfo& info,
              const XrCompositionLayerProjection* projection,
              const std::vector<const XrCompositionLayerProjectionView*>& views,
              const std::string& recorded) {
  if (!instance.log.enabled()) return;
  std::string line = R"({"event":"frame","frame":)" + std::to_string(session.framesWaited) +
                     R"(,"displayed":)" + std::to_string(session.framesDisplayed) +
                     R"(,"display_time":)" + std::to_string(info.displayTime) +
                     R"(,"blend_mode":")" + blendName(info.environmentBlendMode) +
                     R"(","layers":)" + std::to_string(info.layerCount);
  if (projection != nullptr) {
    line += R"(,"layer_flags":)" + std::to_string(projection->layerFlags) + R"(,"views":[)";
    for (size_t v = 0; v < views.size(); ++v) {
      const Swapchain* swapchain = find(runtime().swapchains, views[v]->subImage.swapchain);
      line += std::string(v ? "," : "") + R"({"pose":)" + poseJson(views[v]->pose) + R"(,"fov":)" +
              fovJson(views[v]->fov) + R"(,"format":)" + std::to_string(swapchain->format) +
              R"(,"width":)" + std::to_string(views[v]->subImage.imageRect.extent.width) +
              R"(,"height":)" + std::to_string(views[v]->subImage.imageRect.extent.height);
      if (const XrCompositionLayerDepthInfoKHR* depth = depthInfoOf(*views[v]);
          depth != nullptr && instance.depthLayerEnabled) {
        line += R"(,"depth":{"near_m":)" + std::to_string(depth->nearZ) + R"(,"far_m":)" +
                std::to_string(depth->farZ) + "}";
      }
      line += "}";
    }
    line += "]";
  }
  if (!recorded.empty()) line += R"(,"recorded":")" + recorded + R"(")";
  line += "}";
  instance.log.write(line);
}

std::string recordFrame(Instance& instance, Session& session,
                        const std::vector<const XrCompositionLayerProjectionView*>& views) {
  const std::string& dir = instance.script.recordDir;
  if (dir.empty() || views.empty()) return {};
  ::mkdir(dir.c_str(), 0755);
  ScopedContext context(session);
  if (!context.ok()) return {};
  char stem[64];
  std::snprintf(stem, sizeof stem, "frame_%05lld", static_cast<long long>(session.framesDisplayed));
  const char* eyes[2] = {"left", "right"};
  for (size_t v = 0; v < 2; ++v) {
    const Swapchain* swapchain = find(runtime().swapchains, views[v]->subImage.swapchain);
    const std::string path = dir + "/" + stem + "_" + eyes[v] + ".png";
    if (!recordEye(*swapchain, views[v]->subImage.imageRect, path)) return {};
    // XR_KHR_composition_layer_depth: the depth the application submitted for this view.
    const XrCompositionLayerDepthInfoKHR* depth = depthInfoOf(*views[v]);
    if (depth == nullptr || !instance.depthLayerEnabled) continue;
    const Swapchain* depthSwapchain = find(runtime().swapchains, depth->subImage.swapchain);
    const std::string depthPath = dir + "/" + stem + "_" + eyes[v] + "_depth.pfm";
    if (!recordDepth(*depthSwapchain, depth->subImage.imageRect, depthPath)) return {};
  }
  return stem;
}

}  // namespace

XrResult XRAPI_CALL xrEndFrame(XrSession handle, const XrFrameEndInfo* info) {
  return onLiveSession(handle, [&](Session& session, Instance& instance) -> XrResult {
    if (info == nullptr || info->type != XR_TYPE_FRAME_END_INFO) return XR_ERROR_VALIDATION_FAILURE;
    if (!session.running) return XR_ERROR_SESSION_NOT_RUNNING;
    if (!session.frameBegun) return XR_ERROR_CALL_ORDER_INVALID;
    if (info->displayTime <= 0) return XR_ERROR_TIME_INVALID;
    const auto& modes = instance.script.blendModes;
    if (std::find(modes.begin(), modes.end(), info->environmentBlendMode) == modes.end()) {
      return XR_ERROR_ENVIRONMENT_BLEND_MODE_UNSUPPORTED;
    }
    std::vector<const XrCompositionLayerProjectionView*> views;
    const XrCompositionLayerProjection* projection = nullptr;
    if (const XrResult layers = checkLayers(instance, *info, views, &projection); XR_FAILED(layers))
      return layers;
    session.frameBegun = false;
    session.framesEnded += 1;

    const bool displayed =
        session.state == XR_SESSION_STATE_VISIBLE || session.state == XR_SESSION_STATE_FOCUSED;
    std::string recorded;
    if (displayed) {
      session.framesDisplayed += 1;
      const HeadsetScript& script = instance.script;
      const bool lastBeforeExit =
          script.exitAfterFrames > 0 && session.framesDisplayed == script.exitAfterFrames;
      if (session.framesDisplayed % script.recordEvery == 0 || lastBeforeExit) {
        recorded = recordFrame(instance, session, views);
      }
    }
    logFrame(instance, session, *info, projection, views, recorded);

    // After the first frame the simulated headset shows the application and gives it input.
    if (session.state == XR_SESSION_STATE_SYNCHRONIZED && !session.exitRequested) {
      changeSessionState(handle, session, XR_SESSION_STATE_VISIBLE);
      changeSessionState(handle, session, XR_SESSION_STATE_FOCUSED);
    }
    const HeadsetScript& script = instance.script;
    if (script.exitAfterFrames > 0 && session.framesDisplayed >= script.exitAfterFrames)
      beginExit(handle, session);
    if (script.sessionLossAfterFrames > 0 &&
        session.framesDisplayed >= script.sessionLossAfterFrames &&
        session.state != XR_SESSION_STATE_LOSS_PENDING) {
      changeSessionState(handle, session, XR_SESSION_STATE_LOSS_PENDING);
      session.lost = true;  // every later call on it answers XR_ERROR_SESSION_LOST
    }
    if (script.instanceLossAfterFrames > 0 &&
        session.framesDisplayed >= script.instanceLossAfterFrames && !instance.lost) {
      XrEventDataBuffer buffer{XR_TYPE_EVENT_DATA_BUFFER};
      auto* loss = reinterpret_cast<XrEventDataInstanceLossPending*>(&buffer);
      loss->type = XR_TYPE_EVENT_DATA_INSTANCE_LOSS_PENDING;
      loss->next = nullptr;
      loss->lossTime = displayTime(instance, session.framesWaited);
      queueEvent(instance, buffer);
      // Every later call but xrPollEvent and destruction: XR_ERROR_INSTANCE_LOST.
      instance.lost = true;
      instance.log.write(R"({"event":"instance_loss_pending"})");
    }
    return XR_SUCCESS;
  });
}

}  // namespace api
}  // namespace twinplan::xr_test_runtime
