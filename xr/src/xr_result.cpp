#include "twinplan/xr/xr_result.h"

#include <openxr/openxr_reflection.h>

#include "twinplan/core/error.h"

namespace twinplan::xr {
namespace {

// What a user can do about the failures a workstation meets (OpenXR 1.0 sections 2.9 and 2.10 name
// them).
ErrorKind kindOf(XrResult result) {
  switch (result) {
    case XR_ERROR_RUNTIME_UNAVAILABLE:
    case XR_ERROR_FORM_FACTOR_UNAVAILABLE:
    case XR_ERROR_EXTENSION_NOT_PRESENT:
      return ErrorKind::NotFound;
    case XR_ERROR_FORM_FACTOR_UNSUPPORTED:
    case XR_ERROR_VIEW_CONFIGURATION_TYPE_UNSUPPORTED:
    case XR_ERROR_ENVIRONMENT_BLEND_MODE_UNSUPPORTED:
    case XR_ERROR_SWAPCHAIN_FORMAT_UNSUPPORTED:
    case XR_ERROR_REFERENCE_SPACE_UNSUPPORTED:
    case XR_ERROR_FEATURE_UNSUPPORTED:
    case XR_ERROR_FUNCTION_UNSUPPORTED:
    case XR_ERROR_API_VERSION_UNSUPPORTED:
      return ErrorKind::Unsupported;
    default:
      return ErrorKind::Internal;
  }
}

}  // namespace

std::string resultName(XrResult result) {
  switch (result) {
#define TWINPLAN_XR_RESULT_CASE(name, value) \
  case name:                                 \
    return #name;
    XR_LIST_ENUM_XrResult(TWINPLAN_XR_RESULT_CASE)
#undef TWINPLAN_XR_RESULT_CASE
            default : return "XrResult " +
                      std::to_string(static_cast<int>(result));
  }
}

XrResult checkXr(XrResult result, std::string_view call, std::string_view context) {
  if (XR_SUCCEEDED(result)) return result;
  std::string message =
      "The OpenXR runtime answered " + std::string(call) + " with " + resultName(result);
  if (!context.empty()) message += " (" + std::string(context) + ")";
  message += ".";
  if (result == XR_ERROR_RUNTIME_UNAVAILABLE) {
    message +=
        " No OpenXR runtime is installed or active: install one for the headset (Monado, SteamVR, "
        "Meta Quest Link, Windows Mixed Reality) and make it the active runtime, or set "
        "XR_RUNTIME_JSON to its manifest.";
  } else if (result == XR_ERROR_FORM_FACTOR_UNAVAILABLE) {
    message += " The runtime found no headset: connect and switch on the headset, then try again.";
  } else if (result == XR_ERROR_INSTANCE_LOST || result == XR_ERROR_SESSION_LOST) {
    message += " The headset's runtime stopped or restarted: start the headset view again.";
  }
  throw Error(kindOf(result), message, std::string(call));
}

}  // namespace twinplan::xr
