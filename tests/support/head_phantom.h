#pragma once
// The head phantom as the tests use it: without surface models (they work on its segments and
// images), at a scale of its full size that keeps a test quick.
#include "twinplan/phantom/phantom.h"

namespace twinplan::test {

inline phantom::Phantom headPhantom(double scale) {
  phantom::PhantomOptions options;
  options.kind = phantom::PhantomKind::Head;
  options.scale = scale;
  options.surfaceModels = false;
  return phantom::makePhantom(options);
}

}  // namespace twinplan::test
