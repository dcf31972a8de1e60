#pragma once
// The ablation grid built from a case (issue #17 item 2): a box of isotropic voxels around the
// probe tip, aligned with LPS, each voxel's tissue from the segment that covers it or, outside
// any tissue-typed segment, from its CT number (resources/tissues/hu_classes.json).
//
// Rules (docs/validation.md, "Thermal ablation: the grid from a case"):
// - CT sampled trilinearly at each voxel centre; voxels in the CT's Pixel Padding range count as
//   air (-1000 HU) before interpolation.
// - Every layer of every label map of the case sampled nearest-neighbour (label maps are in
//   the CT's patient frame). Where segments overlap, the precedence is tumour > blood (vessel)
//   > any other tissue the table knows > HU class; between segments of the same rank, the one
//   in the higher layer (then the later label map) wins. A segment whose tissue type the table
//   does not know ("", "pancreas") and the body outline ("body") give their voxels the HU class.
// - Blood voxels of vessel segments carry a mean flow speed from the vessel's local radius
//   (largest inscribed sphere on the grid's Euclidean distance map, Hildebrand & Ruegsegger
//   1997) through the flow model of resources/tissues/vessel_flow.json (Murray's law anchored at
//   the portal vein).
// - The box (centred on the tip or centreBehindTip_mm behind it) is clipped to the CT's extent
//   along LPS; a tip outside the CT is an error. Voxels of
//   the clipped box that still fall outside an oblique CT count as air.
#include <cstdint>
#include <string>
#include <vector>

#include "twinplan/ablation/ablation_grid.h"
#include "twinplan/ablation/heat_source.h"
#include "twinplan/core/case.h"
#include "twinplan/core/progress.h"

namespace twinplan::ablation {

struct GridOptions {
  // Voxel edge (mm); 1 mm is the default (#17 item 2), 0.25..5 mm accepted.
  double spacing_mm = 1.0;
  // Edge of the cubic box centred on the tip (mm). Clinical zones reach ~5-6 cm for microwave
  // and cooled RF (e.g. Lubner et al., J Vasc Interv Radiol 2010;21:S192-S203), so a 100 mm box
  // keeps 2 cm or more of unheated tissue around the largest zone; 10..400 mm accepted.
  double boxSize_mm = 100.0;
  // How far behind the tip, along the probe (entry -> tip), the box is centred: half the
  // device's active length centres it on the active part, where the zone forms (a cooled RF
  // electrode's zone is centred on its 3 cm exposed tip). 0: on the tip, which is then a voxel
  // centre. 0..boxSize_mm / 2 accepted.
  double centreBehindTip_mm = 0.0;
  void validate() const;  // throws Error(InvalidInput) naming the member
};

// What the builder decided, for the job's report and the tests.
struct GridNotes {
  bool clipped = false;                         // the box was cut by the CT's extent
  std::vector<std::string> hounsfieldSegments;  // segments classified by HU (unknown type, body)
  std::size_t vesselVoxels = 0;                 // voxels with a blood flow speed
};

// Builds the grid from the CT volume `ctVolume` of `twin` ("" = the first CT: modality CT or
// unit HU). Throws Error(NotFound) when there is no such CT, Error(InvalidInput) when the tip
// lies outside it or the options are bad; Cancelled on cancel.
AblationGrid buildAblationGrid(const Case& twin, const std::string& ctVolume,
                               const ProbePlacement& probe, const GridOptions& options = {},
                               Progress& progress = noProgress(), GridNotes* notes = nullptr);

// The CT the builder uses: `name`, or the first CT when empty. Throws Error(NotFound).
const ImageVolume& ablationCt(const Case& twin, const std::string& name);

// 1 where segment `segment` of `labels` covers a voxel centre of `grid` (nearest neighbour), 0
// elsewhere: tumour coverage and damage to structures on the ablation grid.
std::vector<std::uint8_t> segmentOnGrid(const LabelMap& labels, std::size_t segment,
                                        const ImageGeometry& grid);

// Local radius (mm) of the structure `inside` (1 = in) at each of its voxels: the radius of the
// largest ball inside the structure that contains the voxel (Hildebrand & Ruegsegger 1997),
// measured to the centres of the nearest outside voxels less half a voxel; 0 outside. Voxels
// beyond the grid's faces count as inside (a vessel cut by the box keeps its radius).
std::vector<float> localRadius_mm(const std::vector<std::uint8_t>& inside,
                                  const ImageGeometry& grid, Progress& progress = noProgress());

}  // namespace twinplan::ablation
