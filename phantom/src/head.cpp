// The head phantom: a contrast CT and a post-contrast T1-weighted MR of the same head on one
// grid, with scalp, skull (tables and diploe), CSF, grey and white matter, ventricles, deep
// grey nuclei and a 25 mm enhancing tumour in the left fronto-parietal white matter.
//
// CT numbers (HU): grey matter +37..+45, white matter +20..+30, CSF 0..+15, fat -100..-50,
// cancellous bone +300..+400, cortical bone +500..+1900 (Prokop & Galanski, "Spiral and
// Multislice Computed Tomography of the Body", Thieme 2003; Buzug, "Computed Tomography",
// Springer 2008, p. 475; collected in the Wikipedia article "Hounsfield scale"). An enhancing
// lesion after iodinated contrast reaches +60..+100 HU.
// MR T1 intensities (arbitrary units) keep the contrast order and rough ratios of a T1-weighted
// brain image (fat > white matter > grey matter > CSF; cortical bone dark; fatty diploe bright;
// a gadolinium-enhancing tumour brightest), as in BrainWeb's simulated T1 volumes (Kwan, Evans
// & Pike, IEEE Trans Med Imaging 1999;18:1085-97).
#include "anatomy.h"

namespace twinplan::phantom::detail {
namespace {

enum TissueIndex : std::uint8_t {
  kAir,
  kSkin,
  kFat,
  kSkullCortex,
  kSkullDiploe,
  kCsf,
  kVentricle,
  kGreyMatter,
  kWhiteMatter,
  kMuscle,
  kCervicalSpine,
  kTumour,
  kTissueCount
};

enum SegmentIndex : int {
  sSkin,
  sFat,
  sSkull,
  sCsf,
  sVentricles,
  sGreyMatter,
  sWhiteMatter,
  sMuscle,
  sCervicalSpine,
  sTumour
};

const Vec3 kHeadCentre(0.0, 5.0, -10.0);
const Vec3 kHeadSemiAxes_mm(75.0, 95.0, 100.0);
constexpr double kSkullBase_mm = -40.0;  // z of the top of the skull base plate
const Vec3 kTumourCentre(32.0, -25.0, 20.0);
constexpr double kTumourDiameter_mm = 25.0;

class Head final : public Anatomy {
 public:
  Head()
      : scalp_(kHeadCentre, kHeadSemiAxes_mm),
        leftVentricle_(Vec3(11, 0, 22), Vec3(6, 28, 9), rotationAboutZ(1.0, 0.12)),
        rightVentricle_(Vec3(-11, 0, 22), Vec3(6, 28, 9), rotationAboutZ(1.0, -0.12)),
        thirdVentricle_(Vec3(0, 8, 8), Vec3(2.5, 14, 9)),
        leftThalamus_(Vec3(12, 10, 5), Vec3(9, 14, 9)),
        rightThalamus_(Vec3(-12, 10, 5), Vec3(9, 14, 9)),
        tumour_(kTumourCentre, Vec3::Constant(kTumourDiameter_mm / 2)) {}

  std::vector<SegmentSpec> segments() const override {
    return {{"Skin", "skin", {177, 122, 101}, 0},
            {"Subcutaneous fat", "fat", {230, 220, 70}, 0},
            {"Skull", "skull", {241, 214, 145}, 0},
            {"CSF", "csf", {85, 188, 255}, 0},
            {"Ventricles", "csf", {88, 106, 215}, 0},
            {"Grey matter", "grey-matter", {190, 190, 190}, 0},
            {"White matter", "white-matter", {250, 250, 225}, 0},
            {"Muscle", "muscle", {192, 104, 88}, 0},
            {"Cervical spine", "bone", {253, 232, 158}, 0},
            {"Tumour", "tumour", {255, 255, 0}, 1}};
  }

  std::vector<Tissue> tissues() const override {
    std::vector<Tissue> t(kTissueCount);
    t[kAir] = {-1, -1000, 0};
    t[kSkin] = {sSkin, 40, 500};
    t[kFat] = {sFat, -100, 950};
    t[kSkullCortex] = {sSkull, 1000, 60};
    t[kSkullDiploe] = {sSkull, 400, 650};
    t[kCsf] = {sCsf, 10, 180};
    t[kVentricle] = {sVentricles, 10, 180};
    t[kGreyMatter] = {sGreyMatter, 40, 560};
    t[kWhiteMatter] = {sWhiteMatter, 28, 820};
    t[kMuscle] = {sMuscle, 50, 430};
    t[kCervicalSpine] = {sCervicalSpine, 500, 500};
    t[kTumour] = {sTumour, 70, 1150};
    return t;
  }

  ImageGeometry grid(double scale) const override {
    ImageGeometry g;
    const std::int64_t n = std::max<std::int64_t>(16, std::llround(224.0 * scale));
    const std::int64_t slices = std::max<std::int64_t>(8, std::llround(96.0 * scale));
    g.size = {n, n, slices};
    g.spacing_mm = Vec3(224.0 / static_cast<double>(n), 224.0 / static_cast<double>(n),
                        192.0 / static_cast<double>(slices));
    g.origin_lps = -0.5 * g.spacing_mm.cwiseProduct(Vec3(static_cast<double>(n - 1),
                                                         static_cast<double>(n - 1),
                                                         static_cast<double>(slices - 1)));
    return g;
  }

  std::vector<TumourTruth> tumours() const override {
    return {{"Tumour", kTumourCentre, kTumourDiameter_mm}};
  }

  bool hasMr() const override { return true; }

  DicomInfo ctInfo() const override {
    DicomInfo d = phantomCtInfo("100000");
    d.patientName = "Phantom^Head";
    d.patientId = "TWINPLAN-HEAD";
    d.patientBirthDate = "19700101";
    d.studyDescription = "TwinPlan head phantom";
    d.seriesDescription = "CT head with contrast (phantom)";
    d.bodyPartExamined = "HEAD";
    d.windowCenter = 40.0;  // brain window
    d.windowWidth = 80.0;
    return d;
  }

  Sample classify(const Point& p) const override {
    Sample s;
    s.base = base(p);
    if (tumour_.contains(p)) s.overlay = kTumour;
    return s;
  }

 private:
  std::uint8_t base(const Point& p) const {
    const double level = scalp_.level(p);
    if (level > 1.0) return kAir;
    const Point q = p - Point(kHeadCentre);
    const double r = std::sqrt(dot(q, q));
    const double depth = r > 1e-9 ? r / std::sqrt(level) - r : 1e9;  // below the skin
    if (depth < 2.0) return kSkin;
    if (depth < 5.0) return kFat;
    const double z = p.z;
    if (z < kSkullBase_mm - 6.0) {
      // Neck and face below the skull base: muscle, cervical spine, pharyngeal airway.
      const double sx = p.x, sy = p.y - 25.0, ay = p.y + 5.0;
      if (sx * sx + sy * sy <= 10.0 * 10.0) return kCervicalSpine;
      if (sx * sx + ay * ay <= 6.0 * 6.0) return kAir;
      return kMuscle;
    }
    if (z < kSkullBase_mm) return kSkullCortex;  // skull base plate
    if (depth < 7.0) return kSkullCortex;        // outer table
    if (depth < 10.0) return kSkullDiploe;
    if (depth < 12.0) return kSkullCortex;  // inner table
    if (depth < 14.0 || z < kSkullBase_mm + 2.0) return kCsf;
    if (leftVentricle_.contains(p) || rightVentricle_.contains(p) || thirdVentricle_.contains(p))
      return kVentricle;
    if (leftThalamus_.contains(p) || rightThalamus_.contains(p)) return kGreyMatter;
    // Cortical ribbon 2-5 mm thick, folded by a smooth periodic pattern (mock gyri).
    const double folds =
        0.5 * wave(p.x / 17.0 + 0.3) * wave(p.y / 19.0) + 0.5 * wave(p.z / 13.0 + p.x / 29.0);
    if (depth < 14.0 + 3.5 + 1.5 * folds) return kGreyMatter;
    return kWhiteMatter;
  }

  Ellipsoid scalp_, leftVentricle_, rightVentricle_, thirdVentricle_, leftThalamus_, rightThalamus_,
      tumour_;
};

}  // namespace

std::unique_ptr<Anatomy> makeHeadAnatomy() { return std::make_unique<Head>(); }

}  // namespace twinplan::phantom::detail
