#include "fem_command.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <fstream>
#include <sstream>

#include "cli_options.h"
#include "twinplan/core/case_file.h"
#include "twinplan/core/error.h"
#include "twinplan/tissue/fem_solver.h"
#include "twinplan/tissue/inp_reader.h"
#include "twinplan/tissue/labelmap_mesher.h"
#include "twinplan/tissue/result_files.h"

namespace twinplan::cli {
namespace {

// Contact with the deck's rigid obstacles (*CONTACT PAIR): the force on the tissue summed over
// every obstacle, the nodes touching at the end, the deepest penetration.
nlohmann::json contactSummary(const tissue::FeModel& model, const tissue::SolveResult& result) {
  std::array<double, 3> force{0, 0, 0};
  for (const auto& f : result.contactForce_N)
    for (int a = 0; a < 3; ++a) force[a] += f[a];
  nlohmann::json obstacles = nlohmann::json::array();
  for (const tissue::RigidObstacle& o : model.obstacles)
    obstacles.push_back({{"name", o.name}, {"slave_nodes", o.nodes.size()}});
  return {{"obstacles", obstacles},
          {"force_N", force},
          {"nodes_in_contact", result.contactNodes},
          {"max_penetration_mm", result.maxPenetration_mm},
          {"active_set_changes", result.activeSetChanges}};
}

}  // namespace

nlohmann::json runFemSolve(const std::filesystem::path& modelPath, const std::filesystem::path& out,
                           Progress& progress) {
  const std::string extension = out.extension().string();
  if (!out.empty() && extension != ".vtu" && extension != ".json")
    throw Error(ErrorKind::InvalidInput,
                "--out " + out.string() + ": write a .vtu (ParaView) or a .json file.",
                out.string());
  const tissue::FeModel model = tissue::readInp(modelPath);
  const tissue::SolveResult result = tissue::solve(model, {}, progress);

  double largest = -1, sum = 0;
  std::size_t largestNode = 0;
  for (std::size_t n = 0; n < result.displacement_mm.size(); ++n) {
    const auto& u = result.displacement_mm[n];
    const double magnitude = std::sqrt(u[0] * u[0] + u[1] * u[1] + u[2] * u[2]);
    sum += magnitude;
    if (magnitude > largest) largest = magnitude, largestNode = n;
  }
  nlohmann::json steps = nlohmann::json::array();
  for (std::size_t s = 0; s < result.steps.size(); ++s)
    steps.push_back({{"nlgeom", model.steps[s].nlgeom},
                     {"increments", result.steps[s].increments},
                     {"iterations", result.steps[s].iterations},
                     {"residual_N", result.steps[s].residual}});
  nlohmann::json summary = {{"model", modelPath.string()},
                            {"nodes", model.nodes.size()},
                            {"elements", model.elements.size()},
                            {"steps", steps},
                            {"iterations", result.totalIterations},
                            {"residual_N", result.finalResidual},
                            {"max_displacement_mm", largest},
                            {"max_displacement_node", model.nodes[largestNode].id},
                            {"max_displacement_vector_mm", result.displacement_mm[largestNode]},
                            {"mean_displacement_mm", sum / static_cast<double>(model.nodes.size())},
                            {"solve_time_s", result.solveTime_s},
                            {"notes", model.notes}};
  if (!model.obstacles.empty()) summary["contact"] = contactSummary(model, result);
  if (!out.empty()) {
    if (extension == ".vtu")
      tissue::writeVtu(model, result, out);
    else
      tissue::writeDisplacementJson(model, result, out);
    summary["output"] = out.string();
  }
  return summary;
}

namespace {

std::string trimmed(const std::string& text) {
  const auto first = text.find_first_not_of(" \t");
  if (first == std::string::npos) return {};
  return text.substr(first, text.find_last_not_of(" \t") - first + 1);
}

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  std::istringstream in(text);
  for (std::string part; std::getline(in, part, separator);) parts.push_back(trimmed(part));
  return parts;
}

struct MaterialRequest {
  std::string name;
  std::vector<std::string> segments;
};

std::vector<MaterialRequest> parseMaterials(const std::string& text) {
  std::vector<MaterialRequest> requests;
  for (const std::string& item : split(text, ',')) {
    MaterialRequest r;
    const auto equals = item.find('=');
    r.name = trimmed(equals == std::string::npos ? item : item.substr(0, equals));
    r.segments = split(equals == std::string::npos ? item : item.substr(equals + 1), '+');
    const bool blank = r.name.empty() || r.segments.empty() ||
                       std::any_of(r.segments.begin(), r.segments.end(),
                                   [](const std::string& s) { return s.empty(); });
    if (blank)
      throw Error(ErrorKind::InvalidInput,
                  "--segments \"" + text +
                      "\": give segment names separated by commas, or NAME=SEGMENT+SEGMENT for "
                      "one material made of several segments.",
                  "--segments");
    requests.push_back(std::move(r));
  }
  if (requests.empty())
    throw Error(ErrorKind::InvalidInput, "--segments: name at least one segment to mesh.",
                "--segments");
  return requests;
}

// The labelmap that holds every requested segment.
const LabelMap& labelMapWith(const Case& twin, const std::vector<MaterialRequest>& requests) {
  std::string missing;
  for (const LabelMap& labels : twin.labelMaps) {
    missing.clear();
    for (const MaterialRequest& r : requests)
      for (const std::string& s : r.segments)
        if (!labels.findSegment(s) && missing.empty()) missing = s;
    if (missing.empty()) return labels;
  }
  std::string known;
  for (const LabelMap& labels : twin.labelMaps)
    for (const Segment& s : labels.segments()) known += (known.empty() ? "" : ", ") + s.name;
  throw Error(ErrorKind::NotFound,
              "No labelmap of the case holds all of the segments named by --segments" +
                  (missing.empty() ? std::string() : " (\"" + missing + "\" is missing)") +
                  "; the case has: " + (known.empty() ? "no segments" : known) + ".",
              "--segments");
}

void writeTextAtomically(const std::filesystem::path& path, const std::string& text) {
  const std::filesystem::path temporary = path.string() + ".part";
  {
    std::ofstream out(temporary, std::ios::binary);
    out << text;
    out.flush();
    if (!out)
      throw Error(ErrorKind::Io, "Could not write " + path.string() + "; is the folder writable?",
                  path.string());
  }
  std::filesystem::rename(temporary, path);
}

}  // namespace

nlohmann::json runFemMesh(const std::filesystem::path& casePath, const FemMeshOptions& options,
                          Progress& progress) {
  if (!options.out.empty() && options.out.extension() != ".inp")
    throw Error(
        ErrorKind::InvalidInput,
        "--out " + options.out.string() + ": the mesh is written as an Abaqus/CalculiX .inp.",
        options.out.string());
  if (!options.vtu.empty() && options.vtu.extension() != ".vtu")
    throw Error(ErrorKind::InvalidInput, "--vtu " + options.vtu.string() + ": name a .vtu file.",
                options.vtu.string());
  const std::vector<MaterialRequest> requests = parseMaterials(options.segments);
  const Case twin = loadCase(casePath, *subRange(progress, 0, 0.2));
  const LabelMap& labels = labelMapWith(twin, requests);

  tissue::LabelMeshParameters parameters;
  parameters.resolution_mm = options.resolution_mm;
  parameters.elementType =
      options.quadratic ? tissue::ElementType::C3D10 : tissue::ElementType::C3D4;
  for (const MaterialRequest& r : requests) {
    tissue::MeshMaterial m{r.name, {}};
    for (const std::string& s : r.segments) m.segments.push_back(*labels.findSegment(s));
    parameters.materials.push_back(std::move(m));
  }
  const auto start = std::chrono::steady_clock::now();
  const tissue::LabelMesh mesh =
      tissue::meshLabelMap(labels, parameters, *subRange(progress, 0.2, 0.95));
  const double seconds = secondsSince(start);

  nlohmann::json materials = nlohmann::json::array();
  for (std::size_t m = 0; m < mesh.materials.size(); ++m) {
    const tissue::MaterialMeshSummary& s = mesh.materials[m];
    materials.push_back(
        {{"name", s.name},
         {"elset", mesh.model.materials[m].name},
         {"segments", requests[m].segments},
         {"elements", s.elements},
         {"volume_ml", s.meshVolume_mm3 / 1000},
         {"labelmap_volume_ml", s.labelVolume_mm3 / 1000},
         {"volume_difference_percent",
          s.labelVolume_mm3 > 0 ? 100 * (s.meshVolume_mm3 - s.labelVolume_mm3) / s.labelVolume_mm3
                                : 0.0}});
  }
  const tissue::MeshQuality& q = mesh.quality;
  nlohmann::json summary = {{"case", casePath.string()},
                            {"labelmap", labels.name},
                            {"resolution_mm", options.resolution_mm},
                            {"element_type", options.quadratic ? "C3D10" : "C3D4"},
                            {"nodes", mesh.model.nodes.size()},
                            {"elements", mesh.model.elements.size()},
                            {"surface_nodes", mesh.model.nodeSets.at("SURFACE").size()},
                            {"materials", materials},
                            {"quality",
                             {{"min_dihedral_deg", q.minDihedral_deg},
                              {"max_dihedral_deg", q.maxDihedral_deg},
                              {"min_radius_ratio", q.minRadiusRatio},
                              {"mean_radius_ratio", q.meanRadiusRatio},
                              {"inverted_elements", q.invertedElements},
                              {"dihedral_below_10_deg", q.dihedralBelow10},
                              {"dihedral_below_20_deg", q.dihedralBelow20}}},
                            {"lattice_tetrahedra", mesh.latticeTetrahedra},
                            {"warped_vertices", mesh.warpedVertices},
                            {"multi_material_tetrahedra", mesh.multiMaterialTetrahedra},
                            {"mesh_time_s", seconds}};
  if (!options.out.empty()) {
    writeTextAtomically(options.out, "*HEADING\nTwinPlan mesh of " + casePath.filename().string() +
                                         "\n" + tissue::meshDeck(mesh.model));
    summary["output"] = options.out.string();
  }
  if (!options.vtu.empty()) {
    tissue::SolveResult still;  // the reference mesh: no displacement, no reactions
    still.displacement_mm.assign(mesh.model.nodes.size(), {0, 0, 0});
    still.reaction_N.assign(mesh.model.nodes.size(), {0, 0, 0});
    tissue::writeVtu(mesh.model, still, options.vtu);
    summary["vtu"] = options.vtu.string();
  }
  progress.report(1, "Mesh");
  return summary;
}

}  // namespace twinplan::cli
