#include "twinplan/registration/registrable.h"

#include <algorithm>
#include <string>

#include "twinplan/core/error.h"

namespace twinplan::registration {

namespace {

struct Box {
  Vec3 low = Vec3::Constant(1e300), high = Vec3::Constant(-1e300);
  void add(const Vec3& p) {
    low = low.cwiseMin(p);
    high = high.cwiseMax(p);
  }
  double volume() const { return (high - low).cwiseMax(0.0).prod(); }
};

// The LPS hull of a grid's outer voxel edges, each corner first mapped by `map`.
template <typename Map>
Box hullOf(const ImageGeometry& g, Map map) {
  Box box;
  for (int corner = 0; corner < 8; ++corner) {
    const Vec3 ijk((corner & 1) ? double(g.size[0]) - 0.5 : -0.5,
                   (corner & 2) ? double(g.size[1]) - 0.5 : -0.5,
                   (corner & 4) ? double(g.size[2]) - 0.5 : -0.5);
    box.add(map(g.indexToLps(ijk)));
  }
  return box;
}

}  // namespace

double boxOverlapFraction(const ImageVolume& fixed, const ImageVolume& moving,
                          const SpatialTransform& initial) {
  // The fixed box mapped into moving space, against the moving box.
  const Box fixedInMoving =
      hullOf(fixed.geometry(), [&](const Vec3& p) { return initial.apply(p); });
  const Box movingBox = hullOf(moving.geometry(), [](const Vec3& p) { return p; });
  Box common;
  common.low = fixedInMoving.low.cwiseMax(movingBox.low);
  common.high = fixedInMoving.high.cwiseMin(movingBox.high);
  const double whole = fixedInMoving.volume();
  return whole > 0.0 ? std::clamp(common.volume() / whole, 0.0, 1.0) : 0.0;
}

void requireRegistrable(const ImageVolume& fixed, const ImageVolume& moving,
                        const SpatialTransform& initial, std::string_view purpose,
                        double minOverlap) {
  for (const ImageVolume* volume : {&fixed, &moving}) {
    // The purpose names the series too: the description alone may not say which of the two
    // (or which folder) it is.
    requirePatientVolume(*volume, std::string(purpose) + " of the series \"" + volume->name + "\"");
    for (int axis = 0; axis < 3; ++axis)
      if (volume->geometry().size[axis] < 4)
        throw Error(ErrorKind::InvalidInput,
                    "The series \"" + volume->name + "\" has only " +
                        std::to_string(volume->geometry().size[axis]) + " voxel(s) along axis " +
                        std::to_string(axis) + "; " + std::string(purpose) +
                        " needs at least 4 along every axis.",
                    volume->name);
  }
  const double overlap = boxOverlapFraction(fixed, moving, initial);
  if (overlap < minOverlap)
    throw Error(ErrorKind::InvalidInput,
                "The series \"" + moving.name + "\" and \"" + fixed.name +
                    "\" do not overlap in patient space (" + std::to_string(int(overlap * 100)) +
                    " % of the reference's extent is covered), so " + std::string(purpose) +
                    " has nothing to compare. Place landmarks first, or check that both are of "
                    "the same body region.",
                moving.name);
}

}  // namespace twinplan::registration
