#pragma once
// Thumbnails for the DICOM browser: the middle image of each volume series, windowed.
#include <QImage>
#include <map>
#include <string>

#include "twinplan/core/progress.h"
#include "twinplan/io/dicom_index.h"

namespace twinplan::ui {

// A size x size greyscale thumbnail of the series' middle image (CT: soft-tissue window;
// other modalities: 1st..99th percentile). A null image when the series is not a volume or
// its middle file cannot be decoded -- a thumbnail is never a reason to fail an import.
QImage seriesThumbnail(const io::DicomSeries& series, int size);

// Thumbnails of every volume series of the index, keyed by SeriesInstanceUID.
std::map<std::string, QImage> seriesThumbnails(const io::DicomIndex& index, int size,
                                               Progress& progress);

}  // namespace twinplan::ui
