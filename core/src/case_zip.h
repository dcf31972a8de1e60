#pragma once
// Thin RAII wrappers over libzip for case files: every libzip failure becomes an Error that
// names the case file and, where there is one, the entry.
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "twinplan/core/progress.h"

struct zip;

namespace twinplan::casefile {

// Reads entries of an existing archive, verifying each entry's CRC-32 and size.
class ZipReader {
 public:
  // Throws Error(NotFound/Io) when the file cannot be opened, Error(InvalidInput) when it is
  // not a zip archive, Error(Corrupt) when it looks like one but is damaged or truncated.
  explicit ZipReader(const std::filesystem::path& path);
  ~ZipReader();
  ZipReader(const ZipReader&) = delete;
  ZipReader& operator=(const ZipReader&) = delete;

  bool has(const std::string& name) const;
  // The entry's bytes. Throws Error(Corrupt) naming the entry when it is missing, larger than
  // maxBytes, or fails libzip's CRC-32/size checks.
  std::string read(const std::string& name, std::uint64_t maxBytes) const;
  const std::filesystem::path& path() const { return path_; }
  std::uint64_t fileSize() const { return fileSize_; }

 private:
  std::filesystem::path path_;
  std::uint64_t fileSize_ = 0;
  ::zip* archive_ = nullptr;
};

// Collects entries in memory and writes them as a new archive at `path` on close().
class ZipWriter {
 public:
  // Entries must outlive close(); the writer keeps views, not copies.
  void add(std::string name, std::string_view bytes, bool compress);
  // Writes the archive to `path` (which is replaced). Reports 0..1 while libzip writes and
  // honours cancellation (throws Cancelled; the partial output is removed by libzip).
  void write(const std::filesystem::path& path, Progress& progress) const;

 private:
  struct Entry {
    std::string name;
    std::string_view bytes;
    bool compress;
  };
  std::vector<Entry> entries_;
};

}  // namespace twinplan::casefile
