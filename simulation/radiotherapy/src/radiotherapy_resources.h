#pragma once
// The data files compiled into the radiotherapy module (cmake/TwinPlanResources.cmake):
// resources/radiotherapy/*.json, by their path under resources/.
#include <string_view>

namespace twinplan::resources {

// The text of "radiotherapy/radiobiology.json"; empty when the module holds no such file.
std::string_view radiotherapyResource(std::string_view path);

}  // namespace twinplan::resources
