#include "twinplan/ablation/zone_metrics.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <stdexcept>
#include <string>

#include "distance_map.h"
#include "twinplan/core/error.h"

namespace twinplan::ablation {

namespace {

void requireMask(const std::vector<std::uint8_t>& mask, const ImageGeometry& grid,
                 const char* what) {
  if (mask.size() != grid.voxelCount())
    throw Error(ErrorKind::InvalidInput,
                std::string("The ") + what + " mask does not match the ablation grid.", what);
}

double voxel_ml(const ImageGeometry& grid) {
  return grid.spacing_mm.x() * grid.spacing_mm.y() * grid.spacing_mm.z() * 1e-3;
}

std::vector<std::uint8_t> inverted(const std::vector<std::uint8_t>& mask) {
  std::vector<std::uint8_t> out(mask.size());
  for (std::size_t v = 0; v < mask.size(); ++v) out[v] = mask[v] ? 0 : 1;
  return out;
}

}  // namespace

TumourCoverage tumourCoverage(const std::vector<std::uint8_t>& zone,
                              const std::vector<std::uint8_t>& tumour, const ImageGeometry& grid,
                              double margin_mm, Progress& progress) {
  requireMask(zone, grid, "zone");
  requireMask(tumour, grid, "tumour");
  if (!(margin_mm >= 0.0 && margin_mm <= 30.0))
    throw Error(ErrorKind::InvalidInput, "The tumour margin must be 0 to 30 mm (5 mm is usual).",
                "margin_mm");
  const double h = grid.spacing_mm.x();
  std::size_t tumourVoxels = 0, tumourCovered = 0;
  for (std::size_t v = 0; v < tumour.size(); ++v) {
    tumourVoxels += tumour[v];
    tumourCovered += tumour[v] && zone[v];
  }
  if (tumourVoxels == 0)
    throw Error(ErrorKind::InvalidInput,
                "The tumour has no voxel on the simulated grid; place the probe tip at the "
                "tumour or enlarge the box.",
                "tumour");
  // Distances to the tumour (target = tumour + margin), to the outside of the zone (margin of a
  // covered tumour) and to the zone (how far an uncovered tumour reaches out).
  const std::vector<double> toTumour =
      squaredDistanceToOutside_vox(inverted(tumour), grid, progress);
  const std::vector<double> toOutsideZone = squaredDistanceToOutside_vox(zone, grid, progress);
  const std::vector<double> toZone = squaredDistanceToOutside_vox(inverted(zone), grid, progress);
  // Target: voxel centres within the margin of a tumour voxel centre.
  const double margin2_vox = (margin_mm / h) * (margin_mm / h) + 1e-9;
  std::size_t targetVoxels = 0, targetCovered = 0;
  double nearestEdge2 = std::numeric_limits<double>::infinity(), farthestOut2 = 0.0;
  for (std::size_t v = 0; v < zone.size(); ++v) {
    if (toTumour[v] <= margin2_vox) {
      ++targetVoxels;
      targetCovered += zone[v];
    }
    if (!tumour[v]) continue;
    if (zone[v]) {
      nearestEdge2 = std::min(nearestEdge2, toOutsideZone[v]);
    } else {
      farthestOut2 = std::max(farthestOut2, toZone[v]);
    }
  }
  TumourCoverage c;
  c.tumour_ml = double(tumourVoxels) * voxel_ml(grid);
  c.target_ml = double(targetVoxels) * voxel_ml(grid);
  c.tumourCoverage_percent = 100.0 * double(tumourCovered) / double(tumourVoxels);
  c.coverage_percent = 100.0 * double(targetCovered) / double(targetVoxels);
  if (tumourCovered == tumourVoxels) {
    // No voxel outside the zone on the grid: the margin reaches at least to the box's faces.
    c.minMargin_mm = std::isfinite(nearestEdge2) ? (std::sqrt(nearestEdge2) - 1.0) * h : 0.0;
  } else {
    c.minMargin_mm = std::isfinite(farthestOut2) ? -std::sqrt(farthestOut2) * h
                                                 : -std::numeric_limits<double>::infinity();
  }
  return c;
}

StructureDamage structureDamage(const std::vector<std::uint8_t>& zone,
                                const std::vector<std::uint8_t>& structure,
                                const std::vector<float>& maximumTemperature_degC,
                                const ImageGeometry& grid) {
  requireMask(zone, grid, "zone");
  requireMask(structure, grid, "structure");
  const bool withTemperature = maximumTemperature_degC.size() == grid.voxelCount();
  std::size_t voxels = 0, ablated = 0;
  double hottest = 0.0;
  for (std::size_t v = 0; v < structure.size(); ++v) {
    if (!structure[v]) continue;
    ++voxels;
    ablated += zone[v];
    if (withTemperature) hottest = std::max(hottest, double(maximumTemperature_degC[v]));
  }
  StructureDamage d;
  d.inGrid_ml = double(voxels) * voxel_ml(grid);
  d.ablated_ml = double(ablated) * voxel_ml(grid);
  d.ablated_percent = voxels ? 100.0 * double(ablated) / double(voxels) : 0.0;
  d.maxTemperature_degC = hottest;
  return d;
}

namespace {

struct CriterionName {
  const char* prefix;
  AblationCriterion field;
};
constexpr CriterionName kCriterionNames[] = {
    {"omega>=", AblationCriterion::ArrheniusDamage},
    {"tmax>=", AblationCriterion::MaximumTemperature},
    {"cem43>=", AblationCriterion::Cem43},
};

}  // namespace

ZoneCriterion parseZoneCriterion(std::string_view text) {
  for (const CriterionName& name : kCriterionNames) {
    const std::string_view prefix(name.prefix);
    if (text.substr(0, prefix.size()) != prefix) continue;
    const std::string number(text.substr(prefix.size()));
    std::size_t used = 0;
    double threshold = 0.0;
    try {
      threshold = std::stod(number, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == number.size() && used > 0 && std::isfinite(threshold) && threshold > 0.0)
      return {name.field, threshold};
  }
  throw Error(ErrorKind::InvalidInput,
              "The zone criterion '" + std::string(text) +
                  "' is not one of omega>=N, tmax>=N (degC) or cem43>=N (minutes) with N > 0, "
                  "e.g. omega>=1 (the default), tmax>=60, cem43>=240.",
              "zoneCriterion");
}

std::string toString(const ZoneCriterion& criterion) {
  std::string prefix = "omega>=";
  if (criterion.field == AblationCriterion::MaximumTemperature) prefix = "tmax>=";
  if (criterion.field == AblationCriterion::Cem43) prefix = "cem43>=";
  char number[32];
  std::snprintf(number, sizeof number, "%g", criterion.threshold);  // 1, 4.6, 240
  return prefix + number;
}

void applyZoneCriterion(BioheatParameters& parameters, const ZoneCriterion& criterion) {
  parameters.zoneCriterion = criterion.field;
  switch (criterion.field) {
    case AblationCriterion::ArrheniusDamage:
      parameters.damageThreshold = criterion.threshold;
      break;
    case AblationCriterion::MaximumTemperature:
      parameters.maximumTemperatureThreshold_degC = criterion.threshold;
      break;
    case AblationCriterion::Cem43:
      parameters.cem43Threshold_min = criterion.threshold;
      break;
  }
}

std::vector<std::uint8_t> ablationZone(const AblationResult& result,
                                       const ZoneCriterion& criterion) {
  BioheatParameters parameters;
  applyZoneCriterion(parameters, criterion);
  return ablationZone(result, parameters);
}

const std::vector<ZoneCriterionChoice>& zoneCriterionChoices() {
  // The sources are those of ZoneCriterion (zone_metrics.h) and docs/validation.md, "Thermal
  // ablation: zone criteria and published zones".
  static const std::vector<ZoneCriterionChoice> choices = {
      {"omega1", "omega>=1",
       "Arrhenius damage Omega >= 1 (37 % of cells survive): the coagulated zone at gross "
       "pathology, which Arrhenius damage predicted within 5 % in excised liver (Chang & Nguyen, "
       "BioMed Eng OnLine 2004;3:27); the default",
       "Cell death >= 63 % (Omega >= 1)"},
      {"omega4.6", "omega>=4.6",
       "Arrhenius damage Omega >= 4.6 (1 % of cells survive): the core where every cell is "
       "dead",
       "Cell death >= 99 % (Omega >= 4.6)"},
      {"t50", "tmax>=50",
       "Peak temperature >= 50 degC: the lesion boundary many RF models report (Int J "
       "Hyperthermia 2015, doi:10.3109/02656736.2015.1032370); cells there die within minutes",
       "Peak temperature >= 50 degC"},
      {"t60", "tmax>=60",
       "Peak temperature >= 60 degC: near-instant coagulation (Brace, Curr Probl Diagn Radiol "
       "2009;38:135-143)",
       "Peak temperature >= 60 degC"},
      {"cem43", "cem43>=240",
       "240 cumulative equivalent minutes at 43 degC (Sapareto & Dewey, Int J Radiat Oncol Biol "
       "Phys 1984;10:787-800)",
       "Thermal dose CEM43 >= 240 min"},
  };
  return choices;
}

const ZoneCriterionChoice& zoneCriterionChoice(std::string_view name) {
  std::string names;
  for (const ZoneCriterionChoice& choice : zoneCriterionChoices()) {
    if (choice.name == name) return choice;
    names += (names.empty() ? "" : ", ") + choice.name;
  }
  throw Error(ErrorKind::InvalidInput,
              "The zone criterion '" + std::string(name) + "' is not known; use one of " + names +
                  " (omega1, Arrhenius Omega >= 1, is the default).",
              "zone_criterion");
}

}  // namespace twinplan::ablation
