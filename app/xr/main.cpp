// twinplan-xr-render: shows a case in the OpenXR headset the loader finds for N frames and
// writes the last frame's eye images and the frame times (issue #20 item 7). `twinplan-cli
// xr-render` runs this program: the CLI itself links no display library (a layer rule in
// cmake/TwinPlanBoundaries.cmake), this one links xr + rendering.
//
// Live mode (issue #20 item 4, "View in headset"): with --live HOST:PORT --code CODE it joins
// the desktop's teaching session as a participant and runs until that session ends, showing
// what the desktop shares (segment visibility, the anatomy transform, its slice, pointer and
// annotations, and the result its Result chooser shows); with --mirror FILE it
// writes the left eye to FILE (binary PPM, replaced atomically) for the desktop's mirror.
#include <vtkImageData.h>
#include <vtkNew.h>
#include <vtkPNGWriter.h>
#include <vtkUnsignedCharArray.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <numeric>
#include <optional>
#include <string>
#include <vector>

#include "headset_tools.h"
#include "twinplan/core/case_file.h"
#include "twinplan/core/error.h"
#include "twinplan/core/job.h"
#include "twinplan/rendering/headset_hands.h"
#include "twinplan/rendering/headset_view.h"
#include "twinplan/rendering/initial_window.h"
#include "twinplan/rendering/isosurface.h"
#include "twinplan/rendering/volume_view.h"
#include "twinplan/teaching/teaching_session.h"
#include "twinplan/xr/anatomy_grab.h"
#include "twinplan/xr/glx_context.h"
#include "twinplan/xr/hand_gestures.h"
#include "twinplan/xr/headset_input.h"
#include "twinplan/xr/headset_session.h"
#include "view_commands.h"

namespace fs = std::filesystem;
using json = nlohmann::json;
using twinplan::Error;
using twinplan::ErrorKind;
namespace rendering = twinplan::rendering;
namespace xr = twinplan::xr;

namespace {

// The exit codes of twinplan-cli (app/cli/main.cpp), which forwards this program's.
int exitCodeFor(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::InvalidInput:
      return 3;
    case ErrorKind::NotFound:
      return 4;
    case ErrorKind::Unsupported:
      return 5;
    case ErrorKind::Corrupt:
      return 6;
    case ErrorKind::Io:
    case ErrorKind::Network:
      return 7;
    case ErrorKind::Internal:
      return 8;
  }
  return 8;
}

const char* blendName(XrEnvironmentBlendMode mode) {
  switch (mode) {
    case XR_ENVIRONMENT_BLEND_MODE_ADDITIVE:
      return "additive";
    case XR_ENVIRONMENT_BLEND_MODE_ALPHA_BLEND:
      return "alpha";
    default:
      return "opaque";
  }
}

XrEnvironmentBlendMode blendFromName(const std::string& name) {
  if (name == "opaque") return XR_ENVIRONMENT_BLEND_MODE_OPAQUE;
  if (name == "additive") return XR_ENVIRONMENT_BLEND_MODE_ADDITIVE;
  if (name == "alpha") return XR_ENVIRONMENT_BLEND_MODE_ALPHA_BLEND;
  throw Error(ErrorKind::InvalidInput,
              "--blend must be opaque (VR), additive or alpha (mixed reality), not '" + name + "'.",
              "--blend");
}

// A volume rendering preset by its name (rendering::toString: what the 3D view's list shows);
// `where` names what gave it in the error.
rendering::VolumePreset presetFromName(const std::string& name,
                                       const std::string& where = "--preset") {
  std::string names;
  for (rendering::VolumePreset preset : rendering::allVolumePresets()) {
    if (name == rendering::toString(preset)) return preset;
    names += std::string(names.empty() ? "" : ", ") + "'" + rendering::toString(preset) + "'";
  }
  throw Error(ErrorKind::InvalidInput, where + " must be one of " + names + ", not '" + name + "'.",
              where);
}

struct Arguments {
  fs::path casePath, outDir;
  int frames = 60;
  std::string blend;  // empty: whatever the headset prefers
  bool volume = false;
  std::string preset;  // the volume rendering preset's name; empty: the image's own default
  bool json = false;
  std::string live;  // HOST:PORT of the desktop's teaching session; empty: not live
  std::string code;  // its session code
  fs::path mirror;   // the left eye for the desktop's mirror; empty: none
  bool viewCommands = false;  // follow the window's Volume button and preset (view_commands.h)
  double mirrorInterval_s = 1.0 / 30;  // at most 30 mirror images a second
};

twinplan::Vec3 toVec3(const XrVector3f& v) { return twinplan::Vec3(v.x, v.y, v.z); }

// Draws each eye the session asks for with the case's scene; anchors the anatomy in front of
// the viewer at the first eye and keeps it there (the room holds it still as the head moves).
class CaseEyeRenderer final : public xr::EyeRenderer {
 public:
  CaseEyeRenderer(rendering::VolumeView& scene, const rendering::BoxLps& bounds)
      : headset_(scene), annotations_(scene), rulers_(scene), hands_(scene), bounds_(bounds) {
    for (auto& laser : lasers_) laser = std::make_unique<rendering::HeadsetAnnotations>(scene);
  }

  // The controllers' slice drag, segment toggle and measurement on the case's `models` (the
  // scene's first meshes) and its slice plane (may be null).
  void useTools(rendering::VolumeView& scene, const std::vector<twinplan::SurfaceMesh>& models,
                rendering::HeadsetSlice* slice) {
    tools_.emplace(headset_, scene, models, slice, rulers_);
  }
  twinplan::xr_app::HeadsetTools& tools() { return *tools_; }

  // The presenter's pointer and annotations (teaching state, LPS).
  void setPointer(const twinplan::teaching::PointerRay& pointer) { pointer_ = pointer; }
  void setAnnotations(const std::vector<twinplan::teaching::Annotation>& annotations) {
    std::vector<rendering::HeadsetAnnotations::Marker> markers;
    for (const auto& a : annotations)
      markers.push_back({twinplan::Vec3(a.point_lps[0], a.point_lps[1], a.point_lps[2]), a.text});
    annotations_.setAnnotations(markers);
  }

  // The viewer's tracked hands (XR_EXT_hand_tracking) as the headset last located them, in the
  // room; none where the hand is not seen or the headset does not track hands.
  void setTrackedHands(const xr::HeadsetInput& input) {
    for (int h = 0; h < 2; ++h) {
      auto& joints = handJoints_[std::size_t(h)];
      joints.clear();
      if (!input.tracksHands() || !input.jointsLocated(h)) continue;
      for (const XrHandJointLocationEXT& joint : input.joints(h))
        joints.push_back({toVec3(joint.pose.position), joint.radius,
                          (joint.locationFlags & XR_SPACE_LOCATION_POSITION_VALID_BIT) != 0});
    }
  }

  void renderEye(const xr::EyeImage& image) override {
    const auto toQuat = [](const XrQuaternionf& q) {
      return Eigen::Quaterniond(q.w, q.x, q.y, q.z).normalized();
    };
    if (!placed_) {
      room_ = rendering::placeInFrontOf(bounds_, toVec3(image.headPose.position),
                                        toQuat(image.headPose.orientation));
      placed_ = true;
    }
    headset_.setPlacement(room_ * anatomy_);
    if (image.eye == 0) {
      drawPointer();
      drawHands();
      drawLasers();
    }
    rendering::EyeCamera eye;
    eye.position_m = toVec3(image.pose.position);
    eye.orientation = toQuat(image.pose.orientation);
    eye.fov = {image.fov.angleLeft, image.fov.angleRight, image.fov.angleUp, image.fov.angleDown};
    eye.width_px = static_cast<int>(image.width_px);
    eye.height_px = static_cast<int>(image.height_px);
    eye.transparentBackground = image.blendMode != XR_ENVIRONMENT_BLEND_MODE_OPAQUE;
    eye.colorTexture = image.colorTexture;
    eye.near_m = image.near_m;
    eye.far_m = image.far_m;
    eye.depthTexture = image.depthTexture;
    eye.depthFormat = image.depthFormat;
    const auto start = std::chrono::steady_clock::now();
    headset_.renderEye(eye);
    renderTime_ms +=
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    if (capture) {
      auto& slot = captured[image.eye == 0 ? 0 : 1];
      slot.rgba = headset_.readBackLastEye(slot.width_px, slot.height_px);
    }
  }

  const rendering::RoomPlacement& placement() const { return headset_.placement(); }
  // The pointer's ray ends where it meets the anatomy (a pick in the scene as placed now), or
  // after kPointerReach_mm.
  void drawPointer() {
    const twinplan::Vec3 origin(pointer_.origin_lps[0], pointer_.origin_lps[1],
                                pointer_.origin_lps[2]);
    const twinplan::Vec3 direction(pointer_.direction_lps[0], pointer_.direction_lps[1],
                                   pointer_.direction_lps[2]);
    // A pointer that knows its point (a desktop's mouse on a slice) ends there; a laser ends
    // where it meets the anatomy.
    double length_mm = pointer_.length_mm > 0.0 ? pointer_.length_mm : kPointerReach_mm;
    if (pointer_.active && pointer_.length_mm <= 0.0) {
      const rendering::RoomPlacement& placement = headset_.placement();
      const auto hit = headset_.pick(placement * origin, placement.linear() * direction);
      if (hit.hit) length_mm = (hit.p_lps - origin).norm();
    }
    annotations_.setPointer(pointer_.active, origin, direction, length_mm);
  }
  static constexpr double kPointerReach_mm = 500.0;
  // The hands in the scene's LPS through the anatomy's current placement (a grab moves it).
  void drawHands() {
    static const std::vector<rendering::HeadsetHands::Bone> bones = xr::handBones();
    for (int h = 0; h < 2; ++h) {
      const auto& joints = handJoints_[std::size_t(h)];
      if (joints.empty())
        hands_.hide(h);
      else
        hands_.setHand(h, joints, bones, headset_.placement());
    }
  }
  const std::string& depthCopy() const { return headset_.lastDepthCopy(); }
  // The desktop's anatomy transform (teaching state, LPS mm to LPS mm), applied before the
  // anatomy is placed in the room.
  void setAnatomyTransform(const Eigen::Affine3d& lpsToLps) { anatomy_ = lpsToLps; }
  const Eigen::Affine3d& anatomyTransform() const { return anatomy_; }
  bool grabbing() const { return grabbing_; }  // a hand holds the anatomy now
  // A hand's own laser (its controller's aim pose, or the pointing index finger) shows while its
  // trigger is touched, above kLaserShownAbove: the viewer sees where it points before pulling
  // it past 0.5 to pick.
  static constexpr float kLaserShownAbove = 0.1f;
  static constexpr double kLaserReach_m = 1.0;  // drawn this far in the room when nothing is hit
  void aimLasers(const xr::HeadsetInput& input) {
    for (int h = 0; h < 2; ++h) {
      const xr::HandInput& hand = input.hand(h);
      laserAim_[std::size_t(h)] = hand.tracked && hand.pointer > kLaserShownAbove
                                      ? std::optional(xr::toAffine(hand.aim))
                                      : std::nullopt;
    }
  }
  // Each laser from its aim pose along -z (OpenXR 1.0 section 6.3.2) to the first surface it
  // meets in the scene as placed now, drawn in the scene's LPS like the presenter's pointer.
  void drawLasers() {
    const rendering::RoomPlacement& placement = headset_.placement();
    const double roomPerMm = std::cbrt(std::abs(placement.linear().determinant()));
    const rendering::RoomPlacement roomToLps = placement.inverse();
    for (std::size_t h = 0; h < 2; ++h) {
      if (!laserAim_[h]) {
        lasers_[h]->setPointer(false, twinplan::Vec3::Zero(), twinplan::Vec3::UnitZ(), 0.0);
        continue;
      }
      const twinplan::Vec3 origin_m = laserAim_[h]->translation();
      const twinplan::Vec3 direction_m = laserAim_[h]->linear() * twinplan::Vec3(0, 0, -1);
      const auto hit = headset_.pick(origin_m, direction_m);
      const double length_m = hit.hit ? hit.distance_m : kLaserReach_m;
      lasers_[h]->setPointer(true, roomToLps * origin_m,
                             (roomToLps.linear() * direction_m).normalized(), length_m / roomPerMm);
    }
  }

  // The controllers move the anatomy once it stands in the room; a trigger pulled (0.5, as
  // AnatomyGrab's grab level) picks what its laser pointer hits.
  // The grab moves the anatomy within the room's first placement: the move is kept as the
  // anatomy transform (LPS mm to LPS mm), which a live view sends to the desktop.
  void applyHands(xr::AnatomyGrab& grab, const xr::HeadsetInput& input, int64_t frame,
                  bool labelRulers) {
    if (!placed_) return;
    const Eigen::Affine3d placed = grab.update(room_ * anatomy_, {input.hand(0), input.hand(1)});
    grabbing_ = grab.handsHolding() > 0;
    // Unheld, the placement comes back as it was: recomputing would only add rounding.
    if (grabbing_) anatomy_ = room_.inverse() * placed;
    headset_.setPlacement(room_ * anatomy_);
    for (int h = 0; h < 2; ++h) {
      const bool pulled = input.hand(h).pointer >= xr::AnatomyGrab::kGrabAt;
      if (pulled && !triggerHeld_[h]) {
        const Eigen::Affine3d aim = xr::toAffine(input.hand(h).aim);
        const auto hit = headset_.pick(aim.translation(), aim.linear() * twinplan::Vec3(0, 0, -1));
        picks.push_back({{"hand", h == 0 ? "left" : "right"},
                         {"frame", frame},
                         {"hit", hit.hit},
                         {"p_lps", {hit.p_lps.x(), hit.p_lps.y(), hit.p_lps.z()}},
                         {"distance_m", hit.distance_m}});
      }
      triggerHeld_[h] = pulled;
    }
    if (tools_) tools_->update(input, frame, labelRulers);
  }
  json picks = json::array();

  struct Capture {
    std::vector<std::uint8_t> rgba;  // bottom row first
    int width_px = 0, height_px = 0;
  };
  bool capture = false;
  Capture captured[2];
  double renderTime_ms = 0.0;  // both eyes of the frames since it was last reset

 private:
  rendering::HeadsetSceneRenderer headset_;
  rendering::HeadsetAnnotations annotations_;
  rendering::HeadsetAnnotations rulers_;  // distances measured in the headset
  rendering::HeadsetHands hands_;
  std::array<std::unique_ptr<rendering::HeadsetAnnotations>, 2> lasers_;  // the hands' own
  std::array<std::optional<Eigen::Affine3d>, 2> laserAim_;
  std::array<std::vector<rendering::HeadsetHands::Joint>, 2> handJoints_;
  twinplan::teaching::PointerRay pointer_;
  rendering::BoxLps bounds_;
  rendering::RoomPlacement room_ = rendering::RoomPlacement::Identity();
  Eigen::Affine3d anatomy_ = Eigen::Affine3d::Identity();
  bool placed_ = false;
  bool grabbing_ = false;
  bool triggerHeld_[2] = {false, false};
  std::optional<twinplan::xr_app::HeadsetTools> tools_;
};

// What drove each hand at the end: "controller", "hand" (XR_EXT_hand_tracking) or "none".
const char* sourceName(xr::HandSource source) {
  switch (source) {
    case xr::HandSource::Controller:
      return "controller";
    case xr::HandSource::TrackedHand:
      return "hand";
    default:
      return "none";
  }
}

void writePng(const CaseEyeRenderer::Capture& image, const fs::path& path) {
  if (image.rgba.empty())
    throw Error(ErrorKind::Internal, "No eye image was captured to write.", path.string());
  vtkNew<vtkImageData> data;
  data->SetDimensions(image.width_px, image.height_px, 1);
  data->AllocateScalars(VTK_UNSIGNED_CHAR, 4);
  std::memcpy(data->GetScalarPointer(), image.rgba.data(), image.rgba.size());
  vtkNew<vtkPNGWriter> writer;
  writer->SetInputData(data);
  writer->SetFileName(path.c_str());
  writer->Write();
  if (writer->GetErrorCode() != 0 || !fs::exists(path))
    throw Error(ErrorKind::Io, "Could not write the eye image: check that the folder is writable.",
                path.string());
}

// The left eye for the desktop's mirror: binary PPM (netpbm P6: "P6 W H 255", RGB rows top
// first), which Qt reads without a plug-in; written beside FILE and renamed over it, so the
// desktop never reads half an image (rename(2) is atomic within a file system).
void writeMirror(const CaseEyeRenderer::Capture& image, const fs::path& path) {
  if (image.rgba.empty()) return;
  const std::string header =
      "P6\n" + std::to_string(image.width_px) + " " + std::to_string(image.height_px) + "\n255\n";
  std::string pixels(std::size_t(image.width_px) * std::size_t(image.height_px) * 3, '\0');
  for (int row = 0; row < image.height_px; ++row) {
    const std::uint8_t* from = image.rgba.data() + std::size_t(image.height_px - 1 - row) *
                                                       std::size_t(image.width_px) * 4;
    char* to = pixels.data() + std::size_t(row) * std::size_t(image.width_px) * 3;
    for (int x = 0; x < image.width_px; ++x)
      for (int c = 0; c < 3; ++c) to[3 * x + c] = char(from[4 * x + c]);
  }
  const fs::path partial = path.string() + ".partial";
  {
    std::ofstream out(partial, std::ios::binary);
    out << header << pixels;
    if (!out)
      throw Error(ErrorKind::Io, "Could not write the headset mirror image.", partial.string());
  }
  fs::rename(partial, path);
}

// The desktop's slice (teaching state) through the anatomy; the orientation was checked when
// the state change was applied.
void showSlice(rendering::HeadsetSlice& slice, const twinplan::teaching::SharedSlice& shared) {
  if (!shared.shown) {
    slice.hide();
    return;
  }
  const rendering::SliceOrientation orientation =
      shared.orientation == "coronal"    ? rendering::SliceOrientation::Coronal
      : shared.orientation == "sagittal" ? rendering::SliceOrientation::Sagittal
                                         : rendering::SliceOrientation::Axial;
  slice.show(orientation, shared.position_mm);
}

// The result the desktop's Result chooser shows (teaching state, issue #20 item 4): the case's
// field of that name as the desktop's own isosurfaces, at its levels in its colours. Empty for
// none, or when this case has no such field (a stale case: the desktop's log says which).
std::vector<twinplan::SurfaceMesh> chosenResultSurfaces(
    const twinplan::Case& twin, const twinplan::teaching::SharedResult& result) {
  std::vector<twinplan::SurfaceMesh> surfaces;
  const auto field = std::find_if(twin.fields.begin(), twin.fields.end(),
                                  [&](const auto& f) { return f.name == result.field; });
  if (result.field.empty() || field == twin.fields.end() || field->values.empty()) return surfaces;
  for (const twinplan::teaching::ResultSurface& level : result.surfaces) {
    const twinplan::Rgb colour{std::uint8_t(level.colour_rgb[0]), std::uint8_t(level.colour_rgb[1]),
                               std::uint8_t(level.colour_rgb[2])};
    twinplan::SurfaceMesh surface =
        rendering::isosurface(*field, level.level, level.name, colour, float(level.opacity));
    if (!surface.triangles.empty()) surfaces.push_back(std::move(surface));
  }
  return surfaces;
}

// The desktop's side of a live headset view: its teaching session, joined as a participant.
class DesktopLink {
 public:
  explicit DesktopLink(const Arguments& args) {
    const auto colon = args.live.rfind(':');
    twinplan::teaching::JoinOptions options;
    try {
      if (colon == std::string::npos) throw std::invalid_argument("no port");
      options.host = args.live.substr(0, colon);
      options.port = static_cast<std::uint16_t>(std::stoi(args.live.substr(colon + 1)));
    } catch (const std::exception&) {
      throw Error(
          ErrorKind::InvalidInput,
          "--live must be HOST:PORT of the TwinPlan window's session, not '" + args.live + "'.",
          "--live");
    }
    options.sessionCode = args.code;
    options.name = "headset";
    participant_.join(options);
  }

  // Services the session; applies what changed to the scene: `shown` (the scene's meshes) is
  // rebuilt from the case's models and the shown result's surfaces when the desktop chooses
  // another result. False when the desktop ended it (an orderly end); throws Error when it was
  // lost.
  bool update(rendering::VolumeView& scene, const twinplan::Case& twin,
              std::vector<twinplan::SurfaceMesh>& shown, CaseEyeRenderer& renderer,
              rendering::HeadsetSlice* slice) {
    const std::vector<twinplan::SurfaceMesh>& meshes = twin.meshes;
    participant_.service(0);
    using Phase = twinplan::teaching::Participant::Phase;
    if (participant_.phase() == Phase::Ended) {
      if (participant_.failure()) {
        throw Error(participant_.failure()->kind(),
                    std::string("The headset view lost the TwinPlan window that started it: ") +
                        participant_.failure()->what(),
                    "--live");
      }
      return false;
    }
    if (!participant_.connected() || (participant_.sequence() == shown_ && !heldBack_))
      return true;
    shown_ = participant_.sequence();
    const twinplan::teaching::SessionState state = participant_.state();
    if (state.result != result_) {
      result_ = state.result;
      shown = meshes;
      for (twinplan::SurfaceMesh& surface : chosenResultSurfaces(twin, result_))
        shown.push_back(std::move(surface));
      scene.setMeshes(&shown);
    }
    for (std::size_t i = 0; i < meshes.size() && i < scene.meshCount(); ++i) {
      const auto& mesh = meshes[i];
      const auto found =
          state.segmentVisible.find(mesh.segmentName.empty() ? mesh.name : mesh.segmentName);
      scene.setMeshVisible(i, found == state.segmentVisible.end() ? mesh.visible : found->second);
    }
    applyAnatomy(state.anatomyTransform, renderer);
    if (slice != nullptr) applySlice(state.slice, renderer.tools(), *slice);
    renderer.setPointer(state.pointer);
    renderer.setAnnotations(state.annotations);
    return true;
  }
  std::uint64_t sequence() const { return shown_; }

  // What the controllers changed besides the anatomy (HeadsetTools): the slice, segment
  // visibility and measurements, asked of the desktop, which stores them and shares them back.
  void sendEdits(twinplan::xr_app::HeadsetTools& tools) {
    if (!participant_.connected()) return;
    if (const auto slice = tools.takeSliceMove()) {
      participant_.moveSlice(*slice);
      sentSlice_ = *slice;
      sliceSentAt_ = std::chrono::steady_clock::now();
    }
    for (const auto& [segment, visible] : tools.takeVisibility())
      participant_.setSegmentVisible(segment, visible);
    for (const auto& [from, to] : tools.takeRulers())
      participant_.measure({from.x(), from.y(), from.z()}, {to.x(), to.y(), to.z()});
  }

  // After the hands moved the anatomy: sends its new transform to the desktop (protocol 4's
  // move), which shares it with every peer and shows it in its 3D view.
  void sendGrab(const CaseEyeRenderer& renderer) {
    if (!participant_.connected()) return;
    std::array<double, 16> lpsToLps;
    const Eigen::Matrix4d m = renderer.anatomyTransform().matrix();
    for (int r = 0; r < 4; ++r)
      for (int c = 0; c < 4; ++c) lpsToLps[std::size_t(4 * r + c)] = m(r, c);
    if (lpsToLps == sent_) return;
    participant_.moveAnatomy(lpsToLps);
    sent_ = lpsToLps;
    sentAt_ = std::chrono::steady_clock::now();
  }

 private:
  // The desktop's transform, unless this headset's own grab is newer: while a hand holds the
  // anatomy, and for up to kEchoWait after it last sent one until the desktop's state has it,
  // the echoes of earlier moves would pull the anatomy back a frame or two.
  static constexpr std::chrono::milliseconds kEchoWait{500};
  void applyAnatomy(const std::array<double, 16>& shared, CaseEyeRenderer& renderer) {
    const bool ownMoveNewer =
        renderer.grabbing() ||
        (shared != sent_ && std::chrono::steady_clock::now() - sentAt_ < kEchoWait);
    heldBack_ = ownMoveNewer;
    if (ownMoveNewer) return;
    Eigen::Matrix4d m;
    for (int r = 0; r < 4; ++r)
      for (int c = 0; c < 4; ++c) m(r, c) = shared[std::size_t(4 * r + c)];
    renderer.setAnatomyTransform(Eigen::Affine3d(m));
    sent_ = shared;
  }

  // The desktop's slice, unless this headset's own drag is newer (as applyAnatomy).
  void applySlice(const twinplan::teaching::SharedSlice& shared,
                  twinplan::xr_app::HeadsetTools& tools, rendering::HeadsetSlice& slice) {
    const bool ownMoveNewer =
        tools.dragging() ||
        (shared != sentSlice_ && std::chrono::steady_clock::now() - sliceSentAt_ < kEchoWait);
    heldBack_ = heldBack_ || ownMoveNewer;
    if (ownMoveNewer) return;
    showSlice(slice, shared);
    sentSlice_ = shared;
  }

  twinplan::teaching::Participant participant_;
  twinplan::teaching::SharedSlice sentSlice_;
  std::chrono::steady_clock::time_point sliceSentAt_;
  std::array<double, 16> sent_ = twinplan::teaching::SessionState{}.anatomyTransform;
  std::chrono::steady_clock::time_point sentAt_;
  bool heldBack_ = false;  // the shared transform waits for this headset's own move
  std::uint64_t shown_ = std::uint64_t(-1);
  twinplan::teaching::SharedResult result_;  // the result whose surfaces the scene holds
};

// The simulation results as surfaces (issue #20 item 2), as the desktop's 3D view draws them:
// for the case's first dose, the 50 % and 95 % isodose surfaces of its maximum (95 %: ICRU 50's
// lower limit for the target; 50 %: the fall-off), translucent; for its first Arrhenius damage
// field, the ablation zone Omega = 1 (63 % cell death, Henriques & Moritz 1947; zone_metrics.h's
// default criterion). Empty where the case has none or a level is never reached.
std::vector<twinplan::SurfaceMesh> resultSurfaces(const twinplan::Case& twin) {
  std::vector<twinplan::SurfaceMesh> surfaces;
  const auto add = [&](const twinplan::ScalarField& field, double level, const std::string& name,
                       twinplan::Rgb colour, float opacity) {
    twinplan::SurfaceMesh surface = rendering::isosurface(field, level, name, colour, opacity);
    if (!surface.triangles.empty()) surfaces.push_back(std::move(surface));
  };
  const auto first = [&](const char* quantity) -> const twinplan::ScalarField* {
    for (const twinplan::ScalarField& field : twin.fields)
      if (field.quantity == quantity && !field.values.empty()) return &field;
    return nullptr;
  };
  if (const twinplan::ScalarField* dose = first("dose")) {
    const double max = *std::max_element(dose->values.begin(), dose->values.end());
    if (max > 0.0) {
      add(*dose, 0.50 * max, "50 % isodose", {40, 170, 230}, 0.25f);
      add(*dose, 0.95 * max, "95 % isodose", {230, 40, 30}, 0.6f);
    }
  }
  if (const twinplan::ScalarField* damage = first("damage"))
    add(*damage, 1.0, "Ablation zone (Omega 1)", {200, 60, 200}, 0.5f);
  return surfaces;
}

// The case's scene as the desktop 3D view shows it: its surface models (the case's first, so
// their indices are the case's), the simulation results' surfaces, and its first volume (volume
// rendering) when asked for. `shown` holds the meshes and outlives the scene.
void buildScene(rendering::VolumeView& scene, const twinplan::Case& twin, const Arguments& args,
                bool softwareGl, std::vector<twinplan::SurfaceMesh>& shown) {
  shown = twin.meshes;
  // Live, the desktop's Result chooser says which result (DesktopLink::update).
  if (args.live.empty())
    for (twinplan::SurfaceMesh& surface : resultSurfaces(twin)) shown.push_back(std::move(surface));
  if (!shown.empty()) scene.setMeshes(&shown);
  if (args.volume && !twin.volumes.empty()) {
    scene.setFastRendering(softwareGl);
    scene.setVolume(&twin.volumes.front());
    if (!args.preset.empty()) scene.setPreset(presetFromName(args.preset));
  }
  if (scene.meshCount() == 0 && !(args.volume && !twin.volumes.empty()))
    throw Error(ErrorKind::InvalidInput,
                "The case has nothing to show in the headset: it has no surface models or "
                "results. Make them first (twinplan-cli model, or Segment -> Make 3D models in "
                "TwinPlan), or "
                "pass --volume to volume-render its image.",
                args.casePath.string());
}

// The window's Volume button and preset (view_commands.h), applied before the next frame. The
// first "show" of a view started without the volume loads the image into the scene; the room
// placement was fixed at the first frame, so the anatomy stays where it stands.
void applyViewCommand(rendering::VolumeView& scene, const twinplan::Case& twin,
                      const twinplan::xr_app::ViewCommand& command, bool softwareGl) {
  const rendering::VolumePreset preset =
      command.preset ? presetFromName(*command.preset, "The window's volume preset")
                     : scene.preset();
  const bool shown = command.volumeShown.value_or(scene.volumeVisible());
  if (shown && scene.volume() == nullptr && !twin.volumes.empty()) {
    scene.setFastRendering(softwareGl);
    scene.setVolume(&twin.volumes.front());
  }
  scene.setVolumeVisible(shown);
  // Loading the image may have switched to its own default preset: the window's stays.
  if (command.preset || scene.preset() != preset) scene.setPreset(preset);
}

double mean(const std::vector<double>& values) {
  return values.empty() ? 0.0
                        : std::accumulate(values.begin(), values.end(), 0.0) /
                              static_cast<double>(values.size());
}

json placementJson(const rendering::RoomPlacement& placement) {
  json rows = json::array();
  for (int r = 0; r < 4; ++r)
    rows.push_back({placement.matrix()(r, 0), placement.matrix()(r, 1), placement.matrix()(r, 2),
                    placement.matrix()(r, 3)});
  return rows;
}

json run(const Arguments& args) {
  const bool live = !args.live.empty();
  if (args.frames < (live ? 0 : 1))
    throw Error(ErrorKind::InvalidInput,
                live ? "--frames must be 0 (until the desktop ends the view) or more."
                     : "--frames must be at least 1.",
                "--frames");
  xr::HeadsetOptions options;
  if (!args.blend.empty()) options.acceptedBlendModes = {blendFromName(args.blend)};
  const twinplan::Case twin = twinplan::loadCase(args.casePath);
  fs::create_directories(args.outDir);

  xr::OffscreenGlContext gl;
  const std::string glRenderer = gl.rendererName();
  const bool softwareGl = glRenderer.find("llvmpipe") != std::string::npos;
  auto binding = gl.binding();
  xr::HeadsetSession session(binding, options);
  std::vector<twinplan::SurfaceMesh> shownMeshes;  // outlives the scene that points at it
  rendering::VolumeView scene;
  buildScene(scene, twin, args, softwareGl, shownMeshes);
  rendering::BoxLps bounds;
  scene.sceneBounds(bounds);
  CaseEyeRenderer renderer(scene, bounds);
  // The slice the desktop shows, through the case's first image, in the window it opens in.
  std::optional<rendering::HeadsetSlice> slice;
  if (!twin.volumes.empty())
    slice.emplace(scene, twin.volumes.front(), rendering::initialWindow(twin.volumes.front()));
  renderer.useTools(scene, twin.meshes, slice ? &*slice : nullptr);
  xr::HeadsetInput input(session);
  xr::AnatomyGrab grab;
  std::optional<DesktopLink> desktop;
  if (live) desktop.emplace(args);
  auto lastMirror = std::chrono::steady_clock::now() - std::chrono::hours(1);
  std::optional<twinplan::xr_app::ViewCommandReader> window;
  if (args.viewCommands) window.emplace(0);

  std::vector<double> frameTimes_ms, renderTimes_ms;
  // A runtime may skip rendering now and then (shouldRender false): a generous loop budget.
  // Live with --frames 0: until the desktop ends the session.
  const bool endless = live && args.frames == 0;
  bool desktopEnded = false;
  for (long loop = 0; (endless || loop < 20L * args.frames + 200) && !session.finished() &&
                      (endless || session.framesSubmitted() < args.frames);
       ++loop) {
    session.pollEvents();
    if (window)
      for (const auto& command : window->take()) applyViewCommand(scene, twin, command, softwareGl);
    if (desktop &&
        !desktop->update(scene, twin, shownMeshes, renderer, slice ? &*slice : nullptr)) {
      desktopEnded = true;
      break;
    }
    const bool mirrorDue =
        !args.mirror.empty() && std::chrono::steady_clock::now() - lastMirror >=
                                    std::chrono::duration<double>(args.mirrorInterval_s);
    renderer.capture = session.framesSubmitted() == args.frames - 1 || mirrorDue;
    renderer.renderTime_ms = 0.0;
    const auto start = std::chrono::steady_clock::now();
    const bool shown = session.renderFrame(renderer);
    if (input.update()) {
      // Live, the desktop labels the measurements it stores (its annotations).
      renderer.applyHands(grab, input, session.framesSubmitted(), !live);
      if (desktop) {
        desktop->sendGrab(renderer);
        desktop->sendEdits(renderer.tools());
      }
    }
    renderer.setTrackedHands(input);
    renderer.aimLasers(input);
    if (!shown) continue;
    if (mirrorDue) {
      writeMirror(renderer.captured[0], args.mirror);
      lastMirror = std::chrono::steady_clock::now();
    }
    frameTimes_ms.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
            .count());
    renderTimes_ms.push_back(renderer.renderTime_ms);
    if (frameTimes_ms.size() >= 2000) {  // a live view runs for hours: keep the last 1000
      frameTimes_ms.erase(frameTimes_ms.begin(), frameTimes_ms.begin() + 1000);
      renderTimes_ms.erase(renderTimes_ms.begin(), renderTimes_ms.begin() + 1000);
    }
  }
  const int64_t submitted = session.framesSubmitted();
  session.requestExit();
  for (int loop = 0; loop < 200 && !session.finished(); ++loop) {
    session.pollEvents();
    session.renderFrame(renderer);
  }
  if (live && !desktopEnded && (endless || submitted < args.frames))
    throw Error(ErrorKind::Io,
                "The headset's runtime (" + session.runtimeName() + ") ended the session after " +
                    std::to_string(submitted) +
                    " frames: it stopped or restarted, or the headset was switched off. Start "
                    "the headset view again.",
                session.runtimeName());
  if (!live && submitted < args.frames)
    throw Error(ErrorKind::Io,
                "The headset showed " + std::to_string(submitted) + " of " +
                    std::to_string(args.frames) +
                    " frames before its session ended: check that the headset is on and the "
                    "runtime (" +
                    session.runtimeName() + ") is not shutting down.",
                session.runtimeName());
  const fs::path left = args.outDir / "left.png", right = args.outDir / "right.png";
  // A live view that the desktop ended captured no planned last frame: no eye files then.
  const bool captured = !renderer.captured[0].rgba.empty() && !renderer.captured[1].rgba.empty();
  if (!live || captured) {
    writePng(renderer.captured[0], left);
    writePng(renderer.captured[1], right);
  }
  json result = {
      {"case", args.casePath.string()},
      {"runtime", session.runtimeName()},
      {"glRenderer", glRenderer},
      {"blendMode", blendName(session.blendMode())},
      {"referenceSpace",
       session.referenceSpace() == XR_REFERENCE_SPACE_TYPE_STAGE ? "stage" : "local"},
      {"eyeSize_px", {session.eyeWidth_px(), session.eyeHeight_px()}},
      {"depthFormat", session.depthFormat()},
      {"depthCopy", renderer.depthCopy()},
      {"frames", submitted},
      {"meshes", scene.meshCount()},
      {"controllers", {input.currentProfile(0), input.currentProfile(1)}},
      {"handTracking", input.tracksHands()},
      {"handSources", {sourceName(input.hand(0).source), sourceName(input.hand(1).source)}},
      {"picks", renderer.picks},
      {"sliceMoves", renderer.tools().log()["sliceMoves"]},
      {"visibility", renderer.tools().log()["visibility"]},
      {"measurements", renderer.tools().log()["measurements"]},
      {"frameTimes_ms", frameTimes_ms},
      {"eyeRenderTimes_ms", renderTimes_ms},
      {"meanFrame_ms", mean(frameTimes_ms)},
      {"meanEyeRender_ms", mean(renderTimes_ms)},
      {"lpsToRoom", placementJson(renderer.placement())},
      {"left", captured ? json(left.string()) : json()},
      {"right", captured ? json(right.string()) : json()}};
  if (desktop) result["liveSequence"] = desktop->sequence();
  std::ofstream(args.outDir / "xr-render.json") << result.dump(2) << '\n';
  return result;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "Show a TwinPlan case in the OpenXR headset for N frames; write the last frame's "
      "eye images (left.png, right.png) and frame times (xr-render.json) to --out."};
  Arguments args;
  app.add_option("CASE", args.casePath, "Case file (.twinplan) with surface models")->required();
  app.add_option("--frames", args.frames, "Frames to show (default 60)");
  app.add_option("--out", args.outDir, "Folder for left.png, right.png, xr-render.json")
      ->required();
  app.add_option("--blend", args.blend,
                 "opaque (VR), additive or alpha (mixed reality); default: the headset's own");
  app.add_flag("--volume", args.volume, "Also volume-render the case's first image");
  app.add_option("--preset", args.preset,
                 "Volume rendering preset for --volume, as the 3D view names it ('CT bone', "
                 "'CT soft tissue', 'MR', ...); default: the image's own");
  app.add_flag("--json", args.json, "Print the result as JSON on stdout");
  app.add_option("--live", args.live,
                 "HOST:PORT of the TwinPlan window's session to follow (View in headset); "
                 "with --frames 0 it runs until that session ends");
  app.add_option("--code", args.code, "The session code for --live");
  app.add_flag("--view-commands", args.viewCommands,
               "Follow the window's volume display: JSON lines on standard input, e.g. "
               "{\"volume\": true, \"preset\": \"CT bone\"} (View in headset sends them)");
  app.add_option("--mirror", args.mirror,
                 "Write the left eye to this file (binary PPM, at most 30 times a second)");
  CLI11_PARSE(app, argc, argv);
  try {
    const json result = run(args);
    if (args.json) {
      std::cout << result.dump(2) << '\n';
    } else {
      std::cout << "Showed " << result["frames"] << " frames on " << result["runtime"] << " ("
                << result["blendMode"].get<std::string>() << "), mean "
                << result["meanFrame_ms"].get<double>() << " ms per stereo frame";
      if (result["left"].is_string())
        std::cout << "; wrote " << result["left"].get<std::string>() << " and "
                  << result["right"].get<std::string>();
      std::cout << '\n';
    }
    return 0;
  } catch (const Error& e) {
    if (args.json) std::cout << json{{"error", twinplan::errorJson(e)}}.dump(2) << '\n';
    std::cerr << "twinplan-xr-render: " << e.what();
    if (!e.context().empty()) std::cerr << " [" << e.context() << "]";
    std::cerr << '\n';
    return exitCodeFor(e.kind());
  } catch (const std::exception& e) {
    std::cerr << "twinplan-xr-render: internal error: " << e.what() << '\n';
    return 8;
  }
}
