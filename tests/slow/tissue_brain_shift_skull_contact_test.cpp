// Brain shift with the brain sliding on the skull (tissue/brain_shift.h skullContact, issue #18
// item 3) on the head phantom (scale 0.4, 10 mm lattice, about 17,000 tetrahedra; about 30 s
// of CPU for the three solves; docs/validation.md "skull contact at 50k tetrahedra" and "a
// smoother skull (branch shiftfold)"): the active set converges, no node
// enters the skull by more than 1e-6 mm, the shift is physical (towards the floor, larger than with
// the surface held) and the brain surface shift in the craniotomy lies in the range of published
// intraoperative measurements (docs/validation.md, "Brain shift: skull contact convergence").
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "twinplan/phantom/phantom.h"
#include "twinplan/tissue/brain_shift.h"

namespace twinplan::tissue {
namespace {

struct SurfaceShift {
  double openingMax_mm = 0;
  double openingMeanAlongGravity_mm = 0;
};

SurfaceShift openingShift(const BrainShiftResult& r, double radius_mm) {
  const FeModel& model = r.mesh.model;
  SurfaceShift out;
  std::size_t count = 0;
  for (std::size_t n : model.nodeSets.at("SURFACE")) {
    const auto& x = model.nodes[n].x_mm;
    if ((Vec3(x[0], x[1], x[2]) - r.openingCentre_lps).norm() > radius_mm) continue;
    const auto& u = r.solution.displacement_mm[n];
    const Vec3 d(u[0], u[1], u[2]);
    out.openingMax_mm = std::max(out.openingMax_mm, d.norm());
    out.openingMeanAlongGravity_mm += d.dot(r.gravity_lps);
    ++count;
  }
  if (count > 0) out.openingMeanAlongGravity_mm /= double(count);
  return out;
}

TEST(BrainShiftSkullContact, ConvergesWithoutPenetrationWithinPublishedSurfaceShift) {
  phantom::PhantomOptions options;
  options.kind = phantom::PhantomKind::Head;
  options.scale = 0.4;
  options.surfaceModels = false;
  const phantom::Phantom head = phantom::makePhantom(options);
  const LabelMap& labels = head.twin.labelMaps.at(0);
  const Vec3 tumour = head.tumours.at(0).centre_lps;

  BrainShiftParameters p;  // supine (HFS), all CSF drained, 25 mm opening, neo-Hookean
  p.resolution_mm = 10;
  p.openingToward_lps = std::array<double, 3>{tumour.x(), tumour.y(), tumour.z()};
  const BrainShiftResult held = simulateBrainShift(labels, p);
  p.skullContact = true;
  const BrainShiftResult sliding = simulateBrainShift(labels, p);  // throws if not converged
  // The skull and load steps before branch shiftfold (smoothed by 1 mm instead of 2 mm, the load
  // in quarters instead of halves, new multigrid hierarchies after every set change): the
  // staircase's detents cost it 8 attempts and 71 Newton iterations against 2 and 16 (15 before
  // branch shiftstart's resting start; docs/validation.md).
  BrainShiftParameters rough = p;
  rough.skullSmoothing_mm = 1;
  rough.loadIncrement = 0.25;
  rough.multigridSetUpReuse = false;
  const BrainShiftResult detents = simulateBrainShift(labels, rough);
  const DisplacementInterpolator field(sliding.mesh.model, sliding.solution.displacement_mm),
      roughField(detents.mesh.model, detents.solution.displacement_mm);
  const TargetShift target = shiftTarget(field, "tumour", tumour),
                    roughTarget = shiftTarget(roughField, "tumour", tumour);
  std::printf("before (1 mm skull, quarters): %d iterations in %d attempts, max %.3f mm, tumour "
              "%.3f mm; now: %d iterations in %d attempts, max %.3f mm, tumour %.3f mm\n",
              detents.solution.totalIterations, detents.solution.attemptedIncrements,
              detents.maxDisplacement_mm, roughTarget.magnitude_mm,
              sliding.solution.totalIterations, sliding.solution.attemptedIncrements,
              sliding.maxDisplacement_mm, target.magnitude_mm);
  EXPECT_LE(sliding.solution.totalIterations, detents.solution.totalIterations / 3);
  EXPECT_LT(sliding.solution.attemptedIncrements, detents.solution.attemptedIncrements);
  // The smoother skull moves the answer by less than the spread between meshes of the same
  // head (max displacement within 6 %, the tumour's shift within 5 % and 1 mm here).
  EXPECT_NEAR(sliding.maxDisplacement_mm, detents.maxDisplacement_mm,
              0.06 * detents.maxDisplacement_mm);
  EXPECT_NEAR(target.magnitude_mm, roughTarget.magnitude_mm, 0.05 * roughTarget.magnitude_mm);
  EXPECT_LT((target.shift_mm - roughTarget.shift_mm).norm(), 1.0);

  const SurfaceShift h = openingShift(held, p.openingRadius_mm);
  const SurfaceShift s = openingShift(sliding, p.openingRadius_mm);
  std::printf(
      "held: opening max %.3f mm, %d iterations; sliding: opening max %.3f mm (mean along "
      "gravity %.3f mm), max %.3f mm, %d iterations in %d increments, %d set changes, %zu of "
      "%zu sliding nodes on the skull, penetration %.3g mm\n",
      h.openingMax_mm, held.solution.totalIterations, s.openingMax_mm, s.openingMeanAlongGravity_mm,
      sliding.maxDisplacement_mm, sliding.solution.totalIterations,
      sliding.solution.steps.at(0).increments, sliding.solution.activeSetChanges,
      sliding.skullContactNodes, sliding.slidingNodes, sliding.maxPenetration_mm);

  // The criterion was no node in the skull by more than 0.1 mm; the active set closes
  // every gap to SolverOptions::contactGapTolerance_mm (1e-8 mm).
  EXPECT_LT(sliding.maxPenetration_mm, 1e-6);
  // The answer of this model (20.265 mm with the skull smoothed by 2 mm, docs/validation.md
  // "a smoother skull (branch shiftfold)"): a faster solve must not move the equilibrium by
  // more than 1 % (issue #18's condition for the speed-up).
  EXPECT_NEAR(sliding.maxDisplacement_mm, 20.265, 0.01 * 20.265);
  // The brain rests on the skull: a good part of the surface outside the opening touches it.
  EXPECT_GT(sliding.skullContactNodes, sliding.slidingNodes / 4);
  EXPECT_LT(sliding.skullContactNodes, sliding.slidingNodes);
  // Physical: the surface in the opening sinks towards the floor, and further than with the
  // rest of the surface held.
  EXPECT_GT(s.openingMeanAlongGravity_mm, 0.0);
  EXPECT_GT(s.openingMax_mm, h.openingMax_mm);
  // Published intraoperative brain surface shift after dural opening: cortical landmarks moved
  // 0.8-14.3 mm (Reinges et al., Acta Neurochir 146:369-377, 2004, 61 patients), 5.7 mm on
  // average in the direction of gravity (Miga et al., IEEE TMI 18:866-874, 1999), up to about
  // 24 mm (Nimsky et al., Neurosurgery 47:1070-1080, 2000). Ours must lie in 0.8-24 mm.
  EXPECT_GE(s.openingMax_mm, 0.8);
  EXPECT_LE(s.openingMax_mm, 24.0);
  EXPECT_LE(sliding.maxDisplacement_mm, 24.0);
}

}  // namespace
}  // namespace twinplan::tissue
