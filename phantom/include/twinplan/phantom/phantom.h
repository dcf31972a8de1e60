#pragma once
// Deterministic digital phantoms with ground truth: the bundled sample case and a test
// fixture with known answers.
//
// The anatomy is analytic (ellipsoids, tubes, shells) and fixed, defined in patient LPS mm
// around the grid centre (0, 0, 0); only the noise depends on the seed. Voxels are sampled at
// their centres (no partial-volume blur), so the true labelmap and the intensities agree
// voxel for voxel. Abdomen: portal-venous contrast CT (int16 HU). Head: contrast CT (int16 HU)
// and a post-contrast T1-weighted MR (uint16, arbitrary units) on the same grid, study and
// frame of reference.
#include <array>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "twinplan/core/case.h"
#include "twinplan/core/progress.h"

namespace twinplan::phantom {

enum class PhantomKind { Abdomen, Head };
PhantomKind phantomKindFromString(const std::string& name);  // "abdomen" | "head"
const char* toString(PhantomKind kind);                      // "abdomen" | "head"

struct PhantomOptions {
  PhantomKind kind = PhantomKind::Abdomen;
  std::uint32_t seed = 1;          // same seed, same voxels, on every machine
  bool oblique = false;            // tilt the acquisition grid (rotation about L-R then A-P)
  double obliqueAngle_deg = 12.0;  // the anatomy stays where it is in LPS
  double noiseSd = 8.0;            // CT: Gaussian noise SD in HU
  double mrNoiseSd = 15.0;         // MR: SD of each quadrature channel (Rician magnitude), a.u.
  // Grid: abdomen 256x256x100 at 1.5x1.5x2.5 mm; head 224x224x96 at 1x1x2 mm. scale < 1
  // keeps the field of view and makes the voxels 1/scale larger (fewer of them).
  double scale = 1.0;
  // Voxels along i, j, k over the same field of view, instead of the scaled default grid (for
  // benchmarks at scanner sizes, e.g. 512x512x600 abdomen: 0.75 x 0.75 x 0.417 mm). {0, 0, 0}:
  // the grid `scale` gives. Each must be 8..2048.
  std::array<std::int64_t, 3> gridSize{0, 0, 0};
  // Closed surface meshes of the anatomy a surgeon looks at in 3D (liver, tumours, vessels,
  // kidneys ...; head: brain, ventricles, tumour) in Case::meshes, built from the true labels.
  // Off: no meshes, and the phantom is made sooner.
  bool surfaceModels = true;
};

// One spherical tumour's truth.
struct TumourTruth {
  std::string name;  // the segment's name in the true labelmap
  Vec3 centre_lps;
  double diameter_mm = 0.0;
};

// The nominal (noise-free) intensity of one segment of the true labelmap. Segments made of
// several intensity classes (vertebrae: cortex + cancellous bone) have homogeneous = false
// and the intensities of their main class.
struct TissueTruth {
  std::string segment;
  double ct_HU = 0.0;
  double mr = 0.0;  // 0 for the abdomen (no MR)
  bool homogeneous = true;
};

struct Phantom {
  PhantomOptions options;
  Case twin;  // volumes ("CT"; head also "MR T1"), true labelmap ("Ground truth"), meshes
              // (when options.surfaceModels), provenance
  std::vector<TumourTruth> tumours;  // known answers for tests
  std::vector<TissueTruth> tissues;
};

// Builds the phantom in memory (abdomen at scale 1: ~0.15 s on one core, ~0.8 s with the
// surface models). Throws Error(InvalidInput) for a bad option, Cancelled on cancel.
Phantom makePhantom(const PhantomOptions& options, Progress& progress = noProgress());

struct PhantomFiles {
  std::vector<std::filesystem::path> seriesDirs;   // one DICOM folder per volume
  std::filesystem::path truthLabels;               // the anatomy layer of the truth (.nrrd)
  std::vector<std::filesystem::path> truthLayers;  // every layer; [0] == truthLabels,
                                                   // [1] holds the tumours
  std::filesystem::path truthTable;                // segments and tumour truths (.json)
  std::filesystem::path caseFile;                  // ready case (.twinplan)
};

// Writes under `outDir`: dicom/CT (and dicom/MR for the head), one DICOM series each, sharing
// one study and frame of reference; <kind>-truth.nrrd (anatomy layer) and
// <kind>-truth-layer1.nrrd (tumours); <kind>-truth.json (segment table: layer, value, name,
// tissue type, colour, nominal intensity; tumour centres and diameters); <kind>.twinplan (the
// case, referencing the written series). Throws Error(Io) on failure, Cancelled on cancel.
PhantomFiles writePhantom(const Phantom& phantom, const std::filesystem::path& outDir,
                          Progress& progress = noProgress());

}  // namespace twinplan::phantom
