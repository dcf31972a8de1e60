#include "twinplan/radiotherapy/pencil_beam.h"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <numbers>

#include "radiotherapy_resources.h"
#include "twinplan/core/error.h"
#include "twinplan/core/parallel.h"

namespace twinplan::radiotherapy {
namespace {

using nlohmann::json;
constexpr const char* kModelsPath = "radiotherapy/photon_beams.json";
// Radiological depths of the precomputed primary-penumbra maps; sigma_p changes by 0.2 mm per
// 20 mm, so linear interpolation between them is finer than the dose grid.
constexpr double kDepthNode_mm = 20.0;
constexpr int kDepthNodes = 26;  // 0 .. 500 mm

[[noreturn]] void corrupt(const std::string& what, const std::string& context) {
  throw Error(ErrorKind::Corrupt, std::string(kModelsPath) + ": " + what, context);
}

double citedValue(const json& beam, const char* field, const json& references,
                  std::string& source) {
  const std::string id = beam.value("id", "?");
  if (!beam.contains(field) || !beam[field].is_object() || !beam[field].contains("value") ||
      !beam[field]["value"].is_number())
    corrupt(id + " needs \"" + field + "\": {\"value\": number, \"source\": reference}.",
            id + "." + field);
  const json& entry = beam[field];
  if (!entry.contains("source") || !entry["source"].is_string() ||
      !references.contains(entry["source"].get<std::string>()))
    corrupt(id + "'s \"" + field + "\" cites no source listed under \"references\".",
            id + "." + field);
  const std::string key = entry["source"].get<std::string>();
  if (source.find(key) == std::string::npos) source += (source.empty() ? "" : "; ") + key;
  return entry["value"].get<double>();
}

std::vector<PhotonBeamModel> parseModels() {
  const std::string_view text = resources::radiotherapyResource(kModelsPath);
  if (text.empty()) corrupt("the file is missing from the program (re-run cmake).", kModelsPath);
  json root;
  try {
    root = json::parse(text);
  } catch (const json::parse_error& e) {
    corrupt(std::string("is not valid JSON: ") + e.what(), kModelsPath);
  }
  const json& references = root.at("references");
  std::vector<PhotonBeamModel> models;
  for (const json& beam : root.at("beams")) {
    PhotonBeamModel m;
    m.id = beam.at("id").get<std::string>();
    m.nominalEnergy_MV = beam.at("nominalEnergy_MV").get<double>();
    m.attenuation_per_mm = citedValue(beam, "attenuation_per_mm", references, m.source);
    m.buildUp_per_mm = citedValue(beam, "buildUp_per_mm", references, m.source);
    m.scatterPerPrimary_per_mm = citedValue(beam, "scatterPerPrimary_per_mm", references, m.source);
    m.scatterSigma_mm = citedValue(beam, "scatterSigma_mm", references, m.source);
    m.primarySigma0_mm = citedValue(beam, "primarySigma0_mm", references, m.source);
    m.primarySigmaPerDepth = citedValue(beam, "primarySigmaPerDepth", references, m.source);
    m.referenceDepth_mm = citedValue(beam, "referenceDepth_mm", references, m.source);
    m.referenceField_mm = citedValue(beam, "referenceField_mm", references, m.source);
    m.referenceSsd_mm = citedValue(beam, "referenceSsd_mm", references, m.source);
    m.referenceDose_Gy_per_MU = citedValue(beam, "referenceDose_Gy_per_MU", references, m.source);
    models.push_back(m);
  }
  return models;
}

// A Gaussian-convolved open interval [-half, half] at its centre.
double centralCoverage(double half_mm, double sigma_mm) {
  return std::erf(half_mm / (std::numbers::sqrt2 * sigma_mm));
}

// `map` convolved with a normalised 2D Gaussian of `sigma_mm` (separable). The map's pixels
// already hold pixel averages that are sampled bilinearly, which blurs by a variance of about
// spacing^2 / 4 (box s^2/12 + tent s^2/6); that much is taken off the kernel.
FluenceMap blurred(const FluenceMap& map, double sigma_mm) {
  const double variance = sigma_mm * sigma_mm - 0.25 * map.spacing_mm * map.spacing_mm;
  if (variance <= 1e-6) return map;
  const double sigma_px = std::sqrt(variance) / map.spacing_mm;
  const int radius = static_cast<int>(std::ceil(3.5 * sigma_px));
  std::vector<double> kernel(static_cast<std::size_t>(2 * radius + 1));
  double sum = 0.0;
  for (int i = -radius; i <= radius; ++i)
    sum += kernel[static_cast<std::size_t>(i + radius)] =
        std::exp(-0.5 * i * i / (sigma_px * sigma_px));
  for (double& k : kernel) k /= sum;
  const int nx = map.nx, ny = map.ny;
  FluenceMap rows = map, out = map;
  parallel::parallelFor({0, static_cast<std::size_t>(ny)}, 16, [&](parallel::IndexRange r) {
    for (std::size_t y = r.begin; y < r.end; ++y)
      for (int x = 0; x < nx; ++x) {
        double acc = 0.0;
        for (int i = std::max(-radius, -x); i <= std::min(radius, nx - 1 - x); ++i)
          acc += kernel[static_cast<std::size_t>(i + radius)] * map.at(x + i, static_cast<int>(y));
        rows.meterset_MU[y * static_cast<std::size_t>(nx) + static_cast<std::size_t>(x)] =
            static_cast<float>(acc);
      }
  });
  parallel::parallelFor({0, static_cast<std::size_t>(ny)}, 16, [&](parallel::IndexRange r) {
    for (std::size_t y = r.begin; y < r.end; ++y) {
      const int iy = static_cast<int>(y);
      for (int x = 0; x < nx; ++x) {
        double acc = 0.0;
        for (int i = std::max(-radius, -iy); i <= std::min(radius, ny - 1 - iy); ++i)
          acc += kernel[static_cast<std::size_t>(i + radius)] * rows.at(x, iy + i);
        out.meterset_MU[y * static_cast<std::size_t>(nx) + static_cast<std::size_t>(x)] =
            static_cast<float>(acc);
      }
    }
  });
  return out;
}

// Calls segment(l0, l1, density) for each voxel the segment from `from` (length `length_mm`
// along the unit `direction`) crosses, in order; l is the distance from `from` in mm.
template <class Segment>
void traverse(const DensityGrid& grid, const Vec3& from, const Vec3& direction, double length_mm,
              Segment&& segment) {
  const ImageGeometry& g = grid.geometry;
  const Vec3 c0 = g.lpsToIndex(from);
  const Vec3 w = g.lpsToIndex(from + direction) - c0;  // index change per mm
  double lIn = 0.0, lOut = length_mm;
  for (int a = 0; a < 3; ++a) {
    const double lo = -0.5, hi = static_cast<double>(g.size[a]) - 0.5;
    if (std::abs(w[a]) < 1e-12) {
      if (c0[a] < lo || c0[a] >= hi) return;
      continue;
    }
    double l0 = (lo - c0[a]) / w[a], l1 = (hi - c0[a]) / w[a];
    if (l0 > l1) std::swap(l0, l1);
    lIn = std::max(lIn, l0);
    lOut = std::min(lOut, l1);
  }
  if (lIn >= lOut) return;
  Index3 voxel{};
  Vec3 next, delta;
  int stepOf[3];
  const Vec3 cIn = c0 + (lIn + 1e-9) * w;
  for (int a = 0; a < 3; ++a) {
    voxel[a] = std::clamp<std::int64_t>(static_cast<std::int64_t>(std::floor(cIn[a] + 0.5)), 0,
                                        g.size[a] - 1);
    if (std::abs(w[a]) < 1e-12) {
      stepOf[a] = 0, next[a] = 1e300, delta[a] = 1e300;
      continue;
    }
    stepOf[a] = w[a] > 0 ? 1 : -1;
    const double boundary = static_cast<double>(voxel[a]) + 0.5 * stepOf[a];
    next[a] = lIn + (boundary - (c0[a] + lIn * w[a])) / w[a];
    delta[a] = 1.0 / std::abs(w[a]);
  }
  double l = lIn;
  while (l < lOut) {
    int axis = 0;
    if (next[1] < next[axis]) axis = 1;
    if (next[2] < next[axis]) axis = 2;
    const double lEnd = std::min(next[axis], lOut);
    float density = grid.relativeElectronDensity[g.linearIndex(voxel[0], voxel[1], voxel[2])];
    if (density < kVacuumBelowDensity) density = 0.0f;
    if (lEnd > l) segment(l, lEnd, static_cast<double>(density));
    l = lEnd;
    voxel[axis] += stepOf[axis];
    if (voxel[axis] < 0 || voxel[axis] >= g.size[axis]) break;
    next[axis] += delta[axis];
  }
}

void requireSpacing(double value, const char* name) {
  if (!(value > 0.0 && value <= 20.0))
    throw Error(ErrorKind::InvalidInput,
                std::string("The pencil-beam ") + name + " must be > 0 and <= 20 mm.", name);
}

}  // namespace

double PhotonBeamModel::primaryDepthTerm(double d) const {
  return (1.0 - std::exp(-buildUp_per_mm * d)) * std::exp(-attenuation_per_mm * d);
}

double PhotonBeamModel::primarySigma_mm(double d) const {
  return primarySigma0_mm + primarySigmaPerDepth * d;
}

double PhotonBeamModel::calibrationFactor() const {
  const double d = referenceDepth_mm, half = 0.5 * referenceField_mm;
  const double isq = std::pow(referenceSourceAxisDistance_mm / (referenceSsd_mm + d), 2);
  const double p = primaryDepthTerm(d);
  const double bracket =
      p * std::pow(centralCoverage(half, primarySigma_mm(d)), 2) +
      scatterPerPrimary_per_mm * d * p * std::pow(centralCoverage(half, scatterSigma_mm), 2);
  return referenceDose_Gy_per_MU / (isq * bracket);
}

const std::vector<PhotonBeamModel>& photonBeamModels() {
  static const std::vector<PhotonBeamModel> models = parseModels();
  return models;
}

const PhotonBeamModel& photonBeamModel(double nominalEnergy_MV) {
  std::string known;
  for (const PhotonBeamModel& m : photonBeamModels()) {
    if (std::abs(m.nominalEnergy_MV - nominalEnergy_MV) <= 0.5) return m;
    known += (known.empty() ? "" : ", ") + m.id;
  }
  throw Error(ErrorKind::Unsupported,
              "There is no photon beam model for " + std::to_string(nominalEnergy_MV) +
                  " MV; the pencil-beam engine has " + known + ".",
              "nominalEnergy_MV");
}

double radiologicalPathLength(const DensityGrid& density, const Vec3& from_lps,
                              const Vec3& to_lps) {
  const Vec3 d = to_lps - from_lps;
  const double length = d.norm();
  if (length <= 0.0) return 0.0;
  double sum = 0.0;
  traverse(density, from_lps, d / length, length,
           [&](double l0, double l1, double rho) { sum += rho * (l1 - l0); });
  return sum;
}

RadiologicalDepthGrid::RadiologicalDepthGrid(const DensityGrid& density,
                                             const BeamGeometry& geometry, double x0_mm,
                                             double x1_mm, double y0_mm, double y1_mm,
                                             double raySpacing_mm, double step_mm,
                                             Progress& progress)
    : x0_(x0_mm), y0_(y0_mm), raySpacing_(raySpacing_mm), step_(step_mm) {
  // The z range: the density grid's corners seen from the source.
  const ImageGeometry& g = density.geometry;
  double zMin = 1e300, zMax = -1e300;
  for (int c = 0; c < 8; ++c) {
    const Vec3 ijk((c & 1) ? g.size[0] - 0.5 : -0.5, (c & 2) ? g.size[1] - 0.5 : -0.5,
                   (c & 4) ? g.size[2] - 0.5 : -0.5);
    const double z = geometry.toBeamsEye(g.indexToLps(ijk)).z();
    zMin = std::min(zMin, z), zMax = std::max(zMax, z);
  }
  zMin = std::max(zMin, 1.0);
  if (zMax <= zMin) zMax = zMin + step_mm;
  z0_ = zMin;
  nx_ = static_cast<int>(std::ceil((x1_mm - x0_mm) / raySpacing_mm)) + 1;
  ny_ = static_cast<int>(std::ceil((y1_mm - y0_mm) / raySpacing_mm)) + 1;
  nz_ = static_cast<int>(std::ceil((zMax - zMin) / step_mm)) + 1;
  depth_mm_.assign(static_cast<std::size_t>(nx_) * ny_ * nz_, 0.0f);
  const double sad = geometry.sourceAxisDistance_mm;
  parallel::forEachChunk(
      {0, static_cast<std::size_t>(nx_) * ny_}, {64, "Radiological depth", {}},
      [&](parallel::IndexRange rays, Progress& chunk) {
        for (std::size_t r = rays.begin; r < rays.end; ++r) {
          chunk.check();
          const double x = x0_ + static_cast<double>(r % nx_) * raySpacing_;
          const double y = y0_ + static_cast<double>(r / nx_) * raySpacing_;
          const Vec3 toPlane = geometry.pointOnRay(x, y, sad) - geometry.source_lps;
          const double lengthPerZ = toPlane.norm() / sad;  // ray length per mm of z
          const Vec3 direction = toPlane.normalized();
          float* samples = &depth_mm_[r * static_cast<std::size_t>(nz_)];
          int k = 0;
          double accumulated = 0.0;
          auto lAt = [&](int i) { return (z0_ + i * step_) * lengthPerZ; };
          traverse(density, geometry.source_lps, direction,
                   (z0_ + (nz_ - 1) * step_) * lengthPerZ + 1.0,
                   [&](double l0, double l1, double rho) {
                     while (k < nz_ && lAt(k) < l0) samples[k++] = static_cast<float>(accumulated);
                     while (k < nz_ && lAt(k) <= l1)
                       samples[k] = static_cast<float>(accumulated + rho * (lAt(k) - l0)), ++k;
                     accumulated += rho * (l1 - l0);
                   });
          while (k < nz_) samples[k++] = static_cast<float>(accumulated);
        }
      },
      progress);
}

double RadiologicalDepthGrid::maxDepth_mm() const {
  float deepest = 0.0f;
  for (std::size_t r = 0; r + 1 <= depth_mm_.size() / std::max(nz_, 1); ++r)
    deepest = std::max(deepest, depth_mm_[(r + 1) * static_cast<std::size_t>(nz_) - 1]);
  return deepest;
}

double RadiologicalDepthGrid::at(const Vec3& b) const {
  const double fx = (b.x() - x0_) / raySpacing_, fy = (b.y() - y0_) / raySpacing_,
               fz = (b.z() - z0_) / step_;
  if (!(fx >= 0 && fy >= 0 && fz >= 0) || fx > nx_ - 1 || fy > ny_ - 1 || fz > nz_ - 1) return -1.0;
  const int ix = std::min(static_cast<int>(fx), std::max(nx_ - 2, 0));
  const int iy = std::min(static_cast<int>(fy), std::max(ny_ - 2, 0));
  const int iz = std::min(static_cast<int>(fz), std::max(nz_ - 2, 0));
  const double wx = fx - ix, wy = fy - iy, wz = fz - iz;
  auto value = [&](int x, int y, int z) {
    x = std::min(x, nx_ - 1), y = std::min(y, ny_ - 1), z = std::min(z, nz_ - 1);
    return static_cast<double>(
        depth_mm_[(static_cast<std::size_t>(y) * nx_ + static_cast<std::size_t>(x)) * nz_ +
                  static_cast<std::size_t>(z)]);
  };
  auto alongZ = [&](int x, int y) { return (1 - wz) * value(x, y, iz) + wz * value(x, y, iz + 1); };
  return (1 - wy) * ((1 - wx) * alongZ(ix, iy) + wx * alongZ(ix + 1, iy)) +
         wy * ((1 - wx) * alongZ(ix, iy + 1) + wx * alongZ(ix + 1, iy + 1));
}

void PencilBeamParameters::validate() const {
  requireSpacing(doseGridSpacing_mm, "doseGridSpacing_mm");
  requireSpacing(fluenceSpacing_mm, "fluenceSpacing_mm");
  requireSpacing(raySpacing_mm, "raySpacing_mm");
  requireSpacing(depthStep_mm, "depthStep_mm");
}

PencilBeamCalculator::PencilBeamCalculator(const DensityGrid& density, const io::Beam& beam,
                                           PatientPosition position, const PhotonBeamModel& model,
                                           const PencilBeamParameters& parameters,
                                           Progress& progress)
    : density_(density), model_(model) {
  parameters.validate();
  geometry_ = beamGeometry(beam, position);
  const double maxPrimarySigma = model.primarySigma_mm(kDepthNode_mm * (kDepthNodes - 1));
  const double margin = 3.5 * std::max(model.scatterSigma_mm, maxPrimarySigma) + 2.0;
  fluence_ = beamFluence(beam, parameters.fluenceSpacing_mm, margin);
  progress.report(0.05, "Beam fluence");
  const double x1 = fluence_.x0_mm + (fluence_.nx - 1) * fluence_.spacing_mm;
  const double y1 = fluence_.y0_mm + (fluence_.ny - 1) * fluence_.spacing_mm;
  const auto depthProgress = subRange(progress, 0.05, 0.7);
  depth_ = RadiologicalDepthGrid(density, geometry_, fluence_.x0_mm, x1, fluence_.y0_mm, y1,
                                 parameters.raySpacing_mm, parameters.depthStep_mm, *depthProgress);
  // Primary-penumbra maps up to the deepest radiological depth the beam reaches.
  const int nodes = std::clamp(
      static_cast<int>(std::ceil(depth_.maxDepth_mm() / kDepthNode_mm)) + 2, 2, kDepthNodes);
  scatterMap_ = blurred(fluence_, model.scatterSigma_mm);
  for (int n = 0; n < nodes; ++n) {
    progress.check();
    primaryMaps_.push_back(blurred(fluence_, model.primarySigma_mm(n * kDepthNode_mm)));
  }
  progress.report(1.0, "Pencil-beam kernels");
  calibration_ = model.calibrationFactor();
}

double PencilBeamCalculator::dose_Gy(const Vec3& p_lps) const {
  const Vec3 b = geometry_.toBeamsEye(p_lps);
  if (b.z() <= 0.0) return 0.0;
  const double scatterFluence = scatterMap_.sample(b.x(), b.y());
  if (scatterFluence <= 0.0) return 0.0;
  // No dose to vacuum / air (kVacuumBelowDensity).
  const Vec3 ijk = density_.geometry.lpsToIndex(p_lps);
  Index3 v{};
  for (int a = 0; a < 3; ++a) {
    v[a] = static_cast<std::int64_t>(std::floor(ijk[a] + 0.5));
    if (v[a] < 0 || v[a] >= density_.geometry.size[a]) return 0.0;
  }
  if (density_.relativeElectronDensity[density_.geometry.linearIndex(v[0], v[1], v[2])] <
      kVacuumBelowDensity)
    return 0.0;
  const double d = depth_.at(b);
  if (d <= 0.0) return 0.0;
  const int nodes = static_cast<int>(primaryMaps_.size());
  const double node = std::min(d / kDepthNode_mm, nodes - 1.0);
  const int n0 = std::min(static_cast<int>(node), nodes - 2);
  const double w = node - n0;
  const double primaryFluence =
      (1 - w) * primaryMaps_[static_cast<std::size_t>(n0)].sample(b.x(), b.y()) +
      w * primaryMaps_[static_cast<std::size_t>(n0 + 1)].sample(b.x(), b.y());
  const double isq = std::pow(geometry_.sourceAxisDistance_mm / b.z(), 2);
  const double p = model_.primaryDepthTerm(d);
  return calibration_ * isq *
         (p * primaryFluence + model_.scatterPerPrimary_per_mm * d * p * scatterFluence);
}

ScalarField PencilBeamCalculator::doseOn(const ImageGeometry& grid, Progress& progress) const {
  ScalarField dose{"Dose", "dose", units::kGray, grid, std::vector<float>(grid.voxelCount(), 0.0f)};
  const std::size_t nx = static_cast<std::size_t>(grid.size[0]);
  const std::size_t ny = static_cast<std::size_t>(grid.size[1]);
  parallel::forEachChunk(
      {0, static_cast<std::size_t>(grid.size[2]) * ny}, {8, "Pencil-beam dose", {}},
      [&](parallel::IndexRange rows, Progress& chunk) {
        for (std::size_t row = rows.begin; row < rows.end; ++row) {
          chunk.check();
          const auto j = static_cast<std::int64_t>(row % ny),
                     k = static_cast<std::int64_t>(row / ny);
          for (std::size_t i = 0; i < nx; ++i)
            dose.values[row * nx + i] = static_cast<float>(dose_Gy(grid.indexToLps(
                Vec3(static_cast<double>(i), static_cast<double>(j), static_cast<double>(k)))));
        }
      },
      progress);
  return dose;
}

ImageGeometry doseGridCovering(const ImageGeometry& ct, double spacing_mm) {
  requireSpacing(spacing_mm, "doseGridSpacing_mm");
  ImageGeometry grid;
  grid.direction = ct.direction;
  grid.origin_lps = ct.origin_lps;
  grid.spacing_mm = Vec3::Constant(spacing_mm);
  for (int a = 0; a < 3; ++a) {
    const double extent = static_cast<double>(ct.size[a] - 1) * ct.spacing_mm[a];
    grid.size[a] = static_cast<std::int64_t>(std::floor(extent / spacing_mm + 1e-6)) + 1;
  }
  return grid;
}

PlanDose sumPlanBeams(const io::RtPlan& plan, const ImageGeometry& doseGrid,
                      PatientPosition position, std::string_view engineName,
                      const BeamDoseFunction& computeBeam, Progress& progress) {
  const std::string engine(engineName);
  if (plan.ion)
    throw Error(ErrorKind::Unsupported,
                "The plan \"" + plan.label + "\" is an RT Ion Plan; the " + engine +
                    " engine computes photon beams only.",
                plan.sopInstanceUid);
  PlanDose result;
  std::vector<int> beamNumbers;
  if (!plan.fractionGroups.empty()) {
    const io::FractionGroup& group = plan.fractionGroups.front();
    result.fractionGroupNumber = group.number;
    result.fractions = group.fractionsPlanned;
    beamNumbers = group.beamNumbers;
    if (plan.fractionGroups.size() > 1)
      result.notes.push_back("Only the first of " + std::to_string(plan.fractionGroups.size()) +
                             " fraction groups was computed.");
  } else {
    for (const io::Beam& beam : plan.beams) beamNumbers.push_back(beam.number);
    result.notes.push_back("The plan has no fraction group; one fraction was assumed.");
  }
  if (result.fractions < 1) {
    result.notes.push_back("Number of Fractions Planned is absent; one fraction was assumed.");
    result.fractions = 1;
  }
  if (beamNumbers.empty())
    throw Error(ErrorKind::InvalidInput,
                "The plan \"" + plan.label + "\" has no beams in its fraction group.", "beams");
  result.dose = {"Dose (plan, " + engine + ")", "dose", units::kGray, doseGrid,
                 std::vector<float>(doseGrid.voxelCount(), 0.0f)};
  for (std::size_t b = 0; b < beamNumbers.size(); ++b) {
    const io::Beam* beam = plan.beam(beamNumbers[b]);
    if (!beam)
      throw Error(ErrorKind::InvalidInput,
                  "The fraction group refers to beam " + std::to_string(beamNumbers[b]) +
                      ", which the plan does not define.",
                  "beam " + std::to_string(beamNumbers[b]));
    if (beam->radiationType != "PHOTON")
      throw Error(ErrorKind::Unsupported,
                  "Beam " + std::to_string(beam->number) + " is " + beam->radiationType + "; the " +
                      engine + " engine computes photon beams only.",
                  "beam " + std::to_string(beam->number));
    if (beam->controlPoints.empty() || !beam->controlPoints.front().nominalEnergy)
      throw Error(ErrorKind::InvalidInput,
                  "Beam " + std::to_string(beam->number) +
                      " states no Nominal Beam Energy (300A,0114) at its first control point.",
                  "beam " + std::to_string(beam->number));
    if (b == 0) result.isocentre_lps = beamGeometry(*beam, position).isocentre_lps;
    const double from = static_cast<double>(b) / beamNumbers.size();
    const double to = static_cast<double>(b + 1) / beamNumbers.size();
    const auto beamProgress = subRange(progress, from, to);
    BeamDose beamDose;
    beamDose.beamNumber = beam->number;
    beamDose.beamName = beam->name;
    beamDose.nominalEnergy_MV = *beam->controlPoints.front().nominalEnergy;
    beamDose.meterset_MU = beam->meterset.value_or(0.0);
    const double atPlanIsocentre =
        computeBeam(*beam, result.isocentre_lps, beamDose, *beamProgress);
    beamDose.dose.name = "Dose (beam " + std::to_string(beam->number) + ", one fraction)";
    for (std::size_t i = 0; i < result.dose.values.size(); ++i)
      result.dose.values[i] += beamDose.dose.values[i] * static_cast<float>(result.fractions);
    result.isocentreDose_Gy += atPlanIsocentre * result.fractions;
    result.beams.push_back(std::move(beamDose));
  }
  for (float v : result.dose.values)
    result.maxDose_Gy = std::max(result.maxDose_Gy, static_cast<double>(v));
  progress.report(1.0, "Plan dose");
  return result;
}

PlanDose computePlanDose(const DensityGrid& density, const ImageGeometry& doseGrid,
                         const io::RtPlan& plan, PatientPosition position,
                         const PencilBeamParameters& parameters, Progress& progress) {
  parameters.validate();
  return sumPlanBeams(
      plan, doseGrid, position, "pencil beam",
      [&](const io::Beam& beam, const Vec3& planIsocentre_lps, BeamDose& out,
          Progress& beamProgress) {
        const PhotonBeamModel& model = photonBeamModel(*beam.controlPoints.front().nominalEnergy);
        out.nominalEnergy_MV = model.nominalEnergy_MV;
        const auto setup = subRange(beamProgress, 0.0, 0.3);
        const PencilBeamCalculator calculator(density, beam, position, model, parameters, *setup);
        out.isocentreDose_Gy = calculator.dose_Gy(calculator.geometry().isocentre_lps);
        out.dose = calculator.doseOn(doseGrid, *subRange(beamProgress, 0.3, 1.0));
        return calculator.dose_Gy(planIsocentre_lps);
      },
      progress);
}

}  // namespace twinplan::radiotherapy
