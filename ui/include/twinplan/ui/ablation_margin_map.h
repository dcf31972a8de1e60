#pragma once
// The minimum ablative margin map as the views show it (issue #17 items 3 and 5): in 3D the
// tumour's surface coloured by margin class (red: not ablated, amber: under the margin, green:
// the margin or more; ablation/margin_map.h), in 2D the tumour's outline in the same colours
// (its boundary voxels, each by the margin at its centre). Built from the live predicted zone
// (ablation_preview.h) while the probe moves and from the simulated zone after Simulate.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "twinplan/core/label_map.h"
#include "twinplan/engine/ablation_margin_map.h"

class vtkActor;
template <class T>
class vtkSmartPointer;

namespace twinplan::ui {

struct MarginMapDisplay {
  engine::TumourMarginMap map;  // surface, colours and figures
  LabelMap outline;             // the tumour's boundary voxels, one segment per class
  bool simulated = false;       // from the full physics (else the live prediction)
  double compute_s = 0.0;       // wall time to build it
};

// Masks on one isotropic grid (the preview's or the simulation's). Throws Error(InvalidInput)
// when the tumour has no voxel there.
std::shared_ptr<const MarginMapDisplay> makeMarginMapDisplay(
    const std::vector<std::uint8_t>& zone, const std::vector<std::uint8_t>& tumour,
    const ImageGeometry& grid, double margin_mm, bool simulated);

// The same from the zone's signed distance (ablation::zoneSignedDistance) on the tumour's grid:
// the simulated zone's distance is saved with the case, so its map is rebuilt when it reopens.
std::shared_ptr<const MarginMapDisplay> makeMarginMapDisplay(
    const ScalarField& zoneDistance, const std::vector<std::uint8_t>& tumour, double margin_mm,
    bool simulated);

// The coloured surface for the 3D view (per-vertex colours, opaque).
vtkSmartPointer<vtkActor> makeMarginMapActor(const MarginMapDisplay& display);

// One line for the panel: where the figures come from, the 5th percentile, the median and the
// share of the surface in each class. Not the minimum: the panel shows that once, as the
// minimal ablative margin of the report or the live prediction (issue #17 item 3).
std::string marginMapSummary(const MarginMapDisplay& display);

}  // namespace twinplan::ui
