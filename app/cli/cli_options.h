#pragma once
// What several twinplan-cli commands share: options of comma-separated numbers (an LPS point
// "x,y,z", a range "MIN,MAX"), the JSON pieces every result repeats (a grid in LPS mm, the run
// time, a list of names) and printing a result as JSON or as text. One place for each form, so
// that the commands write them alike.
#include <chrono>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "twinplan/core/geometry.h"

namespace CLI {
class App;
class Option;
}  // namespace CLI

namespace twinplan::cli {

// An option that takes exactly `count` numbers written "a,b,c" (an LPS point "x,y,z" with 3,
// a range "MIN,MAX" with 2); CLI11 refuses another count, naming the option.
CLI::Option* addNumbersOption(CLI::App& command, const std::string& name,
                              std::vector<double>& numbers, std::size_t count,
                              const std::string& help);

// Seconds since `start` on the steady clock (a result's "time_s").
double secondsSince(std::chrono::steady_clock::time_point start);

// A grid as {"size", "spacing_mm", "origin_lps_mm"} (LPS millimetres).
nlohmann::json gridJson(const ImageGeometry& grid);

// 'a', 'b', 'c': the names an error message offers instead of a wrong one ("" for none).
std::string quotedNames(const std::vector<std::string>& names);

// The result as indented JSON on stdout (the --json form).
void printJson(const nlohmann::json& result);

// The result as JSON (`asJson`) or as `printText` writes it.
void printResult(const nlohmann::json& result, bool asJson,
                 const std::function<void(const nlohmann::json&)>& printText);

}  // namespace twinplan::cli
