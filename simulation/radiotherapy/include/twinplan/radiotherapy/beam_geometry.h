#pragma once
// Treatment-machine geometry of a photon beam in patient LPS (issue #19 item 2), and the
// fluence its collimators let through, in the beam's-eye view.
//
// Coordinate systems (IEC 61217 "Radiotherapy equipment - coordinates, movements and scales",
// as used by DICOM PS3.3 C.8.8.14 RT Beams and C.8.8.25.6.1): the fixed system f has its origin
// at the isocentre, +Zf up, +Yf from the isocentre toward the gantry, +Xf to the right of an
// observer facing the gantry. Each rotation is positive clockwise seen from the origin along
// its axis, i.e. right-handed about:
//   gantry g: about +Yf by the Gantry Angle (300A,011E); the source sits on +Zg at SAD;
//   beam limiting device b: about +Zg by the Beam Limiting Device Angle (300A,0120);
//   patient support s: about +Zf by the Patient Support Angle (300A,0122).
// The patient lies on the support as Patient Position (0018,5100) states (PS3.3 C.7.3.1.1.2):
// head first supine (HFS) puts the patient's superior on +Ys, anterior on +Zs and so left on
// +Xs; the other positions follow by turning the patient on the table. So for HFS, gantry 0
// irradiates from anterior, gantry 90 from the patient's left, gantry 270 from the right.
//
// The fluence: jaws (X/ASYMX, Y/ASYMY) and leaves (MLCX, MLCY) are positions projected to the
// isocentre plane, in Xb or Yb (C.8.8.14.8: leaves listed 1..N on the negative side, then
// N+1..2N on the positive side, leaf pair boundaries across them). A map on a grid in the
// isocentre plane holds the meterset (MU) that passes each point: for a static beam its
// meterset times the open fraction of each pixel; for step-and-shoot and sliding windows the
// meterset delivered between control points n and n+1 (C.8.8.14: Beam Meterset x the change
// of Cumulative Meterset Weight) times the mean of their two apertures.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "twinplan/core/geometry.h"
#include "twinplan/io/dicom_rtplan.h"

namespace twinplan::radiotherapy {

enum class PatientPosition { HFS, HFP, FFS, FFP, HFDL, HFDR, FFDL, FFDR };

// Error(InvalidInput) naming the allowed values for anything else.
PatientPosition patientPositionFromString(std::string_view code);
std::string_view toString(PatientPosition position);
// Columns: the IEC patient-support axes Xs, Ys, Zs as LPS unit vectors.
Mat3 supportAxesInPatient(PatientPosition position);

// One control point's geometry in patient LPS.
struct BeamGeometry {
  Vec3 isocentre_lps = Vec3::Zero();
  Vec3 source_lps = Vec3::Zero();
  Vec3 xAxis_lps =
      Vec3::UnitX();  // IEC beam limiting device Xb (the X jaws and MLCX move along it)
  Vec3 yAxis_lps = Vec3::UnitY();         // Yb
  Vec3 towardSource_lps = Vec3::UnitZ();  // Zb: from the isocentre toward the source
  double sourceAxisDistance_mm = 1000.0;

  // (x, y) of the ray through p projected to the isocentre plane (mm, along Xb, Yb), and z the
  // distance of p from the source along the central axis (mm).
  Vec3 toBeamsEye(const Vec3& p_lps) const;
  // The point at distance `distance_mm` from the source along the ray through (x, y) of the
  // isocentre plane.
  Vec3 pointOnRay(double x_mm, double y_mm, double distance_mm) const;
};

BeamGeometry beamGeometry(double gantryAngle_deg, double collimatorAngle_deg, double couchAngle_deg,
                          const Vec3& isocentre_lps, double sourceAxisDistance_mm,
                          PatientPosition position);
// Of control point 0 of `beam` (its isocentre and SAD; SAD 1000 mm when the plan omits it).
// Error(InvalidInput) for a beam without an isocentre; Error(Unsupported) for an arc (gantry,
// collimator or couch moving between control points).
BeamGeometry beamGeometry(const io::Beam& beam, PatientPosition position);

// The collimation at one control point, in the isocentre plane (mm).
struct Aperture {
  double x1_mm = -1e9, x2_mm = 1e9, y1_mm = -1e9, y2_mm = 1e9;  // jaws (open when absent)
  bool leavesAlongX = true;                                     // MLCX (or MLCY)
  std::vector<double> leafBoundaries_mm;                        // N + 1 across the leaf motion
  std::vector<double> leafNegative_mm, leafPositive_mm;         // N each: bank 1 and bank 2
  // Fraction of the rectangle [x0,x1] x [y0,y1] that is open (exact for jaws and leaves).
  double openFraction(double x0, double x1, double y0, double y1) const;
  // Whether jaws collimate across the leaf motion (Y jaws for MLCX).
  bool jawsAcrossLeaves() const { return (leavesAlongX ? y1_mm : x1_mm) > -1e8; }
  // The bounding box of the opening (mm): x1, x2, y1, y2.
  std::array<double, 4> bounds() const;
};

// Error(InvalidInput) when the control point has neither jaws nor leaves in both directions
// (the field would be unbounded), or leaf positions that do not match the leaf count.
Aperture apertureAt(const io::Beam& beam, std::size_t controlPoint);

// Meterset per unit area: the MU that reach each pixel, on a regular grid in the isocentre
// plane (x along Xb, y along Yb). Reused by every engine (pencil beam here; collapsed cone's
// TERMA next).
struct FluenceMap {
  double x0_mm = 0.0, y0_mm = 0.0;  // centre of pixel (0, 0)
  double spacing_mm = 2.0;
  int nx = 0, ny = 0;
  std::vector<float> meterset_MU;  // x fastest

  float at(int ix, int iy) const { return meterset_MU[static_cast<std::size_t>(iy) * nx + ix]; }
  // Bilinear; 0 outside the grid.
  double sample(double x_mm, double y_mm) const;
};

// The beam's fluence with `margin_mm` of closed border around the union of its apertures.
// Error(InvalidInput) for a beam without Beam Meterset or with decreasing cumulative weights.
FluenceMap beamFluence(const io::Beam& beam, double spacing_mm, double margin_mm);

}  // namespace twinplan::radiotherapy
