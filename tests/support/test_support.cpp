#include "test_support.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <Eigen/Geometry>
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <random>
#include <sstream>

namespace twinplan::test {

std::filesystem::path sharedData(const std::string& relative) {
  std::filesystem::path root = TWINPLAN_SHARED_DATA;
  if (!std::filesystem::exists(root / "README.md")) {
    ADD_FAILURE() << "The shared DICOM corpus is missing at " << root
                  << " (expected ../shared/data beside the repository).";
  }
  return relative.empty() ? root : root / relative;
}

TempDir::TempDir(const std::string& tag) {
  std::random_device rd;
  path_ = std::filesystem::temp_directory_path() /
          (tag + "-" + std::to_string(::getpid()) + "-" + std::to_string(rd()));
  std::filesystem::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

void RecordingProgress::report(double fraction, std::string_view step) {
  fractions.push_back(fraction);
  steps.emplace_back(step);
}

bool RecordingProgress::cancelRequested() const {
  return cancelAt_ >= 0 && static_cast<int>(fractions.size()) >= cancelAt_;
}

CommandResult runCommand(const std::string& command) {
  CommandResult result;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (!pipe) return result;
  std::array<char, 4096> buffer{};
  std::size_t n;
  while ((n = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0)
    result.output.append(buffer.data(), n);
  const int raw = ::pclose(pipe);
  result.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  return result;
}

SurfaceMesh icosphere(const Vec3& centre_lps, double radius_mm, int levels, bool withNormals) {
  const double t = (1.0 + std::sqrt(5.0)) / 2.0;
  std::vector<Vec3> unit = {{-1, t, 0}, {1, t, 0}, {-1, -t, 0}, {1, -t, 0},
                            {0, -1, t}, {0, 1, t}, {0, -1, -t}, {0, 1, -t},
                            {t, 0, -1}, {t, 0, 1}, {-t, 0, -1}, {-t, 0, 1}};
  for (Vec3& p : unit) p.normalize();
  std::vector<std::array<std::uint32_t, 3>> triangles = {
      {0, 11, 5},  {0, 5, 1},  {0, 1, 7},  {0, 7, 10}, {0, 10, 11}, {1, 5, 9}, {5, 11, 4},
      {11, 10, 2}, {10, 7, 6}, {7, 1, 8},  {3, 9, 4},  {3, 4, 2},   {3, 2, 6}, {3, 6, 8},
      {3, 8, 9},   {4, 9, 5},  {2, 4, 11}, {6, 2, 10}, {8, 6, 7},   {9, 8, 1}};
  for (int level = 0; level < levels; ++level) {
    std::map<std::pair<std::uint32_t, std::uint32_t>, std::uint32_t> midpoints;
    auto midpoint = [&](std::uint32_t a, std::uint32_t b) {
      const auto key = std::minmax(a, b);
      auto [it, inserted] = midpoints.try_emplace(key, static_cast<std::uint32_t>(unit.size()));
      if (inserted) unit.push_back((unit[a] + unit[b]).normalized());
      return it->second;
    };
    std::vector<std::array<std::uint32_t, 3>> finer;
    for (const auto& [a, b, c] : triangles) {
      const std::uint32_t ab = midpoint(a, b), bc = midpoint(b, c), ca = midpoint(c, a);
      finer.insert(finer.end(), {{a, ab, ca}, {b, bc, ab}, {c, ca, bc}, {ab, bc, ca}});
    }
    triangles = std::move(finer);
  }
  SurfaceMesh mesh;
  mesh.name = "Sphere";
  mesh.triangles = std::move(triangles);
  for (const Vec3& n : unit) {
    const Vec3 p = centre_lps + radius_mm * n;
    mesh.points_lps.push_back(
        {static_cast<float>(p[0]), static_cast<float>(p[1]), static_cast<float>(p[2])});
    if (withNormals)
      mesh.normals.push_back(
          {static_cast<float>(n[0]), static_cast<float>(n[1]), static_cast<float>(n[2])});
  }
  return mesh;
}

std::filesystem::path cliPath() { return TWINPLAN_CLI; }

std::string bytesOf(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

}  // namespace twinplan::test
