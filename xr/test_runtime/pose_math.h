// Rigid poses for the simulated headset: unit quaternions (x, y, z, w) and positions in metres,
// the OpenXR convention (right-handed, +Y up, -Z forward; OpenXR 1.0 specification, section
// 2.18 "Coordinate System").
#pragma once

#include <openxr/openxr.h>

#include <cmath>

namespace twinplan::xr_test_runtime {

inline XrQuaternionf multiply(const XrQuaternionf& a, const XrQuaternionf& b) {
  return {
      a.w * b.x + a.x * b.w + a.y * b.z - a.z * b.y, a.w * b.y - a.x * b.z + a.y * b.w + a.z * b.x,
      a.w * b.z + a.x * b.y - a.y * b.x + a.z * b.w, a.w * b.w - a.x * b.x - a.y * b.y - a.z * b.z};
}

inline XrQuaternionf conjugate(const XrQuaternionf& q) { return {-q.x, -q.y, -q.z, q.w}; }

inline XrVector3f rotate(const XrQuaternionf& q, const XrVector3f& v) {
  const XrQuaternionf p{v.x, v.y, v.z, 0.0f};
  const XrQuaternionf r = multiply(multiply(q, p), conjugate(q));
  return {r.x, r.y, r.z};
}

inline XrVector3f add(const XrVector3f& a, const XrVector3f& b) {
  return {a.x + b.x, a.y + b.y, a.z + b.z};
}

inline XrPosef identityPose() { return XrPosef{{0.0f, 0.0f, 0.0f, 1.0f}, {0.0f, 0.0f, 0.0f}}; }

// a * b: b expressed in a's frame, then a's frame in the base frame.
inline XrPosef compose(const XrPosef& a, const XrPosef& b) {
  return XrPosef{multiply(a.orientation, b.orientation),
                 add(a.position, rotate(a.orientation, b.position))};
}

inline XrPosef inverse(const XrPosef& p) {
  const XrQuaternionf q = conjugate(p.orientation);
  const XrVector3f t = rotate(q, p.position);
  return XrPosef{q, {-t.x, -t.y, -t.z}};
}

inline XrQuaternionf normalised(const XrQuaternionf& q) {
  const float n = std::sqrt(q.x * q.x + q.y * q.y + q.z * q.z + q.w * q.w);
  return n > 0.0f ? XrQuaternionf{q.x / n, q.y / n, q.z / n, q.w / n} : XrQuaternionf{0, 0, 0, 1};
}

// Normalised linear interpolation, along the shorter arc: enough between nearby key poses.
inline XrPosef interpolate(const XrPosef& a, const XrPosef& b, float t) {
  XrQuaternionf qb = b.orientation;
  const float dot = a.orientation.x * qb.x + a.orientation.y * qb.y + a.orientation.z * qb.z +
                    a.orientation.w * qb.w;
  if (dot < 0.0f) qb = {-qb.x, -qb.y, -qb.z, -qb.w};
  const XrQuaternionf q{a.orientation.x + t * (qb.x - a.orientation.x),
                        a.orientation.y + t * (qb.y - a.orientation.y),
                        a.orientation.z + t * (qb.z - a.orientation.z),
                        a.orientation.w + t * (qb.w - a.orientation.w)};
  const XrVector3f p{a.position.x + t * (b.position.x - a.position.x),
                     a.position.y + t * (b.position.y - a.position.y),
                     a.position.z + t * (b.position.z - a.position.z)};
  return XrPosef{normalised(q), p};
}

}  // namespace twinplan::xr_test_runtime
