#pragma once
// The twinplan::Error a call throws, for tests that check its kind and sentence; a call that
// throws nothing fails the test.
#include <gtest/gtest.h>

#include "twinplan/core/error.h"

namespace twinplan::test {

template <class F>
Error errorOf(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e;
  }
  ADD_FAILURE() << "no error";
  return Error(ErrorKind::Internal, "none");
}

}  // namespace twinplan::test
