#include "twinplan/ablation/ablation_grid.h"

namespace twinplan::ablation {

AblationGrid uniformGrid(const TissueProperties& tissue, std::array<std::int64_t, 3> size,
                         double spacing_mm, const Vec3& centre_lps) {
  AblationGrid grid;
  grid.geometry.size = size;
  grid.geometry.spacing_mm = Vec3::Constant(spacing_mm);
  // Centre the box on centre_lps: voxel centres span (size - 1) * spacing.
  const Vec3 halfExtent_mm(0.5 * double(size[0] - 1) * spacing_mm,
                           0.5 * double(size[1] - 1) * spacing_mm,
                           0.5 * double(size[2] - 1) * spacing_mm);
  grid.geometry.origin_lps = centre_lps - halfExtent_mm;
  grid.tissues = {tissue};
  grid.tissue.assign(grid.geometry.voxelCount(), 0);
  return grid;
}

}  // namespace twinplan::ablation
