#include "twinplan/xr/glx_context.h"

#include "twinplan/core/error.h"

namespace twinplan::xr {

namespace {

// GLX_ARB_create_context and GLX_ARB_create_context_profile token values (the Khronos
// registry's glxext.h), spelled out so that no glxext.h version is needed.
constexpr int kContextMajorVersion = 0x2091;
constexpr int kContextMinorVersion = 0x2092;
constexpr int kContextProfileMask = 0x9126;
constexpr int kContextCoreProfileBit = 0x0001;

}  // namespace

OffscreenGlContext::OffscreenGlContext(const char* displayName) {
  display_ = XOpenDisplay(displayName);
  if (display_ == nullptr)
    throw Error(ErrorKind::NotFound,
                "No X display to draw the headset view with: run TwinPlan in a desktop session "
                "(or under Xvfb, e.g. xvfb-run -a) and check that DISPLAY is set.",
                "DISPLAY");
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
  using CreateContext = GLXContext (*)(Display*, GLXFBConfig, GLXContext, Bool, const int*);
  const auto create = reinterpret_cast<CreateContext>(
      glXGetProcAddressARB(reinterpret_cast<const GLubyte*>("glXCreateContextAttribsARB")));
  if (configs != nullptr && count > 0 && create != nullptr) {
    config_ = configs[0];
    const int pbuffer[] = {GLX_PBUFFER_WIDTH, 16, GLX_PBUFFER_HEIGHT, 16, None};
    drawable_ = glXCreatePbuffer(display_, config_, pbuffer);
    const int version[] = {
        kContextMajorVersion,   3,   kContextMinorVersion, 3, kContextProfileMask,
        kContextCoreProfileBit, None};
    context_ = create(display_, config_, nullptr, True, version);
  }
  if (configs != nullptr) XFree(configs);
  if (context_ == nullptr ||
      glXMakeContextCurrent(display_, drawable_, drawable_, context_) != True) {
    release();
    throw Error(ErrorKind::Unsupported,
                "The X display offers no OpenGL 3.3 core context for the headset view: update "
                "the graphics driver (Mesa 20 or newer, or the GPU vendor's driver).",
                "GLX");
  }
}

OffscreenGlContext::~OffscreenGlContext() { release(); }

void OffscreenGlContext::release() noexcept {
  if (display_ == nullptr) return;
  glXMakeContextCurrent(display_, None, None, nullptr);
  if (context_ != nullptr) glXDestroyContext(display_, context_);
  if (drawable_ != 0) glXDestroyPbuffer(display_, drawable_);
  XCloseDisplay(display_);
  display_ = nullptr;
  context_ = nullptr;
  drawable_ = 0;
}

GlxGraphicsBinding OffscreenGlContext::binding() const {
  return GlxGraphicsBinding(display_, config_, drawable_, context_);
}

void OffscreenGlContext::makeCurrent() {
  glXMakeContextCurrent(display_, drawable_, drawable_, context_);
}

std::string OffscreenGlContext::rendererName() const {
  const auto* name = reinterpret_cast<const char*>(glGetString(GL_RENDERER));
  return name != nullptr ? name : "";
}

}  // namespace twinplan::xr
