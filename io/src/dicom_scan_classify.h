#pragma once
// What a scanned series is for a planner (SeriesKind), decided from its headers.
#include <string_view>

#include "twinplan/io/dicom_index.h"

namespace twinplan::io::detail {

// Sets `series.kind` and `series.kindReason` from its SOP class, modality, image types,
// descriptions and slice geometry. `protocolName` is the series' (0018,1030), a second place
// where scanners name scouts.
void classifySeries(DicomSeries& series, std::string_view protocolName);

}  // namespace twinplan::io::detail
