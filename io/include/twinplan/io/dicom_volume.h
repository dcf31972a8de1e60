#pragma once
// Stacking the slices (or frames) of one DICOM series into an ImageVolume in LPS mm.
#include <cstddef>
#include <filesystem>
#include <vector>

#include "twinplan/core/image_volume.h"
#include "twinplan/core/progress.h"
#include "twinplan/io/dicom_index.h"

namespace twinplan::io {

struct VolumeLoadOptions {
  // Series with non-uniform slice spacing are resampled onto a uniform grid (reported in
  // ImageVolume::assumptions) when true, refused with the reason when false.
  bool allowResampling = true;
  // Which volume to load when the files hold several at the same positions (enhanced
  // multi-frame stacks, echoes, time points: ordered by their Dimension Index Values, e.g. a
  // Philips B0 map's magnitude 0 and field map 1; classic slices: ordered by the values that
  // tell them apart, e.g. trigger time 0, 350, 700 ms). Out of range is Error(InvalidInput).
  std::size_t volume = 0;
  // PET in Bq/ml (Units BQML) is converted to body-weight SUV (unit "SUVbw") from the
  // patient's weight and the decay-corrected injected dose (QIBA; io/src/dicom_values.h).
  // A header that lacks what SUV needs is Error(InvalidInput) naming the attribute.
  bool petBodyWeightSuv = false;
};

// Loads the image files of one series (classic single-frame slices or one enhanced
// multi-frame file). Slices are ordered by position along the slice normal. Everything the
// loader had to assume is listed in the result's `assumptions`; what it cannot stack
// safely is refused with an Error that says why. Throws Cancelled on cancel.
//
// Policies (details and tests: io/src/dicom_volume.cpp, tests/*/io_dicom_volume*_test.cpp):
// - Grid: direction columns = row, column, normal (row x column); k increases along the
//   normal; origin = first slice's ImagePositionPatient; slice spacing from positions.
// - Voxels: CT -> int16 HU (float32 if a slope/intercept is fractional or a value does not
//   fit); others raw uint8/uint16/int16 when slope 1 / intercept 0, else float32; RT Dose in
//   Gy (Dose Grid Scaling). MONOCHROME1 is not inverted (PS3.3 C.7.6.3.1.2): the values keep
//   the rescale, dicom.displayInverted tells the display to invert its grey ramp. Pixel Padding
//   Value / Range Limit (C.7.5.1.1.2) -> paddingRange in output units (after rescale; across a
//   resampled gap blended padding leaves the range). A Modality LUT Sequence replaces the
//   rescale (uint16, or the CT rule). `unit` (io/src/dicom_values.h): CT "HU", RT Dose Dose
//   Units, PET Units with SUV Type (GML + BW -> "SUVbw"), others the UCUM unit of a Real World
//   Value Mapping equal to the rescale (a Philips field map: "Hz") or a defined Rescale Type.
// - Several volumes at the same positions (enhanced Dimension Index Values; classic Echo
//   Numbers, Temporal Position Identifier, Trigger Time, Diffusion b-value, Acquisition
//   Number): options.volume is loaded, never a mix; the assumption lists the volumes. Classic
//   slices sharing positions that these do not separate are refused. Duplicate
//   positions: lowest InstanceNumber kept. Gaps, uneven steps, gantry tilt: resampled (linear
//   along the normal, bilinear in-plane for tilt) when allowResampling, else refused. Mixed
//   sizes, orientations or pixel spacings, colour images, frames without positions: refused.
// - Image Orientation (Patient): made orthonormal (nearest pair; reported beyond 1e-4),
//   refused beyond 1 degree off perpendicular or 1 % off unit length.
// - Big-endian 32-bit pixel cells are read as whole 32-bit values.
// - Memory: headers first, then one file at a time decoded straight into the volume.
ImageVolume loadVolume(const std::vector<std::filesystem::path>& files,
                       const VolumeLoadOptions& options = {}, Progress& progress = noProgress());

ImageVolume loadVolume(const DicomSeries& series, const VolumeLoadOptions& options = {},
                       Progress& progress = noProgress());

}  // namespace twinplan::io
