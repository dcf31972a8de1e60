#pragma once
// Analytic doses for tests: peak x exp(-r^2 / (2 sigma^2)) about a centre, whose isodose at a
// fraction f of the peak is the sphere r = sigma sqrt(-2 ln f).
#include <cmath>

#include "twinplan/core/scalar_field.h"

namespace twinplan::test {

inline ScalarField gaussianDose(const ImageGeometry& grid, const Vec3& centre_lps, double peak_Gy,
                                double sigma_mm) {
  ScalarField dose;
  dose.name = "gaussian";
  dose.quantity = "dose";
  dose.unit = units::kGray;
  dose.geometry = grid;
  dose.values.resize(grid.voxelCount());
  for (std::int64_t k = 0; k < grid.size[2]; ++k)
    for (std::int64_t j = 0; j < grid.size[1]; ++j)
      for (std::int64_t i = 0; i < grid.size[0]; ++i) {
        const double r2 = (grid.indexToLps(Vec3(i, j, k)) - centre_lps).squaredNorm();
        dose.values[grid.linearIndex(i, j, k)] =
            static_cast<float>(peak_Gy * std::exp(-r2 / (2 * sigma_mm * sigma_mm)));
      }
  return dose;
}

}  // namespace twinplan::test
