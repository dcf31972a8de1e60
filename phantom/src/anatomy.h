#pragma once
// Private building blocks of the phantoms: analytic shapes, the anatomy interface and the
// deterministic noise.
//
// Determinism: classification uses only +, -, *, / and sqrt (IEEE 754 correctly rounded), never
// sin/cos/log from the C library, whose last bit may differ between libm versions; the noise
// is integer arithmetic plus exact conversions. So the same seed gives the same voxels on
// every IEEE machine (the build uses ISO C++ mode, where GCC does not contract a*b+c into
// FMA; the oblique grid's cos/sin are computed by our own series for the same reason).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "twinplan/core/image_volume.h"
#include "twinplan/core/label_map.h"
#include "twinplan/core/mesh.h"
#include "twinplan/core/progress.h"
#include "twinplan/phantom/phantom.h"

namespace twinplan::phantom::detail {

// ---- shapes (all in LPS mm) ----------------------------------------------------------------

// A point or offset in LPS mm. The per-voxel code uses these plain doubles rather than Eigen:
// unoptimised Eigen made Debug builds ~100x slower than Release, and here the order of every
// operation is explicit.
struct Point {
  double x = 0.0, y = 0.0, z = 0.0;
  Point() = default;
  Point(double x_, double y_, double z_) : x(x_), y(y_), z(z_) {}
  explicit Point(const Vec3& v) : x(v[0]), y(v[1]), z(v[2]) {}
};
inline Point operator+(const Point& a, const Point& b) { return {a.x + b.x, a.y + b.y, a.z + b.z}; }
inline Point operator-(const Point& a, const Point& b) { return {a.x - b.x, a.y - b.y, a.z - b.z}; }
inline Point operator*(double s, const Point& a) { return {s * a.x, s * a.y, s * a.z}; }
inline double dot(const Point& a, const Point& b) { return a.x * b.x + a.y * b.y + a.z * b.z; }

// An ellipsoid with semi-axes along the columns of `axes` (orthonormal, default LPS axes).
class Ellipsoid {
 public:
  Ellipsoid(const Vec3& centre, const Vec3& semiAxes_mm, const Mat3& axes = Mat3::Identity());
  // Squared normalised radius: <= 1 inside.
  double level(const Point& p) const {
    const Point d = p - centre_;
    const double u = dot(toUnit_[0], d), v = dot(toUnit_[1], d), w = dot(toUnit_[2], d);
    return u * u + v * v + w * w;
  }
  bool contains(const Point& p) const {
    if (std::abs(p.x - centre_.x) > bound_ || std::abs(p.y - centre_.y) > bound_ ||
        std::abs(p.z - centre_.z) > bound_)
      return false;
    return level(p) <= 1.0;
  }

 private:
  Point centre_;
  Point toUnit_[3];  // rows of diag(1/semi-axes) * axes^T
  double bound_;
};

// A tube between two points whose radius changes linearly from ra to rb (a vessel segment).
class Tube {
 public:
  Tube(const Vec3& a, const Vec3& b, double ra_mm, double rb_mm);
  bool contains(const Point& p) const {
    const Point ap = p - a_;
    const double t = std::clamp(dot(ap, ab_) * inverseLength2_, 0.0, 1.0);
    const double r = ra_ + t * (rb_ - ra_);
    const Point off = ap - t * ab_;
    return dot(off, off) <= r * r;
  }
  double distance(const Point& p) const;  // from the surface (negative inside)
  Point lowerCorner() const;              // of the bounding box
  Point upperCorner() const;

 private:
  Point a_, ab_;
  double inverseLength2_, ra_, rb_;
};

// A branching vessel tree: a list of tubes with a bounding box for a quick reject.
class VesselTree {
 public:
  void add(const Tube& tube);
  bool contains(const Point& p) const {
    if (p.x < lo_.x || p.y < lo_.y || p.z < lo_.z || p.x > hi_.x || p.y > hi_.y || p.z > hi_.z)
      return false;
    for (const Tube& t : tubes_)
      if (t.contains(p)) return true;
    return false;
  }
  double distance(const Point& p) const;  // to the nearest tube surface

 private:
  std::vector<Tube> tubes_;
  Point lo_{1e30, 1e30, 1e30}, hi_{-1e30, -1e30, -1e30};
};

// A rotation about the S (z) axis by the angle whose cosine/sine are proportional to (c, s).
Mat3 rotationAboutZ(double c, double s);

// A sine-like wave of period 1 in [-1, 1] made of two parabolas (no libm call).
inline double wave(double t) {
  const double u = t - std::floor(t);  // [0, 1)
  return u < 0.5 ? 16.0 * u * (0.5 - u) : -16.0 * (u - 0.5) * (1.0 - u);
}

// ---- anatomy -------------------------------------------------------------------------------

// One intensity class. Several classes may belong to one segment (vertebral cortex and
// cancellous bone both in "Vertebrae").
struct Tissue {
  int segment = -1;  // index into Anatomy::segments(); -1: background (air), no label
  double ct_HU = 0.0;
  double mr = 0.0;  // T1-weighted, arbitrary units (head only)
};

struct SegmentSpec {
  std::string name, tissueType;
  Rgb colour;
  int layer = 0;  // 1 for tumours (they overlap the organ that holds them)
};

// A voxel's truth: the anatomy beneath (layer 0) and an optional tumour over it (layer 1).
struct Sample {
  std::uint8_t base = 0;     // tissue index
  std::uint8_t overlay = 0;  // tissue index, 0: none
};

class Anatomy {
 public:
  virtual ~Anatomy() = default;
  virtual std::vector<SegmentSpec> segments() const = 0;
  virtual std::vector<Tissue> tissues() const = 0;  // index 0 is air
  virtual Sample classify(const Point& p_lps) const = 0;
  // The straight (axis-aligned) acquisition grid, centred on (0, 0, 0).
  virtual ImageGeometry grid(double scale) const = 0;
  virtual std::vector<TumourTruth> tumours() const = 0;
  virtual bool hasMr() const = 0;
  // Patient/study/series metadata of the CT (the MR copies and changes it).
  virtual DicomInfo ctInfo() const = 0;
};

// The DICOM attributes every phantom CT shares (a HFS CT from the "Digital phantom" of
// manufacturer TwinPlan on 2025-01-01); the caller fills what differs.
DicomInfo phantomCtInfo(const std::string& studyTime);

std::unique_ptr<Anatomy> makeAbdomenAnatomy();
std::unique_ptr<Anatomy> makeHeadAnatomy();

// The 3D models of the sample case (surface_models.cpp): the true labelmap's segments that a
// surgeon turns around in the 3D view, as closed meshes; `settings` describes how they were
// made (for the provenance).
std::vector<SurfaceMesh> makeSurfaceModels(const LabelMap& truth, PhantomKind kind,
                                           Progress& progress, nlohmann::json& settings);

// ---- noise ---------------------------------------------------------------------------------

// splitmix64's output function (Steele, Lea & Flood, OOPSLA 2014): a bijective 64-bit mixer.
inline std::uint64_t mix64(std::uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// Counter-based standard normal deviates: deviate n of stream `key` does not depend on the
// order in which deviates are drawn. Each is the sum of twelve 16-bit uniforms minus 6
// (Irwin-Hall; mean 0, variance 1, tails cut at +-6 SD): integer arithmetic and exact
// conversions only, so it is bit-identical everywhere, unlike std::normal_distribution.
class NormalStream {
 public:
  explicit NormalStream(std::uint64_t key) : key_(mix64(key)) {}
  double operator()(std::uint64_t n) const {
    std::uint64_t sum = 0;
    for (std::uint64_t d = 0; d < 3; ++d) {
      const std::uint64_t r = mix64(key_ + (3 * n + d + 1) * 0x9E3779B97F4A7C15ull);
      sum += (r & 0xFFFF) + ((r >> 16) & 0xFFFF) + ((r >> 32) & 0xFFFF) + (r >> 48);
    }
    return (static_cast<double>(sum) + 6.0) / 65536.0 - 6.0;
  }

 private:
  std::uint64_t key_;
};

}  // namespace twinplan::phantom::detail
