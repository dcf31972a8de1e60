#include "twinplan/engine/dose_combination.h"

#include <algorithm>
#include <vector>

#include "twinplan/core/error.h"
#include "twinplan/radiotherapy/dose_grid.h"

namespace twinplan::engine {
namespace {

// "'Dose (plan)' (result-1), 'Dose (boost)' (result-2)": the case's doses, for a message.
std::string doseList(const Case& twin) {
  std::string doses;
  for (const ScalarField& f : twin.fields)
    if (f.quantity == "dose") doses += (doses.empty() ? "'" : ", '") + f.name + "' (" + f.id + ")";
  return doses.empty() ? "none" : doses;
}

// The dose `key` names: a result id first, else the name of exactly one result.
const ScalarField& doseFor(const Case& twin, const std::string& key, const char* role) {
  const ScalarField* found = findResult(twin, key);
  if (!found) {
    std::vector<const ScalarField*> named;
    for (const ScalarField& f : twin.fields)
      if (f.name == key) named.push_back(&f);
    if (named.size() > 1) {
      std::string ids;
      for (const ScalarField* f : named) ids += (ids.empty() ? "" : ", ") + f->id;
      throw Error(ErrorKind::InvalidInput,
                  std::string("Dose ") + role + ": " + std::to_string(named.size()) +
                      " results are named '" + key + "' (ids " + ids +
                      "); give the id of the one you mean.",
                  key);
    }
    if (named.empty())
      throw Error(ErrorKind::NotFound,
                  std::string("Dose ") + role + ": the case has no result with the id or name '" +
                      key + "'; its doses are " + doseList(twin) + ".",
                  key);
    found = named.front();
  }
  radiotherapy::requireDose(
      *found, std::string("Dose ") + role + " ('" + found->name + "', " + found->id + ")");
  return *found;
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
  const ScalarField& doseA = doseFor(twin, a, "A");
  const ScalarField& doseB = doseFor(twin, b, "B");
  radiotherapy::requireSameGrid(doseA, "dose A ('" + doseA.name + "')", doseB,
                                "dose B ('" + doseB.name + "')");
  const bool sum = operation == DoseOperation::Sum;
  CombinedDose combined;
  combined.field =
      sum ? radiotherapy::doseSum(doseA, doseB) : radiotherapy::doseDifference(doseA, doseB);
  if (!sum) combined.field.quantity = kDoseDifferenceQuantity;
  combined.field.name =
      freeName(twin, name.empty() ? doseA.name + (sum ? " + " : " - ") + doseB.name : name);
  combined.a_id = doseA.id;
  combined.b_id = doseB.id;
  const auto [lowest, highest] =
      std::minmax_element(combined.field.values.begin(), combined.field.values.end());
  combined.min_Gy = *lowest;
  combined.max_Gy = *highest;
  return combined;
}

}  // namespace twinplan::engine
