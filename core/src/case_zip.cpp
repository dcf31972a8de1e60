#include "case_zip.h"

#include <zip.h>

#include <exception>
#include <fstream>

#include "twinplan/core/error.h"

namespace twinplan::casefile {
namespace {

std::string quoted(const std::filesystem::path& path) {
  std::string text(1, '\'');  // built by appending: GCC 12 misreports "'" + string (PR105329)
  text += path.string();
  text += '\'';
  return text;
}

std::string damaged(const std::filesystem::path& path) {
  return "The case file " + quoted(path) + " is damaged";
}

constexpr const char* kRestoreHint = " Restore it from a backup or from the autosave.";

// First bytes of the file, to tell "not a zip" from "a damaged zip".
std::string leadingBytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  char bytes[4] = {};
  in.read(bytes, 4);
  return std::string(bytes, static_cast<std::size_t>(in.gcount()));
}

class ZipFile {
 public:
  explicit ZipFile(zip_file_t* file) : file_(file) {}
  ~ZipFile() {
    if (file_) zip_fclose(file_);
  }
  ZipFile(const ZipFile&) = delete;
  ZipFile& operator=(const ZipFile&) = delete;
  zip_file_t* get() const { return file_; }
  int close() {
    const int rc = zip_fclose(file_);
    file_ = nullptr;
    return rc;
  }

 private:
  zip_file_t* file_;
};

}  // namespace

ZipReader::ZipReader(const std::filesystem::path& path) : path_(path) {
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (!std::filesystem::exists(status)) {
    throw Error(ErrorKind::NotFound, "The case file " + quoted(path) + " does not exist.",
                path.string());
  }
  if (!std::filesystem::is_regular_file(status)) {
    throw Error(ErrorKind::InvalidInput, quoted(path) + " is not a file.", path.string());
  }
  fileSize_ = std::filesystem::file_size(path, ec);
  if (ec) {
    throw Error(ErrorKind::Io, "Cannot read " + quoted(path) + ": " + ec.message() + ".",
                path.string());
  }
  if (fileSize_ == 0) {
    throw Error(
        ErrorKind::Corrupt,
        damaged(path) + ": it is empty (0 bytes), perhaps from an interrupted copy." + kRestoreHint,
        path.string());
  }
  int code = 0;
  archive_ = zip_open(path.c_str(), ZIP_RDONLY | ZIP_CHECKCONS, &code);
  if (archive_) return;
  zip_error_t error;
  zip_error_init_with_code(&error, code);
  const std::string reason = zip_error_strerror(&error);
  zip_error_fini(&error);
  switch (code) {
    case ZIP_ER_NOENT:
      throw Error(ErrorKind::NotFound, "The case file " + quoted(path) + " does not exist.",
                  path.string());
    case ZIP_ER_OPEN:
    case ZIP_ER_READ:
    case ZIP_ER_SEEK:
    case ZIP_ER_MEMORY:
      throw Error(ErrorKind::Io, "Cannot read the case file " + quoted(path) + ": " + reason + ".",
                  path.string());
    case ZIP_ER_NOZIP:
      if (!leadingBytes(path).starts_with("PK")) {
        throw Error(ErrorKind::InvalidInput,
                    quoted(path) + " is not a TwinPlan case file (it is not a zip archive).",
                    path.string());
      }
      [[fallthrough]];
    default:
      throw Error(ErrorKind::Corrupt,
                  damaged(path) + " or truncated: its zip structure is invalid (" + reason + ")." +
                      kRestoreHint,
                  path.string());
  }
}

ZipReader::~ZipReader() {
  if (archive_) zip_discard(archive_);
}

bool ZipReader::has(const std::string& name) const {
  return zip_name_locate(archive_, name.c_str(), ZIP_FL_ENC_RAW) >= 0;
}

std::string ZipReader::read(const std::string& name, std::uint64_t maxBytes) const {
  const std::string where = damaged(path_) + ": entry '" + name + "' ";
  const zip_int64_t index = zip_name_locate(archive_, name.c_str(), ZIP_FL_ENC_RAW);
  if (index < 0) {
    throw Error(ErrorKind::Corrupt, where + "is missing." + kRestoreHint, path_.string());
  }
  zip_stat_t stat;
  zip_stat_init(&stat);
  if (zip_stat_index(archive_, static_cast<zip_uint64_t>(index), 0, &stat) != 0 ||
      !(stat.valid & ZIP_STAT_SIZE)) {
    throw Error(ErrorKind::Corrupt, where + "cannot be examined." + kRestoreHint, path_.string());
  }
  // A stored entry cannot be larger than the file; a deflated one at most 1032 times larger.
  const std::uint64_t limit = std::min<std::uint64_t>(maxBytes, (fileSize_ + 64) * 1032);
  if (stat.size > limit) {
    throw Error(ErrorKind::Corrupt,
                where + "claims an impossible size (" + std::to_string(stat.size) + " bytes)." +
                    kRestoreHint,
                path_.string());
  }
  ZipFile file(zip_fopen_index(archive_, static_cast<zip_uint64_t>(index), 0));
  if (!file.get()) {
    throw Error(ErrorKind::Corrupt,
                where + "cannot be opened (" + zip_strerror(archive_) + ")." + kRestoreHint,
                path_.string());
  }
  std::string bytes(static_cast<std::size_t>(stat.size), '\0');
  std::size_t got = 0;
  auto fail = [&](const char* what) {
    throw Error(ErrorKind::Corrupt,
                where + what + " (" + zip_error_strerror(zip_file_get_error(file.get())) + ")." +
                    kRestoreHint,
                path_.string());
  };
  while (got < bytes.size()) {
    const zip_int64_t n = zip_fread(file.get(), bytes.data() + got, bytes.size() - got);
    if (n < 0) fail("fails its checksum or cannot be read");
    if (n == 0) fail("is shorter than its zip directory says");
    got += static_cast<std::size_t>(n);
  }
  // Read to the end: libzip checks the CRC-32 when the entry's data ends.
  char extra = 0;
  const zip_int64_t n = zip_fread(file.get(), &extra, 1);
  if (n < 0) fail("fails its checksum or cannot be read");
  if (n > 0) fail("is longer than its zip directory says");
  if (file.close() != 0) {
    throw Error(ErrorKind::Corrupt, where + "fails its checksum." + kRestoreHint, path_.string());
  }
  return bytes;
}

void ZipWriter::add(std::string name, std::string_view bytes, bool compress) {
  entries_.push_back({std::move(name), bytes, compress});
}

namespace {

struct WriteState {
  Progress* progress;
  std::exception_ptr failure;  // an exception from the sink, rethrown after zip_close
};

void onZipProgress(zip_t*, double fraction, void* state) {
  auto* s = static_cast<WriteState*>(state);
  if (s->failure) return;
  try {
    s->progress->report(fraction, "Writing the case file");
  } catch (...) {  // cannot unwind through C; carried over and rethrown below
    s->failure = std::current_exception();
  }
}

int onZipCancel(zip_t*, void* state) {
  auto* s = static_cast<WriteState*>(state);
  return s->failure || s->progress->cancelRequested() ? 1 : 0;
}

}  // namespace

void ZipWriter::write(const std::filesystem::path& path, Progress& progress) const {
  const auto ioError = [&](const std::string& reason) {
    return Error(ErrorKind::Io,
                 "Cannot write the case file " + quoted(path) + ": " + reason +
                     ". Check that the disk has space and the folder is writable.",
                 path.string());
  };
  int code = 0;
  zip_t* archive = zip_open(path.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &code);
  if (!archive) {
    zip_error_t error;
    zip_error_init_with_code(&error, code);
    const std::string reason = zip_error_strerror(&error);
    zip_error_fini(&error);
    throw ioError(reason);
  }
  struct Discard {
    zip_t* archive;
    ~Discard() {
      if (archive) zip_discard(archive);
    }
  } guard{archive};
  for (const Entry& entry : entries_) {
    zip_source_t* source = zip_source_buffer(archive, entry.bytes.data(), entry.bytes.size(), 0);
    if (!source) throw ioError(zip_strerror(archive));
    const zip_int64_t index =
        zip_file_add(archive, entry.name.c_str(), source, ZIP_FL_ENC_UTF_8 | ZIP_FL_OVERWRITE);
    if (index < 0) {
      zip_source_free(source);
      throw ioError(zip_strerror(archive));
    }
    const zip_int32_t method = entry.compress ? ZIP_CM_DEFLATE : ZIP_CM_STORE;
    if (zip_set_file_compression(archive, static_cast<zip_uint64_t>(index), method, 0) != 0) {
      throw ioError(zip_strerror(archive));
    }
  }
  WriteState state{&progress, nullptr};
  zip_register_progress_callback_with_state(archive, 0.01, onZipProgress, nullptr, &state);
  zip_register_cancel_callback_with_state(archive, onZipCancel, nullptr, &state);
  if (zip_close(archive) != 0) {
    const int error = zip_error_code_zip(zip_get_error(archive));
    const std::string reason = zip_strerror(archive);
    // guard discards the archive; libzip has already removed its partial output
    if (state.failure) std::rethrow_exception(state.failure);
    if (error == ZIP_ER_CANCELLED) throw Cancelled{};
    throw ioError(reason);
  }
  guard.archive = nullptr;
  if (state.failure) std::rethrow_exception(state.failure);
  progress.check();
}

}  // namespace twinplan::casefile
