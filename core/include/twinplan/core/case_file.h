#pragma once
// Case files (.twinplan): one versioned zip archive holding a JSON manifest, volumes,
// labelmaps and fields as gzip NRRD, and meshes as binary PLY, each with a CRC-32 the
// loader verifies (DESIGN.md section 6, docs/architecture.md).
#include <filesystem>
#include <optional>

#include "twinplan/core/case.h"
#include "twinplan/core/progress.h"

namespace twinplan {

inline constexpr int kCaseFormatVersion = 1;
inline constexpr const char* kCaseFileExtension = ".twinplan";

// Writes to a temporary file beside `path`, fsyncs it, then renames it over `path`: a crash
// or error at any point leaves the previous file intact. Throws Error(Io) or Cancelled.
void saveCase(const Case& twin, const std::filesystem::path& path, Progress& progress = noProgress());

// Reads and verifies the whole file before returning: a corrupt, truncated or newer-version
// file throws Error(Corrupt / Unsupported) and nothing is returned half-loaded.
Case loadCase(const std::filesystem::path& path, Progress& progress = noProgress());

// The format version stored in a case file, without loading it.
int caseFileVersion(const std::filesystem::path& path);

// Periodic safety copies of the open case in the user's data directory. The app calls
// save() from a timer (off the GUI thread); on start it asks recoverable() and offers to
// restore; on a clean close it calls discard().
class Autosaver {
 public:
  explicit Autosaver(std::filesystem::path directory);
  // Default directory: $XDG_DATA_HOME/TwinPlan/autosave (or ~/.local/share/...).
  static std::filesystem::path defaultDirectory();
  void save(const Case& twin, Progress& progress = noProgress());
  std::optional<std::filesystem::path> recoverable() const;
  void discard();
  const std::filesystem::path& file() const { return file_; }

 private:
  std::filesystem::path directory_;
  std::filesystem::path file_;
};

}  // namespace twinplan
