#include "twinplan/engine/dose_combination.h"

#include <algorithm>

#include "twinplan/core/error.h"
#include "twinplan/radiotherapy/dose_grid.h"

namespace twinplan::engine {
namespace {

const ScalarField& doseNamed(const Case& twin, const std::string& name, const char* role) {
  for (const ScalarField& f : twin.fields)
    if (f.name == name) {
      radiotherapy::requireDose(f, std::string("Dose ") + role + " ('" + name + "')");
      return f;
    }
  std::string doses;
  for (const ScalarField& f : twin.fields)
    if (f.quantity == "dose") doses += (doses.empty() ? "'" : ", '") + f.name + "'";
  throw Error(ErrorKind::NotFound,
              std::string("Dose ") + role + ": the case has no result named '" + name +
                  "'; its doses are " + (doses.empty() ? "none" : doses) + ".",
              name);
}

std::string freeName(const Case& twin, const std::string& base) {
  std::string name = base;
  for (int n = 2; std::any_of(twin.fields.begin(), twin.fields.end(),
                              [&](const ScalarField& f) { return f.name == name; });
       ++n)
    name = base + " " + std::to_string(n);
  return name;
}

}  // namespace

DoseOperation doseOperationNamed(const std::string& word) {
  if (word == "sum") return DoseOperation::Sum;
  if (word == "difference") return DoseOperation::Difference;
  throw Error(ErrorKind::InvalidInput,
              "The operation must be 'sum' (A + B) or 'difference' (A - B); got '" + word + "'.",
              "operation");
}

CombinedDose combineDoses(const Case& twin, const std::string& a, const std::string& b,
                          DoseOperation operation, const std::string& name) {
  const ScalarField& doseA = doseNamed(twin, a, "A");
  const ScalarField& doseB = doseNamed(twin, b, "B");
  radiotherapy::requireSameGrid(doseA, "dose A ('" + a + "')", doseB, "dose B ('" + b + "')");
  const bool sum = operation == DoseOperation::Sum;
  CombinedDose combined;
  combined.field =
      sum ? radiotherapy::doseSum(doseA, doseB) : radiotherapy::doseDifference(doseA, doseB);
  if (!sum) combined.field.quantity = kDoseDifferenceQuantity;
  combined.field.name = freeName(twin, name.empty() ? a + (sum ? " + " : " - ") + b : name);
  const auto [lowest, highest] =
      std::minmax_element(combined.field.values.begin(), combined.field.values.end());
  combined.min_Gy = *lowest;
  combined.max_Gy = *highest;
  return combined;
}

}  // namespace twinplan::engine
