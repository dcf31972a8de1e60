// libFuzzer target: arbitrary bytes as a DICOM file through the project's parsing entry
// points, the way a user's file reaches them: scanDicom on the file (headers only), then
// loadVolume on every series the scan indexed as a volume (pixel data, codecs, geometry).
//
// A twinplan::Error is the expected, clean refusal of a bad file and is caught. Anything
// else (another exception, a crash, a sanitizer report, a leak, a hang, an allocation
// beyond -rss_limit_mb) is a finding: libFuzzer stops and saves the input.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>

#include <dcmtk/oflog/oflog.h>

#include "twinplan/core/error.h"
#include "twinplan/io/dicom_index.h"
#include "twinplan/io/dicom_volume.h"

namespace {

namespace fs = std::filesystem;

// One private folder per fuzzing process (libFuzzer -jobs/-workers run several).
const fs::path& inputFile() {
  static const fs::path file = [] {
    const char* tmp = std::getenv("TMPDIR");
    fs::path dir = fs::path(tmp && *tmp ? tmp : "/tmp") /
                   ("twinplan-fuzz-input-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    return dir / "input.dcm";
  }();
  return file;
}

void removeInputFolder() {
  std::error_code ignored;
  fs::remove_all(inputFile().parent_path(), ignored);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  // DCMTK warns on stderr about every odd element; the fuzzer would spend its time printing.
  OFLog::configure(OFLogger::FATAL_LOG_LEVEL);
  // Construct the path first: statics die in the reverse order of their atexit registration,
  // so the handler must be registered after it.
  inputFile();
  std::atexit(removeInputFolder);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const fs::path& file = inputFile();
  {
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
    if (!out) return 0;  // disk full: not the code under test
  }
  try {
    const twinplan::io::DicomIndex index = twinplan::io::scanDicom(file);
    for (const twinplan::io::DicomSeries* series : index.allSeries()) {
      if (series->kind != twinplan::io::SeriesKind::Volume) continue;
      try {
        const twinplan::ImageVolume volume = twinplan::io::loadVolume(*series);
        // The buffer must match the geometry; touch both ends so ASan sees a short buffer.
        if (volume.bytes().size() !=
            volume.voxelCount() * twinplan::bytesPerVoxel(volume.pixelType()))
          __builtin_trap();
        if (!volume.empty()) {
          volatile std::byte first = volume.bytes().front();
          volatile std::byte last = volume.bytes().back();
          (void)first;
          (void)last;
        }
      } catch (const twinplan::Error&) {
        // A clean refusal of this series: try the next one.
      }
    }
  } catch (const twinplan::Error&) {
    // A clean refusal of the file.
  }
  return 0;
}
