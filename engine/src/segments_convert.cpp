#include "segments_convert.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <map>
#include <numeric>

#include "twinplan/core/error.h"
#include "twinplan/io/dicom_index.h"
#include "twinplan/io/dicom_rtstruct.h"
#include "twinplan/io/dicom_seg.h"
#include "twinplan/io/image_file.h"

namespace twinplan::engine {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// (stem, extension) with the double extension of .nii.gz kept whole.
std::pair<std::string, std::string> splitImageName(const fs::path& path) {
  const std::string name = path.filename().string();
  if (lower(name).size() > 7 && lower(name).ends_with(".nii.gz"))
    return {name.substr(0, name.size() - 7), name.substr(name.size() - 7)};
  return {path.stem().string(), path.extension().string()};
}

std::string safeName(const std::string& name) {
  std::string out;
  for (unsigned char c : name) out += std::isalnum(c) || c == '-' ? static_cast<char>(c) : '_';
  return out.empty() ? "structure" : out;
}

json codeJson(const CodedConcept& c) {
  return c.empty() ? json(nullptr)
                   : json{{"value", c.value}, {"scheme", c.scheme}, {"meaning", c.meaning}};
}

CodedConcept codeFromJson(const json& j) {
  if (!j.is_object()) return {};
  return {j.value("value", ""), j.value("scheme", ""), j.value("meaning", "")};
}

json segmentJson(const Segment& s, int value, std::size_t voxels, double voxel_ml) {
  return {{"value", value},
          {"name", s.name},
          {"colour", {s.colour.r, s.colour.g, s.colour.b}},
          {"terminology",
           {{"category", codeJson(s.terminology.category)},
            {"type", codeJson(s.terminology.type)},
            {"anatomicRegion", codeJson(s.terminology.anatomicRegion)}}},
          {"voxels", voxels},
          {"volume_ml", static_cast<double>(voxels) * voxel_ml}};
}

void writeJson(const json& j, const fs::path& path) {
  const fs::path temporary = path.string() + ".partial";
  {
    std::ofstream out(temporary);
    out << j.dump(2) << '\n';
    if (!out) throw Error(ErrorKind::Io, "Could not write " + path.string() + ".", path.string());
  }
  fs::rename(temporary, path);
}

// Arbitrary distinct display colours for labels that come without one.
Rgb defaultColour(int value) {
  static const Rgb kPalette[] = {{230, 25, 75},  {60, 180, 75},  {255, 225, 25}, {0, 130, 200},
                                 {245, 130, 48}, {145, 30, 180}, {70, 240, 240}, {240, 50, 230}};
  return kPalette[static_cast<std::size_t>(value - 1) % 8];
}

}  // namespace

bool isStructureObject(const fs::path& path) {
  if (!fs::is_regular_file(path) || io::isImageFileName(path)) return false;
  const io::DicomIndex index = io::scanDicom(path);
  const auto series = index.allSeries();
  return series.size() == 1 && (series[0]->kind == io::SeriesKind::RtStruct ||
                                series[0]->kind == io::SeriesKind::Segmentation);
}

std::string segmentsFormat(const fs::path& output, const std::string& format) {
  if (!format.empty()) {
    if (format != "seg" && format != "rtstruct")
      throw Error(
          ErrorKind::InvalidInput,
          "Parameter \"format\" must be \"seg\" or \"rtstruct\" (it is \"" + format + "\").",
          "parameters.format");
    return format;
  }
  const std::string name = lower(output.filename().string());
  if (name.find("rtstruct") != std::string::npos || name.starts_with("rs")) return "rtstruct";
  if (name.find("seg") != std::string::npos) return "seg";
  throw Error(ErrorKind::InvalidInput,
              "Cannot tell from the name " + output.filename().string() +
                  " whether to write a DICOM SEG or an RTSTRUCT; name it seg.dcm or "
                  "rtstruct.dcm, or give the format (--format seg|rtstruct).",
              "parameters.format");
}

fs::path sidecarPath(const fs::path& labelImage) {
  return labelImage.parent_path() / (splitImageName(labelImage).first + ".json");
}

json structuresToLabelImage(const fs::path& object, const io::ReferenceSeries& reference,
                            const fs::path& output, bool split, int gzipLevel, Progress& progress) {
  const io::DicomIndex index = io::scanDicom(object);
  const bool isSeg = index.allSeries().at(0)->kind == io::SeriesKind::Segmentation;
  auto read = subRange(progress, 0.0, 0.7);
  const io::ImportedSegments imported = isSeg ? io::readSegmentation(object, reference, *read)
                                              : io::readRtStruct(object, reference, *read);
  const LabelMap& labels = imported.labels;
  const ImageGeometry& g = reference.geometry;
  const double voxel_ml = g.spacing_mm.prod() / 1000.0;
  const auto& segments = labels.segments();
  std::vector<std::size_t> voxels(segments.size());
  for (std::size_t s = 0; s < segments.size(); ++s) voxels[s] = labels.voxelCount(s);

  io::NiftiWriteOptions nifti;
  nifti.gzipLevel = gzipLevel;
  auto [stem, extension] = splitImageName(output);
  json list = json::array(), files = json::array();
  std::size_t overlapping = 0;
  auto labelImage = [&] {
    ImageVolume image(g, PixelType::UInt16);
    image.name = "labels";
    image.dicom = reference.dicom;
    return image;
  };
  if (split) {
    for (std::size_t s = 0; s < segments.size(); ++s) {
      progress.check();
      ImageVolume image = labelImage();
      auto out = image.voxels<std::uint16_t>();
      const auto& layer = labels.layer(segments[s].layer);
      for (std::size_t n = 0; n < layer.size(); ++n) out[n] = layer[n] == segments[s].value;
      const fs::path file = output.parent_path() / (stem + "_" + std::to_string(s + 1) + "_" +
                                                    safeName(segments[s].name) + extension);
      io::writeImageFile(image, file, nifti);
      files.push_back(file.string());
      json entry = segmentJson(segments[s], 1, voxels[s], voxel_ml);
      entry["file"] = file.string();
      list.push_back(entry);
    }
  } else {
    // Paint the largest first, so where structures overlap the smaller (a tumour inside an
    // organ, an organ inside BODY) stays visible.
    ImageVolume image = labelImage();
    auto out = image.voxels<std::uint16_t>();
    std::vector<std::size_t> order(segments.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return voxels[a] > voxels[b]; });
    for (std::size_t s : order) {
      const auto& layer = labels.layer(segments[s].layer);
      const auto value = static_cast<std::uint16_t>(s + 1);
      for (std::size_t n = 0; n < layer.size(); ++n)
        if (layer[n] == segments[s].value) {
          overlapping += out[n] != 0;
          out[n] = value;
        }
    }
    progress.check();
    io::writeImageFile(image, output, nifti);
    files.push_back(output.string());
    for (std::size_t s = 0; s < segments.size(); ++s)
      list.push_back(segmentJson(segments[s], static_cast<int>(s + 1), voxels[s], voxel_ml));
  }
  const json sidecar = {
      {"source", object.string()},
      {"sourceKind", isSeg ? "SEG" : "RTSTRUCT"},
      {"referenceSeriesInstanceUid", reference.dicom.seriesInstanceUid},
      {"frameOfReferenceUid", reference.dicom.frameOfReferenceUid},
      {"overlapRule", split ? "one file per structure (value 1 inside)"
                            : "where structures overlap, the smaller structure's value wins"},
      {"overlappingVoxels", overlapping},
      {"labels", list},
      {"notes", imported.notes}};
  const fs::path sidecarFile = sidecarPath(output);
  writeJson(sidecar, sidecarFile);
  progress.report(1.0, "Written");
  return {{"output", output.string()},
          {"files", files},
          {"sidecar", sidecarFile.string()},
          {"sourceKind", sidecar["sourceKind"]},
          {"labels", list},
          {"overlappingVoxels", overlapping},
          {"notes", imported.notes}};
}

json labelImageToStructures(const fs::path& labelImage, const io::ReferenceSeries& reference,
                            const fs::path& output, const std::string& format, Progress& progress) {
  const ImageVolume image = io::readImageFile(labelImage);
  if (!image.geometry().sameGridAs(reference.geometry, 1e-2))
    throw Error(ErrorKind::InvalidInput,
                "The label image " + labelImage.string() +
                    " is not on the reference series' grid (size, spacing, origin or "
                    "orientation differ); give the series it was made on.",
                labelImage.string());
  const PixelType type = image.pixelType();
  if (type == PixelType::Float32 || type == PixelType::Rgb8)
    throw Error(ErrorKind::InvalidInput,
                "The label image " + labelImage.string() + " holds " + std::string(toString(type)) +
                    " values; labels must be whole numbers.",
                labelImage.string());
  // Sidecar: value -> name, colour, terminology.
  std::map<int, json> described;
  const fs::path sidecarFile = sidecarPath(labelImage);
  if (fs::is_regular_file(sidecarFile)) {
    std::ifstream in(sidecarFile);
    const json sidecar = json::parse(in, nullptr, false);
    if (sidecar.is_discarded())
      throw Error(ErrorKind::Corrupt, "The sidecar " + sidecarFile.string() + " is not valid JSON.",
                  sidecarFile.string());
    for (const json& entry : sidecar.value("labels", json::array()))
      if (entry.contains("value") && entry["value"].is_number_integer())
        described[entry["value"].get<int>()] = entry;
  }
  const ImageGeometry& g = reference.geometry;
  LabelMap labels(g);
  auto& layer = labels.layer(0);
  std::map<int, std::size_t> present;
  for (std::size_t n = 0; n < layer.size(); ++n) {
    const double v = image.valueAt(static_cast<std::int64_t>(n % g.size[0]),
                                   static_cast<std::int64_t>((n / g.size[0]) % g.size[1]),
                                   static_cast<std::int64_t>(n / (g.size[0] * g.size[1])));
    if (v == 0) continue;
    if (v < 0 || v > 65535)
      throw Error(ErrorKind::InvalidInput,
                  "The label image " + labelImage.string() + " has the value " + std::to_string(v) +
                      "; labels must be 0 (background) .. 65535.",
                  labelImage.string());
    layer[n] = static_cast<std::uint16_t>(v);
    ++present[static_cast<int>(v)];
  }
  for (const auto& [value, count] : present) {
    Segment s;
    s.value = static_cast<std::uint16_t>(value);
    s.name = "Label " + std::to_string(value);
    s.colour = defaultColour(value);
    if (auto it = described.find(value); it != described.end()) {
      const json& e = it->second;
      s.name = e.value("name", s.name);
      if (e.contains("colour") && e["colour"].is_array() && e["colour"].size() == 3)
        s.colour = {e["colour"][0].get<std::uint8_t>(), e["colour"][1].get<std::uint8_t>(),
                    e["colour"][2].get<std::uint8_t>()};
      if (e.contains("terminology") && e["terminology"].is_object()) {
        const json& t = e["terminology"];
        s.terminology.category = codeFromJson(t.value("category", json()));
        s.terminology.type = codeFromJson(t.value("type", json()));
        s.terminology.anatomicRegion = codeFromJson(t.value("anatomicRegion", json()));
      }
    }
    labels.addSegment(s);
  }
  if (present.empty())
    throw Error(ErrorKind::InvalidInput,
                "The label image " + labelImage.string() +
                    " has no labelled voxel; nothing to "
                    "export.",
                labelImage.string());
  if (format == "seg")
    io::writeSegmentation(labels, reference, output, {}, progress);
  else
    io::writeRtStruct(labels, reference, output, {}, progress);
  json list = json::array();
  const double voxel_ml = g.spacing_mm.prod() / 1000.0;
  for (std::size_t s = 0; s < labels.segments().size(); ++s)
    list.push_back(segmentJson(labels.segments()[s], labels.segments()[s].value,
                               present[labels.segments()[s].value], voxel_ml));
  return {{"output", output.string()},
          {"format", format},
          {"referenceSeriesInstanceUid", reference.dicom.seriesInstanceUid},
          {"sidecarUsed", fs::is_regular_file(sidecarFile)},
          {"labels", list}};
}

}  // namespace twinplan::engine
