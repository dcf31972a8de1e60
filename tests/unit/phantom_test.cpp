// Digital phantoms: ground truth (tumour volumes and centres, tissue intensities),
// determinism, oblique grids, and the files writePhantom produces.
#include "twinplan/phantom/phantom.h"

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <span>

#include "test_support.h"
#include "twinplan/core/case_file.h"
#include "twinplan/core/fnv1a.h"
#include "twinplan/io/dicom_index.h"
#include "twinplan/io/dicom_volume.h"
#include "twinplan/io/image_file.h"
#include "twinplan/segmentation/mesh_metrics.h"

namespace twinplan {
namespace {
namespace fs = std::filesystem;
using phantom::Phantom;
using phantom::PhantomKind;
using phantom::PhantomOptions;

double sphereVolume_mm3(double diameter_mm) { return M_PI / 6.0 * std::pow(diameter_mm, 3); }

const ImageVolume& volumeNamed(const Phantom& p, const std::string& name) {
  for (const auto& v : p.twin.volumes)
    if (v.name == name) return v;
  throw std::runtime_error("no volume " + name);
}

const Segment& segmentNamed(const LabelMap& labels, const std::string& name) {
  const auto index = labels.findSegment(name);
  if (!index) throw std::runtime_error("no segment " + name);
  return labels.segments()[*index];
}

struct RegionStats {
  std::size_t voxels = 0;
  Vec3 centre_lps = Vec3::Zero();
  double mean = 0.0, sd = 0.0;
};

// Voxels of `segment` (and, for a layer-0 segment, not covered by a tumour): count, centre of
// mass in LPS and the mean/SD of `volume` there.
RegionStats statsOf(const Phantom& p, const Segment& segment, const ImageVolume* volume) {
  const LabelMap& labels = p.twin.labelMaps.at(0);
  const ImageGeometry& g = labels.geometry();
  const auto& layer = labels.layer(segment.layer);
  const auto& overlay = labels.layer(1);
  RegionStats s;
  Vec3 sumIjk = Vec3::Zero();
  double sum = 0.0, sum2 = 0.0;
  for (std::int64_t k = 0; k < g.size[2]; ++k)
    for (std::int64_t j = 0; j < g.size[1]; ++j)
      for (std::int64_t i = 0; i < g.size[0]; ++i) {
        const std::size_t n = g.linearIndex(i, j, k);
        if (layer[n] != segment.value) continue;
        if (segment.layer == 0 && overlay[n] != 0) continue;
        ++s.voxels;
        sumIjk += Vec3(static_cast<double>(i), static_cast<double>(j), static_cast<double>(k));
        if (volume) {
          const double v = volume->valueAt(i, j, k);
          sum += v;
          sum2 += v * v;
        }
      }
  if (s.voxels == 0) return s;
  const double n = static_cast<double>(s.voxels);
  s.centre_lps = g.indexToLps(sumIjk / n);
  s.mean = sum / n;
  s.sd = std::sqrt(std::max(0.0, sum2 / n - s.mean * s.mean));
  return s;
}

// The phantoms at full resolution are built once for the whole file (about half a second each),
// without their 3D models, which SampleCaseHasClosedModels... tests on its own.
const Phantom& abdomen() {
  static const Phantom p = [] {
    PhantomOptions o;
    o.surfaceModels = false;
    const auto start = std::chrono::steady_clock::now();
    Phantom made = phantom::makePhantom(o);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("[   INFO   ] abdomen phantom (256x256x100) made in %.2f s\n", seconds);
    return made;
  }();
  return p;
}

const Phantom& head() {
  static const Phantom p = [] {
    PhantomOptions o;
    o.kind = PhantomKind::Head;
    o.surfaceModels = false;
    const auto start = std::chrono::steady_clock::now();
    Phantom made = phantom::makePhantom(o);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("[   INFO   ] head phantom (224x224x96, CT + MR) made in %.2f s\n", seconds);
    return made;
  }();
  return p;
}

// Voxel-centre sampling of a sphere: the count fluctuates with the sphere's position against
// the grid by roughly (surface voxels)^0.5 / (all voxels); a few % for 15 mm at 1.5x1.5x2.5 mm.
double volumeTolerance(double diameter_mm) { return diameter_mm < 20.0 ? 0.05 : 0.02; }

void expectTumoursMatchTruth(const Phantom& p) {
  const LabelMap& labels = p.twin.labelMaps.at(0);
  const Vec3 spacing = labels.geometry().spacing_mm;
  ASSERT_FALSE(p.tumours.empty());
  for (const auto& truth : p.tumours) {
    const Segment& segment = segmentNamed(labels, truth.name);
    EXPECT_EQ(segment.layer, 1) << truth.name << " overlaps its organ, so it has its own layer";
    EXPECT_EQ(segment.tissueType, "tumour");
    const RegionStats s = statsOf(p, segment, nullptr);
    const double volume_mm3 = static_cast<double>(s.voxels) * spacing.prod();
    const double expected_mm3 = sphereVolume_mm3(truth.diameter_mm);
    const double error = volume_mm3 / expected_mm3 - 1.0;
    std::printf(
        "[   INFO   ] %s: %zu voxels, %.0f mm3 vs %.0f mm3 (%+.2f %%), centre off by %.3f mm\n",
        truth.name.c_str(), s.voxels, volume_mm3, expected_mm3, 100.0 * error,
        (s.centre_lps - truth.centre_lps).norm());
    EXPECT_LT(std::abs(error), volumeTolerance(truth.diameter_mm)) << truth.name;
    // Centre of mass within one voxel (its smallest side) of the stated centre.
    EXPECT_LT((s.centre_lps - truth.centre_lps).norm(), spacing.minCoeff()) << truth.name;
  }
}

TEST(AbdomenPhantom, HasTheExpectedGridVolumesAndSegments) {
  const Phantom& p = abdomen();
  ASSERT_EQ(p.twin.volumes.size(), 1u);
  const ImageVolume& ct = volumeNamed(p, "CT");
  EXPECT_EQ(ct.pixelType(), PixelType::Int16);
  EXPECT_EQ(ct.unit, "HU");
  EXPECT_EQ(ct.dicom.modality, "CT");
  EXPECT_EQ(ct.dicom.patientPosition, "HFS");
  EXPECT_FALSE(ct.dicom.studyInstanceUid.empty());
  EXPECT_FALSE(ct.dicom.frameOfReferenceUid.empty());
  const ImageGeometry& g = ct.geometry();
  EXPECT_EQ(g.size, (std::array<std::int64_t, 3>{256, 256, 100}));
  EXPECT_NEAR(g.spacing_mm[0], 1.5, 1e-12);
  EXPECT_NEAR(g.spacing_mm[2], 2.5, 1e-12);
  EXPECT_TRUE(g.direction.isIdentity());
  // Grid centred on the LPS origin.
  EXPECT_NEAR(g.indexToLps(Vec3(127.5, 127.5, 49.5)).norm(), 0.0, 1e-9);

  ASSERT_EQ(p.twin.labelMaps.size(), 1u);
  const LabelMap& labels = p.twin.labelMaps[0];
  EXPECT_TRUE(labels.geometry().sameGridAs(g));
  EXPECT_EQ(labels.layerCount(), 2);
  const std::set<std::string> tissueKeys = {"skin",      "fat",    "muscle", "bone",
                                            "cartilage", "csf",    "vessel", "kidney",
                                            "liver",     "spleen", "bowel",  "tumour"};
  std::set<std::string> seen;
  for (std::size_t s = 0; s < labels.segments().size(); ++s) {
    const Segment& segment = labels.segments()[s];
    EXPECT_TRUE(tissueKeys.count(segment.tissueType)) << segment.tissueType;
    EXPECT_GT(labels.voxelCount(s), 0u) << segment.name << " is empty";
    seen.insert(segment.tissueType);
  }
  for (const char* key : {"skin", "fat", "muscle", "bone", "liver", "tumour", "vessel", "kidney"})
    EXPECT_TRUE(seen.count(key)) << key;
  // Liver volume of an adult: 1.2-1.8 l (e.g. Heinemann et al., Forensic Sci Int 1999).
  const double liver_ml = labels.volume_ml(*labels.findSegment("Liver")) +
                          labels.volume_ml(*labels.findSegment("Tumour 1")) +
                          labels.volume_ml(*labels.findSegment("Tumour 2"));
  std::printf("[   INFO   ] liver volume (with tumours) %.0f ml\n", liver_ml);
  EXPECT_GT(liver_ml, 1000.0);
  EXPECT_LT(liver_ml, 2200.0);
  ASSERT_FALSE(p.twin.provenance.empty());
  EXPECT_EQ(p.twin.provenance[0]["step"], "phantom");
}

TEST(AbdomenPhantom, TumoursMatchTheirTruth) {
  const Phantom& p = abdomen();
  ASSERT_EQ(p.tumours.size(), 2u);
  EXPECT_DOUBLE_EQ(p.tumours[0].diameter_mm, 15.0);
  EXPECT_DOUBLE_EQ(p.tumours[1].diameter_mm, 30.0);
  expectTumoursMatchTruth(p);
}

TEST(AbdomenPhantom, TumoursLieWhollyInsideTheLiver) {
  const Phantom& p = abdomen();
  const LabelMap& labels = p.twin.labelMaps[0];
  const std::uint16_t liver = segmentNamed(labels, "Liver").value;
  const auto& base = labels.layer(0);
  const auto& overlay = labels.layer(1);
  std::size_t tumourVoxels = 0, outsideLiver = 0;
  for (std::size_t n = 0; n < base.size(); ++n) {
    if (overlay[n] == 0) continue;
    ++tumourVoxels;
    if (base[n] != liver) ++outsideLiver;
  }
  EXPECT_GT(tumourVoxels, 0u);
  EXPECT_EQ(outsideLiver, 0u);
}

void expectIntensities(const Phantom& p, const std::string& volumeName, double noiseSd, bool mr) {
  const ImageVolume& volume = volumeNamed(p, volumeName);
  const LabelMap& labels = p.twin.labelMaps[0];
  for (const auto& truth : p.tissues) {
    if (!truth.homogeneous) continue;
    const RegionStats s = statsOf(p, segmentNamed(labels, truth.segment), &volume);
    const double nominal = mr ? truth.mr : truth.ct_HU;
    // Rician magnitude: mean sqrt(A^2 + sigma^2) for A >> sigma (Gudbjartsson & Patz 1995).
    const double expected = mr ? std::sqrt(nominal * nominal + noiseSd * noiseSd) : nominal;
    std::printf("[   INFO   ] %-6s %-22s n=%8zu mean %8.2f (nominal %7.1f) sd %6.2f\n",
                volumeName.c_str(), truth.segment.c_str(), s.voxels, s.mean, nominal, s.sd);
    ASSERT_GT(s.voxels, 50u) << truth.segment;
    // Mean: 5 standard errors plus the rounding to integers.
    const double tolerance = 5.0 * noiseSd / std::sqrt(static_cast<double>(s.voxels)) + 0.5;
    EXPECT_NEAR(s.mean, expected, tolerance) << volumeName << " " << truth.segment;
    // SD: the noise, widened by rounding (+1/12 variance); sampling error ~ 1/sqrt(2n).
    const double expectedSd = std::sqrt(noiseSd * noiseSd + 1.0 / 12.0);
    const double sdTolerance =
        expectedSd * (5.0 / std::sqrt(2.0 * static_cast<double>(s.voxels)) + 0.02);
    EXPECT_NEAR(s.sd, expectedSd, sdTolerance) << volumeName << " " << truth.segment;
  }
}

TEST(AbdomenPhantom, TissueIntensitiesMatchNominalHuAndNoise) {
  const Phantom& p = abdomen();
  expectIntensities(p, "CT", p.options.noiseSd, false);
  std::map<std::string, double> hu;
  for (const auto& t : p.tissues) hu[t.segment] = t.ct_HU;
  // Portal venous phase: contrast vessels > liver > tumours > muscle > water > fat.
  EXPECT_GT(hu["Portal vein"], hu["Liver"] + 50.0);
  EXPECT_GT(hu["Liver"], hu["Tumour 1"] + 30.0);
  EXPECT_LT(hu["Subcutaneous fat"], -80.0);
  // Every unlabelled voxel is air.
  const ImageVolume& ct = volumeNamed(p, "CT");
  const auto& base = p.twin.labelMaps[0].layer(0);
  const auto voxels = ct.voxels<std::int16_t>();
  double airSum = 0.0;
  std::size_t air = 0;
  for (std::size_t n = 0; n < base.size(); ++n) {
    if (base[n] != 0) continue;
    ++air;
    airSum += voxels[n];
  }
  EXPECT_GT(air, base.size() / 5);
  EXPECT_NEAR(airSum / static_cast<double>(air), -1000.0, 5.0);
}

TEST(AbdomenPhantom, SameSeedGivesIdenticalVoxelsDifferentSeedDoesNot) {
  PhantomOptions o;
  o.scale = 0.25;
  const Phantom a = phantom::makePhantom(o);
  const Phantom b = phantom::makePhantom(o);
  o.seed = 2;
  const Phantom c = phantom::makePhantom(o);
  const auto bytesA = a.twin.volumes[0].bytes();
  const auto bytesB = b.twin.volumes[0].bytes();
  const auto bytesC = c.twin.volumes[0].bytes();
  ASSERT_EQ(bytesA.size(), bytesB.size());
  EXPECT_EQ(std::memcmp(bytesA.data(), bytesB.data(), bytesA.size()), 0);
  EXPECT_EQ(a.twin.labelMaps[0].layer(0), b.twin.labelMaps[0].layer(0));
  EXPECT_EQ(a.twin.labelMaps[0].layer(1), b.twin.labelMaps[0].layer(1));
  // Another seed: other noise on the same anatomy.
  EXPECT_EQ(a.twin.labelMaps[0].layer(0), c.twin.labelMaps[0].layer(0));
  const auto va = a.twin.volumes[0].voxels<std::int16_t>();
  const auto vc = c.twin.volumes[0].voxels<std::int16_t>();
  std::size_t differ = 0;
  for (std::size_t n = 0; n < va.size(); ++n) differ += va[n] != vc[n];
  EXPECT_GT(static_cast<double>(differ), 0.8 * static_cast<double>(va.size()));
  // The 3D models are built from the labels alone, so they repeat too.
  ASSERT_FALSE(a.twin.meshes.empty());
  ASSERT_EQ(a.twin.meshes.size(), b.twin.meshes.size());
  for (std::size_t m = 0; m < a.twin.meshes.size(); ++m) {
    EXPECT_EQ(a.twin.meshes[m].points_lps, b.twin.meshes[m].points_lps) << a.twin.meshes[m].name;
    EXPECT_EQ(a.twin.meshes[m].triangles, b.twin.meshes[m].triangles) << a.twin.meshes[m].name;
    EXPECT_EQ(a.twin.meshes[m].normals, b.twin.meshes[m].normals) << a.twin.meshes[m].name;
  }
}

// The sample case opens with 3D models of what a surgeon plans on, each a closed surface small
// enough for a software renderer, the tumours solid and the liver see-through.
TEST(AbdomenPhantom, SampleCaseHasClosedModelsOfThePlanningAnatomy) {
  const auto start = std::chrono::steady_clock::now();
  const Phantom p = phantom::makePhantom({});
  std::printf("[   INFO   ] abdomen phantom with models made in %.2f s\n",
              std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  const LabelMap& truth = p.twin.labelMaps[0];
  std::map<std::string, const SurfaceMesh*> byName;
  for (const SurfaceMesh& mesh : p.twin.meshes) {
    byName[mesh.name] = &mesh;
    const std::size_t segment = *truth.findSegment(mesh.segmentName);
    const double voxels_ml = truth.volume_ml(segment);
    const double mesh_ml = segmentation::enclosedVolume_ml(mesh);
    std::printf("[   INFO   ] model %-20s %6zu triangles, %7.1f ml (voxels %7.1f ml, %+.1f %%)\n",
                mesh.name.c_str(), mesh.triangles.size(), mesh_ml, voxels_ml,
                100.0 * (mesh_ml / voxels_ml - 1.0));
    EXPECT_TRUE(segmentation::isClosedManifold(mesh)) << mesh.name;
    EXPECT_LE(mesh.triangles.size(), 20000u) << mesh.name;
    EXPECT_EQ(mesh.normals.size(), mesh.points_lps.size()) << mesh.name;
    EXPECT_EQ(mesh.colour, truth.segments()[segment].colour) << mesh.name;
    // Thin vessels lose most to smoothing (a 5 mm tube is 3 voxels across).
    EXPECT_NEAR(mesh_ml / voxels_ml, 1.0, 0.06) << mesh.name;
  }
  for (const char* wanted : {"Liver", "Tumour 1", "Tumour 2", "Portal vein", "Hepatic veins",
                             "Left kidney", "Right kidney"})
    EXPECT_TRUE(byName.count(wanted)) << wanted;
  for (const char* unwanted : {"Skin", "Subcutaneous fat", "Muscle", "Visceral fat"})
    EXPECT_FALSE(byName.count(unwanted)) << unwanted;
  ASSERT_TRUE(byName.count("Liver") && byName.count("Tumour 1"));
  EXPECT_FLOAT_EQ(byName["Liver"]->opacity, 0.5f);
  EXPECT_FLOAT_EQ(byName["Tumour 1"]->opacity, 1.0f);
  for (const auto& tumour : p.tumours) {
    const double truth_ml = sphereVolume_mm3(tumour.diameter_mm) / 1000.0;
    EXPECT_NEAR(segmentation::enclosedVolume_ml(*byName.at(tumour.name)) / truth_ml, 1.0, 0.03)
        << tumour.name;
  }
  ASSERT_EQ(p.twin.provenance.size(), 2u);
  EXPECT_EQ(p.twin.provenance[1]["step"], "surface models");
  EXPECT_EQ(p.twin.provenance[1]["meshes"].size(), p.twin.meshes.size());
}

TEST(HeadPhantom, SampleCaseHasModelsOfBrainVentriclesAndTumour) {
  PhantomOptions o;
  o.kind = PhantomKind::Head;
  o.scale = 0.5;
  const Phantom p = phantom::makePhantom(o);
  std::vector<std::string> names;
  for (const SurfaceMesh& mesh : p.twin.meshes) {
    names.push_back(mesh.name);
    EXPECT_TRUE(segmentation::isClosedManifold(mesh)) << mesh.name;
  }
  EXPECT_EQ(names, (std::vector<std::string>{"Grey matter", "Ventricles", "Tumour"}));
}

// FNV-1a over the voxel bytes: pins the exact output so a change of platform, compiler or
// code that alters any voxel is caught (update the constant only for intended changes).
std::uint64_t fnv1a(std::span<const std::byte> bytes) { return Fnv1a64().add(bytes).value(); }

std::uint64_t labelHash(const Phantom& p, int layer) {
  return fnv1a(std::as_bytes(std::span(p.twin.labelMaps[0].layer(layer))));
}

TEST(Phantom, VoxelsAreTheSameOnEveryMachine) {
  PhantomOptions o;
  o.scale = 0.25;
  o.seed = 42;
  const Phantom abdomenStraight = phantom::makePhantom(o);
  o.oblique = true;
  const Phantom abdomenOblique = phantom::makePhantom(o);
  o.kind = PhantomKind::Head;
  const Phantom headOblique = phantom::makePhantom(o);
  const std::uint64_t hashes[] = {fnv1a(abdomenStraight.twin.volumes[0].bytes()),
                                  labelHash(abdomenStraight, 0),
                                  labelHash(abdomenStraight, 1),
                                  fnv1a(abdomenOblique.twin.volumes[0].bytes()),
                                  labelHash(abdomenOblique, 0),
                                  fnv1a(headOblique.twin.volumes[0].bytes()),
                                  fnv1a(headOblique.twin.volumes[1].bytes()),
                                  labelHash(headOblique, 0)};
  const std::uint64_t expected[] = {
      0x0c40236a3e859c3aull, 0x25dd8db41d0c59a1ull, 0x30bcfe1a7879e2e7ull, 0xe02de42bb37384eaull,
      0x2acc53e88300b867ull, 0x22d3543dce71a149ull, 0x46e9ed365f8b14e8ull, 0x3d68b18f267503f0ull};
  for (std::size_t h = 0; h < std::size(hashes); ++h) {
    std::printf("[   INFO   ] hash %zu: 0x%016llxull\n", h,
                static_cast<unsigned long long>(hashes[h]));
    EXPECT_EQ(hashes[h], expected[h]) << "hash " << h;
  }
}

TEST(AbdomenPhantom, ObliqueGridKeepsTheAnatomyInPlace) {
  const Phantom& straight = abdomen();
  PhantomOptions o;
  o.oblique = true;
  o.surfaceModels = false;
  const Phantom tilted = phantom::makePhantom(o);
  const ImageGeometry& g = tilted.twin.volumes[0].geometry();
  EXPECT_FALSE(g.direction.isIdentity(1e-3));
  EXPECT_NEAR((g.direction.transpose() * g.direction - Mat3::Identity()).norm(), 0.0, 1e-12);
  // Rotation about L-R then A-P by 12 degrees: the row direction tilts out of the axial plane.
  EXPECT_NEAR(std::acos(g.direction(0, 0)) * 180.0 / M_PI, 12.0, 1e-9);
  // Same grid centre.
  const ImageGeometry& s = straight.twin.volumes[0].geometry();
  const Vec3 mid(0.5 * (g.size[0] - 1), 0.5 * (g.size[1] - 1), 0.5 * (g.size[2] - 1));
  EXPECT_NEAR((g.indexToLps(mid) - s.indexToLps(mid)).norm(), 0.0, 1e-9);
  const double voxel = g.spacing_mm.minCoeff();
  for (const auto& truth : straight.tumours) {
    const RegionStats a =
        statsOf(straight, segmentNamed(straight.twin.labelMaps[0], truth.name), nullptr);
    const RegionStats b =
        statsOf(tilted, segmentNamed(tilted.twin.labelMaps[0], truth.name), nullptr);
    std::printf(
        "[   INFO   ] %s centre: straight off by %.3f mm, oblique off by %.3f mm, apart %.3f mm\n",
        truth.name.c_str(), (a.centre_lps - truth.centre_lps).norm(),
        (b.centre_lps - truth.centre_lps).norm(), (a.centre_lps - b.centre_lps).norm());
    EXPECT_LT((a.centre_lps - b.centre_lps).norm(), voxel) << truth.name;
    EXPECT_LT((b.centre_lps - truth.centre_lps).norm(), voxel) << truth.name;
  }
  expectTumoursMatchTruth(tilted);
  // Organs keep their volume on the tilted grid (the grid's corners cut the slab's ends, so
  // compare organs well inside it).
  for (const char* organ : {"Liver", "Spleen", "Portal vein"}) {
    const LabelMap& a = straight.twin.labelMaps[0];
    const LabelMap& b = tilted.twin.labelMaps[0];
    const double va = a.volume_ml(*a.findSegment(organ)), vb = b.volume_ml(*b.findSegment(organ));
    std::printf("[   INFO   ] %s: %.1f ml straight, %.1f ml oblique\n", organ, va, vb);
    EXPECT_NEAR(vb / va, 1.0, 0.02) << organ;
  }
  // The CT agrees with the tilted labels: tumour 2's mean is its nominal HU.
  const ImageVolume& ct = tilted.twin.volumes[0];
  const RegionStats t2 = statsOf(tilted, segmentNamed(tilted.twin.labelMaps[0], "Tumour 2"), &ct);
  EXPECT_NEAR(t2.mean, 40.0, 2.0);
}

TEST(AbdomenPhantom, ReportsProgressAndCancels) {
  PhantomOptions o;
  o.scale = 0.2;
  test::RecordingProgress progress;
  phantom::makePhantom(o, progress);
  ASSERT_FALSE(progress.fractions.empty());
  EXPECT_TRUE(std::is_sorted(progress.fractions.begin(), progress.fractions.end()));
  EXPECT_DOUBLE_EQ(progress.fractions.back(), 1.0);
  test::RecordingProgress cancelling(3);
  EXPECT_THROW(phantom::makePhantom(o, cancelling), Cancelled);
}

TEST(Phantom, RejectsBadOptions) {
  PhantomOptions o;
  o.scale = 0.0;
  try {
    phantom::makePhantom(o);
    FAIL() << "expected Error(InvalidInput)";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::InvalidInput);
    EXPECT_EQ(e.context(), "scale");
  }
  EXPECT_THROW(phantom::phantomKindFromString("thorax"), Error);
  EXPECT_EQ(phantom::phantomKindFromString("head"), PhantomKind::Head);
}

// The benchmarks' scanner-size grid (bench/model_bench.sh): the same 384 x 384 x 250 mm field of
// view around the LPS origin, sampled on the requested voxels; the anatomy stays where it is.
TEST(Phantom, GridSizeSamplesTheSameFieldOfView) {
  PhantomOptions o;
  o.surfaceModels = false;
  o.noiseSd = 0.0;
  o.gridSize = {64, 48, 40};
  const Phantom p = phantom::makePhantom(o);
  const ImageGeometry& g = p.twin.volumes.front().geometry();
  EXPECT_EQ(g.size, (std::array<std::int64_t, 3>{64, 48, 40}));
  EXPECT_NEAR(g.spacing_mm[0], 384.0 / 64, 1e-12);
  EXPECT_NEAR(g.spacing_mm[1], 384.0 / 48, 1e-12);
  EXPECT_NEAR(g.spacing_mm[2], 250.0 / 40, 1e-12);
  const Vec3 centre = g.indexToLps(Vec3(63, 47, 39) * 0.5);
  EXPECT_LT(centre.norm(), 1e-9);
  // The liver holds about the same volume as on the default grid (1888 ml, 1.5x1.5x2.5 mm):
  // coarser voxels change it by their partial volume only.
  const LabelMap& truth = p.twin.labelMaps.front();
  EXPECT_NEAR(truth.volume_ml(*truth.findSegment("Liver")), 1888.1, 0.05 * 1888.1);
  o.gridSize = {64, 4, 40};
  try {
    phantom::makePhantom(o);
    FAIL() << "expected Error(InvalidInput)";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::InvalidInput);
    EXPECT_EQ(e.context(), "gridSize");
  }
}

TEST(HeadPhantom, HasCtAndMrOnOneGridStudyAndFrameOfReference) {
  const Phantom& p = head();
  ASSERT_EQ(p.twin.volumes.size(), 2u);
  const ImageVolume& ct = volumeNamed(p, "CT");
  const ImageVolume& mr = volumeNamed(p, "MR T1");
  EXPECT_EQ(ct.pixelType(), PixelType::Int16);
  EXPECT_EQ(mr.pixelType(), PixelType::UInt16);
  EXPECT_TRUE(ct.geometry().sameGridAs(mr.geometry()));
  EXPECT_EQ(ct.geometry().size, (std::array<std::int64_t, 3>{224, 224, 96}));
  EXPECT_EQ(ct.dicom.studyInstanceUid, mr.dicom.studyInstanceUid);
  EXPECT_EQ(ct.dicom.frameOfReferenceUid, mr.dicom.frameOfReferenceUid);
  EXPECT_NE(ct.dicom.seriesInstanceUid, mr.dicom.seriesInstanceUid);
  EXPECT_EQ(mr.dicom.modality, "MR");
  const LabelMap& labels = p.twin.labelMaps[0];
  for (const char* key : {"skull", "grey-matter", "white-matter", "csf", "tumour", "skin"}) {
    bool found = false;
    for (const auto& s : labels.segments()) found = found || s.tissueType == key;
    EXPECT_TRUE(found) << key;
  }
}

TEST(HeadPhantom, TumourMatchesItsTruthAndSitsInBrainTissue) {
  const Phantom& p = head();
  ASSERT_EQ(p.tumours.size(), 1u);
  EXPECT_DOUBLE_EQ(p.tumours[0].diameter_mm, 25.0);
  expectTumoursMatchTruth(p);
  const LabelMap& labels = p.twin.labelMaps[0];
  const std::uint16_t grey = segmentNamed(labels, "Grey matter").value;
  const std::uint16_t white = segmentNamed(labels, "White matter").value;
  std::size_t inWhite = 0, inGrey = 0, elsewhere = 0;
  for (std::size_t n = 0; n < labels.layer(1).size(); ++n) {
    if (labels.layer(1)[n] == 0) continue;
    const std::uint16_t under = labels.layer(0)[n];
    inWhite += under == white;
    inGrey += under == grey;
    elsewhere += under != white && under != grey;
  }
  EXPECT_EQ(elsewhere, 0u);
  EXPECT_GT(inWhite, inGrey);
}

TEST(HeadPhantom, CtAndMrIntensitiesMatchNominalValues) {
  const Phantom& p = head();
  expectIntensities(p, "CT", p.options.noiseSd, false);
  expectIntensities(p, "MR T1", p.options.mrNoiseSd, true);
  std::map<std::string, const phantom::TissueTruth*> t;
  for (const auto& tissue : p.tissues) t[tissue.segment] = &tissue;
  // CT: grey matter denser than white matter; T1: white matter brighter than grey, CSF dark.
  EXPECT_GT(t["Grey matter"]->ct_HU, t["White matter"]->ct_HU);
  EXPECT_GT(t["White matter"]->mr, t["Grey matter"]->mr);
  EXPECT_GT(t["Grey matter"]->mr, t["CSF"]->mr);
}

// ---- files ---------------------------------------------------------------------------------

std::string tagOf(const fs::path& file, const DcmTagKey& tag) {
  DcmFileFormat f;
  EXPECT_TRUE(f.loadFile(file.c_str()).good()) << file;
  OFString value;
  f.getDataset()->findAndGetOFStringArray(tag, value);
  return value.c_str();
}

TEST(PhantomFiles, HeadWritesTwoSeriesOfOneStudyTruthAndCase) {
  PhantomOptions o;
  o.kind = PhantomKind::Head;
  o.scale = 0.25;
  const Phantom p = phantom::makePhantom(o);
  test::TempDir dir("phantom-files");
  test::RecordingProgress progress;
  const phantom::PhantomFiles files = phantom::writePhantom(p, dir.path(), progress);
  EXPECT_DOUBLE_EQ(progress.fractions.back(), 1.0);
  ASSERT_EQ(files.seriesDirs.size(), 2u);
  EXPECT_EQ(files.seriesDirs[0], dir / "dicom" / "CT");
  EXPECT_EQ(files.seriesDirs[1], dir / "dicom" / "MR");
  const std::int64_t slices = p.twin.volumes[0].geometry().size[2];
  for (const auto& folder : files.seriesDirs) {
    std::vector<fs::path> dcm;
    for (const auto& e : fs::directory_iterator(folder)) dcm.push_back(e.path());
    EXPECT_EQ(static_cast<std::int64_t>(dcm.size()), slices) << folder;
  }
  const fs::path ctFile = dir / "dicom" / "CT" / "IM00001.dcm";
  const fs::path mrFile = dir / "dicom" / "MR" / "IM00001.dcm";
  EXPECT_EQ(tagOf(ctFile, DCM_StudyInstanceUID), tagOf(mrFile, DCM_StudyInstanceUID));
  EXPECT_EQ(tagOf(ctFile, DCM_FrameOfReferenceUID), tagOf(mrFile, DCM_FrameOfReferenceUID));
  EXPECT_NE(tagOf(ctFile, DCM_SeriesInstanceUID), tagOf(mrFile, DCM_SeriesInstanceUID));
  EXPECT_EQ(tagOf(ctFile, DCM_StudyInstanceUID), p.twin.volumes[0].dicom.studyInstanceUid);
  EXPECT_EQ(tagOf(mrFile, DCM_Modality), "MR");
  EXPECT_EQ(tagOf(ctFile, DCM_PatientName), "Phantom^Head");

  ASSERT_EQ(files.truthLayers.size(), 2u);
  EXPECT_EQ(files.truthLabels, dir / "head-truth.nrrd");
  for (const auto& f : files.truthLayers) EXPECT_TRUE(fs::exists(f)) << f;
  std::ifstream table(files.truthTable);
  const nlohmann::json truth = nlohmann::json::parse(table);
  EXPECT_EQ(truth["tumours"][0]["name"], "Tumour");
  EXPECT_DOUBLE_EQ(truth["tumours"][0]["diameter_mm"].get<double>(), 25.0);
  EXPECT_EQ(truth["segments"].size(), p.twin.labelMaps[0].segments().size());
  EXPECT_EQ(files.caseFile, dir / "head.twinplan");
  EXPECT_TRUE(fs::exists(files.caseFile));

  // An independent reader converts the MR series with the phantom's dimensions.
  const test::CommandResult run =
      test::runCommand("/usr/bin/dcm2niix -z n -b n -f mr -o '" + dir.path().string() + "' '" +
                       (dir / "dicom" / "MR").string() + "' 2>&1");
  ASSERT_EQ(run.status, 0) << run.output;
  const auto& g = p.twin.volumes[1].geometry();
  const std::string dims =
      std::to_string(g.size[0]) + "x" + std::to_string(g.size[1]) + "x" + std::to_string(g.size[2]);
  EXPECT_NE(run.output.find("(" + dims + "x1)"), std::string::npos) << run.output;
}

TEST(PhantomFiles, TruthLabelsCaseAndObliqueSeriesReadBack) {
  PhantomOptions o;
  o.scale = 0.25;
  o.oblique = true;
  const Phantom p = phantom::makePhantom(o);
  test::TempDir dir("phantom-files");
  const phantom::PhantomFiles files = phantom::writePhantom(p, dir.path());
  const LabelMap& labels = p.twin.labelMaps[0];

  // The anatomy layer as NRRD: same grid, same values.
  const ImageVolume truth = io::readImageFile(files.truthLabels);
  EXPECT_TRUE(truth.geometry().sameGridAs(labels.geometry()));
  std::size_t mismatches = 0;
  const auto& layer = labels.layer(0);
  for (std::size_t n = 0; n < layer.size(); ++n) {
    const ImageGeometry& g = labels.geometry();
    const auto i = static_cast<std::int64_t>(n % static_cast<std::size_t>(g.size[0]));
    const auto j = static_cast<std::int64_t>((n / static_cast<std::size_t>(g.size[0])) %
                                             static_cast<std::size_t>(g.size[1]));
    const auto k = static_cast<std::int64_t>(n / static_cast<std::size_t>(g.size[0] * g.size[1]));
    mismatches += truth.valueAt(i, j, k) != static_cast<double>(layer[n]);
  }
  EXPECT_EQ(mismatches, 0u);

  // The case: volumes, labels with their segments, and references to the written series.
  const Case loaded = loadCase(files.caseFile);
  ASSERT_EQ(loaded.volumes.size(), 1u);
  EXPECT_EQ(loaded.volumes[0].name, "CT");
  EXPECT_TRUE(loaded.volumes[0].geometry().sameGridAs(p.twin.volumes[0].geometry()));
  EXPECT_EQ(std::memcmp(loaded.volumes[0].bytes().data(), p.twin.volumes[0].bytes().data(),
                        p.twin.volumes[0].bytes().size()),
            0);
  ASSERT_EQ(loaded.labelMaps.size(), 1u);
  EXPECT_EQ(loaded.labelMaps[0].segments(), labels.segments());
  EXPECT_EQ(loaded.labelMaps[0].layer(1), labels.layer(1));
  // ... and the 3D models.
  ASSERT_EQ(loaded.meshes.size(), p.twin.meshes.size());
  for (std::size_t m = 0; m < loaded.meshes.size(); ++m) {
    EXPECT_EQ(loaded.meshes[m].name, p.twin.meshes[m].name);
    EXPECT_EQ(loaded.meshes[m].triangles, p.twin.meshes[m].triangles) << loaded.meshes[m].name;
    EXPECT_FLOAT_EQ(loaded.meshes[m].opacity, p.twin.meshes[m].opacity) << loaded.meshes[m].name;
  }
  ASSERT_EQ(loaded.series.size(), 1u);
  EXPECT_EQ(loaded.series[0].seriesInstanceUid, p.twin.volumes[0].dicom.seriesInstanceUid);
  EXPECT_EQ(loaded.series[0].files.size(),
            static_cast<std::size_t>(p.twin.volumes[0].geometry().size[2]));

  // The DICOM folder scans as one patient, one study, one CT volume series.
  const io::DicomIndex index = io::scanDicom(dir / "dicom");
  EXPECT_TRUE(index.skipped.empty());
  ASSERT_EQ(index.allSeries().size(), 1u);
  EXPECT_EQ(index.allSeries()[0]->kind, io::SeriesKind::Volume);
  // ... and loads back onto the same oblique grid with the same voxels.
  const ImageVolume reloaded = io::loadVolume(*index.allSeries()[0]);
  const ImageVolume& ct = p.twin.volumes[0];
  EXPECT_TRUE(reloaded.geometry().sameGridAs(ct.geometry(), 1e-3));
  ASSERT_EQ(reloaded.pixelType(), PixelType::Int16);
  EXPECT_EQ(std::memcmp(reloaded.bytes().data(), ct.bytes().data(), ct.bytes().size()), 0);
  EXPECT_EQ(reloaded.dicom.frameOfReferenceUid, ct.dicom.frameOfReferenceUid);

  // Writing again into the same folder replaces the series instead of mixing two.
  phantom::writePhantom(p, dir.path());
  std::size_t count = 0;
  for (const auto& e : fs::directory_iterator(dir / "dicom" / "CT")) count += e.is_regular_file();
  EXPECT_EQ(count, static_cast<std::size_t>(p.twin.volumes[0].geometry().size[2]));
}

TEST(PhantomFiles, CancelStopsBeforeTheCaseFileIsWritten) {
  PhantomOptions o;
  o.scale = 0.2;
  const Phantom p = phantom::makePhantom(o);
  test::TempDir dir("phantom-files");
  test::RecordingProgress progress(5);
  EXPECT_THROW(phantom::writePhantom(p, dir.path(), progress), Cancelled);
  EXPECT_FALSE(fs::exists(dir / "abdomen.twinplan"));
  for (const auto& e : fs::recursive_directory_iterator(dir.path()))
    EXPECT_EQ(e.path().filename().string().find(".tmp"), std::string::npos) << e.path();
}

}  // namespace
}  // namespace twinplan
