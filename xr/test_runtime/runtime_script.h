// What the simulated headset does: read once per instance from a JSON script (environment
// variable TWINPLAN_XR_TEST_SCRIPT) with a few environment overrides for the common cases
// (docs/architecture.md, "XR: the headless test runtime", lists every key).
#pragma once

#include <openxr/openxr.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace twinplan::xr_test_runtime {

// A pose that holds from `frame` on and is blended linearly into the next key.
struct KeyPose {
  double frame = 0.0;
  XrPosef pose{{0, 0, 0, 1}, {0, 0, 0}};
};

// A tracked hand (XR_EXT_hand_tracking) from `frame` on: where its palm is and what it does. The
// joints follow from the runtime's hand model (runtime_hands.cpp); between two keys the palm
// pose and every joint's place in the palm's frame are blended linearly.
enum class HandGesture { Open, Pinch, Point, Fist };
struct KeyHand {
  double frame = 0.0;
  bool tracked = true;  // false: the hand is not seen from this key to the next
  XrPosef palm{{0, 0, 0, 1}, {0, 0, 0}};
  HandGesture gesture = HandGesture::Open;
};

// An input value (button 0/1, trigger 0..1) that holds from `frame` until the next key.
struct KeyValue {
  double frame = 0.0;
  float value = 0.0f;
};

struct HeadsetScript {
  // Mean adult interpupillary distance, 63 mm (Dodgson 2004, "Variation and extrema of human
  // interpupillary distance", Proc. SPIE 5291).
  float ipd_m = 0.063f;
  uint32_t eyeWidth_px = 320;
  uint32_t eyeHeight_px = 360;
  // Per-eye frusta, radians. Asymmetric and mirrored: each eye sees further outwards than
  // towards the nose, as headsets with canted displays report it.
  XrFovf leftEyeFov{-0.8727f, 0.6981f, 0.7854f, -0.8727f};   // -50, +40, +45, -50 degrees
  XrFovf rightEyeFov{-0.6981f, 0.8727f, 0.7854f, -0.8727f};  // -40, +50, +45, -50 degrees
  // The system's blend modes, preferred first (xrEnumerateEnvironmentBlendModes order).
  std::vector<XrEnvironmentBlendMode> blendModes{XR_ENVIRONMENT_BLEND_MODE_OPAQUE};
  // The reference spaces the system offers (VIEW and LOCAL always exist, OpenXR 1.0 section 7.1;
  // a headset without a configured play area has no STAGE).
  std::vector<XrReferenceSpaceType> referenceSpaces{
      XR_REFERENCE_SPACE_TYPE_VIEW, XR_REFERENCE_SPACE_TYPE_LOCAL, XR_REFERENCE_SPACE_TYPE_STAGE};
  // Whether the runtime lists XR_KHR_composition_layer_depth (a runtime without it: the
  // application must submit frames without depth).
  bool offerDepthLayer = true;
  // GL internal formats offered for swapchains, preferred first.
  std::vector<int64_t> swapchainFormats;
  double displayRate_Hz = 90.0;
  // Negative: never. Counted in frames the application has ended (xrEndFrame).
  int exitAfterFrames = -1;
  int sessionLossAfterFrames = -1;
  int instanceLossAfterFrames = -1;
  std::string recordDir;      // empty: frames are not written
  int recordEvery = 1;        // write every Nth frame (and always the last before exit)
  std::string logPath;        // JSON lines: state changes, frames, calls of note
  std::vector<KeyPose> head;  // VIEW in STAGE
  std::vector<KeyPose> leftHand;
  std::vector<KeyPose> rightHand;
  // Empty: no controllers are held (the hands alone; every controller action stays unbound).
  std::string interactionProfile = "/interaction_profiles/khr/simple_controller";
  // Whether the runtime lists XR_EXT_hand_tracking and its system supports it; the hands' keys
  // (none: the hand trackers report no active hand).
  bool offerHandTracking = true;
  std::vector<KeyHand> leftHandJoints;
  std::vector<KeyHand> rightHandJoints;
  std::map<std::string, std::vector<KeyValue>> inputs;  // full input paths
  // "stalls": [{"frame": N, "seconds": S}]: the Nth xrWaitFrame blocks S seconds before it
  // returns, as a headset whose runtime or first frames are slow (or that hangs) does.
  std::vector<KeyValue> stalls;
};

// Reads the script named by TWINPLAN_XR_TEST_SCRIPT (if set), then the overrides
// TWINPLAN_XR_TEST_EXIT_AFTER_FRAMES, TWINPLAN_XR_TEST_RECORD_DIR, TWINPLAN_XR_TEST_BLEND_MODES
// (comma-separated: opaque, additive, alpha_blend) and TWINPLAN_XR_TEST_LOG. Throws
// std::runtime_error naming the file and key when the script is malformed.
HeadsetScript loadHeadsetScript();

// The pose at a (fractional) frame: held before the first and after the last key.
XrPosef poseAt(const std::vector<KeyPose>& keys, double frame, const XrPosef& fallback);
// The value at a frame: the last key at or before it, 0 before the first.
float valueAt(const std::vector<KeyValue>& keys, double frame);

}  // namespace twinplan::xr_test_runtime
