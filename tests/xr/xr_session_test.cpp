// twinplan::xr::HeadsetSession through the real Khronos loader against the headless test
// runtime (xr/test_runtime): the whole session lifecycle, exit requests, instance and session
// loss, reference space and swapchain format choice, blend modes, and the eye images the
// runtime reads back. Runs under Xvfb (GLX, Mesa llvmpipe).
#include <gtest/gtest.h>
#include <zlib.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "twinplan/core/error.h"
#include "twinplan/xr/headset_session.h"
#include "xr_test_gl.h"
#include "xr_test_png.h"

namespace fs = std::filesystem;
namespace test = twinplan::xr::test;
using twinplan::xr::EyeImage;
using twinplan::xr::GlxGraphicsBinding;
using twinplan::xr::HeadsetSession;

namespace {

template <class F>
F glProc(const char* name) {
  return reinterpret_cast<F>(glXGetProcAddressARB(reinterpret_cast<const GLubyte*>(name)));
}

// Fills each eye with its own colour (left red-ish, right green-ish). In alpha-blend mode the
// background is transparent and only a centred rectangle (the "anatomy") is opaque.
class FlatColourRenderer : public twinplan::xr::EyeRenderer {
 public:
  void renderEye(const EyeImage& eye) override {
    static const auto genFramebuffers = glProc<void (*)(GLsizei, GLuint*)>("glGenFramebuffers");
    static const auto bindFramebuffer = glProc<void (*)(GLenum, GLuint)>("glBindFramebuffer");
    static const auto framebufferTexture2D =
        glProc<void (*)(GLenum, GLenum, GLenum, GLuint, GLint)>("glFramebufferTexture2D");
    static const auto deleteFramebuffers =
        glProc<void (*)(GLsizei, const GLuint*)>("glDeleteFramebuffers");
    GLuint framebuffer = 0;
    genFramebuffers(1, &framebuffer);
    bindFramebuffer(0x8D40 /* GL_FRAMEBUFFER */, framebuffer);
    framebufferTexture2D(0x8D40, 0x8CE0 /* GL_COLOR_ATTACHMENT0 */, GL_TEXTURE_2D, eye.colorTexture,
                         0);
    glViewport(0, 0, static_cast<GLsizei>(eye.width_px), static_cast<GLsizei>(eye.height_px));
    const bool mixed = eye.blendMode == XR_ENVIRONMENT_BLEND_MODE_ALPHA_BLEND;
    const float r = eye.eye == 0 ? 0.8f : 0.1f, g = eye.eye == 0 ? 0.1f : 0.7f;
    glClearColor(mixed ? 0.0f : r, mixed ? 0.0f : g, 0.2f * (mixed ? 0.0f : 1.0f),
                 mixed ? 0.0f : 1.0f);
    glClear(GL_COLOR_BUFFER_BIT);
    if (mixed) {
      glEnable(GL_SCISSOR_TEST);
      glScissor(static_cast<GLint>(eye.width_px / 4), static_cast<GLint>(eye.height_px / 4),
                static_cast<GLsizei>(eye.width_px / 2), static_cast<GLsizei>(eye.height_px / 2));
      glClearColor(r, g, 0.2f, 1.0f);
      glClear(GL_COLOR_BUFFER_BIT);
      glDisable(GL_SCISSOR_TEST);
    }
    glFinish();
    bindFramebuffer(0x8D40, 0);
    deleteFramebuffers(1, &framebuffer);
    eyes.push_back(eye);
  }
  std::vector<EyeImage> eyes;
};

using test::Png;
using test::readPng;

std::vector<nlohmann::json> readLog(const fs::path& path) {
  std::vector<nlohmann::json> events;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) events.push_back(nlohmann::json::parse(line));
  return events;
}

class HeadsetSessionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* test = ::testing::UnitTest::GetInstance()->current_test_info();
    work_ = fs::path(TWINPLAN_XR_TEST_WORK_DIR) / test->name();
    fs::remove_all(work_);
    fs::create_directories(work_);
    setenv("XR_RUNTIME_JSON", TWINPLAN_XR_TEST_RUNTIME_JSON, 1);
    setenv("TWINPLAN_XR_TEST_LOG", (work_ / "log.jsonl").c_str(), 1);
    setenv("TWINPLAN_XR_TEST_RECORD_DIR", (work_ / "frames").c_str(), 1);
    for (const char* name : {"TWINPLAN_XR_TEST_EXIT_AFTER_FRAMES", "TWINPLAN_XR_TEST_BLEND_MODES"})
      unsetenv(name);
    script({});
    ASSERT_TRUE(gl().ok()) << "no OpenGL 3.3 core context on this X display";
  }
  void script(const nlohmann::json& json) {
    std::ofstream(work_ / "script.json") << json.dump();
    setenv("TWINPLAN_XR_TEST_SCRIPT", (work_ / "script.json").c_str(), 1);
  }
  // Polls and renders until the session is over (or a frame budget runs out).
  void runUntilFinished(HeadsetSession& session, FlatColourRenderer& renderer, int budget = 200) {
    for (int i = 0; i < budget && !session.finished(); ++i) {
      session.pollEvents();
      session.renderFrame(renderer);
    }
  }
  std::vector<nlohmann::json> log() const { return readLog(work_ / "log.jsonl"); }

  static test::GlContext& gl() { return test::sharedGlContext(); }

  fs::path work_;
};

const std::vector<XrSessionState> kFullLifecycle = {
    XR_SESSION_STATE_IDLE,         XR_SESSION_STATE_READY,    XR_SESSION_STATE_SYNCHRONIZED,
    XR_SESSION_STATE_VISIBLE,      XR_SESSION_STATE_FOCUSED,  XR_SESSION_STATE_VISIBLE,
    XR_SESSION_STATE_SYNCHRONIZED, XR_SESSION_STATE_STOPPING, XR_SESSION_STATE_IDLE,
    XR_SESSION_STATE_EXITING};

TEST_F(HeadsetSessionTest, FullLifecycleThroughTheLoader) {
  script({{"exit_after_frames", 5}});
  auto binding = gl().binding();
  FlatColourRenderer renderer;
  {
    HeadsetSession session(binding);
    EXPECT_EQ(session.runtimeName(), "TwinPlan XR test runtime");
    EXPECT_EQ(session.blendMode(), XR_ENVIRONMENT_BLEND_MODE_OPAQUE);
    EXPECT_EQ(session.referenceSpace(), XR_REFERENCE_SPACE_TYPE_STAGE);
    EXPECT_EQ(session.colorFormat(), 0x8C43);  // GL_SRGB8_ALPHA8: the runtime's first, and drawable
    EXPECT_EQ(session.eyeWidth_px(), 320u);
    runUntilFinished(session, renderer);
    EXPECT_TRUE(session.exited());
    EXPECT_FALSE(session.lost());
    EXPECT_EQ(session.stateHistory(), kFullLifecycle);
    EXPECT_EQ(session.framesSubmitted(), 5);
  }
  ASSERT_EQ(renderer.eyes.size(), 10u);
  // Default head 1.6 m above the STAGE floor; eyes 63 mm apart; mirrored asymmetric frusta.
  const EyeImage& left = renderer.eyes[8];
  const EyeImage& right = renderer.eyes[9];
  EXPECT_NEAR(left.pose.position.x, -0.0315f, 1e-6);
  EXPECT_NEAR(right.pose.position.x, 0.0315f, 1e-6);
  EXPECT_NEAR(left.pose.position.y, 1.6f, 1e-6);
  EXPECT_NEAR(left.fov.angleLeft, -right.fov.angleRight, 1e-6);
  EXPECT_NEAR(left.fov.angleLeft, -0.8727f, 1e-4);

  const Png leftPng = readPng(work_ / "frames" / "frame_00005_left.png");
  const Png rightPng = readPng(work_ / "frames" / "frame_00005_right.png");
  ASSERT_EQ(leftPng.width, 320u);
  ASSERT_EQ(leftPng.height, 360u);
  // 0.8 * 255 = 204, 0.1 * 255 = 25.5, 0.7 * 255 = 178.5 (rounding: +-1).
  EXPECT_NEAR(leftPng.at(10, 10)[0], 204, 1);
  EXPECT_NEAR(leftPng.at(10, 10)[1], 26, 1);
  EXPECT_NEAR(rightPng.at(10, 10)[0], 26, 1);
  EXPECT_NEAR(rightPng.at(10, 10)[1], 179, 1);

  const auto events = log();
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back()["event"], "xrDestroyInstance");
  int shown = 0;
  for (const auto& e : events) {
    if (e["event"] == "frame" && e["layers"] == 1) ++shown;
  }
  EXPECT_EQ(shown, 5);
}

TEST_F(HeadsetSessionTest, ApplicationRequestsExit) {
  auto binding = gl().binding();
  FlatColourRenderer renderer;
  HeadsetSession session(binding);
  for (int i = 0; i < 4; ++i) {
    session.pollEvents();
    session.renderFrame(renderer);
  }
  ASSERT_EQ(session.state(), XR_SESSION_STATE_FOCUSED);
  session.requestExit();
  runUntilFinished(session, renderer);
  EXPECT_TRUE(session.exited());
  EXPECT_EQ(session.stateHistory(), kFullLifecycle);
}

TEST_F(HeadsetSessionTest, InstanceLossStopsTheLoopWithoutThrowing) {
  script({{"instance_loss_after_frames", 3}});
  auto binding = gl().binding();
  FlatColourRenderer renderer;
  HeadsetSession session(binding);
  runUntilFinished(session, renderer);
  EXPECT_TRUE(session.lost());
  EXPECT_FALSE(session.exited());
  EXPECT_EQ(session.framesSubmitted(), 3);
  EXPECT_FALSE(session.renderFrame(renderer));  // nothing is called on a lost instance
}

TEST_F(HeadsetSessionTest, SessionLossPending) {
  script({{"session_loss_after_frames", 2}});
  auto binding = gl().binding();
  FlatColourRenderer renderer;
  HeadsetSession session(binding);
  runUntilFinished(session, renderer);
  EXPECT_TRUE(session.lost());
  EXPECT_EQ(session.state(), XR_SESSION_STATE_LOSS_PENDING);
  EXPECT_EQ(session.framesSubmitted(), 2);
}

TEST_F(HeadsetSessionTest, LocalSpaceAndLinearFormatWhenTheHeadsetLacksStageAndSrgb) {
  script({{"reference_spaces", {"view", "local"}},
          {"swapchain_formats", {0x881A, 0x8058}},
          {"exit_after_frames", 1}});
  auto binding = gl().binding();
  FlatColourRenderer renderer;
  HeadsetSession session(binding);
  EXPECT_EQ(session.referenceSpace(), XR_REFERENCE_SPACE_TYPE_LOCAL);
  EXPECT_EQ(session.colorFormat(), 0x8058);  // GL_RGBA8; GL_RGBA16F is not one we draw
  runUntilFinished(session, renderer);
  ASSERT_FALSE(renderer.eyes.empty());
  // LOCAL starts at the head: the eyes sit at +-IPD/2 around its origin, at height 0.
  EXPECT_NEAR(renderer.eyes[0].pose.position.y, 0.0f, 1e-6);
  EXPECT_NEAR(renderer.eyes[0].pose.position.x, -0.0315f, 1e-6);
}

TEST_F(HeadsetSessionTest, NoDrawableColourFormatIsRefusedClearly) {
  script({{"swapchain_formats", {0x881A}}});
  auto binding = gl().binding();
  try {
    HeadsetSession session(binding);
    FAIL() << "a headset without a drawable format was accepted";
  } catch (const twinplan::Error& e) {
    EXPECT_EQ(e.kind(), twinplan::ErrorKind::Unsupported);
    EXPECT_NE(std::string(e.what()).find("0x881A"), std::string::npos) << e.what();
  }
  // Nothing stays behind: the runtime saw the instance destroyed.
  const auto events = log();
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back()["event"], "xrDestroyInstance");
}

TEST_F(HeadsetSessionTest, AlphaBlendHeadsetGetsATransparentBackground) {
  script({{"blend_modes", {"alpha_blend", "opaque"}}, {"exit_after_frames", 2}});
  auto binding = gl().binding();
  FlatColourRenderer renderer;
  {
    HeadsetSession session(binding);
    EXPECT_EQ(session.blendMode(), XR_ENVIRONMENT_BLEND_MODE_ALPHA_BLEND);
    runUntilFinished(session, renderer);
    EXPECT_TRUE(session.exited());
  }
  const Png left = readPng(work_ / "frames" / "frame_00002_left.png");
  ASSERT_EQ(left.width, 320u);
  EXPECT_EQ(left.at(5, 5)[3], 0);        // the room shows through
  EXPECT_EQ(left.at(160, 180)[3], 255);  // the anatomy does not
  for (const auto& e : log()) {
    if (e["event"] != "frame" || e["layers"] != 1) continue;
    EXPECT_EQ(e["blend_mode"], "alpha_blend");
    EXPECT_EQ(e["layer_flags"].get<int>() & XR_COMPOSITION_LAYER_BLEND_TEXTURE_SOURCE_ALPHA_BIT,
              static_cast<int>(XR_COMPOSITION_LAYER_BLEND_TEXTURE_SOURCE_ALPHA_BIT));
  }
}

TEST_F(HeadsetSessionTest, AdditiveOnlyHeadsetIsUsedWhenAccepted) {
  script({{"blend_modes", {"additive"}}});
  auto binding = gl().binding();
  {
    HeadsetSession session(binding);
    EXPECT_EQ(session.blendMode(), XR_ENVIRONMENT_BLEND_MODE_ADDITIVE);
  }
  // An application that only draws for VR is told why an optical see-through headset is refused.
  twinplan::xr::HeadsetOptions vrOnly;
  vrOnly.acceptedBlendModes = {XR_ENVIRONMENT_BLEND_MODE_OPAQUE};
  try {
    HeadsetSession session(binding, vrOnly);
    FAIL() << "an additive-only headset was accepted for opaque drawing";
  } catch (const twinplan::Error& e) {
    EXPECT_EQ(e.kind(), twinplan::ErrorKind::Unsupported);
    EXPECT_NE(std::string(e.what()).find("it offers additive"), std::string::npos) << e.what();
  }
}

TEST_F(HeadsetSessionTest, NoRuntimeInstalledSaysWhatToInstall) {
  setenv("XR_RUNTIME_JSON", (work_ / "no_such_runtime.json").c_str(), 1);
  auto binding = gl().binding();
  try {
    HeadsetSession session(binding);
    FAIL() << "a session without a runtime";
  } catch (const twinplan::Error& e) {
    EXPECT_EQ(e.kind(), twinplan::ErrorKind::NotFound);
    EXPECT_NE(std::string(e.what()).find("Monado"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("XR_ERROR_RUNTIME_UNAVAILABLE"), std::string::npos)
        << e.what();
  }
}

}  // namespace
