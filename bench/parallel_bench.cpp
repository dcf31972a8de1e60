// twinplan-parallel-bench: the parallel layer (core/parallel.h) against raw oneTBB and against
// one thread, in the same run (docs/benchmarks.md, "Parallel kernels"). Prints a Markdown
// table: median wall and CPU time of RUNS runs (default 5) after one warm-up run.
//   reduce:   a double sum of 10^7 values, blocks of 4096: a serial loop over the same blocks,
//             parallelReduce on 1 and N threads, and tbb::parallel_reduce (the peer; its
//             grouping follows the threads, so its bits may differ run to run).
//   surfaces: buildSurfaces over the sample case's 9 abdomen organs, 1 and N threads.
//   slices:   (GUI builds) sampleSlice, axial + coronal + sagittal planes of the phantom CT
//             and of a 512x512x300 CT, 1 and N threads.
#include <oneapi/tbb/blocked_range.h>
#include <oneapi/tbb/parallel_reduce.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <functional>
#include <string>
#include <vector>

#include "median_timing.h"
#include "twinplan/core/parallel.h"
#include "twinplan/phantom/phantom.h"
#include "twinplan/segmentation/segment_surface.h"
#ifdef TWINPLAN_BENCH_SLICES
#include "twinplan/rendering/slice_sampler.h"
#endif

namespace {

using namespace twinplan;
using Clock = std::chrono::steady_clock;

int runs() {
  const char* text = std::getenv("RUNS");
  return text ? std::max(1, std::atoi(text)) : 5;
}

using bench::Timing;

Timing measure(const std::function<void()>& work) { return bench::measureMedian(runs(), work); }

void row(const char* task, const std::string& variant, Timing t, Timing reference,
         const std::string& note = {}) {
  std::printf("| %s | %s | %.2f | %.2f | %.2f | %.2f | %s |\n", task, variant.c_str(), t.wall_ms,
              t.wall_ms / reference.wall_ms, t.cpu_ms, t.cpu_ms / reference.cpu_ms, note.c_str());
}

bool sameBits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

void benchReduce(std::size_t threads) {
  constexpr std::size_t kCount = 10'000'000, kBlock = 4096;
  std::vector<double> values(kCount);
  for (std::size_t i = 0; i < kCount; ++i)
    values[i] = std::sin(static_cast<double>(i)) * std::pow(10.0, static_cast<double>(i % 17) - 8);
  auto blockSum = [&](parallel::IndexRange block) {
    double sum = 0.0;
    for (std::size_t i = block.begin; i < block.end; ++i) sum += values[i];
    return sum;
  };
  auto plus = [](double a, double b) { return a + b; };
  double serialSum = 0.0, oneSum = 0.0, manySum = 0.0, tbbSum = 0.0;
  const Timing serial = measure([&] {
    serialSum = 0.0;
    for (std::size_t b = 0; b < kCount; b += kBlock)
      serialSum += blockSum({b, std::min(kCount, b + kBlock)});
  });
  Timing one, many, peer;
  {
    const parallel::ThreadLimit limit(1);
    one = measure([&] {
      oneSum = parallel::parallelReduce({0, kCount}, kBlock, 0.0, blockSum, plus);
    });
  }
  {
    const parallel::ThreadLimit limit(threads);
    many = measure([&] {
      manySum = parallel::parallelReduce({0, kCount}, kBlock, 0.0, blockSum, plus);
    });
    peer = measure([&] {
      tbbSum = tbb::parallel_reduce(
          tbb::blocked_range<std::size_t>(0, kCount, kBlock), 0.0,
          [&](const tbb::blocked_range<std::size_t>& r, double sum) {
            return sum + blockSum({r.begin(), r.end()});
          },
          plus);
    });
  }
  const std::string n = std::to_string(threads) + " threads";
  row("sum of 10^7 doubles", "serial loop, same blocks", serial, serial, "reference");
  row("sum of 10^7 doubles", "parallelReduce, 1 thread", one, serial,
      sameBits(oneSum, serialSum) ? "same bits as serial" : "DIFFERENT bits");
  row("sum of 10^7 doubles", "parallelReduce, " + n, many, serial,
      sameBits(manySum, serialSum) ? "same bits as serial" : "DIFFERENT bits");
  row("sum of 10^7 doubles", "tbb::parallel_reduce, " + n + " (peer)", peer, serial,
      sameBits(tbbSum, serialSum) ? "same bits as serial" : "bits differ from serial");
}

void benchSurfaces(const Case& twin, std::size_t threads) {
  // The sample case's anatomy models and settings (phantom/src/surface_models.cpp).
  const LabelMap& truth = twin.labelMaps.front();
  std::vector<std::size_t> anatomy;
  for (const char* name : {"Liver", "Portal vein", "Hepatic veins", "Aorta", "Inferior vena cava",
                           "Left kidney", "Right kidney", "Spleen", "Vertebrae"})
    if (const auto index = truth.findSegment(name)) anatomy.push_back(*index);
  segmentation::SurfaceOptions options;
  options.targetReduction = 0.5;
  options.maxTriangles = 20000;
  Timing one, many;
  {
    const parallel::ThreadLimit limit(1);
    one = measure([&] { segmentation::buildSurfaces(truth, anatomy, options); });
  }
  {
    const parallel::ThreadLimit limit(threads);
    many = measure([&] { segmentation::buildSurfaces(truth, anatomy, options); });
  }
  const std::string task = "surfaces of " + std::to_string(anatomy.size()) + " abdomen organs";
  row(task.c_str(), "1 thread", one, one, "reference");
  row(task.c_str(), std::to_string(threads) + " threads", many, one, "");
}

#ifdef TWINPLAN_BENCH_SLICES
// The three planes through the centre of `ct`, on 1 and N threads.
void benchSlices(const char* task, const ImageVolume& ct, std::size_t threads) {
  const ImageGeometry& g = ct.geometry();
  const Vec3 centre = g.indexToLps(Vec3(g.size[0] / 2.0, g.size[1] / 2.0, g.size[2] / 2.0));
  std::vector<float> pixels;
  auto all = [&] {
    for (auto o : {rendering::SliceOrientation::Axial, rendering::SliceOrientation::Coronal,
                   rendering::SliceOrientation::Sagittal})
      rendering::sampleSlice(ct, rendering::planeCovering(g, o, centre), -1024.0f, pixels);
  };
  Timing one, many;
  {
    const parallel::ThreadLimit limit(1);
    one = measure(all);
  }
  {
    const parallel::ThreadLimit limit(threads);
    many = measure(all);
  }
  row(task, "1 thread", one, one, "reference");
  row(task, std::to_string(threads) + " threads", many, one, "");
}

// A clinical-size CT grid, 512x512x300 int16, with voxel-to-voxel variation.
ImageVolume clinicalCt() {
  ImageGeometry g;
  g.size = {512, 512, 300};
  g.spacing_mm = Vec3(0.7, 0.7, 1.0);
  ImageVolume ct(g, PixelType::Int16);
  auto voxels = ct.voxels<std::int16_t>();
  for (std::size_t n = 0; n < voxels.size(); ++n)
    voxels[n] = static_cast<std::int16_t>((n * 2654435761u) % 2001) - 1000;
  return ct;
}
#endif

}  // namespace

// twinplan-parallel-bench [reduce] [surfaces] [slices]: the chosen parts (default: all).
int main(int argc, char** argv) {
  const std::vector<std::string> parts(argv + 1, argv + argc);
  auto wanted = [&](const char* part) {
    return parts.empty() || std::find(parts.begin(), parts.end(), part) != parts.end();
  };
  const std::size_t threads = parallel::maxThreads();
  std::printf("Machine: %zu hardware threads (oneTBB), median of %d runs\n\n", threads, runs());
  std::printf(
      "| task | variant | wall ms | ratio | CPU ms | ratio | note |\n"
      "|---|---|---|---|---|---|---|\n");
  if (wanted("reduce")) benchReduce(threads);
  if (!wanted("surfaces") && !wanted("slices")) return 0;
  phantom::PhantomOptions options;
  options.surfaceModels = false;
  const phantom::Phantom abdomen = phantom::makePhantom(options);
  if (wanted("surfaces")) benchSurfaces(abdomen.twin, threads);
#ifdef TWINPLAN_BENCH_SLICES
  if (wanted("slices")) {
    benchSlices("3 slices, abdomen phantom CT 256x256x100", abdomen.twin.volumes.front(), threads);
    benchSlices("3 slices, CT 512x512x300", clinicalCt(), threads);
  }
#endif
  return 0;
}
