#pragma once
// CT number -> electron density relative to water (issue #19 item 2): what photon dose engines
// trace their rays through. Photon attenuation and scatter at megavoltage energies are
// dominated by Compton scattering, which scales with the electron density, so a pencil-beam or
// collapsed-cone engine needs rho_e / rho_e,water per voxel (AAPM TG-65, Papanikolaou et al.
// 2004, section II).
//
// The calibration is a piecewise linear table of (HU, RED) points, measured for each CT scanner
// with a phantom of tissue-substitute inserts (AAPM TG-53, Fraass et al. Med Phys 1998;25:1773;
// Kilby et al. Phys Med Biol 2002;47:1485). The default (resources/radiotherapy/
// hu_red_default.json) is a published measured Gammex 467 calibration of a Siemens SOMATOM
// Definition Flash at 120 kV (matRad, Wieser et al. Med Phys 2017;44:2556). Outside the table
// the value is clamped to the first or last point's density: no extrapolation beyond what was
// calibrated (metal artefacts above 3071 HU stay at the densest calibrated bone).
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "twinplan/core/geometry.h"
#include "twinplan/core/image_volume.h"
#include "twinplan/core/progress.h"

namespace twinplan::radiotherapy {

struct HuDensityPoint {
  double hu = 0.0;
  double relativeElectronDensity = 0.0;
};

struct HuDensityCalibration {
  std::string name;    // scanner / protocol, e.g. "Siemens SOMATOM Definition Flash, B40f"
  std::string source;  // where the points come from (a citation or "measured at ...")
  std::vector<HuDensityPoint> points;  // HU strictly increasing

  // Error(InvalidInput, context "points") for fewer than 2 points, HU not strictly increasing,
  // or a density < 0 or not finite.
  void validate() const;
  // Linear interpolation between the points; clamped to the end points' densities outside.
  double relativeElectronDensity(double hu) const;
};

// The compiled-in default (hu_red_default.json).
const HuDensityCalibration& defaultHuDensityCalibration();
// A calibration from JSON text of the same layout ({"points": [{"hu": .., "red": ..}, ...]},
// optional "scanner", "source"); Error(Corrupt) naming `context` for malformed JSON, then
// validate().
HuDensityCalibration parseHuDensityCalibration(std::string_view json, const std::string& context);
// Error(NotFound) for a missing file.
HuDensityCalibration readHuDensityCalibration(const std::filesystem::path& file);

// Relative electron density on a grid (i fastest), the medium of the dose engines' ray tracing
// (pencil beam here; collapsed cone reuses it). Voxels outside it are vacuum (density 0).
struct DensityGrid {
  ImageGeometry geometry;
  std::vector<float> relativeElectronDensity;
};

// The CT's voxels through `calibration`. Pixel padding (ImageVolume::isPadding, outside the
// scanned field) becomes 0. Error(InvalidInput) for a CT whose unit is not HU, Error(Unsupported)
// for a colour or planar image. Parallel (core/parallel.h), cancellable.
DensityGrid densityGridFromCt(const ImageVolume& ct, const HuDensityCalibration& calibration,
                              Progress& progress = noProgress());

}  // namespace twinplan::radiotherapy
