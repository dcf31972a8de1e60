#include "twinplan/engine/dose_import.h"

#include <algorithm>
#include <cctype>

#include "twinplan/core/error.h"
#include "twinplan/io/dicom_rtdose.h"
#include "twinplan/radiotherapy/dose_grid.h"

namespace twinplan::engine {
namespace {

std::string lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

// "Dose (plan)", "Dose (beam 1)", "Dose (beams 1, 2)", "Dose (fraction)"; "... 2" when the case
// already has a result of that name.
std::string doseName(const Case& twin, const io::RtDose& dose) {
  std::string what = lower(dose.summationType.empty() ? "dose" : dose.summationType);
  if (dose.summationType == "BEAM" && !dose.referencedBeamNumbers.empty()) {
    what = dose.referencedBeamNumbers.size() == 1 ? "beam " : "beams ";
    for (std::size_t n = 0; n < dose.referencedBeamNumbers.size(); ++n)
      what += (n ? ", " : "") + std::to_string(dose.referencedBeamNumbers[n]);
  }
  const std::string base = "Dose (" + what + ")";
  auto taken = [&](const std::string& name) {
    return std::any_of(twin.fields.begin(), twin.fields.end(),
                       [&](const ScalarField& f) { return f.name == name; });
  };
  std::string name = base;
  for (int n = 2; taken(name); ++n) name = base + " " + std::to_string(n);
  return name;
}

// The case's frames of reference with the images in each, for the mismatch message.
std::string imageFrames(const Case& twin) {
  std::string text;
  for (const ImageVolume& v : twin.volumes)
    if (!v.dicom.frameOfReferenceUid.empty())
      text += (text.empty() ? "" : "; ") + v.name + " in " + v.dicom.frameOfReferenceUid;
  return text;
}

}  // namespace

ImportedDose importDose(const Case& twin, const std::filesystem::path& path, Progress& progress) {
  io::RtDose dose = io::readRtDose(path, progress);
  radiotherapy::requireDose(dose.dose,
                            "The dose " + path.string() + " (Dose Units " + dose.doseUnits + ")");
  ImportedDose imported;
  const std::string frames = imageFrames(twin);
  if (frames.empty()) {
    imported.notes.push_back(
        "The case's images carry no frame of reference, so the dose is placed by its patient "
        "coordinates alone.");
  } else if (std::none_of(twin.volumes.begin(), twin.volumes.end(), [&](const ImageVolume& v) {
               return !dose.frameOfReferenceUid.empty() &&
                      v.dicom.frameOfReferenceUid == dose.frameOfReferenceUid;
             })) {
    throw Error(ErrorKind::InvalidInput,
                "The dose " + path.string() + " is in frame of reference '" +
                    dose.frameOfReferenceUid + "', but the case's images are not (" + frames +
                    "): it was computed on other images, and its coordinates do not match "
                    "these. Add the planning CT it was computed on to the case first.",
                "(0020,0052)");
  }
  imported.field = std::move(dose.dose);
  imported.field.name = doseName(twin, dose);
  imported.summationType = dose.summationType;
  imported.doseType = dose.doseType;
  imported.frameOfReferenceUid = dose.frameOfReferenceUid;
  imported.referencedPlanSopInstanceUid = dose.referencedPlanSopInstanceUid;
  for (float v : imported.field.values) imported.max_Gy = std::max(imported.max_Gy, double{v});
  for (std::string& note : dose.notes) imported.notes.push_back(std::move(note));
  return imported;
}

}  // namespace twinplan::engine
