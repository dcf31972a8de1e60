#pragma once
// Mechanical properties per tissue type, with their sources: resources/tissues/mechanics.json,
// compiled into the module (docs/validation.md, "Tissue mechanics: per-tissue materials").
// Keys are the tissue types segments name (Segment::tissueType): brain, grey-matter,
// white-matter, glioma, liver, vessel, csf.
#include <string>
#include <string_view>
#include <vector>

#include "twinplan/tissue/fe_model.h"

namespace twinplan::resources {
// The text of "tissues/mechanics.json"; empty for a path the module does not hold.
std::string_view tissueResource(std::string_view path);
}  // namespace twinplan::resources

namespace twinplan::tissue {

struct TissueMechanics {
  std::string id, name;
  double shearModulus_kPa = 0;  // small-strain (initial) shear modulus mu
  double poissonsRatio = 0;
  double density_kg_m3 = 0;
  std::string shearModulusSource, poissonsRatioSource;  // full references from the file

  double bulkModulus_kPa() const;  // 2 mu (1 + nu) / (3 (1 - 2 nu))
  // The material in the solver's units (MPa, tonne/mm^3): *ELASTIC with E = 2 mu (1 + nu)
  // and nu, or *HYPERELASTIC, NEO HOOKE with C10 = mu / 2 and D1 = 2 / K (Abaqus Theory
  // Manual 4.6.1), both with *DENSITY; named after the tissue.
  Material linearElastic() const;
  Material neoHooke() const;
};

// The tissue with this id; Error(NotFound) naming the known ids otherwise. Error(Corrupt)
// when the compiled-in table is malformed (a value without a cited source).
const TissueMechanics& tissueMechanics(std::string_view id);

// Every tissue in the table, in file order.
const std::vector<TissueMechanics>& tissueMechanicsTable();

}  // namespace twinplan::tissue
