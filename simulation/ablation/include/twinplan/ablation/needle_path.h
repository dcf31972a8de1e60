#pragma once
// Needle path feasibility for percutaneous ablation (issue #17 item 3): from a target inside the
// patient (the tumour's centre, or a chosen point) straight out to the skin, is there a path a
// radiologist may take? A path is refused, with the reason, when within `safetyRadius_mm` of its
// centre line it meets bone, air/lung, a large vessel or another critical structure, when it is
// longer than the shaft, or when it tilts more than the angle limit out of the axial plane.
//
// The body is the case's body segment (tissue type "body" or a segment named "Body") when it
// has one, otherwise the CT's voxels at or above bodyThreshold_HU; the skin entry is where the
// path leaves the body for the last time before it leaves the CT (lung or bowel gas inside the
// body is crossed, and refused, not taken for the outside). Inside the body, a voxel blocks the
// path when a segment of a critical tissue type (criticalTissueTypes) or a segment the user names
// (extraCriticalSegments) covers it, or - outside every segment but the target's - when its CT
// number says bone or air (so a case with no segments still refuses a path through a rib or the
// lung). Air counts only inside the body outline (the body lies further out along the needle):
// the room's air that the safety cylinder of an oblique path touches at the skin does not. The
// reason names the first obstacle the needle meets going in from the skin, at that depth.
#include <optional>
#include <string>
#include <vector>

#include "twinplan/core/case.h"
#include "twinplan/core/progress.h"

namespace twinplan::ablation {

struct NeedlePathRules {
  // Longest insertion depth, skin to tip (mm): the longest common percutaneous ablation
  // electrodes and antennas have 20-25 cm shafts (Cool-tip ACT2025 250 mm, Emprint 200 mm;
  // manufacturers' catalogues, evidence "recalled"); 200 mm keeps a hub outside the skin.
  double shaftLength_mm = 200.0;
  // Largest tilt out of the axial plane (deg). On CT guidance a path in or near the axial
  // plane is seen whole on one slice; steeper double-oblique paths are done but harder to
  // follow. 45 deg is a working default, not a published limit (no source found yet; to check
  // against the department's practice); the user sets it.
  double maxAngleFromAxial_deg = 45.0;
  // Clearance kept around the centre line (mm): the shaft's radius (up to ~1 mm for a 14-17 G
  // probe) plus ~2 mm of needle placement error under CT guidance (evidence "recalled"). Checked
  // (branch ablzones): Busser et al., Br J Radiol 2013;86:20130310 (abstract, phantom) measured
  // a mean deviation from the target under CT guidance of 3.3 mm in plane, 4.4 mm angulated and
  // 6.7 mm double angulated, so 2 mm is below the published placement error; the default is
  // kept until the targeting owner decides (docs/validation.md, "zone criteria and published
  // zones").
  double safetyRadius_mm = 3.0;
  // Distance between samples along the path (mm).
  double sampleStep_mm = 1.0;
  // The body outline when the case has no body segment: -400 HU sits between air/lung
  // (-1000..-500) and fat (-120..-90) (Hounsfield scale; Lamba et al., RadioGraphics 2014).
  double bodyThreshold_HU = -400.0;
  // Outside every segment: CT numbers at or above bone_HU are bone (cancellous bone +300..+400;
  // contrast-filled vessels stay below 300 in the portal phase), at or below air_HU air/lung -
  // and so is anything below bodyThreshold_HU inside the body outline (dense lung, lung's edge).
  double bone_HU = 300.0;
  double air_HU = -500.0;
  // Tissue types a path may not cross: bone (the needle cannot pass), lung and air
  // (pneumothorax), vessels (haemorrhage), bile ducts and gallbladder (bile leak, peritonitis),
  // bowel and stomach (perforation), heart, spinal canal. Rhim H et al., "Radiofrequency thermal
  // ablation of abdominal tumors: lessons learned from complications", RadioGraphics
  // 2004;24:41-52.
  std::vector<std::string> criticalTissueTypes = {
      "bone",       "bone-cortical",   "bone-cancellous",
      "skull",      "cartilage",       "lung",
      "air",        "airway",          "vessel",
      "blood",      "artery",          "vein",
      "bile",       "bile-duct",       "gallbladder",
      "bowel",      "small-intestine", "colon",
      "stomach",    "heart",           "csf",
      "spinal-cord"};
  // Segment names the user adds to the critical list (e.g. "Right kidney").
  std::vector<std::string> extraCriticalSegments;
  // Segments never counted as obstacles: the target (tumour) and what it lies in.
  std::vector<std::string> ignoredSegments;
  void validate() const;  // Error(InvalidInput) naming the member
};

struct NeedlePath {
  Vec3 tip_lps = Vec3::Zero();    // the target end
  Vec3 entry_lps = Vec3::Zero();  // where it leaves the body (skin), or where the search stopped
  double depth_mm = 0.0;          // tip to entry
  double angleFromAxial_deg = 0.0;
  bool feasible = false;
  // Why not: "crosses Ribs at 62 mm depth", "longer than the 200 mm shaft", ...; empty when
  // feasible. `obstacle`: the first segment or CT class met from the skin in ("Ribs",
  // "bone (CT)"), else empty; `obstacleDepth_mm`: from the entry to where the needle comes
  // within the safety radius of it.
  std::string reason;
  std::string obstacle;
  double obstacleDepth_mm = 0.0;
};

// Looks up what lies at a point of a case: the body, and the critical structure there.
class PathObstacles {
 public:
  PathObstacles(const Case& twin, const std::string& ctVolume, const NeedlePathRules& rules);
  bool insideBody(const Vec3& p_lps) const;
  // The obstacle's name at p ("" when none).
  std::string obstacleAt(const Vec3& p_lps) const;
  const NeedlePathRules& rules() const { return rules_; }
  const ImageGeometry& ctGeometry() const { return ct_->geometry(); }

 private:
  struct Blocker {
    std::size_t labelMap;
    int layer;
    std::uint16_t value;
    std::string name;
  };
  const Case& twin_;
  const ImageVolume* ct_;
  NeedlePathRules rules_;
  std::vector<Blocker> blockers_;    // critical segments
  std::vector<Blocker> ignored_;     // target segments: no HU check there
  std::vector<Blocker> anySegment_;  // every segment (HU check only outside all)
  std::optional<Blocker> body_;
  bool segmentAt(const Blocker& b, const Vec3& p_lps) const;
  double ctAt(const Vec3& p_lps) const;  // nearest voxel; -1000 outside the CT or padding
};

// The path from `tip_lps` along unit direction `outward` (tip -> skin) to the skin.
NeedlePath tracePath(const PathObstacles& obstacles, const Vec3& tip_lps, const Vec3& outward);
// The path from the tip through a given entry (the user's choice): checked up to the entry.
NeedlePath checkPath(const PathObstacles& obstacles, const Vec3& tip_lps, const Vec3& entry_lps);

// `count` directions spread evenly over the sphere (Fibonacci lattice), deterministic.
std::vector<Vec3> sphereDirections(int count);

// Traces every direction within the angle limit (in parallel; deterministic order: the
// directions' order). Throws Cancelled on cancel.
std::vector<NeedlePath> candidatePaths(const PathObstacles& obstacles, const Vec3& tip_lps,
                                       int directionCount = 600, Progress& progress = noProgress());

}  // namespace twinplan::ablation
