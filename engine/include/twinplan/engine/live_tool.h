#pragma once
// The interactive liver tool (issue #18 items 7, 8): the organ grabbed under a tool tip and
// dragged, each drag frame one co-rotational update (tissue/corotational.h: warped stiffness,
// multigrid preconditioner built once, warm-started from the last frame), so a front end can
// move the organ's surface as the tool moves. Held as the liver-tool scenario holds it (the
// half of its surface away from the tool's direction); the grabbed surface nodes (within the tip
// radius of the grab point) stick to the tip and follow its offset in any direction (pressing
// and pulling). Not thread-safe: one thread at a time (the GUI runs updates on a worker and
// coalesces moves).
#include <cstddef>
#include <memory>
#include <optional>
#include <vector>

#include "twinplan/core/geometry.h"
#include "twinplan/core/label_map.h"
#include "twinplan/core/mesh.h"
#include "twinplan/core/progress.h"
#include "twinplan/engine/tissue_shift.h"

namespace twinplan::engine {

struct LiveToolUpdate {
  double seconds = 0;           // wall time of the update
  long cgIterations = 0;        // conjugate-gradient iterations it made
  double relativeResidual = 0;  // out-of-balance force / largest force after it
  double maxDisplacement_mm = 0;
};

class LiveToolSession {
 public:
  // Meshes the organ (settings.organ, with its tumours) at `resolution_mm` and grabs the
  // organ's surface nodes within settings.tipRadius_mm of `grab_lps` (or, when none is that
  // close, the nearest surface node within one lattice edge). No grab point: settings.tip_lps,
  // else the organ's first surface node along the tool's direction (as the liver-tool scenario).
  // Error(InvalidInput) when the organ is missing or no surface node is near the grab point;
  // Cancelled on cancel.
  LiveToolSession(const LabelMap& labels, const LiverToolSettings& settings,
                  const std::optional<Vec3>& grab_lps, double resolution_mm,
                  Progress& progress = noProgress());
  ~LiveToolSession();
  LiveToolSession(const LiveToolSession&) = delete;
  LiveToolSession& operator=(const LiveToolSession&) = delete;

  // The tip moved by `offset_mm` (LPS) since the grab: `iterations` warped-stiffness solves
  // from the last state (1 = a drag frame; more converge to the static co-rotational answer),
  // each solved by conjugate gradients to `cgTolerance` (CorotationalOptions::
  // iterativeTolerance). Not given: 0.1 for a drag frame (iterations 1), as the next frames
  // refine what this one leaves - on the 20k-tet liver 2.4 times less CPU than 1e-6 for the
  // same lag behind the converged state (docs/benchmarks.md, "Drag on an organ") - and 1e-6
  // for several iterations (converging while the tool is held still).
  LiveToolUpdate update(const Vec3& offset_mm, int iterations = 1,
                        std::optional<double> cgTolerance = std::nullopt);

  // Grabs the organ anew at `grab_lps`, where a drag in a 2D view starts: the press lies on the
  // organ's cut face there, so the tissue under it is held - the free nodes (surface or inside)
  // within the tip radius of the press, else the one nearest to it. The previous grab is
  // released first, so the organ starts again from rest; the mesh is kept and the
  // warped-stiffness model rebuilt for the new held degrees of freedom (corotational.h: they
  // are fixed per model). Error(InvalidInput) for a point that is not finite; Cancelled on
  // cancel (the session is then unchanged).
  void regrab(const Vec3& grab_lps, Progress& progress = noProgress());
  // The grabbed nodes' reference positions (LPS mm): each moves by exactly the tool's offset.
  std::vector<Vec3> grabbedPoints_lps() const;

  // The displacement now at a reference point (zero outside the organ's mesh).
  Vec3 displacementAt(const Vec3& p_lps) const;
  // A surface (e.g. the organ's 3D model) moved by the displacement now.
  SurfaceMesh deformed(const SurfaceMesh& reference) const;
  std::size_t tetCount() const;
  std::size_t grabbedNodes() const;
  Vec3 grabPoint() const;  // LPS mm
  Vec3 direction() const;  // the tool's direction (unit)

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace twinplan::engine
