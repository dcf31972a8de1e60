#pragma once
// The heat source of a catalogue device at its default setting or a chosen power: an RfSource
// for RF electrodes, a MicrowaveSource for antennas (for the `ablate` job and the planner).
#include <memory>
#include <optional>
#include <span>

#include "twinplan/ablation/devices.h"
#include "twinplan/ablation/heat_source.h"

namespace twinplan::ablation {

// power_W replaces the device's default power: the constant or "on" power of an RF electrode,
// the ceiling of a temperature-controlled one, the forward power of an antenna. Throws
// Error(InvalidInput) for a power that is not above 0 W or above the generator's maximum, or a
// placement whose active part lies outside the grid.
std::unique_ptr<HeatSource> makeHeatSource(const AblationGrid& grid, const AblationDevice& device,
                                           const ProbePlacement& placement,
                                           std::optional<double> power_W = std::nullopt);

// Several probes of one device at the same setting. RF electrodes: one generator driving all of
// them at one potential (RfSource's coupled constructor), power_W the generator's total.
// Microwave antennas: each on its own generator channel at power_W (as NeuWave's and Emprint's
// multi-antenna set-ups), their absorbed powers added (the fields' interference is not
// modelled). Throws as above, and Error(InvalidInput) for no placement or a tip in air
// (requireTipsInTissue).
std::unique_ptr<HeatSource> makeHeatSource(const AblationGrid& grid, const AblationDevice& device,
                                           std::span<const ProbePlacement> placements,
                                           std::optional<double> power_W = std::nullopt);

// Error(InvalidInput), naming the probe and the point, when a tip's voxel is air (outside the
// body, or bowel gas): nothing is heated there. Tips off the grid are left to the sources.
void requireTipsInTissue(const AblationGrid& grid, std::span<const ProbePlacement> placements);

}  // namespace twinplan::ablation
