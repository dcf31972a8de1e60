// The abdomen phantom: a portal-venous-phase contrast CT of the upper abdomen with two liver
// tumours and a hepatic/portal vessel tree.
//
// CT numbers (HU). Unenhanced values: Hounsfield-scale tables in Prokop M, Galanski M,
// "Spiral and Multislice Computed Tomography of the Body", Thieme 2003, as summarised in the
// Wikipedia article "Hounsfield scale" (air -1000; fat -120..-90; cancellous bone +300..+400;
// cortical bone +500..+1900; CSF +15; muscle +35..+55; liver +45..+65; kidney +20..+45).
// Portal-venous enhancement (~70 s after injection): liver +50..+60 HU over baseline, portal
// vein 160-200 HU, aorta ~150 HU (Bae KT, "Intravenous contrast medium administration and scan
// timing at CT", Radiology 2010;256:32-61). Hypovascular metastases stay hypodense to liver in
// that phase (~40-60 HU).
#include "anatomy.h"

namespace twinplan::phantom::detail {
namespace {

enum TissueIndex : std::uint8_t {
  kAir,
  kSkin,
  kSubcutaneousFat,
  kMuscle,
  kVertebraCancellous,
  kVertebraCortex,
  kVertebraArch,
  kDisc,
  kSpinalCanal,
  kRib,
  kAorta,
  kVenaCava,
  kPortalVein,
  kHepaticVein,
  kLeftKidney,
  kRightKidney,
  kLiver,
  kSpleen,
  kBowel,
  kVisceralFat,
  kTumour1,
  kTumour2,
  kTissueCount
};

enum SegmentIndex : int {
  sSkin,
  sSubcutaneousFat,
  sMuscle,
  sVertebrae,
  sDiscs,
  sSpinalCanal,
  sRibs,
  sAorta,
  sVenaCava,
  sPortalVein,
  sHepaticVeins,
  sLeftKidney,
  sRightKidney,
  sLiver,
  sSpleen,
  sBowel,
  sVisceralFat,
  sTumour1,
  sTumour2
};

// Body outline: an elliptic cylinder (semi-axes in mm; a typical adult abdomen measures
// ~330 mm L-R and ~230 mm A-P).
constexpr double kBodyLr_mm = 165.0, kBodyAp_mm = 115.0;
constexpr double kSkin_mm = 2.0, kMuscleWall_mm = 12.0;
// Tumour truths (centres chosen inside the right lobe, clear of every vessel).
const Vec3 kTumour1Centre(-45.0, -45.0, 45.0);
constexpr double kTumour1Diameter_mm = 15.0;
const Vec3 kTumour2Centre(-95.0, 10.0, 62.0);
constexpr double kTumour2Diameter_mm = 30.0;

class Abdomen final : public Anatomy {
 public:
  Abdomen()
      : liverRight_(Vec3(-70, -5, 55), Vec3(75, 80, 75)),
        liverLeft_(Vec3(15, -35, 70), Vec3(60, 35, 45)),
        spleen_(Vec3(85, 45, 60), Vec3(25, 40, 45), rotationAboutZ(1.0, -0.4)),
        leftKidney_(Vec3(80, 50, -35), Vec3(28, 22, 55), rotationAboutZ(1.0, 0.35)),
        rightKidney_(Vec3(-80, 52, -50), Vec3(28, 22, 55), rotationAboutZ(1.0, -0.35)),
        bowel_(Vec3(15, -45, -75), Vec3(95, 45, 60)),
        leftPsoas_(Vec3(40, 45, -80), Vec3(16, 16, 110)),
        rightPsoas_(Vec3(-40, 45, -80), Vec3(16, 16, 110)),
        leftParaspinal_(Vec3(40, 85, 0), Vec3(22, 18, 1000)),
        rightParaspinal_(Vec3(-40, 85, 0), Vec3(22, 18, 1000)),
        tumour1_(kTumour1Centre, Vec3::Constant(kTumour1Diameter_mm / 2)),
        tumour2_(kTumour2Centre, Vec3::Constant(kTumour2Diameter_mm / 2)) {
    // Portal vein: trunk to the hilum, right and left branches, segmental branches.
    const Vec3 hilum(-35, -10, 35), right(-62, -5, 45), left(0, -25, 55);
    portal_.add({Vec3(-20, -20, -25), hilum, 7.0, 6.5});
    portal_.add({hilum, right, 6.0, 5.5});
    portal_.add({right, Vec3(-80, -35, 55), 4.5, 4.0});
    portal_.add({Vec3(-80, -35, 55), Vec3(-95, -55, 60), 4.0, 2.5});
    portal_.add({right, Vec3(-100, 30, 40), 4.5, 4.0});
    portal_.add({Vec3(-100, 30, 40), Vec3(-118, 38, 30), 4.0, 2.5});
    portal_.add({right, Vec3(-75, 0, 95), 4.0, 3.0});
    portal_.add({hilum, left, 5.0, 4.5});
    portal_.add({left, Vec3(35, -40, 70), 3.5, 3.0});
    portal_.add({Vec3(35, -40, 70), Vec3(55, -45, 75), 3.0, 2.0});
    portal_.add({left, Vec3(-10, -55, 60), 3.5, 2.5});
    // Hepatic veins drain into the vena cava below the diaphragm.
    const Vec3 confluence(-22, 16, 105);
    hepatic_.add({confluence, Vec3(-70, -5, 90), 6.0, 5.0});
    hepatic_.add({Vec3(-70, -5, 90), Vec3(-115, -15, 75), 5.0, 3.0});
    hepatic_.add({confluence, Vec3(-35, -35, 85), 5.5, 4.5});
    hepatic_.add({Vec3(-35, -35, 85), Vec3(-40, -60, 60), 4.5, 2.5});
    hepatic_.add({confluence, Vec3(10, -30, 95), 5.0, 4.0});
    hepatic_.add({Vec3(10, -30, 95), Vec3(35, -40, 90), 4.0, 2.5});
  }

  std::vector<SegmentSpec> segments() const override {
    // Colours follow 3D Slicer's GenericAnatomyColors table where it has the structure.
    return {{"Skin", "skin", {177, 122, 101}, 0},
            {"Subcutaneous fat", "fat", {230, 220, 70}, 0},
            {"Muscle", "muscle", {192, 104, 88}, 0},
            {"Vertebrae", "bone", {241, 214, 145}, 0},
            {"Intervertebral discs", "cartilage", {111, 184, 210}, 0},
            {"Spinal canal", "csf", {85, 188, 255}, 0},
            {"Ribs", "bone", {253, 232, 158}, 0},
            {"Aorta", "vessel", {224, 97, 76}, 0},
            {"Inferior vena cava", "vessel", {0, 151, 206}, 0},
            {"Portal vein", "vessel", {0, 112, 165}, 0},
            {"Hepatic veins", "vessel", {43, 80, 145}, 0},
            {"Left kidney", "kidney", {185, 102, 83}, 0},
            {"Right kidney", "kidney", {185, 102, 83}, 0},
            {"Liver", "liver", {221, 130, 101}, 0},
            {"Spleen", "spleen", {157, 108, 162}, 0},
            {"Bowel", "bowel", {205, 167, 142}, 0},
            {"Visceral fat", "fat", {255, 244, 209}, 0},
            {"Tumour 1", "tumour", {255, 255, 0}, 1},
            {"Tumour 2", "tumour", {255, 128, 0}, 1}};
  }

  std::vector<Tissue> tissues() const override {
    std::vector<Tissue> t(kTissueCount);
    t[kAir] = {-1, -1000};
    t[kSkin] = {sSkin, 40};
    t[kSubcutaneousFat] = {sSubcutaneousFat, -100};
    t[kMuscle] = {sMuscle, 50};
    t[kVertebraCancellous] = {sVertebrae, 300};
    t[kVertebraCortex] = {sVertebrae, 900};
    t[kVertebraArch] = {sVertebrae, 700};
    t[kDisc] = {sDiscs, 90};  // annulus/nucleus ~ +80..+120 HU
    t[kSpinalCanal] = {sSpinalCanal, 15};
    t[kRib] = {sRibs, 600};  // thin cortex + marrow, averaged
    t[kAorta] = {sAorta, 150};
    t[kVenaCava] = {sVenaCava, 130};  // infrarenal IVC mixes unenhanced blood from the legs
    t[kPortalVein] = {sPortalVein, 180};
    t[kHepaticVein] = {sHepaticVeins, 160};
    t[kLeftKidney] = {sLeftKidney, 150};
    t[kRightKidney] = {sRightKidney, 150};
    t[kLiver] = {sLiver, 100};
    t[kSpleen] = {sSpleen, 110};
    t[kBowel] = {sBowel, 35};
    t[kVisceralFat] = {sVisceralFat, -100};
    t[kTumour1] = {sTumour1, 50};
    t[kTumour2] = {sTumour2, 40};
    return t;
  }

  ImageGeometry grid(double scale) const override {
    ImageGeometry g;
    const std::int64_t n = std::max<std::int64_t>(16, std::llround(256.0 * scale));
    const std::int64_t slices = std::max<std::int64_t>(8, std::llround(100.0 * scale));
    g.size = {n, n, slices};
    g.spacing_mm = Vec3(384.0 / static_cast<double>(n), 384.0 / static_cast<double>(n),
                        250.0 / static_cast<double>(slices));
    g.origin_lps = -0.5 * g.spacing_mm.cwiseProduct(Vec3(static_cast<double>(n - 1),
                                                         static_cast<double>(n - 1),
                                                         static_cast<double>(slices - 1)));
    return g;
  }

  std::vector<TumourTruth> tumours() const override {
    return {{"Tumour 1", kTumour1Centre, kTumour1Diameter_mm},
            {"Tumour 2", kTumour2Centre, kTumour2Diameter_mm}};
  }

  bool hasMr() const override { return false; }

  DicomInfo ctInfo() const override {
    DicomInfo d = phantomCtInfo("090000");
    d.patientName = "Phantom^Abdomen";
    d.patientId = "TWINPLAN-ABDOMEN";
    d.patientBirthDate = "19600101";
    d.studyDescription = "TwinPlan abdomen phantom";
    d.seriesDescription = "CT abdomen portal venous (phantom)";
    d.bodyPartExamined = "ABDOMEN";
    d.windowCenter = 40.0;  // abdominal soft-tissue window
    d.windowWidth = 400.0;
    return d;
  }

  Sample classify(const Point& p) const override {
    Sample s;
    s.base = base(p);
    if (tumour1_.contains(p)) s.overlay = kTumour1;
    if (tumour2_.contains(p)) s.overlay = kTumour2;
    return s;
  }

 private:
  std::uint8_t base(const Point& p) const {
    const double x = p.x, y = p.y, z = p.z;
    const double level = (x * x) / (kBodyLr_mm * kBodyLr_mm) + (y * y) / (kBodyAp_mm * kBodyAp_mm);
    if (level > 1.0) return kAir;
    // Depth below the skin along the ray from the body axis.
    const double rho = std::sqrt(x * x + y * y);
    const double depth = rho > 1e-9 ? rho / std::sqrt(level) - rho : 1e9;
    const double sinPhi = rho > 1e-9 ? y / rho : 0.0;  // +1 posterior, -1 anterior
    // Subcutaneous fat: ~20 mm anteriorly and laterally, ~10 mm over the back.
    const double fat_mm = 20.0 - 10.0 * std::max(0.0, sinPhi);
    if (depth < kSkin_mm) return kSkin;
    if (depth < kSkin_mm + fat_mm) return kSubcutaneousFat;

    if (const std::uint8_t bone = spine(x, y, z)) return bone;
    if (rib(x, z, rho, sinPhi, fat_mm)) return kRib;
    if (depth < kSkin_mm + fat_mm + kMuscleWall_mm) return kMuscle;
    if (leftParaspinal_.contains(p) || rightParaspinal_.contains(p) || leftPsoas_.contains(p) ||
        rightPsoas_.contains(p))
      return kMuscle;

    if ((x - 8) * (x - 8) + (y - 10) * (y - 10) <= 11.0 * 11.0) return kAorta;
    if ((x + 22) * (x + 22) + (y - 16) * (y - 16) <= 11.0 * 11.0 && z <= 110.0) return kVenaCava;
    if (portal_.contains(p)) return kPortalVein;
    if (hepatic_.contains(p)) return kHepaticVein;
    if (leftKidney_.contains(p)) return kLeftKidney;
    if (rightKidney_.contains(p)) return kRightKidney;
    if (liverRight_.contains(p) || liverLeft_.contains(p)) return kLiver;
    if (spleen_.contains(p)) return kSpleen;
    if (bowel_.contains(p)) return kBowel;
    return kVisceralFat;
  }

  // Lumbar/lower thoracic spine: vertebral bodies 24 mm high separated by 6 mm discs, with
  // neural arch, spinous and transverse processes around a spinal canal.
  static std::uint8_t spine(double x, double y, double z) {
    if (std::abs(x) > 46.0 || y < 24.0 || y > 104.0) return 0;
    const double period_mm = 30.0, disc_mm = 6.0;
    const double u = (z + 12.0) / period_mm;
    const double h = (u - std::floor(u)) * period_mm;  // 0..30 within one motion segment
    const double bx = x / 24.0, by = (y - 45.0) / 20.0;
    const double body = bx * bx + by * by;
    if (body <= 1.0) {
      if (h < disc_mm) return kDisc;
      const double ix = x / 21.5, iy = (y - 45.0) / 17.5;
      const bool shell = ix * ix + iy * iy > 1.0 || h < disc_mm + 1.5 || h > period_mm - 1.5;
      return shell ? kVertebraCortex : kVertebraCancellous;
    }
    const double cy = y - 78.0;
    const double canal = x * x + cy * cy;
    if (canal <= 9.0 * 9.0) return kSpinalCanal;
    const bool vertebraLevel = h > disc_mm + 2.0 && h < period_mm - 4.0;
    if (!vertebraLevel) return 0;
    if (canal <= 15.0 * 15.0 && cy > -12.0) return kVertebraArch;              // arch
    if (std::abs(x) <= 4.0 && y >= 90.0 && y <= 100.0) return kVertebraArch;   // spinous
    if (std::abs(x) >= 14.0 && std::abs(x) <= 45.0 && y >= 70.0 && y <= 79.0)  // transverse
      return kVertebraArch;
    return 0;
  }

  // Lower ribs: tubes of radius 5 mm just inside the muscle wall, running from beside the
  // spine round the flank and sloping 35 mm down anteriorly; lower ribs end earlier.
  static bool rib(double x, double z, double rho, double sinPhi, double fat_mm) {
    if (z < -30.0 || rho < 60.0) return false;
    const double cosPhi = std::abs(x) / rho;
    // Distance from the axis to the skin in this direction (the ellipse in polar form).
    const double c = cosPhi / kBodyLr_mm, s = sinPhi / kBodyAp_mm;
    const double surface = 1.0 / std::sqrt(c * c + s * s);
    const double centre = surface - (kSkin_mm + fat_mm + 6.0);
    const double dr = rho - centre;
    if (std::abs(dr) > 5.0) return false;
    constexpr double kStart = 0.85;                        // sin(phi) where a rib leaves the spine
    constexpr double kTop[4] = {115.0, 85.0, 55.0, 25.0};  // height beside the spine
    constexpr double kEnd[4] = {-0.6, -0.45, -0.2, 0.2};   // sin(phi) of the anterior tip
    for (int r = 0; r < 4; ++r) {
      if (sinPhi > kStart || sinPhi < kEnd[r]) continue;
      const double zc = kTop[r] - 35.0 * (kStart - sinPhi) / (kStart - kEnd[r]);
      if (dr * dr + (z - zc) * (z - zc) <= 25.0) return true;
    }
    return false;
  }

  Ellipsoid liverRight_, liverLeft_, spleen_, leftKidney_, rightKidney_, bowel_;
  Ellipsoid leftPsoas_, rightPsoas_, leftParaspinal_, rightParaspinal_;
  Ellipsoid tumour1_, tumour2_;
  VesselTree portal_, hepatic_;
};

}  // namespace

std::unique_ptr<Anatomy> makeAbdomenAnatomy() { return std::make_unique<Abdomen>(); }

}  // namespace twinplan::phantom::detail
