// Collapsed-cone 7-field plan on a 256 x 256 x 150 CT at a 2.5 mm dose grid (issue #19 item 9;
// docs/benchmarks.md, "Radiotherapy: collapsed cone"), against the pencil-beam engine on the
// same plan in the same run. plastimatch's `dose` command is a proton (ion) engine, so it
// cannot compute this photon plan. The CT is synthetic (a 320 x 220 mm elliptical water body
// with two lungs of density 0.25 and a bone spine of 1.5; 1.5625 x 1.5625 x 2.5 mm voxels);
// the plan: 6 MV, 7 equally spaced coplanar 10 x 10 cm fields at the body's centre, 100 MU each.
// Prints wall and CPU seconds for each engine (2 cores: run with TBB's default thread count)
// and the machine's load before and after.
//
//   twinplan-collapsed-cone-bench [--size NX NY NZ] [--kernel ID]
// --kernel: a model of resources/radiotherapy/collapsed_cone_kernels.json by id ("10MV",
// "10MV-3terms", "6MV-3terms"; default 6MV): the plan's beams take its energy.
#include <sys/resource.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "twinplan/radiotherapy/collapsed_cone.h"

using namespace twinplan;
using namespace twinplan::radiotherapy;

namespace {

double cpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         1e-6 * double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec);
}

double seconds(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

DensityGrid thorax(std::int64_t nx, std::int64_t ny, std::int64_t nz) {
  DensityGrid ct;
  ct.geometry.size = {nx, ny, nz};
  ct.geometry.spacing_mm = Vec3(400.0 / nx, 400.0 / ny, 2.5);
  ct.geometry.origin_lps = Vec3(-200 + 200.0 / nx, -200 + 200.0 / ny, -1.25 * (nz - 1));
  ct.relativeElectronDensity.assign(ct.geometry.voxelCount(), 0.0f);
  for (std::int64_t k = 0; k < nz; ++k)
    for (std::int64_t j = 0; j < ny; ++j)
      for (std::int64_t i = 0; i < nx; ++i) {
        const Vec3 p = ct.geometry.indexToLps(Vec3(double(i), double(j), double(k)));
        float rho = 0.0f;
        if (std::pow(p.x() / 160, 2) + std::pow(p.y() / 110, 2) <= 1) rho = 1.0f;
        for (double side : {-1.0, 1.0})
          if (std::pow((p.x() - side * 70) / 50, 2) + std::pow((p.y() + 10) / 60, 2) <= 1)
            rho = 0.25f;
        if (std::pow(p.x() / 15, 2) + std::pow((p.y() - 70) / 15, 2) <= 1) rho = 1.5f;
        ct.relativeElectronDensity[ct.geometry.linearIndex(i, j, k)] = rho;
      }
  return ct;
}

io::RtPlan sevenFields(double energy_MV) {
  io::RtPlan plan;
  plan.label = "7 fields";
  io::FractionGroup group;
  group.number = 1;
  group.fractionsPlanned = 1;
  for (int b = 0; b < 7; ++b) {
    io::Beam beam;
    beam.number = b + 1;
    beam.name = "G" + std::to_string(int(std::lround(b * 360.0 / 7)));
    beam.radiationType = "PHOTON";
    beam.meterset = 100.0;
    beam.sourceAxisDistance_mm = 1000.0;
    beam.devices = {{"ASYMX", 1, {}}, {"ASYMY", 1, {}}};
    for (int i = 0; i < 2; ++i) {
      io::ControlPoint cp;
      cp.index = i;
      cp.cumulativeMetersetWeight = i;
      cp.nominalEnergy = energy_MV;
      cp.gantryAngle_deg = b * 360.0 / 7;
      cp.isocentre_lps = Vec3::Zero();
      cp.devices = {{"ASYMX", {-50, 50}}, {"ASYMY", {-50, 50}}};
      beam.controlPoints.push_back(cp);
    }
    plan.beams.push_back(beam);
    group.beamNumbers.push_back(b + 1);
  }
  plan.fractionGroups.push_back(group);
  return plan;
}

void printLoad(const char* when) {
  double load[3] = {0, 0, 0};
  if (getloadavg(load, 3) == 3)
    std::printf("load average %s: %.2f %.2f %.2f\n", when, load[0], load[1], load[2]);
}

}  // namespace

int main(int argc, char** argv) {
  std::int64_t nx = 256, ny = 256, nz = 150;
  CollapsedConeParameters parameters;
  for (int a = 1; a < argc; ++a) {
    if (std::string(argv[a]) == "--size" && a + 3 < argc)
      nx = std::atoll(argv[a + 1]), ny = std::atoll(argv[a + 2]), nz = std::atoll(argv[a + 3]),
      a += 3;
    else if (std::string(argv[a]) == "--kernel" && a + 1 < argc)
      parameters.kernelId = argv[++a];
  }
  const CollapsedConeBeamModel& model = parameters.kernelId.empty()
                                            ? collapsedConeBeamModel(6.0)
                                            : collapsedConeBeamModelById(parameters.kernelId);
  printLoad("before");
  const DensityGrid ct = thorax(nx, ny, nz);
  const ImageGeometry doseGrid = doseGridCovering(ct.geometry, 2.5);
  const io::RtPlan plan = sevenFields(model.nominalEnergy_MV);
  std::printf(
      "CT %lldx%lldx%lld, dose grid %lldx%lldx%lld at 2.5 mm, 7 x %s (%d kernel terms) "
      "10x10 cm\n",
      (long long)nx, (long long)ny, (long long)nz, (long long)doseGrid.size[0],
      (long long)doseGrid.size[1], (long long)doseGrid.size[2], model.id.c_str(),
      model.kernelTerms);
  // The calibration (one reference field in water per spacing, cached) is timed on its own.
  auto start = std::chrono::steady_clock::now();
  double cpu = cpuSeconds();
  collapsedConeCalibration(model, parameters);
  std::printf("| collapsed-cone calibration (once per spacing) | %.2f s | %.2f s |\n",
              seconds(start), cpuSeconds() - cpu);
  start = std::chrono::steady_clock::now();
  cpu = cpuSeconds();
  const PlanDose cone =
      computeCollapsedConePlanDose(ct, doseGrid, plan, PatientPosition::HFS, parameters);
  const double coneWall = seconds(start), coneCpu = cpuSeconds() - cpu;
  start = std::chrono::steady_clock::now();
  cpu = cpuSeconds();
  const PlanDose pencil = computePlanDose(ct, doseGrid, plan, PatientPosition::HFS, {});
  const double pencilWall = seconds(start), pencilCpu = cpuSeconds() - cpu;
  std::printf("| collapsed cone, 7 fields | %.2f s | %.2f s | isocentre %.3f Gy, max %.3f Gy |\n",
              coneWall, coneCpu, cone.isocentreDose_Gy, cone.maxDose_Gy);
  std::printf("| pencil beam, 7 fields | %.2f s | %.2f s | isocentre %.3f Gy, max %.3f Gy |\n",
              pencilWall, pencilCpu, pencil.isocentreDose_Gy, pencil.maxDose_Gy);
  std::printf("collapsed cone / pencil beam wall: %.2f\n", coneWall / pencilWall);
  printLoad("after");
  return 0;
}
