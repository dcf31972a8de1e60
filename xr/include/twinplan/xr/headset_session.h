#pragma once
// An OpenXR session on a head-mounted display and its frame loop (issue #20 item 1): instance,
// system, session, the session state machine (OpenXR 1.0 section 9.1), reference space,
// swapchains and per-eye frames. OpenXR and OpenGL only: what draws an eye is passed in.
#include <openxr/openxr.h>

#include <cstdint>
#include <string>
#include <vector>

#include "twinplan/xr/graphics_binding.h"

namespace twinplan::xr {

struct HeadsetOptions {
  std::string applicationName = "TwinPlan";
  // The blend modes the application can draw for. The headset's own order decides among them:
  // an optical see-through headset lists additive first, a VR headset opaque.
  std::vector<XrEnvironmentBlendMode> acceptedBlendModes{XR_ENVIRONMENT_BLEND_MODE_OPAQUE,
                                                         XR_ENVIRONMENT_BLEND_MODE_ALPHA_BLEND,
                                                         XR_ENVIRONMENT_BLEND_MODE_ADDITIVE};
  // Submit each eye's depth (XR_KHR_composition_layer_depth) when the runtime offers the
  // extension and a depth format the renderer writes: the compositor reprojects with it
  // (positional timewarp) and mixed-reality headsets occlude the room by it.
  bool submitDepth = true;
  // Track the user's hands (XR_EXT_hand_tracking) when the runtime offers the extension and the
  // headset supports it; without it the controllers alone give input (HeadsetInput).
  bool trackHands = true;
  // The eye cameras' near and far planes, metres: the renderer's projection uses them and the
  // depth layer tells the compositor (its nearZ / farZ). 5 cm: a hand held at the face still
  // draws; 50 m: any room.
  float near_m = 0.05f;
  float far_m = 50.0f;
};

// One eye of one frame: where it is (in the session's reference space, metres), what it sees
// (asymmetric angles, radians) and the texture to draw into.
struct EyeImage {
  uint32_t eye = 0;  // 0 left, 1 right
  XrPosef pose{{0, 0, 0, 1}, {0, 0, 0}};
  // The viewer's head in the same space: midway between the two eyes, oriented like the left
  // eye (where a scene is anchored in front of the viewer, the same for both eyes).
  XrPosef headPose{{0, 0, 0, 1}, {0, 0, 0}};
  XrFovf fov{};
  uint32_t colorTexture = 0;
  int64_t colorFormat = 0;
  uint32_t width_px = 0;
  uint32_t height_px = 0;
  XrEnvironmentBlendMode blendMode = XR_ENVIRONMENT_BLEND_MODE_OPAQUE;
  XrTime displayTime = 0;
  // Near and far planes the projection must use (the session's, also in the depth layer).
  float near_m = 0.05f;
  float far_m = 50.0f;
  // The depth texture to write the eye's window depth into (0..1 from near to far, OpenGL's
  // default depth range), same size as the colour; 0 when no depth is submitted.
  uint32_t depthTexture = 0;
  int64_t depthFormat = 0;
};

// Draws one eye into its texture (the rendering adapter implements it).
class EyeRenderer {
 public:
  virtual ~EyeRenderer() = default;
  virtual void renderEye(const EyeImage& eye) = 0;
};

class HeadsetSession {
 public:
  // Creates the instance, finds the headset, creates the session, its reference space and one
  // swapchain per eye. Throws Error (NotFound) when no OpenXR runtime or no headset is there,
  // (Unsupported) when the headset offers no blend mode or colour format the application takes.
  HeadsetSession(GraphicsBinding& graphics, HeadsetOptions options = {});
  ~HeadsetSession();
  HeadsetSession(const HeadsetSession&) = delete;
  HeadsetSession& operator=(const HeadsetSession&) = delete;

  // Reads the runtime's events and follows the state machine: READY begins the session,
  // STOPPING ends it, EXITING and LOSS_PENDING (or instance loss) finish it.
  void pollEvents();
  // One frame when the session runs: wait, begin, locate both eyes, render, end. Returns true
  // when eye images were submitted (the runtime asked for rendering).
  bool renderFrame(EyeRenderer& renderer);
  // Asks the runtime to end the session (it then goes through STOPPING to EXITING).
  void requestExit();

  XrSessionState state() const { return state_; }
  const std::vector<XrSessionState>& stateHistory() const { return history_; }
  bool running() const { return running_; }
  bool finished() const { return exited_ || lost_; }  // no more frames: exited or lost
  bool exited() const { return exited_; }
  bool lost() const { return lost_; }
  XrEnvironmentBlendMode blendMode() const { return blendMode_; }
  XrReferenceSpaceType referenceSpace() const { return referenceSpace_; }
  int64_t colorFormat() const { return colorFormat_; }
  // The depth swapchains' format; 0 when depth is not submitted (not offered, or not asked for).
  int64_t depthFormat() const { return depthFormat_; }
  bool submitsDepth() const { return depthFormat_ != 0; }
  // Whether the session can track hands: XR_EXT_hand_tracking enabled and the system says it
  // supports it (section 12.31.2).
  bool tracksHands() const { return tracksHands_; }
  uint32_t eyeWidth_px() const { return eyeWidth_px_; }
  uint32_t eyeHeight_px() const { return eyeHeight_px_; }
  const std::string& runtimeName() const { return runtimeName_; }
  int64_t framesSubmitted() const { return framesSubmitted_; }
  // The predicted display time of the last frame waited for (0 before the first): the time to
  // locate controllers at between frames.
  XrTime lastDisplayTime() const { return lastDisplayTime_; }
  // For the session's parts that live elsewhere (HeadsetInput): borrowed handles.
  XrInstance instanceHandle() const { return instance_; }
  XrSession sessionHandle() const { return session_; }
  XrSpace referenceSpaceHandle() const { return space_; }

 private:
  void createInstance();
  void chooseBlendMode();
  void createSession();
  void createReferenceSpace();
  void createSwapchains();
  void chooseDepthFormat(const std::vector<int64_t>& offered);
  void onStateChanged(XrSessionState state);
  uint32_t acquireImage(XrSwapchain swapchain);  // acquire and wait: the image index
  void releaseImage(XrSwapchain swapchain);
  void destroy() noexcept;

  GraphicsBinding& graphics_;
  HeadsetOptions options_;
  XrInstance instance_ = XR_NULL_HANDLE;
  XrSystemId system_ = XR_NULL_SYSTEM_ID;
  XrSession session_ = XR_NULL_HANDLE;
  XrSpace space_ = XR_NULL_HANDLE;
  struct EyeSwapchain {
    XrSwapchain handle = XR_NULL_HANDLE;
    std::vector<uint32_t> images;
  };
  std::vector<EyeSwapchain> swapchains_;
  std::vector<EyeSwapchain> depthSwapchains_;  // empty without depth
  bool depthExtensionEnabled_ = false;
  bool handExtensionEnabled_ = false;
  bool tracksHands_ = false;
  int64_t depthFormat_ = 0;
  XrSessionState state_ = XR_SESSION_STATE_UNKNOWN;
  std::vector<XrSessionState> history_;
  bool running_ = false;
  bool exited_ = false;
  bool lost_ = false;
  XrEnvironmentBlendMode blendMode_ = XR_ENVIRONMENT_BLEND_MODE_OPAQUE;
  XrReferenceSpaceType referenceSpace_ = XR_REFERENCE_SPACE_TYPE_LOCAL;
  int64_t colorFormat_ = 0;
  uint32_t eyeWidth_px_ = 0;
  uint32_t eyeHeight_px_ = 0;
  std::string runtimeName_;
  int64_t framesSubmitted_ = 0;
  XrTime lastDisplayTime_ = 0;
};

}  // namespace twinplan::xr
