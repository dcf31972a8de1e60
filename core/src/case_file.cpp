#include "twinplan/core/case_file.h"

#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <map>
#include <optional>
#include <random>
#include <span>

#include "case_gzip.h"
#include "case_manifest.h"
#include "case_text.h"
#include "case_vtk_codec.h"
#include "case_zip.h"
#include "nrrd_codec.h"
#include "ply_codec.h"
#include "twinplan/core/error.h"

#ifndef TWINPLAN_VERSION
#define TWINPLAN_VERSION "0.1.0"  // CMake may pass PROJECT_VERSION
#endif

namespace twinplan {
namespace {

namespace fs = std::filesystem;
using casefile::Manifest;
using nlohmann::json;

constexpr std::uint64_t kMaxManifestBytes = std::uint64_t{256} << 20;
constexpr const char* kRestoreHint = " Restore it from a backup or from the autosave.";

std::string quoted(const fs::path& path) {
  std::string text(1, '\'');  // built by appending: GCC 12 misreports "'" + string (PR105329)
  text += path.string();
  text += '\'';
  return text;
}

// Maps a codec's 0..1 onto [from, to] of the caller's progress under one step name.
class StepProgress final : public Progress {
 public:
  StepProgress(Progress& parent, double from, double to, std::string step)
      : parent_(parent), from_(from), to_(to), step_(std::move(step)) {}
  void report(double fraction, std::string_view) override {
    parent_.report(from_ + (to_ - from_) * std::clamp(fraction, 0.0, 1.0), step_);
  }
  bool cancelRequested() const override { return parent_.cancelRequested(); }

 private:
  Progress& parent_;
  double from_, to_;
  std::string step_;
};

// Hands out consecutive slices of [from, to] in proportion to weights.
class Slicer {
 public:
  Slicer(double from, double to, double totalWeight)
      : at_(from), scale_(totalWeight > 0 ? (to - from) / totalWeight : 0.0) {}
  std::pair<double, double> next(double weight) {
    const double from = at_;
    at_ += weight * scale_;
    return {from, at_};
  }

 private:
  double at_, scale_;
};

std::string isoTimeUtc(std::chrono::system_clock::time_point when) {
  const std::time_t t = std::chrono::system_clock::to_time_t(when);
  std::tm utc{};
  gmtime_r(&t, &utc);
  auto two = [](int v) { return std::string(v < 10 ? "0" : "") + casefile::formatInt(v); };
  return casefile::formatInt(utc.tm_year + 1900) + "-" + two(utc.tm_mon + 1) + "-" +
         two(utc.tm_mday) + "T" + two(utc.tm_hour) + ":" + two(utc.tm_min) + ":" + two(utc.tm_sec) +
         "Z";
}

// ------------------------------------------------------------------ errors on load

[[noreturn]] void rethrowInEntry(const Error& e, const fs::path& file, const std::string& entry) {
  switch (e.kind()) {
    case ErrorKind::Corrupt:
      throw Error(ErrorKind::Corrupt,
                  "The case file " + quoted(file) + " is damaged: entry '" + entry + "' " +
                      e.what() + kRestoreHint,
                  file.string());
    case ErrorKind::InvalidInput:
      throw Error(ErrorKind::InvalidInput,
                  quoted(file) + " is not a TwinPlan case file: its " + entry + " " + e.what(),
                  file.string());
    default:
      throw e;
  }
}

template <class F>
auto inEntry(const fs::path& file, const std::string& entry, F&& f) {
  try {
    return f();
  } catch (const Error& e) {
    rethrowInEntry(e, file, entry);
  }
}

constexpr int kMaxJsonNesting = 256;

// The deepest nesting of arrays and objects in JSON text (strings skipped).
int jsonNesting(std::string_view text) {
  int depth = 0, deepest = 0;
  bool inString = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (inString) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        inString = false;
      }
    } else if (c == '"') {
      inString = true;
    } else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return deepest;
}

// The manifest as parsed JSON, after checking it is a TwinPlan manifest; `version` receives
// its format version.
json parseManifest(const casefile::ZipReader& zip, int& version) {
  const fs::path& file = zip.path();
  if (!zip.has(casefile::kManifestEntry)) {
    throw Error(ErrorKind::InvalidInput,
                quoted(file) + " is a zip archive but not a TwinPlan case file (it has no " +
                    casefile::kManifestEntry + ").",
                file.string());
  }
  const std::string text = zip.read(casefile::kManifestEntry, kMaxManifestBytes);
  // Copying and printing JSON recurse; a crafted manifest nested a million levels deep would
  // overflow the stack, so nesting is bounded before parsing.
  if (jsonNesting(text) > kMaxJsonNesting) {
    throw Error(ErrorKind::Corrupt,
                "The case file " + quoted(file) + " is damaged: entry 'manifest.json' nests " +
                    "deeper than " + casefile::formatInt(kMaxJsonNesting) + " levels." +
                    kRestoreHint,
                file.string());
  }
  json manifest = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (manifest.is_discarded()) {
    throw Error(ErrorKind::Corrupt,
                "The case file " + quoted(file) + " is damaged: entry 'manifest.json' is not " +
                    "valid JSON." + kRestoreHint,
                file.string());
  }
  version =
      inEntry(file, casefile::kManifestEntry, [&] { return casefile::formatVersionOf(manifest); });
  return manifest;
}

// The manifest migrated to the current format; a newer format is refused.
json readManifest(const casefile::ZipReader& zip) {
  int version = 0;
  json manifest = parseManifest(zip, version);
  if (version > kCaseFormatVersion) {
    throw Error(ErrorKind::Unsupported,
                quoted(zip.path()) + " was written by a newer TwinPlan (format " +
                    casefile::formatInt(version) + "); this version reads up to " +
                    casefile::formatInt(kCaseFormatVersion) + ". Update TwinPlan to open it.",
                zip.path().string());
  }
  return casefile::migrate(std::move(manifest), version);
}

// The `created` time of the case already at `path`, when it is the same case (same name and
// patient): re-saving keeps it, "Save as" over another case does not.
std::optional<std::string> createdTimeOf(const fs::path& path, const Case& twin) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return std::nullopt;
  try {
    casefile::ZipReader zip(path);
    const json manifest = readManifest(zip);
    const json& c = manifest.at("case");
    if (c.at("name") == twin.name && c.at("patientId") == twin.patientId &&
        manifest.at("created").is_string()) {
      return manifest["created"].get<std::string>();
    }
  } catch (const Error&) {  // an unreadable old file simply has no creation time to keep
  } catch (const json::exception&) {
  }
  return std::nullopt;
}

// ------------------------------------------------------------------ atomic replace

[[noreturn]] void throwIo(const std::string& what, const fs::path& path, int error) {
  throw Error(ErrorKind::Io,
              "Cannot save the case to " + quoted(path) + ": " + what + " (" +
                  std::strerror(error) + "). Check that the disk has space and the folder is " +
                  "writable; the previous file is unchanged.",
              path.string());
}

// A temporary file beside the target, removed unless commit() renamed it over the target.
class TempFile {
 public:
  explicit TempFile(const fs::path& target) : target_(target) {
    std::random_device random;
    const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
    for (int attempt = 0; attempt < 16 && path_.empty(); ++attempt) {
      const fs::path candidate = dir / casefile::concat(".", target.filename().string(), ".saving-",
                                                        casefile::crc32Hex(random()));
      const int fd = ::open(candidate.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
      if (fd < 0 && errno == EEXIST) continue;
      if (fd < 0) throwIo("cannot create a temporary file in " + quoted(dir), target, errno);
      struct stat old {};
      if (::stat(target.c_str(), &old) == 0) {
        ::fchmod(fd, old.st_mode & 07777);  // keep the permissions the user gave the file
      }
      ::close(fd);
      path_ = candidate;
    }
    if (path_.empty()) throwIo("cannot pick a temporary file name", target, EEXIST);
  }
  ~TempFile() {
    if (!committed_) ::unlink(path_.c_str());
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  const fs::path& path() const { return path_; }

  // fsync the temp file, rename it over the target, fsync the folder.
  void commit() {
    const int fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throwIo("cannot reopen the temporary file", target_, errno);
    if (::fsync(fd) != 0) {
      const int error = errno;
      ::close(fd);
      throwIo("cannot flush the file to disk", target_, error);
    }
    ::close(fd);
    if (::rename(path_.c_str(), target_.c_str()) != 0) {
      throwIo("cannot replace the file", target_, errno);
    }
    committed_ = true;
    const fs::path dir = target_.has_parent_path() ? target_.parent_path() : fs::path(".");
    const int dirFd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dirFd >= 0) {
      // Some file systems cannot fsync a folder (EINVAL); the rename is done either way.
      if (::fsync(dirFd) != 0 && errno != EINVAL && errno != ENOTSUP) {
        const int error = errno;
        ::close(dirFd);
        throwIo("the file was replaced but its folder could not be flushed to disk", target_,
                error);
      }
      ::close(dirFd);
    }
  }

 private:
  fs::path target_;
  fs::path path_;
  bool committed_ = false;
};

std::span<const std::byte> floatBytes(const std::vector<float>& values) {
  return std::as_bytes(std::span<const float>(values));
}
std::span<const std::byte> labelBytes(const std::vector<std::uint16_t>& labels) {
  return std::as_bytes(std::span<const std::uint16_t>(labels));
}

// Raw bytes of a payload's content, for progress weights and plausibility checks.
std::uint64_t gridBytes(const ImageGeometry& g, PixelType type) {
  return static_cast<std::uint64_t>(g.voxelCount()) * bytesPerVoxel(type);
}

// Where a loaded mesh or field goes: the case itself, or the checkpoint it was saved for (the
// manifest was checked to list every checkpoint its parts name).
struct Parts {
  std::vector<SurfaceMesh>& meshes;
  std::vector<ScalarField>& fields;
};
Parts partsOf(Case& twin, const std::string& checkpoint) {
  if (checkpoint.empty()) return {twin.meshes, twin.fields};
  for (JobCheckpoint& c : twin.checkpoints)
    if (c.jobId == checkpoint) return {c.meshes, c.fields};
  throw Error(ErrorKind::Internal, "A checkpoint the manifest names is missing.", checkpoint);
}

}  // namespace

void saveCase(const Case& twin, const fs::path& requestedPath, Progress& progress) {
  progress.check();
  // Saving through a symbolic link replaces the file it points to, not the link.
  std::error_code ec;
  fs::path path = requestedPath;
  if (fs::is_symlink(requestedPath, ec)) {
    const fs::path resolved = fs::weakly_canonical(requestedPath, ec);
    if (!ec && !resolved.empty()) path = resolved;
  }
  Manifest manifest = casefile::describe(twin);
  const std::string now = isoTimeUtc(std::chrono::system_clock::now());
  manifest.appVersion = TWINPLAN_VERSION;
  manifest.created = createdTimeOf(path, twin).value_or(now);
  manifest.modified = now;

  // Encoding (compression) is most of the time; weights are the raw bytes of each payload.
  double totalWeight = 1.0;
  for (const auto& v : twin.volumes) totalWeight += static_cast<double>(v.bytes().size());
  for (const auto& l : twin.labelMaps) {
    totalWeight += static_cast<double>(gridBytes(l.geometry(), PixelType::UInt16)) * l.layerCount();
  }
  const auto meshes = casefile::savedMeshes(twin);
  const auto fields = casefile::savedFields(twin);
  for (const auto* s : meshes) totalWeight += static_cast<double>(s->points_lps.size()) * 12;
  for (const auto& t : twin.tetMeshes) totalWeight += static_cast<double>(t.tets.size()) * 28;
  for (const auto* f : fields) totalWeight += static_cast<double>(f->values.size()) * 4;
  Slicer slices(0.0, 0.85, totalWeight);

  struct Payload {
    std::string entry;
    std::string bytes;
    bool compress;  // NRRD payloads are gzip already: stored as they are
  };
  std::vector<Payload> payloads;
  auto encodeGrid = [&](const std::string& entry, const std::string& step, PixelType type,
                        const ImageGeometry& geometry, std::span<const std::byte> voxels) {
    const auto [from, to] = slices.next(static_cast<double>(voxels.size()));
    StepProgress sub(progress, from, to, step);
    payloads.push_back({entry, casefile::encodeNrrd({type, geometry}, voxels, sub), false});
    sub.check();
  };
  for (std::size_t i = 0; i < twin.volumes.size(); ++i) {
    const ImageVolume& v = twin.volumes[i];
    encodeGrid(manifest.volumes[i].entry, "Saving volume '" + v.name + "'", v.pixelType(),
               v.geometry(), v.bytes());
  }
  for (std::size_t i = 0; i < twin.labelMaps.size(); ++i) {
    const LabelMap& l = twin.labelMaps[i];
    for (int layer = 0; layer < l.layerCount(); ++layer) {
      encodeGrid(manifest.labelMaps[i].layerEntries[static_cast<std::size_t>(layer)],
                 "Saving segmentation '" + l.name + "'", PixelType::UInt16, l.geometry(),
                 labelBytes(l.layer(layer)));
    }
  }
  for (std::size_t i = 0; i < meshes.size(); ++i) {
    const auto [from, to] = slices.next(static_cast<double>(meshes[i]->points_lps.size()) * 12);
    StepProgress sub(progress, from, to, "Saving surface '" + meshes[i]->name + "'");
    payloads.push_back({manifest.meshes[i].entry, casefile::encodePly(*meshes[i]), true});
    sub.report(1.0, {});
    sub.check();
  }
  for (std::size_t i = 0; i < twin.tetMeshes.size(); ++i) {
    const auto [from, to] = slices.next(static_cast<double>(twin.tetMeshes[i].tets.size()) * 28);
    StepProgress sub(progress, from, to, "Saving mesh '" + twin.tetMeshes[i].name + "'");
    payloads.push_back(
        {manifest.tetMeshes[i].entry, casefile::encodeTetVtk(twin.tetMeshes[i]), true});
    sub.report(1.0, {});
    sub.check();
  }
  for (std::size_t i = 0; i < fields.size(); ++i) {
    const ScalarField& f = *fields[i];
    encodeGrid(manifest.fields[i].entry, "Saving field '" + f.name + "'", PixelType::Float32,
               f.geometry, floatBytes(f.values));
  }
  for (const Payload& p : payloads) {
    manifest.payloads.push_back({p.entry, p.bytes.size(), casefile::crc32Of(p.bytes)});
  }
  // Invalid UTF-8 in a name must not make a save (or an autosave) fail: it is replaced.
  const std::string manifestText =
      casefile::toJson(manifest).dump(2, ' ', false, json::error_handler_t::replace) + "\n";

  casefile::ZipWriter writer;
  writer.add(casefile::kManifestEntry, manifestText, true);
  for (const Payload& p : payloads) writer.add(p.entry, p.bytes, p.compress);
  progress.check();

  TempFile temp(path);
  {
    StepProgress sub(progress, 0.85, 0.98, "Writing '" + path.filename().string() + "'");
    writer.write(temp.path(), sub);
  }
  progress.check();  // the last moment a cancel can still leave the old file in place
  temp.commit();
  progress.report(1.0, "Saved '" + path.filename().string() + "'");
}

Case loadCase(const fs::path& path, Progress& progress) {
  progress.check();
  casefile::ZipReader zip(path);
  const json manifestJson = readManifest(zip);
  const Manifest manifest =
      inEntry(path, casefile::kManifestEntry, [&] { return casefile::fromJson(manifestJson); });

  std::map<std::string, const casefile::PayloadRecord*> records;
  for (const auto& record : manifest.payloads) records[record.entry] = &record;
  // Everything the manifest promises is checked against the payload sizes before any
  // allocation, so a damaged or crafted manifest cannot ask for terabytes.
  auto plausible = [&](const std::string& entry, std::uint64_t rawBytes, bool exact) {
    const std::uint64_t size = records.at(entry)->size;
    const bool ok = exact
                        ? size == rawBytes
                        : casefile::inflatedSizePlausible(size, rawBytes) && size <= zip.fileSize();
    if (!ok) {
      throw Error(ErrorKind::Corrupt,
                  "The case file " + quoted(path) + " is damaged: entry '" + entry +
                      "' does not have the size the manifest's description of it implies." +
                      kRestoreHint,
                  path.string());
    }
  };
  double totalWeight = 1.0;
  for (const auto& v : manifest.volumes) plausible(v.entry, gridBytes(v.geometry, v.type), false);
  for (const auto& l : manifest.labelMaps) {
    for (const auto& e : l.layerEntries)
      plausible(e, gridBytes(l.geometry, PixelType::UInt16), false);
  }
  for (const auto& f : manifest.fields)
    plausible(f.entry, gridBytes(f.geometry, PixelType::Float32), false);
  for (const auto& s : manifest.meshes) {
    const auto size = casefile::plyFileSize(s.pointCount, s.triangleCount, s.hasNormals);
    plausible(s.entry, size.value_or(0), true);
  }
  for (const auto& t : manifest.tetMeshes) {
    plausible(t.entry, casefile::tetVtkFileSize(t.pointCount, t.tetCount).value_or(0), true);
  }
  for (const auto& record : manifest.payloads) totalWeight += static_cast<double>(record.size);
  Slicer slices(0.0, 1.0, totalWeight);

  // Reads an entry and checks it against the manifest's size and CRC-32.
  auto readEntry = [&](const std::string& entry) {
    const casefile::PayloadRecord& record = *records.at(entry);
    std::string bytes = zip.read(entry, record.size);
    if (bytes.size() != record.size || casefile::crc32Of(bytes) != record.crc32) {
      throw Error(ErrorKind::Corrupt,
                  "The case file " + quoted(path) + " is damaged: entry '" + entry +
                      "' does not match the size and checksum in its manifest." + kRestoreHint,
                  path.string());
    }
    return bytes;
  };
  auto stepFor = [&](const std::string& entry, const std::string& step) {
    const auto [from, to] = slices.next(static_cast<double>(records.at(entry)->size));
    return StepProgress(progress, from, to, step);
  };

  Case twin = manifest.header;
  for (const auto& meta : manifest.volumes) {
    StepProgress sub = stepFor(meta.entry, "Loading volume '" + meta.name + "'");
    const std::string bytes = readEntry(meta.entry);
    ImageVolume volume(meta.geometry, meta.type);
    inEntry(path, meta.entry, [&] {
      casefile::decodeNrrd(bytes, {meta.type, meta.geometry}, volume.bytes(), sub);
    });
    volume.name = meta.name;
    volume.unit = meta.unit;
    volume.dicom = meta.dicom;
    volume.assumptions = meta.assumptions;
    volume.planar2D = meta.planar2D;
    volume.paddingRange = meta.paddingRange;
    twin.volumes.push_back(std::move(volume));
  }
  for (const auto& meta : manifest.labelMaps) {
    LabelMap labels(meta.geometry);
    for (std::size_t layer = 0; layer < meta.layerEntries.size(); ++layer) {
      const std::string& entry = meta.layerEntries[layer];
      StepProgress sub = stepFor(entry, "Loading segmentation '" + meta.name + "'");
      const std::string bytes = readEntry(entry);
      if (layer > 0) labels.addLayer();
      auto& values = labels.layer(static_cast<int>(layer));
      inEntry(path, entry, [&] {
        casefile::decodeNrrd(bytes, {PixelType::UInt16, meta.geometry},
                             std::as_writable_bytes(std::span<std::uint16_t>(values)), sub);
      });
    }
    labels.segments() = meta.segments;
    labels.name = meta.name;
    twin.labelMaps.push_back(std::move(labels));
  }
  for (const auto& meta : manifest.meshes) {
    StepProgress sub = stepFor(meta.entry, "Loading surface '" + meta.name + "'");
    const std::string bytes = readEntry(meta.entry);
    SurfaceMesh mesh;
    mesh.name = meta.name;
    mesh.segmentName = meta.segmentName;
    mesh.colour = meta.colour;
    mesh.opacity = meta.opacity;
    mesh.visible = meta.visible;
    inEntry(path, meta.entry, [&] {
      casefile::decodePly(bytes, meta.pointCount, meta.triangleCount, meta.hasNormals, mesh);
    });
    sub.report(1.0, {});
    sub.check();
    partsOf(twin, meta.checkpoint).meshes.push_back(std::move(mesh));
  }
  for (const auto& meta : manifest.tetMeshes) {
    StepProgress sub = stepFor(meta.entry, "Loading mesh '" + meta.name + "'");
    const std::string bytes = readEntry(meta.entry);
    TetMesh mesh;
    mesh.name = meta.name;
    mesh.materialNames = meta.materialNames;
    inEntry(path, meta.entry,
            [&] { casefile::decodeTetVtk(bytes, meta.pointCount, meta.tetCount, mesh); });
    sub.report(1.0, {});
    sub.check();
    twin.tetMeshes.push_back(std::move(mesh));
  }
  for (const auto& meta : manifest.fields) {
    StepProgress sub = stepFor(meta.entry, "Loading field '" + meta.name + "'");
    const std::string bytes = readEntry(meta.entry);
    ScalarField field;
    field.id = meta.id;
    field.name = meta.name;
    field.quantity = meta.quantity;
    field.unit = meta.unit;
    field.geometry = meta.geometry;
    field.values.resize(meta.geometry.voxelCount());
    inEntry(path, meta.entry, [&] {
      casefile::decodeNrrd(bytes, {PixelType::Float32, meta.geometry},
                           std::as_writable_bytes(std::span<float>(field.values)), sub);
    });
    partsOf(twin, meta.checkpoint).fields.push_back(std::move(field));
  }
  progress.check();
  progress.report(1.0, "Loaded '" + path.filename().string() + "'");
  return twin;
}

int caseFileVersion(const fs::path& path) {
  casefile::ZipReader zip(path);
  int version = 0;
  parseManifest(zip, version);
  return version;
}

CaseFileInfo readCaseFileInfo(const fs::path& path) {
  casefile::ZipReader zip(path);
  CaseFileInfo info;
  const json manifest = parseManifest(zip, info.formatVersion);
  auto text = [](const json& object, const char* key) {
    const auto it = object.find(key);
    return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  info.appVersion = text(manifest, "appVersion");
  info.created = text(manifest, "created");
  info.modified = text(manifest, "modified");
  if (const auto it = manifest.find("case"); it != manifest.end() && it->is_object()) {
    info.caseName = text(*it, "name");
    info.patientName = text(*it, "patientName");
    info.patientId = text(*it, "patientId");
  }
  return info;
}

Autosaver::Autosaver(fs::path directory)
    : directory_(std::move(directory)), file_(directory_ / "autosave.twinplan") {}

fs::path Autosaver::defaultDirectory() {
  // XDG Base Directory spec: a relative $XDG_DATA_HOME is invalid and must be ignored.
  if (const char* xdg = std::getenv("XDG_DATA_HOME"); xdg && *xdg == '/') {
    return fs::path(xdg) / "TwinPlan" / "autosave";
  }
  const char* home = std::getenv("HOME");
  std::string homeDir = home && *home ? home : "";
  if (homeDir.empty()) {
    if (const passwd* user = ::getpwuid(::getuid()); user && user->pw_dir) homeDir = user->pw_dir;
  }
  if (homeDir.empty()) {
    throw Error(ErrorKind::NotFound,
                "Cannot find a folder for autosaves: neither XDG_DATA_HOME nor HOME is set.");
  }
  return fs::path(homeDir) / ".local" / "share" / "TwinPlan" / "autosave";
}

void Autosaver::save(const Case& twin, Progress& progress) {
  std::error_code ec;
  fs::create_directories(directory_, ec);
  if (ec) {
    throw Error(
        ErrorKind::Io,
        "Cannot create the autosave folder " + quoted(directory_) + ": " + ec.message() + ".",
        directory_.string());
  }
  saveCase(twin, file_, progress);
}

std::optional<fs::path> Autosaver::recoverable() const {
  std::error_code ec;
  if (!fs::is_regular_file(file_, ec)) return std::nullopt;
  try {
    const int version = caseFileVersion(file_);
    if (version >= 1 && version <= kCaseFormatVersion) return file_;
  } catch (const Error&) {  // an unreadable autosave is not offered for recovery
  }
  return std::nullopt;
}

void Autosaver::discard() {
  std::error_code ec;
  fs::remove(file_, ec);
  if (ec) {
    throw Error(ErrorKind::Io,
                "Cannot remove the autosave " + quoted(file_) + ": " + ec.message() + ".",
                file_.string());
  }
  // Temporary files of saves that a crash interrupted. Only old ones: a save still running
  // in another thread or process has a fresh file.
  const std::string prefix = casefile::concat(".", file_.filename().string(), ".saving-");
  const auto staleBefore = fs::file_time_type::clock::now() - std::chrono::minutes(10);
  for (fs::directory_iterator it(directory_, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code entryError;
    if (it->path().filename().string().starts_with(prefix) && it->is_regular_file(entryError) &&
        it->last_write_time(entryError) < staleBefore && !entryError) {
      fs::remove(it->path(), entryError);  // best effort: a leftover costs only disk space
    }
  }
}

}  // namespace twinplan
