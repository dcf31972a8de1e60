#include "shift_command.h"

#include <iomanip>
#include <iostream>

namespace twinplan::cli {

namespace fs = std::filesystem;
using nlohmann::json;

void addShiftOptions(CLI::App& command, fs::path& casePath, ShiftOptions& o) {
  command.add_option("CASE", casePath, "Case file (.twinplan) with the tissue's segments")
      ->required();
  command.add_option("--scenario", o.scenario,
                     "brain-shift (default), liver-tool, resection, retractor");
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
  command.add_flag("--skull-contact", o.skullContact,
                   "brain-shift: the brain slides on the skull outside the opening (default: "
                   "held)");
  command.add_flag("--drain-ventricles", o.drainVentricles,
                   "brain-shift: the ventricles lose their CSF pressure too");
  command.add_option("--material", o.material,
                     "brain-shift: neo-hookean (default, large deformation) or linear");
  command.add_flag("--quadratic", o.quadratic,
                   "quadratic tetrahedra (C3D10) with the cited nu 0.49 (default: linear, nu "
                   "0.45)");
  command.add_option("--organ", o.organ,
                     "liver-tool: the organ's segment or tissue type (liver); resection: the "
                     "tissue around the cavity (default: the brain)");
  command.add_option("--tip", o.tip,
                     "liver-tool: tool tip x,y,z on the organ surface, LPS mm (default: the first "
                     "surface point along the direction)");
  command.add_option("--direction", o.direction, "liver-tool: into the tissue x,y,z (0,1,0: A->P)");
  command.add_option("--tip-shape", o.tipShape, "liver-tool: flat (default) or ball");
  command.add_option("--tip-radius", o.tipRadius_mm, "liver-tool: tip radius, mm (5)");
  command.add_option("--indentation", o.indentation_mm, "liver-tool: depth pressed, mm (10)");
  command.add_option("--force", o.force_N, "liver-tool: force instead of a depth, N");
  command.add_flag("--nonlinear", o.nonlinear, "liver-tool: neo-Hookean, large deformation");
  command.add_option("--segment", o.segment, "resection: the segment removed");
  command.add_option("--sphere", o.sphere, "resection: a sphere removed, x,y,z,radius in LPS mm");
  command.add_option("--blade-width", o.bladeWidth_mm,
                     "retractor: blade width on the brain surface, mm (20)");
  command.add_option("--blade-depth", o.bladeDepth_mm,
                     "retractor: blade depth on the brain surface, mm (20)");
  command.add_option("--push", o.push_mm, "retractor: blade pushed into the brain, mm (5)");
  command.add_option("--blade-axis", o.bladeAxis,
                     "retractor: the blade's width direction x,y,z (default: normal x S)");
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
  if (o.skullContact) p["skullContact"] = true;
  if (o.drainVentricles) p["drainVentricles"] = true;
  if (!o.material.empty()) p["material"] = o.material;
  if (o.quadratic) p["elements"] = "quadratic";
  if (!o.organ.empty()) p["organ"] = o.organ;
  if (!o.tip.empty()) p["tip"] = o.tip;
  if (!o.direction.empty()) p["direction"] = o.direction;
  if (!o.tipShape.empty()) p["tip_shape"] = o.tipShape;
  if (o.tipRadius_mm) p["tip_radius_mm"] = *o.tipRadius_mm;
  if (o.indentation_mm) p["indentation_mm"] = *o.indentation_mm;
  if (o.force_N) p["force_N"] = *o.force_N;
  if (o.nonlinear) p["nonlinear"] = true;
  if (!o.segment.empty()) p["segment"] = o.segment;
  if (!o.sphere.empty()) p["sphere"] = o.sphere;
  if (o.bladeWidth_mm) p["blade_width_mm"] = *o.bladeWidth_mm;
  if (o.bladeDepth_mm) p["blade_depth_mm"] = *o.bladeDepth_mm;
  if (o.push_mm) p["push_mm"] = *o.push_mm;
  if (!o.bladeAxis.empty()) p["blade_axis"] = o.bladeAxis;
  return p;
}

void printShift(const json& r) {
  std::cout << std::fixed << std::setprecision(1) << r["scenario"].get<std::string>();
  if (r.contains("patient_position"))
    std::cout << " (" << r["patient_position"].get<std::string>() << ")";
  std::cout << ": max displacement " << std::setprecision(2)
            << r["max_displacement_mm"].get<double>() << " mm; "
            << r["tet_count"].get<std::size_t>() << " tetrahedra, solved in "
            << r["solve_time_s"].get<double>() << " s\n";
  if (r.contains("tool_force_N"))
    std::cout << "  tool: " << r["indentation_mm"].get<double>() << " mm deep, "
              << std::setprecision(3) << r["tool_force_N"].get<double>() << " N ("
              << r["tool_stiffness_N_per_mm"].get<double>() << " N/mm)\n"
              << std::setprecision(2);
  if (r.contains("retractor_force_N"))
    std::cout << "  retractor: " << r["retractor_push_mm"].get<double>() << " mm push, "
              << std::setprecision(3) << r["retractor_force_N"].get<double>() << " N on "
              << r["retractor_nodes"].get<std::size_t>() << " surface nodes\n"
              << std::setprecision(2);
  if (r.contains("cavity_volume_before_ml"))
    std::cout << "  cavity: " << r["cavity_volume_before_ml"].get<double>() << " ml -> "
              << r["cavity_volume_after_ml"].get<double>() << " ml (" << std::showpos
              << r["cavity_volume_change_percent"].get<double>() << std::noshowpos << " %)\n";
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
