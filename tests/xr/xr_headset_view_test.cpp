// The case's scene drawn for both eyes of a headset (rendering::HeadsetSceneRenderer) through
// the real loader and the headless test runtime, checked on the images the runtime recorded:
// the anatomy lies where a pinhole projection of its meshes with each eye's pose and asymmetric
// field of view says, the two eyes differ by the parallax the IPD and distance give, and the
// mixed-reality blend modes get a transparent (alpha) or black (additive) background. Also the
// projection and placement against their definitions, and `twinplan-cli xr-render` end to end.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "../support/dose_fixtures.h"
#include "../support/xr_script_keys.h"
#include "twinplan/core/case_file.h"
#include "twinplan/core/error.h"
#include "twinplan/phantom/phantom.h"
#include "twinplan/rendering/headset_hands.h"
#include "twinplan/rendering/headset_view.h"
#include "twinplan/rendering/volume_view.h"
#include "twinplan/teaching/teaching_session.h"
#include "twinplan/xr/anatomy_grab.h"
#include "twinplan/xr/hand_gestures.h"
#include "twinplan/xr/headset_input.h"
#include "twinplan/xr/headset_session.h"
#include "xr_test_gl.h"
#include "xr_test_png.h"

namespace fs = std::filesystem;
namespace rendering = twinplan::rendering;
namespace test = twinplan::xr::test;
using twinplan::SurfaceMesh;
using twinplan::Vec3;
using twinplan::xr::EyeImage;
using twinplan::xr::HeadsetSession;

namespace {

constexpr double kPi = 3.14159265358979323846;

using test::Png;
using test::readPng;

// A UV sphere (counter-clockwise from outside), `segments` around, segments/2 from pole to pole.
SurfaceMesh uvSphere(const Vec3& centre_lps, double radius_mm, int segments = 96) {
  SurfaceMesh mesh;
  mesh.name = "Sphere";
  mesh.colour = {230, 120, 60};
  const int rings = segments / 2;
  for (int r = 0; r <= rings; ++r) {
    const double polar = kPi * r / rings;
    for (int s = 0; s < segments; ++s) {
      const double azimuth = 2.0 * kPi * s / segments;
      const Vec3 p =
          centre_lps + radius_mm * Vec3(std::sin(polar) * std::cos(azimuth),
                                        std::sin(polar) * std::sin(azimuth), std::cos(polar));
      mesh.points_lps.push_back({float(p.x()), float(p.y()), float(p.z())});
    }
  }
  const auto index = [&](int r, int s) { return uint32_t(r * segments + (s % segments)); };
  for (int r = 0; r < rings; ++r)
    for (int s = 0; s < segments; ++s) {
      mesh.triangles.push_back({index(r, s), index(r + 1, s), index(r + 1, s + 1)});
      mesh.triangles.push_back({index(r, s), index(r + 1, s + 1), index(r, s + 1)});
    }
  return mesh;
}

// Pinhole model of an eye (OpenXR 1.0 section 11.3 "View Locating": pose + XrFovf angles):
// the pixel (x right, y down from the top row, as in the PNG) where a room point appears.
struct PixelBox {
  double xMin = 1e9, xMax = -1e9, yMin = 1e9, yMax = -1e9;
  void add(double x, double y) {
    xMin = std::min(xMin, x), xMax = std::max(xMax, x);
    yMin = std::min(yMin, y), yMax = std::max(yMax, y);
  }
  double xCentre() const { return 0.5 * (xMin + xMax); }
};

Eigen::Vector2d eyePixel(const EyeImage& eye, const Vec3& p_room) {
  const Eigen::Quaterniond q(eye.pose.orientation.w, eye.pose.orientation.x, eye.pose.orientation.y,
                             eye.pose.orientation.z);
  const Vec3 e(eye.pose.position.x, eye.pose.position.y, eye.pose.position.z);
  const Vec3 v = q.conjugate() * (p_room - e);  // x right, y up, -z ahead
  const double u = v.x() / -v.z(), w = v.y() / -v.z();
  const double tanL = std::tan(eye.fov.angleLeft), tanR = std::tan(eye.fov.angleRight);
  const double tanU = std::tan(eye.fov.angleUp), tanD = std::tan(eye.fov.angleDown);
  return {eye.width_px * (u - tanL) / (tanR - tanL), eye.height_px * (tanU - w) / (tanU - tanD)};
}

PixelBox projectedBox(const EyeImage& eye, const rendering::RoomPlacement& lpsToRoom,
                      const std::vector<SurfaceMesh>& meshes) {
  PixelBox box;
  for (const SurfaceMesh& mesh : meshes)
    for (const auto& p : mesh.points_lps) {
      const Eigen::Vector2d px = eyePixel(eye, lpsToRoom * Vec3(p[0], p[1], p[2]));
      box.add(px.x(), px.y());
    }
  return box;
}

// Pixels the anatomy covers: alpha > 0 in an alpha-blend frame, whose background is
// transparent (the desktop view's gradient background would need a colour threshold).
PixelBox coveredBox(const Png& png) {
  PixelBox box;
  for (uint32_t y = 0; y < png.height; ++y)
    for (uint32_t x = 0; x < png.width; ++x)
      if (png.at(x, y)[3] > 0) box.add(x, y), box.add(x + 1.0, y + 1.0);
  return box;
}

// A drawn silhouette's box agrees with the analytic one to 1.5 px: one pixel of rasterisation
// on each side plus the facets of the tessellated surfaces.
void expectSameBox(const PixelBox& seen, const PixelBox& expected) {
  EXPECT_NEAR(seen.xMin, expected.xMin, 1.5);
  EXPECT_NEAR(seen.xMax, expected.xMax, 1.5);
  EXPECT_NEAR(seen.yMin, expected.yMin, 1.5);
  EXPECT_NEAR(seen.yMax, expected.yMax, 1.5);
}

// The head phantom at half resolution with its surface models (brain, ventricles, tumour),
// made once per program.
const twinplan::phantom::Phantom& headPhantom() {
  static const twinplan::phantom::Phantom phantom = [] {
    twinplan::phantom::PhantomOptions options;
    options.kind = twinplan::phantom::PhantomKind::Head;
    options.scale = 0.5;
    return twinplan::phantom::makePhantom(options);
  }();
  return phantom;
}

// The mean x of the covered pixels' centres: the silhouette's centroid, to a small fraction of
// a pixel for a disc of a few hundred pixels (only edge pixels are quantised).
double coveredCentroidX(const Png& png) {
  double sum = 0.0, count = 0.0;
  for (uint32_t y = 0; y < png.height; ++y)
    for (uint32_t x = 0; x < png.width; ++x)
      if (png.at(x, y)[3] > 0) sum += x + 0.5, count += 1.0;
  return count > 0 ? sum / count : -1.0;
}

// Converts what the session hands over into the renderer's eye (what app/xr does too).
class SceneEyes final : public twinplan::xr::EyeRenderer {
 public:
  SceneEyes(rendering::VolumeView& scene, const rendering::BoxLps& bounds)
      : headset(scene), bounds_(bounds) {}
  void renderEye(const EyeImage& image) override {
    if (!placed_) {
      headset.setPlacement(rendering::placeInFrontOf(
          bounds_,
          Vec3(image.headPose.position.x, image.headPose.position.y, image.headPose.position.z),
          Eigen::Quaterniond(image.headPose.orientation.w, image.headPose.orientation.x,
                             image.headPose.orientation.y, image.headPose.orientation.z)));
      placed_ = true;
    }
    rendering::EyeCamera eye;
    eye.position_m = Vec3(image.pose.position.x, image.pose.position.y, image.pose.position.z);
    eye.orientation = Eigen::Quaterniond(image.pose.orientation.w, image.pose.orientation.x,
                                         image.pose.orientation.y, image.pose.orientation.z);
    eye.fov = {image.fov.angleLeft, image.fov.angleRight, image.fov.angleUp, image.fov.angleDown};
    eye.width_px = int(image.width_px);
    eye.height_px = int(image.height_px);
    eye.transparentBackground = image.blendMode != XR_ENVIRONMENT_BLEND_MODE_OPAQUE;
    eye.colorTexture = image.colorTexture;
    eye.near_m = image.near_m;
    eye.far_m = image.far_m;
    eye.depthTexture = image.depthTexture;
    eye.depthFormat = image.depthFormat;
    headset.renderEye(eye);
    eyes.push_back(image);
  }
  rendering::HeadsetSceneRenderer headset;
  std::vector<EyeImage> eyes;

 private:
  rendering::BoxLps bounds_;
  bool placed_ = false;
};

// A sphere of 50 mm radius at the LPS origin as the scene, and the eyes that draw it: what the
// controller tests start from.
struct SphereScene {
  SphereScene() {
    scene.setMeshes(&meshes);
    scene.sceneBounds(bounds);
    eyes.emplace(scene, bounds);
  }
  const std::vector<SurfaceMesh> meshes{uvSphere(Vec3(0, 0, 0), 50.0)};
  rendering::VolumeView scene;
  rendering::BoxLps bounds;
  std::optional<SceneEyes> eyes;
};

class HeadsetViewTest : public ::testing::Test {
 protected:
  // Gives the test runtime `script` (scripted controllers and inputs).
  void useScript(const nlohmann::json& script) {
    std::ofstream(work_ / "script.json") << script.dump();
    setenv("TWINPLAN_XR_TEST_SCRIPT", (work_ / "script.json").c_str(), 1);
  }

  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    work_ = fs::path(TWINPLAN_XR_TEST_WORK_DIR) / info->name();
    fs::remove_all(work_);
    fs::create_directories(work_);
    setenv("XR_RUNTIME_JSON", TWINPLAN_XR_TEST_RUNTIME_JSON, 1);
    setenv("TWINPLAN_XR_TEST_RECORD_DIR", (work_ / "frames").c_str(), 1);
    for (const char* name :
         {"TWINPLAN_XR_TEST_EXIT_AFTER_FRAMES", "TWINPLAN_XR_TEST_SCRIPT", "TWINPLAN_XR_TEST_LOG"})
      unsetenv(name);
    // A mixed-reality headset: the anatomy's pixels are the ones with alpha.
    setenv("TWINPLAN_XR_TEST_BLEND_MODES", "alpha_blend", 1);
  }

  // Shows `meshes` for `frames` frames, then ends the session (destroyed, no more frames);
  // returns the eyes of the last frame.
  std::vector<EyeImage> show(const std::vector<SurfaceMesh>& meshes, int frames,
                             rendering::RoomPlacement& placement,
                             std::vector<XrEnvironmentBlendMode> accepted = {}) {
    auto& gl = test::sharedGlContext();
    EXPECT_TRUE(gl.ok());
    auto binding = gl.binding();
    twinplan::xr::HeadsetOptions options;
    if (!accepted.empty()) options.acceptedBlendModes = accepted;
    rendering::VolumeView scene;
    scene.setMeshes(&meshes);
    rendering::BoxLps bounds;
    scene.sceneBounds(bounds);
    SceneEyes eyes(scene, bounds);
    HeadsetSession session(binding, options);
    for (int i = 0; i < 50 && session.framesSubmitted() < frames; ++i) {
      session.pollEvents();
      session.renderFrame(eyes);
    }
    EXPECT_EQ(session.framesSubmitted(), frames);
    placement = eyes.headset.placement();
    EXPECT_GE(eyes.eyes.size(), 2u);
    return {eyes.eyes[eyes.eyes.size() - 2], eyes.eyes.back()};
  }
  // The runtime's recording of a frame's eye (frames count from 1).
  Png recorded(int frame, const char* eye) const {
    char name[64];
    std::snprintf(name, sizeof name, "frame_%05d_%s.png", frame, eye);
    return readPng(work_ / "frames" / name);
  }

  static std::string text(const fs::path& path) {
    std::ifstream in(path);
    return std::string((std::istreambuf_iterator<char>(in)), {});
  }

  fs::path work_;
};

TEST(HeadsetProjection, MapsTheFrustumEdgesToTheClipBorders) {
  // The test runtime's left eye: -50, +40, +45, -50 degrees.
  const rendering::EyeFieldOfView fov{-50 * kPi / 180, 40 * kPi / 180, 45 * kPi / 180,
                                      -50 * kPi / 180};
  const Eigen::Matrix4d m = rendering::offAxisProjection(fov, 0.1, 10.0);
  const auto ndc = [&](const Vec3& p) {
    const Eigen::Vector4d c = m * Eigen::Vector4d(p.x(), p.y(), p.z(), 1.0);
    return Vec3(c.x() / c.w(), c.y() / c.w(), c.z() / c.w());
  };
  // A point on each edge of the frustum at depth 2 m lands on that border of clip space.
  const double z = -2.0;
  EXPECT_NEAR(ndc({2.0 * std::tan(fov.angleLeft_rad), 0, z}).x(), -1.0, 1e-12);
  EXPECT_NEAR(ndc({2.0 * std::tan(fov.angleRight_rad), 0, z}).x(), 1.0, 1e-12);
  EXPECT_NEAR(ndc({0, 2.0 * std::tan(fov.angleUp_rad), z}).y(), 1.0, 1e-12);
  EXPECT_NEAR(ndc({0, 2.0 * std::tan(fov.angleDown_rad), z}).y(), -1.0, 1e-12);
  // Depth: near plane -> -1, far plane -> +1 (glFrustum).
  EXPECT_NEAR(ndc({0, 0, -0.1}).z(), -1.0, 1e-12);
  EXPECT_NEAR(ndc({0, 0, -10.0}).z(), 1.0, 1e-12);
  EXPECT_THROW(rendering::offAxisProjection({0.5, -0.5, 0.5, -0.5}, 0.1, 10.0), twinplan::Error);
  EXPECT_THROW(rendering::offAxisProjection(fov, 1.0, 0.5), twinplan::Error);
}

TEST(HeadsetPlacement, PutsThePatientUprightFacingTheViewerAt75cm) {
  rendering::BoxLps box;
  box.lo_lps = Vec3(-100, -80, 20);  // 200 x 160 x 300 mm, centre (0, -80 + 80, 170)
  box.hi_lps = Vec3(100, 80, 320);
  const Vec3 head(0.2, 1.6, -0.3);
  const rendering::RoomPlacement p =
      rendering::placeInFrontOf(box, head, Eigen::Quaterniond::Identity());
  // Centre 0.75 m + half the A-P depth (80 mm) ahead (-z), at eye height.
  const Vec3 centre = p * box.centre();
  EXPECT_NEAR((centre - Vec3(0.2, 1.6, -0.3 - 0.83)).norm(), 0.0, 1e-12);
  // Life size; patient left -> viewer's right (+x), superior -> up, anterior -> the viewer.
  EXPECT_NEAR((p.linear() * Vec3(1, 0, 0) - Vec3(0.001, 0, 0)).norm(), 0.0, 1e-15);
  EXPECT_NEAR((p.linear() * Vec3(0, 0, 1) - Vec3(0, 0.001, 0)).norm(), 0.0, 1e-15);
  EXPECT_NEAR((p.linear() * Vec3(0, -1, 0) - Vec3(0, 0, 0.001)).norm(), 0.0, 1e-15);
  // A head turned 90 degrees to its left (looking along -x) and down 30 degrees: the anatomy
  // goes level along -x, still facing the viewer (anterior towards +x).
  const Eigen::Quaterniond turned(Eigen::AngleAxisd(kPi / 2, Vec3::UnitY()) *
                                  Eigen::AngleAxisd(-kPi / 6, Vec3::UnitX()));
  const rendering::RoomPlacement q = rendering::placeInFrontOf(box, head, turned);
  EXPECT_NEAR((q * box.centre() - Vec3(0.2 - 0.83, 1.6, -0.3)).norm(), 0.0, 1e-12);
  EXPECT_NEAR((q.linear() * Vec3(0, -1, 0) - Vec3(0.001, 0, 0)).norm(), 0.0, 1e-15);
}

TEST_F(HeadsetViewTest, TheSphereAppearsWithTheParallaxOfTheIpdAndDistance) {
  // A 100 mm sphere: its nearest point 0.75 m ahead, its centre 0.80 m.
  const std::vector<SurfaceMesh> meshes{uvSphere(Vec3(10, 20, 30), 50.0)};
  rendering::RoomPlacement placement;
  const std::vector<EyeImage> eyes = show(meshes, 2, placement);
  const Png left = recorded(2, "left"), right = recorded(2, "right");
  ASSERT_EQ(left.width, 320u);
  ASSERT_EQ(right.height, 360u);
  const Vec3 centre_room = placement * Vec3(10, 20, 30);
  EXPECT_NEAR((centre_room - Vec3(0, 1.6, -0.80)).norm(), 0.0, 1e-6);

  const PixelBox seenLeft = coveredBox(left), seenRight = coveredBox(right);
  const PixelBox expectLeft = projectedBox(eyes[0], placement, meshes);
  const PixelBox expectRight = projectedBox(eyes[1], placement, meshes);
  for (const auto& [seen, expected] : {std::pair{seenLeft, expectLeft}, {seenRight, expectRight}}) {
    expectSameBox(seen, expected);
  }
  // Horizontal shift of the sphere between the eyes. Left eye frustum (-a, +b), right (-b, +a),
  // a = tan 50, b = tan 40, width W: a point at depth z straight ahead of the head shows at
  // x_left = W (ipd/2z + a)/(a+b) and x_right = W (-ipd/2z + b)/(a+b), so
  // x_left - x_right = W (ipd/z + a - b)/(a+b): the parallax W ipd / (z (a+b)) = 0.063 m / 0.80 m
  // * 320 / 2.0308 = 12.4 px on top of the frusta's own offset of 320 (a-b)/(a+b) = 55.4 px.
  const double a = std::tan(50 * kPi / 180), b = std::tan(40 * kPi / 180);
  const double parallax_px = 320.0 * 0.063 / (0.80 * (a + b));
  const double expectedShift_px = parallax_px + 320.0 * (a - b) / (a + b);
  EXPECT_NEAR(parallax_px, 12.41, 0.01);
  // The silhouettes' centroids: a 68 mm instead of 63 mm IPD would move them by 0.99 px.
  const double centroidShift_px = coveredCentroidX(left) - coveredCentroidX(right);
  EXPECT_NEAR(centroidShift_px, expectedShift_px, 0.35);
  EXPECT_NEAR(seenLeft.xCentre() - seenRight.xCentre(), expectedShift_px, 1.0);
  std::printf(
      "[ figures ] left x %.2f..%.2f (expected %.2f..%.2f), right x %.2f..%.2f "
      "(expected %.2f..%.2f), shift %.2f px (centroids %.3f; expected %.3f)\n",
      seenLeft.xMin, seenLeft.xMax, expectLeft.xMin, expectLeft.xMax, seenRight.xMin,
      seenRight.xMax, expectRight.xMin, expectRight.xMax, seenLeft.xCentre() - seenRight.xCentre(),
      centroidShift_px, expectedShift_px);
  // The sphere's apparent width, 2 f asin(r/d) ~ 2 f r/d: 100 mm at 0.80 m -> 19.7 px.
  EXPECT_NEAR(seenLeft.xMax - seenLeft.xMin, 320.0 / (a + b) * 2 * std::tan(std::asin(0.05 / 0.8)),
              1.5);
}

TEST_F(HeadsetViewTest, ThePhantomsAnatomyIsWhereItsMeshesProject) {
  const twinplan::phantom::Phantom& phantom = headPhantom();
  ASSERT_GE(phantom.twin.meshes.size(), 2u);
  rendering::RoomPlacement placement;
  const std::vector<EyeImage> eyes = show(phantom.twin.meshes, 2, placement);
  const char* names[] = {"left", "right"};
  for (int e = 0; e < 2; ++e) {
    const PixelBox seen = coveredBox(recorded(2, names[e]));
    const PixelBox expected = projectedBox(eyes[e], placement, phantom.twin.meshes);
    EXPECT_GT(expected.xMax - expected.xMin, 15.0) << names[e];  // the anatomy is sizeable
    {
      SCOPED_TRACE(names[e]);
      expectSameBox(seen, expected);
    }
    std::printf(
        "[ figures ] phantom %s: x %.2f..%.2f y %.2f..%.2f (expected %.2f..%.2f, "
        "%.2f..%.2f)\n",
        names[e], seen.xMin, seen.xMax, seen.yMin, seen.yMax, expected.xMin, expected.xMax,
        expected.yMin, expected.yMax);
  }
}

TEST_F(HeadsetViewTest, MixedRealityBackgroundsAreTransparentOrBlack) {
  const std::vector<SurfaceMesh> meshes{uvSphere(Vec3(0, 0, 0), 50.0)};
  rendering::RoomPlacement placement;
  struct Case {
    const char* offered;
    XrEnvironmentBlendMode mode;
  };
  for (const Case& c : {Case{"alpha_blend", XR_ENVIRONMENT_BLEND_MODE_ALPHA_BLEND},
                        Case{"additive", XR_ENVIRONMENT_BLEND_MODE_ADDITIVE},
                        Case{"opaque", XR_ENVIRONMENT_BLEND_MODE_OPAQUE}}) {
    SCOPED_TRACE(c.offered);
    fs::remove_all(work_ / "frames");
    setenv("TWINPLAN_XR_TEST_BLEND_MODES", c.offered, 1);
    const std::vector<EyeImage> eyes = show(meshes, 1, placement, {c.mode});
    ASSERT_EQ(eyes[0].blendMode, c.mode);
    const Png left = recorded(1, "left");
    ASSERT_EQ(left.width, 320u);
    const uint8_t* corner = left.at(2, 2);
    const Eigen::Vector2d centre = eyePixel(eyes[0], placement * Vec3(0, 0, 0));
    const uint8_t* anatomy = left.at(uint32_t(centre.x()), uint32_t(centre.y()));
    EXPECT_EQ(anatomy[3], 255);  // the anatomy is opaque in every mode
    if (c.mode == XR_ENVIRONMENT_BLEND_MODE_OPAQUE) {
      EXPECT_EQ(corner[3], 255);
      // The desktop view's gradient: black at the top, (0.08, 0.09, 0.11) at the bottom.
      const uint8_t* bottom = left.at(2, left.height - 1);
      EXPECT_EQ(bottom[3], 255);
      EXPECT_NEAR(bottom[2], 0.11 * 255, 3);
    } else {
      // Alpha-blend composes by alpha, additive adds the colour: transparent black for both.
      EXPECT_EQ(corner[0], 0);
      EXPECT_EQ(corner[1], 0);
      EXPECT_EQ(corner[2], 0);
      EXPECT_EQ(corner[3], 0);
    }
    EXPECT_GT(anatomy[0], 40);  // lit orange-ish mesh
  }
}

// Where the ray through a pixel's centre meets a sphere, as the distance along the eye's view
// axis (what OpenGL's depth encodes); nullopt when it misses or meets it at a grazing angle
// (cosine of incidence below `minCosine`, where the triangulated sphere's error is magnified).
std::optional<double> sphereViewDepth_m(const EyeImage& eye, double x_px, double y_px,
                                        const Vec3& centre_room, double radius_m,
                                        double minCosine) {
  const Eigen::Quaterniond q(eye.pose.orientation.w, eye.pose.orientation.x, eye.pose.orientation.y,
                             eye.pose.orientation.z);
  const Vec3 e(eye.pose.position.x, eye.pose.position.y, eye.pose.position.z);
  const double tanL = std::tan(eye.fov.angleLeft), tanR = std::tan(eye.fov.angleRight);
  const double tanU = std::tan(eye.fov.angleUp), tanD = std::tan(eye.fov.angleDown);
  const double u = tanL + x_px / eye.width_px * (tanR - tanL);
  const double w = tanU - y_px / eye.height_px * (tanU - tanD);
  const Vec3 d = q * Vec3(u, w, -1.0);  // one unit of view depth along the ray
  // |e + t d - c|^2 = r^2: a t^2 + 2 b t + c0 = 0, the nearer root.
  const Vec3 m = e - centre_room;
  const double a = d.squaredNorm(), b = m.dot(d), c0 = m.squaredNorm() - radius_m * radius_m;
  const double disc = b * b - a * c0;
  if (disc <= 0.0) return std::nullopt;
  const double t = (-b - std::sqrt(disc)) / a;
  const Vec3 normal = (e + t * d - centre_room).normalized();
  if (-normal.dot(d.normalized()) < minCosine) return std::nullopt;
  return t;
}

TEST_F(HeadsetViewTest, SubmittedDepthIsTheDistanceFromTheEye) {
  // Both depth formats the GL binding writes, each first in the runtime's order once: 24-bit
  // normalised and 32-bit float (the colour format stays sRGB).
  const std::vector<SurfaceMesh> meshes{uvSphere(Vec3(0, 0, 0), 50.0)};
  for (const int64_t depthFormat : {int64_t(0x81A6), int64_t(0x8CAC)}) {
    SCOPED_TRACE(depthFormat);
    fs::remove_all(work_ / "frames");
    fs::remove(work_ / "log.jsonl");
    useScript(
        {{"swapchain_formats", {0x8C43, depthFormat}}, {"log", (work_ / "log.jsonl").string()}});
    rendering::RoomPlacement placement;
    const std::vector<EyeImage> eyes = show(meshes, 2, placement);
    ASSERT_EQ(eyes[0].depthFormat, depthFormat);
    EXPECT_FLOAT_EQ(eyes[0].near_m, 0.05f);
    EXPECT_FLOAT_EQ(eyes[0].far_m, 50.0f);
    const double n = eyes[0].near_m, f = eyes[0].far_m;
    // The layer told the compositor the same planes.
    std::ifstream log(work_ / "log.jsonl");
    int framesWithDepth = 0;
    for (std::string line; std::getline(log, line);) {
      const auto entry = nlohmann::json::parse(line);
      if (entry["event"] != "frame" || !entry.contains("views")) continue;
      for (const auto& view : entry["views"]) {
        ASSERT_TRUE(view.contains("depth")) << line;
        EXPECT_NEAR(view["depth"]["near_m"].get<double>(), n, 1e-6);
        EXPECT_NEAR(view["depth"]["far_m"].get<double>(), f, 1e-3);
      }
      ++framesWithDepth;
    }
    EXPECT_EQ(framesWithDepth, 2);

    const Vec3 centre_room = placement * Vec3(0, 0, 0);
    // The UV sphere's facets lie inside the true sphere by at most its sagitta over half a quad's
    // diagonal (96 x 48 quads of 3.75 x 3.75 degrees): r (1 - cos(2.65 deg)) = 53.5 um, which a
    // ray at up to 60 degrees incidence sees as up to twice that. One depth step of either
    // format (2^-24 of the window depth: D24's step, and float32's spacing just below 1) at view
    // depth z is z^2 (f - n) / (f n) 2^-24: 0.76 um at 0.8 m.
    const double halfDiagonal_rad = 0.5 * std::sqrt(2.0) * (2.0 * kPi / 96);
    const double facet_m = 0.05 * (1.0 - std::cos(halfDiagonal_rad)) / 0.5;
    const double zMax_m = 0.85;
    const double step_m = zMax_m * zMax_m * (f - n) / (f * n) * std::ldexp(1.0, -24);
    const char* names[] = {"left", "right"};
    for (int e = 0; e < 2; ++e) {
      SCOPED_TRACE(names[e]);
      const Png colour = recorded(2, names[e]);
      const test::DepthImage depth =
          test::readPfm(work_ / "frames" / (std::string("frame_00002_") + names[e] + "_depth.pfm"));
      ASSERT_EQ(depth.width, colour.width);
      ASSERT_EQ(depth.height, colour.height);
      int compared = 0, background = 0;
      double worstBelow_m = 0.0, worstAbove_m = 0.0;
      for (uint32_t y = 0; y < depth.height; ++y)
        for (uint32_t x = 0; x < depth.width; ++x) {
          const double window = depth.atTopDown(x, y);
          if (colour.at(x, y)[3] == 0) {
            // Nothing drawn: the cleared depth, the far plane.
            EXPECT_EQ(window, 1.0) << x << "," << y;
            ++background;
            continue;
          }
          const auto expected_m =
              sphereViewDepth_m(eyes[e], x + 0.5, y + 0.5, centre_room, 0.05, 0.5);
          if (!expected_m) continue;
          // Window depth -> view depth for glFrustum with OpenGL's default depth range:
          // z = f n / (f - d (f - n)).
          const double z_m = f * n / (f - window * (f - n));
          worstBelow_m = std::min(worstBelow_m, z_m - *expected_m);
          worstAbove_m = std::max(worstAbove_m, z_m - *expected_m);
          ++compared;
        }
      EXPECT_GT(compared, 150);
      EXPECT_GT(background, 100000);
      // Facets are inside the sphere: the depth is never nearer than the true surface (beyond
      // a few depth steps) and farther by at most the facet error.
      EXPECT_GE(worstBelow_m, -4 * step_m);
      EXPECT_LE(worstAbove_m, facet_m + 4 * step_m);
      std::printf(
          "[ figures ] depth format 0x%llX %s eye: %d pixels, view depth error %.1f .. "
          "%.1f um (bounds %.1f .. %.1f um)\n",
          static_cast<unsigned long long>(depthFormat), names[e], compared, worstBelow_m * 1e6,
          worstAbove_m * 1e6, -4 * step_m * 1e6, (facet_m + 4 * step_m) * 1e6);
    }
  }
}

TEST_F(HeadsetViewTest, NoDepthIsSubmittedWhereTheRuntimeLacksTheExtension) {
  useScript({{"depth_layer", false}, {"log", (work_ / "log.jsonl").string()}});
  const std::vector<SurfaceMesh> meshes{uvSphere(Vec3(0, 0, 0), 50.0)};
  rendering::RoomPlacement placement;
  const std::vector<EyeImage> eyes = show(meshes, 2, placement);
  EXPECT_EQ(eyes[0].depthTexture, 0u);
  EXPECT_EQ(eyes[0].depthFormat, 0);
  EXPECT_TRUE(fs::exists(work_ / "frames" / "frame_00002_left.png"));
  EXPECT_FALSE(fs::exists(work_ / "frames" / "frame_00002_left_depth.pfm"));
  EXPECT_EQ(text(work_ / "log.jsonl").find("\"depth\""), std::string::npos);
}

// A CT of 40^3 voxels of 5 mm centred on the LPS origin (a 200 mm cube) whose quadrants, seen
// on a coronal plane, have four grey levels: -60 HU, +150 HU on the patient's right (x < 0),
// +75 HU above the middle (z > 0). Far from the quadrant borders every plane shows one value.
// A CT on `g` whose voxel at LPS point p holds hu(p).
twinplan::ImageVolume ctOf(const twinplan::ImageGeometry& g,
                           const std::function<double(const Vec3&)>& hu) {
  twinplan::ImageVolume ct(g, twinplan::PixelType::Int16);
  ct.name = "CT";
  ct.unit = "HU";
  ct.dicom.modality = "CT";
  auto voxels = ct.voxels<std::int16_t>();
  for (int k = 0; k < g.size[2]; ++k)
    for (int j = 0; j < g.size[1]; ++j)
      for (int i = 0; i < g.size[0]; ++i)
        voxels[g.linearIndex(i, j, k)] = std::int16_t(hu(g.indexToLps(Vec3(i, j, k))));
  return ct;
}

twinplan::ImageVolume quadrantCt() {
  twinplan::ImageGeometry g;
  g.size = {40, 40, 40};
  g.spacing_mm = Vec3(5, 5, 5);
  g.origin_lps = Vec3(-97.5, -97.5, -97.5);
  return ctOf(g, [](const Vec3& p) { return -60 + (p.x() < 0 ? 150 : 0) + (p.z() > 0 ? 75 : 0); });
}

// The DICOM linear VOI function for an 8-bit display (PS3.3 C.11.2.1.2.1): window centre c,
// width w: y = ((x - (c - 0.5)) / (w - 1) + 0.5) * 255, clipped to 0..255.
double voiGrey(double hu, double centre, double width) {
  return std::clamp(((hu - (centre - 0.5)) / (width - 1) + 0.5) * 255.0, 0.0, 255.0);
}

TEST_F(HeadsetViewTest, TheDesktopsSliceIsATexturedPlaneThroughTheAnatomy) {
  const twinplan::ImageVolume ct = quadrantCt();
  auto& gl = test::sharedGlContext();
  ASSERT_TRUE(gl.ok());
  auto binding = gl.binding();
  rendering::VolumeView scene;
  rendering::BoxLps bounds;
  bounds.lo_lps = Vec3(-100, -100, -100);
  bounds.hi_lps = Vec3(100, 100, 100);
  SceneEyes eyes(scene, bounds);
  // The soft-tissue window, 400/40 (what a body CT opens in, initial_window.h).
  rendering::HeadsetSlice slice(scene, ct, {400.0, 40.0});
  HeadsetSession session(binding);
  struct Expected {
    double x_mm, z_mm, hu;
  };
  const Expected quadrants[] = {{-50, 50, 165}, {50, 50, 15}, {-50, -50, 90}, {50, -50, -60}};
  PixelBox boxes[2];
  // Anterior 50 mm (nearer the viewer), then scrolled to posterior 50 mm.
  const double positions_mm[] = {-50.0, 50.0};
  for (int step = 0; step < 2; ++step) {
    SCOPED_TRACE(positions_mm[step]);
    slice.show(rendering::SliceOrientation::Coronal, positions_mm[step]);
    const int64_t before = session.framesSubmitted();
    for (int i = 0; i < 50 && session.framesSubmitted() < before + 1; ++i) {
      session.pollEvents();
      session.renderFrame(eyes);
    }
    const int frame = int(session.framesSubmitted());
    const rendering::RoomPlacement placement = eyes.headset.placement();
    const char* names[] = {"left", "right"};
    for (int e = 0; e < 2; ++e) {
      SCOPED_TRACE(names[e]);
      const EyeImage& eye = eyes.eyes[eyes.eyes.size() - 2 + e];
      const Png png = recorded(frame, names[e]);
      // Each quadrant's grey where its centre projects (unlit: the window's grey itself).
      for (const Expected& q : quadrants) {
        const Eigen::Vector2d px =
            eyePixel(eye, placement * Vec3(q.x_mm, positions_mm[step], q.z_mm));
        const uint8_t* rgba = png.at(uint32_t(px.x()), uint32_t(px.y()));
        EXPECT_NEAR(rgba[0], voiGrey(q.hu, 40, 400), 1.5) << q.x_mm << "," << q.z_mm;
        EXPECT_EQ(rgba[0], rgba[1]);
        EXPECT_EQ(rgba[3], 255);
      }
      // The plane's outline: the volume's 200 mm coronal extent at that depth.
      PixelBox expected;
      for (double x : {-100.0, 100.0})
        for (double z : {-100.0, 100.0}) {
          const Eigen::Vector2d px = eyePixel(eye, placement * Vec3(x, positions_mm[step], z));
          expected.add(px.x(), px.y());
        }
      const PixelBox seen = coveredBox(png);
      expectSameBox(seen, expected);
      if (e == 0) boxes[step] = seen;
    }
  }
  // The scroll moved the plane 100 mm away: 0.80 m -> 0.90 m, so the 200 mm square shrinks
  // from f 0.2 / 0.8 to f 0.2 / 0.9 pixels across (f = 320 / (tan 50 + tan 40) = 157.6 px).
  const double f_px = 320.0 / (std::tan(50 * kPi / 180) + std::tan(40 * kPi / 180));
  EXPECT_NEAR(boxes[0].xMax - boxes[0].xMin, f_px * 0.2 / 0.8, 1.5);
  EXPECT_NEAR(boxes[1].xMax - boxes[1].xMin, f_px * 0.2 / 0.9, 1.5);
  std::printf(
      "[ figures ] slice plane: %.1f px wide at 0.80 m (expected %.1f), %.1f px at 0.90 m "
      "(expected %.1f)\n",
      boxes[0].xMax - boxes[0].xMin, f_px * 0.2 / 0.8, boxes[1].xMax - boxes[1].xMin,
      f_px * 0.2 / 0.9);
  // Hidden: nothing drawn.
  slice.hide();
  const int64_t before = session.framesSubmitted();
  for (int i = 0; i < 50 && session.framesSubmitted() < before + 1; ++i) {
    session.pollEvents();
    session.renderFrame(eyes);
  }
  EXPECT_LT(coveredBox(recorded(int(session.framesSubmitted()), "left")).xMax, 0.0);
}

TEST(AnatomyGrab, OneHandCarriesTheAnatomyTwoHandsScaleIt) {
  twinplan::xr::AnatomyGrab grab;
  Eigen::Affine3d placement = Eigen::Affine3d::Identity();
  placement.linear() *= 0.001;  // life size
  placement.translation() = Vec3(0, 1.5, -0.8);
  std::array<twinplan::xr::HandInput, 2> hands;
  for (auto& hand : hands) hand.tracked = true;
  hands[0].grip.position = {-0.2f, 1.3f, -0.4f};
  hands[1].grip.position = {0.2f, 1.3f, -0.4f};
  // Below the grab threshold nothing moves.
  hands[1].grab = 0.45f;
  EXPECT_TRUE(grab.update(placement, hands).isApprox(placement));
  EXPECT_EQ(grab.handsHolding(), 0);
  // The right hand grabs, moves 10 cm right and turns 90 degrees about +y: the anatomy's
  // centre (0.4 m ahead of the hand, 0.2 m up) turns with it about the hand.
  hands[1].grab = 1.0f;
  placement = grab.update(placement, hands);
  EXPECT_EQ(grab.handsHolding(), 1);
  hands[1].grip.position = {0.3f, 1.3f, -0.4f};
  const Eigen::Quaterniond quarter(Eigen::AngleAxisd(kPi / 2, Vec3::UnitY()));
  hands[1].grip.orientation = {float(quarter.x()), float(quarter.y()), float(quarter.z()),
                               float(quarter.w())};
  placement = grab.update(placement, hands);
  // Centre relative to the hand was (-0.2, 0.2, -0.4); turned 90 degrees about +y:
  // (x, z) -> (z, -x) = (-0.4, 0.2, 0.2) from the hand at (0.3, 1.3, -0.4).
  EXPECT_NEAR((placement.translation() - Vec3(-0.1, 1.5, -0.2)).norm(), 0.0, 1e-6);
  // Held just above the release level (0.4) it stays held (hysteresis).
  hands[1].grab = 0.42f;
  grab.update(placement, hands);
  EXPECT_EQ(grab.handsHolding(), 1);
  // Both hands: 0.4 m apart at first, then 0.8 m: twice the size about the midpoint.
  hands[1].grip = {{0, 0, 0, 1}, {0.2f, 1.3f, -0.4f}};
  hands[0].grab = 1.0f;
  hands[1].grab = 1.0f;
  const Eigen::Affine3d before = grab.update(placement, hands);
  EXPECT_EQ(grab.handsHolding(), 2);
  hands[0].grip.position = {-0.4f, 1.3f, -0.4f};
  hands[1].grip.position = {0.4f, 1.3f, -0.4f};
  const Eigen::Affine3d after = grab.update(before, hands);
  EXPECT_NEAR(std::cbrt(after.linear().determinant()), 0.002, 1e-9);
  const Vec3 mid(0, 1.3, -0.4);
  EXPECT_NEAR(((after.translation() - mid) - 2.0 * (before.translation() - mid)).norm(), 0.0, 1e-6);
}

TEST_F(HeadsetViewTest, AScriptedControllerGrabMovesTheModel) {
  // Oculus Touch controllers: the right hand squeezes from frame 2 and moves 10 cm to the right
  // between frames 4 and 8.
  const nlohmann::json script = {
      {"interaction_profile", "/interaction_profiles/oculus/touch_controller"},
      {"right_hand",
       {{{"frame", 4}, {"position_m", {0.2, 1.3, -0.35}}},
        {{"frame", 8}, {"position_m", {0.3, 1.3, -0.35}}}}},
      {"inputs", {{"/user/hand/right/input/squeeze/value", {{{"frame", 2}, {"value", 1.0}}}}}}};
  useScript(script);
  auto& gl = test::sharedGlContext();
  ASSERT_TRUE(gl.ok());
  auto binding = gl.binding();
  SphereScene sphere;
  SceneEyes& eyes = *sphere.eyes;
  HeadsetSession session(binding);
  twinplan::xr::HeadsetInput input(session);
  twinplan::xr::AnatomyGrab grab;
  rendering::RoomPlacement first;
  for (int i = 0; i < 60 && session.framesSubmitted() < 10; ++i) {
    session.pollEvents();
    session.renderFrame(eyes);
    if (session.framesSubmitted() == 1) first = eyes.headset.placement();
    if (input.update()) {
      eyes.headset.setPlacement(
          grab.update(eyes.headset.placement(), {input.hand(0), input.hand(1)}));
    }
  }
  ASSERT_EQ(session.framesSubmitted(), 10);
  EXPECT_EQ(input.currentProfile(1), "/interaction_profiles/oculus/touch_controller");
  EXPECT_EQ(grab.handsHolding(), 1);
  // The sphere's centre went 0.8 m ahead of the head -> 10 cm to the right.
  const Vec3 start_room = first * Vec3(0, 0, 0);
  const Vec3 end_room = eyes.headset.placement() * Vec3(0, 0, 0);
  EXPECT_NEAR((end_room - start_room - Vec3(0.1, 0, 0)).norm(), 0.0, 1e-5);
  // In the left eye's images: shifted by the projection of that move, f * 0.1 / 0.8 = 19.7 px.
  const EyeImage& left = eyes.eyes[eyes.eyes.size() - 2];
  const double expectedShift_px = eyePixel(left, end_room).x() - eyePixel(left, start_room).x();
  EXPECT_NEAR(expectedShift_px,
              320.0 / (std::tan(50 * kPi / 180) + std::tan(40 * kPi / 180)) * 0.1 / 0.8, 0.05);
  const PixelBox before = coveredBox(recorded(1, "left")), after = coveredBox(recorded(10, "left"));
  EXPECT_NEAR(after.xCentre() - before.xCentre(), expectedShift_px, 1.0);
  std::printf("[ figures ] grab: image shift %.2f px (expected %.2f)\n",
              after.xCentre() - before.xCentre(), expectedShift_px);
  EXPECT_NEAR(after.yMin, before.yMin, 1.0);
}

// Runs the session until `frames` frames were submitted (within 30 loops), reading the
// controllers after each.
void runFrames(HeadsetSession& session, twinplan::xr::EyeRenderer& eyes,
               twinplan::xr::HeadsetInput& input, int frames) {
  for (int i = 0; i < 30 && session.framesSubmitted() < frames; ++i) {
    session.pollEvents();
    session.renderFrame(eyes);
    input.update();
  }
}

// Every controller TwinPlan suggests bindings for, scripted with the inputs that controller
// really has (OpenXR 1.0 section 6.4): Vive and Windows Mixed Reality grips are clicks, Touch
// and Index squeezes are values, the simple controller has only select (and menu, its toggle).
// A binding to a component the controller lacks would leave the action unbound and the grab
// (or toggle) at 0.
TEST_F(HeadsetViewTest, EveryControllerProfileGrabsAndPoints) {
  struct Profile {
    const char* path;
    const char* grab;     // the scripted grip input
    const char* pointer;  // the scripted trigger; nullptr: none (simple controller)
    const char* toggle;   // the right hand's button under the thumb
  };
  const Profile profiles[] = {
      {"/interaction_profiles/khr/simple_controller", "input/select/click", nullptr,
       "input/menu/click"},
      {"/interaction_profiles/oculus/touch_controller", "input/squeeze/value",
       "input/trigger/value", "input/a/click"},
      {"/interaction_profiles/valve/index_controller", "input/squeeze/value", "input/trigger/value",
       "input/a/click"},
      {"/interaction_profiles/htc/vive_controller", "input/squeeze/click", "input/trigger/value",
       "input/trackpad/click"},
      {"/interaction_profiles/microsoft/motion_controller", "input/squeeze/click",
       "input/trigger/value", "input/trackpad/click"}};
  ASSERT_EQ(std::size(profiles), twinplan::xr::HeadsetInput::profiles().size());
  struct NoDrawing final : twinplan::xr::EyeRenderer {
    void renderEye(const EyeImage&) override {}
  } nothing;
  auto& gl = test::sharedGlContext();
  ASSERT_TRUE(gl.ok());
  auto binding = gl.binding();
  for (const Profile& profile : profiles) {
    SCOPED_TRACE(profile.path);
    nlohmann::json inputs = {{std::string("/user/hand/right/") + profile.grab,
                              nlohmann::json::array({{{"frame", 2}, {"value", 1.0}}})},
                             {std::string("/user/hand/right/") + profile.toggle,
                              nlohmann::json::array({{{"frame", 2}, {"value", 1.0}}})}};
    if (profile.pointer)
      inputs[std::string("/user/hand/right/") + profile.pointer] =
          nlohmann::json::array({{{"frame", 2}, {"value", 0.75}}});
    // The left Touch controller's toggle is X (it has no A): pressed, it reads like the right's A.
    const bool touch = std::string(profile.path).find("touch") != std::string::npos;
    if (touch)
      inputs["/user/hand/left/input/x/click"] =
          nlohmann::json::array({{{"frame", 2}, {"value", 1.0}}});
    useScript(
        {{"interaction_profile", profile.path}, {"hand_tracking", false}, {"inputs", inputs}});
    HeadsetSession session(binding);
    twinplan::xr::HeadsetInput input(session);
    runFrames(session, nothing, input, 4);
    ASSERT_EQ(session.framesSubmitted(), 4);
    EXPECT_EQ(input.currentProfile(1), profile.path);
    const twinplan::xr::HandInput& right = input.hand(1);
    EXPECT_TRUE(right.tracked);
    EXPECT_EQ(right.source, twinplan::xr::HandSource::Controller);
    EXPECT_EQ(right.grab, 1.0f);
    EXPECT_EQ(right.pointer, profile.pointer ? 0.75f : 0.0f);
    EXPECT_TRUE(right.toggle);
    EXPECT_EQ(input.hand(0).grab, 0.0f);  // the left hand's grip was not scripted
    EXPECT_EQ(input.hand(0).toggle, touch);
  }
}

TEST_F(HeadsetViewTest, TheTriggerPointsALaserAtTheAnatomy) {
  // The right controller (Oculus Touch) at its default place, (0.2, 1.3, -0.35) m, aims at the
  // sphere's centre and pulls the trigger from frame 2.
  const Vec3 hand(0.2, 1.3, -0.35), centre(0.0, 1.6, -0.80);
  const Eigen::Quaterniond aim =
      Eigen::Quaterniond::FromTwoVectors(Vec3(0, 0, -1), (centre - hand).normalized());
  const nlohmann::json pose = {{"frame", 0},
                               {"position_m", {hand.x(), hand.y(), hand.z()}},
                               {"orientation_xyzw", {aim.x(), aim.y(), aim.z(), aim.w()}}};
  const nlohmann::json script = {
      {"interaction_profile", "/interaction_profiles/oculus/touch_controller"},
      {"right_hand", {pose}},
      {"inputs", {{"/user/hand/right/input/trigger/value", {{{"frame", 2}, {"value", 1.0}}}}}}};
  useScript(script);
  auto& gl = test::sharedGlContext();
  ASSERT_TRUE(gl.ok());
  auto binding = gl.binding();
  SphereScene sphere;
  SceneEyes& eyes = *sphere.eyes;
  HeadsetSession session(binding);
  twinplan::xr::HeadsetInput input(session);
  runFrames(session, eyes, input, 4);
  const twinplan::xr::HandInput& right = input.hand(1);
  EXPECT_GE(right.pointer, 0.5f);
  EXPECT_LT(input.hand(0).pointer, 0.5f);
  // The aim pose's -z axis is where the controller points (OpenXR 1.0 section 6.3.2, aim pose).
  const Eigen::Affine3d aimPose = twinplan::xr::toAffine(right.aim);
  const Vec3 direction = aimPose.linear() * Vec3(0, 0, -1);
  const auto hit = eyes.headset.pick(aimPose.translation(), direction);
  ASSERT_TRUE(hit.hit);
  // Ray-sphere: the ray passes through the centre, so it enters 0.05 m before it.
  const double toCentre_m = (centre - hand).norm();
  EXPECT_NEAR(hit.distance_m, toCentre_m - 0.05, 5e-4);
  EXPECT_NEAR((hit.p_room_m - (hand + (centre - hand).normalized() * (toCentre_m - 0.05))).norm(),
              0.0, 5e-4);
  EXPECT_NEAR(hit.p_lps.norm(), 50.0, 0.5);  // on the sphere, in patient mm
  // Pointing away (up) hits nothing.
  EXPECT_FALSE(eyes.headset.pick(aimPose.translation(), Vec3(0, 1, 0)).hit);
  std::printf("[ figures ] laser: hit at %.4f m (expected %.4f), |p_lps| %.3f mm\n", hit.distance_m,
              toCentre_m - 0.05, hit.p_lps.norm());
}

// The pinch of a tracked hand (hand_gestures.h): 30 mm engages, 40 mm releases, between the two
// the state holds (hysteresis).
TEST(HandGestures, PinchEngagesBelow30mmAndReleasesAbove40mm) {
  twinplan::xr::HandJoints joints{};
  for (auto& joint : joints) {
    joint.locationFlags =
        XR_SPACE_LOCATION_POSITION_VALID_BIT | XR_SPACE_LOCATION_ORIENTATION_VALID_BIT;
    joint.pose = {{0, 0, 0, 1}, {0, 0, 0}};
  }
  joints[XR_HAND_JOINT_WRIST_EXT].pose.position = {0, 0, 0.1f};
  joints[XR_HAND_JOINT_INDEX_PROXIMAL_EXT].pose.position = {0, 0, -0.03f};
  const auto gapOf = [&](float gap_m) {
    joints[XR_HAND_JOINT_INDEX_TIP_EXT].pose.position = {0, 0, -0.1f};
    joints[XR_HAND_JOINT_THUMB_TIP_EXT].pose.position = {-gap_m, 0, -0.1f};
  };
  twinplan::xr::HandGestures hand;
  const std::pair<float, float> steps[] = {{0.050f, 0},  {0.035f, 0}, {0.029f, 1}, {0.035f, 1},
                                           {0.0399f, 1}, {0.041f, 0}, {0.035f, 0}, {0.010f, 1}};
  for (const auto& [gap_m, grab] : steps) {
    gapOf(gap_m);
    const twinplan::xr::HandInput input = hand.read(joints);
    EXPECT_TRUE(input.tracked);
    EXPECT_EQ(input.grab, grab) << "gap " << gap_m << " m";
    // The grip is the pinch point, midway between the tips.
    EXPECT_NEAR(input.grip.position.x, -0.5 * gap_m, 1e-7);
  }
  // A joint that is not located (the hand left the view) lets go.
  joints[XR_HAND_JOINT_THUMB_TIP_EXT].locationFlags = 0;
  EXPECT_FALSE(hand.read(joints).tracked);
  EXPECT_FALSE(hand.pinching());
}

// Scripts a tracked hand (XR_EXT_hand_tracking in the test runtime): its palm pose and gesture
// per key frame.
nlohmann::json handKey(double frame, const Vec3& palm_m, const char* gesture) {
  return {
      {"frame", frame}, {"position_m", {palm_m.x(), palm_m.y(), palm_m.z()}}, {"gesture", gesture}};
}

TEST_F(HeadsetViewTest, AScriptedPinchMovesTheModel) {
  // No controllers; the right hand, open, closes to a pinch by frame 2, carries the pinch 10 cm
  // to the right between frames 4 and 8, opens at frame 9 and moves on another 10 cm.
  const Vec3 palm(0.2, 1.3, -0.35), right(0.1, 0, 0);
  useScript({{"interaction_profile", ""},
             {"hands",
              {{"right",
                {handKey(0, palm, "open"), handKey(2, palm, "pinch"), handKey(4, palm, "pinch"),
                 handKey(8, palm + right, "pinch"), handKey(9, palm + right, "open"),
                 handKey(11, palm + 2 * right, "open")}}}}});
  auto& gl = test::sharedGlContext();
  ASSERT_TRUE(gl.ok());
  auto binding = gl.binding();
  SphereScene sphere;
  SceneEyes& eyes = *sphere.eyes;
  HeadsetSession session(binding);
  ASSERT_TRUE(session.tracksHands());
  twinplan::xr::HeadsetInput input(session);
  ASSERT_TRUE(input.tracksHands());
  twinplan::xr::AnatomyGrab grab;
  rendering::RoomPlacement first;
  int pinchedFrames = 0;
  for (int i = 0; i < 60 && session.framesSubmitted() < 12; ++i) {
    session.pollEvents();
    session.renderFrame(eyes);
    if (session.framesSubmitted() == 1) first = eyes.headset.placement();
    if (!input.update()) continue;
    const twinplan::xr::HandInput& hand = input.hand(1);
    ASSERT_TRUE(input.jointsLocated(1));
    EXPECT_EQ(hand.source, twinplan::xr::HandSource::TrackedHand);
    EXPECT_EQ(input.hand(0).source, twinplan::xr::HandSource::Untracked);  // no left hand
    // The gap between the located tips decides, as the thresholds say.
    const double gap_m = twinplan::xr::pinchDistance_m(input.joints(1));
    if (gap_m < twinplan::xr::HandGestures::kPinchAt_m) {
      EXPECT_EQ(hand.grab, 1.0f);
    }
    if (gap_m > twinplan::xr::HandGestures::kPinchReleaseAbove_m) {
      EXPECT_EQ(hand.grab, 0.0f);
    }
    pinchedFrames += hand.grab > 0.5f;
    eyes.headset.setPlacement(grab.update(eyes.headset.placement(), {input.hand(0), hand}));
  }
  ASSERT_EQ(session.framesSubmitted(), 12);
  EXPECT_EQ(grab.handsHolding(), 0);
  EXPECT_EQ(pinchedFrames, 7);  // frames 2 to 8
  // Only the pinched move carried the model: 10 cm to the right, not 20.
  const Vec3 start_room = first * Vec3(0, 0, 0);
  const Vec3 end_room = eyes.headset.placement() * Vec3(0, 0, 0);
  EXPECT_NEAR((end_room - start_room - right).norm(), 0.0, 1e-5);
  const EyeImage& left = eyes.eyes[eyes.eyes.size() - 2];
  const double expectedShift_px = eyePixel(left, end_room).x() - eyePixel(left, start_room).x();
  const PixelBox before = coveredBox(recorded(1, "left")), after = coveredBox(recorded(12, "left"));
  EXPECT_NEAR(after.xCentre() - before.xCentre(), expectedShift_px, 1.0);
  std::printf("[ figures ] pinch grab: model moved %.5f m, image shift %.2f px (expected %.2f)\n",
              (end_room - start_room).norm(), after.xCentre() - before.xCentre(), expectedShift_px);
}

TEST_F(HeadsetViewTest, TwoPinchingHandsScaleTheModel) {
  // Both hands, palms 20 cm apart, pinch at frame 3 (once the model stands in the room), then
  // draw apart to 40 cm: the model grows by the ratio of the pinch points' distances.
  const Vec3 centre(0, 1.3, -0.35), half(0.1, 0, 0);
  const auto hand = [&](const Vec3& side) {
    return nlohmann::json{handKey(0, centre + side, "open"), handKey(2, centre + side, "open"),
                          handKey(3, centre + side, "pinch"), handKey(4, centre + side, "pinch"),
                          handKey(8, centre + 2 * side, "pinch")};
  };
  useScript(
      {{"interaction_profile", ""}, {"hands", {{"left", hand(-half)}, {"right", hand(half)}}}});
  auto& gl = test::sharedGlContext();
  ASSERT_TRUE(gl.ok());
  auto binding = gl.binding();
  SphereScene sphere;
  SceneEyes& eyes = *sphere.eyes;
  HeadsetSession session(binding);
  twinplan::xr::HeadsetInput input(session);
  twinplan::xr::AnatomyGrab grab;
  double startSpan_m = 0, endSpan_m = 0, startScale = 0;
  for (int i = 0; i < 60 && session.framesSubmitted() < 10; ++i) {
    session.pollEvents();
    session.renderFrame(eyes);
    if (!input.update()) continue;
    const Vec3 p0 = twinplan::xr::toAffine(input.hand(0).grip).translation();
    const Vec3 p1 = twinplan::xr::toAffine(input.hand(1).grip).translation();
    if (grab.handsHolding() < 2) {
      startSpan_m = (p1 - p0).norm();
      startScale = std::cbrt(eyes.headset.placement().linear().determinant());
    }
    endSpan_m = (p1 - p0).norm();
    eyes.headset.setPlacement(
        grab.update(eyes.headset.placement(), {input.hand(0), input.hand(1)}));
  }
  ASSERT_EQ(grab.handsHolding(), 2);
  // The pinch points lie inside the palms (towards the thumbs): closer together than the palms.
  EXPECT_LT(startSpan_m, 0.2);
  EXPECT_NEAR(endSpan_m - startSpan_m, 0.2, 1e-5);
  const double scale = std::cbrt(eyes.headset.placement().linear().determinant());
  EXPECT_NEAR(scale / startScale, endSpan_m / startSpan_m, 1e-4);
  std::printf("[ figures ] two-hand pinch: span %.4f -> %.4f m, scale x%.4f\n", startSpan_m,
              endSpan_m, scale / startScale);
}

TEST_F(HeadsetViewTest, ThePointingIndexFingerIsTheLaserPointer) {
  // The right hand points (index straight, the others curled) straight ahead, its index finger
  // on the line through the sphere's centre: the test runtime's right index knuckle is 24 mm to
  // the thumb's side of the palm joint and its tip 111 mm ahead of it (runtime_hands.cpp).
  const Vec3 centre(0.0, 1.6, -0.80), palm(0.024, 1.6, -0.35);
  useScript({{"interaction_profile", ""},
             {"hands", {{"right", {handKey(0, palm, "open"), handKey(3, palm, "point")}}}}});
  auto& gl = test::sharedGlContext();
  ASSERT_TRUE(gl.ok());
  auto binding = gl.binding();
  SphereScene sphere;
  SceneEyes& eyes = *sphere.eyes;
  HeadsetSession session(binding);
  twinplan::xr::HeadsetInput input(session);
  std::vector<float> pointer;
  for (int i = 0; i < 30 && session.framesSubmitted() < 4; ++i) {
    session.pollEvents();
    session.renderFrame(eyes);
    if (input.update()) pointer.push_back(input.hand(1).pointer);
  }
  ASSERT_GE(pointer.size(), 3u);
  EXPECT_EQ(pointer.front(), 0.0f);  // an open hand does not point
  EXPECT_EQ(pointer.back(), 1.0f);
  const Eigen::Affine3d aim = twinplan::xr::toAffine(input.hand(1).aim);
  const Vec3 tip = palm + Vec3(-0.024, 0, -0.111);
  EXPECT_NEAR((aim.translation() - tip).norm(), 0.0, 1e-5);
  const Vec3 direction = aim.linear() * Vec3(0, 0, -1);
  EXPECT_NEAR((direction - Vec3(0, 0, -1)).norm(), 0.0, 1e-5);
  const auto hit = eyes.headset.pick(aim.translation(), direction);
  ASSERT_TRUE(hit.hit);
  // The ray runs along -z through the centre: it enters the 50 mm sphere at z = -0.75 m.
  EXPECT_NEAR(hit.distance_m, 0.75 - 0.35 - 0.111, 5e-4);
  EXPECT_NEAR(hit.p_lps.norm(), 50.0, 0.5);
  std::printf("[ figures ] index-finger laser: hit at %.4f m (expected %.4f)\n", hit.distance_m,
              0.75 - 0.35 - 0.111);
}

TEST_F(HeadsetViewTest, ControllersWithoutHandTrackingStillGrab) {
  // A runtime without XR_EXT_hand_tracking (its scripted hands ignored), and one with it where
  // the hand holds a controller: the controllers drive, silently.
  for (const bool offered : {false, true}) {
    useScript(
        {{"hand_tracking", offered},
         {"interaction_profile", "/interaction_profiles/oculus/touch_controller"},
         {"hands", {{"right", {handKey(0, Vec3(0.2, 1.3, -0.35), "pinch")}}}},
         {"inputs", {{"/user/hand/right/input/squeeze/value", {{{"frame", 2}, {"value", 1.0}}}}}}});
    auto& gl = test::sharedGlContext();
    ASSERT_TRUE(gl.ok());
    auto binding = gl.binding();
    SphereScene sphere;
    SceneEyes& eyes = *sphere.eyes;
    HeadsetSession session(binding);
    EXPECT_EQ(session.tracksHands(), offered);
    twinplan::xr::HeadsetInput input(session);
    EXPECT_EQ(input.tracksHands(), offered);
    for (int i = 0; i < 30 && session.framesSubmitted() < 3; ++i) {
      session.pollEvents();
      session.renderFrame(eyes);
      input.update();
    }
    EXPECT_EQ(input.hand(1).source, twinplan::xr::HandSource::Controller) << offered;
    EXPECT_EQ(input.hand(1).grab, 1.0f);
    EXPECT_EQ(input.jointsLocated(1), offered);
  }
}

int lastDisplayed(const fs::path& log);
std::vector<EyeImage> loggedEyes(const fs::path& log, int frame);

// `twinplan-cli xr-render` end to end: the CLI runs twinplan-xr-render, which shows the case on
// the runtime the loader finds.
class XrRenderCliTest : public HeadsetViewTest {
 protected:
  // The sample case: the head phantom's volumes and models.
  fs::path writeHeadCase() {
    const fs::path path = work_ / "head.twinplan";
    twinplan::saveCase(headPhantom().twin, path);
    return path;
  }
  // A case with one sphere model, or none.
  fs::path writeSphereCase(bool withModel) {
    twinplan::Case twin;
    twin.name = "Sphere";
    if (withModel) twin.meshes.push_back(uvSphere(Vec3(0, 0, 0), 40.0, 24));
    const fs::path path = work_ / "sphere.twinplan";
    twinplan::saveCase(twin, path);
    return path;
  }
  // The case a desktop shares for its slice: the quadrant CT and a 10 mm sphere model at its
  // centre.
  fs::path writeSliceCase() {
    twinplan::Case twin;
    twin.name = "Slice";
    twin.volumes.push_back(quadrantCt());
    twin.meshes.push_back(uvSphere(Vec3(0, 0, 0), 10.0, 24));
    const fs::path path = work_ / "slice.twinplan";
    twinplan::saveCase(twin, path);
    return path;
  }
  int cli(const std::string& arguments) {
    const std::string command = std::string(TWINPLAN_CLI) + " " + arguments + " >" +
                                (work_ / "stdout.txt").string() + " 2>" +
                                (work_ / "stderr.txt").string();
    const int status = std::system(command.c_str());
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  std::string text(const char* name) const {
    std::ifstream in(work_ / name);
    return std::string((std::istreambuf_iterator<char>(in)), {});
  }
  // Runs `twinplan-cli xr-render CASE --live` against `presenter` (started here) until
  // `done(last displayed frame)` says so, then stops the presenter (the window closing the
  // headset view) and waits for the program. Returns the last displayed frame when done()
  // ended it, 0 when the program ended first or failed.
  int runLive(const fs::path& casePath, twinplan::teaching::Presenter& presenter,
              const std::function<bool(int)>& done) {
    const fs::path log = work_ / "log.jsonl";
    setenv("TWINPLAN_XR_TEST_LOG", log.c_str(), 1);
    // The program's first frames compile VTK's shaders on llvmpipe: on a loaded machine (load
    // 20) one took longer than the default 2 s of silence after which a participant is dropped.
    twinplan::teaching::HostOptions host;
    host.dropAfter_s = 10.0;
    host.participantsMayEdit = true;  // as View in headset: the controllers move the slice ...
    presenter.start(host);
    const std::string address = "127.0.0.1:" + std::to_string(presenter.port());
    const std::string code = presenter.sessionCode();
    const pid_t child = fork();
    if (child == 0) {
      const std::string out = (work_ / "out").string();
      if (!std::freopen((work_ / "stderr.txt").c_str(), "w", stderr) ||
          !std::freopen((work_ / "stdout.txt").c_str(), "w", stdout))
        _exit(126);
      execl(TWINPLAN_CLI, TWINPLAN_CLI, "xr-render", casePath.c_str(), "--frames", "0", "--out",
            out.c_str(), "--live", address.c_str(), "--code", code.c_str(),
            static_cast<char*>(nullptr));
      _exit(127);
    }
    EXPECT_GT(child, 0);
    int endAt = 0, status = -1;
    bool exited = false;
    for (int i = 0; i < 6000 && !exited; ++i) {  // at most 30 s
      presenter.service(5);
      const int shown = lastDisplayed(log);
      if (done(shown)) {
        endAt = shown;
        break;
      }
      exited = waitpid(child, &status, WNOHANG) == child;
    }
    presenter.stop();  // the window closes the headset view: the program ends its session
    if (!exited && waitpid(child, &status, 0) != child) status = -1;
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << text("stderr.txt");
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? endAt : 0;
  }
  // Where the program placed the anatomy (xr-render.json's lpsToRoom).
  rendering::RoomPlacement livePlacement() const {
    const auto result = nlohmann::json::parse(std::ifstream(work_ / "out" / "xr-render.json"));
    rendering::RoomPlacement placement;
    for (int r = 0; r < 4; ++r)
      for (int c = 0; c < 4; ++c) placement.matrix()(r, c) = result["lpsToRoom"][r][c];
    return placement;
  }
  // What `twinplan-cli --json xr-render CASE --frames N --blend alpha` showed of a case: the
  // program's JSON, where it placed the anatomy, the last frame's eyes as the runtime's log
  // states them and the eye images the program wrote.
  struct HeadsetRun {
    nlohmann::json result;
    rendering::RoomPlacement placement = rendering::RoomPlacement::Identity();
    std::vector<EyeImage> eyes;
    std::array<Png, 2> images;  // left, right
  };
  HeadsetRun renderCaseInHeadset(const twinplan::Case& twin, int frames = 2,
                                 const std::string& options = "") {
    const fs::path casePath = work_ / "case.twinplan";
    twinplan::saveCase(twin, casePath);
    const fs::path out = work_ / "out";
    setenv("TWINPLAN_XR_TEST_LOG", (work_ / "log.jsonl").c_str(), 1);
    HeadsetRun run;
    const int status = cli("--json xr-render " + casePath.string() + " --frames " +
                           std::to_string(frames) + " --blend alpha " + options + " --out " +
                           out.string());
    EXPECT_EQ(status, 0) << text("stderr.txt");
    if (status != 0) return run;
    run.result = nlohmann::json::parse(text("stdout.txt"));
    run.placement = livePlacement();
    run.eyes = loggedEyes(work_ / "log.jsonl", frames);
    run.images = {readPng(out / "left.png"), readPng(out / "right.png")};
    return run;
  }
};

TEST_F(XrRenderCliTest, WritesTheLastFramesEyesAndFrameTimes) {
  const fs::path casePath = writeHeadCase();
  const fs::path out = work_ / "out";
  ASSERT_EQ(cli("--json xr-render " + casePath.string() + " --frames 3 --blend alpha --out " +
                out.string()),
            0)
      << text("stderr.txt");
  const nlohmann::json result = nlohmann::json::parse(text("stdout.txt"));
  EXPECT_EQ(result["runtime"], "TwinPlan XR test runtime");
  EXPECT_EQ(result["blendMode"], "alpha");
  EXPECT_EQ(result["frames"], 3);
  EXPECT_EQ(result["meshes"], 3);
  // The test runtime tracks hands, but its simple controllers are held: they drive.
  EXPECT_EQ(result["handTracking"], true);
  EXPECT_EQ(result["handSources"], nlohmann::json::array({"controller", "controller"}));
  // The runtime offers depth: submitted, copied on the GPU or through host memory.
  EXPECT_NE(result["depthFormat"].get<int64_t>(), 0);
  const std::string depthCopy = result["depthCopy"];
  EXPECT_TRUE(depthCopy == "blit" || depthCopy == "read-back") << depthCopy;
  std::printf("[ figures ] xr-render depth format 0x%llX, copied by %s\n",
              static_cast<unsigned long long>(result["depthFormat"].get<int64_t>()),
              depthCopy.c_str());
  ASSERT_EQ(result["frameTimes_ms"].size(), 3u);
  for (const auto& t : result["frameTimes_ms"]) EXPECT_GT(t.get<double>(), 0.0);
  EXPECT_EQ(nlohmann::json::parse(std::ifstream(out / "xr-render.json")), result);
  // The images the program wrote are the ones the headset received (the runtime's recording
  // of frame 3), byte for byte, and show the anatomy.
  for (const char* eye : {"left", "right"}) {
    SCOPED_TRACE(eye);
    const Png written = readPng(out / (std::string(eye) + ".png"));
    const Png received = recorded(3, eye);
    ASSERT_EQ(written.width, 320u);
    ASSERT_EQ(written.height, 360u);
    EXPECT_TRUE(written.rgba == received.rgba);
    const PixelBox covered = coveredBox(written);
    EXPECT_GT(covered.xMax - covered.xMin, 15.0);
  }
}

TEST_F(XrRenderCliTest, SaysWhatToInstallWhenNoRuntimeIsThere) {
  const fs::path casePath = writeSphereCase(true);
  setenv("XR_RUNTIME_JSON", (work_ / "no-such-runtime.json").c_str(), 1);
  const fs::path out = work_ / "out";
  EXPECT_EQ(cli("xr-render " + casePath.string() + " --frames 2 --out " + out.string()),
            4);  // NotFound
  const std::string message = text("stderr.txt");
  EXPECT_NE(message.find("No OpenXR runtime is installed"), std::string::npos) << message;
  EXPECT_NE(message.find("Monado, SteamVR, Meta Quest Link"), std::string::npos) << message;
  EXPECT_FALSE(fs::exists(out / "left.png"));
}

TEST_F(XrRenderCliTest, RefusesACaseWithNothingToShow) {
  const fs::path casePath = writeSphereCase(false);
  EXPECT_EQ(cli("xr-render " + casePath.string() + " --frames 2 --out " + (work_ / "out").string()),
            3);  // InvalidInput
  EXPECT_NE(text("stderr.txt").find("no surface models"), std::string::npos) << text("stderr.txt");
  EXPECT_EQ(cli("xr-render " + casePath.string() + " --frames 0 --out " + (work_ / "out").string()),
            3);
  EXPECT_NE(text("stderr.txt").find("--frames must be at least 1"), std::string::npos);
}

// The eyes of displayed frame `frame` as the runtime's log states them (pose, field of view).
std::vector<EyeImage> loggedEyes(const fs::path& log, int frame) {
  std::ifstream in(log);
  for (std::string line; std::getline(in, line);) {
    const auto entry = nlohmann::json::parse(line);
    if (entry["event"] != "frame" || entry["displayed"] != frame || !entry.contains("views"))
      continue;
    std::vector<EyeImage> eyes;
    for (const auto& view : entry["views"]) {
      EyeImage eye;
      const auto& p = view["pose"]["position_m"];
      const auto& q = view["pose"]["orientation_xyzw"];
      eye.pose = {{q[0], q[1], q[2], q[3]}, {p[0], p[1], p[2]}};
      eye.fov = {view["fov"]["left"], view["fov"]["right"], view["fov"]["up"], view["fov"]["down"]};
      eye.width_px = view["width"];
      eye.height_px = view["height"];
      eyes.push_back(eye);
    }
    return eyes;
  }
  return {};
}

// The last displayed frame in the runtime's log (0 before the first).
int lastDisplayed(const fs::path& log) {
  std::ifstream in(log);
  int last = 0;
  for (std::string line; std::getline(in, line);) {
    const auto entry = nlohmann::json::parse(line, nullptr, false);
    if (!entry.is_discarded() && entry["event"] == "frame" && entry.contains("views"))
      last = std::max(last, entry["displayed"].get<int>());
  }
  return last;
}

TEST_F(XrRenderCliTest, APresentersScrollMovesTheSliceInTheHeadset) {
  const fs::path casePath = writeSliceCase();
  const fs::path log = work_ / "log.jsonl";

  // The window's presenter: coronal slice 50 mm anterior, then scrolled 100 mm back.
  twinplan::teaching::Presenter presenter;
  presenter.apply(twinplan::teaching::SetSlice{{true, "coronal", -50.0}});
  int scrolledAt = 0;
  const int endAt = runLive(casePath, presenter, [&](int shown) {
    if (scrolledAt == 0 && shown >= 5) {
      presenter.apply(twinplan::teaching::SetSlice{{true, "coronal", 50.0}});
      scrolledAt = shown;
    }
    return scrolledAt > 0 && shown >= scrolledAt + 10;
  });
  ASSERT_GT(endAt, scrolledAt) << "the headset did not keep rendering";
  const rendering::RoomPlacement placement = livePlacement();

  // Before the scroll (frame 5) and after it (the last frame): the quadrants' greys where they
  // project at each position, and the plane's width at its distance.
  const double f_px = 320.0 / (std::tan(50 * kPi / 180) + std::tan(40 * kPi / 180));
  struct Step {
    int frame;
    double y_mm;
  };
  double widths[2];
  int index = 0;
  for (const Step step : {Step{5, -50.0}, Step{endAt, 50.0}}) {
    SCOPED_TRACE(step.frame);
    const std::vector<EyeImage> eyes = loggedEyes(log, step.frame);
    ASSERT_EQ(eyes.size(), 2u);
    const Png left = recorded(step.frame, "left");
    for (const auto& [x, z, hu] : {std::tuple{-50.0, 50.0, 165.0}, {50.0, -50.0, -60.0}}) {
      const Eigen::Vector2d px = eyePixel(eyes[0], placement * Vec3(x, step.y_mm, z));
      EXPECT_NEAR(left.at(uint32_t(px.x()), uint32_t(px.y()))[0], voiGrey(hu, 40, 400), 1.5);
    }
    const PixelBox seen = coveredBox(left);
    widths[index] = seen.xMax - seen.xMin;
    // 200 mm at the plane's distance from the eye along the view axis.
    const double depth_m = -(placement * Vec3(0, step.y_mm, 0)).z();
    EXPECT_NEAR(widths[index], f_px * 0.2 / depth_m, 1.5);
    ++index;
  }
  EXPECT_LT(widths[1], widths[0] - 3.0);  // it went back: smaller (44.4 -> 38.9 px)
  std::printf(
      "[ figures ] live scroll: slice %.1f px wide at frame 5, %.1f px at frame %d "
      "(scrolled at frame %d)\n",
      widths[0], widths[1], endAt, scrolledAt);
}

// The pointer's red (255, 40, 40): red, four times the other channels (a line's smoothed edge
// pixels come out darker, 217, 34, 34).
bool isPointerRed(const uint8_t* p) { return p[0] >= 180 && p[1] * 4 <= p[0] && p[2] * 4 <= p[0]; }

// Whether a pixel within one pixel of `at` passes `test`.
template <typename Test>
bool within1px(const Png& png, const Eigen::Vector2d& at, Test test) {
  for (int dy = -1; dy <= 1; ++dy)
    for (int dx = -1; dx <= 1; ++dx)
      if (test(png.at(uint32_t(at.x() + dx), uint32_t(at.y() + dy)))) return true;
  return false;
}

// How many of 10 points from 30 % to 75 % of the way from `from_room` to `to_room` have a
// pointer-red pixel within one pixel of their projection in `eye`: a drawn ray gives 10.
int redAlongRay(const Png& png, const EyeImage& eye, const Vec3& from_room, const Vec3& to_room) {
  int onRay = 0;
  for (int i = 0; i < 10; ++i) {
    const double t = 0.3 + 0.05 * i;
    onRay += within1px(png, eyePixel(eye, from_room + t * (to_room - from_room)), isPointerRed);
  }
  return onRay;
}

TEST_F(XrRenderCliTest, ThePresentersPointerAndAnnotationsShowInTheHeadset) {
  // A 40 mm sphere at the origin; the presenter points at its centre obliquely from the front,
  // the patient's right and above, and marks a point in front of it.
  twinplan::Case twin;
  twin.name = "Pointer";
  twin.meshes.push_back(uvSphere(Vec3(0, 0, 0), 40.0, 48));
  const fs::path casePath = work_ / "pointer.twinplan";
  twinplan::saveCase(twin, casePath);
  const Vec3 origin(-150.0, -200.0, 120.0), aimAt(0, 0, 0);
  const Vec3 direction = (aimAt - origin).normalized();
  const Vec3 marked(35.0, -70.0, -30.0);
  twinplan::teaching::Presenter presenter;
  presenter.apply(twinplan::teaching::SetPointer{
      {true, {origin.x(), origin.y(), origin.z()}, {direction.x(), direction.y(), direction.z()}}});
  presenter.apply(twinplan::teaching::AddAnnotation{
      {1, {marked.x(), marked.y(), marked.z()}, "Resection margin"}});
  const int endAt = runLive(casePath, presenter, [](int shown) { return shown >= 6; });
  ASSERT_GE(endAt, 6);
  const rendering::RoomPlacement placement = livePlacement();
  const std::vector<EyeImage> eyes = loggedEyes(work_ / "log.jsonl", endAt);
  ASSERT_EQ(eyes.size(), 2u);
  // The ray meets the sphere 40 mm before its centre (it is aimed at the centre): the dot.
  const Vec3 hit = aimAt - 40.0 * direction;
  const char* names[] = {"left", "right"};
  for (int e = 0; e < 2; ++e) {
    SCOPED_TRACE(names[e]);
    const Png png = recorded(endAt, names[e]);
    const Eigen::Vector2d dot = eyePixel(eyes[e], placement * hit);
    EXPECT_TRUE(isPointerRed(png.at(uint32_t(dot.x()), uint32_t(dot.y()))));
    const int onRay = redAlongRay(png, eyes[e], placement * origin, placement * hit);
    const int samples = 10;
    EXPECT_EQ(onRay, samples);
    // The annotation's yellow marker (255, 220, 0), 2.2 pixels across at 0.7 m, in its own
    // colour (within 3 of 255 per channel). It came out at 0.70 of it (179, 155, 0) while the
    // scene's FXAA ran on the eye images: the screen-space filter blended the 2-pixel marker with
    // the black around it by its luma contrast (the red dot, of lower luma, was spared).
    const Eigen::Vector2d mark = eyePixel(eyes[e], placement * marked);
    uint8_t markerRgb[3] = {0, 0, 0};
    EXPECT_TRUE(within1px(png, mark, [&](const uint8_t* p) {
      const bool yellow = std::abs(p[0] - 255) <= 3 && std::abs(p[1] - 220) <= 3 && p[2] <= 3;
      if (yellow) std::copy(p, p + 3, markerRgb);
      return yellow;
    }));
    std::printf(
        "[ figures ] %s eye: dot at (%.1f, %.1f), marker at (%.1f, %.1f) rgb %d,%d,%d, ray "
        "%d/%d\n",
        names[e], dot.x(), dot.y(), mark.x(), mark.y(), markerRgb[0], markerRgb[1], markerRgb[2],
        onRay, samples);
  }
}

// A cubic grid of n^3 voxels of `spacing_mm`, centred on the LPS origin.
twinplan::ImageGeometry gridAroundOrigin(int n, double spacing_mm) {
  twinplan::ImageGeometry grid;
  grid.size = {n, n, n};
  grid.spacing_mm = Vec3(spacing_mm, spacing_mm, spacing_mm);
  const double half_mm = 0.5 * (n - 1) * spacing_mm;
  grid.origin_lps = Vec3(-half_mm, -half_mm, -half_mm);
  return grid;
}

// A case holding one result field and nothing else (no image, no models).
twinplan::Case caseWithOnly(const twinplan::ScalarField& field) {
  twinplan::Case twin;
  twin.name = field.name;
  twin.fields.push_back(field);
  return twin;
}

TEST_F(XrRenderCliTest, ADosesIsodoseSurfacesShowInTheHeadset) {
  // A case with only a result: a Gaussian dose, peak 60 Gy, sigma 20 mm, on a 2 mm grid. Its
  // isodose at a fraction f of the peak is the sphere r = sigma sqrt(-2 ln f): 50 % at
  // 23.55 mm, 95 % at 6.40 mm.
  const HeadsetRun run = renderCaseInHeadset(caseWithOnly(
      twinplan::test::gaussianDose(gridAroundOrigin(61, 2.0), Vec3(0, 0, 0), 60.0, 20.0)));
  ASSERT_EQ(run.eyes.size(), 2u);
  EXPECT_EQ(run.result["meshes"], 2);  // the 50 % and 95 % surfaces
  const double r50_mm = 20.0 * std::sqrt(-2.0 * std::log(0.5));
  EXPECT_NEAR(r50_mm, 23.55, 0.01);
  const std::vector<SurfaceMesh> isodose50{uvSphere(Vec3(0, 0, 0), r50_mm, 96)};
  const char* names[] = {"left", "right"};
  for (int e = 0; e < 2; ++e) {
    SCOPED_TRACE(names[e]);
    const Png& png = run.images[std::size_t(e)];
    // The outer (50 %) surface's silhouette is where its analytic sphere projects.
    const PixelBox seen = coveredBox(png),
                   expected = projectedBox(run.eyes[e], run.placement, isodose50);
    expectSameBox(seen, expected);
    // Through the centre the red 95 % surface shows behind the translucent blue 50 % one; 15 mm
    // to the side only the blue one is crossed.
    const Eigen::Vector2d centre = eyePixel(run.eyes[e], run.placement * Vec3(0, 0, 0));
    const Eigen::Vector2d side = eyePixel(run.eyes[e], run.placement * Vec3(15, 0, 0));
    const uint8_t* c = png.at(uint32_t(centre.x()), uint32_t(centre.y()));
    const uint8_t* b = png.at(uint32_t(side.x()), uint32_t(side.y()));
    EXPECT_GT(c[0], c[2]);
    EXPECT_GT(b[2], b[0]);
    std::printf(
        "[ figures ] isodose %s: x %.1f..%.1f (expected %.2f..%.2f), centre rgba %d,%d,%d,%d, "
        "side %d,%d,%d,%d\n",
        names[e], seen.xMin, seen.xMax, expected.xMin, expected.xMax, c[0], c[1], c[2], c[3], b[0],
        b[1], b[2], b[3]);
  }
}

TEST_F(XrRenderCliTest, AnAblationZoneShowsInTheHeadsetAtItsRadius) {
  // A case with only an Arrhenius damage field: Omega = e^2 exp(-r^2 / (2 sigma^2)), sigma 25 mm,
  // on a 1.5 mm grid. Its ablation zone (Omega = 1) is the sphere r = sigma sqrt(2 ln e^2) =
  // 50 mm. Eyes of 640 x 720 pixels: the zone is about 40 pixels across, so 1.5 pixels on an
  // edge is 1.9 mm of radius.
  useScript({{"eye_width_px", 640}, {"eye_height_px", 720}});
  twinplan::ScalarField damage =
      twinplan::test::gaussianDose(gridAroundOrigin(81, 1.5), Vec3(0, 0, 0), std::exp(2.0), 25.0);
  damage.name = "Arrhenius damage";
  damage.quantity = "damage";
  damage.unit = twinplan::units::kDimensionless;
  const HeadsetRun run = renderCaseInHeadset(caseWithOnly(damage));
  ASSERT_EQ(run.eyes.size(), 2u);
  EXPECT_EQ(run.result["meshes"], 1);  // the ablation zone
  const std::vector<SurfaceMesh> zone{uvSphere(Vec3(0, 0, 0), 50.0, 96)};
  for (int e = 0; e < 2; ++e) {
    SCOPED_TRACE(e == 0 ? "left" : "right");
    const Png& png = run.images[std::size_t(e)];
    const PixelBox seen = coveredBox(png),
                   expected = projectedBox(run.eyes[e], run.placement, zone);
    expectSameBox(seen, expected);
    // Magenta (200, 60, 200): red and blue above green at the centre.
    const Eigen::Vector2d centre = eyePixel(run.eyes[e], run.placement * Vec3(0, 0, 0));
    const uint8_t* c = png.at(uint32_t(centre.x()), uint32_t(centre.y()));
    EXPECT_GT(c[0], 2 * c[1]);
    EXPECT_GT(c[2], 2 * c[1]);
    std::printf(
        "[ figures ] ablation zone %s: x %.1f..%.1f y %.1f..%.1f (expected %.2f..%.2f, "
        "%.2f..%.2f), centre rgba %d,%d,%d,%d\n",
        e == 0 ? "left" : "right", seen.xMin, seen.xMax, seen.yMin, seen.yMax, expected.xMin,
        expected.xMax, expected.yMin, expected.yMax, c[0], c[1], c[2], c[3]);
  }
}

// A CT of water (0 HU) with a bone ball (1000 HU, 40 mm radius) at its centre, on a 2 mm grid.
twinplan::ImageVolume boneBallCt() {
  return ctOf(gridAroundOrigin(61, 2.0), [](const Vec3& p) { return p.norm() <= 40.0 ? 1000 : 0; });
}

TEST_F(XrRenderCliTest, TheVolumeRenderingShowsTheBoneInBothEyes) {
  // The CT bone preset (the one a CT opens in): transparent below 150 HU, so the water is not
  // seen; colour (0.9, 0.75, 0.55) with opacity 0.3 at 300 HU, (1.0, 0.95, 0.9) with 0.8 at
  // 1000 HU (opacity per mm). A ray first crosses the ball's interpolated edge (1000 -> 0 HU
  // over a voxel) in the 300 HU colours, then the 1000 HU bone, which makes it opaque within
  // a few mm: the centre's colour lies between the two, warm (red > green > blue), opaque.
  // Eyes of 640 x 720 pixels: the ball is about 30 pixels across, a 2 mm voxel 0.8 pixel. The
  // silhouette is within 2.5 pixels of the sphere's analytic projection (a software renderer
  // casts one ray per 2 x 2 pixels, plus the interpolated edge).
  useScript({{"eye_width_px", 640}, {"eye_height_px", 720}});
  twinplan::Case twin;
  twin.name = "Bone ball";
  twin.volumes.push_back(boneBallCt());
  const HeadsetRun run = renderCaseInHeadset(twin, 2, "--volume");
  ASSERT_EQ(run.eyes.size(), 2u);
  EXPECT_EQ(run.result["meshes"], 0);
  const std::vector<SurfaceMesh> ball{uvSphere(Vec3(0, 0, 0), 40.0, 96)};
  const double at300HU[3] = {229.5, 191.25, 140.25}, at1000HU[3] = {255.0, 242.25, 229.5};
  for (int e = 0; e < 2; ++e) {
    SCOPED_TRACE(e == 0 ? "left" : "right");
    const Png& png = run.images[std::size_t(e)];
    const PixelBox seen = coveredBox(png),
                   expected = projectedBox(run.eyes[e], run.placement, ball);
    EXPECT_NEAR(seen.xMin, expected.xMin, 2.5);
    EXPECT_NEAR(seen.xMax, expected.xMax, 2.5);
    EXPECT_NEAR(seen.yMin, expected.yMin, 2.5);
    EXPECT_NEAR(seen.yMax, expected.yMax, 2.5);
    const Eigen::Vector2d centre = eyePixel(run.eyes[e], run.placement * Vec3(0, 0, 0));
    const uint8_t* c = png.at(uint32_t(centre.x()), uint32_t(centre.y()));
    for (int channel = 0; channel < 3; ++channel) {
      EXPECT_GE(c[channel] + 2.0, at300HU[channel]) << "channel " << channel;
      EXPECT_LE(c[channel], at1000HU[channel] + 2.0) << "channel " << channel;
    }
    EXPECT_GT(c[0], c[1]);
    EXPECT_GT(c[1], c[2]);
    EXPECT_GE(c[3], 250);
    // Elsewhere the headset's transparent background: the water (0 HU) is not drawn.
    int drawnOutside = 0;
    for (uint32_t y = 0; y < png.height; ++y)
      for (uint32_t x = 0; x < png.width; ++x)
        if ((x + 3.0 < expected.xMin || x > expected.xMax + 3.0 || y + 3.0 < expected.yMin ||
             y > expected.yMax + 3.0) &&
            png.at(x, y)[3] > 0)
          ++drawnOutside;
    EXPECT_EQ(drawnOutside, 0);
    std::printf(
        "[ figures ] bone ball %s: x %.1f..%.1f y %.1f..%.1f (expected %.2f..%.2f, "
        "%.2f..%.2f), centre rgba %d,%d,%d,%d\n",
        e == 0 ? "left" : "right", seen.xMin, seen.xMax, seen.yMin, seen.yMax, expected.xMin,
        expected.xMax, expected.yMin, expected.yMax, c[0], c[1], c[2], c[3]);
  }
  // The two eyes see the ball with the parallax of the eyes' 63 mm: it sits further left in
  // the right eye.
  EXPECT_LT(coveredCentroidX(run.images[1]), coveredCentroidX(run.images[0]));
  // A preset the 3D view does not have is refused, naming the ones it has.
  EXPECT_EQ(cli("xr-render " + (work_ / "case.twinplan").string() +
                " --frames 2 --volume --preset Bone --out " + (work_ / "out").string()),
            3);  // InvalidInput
  EXPECT_NE(text("stderr.txt").find("--preset must be one of 'CT bone', 'CT soft tissue'"),
            std::string::npos)
      << text("stderr.txt");
}

// Issue #20 item 2: View in headset tells its running headset the 3D view's Volume button and
// preset as JSON lines on the program's standard input (--view-commands,
// app/xr/view_commands.h). Here the lines wait in a file, so they apply before the first frame.
TEST_F(XrRenderCliTest, TheWindowsViewCommandsHideTheVolumeAndChangeItsPreset) {
  twinplan::Case twin;
  twin.name = "Bone ball";
  twin.volumes.push_back(boneBallCt());
  const fs::path commands = work_ / "commands.jsonl";
  const auto sending = [&](const std::string& lines) {
    std::ofstream(commands) << lines;
    return "--volume --view-commands <" + commands.string();
  };
  const auto coveredPixels = [](const Png& png) {
    int count = 0;
    for (uint32_t y = 0; y < png.height; ++y)
      for (uint32_t x = 0; x < png.width; ++x) count += png.at(x, y)[3] > 0 ? 1 : 0;
    return count;
  };
  // Hidden: the eyes are the transparent background.
  HeadsetRun run = renderCaseInHeadset(twin, 2, sending("{\"volume\": false}\n"));
  ASSERT_EQ(run.eyes.size(), 2u);
  EXPECT_EQ(coveredPixels(run.images[0]), 0);
  EXPECT_EQ(coveredPixels(run.images[1]), 0);
  // Shown again in CT soft tissue, whose ramp starts at -150 HU: the water (0 HU, opacity 0.071
  // per mm) is drawn too, so the covered box is the CT's (voxel centres -60..60 mm), not the
  // 40 mm ball's.
  run = renderCaseInHeadset(
      twin, 2,
      sending("{\"volume\": false}\n\n{\"preset\": \"CT soft tissue\", \"volume\": true}\n"));
  ASSERT_EQ(run.eyes.size(), 2u);
  SurfaceMesh corners;  // the CT's box, as points
  for (int c = 0; c < 8; ++c)
    corners.points_lps.push_back(
        {c & 1 ? 60.0f : -60.0f, c & 2 ? 60.0f : -60.0f, c & 4 ? 60.0f : -60.0f});
  for (int e = 0; e < 2; ++e) {
    SCOPED_TRACE(e == 0 ? "left" : "right");
    const PixelBox seen = coveredBox(run.images[std::size_t(e)]),
                   expected = projectedBox(run.eyes[e], run.placement, {corners});
    EXPECT_NEAR(seen.xMin, expected.xMin, 2.5);
    EXPECT_NEAR(seen.xMax, expected.xMax, 2.5);
    EXPECT_NEAR(seen.yMin, expected.yMin, 2.5);
    EXPECT_NEAR(seen.yMax, expected.yMax, 2.5);
    std::printf(
        "[ figures ] soft tissue by view command, %s eye: covered x %.1f..%.1f y %.1f..%.1f "
        "(the CT's box %.2f..%.2f, %.2f..%.2f)\n",
        e == 0 ? "left" : "right", seen.xMin, seen.xMax, seen.yMin, seen.yMax, expected.xMin,
        expected.xMax, expected.yMin, expected.yMax);
  }
  // A line the program cannot read ends it with a sentence naming the line; so does a preset
  // the 3D view does not have.
  EXPECT_EQ(cli("xr-render " + (work_ / "case.twinplan").string() + " --frames 2 " +
                sending("{\"volume\": \"yes\"}\n") + " --out " + (work_ / "out").string()),
            3);  // InvalidInput
  EXPECT_NE(text("stderr.txt")
                .find("view command it cannot read (unknown key or wrong type: "
                      "'volume')"),
            std::string::npos)
      << text("stderr.txt");
  EXPECT_NE(text("stderr.txt").find("[standard input: {\"volume\": \"yes\"}]"), std::string::npos)
      << text("stderr.txt");
  EXPECT_EQ(cli("xr-render " + (work_ / "case.twinplan").string() + " --frames 2 " +
                sending("{\"preset\": \"Bone\"}\n") + " --out " + (work_ / "out").string()),
            3);
  EXPECT_NE(text("stderr.txt").find("The window's volume preset must be one of 'CT bone'"),
            std::string::npos)
      << text("stderr.txt");
}

TEST_F(XrRenderCliTest, TrackedHandsAreDrawnWhereTheirJointsAre) {
  // No controllers; the right hand, open and palm down, 0.45 m ahead of the viewer and 0.25 m
  // below the eyes, beside a 40 mm sphere model straight ahead. The test runtime's hand model
  // (docs/architecture.md, "XR: tracked hands") puts the joints, in the palm's frame (here the
  // room's axes, mm): wrist (0, 0, 45), index tip (-24, 0, -111), thumb tip (-80, -10, -40),
  // little finger's tip (38, 0, -22 - (32 + 18 + 17)) = (38, 0, -89).
  const Vec3 palm(0.15, 1.35, -0.45);
  const std::pair<const char*, Vec3> joints_mm[] = {{"palm", Vec3(0, 0, 0)},
                                                    {"wrist", Vec3(0, 0, 45)},
                                                    {"index tip", Vec3(-24, 0, -111)},
                                                    {"thumb tip", Vec3(-80, -10, -40)},
                                                    {"little tip", Vec3(38, 0, -89)}};
  const Vec3 besideTheHand = palm + Vec3(0.12, 0, 0);  // 120 mm right of the palm: nothing
  twinplan::Case twin;
  twin.name = "Sphere";
  twin.meshes.push_back(uvSphere(Vec3(0, 0, 0), 40.0, 24));
  nlohmann::json script = {
      {"interaction_profile", ""},
      {"hands", {{"right", nlohmann::json::array({handKey(0, palm, "open")})}}}};
  useScript(script);
  const HeadsetRun run = renderCaseInHeadset(twin, 4);
  ASSERT_EQ(run.eyes.size(), 2u);
  EXPECT_EQ(run.result["handSources"], nlohmann::json::array({"none", "hand"}));
  // The hand's unlit colours, opaque: its bones (205, 212, 224) or its joints (150, 162, 184),
  // within 3 per channel; the sphere model and the transparent background are neither.
  const auto isHand = [](const uint8_t* p) {
    const auto near = [&](const twinplan::Rgb& c) {
      return std::abs(p[0] - c.r) <= 3 && std::abs(p[1] - c.g) <= 3 && std::abs(p[2] - c.b) <= 3;
    };
    return p[3] == 255 && (near(rendering::HeadsetHands::kBoneColour) ||
                           near(rendering::HeadsetHands::kJointColour));
  };
  for (int e = 0; e < 2; ++e) {
    SCOPED_TRACE(e == 0 ? "left" : "right");
    const Png& png = run.images[std::size_t(e)];
    for (const auto& [name, joint_mm] : joints_mm) {
      const Eigen::Vector2d px = eyePixel(run.eyes[e], palm + 0.001 * joint_mm);
      const uint8_t* p = png.at(uint32_t(px.x()), uint32_t(px.y()));
      EXPECT_TRUE(isHand(p)) << name << " at (" << px.x() << ", " << px.y() << "): rgba "
                             << int(p[0]) << "," << int(p[1]) << "," << int(p[2]) << ","
                             << int(p[3]);
    }
    const Eigen::Vector2d empty = eyePixel(run.eyes[e], besideTheHand);
    EXPECT_EQ(png.at(uint32_t(empty.x()), uint32_t(empty.y()))[3], 0);
    const Eigen::Vector2d tip = eyePixel(run.eyes[e], palm + Vec3(-0.024, 0, -0.111));
    const uint8_t* t = png.at(uint32_t(tip.x()), uint32_t(tip.y()));
    std::printf("[ figures ] hands %s eye: index tip at (%.1f, %.1f) rgba %d,%d,%d,%d\n",
                e == 0 ? "left" : "right", tip.x(), tip.y(), t[0], t[1], t[2], t[3]);
  }
  // The same hand on a headset without hand tracking: nothing where the palm is.
  script["hand_tracking"] = false;
  useScript(script);
  const HeadsetRun untracked = renderCaseInHeadset(twin, 4);
  ASSERT_EQ(untracked.eyes.size(), 2u);
  EXPECT_EQ(untracked.result["handTracking"], false);
  const Eigen::Vector2d palmPx = eyePixel(untracked.eyes[0], palm);
  EXPECT_EQ(untracked.images[0].at(uint32_t(palmPx.x()), uint32_t(palmPx.y()))[3], 0);
}

TEST_F(XrRenderCliTest, TheControllersOwnLaserIsDrawnToWhatItHits) {
  // The right Touch controller 0.35 m ahead and 0.3 m below the eyes aims at the centre of a
  // 40 mm sphere model (the anatomy stands with its nearest face 0.75 m ahead: centre at
  // (0, 1.6, -0.79) m) and touches its trigger (0.3) from frame 2, pulls it (1.0) from frame 4.
  const Vec3 hand(0.2, 1.3, -0.35), centre(0.0, 1.6, -0.79);
  const Vec3 direction = (centre - hand).normalized();
  const Eigen::Quaterniond aim = Eigen::Quaterniond::FromTwoVectors(Vec3(0, 0, -1), direction);
  useScript({{"interaction_profile", "/interaction_profiles/oculus/touch_controller"},
             {"right_hand", nlohmann::json::array(
                                {{{"frame", 0},
                                  {"position_m", {hand.x(), hand.y(), hand.z()}},
                                  {"orientation_xyzw", {aim.x(), aim.y(), aim.z(), aim.w()}}}})},
             {"inputs",
              {{"/user/hand/right/input/trigger/value",
                {{{"frame", 2}, {"value", 0.3}}, {{"frame", 4}, {"value", 1.0}}}}}}});
  twinplan::Case twin;
  twin.name = "Sphere";
  twin.meshes.push_back(uvSphere(Vec3(0, 0, 0), 40.0, 48));
  const HeadsetRun run = renderCaseInHeadset(twin, 6);
  ASSERT_EQ(run.eyes.size(), 2u);
  EXPECT_NEAR((run.placement * Vec3(0, 0, 0) - centre).norm(), 0.0, 1e-6);
  // The pull picked the sphere 40 mm before its centre (the ray goes through it).
  ASSERT_EQ(run.result["picks"].size(), 1u);
  const auto& pick = run.result["picks"][0];
  EXPECT_EQ(pick["hand"], "right");
  EXPECT_TRUE(pick["hit"].get<bool>());
  EXPECT_NEAR(pick["distance_m"].get<double>(), (centre - hand).norm() - 0.04, 5e-4);
  // In both eyes: the ray red along its projection, the dot red where it meets the sphere.
  const Vec3 hit = centre - 0.04 * direction;
  for (int e = 0; e < 2; ++e) {
    SCOPED_TRACE(e == 0 ? "left" : "right");
    const Png& png = run.images[std::size_t(e)];
    const Eigen::Vector2d dot = eyePixel(run.eyes[e], hit);
    EXPECT_TRUE(within1px(png, dot, isPointerRed));
    const int onRay = redAlongRay(png, run.eyes[e], hand, hit);
    EXPECT_EQ(onRay, 10);
    std::printf("[ figures ] own laser %s eye: dot at (%.1f, %.1f), ray %d/10\n",
                e == 0 ? "left" : "right", dot.x(), dot.y(), onRay);
  }
  // With the trigger untouched nothing red is drawn along the same line.
  useScript({{"interaction_profile", "/interaction_profiles/oculus/touch_controller"},
             {"right_hand", nlohmann::json::array(
                                {{{"frame", 0},
                                  {"position_m", {hand.x(), hand.y(), hand.z()}},
                                  {"orientation_xyzw", {aim.x(), aim.y(), aim.z(), aim.w()}}}})}});
  const HeadsetRun idle = renderCaseInHeadset(twin, 6);
  ASSERT_EQ(idle.eyes.size(), 2u);
  EXPECT_EQ(redAlongRay(idle.images[0], idle.eyes[0], hand, hit), 0);
}

TEST_F(XrRenderCliTest, TheAnatomyStaysAnchoredInTheRoomAsTheHeadMoves) {
  // The head stands at the STAGE origin, eyes 1.6 m up, until frame 2, then walks 0.2 m to the
  // right by frame 8. The anatomy was placed at the first frame (nearest face 0.75 m ahead) and
  // stays there: a world-locked hologram, not one that follows the head.
  useScript({{"head", nlohmann::json::array({{{"frame", 0}, {"position_m", {0.0, 1.6, 0.0}}},
                                             {{"frame", 2}, {"position_m", {0.0, 1.6, 0.0}}},
                                             {{"frame", 8}, {"position_m", {0.2, 1.6, 0.0}}}})}});
  twinplan::Case twin;
  twin.name = "Sphere";
  const std::vector<SurfaceMesh> sphere{uvSphere(Vec3(0, 0, 0), 40.0, 48)};
  twin.meshes = sphere;
  const HeadsetRun run = renderCaseInHeadset(twin, 10);
  ASSERT_EQ(run.eyes.size(), 2u);
  EXPECT_NEAR((run.placement * Vec3(0, 0, 0) - Vec3(0, 1.6, -0.79)).norm(), 0.0, 1e-6);
  // The last frame's eyes are where the head went ...
  EXPECT_NEAR(run.eyes[0].pose.position.x, 0.2 - 0.0315, 1e-4);
  EXPECT_NEAR(run.eyes[1].pose.position.x, 0.2 + 0.0315, 1e-4);
  // ... and they see the sphere where it stands: its silhouette is the projection of the
  // anchored sphere, about f 0.2 / 0.79 = 40 px left of where it was straight ahead.
  for (int e = 0; e < 2; ++e) {
    SCOPED_TRACE(e == 0 ? "left" : "right");
    const PixelBox seen = coveredBox(run.images[std::size_t(e)]);
    const PixelBox expected = projectedBox(run.eyes[e], run.placement, sphere);
    expectSameBox(seen, expected);
    std::printf("[ figures ] anchored %s eye: x %.1f..%.1f (expected %.2f..%.2f)\n",
                e == 0 ? "left" : "right", seen.xMin, seen.xMax, expected.xMin, expected.xMax);
  }
}

}  // namespace

namespace {

using twinplan::test::aimKey;
using twinplan::test::pressed;

// The box of a rectangle's four corners (LPS) as an eye sees it.
PixelBox projectedCorners(const EyeImage& eye, const rendering::RoomPlacement& placement,
                          const std::array<Vec3, 4>& corners_lps) {
  PixelBox box;
  for (const Vec3& corner : corners_lps) {
    const Eigen::Vector2d px = eyePixel(eye, placement * corner);
    box.add(px.x(), px.y());
  }
  return box;
}

// Pixels with alpha in a box (the anatomy's pixels in an alpha-blend frame).
int coveredIn(const Png& png, const PixelBox& box) {
  int count = 0;
  for (int y = std::max(0, int(box.yMin)); y < std::min(int(png.height), int(box.yMax) + 1); ++y)
    for (int x = std::max(0, int(box.xMin)); x < std::min(int(png.width), int(box.xMax) + 1); ++x)
      count += png.at(uint32_t(x), uint32_t(y))[3] > 0;
  return count;
}

}  // namespace

// Issue #20 item 3: the trigger pulled with the laser on the slice plane drags the plane along
// its axis by the hand's move (life size: 100 mm for 10 cm); the desktop's session gets the new
// slice, and both eyes show the plane where it now projects.
TEST_F(XrRenderCliTest, TheTriggerDragsTheSlicePlaneAndTheDesktopGetsIt) {
  const fs::path casePath = writeSliceCase();
  // The sphere (the scene's bounds, +-10 mm) stands centred 0.76 m ahead of the head at
  // (0, 1.6, 0): the coronal plane 50 mm anterior is 0.71 m ahead, LPS (-50, -50, 50) on it at
  // room (-0.05, 1.65, -0.71). The right hand aims there, pulls the trigger from frame 12 to 34
  // and moves 10 cm away from the viewer (posterior) between frames 16 and 26.
  const Vec3 hand(0.2, 1.3, -0.35), target(-0.05, 1.65, -0.71), away(0, 0, -0.1);
  useScript({{"interaction_profile", "/interaction_profiles/oculus/touch_controller"},
             {"hand_tracking", false},
             {"right_hand", {aimKey(16, hand, target), aimKey(26, hand + away, target + away)}},
             {"inputs", {{"/user/hand/right/input/trigger/value", pressed(12, 34)}}}});
  twinplan::teaching::Presenter presenter;
  presenter.apply(twinplan::teaching::SetSlice{{true, "coronal", -50.0}});
  const int endAt = runLive(casePath, presenter, [&](int shown) { return shown >= 44; });
  ASSERT_GE(endAt, 44) << "the headset did not keep rendering";
  // The desktop's slice is the dragged one: -50 + 100 mm.
  EXPECT_EQ(presenter.state().slice.orientation, "coronal");
  EXPECT_NEAR(presenter.state().slice.position_mm, 50.0, 1e-3);
  const auto result = nlohmann::json::parse(std::ifstream(work_ / "out" / "xr-render.json"));
  ASSERT_EQ(result["sliceMoves"].size(), 1u) << result["sliceMoves"];
  EXPECT_NEAR(result["sliceMoves"][0]["to_mm"].get<double>(), 50.0, 1e-3);
  EXPECT_TRUE(result["measurements"].empty());  // a pull on the plane measures nothing

  // Before the trigger (frame 8) and after the drag (the last frame), in both eyes: the plane's
  // 200 mm square where its corners project at -50 and at +50 mm (0.71 and 0.81 m away).
  const rendering::RoomPlacement placement = livePlacement();
  const char* names[] = {"left", "right"};
  for (int e = 0; e < 2; ++e) {
    SCOPED_TRACE(names[e]);
    PixelBox seen[2], expected[2];
    int index = 0;
    for (const auto& [frame, y_mm] : {std::pair{8, -50.0}, std::pair{endAt, 50.0}}) {
      const std::vector<EyeImage> eyes = loggedEyes(work_ / "log.jsonl", frame);
      ASSERT_EQ(eyes.size(), 2u);
      expected[index] = projectedCorners(eyes[std::size_t(e)], placement,
                                         {Vec3(-100, y_mm, -100), Vec3(100, y_mm, -100),
                                          Vec3(100, y_mm, 100), Vec3(-100, y_mm, 100)});
      seen[index] = coveredBox(recorded(frame, names[e]));
      expectSameBox(seen[index], expected[index]);
      ++index;
    }
    // Each edge moved by its projected amount (the far plane is smaller: every edge moves in).
    const double edges[2][4] = {
        {seen[1].xMin - seen[0].xMin, seen[1].xMax - seen[0].xMax, seen[1].yMin - seen[0].yMin,
         seen[1].yMax - seen[0].yMax},
        {expected[1].xMin - expected[0].xMin, expected[1].xMax - expected[0].xMax,
         expected[1].yMin - expected[0].yMin, expected[1].yMax - expected[0].yMax}};
    for (int k = 0; k < 4; ++k) EXPECT_NEAR(edges[0][k], edges[1][k], 1.5) << "edge " << k;
    const double shrink_px = (seen[0].xMax - seen[0].xMin) - (seen[1].xMax - seen[1].xMin);
    const double expectedShrink_px =
        (expected[0].xMax - expected[0].xMin) - (expected[1].xMax - expected[1].xMin);
    EXPECT_NEAR(shrink_px, expectedShrink_px, 1.5);
    EXPECT_GT(shrink_px, 3.0);
    std::printf(
        "[ figures ] slice drag, %s eye: -50 -> %.3f mm; plane %.1f -> %.1f px wide (expected "
        "%.2f -> %.2f), edges moved %.1f %.1f %.1f %.1f px (expected %.2f %.2f %.2f %.2f)\n",
        names[e], presenter.state().slice.position_mm, seen[0].xMax - seen[0].xMin,
        seen[1].xMax - seen[1].xMin, expected[0].xMax - expected[0].xMin,
        expected[1].xMax - expected[1].xMin, edges[0][0], edges[0][1], edges[0][2], edges[0][3],
        edges[1][0], edges[1][1], edges[1][2], edges[1][3]);
  }
}

// Two balls 120 mm apart; the left controller's X hides the one its laser points at (in both
// eyes) and, pressed again pointing at nothing there, shows it back; a trigger click on each ball
// measures the distance between the two points hit, as a ray-sphere intersection says.
TEST_F(XrRenderCliTest, TheThumbButtonHidesAModelAndTwoClicksMeasure) {
  twinplan::Case twin;
  twin.name = "Balls";
  SurfaceMesh left = uvSphere(Vec3(-60, 0, 0), 30.0, 48),
              right = uvSphere(Vec3(60, 0, 0), 30.0, 48);
  left.name = "Right-side ball";  // LPS x < 0: the patient's right
  right.name = "Left-side ball";
  twin.meshes = {left, right};
  // Scene bounds x -90..90, y and z -30..30: centred 0.78 m ahead of the head at eye height,
  // so the balls' centres stand at room x -0.06 and +0.06.
  const Vec3 centreA(-0.06, 1.6, -0.78), centreB(0.06, 1.6, -0.78);
  const Vec3 leftHand(-0.2, 1.3, -0.35), rightHand(0.2, 1.3, -0.35);
  useScript({{"interaction_profile", "/interaction_profiles/oculus/touch_controller"},
             {"hand_tracking", false},
             {"left_hand", {aimKey(0, leftHand, centreA)}},
             {"right_hand", {aimKey(0, rightHand, centreB)}},
             {"inputs",
              {{"/user/hand/left/input/x/click",
                {{{"frame", 5}, {"value", 1.0}},
                 {{"frame", 7}, {"value", 0.0}},
                 {{"frame", 12}, {"value", 1.0}},
                 {{"frame", 14}, {"value", 0.0}}}},
               {"/user/hand/left/input/trigger/value", pressed(17, 19)},
               {"/user/hand/right/input/trigger/value", pressed(22, 24)}}}});
  const HeadsetRun run = renderCaseInHeadset(twin, 30);
  ASSERT_FALSE(run.eyes.empty());
  const nlohmann::json& result = run.result;
  // The model hidden, then shown again, by its name.
  ASSERT_EQ(result["visibility"].size(), 2u) << result["visibility"];
  EXPECT_EQ(result["visibility"][0]["segment"], "Right-side ball");
  EXPECT_EQ(result["visibility"][0]["visible"], false);
  EXPECT_EQ(result["visibility"][1]["visible"], true);
  // In both eyes: the ball's pixels before (frame 3), hidden (frame 10), back (frame 16); the
  // other ball's stay.
  const char* names[] = {"left", "right"};
  for (int e = 0; e < 2; ++e) {
    SCOPED_TRACE(names[e]);
    const EyeImage& eye = run.eyes[std::size_t(e)];
    const PixelBox boxA = projectedBox(eye, run.placement, {left});
    const PixelBox boxB = projectedBox(eye, run.placement, {right});
    const int before = coveredIn(recorded(3, names[e]), boxA);
    const int hidden = coveredIn(recorded(10, names[e]), boxA);
    const int back = coveredIn(recorded(16, names[e]), boxA);
    EXPECT_GT(before, 80);  // a 60 mm ball 0.75 m away: about 12 px across
    EXPECT_EQ(hidden, 0);
    EXPECT_EQ(back, before);
    EXPECT_EQ(coveredIn(recorded(10, names[e]), boxB), coveredIn(recorded(3, names[e]), boxB));
    std::printf("[ figures ] toggle, %s eye: ball pixels %d -> %d -> %d\n", names[e], before,
                hidden, back);
  }
  // The ruler: from where the left laser enters ball A to where the right one enters ball B
  // (each ray passes through its ball's centre: it enters 30 mm before it).
  ASSERT_EQ(result["measurements"].size(), 1u) << result["measurements"];
  const rendering::RoomPlacement toLps = run.placement.inverse();
  const auto entry = [&](const Vec3& hand_m, const Vec3& centre_m, const Vec3& centre_lps) {
    return Vec3(centre_lps - 30.0 * (toLps.linear() * (centre_m - hand_m)).normalized());
  };
  const Vec3 a = entry(leftHand, centreA, Vec3(-60, 0, 0));
  const Vec3 b = entry(rightHand, centreB, Vec3(60, 0, 0));
  const double length_mm = result["measurements"][0]["length_mm"];
  EXPECT_NEAR(length_mm, (b - a).norm(), 1.0);
  const auto& from = result["measurements"][0]["from_lps"];
  EXPECT_NEAR((Vec3(from[0], from[1], from[2]) - a).norm(), 0.0, 1.0);
  std::printf("[ figures ] headset ruler: %.3f mm (ray-sphere %.3f mm)\n", length_mm,
              (b - a).norm());
}
