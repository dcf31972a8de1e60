// Jobs "export-meshes" and "import-meshes": a case's surface models to and from the files 3D
// printers, CAD tools and XR engines read (io/mesh_files.h), with the 3D-print check.

#include <algorithm>
#include <cmath>

#include "job_kinds.h"
#include "twinplan/core/case_edit.h"
#include "twinplan/core/case_file.h"
#include "twinplan/io/mesh_files.h"
#include "twinplan/segmentation/mesh_check.h"

namespace twinplan::engine {
namespace {

// The models to export: the named ones (each must exist), or every visible one.
std::vector<SurfaceMesh> chosenMeshes(const Case& twin, const std::vector<std::string>& names) {
  std::vector<SurfaceMesh> chosen;
  if (names.empty()) {
    for (const SurfaceMesh& mesh : twin.meshes)
      if (mesh.visible) chosen.push_back(mesh);
  }
  for (const std::string& name : names) {
    auto found = std::find_if(twin.meshes.begin(), twin.meshes.end(),
                              [&](const SurfaceMesh& m) { return m.name == name; });
    if (found == twin.meshes.end())
      throw Error(ErrorKind::NotFound, "The case has no model \"" + name + "\".", name);
    chosen.push_back(*found);
  }
  if (chosen.empty())
    throw Error(ErrorKind::InvalidInput,
                "The case has no visible 3D model to export; build models first.", "meshes");
  return chosen;
}

class ExportMeshesJob final : public Job {
 public:
  explicit ExportMeshesJob(const JobParameters& p)
      : case_(p.file("case")),
        output_(p.file("output")),
        meshes_(p.texts("meshes")),
        forPrinting_(p.boolean("forPrinting", false)),
        repair_(p.boolean("repair", false)) {
    p.rejectUnknown({"case", "output", "meshes", "forPrinting", "repair"});
    io::meshFormatOf(output_);  // a bad extension fails before any work
    if (repair_ && !forPrinting_)
      throw Error(ErrorKind::InvalidInput,
                  "Parameter \"repair\" applies to a 3D-print export (\"forPrinting\").",
                  "parameters.repair");
  }
  std::string kind() const override { return "export-meshes"; }
  nlohmann::json parameters() const override {
    return {{"case", case_.string()},
            {"output", output_.string()},
            {"meshes", meshes_},
            {"forPrinting", forPrinting_},
            {"repair", repair_}};
  }
  nlohmann::json run(Progress& progress, CheckpointStore*) override {
    std::vector<SurfaceMesh> meshes = chosenMeshes(loadCase(case_), meshes_);
    nlohmann::json models = nlohmann::json::array();
    for (std::size_t m = 0; m < meshes.size(); ++m) {
      auto step = subRange(progress, 0.9 * double(m) / double(meshes.size()),
                           0.9 * double(m + 1) / double(meshes.size()));
      segmentation::MeshCheck check = segmentation::checkMesh(meshes[m], 1000, *step);
      bool repaired = false;
      if (forPrinting_ && !check.printable()) {
        if (!repair_)
          throw Error(ErrorKind::InvalidInput,
                      "The model \"" + meshes[m].name +
                          "\" cannot be printed as it is: " + check.problems() +
                          ". Export with repair, or fix the segment and rebuild the model.",
                      meshes[m].name);
        meshes[m] = segmentation::repairForPrinting(meshes[m]);
        check = segmentation::checkMesh(meshes[m]);
        repaired = true;
      }
      models.push_back({{"name", meshes[m].name},
                        {"triangles", meshes[m].triangles.size()},
                        {"closed", check.closed},
                        {"self_intersections", check.selfIntersections},
                        {"volume_ml", check.volume_ml},
                        {"area_cm2", check.area_mm2 / 100.0},
                        {"repaired", repaired}});
    }
    progress.check();
    io::writeMeshFile(meshes, output_);
    progress.report(1.0, "Written");
    return {{"output", output_.string()}, {"models", models}};
  }

 private:
  std::filesystem::path case_, output_;
  std::vector<std::string> meshes_;
  bool forPrinting_, repair_;
};

class ImportMeshesJob final : public Job {
 public:
  explicit ImportMeshesJob(const JobParameters& p)
      : case_(p.file("case")), output_(p.file("output", case_.string())) {
    p.rejectUnknown({"case", "files", "output"});
    files_ = p.files("files");
    if (files_.empty())
      throw Error(ErrorKind::InvalidInput, "Name the mesh files to import (parameter \"files\").",
                  "parameters.files");
  }
  std::string kind() const override { return "import-meshes"; }
  nlohmann::json parameters() const override {
    std::vector<std::string> files;
    for (const auto& f : files_) files.push_back(f.string());
    return {{"case", case_.string()}, {"files", files}, {"output", output_.string()}};
  }
  nlohmann::json run(Progress& progress, CheckpointStore*) override {
    Case twin = loadCase(case_);
    std::vector<SurfaceMesh> imported;
    for (const auto& file : files_) {
      for (SurfaceMesh& mesh : io::readMeshFile(file)) {
        mesh.segmentName.clear();  // not built from a segment of this case
        imported.push_back(std::move(mesh));
      }
      progress.check();
    }
    nlohmann::json names = nlohmann::json::array();
    for (const SurfaceMesh& mesh : imported) names.push_back(mesh.name);
    twin.meshes.insert(twin.meshes.end(), imported.begin(), imported.end());
    auto save = subRange(progress, 0.5, 1.0);
    saveCase(twin, output_, *save);
    return {{"output", output_.string()}, {"imported", names}};
  }

 private:
  std::filesystem::path case_, output_;
  std::vector<std::filesystem::path> files_;
};

}  // namespace

std::unique_ptr<Job> makeExportMeshesJob(const JobParameters& parameters) {
  return std::make_unique<ExportMeshesJob>(parameters);
}
std::unique_ptr<Job> makeImportMeshesJob(const JobParameters& parameters) {
  return std::make_unique<ImportMeshesJob>(parameters);
}

}  // namespace twinplan::engine
