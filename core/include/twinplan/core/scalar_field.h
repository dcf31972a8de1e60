#pragma once
// A physical quantity sampled on an image grid: dose, temperature, displacement magnitude,
// thermal damage.
#include <string>
#include <vector>

#include "twinplan/core/geometry.h"

namespace twinplan {

namespace units {
inline constexpr const char* kGray = "Gy";
inline constexpr const char* kDegreeCelsius = "degC";
inline constexpr const char* kMillimetre = "mm";
inline constexpr const char* kDimensionless = "1";
}  // namespace units

struct ScalarField {
  std::string name;      // "Dose (plan sum)", "Temperature at 600 s": what the user reads
  std::string quantity;  // "dose", "temperature", "displacement", "damage"
  std::string unit;      // one of units::*
  ImageGeometry geometry;
  std::vector<float> values;  // geometry.voxelCount() values, i fastest
  // A result's identity in its case ("result-3"): unique there and kept for the result's life
  // (saved, reopened, renamed), so that a choice of result survives a rename or a second result
  // of the same name. Given when the case stores the result (case.h giveResultIds, case_edit.h).
  // Last, so that brace-initialised fields elsewhere keep their meaning.
  std::string id = {};
};

}  // namespace twinplan
