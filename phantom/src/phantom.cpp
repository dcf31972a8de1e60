// makePhantom: samples an analytic anatomy on a (possibly oblique) grid into the CT (and MR)
// volumes and the true labelmap, then adds noise.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <utility>

#include "anatomy.h"
#include "twinplan/core/error.h"
#include "twinplan/io/dicom_writer.h"

namespace twinplan::phantom {
namespace detail {

Ellipsoid::Ellipsoid(const Vec3& centre, const Vec3& semiAxes_mm, const Mat3& axes)
    : centre_(centre), bound_(semiAxes_mm.maxCoeff()) {
  const Mat3 toUnit = semiAxes_mm.cwiseInverse().asDiagonal() * axes.transpose();
  for (int r = 0; r < 3; ++r) toUnit_[r] = Point(toUnit(r, 0), toUnit(r, 1), toUnit(r, 2));
}

Tube::Tube(const Vec3& a, const Vec3& b, double ra_mm, double rb_mm)
    : a_(a), ab_(b - a), inverseLength2_(1.0 / (b - a).squaredNorm()), ra_(ra_mm), rb_(rb_mm) {}

double Tube::distance(const Point& p) const {
  const Point ap = p - a_;
  const double t = std::clamp(dot(ap, ab_) * inverseLength2_, 0.0, 1.0);
  const Point off = ap - t * ab_;
  return std::sqrt(dot(off, off)) - (ra_ + t * (rb_ - ra_));
}

Point Tube::lowerCorner() const {
  const double r = std::max(ra_, rb_);
  const Point b = a_ + ab_;
  return {std::min(a_.x, b.x) - r, std::min(a_.y, b.y) - r, std::min(a_.z, b.z) - r};
}

Point Tube::upperCorner() const {
  const double r = std::max(ra_, rb_);
  const Point b = a_ + ab_;
  return {std::max(a_.x, b.x) + r, std::max(a_.y, b.y) + r, std::max(a_.z, b.z) + r};
}

void VesselTree::add(const Tube& tube) {
  tubes_.push_back(tube);
  const Point lo = tube.lowerCorner(), hi = tube.upperCorner();
  lo_ = {std::min(lo_.x, lo.x), std::min(lo_.y, lo.y), std::min(lo_.z, lo.z)};
  hi_ = {std::max(hi_.x, hi.x), std::max(hi_.y, hi.y), std::max(hi_.z, hi.z)};
}

double VesselTree::distance(const Point& p) const {
  double d = 1e30;
  for (const Tube& t : tubes_) d = std::min(d, t.distance(p));
  return d;
}

Mat3 rotationAboutZ(double c, double s) {
  const double n = std::sqrt(c * c + s * s);
  c /= n;
  s /= n;
  Mat3 r;
  r << c, -s, 0, s, c, 0, 0, 0, 1;
  return r;
}

}  // namespace detail

namespace {

using detail::Anatomy;
using detail::Sample;
using detail::Tissue;

// cos and sin by their Taylor series (|a| <= pi/4 here, 14 terms reach double precision):
// plain IEEE arithmetic, so the grid is bit-identical on every machine, unlike libm's cos/sin.
std::pair<double, double> cosSin(double a) {
  double c = 0.0, s = 0.0, term = 1.0;  // term = a^n / n!
  for (int n = 0; n < 28; ++n) {
    switch (n % 4) {
      case 0:
        c += term;
        break;
      case 1:
        s += term;
        break;
      case 2:
        c -= term;
        break;
      case 3:
        s -= term;
        break;
    }
    term *= a / static_cast<double>(n + 1);
  }
  return {c, s};
}

// Rotation about L-R (x) by `angle`, then about A-P (y) by the same angle.
Mat3 obliqueDirection(double angle_deg) {
  const auto [c, s] = cosSin(angle_deg * M_PI / 180.0);
  Mat3 aboutLr, aboutAp;
  aboutLr << 1, 0, 0, 0, c, -s, 0, s, c;
  aboutAp << c, 0, s, 0, 1, 0, -s, 0, c;
  return aboutAp * aboutLr;
}

void checkOptions(const PhantomOptions& o) {
  auto bad = [](const std::string& what, const std::string& option) {
    throw Error(ErrorKind::InvalidInput, what, option);
  };
  if (!(o.scale >= 0.1 && o.scale <= 2.0))
    bad("Phantom scale must be between 0.1 and 2 (got " + std::to_string(o.scale) + ").", "scale");
  if (!(o.noiseSd >= 0.0 && o.noiseSd <= 500.0))
    bad("Phantom CT noise SD must be between 0 and 500 HU.", "noiseSd");
  if (!(o.mrNoiseSd >= 0.0 && o.mrNoiseSd <= 2000.0))
    bad("Phantom MR noise SD must be between 0 and 2000.", "mrNoiseSd");
  const bool customGrid = o.gridSize != std::array<std::int64_t, 3>{0, 0, 0};
  for (std::int64_t n : o.gridSize)
    if (customGrid && !(n >= 8 && n <= 2048))
      bad("Phantom grid sizes must be between 8 and 2048 voxels (got " +
              std::to_string(o.gridSize[0]) + "x" + std::to_string(o.gridSize[1]) + "x" +
              std::to_string(o.gridSize[2]) + ").",
          "gridSize");
  if (!(std::abs(o.obliqueAngle_deg) <= 45.0))
    bad("Phantom oblique angle must be within +-45 degrees.", "obliqueAngle_deg");
}

}  // namespace

Phantom makePhantom(const PhantomOptions& options, Progress& progress) {
  checkOptions(options);
  const std::unique_ptr<Anatomy> anatomy = options.kind == PhantomKind::Abdomen
                                               ? detail::makeAbdomenAnatomy()
                                               : detail::makeHeadAnatomy();
  const std::vector<Tissue> tissues = anatomy->tissues();
  const std::vector<detail::SegmentSpec> specs = anatomy->segments();

  // The grid: straight, or tilted about its centre so the anatomy keeps its LPS place.
  ImageGeometry grid = anatomy->grid(options.scale);
  if (options.gridSize != std::array<std::int64_t, 3>{0, 0, 0}) {
    // The same field of view (and centre 0) sampled with the requested number of voxels.
    const ImageGeometry base = grid;
    for (int a = 0; a < 3; ++a) {
      grid.size[a] = options.gridSize[static_cast<std::size_t>(a)];
      grid.spacing_mm[a] = base.spacing_mm[a] * static_cast<double>(base.size[a]) /
                           static_cast<double>(grid.size[a]);
    }
    grid.origin_lps =
        -0.5 * grid.spacing_mm.cwiseProduct(Vec3(static_cast<double>(grid.size[0] - 1),
                                                 static_cast<double>(grid.size[1] - 1),
                                                 static_cast<double>(grid.size[2] - 1)));
  }
  if (options.oblique) {
    const Vec3 centre =
        grid.indexToLps(Vec3(grid.size[0] - 1, grid.size[1] - 1, grid.size[2] - 1) * 0.5);
    grid.direction = obliqueDirection(options.obliqueAngle_deg);
    grid.origin_lps =
        centre -
        grid.direction * grid.spacing_mm.cwiseProduct(
                             Vec3(grid.size[0] - 1, grid.size[1] - 1, grid.size[2] - 1) * 0.5);
  }

  // Segments: layer-0 values count from 1, layer-1 values from 1.
  LabelMap truth(grid);
  truth.name = "Ground truth";
  std::vector<std::uint16_t> segmentValue(specs.size());
  std::uint16_t nextValue[2] = {1, 1};
  for (std::size_t s = 0; s < specs.size(); ++s) {
    Segment segment;
    segment.name = specs[s].name;
    segment.tissueType = specs[s].tissueType;
    segment.colour = specs[s].colour;
    segment.layer = specs[s].layer;
    segment.value = nextValue[specs[s].layer]++;
    segmentValue[s] = segment.value;
    truth.addSegment(segment);
  }
  auto labelOf = [&](std::uint8_t tissue) -> std::uint16_t {
    const int s = tissues[tissue].segment;
    return s < 0 ? 0 : segmentValue[static_cast<std::size_t>(s)];
  };
  std::vector<std::uint16_t> baseLabel(tissues.size());
  for (std::size_t t = 0; t < tissues.size(); ++t)
    baseLabel[t] = labelOf(static_cast<std::uint8_t>(t));

  ImageVolume ct(grid, PixelType::Int16);
  ct.name = "CT";
  ct.unit = "HU";
  ct.dicom = anatomy->ctInfo();
  ct.dicom.studyInstanceUid = io::makeDicomUid(io::UidKind::Study);
  ct.dicom.seriesInstanceUid = io::makeDicomUid(io::UidKind::Series);
  ct.dicom.frameOfReferenceUid = io::makeDicomUid(io::UidKind::FrameOfReference);
  ImageVolume mr;
  if (anatomy->hasMr()) {
    mr = ImageVolume(grid, PixelType::UInt16);
    mr.name = "MR T1";
    mr.unit = "";
    mr.dicom = ct.dicom;
    mr.dicom.modality = "MR";
    mr.dicom.seriesInstanceUid = io::makeDicomUid(io::UidKind::Series);
    mr.dicom.seriesNumber = ct.dicom.seriesNumber + 1;
    mr.dicom.seriesDescription = "T1 3D post-contrast (phantom)";
    mr.dicom.windowCenter = 600.0;
    mr.dicom.windowWidth = 1200.0;
    mr.dicom.imageType = "DERIVED\\PRIMARY\\M\\ND";
  }

  // Independent noise streams per seed and per volume.
  const std::uint64_t seedKey = static_cast<std::uint64_t>(options.seed) << 8;
  const detail::NormalStream ctNoise(seedKey ^ 0x11);
  const detail::NormalStream mrNoiseI(seedKey ^ 0x21), mrNoiseQ(seedKey ^ 0x22);

  auto ctVoxels = ct.voxels<std::int16_t>();
  std::span<std::uint16_t> mrVoxels;
  if (anatomy->hasMr()) mrVoxels = mr.voxels<std::uint16_t>();
  auto& layer0 = truth.layer(0);
  auto& layer1 = truth.layer(1);

  const Mat3 step = grid.direction * grid.spacing_mm.asDiagonal();
  const detail::Point origin(grid.origin_lps), di(step.col(0)), dj(step.col(1)), dk(step.col(2));
  // Meshing the models takes about four times as long as sampling the voxels.
  const double voxelShare = options.surfaceModels ? 0.2 : 1.0;
  for (std::int64_t k = 0; k < grid.size[2]; ++k) {
    progress.check();
    for (std::int64_t j = 0; j < grid.size[1]; ++j) {
      const detail::Point rowStart =
          origin + static_cast<double>(j) * dj + static_cast<double>(k) * dk;
      std::size_t n = grid.linearIndex(0, j, k);
      for (std::int64_t i = 0; i < grid.size[0]; ++i, ++n) {
        const detail::Point p = rowStart + static_cast<double>(i) * di;
        const Sample sample = anatomy->classify(p);
        layer0[n] = baseLabel[sample.base];
        layer1[n] = sample.overlay ? baseLabel[sample.overlay] : 0;
        const Tissue& seen = tissues[sample.overlay ? sample.overlay : sample.base];
        // CT: nominal HU plus Gaussian noise, clipped to the scanner range -1024..3071.
        const double hu = seen.ct_HU + options.noiseSd * ctNoise(n);
        ctVoxels[n] = static_cast<std::int16_t>(std::clamp(std::floor(hu + 0.5), -1024.0, 3071.0));
        if (!mrVoxels.empty()) {
          // MR magnitude image: Rician noise from Gaussian noise on both channels
          // (Gudbjartsson & Patz, Magn Reson Med 1995;34:910-4).
          const double re = seen.mr + options.mrNoiseSd * mrNoiseI(n);
          const double im = options.mrNoiseSd * mrNoiseQ(n);
          const double magnitude = std::sqrt(re * re + im * im);
          mrVoxels[n] = static_cast<std::uint16_t>(std::min(std::floor(magnitude + 0.5), 65535.0));
        }
      }
    }
    progress.report(voxelShare * static_cast<double>(k + 1) / static_cast<double>(grid.size[2]),
                    "Building the phantom");
  }

  Phantom phantom;
  phantom.options = options;
  phantom.tumours = anatomy->tumours();
  // Nominal intensities per segment; a mixed segment reports its first (main) class.
  for (std::size_t s = 0; s < specs.size(); ++s) {
    TissueTruth t;
    t.segment = specs[s].name;
    int classes = 0;
    for (const Tissue& tissue : tissues) {
      if (tissue.segment != static_cast<int>(s)) continue;
      if (classes++ == 0) {
        t.ct_HU = tissue.ct_HU;
        t.mr = tissue.mr;
      }
    }
    t.homogeneous = classes == 1;
    phantom.tissues.push_back(t);
  }

  Case& twin = phantom.twin;
  twin.name = options.kind == PhantomKind::Abdomen ? "Abdomen phantom" : "Head phantom";
  twin.patientName = ct.dicom.patientName;
  twin.patientId = ct.dicom.patientId;
  twin.volumes.push_back(std::move(ct));
  if (anatomy->hasMr()) twin.volumes.push_back(std::move(mr));
  twin.labelMaps.push_back(std::move(truth));
  twin.provenance.push_back({{"step", "phantom"},
                             {"time", utcNowIso8601()},
                             {"kind", toString(options.kind)},
                             {"seed", options.seed},
                             {"oblique", options.oblique},
                             {"obliqueAngle_deg", options.obliqueAngle_deg},
                             {"noiseSd", options.noiseSd},
                             {"mrNoiseSd", options.mrNoiseSd},
                             {"scale", options.scale},
                             {"gridSize", options.gridSize},
                             {"generator", "twinplan::phantom::makePhantom"}});
  if (options.surfaceModels) {
    nlohmann::json settings;
    twin.meshes = detail::makeSurfaceModels(twin.labelMaps.front(), options.kind,
                                            *subRange(progress, voxelShare, 1.0), settings);
    nlohmann::json names = nlohmann::json::array();
    for (const SurfaceMesh& mesh : twin.meshes) names.push_back(mesh.name);
    twin.provenance.push_back({{"step", "surface models"},
                               {"time", utcNowIso8601()},
                               {"labelMap", twin.labelMaps.front().name},
                               {"meshes", names},
                               {"settings", settings},
                               {"generator", "twinplan::segmentation::buildSurfaces"}});
  }
  return phantom;
}

}  // namespace twinplan::phantom

namespace twinplan::phantom::detail {

DicomInfo phantomCtInfo(const std::string& studyTime) {
  DicomInfo d;
  d.patientSex = std::string(1, 'O');  // GCC 12 -Wrestrict false positive on = "O"
  d.studyDate = d.seriesDate = "20250101";
  d.studyTime = d.seriesTime = studyTime;
  d.acquisitionTime = studyTime.substr(0, 2) + "0130";
  d.seriesNumber = 1;
  d.modality = "CT";
  d.patientPosition = "HFS";
  d.manufacturer = "TwinPlan";
  d.manufacturerModel = "Digital phantom";
  d.institutionName = "TwinPlan";
  d.imageType = "DERIVED\\PRIMARY\\AXIAL";
  return d;
}

}  // namespace twinplan::phantom::detail
