#pragma once
// An offscreen OpenGL context for a headset view: a GLX 3.3 core context on a small pbuffer of
// the X display. A program without a window (twinplan-xr-render, a worker thread of the GUI)
// creates one, makes it current on the thread that runs the session, and hands its binding to
// HeadsetSession; every eye is drawn into swapchain textures, never into the pbuffer.
#include <GL/gl.h>
#include <GL/glx.h>
#include <X11/Xlib.h>

#include <string>

#include "twinplan/xr/graphics_binding.h"

namespace twinplan::xr {

class OffscreenGlContext {
 public:
  // Opens `displayName` (nullptr: $DISPLAY) and makes the new context current on this thread.
  // Throws Error(NotFound) when there is no X display, Error(Unsupported) when the display
  // offers no OpenGL 3.3 core context.
  explicit OffscreenGlContext(const char* displayName = nullptr);
  ~OffscreenGlContext();
  OffscreenGlContext(const OffscreenGlContext&) = delete;
  OffscreenGlContext& operator=(const OffscreenGlContext&) = delete;

  GlxGraphicsBinding binding() const;
  void makeCurrent();
  // GL_RENDERER of the context, e.g. "llvmpipe (LLVM 15.0.6, 256 bits)".
  std::string rendererName() const;

 private:
  void release() noexcept;

  Display* display_ = nullptr;
  GLXFBConfig config_ = nullptr;
  GLXPbuffer drawable_ = 0;
  GLXContext context_ = nullptr;
};

}  // namespace twinplan::xr
