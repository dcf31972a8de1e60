// twinplan-import-bench: the DICOM import paths of twinplan_io, timed in-process, plus the
// generators of the large benchmark inputs (written with DCMTK into a folder the caller
// names, e.g. under /tmp; never into the repository). bench/run.sh drives it.
//
//   twinplan-import-bench load PATH [--series UID]   scanDicom + loadVolume (no file written)
//   twinplan-import-bench scan PATH                  scanDicom only (headers)
//   twinplan-import-bench image2d FILE               loadImage2D of one 2D/colour image file
//   twinplan-import-bench gen-colour FILE --size N
//        an N x N RGB secondary capture (colour gradients with noise), uncompressed
//   twinplan-import-bench gen-ct DIR --slices N [--size 512]
//        a synthetic CT series: int16 HU (intercept -1024), 0.7 mm pixels, 1 mm slices
//   twinplan-import-bench gen-many DIR --from FILE --count N [--series S]
//        N copies of a small real DICOM file spread over S series, each with its own
//        SOPInstanceUID, InstanceNumber and ImagePositionPatient
//
// Each command prints one JSON line with its own timings (seconds) on stdout.
#include <dcmtk/dcmdata/dctk.h>
#include <dcmtk/oflog/oflog.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "twinplan/core/error.h"
#include "twinplan/io/dicom_image2d.h"
#include "twinplan/io/dicom_index.h"
#include "twinplan/io/dicom_volume.h"

namespace fs = std::filesystem;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

double secondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::string option(const std::vector<std::string>& args, const std::string& name,
                   const std::string& fallback = {}) {
  for (std::size_t i = 0; i + 1 < args.size(); ++i)
    if (args[i] == name) return args[i + 1];
  return fallback;
}

std::string newUid() {
  char uid[100];
  dcmGenerateUniqueIdentifier(uid, SITE_INSTANCE_UID_ROOT);
  return uid;
}

void check(const OFCondition& status, const std::string& what) {
  if (status.bad()) throw std::runtime_error(what + ": " + status.text());
}

// ---- load / scan --------------------------------------------------------------------------

int runLoad(const fs::path& path, const std::string& uid) {
  const auto start = Clock::now();
  const twinplan::io::DicomIndex index = twinplan::io::scanDicom(path);
  const double scan_s = secondsSince(start);
  const twinplan::io::DicomSeries* series = nullptr;
  if (!uid.empty()) {
    series = index.findSeries(uid);
  } else {
    for (const auto* candidate : index.allSeries())
      if (candidate->kind == twinplan::io::SeriesKind::Volume) {
        series = candidate;
        break;
      }
  }
  if (!series) throw std::runtime_error("no volume series under " + path.string());
  const auto loadStart = Clock::now();
  const twinplan::ImageVolume volume = twinplan::io::loadVolume(*series);
  const double load_s = secondsSince(loadStart);
  // A sampled checksum (one byte per 4 KiB page) keeps the compiler honest at no real cost.
  std::uint64_t sum = 0;
  const auto bytes = volume.bytes();
  for (std::size_t i = 0; i < bytes.size(); i += 4096)
    sum = sum * 31 + static_cast<std::uint8_t>(bytes[i]);
  const auto& size = volume.geometry().size;
  std::cout << json{{"command", "load"},
                    {"files", series->instances.size()},
                    {"size", {size[0], size[1], size[2]}},
                    {"pixelType", twinplan::toString(volume.pixelType())},
                    {"voxelBytes", volume.bytes().size()},
                    {"scan_s", scan_s},
                    {"load_s", load_s},
                    {"total_s", scan_s + load_s},
                    {"checksum", sum}}
                   .dump()
            << '\n';
  return 0;
}

int runScan(const fs::path& path) {
  const auto start = Clock::now();
  const twinplan::io::DicomIndex index = twinplan::io::scanDicom(path);
  const double scan_s = secondsSince(start);
  std::size_t instances = 0;
  for (const auto* series : index.allSeries()) instances += series->instances.size();
  std::cout << json{{"command", "scan"},
                    {"filesScanned", index.filesScanned},
                    {"series", index.allSeries().size()},
                    {"instances", instances},
                    {"skipped", index.skipped.size()},
                    {"scan_s", scan_s}}
                   .dump()
            << '\n';
  return 0;
}

int runImage2D(const fs::path& file) {
  const auto start = Clock::now();
  const twinplan::ImageVolume image = twinplan::io::loadImage2D(std::vector<fs::path>{file});
  const double load_s = secondsSince(start);
  std::uint64_t sum = 0;
  const auto bytes = image.bytes();
  for (std::size_t i = 0; i < bytes.size(); i += 4096)
    sum = sum * 31 + static_cast<std::uint8_t>(bytes[i]);
  const auto& size = image.geometry().size;
  std::cout << json{{"command", "image2d"},
                    {"size", {size[0], size[1], size[2]}},
                    {"pixelType", twinplan::toString(image.pixelType())},
                    {"load_s", load_s},
                    {"checksum", sum}}
                   .dump()
            << '\n';
  return 0;
}

// ---- generators ---------------------------------------------------------------------------

// An RGB photograph stand-in: smooth colour gradients plus a little noise (so that JPEG and RLE
// have real work), deterministic.
int runGenColour(const fs::path& file, int size) {
  std::vector<Uint8> rgb(static_cast<std::size_t>(size) * size * 3);
  std::uint32_t state = 2463534242u;
  for (int y = 0; y < size; ++y)
    for (int x = 0; x < size; ++x) {
      state ^= state << 13, state ^= state >> 17, state ^= state << 5;
      const int noise = static_cast<int>(state & 7) - 4;
      const std::size_t n = (static_cast<std::size_t>(y) * size + x) * 3;
      rgb[n] = static_cast<Uint8>(std::clamp(x * 255 / size + noise, 0, 255));
      rgb[n + 1] = static_cast<Uint8>(std::clamp(y * 255 / size + noise, 0, 255));
      rgb[n + 2] = static_cast<Uint8>(std::clamp((x + y) * 255 / (2 * size) + noise, 0, 255));
    }
  DcmFileFormat format;
  DcmDataset* d = format.getDataset();
  check(d->putAndInsertString(DCM_SOPClassUID, UID_SecondaryCaptureImageStorage), "SOP class");
  check(d->putAndInsertString(DCM_SOPInstanceUID, newUid().c_str()), "SOP instance");
  check(d->putAndInsertString(DCM_StudyInstanceUID, newUid().c_str()), "study");
  check(d->putAndInsertString(DCM_SeriesInstanceUID, newUid().c_str()), "series");
  check(d->putAndInsertString(DCM_Modality, "OT"), "modality");
  check(d->putAndInsertUint16(DCM_SamplesPerPixel, 3), "samples");
  check(d->putAndInsertString(DCM_PhotometricInterpretation, "RGB"), "photometric");
  check(d->putAndInsertUint16(DCM_PlanarConfiguration, 0), "planar");
  check(d->putAndInsertUint16(DCM_Rows, static_cast<Uint16>(size)), "rows");
  check(d->putAndInsertUint16(DCM_Columns, static_cast<Uint16>(size)), "columns");
  check(d->putAndInsertUint16(DCM_BitsAllocated, 8), "bits");
  check(d->putAndInsertUint16(DCM_BitsStored, 8), "bits");
  check(d->putAndInsertUint16(DCM_HighBit, 7), "bits");
  check(d->putAndInsertUint16(DCM_PixelRepresentation, 0), "representation");
  check(
      d->putAndInsertUint8Array(DCM_PixelData, rgb.data(), static_cast<unsigned long>(rgb.size())),
      "pixels");
  check(format.saveFile(file.c_str(), EXS_LittleEndianExplicit), "save " + file.string());
  std::cout << json{{"command", "gen-colour"}, {"file", file.string()}, {"size", size}}.dump()
            << '\n';
  return 0;
}

// A head-sized water ellipse with a bone ring and noise; deterministic.
void fillSlice(std::vector<Sint16>& pixels, int size, int slice) {
  std::uint32_t state = 12345u + static_cast<std::uint32_t>(slice) * 2654435761u;
  const double c = (size - 1) / 2.0;
  for (int y = 0; y < size; ++y)
    for (int x = 0; x < size; ++x) {
      const double dx = (x - c) / (0.42 * size), dy = (y - c) / (0.36 * size);
      const double r = dx * dx + dy * dy;
      double hu = -1000.0;
      if (r < 1.0) hu = r > 0.85 ? 900.0 : 35.0;
      state = state * 1664525u + 1013904223u;
      hu += static_cast<double>((state >> 24) & 0x1f) - 16.0;
      pixels[static_cast<std::size_t>(y) * size + x] = static_cast<Sint16>(hu + 1024.0);
    }
}

int runGenCt(const fs::path& dir, int slices, int size) {
  const auto start = Clock::now();
  fs::create_directories(dir);
  const std::string study = newUid(), series = newUid(), frame = newUid();
  std::vector<Sint16> pixels(static_cast<std::size_t>(size) * size);
  const double spacing_mm = 0.7, sliceSpacing_mm = 1.0;
  for (int k = 0; k < slices; ++k) {
    DcmFileFormat file;
    DcmDataset* ds = file.getDataset();
    const std::string sop = newUid();
    const double z = -300.0 + k * sliceSpacing_mm;
    const double x0 = -spacing_mm * (size - 1) / 2.0;
    char text[128];
    ds->putAndInsertString(DCM_SOPClassUID, UID_CTImageStorage);
    ds->putAndInsertString(DCM_SOPInstanceUID, sop.c_str());
    ds->putAndInsertString(DCM_ImageType, "ORIGINAL\\PRIMARY\\AXIAL");
    ds->putAndInsertString(DCM_Modality, "CT");
    ds->putAndInsertString(DCM_Manufacturer, "TwinPlan bench");
    ds->putAndInsertString(DCM_PatientName, "Bench^Large CT");
    ds->putAndInsertString(DCM_PatientID, "BENCH-CT");
    ds->putAndInsertString(DCM_StudyInstanceUID, study.c_str());
    ds->putAndInsertString(DCM_SeriesInstanceUID, series.c_str());
    ds->putAndInsertString(DCM_FrameOfReferenceUID, frame.c_str());
    ds->putAndInsertString(DCM_StudyDate, "20260101");
    ds->putAndInsertString(DCM_SeriesNumber, "1");
    ds->putAndInsertString(DCM_SeriesDescription, "bench 512 CT");
    ds->putAndInsertString(DCM_PatientPosition, "HFS");
    std::snprintf(text, sizeof text, "%d", k + 1);
    ds->putAndInsertString(DCM_InstanceNumber, text);
    std::snprintf(text, sizeof text, "%.4f\\%.4f\\%.4f", x0, x0, z);
    ds->putAndInsertString(DCM_ImagePositionPatient, text);
    ds->putAndInsertString(DCM_ImageOrientationPatient, "1\\0\\0\\0\\1\\0");
    std::snprintf(text, sizeof text, "%.4f", z);
    ds->putAndInsertString(DCM_SliceLocation, text);
    std::snprintf(text, sizeof text, "%.4f\\%.4f", spacing_mm, spacing_mm);
    ds->putAndInsertString(DCM_PixelSpacing, text);
    ds->putAndInsertString(DCM_SliceThickness, "1");
    ds->putAndInsertUint16(DCM_SamplesPerPixel, 1);
    ds->putAndInsertString(DCM_PhotometricInterpretation, "MONOCHROME2");
    ds->putAndInsertUint16(DCM_Rows, static_cast<Uint16>(size));
    ds->putAndInsertUint16(DCM_Columns, static_cast<Uint16>(size));
    ds->putAndInsertUint16(DCM_BitsAllocated, 16);
    ds->putAndInsertUint16(DCM_BitsStored, 16);
    ds->putAndInsertUint16(DCM_HighBit, 15);
    ds->putAndInsertUint16(DCM_PixelRepresentation, 1);
    ds->putAndInsertString(DCM_RescaleIntercept, "-1024");
    ds->putAndInsertString(DCM_RescaleSlope, "1");
    ds->putAndInsertString(DCM_WindowCenter, "40");
    ds->putAndInsertString(DCM_WindowWidth, "400");
    fillSlice(pixels, size, k);
    check(ds->putAndInsertUint16Array(DCM_PixelData, reinterpret_cast<const Uint16*>(pixels.data()),
                                      static_cast<unsigned long>(pixels.size())),
          "pixel data");
    std::snprintf(text, sizeof text, "CT%05d.dcm", k + 1);
    check(file.saveFile((dir / text).c_str(), EXS_LittleEndianExplicit), (dir / text).string());
  }
  std::cout << json{{"command", "gen-ct"},
                    {"slices", slices},
                    {"size", size},
                    {"seconds", secondsSince(start)}}
                   .dump()
            << '\n';
  return 0;
}

int runGenMany(const fs::path& dir, const fs::path& from, int count, int seriesCount) {
  const auto start = Clock::now();
  fs::create_directories(dir);
  DcmFileFormat file;
  check(file.loadFile(from.c_str()), from.string());
  file.loadAllDataIntoMemory();
  DcmDataset* ds = file.getDataset();
  DcmMetaInfo* meta = file.getMetaInfo();
  std::vector<std::string> seriesUids;
  for (int s = 0; s < seriesCount; ++s) seriesUids.push_back(newUid());
  const std::string study = newUid();
  const E_TransferSyntax xfer = ds->getOriginalXfer();
  char text[128];
  for (int i = 0; i < count; ++i) {
    const int s = i % seriesCount, n = i / seriesCount;
    const std::string sop = newUid();
    ds->putAndInsertString(DCM_StudyInstanceUID, study.c_str());
    ds->putAndInsertString(DCM_SeriesInstanceUID, seriesUids[static_cast<std::size_t>(s)].c_str());
    std::snprintf(text, sizeof text, "%d", s + 1);
    ds->putAndInsertString(DCM_SeriesNumber, text);
    ds->putAndInsertString(DCM_SOPInstanceUID, sop.c_str());
    meta->putAndInsertString(DCM_MediaStorageSOPInstanceUID, sop.c_str());
    std::snprintf(text, sizeof text, "%d", n + 1);
    ds->putAndInsertString(DCM_InstanceNumber, text);
    std::snprintf(text, sizeof text, "0\\0\\%.3f", n * 1.0);
    ds->putAndInsertString(DCM_ImagePositionPatient, text);
    ds->putAndInsertString(DCM_ImageOrientationPatient, "1\\0\\0\\0\\1\\0");
    std::snprintf(text, sizeof text, "s%03d_%06d.dcm", s + 1, n + 1);
    check(
        file.saveFile((dir / text).c_str(), xfer == EXS_Unknown ? EXS_LittleEndianExplicit : xfer),
        (dir / text).string());
  }
  std::cout << json{{"command", "gen-many"},
                    {"files", count},
                    {"series", seriesCount},
                    {"seconds", secondsSince(start)}}
                   .dump()
            << '\n';
  return 0;
}

int usage() {
  std::cerr << "usage: twinplan-import-bench load PATH [--series UID]\n"
               "       twinplan-import-bench scan PATH\n"
               "       twinplan-import-bench gen-ct DIR --slices N [--size 512]\n"
               "       twinplan-import-bench gen-many DIR --from FILE --count N [--series S]\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.size() < 2) return usage();
  OFLog::configure(OFLogger::ERROR_LOG_LEVEL);
  try {
    const std::string& command = args[0];
    const fs::path path = args[1];
    if (command == "load") return runLoad(path, option(args, "--series"));
    if (command == "scan") return runScan(path);
    if (command == "image2d") return runImage2D(path);
    if (command == "gen-colour")
      return runGenColour(path, std::stoi(option(args, "--size", "2048")));
    if (command == "gen-ct")
      return runGenCt(path, std::stoi(option(args, "--slices", "600")),
                      std::stoi(option(args, "--size", "512")));
    if (command == "gen-many")
      return runGenMany(path, option(args, "--from"), std::stoi(option(args, "--count", "10000")),
                        std::stoi(option(args, "--series", "10")));
    return usage();
  } catch (const twinplan::Error& e) {
    std::cerr << "twinplan-import-bench: " << e.what() << " [" << e.context() << "]\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "twinplan-import-bench: " << e.what() << '\n';
    return 1;
  }
}
