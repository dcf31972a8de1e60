#pragma once
// The EGSnrc DOSXYZnrc reference tables in tests/data/radiotherapy/egsnrc_<case>.csv (made by
// scripts/radiotherapy/run_egsnrc_reference.sh; docs/validation.md "EGSnrc Monte Carlo peer")
// and the engines' dose averaged over the same voxels.
//
// DOSXYZnrc's frame: z is depth from the surface, x and y lateral. In the phantoms of
// photon_water_phantom.h the surface is y = 0 and the beam travels along +y, so a voxel
// (x, y, z)_MC is (x, z, y)_LPS.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "twinplan/core/geometry.h"

namespace twinplan::radiotherapy::egsnrc {

struct McVoxel {
  std::string region;                                     // "axis" or "profile"
  double z0 = 0, z1 = 0, x0 = 0, x1 = 0, y0 = 0, y1 = 0;  // mm, DOSXYZnrc frame
  double dose = 0;                                        // Gy cm2 per incident fluence
  double uncertainty_percent = 0;                         // 1 sigma, statistical
  double depth_mm() const { return 0.5 * (z0 + z1); }
  double x_mm() const { return 0.5 * (x0 + x1); }
};

// The table of `name` (e.g. "water_6mv_10x10"); fails the test when it is missing or broken.
inline std::vector<McVoxel> readTable(const std::string& name) {
  const std::filesystem::path path = std::filesystem::path(TWINPLAN_SOURCE_DIR) /
                                     "tests/data/radiotherapy" / ("egsnrc_" + name + ".csv");
  std::ifstream in(path);
  std::vector<McVoxel> voxels;
  if (!in) {
    ADD_FAILURE() << "missing " << path;
    return voxels;
  }
  std::string line;
  bool header = false;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    if (!header) {  // the column names
      header = true;
      continue;
    }
    std::replace(line.begin(), line.end(), ',', ' ');
    std::istringstream fields(line);
    McVoxel v;
    if (!(fields >> v.region >> v.z0 >> v.z1 >> v.x0 >> v.x1 >> v.y0 >> v.y1 >> v.dose >>
          v.uncertainty_percent)) {
      ADD_FAILURE() << path << ": unreadable row '" << line << "'";
      return {};
    }
    voxels.push_back(v);
  }
  return voxels;
}

inline std::vector<McVoxel> region(const std::vector<McVoxel>& table, const std::string& name,
                                   double depth_mm = -1) {
  std::vector<McVoxel> out;
  for (const McVoxel& v : table)
    if (v.region == name && (depth_mm < 0 || (v.z0 <= depth_mm && depth_mm < v.z1)))
      out.push_back(v);
  return out;
}

// The axis voxel containing `depth_mm`.
inline McVoxel axisVoxel(const std::vector<McVoxel>& table, double depth_mm) {
  const std::vector<McVoxel> v = region(table, "axis", depth_mm);
  if (v.size() != 1) {
    ADD_FAILURE() << "no single axis voxel at " << depth_mm << " mm";
    return {};
  }
  return v.front();
}

// The engine's dose averaged over the MC voxel: the mean of n x n x n points at the centres of
// equal sub-cells (the voxels are as wide as 20 mm across a flat field, 1 mm across an edge).
template <class Calculator>
double voxelMean(const Calculator& c, const McVoxel& v, int n = 4) {
  double sum = 0;
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j)
      for (int k = 0; k < n; ++k) {
        const double x = v.x0 + (v.x1 - v.x0) * (i + 0.5) / n;
        const double y = v.y0 + (v.y1 - v.y0) * (j + 0.5) / n;
        const double z = v.z0 + (v.z1 - v.z0) * (k + 0.5) / n;
        sum += c.dose_Gy(Vec3(x, z, y));
      }
  return sum / (n * n * n);
}

// Where a profile (voxel centres, dose relative to the axis) first falls through `level` on
// its falling edge, by linear interpolation between voxel centres.
inline double crossing(const std::vector<double>& x_mm, const std::vector<double>& r,
                       double level) {
  for (std::size_t i = 1; i < x_mm.size(); ++i)
    if (r[i - 1] >= level && r[i] < level)
      return x_mm[i - 1] + (r[i - 1] - level) / (r[i - 1] - r[i]) * (x_mm[i] - x_mm[i - 1]);
  ADD_FAILURE() << "the profile does not fall through " << level;
  return 0.0;
}

}  // namespace twinplan::radiotherapy::egsnrc
