// Rigid mutual-information registration of a 512x512x300 CT to an MR (issue #15, item 8): ours
// (registration::registerVolumes, in process) against `plastimatch register` (Debian 1.9.4) on
// the same pair in the same run, with both errors against the known truth.
//
//   twinplan-registration-bench [--tmp DIR] [--size NXxNYxNZ] [--runs N] [--no-ours] [--no-peer]
//
// The pair is generated here (not the phantom module: its head grid is 224x224x96): an
// analytic head of ellipsoids - scalp, skull, brain, white-matter core, ventricles, eyes, a
// lesion - with CT values in HU (int16) and MR T1-like values (uint16) of different contrast,
// plus deterministic noise. The MR grid is the CT grid moved by a known rigid transform
// (rotation 4, -3, 5 deg about L, P, S in ITK's ZXY order about the grid centre; translation
// 6, -4, 8 mm), so fixed -> moving = truth exactly. Both are written as NRRD for plastimatch;
// plastimatch's command file is the one of tests/slow/registration_plastimatch_test.cpp.
// Prints one Markdown table row per tool and the ratio; wall times are the median of --runs.
#include <sys/resource.h>

#include <Eigen/Geometry>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "twinplan/core/parallel.h"
#include "twinplan/io/image_file.h"
#include "twinplan/registration/register.h"
#include "twinplan/registration/transform_file.h"

namespace fs = std::filesystem;
using namespace twinplan;

namespace {

constexpr double kPi = 3.14159265358979323846;

struct Tissue {
  Vec3 centre, semiAxes_mm;
  double ct_HU, mr;
};

// Later entries overwrite earlier ones (inner structures last).
const std::vector<Tissue>& head() {
  static const std::vector<Tissue> tissues = {
      {{0, 0, 0}, {90, 110, 90}, 40, 300},   // scalp and soft tissue
      {{0, 0, 0}, {85, 105, 85}, 1200, 80},  // skull
      {{0, 0, 0}, {79, 99, 79}, 35, 700},    // grey matter
      {{0, 5, 5}, {55, 72, 52}, 28, 850},    // white matter core
      {{-12, 5, 12}, {7, 26, 11}, 5, 150},   // ventricles (CSF)
      {{13, 8, 12}, {6, 22, 10}, 5, 150},      {{-30, -96, -12}, {12, 11, 12}, 15, 420},  // eyes
      {{30, -96, -12}, {12, 11, 12}, 15, 420}, {{32, -20, 28}, {12, 12, 12}, 60, 1000},   // lesion
  };
  return tissues;
}

// A deterministic value in [-1, 1) per voxel (a 64-bit mix hash).
double noise(std::uint64_t n) {
  n ^= n >> 33;
  n *= 0xff51afd7ed558ccdULL;
  n ^= n >> 33;
  n *= 0xc4ceb9fe1a85ec53ULL;
  n ^= n >> 33;
  return double(n >> 11) / double(1ULL << 52) - 1.0;
}

template <class T>
ImageVolume render(const ImageGeometry& grid, bool ct, const SpatialTransform& anatomyToGrid) {
  ImageVolume volume(grid, ct ? PixelType::Int16 : PixelType::UInt16);
  volume.name = ct ? "CT" : "MR T1";
  volume.unit = ct ? "HU" : "";
  volume.dicom.modality = ct ? "CT" : "MR";
  const auto voxels = volume.voxels<T>();
  parallel::parallelFor({0, std::size_t(grid.size[2])}, 1, [&](parallel::IndexRange slices) {
    for (std::size_t k = slices.begin; k < slices.end; ++k)
      for (std::int64_t j = 0; j < grid.size[1]; ++j)
        for (std::int64_t i = 0; i < grid.size[0]; ++i) {
          // The anatomy point this voxel shows.
          const Vec3 p =
              anatomyToGrid.apply(grid.indexToLps(Vec3(double(i), double(j), double(k))));
          double value = ct ? -1000.0 : 0.0;
          for (const Tissue& t : head())
            if (((p - t.centre).cwiseQuotient(t.semiAxes_mm)).squaredNorm() <= 1.0)
              value = ct ? t.ct_HU : t.mr;
          const std::size_t at = grid.linearIndex(i, j, std::int64_t(k));
          value += (ct ? 10.0 : 20.0) * noise(at * 2 + (ct ? 0 : 1));
          voxels[at] = static_cast<T>(std::max(value, ct ? -1024.0 : 0.0));
        }
  });
  return volume;
}

struct Errors {
  double rotation_deg, meanTre_mm;
};

Errors errorsOf(const SpatialTransform& found, const SpatialTransform& truth) {
  const Mat3 delta = found.matrix.transpose() * truth.matrix;
  Errors e{std::acos(std::clamp((delta.trace() - 1.0) / 2.0, -1.0, 1.0)) * 180.0 / kPi, 0.0};
  int n = 0;
  for (int k = -1; k <= 1; ++k)
    for (int j = -1; j <= 1; ++j)
      for (int i = -1; i <= 1; ++i, ++n)
        e.meanTre_mm += (found.apply(Vec3(60.0 * i, 70.0 * j, 60.0 * k)) -
                         truth.apply(Vec3(60.0 * i, 70.0 * j, 60.0 * k)))
                            .norm();
  e.meanTre_mm /= n;
  return e;
}

double secondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// CPU seconds (user + system) of this process (RUSAGE_SELF) or of its waited-for children
// (RUSAGE_CHILDREN): less disturbed than wall time when others share the machine.
double cpuSeconds(int who) {
  rusage usage{};
  getrusage(who, &usage);
  return double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         1e-6 * double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec);
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  fs::path tmp = "/tmp/twinplan-bench/registration";
  Index3 size{512, 512, 300};
  int runs = 3;
  bool ours = true, peer = true;
  for (int a = 1; a < argc; ++a) {
    const std::string arg = argv[a];
    if (arg == "--tmp" && a + 1 < argc)
      tmp = argv[++a];
    else if (arg == "--runs" && a + 1 < argc)
      runs = std::max(1, std::atoi(argv[++a]));
    else if (arg == "--no-ours")
      ours = false;
    else if (arg == "--no-peer")
      peer = false;
    else if (arg == "--size" && a + 1 < argc &&
             std::sscanf(argv[++a], "%ldx%ldx%ld", &size[0], &size[1], &size[2]) == 3) {
    } else {
      std::fprintf(stderr,
                   "usage: %s [--tmp DIR] [--size NXxNYxNZ] [--runs N] [--no-ours] [--no-peer]\n",
                   argv[0]);
      return 2;
    }
  }
  fs::create_directories(tmp);
  // 256 x 256 x 210 mm field of view, centred on the head.
  ImageGeometry ctGrid;
  ctGrid.size = size;
  ctGrid.spacing_mm =
      Vec3(256.0 / double(size[0]), 256.0 / double(size[1]), 210.0 / double(size[2]));
  ctGrid.origin_lps = -0.5 * ctGrid.spacing_mm.cwiseProduct(Vec3(
                                 double(size[0] - 1), double(size[1] - 1), double(size[2] - 1)));
  using Eigen::AngleAxisd;
  const double r = kPi / 180.0;
  const Mat3 rotation = (AngleAxisd(5 * r, Vec3::UnitZ()) * AngleAxisd(4 * r, Vec3::UnitX()) *
                         AngleAxisd(-3 * r, Vec3::UnitY()))
                            .toRotationMatrix();
  const SpatialTransform truth = SpatialTransform::rigid(rotation, Vec3(6, -4, 8));
  // The MR grid is the CT grid moved by the truth: the moving voxel at truth(p) shows what the
  // fixed voxel at p shows.
  ImageGeometry mrGrid = ctGrid;
  mrGrid.origin_lps = truth.apply(ctGrid.origin_lps);
  mrGrid.direction = rotation * ctGrid.direction;

  auto start = std::chrono::steady_clock::now();
  const ImageVolume ct = render<std::int16_t>(ctGrid, true, SpatialTransform::identity());
  const ImageVolume mr = render<std::uint16_t>(mrGrid, false, truth.inverse());
  std::fprintf(stderr, "generated %ldx%ldx%ld CT and MR in %.1f s\n", size[0], size[1], size[2],
               secondsSince(start));
  const fs::path ctFile = tmp / "ct.nrrd", mrFile = tmp / "mr.nrrd";
  io::writeImageFile(ct, ctFile);
  io::writeImageFile(mr, mrFile);

  std::printf(
      "| tool | wall s (median of %d) | CPU s (user+sys) | rotation error deg | mean TRE mm |\n"
      "|---|---|---|---|---|\n",
      runs);
  double oursSeconds = 0.0;
  if (ours) {
    std::vector<double> times, cpu;
    registration::RegistrationResult result;
    for (int run = 0; run < runs; ++run) {
      start = std::chrono::steady_clock::now();
      const double cpuStart = cpuSeconds(RUSAGE_SELF);
      registration::RegistrationOptions options;
      result = registration::registerVolumes(ct, mr, options);
      std::fprintf(stderr, "metric %.6f iterations %d stop %s\n", result.metricValue,
                   result.iterations, result.stopReason.c_str());
      times.push_back(secondsSince(start));
      cpu.push_back(cpuSeconds(RUSAGE_SELF) - cpuStart);
    }
    oursSeconds = median(times);
    const Errors e = errorsOf(result.transform, truth);
    std::printf(
        "| TwinPlan registerVolumes (rigid, Mattes MI, defaults) | %.2f | %.2f | %.3f | %.3f |\n",
        oursSeconds, median(cpu), e.rotation_deg, e.meanTre_mm);
    std::fflush(stdout);
  }
  if (!peer) return 0;
  const fs::path commands = tmp / "plastimatch.txt", found = tmp / "plastimatch.tfm";
  std::ofstream(commands) << "[GLOBAL]\nfixed=" << ctFile.string() << "\nmoving=" << mrFile.string()
                          << "\nxform_out=" << found.string()
                          << "\n\n[STAGE]\nxform=align_center\n"
                             "\n[STAGE]\nxform=rigid\noptim=versor\nimpl=itk\nmetric=mi\n"
                             "max_its=200\nres=4 4 2\n\n[STAGE]\nmax_its=200\nres=2 2 1\n";
  std::vector<double> times, cpu;
  for (int run = 0; run < runs; ++run) {
    start = std::chrono::steady_clock::now();
    const double cpuStart = cpuSeconds(RUSAGE_CHILDREN);
    const std::string command = "plastimatch register " + commands.string() + " >" +
                                (tmp / "plastimatch.log").string() + " 2>&1";
    if (std::system(command.c_str()) != 0) {
      std::fprintf(stderr, "plastimatch register failed; see %s\n",
                   (tmp / "plastimatch.log").c_str());
      return 1;
    }
    times.push_back(secondsSince(start));
    cpu.push_back(cpuSeconds(RUSAGE_CHILDREN) - cpuStart);
  }
  const double peerSeconds = median(times);
  const Errors e = errorsOf(registration::readItkTransformFile(found), truth);
  std::printf("| plastimatch register (rigid, versor, Mattes MI) | %.2f | %.2f | %.3f | %.3f |\n",
              peerSeconds, median(cpu), e.rotation_deg, e.meanTre_mm);
  if (ours) std::printf("\nratio ours / plastimatch: %.2f\n", oursSeconds / peerSeconds);
  return 0;
}
