// twinplan-segmentation-bench: the segment editing tools (segmentation/morphology.h,
// label_ops.h, segment_edit.h) on a 512x512x300 grid, against ITK 5.2's filters for the same
// job in the same run (docs/benchmarks.md, "Segmentation tools"). Prints a Markdown table: the
// median wall time of RUNS runs (default 3), ours (with its process CPU time, all threads)
// and ITK's, their ratio, and how many voxels the two results differ in. PEER=0 leaves ITK out.
//   grid:    512 x 512 x 300, 0.78 x 0.78 x 1.0 mm (an abdominal CT).
//   segment: a liver-sized ellipsoid (semi-axes 80 x 60 x 70 mm, 1.4 L) with a 12 mm hole and
//            40 specks of 1-27 voxels around it; "body": an ellipsoid of 170 x 120 x 140 mm
//            semi-axes (12 L) for the largest-segment case of grow.
// ITK peers: SignedMaurerDistanceMapImageFilter (image spacing, outside positive) thresholded
// at the margin (what 3D Slicer's margin tools do), ConnectedComponentImageFilter (fully
// connected) + RelabelComponentImageFilter, BinaryFillholeImageFilter, the same threads.
#include <itkBinaryFillholeImageFilter.h>
#include <itkConnectedComponentImageFilter.h>
#include <itkImage.h>
#include <itkImportImageContainer.h>
#include <itkMultiThreaderBase.h>
#include <itkRelabelComponentImageFilter.h>
#include <itkSignedMaurerDistanceMapImageFilter.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "twinplan/core/case.h"
#include "twinplan/core/parallel.h"
#include "twinplan/segmentation/segment_edit.h"

namespace {

using namespace twinplan;
using namespace twinplan::segmentation;
using Clock = std::chrono::steady_clock;
using MaskImage = itk::Image<std::uint8_t, 3>;

int runs() {
  const char* text = std::getenv("RUNS");
  return text ? std::max(1, std::atoi(text)) : 3;
}

// PEER=0 leaves ITK out (ITK's distance map takes most of the run's time).
bool withPeer() {
  const char* text = std::getenv("PEER");
  return !text || std::string(text) != "0";
}

// CPU seconds of the last tool timed (process CPU time, all threads), median run.
double gLastCpu_s = 0.0;

double medianSeconds(const std::function<void()>& work) {
  std::vector<std::pair<double, double>> times;  // wall, CPU
  for (int n = 0; n < runs(); ++n) {
    const auto start = Clock::now();
    const std::clock_t cpuStart = std::clock();
    work();
    times.emplace_back(std::chrono::duration<double>(Clock::now() - start).count(),
                       static_cast<double>(std::clock() - cpuStart) / CLOCKS_PER_SEC);
  }
  std::sort(times.begin(), times.end());
  gLastCpu_s = times[times.size() / 2].second;
  return times[times.size() / 2].first;
}

ImageGeometry benchGrid() {
  ImageGeometry g;
  g.size = {512, 512, 300};
  g.spacing_mm = Vec3(0.78, 0.78, 1.0);
  g.origin_lps = Vec3(-200, -200, -150);
  return g;
}

BinaryMask ellipsoid(const ImageGeometry& g, const Vec3& semiAxes_mm, double hole_mm) {
  BinaryMask m(g);
  const Vec3 c = g.indexToLps(Vec3(255.5, 255.5, 149.5));
  parallel::parallelFor({0, static_cast<std::size_t>(g.size[2])}, 1, [&](parallel::IndexRange r) {
    for (auto k = static_cast<std::int64_t>(r.begin); k < static_cast<std::int64_t>(r.end); ++k)
      for (std::int64_t j = 0; j < g.size[1]; ++j)
        for (std::int64_t i = 0; i < g.size[0]; ++i) {
          const Vec3 p = g.indexToLps(Vec3(static_cast<double>(i), static_cast<double>(j),
                                           static_cast<double>(k))) -
                         c;
          const bool in = p.cwiseQuotient(semiAxes_mm).squaredNorm() <= 1.0;
          m.voxels[g.linearIndex(i, j, k)] = in && p.norm() > hole_mm;
        }
  });
  return m;
}

BinaryMask liver(const ImageGeometry& g) {
  BinaryMask m = ellipsoid(g, Vec3(80, 60, 70), 12.0);
  std::mt19937 random(3);
  for (int n = 0; n < 40; ++n) {
    const std::int64_t i = 20 + random() % 470, j = 20 + random() % 60, k = 20 + random() % 260;
    const int side = 1 + static_cast<int>(random() % 3);
    for (int z = 0; z < side; ++z)
      for (int y = 0; y < side; ++y)
        for (int x = 0; x < side; ++x) m.voxels[g.linearIndex(i + x, j + y, k + z)] = 1;
  }
  return m;
}

MaskImage::Pointer itkView(BinaryMask& m) {
  auto image = MaskImage::New();
  MaskImage::RegionType region;
  MaskImage::SpacingType spacing;
  for (unsigned a = 0; a < 3; ++a) {
    region.SetSize(a, static_cast<itk::SizeValueType>(m.geometry.size[a]));
    spacing[a] = m.geometry.spacing_mm[a];
  }
  image->SetRegions(region);
  image->SetSpacing(spacing);
  auto container = itk::ImportImageContainer<itk::SizeValueType, std::uint8_t>::New();
  container->SetImportPointer(m.voxels.data(), m.voxels.size(), false);
  image->SetPixelContainer(container);
  return image;
}

std::size_t differing(const BinaryMask& a, const std::vector<std::uint8_t>& b) {
  std::size_t n = 0;
  for (std::size_t v = 0; v < b.size(); ++v) n += (a.voxels[v] != 0) != (b[v] != 0);
  return n;
}

std::vector<std::uint8_t> itkGrow(BinaryMask& m, double margin_mm) {
  using Distance = itk::SignedMaurerDistanceMapImageFilter<MaskImage, itk::Image<float, 3>>;
  auto filter = Distance::New();
  filter->SetInput(itkView(m));
  filter->SetUseImageSpacing(true);
  filter->SetSquaredDistance(false);
  filter->SetInsideIsPositive(false);
  filter->SetBackgroundValue(0);
  filter->Update();
  const float* d = filter->GetOutput()->GetBufferPointer();
  std::vector<std::uint8_t> out(m.voxels.size());
  for (std::size_t v = 0; v < out.size(); ++v)
    out[v] = m.voxels[v] || d[v] <= margin_mm * (1 + 1e-6);
  return out;
}

std::vector<std::uint8_t> itkLargestIsland(BinaryMask& m) {
  using Labels = itk::Image<std::uint32_t, 3>;
  auto components = itk::ConnectedComponentImageFilter<MaskImage, Labels>::New();
  components->SetInput(itkView(m));
  components->SetFullyConnected(true);
  auto relabel = itk::RelabelComponentImageFilter<Labels, Labels>::New();
  relabel->SetInput(components->GetOutput());
  relabel->Update();
  const std::uint32_t* label = relabel->GetOutput()->GetBufferPointer();
  std::vector<std::uint8_t> out(m.voxels.size());
  for (std::size_t v = 0; v < out.size(); ++v) out[v] = label[v] == 1;
  return out;
}

std::vector<std::uint8_t> itkFillHoles(BinaryMask& m) {
  auto fill = itk::BinaryFillholeImageFilter<MaskImage>::New();
  fill->SetInput(itkView(m));
  fill->SetForegroundValue(1);
  fill->SetFullyConnected(false);  // holes as 6-connected background, as ours
  fill->Update();
  const std::uint8_t* p = fill->GetOutput()->GetBufferPointer();
  return std::vector<std::uint8_t>(p, p + m.voxels.size());
}

// ours_s with its CPU time (oursCpu_s: gLastCpu_s unless a peer ran since); the peer's wall
// time, ratio and disagreement when it ran.
double gOursCpu_s = -1.0;
void row(const char* tool, double ours_s, double itk_s = -1.0, long long diff = -1) {
  const double oursCpu_s = gOursCpu_s >= 0.0 ? gOursCpu_s : gLastCpu_s;
  gOursCpu_s = -1.0;
  if (itk_s < 0 || !withPeer()) {
    std::printf("| %-44s | %6.2f | %6.2f | - | - | - |\n", tool, ours_s, oursCpu_s);
  } else {
    std::printf("| %-44s | %6.2f | %6.2f | %6.2f | %5.2f | %lld |\n", tool, ours_s, oursCpu_s,
                itk_s, ours_s / itk_s, diff);
  }
  std::fflush(stdout);
}

}  // namespace

int main() {
  const std::size_t threads = parallel::maxThreads();
  itk::MultiThreaderBase::SetGlobalDefaultNumberOfThreads(static_cast<itk::ThreadIdType>(threads));
  const ImageGeometry g = benchGrid();
  BinaryMask organ = liver(g);
  BinaryMask body = ellipsoid(g, Vec3(170, 120, 140), 0.0);
  std::printf(
      "Segmentation tools on 512x512x300 (0.78 x 0.78 x 1.0 mm), %zu threads, median of "
      "%d runs; liver %.0f ml, body %.0f ml\n\n",
      threads, runs(), organ.volume_mm3() / 1000, body.volume_mm3() / 1000);
  std::printf(
      "| Tool | ours wall (s) | ours CPU (s) | ITK wall (s) | ours / ITK (wall) | voxels differing "
      "|\n"
      "|---|---|---|---|---|---|\n");

  BinaryMask result;
  std::vector<std::uint8_t> peer;
  double ours = medianSeconds([&] { result = grow(organ, 5.0); });
  gOursCpu_s = gLastCpu_s;
  double theirs = withPeer() ? medianSeconds([&] { peer = itkGrow(organ, 5.0); }) : 0.0;
  row("grow liver 5 mm (ITK: SignedMaurer + threshold)", ours, theirs,
      withPeer() ? static_cast<long long>(differing(result, peer)) : -1);
  ours = medianSeconds([&] { result = grow(body, 5.0); });
  gOursCpu_s = gLastCpu_s;
  theirs = withPeer() ? medianSeconds([&] { peer = itkGrow(body, 5.0); }) : 0.0;
  row("grow body 5 mm", ours, theirs,
      withPeer() ? static_cast<long long>(differing(result, peer)) : -1);
  row("shrink liver 5 mm", medianSeconds([&] { result = shrink(organ, 5.0); }));
  row("open liver 3 mm", medianSeconds([&] { result = open(organ, 3.0); }));
  row("close liver 3 mm", medianSeconds([&] { result = close(organ, 3.0); }));
  row("hollow liver 3 mm inside",
      medianSeconds([&] { result = hollow(organ, 3.0, ShellPlacement::Inside); }));
  ours = medianSeconds([&] { result = fillHoles(organ, false); });
  gOursCpu_s = gLastCpu_s;
  theirs = withPeer() ? medianSeconds([&] { peer = itkFillHoles(organ); }) : 0.0;
  row("fill holes 3D (ITK: BinaryFillhole)", ours, theirs,
      withPeer() ? static_cast<long long>(differing(result, peer)) : -1);
  row("fill holes per slice", medianSeconds([&] { result = fillHoles(organ, true); }));
  row("smooth liver Gaussian 1.5 mm", medianSeconds([&] { result = gaussianSmooth(organ, 1.5); }));
  BinaryMask sparse = organ;
  for (std::int64_t k = 0; k < g.size[2]; ++k)
    if (k % 5 != 0)
      std::fill_n(sparse.voxels.begin() + static_cast<std::ptrdiff_t>(g.linearIndex(0, 0, k)),
                  g.size[0] * g.size[1], std::uint8_t{0});
  row("fill between slices (every 5th drawn)",
      medianSeconds([&] { result = fillBetweenSlices(sparse); }));
  ours = medianSeconds([&] { result = keepLargestIsland(organ, Connectivity::Full26); });
  gOursCpu_s = gLastCpu_s;
  theirs = withPeer() ? medianSeconds([&] { peer = itkLargestIsland(organ); }) : 0.0;
  row("keep largest island (ITK: ConnectedComponent + Relabel)", ours, theirs,
      withPeer() ? static_cast<long long>(differing(result, peer)) : -1);
  row("remove islands < 10 mm3",
      medianSeconds([&] { result = removeSmallIslands(organ, 10.0, Connectivity::Full26); }));
  row("union with body",
      medianSeconds([&] { result = combine(organ, body, LogicalOperation::Union); }));

  // The whole undoable command: extract, grow, masking, write back, label map copy.
  Case twin;
  LabelMap labels(g);
  labels.name = "Segmentation";
  const std::size_t segment = labels.addSegment({"Liver", "liver", Rgb{200, 100, 80}});
  for (std::size_t v = 0; v < organ.voxels.size(); ++v)
    if (organ.voxels[v]) labels.layer(0)[v] = labels.segments()[segment].value;
  twin.labelMaps.push_back(labels);
  SegmentOperation op;
  op.tool = SegmentTool::Grow;
  op.margin_mm = 5.0;
  row("applyToSegment: Grow Liver by 5 mm (undoable edit)",
      medianSeconds([&] { (void)applyToSegment(twin, 0, segment, op); }));
  return 0;
}
