#pragma once
// What the XR tests share: an OpenGL 3.3 core context on a GLX pbuffer, one per program.
#include <GL/gl.h>
#include <GL/glx.h>
#include <X11/Xlib.h>

#include "twinplan/xr/graphics_binding.h"

namespace twinplan::xr::test {

using twinplan::xr::GlxGraphicsBinding;

// An OpenGL 3.3 core context on a small pbuffer: what a desktop application would own.
class GlContext {
 public:
  GlContext() {
    display_ = XOpenDisplay(nullptr);
    if (display_ == nullptr) return;
    const int attributes[] = {GLX_DRAWABLE_TYPE,
                              GLX_PBUFFER_BIT,
                              GLX_RENDER_TYPE,
                              GLX_RGBA_BIT,
                              GLX_RED_SIZE,
                              8,
                              GLX_GREEN_SIZE,
                              8,
                              GLX_BLUE_SIZE,
                              8,
                              GLX_ALPHA_SIZE,
                              8,
                              GLX_DEPTH_SIZE,
                              24,
                              None};
    int count = 0;
    GLXFBConfig* configs = glXChooseFBConfig(display_, DefaultScreen(display_), attributes, &count);
    if (configs == nullptr || count == 0) return;
    config_ = configs[0];
    XFree(configs);
    const int pbuffer[] = {GLX_PBUFFER_WIDTH, 16, GLX_PBUFFER_HEIGHT, 16, None};
    drawable_ = glXCreatePbuffer(display_, config_, pbuffer);
    using CreateContext = GLXContext (*)(Display*, GLXFBConfig, GLXContext, Bool, const int*);
    const auto create = reinterpret_cast<CreateContext>(
        glXGetProcAddressARB(reinterpret_cast<const GLubyte*>("glXCreateContextAttribsARB")));
    const int version[] = {0x2091 /* GLX_CONTEXT_MAJOR_VERSION_ARB */,
                           3,
                           0x2092 /* MINOR */,
                           3,
                           0x9126 /* GLX_CONTEXT_PROFILE_MASK_ARB */,
                           1 /* CORE */,
                           None};
    context_ = create(display_, config_, nullptr, True, version);
    if (context_ != nullptr) glXMakeContextCurrent(display_, drawable_, drawable_, context_);
  }
  ~GlContext() {
    if (display_ == nullptr) return;
    glXMakeContextCurrent(display_, None, None, nullptr);
    if (context_ != nullptr) glXDestroyContext(display_, context_);
    if (drawable_ != 0) glXDestroyPbuffer(display_, drawable_);
    XCloseDisplay(display_);
  }
  bool ok() const { return context_ != nullptr; }
  Display* display() const { return display_; }
  GLXFBConfig config() const { return config_; }
  GLXDrawable drawable() const { return drawable_; }
  GLXContext context() const { return context_; }
  GlxGraphicsBinding binding() const {
    return GlxGraphicsBinding(display_, config_, drawable_, context_);
  }

 private:
  Display* display_ = nullptr;
  GLXFBConfig config_ = nullptr;
  GLXPbuffer drawable_ = 0;
  GLXContext context_ = nullptr;
};

// One context for the whole program, as an application has: reopening X displays and GLX
// contexts per test made Mesa refuse a context now and then.
inline GlContext& sharedGlContext() {
  static GlContext context;
  return context;
}

}  // namespace twinplan::xr::test
