#pragma once
// Deterministic digital phantoms with ground truth: the bundled sample case and a test
// fixture with known answers.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "twinplan/core/case.h"
#include "twinplan/core/progress.h"

namespace twinplan::phantom {

enum class PhantomKind { Abdomen, Head };
PhantomKind phantomKindFromString(const std::string& name);  // "abdomen" | "head"

struct PhantomOptions {
  PhantomKind kind = PhantomKind::Abdomen;
  std::uint32_t seed = 1;          // same seed, same voxels, on every machine
  bool oblique = false;            // tilt the acquisition grid (rotation about L-R then A-P)
  double obliqueAngle_deg = 12.0;
  double noiseSd = 8.0;            // Gaussian noise SD (HU for CT, a.u. for MR)
  double scale = 1.0;              // < 1 makes a coarser, smaller phantom for fast tests
};

// One spherical tumour's truth.
struct TumourTruth {
  std::string name;
  Vec3 centre_lps;
  double diameter_mm = 0.0;
};

struct Phantom {
  Case twin;                         // volumes (CT; head also MR), true labelmap, segments
  std::vector<TumourTruth> tumours;  // known answers for tests
};

Phantom makePhantom(const PhantomOptions& options, Progress& progress = noProgress());

struct PhantomFiles {
  std::vector<std::filesystem::path> seriesDirs;  // one DICOM folder per volume
  std::filesystem::path truthLabels;              // the true labelmap (.nrrd)
  std::filesystem::path caseFile;                 // ready case (.twinplan)
};

// Writes the phantom's DICOM series, its true labelmap and its case file under `outDir`.
PhantomFiles writePhantom(const Phantom& phantom, const std::filesystem::path& outDir,
                          Progress& progress = noProgress());

}  // namespace twinplan::phantom
