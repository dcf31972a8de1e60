#pragma once
// Every XrResult the XR module receives is checked at the call (STYLE.md "Errors"): a failure
// becomes a twinplan::Error that names the call, the result and what it concerned.
#include <openxr/openxr.h>

#include <string>
#include <string_view>

namespace twinplan::xr {

// "XR_ERROR_SESSION_LOST" for a result code; the numeric value for codes this header lacks.
std::string resultName(XrResult result);

// Throws Error when `result` is a failure (XR_FAILED); returns it otherwise, so qualified
// successes (XR_SESSION_LOSS_PENDING, XR_FRAME_DISCARDED, ...) reach the caller.
XrResult checkXr(XrResult result, std::string_view call, std::string_view context = {});

}  // namespace twinplan::xr
