#include "twinplan/radiotherapy/collapsed_cone.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <numbers>
#include <tuple>

#include "radiotherapy_resources.h"
#include "twinplan/core/error.h"
#include "twinplan/core/parallel.h"

namespace twinplan::radiotherapy {
namespace {

using nlohmann::json;
constexpr const char* kKernelsPath = "radiotherapy/collapsed_cone_kernels.json";
constexpr double kPi = std::numbers::pi;
// Quadrature of the kernel over the cones: sub-samples per 3.75 deg zenith bin and azimuths.
constexpr int kZenithSamples = 8, kAzimuthSamples = 192;
// The tilt tables: kernel ratios on a grid of cos(angle to the local ray).
constexpr int kTiltTable = 2048;
// The attenuation tables' density steps (relative electron density, up to 4: dense bone and
// metal clamp there).
constexpr double kDensityResolution = 1024.0;
constexpr int kDensitySlots = 4 * 1024 + 1;

// Per cone, the attenuation table over the density slots: for each slot and kernel term, across
// one voxel of the cone's line, the share of the entering radiant energy that passes ("keep")
// and the share of the voxel's own release that leaves it ("escape"); packed per slot as
// keep[0..terms), escape[0..terms), so a two-term kernel's slot stays 4 doubles.
using AttenuationTable = std::vector<double>;

std::size_t densitySlot(double density) {
  return static_cast<std::size_t>(
      std::min(static_cast<int>(density * kDensityResolution + 0.5), kDensitySlots - 1));
}

[[noreturn]] void corrupt(const std::string& what, const std::string& context) {
  throw Error(ErrorKind::Corrupt, std::string(kKernelsPath) + ": " + what, context);
}

void requireSource(const json& entry, const json& references, const std::string& context,
                   std::string& source) {
  if (!entry.contains("source") || !entry["source"].is_string() ||
      !references.contains(entry["source"].get<std::string>()))
    corrupt(context + " cites no source listed under \"references\".", context);
  const std::string key = entry["source"].get<std::string>();
  if (source.find(key) == std::string::npos) source += (source.empty() ? "" : "; ") + key;
}

double interpolateLogLog(const std::vector<double>& x, const std::vector<double>& y, double at) {
  const auto upper = std::upper_bound(x.begin(), x.end(), at);
  const std::size_t i =
      std::clamp<std::size_t>(static_cast<std::size_t>(upper - x.begin()), 1, x.size() - 1);
  const double t = (std::log(at) - std::log(x[i - 1])) / (std::log(x[i]) - std::log(x[i - 1]));
  return std::exp((1 - t) * std::log(y[i - 1]) + t * std::log(y[i]));
}

// The beam's surface spectrum and its attenuation in water (m.energy_MeV, fluenceWeight,
// waterMu_per_mm).
void parseSpectrum(const json& beam, const json& references, CollapsedConeBeamModel& m) {
  const json& spectrum = beam.at("spectrum");
  const json& attenuation = beam.at("attenuation");
  requireSource(spectrum, references, m.id + ".spectrum", m.source);
  requireSource(attenuation, references, m.id + ".attenuation", m.source);
  const auto muE = attenuation.at("energy_MeV").get<std::vector<double>>();
  const auto muRho = attenuation.at("mu_over_rho_cm2_per_g").get<std::vector<double>>();
  if (muE.size() < 2 || muE.size() != muRho.size())
    corrupt(m.id + ".attenuation needs matching energy and mu/rho lists.", m.id);
  double lower = 0.0, total = 0.0;
  for (const json& bin : spectrum.at("bins")) {
    const double upper = bin.at(0).get<double>(), perMeV = bin.at(1).get<double>();
    if (!(upper > lower) || perMeV < 0) corrupt(m.id + " spectrum bins must increase.", m.id);
    const double centre = 0.5 * (lower + upper);
    m.energy_MeV.push_back(centre);
    m.fluenceWeight.push_back(perMeV * (upper - lower));
    // cm2/g x 1 g/cm3 = 1/cm; per mm / 10.
    m.waterMu_per_mm.push_back(0.1 * interpolateLogLog(muE, muRho, centre));
    total += perMeV * (upper - lower);
    lower = upper;
  }
  if (!(total > 0)) corrupt(m.id + " has an empty spectrum.", m.id);
  for (double& w : m.fluenceWeight) w /= total;
}

// The kernel's zenith bins: [theta from, to, then eta and attenuation per term].
void parseKernel(const json& kernel, const json& references, CollapsedConeBeamModel& m) {
  requireSource(kernel, references, m.id + ".kernel", m.source);
  m.kernelTerms = kernel.value("terms", 2);
  if (m.kernelTerms < 2 || m.kernelTerms > kMaxKernelTerms)
    corrupt(m.id + ".kernel.terms must be 2 or 3.", m.id);
  const std::size_t rowSize = 2 + 2 * static_cast<std::size_t>(m.kernelTerms);
  for (const json& row : kernel.at("cones")) {
    if (row.size() != rowSize)
      corrupt(m.id + " kernel rows need " + std::to_string(rowSize) +
                  " numbers (theta from, to, then eta and attenuation per term).",
              m.id);
    KernelZenithBin b{row[0].get<double>(), row[1].get<double>(), {}};
    bool valid = b.thetaTo_deg > b.thetaFrom_deg;
    for (int t = 0; t < m.kernelTerms; ++t) {
      b.terms[t] = {row[2 + 2 * t].get<double>(), row[3 + 2 * t].get<double>()};
      valid = valid && b.terms[t].eta >= 0 && b.terms[t].mu_per_mm > 0;
    }
    if (!valid) corrupt(m.id + " has a kernel bin with a non-positive range or attenuation.", m.id);
    m.kernel.push_back(b);
  }
  if (m.kernel.empty() || std::abs(m.kernel.back().thetaTo_deg - 180.0) > 1e-6 ||
      m.kernel.front().thetaFrom_deg != 0.0)
    corrupt(m.id + " kernel bins must cover 0 to 180 degrees.", m.id);
}

std::vector<CollapsedConeBeamModel> parseModels() {
  const std::string_view text = resources::radiotherapyResource(kKernelsPath);
  if (text.empty()) corrupt("the file is missing from the program (re-run cmake).", kKernelsPath);
  json root;
  try {
    root = json::parse(text);
  } catch (const json::parse_error& e) {
    corrupt(std::string("is not valid JSON: ") + e.what(), kKernelsPath);
  }
  const json& references = root.at("references");
  std::vector<CollapsedConeBeamModel> models;
  for (const json& beam : root.at("beams")) {
    CollapsedConeBeamModel m;
    m.id = beam.at("id").get<std::string>();
    m.optIn = beam.value("optIn", false);
    if (beam.contains("spectrumOf")) {
      // Another kernel for a beam listed above: its spectrum and attenuation.
      const std::string of = beam.at("spectrumOf").get<std::string>();
      const auto same = std::find_if(models.begin(), models.end(),
                                     [&](const CollapsedConeBeamModel& b) { return b.id == of; });
      if (same == models.end())
        corrupt(m.id + ".spectrumOf names no beam listed before it: " + of, m.id);
      m.nominalEnergy_MV = same->nominalEnergy_MV;
      m.energy_MeV = same->energy_MeV, m.fluenceWeight = same->fluenceWeight;
      m.waterMu_per_mm = same->waterMu_per_mm, m.source = same->source;
    } else {
      m.nominalEnergy_MV = beam.at("nominalEnergy_MV").get<double>();
      parseSpectrum(beam, references, m);
    }
    parseKernel(beam.at("kernel"), references, m);
    models.push_back(std::move(m));
  }
  return models;
}

void requireRange(double value, double low, double high, const char* name, const char* unit) {
  if (!(value > low && value <= high))
    throw Error(ErrorKind::InvalidInput,
                std::string("The collapsed-cone ") + name + " must be > " +
                    std::to_string(static_cast<int>(low)) +
                    " and <= " + std::to_string(static_cast<int>(high)) + " " + unit + ".",
                name);
}

// Per-steradian energy density of one kernel term at zenith theta (linear between the bin
// centres; the bins' own values at the poles).
struct AngularDensity {
  std::vector<double> centre_rad, density;
  AngularDensity(const CollapsedConeBeamModel& m, int term) {
    for (const KernelZenithBin& b : m.kernel) {
      const double t0 = b.thetaFrom_deg * kPi / 180, t1 = b.thetaTo_deg * kPi / 180;
      const double solid = 2 * kPi * (std::cos(t0) - std::cos(t1));
      centre_rad.push_back(0.5 * (t0 + t1));
      density.push_back(b.terms[term].eta / solid);
    }
  }
  double at(double theta) const {
    const auto upper = std::upper_bound(centre_rad.begin(), centre_rad.end(), theta);
    if (upper == centre_rad.begin()) return density.front();
    if (upper == centre_rad.end()) return density.back();
    const std::size_t i = static_cast<std::size_t>(upper - centre_rad.begin());
    const double t = (theta - centre_rad[i - 1]) / (centre_rad[i] - centre_rad[i - 1]);
    return (1 - t) * density[i - 1] + t * density[i];
  }
};

std::vector<std::array<int, 3>> latticeDirections() {
  std::vector<std::array<int, 3>> directions;
  for (int k = -1; k <= 1; ++k)
    for (int j = -1; j <= 1; ++j)
      for (int i = -1; i <= 1; ++i)
        if (i || j || k) directions.push_back({i, j, k});
  for (int k : {-2, 2})
    for (int j = -1; j <= 1; ++j)
      for (int i = -1; i <= 1; ++i)
        if (i || j) directions.push_back({i, j, k});
  return directions;
}

Vec3 unit(const std::array<int, 3>& d) { return Vec3(d[0], d[1], d[2]).normalized(); }

// Trilinear density at an LPS point; vacuum outside the grid.
double densityAt(const DensityGrid& grid, const Vec3& p_lps) {
  const ImageGeometry& g = grid.geometry;
  const Vec3 c = g.lpsToIndex(p_lps);
  std::array<std::int64_t, 3> i0{};
  std::array<double, 3> t{};
  for (int a = 0; a < 3; ++a) {
    if (c[a] < -0.5 || c[a] > static_cast<double>(g.size[a]) - 0.5) return 0.0;
    const double f = std::floor(c[a]);
    i0[a] = static_cast<std::int64_t>(f);
    t[a] = c[a] - f;
  }
  double sum = 0.0;
  for (int corner = 0; corner < 8; ++corner) {
    std::array<std::int64_t, 3> v{};
    double w = 1.0;
    for (int a = 0; a < 3; ++a) {
      const bool up = (corner >> a) & 1;
      v[a] = std::clamp<std::int64_t>(i0[a] + (up ? 1 : 0), 0, g.size[a] - 1);
      w *= up ? t[a] : 1.0 - t[a];
    }
    if (w > 0) sum += w * grid.relativeElectronDensity[g.linearIndex(v[0], v[1], v[2])];
  }
  return sum;
}

// The index bounding box of the voxels that are not vacuum (the body in a CT's air), so the
// calculation box leaves out the air around it; the whole grid when it is all vacuum.
std::pair<Vec3, Vec3> matterBounds(const DensityGrid& grid) {
  const ImageGeometry& g = grid.geometry;
  Vec3 lower(static_cast<double>(g.size[0]), static_cast<double>(g.size[1]),
             static_cast<double>(g.size[2]));
  Vec3 upper(-1, -1, -1);
  std::size_t v = 0;
  for (std::int64_t k = 0; k < g.size[2]; ++k)
    for (std::int64_t j = 0; j < g.size[1]; ++j)
      for (std::int64_t i = 0; i < g.size[0]; ++i, ++v)
        if (grid.relativeElectronDensity[v] >= kVacuumBelowDensity) {
          const Vec3 ijk(static_cast<double>(i), static_cast<double>(j), static_cast<double>(k));
          lower = lower.cwiseMin(ijk), upper = upper.cwiseMax(ijk);
        }
  if (upper.x() < 0)
    return {Vec3::Zero(),
            Vec3(static_cast<double>(g.size[0] - 1), static_cast<double>(g.size[1] - 1),
                 static_cast<double>(g.size[2] - 1))};
  return {lower, upper};
}

bool inVacuum(const DensityGrid& grid, const Vec3& p_lps) {
  const ImageGeometry& g = grid.geometry;
  const Vec3 c = g.lpsToIndex(p_lps);
  std::array<std::int64_t, 3> v{};
  for (int a = 0; a < 3; ++a) {
    v[a] = static_cast<std::int64_t>(std::floor(c[a] + 0.5));
    if (v[a] < 0 || v[a] >= g.size[a]) return true;
  }
  return grid.relativeElectronDensity[g.linearIndex(v[0], v[1], v[2])] < kVacuumBelowDensity;
}

// The per-cone tilt ratio tables: kernel density at the angle to the local ray over that at the
// cone's own zenith, on a grid of the cosine.
struct TiltTables {
  // ratio[term][cone][slot]
  std::array<std::vector<std::vector<float>>, kMaxKernelTerms> ratio;
  TiltTables(const CollapsedConeBeamModel& m, const std::vector<CollapsedCone>& cones) {
    for (int term = 0; term < m.kernelTerms; ++term) {
      const AngularDensity density(m, term);
      for (const CollapsedCone& c : cones) {
        const double own = density.at(c.zenith_deg * kPi / 180);
        std::vector<float> r(kTiltTable);
        for (int t = 0; t < kTiltTable; ++t) {
          const double cosine = -1.0 + 2.0 * (t + 0.5) / kTiltTable;
          const double at = density.at(std::acos(cosine));
          r[static_cast<std::size_t>(t)] = static_cast<float>(own > 0 ? at / own : 1.0);
        }
        ratio[term].push_back(std::move(r));
      }
    }
  }
  static std::size_t slot(double cosine) {
    return static_cast<std::size_t>(
        std::clamp(static_cast<int>((cosine + 1.0) * 0.5 * kTiltTable), 0, kTiltTable - 1));
  }
};

// The transport of the released energy along one lattice line, per cone and kernel term.
struct ConeTransport {
  const std::vector<CollapsedCone>& cones;
  const std::vector<Vec3>& axes;
  const std::vector<float>& rho;
  const std::vector<float>& released;
  const std::vector<Eigen::Vector3f>& rays;
  const std::array<std::vector<float>, kMaxKernelTerms>& norm;
  const TiltTables& tilt;
  const std::vector<AttenuationTable>& attenuation;
  bool tiltKernels;

  // Ahnesjo 1989 eq. 13-15: the cone's radiant energy entering each voxel decays by
  // exp(-mu rho ds) across it; the voxel's own release, spread along its chord, leaves
  // (1 - exp(-mu rho ds)) / (mu rho ds) of itself. Each term on its own; the term count is a
  // template argument so the loops over them unroll.
  template <int Terms>
  void sweep(const std::vector<std::size_t>& line, std::size_t coneIndex, bool reverse,
             std::vector<double>& energy) const {
    const CollapsedCone& cone = cones[coneIndex];
    std::array<double, Terms> carried{};
    const std::size_t count = line.size();
    for (std::size_t q = 0; q < count; ++q) {
      const std::size_t v = line[reverse ? count - 1 - q : q];
      const double density = rho[v];
      if (density <= 0.0) continue;  // vacuum: nothing interacts
      std::array<double, Terms> release{};
      if (released[v] > 0.0f) {
        std::size_t slot = 0;
        if (tiltKernels) slot = TiltTables::slot(axes[coneIndex].dot(rays[v].cast<double>()));
        for (int t = 0; t < Terms; ++t) {
          const double ratio = tiltKernels ? tilt.ratio[t][coneIndex][slot] * norm[t][v] : 1.0;
          release[t] = released[v] * cone.terms[t].eta * ratio;
        }
      }
      const double* keep = &attenuation[coneIndex][densitySlot(density) * 2 * Terms];
      const double* escape = keep + Terms;
      double deposited = 0.0;
      for (int t = 0; t < Terms; ++t) {
        deposited += carried[t] * (1.0 - keep[t]);
        deposited += release[t] * (1.0 - escape[t]);
        carried[t] = carried[t] * keep[t] + release[t] * escape[t];
      }
      energy[v] += deposited;
    }
  }
};

io::Beam referenceBeam(double energy_MV, double field_mm, double sad_mm) {
  io::Beam beam;
  beam.number = 1;
  beam.name = "reference";
  beam.radiationType = "PHOTON";
  beam.meterset = 100.0;
  beam.sourceAxisDistance_mm = sad_mm;
  beam.devices = {{"ASYMX", 1, {}}, {"ASYMY", 1, {}}};
  for (int i = 0; i < 2; ++i) {
    io::ControlPoint cp;
    cp.index = i;
    cp.cumulativeMetersetWeight = i;
    cp.nominalEnergy = energy_MV;
    cp.isocentre_lps = Vec3::Zero();
    cp.devices = {{"ASYMX", {-field_mm / 2, field_mm / 2}},
                  {"ASYMY", {-field_mm / 2, field_mm / 2}}};
    beam.controlPoints.push_back(cp);
  }
  return beam;
}

}  // namespace

double CollapsedConeBeamModel::releasedEnergy(double depth_mm) const {
  double sum = 0.0;
  for (std::size_t i = 0; i < energy_MeV.size(); ++i)
    sum += fluenceWeight[i] * energy_MeV[i] * waterMu_per_mm[i] *
           std::exp(-waterMu_per_mm[i] * depth_mm);
  return sum;
}

const std::vector<CollapsedConeBeamModel>& collapsedConeBeamModels() {
  static const std::vector<CollapsedConeBeamModel> models = parseModels();
  return models;
}

const CollapsedConeBeamModel& collapsedConeBeamModel(double nominalEnergy_MV) {
  std::string known;
  for (const CollapsedConeBeamModel& m : collapsedConeBeamModels()) {
    if (m.optIn) continue;
    if (std::abs(m.nominalEnergy_MV - nominalEnergy_MV) <= 0.5) return m;
    known += (known.empty() ? "" : ", ") + m.id;
  }
  char energy[32];
  std::snprintf(energy, sizeof energy, "%g", nominalEnergy_MV);
  throw Error(ErrorKind::Unsupported,
              std::string("There are no collapsed-cone kernels for ") + energy +
                  " MV; the collapsed-cone engine has " + known +
                  " (resources/radiotherapy/collapsed_cone_kernels.json). Plan this beam at one "
                  "of those energies.",
              "nominalEnergy_MV");
}

const CollapsedConeBeamModel& collapsedConeBeamModelById(const std::string& id) {
  std::string known;
  for (const CollapsedConeBeamModel& m : collapsedConeBeamModels()) {
    if (m.id == id) return m;
    known += (known.empty() ? "" : ", ") + m.id;
  }
  throw Error(ErrorKind::Unsupported,
              "There is no collapsed-cone beam model \"" + id + "\"; there are " + known +
                  " (resources/radiotherapy/collapsed_cone_kernels.json).",
              "id");
}

const CollapsedConeBeamModel& collapsedConeBeamModel(double nominalEnergy_MV,
                                                     const CollapsedConeParameters& parameters) {
  if (parameters.kernelId.empty()) return collapsedConeBeamModel(nominalEnergy_MV);
  const CollapsedConeBeamModel& m = collapsedConeBeamModelById(parameters.kernelId);
  if (std::abs(m.nominalEnergy_MV - nominalEnergy_MV) > 0.5) {
    char message[200];
    std::snprintf(message, sizeof message,
                  "The collapsed-cone kernel %s is for %g MV beams; this beam is %g MV.",
                  m.id.c_str(), m.nominalEnergy_MV, nominalEnergy_MV);
    throw Error(ErrorKind::InvalidInput, message, "kernelId");
  }
  return m;
}

void CollapsedConeParameters::validate() const {
  requireRange(doseGridSpacing_mm, 0, 20, "doseGridSpacing_mm", "mm");
  requireRange(fluenceSpacing_mm, 0, 20, "fluenceSpacing_mm", "mm");
  requireRange(raySpacing_mm, 0, 20, "raySpacing_mm", "mm");
  requireRange(depthStep_mm, 0, 20, "depthStep_mm", "mm");
  if (!(lateralMargin_mm >= 0 && lateralMargin_mm <= 300))
    throw Error(ErrorKind::InvalidInput,
                "The collapsed-cone lateralMargin_mm must be between 0 and 300 mm.",
                "lateralMargin_mm");
}

std::vector<CollapsedCone> collapsedCones(const CollapsedConeBeamModel& model) {
  const auto directions = latticeDirections();
  std::vector<Vec3> axes;
  for (const auto& d : directions) axes.push_back(unit(d));
  const int terms = model.kernelTerms;
  // Per cone and term: the energy, and the energy-weighted range (1/mu).
  std::vector<std::array<double, kMaxKernelTerms>> energy(directions.size()),
      range(directions.size());
  const double dPhi = 2 * kPi / kAzimuthSamples;
  for (const KernelZenithBin& bin : model.kernel) {
    const double t0 = bin.thetaFrom_deg * kPi / 180, t1 = bin.thetaTo_deg * kPi / 180;
    const double binSolidAngle = 2 * kPi * (std::cos(t0) - std::cos(t1));
    std::array<double, kMaxKernelTerms> perSteradian{};
    for (int t = 0; t < terms; ++t) perSteradian[t] = bin.terms[t].eta / binSolidAngle;
    for (int s = 0; s < kZenithSamples; ++s) {
      // Exact solid angle of each sub-band, so the bins' energies are kept exactly.
      const double s0 = t0 + (t1 - t0) * s / kZenithSamples;
      const double s1 = t0 + (t1 - t0) * (s + 1) / kZenithSamples;
      const double theta = 0.5 * (s0 + s1);
      const double band = (std::cos(s0) - std::cos(s1)) * dPhi;
      for (int p = 0; p < kAzimuthSamples; ++p) {
        const double phi = (p + 0.5) * dPhi;
        const Vec3 omega(std::sin(theta) * std::cos(phi), std::sin(theta) * std::sin(phi),
                         std::cos(theta));
        std::size_t best = 0;
        double bestDot = -2;
        for (std::size_t c = 0; c < axes.size(); ++c) {
          const double dot = omega.dot(axes[c]);
          if (dot > bestDot + 1e-12) bestDot = dot, best = c;
        }
        for (int t = 0; t < terms; ++t) {
          energy[best][t] += perSteradian[t] * band;
          range[best][t] += perSteradian[t] * band / bin.terms[t].mu_per_mm;
        }
      }
    }
  }
  std::vector<CollapsedCone> cones;
  for (std::size_t c = 0; c < directions.size(); ++c) {
    CollapsedCone cone;
    cone.di = directions[c][0], cone.dj = directions[c][1], cone.dk = directions[c][2];
    cone.zenith_deg = std::acos(std::clamp(axes[c].z(), -1.0, 1.0)) * 180 / kPi;
    // The attenuation that keeps the cone's mean range (energy-weighted 1/mu).
    for (int t = 0; t < terms; ++t)
      cone.terms[t] = {energy[c][t], range[c][t] > 0 ? energy[c][t] / range[c][t] : 1.0};
    cones.push_back(cone);
  }
  return cones;
}

CollapsedConeCalculator::CollapsedConeCalculator(const DensityGrid& density, const io::Beam& beam,
                                                 PatientPosition position,
                                                 const CollapsedConeBeamModel& model,
                                                 const CollapsedConeParameters& parameters,
                                                 Progress& progress)
    : CollapsedConeCalculator(density, beam, position, model, parameters,
                              collapsedConeCalibration(model, parameters), progress) {}

CollapsedConeCalculator::CollapsedConeCalculator(const DensityGrid& density, const io::Beam& beam,
                                                 PatientPosition position,
                                                 const CollapsedConeBeamModel& model,
                                                 const CollapsedConeParameters& parameters,
                                                 double calibration, Progress& progress)
    : density_(&density), calibration_(calibration) {
  parameters.validate();
  geometry_ = beamGeometry(beam, position);
  compute(density, beam, model, parameters, progress);
}

void CollapsedConeCalculator::compute(const DensityGrid& density, const io::Beam& beam,
                                      const CollapsedConeBeamModel& m,
                                      const CollapsedConeParameters& parameters,
                                      Progress& progress) {
  const BeamGeometry& g = geometry_;
  const double sad = g.sourceAxisDistance_mm;
  const Vec3 eU = g.xAxis_lps, eV = g.yAxis_lps, eW = -g.towardSource_lps;
  const FluenceMap fluence = beamFluence(beam, parameters.fluenceSpacing_mm, 2.0);
  const double fx0 = fluence.x0_mm, fy0 = fluence.y0_mm;
  const double fx1 = fx0 + (fluence.nx - 1) * fluence.spacing_mm;
  const double fy1 = fy0 + (fluence.ny - 1) * fluence.spacing_mm;
  // The box: the density grid's extent along the beam; across it, the diverging field plus the
  // margin, within the density grid's extent.
  const ImageGeometry& dg = density.geometry;
  const auto [lower, upper] = matterBounds(density);
  double wMin = 1e300, wMax = -1e300, uMin = 1e300, uMax = -1e300, vMin = 1e300, vMax = -1e300;
  for (int c = 0; c < 8; ++c) {
    const Vec3 ijk((c & 1) ? upper[0] + 0.5 : lower[0] - 0.5,
                   (c & 2) ? upper[1] + 0.5 : lower[1] - 0.5,
                   (c & 4) ? upper[2] + 0.5 : lower[2] - 0.5);
    const Vec3 d = dg.indexToLps(ijk) - g.isocentre_lps;
    wMin = std::min(wMin, d.dot(eW)), wMax = std::max(wMax, d.dot(eW));
    uMin = std::min(uMin, d.dot(eU)), uMax = std::max(uMax, d.dot(eU));
    vMin = std::min(vMin, d.dot(eV)), vMax = std::max(vMax, d.dot(eV));
  }
  wMin = std::max(wMin, 10.0 - sad);
  if (wMax <= wMin) wMax = wMin + 1.0;
  const double zNear = (sad + wMin) / sad, zFar = (sad + wMax) / sad;
  const double margin = parameters.lateralMargin_mm;
  const double fieldU0 = std::min(fx0 * zNear, fx0 * zFar) - margin;
  const double fieldU1 = std::max(fx1 * zNear, fx1 * zFar) + margin;
  const double fieldV0 = std::min(fy0 * zNear, fy0 * zFar) - margin;
  const double fieldV1 = std::max(fy1 * zNear, fy1 * zFar) + margin;
  uMin = std::max(uMin, fieldU0), uMax = std::min(uMax, fieldU1);
  vMin = std::max(vMin, fieldV0), vMax = std::min(vMax, fieldV1);
  const double s = parameters.doseGridSpacing_mm;
  spacing_ = s;
  auto count = [&](double lo, double hi) {
    return hi > lo ? static_cast<int>(std::ceil((hi - lo) / s)) : 1;
  };
  nu_ = count(uMin, uMax), nv_ = count(vMin, vMax), nw_ = count(wMin, wMax);
  u0_ = uMin + 0.5 * s, v0_ = vMin + 0.5 * s, w0_ = wMin + 0.5 * s;
  const std::size_t n = static_cast<std::size_t>(nu_) * nv_ * nw_;
  const std::size_t plane = static_cast<std::size_t>(nu_) * nv_;

  const RadiologicalDepthGrid depth(density, g, fx0, fx1, fy0, fy1, parameters.raySpacing_mm,
                                    parameters.depthStep_mm, *subRange(progress, 0.0, 0.15));
  // Density and released energy (TERMA x density) per box voxel.
  std::vector<float> rho(n, 0.0f), released(n, 0.0f);
  parallel::forEachChunk(
      {0, static_cast<std::size_t>(nw_)}, {1, "TERMA", {}},
      [&](parallel::IndexRange slices, Progress& chunk) {
        for (std::size_t k = slices.begin; k < slices.end; ++k) {
          chunk.check();
          const double w = w0_ + static_cast<double>(k) * s, z = sad + w;
          for (int j = 0; j < nv_; ++j)
            for (int i = 0; i < nu_; ++i) {
              const double u = u0_ + i * s, v = v0_ + j * s;
              const Vec3 p = g.isocentre_lps + u * eU + v * eV + w * eW;
              double r = densityAt(density, p);
              if (r < kVacuumBelowDensity) r = 0.0;
              const std::size_t index = k * plane + static_cast<std::size_t>(j) * nu_ + i;
              rho[index] = static_cast<float>(r);
              if (r <= 0.0) continue;
              const Vec3 b(u * sad / z, v * sad / z, z);
              const double f = fluence.sample(b.x(), b.y());
              if (f <= 0.0) continue;
              const double d = depth.at(b);
              if (d < 0.0) continue;
              released[index] =
                  static_cast<float>(f * (sad / z) * (sad / z) * m.releasedEnergy(d) * r);
            }
        }
      },
      *subRange(progress, 0.15, 0.3));

  const std::vector<CollapsedCone> cones = collapsedCones(m);
  const TiltTables tilt(m, cones);
  std::vector<Vec3> axes;
  for (const CollapsedCone& c : cones) axes.push_back(Vec3(c.di, c.dj, c.dk).normalized());
  // The local ray's direction per releasing voxel (the kernel's tilted axis), in the box frame.
  std::vector<Eigen::Vector3f> rays(parameters.tiltKernels ? n : 0);
  auto localRay = [&](std::size_t index) -> Vec3 {
    const int i = static_cast<int>(index % nu_);
    const int j = static_cast<int>((index / nu_) % nv_);
    const int k = static_cast<int>(index / plane);
    return Vec3(u0_ + i * s, v0_ + j * s, sad + w0_ + k * s).normalized();
  };
  if (parameters.tiltKernels)
    parallel::parallelFor({0, n}, 8192, [&](parallel::IndexRange r) {
      for (std::size_t v = r.begin; v < r.end; ++v)
        if (released[v] > 0.0f) rays[v] = localRay(v).cast<float>();
    });
  // Per-voxel normalisation of the tilted release, per term (each voxel releases the same
  // total).
  const int terms = m.kernelTerms;
  std::array<std::vector<float>, kMaxKernelTerms> norm;
  for (int t = 0; t < terms; ++t) norm[t].assign(parameters.tiltKernels ? n : 0, 1.0f);
  if (parameters.tiltKernels) {
    std::array<double, kMaxKernelTerms> total{};
    for (const CollapsedCone& c : cones)
      for (int t = 0; t < terms; ++t) total[t] += c.terms[t].eta;
    parallel::parallelFor({0, n}, 4096, [&](parallel::IndexRange r) {
      for (std::size_t v = r.begin; v < r.end; ++v) {
        if (released[v] <= 0.0f) continue;
        const Vec3 ray = rays[v].cast<double>();
        std::array<double, kMaxKernelTerms> sum{};
        for (std::size_t c = 0; c < cones.size(); ++c) {
          const std::size_t slot = TiltTables::slot(axes[c].dot(ray));
          for (int t = 0; t < terms; ++t) sum[t] += cones[c].terms[t].eta * tilt.ratio[t][c][slot];
        }
        for (int t = 0; t < terms; ++t)
          norm[t][v] = static_cast<float>(sum[t] > 0 ? total[t] / sum[t] : 1.0);
      }
    });
  }

  // Transport along the lattice lines: one pass per direction pair (forward cone c, backward -c).
  std::vector<std::pair<std::size_t, std::size_t>> pairs;
  for (std::size_t c = 0; c < cones.size(); ++c) {
    const CollapsedCone& a = cones[c];
    const bool forward = a.dk > 0 || (a.dk == 0 && (a.dj > 0 || (a.dj == 0 && a.di > 0)));
    if (!forward) continue;
    for (std::size_t b = 0; b < cones.size(); ++b)
      if (cones[b].di == -a.di && cones[b].dj == -a.dj && cones[b].dk == -a.dk)
        pairs.emplace_back(c, b);
  }
  // exp(-a rho ds) and the escaping fraction of a voxel's own release, tabulated per cone over
  // the density in steps of 1/1024 (0.1 % of lung's density; CT noise is larger).
  const double step0_mm = s;
  std::vector<AttenuationTable> attenuation(cones.size());
  const std::size_t slotSize = 2 * static_cast<std::size_t>(terms);
  for (std::size_t c = 0; c < cones.size(); ++c) {
    const double step_mm = step0_mm * std::sqrt(static_cast<double>(cones[c].di * cones[c].di +
                                                                    cones[c].dj * cones[c].dj +
                                                                    cones[c].dk * cones[c].dk));
    attenuation[c].resize(kDensitySlots * slotSize);
    for (int q = 0; q < kDensitySlots; ++q) {
      const double radiological = (q / kDensityResolution) * step_mm;
      double* keep = &attenuation[c][static_cast<std::size_t>(q) * slotSize];
      double* escape = keep + terms;
      for (int t = 0; t < terms; ++t) {
        const double tau = cones[c].terms[t].mu_per_mm * radiological;
        keep[t] = std::exp(-tau);
        escape[t] = tau > 1e-6 ? (1.0 - keep[t]) / tau : 1.0 - 0.5 * tau;
      }
    }
  }
  const ConeTransport transport{
      cones, axes, rho, released, rays, norm, tilt, attenuation, parameters.tiltKernels};
  std::vector<double> energy(n, 0.0);  // energy deposited per volume
  const auto transportProgress = subRange(progress, 0.3, 1.0);
  for (std::size_t p = 0; p < pairs.size(); ++p) {
    transportProgress->check();
    const CollapsedCone& fwd = cones[pairs[p].first];
    const int di = fwd.di, dj = fwd.dj, dk = fwd.dk;
    auto inside = [&](int i, int j, int k) {
      return i >= 0 && i < nu_ && j >= 0 && j < nv_ && k >= 0 && k < nw_;
    };
    std::vector<std::size_t> starts;
    for (int k = 0; k < nw_; ++k)
      for (int j = 0; j < nv_; ++j)
        for (int i = 0; i < nu_; ++i)
          if (!inside(i - di, j - dj, k - dk))
            starts.push_back(static_cast<std::size_t>(k) * plane +
                             static_cast<std::size_t>(j) * nu_ + i);
    const std::ptrdiff_t stride =
        static_cast<std::ptrdiff_t>(dk) * static_cast<std::ptrdiff_t>(plane) +
        static_cast<std::ptrdiff_t>(dj) * nu_ + di;
    parallel::parallelFor({0, starts.size()}, 256, [&](parallel::IndexRange r) {
      std::vector<std::size_t> line;
      for (std::size_t l = r.begin; l < r.end; ++l) {
        line.clear();
        const std::size_t start = starts[l];
        int i = static_cast<int>(start % nu_), j = static_cast<int>((start / nu_) % nv_),
            k = static_cast<int>(start / plane);
        std::ptrdiff_t index = static_cast<std::ptrdiff_t>(start);
        while (inside(i, j, k)) {
          line.push_back(static_cast<std::size_t>(index));
          i += di, j += dj, k += dk, index += stride;
        }
        if (terms == 3) {
          transport.sweep<3>(line, pairs[p].first, false, energy);
          transport.sweep<3>(line, pairs[p].second, true, energy);
        } else {
          transport.sweep<2>(line, pairs[p].first, false, energy);
          transport.sweep<2>(line, pairs[p].second, true, energy);
        }
      }
    });
    transportProgress->report(static_cast<double>(p + 1) / pairs.size(), "Collapsed cones");
  }
  dose_.assign(n, 0.0f);
  for (std::size_t v = 0; v < n; ++v)
    if (rho[v] > 0.0f) dose_[v] = static_cast<float>(energy[v] / rho[v]);
}

double CollapsedConeCalculator::boxValue(const Vec3& p_lps, bool requireMatter) const {
  if (requireMatter && inVacuum(*density_, p_lps)) return 0.0;
  const Vec3 d = p_lps - geometry_.isocentre_lps;
  const double fu = (d.dot(geometry_.xAxis_lps) - u0_) / spacing_;
  const double fv = (d.dot(geometry_.yAxis_lps) - v0_) / spacing_;
  const double fw = (d.dot(-geometry_.towardSource_lps) - w0_) / spacing_;
  if (fu < -0.5 || fv < -0.5 || fw < -0.5 || fu > nu_ - 0.5 || fv > nv_ - 0.5 || fw > nw_ - 0.5)
    return 0.0;
  auto clampIndex = [](double f, int n) {
    return std::clamp(static_cast<int>(std::floor(f)), 0, n - 1);
  };
  const int i = clampIndex(fu, nu_), j = clampIndex(fv, nv_), k = clampIndex(fw, nw_);
  const double tu = std::clamp(fu - i, 0.0, 1.0), tv = std::clamp(fv - j, 0.0, 1.0),
               tw = std::clamp(fw - k, 0.0, 1.0);
  const std::size_t plane = static_cast<std::size_t>(nu_) * nv_;
  auto at = [&](int a, int b, int c) {
    a = std::min(a, nu_ - 1), b = std::min(b, nv_ - 1), c = std::min(c, nw_ - 1);
    return static_cast<double>(
        dose_[static_cast<std::size_t>(c) * plane + static_cast<std::size_t>(b) * nu_ + a]);
  };
  auto alongU = [&](int b, int c) { return (1 - tu) * at(i, b, c) + tu * at(i + 1, b, c); };
  auto alongV = [&](int c) { return (1 - tv) * alongU(j, c) + tv * alongU(j + 1, c); };
  return (1 - tw) * alongV(k) + tw * alongV(k + 1);
}

double CollapsedConeCalculator::dose_Gy(const Vec3& p_lps) const {
  return calibration_ * boxValue(p_lps, true);
}

ScalarField CollapsedConeCalculator::doseOn(const ImageGeometry& grid, Progress& progress) const {
  ScalarField dose{"Dose", "dose", units::kGray, grid, std::vector<float>(grid.voxelCount(), 0.0f)};
  const std::size_t nx = static_cast<std::size_t>(grid.size[0]);
  const std::size_t ny = static_cast<std::size_t>(grid.size[1]);
  parallel::forEachChunk(
      {0, static_cast<std::size_t>(grid.size[2]) * ny}, {16, "Collapsed-cone dose", {}},
      [&](parallel::IndexRange rows, Progress& chunk) {
        for (std::size_t row = rows.begin; row < rows.end; ++row) {
          chunk.check();
          const auto j = static_cast<double>(row % ny), k = static_cast<double>(row / ny);
          for (std::size_t i = 0; i < nx; ++i)
            dose.values[row * nx + i] =
                static_cast<float>(dose_Gy(grid.indexToLps(Vec3(static_cast<double>(i), j, k))));
        }
      },
      progress);
  return dose;
}

double collapsedConeCalibration(const CollapsedConeBeamModel& model,
                                const CollapsedConeParameters& parameters) {
  static std::mutex mutex;
  static std::map<std::tuple<std::string, double, double, bool>, double> cache;
  const auto key = std::make_tuple(model.id, parameters.doseGridSpacing_mm,
                                   parameters.lateralMargin_mm, parameters.tiltKernels);
  {
    const std::lock_guard lock(mutex);
    if (const auto found = cache.find(key); found != cache.end()) return found->second;
  }
  // The pencil beam's reference conditions (photon_beams.json, TG-51): the field at SSD on
  // water 300 mm deep and 400 mm wide, dose per MU at the reference depth on the axis.
  const PhotonBeamModel& reference = photonBeamModel(model.nominalEnergy_MV);
  const double s = parameters.doseGridSpacing_mm;
  const double sad = reference.referenceSourceAxisDistance_mm;
  const double surface = reference.referenceSsd_mm - sad;  // y of the surface (iso at y = 0)
  DensityGrid water;
  const auto lateral = static_cast<std::int64_t>(std::ceil(400.0 / s));
  const auto deep = static_cast<std::int64_t>(std::ceil(300.0 / s));
  water.geometry.size = {lateral, deep, lateral};
  water.geometry.spacing_mm = Vec3(s, s, s);
  water.geometry.origin_lps =
      Vec3(-0.5 * s * (lateral - 1), surface + 0.5 * s, -0.5 * s * (lateral - 1));
  water.relativeElectronDensity.assign(water.geometry.voxelCount(), 1.0f);
  const io::Beam beam = referenceBeam(model.nominalEnergy_MV, reference.referenceField_mm, sad);
  const CollapsedConeCalculator raw(water, beam, PatientPosition::HFS, model, parameters, 1.0,
                                    noProgress());
  const double perMu =
      raw.dose_Gy(Vec3(0, surface + reference.referenceDepth_mm, 0)) / *beam.meterset;
  if (!(perMu > 0))
    throw Error(ErrorKind::Internal, "The collapsed-cone reference field gave no dose.", model.id);
  const double calibration = reference.referenceDose_Gy_per_MU / perMu;
  const std::lock_guard lock(mutex);
  cache.emplace(key, calibration);
  return calibration;
}

PlanDose computeCollapsedConePlanDose(const DensityGrid& density, const ImageGeometry& doseGrid,
                                      const io::RtPlan& plan, PatientPosition position,
                                      const CollapsedConeParameters& parameters,
                                      Progress& progress) {
  parameters.validate();
  // Every energy needs kernels (of the kernel asked for): refused before any beam is computed.
  for (const io::Beam& beam : plan.beams)
    if (beam.radiationType == "PHOTON" && !beam.controlPoints.empty() &&
        beam.controlPoints.front().nominalEnergy)
      collapsedConeBeamModel(*beam.controlPoints.front().nominalEnergy, parameters);
  return sumPlanBeams(
      plan, doseGrid, position, "collapsed cone",
      [&](const io::Beam& beam, const Vec3& planIsocentre_lps, BeamDose& out,
          Progress& beamProgress) {
        const CollapsedConeBeamModel& model =
            collapsedConeBeamModel(*beam.controlPoints.front().nominalEnergy, parameters);
        out.nominalEnergy_MV = model.nominalEnergy_MV;
        const CollapsedConeCalculator calculator(density, beam, position, model, parameters,
                                                 *subRange(beamProgress, 0.0, 0.85));
        out.isocentreDose_Gy = calculator.dose_Gy(calculator.geometry().isocentre_lps);
        out.dose = calculator.doseOn(doseGrid, *subRange(beamProgress, 0.85, 1.0));
        return calculator.dose_Gy(planIsocentre_lps);
      },
      progress);
}

}  // namespace twinplan::radiotherapy
