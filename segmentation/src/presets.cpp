// The automatic presets: each a short recipe of thresholds, connectivity and morphology whose
// parameters are cited below and validated against the phantoms (docs/validation.md
// "Segmentation presets").
#include "twinplan/segmentation/presets.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <optional>
#include <set>

#include "lung_sides.h"
#include "preset_steps.h"
#include "twinplan/core/case.h"
#include "twinplan/core/error.h"
#include "twinplan/core/parallel.h"
#include "twinplan/segmentation/seeded.h"

namespace twinplan::segmentation {
namespace {

using namespace detail;

// SNOMED CT codes as the DICOM SEG terminology uses them (PS3.16 CID 7150 "Segmentation
// Property Categories", CID 7166 "Common Tissue Segmentation Types", CID 7151/CID 4 anatomic
// structures), checked against 3D Slicer's "Segmentation category and type - DICOM master list"
// entries: Tissue 85756007, Anatomical Structure 123037004, Bone 272673000, Blood vessel
// 59820001, Liver 10200004, Brain 12738006 (also PS3.16 CID 7153 "CNS Segmentation Type": the
// brain preset's mask is grey and white matter with the ventricles filled, the whole brain);
// Entire body 38266002 (SNOMED CT "Entire body as a whole", the body-site code DICOM PS3.16
// CID 4 lists). Right and left lung: lungSegments below.
const CodedConcept kTissue{"85756007", "SCT", "Tissue"};
const CodedConcept kAnatomicalStructure{"123037004", "SCT", "Anatomical Structure"};

const std::vector<PresetInfo> kCatalogue = {
    {PresetName::BodyOutline, "body",
     "Body outline on CT: > -500 HU, largest component, holes filled slice by slice.", "CT", false},
    {PresetName::Bone, "bone", "Bone on CT: >= 200 HU inside the body, specks < 0.05 ml removed.",
     "CT", false},
    {PresetName::Lungs, "lungs",
     "Right and left lung and airways on CT: < -400 HU inside the body outline; the airways "
     "grown from the trachea until they leak, the lungs the one or two largest air spaces left, "
     "lungs that touch cut apart at their junction, sides from the patient's left (+x).",
     "CT", false},
    {PresetName::Vessels, "vessels",
     "Contrast-enhanced vessels on CT: enhanced-blood threshold, components kept where the "
     "multi-scale Hessian vesselness (Frangi 1998) finds tubes.",
     "CT", false},
    {PresetName::Liver, "liver",
     "Liver on contrast CT from one seed: region growing on the median-filtered image within the "
     "intensity statistics around the seed, enclosed lesions filled.",
     "CT", true},
    {PresetName::BrainMask, "brain",
     "Brain mask on a T1-weighted MR: Otsu threshold, opening, largest component, holes filled.",
     "MR", false},
};

// Body outline (the patient, not the table or the air): -500 HU lies halfway between air
// (-1000) and fat (-100) (the body-contour threshold of radiotherapy planning systems, e.g.
// plastimatch `segment --patient` uses -500 HU, plastimatch.org/segment.html).
constexpr double kBodyThreshold_HU = -500.0;
// Bone: >= 200 HU (cancellous bone +300..+400, Prokop & Galanski 2003; enhanced portal-venous
// blood <= ~200 HU, Bae 2010). Specks below 0.05 ml (about two 3-mm voxels) are noise.
constexpr double kBoneThreshold_HU = 200.0;
constexpr double kBoneSpeck_ml = 0.05;
// Lungs: < -400 HU (aerated lung -950..-500 HU; -400 also takes the partial-volume rim, as
// the lung-mask methods of Hu, Hoffman & Reinhardt, IEEE TMI 2001;20:490 use an automatic
// threshold near -400..-500 HU). A lung is at least 50 ml.
constexpr double kLungThreshold_HU = -400.0;
constexpr double kLungMinimum_ml = 50.0;
// Airways (trachea and main bronchi): explosion-controlled region growing from the trachea
// (Mori et al., "Recognition of bronchus in three-dimensional X-ray CT images", ICPR 1996;
// Kiraly et al., Acad Radiol 2002;9:1153): the lumen is air (-1000 HU) walled off from the
// aerated lung (-950..-500 HU) by the bronchial wall, so growing below an upper threshold that
// rises step by step takes more and more of the tree until the step where the region leaks into
// the parenchyma and its volume jumps; the region of the step before is kept. Start at -950 HU
// (the air preset's upper bound, Gevenois et al. 1996), steps of 25 HU, up to the lung threshold.
// A step that more than doubles the region, or a region above 250 ml (trachea ~40 ml, the whole
// conducting airways ~150 ml: Weibel, "Morphometry of the Human Lung", 1963), has leaked.
constexpr double kAirwayStart_HU = -950.0;
constexpr double kAirwayStep_HU = 25.0;
constexpr double kAirwayJump = 2.0;
constexpr double kAirwayMaximum_ml = 250.0;
// The trachea is the largest air space inside the body on the top axial slices: an adult
// trachea is 13-25 mm across (Breatnach et al., AJR 1984;142:903), >= 130 mm2; 50 mm2 leaves out
// noise and a child's narrower trachea is still found. It is searched for within 40 mm of the
// top of the body (scans of the chest start at or above the lung apices).
constexpr double kTracheaMinimumArea_mm2 = 50.0;
constexpr double kTracheaSearch_mm = 40.0;
// Vessels: enhanced blood in the portal-venous phase is +130..+200 HU, enhanced liver +100..+110
// (Bae 2010): 120 HU splits them with the phantom's noise (SD 8 HU) at 2.5 SD from the liver.
// Bone (>= 500 HU cortex) is not blood. Vesselness scales 1.5..6 mm cover vessels of 3..12 mm
// radius (Frangi's sigma ~ radius / sqrt(2) for a bright tube, Sato et al., MedIA 1998).
constexpr double kVesselLow_HU = 120.0, kVesselHigh_HU = 500.0;
constexpr double kVesselSigmaMin_mm = 1.5, kVesselSigmaMax_mm = 6.0;
constexpr int kVesselScales = 4;
// The Hessian of a voxel at scale sigma depends on the image within a few sigma of it: the
// Gaussian's second derivative (x^2/sigma^4 - 1/sigma^2) G(x) has 97.3 % of its absolute weight
// within 3 sigma (99.9 % within 4), and beyond a crop ITK's recursive Gaussian (Deriche 1993)
// continues the border value rather than zero. Measured on the abdomen phantom (scale 0.5 and
// full size, straight and oblique), a 3-sigma crop leaves the preset's result voxel for voxel
// the count and Dice of the whole-volume Hessian (tests segmentation_presets*).
constexpr double kHessianSupport_sigmas = 3.0;
// A component is a vessel when at least 40% of its voxels have a vesselness above 0.2 (of 0..1);
// measured on the abdomen phantom: vessels 65-85%, cancellous bone 13-17%.
constexpr double kTubeVesselness = 0.2;
constexpr double kTubeFraction = 0.4;
// The largest lumen radius: the abdominal aorta is < 30 mm across (an aneurysm from 30 mm,
// Johnston et al., J Vasc Surg 1991;13:452).
constexpr double kVesselMaximumRadius_mm = 15.0;
// A component touching an organ with 10% or more of its voxels is the organ's rim (measured on
// the abdomen phantom: kidney poles 20-25%, vessels 0%).
constexpr double kOrganContactFraction = 0.1;
constexpr double kCortex_HU = 500.0;
constexpr double kVesselMinimum_ml = 0.2;
// Liver from a seed: the range is the median-filtered mean around the seed +- 20 HU. Enhanced
// liver is ~+100..+110 HU; hypovascular lesions (40-60 HU) and enhanced vessels (>= 130 HU) lie
// outside (Bae 2010); lesions enclosed in the liver are filled afterwards, as a liver volume
// for planning includes them.
constexpr double kLiverSeedRadius_mm = 6.0;
constexpr double kLiverHalfRange_HU = 20.0;
// Brain: Otsu (1979) separates the brain (GM/WM) from CSF and bone on T1; a 2 mm opening breaks
// thin bridges to the scalp (FSL BET's idea of a brain that is one compact body, Smith, HBM
// 2002;17:143), and holes (ventricles) are filled.
constexpr double kBrainOpening_mm = 2.0;

void requireModality(const ImageVolume& volume, const PresetInfo& info) {
  requirePatientVolume(volume, "The " + info.name + " preset");
  const std::string& modality = volume.dicom.modality;
  const bool isCt = modality == "CT" || volume.unit == "HU";
  if (info.modality == "CT" && !isCt)
    throw Error(ErrorKind::Unsupported,
                "The " + info.name + " preset works on CT in HU; \"" + volume.name + "\" is " +
                    (modality.empty() ? std::string("not a CT") : modality) +
                    ". Choose a CT volume.",
                volume.name);
  if (info.modality == "MR" && !modality.empty() && modality != "MR")
    throw Error(ErrorKind::Unsupported,
                "The " + info.name + " preset works on MR; \"" + volume.name + "\" is " + modality +
                    ". Choose an MR volume.",
                volume.name);
}

RegionMask above(const ImageVolume& volume, double low_HU, Progress& progress) {
  return threshold(volume, {low_HU, std::numeric_limits<double>::max()}, std::nullopt, progress);
}

RegionMask bodyOutline(const ImageVolume& ct, Progress& progress) {
  auto step1 = subRange(progress, 0.0, 0.2);
  const RegionMask dense = above(ct, kBodyThreshold_HU, *step1);
  auto step2 = subRange(progress, 0.2, 0.8);
  const RegionMask body = largestComponents(dense, 1, *step2);
  auto step3 = subRange(progress, 0.8, 1.0);
  return fillHolesPerSlice(body, *step3);
}

RegionMask bone(const ImageVolume& ct, PresetCache& cache, Progress& progress) {
  return cache.denseBone(ct, progress).bone;
}

// The voxel of the trachea the airways grow from: on each axial slice from the top of the body
// down, the largest 4-connected component of air inside the body; the first of at least
// kTracheaMinimumArea_mm2 gives its voxel nearest its centroid. None when the volume is not
// axial or no such component is found.
std::optional<std::size_t> tracheaSeed(const RegionMask& air, const RegionMask& body) {
  const ImageGeometry& g = air.geometry;
  if (std::abs(g.direction(2, 2)) < 0.9) return std::nullopt;       // k is not head-foot
  const bool kRisesUp = g.direction(2, 2) * g.spacing_mm[2] > 0.0;  // +z is superior in LPS
  const auto sliceVoxels = static_cast<std::size_t>(g.size[0] * g.size[1]);
  const double pixel_mm2 = g.spacing_mm[0] * g.spacing_mm[1];
  std::optional<std::int64_t> top;
  for (std::int64_t n = 0; n < g.size[2]; ++n) {
    const std::int64_t k = kRisesUp ? g.size[2] - 1 - n : n;
    const auto* slice = body.inside.data() + static_cast<std::size_t>(k) * sliceVoxels;
    if (!top && std::none_of(slice, slice + sliceVoxels, [](std::uint8_t v) { return v != 0; }))
      continue;
    if (!top) top = n;
    if (double(n - *top) * g.spacing_mm[2] > kTracheaSearch_mm) break;
    // 4-connected components of the slice's air, by a flat flood.
    std::vector<std::int32_t> label(sliceVoxels, 0);
    const auto* inAir = air.inside.data() + static_cast<std::size_t>(k) * sliceVoxels;
    std::vector<std::size_t> queue, best;
    for (std::size_t start = 0; start < sliceVoxels; ++start) {
      if (!inAir[start] || label[start]) continue;
      queue.assign(1, start);
      label[start] = 1;
      for (std::size_t head = 0; head < queue.size(); ++head) {
        const std::size_t v = queue[head];
        const auto i = static_cast<std::int64_t>(v % std::size_t(g.size[0]));
        const auto j = static_cast<std::int64_t>(v / std::size_t(g.size[0]));
        auto visit = [&](std::int64_t a, std::int64_t b) {
          if (a < 0 || b < 0 || a >= g.size[0] || b >= g.size[1]) return;
          const auto w = static_cast<std::size_t>(a + b * g.size[0]);
          if (inAir[w] && !label[w]) label[w] = 1, queue.push_back(w);
        };
        visit(i - 1, j), visit(i + 1, j), visit(i, j - 1), visit(i, j + 1);
      }
      if (queue.size() > best.size()) best = queue;
    }
    if (double(best.size()) * pixel_mm2 < kTracheaMinimumArea_mm2) continue;
    double ci = 0.0, cj = 0.0;
    for (std::size_t v : best)
      ci += double(v % std::size_t(g.size[0])), cj += double(v / std::size_t(g.size[0]));
    ci /= double(best.size()), cj /= double(best.size());
    auto distance = [&](std::size_t v) {
      return std::hypot(double(v % std::size_t(g.size[0])) - ci,
                        double(v / std::size_t(g.size[0])) - cj);
    };
    const std::size_t nearest =
        *std::min_element(best.begin(), best.end(),
                          [&](std::size_t a, std::size_t b) { return distance(a) < distance(b); });
    return static_cast<std::size_t>(k) * sliceVoxels + nearest;
  }
  return std::nullopt;
}

// The voxels face-connected to `seed` inside `within` whose value is <= upper_HU; nullopt as
// soon as they are more than `cap` (the region has leaked).
template <class T>
std::optional<RegionMask> growBelow(std::span<const T> values, const RegionMask& within,
                                    std::size_t seed, double upper_HU, std::size_t cap,
                                    Progress& progress) {
  const ImageGeometry& g = within.geometry;
  RegionMask grown{g, std::vector<std::uint8_t>(g.voxelCount())};
  auto takes = [&](std::size_t v) {
    return within.inside[v] && !grown.inside[v] && double(values[v]) <= upper_HU;
  };
  if (!takes(seed)) return grown;
  std::vector<std::size_t> queue{seed};
  grown.inside[seed] = 1;
  const auto ni = static_cast<std::size_t>(g.size[0]);
  const auto nij = ni * static_cast<std::size_t>(g.size[1]);
  for (std::size_t head = 0; head < queue.size(); ++head) {
    if (queue.size() > cap) return std::nullopt;
    if (head % 65536 == 0) progress.check();
    const std::size_t v = queue[head];
    const std::size_t i = v % ni, j = (v / ni) % std::size_t(g.size[1]), k = v / nij;
    auto visit = [&](std::size_t w) {
      if (takes(w)) grown.inside[w] = 1, queue.push_back(w);
    };
    if (i > 0) visit(v - 1);
    if (i + 1 < ni) visit(v + 1);
    if (j > 0) visit(v - ni);
    if (j + 1 < std::size_t(g.size[1])) visit(v + ni);
    if (k > 0) visit(v - nij);
    if (k + 1 < std::size_t(g.size[2])) visit(v + nij);
  }
  return grown;
}

// The airway lumen: explosion-controlled region growing from the trachea (constants above),
// plus the one-voxel rim of air around it (lumen voxels that partial volume with the wall
// lifted above the last threshold). Empty when no trachea is found.
RegionMask airways(const ImageVolume& ct, const RegionMask& air, const RegionMask& body,
                   Progress& progress) {
  const ImageGeometry& g = ct.geometry();
  RegionMask lumen{g, std::vector<std::uint8_t>(g.voxelCount())};
  const std::optional<std::size_t> seed = tracheaSeed(air, body);
  if (!seed) return lumen;
  const double voxel_ml = g.spacing_mm.prod() / 1000.0;
  const auto maximum = static_cast<std::size_t>(kAirwayMaximum_ml / voxel_ml);
  std::size_t previous = 0;
  for (double upper = kAirwayStart_HU; upper <= kLungThreshold_HU; upper += kAirwayStep_HU) {
    progress.report((upper - kAirwayStart_HU) / (kLungThreshold_HU - kAirwayStart_HU), "Airways");
    const std::size_t cap =
        previous == 0 ? maximum
                      : std::min(maximum, static_cast<std::size_t>(kAirwayJump * double(previous)));
    std::optional<RegionMask> grown;
    visitGreyVoxels(
        ct, [&](auto values) { grown = growBelow(values, body, *seed, upper, cap, progress); });
    if (!grown) break;  // leaked into the lung: keep the step before
    previous = grown->count();
    lumen = std::move(*grown);
  }
  // The rim: air voxels that touch the lumen across a face.
  RegionMask withRim = lumen;
  const std::array<std::int64_t, 3> stride{1, g.size[0], g.size[0] * g.size[1]};
  for (std::int64_t k = 0; k < g.size[2]; ++k)
    for (std::int64_t j = 0; j < g.size[1]; ++j)
      for (std::int64_t i = 0; i < g.size[0]; ++i) {
        const std::size_t v = g.linearIndex(i, j, k);
        if (lumen.inside[v] || !air.inside[v]) continue;
        const std::array<std::int64_t, 3> at{i, j, k};
        for (int a = 0; a < 3 && !withRim.inside[v]; ++a)
          withRim.inside[v] = (at[a] > 0 && lumen.inside[v - std::size_t(stride[a])]) ||
                              (at[a] + 1 < g.size[a] && lumen.inside[v + std::size_t(stride[a])]);
      }
  return withRim;
}

struct LungParts {
  RegionMask right, left, airways;
};

// Lungs and airways: the air inside the body; the airways grown from the trachea; the lungs the
// one or two largest air spaces of what is left (one when they touch in front of the heart),
// split into the right and the left lung (lung_sides.h).
LungParts lungsAndAirways(const ImageVolume& ct, PresetCache& cache, Progress& progress) {
  auto step1 = subRange(progress, 0.0, 0.4);
  const RegionMask& body = cache.bodyOutline(ct, *step1);
  auto step2 = subRange(progress, 0.4, 0.5);
  const RegionMask air = intersect(
      threshold(ct, {-std::numeric_limits<double>::max(), kLungThreshold_HU}, std::nullopt, *step2),
      body);
  auto step3 = subRange(progress, 0.5, 0.7);
  RegionMask tree = airways(ct, air, body, *step3);
  auto step4 = subRange(progress, 0.7, 0.8);
  const Components parts = components(subtract(air, tree), *step4);
  const double voxel_ml = ct.geometry().spacing_mm.prod() / 1000.0;
  std::vector<bool> lungSized(std::min<std::size_t>(2, parts.sizes.size()));
  for (std::size_t n = 0; n < lungSized.size(); ++n)
    lungSized[n] = static_cast<double>(parts.sizes[n]) * voxel_ml >= kLungMinimum_ml;
  auto step5 = subRange(progress, 0.8, 1.0);
  LungSides sides = findLungSides(parts, lungSized, body, *step5);
  return {std::move(sides.right), std::move(sides.left), std::move(tree)};
}

// For each component, how many of its voxels touch `other` across a face.
std::vector<std::size_t> contactVoxels(const Components& parts, const RegionMask& other) {
  const auto& n = parts.geometry.size;
  std::vector<std::size_t> contact(parts.sizes.size(), 0);
  const std::array<std::int64_t, 3> stride{1, n[0], n[0] * n[1]};
  for (std::int64_t k = 0; k < n[2]; ++k)
    for (std::int64_t j = 0; j < n[1]; ++j)
      for (std::int64_t i = 0; i < n[0]; ++i) {
        const std::size_t v = parts.geometry.linearIndex(i, j, k);
        if (parts.labels[v] == 0) continue;
        const std::array<std::int64_t, 3> at{i, j, k};
        bool touches = false;
        for (int a = 0; a < 3 && !touches; ++a) {
          if (at[a] > 0 && other.inside[v - static_cast<std::size_t>(stride[a])]) touches = true;
          if (at[a] + 1 < n[a] && other.inside[v + static_cast<std::size_t>(stride[a])])
            touches = true;
        }
        contact[parts.labels[v] - 1] += touches;
      }
  return contact;
}

// The bounding box of the mask's voxels grown by one voxel (clipped to the grid); empty when
// the mask is.
// No voxel yet: the union with any box is that box.
constexpr std::int64_t kNoVoxel = std::numeric_limits<std::int64_t>::max();
constexpr VoxelBox kNoBox{{kNoVoxel, kNoVoxel, kNoVoxel}, {-kNoVoxel, -kNoVoxel, -kNoVoxel}};

VoxelBox unite(VoxelBox x, const VoxelBox& y) {
  for (int a = 0; a < 3; ++a)
    x.begin[a] = std::min(x.begin[a], y.begin[a]), x.end[a] = std::max(x.end[a], y.end[a]);
  return x;
}

VoxelBox boundsWithRim(const RegionMask& mask) {
  const ImageGeometry& g = mask.geometry;
  // Slice by slice (core/parallel.h), each row's first and last voxel inside.
  VoxelBox box = parallel::parallelReduce(
      {0, static_cast<std::size_t>(g.size[2])}, 4, kNoBox,
      [&](parallel::IndexRange slices) {
        VoxelBox found = kNoBox;
        for (auto k = static_cast<std::int64_t>(slices.begin);
             k < static_cast<std::int64_t>(slices.end); ++k)
          for (std::int64_t j = 0; j < g.size[1]; ++j) {
            const std::uint8_t* row = &mask.inside[g.linearIndex(0, j, k)];
            const std::uint8_t* end = row + g.size[0];
            const std::uint8_t* first =
                std::find_if(row, end, [](std::uint8_t v) { return v != 0; });
            if (first == end) continue;
            const std::uint8_t* last = end;
            while (*(last - 1) == 0) --last;  // one past the row's last voxel inside
            found = unite(found, {{first - row, j, k}, {last - row, j + 1, k + 1}});
          }
        return found;
      },
      unite);
  if (box.begin[0] == kNoVoxel) return {};  // an empty mask
  for (int a = 0; a < 3; ++a)
    box.begin[a] = std::max<std::int64_t>(0, box.begin[a] - 1),
    box.end[a] = std::min(g.size[a], box.end[a] + 1);
  return box;
}

// `step` (mask -> mask on the same grid) run on the mask's bounding box with a one-voxel rim of
// background, the answer pasted back. The same answer as on the whole grid for the steps used
// here: a distance to the nearest background voxel is met in the rim (clamping a voxel outside
// the box onto it brings it no farther), distances to the mask's own voxels and connections
// through the background to the border (hole filling) go through the rim as well.
template <class Step>
RegionMask onBounds(const RegionMask& mask, Step step) {
  const VoxelBox box = boundsWithRim(mask);
  if (box.empty()) return mask;
  const ImageGeometry crop = boxGeometry(mask.geometry, box);
  RegionMask part{crop, std::vector<std::uint8_t>(crop.voxelCount())};
  for (std::int64_t k = 0; k < crop.size[2]; ++k)
    for (std::int64_t j = 0; j < crop.size[1]; ++j) {
      const auto* from =
          &mask.inside[mask.geometry.linearIndex(box.begin[0], box.begin[1] + j, box.begin[2] + k)];
      std::copy(from, from + crop.size[0], &part.inside[crop.linearIndex(0, j, k)]);
    }
  return onGrid(step(part), mask.geometry);
}

// The boxes of voxels whose Hessians the vesselness of the `which` components needs: each
// component's bounding box grown by margin_mm along every axis (clipped to the grid), boxes that
// overlap merged into their bounding box until none overlap.
std::vector<VoxelBox> supportBoxes(const Components& parts, const std::vector<bool>& which,
                                   double margin_mm) {
  const ImageGeometry& g = parts.geometry;
  // The bounding box of each component asked about (numbered 0.. among them), slice by slice.
  std::vector<std::uint32_t> slot(which.size(), 0);  // 1 + the number among those asked
  std::size_t asked = 0;
  for (std::size_t n = 0; n < which.size(); ++n)
    if (which[n]) slot[n] = static_cast<std::uint32_t>(++asked);
  using Bounds = std::vector<VoxelBox>;
  const Bounds found = parallel::parallelReduce(
      {0, static_cast<std::size_t>(g.size[2])}, 4, Bounds(asked, kNoBox),
      [&](parallel::IndexRange slices) {
        Bounds local(asked, kNoBox);
        for (auto k = static_cast<std::int64_t>(slices.begin);
             k < static_cast<std::int64_t>(slices.end); ++k)
          for (std::int64_t j = 0; j < g.size[1]; ++j)
            for (std::int64_t i = 0; i < g.size[0]; ++i) {
              const std::uint32_t label = parts.labels[g.linearIndex(i, j, k)];
              if (label == 0 || slot[label - 1] == 0) continue;
              local[slot[label - 1] - 1] =
                  unite(local[slot[label - 1] - 1], {{i, j, k}, {i + 1, j + 1, k + 1}});
            }
        return local;
      },
      [](Bounds total, const Bounds& part) {
        for (std::size_t n = 0; n < total.size(); ++n) total[n] = unite(total[n], part[n]);
        return total;
      });
  std::vector<VoxelBox> bounds;
  for (std::size_t n = 0; n < which.size(); ++n)
    bounds.push_back(which[n] ? found[slot[n] - 1] : kNoBox);
  std::vector<VoxelBox> boxes;
  for (std::size_t n = 0; n < bounds.size(); ++n) {
    if (!which[n]) continue;
    VoxelBox b = bounds[n];
    for (int a = 0; a < 3; ++a) {
      const auto margin = static_cast<std::int64_t>(std::ceil(margin_mm / g.spacing_mm[a]));
      b.begin[a] = std::max<std::int64_t>(0, b.begin[a] - margin);
      b.end[a] = std::min(g.size[a], b.end[a] + margin);
    }
    boxes.push_back(b);
  }
  auto overlap = [](const VoxelBox& x, const VoxelBox& y) {
    for (int a = 0; a < 3; ++a)
      if (x.end[a] <= y.begin[a] || y.end[a] <= x.begin[a]) return false;
    return true;
  };
  for (bool merged = true; merged;) {
    merged = false;
    for (std::size_t x = 0; x < boxes.size() && !merged; ++x)
      for (std::size_t y = x + 1; y < boxes.size() && !merged; ++y)
        if (overlap(boxes[x], boxes[y])) {
          for (int a = 0; a < 3; ++a) {
            boxes[x].begin[a] = std::min(boxes[x].begin[a], boxes[y].begin[a]);
            boxes[x].end[a] = std::max(boxes[x].end[a], boxes[y].end[a]);
          }
          boxes.erase(boxes.begin() + static_cast<std::ptrdiff_t>(y));
          merged = true;
        }
  }
  return boxes;
}

// For each component, how many of its voxels have a vesselness above kTubeVesselness, counted
// in `boxes` (the measure is 0 outside them), slice by slice on the parallel layer.
std::vector<std::size_t> tubularVoxels(const Components& parts, const std::vector<float>& measure,
                                       std::span<const VoxelBox> boxes) {
  using Counts = std::vector<std::size_t>;
  const ImageGeometry& g = parts.geometry;
  Counts tubular(parts.sizes.size(), 0);
  for (const VoxelBox& box : boxes) {
    const Counts inBox = parallel::parallelReduce(
        {static_cast<std::size_t>(box.begin[2]), static_cast<std::size_t>(box.end[2])}, 16,
        Counts(parts.sizes.size(), 0),
        [&](parallel::IndexRange slices) {
          Counts local(parts.sizes.size(), 0);
          for (auto k = static_cast<std::int64_t>(slices.begin);
               k < static_cast<std::int64_t>(slices.end); ++k)
            for (std::int64_t j = box.begin[1]; j < box.end[1]; ++j)
              for (std::size_t v = g.linearIndex(box.begin[0], j, k),
                               end = g.linearIndex(box.end[0], j, k);
                   v < end; ++v)
                if (parts.labels[v] != 0 && measure[v] > kTubeVesselness)
                  ++local[parts.labels[v] - 1];
          return local;
        },
        [](Counts total, const Counts& part) {
          for (std::size_t n = 0; n < total.size(); ++n) total[n] += part[n];
          return total;
        });
    for (std::size_t n = 0; n < tubular.size(); ++n) tubular[n] += inBox[n];
  }
  return tubular;
}

RegionMask vessels(const ImageVolume& ct, PresetCache& cache, Progress& progress) {
  auto step1 = subRange(progress, 0.0, 0.2);
  const RegionMask& body = cache.bodyOutline(ct, *step1);
  auto step2 = subRange(progress, 0.2, 0.3);
  const RegionMask enhanced =
      subtract(intersect(threshold(ct, {kVesselLow_HU, kVesselHigh_HU}), body),
               cache.denseBone(ct, *step2).cortical);
  // Enhancing organs (kidney cortex, spleen) are as bright as blood but thicker than any vessel:
  // the parts of the mask a ball of the largest lumen radius fits in are organs, even where a
  // vessel touches them.
  auto step3 = subRange(progress, 0.3, 0.4);
  const RegionMask organs = onBounds(enhanced, [&](const RegionMask& part) {
    return thickParts(part, kVesselMaximumRadius_mm, *step3);
  });
  const RegionMask blood = subtract(enhanced, organs);
  auto step4 = subRange(progress, 0.4, 0.5);
  const Components parts = components(blood, *step4);
  // What the opening leaves of an organ (the poles of a kidney, narrower than the ball) sits on
  // the organ with a broad base; a vessel touches an organ, if at all, over a small part of it.
  // Both tests come before the vesselness, which is then computed around the components that
  // pass them only.
  const std::vector<std::size_t> contact = contactVoxels(parts, organs);
  const double voxel_ml = ct.geometry().spacing_mm.prod() / 1000.0;
  std::vector<bool> candidate(parts.sizes.size());
  for (std::size_t n = 0; n < candidate.size(); ++n) {
    const auto size = static_cast<double>(parts.sizes[n]);
    candidate[n] = size * voxel_ml >= kVesselMinimum_ml &&
                   static_cast<double>(contact[n]) < kOrganContactFraction * size;
  }
  auto step5 = subRange(progress, 0.5, 0.95);
  const std::vector<VoxelBox> boxes =
      supportBoxes(parts, candidate, kHessianSupport_sigmas * kVesselSigmaMax_mm);
  // A component is a vessel once kTubeFraction of its voxels are tubular at some scale, and the
  // finer scales can only add tubular voxels: its voxels need no finer scale after that.
  auto isVessel = [&](const std::vector<float>& measure) {
    const std::vector<std::size_t> tubular = tubularVoxels(parts, measure, boxes);
    std::vector<bool> vessel(parts.sizes.size());
    for (std::size_t n = 0; n < vessel.size(); ++n)
      vessel[n] = candidate[n] && static_cast<double>(tubular[n]) >=
                                      kTubeFraction * static_cast<double>(parts.sizes[n]);
    return vessel;
  };
  const auto settle = [&](const std::vector<float>& measure, std::vector<std::uint8_t>& asked) {
    const std::vector<bool> vessel = isVessel(measure);
    parallel::parallelFor({0, asked.size()}, 1 << 16, [&](parallel::IndexRange chunk) {
      for (std::size_t v = chunk.begin; v < chunk.end; ++v)
        if (asked[v] && vessel[parts.labels[v] - 1]) asked[v] = 0;
    });
  };
  const std::vector<bool> keep = isVessel(
      vesselness(ct, parts.select(candidate), boxes, kVesselSigmaMin_mm, kVesselSigmaMax_mm,
                 kVesselScales, kHessianSupport_sigmas, float(kTubeVesselness), settle, *step5));
  auto step6 = subRange(progress, 0.95, 1.0);
  // Lumen voxels that noise pushed below the threshold are enclosed holes.
  return onBounds(parts.select(keep),
                  [&](const RegionMask& part) { return fillHoles3d(part, *step6); });
}

RegionMask liver(const ImageVolume& ct, const Vec3& seed_lps, Progress& progress) {
  auto step1 = subRange(progress, 0.0, 0.4);
  ImageVolume smoothed(ct.geometry(), PixelType::Float32);
  {
    const std::vector<float> values = medianSmoothed(ct, *step1);
    std::copy(values.begin(), values.end(), smoothed.voxels<float>().begin());
  }
  smoothed.dicom = ct.dicom;
  smoothed.paddingRange = ct.paddingRange;
  // Statistics of the seed's neighbourhood on the smoothed image.
  const RegionMask around =
      threshold(smoothed, {-std::numeric_limits<double>::max(), std::numeric_limits<double>::max()},
                boxAround(ct.geometry(), seed_lps, kLiverSeedRadius_mm));
  const auto values = smoothed.voxels<float>();
  std::vector<float> near;
  const Vec3 first = ct.geometry().lpsToIndex(around.geometry.origin_lps);
  for (std::int64_t k = 0; k < around.geometry.size[2]; ++k)
    for (std::int64_t j = 0; j < around.geometry.size[1]; ++j)
      for (std::int64_t i = 0; i < around.geometry.size[0]; ++i)
        near.push_back(values[ct.geometry().linearIndex(
            i + std::llround(first[0]), j + std::llround(first[1]), k + std::llround(first[2]))]);
  std::nth_element(near.begin(), near.begin() + near.size() / 2, near.end());
  const double centre_HU = near[near.size() / 2];
  auto step2 = subRange(progress, 0.4, 0.8);
  const std::array<Vec3, 1> seeds{seed_lps};
  const RegionMask grown = connectedThreshold(
      smoothed, seeds, {centre_HU - kLiverHalfRange_HU, centre_HU + kLiverHalfRange_HU},
      std::nullopt, *step2);
  auto step3 = subRange(progress, 0.8, 1.0);
  return fillHoles3d(grown, *step3);
}

RegionMask brain(const ImageVolume& mr, Progress& progress) {
  auto step1 = subRange(progress, 0.0, 0.2);
  const double level = otsuThreshold(mr, *step1);
  auto step2 = subRange(progress, 0.2, 0.3);
  const RegionMask bright = above(mr, level, *step2);
  auto step3 = subRange(progress, 0.3, 0.5);
  const RegionMask opened = erode(bright, kBrainOpening_mm, *step3);
  auto step4 = subRange(progress, 0.5, 0.7);
  const RegionMask core = largestComponents(opened, 1, *step4);
  auto step5 = subRange(progress, 0.7, 0.85);
  const RegionMask grown = intersect(dilate(core, kBrainOpening_mm, *step5), bright);
  auto step6 = subRange(progress, 0.85, 1.0);
  return fillHoles3d(grown, *step6);
}

RegionMask presetMask(const ImageVolume& volume, PresetName preset, std::span<const Vec3> seeds_lps,
                      PresetCache& cache, Progress& progress) {
  switch (preset) {
    case PresetName::BodyOutline:
      return cache.bodyOutline(volume, progress);
    case PresetName::Bone:
      return bone(volume, cache, progress);
    case PresetName::Lungs:  // runPreset takes the lungs' parts from lungsAndAirways
      break;
    case PresetName::Vessels:
      return vessels(volume, cache, progress);
    case PresetName::Liver:
      return liver(volume, seeds_lps.front(), progress);
    case PresetName::BrainMask:
      return brain(volume, progress);
  }
  throw Error(ErrorKind::Internal, "Unknown segmentation preset.");
}

}  // namespace

const std::vector<PresetInfo>& presetCatalogue() { return kCatalogue; }

const PresetInfo& presetInfo(PresetName preset) {
  for (const PresetInfo& info : kCatalogue)
    if (info.preset == preset) return info;
  throw Error(ErrorKind::Internal, "Unknown segmentation preset.");
}

PresetName presetFromString(std::string_view name) {
  std::string names;
  for (const PresetInfo& info : kCatalogue) {
    if (name == info.name) return info.preset;
    names += (names.empty() ? "" : ", ") + info.name;
  }
  throw Error(ErrorKind::InvalidInput,
              "There is no segmentation preset \"" + std::string(name) + "\"; the presets are " +
                  names + ".",
              "preset");
}

Segment presetSegment(PresetName preset) {
  // Colours: 3D Slicer's GenericAnatomyColors where it has the structure (as the phantoms).
  Segment s;
  switch (preset) {
    case PresetName::BodyOutline:
      s.name = "Body";
      s.tissueType = "body";
      s.colour = {177, 122, 101};
      s.terminology = {kAnatomicalStructure, {"38266002", "SCT", "Entire body"}, {}};
      break;
    case PresetName::Bone:
      s.name = "Bone";
      s.tissueType = "bone";
      s.colour = {241, 214, 145};
      s.terminology = {kTissue, {"272673000", "SCT", "Bone"}, {}};
      break;
    case PresetName::Lungs:  // the first of its segments: presetSegments
      return presetSegments(preset).front();
    case PresetName::Vessels:
      s.name = "Vessels";
      s.tissueType = "vessel";
      s.colour = {216, 101, 79};
      s.terminology = {kTissue, {"59820001", "SCT", "Blood vessel"}, {}};
      break;
    case PresetName::Liver:
      s.name = "Liver";
      s.tissueType = "liver";
      s.colour = {221, 130, 101};
      s.terminology = {kAnatomicalStructure, {"10200004", "SCT", "Liver"}, {}};
      break;
    case PresetName::BrainMask:
      s.name = "Brain";
      s.tissueType = "brain";
      s.colour = {250, 250, 225};
      s.terminology = {kAnatomicalStructure, {"12738006", "SCT", "Brain"}, {}};
      break;
  }
  return s;
}

// The lungs preset's segments. SNOMED CT 3341006 "Right lung" and 44029006 "Left lung" (SNOMED
// CT International body structures "Right lung structure" / "Left lung structure"). DICOM PS3.16
// lists the lung as 39607008 "Lung" (CID 7155 "Thoracic Segmentation Type", part of CID 7151
// through CID 7192) and leaves the side to a Segmented Property Type Modifier (CID 244
// "Laterality": Right 24028007, Left 7771000); SegmentTerminology has no modifier, so the
// side is in the pre-coordinated SNOMED CT concept, which CID 7151 (extensible in the SEG IOD,
// PS3.3 C.8.20.2) allows. Colours: the right lung takes 3D Slicer's GenericAnatomyColors "lung"
// (197, 165, 145), the left a lighter shade of it (our choice) so the two stand apart.
namespace {
std::vector<Segment> lungSegments() {
  Segment right, left;
  right.name = "Right lung";
  left.name = "Left lung";
  right.tissueType = left.tissueType = "lung";
  right.colour = {197, 165, 145};
  left.colour = {222, 194, 176};
  right.terminology = {kAnatomicalStructure, {"3341006", "SCT", "Right lung"}, {}};
  left.terminology = {kAnatomicalStructure, {"44029006", "SCT", "Left lung"}, {}};
  // SNOMED CT 89187006 "Airway structure" (DICOM PS3.16 CID 6111 "Bronchovascular Anatomy
  // Finding or Feature"; 3D Slicer's DICOM master terminology lists it under Anatomical
  // Structure). Colour: a light cyan that stands apart from the lungs' (not checked against
  // Slicer's colour table).
  Segment airways;
  airways.name = "Airways";
  airways.tissueType = "airway";
  airways.colour = {194, 253, 253};
  airways.terminology = {kAnatomicalStructure, {"89187006", "SCT", "Airway structure"}, {}};
  return {right, left, airways};
}
}  // namespace

std::vector<Segment> presetSegments(PresetName preset) {
  if (preset == PresetName::Lungs) return lungSegments();
  return {presetSegment(preset)};
}

void PresetCache::serve(const ImageVolume& ct) {
  const void* voxels = ct.bytes().data();
  if (voxels == voxels_ && ct.geometry().sameGridAs(grid_)) return;
  body_.reset();
  dense_.reset();
  voxels_ = voxels;
  grid_ = ct.geometry();
}

const RegionMask& PresetCache::bodyOutline(const ImageVolume& ct, Progress& progress) {
  serve(ct);
  // Assigned only when complete: a cancelled run leaves no half result behind.
  if (!body_) body_ = segmentation::bodyOutline(ct, progress);
  return *body_;
}

// Bone: the components of >= 200 HU inside the body. The bone preset keeps those larger than a
// speck; to the vessels preset bone is the components that hold cortex (>= 500 HU, Prokop &
// Galanski 2003), so that cancellous bone (+300..+400 HU) is not taken for enhanced blood, while
// a vessel enhanced beyond 200 HU (arterial phase) without cortex is not bone.
const PresetCache::DenseBone& PresetCache::denseBone(const ImageVolume& ct, Progress& progress) {
  serve(ct);
  if (dense_) return *dense_;
  auto step1 = subRange(progress, 0.0, 0.4);
  const RegionMask& body = bodyOutline(ct, *step1);
  auto step2 = subRange(progress, 0.4, 0.5);
  const RegionMask dense = intersect(above(ct, kBoneThreshold_HU, *step2), body);
  const RegionMask cortex = above(ct, kCortex_HU, noProgress());
  auto step3 = subRange(progress, 0.5, 1.0);
  const Components parts = components(dense, *step3);
  const double voxel_ml = ct.geometry().spacing_mm.prod() / 1000.0;
  std::vector<bool> large(parts.sizes.size()), cortical(parts.sizes.size(), false);
  for (std::size_t n = 0; n < large.size(); ++n)
    large[n] = static_cast<double>(parts.sizes[n]) * voxel_ml >= kBoneSpeck_ml;
  for (std::size_t v = 0; v < parts.labels.size(); ++v)
    if (parts.labels[v] != 0 && cortex.inside[v]) cortical[parts.labels[v] - 1] = true;
  dense_ = DenseBone{parts.select(large), parts.select(cortical)};
  return *dense_;
}

LabelMap runPreset(const ImageVolume& volume, PresetName preset, std::span<const Vec3> seeds_lps,
                   Progress& progress) {
  PresetCache cache;
  return runPreset(volume, preset, seeds_lps, cache, progress);
}

LabelMap runPreset(const ImageVolume& volume, PresetName preset, std::span<const Vec3> seeds_lps,
                   PresetCache& cache, Progress& progress) {
  const PresetInfo& info = presetInfo(preset);
  requireModality(volume, info);
  if (info.needsSeed) {
    if (seeds_lps.empty())
      throw Error(ErrorKind::InvalidInput,
                  "The " + info.name +
                      " preset needs a seed point inside the organ (--seed x,y,z "
                      "in LPS mm).",
                  "seed");
    // Checks the seed lies in the image before any work.
    detail::requireSeedsInside(volume.geometry(), seeds_lps);
  }
  progress.report(0.0, info.name);
  std::vector<RegionMask> masks;
  if (preset == PresetName::Lungs) {
    LungParts parts = lungsAndAirways(volume, cache, progress);
    masks.push_back(std::move(parts.right));
    masks.push_back(std::move(parts.left));
    masks.push_back(std::move(parts.airways));
  } else {
    masks.push_back(presetMask(volume, preset, seeds_lps, cache, progress));
  }
  const std::vector<Segment> segments = presetSegments(preset);
  LabelMap labels(volume.geometry());
  labels.name = segments.front().name + " (" + info.name + " preset)";
  std::vector<std::uint16_t>& layer = labels.layer(0);
  for (std::size_t n = 0; n < masks.size(); ++n) {
    // The preset's own segments are always there, maybe empty (both lungs: the one not in view
    // is empty); the others only when found (no airways in a scan that starts below the
    // trachea). They do not overlap.
    const std::size_t alwaysThere = preset == PresetName::Lungs ? 2 : 1;
    if (n >= alwaysThere && masks[n].count() == 0) continue;
    Segment segment = segments[n];
    segment.layer = 0;
    segment.value = static_cast<std::uint16_t>(labels.segments().size() + 1);
    labels.addSegment(segment);
    const std::vector<std::uint8_t>& inside = masks[n].inside;
    parallel::parallelFor({0, inside.size()}, 1 << 16, [&](parallel::IndexRange chunk) {
      for (std::size_t v = chunk.begin; v < chunk.end; ++v)
        if (inside[v]) layer[v] = segment.value;
    });
  }
  progress.report(1.0, info.name);
  return labels;
}

std::unique_ptr<CaseEdit> addPresetSegments(const Case& twin, const LabelMap& result,
                                            const std::string& text) {
  std::vector<LabelMap> labelMaps = twin.labelMaps;
  auto target = std::find_if(labelMaps.begin(), labelMaps.end(), [&](const LabelMap& m) {
    return m.geometry().sameGridAs(result.geometry());
  });
  if (target == labelMaps.end()) {
    labelMaps.push_back(result);
    return edits::replaceLabelMaps(twin, std::move(labelMaps), text);
  }
  // Each of the result's layers becomes a new layer of the target; names stay unique.
  std::set<std::string> names;
  for (const Segment& s : target->segments()) names.insert(s.name);
  std::vector<int> layerOf(static_cast<std::size_t>(result.layerCount()));
  for (int l = 0; l < result.layerCount(); ++l) {
    layerOf[static_cast<std::size_t>(l)] = target->addLayer();
    target->layer(layerOf[static_cast<std::size_t>(l)]) = result.layer(l);
  }
  for (Segment s : result.segments()) {
    const std::string base = s.name;
    for (int n = 2; names.count(s.name); ++n) s.name = base + " " + std::to_string(n);
    names.insert(s.name);
    s.layer = layerOf[static_cast<std::size_t>(s.layer)];
    target->segments().push_back(s);
  }
  return edits::replaceLabelMaps(twin, std::move(labelMaps), text);
}

}  // namespace twinplan::segmentation
