#include "twinplan/radiotherapy/beam_geometry.h"

#include <Eigen/Geometry>
#include <algorithm>
#include <array>
#include <cmath>
#include <numbers>

#include "twinplan/core/error.h"
#include "twinplan/core/parallel.h"

namespace twinplan::radiotherapy {
namespace {

constexpr std::array<std::pair<PatientPosition, std::string_view>, 8> kPositions{{
    {PatientPosition::HFS, "HFS"},
    {PatientPosition::HFP, "HFP"},
    {PatientPosition::FFS, "FFS"},
    {PatientPosition::FFP, "FFP"},
    {PatientPosition::HFDL, "HFDL"},
    {PatientPosition::HFDR, "HFDR"},
    {PatientPosition::FFDL, "FFDL"},
    {PatientPosition::FFDR, "FFDR"},
}};

double radians(double deg) { return deg * std::numbers::pi / 180.0; }

// Right-handed rotations about the fixed axes (IEC 61217: positive clockwise seen from the
// origin looking along the axis).
Mat3 rotationAboutY(double deg) { return Eigen::AngleAxisd(radians(deg), Vec3::UnitY()).matrix(); }
Mat3 rotationAboutZ(double deg) { return Eigen::AngleAxisd(radians(deg), Vec3::UnitZ()).matrix(); }

double overlap(double a0, double a1, double b0, double b1) {
  return std::max(0.0, std::min(a1, b1) - std::max(a0, b0));
}

bool sameAngle(double a, double b) {
  const double d = std::fmod(std::abs(a - b), 360.0);
  return std::min(d, 360.0 - d) < 1e-3;
}

[[noreturn]] void invalidBeam(const io::Beam& beam, const std::string& sentence) {
  throw Error(ErrorKind::InvalidInput,
              "Beam " + std::to_string(beam.number) + " (\"" + beam.name + "\") " + sentence,
              "beam " + std::to_string(beam.number));
}

}  // namespace

PatientPosition patientPositionFromString(std::string_view code) {
  for (const auto& [position, name] : kPositions)
    if (name == code) return position;
  throw Error(ErrorKind::InvalidInput,
              "Patient position \"" + std::string(code) +
                  "\" is not one of HFS, HFP, FFS, FFP, HFDL, HFDR, FFDL, FFDR (DICOM PS3.3 "
                  "C.7.3.1.1.2).",
              "patientPosition");
}

std::string_view toString(PatientPosition position) {
  for (const auto& [p, name] : kPositions)
    if (p == position) return name;
  return "HFS";
}

Mat3 supportAxesInPatient(PatientPosition position) {
  // Ys: the direction the head points (toward the gantry at couch 0); Zs: what faces up.
  const Vec3 left(1, 0, 0), posterior(0, 1, 0), superior(0, 0, 1);
  Vec3 ys = superior, zs = -posterior;
  switch (position) {
    case PatientPosition::HFS:
      ys = superior, zs = -posterior;
      break;
    case PatientPosition::HFP:
      ys = superior, zs = posterior;
      break;
    case PatientPosition::FFS:
      ys = -superior, zs = -posterior;
      break;
    case PatientPosition::FFP:
      ys = -superior, zs = posterior;
      break;
    case PatientPosition::HFDL:
      ys = superior, zs = -left;
      break;  // lying on the left side
    case PatientPosition::HFDR:
      ys = superior, zs = left;
      break;
    case PatientPosition::FFDL:
      ys = -superior, zs = -left;
      break;
    case PatientPosition::FFDR:
      ys = -superior, zs = left;
      break;
  }
  Mat3 axes;
  axes.col(0) = ys.cross(zs);
  axes.col(1) = ys;
  axes.col(2) = zs;
  return axes;
}

Vec3 BeamGeometry::toBeamsEye(const Vec3& p_lps) const {
  const Vec3 r = p_lps - source_lps;
  const double z = -r.dot(towardSource_lps);
  const double scale = z > 0.0 ? sourceAxisDistance_mm / z : 0.0;
  return {r.dot(xAxis_lps) * scale, r.dot(yAxis_lps) * scale, z};
}

Vec3 BeamGeometry::pointOnRay(double x_mm, double y_mm, double distance_mm) const {
  const Vec3 toIsoPlane =
      x_mm * xAxis_lps + y_mm * yAxis_lps - sourceAxisDistance_mm * towardSource_lps;
  return source_lps + toIsoPlane * (distance_mm / sourceAxisDistance_mm);
}

BeamGeometry beamGeometry(double gantryAngle_deg, double collimatorAngle_deg, double couchAngle_deg,
                          const Vec3& isocentre_lps, double sourceAxisDistance_mm,
                          PatientPosition position) {
  // Fixed -> patient: undo the couch rotation, then lay the patient on the support.
  const Mat3 fixedToPatient =
      supportAxesInPatient(position) * rotationAboutZ(couchAngle_deg).transpose();
  const Mat3 collimatorInFixed =
      rotationAboutY(gantryAngle_deg) * rotationAboutZ(collimatorAngle_deg);
  const Mat3 axes = fixedToPatient * collimatorInFixed;
  BeamGeometry g;
  g.isocentre_lps = isocentre_lps;
  g.xAxis_lps = axes.col(0);
  g.yAxis_lps = axes.col(1);
  g.towardSource_lps = axes.col(2);
  g.sourceAxisDistance_mm = sourceAxisDistance_mm;
  g.source_lps = isocentre_lps + sourceAxisDistance_mm * g.towardSource_lps;
  return g;
}

BeamGeometry beamGeometry(const io::Beam& beam, PatientPosition position) {
  if (beam.controlPoints.empty()) invalidBeam(beam, "has no control points.");
  const io::ControlPoint& first = beam.controlPoints.front();
  if (!first.isocentre_lps)
    invalidBeam(beam, "has no Isocenter Position (300A,012C) at its first control point.");
  for (const io::ControlPoint& cp : beam.controlPoints)
    if (!sameAngle(cp.gantryAngle_deg, first.gantryAngle_deg) ||
        !sameAngle(cp.collimatorAngle_deg, first.collimatorAngle_deg) ||
        !sameAngle(cp.couchAngle_deg, first.couchAngle_deg))
      throw Error(ErrorKind::Unsupported,
                  "Beam " + std::to_string(beam.number) + " (\"" + beam.name +
                      "\") is an arc (its gantry, collimator or couch moves between control "
                      "points); the pencil-beam engine computes static-gantry beams only.",
                  "beam " + std::to_string(beam.number));
  return beamGeometry(first.gantryAngle_deg, first.collimatorAngle_deg, first.couchAngle_deg,
                      *first.isocentre_lps, beam.sourceAxisDistance_mm.value_or(1000.0), position);
}

double Aperture::openFraction(double x0, double x1, double y0, double y1) const {
  const double area = (x1 - x0) * (y1 - y0);
  if (area <= 0.0) return 0.0;
  const double jawX0 = std::max(x0, x1_mm), jawX1 = std::min(x1, x2_mm);
  const double jawY0 = std::max(y0, y1_mm), jawY1 = std::min(y1, y2_mm);
  if (jawX1 <= jawX0 || jawY1 <= jawY0) return 0.0;
  if (leafBoundaries_mm.empty()) return (jawX1 - jawX0) * (jawY1 - jawY0) / area;
  // u: along the leaf motion, v: across the leaves.
  const double u0 = leavesAlongX ? jawX0 : jawY0, u1 = leavesAlongX ? jawX1 : jawY1;
  const double v0 = leavesAlongX ? jawY0 : jawX0, v1 = leavesAlongX ? jawY1 : jawX1;
  double open = 0.0;
  // Outside the leaf bank only the jaws collimate; without jaws across the leaves (an MLC-only
  // head) the bank is taken to cover the whole field.
  if (jawsAcrossLeaves()) {
    open += overlap(v0, v1, -1e9, leafBoundaries_mm.front()) * (u1 - u0);
    open += overlap(v0, v1, leafBoundaries_mm.back(), 1e9) * (u1 - u0);
  }
  for (std::size_t i = 0; i + 1 < leafBoundaries_mm.size(); ++i) {
    const double across = overlap(v0, v1, leafBoundaries_mm[i], leafBoundaries_mm[i + 1]);
    if (across > 0.0) open += across * overlap(u0, u1, leafNegative_mm[i], leafPositive_mm[i]);
  }
  return open / area;
}

std::array<double, 4> Aperture::bounds() const {
  double bx1 = x1_mm, bx2 = x2_mm, by1 = y1_mm, by2 = y2_mm;
  if (leafBoundaries_mm.empty()) return {bx1, bx2, by1, by2};
  // u: along the leaf motion, v: across the leaves (as in openFraction).
  double& u1 = leavesAlongX ? bx1 : by1;
  double& u2 = leavesAlongX ? bx2 : by2;
  double& v1 = leavesAlongX ? by1 : bx1;
  double& v2 = leavesAlongX ? by2 : bx2;
  double leafU1 = 1e9, leafU2 = -1e9, leafV1 = 1e9, leafV2 = -1e9;
  for (std::size_t i = 0; i + 1 < leafBoundaries_mm.size(); ++i) {
    if (leafPositive_mm[i] <= leafNegative_mm[i]) continue;
    leafU1 = std::min(leafU1, leafNegative_mm[i]);
    leafU2 = std::max(leafU2, leafPositive_mm[i]);
    leafV1 = std::min(leafV1, leafBoundaries_mm[i]);
    leafV2 = std::max(leafV2, leafBoundaries_mm[i + 1]);
  }
  // Beyond the leaf bank only the jaws collimate: there the jaws bound the field.
  const bool openBeyondBank =
      jawsAcrossLeaves() && (v1 < leafBoundaries_mm.front() || v2 > leafBoundaries_mm.back());
  if (openBeyondBank) return {bx1, bx2, by1, by2};
  if (leafU2 <= leafU1) return {0, 0, 0, 0};  // every leaf pair closed
  u1 = std::max(u1, leafU1), u2 = std::min(u2, leafU2);
  v1 = std::max(v1, leafV1), v2 = std::min(v2, leafV2);
  return {bx1, bx2, by1, by2};
}

Aperture apertureAt(const io::Beam& beam, std::size_t controlPoint) {
  Aperture aperture;
  for (const io::BeamLimitingDevice& device : beam.devices) {
    const io::DevicePositions* at = beam.devicePositions(controlPoint, device.type);
    if (!at) continue;
    const std::vector<double>& p = at->positions_mm;
    if (device.type == "X" || device.type == "ASYMX" || device.type == "Y" ||
        device.type == "ASYMY") {
      if (p.size() != 2)
        invalidBeam(beam, "has " + std::to_string(p.size()) + " positions for its " + device.type +
                              " jaws at control point " + std::to_string(controlPoint) +
                              "; jaws have 2.");
      const bool x = device.type.back() == 'X';
      (x ? aperture.x1_mm : aperture.y1_mm) = p[0];
      (x ? aperture.x2_mm : aperture.y2_mm) = p[1];
    } else if (device.type == "MLCX" || device.type == "MLCY") {
      const std::size_t pairs = static_cast<std::size_t>(device.leafJawPairs);
      if (p.size() != 2 * pairs || device.leafBoundaries_mm.size() != pairs + 1)
        invalidBeam(beam, "has " + std::to_string(p.size()) + " leaf positions and " +
                              std::to_string(device.leafBoundaries_mm.size()) +
                              " leaf boundaries for " + std::to_string(pairs) + " " + device.type +
                              " leaf pairs at control point " + std::to_string(controlPoint) +
                              " (PS3.3 C.8.8.14.8 needs 2N and N+1).");
      aperture.leavesAlongX = device.type == "MLCX";
      aperture.leafBoundaries_mm = device.leafBoundaries_mm;
      aperture.leafNegative_mm.assign(p.begin(), p.begin() + static_cast<std::ptrdiff_t>(pairs));
      aperture.leafPositive_mm.assign(p.begin() + static_cast<std::ptrdiff_t>(pairs), p.end());
    }
  }
  const auto b = aperture.bounds();
  if (b[0] < -1e8 || b[1] > 1e8 || b[2] < -1e8 || b[3] > 1e8)
    invalidBeam(beam,
                "has no jaws or leaves that bound its field in both directions at control "
                "point " +
                    std::to_string(controlPoint) + "; the field would be unbounded.");
  return aperture;
}

double FluenceMap::sample(double x_mm, double y_mm) const {
  const double fx = (x_mm - x0_mm) / spacing_mm, fy = (y_mm - y0_mm) / spacing_mm;
  if (!(fx >= 0.0) || !(fy >= 0.0) || fx > nx - 1 || fy > ny - 1) return 0.0;
  const int ix = std::min(static_cast<int>(fx), nx - 2),
            iy = std::min(static_cast<int>(fy), ny - 2);
  const double wx = fx - ix, wy = fy - iy;
  return (1 - wy) * ((1 - wx) * at(ix, iy) + wx * at(ix + 1, iy)) +
         wy * ((1 - wx) * at(ix, iy + 1) + wx * at(ix + 1, iy + 1));
}

FluenceMap beamFluence(const io::Beam& beam, double spacing_mm, double margin_mm) {
  if (!beam.meterset || !std::isfinite(*beam.meterset) || *beam.meterset < 0.0)
    invalidBeam(beam,
                "has no Beam Meterset (300A,0086) in the plan's fraction group; dose needs "
                "the MU of every beam.");
  if (!(spacing_mm > 0.0) || !(margin_mm >= 0.0))
    throw Error(ErrorKind::InvalidInput, "The fluence grid needs a spacing > 0 mm and margin >= 0.",
                "fluenceSpacing_mm");
  const std::size_t n = beam.controlPoints.size();
  if (n == 0) invalidBeam(beam, "has no control points.");
  const double finalWeight =
      beam.finalCumulativeMetersetWeight > 0.0 ? beam.finalCumulativeMetersetWeight : 1.0;
  // Each segment: the meterset between control points n and n+1, half through each aperture.
  std::vector<Aperture> apertures;
  std::vector<double> segmentMU;
  for (std::size_t i = 0; i < n; ++i) apertures.push_back(apertureAt(beam, i));
  if (n == 1) {
    segmentMU.push_back(*beam.meterset);
  } else {
    for (std::size_t i = 0; i + 1 < n; ++i) {
      const double dw = beam.controlPoints[i + 1].cumulativeMetersetWeight -
                        beam.controlPoints[i].cumulativeMetersetWeight;
      if (dw < -1e-9)
        invalidBeam(beam, "has a Cumulative Meterset Weight that decreases after control point " +
                              std::to_string(i) + " (PS3.3 C.8.8.14 requires it not to).");
      segmentMU.push_back(*beam.meterset * std::max(0.0, dw) / finalWeight);
    }
  }
  std::array<double, 4> box{1e9, -1e9, 1e9, -1e9};
  auto include = [&](const Aperture& a) {
    const auto b = a.bounds();
    if (b[1] <= b[0] || b[3] <= b[2]) return;
    box = {std::min(box[0], b[0]), std::max(box[1], b[1]), std::min(box[2], b[2]),
           std::max(box[3], b[3])};
  };
  for (std::size_t s = 0; s < segmentMU.size(); ++s) {
    if (segmentMU[s] <= 0.0) continue;
    include(apertures[s]);
    if (n > 1) include(apertures[s + 1]);
  }
  FluenceMap map;
  map.spacing_mm = spacing_mm;
  if (box[1] <= box[0]) {  // nothing delivered
    map.nx = map.ny = 2;
    map.meterset_MU.assign(4, 0.0f);
    return map;
  }
  map.x0_mm = std::floor((box[0] - margin_mm) / spacing_mm) * spacing_mm;
  map.y0_mm = std::floor((box[2] - margin_mm) / spacing_mm) * spacing_mm;
  map.nx = static_cast<int>(std::ceil((box[1] + margin_mm - map.x0_mm) / spacing_mm)) + 1;
  map.ny = static_cast<int>(std::ceil((box[3] + margin_mm - map.y0_mm) / spacing_mm)) + 1;
  map.meterset_MU.assign(static_cast<std::size_t>(map.nx) * map.ny, 0.0f);
  const double h = 0.5 * spacing_mm;
  parallel::parallelFor({0, static_cast<std::size_t>(map.ny)}, 8, [&](parallel::IndexRange rows) {
    for (std::size_t iy = rows.begin; iy < rows.end; ++iy) {
      const double y = map.y0_mm + static_cast<double>(iy) * spacing_mm;
      for (int ix = 0; ix < map.nx; ++ix) {
        const double x = map.x0_mm + ix * spacing_mm;
        double mu = 0.0;
        for (std::size_t s = 0; s < segmentMU.size(); ++s) {
          if (segmentMU[s] <= 0.0) continue;
          const double a = apertures[s].openFraction(x - h, x + h, y - h, y + h);
          const double b = n > 1 ? apertures[s + 1].openFraction(x - h, x + h, y - h, y + h) : a;
          mu += segmentMU[s] * 0.5 * (a + b);
        }
        map.meterset_MU[iy * static_cast<std::size_t>(map.nx) + static_cast<std::size_t>(ix)] =
            static_cast<float>(mu);
      }
    }
  });
  return map;
}

}  // namespace twinplan::radiotherapy
