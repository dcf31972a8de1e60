#pragma once
// Thermal ablation for the front ends (issue #17 items 1 and 6): the device catalogue as JSON
// for `twinplan-cli ablate --list-devices`. The simulation itself runs as the "ablate" job
// (engine/src/ablate_job.cpp; docs/user-guide.md, "Thermal ablation").
#include <nlohmann/json.hpp>

namespace twinplan::ablation {
struct AblationResult;
}

namespace twinplan::engine {

// [{id, name, type, control, frequency_Hz, power_W, max_power_W, duration_s, cooled,
//   published_zone: {long_axis_mm, short_axis_mm, tissue, setting}, sources: {geometry, cooling,
//   generator, published_zone}, zone_validated, zone_note, zone_check: {within_5mm,
//   published_mm, simulated_mm, simulated_contracted_mm ([long, short]), reference, section} or
//   null}], in catalogue order. zone_note is empty for a validated device, otherwise the
//   sentence the Ablation panel shows (ablation/devices.h zoneValidationNote).
nlohmann::json ablationDevicesJson();

// The recorded points' temperatures over time (ablation/bioheat.h recordedPoints_lps), as the
// ablate job's JSON "probe_points" gives them and the Ablation panel plots them:
// [{position_mm, times_s, temperature_degC}], each point's temperature at the end of every
// step, trilinear between voxel centres.
nlohmann::json probePointsJson(const ablation::AblationResult& result);

}  // namespace twinplan::engine
