#pragma once
// A PET-like volume for the fusion benchmarks (bench/fusion_scroll.cpp, the fused scrolling of
// bench/gui_responsiveness.cpp): SUV 1 inside an elliptic body, SUV 9 in a spherical lesion,
// 0 in air, on a typical whole-body PET grid (1.8 x 1.8 x 2.0 mm voxels) centred on the origin.
// What it shows does not matter to the timings; that the foreground is a float volume on its
// own coarser grid, sampled through a transform, does.
#include <cmath>
#include <cstdint>

#include "twinplan/core/image_volume.h"

namespace twinplan::bench {

// body: semi-axes of the elliptic body along L and P (mm); lesion: its centre (LPS mm).
inline ImageVolume syntheticPet(int columns, int slices, double bodyL_mm, double bodyP_mm,
                                const Vec3& lesion_lps) {
  ImageGeometry g;
  g.size = {columns, columns, slices};
  g.spacing_mm = Vec3(1.8, 1.8, 2.0);
  g.origin_lps = -0.5 * g.spacing_mm.cwiseProduct(Vec3(columns - 1, columns - 1, slices - 1));
  ImageVolume pet(g, PixelType::Float32);
  pet.name = "PT";
  pet.unit = "SUVbw";
  pet.dicom.modality = "PT";
  auto voxels = pet.voxels<float>();
  for (std::int64_t k = 0; k < g.size[2]; ++k)
    for (std::int64_t j = 0; j < g.size[1]; ++j)
      for (std::int64_t i = 0; i < g.size[0]; ++i) {
        const Vec3 p = g.indexToLps(Vec3(i, j, k));
        float suv = std::hypot(p[0] / bodyL_mm, p[1] / bodyP_mm) < 1.0 ? 1.0f : 0.0f;
        if ((p - lesion_lps).norm() < 30.0) suv = 9.0f;
        voxels[g.linearIndex(i, j, k)] = suv;
      }
  return pet;
}

}  // namespace twinplan::bench
