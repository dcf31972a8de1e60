#include "rt_structures.h"

namespace twinplan::ui {

radiotherapy::StructureContours segmentContours(const LabelMap& labels, std::size_t segment) {
  radiotherapy::StructureContours structure;
  structure.name = labels.segments()[segment].name;
  const ImageGeometry& g = labels.geometry();
  const auto corner = [&g](double i, double j, std::int64_t k) {
    return g.indexToLps(Vec3(i, j, static_cast<double>(k)));
  };
  const Segment& drawn = labels.segments()[segment];
  const std::vector<std::uint16_t>& layer = labels.layer(drawn.layer);
  const auto inside = [&](std::int64_t i, std::int64_t j, std::int64_t k) {
    return layer[g.linearIndex(i, j, k)] == drawn.value;
  };
  for (std::int64_t k = 0; k < g.size[2]; ++k)
    for (std::int64_t j = 0; j < g.size[1]; ++j)
      for (std::int64_t i = 0; i < g.size[0]; ++i) {
        if (!inside(i, j, k)) continue;
        std::int64_t end = i;
        while (end + 1 < g.size[0] && inside(end + 1, j, k)) ++end;
        // The run's voxels i..end cover [i - 0.5, end + 0.5] x [j - 0.5, j + 0.5] in index.
        const double i0 = static_cast<double>(i) - 0.5, i1 = static_cast<double>(end) + 0.5;
        const double j0 = static_cast<double>(j) - 0.5, j1 = static_cast<double>(j) + 0.5;
        structure.polygons_lps.push_back(
            {corner(i0, j0, k), corner(i1, j0, k), corner(i1, j1, k), corner(i0, j1, k)});
        i = end;
      }
  return structure;
}

std::vector<CaseStructure> caseStructures(const Case& twin) {
  std::vector<CaseStructure> structures;
  for (const LabelMap& labels : twin.labelMaps)
    for (std::size_t s = 0; s < labels.segments().size(); ++s) {
      radiotherapy::StructureContours contours = segmentContours(labels, s);
      if (contours.polygons_lps.empty()) continue;
      structures.push_back({std::move(contours), labels.segments()[s].colour});
    }
  return structures;
}

}  // namespace twinplan::ui
