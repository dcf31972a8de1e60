#pragma once
// What a predicted ablation zone means for the patient (issue #17 items 3 and 6): how much of
// the tumour plus its safety margin it covers, the minimal ablative margin, and how much of each
// other structure it destroys. Inputs are masks on the ablation grid (1 inside, 0 outside; one
// per voxel, i fastest), e.g. AblationResult::ablationZone and segmentOnGrid().
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "twinplan/ablation/bioheat.h"
#include "twinplan/core/geometry.h"
#include "twinplan/core/progress.h"

namespace twinplan::ablation {

// The usual safety margin around a liver tumour: 5 mm (issue #17 item 3; Ahmed M et al.,
// "Image-guided tumor ablation: standardization of terminology and reporting criteria - a
// 10-year update", Radiology 2014;273:241-260, recommends reporting the margin; 5-10 mm is the
// common goal).
inline constexpr double kDefaultTumourMargin_mm = 5.0;

struct TumourCoverage {
  double tumour_ml = 0.0;
  // The tumour grown by the margin: voxels whose centre lies within the margin of a tumour
  // voxel's centre (the discrete dilation; it converges to the continuous one as O(h)).
  double target_ml = 0.0;
  double coverage_percent = 0.0;        // of the target inside the zone
  double tumourCoverage_percent = 0.0;  // of the tumour itself inside the zone
  // Minimal ablative margin: the smallest distance from the tumour's surface to the zone's,
  // measured between voxel centres less one voxel (the two half-voxel surfaces). Negative when
  // the tumour is not covered: minus how far its farthest uncovered voxel lies from the zone.
  double minMargin_mm = 0.0;
};

// Throws Error(InvalidInput) when the tumour has no voxel on the grid or the masks do not
// match the grid.
TumourCoverage tumourCoverage(const std::vector<std::uint8_t>& zone,
                              const std::vector<std::uint8_t>& tumour, const ImageGeometry& grid,
                              double margin_mm = kDefaultTumourMargin_mm,
                              Progress& progress = noProgress());

struct StructureDamage {
  double inGrid_ml = 0.0;        // of the structure on the simulated grid
  double ablated_ml = 0.0;       // of that inside the zone
  double ablated_percent = 0.0;  // of inGrid_ml
  double maxTemperature_degC = 0.0;
};

// The damage to one structure; maximumTemperature_degC: the result's maximum-temperature field
// (empty: left at 0).
StructureDamage structureDamage(const std::vector<std::uint8_t>& zone,
                                const std::vector<std::uint8_t>& structure,
                                const std::vector<float>& maximumTemperature_degC,
                                const ImageGeometry& grid);

// Which simulated zone a measured zone corresponds to; how the zone was measured decides it
// (docs/validation.md, "Thermal ablation: zone criteria and published zones"):
// - "omega>=1" (the default, as BioheatParameters::zoneCriterion): Arrhenius damage
//   Omega >= 1, a surviving fraction exp(-1) = 37 %. Chang & Nguyen (BioMed Eng OnLine 2004,
//   3:27, abstract) predicted the lesions of RF in excised porcine liver within 5 % with
//   Arrhenius damage and found the 42 and 47 degC isotherms grossly too large; Chang (Open
//   Biomed Eng J 2010;4:3-12, abstract): isotherms and CEM43 over-estimate the lesion that
//   recursive Arrhenius matches "with in vitro pathologic lesion volume measurement". Most
//   published zones are gross pathology (the coagulated zone at sectioning), hence the default.
// - "omega>=4.6": a surviving fraction exp(-4.6) = 1 %, the core where every cell is dead.
// - "tmax>=50" / "tmax>=60": peak-temperature isotherms. 50 degC is the lesion boundary many
//   RF models report (e.g. Int J Hyperthermia 2015, doi:10.3109/02656736.2015.1032370, and
//   BioMed Eng OnLine 2016, doi:10.1186/s12938-016-0251-5, abstracts); above 60 degC cell
//   death is "relatively instantaneous", 50-60 degC takes minutes (Brace, Curr Probl Diagn
//   Radiol 2009;38:135-143, full text, PMC2941203).
// - "cem43>=240": 240 equivalent minutes at 43 degC (Sapareto & Dewey 1984).
struct ZoneCriterion {
  AblationCriterion field = AblationCriterion::ArrheniusDamage;
  double threshold = 1.0;  // Omega, degC or minutes by field
};

// "omega>=1", "omega>=4.6", "tmax>=50", "tmax>=60", "cem43>=240" (any threshold > 0 after
// ">="). Throws Error(InvalidInput) naming the text and the accepted forms otherwise.
ZoneCriterion parseZoneCriterion(std::string_view text);
std::string toString(const ZoneCriterion& criterion);

// Sets the parameters' zone criterion and its threshold (the solver's zone, zoneVolume_ml).
void applyZoneCriterion(BioheatParameters& parameters, const ZoneCriterion& criterion);

// The criteria a user picks by a short name (`twinplan-cli ablate --zone-criterion`, the
// Ablation panel's combo box; issue #17 items 5 and 6), each with the sources above.
struct ZoneCriterionChoice {
  std::string name;         // "omega1", "omega4.6", "t50", "t60", "cem43"
  std::string criterion;    // its parseZoneCriterion form: "omega>=1" ...
  std::string description;  // one sentence: what the zone is and where the figure comes from
  // Short words a clinician reads (the panel's combo box, the report): "Cell death >= 63 %
  // (Omega >= 1)". The name, not this, is what a case and the CLI keep.
  std::string label;
};
// In the order above; the first, "omega1", is the default.
const std::vector<ZoneCriterionChoice>& zoneCriterionChoices();
// The choice named `name`. Throws Error(InvalidInput) naming the text and listing the valid
// names, context "zone_criterion".
const ZoneCriterionChoice& zoneCriterionChoice(std::string_view name);

// The zone by `criterion` from a result's fields (the same as ablationZone(result, parameters)
// with the parameters' criterion and threshold set to it).
std::vector<std::uint8_t> ablationZone(const AblationResult& result,
                                       const ZoneCriterion& criterion);

}  // namespace twinplan::ablation
