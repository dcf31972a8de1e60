#pragma once
// The name a new case is first saved under, from its patient and study.
#include <string>

#include "twinplan/core/case.h"

namespace twinplan::ui {

// "DOE_JOHN 2024-01-31 CT Abdomen.twinplan": the patient's name (PS3.5 6.2 person name,
// components joined by "_"), the study date (DA, YYYYMMDD, as YYYY-MM-DD), the modality (unless the
// description starts with it) and the study description (else the series description) of the case's
// first image; the case's own name, then "case", when none of these is known. Safe on every common
// file system: characters that Windows, macOS or Linux forbid or treat specially (/ \ : * ? " < > |
// and control characters) become "_", runs of spaces become one, leading and trailing dots and
// spaces go, and the name is at most 120 bytes before the extension (whole UTF-8 characters).
std::string defaultCaseFileName(const Case& twin);

}  // namespace twinplan::ui
