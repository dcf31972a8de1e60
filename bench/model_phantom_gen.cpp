// twinplan-model-phantom: writes the abdomen CT phantom on a scanner-size grid as a DICOM series
// for bench/model_bench.sh (docs/benchmarks.md, "Anatomy models"). Same anatomy and field of
// view (384 x 384 x 250 mm) as the sample phantom, sampled on NXxNYxNZ voxels.
//   twinplan-model-phantom OUT_DIR [NXxNYxNZ]     (default 512x512x600)
// Prints the series folder on stdout.
#include <cstdio>
#include <iostream>
#include <string>

#include "twinplan/core/error.h"
#include "twinplan/phantom/phantom.h"

using namespace twinplan;

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: twinplan-model-phantom OUT_DIR [NXxNYxNZ]\n";
    return 2;
  }
  phantom::PhantomOptions options;
  options.kind = phantom::PhantomKind::Abdomen;
  options.surfaceModels = false;  // the benchmark builds its own
  long long nx = 512, ny = 512, nz = 600;
  if (argc > 2 && std::sscanf(argv[2], "%lldx%lldx%lld", &nx, &ny, &nz) != 3) {
    std::cerr << "twinplan-model-phantom: the size must read NXxNYxNZ, e.g. 512x512x600\n";
    return 2;
  }
  options.gridSize = {nx, ny, nz};
  try {
    const phantom::Phantom made = phantom::makePhantom(options);
    const phantom::PhantomFiles files = phantom::writePhantom(made, argv[1]);
    std::cout << files.seriesDirs.front().string() << '\n';
  } catch (const Error& e) {
    std::cerr << "twinplan-model-phantom: " << e.what() << " [" << e.context() << "]\n";
    return 1;
  }
  return 0;
}
