#pragma once
// The data files compiled into the glioma module (cmake/TwinPlanResources.cmake):
// resources/glioma/*.json, by their path under resources/.
#include <string_view>

namespace twinplan::resources {

// The text of "glioma/regimens.json"; empty when the module holds no such file.
std::string_view gliomaResource(std::string_view path);

}  // namespace twinplan::resources
