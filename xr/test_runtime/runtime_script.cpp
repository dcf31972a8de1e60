#include "runtime_script.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

#include "pose_math.h"

namespace twinplan::xr_test_runtime {
namespace {

constexpr double kDegToRad = 3.14159265358979323846 / 180.0;

// GL internal formats (enum values of Khronos' glext.h), preferred first: sRGB colour as
// real runtimes offer it first, then linear 8-bit, 10-bit and half float, then depth.
constexpr int64_t kGlSrgb8Alpha8 = 0x8C43;
constexpr int64_t kGlRgba8 = 0x8058;
constexpr int64_t kGlRgb10A2 = 0x8059;
constexpr int64_t kGlRgba16f = 0x881A;
constexpr int64_t kGlDepth24 = 0x81A6;
constexpr int64_t kGlDepth32f = 0x8CAC;

std::runtime_error scriptError(const std::string& where, const std::string& what) {
  return std::runtime_error("TwinPlan XR test runtime: " + where + ": " + what);
}

XrEnvironmentBlendMode blendModeFromName(const std::string& name, const std::string& where) {
  if (name == "opaque") return XR_ENVIRONMENT_BLEND_MODE_OPAQUE;
  if (name == "additive") return XR_ENVIRONMENT_BLEND_MODE_ADDITIVE;
  if (name == "alpha_blend") return XR_ENVIRONMENT_BLEND_MODE_ALPHA_BLEND;
  throw scriptError(where,
                    "unknown blend mode '" + name + "' (use opaque, additive or alpha_blend)");
}

std::vector<XrEnvironmentBlendMode> blendModesFromList(const std::string& list,
                                                       const std::string& where) {
  std::vector<XrEnvironmentBlendMode> modes;
  std::stringstream stream(list);
  std::string item;
  while (std::getline(stream, item, ',')) {
    if (!item.empty()) modes.push_back(blendModeFromName(item, where));
  }
  if (modes.empty()) throw scriptError(where, "the blend mode list is empty");
  return modes;
}

XrPosef poseFromJson(const nlohmann::json& key, const std::string& where) {
  XrPosef pose{{0, 0, 0, 1}, {0, 0, 0}};
  if (key.contains("position_m")) {
    const auto& p = key.at("position_m");
    if (!p.is_array() || p.size() != 3) throw scriptError(where, "position_m must be [x, y, z]");
    pose.position = {p[0].get<float>(), p[1].get<float>(), p[2].get<float>()};
  }
  if (key.contains("orientation_xyzw")) {
    const auto& q = key.at("orientation_xyzw");
    if (!q.is_array() || q.size() != 4)
      throw scriptError(where, "orientation_xyzw must be [x, y, z, w]");
    pose.orientation =
        normalised({q[0].get<float>(), q[1].get<float>(), q[2].get<float>(), q[3].get<float>()});
  }
  if (key.contains("yaw_deg")) {  // rotation about +Y (turning left), a convenience
    const double half = 0.5 * key.at("yaw_deg").get<double>() * kDegToRad;
    pose.orientation = {0.0f, static_cast<float>(std::sin(half)), 0.0f,
                        static_cast<float>(std::cos(half))};
  }
  return pose;
}

std::vector<KeyPose> posesFromJson(const nlohmann::json& keys, const std::string& where) {
  if (!keys.is_array()) throw scriptError(where, "must be a list of {frame, position_m, ...}");
  std::vector<KeyPose> poses;
  for (const auto& key : keys) {
    poses.push_back({key.value("frame", 0.0), poseFromJson(key, where)});
  }
  std::stable_sort(poses.begin(), poses.end(),
                   [](const KeyPose& a, const KeyPose& b) { return a.frame < b.frame; });
  return poses;
}

HandGesture gestureFromName(const std::string& name, const std::string& where) {
  if (name == "open") return HandGesture::Open;
  if (name == "pinch") return HandGesture::Pinch;
  if (name == "point") return HandGesture::Point;
  if (name == "fist") return HandGesture::Fist;
  throw scriptError(where, "unknown gesture '" + name + "' (use open, pinch, point or fist)");
}

std::vector<KeyHand> handsFromJson(const nlohmann::json& keys, const std::string& where) {
  if (!keys.is_array()) throw scriptError(where, "must be a list of {frame, position_m, gesture}");
  std::vector<KeyHand> hands;
  for (const auto& key : keys) {
    KeyHand hand;
    hand.frame = key.value("frame", 0.0);
    hand.tracked = key.value("tracked", true);
    hand.palm = poseFromJson(key, where);
    hand.gesture = gestureFromName(key.value("gesture", std::string("open")), where);
    hands.push_back(hand);
  }
  std::stable_sort(hands.begin(), hands.end(),
                   [](const KeyHand& a, const KeyHand& b) { return a.frame < b.frame; });
  return hands;
}

XrFovf fovFromJson(const nlohmann::json& fov, const std::string& where) {
  for (const char* name : {"left_deg", "right_deg", "up_deg", "down_deg"}) {
    if (!fov.contains(name)) throw scriptError(where, std::string("missing ") + name);
  }
  return {static_cast<float>(fov.at("left_deg").get<double>() * kDegToRad),
          static_cast<float>(fov.at("right_deg").get<double>() * kDegToRad),
          static_cast<float>(fov.at("up_deg").get<double>() * kDegToRad),
          static_cast<float>(fov.at("down_deg").get<double>() * kDegToRad)};
}

void applyJson(HeadsetScript& script, const nlohmann::json& json, const std::string& file) {
  const auto where = [&](const std::string& key) { return file + ", key '" + key + "'"; };
  if (json.contains("ipd_m")) script.ipd_m = json.at("ipd_m").get<float>();
  if (json.contains("eye_width_px")) script.eyeWidth_px = json.at("eye_width_px").get<uint32_t>();
  if (json.contains("eye_height_px"))
    script.eyeHeight_px = json.at("eye_height_px").get<uint32_t>();
  if (json.contains("left_eye_fov"))
    script.leftEyeFov = fovFromJson(json.at("left_eye_fov"), where("left_eye_fov"));
  if (json.contains("right_eye_fov"))
    script.rightEyeFov = fovFromJson(json.at("right_eye_fov"), where("right_eye_fov"));
  if (json.contains("blend_modes")) {
    script.blendModes.clear();
    for (const auto& name : json.at("blend_modes")) {
      script.blendModes.push_back(blendModeFromName(name.get<std::string>(), where("blend_modes")));
    }
    if (script.blendModes.empty()) throw scriptError(where("blend_modes"), "the list is empty");
  }
  if (json.contains("reference_spaces")) {
    script.referenceSpaces.clear();
    for (const auto& name : json.at("reference_spaces")) {
      const std::string space = name.get<std::string>();
      if (space == "view") {
        script.referenceSpaces.push_back(XR_REFERENCE_SPACE_TYPE_VIEW);
      } else if (space == "local") {
        script.referenceSpaces.push_back(XR_REFERENCE_SPACE_TYPE_LOCAL);
      } else if (space == "stage") {
        script.referenceSpaces.push_back(XR_REFERENCE_SPACE_TYPE_STAGE);
      } else {
        throw scriptError(where("reference_spaces"),
                          "unknown space '" + space + "' (view, local, stage)");
      }
    }
  }
  if (json.contains("swapchain_formats")) {
    script.swapchainFormats = json.at("swapchain_formats").get<std::vector<int64_t>>();
  }
  if (json.contains("depth_layer")) script.offerDepthLayer = json.at("depth_layer").get<bool>();
  if (json.contains("display_rate_hz"))
    script.displayRate_Hz = json.at("display_rate_hz").get<double>();
  if (json.contains("exit_after_frames"))
    script.exitAfterFrames = json.at("exit_after_frames").get<int>();
  if (json.contains("session_loss_after_frames")) {
    script.sessionLossAfterFrames = json.at("session_loss_after_frames").get<int>();
  }
  if (json.contains("instance_loss_after_frames")) {
    script.instanceLossAfterFrames = json.at("instance_loss_after_frames").get<int>();
  }
  if (json.contains("record_dir")) script.recordDir = json.at("record_dir").get<std::string>();
  if (json.contains("record_every")) script.recordEvery = json.at("record_every").get<int>();
  if (json.contains("log")) script.logPath = json.at("log").get<std::string>();
  if (json.contains("head")) script.head = posesFromJson(json.at("head"), where("head"));
  if (json.contains("left_hand"))
    script.leftHand = posesFromJson(json.at("left_hand"), where("left_hand"));
  if (json.contains("right_hand"))
    script.rightHand = posesFromJson(json.at("right_hand"), where("right_hand"));
  if (json.contains("interaction_profile")) {
    script.interactionProfile = json.at("interaction_profile").get<std::string>();
  }
  if (json.contains("hand_tracking"))
    script.offerHandTracking = json.at("hand_tracking").get<bool>();
  if (json.contains("hands")) {
    const auto& hands = json.at("hands");
    if (hands.contains("left"))
      script.leftHandJoints = handsFromJson(hands.at("left"), where("hands.left"));
    if (hands.contains("right"))
      script.rightHandJoints = handsFromJson(hands.at("right"), where("hands.right"));
  }
  if (json.contains("stalls")) {
    for (const auto& stall : json.at("stalls")) {
      const double seconds = stall.at("seconds").get<double>();
      if (!(seconds >= 0.0 && seconds <= 600.0))
        throw scriptError(where("stalls"), "seconds must be between 0 and 600");
      script.stalls.push_back({stall.at("frame").get<double>(), static_cast<float>(seconds)});
    }
  }
  if (json.contains("inputs")) {
    for (const auto& [path, keys] : json.at("inputs").items()) {
      std::vector<KeyValue> values;
      for (const auto& key : keys) {
        values.push_back({key.at("frame").get<double>(), key.at("value").get<float>()});
      }
      std::stable_sort(values.begin(), values.end(),
                       [](const KeyValue& a, const KeyValue& b) { return a.frame < b.frame; });
      script.inputs[path] = values;
    }
  }
}

void validate(const HeadsetScript& script) {
  if (!(script.ipd_m > 0.0f && script.ipd_m < 0.1f)) {
    throw scriptError("ipd_m", "must be between 0 and 0.1 m");
  }
  if (script.eyeWidth_px < 16 || script.eyeHeight_px < 16 || script.eyeWidth_px > 4096 ||
      script.eyeHeight_px > 4096) {
    throw scriptError("eye_width_px/eye_height_px", "must be between 16 and 4096 pixels");
  }
  if (!(script.displayRate_Hz > 0.0)) throw scriptError("display_rate_hz", "must be positive");
  if (script.recordEvery < 1) throw scriptError("record_every", "must be 1 or more");
}

int intFromEnv(const char* name, const char* text) {
  char* end = nullptr;
  const long value = std::strtol(text, &end, 10);
  if (end == text || *end != '\0') throw scriptError(name, std::string("not an integer: ") + text);
  return static_cast<int>(value);
}

}  // namespace

HeadsetScript loadHeadsetScript() {
  HeadsetScript script;
  script.swapchainFormats = {kGlSrgb8Alpha8, kGlRgba8,   kGlRgb10A2,
                             kGlRgba16f,     kGlDepth24, kGlDepth32f};
  script.head = {{0.0, XrPosef{{0, 0, 0, 1}, {0.0f, 1.6f, 0.0f}}}};
  script.leftHand = {{0.0, XrPosef{{0, 0, 0, 1}, {-0.2f, 1.3f, -0.35f}}}};
  script.rightHand = {{0.0, XrPosef{{0, 0, 0, 1}, {0.2f, 1.3f, -0.35f}}}};
  if (const char* file = std::getenv("TWINPLAN_XR_TEST_SCRIPT"); file && *file) {
    std::ifstream in(file);
    if (!in) throw scriptError(file, "cannot open the script (TWINPLAN_XR_TEST_SCRIPT)");
    nlohmann::json json;
    try {
      in >> json;
      applyJson(script, json, file);
    } catch (const nlohmann::json::exception& e) {
      throw scriptError(file, e.what());
    }
  }
  if (const char* v = std::getenv("TWINPLAN_XR_TEST_EXIT_AFTER_FRAMES"); v && *v) {
    script.exitAfterFrames = intFromEnv("TWINPLAN_XR_TEST_EXIT_AFTER_FRAMES", v);
  }
  if (const char* v = std::getenv("TWINPLAN_XR_TEST_RECORD_DIR"); v && *v) script.recordDir = v;
  if (const char* v = std::getenv("TWINPLAN_XR_TEST_BLEND_MODES"); v && *v) {
    script.blendModes = blendModesFromList(v, "TWINPLAN_XR_TEST_BLEND_MODES");
  }
  if (const char* v = std::getenv("TWINPLAN_XR_TEST_LOG"); v && *v) script.logPath = v;
  validate(script);
  return script;
}

XrPosef poseAt(const std::vector<KeyPose>& keys, double frame, const XrPosef& fallback) {
  if (keys.empty()) return fallback;
  if (frame <= keys.front().frame) return keys.front().pose;
  for (size_t i = 1; i < keys.size(); ++i) {
    if (frame < keys[i].frame) {
      const double span = keys[i].frame - keys[i - 1].frame;
      const float t = span > 0.0 ? static_cast<float>((frame - keys[i - 1].frame) / span) : 1.0f;
      return interpolate(keys[i - 1].pose, keys[i].pose, t);
    }
  }
  return keys.back().pose;
}

float valueAt(const std::vector<KeyValue>& keys, double frame) {
  float value = 0.0f;
  for (const KeyValue& key : keys) {
    if (key.frame <= frame) value = key.value;
  }
  return value;
}

}  // namespace twinplan::xr_test_runtime
