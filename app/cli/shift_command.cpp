#include "shift_command.h"

#include <iomanip>
#include <iostream>

namespace twinplan::cli {

namespace fs = std::filesystem;
using nlohmann::json;

void addShiftOptions(CLI::App& command, fs::path& casePath, ShiftOptions& o) {
  command.add_option("CASE", casePath, "Case file (.twinplan) with the brain's segments")
      ->required();
  command.add_option("--scenario", o.scenario, "brain-shift (default)");
  command.add_option("--opening", o.opening,
                     "Craniotomy centre x,y,z on the brain surface, LPS mm (default: over the "
                     "tumour)");
  command.add_option("--radius", o.radius_mm, "Craniotomy radius, mm (25)");
  command.add_option("--csf-loss-ml", o.csfLoss_ml, "CSF drained from the top, ml");
  command.add_option("--fluid-level", o.fluidLevel_mm,
                     "CSF level above the brain's lowest point, mm (default 0: all drained)");
  command.add_option("--resolution", o.resolution_mm, "Mesh lattice edge, mm (6)");
  command.add_option("--position", o.position,
                     "Patient position HFS, HFP, HFDL, HFDR, FFS ... (default: the images')");
  command.add_option("--head-rotation", o.headRotation_deg,
                     "Head turned about S, from P towards L, deg (0)");
  command.add_option("--out", o.out, "Write the case here (default: in place)");
}

json shiftParameters(const fs::path& casePath, const ShiftOptions& o) {
  json p = {{"case", fs::absolute(casePath).string()}, {"scenario", o.scenario}};
  if (!o.out.empty()) p["output"] = fs::absolute(o.out).string();
  if (!o.opening.empty()) p["opening"] = o.opening;
  if (!o.position.empty()) p["patientPosition"] = o.position;
  if (o.radius_mm) p["radius_mm"] = *o.radius_mm;
  if (o.csfLoss_ml) p["csfLoss_ml"] = *o.csfLoss_ml;
  if (o.fluidLevel_mm) p["fluidLevel_mm"] = *o.fluidLevel_mm;
  if (o.resolution_mm) p["resolution_mm"] = *o.resolution_mm;
  if (o.headRotation_deg) p["headRotation_deg"] = *o.headRotation_deg;
  return p;
}

void printShift(const json& r) {
  std::cout << std::fixed << std::setprecision(1) << r["scenario"].get<std::string>() << " ("
            << r["patient_position"].get<std::string>() << "): max displacement "
            << std::setprecision(2) << r["max_displacement_mm"].get<double>() << " mm; "
            << r["tet_count"].get<std::size_t>() << " tetrahedra, solved in "
            << r["solve_time_s"].get<double>() << " s\n";
  for (const json& t : r["targets"]) {
    const json& d = t["displacement_mm"];
    std::cout << "  " << t["name"].get<std::string>() << ": " << t["magnitude_mm"].get<double>()
              << " mm (" << d[0].get<double>() << ", " << d[1].get<double>() << ", "
              << d[2].get<double>() << ")"
              << (t["inside_model"].get<bool>() ? "" : " outside the model") << '\n';
  }
  std::cout << "  wrote " << r["output"].get<std::string>() << '\n';
}

}  // namespace twinplan::cli
