// twinplan-ablation-bench: the bioheat time stepper (simulation/ablation/bioheat.h) on the
// problem of issue #17 item 7: a 10-minute ablation on a 100^3 grid of 1 mm liver, backward
// Euler in 5 s steps, (1) with a fixed 8 W source along a 30 mm active tip and (2) with the
// cooled RF electrode (rf-cooled-3cm at its catalogue setting: 200 W, impedance control) whose
// quasi-static potential is re-solved as the tissue heats (rf_source.h). Times each on one
// thread and on all (median of RUNS runs, default 3, after a warm-up), splits the RF run into
// the source's stage (sigma(T), potential solves, SAR) and the bioheat step, and prints
// Markdown tables with the load average (docs/benchmarks.md, "Thermal ablation").
// BENCH_ONLY=fixed or BENCH_ONLY=rf runs one of the two; QUICK=1 one RF run on all threads, no
// warm-up (for profiling); GRID=61 another cube size for the RF run; POTENTIAL_TOLERANCE=1e-3
// another relative tolerance of the potential solves; RESOLVE_CHANGE=0.05 another re-solve
// criterion (RfSettings::resolveConductanceChange); EXACT=1 the exact path (no nested potential
// solves, no far field, every heated voxel in the bioheat box), NESTED_MARGIN=30 and
// NESTED_INTERVAL=8 other nested-potential settings (RfSettings::nestedMargin_mm,
// nestedFullSolveInterval), NESTED_WARM_START=0 full solves warm started from the last potential
// (RfSettings::nestedWarmStart off); COMPOSITE=0 full potential solves on the whole 1 mm grid
// (RfSettings::compositePotential off); EXTERIOR_BOUND=0 sigma of every voxel every step
// (RfSettings::boundedExteriorConductivity off); ADAPTIVE=0 the fixed-step path
// (BioheatParameters::adaptiveTimeSteps off), MAX_STEP=10 another longest adaptive step,
// TIME_STEP=2.5 another base step, BIOHEAT_TOLERANCE=1e-4 another bioheat CG tolerance (K),
// RED_BLACK=0 the box's conjugate gradients on every voxel (BioheatParameters::redBlackSolver);
// FAR_FIELD=0 the active box instead of the coarse far field around a fine box
// (BioheatParameters::farField, on by default since session 13),
// FAR_FIELD_COARSENING=4 and FAR_FIELD_TOLERANCE=0.1 its other settings, FAR_STALENESS=0 the
// exterior written every step (BioheatParameters::farFieldStaleness_K). BENCH_ONLY=plan:
// multi-probe planning for the abdomen phantom's 30 mm Tumour 2 (issue #17 item 7's goal: ranked
// plans in <= 10 s), up to 1, 2 and 3 probes, with the probes' zones superposed and (as before)
// united, then the full-physics confirmation of the best plan timed on its own.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "median_timing.h"
#include "twinplan/ablation/ablation_planner.h"
#include "twinplan/ablation/bioheat.h"
#include "twinplan/ablation/devices.h"
#include "twinplan/ablation/fixed_power_source.h"
#include "twinplan/ablation/rf_source.h"
#include "twinplan/ablation/tissue_library.h"
#include "twinplan/ablation/zone_surrogate.h"
#include "twinplan/core/fnv1a.h"
#include "twinplan/core/parallel.h"
#include "twinplan/phantom/phantom.h"

namespace {

using namespace twinplan;
using namespace twinplan::ablation;
using Clock = std::chrono::steady_clock;

int runs() {
  const char* text = std::getenv("RUNS");
  return text ? std::max(1, std::atoi(text)) : 3;
}

// Liver: the tissue table's (IT'IS Foundation database v4.1 thermal values), with constant
// thermal conductivity and Pennes perfusion 6.4e-3 1/s as in Tungjitkusolmun et al., IEEE TBME
// 49(1) 2002: the benchmark problem as it has been measured and as FEniCS solves it.
TissueProperties liver() {
  TissueProperties t = tissueLibrary().at("liver");
  t.thermalConductivityCoefficient_per_K = 0.0;
  t.perfusion_per_s = 6.4e-3;
  return t;
}

// power_W spread along the segment from the tip 30 mm back up the probe (+z), as a Gaussian of
// 3 mm around it: the shape of an RF electrode's Joule heating, which falls off within a few
// millimetres of the active tip.
std::vector<float> activeTipPower(const AblationGrid& grid, double power_W) {
  const ImageGeometry& g = grid.geometry;
  std::vector<float> power(g.voxelCount(), 0.0f);
  double sum = 0.0;
  for (std::int64_t k = 0; k < g.size[2]; ++k)
    for (std::int64_t j = 0; j < g.size[1]; ++j)
      for (std::int64_t i = 0; i < g.size[0]; ++i) {
        const Vec3 p = g.indexToLps(Vec3(double(i), double(j), double(k)));
        const double along = std::clamp(p.z(), -15.0, 15.0);
        const double d2 = (p - Vec3(0.0, 0.0, along)).squaredNorm();
        // Beyond 4 sigma the heating is below 0.04 % of the peak: zero it, as a real SAR is.
        const double w = d2 > 144.0 ? 0.0 : std::exp(-0.5 * d2 / (3.0 * 3.0));
        power[g.linearIndex(i, j, k)] = float(w);
        sum += w;
      }
  const double scale = power_W / (sum * 1e-9);
  for (float& p : power) p = float(p * scale);
  return power;
}

using bench::Timing;

Timing measure(const std::function<void()>& work) { return bench::measureMedian(runs(), work); }

bool wanted(const char* part) {
  const char* only = std::getenv("BENCH_ONLY");
  return !only || std::strcmp(only, part) == 0;
}

double threadCpu_s() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return double(t.tv_sec) + 1e-9 * double(t.tv_nsec);
}

double secondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// The RF source with the wall time it spends deciding each step's power (sigma(T), the
// potential re-solves, the SAR): the rest of a run is the bioheat step.
class TimedSource : public HeatSource {
 public:
  explicit TimedSource(RfSource& source) : source_(source) {}
  void depositedPower(const AblationGrid& grid, const ThermalState& state, double step_s,
                      std::vector<float>& power_W_m3) override {
    const auto start = Clock::now();
    const double threadStart_s = threadCpu_s();
    const std::clock_t cpuStart = std::clock();
    source_.depositedPower(grid, state, step_s, power_W_m3);
    sourceCpu_s += double(std::clock() - cpuStart) / CLOCKS_PER_SEC;
    source_s += secondsSince(start);
    sourceThreadCpu_s += threadCpu_s() - threadStart_s;
  }
  std::vector<HeldTemperature> heldTemperatures(const AblationGrid& grid,
                                                const ThermalState& state) override {
    return source_.heldTemperatures(grid, state);
  }
  double deliveredPower_W() const override { return source_.deliveredPower_W(); }
  double powerUnchangedUntil_s() const override { return source_.powerUnchangedUntil_s(); }
  double source_s = 0.0;
  // The calling thread's CPU time in depositedPower: the source stage's CPU when the run has one
  // thread (taskset -c 0), whatever else the machine runs.
  double sourceThreadCpu_s = 0.0;
  // The process's CPU time (both threads) inside the source: the stage's comparable figure on
  // a loaded machine (the bioheat step does not run meanwhile).
  double sourceCpu_s = 0.0;

 private:
  RfSource& source_;
};

struct RfRun {
  // cpu_s: the process's CPU time over the run, all threads summed (std::clock): on the shared
  // machine the comparable figure, since wall time follows the load.
  double wall_s = 0.0, source_s = 0.0, cpu_s = 0.0, sourceThreadCpu_s = 0.0, sourceCpu_s = 0.0;
  int solves = 0, nestedSolves = 0, nestedWarmStarts = 0, exteriorBoundsOpen = 0;
  long long potentialIterations = 0, bioheatIterations = 0;
  int rollOffs = 0;
  double baselineImpedance_ohm = 0.0;  // at the first solve
  AblationResult result;
};

// The cooled 3 cm electrode along z, its active tip from z = +15 to -15 mm around the grid's
// centre, for 10 minutes at the catalogue setting, in the catalogue's liver.
RfRun runCooledRf() {
  const std::int64_t n = std::getenv("GRID") ? std::atoi(std::getenv("GRID")) : 100;
  const AblationGrid grid = uniformGrid(tissueLibrary().at("liver"), {n, n, n}, 1.0);
  const AblationDevice& device = findDevice("rf-cooled-3cm");
  ProbePlacement placement;
  placement.tip_lps = Vec3(0.0, 0.0, 15.0);
  placement.entry_lps = Vec3(0.0, 0.0, -100.0);
  BioheatParameters p;  // 600 s in 5 s steps, roll-off pauses as 5 + 10 s (adaptive steps)
  p.recordedPoints_lps = {Vec3(10.0, 0.0, 0.0), Vec3(20.0, 0.0, 0.0)};
  RfSettings settings = rfSettingsFor(device);
  if (const char* tolerance = std::getenv("POTENTIAL_TOLERANCE"))
    settings.solver.relativeTolerance = std::atof(tolerance);
  if (const char* change = std::getenv("RESOLVE_CHANGE"))
    settings.resolveConductanceChange = std::atof(change);
  if (const char* exact = std::getenv("EXACT")) {
    settings.nestedPotential = std::strcmp(exact, "0") == 0;
    p.skipNegligibleHeating = settings.nestedPotential;
    if (!settings.nestedPotential) p.farField = false;
  }
  if (const char* adaptive = std::getenv("ADAPTIVE"))
    p.adaptiveTimeSteps = std::strcmp(adaptive, "0") != 0;
  if (const char* longest = std::getenv("MAX_STEP")) p.maximumTimeStep_s = std::atof(longest);
  if (const char* tolerance = std::getenv("BIOHEAT_TOLERANCE"))
    p.solverTolerance_K = std::atof(tolerance);
  if (const char* step = std::getenv("TIME_STEP")) p.timeStep_s = std::atof(step);
  if (const char* redBlack = std::getenv("RED_BLACK"))
    p.redBlackSolver = std::strcmp(redBlack, "0") != 0;
  if (const char* farField = std::getenv("FAR_FIELD")) p.farField = std::strcmp(farField, "0") != 0;
  if (const char* deferred = std::getenv("DEFERRED_DOSE"))
    p.farFieldDeferredDose = std::strcmp(deferred, "0") != 0;
  if (const char* drift = std::getenv("DOSE_DRIFT")) p.farFieldDoseDrift_K = std::atof(drift);
  if (const char* stale = std::getenv("FAR_STALENESS")) p.farFieldStaleness_K = std::atof(stale);
  if (const char* coarsening = std::getenv("FAR_FIELD_COARSENING"))
    p.farFieldCoarsening = std::atoi(coarsening);
  if (const char* tolerance = std::getenv("FAR_FIELD_TOLERANCE"))
    p.farFieldTolerance_K = std::atof(tolerance);
  if (const char* margin = std::getenv("NESTED_MARGIN"))
    settings.nestedMargin_mm = std::atof(margin);
  if (const char* interval = std::getenv("NESTED_INTERVAL"))
    settings.nestedFullSolveInterval = std::atoi(interval);
  if (const char* warm = std::getenv("NESTED_WARM_START"))
    settings.nestedWarmStart = std::strcmp(warm, "0") != 0;
  if (const char* composite = std::getenv("COMPOSITE"))
    settings.compositePotential = std::strcmp(composite, "0") != 0;
  if (const char* bounded = std::getenv("EXTERIOR_BOUND"))
    settings.boundedExteriorConductivity = std::strcmp(bounded, "0") != 0;
  RfSource rf(grid, device, placement, settings);
  TimedSource timed(rf);
  RfRun run;
  const auto start = Clock::now();
  const std::clock_t cpuStart = std::clock();
  run.result = simulateAblation(grid, timed, p);
  run.cpu_s = double(std::clock() - cpuStart) / CLOCKS_PER_SEC;
  run.wall_s = secondsSince(start);
  run.source_s = timed.source_s;
  run.sourceThreadCpu_s = timed.sourceThreadCpu_s;
  run.sourceCpu_s = timed.sourceCpu_s;
  run.solves = rf.potentialSolves();
  run.nestedSolves = rf.nestedPotentialSolves();
  run.nestedWarmStarts = rf.nestedWarmStarts();
  run.exteriorBoundsOpen = rf.exteriorBoundsLeftOpen();
  run.potentialIterations = rf.potentialIterations();
  run.bioheatIterations = run.result.solverIterations;
  run.rollOffs = rf.rollOffCount();
  run.baselineImpedance_ohm = rf.baselineImpedance_ohm();
  return run;
}

// Median (by wall time) of RUNS runs after a warm-up.
RfRun medianRfRun() {
  runCooledRf();
  std::vector<RfRun> all;
  for (int r = 0; r < runs(); ++r) all.push_back(runCooledRf());
  std::sort(all.begin(), all.end(),
            [](const RfRun& a, const RfRun& b) { return a.wall_s < b.wall_s; });
  return all[all.size() / 2];
}

void printRfRow(const RfRun& r, std::size_t threads) {
  std::printf(
      "| %lld^3, 1 mm, rf-cooled-3cm 200 W | %d | %zu | %.0f | %.0f | %.0f | %.0f | %d (%lld) | "
      "%lld |\n",
      static_cast<long long>(r.result.finalTemperature.geometry.size[0]), r.result.steps, threads,
      1000.0 * r.wall_s, 1000.0 * r.cpu_s, 1000.0 * r.source_s, 1000.0 * (r.wall_s - r.source_s),
      r.solves, r.potentialIterations, r.bioheatIterations);
}

// FNV-1a over the bits of the fields and the delivered power of every step: equal fingerprints
// of two builds mean the same result to the last bit (for changes meant to be exact).
std::string fingerprint(const AblationResult& result) {
  Fnv1a64 hash;
  for (const ScalarField* f :
       {&result.finalTemperature, &result.maximumTemperature, &result.damage, &result.cem43})
    hash.add(std::as_bytes(std::span(f->values)));
  hash.add(std::as_bytes(std::span(result.deliveredPower_W)));
  return hash.hex();
}

// FIELDS_OUT=PREFIX: the final temperature, T max, damage and CEM43 as raw float32 files
// PREFIX.{temperature,maximum,damage,cem43}.f32 (i fastest), to compare two runs voxel by voxel.
void writeFields(const AblationResult& result) {
  const char* prefix = std::getenv("FIELDS_OUT");
  if (!prefix) return;
  const std::pair<const char*, const ScalarField*> fields[] = {
      {"temperature", &result.finalTemperature},
      {"maximum", &result.maximumTemperature},
      {"damage", &result.damage},
      {"cem43", &result.cem43}};
  for (const auto& [name, field] : fields) {
    const std::string path = std::string(prefix) + "." + name + ".f32";
    std::FILE* out = std::fopen(path.c_str(), "wb");
    if (!out) {
      std::fprintf(stderr, "cannot write %s\n", path.c_str());
      continue;
    }
    std::fwrite(field->values.data(), sizeof(float), field->values.size(), out);
    std::fclose(out);
  }
}

void printRfZone(const RfRun& r) {
  const AblationResult& result = r.result;
  writeFields(result);
  const float maxT = *std::max_element(result.maximumTemperature.values.begin(),
                                       result.maximumTemperature.values.end());
  std::printf(
      "\nRF zone (Omega >= 1): %.2f ml, axes %.1f x %.1f x %.1f mm; T max %.1f degC; "
      "T at 10/20 mm after 600 s: %.1f / %.1f degC; energy %.0f J; roll-offs %d\n",
      result.zoneVolume_ml, result.zoneAxes.long_mm, result.zoneAxes.short_mm[0],
      result.zoneAxes.short_mm[1], maxT, result.recorded[0].temperature_degC.back(),
      result.recorded[1].temperature_degC.back(), result.deliveredEnergy_J, r.rollOffs);
  std::printf(
      "active box: largest %zu voxels, %d regrowths; source energy outside it %.1f J, heat "
      "through its faces %.1f J\n",
      result.largestBoxVoxels, result.boxRegrowths, result.neglectedSourceEnergy_J,
      result.boxFaceEnergy_J);
  std::printf(
      "potential solves %d, of them nested %d; full solves warm started by a box solve %d; "
      "impedance at the first solve %.6f ohm; source stage CPU %.2f s; decisions the exterior's "
      "bound left open %d\n",
      r.solves, r.nestedSolves, r.nestedWarmStarts, r.baselineImpedance_ohm, r.sourceCpu_s,
      r.exteriorBoundsOpen);
  // The roll-offs' times: the starts of the steps whose power went off after a step with power.
  std::printf("roll-offs at (s):");
  for (std::size_t step = 1; step < result.deliveredPower_W.size(); ++step)
    if (result.deliveredPower_W[step] == 0.0 && result.deliveredPower_W[step - 1] > 0.0)
      std::printf(" %.1f", result.time_s[step - 1]);
  std::printf("\n");
  std::printf("fields' fingerprint (temperature, T max, damage, CEM43, power per step): %s\n",
              fingerprint(result).c_str());
}

void benchCooledRf() {
  if (std::getenv("QUICK")) {
    const RfRun run = runCooledRf();
    printRfRow(run, parallel::maxThreads());
    printRfZone(run);
    // With one thread the process's CPU splits into the source's and the bioheat stage's.
    if (parallel::maxThreads() == 1)
      std::printf("one thread: CPU %.0f ms, source %.0f ms, bioheat stage %.0f ms\n",
                  1000.0 * run.cpu_s, 1000.0 * run.sourceThreadCpu_s,
                  1000.0 * (run.cpu_s - run.sourceThreadCpu_s));
    return;
  }
  RfRun one;
  {
    const parallel::ThreadLimit limit(1);
    one = medianRfRun();
  }
  const RfRun all = medianRfRun();
  std::printf(
      "\n| grid | steps | threads | wall (ms) | CPU (ms) | source: sigma, potential, SAR (ms) | "
      "bioheat step (ms) | potential solves (CG iterations) | bioheat CG iterations |\n");
  std::printf("|---|---|---|---|---|---|---|---|---|\n");
  printRfRow(one, 1);
  printRfRow(all, parallel::maxThreads());
  printRfZone(all);
}

}  // namespace

// 8 W held for 10 minutes: a zone of about 20 ml and a peak of about 125 degC, the size and
// temperatures of a single RF electrode's ablation (the power is what the tissue absorbs).
constexpr double kPower_W = 8.0;

static void benchFixedSource() {
  const AblationGrid grid = uniformGrid(liver(), {100, 100, 100}, 1.0);
  const std::vector<float> power = activeTipPower(grid, kPower_W);
  BioheatParameters p;  // 600 s in 5 s steps, perfusion stops at Omega = 1
  p.recordedPoints_lps = {Vec3(10.0, 0.0, 0.0), Vec3(20.0, 0.0, 0.0)};
  AblationResult result;
  auto run = [&] {
    FixedPowerSource source(grid, power);
    result = simulateAblation(grid, source, p);
  };
  Timing one;
  {
    const parallel::ThreadLimit limit(1);
    one = measure(run);
  }
  const Timing all = measure(run);
  const float maxT = *std::max_element(result.maximumTemperature.values.begin(),
                                       result.maximumTemperature.values.end());
  std::printf("| grid | steps | threads | wall (ms) | CPU (ms) | CG iterations |\n");
  std::printf("|---|---|---|---|---|---|\n");
  std::printf("| 100^3, 1 mm | %d | 1 | %.0f | %.0f | %lld |\n", result.steps, one.wall_ms,
              one.cpu_ms, result.solverIterations);
  std::printf("| 100^3, 1 mm | %d | %zu | %.0f | %.0f | %lld |\n", result.steps,
              parallel::maxThreads(), all.wall_ms, all.cpu_ms, result.solverIterations);
  std::printf(
      "\nzone (Omega >= 1): %.2f ml, axes %.1f x %.1f x %.1f mm; T max %.1f degC; "
      "T at 10/20 mm after 600 s: %.1f / %.1f degC; energy %.0f J\n",
      result.zoneVolume_ml, result.zoneAxes.long_mm, result.zoneAxes.short_mm[0],
      result.zoneAxes.short_mm[1], maxT, result.recorded[0].temperature_degC.back(),
      result.recorded[1].temperature_degC.back(), result.deliveredEnergy_J);
}

namespace {

void printPlanRow(const char* composed, const PlannerOptions& o, const PlanningResult& r) {
  const AblationPlan& best = r.plans.front();
  std::printf(
      "| %.0f mm | %s | %d | %.2f | %zu | %zu, %.0f W, %.0f s | %.1f %% / %.1f mm / %.1f ml | "
      "%.2f | %.1f %% / %.1f mm / %.1f ml |\n",
      o.margin_mm, composed, o.maxProbes, r.search_s, r.candidatesScored, best.probes.size(),
      best.power_W, best.duration_s, best.predicted.coverage_percent, best.predicted.minMargin_mm,
      best.predicted.zone_ml, r.confirm_s, best.confirmed->coverage_percent,
      best.confirmed->minMargin_mm, best.confirmed->zone_ml);
}

// The abdomen phantom (full resolution, 1.5 x 1.5 x 2.5 mm), Tumour 2 (30 mm), margins 5 mm and
// 10 mm (which needs several probes), the planner's defaults (2.45 GHz 100 W antenna, 2 mm
// planning grid); the phantom built and the surrogate table loaded before the clock starts. The
// search (to ranked plans) and the full physics of the best plan are timed apart.
void benchPlanning() {
  phantom::PhantomOptions options;
  options.surfaceModels = false;
  const phantom::Phantom abdomen = phantom::makePhantom(options);
  PlannerOptions o;
  o.tumour = abdomen.tumours[1].name;
  o.confirm = true;
  o.confirmCount = 1;
  for (const DeviceSetting& s : plannerSettings(findDevice(o.deviceId)))
    cachedSurrogate(findDevice(o.deviceId), s.power_W, s.duration_s);
  std::printf(
      "\n| margin | probes composed | at most probes | to ranked plans (s) | candidates | best "
      "plan "
      "| surrogate: coverage / min margin / zone | full physics of the best (s) | full physics: "
      "coverage / min margin / zone |\n");
  std::printf("|---|---|---|---|---|---|---|---|---|\n");
  struct Row {
    double margin_mm;
    bool interaction;
    int maxProbes;
  };
  for (const Row& row : {Row{5, true, 1}, Row{5, true, 2}, Row{5, true, 3}, Row{5, false, 3},
                         Row{10, true, 3}, Row{10, false, 3}}) {
    o.margin_mm = row.margin_mm;
    o.probeInteraction = row.interaction;
    o.maxProbes = row.maxProbes;
    printPlanRow(row.interaction ? "superposed" : "union (before)", o,
                 planAblation(abdomen.twin, o));
  }
}

}  // namespace

int main() {
  if (wanted("fixed")) benchFixedSource();
  if (wanted("rf")) benchCooledRf();
  if (std::getenv("BENCH_ONLY") && wanted("plan")) benchPlanning();
  double load[3] = {0, 0, 0};
  getloadavg(load, 3);
  std::printf("load average 1/5/15 min: %.2f %.2f %.2f; runs %d\n", load[0], load[1], load[2],
              runs());
  return 0;
}
