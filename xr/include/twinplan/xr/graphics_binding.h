#pragma once
// How the XR session reaches the graphics API (issue #20 item 1). OpenGL on Xlib is the one
// binding today (XR_KHR_opengl_enable); D3D or a remoting runtime would add another class.
#include <GL/gl.h>
#include <GL/glx.h>
#include <X11/Xlib.h>

#define XR_USE_PLATFORM_XLIB
#define XR_USE_GRAPHICS_API_OPENGL
#include <openxr/openxr.h>
#include <openxr/openxr_platform.h>

#include <cstdint>
#include <vector>

namespace twinplan::xr {

class GraphicsBinding {
 public:
  virtual ~GraphicsBinding() = default;
  // The instance extension the binding needs.
  virtual const char* instanceExtension() const = 0;
  // Asks the runtime what API version it needs (the extension requires the call before
  // xrCreateSession) and throws Error when the application's context does not meet it.
  virtual void checkRequirements(XrInstance instance, XrSystemId system) = 0;
  // The structure chained into XrSessionCreateInfo.
  virtual const void* sessionBinding() const = 0;
  // Colour formats the renderer can draw into, any order; the runtime's order decides.
  virtual std::vector<int64_t> colorFormats() const = 0;
  // Depth formats the renderer can write its depth into (XR_KHR_composition_layer_depth), any
  // order; empty: the renderer submits no depth.
  virtual std::vector<int64_t> depthFormats() const { return {}; }
  // The images of a swapchain as the API's names (GL texture names).
  virtual std::vector<uint32_t> swapchainImages(XrSwapchain swapchain) = 0;
};

// An OpenGL context on an X display (GLX). The context must be current on the thread that
// creates the session and runs the frame loop.
class GlxGraphicsBinding final : public GraphicsBinding {
 public:
  GlxGraphicsBinding(Display* display, GLXFBConfig config, GLXDrawable drawable,
                     GLXContext context);
  const char* instanceExtension() const override;
  void checkRequirements(XrInstance instance, XrSystemId system) override;
  const void* sessionBinding() const override { return &binding_; }
  std::vector<int64_t> colorFormats() const override;
  std::vector<int64_t> depthFormats() const override;
  std::vector<uint32_t> swapchainImages(XrSwapchain swapchain) override;

 private:
  XrGraphicsBindingOpenGLXlibKHR binding_{XR_TYPE_GRAPHICS_BINDING_OPENGL_XLIB_KHR};
};

}  // namespace twinplan::xr
