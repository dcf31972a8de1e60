#include "test_support.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <random>

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
  while ((n = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0) result.output.append(buffer.data(), n);
  const int raw = ::pclose(pipe);
  result.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  return result;
}

std::filesystem::path cliPath() { return TWINPLAN_CLI; }

}  // namespace twinplan::test
