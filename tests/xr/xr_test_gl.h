#pragma once
// What the XR tests share: the xr module's OpenGL 3.3 core context on a GLX pbuffer, one per
// program.
#include <cstdio>
#include <memory>

#include "twinplan/core/error.h"
#include "twinplan/xr/glx_context.h"

namespace twinplan::xr::test {

using twinplan::xr::GlxGraphicsBinding;

// The context a desktop application would own, or null (with the reason printed) when the
// display offers none; tests then fail on ok().
class GlContext {
 public:
  GlContext() {
    try {
      context_ = std::make_unique<OffscreenGlContext>();
    } catch (const Error& e) {
      std::fprintf(stderr, "No GL context for the XR tests: %s\n", e.what());
    }
  }
  bool ok() const { return context_ != nullptr; }
  GlxGraphicsBinding binding() const { return context_->binding(); }

 private:
  std::unique_ptr<OffscreenGlContext> context_;
};

// One context for the whole program, as an application has: reopening X displays and GLX
// contexts per test made Mesa refuse a context now and then.
inline GlContext& sharedGlContext() {
  static GlContext context;
  return context;
}

}  // namespace twinplan::xr::test
