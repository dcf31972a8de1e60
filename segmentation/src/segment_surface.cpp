// Segment -> closed surface: 0/1 mask of the segment's bounding box, flying edges, windowed-sinc
// smoothing, quadric decimation, outward normals, then the box's frame -> patient LPS.
#include "twinplan/segmentation/segment_surface.h"

#include <vtkCallbackCommand.h>
#include <vtkCellArray.h>
#include <vtkCellArrayIterator.h>
#include <vtkDataArray.h>
#include <vtkDecimatePro.h>
#include <vtkFlyingEdges3D.h>
#include <vtkOutputWindow.h>
#include <vtkPointData.h>
#include <vtkPoints.h>
#include <vtkPolyData.h>
#include <vtkPolyDataAlgorithm.h>
#include <vtkPolyDataNormals.h>
#include <vtkQuadricDecimation.h>
#include <vtkSmartPointer.h>
#include <vtkWindowedSincPolyDataFilter.h>

#include <Eigen/Geometry>  // cross
#include <Eigen/LU>        // determinant
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "mesh_topology.h"
#include "twinplan/core/error.h"
#include "twinplan/core/image_volume.h"
#include "twinplan/core/parallel.h"
#include "twinplan/core/vtk_view.h"

namespace twinplan::segmentation {
namespace {

// Quadric decimation keeps a recognisable shape down to a few % of the triangles.
constexpr double kMaxReduction = 0.99;
// The voxel size the smoothing options are given for when they follow the voxel size.
constexpr double kSmoothingReferenceVoxel_mm = 1.0;
// The volume-keeping offset moves a surface by at most this fraction of the smallest spacing:
// beyond that the surface would no longer be the segment's (and could cross itself).
constexpr double kMaxVolumeOffset_voxels = 0.25;
// Meshing on blocks of voxels (surfaceOfMask): only when decimation would keep less than 1/16
// of the flying-edges triangles; blocks sized for about 8 times the cap; at most 8 voxels a
// block; the blocks' surface is used when it encloses the voxels' volume to 1 % before the
// volume-keeping offset.
constexpr double kCoarsenAboveTriangles = 16.0;
constexpr double kBlockTriangles = 8.0;
constexpr std::int64_t kMaxBlock = 8;
constexpr double kCoarseVolumeTolerance = 0.01;
// Pinched edges after topology-preserving decimation beyond which quadric decimation is not
// tried (decimated()). Measured: a ball capped at 1000 triangles, a 1-2 voxel shell and the
// full-size phantoms' models come out of vtkDecimatePro with 2 to 6 pinched edges, which quadric
// decimation then closes; the vessel trees of the 512x512x600 abdomen phantom with 84 (of 26 000
// triangles), and quadric decimation left 58, 13 and 17 pinched edges and holes at its three
// reductions, and the builder kept the undecimated surface after 12 s of CPU in them
// (docs/validation.md, "`model` speed").
constexpr std::size_t kMaxPinchesForQuadric = 16;

// The voxels of one label value: bounding box (inclusive) and count.
struct VoxelBox {
  Index3 lo{std::numeric_limits<std::int64_t>::max(), std::numeric_limits<std::int64_t>::max(),
            std::numeric_limits<std::int64_t>::max()};
  Index3 hi{-1, -1, -1};
  std::size_t voxels = 0;

  void add(std::int64_t i, std::int64_t j, std::int64_t k) {
    lo = {std::min(lo[0], i), std::min(lo[1], j), std::min(lo[2], k)};
    hi = {std::max(hi[0], i), std::max(hi[1], j), std::max(hi[2], k)};
    ++voxels;
  }
  void unite(const VoxelBox& other) {
    if (other.voxels == 0) return;
    for (int a = 0; a < 3; ++a)
      lo[a] = std::min(lo[a], other.lo[a]), hi[a] = std::max(hi[a], other.hi[a]);
    voxels += other.voxels;
  }
  double boxVoxels() const {
    return voxels == 0
               ? 0.0
               : static_cast<double>(hi[0] - lo[0] + 1) * static_cast<double>(hi[1] - lo[1] + 1) *
                     static_cast<double>(hi[2] - lo[2] + 1);
  }
};

void checkOptions(const SurfaceOptions& o) {
  auto bad = [](const std::string& what, const char* option) {
    throw Error(ErrorKind::InvalidInput, what, option);
  };
  if (o.smoothingIterations < 0 || o.smoothingIterations > 1000)
    bad("Surface smoothing iterations must be between 0 and 1000.", "smoothingIterations");
  if (!(o.passBand > 0.0 && o.passBand <= 2.0))
    bad("Surface smoothing pass band must be above 0 and at most 2.", "passBand");
  if (!(o.targetReduction >= 0.0 && o.targetReduction <= 0.95))
    bad("Surface decimation must remove between 0 and 95 % of the triangles (0 to 0.95).",
        "targetReduction");
}

void checkLayer(const LabelMap& labels, const Segment& segment) {
  if (segment.layer < 0 || segment.layer >= labels.layerCount())
    throw Error(ErrorKind::InvalidInput,
                "Segment '" + segment.name + "' is in label layer " +
                    std::to_string(segment.layer) + ", but the labelmap has " +
                    std::to_string(labels.layerCount()) + " layer(s).",
                segment.name);
}

// The box of every label value of one layer, indexed by value, in one pass over the layer,
// slices in parallel (core/parallel.h; boxes and counts combine in slice order).
std::vector<VoxelBox> boxesOfLayer(const LabelMap& labels, int layerIndex, Progress& progress) {
  const ImageGeometry& g = labels.geometry();
  const std::vector<std::uint16_t>& layer = labels.layer(layerIndex);
  using Boxes = std::vector<VoxelBox>;
  progress.check();
  Boxes boxes = parallel::parallelReduce(
      {0, static_cast<std::size_t>(g.size[2])}, 8, Boxes{},
      [&](parallel::IndexRange slices) {
        Boxes found;
        for (auto k = static_cast<std::int64_t>(slices.begin);
             k < static_cast<std::int64_t>(slices.end); ++k)
          for (std::int64_t j = 0; j < g.size[1]; ++j) {
            const std::uint16_t* row = &layer[g.linearIndex(0, j, k)];
            for (std::int64_t i = 0; i < g.size[0]; ++i) {
              const std::uint16_t value = row[i];
              if (value == 0) continue;
              if (value >= found.size()) found.resize(value + std::size_t{1});
              found[value].add(i, j, k);
            }
          }
        return found;
      },
      [](Boxes total, const Boxes& part) {
        if (part.size() > total.size()) total.resize(part.size());
        for (std::size_t value = 0; value < part.size(); ++value) total[value].unite(part[value]);
        return total;
      });
  // One pass over a layer is short (about 0.1 s at 512x512x600), so cancel is asked before
  // and after it and the loop reports nothing: the number of reports a surface makes stays
  // the same on every run, whichever thread finishes which slices.
  progress.check();
  progress.report(1.0, "Locating segments");
  return boxes;
}

// Where each listed segment lies; scans each layer that holds one of them once.
std::vector<VoxelBox> segmentBoxes(const LabelMap& labels, const std::vector<Segment>& segments,
                                   Progress& progress) {
  std::vector<std::vector<VoxelBox>> byLayer(static_cast<std::size_t>(labels.layerCount()));
  std::vector<bool> needed(byLayer.size(), false);
  for (const Segment& s : segments) needed[static_cast<std::size_t>(s.layer)] = true;
  for (std::size_t layer = 0; layer < byLayer.size(); ++layer) {
    if (!needed[layer]) continue;
    const auto share = subRange(progress, static_cast<double>(layer) / byLayer.size(),
                                static_cast<double>(layer + 1) / byLayer.size());
    byLayer[layer] = boxesOfLayer(labels, static_cast<int>(layer), *share);
  }
  std::vector<VoxelBox> boxes;
  for (const Segment& s : segments) {
    const auto& layerBoxes = byLayer[static_cast<std::size_t>(s.layer)];
    boxes.push_back(s.value < layerBoxes.size() ? layerBoxes[s.value] : VoxelBox{});
  }
  return boxes;
}

// The segment as a 0/1 mask of its box grown by one empty voxel on every side, so that the
// surface also closes where the segment touches the grid's border. The mask's own frame is
// axis-aligned with origin 0 at box corner lo - 1: smoothing and decimation then work in true
// millimetres, and the grid's direction and origin are applied once at the end.
ImageVolume paddedMask(const LabelMap& labels, const Segment& segment, const VoxelBox& box) {
  const ImageGeometry& g = labels.geometry();
  ImageGeometry local;
  for (int a = 0; a < 3; ++a) local.size[a] = box.hi[a] - box.lo[a] + 3;
  local.spacing_mm = g.spacing_mm;
  ImageVolume mask(local, PixelType::UInt8);
  const auto out = mask.voxels<std::uint8_t>();
  const std::vector<std::uint16_t>& layer = labels.layer(segment.layer);
  const std::int64_t rowLength = box.hi[0] - box.lo[0] + 1;
  for (std::int64_t k = box.lo[2]; k <= box.hi[2]; ++k)
    for (std::int64_t j = box.lo[1]; j <= box.hi[1]; ++j) {
      const std::uint16_t* from = layer.data() + g.linearIndex(box.lo[0], j, k);
      std::uint8_t* to = out.data() + local.linearIndex(1, j - box.lo[1] + 1, k - box.lo[2] + 1);
      for (std::int64_t i = 0; i < rowLength; ++i) to[i] = from[i] == segment.value ? 1 : 0;
    }
  return mask;
}

// Forwards a VTK filter's progress to our sink and aborts the filter on cancel. VTK may call
// it from its worker threads; only the calling thread reports (sinks are not thread-safe).
struct FilterProgress {
  Progress* progress;
  const char* step;
  std::thread::id caller;

  static void onEvent(vtkObject* filter, unsigned long, void* self, void* fraction) {
    const auto& me = *static_cast<FilterProgress*>(self);
    if (std::this_thread::get_id() != me.caller) return;
    me.progress->report(*static_cast<double*>(fraction), me.step);
    if (me.progress->cancelRequested()) static_cast<vtkAlgorithm*>(filter)->AbortExecuteOn();
  }
};

// Runs one filter on `input`; throws Cancelled when cancelled during or before it.
vtkSmartPointer<vtkPolyData> run(vtkPolyDataAlgorithm* filter, vtkDataObject* input,
                                 Progress& progress, const char* step) {
  progress.check();
  FilterProgress forward{&progress, step, std::this_thread::get_id()};
  const auto observer = vtkSmartPointer<vtkCallbackCommand>::New();
  observer->SetCallback(&FilterProgress::onEvent);
  observer->SetClientData(&forward);
  filter->AddObserver(vtkCommand::ProgressEvent, observer);
  filter->SetInputData(input);
  filter->Update();
  filter->RemoveObserver(observer);
  progress.check();
  progress.report(1.0, step);
  // Our own copy, so the result outlives the filter and its pipeline.
  auto output = vtkSmartPointer<vtkPolyData>::New();
  output->ShallowCopy(filter->GetOutput());
  return output;
}

// The surface's triangles as point indices; Error(Internal) for any other polygon.
std::vector<std::array<std::uint32_t, 3>> trianglesOf(vtkPolyData* surface) {
  std::vector<std::array<std::uint32_t, 3>> triangles;
  triangles.reserve(static_cast<std::size_t>(surface->GetNumberOfPolys()));
  const auto cell = vtk::TakeSmartPointer(surface->GetPolys()->NewIterator());
  for (cell->GoToFirstCell(); !cell->IsDoneWithTraversal(); cell->GoToNextCell()) {
    vtkIdList* ids = cell->GetCurrentCell();
    if (ids->GetNumberOfIds() != 3)
      throw Error(ErrorKind::Internal, "A segment surface has a polygon that is not a triangle.");
    triangles.push_back({static_cast<std::uint32_t>(ids->GetId(0)),
                         static_cast<std::uint32_t>(ids->GetId(1)),
                         static_cast<std::uint32_t>(ids->GetId(2))});
  }
  return triangles;
}

bool isClosed(vtkPolyData* surface) {
  return detail::isClosedManifold(trianglesOf(surface),
                                  static_cast<std::size_t>(surface->GetNumberOfPoints()));
}

std::optional<std::size_t> pinchedEdges(vtkPolyData* surface) {
  return detail::pinchedEdges(trianglesOf(surface),
                              static_cast<std::size_t>(surface->GetNumberOfPoints()));
}

// Six times the signed volume enclosed: positive when the triangles face outwards.
double signedVolume(vtkPolyData* surface) {
  double sum = 0.0, a[3], b[3], c[3];
  const auto cell = vtk::TakeSmartPointer(surface->GetPolys()->NewIterator());
  for (cell->GoToFirstCell(); !cell->IsDoneWithTraversal(); cell->GoToNextCell()) {
    vtkIdList* ids = cell->GetCurrentCell();
    if (ids->GetNumberOfIds() != 3) continue;
    surface->GetPoint(ids->GetId(0), a);
    surface->GetPoint(ids->GetId(1), b);
    surface->GetPoint(ids->GetId(2), c);
    sum += a[0] * (b[1] * c[2] - b[2] * c[1]) - a[1] * (b[0] * c[2] - b[2] * c[0]) +
           a[2] * (b[0] * c[1] - b[1] * c[0]);
  }
  return sum;
}

double reductionFor(vtkIdType triangles, const SurfaceOptions& o) {
  double reduction = o.targetReduction;
  const auto count = static_cast<std::size_t>(triangles);
  if (o.maxTriangles > 0 && count > o.maxTriangles)
    reduction =
        std::max(reduction, 1.0 - static_cast<double>(o.maxTriangles) / static_cast<double>(count));
  return std::min(reduction, kMaxReduction);
}

struct SmoothingSettings {
  int iterations = 0;
  double passBand = 0.0;
};

// The windowed-sinc settings for a grid of `spacing_mm`
// (SurfaceOptions::smoothingFollowsVoxelSize). The filter's pass band is a frequency of the mesh
// graph, so a fixed one stops a fixed number of edges: on a finer grid the staircase's terraces
// span more edges and pass. Scaling the band with h and the iterations (the filter's reach) with 1
// / sqrt(h) keeps cutting the terraces (about sqrt(2 r h) mm, i.e. sqrt(2 r / h) edges) while
// leaving the shape's own, much longer wavelengths alone.
SmoothingSettings smoothingFor(const SurfaceOptions& o, const Vec3& spacing_mm) {
  if (!o.smoothingFollowsVoxelSize || o.smoothingIterations == 0)
    return {o.smoothingIterations, o.passBand};
  const double h = std::cbrt(spacing_mm.prod()) / kSmoothingReferenceVoxel_mm;
  const long iterations = std::lround(o.smoothingIterations / std::sqrt(h));
  return {static_cast<int>(std::clamp(iterations, 1L, 1000L)), std::min(2.0, o.passBand * h)};
}

// Enclosed volume (mm3, positive for outward triangles) and area (mm2) of a triangle surface.
std::pair<double, double> volumeAndArea(vtkPolyData& surface) {
  double volume6 = 0.0, area2 = 0.0;
  double a[3], b[3], c[3];
  const auto cell = vtk::TakeSmartPointer(surface.GetPolys()->NewIterator());
  for (cell->GoToFirstCell(); !cell->IsDoneWithTraversal(); cell->GoToNextCell()) {
    vtkIdList* ids = cell->GetCurrentCell();
    if (ids->GetNumberOfIds() != 3) continue;
    surface.GetPoint(ids->GetId(0), a);
    surface.GetPoint(ids->GetId(1), b);
    surface.GetPoint(ids->GetId(2), c);
    const Vec3 pa(a[0], a[1], a[2]), pb(b[0], b[1], b[2]), pc(c[0], c[1], c[2]);
    volume6 += pa.dot(pb.cross(pc));
    area2 += (pb - pa).cross(pc - pa).norm();
  }
  return {volume6 / 6.0, area2 / 2.0};
}

// SurfaceOptions::keepVoxelVolume: moving every point by d along its unit normal changes the
// enclosed volume by A d to first order, so d = (target - V) / A; a second step takes up the
// curvature term (A itself changes with d). Normals stay valid: a uniform offset of a smooth
// surface does not turn it.
void keepVolume(vtkPolyData& surface, double target_mm3, const Vec3& spacing_mm) {
  vtkDataArray* normals = surface.GetPointData()->GetNormals();
  vtkPoints* points = surface.GetPoints();
  if (normals == nullptr || points == nullptr || target_mm3 <= 0.0) return;
  const double limit_mm = kMaxVolumeOffset_voxels * spacing_mm.minCoeff();
  double moved_mm = 0.0;
  for (int step = 0; step < 2; ++step) {
    const auto [volume_mm3, area_mm2] = volumeAndArea(surface);
    if (!(area_mm2 > 0.0)) return;
    const double d_mm =
        std::clamp(moved_mm + (target_mm3 - volume_mm3) / area_mm2, -limit_mm, limit_mm) - moved_mm;
    moved_mm += d_mm;
    double p[3], n[3];
    for (vtkIdType id = 0; id < points->GetNumberOfPoints(); ++id) {
      points->GetPoint(id, p);
      normals->GetTuple(id, n);
      points->SetPoint(id, p[0] + d_mm * n[0], p[1] + d_mm * n[1], p[2] + d_mm * n[2]);
    }
    points->Modified();
  }
}

// Topology-preserving decimation (vtkDecimatePro: Schroeder, Zarge & Lorensen, SIGGRAPH 1992,
// with PreserveTopology, no splitting): it never opens or pinches a closed surface and takes
// 1-2 s where quadric decimation took 14-30 s on the abdomen phantom's body (255 000 -> 20 000
// triangles; docs/benchmarks.md, "Anatomy models"). It may stop short of the requested
// reduction where removing more would change the topology (thin shells such as cortical bone).
vtkSmartPointer<vtkPolyData> topologyPreservingDecimation(vtkPolyData* surface, double reduction,
                                                          Progress& progress) {
  const auto decimate = vtkSmartPointer<vtkDecimatePro>::New();
  decimate->SetTargetReduction(reduction);
  decimate->PreserveTopologyOn();
  decimate->SplittingOff();
  decimate->BoundaryVertexDeletionOff();  // a closed surface has none; an open one keeps its rim
  return run(decimate, surface, progress, "Simplifying the surface");
}

// Decimation, kept only when the surface stays closed. Topology-preserving decimation first;
// should its result still not be closed, quadric decimation (Garland & Heckbert, SIGGRAPH 1997),
// which at high reductions can collapse thin walls (skin, fat and muscle shells) into
// non-manifold edges: such a surface is decimated again with half the reduction, twice, and is
// otherwise left as it was. Not when the topology-preserving result is watertight but pinched
// (two sheets meeting along an edge) in more than kMaxPinchesForQuadric places: then the shape
// itself has sheets closer than the decimation error, and quadric decimation, which guards no
// topology, pinches there too.
vtkSmartPointer<vtkPolyData> decimated(vtkPolyData* surface, double reduction, Progress& progress) {
  if (reduction <= 0.0) return surface;
  vtkSmartPointer<vtkPolyData> result =
      topologyPreservingDecimation(surface, reduction, *subRange(progress, 0.0, 0.5));
  if (isClosed(result)) {
    progress.report(1.0, "Simplifying the surface");
    return result;
  }
  const std::optional<std::size_t> pinches = pinchedEdges(result);
  if (pinches && *pinches > kMaxPinchesForQuadric) {
    progress.report(1.0, "Simplifying the surface");
    return surface;
  }
  auto quadric = subRange(progress, 0.5, 1.0);
  for (int attempt = 0; attempt < 3 && reduction > 0.0; ++attempt, reduction /= 2.0) {
    const auto decimate = vtkSmartPointer<vtkQuadricDecimation>::New();
    decimate->SetTargetReduction(reduction);
    decimate->VolumePreservationOn();  // keeps measured volumes honest after decimation
    // Attempt n takes the n-th half of what is left of this stage's progress range.
    const double from = 1.0 - std::pow(0.5, attempt), to = 1.0 - std::pow(0.5, attempt + 1);
    result = run(decimate, surface, *subRange(*quadric, from, to), "Simplifying the surface");
    if (isClosed(result)) return result;
  }
  progress.report(1.0, "Simplifying the surface");
  return surface;
}

// Flying edges (Schroeder et al., IEEE LDAV 2015) at 0.5 on the 0/1 mask (or on a block
// average of it): the marching-cubes surface halfway between inside and outside voxel centres,
// watertight, consistently wound.
vtkSmartPointer<vtkPolyData> extractSurface(const ImageVolume& mask, Progress& progress) {
  const auto contour = vtkSmartPointer<vtkFlyingEdges3D>::New();
  contour->SetValue(0, 0.5);
  contour->ComputeNormalsOff();  // gradients of a 0/1 mask are poor; normals come last
  contour->ComputeGradientsOff();
  contour->ComputeScalarsOff();
  vtkSmartPointer<vtkPolyData> surface =
      run(contour, asVtkImage(mask), progress, "Extracting the surface");
  if (surface->GetNumberOfPolys() == 0)
    throw Error(ErrorKind::Internal, "Flying edges produced no surface for a non-empty mask.");
  return surface;
}

// Smoothed (for voxels of `spacing_mm`), decimated, with outward point normals.
vtkSmartPointer<vtkPolyData> finishSurface(vtkSmartPointer<vtkPolyData> surface,
                                           const Vec3& spacing_mm, const SurfaceOptions& o,
                                           Progress& progress) {
  const SmoothingSettings smoothing = smoothingFor(o, spacing_mm);
  if (smoothing.iterations > 0) {
    const auto smoother = vtkSmartPointer<vtkWindowedSincPolyDataFilter>::New();
    smoother->SetNumberOfIterations(smoothing.iterations);
    smoother->SetPassBand(smoothing.passBand);
    smoother->NormalizeCoordinatesOn();  // the pass band then means the same for any size
    smoother->FeatureEdgeSmoothingOff();
    smoother->BoundarySmoothingOff();  // a closed surface has no boundary to pin
    surface = run(smoother, surface, *subRange(progress, 0.0, 0.5), "Smoothing the surface");
  }

  surface = decimated(surface, reductionFor(surface->GetNumberOfPolys(), o),
                      *subRange(progress, 0.5, 0.9));

  // Flying edges winds every component the same way, cavities included, so one global sign
  // decides the orientation. (AutoOrientNormals would turn each component to face away from
  // its leftmost point, which turns cavities, such as vessels through an organ, inside out.)
  const auto normals = vtkSmartPointer<vtkPolyDataNormals>::New();
  normals->ConsistencyOn();
  normals->AutoOrientNormalsOff();
  normals->SetFlipNormals(signedVolume(surface) < 0.0);
  normals->SplittingOff();  // one normal per point, shared by its triangles: smooth shading
  normals->ComputePointNormalsOn();
  normals->ComputeCellNormalsOff();
  return run(normals, surface, *subRange(progress, 0.9, 1.0), "Computing normals");
}

// Voxels per block along each axis for meshing a surface of `triangles` flying-edges
// triangles (on voxels of `spacing_mm`) that will be decimated to `o.maxTriangles`; {1, 1, 1}
// when it is not worth it. Flying edges gives about two triangles per voxel face, so blocks of
// b voxels give about b^2 fewer; the blocks aim at kBlockTriangles times the cap, which
// decimation still has to work on, and are about cubic in mm.
std::array<std::int64_t, 3> meshingBlocks(vtkIdType triangles, const Vec3& spacing_mm,
                                          const SurfaceOptions& o) {
  const std::array<std::int64_t, 3> none{1, 1, 1};
  if (o.maxTriangles == 0) return none;
  const double ratio = static_cast<double>(triangles) / static_cast<double>(o.maxTriangles);
  if (ratio < kCoarsenAboveTriangles) return none;
  const double block_mm = spacing_mm.minCoeff() * std::sqrt(ratio / kBlockTriangles);
  std::array<std::int64_t, 3> blocks{};
  for (int a = 0; a < 3; ++a)
    blocks[static_cast<std::size_t>(a)] =
        std::clamp<std::int64_t>(std::lround(block_mm / spacing_mm[a]), 1, kMaxBlock);
  return blocks;
}

// The padded 0/1 mask averaged over blocks of `blocks` voxels (the fraction of each block
// inside, float), in the same frame: block I holds mask voxels I*b - b + 1 .. I*b, so the first
// and last blocks are empty and the surface still closes; its centre lies at
// (I*b - (b - 1) / 2) voxels.
ImageVolume blockAverage(const ImageVolume& mask, const std::array<std::int64_t, 3>& blocks) {
  const ImageGeometry& fine = mask.geometry();
  ImageGeometry coarse;
  for (int a = 0; a < 3; ++a) {
    const std::int64_t b = blocks[static_cast<std::size_t>(a)];
    coarse.size[a] = (fine.size[a] - 1 + b - 1) / b + 2;
    coarse.spacing_mm[a] = fine.spacing_mm[a] * static_cast<double>(b);
    coarse.origin_lps[a] = -0.5 * static_cast<double>(b - 1) * fine.spacing_mm[a];
  }
  ImageVolume average(coarse, PixelType::Float32);
  const auto in = mask.voxels<std::uint8_t>();
  const auto out = average.voxels<float>();
  const float share = 1.0f / static_cast<float>(blocks[0] * blocks[1] * blocks[2]);
  // Each coarse slice reads its own fine slices and writes only itself: slices in parallel.
  parallel::parallelFor({0, static_cast<std::size_t>(coarse.size[2])}, 1,
                        [&](parallel::IndexRange slices) {
                          for (std::size_t kc = slices.begin; kc < slices.end; ++kc)
                            for (std::int64_t jc = 0; jc < coarse.size[1]; ++jc)
                              for (std::int64_t ic = 0; ic < coarse.size[0]; ++ic) {
                                std::int64_t inside = 0;
                                const std::array<std::int64_t, 3> first{
                                    ic * blocks[0] - blocks[0] + 1, jc * blocks[1] - blocks[1] + 1,
                                    static_cast<std::int64_t>(kc) * blocks[2] - blocks[2] + 1};
                                for (std::int64_t k = std::max<std::int64_t>(first[2], 0);
                                     k < std::min(first[2] + blocks[2], fine.size[2]); ++k)
                                  for (std::int64_t j = std::max<std::int64_t>(first[1], 0);
                                       j < std::min(first[1] + blocks[1], fine.size[1]); ++j)
                                    for (std::int64_t i = std::max<std::int64_t>(first[0], 0);
                                         i < std::min(first[0] + blocks[0], fine.size[0]); ++i)
                                      inside += in[fine.linearIndex(i, j, k)];
                                out[coarse.linearIndex(ic, jc, static_cast<std::int64_t>(kc))] =
                                    static_cast<float>(inside) * share;
                              }
                        });
  return average;
}

// The surface in the mask's frame (mm), smoothed, decimated, with outward point normals, and
// (keepVoxelVolume) enclosing `voxelVolume_mm3`. A surface that will be decimated to a small
// fraction of its flying-edges triangles is meshed on blocks of voxels instead (their
// partial-volume average at 0.5), which keeps a bulky segment's volume to first order and cuts
// smoothing and decimation several-fold (a 512x512x600 body: ~1.8 million triangles for 20 000
// kept); it is used only when its volume is within kCoarseVolumeTolerance of the voxels', so
// structures thinner than a block (cortex, skin) are meshed at full resolution.
vtkSmartPointer<vtkPolyData> surfaceOfMask(ImageVolume& mask, double voxelVolume_mm3,
                                           const SurfaceOptions& o, Progress& progress) {
  vtkSmartPointer<vtkPolyData> surface = extractSurface(mask, *subRange(progress, 0.0, 0.2));
  const std::array<std::int64_t, 3> blocks =
      meshingBlocks(surface->GetNumberOfPolys(), mask.geometry().spacing_mm, o);
  if (blocks != std::array<std::int64_t, 3>{1, 1, 1}) {
    const ImageVolume average = blockAverage(mask, blocks);
    vtkSmartPointer<vtkPolyData> coarse =
        finishSurface(extractSurface(average, noProgress()), average.geometry().spacing_mm, o,
                      *subRange(progress, 0.2, 0.5));
    const double volume_mm3 = std::abs(signedVolume(coarse)) / 6.0;
    if (std::abs(volume_mm3 / voxelVolume_mm3 - 1.0) <= kCoarseVolumeTolerance &&
        isClosed(coarse)) {
      if (o.keepVoxelVolume) keepVolume(*coarse, voxelVolume_mm3, average.geometry().spacing_mm);
      progress.report(1.0, "Surface built");
      return coarse;
    }
  }
  surface = finishSurface(surface, mask.geometry().spacing_mm, o, *subRange(progress, 0.5, 1.0));
  if (o.keepVoxelVolume) keepVolume(*surface, voxelVolume_mm3, mask.geometry().spacing_mm);
  return surface;
}

// Copies the surface from the mask's frame into LPS: p_lps = corner_lps + direction * p_mask,
// where corner_lps is the centre of voxel lo - 1 (the mask's origin).
SurfaceMesh toLps(vtkPolyData* surface, const ImageGeometry& g, const VoxelBox& box,
                  const Segment& segment) {
  SurfaceMesh mesh;
  mesh.name = mesh.segmentName = segment.name;
  mesh.colour = segment.colour;
  const Vec3 corner_lps =
      g.indexToLps(Vec3(static_cast<double>(box.lo[0] - 1), static_cast<double>(box.lo[1] - 1),
                        static_cast<double>(box.lo[2] - 1)));
  vtkDataArray* normals = surface->GetPointData()->GetNormals();
  const vtkIdType pointCount = surface->GetNumberOfPoints();
  mesh.points_lps.reserve(static_cast<std::size_t>(pointCount));
  mesh.normals.reserve(static_cast<std::size_t>(pointCount));
  double p[3];
  for (vtkIdType id = 0; id < pointCount; ++id) {
    surface->GetPoint(id, p);
    const Vec3 p_lps = corner_lps + g.direction * Vec3(p[0], p[1], p[2]);
    mesh.points_lps.push_back(
        {static_cast<float>(p_lps[0]), static_cast<float>(p_lps[1]), static_cast<float>(p_lps[2])});
    const double* n = normals->GetTuple3(id);
    const Vec3 n_lps = (g.direction * Vec3(n[0], n[1], n[2])).normalized();
    mesh.normals.push_back(
        {static_cast<float>(n_lps[0]), static_cast<float>(n_lps[1]), static_cast<float>(n_lps[2])});
  }
  // A left-handed grid (determinant -1) mirrors the surface, which reverses its winding.
  const bool mirrored = g.direction.determinant() < 0.0;
  mesh.triangles = trianglesOf(surface);
  if (mirrored)
    for (auto& t : mesh.triangles) std::swap(t[1], t[2]);
  return mesh;
}

SurfaceMesh surfaceOf(const LabelMap& labels, const Segment& segment, const VoxelBox& box,
                      const SurfaceOptions& options, Progress& progress) {
  ImageVolume mask = paddedMask(labels, segment, box);
  progress.check();
  const double voxelVolume_mm3 =
      static_cast<double>(box.voxels) * labels.geometry().spacing_mm.prod();
  const vtkSmartPointer<vtkPolyData> surface =
      surfaceOfMask(mask, voxelVolume_mm3, options, progress);
  return toLps(surface, labels.geometry(), box, segment);
}

// The segments that have voxels, with their boxes and shares of the progress bar.
struct SegmentJobs {
  const LabelMap& labels;
  const SurfaceOptions& options;
  std::vector<Segment> segments;
  std::vector<VoxelBox> boxes;
  std::vector<double> shares;  // sum to 1

  std::size_t size() const { return segments.size(); }
  SurfaceMesh build(std::size_t job, Progress& progress) const {
    return surfaceOf(labels, segments[job], boxes[job], options, progress);
  }
};

// Every segment on the parallel layer (core/parallel.h), one chunk per segment, largest box
// first (thin shells such as skin take longest) so that no big segment is left to run alone at
// the end. Each segment runs through its own VTK pipeline, reads only the const labelmap and
// writes only its own mesh, so a mesh does not depend on which thread built it or when; meshes
// are returned in segment order. A single thread builds them all on the calling thread.
std::vector<SurfaceMesh> buildAll(const SegmentJobs& jobs, Progress& progress) {
  // VTK creates its object-factory registry and output window on first use, unguarded: do that
  // here, before any worker can race for it.
  vtkSmartPointer<vtkPoints>::New();
  vtkOutputWindow::GetInstance();

  const std::size_t count = jobs.size();
  std::vector<std::size_t> order(count);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return jobs.boxes[a].boxVoxels() > jobs.boxes[b].boxVoxels();
  });
  std::vector<double> costs(count);
  for (std::size_t n = 0; n < count; ++n) costs[n] = jobs.shares[order[n]];

  std::vector<SurfaceMesh> meshes(count);
  parallel::forEachChunk(
      {0, count}, {1, "Building surfaces", costs},
      [&](parallel::IndexRange chunk, Progress& segmentProgress) {
        const std::size_t job = order[chunk.begin];
        meshes[job] = jobs.build(job, segmentProgress);
      },
      progress);
  return meshes;
}

}  // namespace

SurfaceMesh buildSurface(const LabelMap& labels, const Segment& segment,
                         const SurfaceOptions& options, Progress& progress) {
  checkOptions(options);
  checkLayer(labels, segment);
  const VoxelBox box = segmentBoxes(labels, {segment}, *subRange(progress, 0.0, 0.1)).front();
  if (box.voxels == 0)
    throw Error(ErrorKind::InvalidInput,
                "Segment '" + segment.name +
                    "' has no voxels, so it has no surface; paint it or choose another segment.",
                segment.name);
  return surfaceOf(labels, segment, box, options, *subRange(progress, 0.1, 1.0));
}

std::vector<SurfaceMesh> buildSurfaces(const LabelMap& labels, const SurfaceOptions& options,
                                       Progress& progress) {
  std::vector<std::size_t> all(labels.segments().size());
  for (std::size_t s = 0; s < all.size(); ++s) all[s] = s;
  return buildSurfaces(labels, all, options, progress);
}

std::vector<SurfaceMesh> buildSurfaces(const LabelMap& labels,
                                       const std::vector<std::size_t>& segmentIndices,
                                       const SurfaceOptions& options, Progress& progress) {
  checkOptions(options);
  std::vector<Segment> segments;
  for (std::size_t index : segmentIndices) {
    if (index >= labels.segments().size())
      throw Error(ErrorKind::InvalidInput,
                  "There is no segment " + std::to_string(index) + " in labelmap '" + labels.name +
                      "' (it has " + std::to_string(labels.segments().size()) + ").",
                  labels.name);
    segments.push_back(labels.segments()[index]);
    checkLayer(labels, segments.back());
  }
  const std::vector<VoxelBox> boxes = segmentBoxes(labels, segments, *subRange(progress, 0.0, 0.1));
  SegmentJobs jobs{labels, options, {}, {}, {}};
  for (std::size_t s = 0; s < segments.size(); ++s) {
    if (boxes[s].voxels == 0) continue;
    jobs.segments.push_back(segments[s]);
    jobs.boxes.push_back(boxes[s]);
  }
  // Each segment's share of the progress bar follows the size of its box (mask and surface).
  double total = 0.0;
  for (const VoxelBox& box : jobs.boxes) total += box.boxVoxels();
  for (const VoxelBox& box : jobs.boxes) jobs.shares.push_back(box.boxVoxels() / total);

  std::vector<SurfaceMesh> meshes = buildAll(jobs, *subRange(progress, 0.1, 1.0));
  progress.report(1.0, "Surfaces built");
  return meshes;
}

}  // namespace twinplan::segmentation
