// 3D gamma 3 %/3 mm on a 256^3 dose grid (issue #19 item 9; docs/benchmarks.md, "Radiotherapy:
// gamma"): a synthetic four-field box dose on a 1.5 mm grid against a copy shifted by 1 mm (or
// 2 mm) and scaled by 1.02, timed on 1 thread and on all threads, then `plastimatch gamma` on
// the same two doses written as MetaImage (.mha) in the same run. Prints one markdown row per
// case.
//
//   twinplan-gamma-bench [FOLDER] [--no-peer] [--size N]
#include <sys/resource.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include "twinplan/core/parallel.h"
#include "twinplan/radiotherapy/gamma.h"

namespace fs = std::filesystem;
using namespace twinplan;

namespace {

// A four-field box (AP, PA, left, right; 200 mm square fields, 4 mm penumbra (erf), 0.45 %/mm
// attenuation with depth, a 2 Gy isocentre), the kind of dose a conformal pelvis plan gives.
double boxDose(const Vec3& p, double halfExtent_mm) {
  auto inField = [](double offAxis_mm) {
    return 0.5 * (std::erf((100.0 - std::abs(offAxis_mm)) / 4.0) + 1.0);
  };
  auto depthDose = [&](double depth_mm) { return std::exp(-0.0045 * depth_mm); };
  const double zProfile = inField(p.z());
  double dose = 0.0;
  dose += inField(p.x()) * depthDose(halfExtent_mm + p.y());  // AP beam enters at y = -half
  dose += inField(p.x()) * depthDose(halfExtent_mm - p.y());  // PA
  dose += inField(p.y()) * depthDose(halfExtent_mm + p.x());  // right-left
  dose += inField(p.y()) * depthDose(halfExtent_mm - p.x());
  const double atIsocentre = 4.0 * depthDose(halfExtent_mm);
  return 2.0 * zProfile * dose / atIsocentre + 0.02;  // + scatter/leakage bath
}

ScalarField makeDose(std::int64_t n, double spacing_mm, double shift_mm, double scale) {
  ScalarField dose;
  dose.name = "box";
  dose.quantity = "dose";
  dose.unit = units::kGray;
  dose.geometry.size = {n, n, n};
  dose.geometry.spacing_mm = Vec3::Constant(spacing_mm);
  const double half = 0.5 * spacing_mm * double(n - 1);
  dose.geometry.origin_lps = Vec3::Constant(-half);
  dose.values.resize(dose.geometry.voxelCount());
  parallel::parallelFor({0, std::size_t(n)}, 1, [&](parallel::IndexRange slices) {
    for (std::size_t k = slices.begin; k < slices.end; ++k)
      for (std::int64_t j = 0; j < n; ++j)
        for (std::int64_t i = 0; i < n; ++i) {
          const Vec3 p = dose.geometry.indexToLps(Vec3(double(i), double(j), double(k)));
          dose.values[dose.geometry.linearIndex(i, j, std::int64_t(k))] =
              float(scale * boxDose(p - Vec3(shift_mm, 0.0, 0.0), half));
        }
  });
  return dose;
}

void writeMetaImage(const ScalarField& dose, const fs::path& path) {
  std::ofstream out(path, std::ios::binary);
  const ImageGeometry& g = dose.geometry;
  out << "ObjectType = Image\nNDims = 3\nBinaryData = True\nBinaryDataByteOrderMSB = False\n"
      << "CompressedData = False\nTransformMatrix = 1 0 0 0 1 0 0 0 1\n"
      << "Offset = " << g.origin_lps.x() << " " << g.origin_lps.y() << " " << g.origin_lps.z()
      << "\nElementSpacing = " << g.spacing_mm.x() << " " << g.spacing_mm.y() << " "
      << g.spacing_mm.z() << "\nDimSize = " << g.size[0] << " " << g.size[1] << " " << g.size[2]
      << "\nElementType = MET_FLOAT\nElementDataFile = LOCAL\n";
  out.write(reinterpret_cast<const char*>(dose.values.data()),
            std::streamsize(dose.values.size() * sizeof(float)));
}

// CPU seconds (user + system) of this process, or of its finished children.
double cpuSeconds(int who) {
  rusage usage{};
  getrusage(who, &usage);
  return double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         1e-6 * double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec);
}

double seconds(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// plastimatch's pass rate from its --output-text report ("pass_rate(%)\t98.76").
double plastimatchPassRate(const fs::path& report) {
  std::ifstream in(report);
  std::string key;
  double value = 0.0;
  while (in >> key) {
    if (key == "pass_rate(%)") {
      in >> value;
      return value;
    }
  }
  return -1.0;
}

}  // namespace

int main(int argc, char** argv) {
  fs::path folder = fs::temp_directory_path() / "twinplan-gamma-bench";
  bool peer = true;
  std::int64_t n = 256;
  for (int a = 1; a < argc; ++a) {
    const std::string arg = argv[a];
    if (arg == "--no-peer")
      peer = false;
    else if (arg == "--size" && a + 1 < argc)
      n = std::atoll(argv[++a]);
    else
      folder = arg;
  }
  fs::create_directories(folder);
  const double spacing_mm = 1.5;
  const ScalarField reference = makeDose(n, spacing_mm, 0.0, 1.0);
  std::cout << "| case (" << n << "^3, " << spacing_mm
            << " mm, 3 %/3 mm global, 10 % threshold) | evaluated points | ours: pass % | "
               "ours 1 thread: wall s (CPU s) | ours "
            << parallel::maxThreads()
            << " threads: wall s (CPU s) | plastimatch: pass % | plastimatch: wall s (CPU s) | "
               "plastimatch / ours: wall (CPU) |\n"
            << "|---|---|---|---|---|---|---|---|\n";
  for (const double shift_mm : {1.0, 2.0}) {
    const ScalarField evaluated = makeDose(n, spacing_mm, shift_mm, 1.02);
    radiotherapy::GammaCriteria criteria;
    radiotherapy::GammaResult result;
    auto start = std::chrono::steady_clock::now();
    double cpu = cpuSeconds(RUSAGE_SELF);
    {
      const parallel::ThreadLimit one(1);
      result = radiotherapy::gammaIndex(reference, evaluated, criteria);
    }
    const double oneThread_s = seconds(start), oneThreadCpu_s = cpuSeconds(RUSAGE_SELF) - cpu;
    start = std::chrono::steady_clock::now();
    cpu = cpuSeconds(RUSAGE_SELF);
    result = radiotherapy::gammaIndex(reference, evaluated, criteria);
    const double allThreads_s = seconds(start), allThreadsCpu_s = cpuSeconds(RUSAGE_SELF) - cpu;
    std::ostringstream row;
    row << "| shift " << shift_mm << " mm, x1.02 | " << result.evaluatedPoints << " | "
        << result.passRate_percent << " | " << oneThread_s << " (" << oneThreadCpu_s << ") | "
        << allThreads_s << " (" << allThreadsCpu_s << ") | ";
    if (peer) {
      const fs::path a = folder / "reference.mha", b = folder / "evaluated.mha";
      writeMetaImage(reference, a);
      writeMetaImage(evaluated, b);
      const std::string command =
          "plastimatch gamma --dose-tolerance 0.03 --dta-tolerance 3 "
          "--analysis-threshold 0.1 --ref-only-threshold --output-text " +
          (folder / "report.txt").string() + " " + a.string() + " " + b.string() + " > " +
          (folder / "log.txt").string() + " 2>&1";
      start = std::chrono::steady_clock::now();
      const double childCpu = cpuSeconds(RUSAGE_CHILDREN);
      const int status = std::system(command.c_str());
      const double peer_s = seconds(start), peerCpu_s = cpuSeconds(RUSAGE_CHILDREN) - childCpu;
      if (status != 0) {
        row << "plastimatch failed (" << status << ") | | |";
      } else {
        row << plastimatchPassRate(folder / "report.txt") << " | " << peer_s << " (" << peerCpu_s
            << ") | " << peer_s / allThreads_s << " (" << peerCpu_s / allThreadsCpu_s << ") |";
      }
    } else {
      row << " | | |";
    }
    std::cout << row.str() << std::endl;
    criteria.passFailOnly = true;
    start = std::chrono::steady_clock::now();
    cpu = cpuSeconds(RUSAGE_SELF);
    const radiotherapy::GammaResult quick =
        radiotherapy::gammaIndex(reference, evaluated, criteria);
    std::cerr << "  pass/fail only, all threads: " << seconds(start) << " s ("
              << cpuSeconds(RUSAGE_SELF) - cpu << " CPU s), pass " << quick.passRate_percent
              << " %\n";
  }
}
