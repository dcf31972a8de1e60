// Writes a case whose only surface model is a UV sphere of about N triangles (default one
// million): the large scene of the headset frame-time benchmark (bench/xr_render_bench.sh,
// docs/benchmarks.md "Headset frame time"). Usage: twinplan-xr-scene-case OUT.twinplan [N]
#include <cmath>
#include <cstdlib>
#include <iostream>

#include "twinplan/core/case_file.h"
#include "twinplan/core/error.h"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: twinplan-xr-scene-case OUT.twinplan [TRIANGLES]\n";
    return 2;
  }
  const double wanted = argc > 2 ? std::atof(argv[2]) : 1e6;
  // segments around x segments/2 rings, two triangles per quad: segments^2 triangles.
  const int segments = std::max(8, static_cast<int>(std::lround(std::sqrt(wanted))));
  const int rings = segments / 2;
  constexpr double kPi = 3.14159265358979323846, radius_mm = 120.0;
  twinplan::Case twin;
  twin.name = "Sphere " + std::to_string(segments * segments) + " triangles";
  twinplan::SurfaceMesh mesh;
  mesh.name = "Sphere";
  for (int r = 0; r <= rings; ++r)
    for (int s = 0; s < segments; ++s) {
      const double polar = kPi * r / rings, azimuth = 2.0 * kPi * s / segments;
      mesh.points_lps.push_back({float(radius_mm * std::sin(polar) * std::cos(azimuth)),
                                 float(radius_mm * std::sin(polar) * std::sin(azimuth)),
                                 float(radius_mm * std::cos(polar))});
    }
  const auto index = [&](int r, int s) { return uint32_t(r * segments + (s % segments)); };
  for (int r = 0; r < rings; ++r)
    for (int s = 0; s < segments; ++s) {
      mesh.triangles.push_back({index(r, s), index(r + 1, s), index(r + 1, s + 1)});
      mesh.triangles.push_back({index(r, s), index(r + 1, s + 1), index(r, s + 1)});
    }
  twin.meshes.push_back(std::move(mesh));
  try {
    twinplan::saveCase(twin, argv[1]);
  } catch (const twinplan::Error& e) {
    std::cerr << e.what() << '\n';
    return 1;
  }
  std::cout << twin.meshes[0].triangles.size() << " triangles written to " << argv[1] << '\n';
  return 0;
}
