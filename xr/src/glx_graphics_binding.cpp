#include "twinplan/core/error.h"
#include "twinplan/xr/graphics_binding.h"
#include "twinplan/xr/xr_result.h"

namespace twinplan::xr {
namespace {

// GL internal formats (enum values of Khronos' glext.h): 8-bit sRGB with alpha first (correct
// blending of gamma-encoded colour), linear 8-bit as the fallback. Alpha is kept for the
// alpha-blend mixed reality headsets.
constexpr int64_t kGlSrgb8Alpha8 = 0x8C43;
constexpr int64_t kGlRgba8 = 0x8058;
// Depth: 24-bit normalised and 32-bit float, the two depth formats every GL 3.x implementation
// renders to (OpenGL 3.3 core, section 4.4.2.3 "Required Framebuffer Formats" lists both).
constexpr int64_t kGlDepthComponent24 = 0x81A6;
constexpr int64_t kGlDepthComponent32f = 0x8CAC;

int glVersionOfCurrentContext() {
  GLint major = 0, minor = 0;
  glGetIntegerv(0x821B /* GL_MAJOR_VERSION */, &major);
  glGetIntegerv(0x821C /* GL_MINOR_VERSION */, &minor);
  return major * 100 + minor;
}

}  // namespace

GlxGraphicsBinding::GlxGraphicsBinding(Display* display, GLXFBConfig config, GLXDrawable drawable,
                                       GLXContext context) {
  if (display == nullptr || config == nullptr || context == nullptr) {
    throw Error(ErrorKind::InvalidInput,
                "The headset view needs an OpenGL context on an X display; none was given.",
                "GlxGraphicsBinding");
  }
  binding_.xDisplay = display;
  binding_.glxFBConfig = config;
  binding_.glxDrawable = drawable;
  binding_.glxContext = context;
  int visual = 0;
  glXGetFBConfigAttrib(display, config, GLX_VISUAL_ID, &visual);
  binding_.visualid = static_cast<uint32_t>(visual);
}

const char* GlxGraphicsBinding::instanceExtension() const {
  return XR_KHR_OPENGL_ENABLE_EXTENSION_NAME;
}

void GlxGraphicsBinding::checkRequirements(XrInstance instance, XrSystemId system) {
  PFN_xrGetOpenGLGraphicsRequirementsKHR getRequirements = nullptr;
  checkXr(xrGetInstanceProcAddr(instance, "xrGetOpenGLGraphicsRequirementsKHR",
                                reinterpret_cast<PFN_xrVoidFunction*>(&getRequirements)),
          "xrGetInstanceProcAddr", "xrGetOpenGLGraphicsRequirementsKHR");
  XrGraphicsRequirementsOpenGLKHR requirements{XR_TYPE_GRAPHICS_REQUIREMENTS_OPENGL_KHR};
  checkXr(getRequirements(instance, system, &requirements), "xrGetOpenGLGraphicsRequirementsKHR");
  const int have = glVersionOfCurrentContext();
  const int need = static_cast<int>(XR_VERSION_MAJOR(requirements.minApiVersionSupported) * 100 +
                                    XR_VERSION_MINOR(requirements.minApiVersionSupported));
  if (have < need) {
    throw Error(ErrorKind::Unsupported,
                "The headset's runtime needs OpenGL " + std::to_string(need / 100) + "." +
                    std::to_string(need % 100) + " but the current context has " +
                    std::to_string(have / 100) + "." + std::to_string(have % 100) +
                    ": update the graphics driver.",
                "xrGetOpenGLGraphicsRequirementsKHR");
  }
}

std::vector<int64_t> GlxGraphicsBinding::colorFormats() const { return {kGlSrgb8Alpha8, kGlRgba8}; }

std::vector<int64_t> GlxGraphicsBinding::depthFormats() const {
  return {kGlDepthComponent24, kGlDepthComponent32f};
}

std::vector<uint32_t> GlxGraphicsBinding::swapchainImages(XrSwapchain swapchain) {
  uint32_t count = 0;
  checkXr(xrEnumerateSwapchainImages(swapchain, 0, &count, nullptr), "xrEnumerateSwapchainImages");
  std::vector<XrSwapchainImageOpenGLKHR> images(count, {XR_TYPE_SWAPCHAIN_IMAGE_OPENGL_KHR});
  checkXr(xrEnumerateSwapchainImages(swapchain, count, &count,
                                     reinterpret_cast<XrSwapchainImageBaseHeader*>(images.data())),
          "xrEnumerateSwapchainImages");
  std::vector<uint32_t> names;
  for (const auto& image : images) names.push_back(image.image);
  return names;
}

}  // namespace twinplan::xr
