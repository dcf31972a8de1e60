#pragma once
// The Spatial Registration object (SRO) as pydicom, an independent reader, sees it: for the SRO
// writer's tests (integration/io_dicom_registration_test, gui/registration_dicom_test). Prints
// one JSON object: the SOP class, modality, Registered RCS ("for"), patient name, study, the
// referenced series and other studies, and per registration item its frame, matrix (moving ->
// Registered RCS, PS3.3 C.20.2.1.1), matrix type and number of referenced images. An absent
// attribute reads as empty (or 0), so each test's expectations say what must be there.
#include <filesystem>
#include <string>

#include "test_support.h"

namespace twinplan::test {

inline constexpr const char* kPydicomSroReader = R"(
import json, sys, pydicom
ds = pydicom.dcmread(sys.argv[1])
items = []
for item in ds.RegistrationSequence:
    m = item.MatrixRegistrationSequence[0].MatrixSequence[0]
    items.append({"for": item.FrameOfReferenceUID,
                  "matrix": [float(v) for v in m.FrameOfReferenceTransformationMatrix],
                  "type": m.FrameOfReferenceTransformationMatrixType,
                  "images": len(item.get("ReferencedImageSequence", []))})
print(json.dumps({"sopClass": ds.SOPClassUID, "modality": ds.get("Modality", ""),
                  "for": ds.FrameOfReferenceUID, "patientName": str(ds.get("PatientName", "")),
                  "study": ds.get("StudyInstanceUID", ""), "items": items,
                  "referencedSeries": len(ds.get("ReferencedSeriesSequence", [])),
                  "otherStudies": len(ds.get("StudiesContainingOtherReferencedInstancesSequence", []))}))
)";

// Runs the reader, written to `script` (from kPydicomSroReader), on the SRO `file`.
inline CommandResult readSroWithPydicom(const std::filesystem::path& script,
                                        const std::filesystem::path& file) {
  return runCommand("/usr/bin/python3 " + script.string() + " " + file.string());
}

}  // namespace twinplan::test
