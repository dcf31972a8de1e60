// writePhantom: the phantom's DICOM series, true labelmap, segment table and case file.
#include <cmath>
#include <fstream>
#include <regex>
#include <system_error>

#include "twinplan/core/case_file.h"
#include "twinplan/core/error.h"
#include "twinplan/io/dicom_writer.h"
#include "twinplan/io/image_file.h"
#include "twinplan/phantom/phantom.h"

namespace twinplan::phantom {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

void makeFolder(const fs::path& folder) {
  std::error_code ec;
  fs::create_directories(folder, ec);
  if (ec || !fs::is_directory(folder)) {
    throw Error(ErrorKind::Io,
                "Cannot create the folder " + folder.string() + ": " + ec.message() + ".",
                folder.string());
  }
}

// A folder this function wrote before may hold more slices than the new series: remove the
// old slice files (our own naming only) so two series never mix in one folder.
void removeOldSlices(const fs::path& folder) {
  static const std::regex kSliceName(R"(IM\d{5}\.dcm)");
  std::error_code ec;
  if (!fs::is_directory(folder, ec)) return;
  for (const auto& entry : fs::directory_iterator(folder, ec)) {
    if (entry.is_regular_file() && std::regex_match(entry.path().filename().string(), kSliceName)) {
      fs::remove(entry.path(), ec);
      if (ec) {
        throw Error(ErrorKind::Io,
                    "Cannot remove the old phantom slice " + entry.path().string() + ": " +
                        ec.message() + ".",
                    entry.path().string());
      }
    }
  }
}

json vec(const Vec3& v) { return json::array({v[0], v[1], v[2]}); }

json truthTable(const Phantom& phantom, const std::vector<fs::path>& layers) {
  const LabelMap& truth = phantom.twin.labelMaps.at(0);
  const ImageGeometry& g = truth.geometry();
  json direction = json::array();
  for (int r = 0; r < 3; ++r)
    direction.push_back({g.direction(r, 0), g.direction(r, 1), g.direction(r, 2)});
  json layerFiles = json::array();
  for (const auto& layer : layers) layerFiles.push_back(layer.filename().string());
  json segments = json::array();
  for (const Segment& s : truth.segments()) {
    json entry = {{"name", s.name},
                  {"tissueType", s.tissueType},
                  {"layer", s.layer},
                  {"value", s.value},
                  {"colour", {s.colour.r, s.colour.g, s.colour.b}}};
    for (const TissueTruth& t : phantom.tissues) {
      if (t.segment != s.name) continue;
      entry["ct_HU"] = t.ct_HU;
      if (phantom.twin.volumes.size() > 1) entry["mr"] = t.mr;
      entry["homogeneous"] = t.homogeneous;
    }
    segments.push_back(entry);
  }
  json tumours = json::array();
  for (const TumourTruth& t : phantom.tumours) {
    tumours.push_back({{"name", t.name},
                       {"centre_lps", vec(t.centre_lps)},
                       {"diameter_mm", t.diameter_mm},
                       {"volume_ml", M_PI / 6.0 * std::pow(t.diameter_mm, 3) / 1000.0}});
  }
  return {{"kind", toString(phantom.options.kind)},
          {"seed", phantom.options.seed},
          {"oblique", phantom.options.oblique},
          {"noiseSd", phantom.options.noiseSd},
          {"mrNoiseSd", phantom.options.mrNoiseSd},
          {"geometry",
           {{"size", g.size},
            {"spacing_mm", vec(g.spacing_mm)},
            {"origin_lps", vec(g.origin_lps)},
            {"direction", direction}}},
          {"layers", layerFiles},
          {"segments", segments},
          {"tumours", tumours}};
}

void writeText(const std::string& text, const fs::path& path) {
  const fs::path temporary = path.string() + ".tmp";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out << text;
    out.close();
    if (!out) {
      std::error_code ec;
      fs::remove(temporary, ec);
      throw Error(ErrorKind::Io, "Could not write " + path.string() + ".", path.string());
    }
  }
  std::error_code ec;
  fs::rename(temporary, path, ec);
  if (ec) {
    fs::remove(temporary, ec);
    throw Error(ErrorKind::Io, "Could not move " + path.string() + " into place.", path.string());
  }
}

}  // namespace

PhantomFiles writePhantom(const Phantom& phantom, const fs::path& outDir, Progress& progress) {
  if (phantom.twin.volumes.empty() || phantom.twin.labelMaps.empty()) {
    throw Error(ErrorKind::InvalidInput, "This phantom is empty; make it with makePhantom first.");
  }
  const std::string kind = toString(phantom.options.kind);
  makeFolder(outDir);
  PhantomFiles files;
  Case twin = phantom.twin;  // gains references to the written series

  // DICOM: 0..0.6 of the work, shared study and frame of reference.
  const DicomInfo& first = phantom.twin.volumes.front().dicom;
  const double dicomShare = 0.6 / static_cast<double>(phantom.twin.volumes.size());
  for (std::size_t v = 0; v < phantom.twin.volumes.size(); ++v) {
    const ImageVolume& volume = phantom.twin.volumes[v];
    const fs::path folder = outDir / "dicom" / (volume.dicom.modality == "MR" ? "MR" : "CT");
    makeFolder(folder);
    removeOldSlices(folder);
    io::DicomWriteOptions options;
    options.studyInstanceUid = first.studyInstanceUid;
    options.frameOfReferenceUid = first.frameOfReferenceUid;
    auto sub = subRange(progress, dicomShare * static_cast<double>(v),
                        dicomShare * static_cast<double>(v + 1));
    const io::DicomWriteResult written = io::writeDicomSeries(volume, folder, options, *sub);
    SeriesReference reference;
    reference.seriesInstanceUid = written.seriesInstanceUid;
    reference.description = volume.dicom.seriesDescription;
    for (const auto& file : written.files) reference.files.push_back(fs::absolute(file).string());
    twin.series.push_back(std::move(reference));
    files.seriesDirs.push_back(folder);
  }

  // Truth: one NRRD per layer, and the segment table.
  progress.report(0.6, "Writing the true labelmap");
  const LabelMap& truth = phantom.twin.labelMaps.front();
  for (int layer = 0; layer < truth.layerCount(); ++layer) {
    progress.check();
    const fs::path path =
        outDir /
        (kind + (layer == 0 ? "-truth.nrrd" : "-truth-layer" + std::to_string(layer) + ".nrrd"));
    io::writeLabelFile(truth, layer, path);
    files.truthLayers.push_back(path);
  }
  files.truthLabels = files.truthLayers.front();
  files.truthTable = outDir / (kind + "-truth.json");
  writeText(truthTable(phantom, files.truthLayers).dump(2) + "\n", files.truthTable);
  progress.report(0.7, "Writing the case file");

  // The case: 0.7..1.
  twin.provenance.push_back({{"step", "phantom-written"},
                             {"dicom", (outDir / "dicom").string()},
                             {"truth", files.truthLabels.filename().string()}});
  files.caseFile = outDir / (kind + kCaseFileExtension);
  auto sub = subRange(progress, 0.7, 1.0);
  saveCase(twin, files.caseFile, *sub);
  progress.report(1.0, "Phantom written");
  return files;
}

}  // namespace twinplan::phantom
