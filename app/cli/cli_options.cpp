#include "cli_options.h"

#include <CLI/CLI.hpp>
#include <iostream>

namespace twinplan::cli {

CLI::Option* addNumbersOption(CLI::App& command, const std::string& name,
                              std::vector<double>& numbers, std::size_t count,
                              const std::string& help) {
  return command.add_option(name, numbers, help)->delimiter(',')->expected(int(count));
}

double secondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

nlohmann::json gridJson(const ImageGeometry& grid) {
  return {{"size", grid.size},
          {"spacing_mm", {grid.spacing_mm.x(), grid.spacing_mm.y(), grid.spacing_mm.z()}},
          {"origin_lps_mm", {grid.origin_lps.x(), grid.origin_lps.y(), grid.origin_lps.z()}}};
}

std::string quotedNames(const std::vector<std::string>& names) {
  std::string text;
  for (const std::string& name : names) text += (text.empty() ? "'" : ", '") + name + "'";
  return text;
}

void printJson(const nlohmann::json& result) { std::cout << result.dump(2) << '\n'; }

void printResult(const nlohmann::json& result, bool asJson,
                 const std::function<void(const nlohmann::json&)>& printText) {
  if (asJson)
    printJson(result);
  else
    printText(result);
}

}  // namespace twinplan::cli
