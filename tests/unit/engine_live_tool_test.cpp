// The interactive liver tool (engine/live_tool.h; issue #18 items 7, 8) on the abdomen phantom
// (scale 0.4): the grabbed tissue follows the tip exactly, the liver's surface near the tool
// moves towards where the tool pushes and its held half stays put, and single drag-frame
// updates, repeated while the tool is held still, converge to the static co-rotational answer.
// Update rates are printed (docs/benchmarks.md), not asserted.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>

#include "twinplan/core/error.h"
#include "twinplan/engine/live_tool.h"
#include "twinplan/phantom/phantom.h"

namespace twinplan::engine {
namespace {

const phantom::Phantom& abdomen() {
  static const phantom::Phantom p = [] {
    phantom::PhantomOptions o;
    o.kind = phantom::PhantomKind::Abdomen;
    o.scale = 0.4;
    return phantom::makePhantom(o);
  }();
  return p;
}

const SurfaceMesh& liverModel() {
  for (const SurfaceMesh& m : abdomen().twin.meshes)
    if (m.name == "Liver") return m;
  throw std::runtime_error("no liver model");
}

// The liver's most anterior model vertex: where a tool coming from the front touches it.
Vec3 anteriorPole() {
  Vec3 pole(0, 1e9, 0);
  for (const auto& p : liverModel().points_lps)
    if (p[1] < pole.y()) pole = Vec3(p[0], p[1], p[2]);
  return pole;
}

TEST(LiveTool, DraggedLiverFollowsTheTipAndItsHeldHalfStays) {
  LiverToolSettings tool;  // from the front (A -> P), 5 mm tip
  const Vec3 grab = anteriorPole();
  LiveToolSession session(abdomen().twin.labelMaps[0], tool, grab, 16.0);
  std::printf("%zu tetrahedra, %zu grabbed nodes\n", session.tetCount(), session.grabbedNodes());
  ASSERT_GT(session.grabbedNodes(), 0u);
  // A drag: 10 frames pressing the tip 10 mm in, 1 mm a frame, one update each.
  double frames_s = 0;
  LiveToolUpdate last;
  for (int frame = 1; frame <= 10; ++frame) {
    last = session.update(Vec3(0, frame, 0));
    frames_s += last.seconds;
  }
  std::printf("drag: %.1f updates/s (mean of 10), last %.0f CG iterations, residual %.2g\n",
              10 / frames_s, double(last.cgIterations), last.relativeResidual);
  // The grabbed nodes are where the tip is (the largest displacement).
  EXPECT_NEAR(last.maxDisplacement_mm, 10.0, 1e-9);
  // Held still: more updates converge (the static co-rotational equilibrium).
  const LiveToolUpdate settled = session.update(Vec3(0, 10, 0), 30);
  std::printf("settled: residual %.2g, max %.2f mm\n", settled.relativeResidual,
              settled.maxDisplacement_mm);
  EXPECT_LT(settled.relativeResidual, 1e-4);
  EXPECT_NEAR(settled.maxDisplacement_mm, 10.0, 1e-6);  // the grabbed nodes move the most

  // The liver's model: near the tool its vertices move with it (posterior), by less than the
  // tip; on the held (posterior) half they do not move.
  const SurfaceMesh moved = session.deformed(liverModel());
  const SurfaceMesh& reference = liverModel();
  ASSERT_EQ(moved.points_lps.size(), reference.points_lps.size());
  double nearShift = 0, farShift = 0;
  for (std::size_t v = 0; v < reference.points_lps.size(); ++v) {
    const Vec3 x(reference.points_lps[v][0], reference.points_lps[v][1],
                 reference.points_lps[v][2]);
    const Vec3 u = Vec3(moved.points_lps[v][0], moved.points_lps[v][1], moved.points_lps[v][2]) - x;
    if ((x - grab).norm() < 25) nearShift = std::max(nearShift, u.y());
    if (x.y() > grab.y() + 150) farShift = std::max(farShift, u.norm());
    EXPECT_LT(u.norm(), 10.0 + 1e-6);
  }
  std::printf("model: up to %.2f mm posterior within 25 mm of the tool, %.3f mm on the held side\n",
              nearShift, farShift);
  EXPECT_GT(nearShift, 3.0);
  EXPECT_LT(farShift, 0.5);
}

// A grab anew where a 2D drag starts (inside the liver, 25 mm behind the tool's first contact):
// the nodes held are those within the 5 mm tip radius of that point, else the nearest one; they
// move by exactly the tool's offset, the first contact (now free) by less, and the organ starts
// from rest (the previous grab released). A point that is not finite is refused and leaves the
// session as it was.
TEST(LiveTool, RegrabHoldsTheTissueWhereTheDragStarts) {
  LiverToolSettings tool;
  LiveToolSession session(abdomen().twin.labelMaps[0], tool, anteriorPole(), 16.0);
  session.update(Vec3(0, 6, 0), 5);
  const Vec3 contact = session.grabbedPoints_lps().at(0);  // a node where the tool met it
  const Vec3 press = session.grabPoint() + Vec3(0, 25, 0);
  session.regrab(press);
  EXPECT_EQ(session.grabPoint(), press);
  const std::vector<Vec3> grabbed = session.grabbedPoints_lps();
  ASSERT_FALSE(grabbed.empty());
  double nearest = 1e9;
  for (const Vec3& x : grabbed) nearest = std::min(nearest, (x - press).norm());
  if (grabbed.size() > 1) {  // those within the tip radius (else the one nearest)
    for (const Vec3& x : grabbed) EXPECT_LE((x - press).norm(), tool.tipRadius_mm + 1e-9);
  }
  // The nearest node of a 16 mm lattice is within half its cell's diagonal.
  EXPECT_LT(nearest, 16.0 * std::sqrt(3.0) / 2);
  EXPECT_EQ(session.displacementAt(contact).norm(), 0.0);  // released: back at rest
  const Vec3 offset(6, 0, 0);
  const LiveToolUpdate settled = session.update(offset, 30);
  EXPECT_LT(settled.relativeResidual, 1e-4);
  for (const Vec3& x : grabbed) EXPECT_LT((session.displacementAt(x) - offset).norm(), 1e-9);
  EXPECT_LT(session.displacementAt(contact).norm(), 0.8 * offset.norm());
  EXPECT_GT(session.displacementAt(contact).x(), 0.0);  // dragged along, by less
  EXPECT_THROW(session.regrab(Vec3(std::nan(""), 0, 0)), Error);
  EXPECT_EQ(session.grabPoint(), press);
  EXPECT_EQ(session.grabbedPoints_lps().size(), grabbed.size());
}

TEST(LiveTool, ToolAwayFromTheOrganIsRefused) {
  EXPECT_THROW(
      LiveToolSession(abdomen().twin.labelMaps[0], LiverToolSettings{}, Vec3(0, -300, 0), 10.0),
      Error);
}

}  // namespace
}  // namespace twinplan::engine
