#include "twinplan/segmentation/scissors.h"

#include <cmath>
#include <string>
#include <utility>

#include "twinplan/core/error.h"
#include "twinplan/core/parallel.h"

namespace twinplan::segmentation {

namespace {

// Twice the signed area of the polygon (shoelace formula).
double twiceSignedArea(const std::vector<Eigen::Vector2d>& polygon) {
  double sum = 0.0;
  for (std::size_t n = 0; n < polygon.size(); ++n) {
    const Eigen::Vector2d& a = polygon[n];
    const Eigen::Vector2d& b = polygon[(n + 1) % polygon.size()];
    sum += a.x() * b.y() - b.x() * a.y();
  }
  return sum;
}

}  // namespace

void ScissorsCut::validate() const {
  if (lasso_px.size() < 3)
    throw Error(ErrorKind::InvalidInput,
                "The scissors need a lasso of at least 3 points (it has " +
                    std::to_string(lasso_px.size()) + "); drag around what to cut.",
                "lasso");
  if (!lpsToDisplay.allFinite())
    throw Error(ErrorKind::InvalidInput, "The view's projection has a non-finite value.",
                "projection");
  for (const Eigen::Vector2d& p : lasso_px)
    if (!p.allFinite())
      throw Error(ErrorKind::InvalidInput, "A lasso point has a non-finite position.", "lasso");
  if (std::abs(twiceSignedArea(lasso_px)) < 1e-9)
    throw Error(ErrorKind::InvalidInput,
                "The lasso encloses no area (its points lie on one line); draw around what to "
                "cut.",
                "lasso");
}

bool insidePolygon(const std::vector<Eigen::Vector2d>& polygon, const Eigen::Vector2d& point) {
  // Crossing number (even-odd): count edges crossed by a ray towards +x. The half-open test on
  // y counts a vertex on the ray once.
  bool inside = false;
  for (std::size_t n = 0, m = polygon.size() - 1; n < polygon.size(); m = n++) {
    const Eigen::Vector2d& a = polygon[n];
    const Eigen::Vector2d& b = polygon[m];
    if ((a.y() > point.y()) != (b.y() > point.y())) {
      const double xCross = a.x() + (point.y() - a.y()) * (b.x() - a.x()) / (b.y() - a.y());
      if (point.x() < xCross) inside = !inside;
    }
  }
  return inside;
}

BinaryMask voxelsInsideLasso(const ImageGeometry& geometry, const ScissorsCut& cut,
                             Progress& progress) {
  cut.validate();
  BinaryMask inside(geometry);
  // Index -> display in one matrix: one 4x4 product per voxel centre.
  const Eigen::Matrix4d indexToDisplay = cut.lpsToDisplay * geometry.indexToLpsAffine();
  // The lasso's bounding box rejects most voxels before the polygon test.
  Eigen::Vector2d lo = cut.lasso_px.front(), hi = cut.lasso_px.front();
  for (const Eigen::Vector2d& p : cut.lasso_px) {
    lo = lo.cwiseMin(p);
    hi = hi.cwiseMax(p);
  }
  const auto ni = static_cast<std::int64_t>(geometry.size[0]);
  const auto nj = static_cast<std::int64_t>(geometry.size[1]);
  const auto slices = static_cast<std::size_t>(geometry.size[2]);
  parallel::parallelFor(
      {0, slices}, 1,
      [&](parallel::IndexRange chunk) {
        for (std::size_t k = chunk.begin; k < chunk.end; ++k)
          for (std::int64_t j = 0; j < nj; ++j)
            for (std::int64_t i = 0; i < ni; ++i) {
              const Eigen::Vector4d d =
                  indexToDisplay * Eigen::Vector4d(static_cast<double>(i), static_cast<double>(j),
                                                   static_cast<double>(k), 1.0);
              if (d.w() <= 0.0) continue;  // behind the camera
              const Eigen::Vector2d p(d.x() / d.w(), d.y() / d.w());
              if ((p.array() < lo.array()).any() || (p.array() > hi.array()).any()) continue;
              if (insidePolygon(cut.lasso_px, p))
                inside.voxels[geometry.linearIndex(i, j, static_cast<std::int64_t>(k))] = 1;
            }
      },
      progress, "Scissors");
  return inside;
}

ScissorsResult cutSegment(const Case& twin, std::size_t labelMap, std::size_t segment,
                          const ScissorsCut& cut, Progress& progress) {
  cut.validate();
  if (labelMap >= twin.labelMaps.size())
    throw Error(ErrorKind::InvalidInput,
                "The case has no label map " + std::to_string(labelMap + 1) + " (it has " +
                    std::to_string(twin.labelMaps.size()) + ").",
                "label map");
  ScissorsResult result{twin.labelMaps[labelMap], 0};
  if (segment >= result.labels.segments().size())
    throw Error(ErrorKind::InvalidInput,
                "The label map \"" + result.labels.name + "\" has no segment " +
                    std::to_string(segment + 1) + ".",
                "segment");
  // Refuses a locked segment; keeps locked segments of the same layer.
  const BinaryMask editable = editableVoxels(result.labels, segment, {}, nullptr);
  const BinaryMask lassoed = voxelsInsideLasso(result.labels.geometry(), cut, progress);
  BinaryMask kept = extractSegment(result.labels, segment);
  const std::uint8_t cutWhere = cut.side == ScissorsSide::EraseInside ? 1 : 0;
  for (std::size_t n = 0; n < kept.voxels.size(); ++n)
    if (kept.voxels[n] && lassoed.voxels[n] == cutWhere) kept.voxels[n] = 0;
  result.voxelsCut = writeSegment(result.labels, segment, kept, editable);
  return result;
}

std::unique_ptr<CaseEdit> applyScissors(const Case& twin, std::size_t labelMap, std::size_t segment,
                                        const ScissorsCut& cut, Progress& progress) {
  ScissorsResult result = cutSegment(twin, labelMap, segment, cut, progress);
  std::vector<LabelMap> labelMaps = twin.labelMaps;
  labelMaps[labelMap] = std::move(result.labels);
  return edits::replaceLabelMaps(
      twin, std::move(labelMaps),
      "Scissors on " + twin.labelMaps[labelMap].segments()[segment].name);
}

}  // namespace twinplan::segmentation
