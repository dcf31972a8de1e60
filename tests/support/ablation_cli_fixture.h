#pragma once
// What the ablation CLI tests share (cli_ablate_test, cli_plan_ablation_test): twinplan-cli run
// with --json, and the abdomen phantom at half resolution (128 x 128 x 50 voxels of 3 x 3 x 5
// mm, ~0.2 s to build) written once per test program as DICOM with its case file.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "test_support.h"
#include "twinplan/phantom/phantom.h"

namespace twinplan::test {

// `twinplan-cli --json ARGS`: its JSON output (discarded on a parse failure) after checking
// the exit status; stderr is dropped.
inline nlohmann::json runCliJson(const std::string& args, int expectedStatus = 0) {
  const auto result = runCommand(cliPath().string() + " --json " + args + " 2>/dev/null");
  EXPECT_EQ(result.status, expectedStatus) << args << "\n" << result.output;
  return nlohmann::json::parse(result.output, nullptr, /*allow_exceptions=*/false);
}

// The half-resolution abdomen phantom written under a temporary folder named `prefix`.
struct HalfScaleAbdomen {
  explicit HalfScaleAbdomen(const char* prefix) : dir(prefix) {
    phantom::PhantomOptions options;
    options.scale = 0.5;
    options.surfaceModels = false;
    files = phantom::writePhantom(phantom::makePhantom(options), dir / "phantom");
  }
  TempDir dir;
  phantom::PhantomFiles files;  // files.caseFile: the case with its true segments
};

}  // namespace twinplan::test
