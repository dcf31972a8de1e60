#pragma once
// Median wall time and median process CPU time (all threads) in ms of `work` over `runs` runs,
// after one warm-up run. CPU time shows what a variant costs on a machine whose other core is
// busy: there wall time says little, but spinning or extra work would show here.
#include <algorithm>
#include <chrono>
#include <ctime>
#include <functional>
#include <vector>

namespace twinplan::bench {

struct Timing {
  double wall_ms = 0.0, cpu_ms = 0.0;
};

inline Timing measureMedian(int runs, const std::function<void()>& work) {
  work();
  std::vector<double> walls, cpus;
  for (int run = 0; run < runs; ++run) {
    const auto start = std::chrono::steady_clock::now();
    const std::clock_t cpuStart = std::clock();
    work();
    cpus.push_back(1000.0 * static_cast<double>(std::clock() - cpuStart) / CLOCKS_PER_SEC);
    walls.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
            .count());
  }
  std::sort(walls.begin(), walls.end());
  std::sort(cpus.begin(), cpus.end());
  return {walls[walls.size() / 2], cpus[cpus.size() / 2]};
}

}  // namespace twinplan::bench
