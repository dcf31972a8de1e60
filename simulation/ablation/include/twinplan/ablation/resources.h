#pragma once
// The data files compiled into the ablation module (cmake/TwinPlanResources.cmake):
// resources/tissues/*.json and resources/ablation/*.json, by their path under resources/.
#include <string_view>

namespace twinplan::resources {

// The text of "tissues/tissues.json" and the like; empty when the module holds no such file.
std::string_view ablationResource(std::string_view path);

}  // namespace twinplan::resources
