// twinplan-xr-render: shows a case in the OpenXR headset the loader finds for N frames and
// writes the last frame's eye images and the frame times (issue #20 item 7). `twinplan-cli
// xr-render` runs this program: the CLI itself links no display library (a layer rule in
// cmake/TwinPlanBoundaries.cmake), this one links xr + rendering.
#include <vtkImageData.h>
#include <vtkNew.h>
#include <vtkPNGWriter.h>
#include <vtkUnsignedCharArray.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <numeric>
#include <string>
#include <vector>

#include "twinplan/core/case_file.h"
#include "twinplan/core/error.h"
#include "twinplan/core/job.h"
#include "twinplan/rendering/headset_view.h"
#include "twinplan/rendering/volume_view.h"
#include "twinplan/xr/anatomy_grab.h"
#include "twinplan/xr/glx_context.h"
#include "twinplan/xr/headset_input.h"
#include "twinplan/xr/headset_session.h"

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

struct Arguments {
  fs::path casePath, outDir;
  int frames = 60;
  std::string blend;  // empty: whatever the headset prefers
  bool volume = false;
  bool json = false;
};

// Draws each eye the session asks for with the case's scene; anchors the anatomy in front of
// the viewer at the first eye and keeps it there (the room holds it still as the head moves).
class CaseEyeRenderer final : public xr::EyeRenderer {
 public:
  CaseEyeRenderer(rendering::VolumeView& scene, const rendering::BoxLps& bounds)
      : headset_(scene), bounds_(bounds) {}

  void renderEye(const xr::EyeImage& image) override {
    const auto toVec = [](const XrVector3f& v) { return twinplan::Vec3(v.x, v.y, v.z); };
    const auto toQuat = [](const XrQuaternionf& q) {
      return Eigen::Quaterniond(q.w, q.x, q.y, q.z).normalized();
    };
    if (!placed_) {
      headset_.setPlacement(rendering::placeInFrontOf(bounds_, toVec(image.headPose.position),
                                                      toQuat(image.headPose.orientation)));
      placed_ = true;
    }
    rendering::EyeCamera eye;
    eye.position_m = toVec(image.pose.position);
    eye.orientation = toQuat(image.pose.orientation);
    eye.fov = {image.fov.angleLeft, image.fov.angleRight, image.fov.angleUp, image.fov.angleDown};
    eye.width_px = static_cast<int>(image.width_px);
    eye.height_px = static_cast<int>(image.height_px);
    eye.transparentBackground = image.blendMode != XR_ENVIRONMENT_BLEND_MODE_OPAQUE;
    eye.colorTexture = image.colorTexture;
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
  // The controllers move the anatomy once it stands in the room; a trigger pulled (0.5, as
  // AnatomyGrab's grab level) picks what its laser pointer hits.
  void applyHands(xr::AnatomyGrab& grab, const xr::HeadsetInput& input, int64_t frame) {
    if (!placed_) return;
    headset_.setPlacement(grab.update(placement(), {input.hand(0), input.hand(1)}));
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
  rendering::BoxLps bounds_;
  bool placed_ = false;
  bool triggerHeld_[2] = {false, false};
};

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

// The case's scene as the desktop 3D view shows it: its surface models, and its first volume
// (volume rendering) when asked for.
void buildScene(rendering::VolumeView& scene, const twinplan::Case& twin, const Arguments& args,
                bool softwareGl) {
  if (!twin.meshes.empty()) scene.setMeshes(&twin.meshes);
  if (args.volume && !twin.volumes.empty()) {
    scene.setFastRendering(softwareGl);
    scene.setVolume(&twin.volumes.front());
  }
  if (scene.meshCount() == 0 && !(args.volume && !twin.volumes.empty()))
    throw Error(ErrorKind::InvalidInput,
                "The case has nothing to show in the headset: it has no surface models. Make "
                "them first (twinplan-cli model, or Segment -> Make 3D models in TwinPlan), or "
                "pass --volume to volume-render its image.",
                args.casePath.string());
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
  if (args.frames < 1)
    throw Error(ErrorKind::InvalidInput, "--frames must be at least 1.", "--frames");
  xr::HeadsetOptions options;
  if (!args.blend.empty()) options.acceptedBlendModes = {blendFromName(args.blend)};
  const twinplan::Case twin = twinplan::loadCase(args.casePath);
  fs::create_directories(args.outDir);

  xr::OffscreenGlContext gl;
  const std::string glRenderer = gl.rendererName();
  auto binding = gl.binding();
  xr::HeadsetSession session(binding, options);
  rendering::VolumeView scene;
  buildScene(scene, twin, args, glRenderer.find("llvmpipe") != std::string::npos);
  rendering::BoxLps bounds;
  scene.sceneBounds(bounds);
  CaseEyeRenderer renderer(scene, bounds);
  xr::HeadsetInput input(session);
  xr::AnatomyGrab grab;

  std::vector<double> frameTimes_ms, renderTimes_ms;
  // A runtime may skip rendering now and then (shouldRender false): a generous loop budget.
  for (int loop = 0; loop < 20 * args.frames + 200 && !session.finished() &&
                     session.framesSubmitted() < args.frames;
       ++loop) {
    session.pollEvents();
    renderer.capture = session.framesSubmitted() == args.frames - 1;
    renderer.renderTime_ms = 0.0;
    const auto start = std::chrono::steady_clock::now();
    const bool shown = session.renderFrame(renderer);
    if (input.update()) renderer.applyHands(grab, input, session.framesSubmitted());
    if (!shown) continue;
    frameTimes_ms.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
            .count());
    renderTimes_ms.push_back(renderer.renderTime_ms);
  }
  const int64_t submitted = session.framesSubmitted();
  session.requestExit();
  for (int loop = 0; loop < 200 && !session.finished(); ++loop) {
    session.pollEvents();
    session.renderFrame(renderer);
  }
  if (submitted < args.frames)
    throw Error(ErrorKind::Io,
                "The headset showed " + std::to_string(submitted) + " of " +
                    std::to_string(args.frames) +
                    " frames before its session ended: check that the headset is on and the "
                    "runtime (" +
                    session.runtimeName() + ") is not shutting down.",
                session.runtimeName());
  const fs::path left = args.outDir / "left.png", right = args.outDir / "right.png";
  writePng(renderer.captured[0], left);
  writePng(renderer.captured[1], right);
  json result = {{"case", args.casePath.string()},
                 {"runtime", session.runtimeName()},
                 {"glRenderer", glRenderer},
                 {"blendMode", blendName(session.blendMode())},
                 {"referenceSpace",
                  session.referenceSpace() == XR_REFERENCE_SPACE_TYPE_STAGE ? "stage" : "local"},
                 {"eyeSize_px", {session.eyeWidth_px(), session.eyeHeight_px()}},
                 {"frames", submitted},
                 {"meshes", scene.meshCount()},
                 {"controllers", {input.currentProfile(0), input.currentProfile(1)}},
                 {"picks", renderer.picks},
                 {"frameTimes_ms", frameTimes_ms},
                 {"eyeRenderTimes_ms", renderTimes_ms},
                 {"meanFrame_ms", mean(frameTimes_ms)},
                 {"meanEyeRender_ms", mean(renderTimes_ms)},
                 {"lpsToRoom", placementJson(renderer.placement())},
                 {"left", left.string()},
                 {"right", right.string()}};
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
  app.add_flag("--json", args.json, "Print the result as JSON on stdout");
  CLI11_PARSE(app, argc, argv);
  try {
    const json result = run(args);
    if (args.json) {
      std::cout << result.dump(2) << '\n';
    } else {
      std::cout << "Showed " << result["frames"] << " frames on " << result["runtime"] << " ("
                << result["blendMode"].get<std::string>() << "), mean "
                << result["meanFrame_ms"].get<double>() << " ms per stereo frame; wrote "
                << result["left"].get<std::string>() << " and "
                << result["right"].get<std::string>() << '\n';
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
