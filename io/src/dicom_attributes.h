#pragma once
// Private to io: reading DICOM attributes as plain values, shared by the volume loader, the 2D
// image loader and the value rules (one place for trimming and type fallbacks).
#include <dcmtk/dcmdata/dcdatset.h>
#include <dcmtk/dcmdata/dcitem.h>

#include <optional>
#include <string>

#include "twinplan/core/image_volume.h"

namespace twinplan::io::detail {

// The element's value(s) as text, without DICOM's padding spaces and NULs; "" when absent.
std::string text(DcmItem& item, const DcmTagKey& tag);
// Value `pos` of a numeric element (DS, IS, FD, US ...); nullopt when absent or not finite.
std::optional<double> number(DcmItem& item, const DcmTagKey& tag, unsigned long pos = 0);
// A whole-number element (IS, SL, US); `fallback` when absent.
int integer(DcmItem& item, const DcmTagKey& tag, int fallback);
// Patient, study, series and acquisition attributes, and the file's first window.
DicomInfo readDicomInfo(DcmDataset& ds);

}  // namespace twinplan::io::detail
