#include "twinplan/segmentation/mesh_check.h"

#include <vtkCellArray.h>
#include <vtkCleanPolyData.h>
#include <vtkFillHolesFilter.h>
#include <vtkPoints.h>
#include <vtkPolyData.h>
#include <vtkPolyDataNormals.h>
#include <vtkSmartPointer.h>
#include <vtkTriangleFilter.h>

#include <Eigen/Geometry>
#include <algorithm>
#include <atomic>
#include <cmath>
#include <unordered_map>

#include "twinplan/core/error.h"
#include "twinplan/core/parallel.h"
#include "twinplan/segmentation/mesh_metrics.h"

namespace twinplan::segmentation {

namespace {

using V3 = Eigen::Vector3d;

V3 pointOf(const SurfaceMesh& mesh, std::uint32_t index) {
  const auto& p = mesh.points_lps[index];
  return V3(p[0], p[1], p[2]);
}

// Whether segment p->q crosses triangle (a, b, c) strictly inside both (Moeller-Trumbore).
bool segmentCrossesTriangle(const V3& p, const V3& q, const V3& a, const V3& b, const V3& c) {
  const V3 direction = q - p, e1 = b - a, e2 = c - a;
  const V3 h = direction.cross(e2);
  const double det = e1.dot(h);
  if (std::abs(det) < 1e-12 * e1.norm() * e2.norm() * direction.norm()) return false;  // parallel
  const double f = 1.0 / det;
  const V3 s = p - a;
  const double u = f * s.dot(h);
  if (u <= 0.0 || u >= 1.0) return false;
  const V3 qv = s.cross(e1);
  const double v = f * direction.dot(qv);
  if (v <= 0.0 || u + v >= 1.0) return false;
  const double t = f * e2.dot(qv);
  return t > 0.0 && t < 1.0;
}

bool trianglesCross(const SurfaceMesh& mesh, const std::array<std::uint32_t, 3>& s,
                    const std::array<std::uint32_t, 3>& t) {
  const V3 a[3] = {pointOf(mesh, s[0]), pointOf(mesh, s[1]), pointOf(mesh, s[2])};
  const V3 b[3] = {pointOf(mesh, t[0]), pointOf(mesh, t[1]), pointOf(mesh, t[2])};
  for (int e = 0; e < 3; ++e) {
    if (segmentCrossesTriangle(a[e], a[(e + 1) % 3], b[0], b[1], b[2])) return true;
    if (segmentCrossesTriangle(b[e], b[(e + 1) % 3], a[0], a[1], a[2])) return true;
  }
  return false;
}

bool shareCorner(const std::array<std::uint32_t, 3>& s, const std::array<std::uint32_t, 3>& t) {
  for (std::uint32_t x : s)
    if (x == t[0] || x == t[1] || x == t[2]) return true;
  return false;
}

std::size_t openEdgeCount(const SurfaceMesh& mesh) {
  std::unordered_map<std::uint64_t, int> uses;  // undirected edge -> triangles
  for (const auto& t : mesh.triangles)
    for (int e = 0; e < 3; ++e) {
      const std::uint32_t lo = std::min(t[e], t[(e + 1) % 3]), hi = std::max(t[e], t[(e + 1) % 3]);
      ++uses[std::uint64_t(lo) << 32 | hi];
    }
  return std::size_t(
      std::count_if(uses.begin(), uses.end(), [](const auto& u) { return u.second == 1; }));
}

// Candidate pairs: triangles whose bounding boxes touch a common cell of a uniform grid
// (cells of about the mean triangle size); each pair is tested once, by its lower triangle in
// its lowest shared cell.
std::size_t countCrossings(const SurfaceMesh& mesh, std::size_t limit, Progress& progress) {
  const std::size_t n = mesh.triangles.size();
  std::vector<V3> low(n), high(n);
  V3 all_low = V3::Constant(1e300), all_high = V3::Constant(-1e300);
  double size = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    const auto& t = mesh.triangles[i];
    low[i] = pointOf(mesh, t[0]).cwiseMin(pointOf(mesh, t[1])).cwiseMin(pointOf(mesh, t[2]));
    high[i] = pointOf(mesh, t[0]).cwiseMax(pointOf(mesh, t[1])).cwiseMax(pointOf(mesh, t[2]));
    all_low = all_low.cwiseMin(low[i]);
    all_high = all_high.cwiseMax(high[i]);
    size += (high[i] - low[i]).maxCoeff();
  }
  const double cell = std::max(2.0 * size / double(n), 1e-6);
  auto cellOf = [&](const V3& p) {
    return ((p - all_low) / cell).array().floor().cast<std::int64_t>().eval();
  };
  const Eigen::Array<std::int64_t, 3, 1> cells = cellOf(all_high) + 1;
  auto key = [&](std::int64_t i, std::int64_t j, std::int64_t k) {
    return (k * cells[1] + j) * cells[0] + i;
  };
  std::unordered_map<std::int64_t, std::vector<std::uint32_t>> grid;
  for (std::size_t t = 0; t < n; ++t) {
    const auto lo = cellOf(low[t]), hi = cellOf(high[t]);
    for (std::int64_t k = lo[2]; k <= hi[2]; ++k)
      for (std::int64_t j = lo[1]; j <= hi[1]; ++j)
        for (std::int64_t i = lo[0]; i <= hi[0]; ++i)
          grid[key(i, j, k)].push_back(std::uint32_t(t));
  }
  std::atomic<std::size_t> found{0};
  parallel::parallelFor(
      {0, n}, 1024,
      [&](parallel::IndexRange chunk) {
        for (std::size_t s = chunk.begin; s < chunk.end && found < limit; ++s) {
          const auto lo = cellOf(low[s]), hi = cellOf(high[s]);
          for (std::int64_t k = lo[2]; k <= hi[2]; ++k)
            for (std::int64_t j = lo[1]; j <= hi[1]; ++j)
              for (std::int64_t i = lo[0]; i <= hi[0]; ++i)
                for (std::uint32_t t : grid.at(key(i, j, k))) {
                  if (t <= s || shareCorner(mesh.triangles[s], mesh.triangles[t])) continue;
                  // Test the pair only in the first cell both boxes touch.
                  const auto first = cellOf(low[s].cwiseMax(low[t]));
                  if (first[0] != i || first[1] != j || first[2] != k) continue;
                  if ((low[t].array() > high[s].array()).any() ||
                      (low[s].array() > high[t].array()).any())
                    continue;
                  if (trianglesCross(mesh, mesh.triangles[s], mesh.triangles[t])) ++found;
                }
        }
      },
      progress, "Checking for self-intersections");
  return std::min<std::size_t>(found, limit);
}

vtkSmartPointer<vtkPolyData> polyDataOf(const SurfaceMesh& mesh) {
  auto points = vtkSmartPointer<vtkPoints>::New();
  for (const auto& p : mesh.points_lps) points->InsertNextPoint(p[0], p[1], p[2]);
  auto cells = vtkSmartPointer<vtkCellArray>::New();
  for (const auto& t : mesh.triangles) {
    const vtkIdType ids[3] = {t[0], t[1], t[2]};
    cells->InsertNextCell(3, ids);
  }
  auto poly = vtkSmartPointer<vtkPolyData>::New();
  poly->SetPoints(points);
  poly->SetPolys(cells);
  return poly;
}

}  // namespace

std::string MeshCheck::problems() const {
  std::string text;
  if (!closed)
    text += openEdges > 0 ? "it has holes (" + std::to_string(openEdges) + " open edges)"
                          : "it is not a closed, consistently oriented surface";
  if (selfIntersections > 0)
    text += (text.empty() ? "" : "; ") + std::string("it crosses itself (") +
            std::to_string(selfIntersections) + " pairs of triangles)";
  return text;
}

MeshCheck checkMesh(const SurfaceMesh& mesh, std::size_t limit, Progress& progress) {
  MeshCheck check;
  check.closed = isClosedManifold(mesh);
  check.openEdges = openEdgeCount(mesh);
  check.area_mm2 = surfaceArea_mm2(mesh);
  if (check.closed) check.volume_ml = enclosedVolume_ml(mesh);
  if (!mesh.triangles.empty()) check.selfIntersections = countCrossings(mesh, limit, progress);
  return check;
}

SurfaceMesh repairForPrinting(const SurfaceMesh& mesh) {
  auto clean = vtkSmartPointer<vtkCleanPolyData>::New();  // merges duplicate points
  clean->SetInputData(polyDataOf(mesh));
  clean->PointMergingOn();
  auto fill = vtkSmartPointer<vtkFillHolesFilter>::New();
  fill->SetInputConnection(clean->GetOutputPort());
  fill->SetHoleSize(1e12);  // any hole, whatever its size
  auto triangles = vtkSmartPointer<vtkTriangleFilter>::New();
  triangles->SetInputConnection(fill->GetOutputPort());
  auto orient = vtkSmartPointer<vtkPolyDataNormals>::New();
  orient->SetInputConnection(triangles->GetOutputPort());
  orient->ConsistencyOn();
  orient->AutoOrientNormalsOn();  // outwards, for a closed surface
  orient->SplittingOff();
  orient->ComputePointNormalsOn();
  orient->Update();
  vtkPolyData* poly = orient->GetOutput();

  SurfaceMesh repaired = mesh;
  repaired.points_lps.clear();
  repaired.triangles.clear();
  repaired.normals.clear();
  for (vtkIdType i = 0; i < poly->GetNumberOfPoints(); ++i) {
    double p[3];
    poly->GetPoint(i, p);
    repaired.points_lps.push_back({float(p[0]), float(p[1]), float(p[2])});
  }
  vtkCellArray* cells = poly->GetPolys();
  cells->InitTraversal();
  vtkIdType count = 0;
  const vtkIdType* ids = nullptr;
  while (cells->GetNextCell(count, ids))
    if (count == 3)
      repaired.triangles.push_back(
          {std::uint32_t(ids[0]), std::uint32_t(ids[1]), std::uint32_t(ids[2])});
  const MeshCheck check = checkMesh(repaired);
  if (!check.printable())
    throw Error(ErrorKind::InvalidInput,
                "The model \"" + mesh.name + "\" cannot be made printable: after repair " +
                    check.problems() + ". Smooth or re-segment it and build the model again.",
                mesh.name);
  return repaired;
}

}  // namespace twinplan::segmentation
