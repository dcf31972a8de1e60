#pragma once
// Case files (.twinplan): one versioned zip archive holding a JSON manifest, volumes,
// labelmaps and fields as gzip NRRD, surface meshes as binary PLY and tet meshes as VTK
// legacy files, each with its size and CRC-32 in the manifest, which the loader verifies
// (DESIGN.md section 6, docs/architecture.md "Case files").
#include <filesystem>
#include <optional>
#include <string>

#include "twinplan/core/case.h"
#include "twinplan/core/progress.h"

namespace twinplan {

// The manifest's "formatVersion". Bump it when the manifest or a payload changes shape and
// add a migration step from the previous version (core/src/case_manifest.cpp). Format 2
// (session 13): every result of the case has an "id" (ScalarField::id); format 1 files open
// with their results numbered "result-1", "result-2" ... in order.
inline constexpr int kCaseFormatVersion = 2;
inline constexpr const char* kCaseFileExtension = ".twinplan";

// Writes to a temporary file beside `path`, fsyncs it, renames it over `path` and fsyncs the
// folder: a crash, error or cancellation at any point leaves the previous file intact and
// no temporary file behind (except after a crash of the process itself). A symbolic link is
// followed: the file it points to is replaced.
// Throws Error(InvalidInput) for a case that could not be read back (an empty grid, a
// segment in a missing layer, a triangle naming a missing point ...), Error(Io), Cancelled.
// Progress: one step per part ("Saving volume 'CT'"), then the zip write.
void saveCase(const Case& twin, const std::filesystem::path& path,
              Progress& progress = noProgress());

// Reads and verifies the whole file before returning (zip structure, every entry's size and
// CRC-32 against the zip directory and the manifest, the manifest's schema, NRRD/PLY/VTK
// headers against the manifest); nothing is ever returned half-loaded. Throws
//   Error(NotFound)     the file does not exist,
//   Error(InvalidInput) it is not a zip archive, or a zip without a TwinPlan manifest,
//   Error(Corrupt)      it is damaged or truncated; the message names the file and entry,
//   Error(Unsupported)  it was written by a newer TwinPlan (a higher format version),
//   Error(Io)           it cannot be read, or Cancelled.
// Files of older format versions are migrated step by step while loading.
Case loadCase(const std::filesystem::path& path, Progress& progress = noProgress());

// The format version stored in a case file (also a newer one), without loading the
// payloads. Throws like loadCase when there is no readable TwinPlan manifest.
int caseFileVersion(const std::filesystem::path& path);

// What a case file says about itself, from its manifest alone (fast: no payload is read),
// for the recovery prompt and a recent-files list. Fields a newer format lacks are empty.
struct CaseFileInfo {
  int formatVersion = 0;
  std::string appVersion;         // TwinPlan version that wrote it
  std::string created, modified;  // ISO-8601 UTC, "2026-11-24T07:48:13Z"
  std::string caseName, patientName, patientId;
};
// Throws like caseFileVersion.
CaseFileInfo readCaseFileInfo(const std::filesystem::path& path);

// Periodic safety copies of the open case in the user's data directory. The app calls
// save() from a timer (off the GUI thread, on a copy of the case); on start it asks
// recoverable() and offers to restore; on a clean close it calls discard().
class Autosaver {
 public:
  explicit Autosaver(std::filesystem::path directory);
  // $XDG_DATA_HOME/TwinPlan/autosave when XDG_DATA_HOME is an absolute path, otherwise
  // $HOME/.local/share/TwinPlan/autosave. Throws Error(NotFound) when neither is known.
  static std::filesystem::path defaultDirectory();
  // Creates the directory if needed and saves atomically to file(), in the case format.
  void save(const Case& twin, Progress& progress = noProgress());
  // file() when it exists and has a TwinPlan manifest this version can read; the payloads
  // are verified only by loadCase.
  std::optional<std::filesystem::path> recoverable() const;
  // Removes file(), and temporary files older than 10 minutes that crashed saves left in the
  // directory; nothing to remove is fine. Throws Error(Io) when file() cannot be removed.
  void discard();
  const std::filesystem::path& file() const { return file_; }  // <directory>/autosave.twinplan

 private:
  std::filesystem::path directory_;
  std::filesystem::path file_;
};

}  // namespace twinplan
