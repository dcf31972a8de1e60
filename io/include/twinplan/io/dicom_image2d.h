#pragma once
// Opening the 2D images a radiologist is sent (projection radiographs CR/DX, secondary
// captures, colour photographs and ultrasound, scouts) so that they can be looked at, even
// though they are not patient-space volumes.
#include <filesystem>
#include <vector>

#include "twinplan/core/image_volume.h"
#include "twinplan/core/progress.h"
#include "twinplan/io/dicom_index.h"
#include "twinplan/io/dicom_volume.h"

namespace twinplan::io {

// Loads the images of `files` (single images or multi-frame files, in InstanceNumber order,
// frames in file order) as frames k = 0..n-1 of one ImageVolume with planar2D set:
// - Geometry: origin 0, identity direction (i = columns to the right, j = rows down), in-plane
//   spacing from Pixel Spacing (0028,0030), else Imager Pixel Spacing (0018,1164), else
//   Nominal Scanned Pixel Spacing (0018,2010), else 1 mm; frames 1 mm apart. What was assumed
//   is listed in `assumptions`.
// - Greyscale (MONOCHROME1/2): stored values rescaled, as int16/uint16 when the rescale is an
//   integer shift that fits, float32 otherwise; the file's window. MONOCHROME1 is not inverted:
//   dicom.displayInverted is set and the display inverts its grey ramp (PS3.3 C.7.6.3.1.2).
//   Pixel Padding Value / Range Limit of the first image -> paddingRange (C.7.5.1.1.2).
// - Colour (RGB, YBR_FULL, YBR_FULL_422, PALETTE COLOR; uncompressed, RLE, JPEG, JPEG-LS,
//   JPEG 2000): PixelType::Rgb8, converted by PS3.3 C.7.6.3.1.
// - Images whose size or colour differs from the first one are left out (an assumption says
//   which); a file that cannot be decoded is an Error naming it. Throws Cancelled on cancel.
ImageVolume loadImage2D(const std::vector<std::filesystem::path>& files,
                        Progress& progress = noProgress());
ImageVolume loadImage2D(const DicomSeries& series, Progress& progress = noProgress());

// Whether a series has images with pixels (what a viewer can show).
bool hasViewableImages(const DicomSeries& series);

// What a viewer opens: a greyscale Volume series through loadVolume (a patient-space volume),
// every other series with images (projection, secondary capture, localizer, colour) through
// loadImage2D. Throws Error(Unsupported) naming the series when it has no images.
ImageVolume loadForViewing(const DicomSeries& series, Progress& progress = noProgress());
// The same, with the volume loader's options (which volume of several, SUV) for a volume series.
ImageVolume loadForViewing(const DicomSeries& series, const VolumeLoadOptions& options,
                           Progress& progress = noProgress());

}  // namespace twinplan::io
