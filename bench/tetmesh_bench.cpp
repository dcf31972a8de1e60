// Tetrahedral meshing of the head phantom's brain (docs/benchmarks.md, "Tissue mechanics:
// tetrahedral meshes"): our labelmap mesher (simulation/tissue/labelmap_mesher.h) against TetGen
// 1.5 (Debian's `tetgen`, AGPL, run as a separate program) in the same run. Our mesher goes
// from the labelmap straight to tetrahedra; TetGen needs a closed surface, and is given our
// mesh's own outer surface (no time charged for making it) with `tetgen -pq1.414a<V>`, V our
// mean tetrahedron volume x 3, for a similar count (-NEF: no files written, like ours).
//
//   twinplan-tetmesh-bench [--resolution MM] [--repeat N] [--dir DIR] [--no-tetgen]
// prints one JSON object.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "twinplan/core/parallel.h"
#include "twinplan/phantom/phantom.h"
#include "twinplan/tissue/labelmap_mesher.h"

using namespace twinplan;
using Clock = std::chrono::steady_clock;

namespace {

double secondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

template <class Work>
double medianSeconds(int repeat, Work&& work) {
  std::vector<double> times;
  for (int i = 0; i < repeat; ++i) {
    const auto start = Clock::now();
    work();
    times.push_back(secondsSince(start));
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

// The brain (grey and white matter) as one segment, and the ventricles and tumour as two more.
LabelMap brainLabels(const LabelMap& truth) {
  LabelMap labels(truth.geometry());
  labels.addSegment({.name = "Brain", .value = 1});
  labels.addSegment({.name = "Ventricles", .value = 2});
  labels.addSegment({.name = "Tumour", .value = 3});
  const auto value = [&](const std::string& name) {
    const Segment& s = truth.segments()[*truth.findSegment(name)];
    return std::pair<int, std::uint16_t>(s.layer, s.value);
  };
  const auto grey = value("Grey matter"), white = value("White matter"),
             ventricles = value("Ventricles"), tumour = value("Tumour");
  std::vector<std::uint16_t>& out = labels.layer(0);
  for (std::size_t v = 0; v < out.size(); ++v) {
    const auto at = [&](const std::pair<int, std::uint16_t>& s) {
      return truth.layer(s.first)[v] == s.second;
    };
    if (at(grey) || at(white)) out[v] = 1;
    if (at(ventricles)) out[v] = 2;
    if (at(tumour)) out[v] = 3;
  }
  return labels;
}

void writeOff(const SurfaceMesh& surface, const std::filesystem::path& path) {
  std::ofstream out(path);
  out << "OFF\n" << surface.points_lps.size() << ' ' << surface.triangles.size() << " 0\n";
  for (const auto& p : surface.points_lps) out << p[0] << ' ' << p[1] << ' ' << p[2] << '\n';
  for (const auto& t : surface.triangles) out << "3 " << t[0] << ' ' << t[1] << ' ' << t[2] << '\n';
}

// The faces of a tetrahedral model used by one element, outward.
SurfaceMesh outerSurface(const tissue::FeModel& model) {
  static constexpr int kFaces[4][3] = {{0, 2, 1}, {0, 1, 3}, {1, 2, 3}, {0, 3, 2}};
  std::map<std::array<std::size_t, 3>, std::pair<int, std::array<std::size_t, 3>>> faces;
  for (const tissue::Element& e : model.elements)
    for (const auto& f : kFaces) {
      const std::array<std::size_t, 3> face{e.nodes[f[0]], e.nodes[f[1]], e.nodes[f[2]]};
      auto key = face;
      std::sort(key.begin(), key.end());
      auto& entry = faces[key];
      ++entry.first, entry.second = face;
    }
  SurfaceMesh surface;
  std::map<std::size_t, std::uint32_t> index;
  for (const auto& [key, entry] : faces) {
    if (entry.first != 1) continue;
    std::array<std::uint32_t, 3> triangle{};
    for (int c = 0; c < 3; ++c) {
      const std::size_t n = entry.second[c];
      auto [it, added] = index.emplace(n, static_cast<std::uint32_t>(surface.points_lps.size()));
      if (added)
        surface.points_lps.push_back({static_cast<float>(model.nodes[n].x_mm[0]),
                                      static_cast<float>(model.nodes[n].x_mm[1]),
                                      static_cast<float>(model.nodes[n].x_mm[2])});
      triangle[c] = it->second;
    }
    surface.triangles.push_back(triangle);
  }
  return surface;
}

}  // namespace

int main(int argc, char** argv) {
  double resolution_mm = 7;
  int repeat = 3;
  bool runTetgen = true;

  std::filesystem::path dir = std::filesystem::temp_directory_path() / "twinplan-tetmesh-bench";
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--resolution") && i + 1 < argc)
      resolution_mm = std::atof(argv[++i]);
    else if (!std::strcmp(argv[i], "--repeat") && i + 1 < argc)
      repeat = std::max(1, std::atoi(argv[++i]));
    else if (!std::strcmp(argv[i], "--dir") && i + 1 < argc)
      dir = argv[++i];
    else if (!std::strcmp(argv[i], "--no-tetgen"))
      runTetgen = false;
  }
  std::filesystem::create_directories(dir);
  phantom::PhantomOptions options;
  options.kind = phantom::PhantomKind::Head;
  options.surfaceModels = false;
  const phantom::Phantom head = phantom::makePhantom(options);
  const LabelMap labels = brainLabels(head.twin.labelMaps.at(0));
  LabelMap whole(labels.geometry());  // the brain with its ventricles and tumour, one segment
  whole.addSegment({.name = "Brain", .value = 1});
  for (std::size_t v = 0; v < whole.layer(0).size(); ++v)
    whole.layer(0)[v] = labels.layer(0)[v] != 0 ? 1 : 0;

  tissue::LabelMeshParameters brainOnly;
  brainOnly.resolution_mm = resolution_mm;
  brainOnly.materials = {{"brain", {0}}};
  tissue::LabelMeshParameters threeMaterials = brainOnly;
  threeMaterials.materials = {{"brain", {0}}, {"ventricles", {1}}, {"tumour", {2}}};

  tissue::LabelMesh mesh, multi;
  const double ours_s =
      medianSeconds(repeat, [&] { mesh = tissue::meshLabelMap(whole, brainOnly); });
  double oursOneThread_s = 0;
  {
    parallel::ThreadLimit one(1);
    oursOneThread_s = medianSeconds(repeat, [&] { tissue::meshLabelMap(whole, brainOnly); });
  }
  const double multi_s =
      medianSeconds(repeat, [&] { multi = tissue::meshLabelMap(labels, threeMaterials); });

  std::printf("{\n  \"grid\": [%lld, %lld, %lld], \"resolution_mm\": %g, \"threads\": %zu,\n",
              static_cast<long long>(labels.geometry().size[0]),
              static_cast<long long>(labels.geometry().size[1]),
              static_cast<long long>(labels.geometry().size[2]), resolution_mm,
              parallel::maxThreads());
  const auto printMesh = [](const char* name, const tissue::LabelMesh& m, double s, double s1) {
    std::printf(
        "  \"%s\": {\"tets\": %zu, \"nodes\": %zu, \"time_s\": %.3f, \"time_1_thread_s\": %s, "
        "\"min_dihedral_deg\": %.2f, \"max_dihedral_deg\": %.2f, \"min_radius_ratio\": %.3f, "
        "\"mean_radius_ratio\": %.3f, \"inverted\": %zu, \"volume_ml\": %.2f, "
        "\"labelmap_volume_ml\": %.2f},\n",
        name, m.quality.elements, m.quality.nodes, s, s1 > 0 ? std::to_string(s1).c_str() : "null",
        m.quality.minDihedral_deg, m.quality.maxDihedral_deg, m.quality.minRadiusRatio,
        m.quality.meanRadiusRatio, m.quality.invertedElements, m.materials[0].meshVolume_mm3 / 1000,
        m.materials[0].labelVolume_mm3 / 1000);
  };
  printMesh("ours_brain", mesh, ours_s, oursOneThread_s);
  printMesh("ours_brain_ventricles_tumour", multi, multi_s, 0);

  if (runTetgen) {
    // TetGen meshes the outer surface of our brain mesh (closed and free of intersections by
    // construction, unlike a decimated marching-cubes surface), with our mean element volume as
    // its volume bound: the same domain at a similar count.
    const SurfaceMesh surface = outerSurface(mesh.model);
    // TetGen's volume bound is a maximum, and its quality refinement (radius-edge 1.414) adds
    // points near the surface: three times our mean volume gives it a count nearest ours.
    const double meanVolume_mm3 =
        3 * mesh.materials[0].meshVolume_mm3 / static_cast<double>(mesh.quality.elements);
    writeOff(surface, dir / "brain.off");
    char command[512];
    std::snprintf(command, sizeof command,
                  "cd '%s' && tetgen -pq1.414a%.3fNEF brain.off > tetgen.log 2>&1",
                  dir.string().c_str(), meanVolume_mm3);
    long tets = -1;
    const double tetgen_s = medianSeconds(repeat, [&] {
      if (std::system(command) != 0)
        std::fprintf(stderr, "tetgen failed: see %s\n", (dir / "tetgen.log").c_str());
    });
    std::ifstream log(dir / "tetgen.log");
    for (std::string line; std::getline(log, line);)
      if (line.find("Mesh tetrahedra:") != std::string::npos)
        tets = std::atol(line.c_str() + line.find(':') + 1);
    std::printf(
        "  \"tetgen\": {\"surface_triangles\": %zu, \"tets\": %ld, \"max_volume_mm3\": %.3f, "
        "\"time_s\": %.3f},\n  \"tetgen_over_ours\": %.2f, "
        "\"ours_tets_per_s_over_tetgen\": %.2f,\n",
        surface.triangles.size(), tets, meanVolume_mm3, tetgen_s, tetgen_s / ours_s,
        (static_cast<double>(mesh.quality.elements) / ours_s) /
            (static_cast<double>(tets) / tetgen_s));
  }
  std::printf("  \"done\": true\n}\n");
  return 0;
}
