#pragma once
// The convert job's structure-set branches: RTSTRUCT / SEG <-> a label image with a JSON
// sidecar (docs/user-guide.md, "Converting structures and segmentations").
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "twinplan/core/progress.h"
#include "twinplan/io/dicom_reference.h"

namespace twinplan::engine {

// Whether `path` is one DICOM RTSTRUCT or SEG file (read by the DICOM scanner).
bool isStructureObject(const std::filesystem::path& path);

// "seg" or "rtstruct": `format` when given, else from the output's name ("seg" or "rtstruct"/
// "rs" in it); Error(InvalidInput) asking for the format otherwise.
std::string segmentsFormat(const std::filesystem::path& output, const std::string& format);

// The sidecar of a label image: labels.nii.gz -> labels.json (same folder).
std::filesystem::path sidecarPath(const std::filesystem::path& labelImage);

// RTSTRUCT or SEG -> one uint16 label image on the reference grid, value n = the n-th
// structure; where structures overlap the smaller one (fewer voxels) wins. With `split`, one
// 0/1 image per structure instead (<stem>_<value>_<name><ext>). Writes the sidecar (value ->
// name, colour, terminology, voxels, volume_ml; overlapping voxel count). Returns the result.
nlohmann::json structuresToLabelImage(const std::filesystem::path& object,
                                      const io::ReferenceSeries& reference,
                                      const std::filesystem::path& output, bool split,
                                      int gzipLevel, Progress& progress);

// A label image (+ its sidecar when present, for names, colours and terminology) on the
// reference grid -> a DICOM SEG or RTSTRUCT referencing the reference series.
nlohmann::json labelImageToStructures(const std::filesystem::path& labelImage,
                                      const io::ReferenceSeries& reference,
                                      const std::filesystem::path& output,
                                      const std::string& format, Progress& progress);

}  // namespace twinplan::engine
