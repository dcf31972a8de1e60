// Our .glb files pass the Khronos glTF validator (issue #16 item 9), run with node from
// .cache/npm-tools (scripts/setup-test-tools.sh; `make test` installs it).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "test_support.h"
#include "twinplan/io/mesh_files.h"
#include "twinplan/phantom/phantom.h"

namespace twinplan {
namespace {

namespace fs = std::filesystem;

TEST(GltfValidator, PhantomModelsAreValidGltf) {
  const fs::path validator =
      fs::path(TWINPLAN_SOURCE_DIR) / ".cache/npm-tools/node_modules/gltf-validator";
  ASSERT_TRUE(fs::exists(validator / "package.json"))
      << "The Khronos glTF validator is missing: run scripts/setup-test-tools.sh";
  phantom::PhantomOptions options;
  options.kind = phantom::PhantomKind::Head;
  options.scale = 0.5;
  const phantom::Phantom head = phantom::makePhantom(options);
  ASSERT_GE(head.twin.meshes.size(), 3u);
  test::TempDir dir;
  io::writeMeshFile(head.twin.meshes, dir / "head.glb");
  const auto result = test::runCommand(
      "node '" + (fs::path(TWINPLAN_SOURCE_DIR) / "tests/integration/gltf_validate.js").string() +
      "' '" + validator.string() + "' '" + (dir / "head.glb").string() + "'");
  ASSERT_EQ(result.status, 0) << result.output;
  const auto report = nlohmann::json::parse(result.output);
  EXPECT_EQ(report["numErrors"], 0) << report.dump(2);
  EXPECT_EQ(report["numWarnings"], 0) << report.dump(2);
}

}  // namespace
}  // namespace twinplan
