#pragma once
// Shared helpers for TwinPlan's tests.
#include <filesystem>
#include <string>
#include <vector>

#include "twinplan/core/mesh.h"
#include "twinplan/core/progress.h"

namespace twinplan::test {

// ../shared/data/<relative>; fails the test (ADD_FAILURE) when the corpus is missing.
std::filesystem::path sharedData(const std::string& relative = {});
// A fresh empty folder under the system temp dir, removed when the object dies.
class TempDir {
 public:
  explicit TempDir(const std::string& tag = "twinplan-test");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

// Records every report; requests cancellation once `cancelAtReport` reports were seen
// (never when negative).
class RecordingProgress : public Progress {
 public:
  explicit RecordingProgress(int cancelAtReport = -1) : cancelAt_(cancelAtReport) {}
  void report(double fraction, std::string_view step) override;
  bool cancelRequested() const override;
  std::vector<double> fractions;
  std::vector<std::string> steps;

 private:
  int cancelAt_;
};

// Runs a shell command; returns its exit status and stdout.
struct CommandResult {
  int status = -1;
  std::string output;
};
CommandResult runCommand(const std::string& command);

// An icosphere: an icosahedron whose triangles are split in four `levels` times, every new
// point pushed onto the sphere. Triangles are counter-clockwise seen from outside.
SurfaceMesh icosphere(const Vec3& centre_lps, double radius_mm, int levels, bool withNormals);

// Path of the built twinplan-cli.
std::filesystem::path cliPath();

// A file's bytes ("" when it cannot be read): to show that a refused command left it as it was.
std::string bytesOf(const std::filesystem::path& file);

}  // namespace twinplan::test
