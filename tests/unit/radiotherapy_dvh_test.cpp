// DVH on analytic shapes (issue #19, item 7): a sphere in a linear dose gradient has a closed-form
// cumulative DVH (the volume above a plane is a spherical cap), so the DVH's volume, Dmean, D95,
// D2 and its whole curve are checked against it within 0.5 %.
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

#include "test_support.h"
#include "twinplan/core/error.h"
#include "twinplan/core/parallel.h"
#include "twinplan/radiotherapy/dvh.h"

namespace twinplan::radiotherapy {
namespace {

constexpr double kPi = std::numbers::pi;

// A dose D0 + gradient . (p - centre) on a grid of 2 mm voxels (the RayStation grid's spacing),
// 64^3, origin chosen so that the sphere's centre falls off the voxel centres.
ScalarField linearDose(const Vec3& centre, const Vec3& gradient_GyPerMm, double d0_Gy) {
  ScalarField dose;
  dose.quantity = "dose";
  dose.unit = units::kGray;
  dose.geometry.size = {64, 64, 64};
  dose.geometry.spacing_mm = Vec3(2, 2, 2);
  dose.geometry.origin_lps = Vec3(-63.3, -62.7, -63.55);
  dose.values.resize(dose.geometry.voxelCount());
  for (std::int64_t k = 0; k < 64; ++k)
    for (std::int64_t j = 0; j < 64; ++j)
      for (std::int64_t i = 0; i < 64; ++i) {
        const Vec3 p = dose.geometry.indexToLps(Vec3(i, j, k));
        dose.values[dose.geometry.linearIndex(i, j, k)] =
            static_cast<float>(d0_Gy + gradient_GyPerMm.dot(p - centre));
      }
  return dose;
}

// A sphere contoured as a TPS would on axial planes `spacing_mm` apart, the planes placed
// symmetrically so that the stacked slabs span exactly [-R, R]; 720-gons.
StructureContours sphere(const Vec3& centre, double radius_mm, double spacing_mm) {
  StructureContours s{"sphere", {}};
  const int planes = static_cast<int>(std::round(2 * radius_mm / spacing_mm));
  for (int p = 0; p < planes; ++p) {
    const double z = -radius_mm + (p + 0.5) * spacing_mm;
    const double r = std::sqrt(radius_mm * radius_mm - z * z);
    std::vector<Vec3> polygon;
    for (int n = 0; n < 720; ++n) {
      const double a = 2 * kPi * n / 720;
      polygon.push_back(centre + Vec3(r * std::cos(a), r * std::sin(a), z));
    }
    s.polygons_lps.push_back(std::move(polygon));
  }
  return s;
}

// The analytic DVH of a sphere (radius R) in a linear dose of slope G (Gy/mm) about D0.
struct SphereInGradient {
  double R, G, d0;
  double volume() const { return 4.0 / 3.0 * kPi * R * R * R; }
  double volumeAbove(double d) const {  // mm3
    const double h = std::clamp(R - (d - d0) / G, 0.0, 2 * R);
    return kPi * h * h * (3 * R - h) / 3;
  }
  double doseAtFraction(double fraction) const {  // Dx for x = fraction of the volume
    double lo = d0 - G * R, hi = d0 + G * R;
    for (int n = 0; n < 100; ++n) {
      const double mid = 0.5 * (lo + hi);
      (volumeAbove(mid) > fraction * volume() ? lo : hi) = mid;
    }
    return 0.5 * (lo + hi);
  }
};

void expectAnalytic(const Vec3& direction) {
  const Vec3 centre(1.3, -0.7, 0.4);
  const double slope = 0.5;  // Gy/mm: 20 Gy across the 40 mm sphere
  const SphereInGradient exact{20.0, slope, 30.0};
  const ScalarField dose = linearDose(centre, slope * direction.normalized(), exact.d0);
  const DoseVolumeHistogram dvh = computeDvh(dose, sphere(centre, exact.R, 2.0));
  const DvhFigures& f = dvh.figures;
  const double volume_cm3 = exact.volume() / 1000;
  std::cout << "[dvh] direction " << direction.transpose() << ": V " << f.volume_cm3 << " ("
            << volume_cm3 << ") cm3, Dmean " << f.dmean_Gy << ", D95 " << f.d95_Gy << " ("
            << exact.doseAtFraction(0.95) << "), D2 " << f.d2_Gy << " ("
            << exact.doseAtFraction(0.02) << "), Dmin " << f.dmin_Gy << ", Dmax " << f.dmax_Gy
            << "; spread V " << dvh.uncertainty.volume_cm3 << " D95 " << dvh.uncertainty.d95_Gy
            << '\n';
  EXPECT_NEAR(f.volume_cm3, volume_cm3, 0.005 * volume_cm3);
  EXPECT_NEAR(f.dmean_Gy, exact.d0, 0.005 * exact.d0);
  EXPECT_NEAR(f.d95_Gy, exact.doseAtFraction(0.95), 0.005 * exact.doseAtFraction(0.95));
  EXPECT_NEAR(f.d2_Gy, exact.doseAtFraction(0.02), 0.005 * exact.doseAtFraction(0.02));
  // Any Dx and Vx: the median dose is D0 (the sphere is symmetric about its centre plane), and
  // V(D0) is half the volume.
  EXPECT_NEAR(dvh.doseToVolumePercent(50), exact.d0, 0.005 * exact.d0);
  EXPECT_NEAR(dvh.doseToVolumePercent(80), exact.doseAtFraction(0.8),
              0.005 * exact.doseAtFraction(0.8));
  EXPECT_NEAR(dvh.volumeAtDose(exact.d0), volume_cm3 / 2, 0.005 * volume_cm3);
  // Dmin/Dmax are the extreme sample doses: the samples nearest the surface lie within half a
  // sub-voxel diagonal (sqrt(3)/2 x 0.5 mm) of the slab model's surface, which itself reaches
  // at most 1 - sqrt(1 - 1/400) x ... < 0.3 mm past the sphere near its poles (slab model).
  const double nearest_Gy = slope * (std::sqrt(3.0) / 2 * 2.0 / 4 + 0.3);
  EXPECT_NEAR(f.dmin_Gy, exact.d0 - slope * exact.R, nearest_Gy);
  EXPECT_NEAR(f.dmax_Gy, exact.d0 + slope * exact.R, nearest_Gy);
  // The whole cumulative curve, every 0.5 Gy, within 0.5 % of the volume.
  double worst = 0;
  for (double d = 19.0; d <= 41.0; d += 0.5)
    worst = std::max(worst, std::abs(dvh.volumeAtDose(d) - exact.volumeAbove(d) / 1000));
  std::cout << "[dvh]   worst |V(d) - exact| " << worst / volume_cm3 * 100 << " % of the volume\n";
  EXPECT_LT(worst, 0.005 * volume_cm3);
  // The differential curve integrates to the volume.
  double total = 0;
  for (double v : dvh.differential_cm3) total += v;
  EXPECT_NEAR(total, f.volume_cm3, 1e-6 * volume_cm3);
}

TEST(Dvh, SphereInAnInPlaneGradientMatchesTheAnalyticDvh) { expectAnalytic(Vec3(1, 0, 0)); }
TEST(Dvh, SphereInAThroughPlaneGradientMatchesTheAnalyticDvh) { expectAnalytic(Vec3(0, 0, 1)); }
TEST(Dvh, SphereInAnObliqueGradientMatchesTheAnalyticDvh) { expectAnalytic(Vec3(1, -2, 3)); }

TEST(Dvh, AnnulusHoleIsLeftOutAndPartialVolumesAddUp) {
  // Cylinder shell: outer radius 15 mm, inner 6 mm (an even-odd hole), 10 planes 3 mm apart
  // (a contour spacing other than the dose grid's). Volume pi (15^2 - 6^2) x 30 mm.
  const Vec3 centre(0.6, 0.2, 0.0);
  const ScalarField dose = linearDose(centre, Vec3(0, 0, 0), 2.0);
  StructureContours shell{"shell", {}};
  for (int p = 0; p < 10; ++p)
    for (double r : {15.0, 6.0}) {
      std::vector<Vec3> polygon;
      for (int n = 0; n < 720; ++n)
        polygon.push_back(centre + Vec3(r * std::cos(2 * kPi * n / 720),
                                        r * std::sin(2 * kPi * n / 720), -13.5 + 3.0 * p));
      shell.polygons_lps.push_back(polygon);
    }
  const DoseVolumeHistogram dvh = computeDvh(dose, shell);
  const double exact_cm3 = kPi * (15 * 15 - 6 * 6) * 30 / 1000;
  EXPECT_NEAR(dvh.figures.volume_cm3, exact_cm3, 0.005 * exact_cm3);
  EXPECT_NEAR(dvh.figures.dmean_Gy, 2.0, 1e-5);
  EXPECT_NEAR(dvh.volumeAtDose(1.99), exact_cm3, 0.005 * exact_cm3);
  EXPECT_NEAR(dvh.volumeAtDose(2.01), 0.0, 1e-9);
  EXPECT_NEAR(dvh.volumeOutsideDose_cm3, 0.0, 1e-12);
}

TEST(Dvh, PartOutsideTheDoseGridIsReportedNotDosed) {
  // A 10 mm cube whose upper half sticks out of the grid's last slice (the grid ends at
  // k = 63.5, z = 63.45 mm): 0.5 cm3 inside, 0.5 cm3 outside.
  const ScalarField dose = linearDose(Vec3::Zero(), Vec3::Zero(), 1.0);
  const double zTop = dose.geometry.indexToLps(Vec3(0, 0, 63.5)).z();
  StructureContours cube{"cube", {}};
  for (int p = 0; p < 10; ++p) {
    const double z = zTop - 5.0 + 0.5 + p;
    cube.polygons_lps.push_back({Vec3(-5, -5, z), Vec3(5, -5, z), Vec3(5, 5, z), Vec3(-5, 5, z)});
  }
  const DoseVolumeHistogram dvh = computeDvh(dose, cube);
  EXPECT_NEAR(dvh.figures.volume_cm3, 0.5, 1e-9);
  EXPECT_NEAR(dvh.volumeOutsideDose_cm3, 0.5, 1e-9);
}

TEST(Dvh, PartBesideTheDoseGridIsReportedNotDosed) {
  // A 20 x 20 mm square prism, 10 mm tall, half of it beyond the grid's first column (the grid
  // starts at x = -64.3 mm): 2 cm3 inside, 2 cm3 outside (counted at voxel centres).
  const ScalarField dose = linearDose(Vec3::Zero(), Vec3::Zero(), 1.0);
  const double xEdge = dose.geometry.indexToLps(Vec3(-0.5, 0, 0)).x();
  StructureContours prism{"prism", {}};
  for (int p = 0; p < 10; ++p) {
    const double z = 0.5 + p;
    prism.polygons_lps.push_back({Vec3(xEdge - 10, -10, z), Vec3(xEdge + 10, -10, z),
                                  Vec3(xEdge + 10, 10, z), Vec3(xEdge - 10, 10, z)});
  }
  const DoseVolumeHistogram dvh = computeDvh(dose, prism);
  EXPECT_NEAR(dvh.figures.volume_cm3, 2.0, 1e-9);
  EXPECT_NEAR(dvh.volumeOutsideDose_cm3, 2.0, 1e-9);
  // A contour kilometres wide is refused, not allocated.
  StructureContours huge{"huge", {{Vec3(-1e6, -1e6, 0), Vec3(1e6, -1e6, 0), Vec3(0, 1e6, 0)}}};
  EXPECT_THROW(computeDvh(dose, huge), Error);
}

TEST(Dvh, SameResultOnOneThreadAndMany) {
  const Vec3 centre(1.3, -0.7, 0.4);
  const ScalarField dose = linearDose(centre, Vec3(0.3, 0.2, -0.4), 30.0);
  const StructureContours s = sphere(centre, 15.0, 2.5);
  const DoseVolumeHistogram many = computeDvh(dose, s);
  DoseVolumeHistogram one;
  {
    parallel::ThreadLimit limit(1);
    one = computeDvh(dose, s);
  }
  EXPECT_EQ(one.cumulative_cm3, many.cumulative_cm3);
  EXPECT_EQ(one.figures.dmean_Gy, many.figures.dmean_Gy);
}

TEST(Dvh, CoarserSamplingIsWorseAndItsSpreadIsReported) {
  // A small sphere (R 5 mm on 2 mm voxels) is mostly partial voxels: voxel-centre sampling
  // (supersampling 1, plastimatch's rule) misses its volume by more than supersampling 8 does.
  const Vec3 centre(1.3, -0.7, 0.4);
  const ScalarField dose = linearDose(centre, Vec3(0.5, 0, 0), 30.0);
  const StructureContours s = sphere(centre, 5.0, 1.0);
  // The structure model's own volume: the 720-gons' areas times the 1 mm plane spacing (the
  // stacked slabs differ from the sphere itself by 0.5 % at this size).
  double exact_cm3 = 0;
  for (int p = 0; p < 10; ++p) {
    const double z = -5.0 + p + 0.5, r2 = 25 - z * z;
    exact_cm3 += 360 * r2 * std::sin(2 * kPi / 720) * 1.0 / 1000;
  }
  DvhOptions coarse, fine;
  coarse.supersampling = 1;
  fine.supersampling = 8;
  const DoseVolumeHistogram c = computeDvh(dose, s, coarse), f = computeDvh(dose, s, fine);
  const double coarseError = std::abs(c.figures.volume_cm3 - exact_cm3);
  const double fineError = std::abs(f.figures.volume_cm3 - exact_cm3);
  std::cout << "[dvh] R 5 mm: volume error " << coarseError / exact_cm3 * 100 << " % (1), "
            << fineError / exact_cm3 * 100
            << " % (8), spread at 8 vs 4: " << f.uncertainty.volume_cm3 / exact_cm3 * 100 << " %\n";
  EXPECT_LT(fineError, 0.002 * exact_cm3);
  EXPECT_GT(coarseError, 2 * fineError);
  EXPECT_GT(f.uncertainty.volume_cm3, 0.0);
  EXPECT_LT(f.uncertainty.volume_cm3, 0.02 * exact_cm3);
}

TEST(Dvh, BadInputIsRefusedWithTheReason) {
  ScalarField dose = linearDose(Vec3::Zero(), Vec3::Zero(), 1.0);
  const StructureContours s = sphere(Vec3::Zero(), 5.0, 2.0);
  ScalarField relative = dose;
  relative.unit = units::kDimensionless;
  try {
    computeDvh(relative, s);
    FAIL() << "a relative dose was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::InvalidInput);
    EXPECT_NE(std::string(e.what()).find("not Gy"), std::string::npos) << e.what();
  }
  StructureContours tilted{"tilted", {{Vec3(0, 0, 0), Vec3(10, 0, 5), Vec3(0, 10, 0)}}};
  try {
    computeDvh(dose, tilted);
    FAIL() << "a tilted contour was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Unsupported);
    EXPECT_NE(std::string(e.what()).find("not parallel"), std::string::npos) << e.what();
  }
  EXPECT_THROW(computeDvh(dose, StructureContours{"empty", {}}), Error);
  EXPECT_THROW(computeDvh(dose, StructureContours{"line", {{Vec3(0, 0, 0), Vec3(1, 0, 0)}}}),
               Error);
  DvhOptions bad;
  bad.supersampling = 0;
  EXPECT_THROW(computeDvh(dose, s, bad), Error);
}

TEST(Dvh, CancelStopsTheWork) {
  const ScalarField dose = linearDose(Vec3::Zero(), Vec3(0.1, 0, 0), 1.0);
  test::RecordingProgress cancelAtOnce(0);
  EXPECT_THROW(computeDvh(dose, sphere(Vec3::Zero(), 20.0, 2.0), {}, cancelAtOnce), Cancelled);
}

}  // namespace
}  // namespace twinplan::radiotherapy
