#pragma once
// `twinplan-cli shift CASE --scenario brain-shift|liver-tool|resection [--out CASE2] [--json]`
// brain-shift: [--opening x,y,z --radius MM] [--csf-loss-ml V | --fluid-level MM]
//   [--position HFS] [--head-rotation DEG] [--skull-contact] [--drain-ventricles]
//   [--material neo-hookean|linear]; liver-tool: [--organ liver] [--tip x,y,z]
//   [--direction x,y,z] [--tip-shape flat|ball] [--tip-radius MM] [--indentation MM | --force N]
//   [--nonlinear]; resection: --segment NAME | --sphere x,y,z,r [--organ NAME]; all:
//   [--resolution MM] [--quadratic]: tissue shift through the engine's "shift" job (engine/src/
// shift_job.cpp). Kept apart from main.cpp so that the other fem/shift commands merge beside it.
#include <CLI/CLI.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace twinplan::cli {

struct ShiftOptions {
  std::string scenario = "brain-shift", opening, position;
  std::optional<double> radius_mm, csfLoss_ml, fluidLevel_mm, resolution_mm, headRotation_deg;
  std::string organ, tip, direction, tipShape, segment, sphere;
  std::optional<double> tipRadius_mm, indentation_mm, force_N;
  bool nonlinear = false;
  bool skullContact = false, drainVentricles = false, quadratic = false;
  std::string material;
  std::optional<double> bladeWidth_mm, bladeDepth_mm, push_mm;
  std::string bladeAxis;
  std::filesystem::path out;
};

void addShiftOptions(CLI::App& command, std::filesystem::path& casePath, ShiftOptions& options);

// The "shift" job's parameters (absolute paths).
nlohmann::json shiftParameters(const std::filesystem::path& casePath, const ShiftOptions& options);

// The job's result as text: max displacement, mesh, each target's shift.
void printShift(const nlohmann::json& result);

}  // namespace twinplan::cli
