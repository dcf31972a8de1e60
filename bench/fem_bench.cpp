// Tissue FEM solve time against CalculiX on the same deck, in the same run
// (docs/benchmarks.md, "Tissue mechanics"). A brain-sized block (120 x 120 x 75 mm) of
// neo-Hookean brain tissue (C10 1 kPa, D1 100 /MPa) on a fixed base under sideways gravity (a
// head turned on its side): large shear, NLGEOM, first increment a quarter of the load; meshed with
// C3D4 or C3D10 at the given divisions.
//
//   twinplan-fem-bench [--type C3D4|C3D10] [--divisions NX NY NZ] [--dir DIR] [--no-ccx]
//                      [--solver direct|cg|amg]
// prints one JSON object: tets, nodes, dofs, our and ccx's time and the largest difference.
//   twinplan-fem-bench --drag [--divisions NX NY NZ]   (default 18 15 12: 19,440 tets)
// times the co-rotational updates of a dragged tool (dragBench below).
//   twinplan-fem-bench --drag-liver [--resolution MM] [--scale S] [--frames N]
//                      [--cg-tolerance T]
// the same on an organ: the live tool (engine/live_tool.h) on the abdomen phantom's liver, meshed
// at MM (default 10.7: about 20k tets at scale 1), dragged as the Tissue shift panel drags it
// (the live tool's CG tolerance per frame, 0.1 as dragBench; --cg-tolerance to compare)
// (liverDragBench below).
//   twinplan-fem-bench --brain [--resolution MM] [--scale S] [--contact] [--linear]
//                      [--drain-ventricles] [--turned] [--prone] [--radius MM]
//                      [--csf-loss ML] [--fluid-level MM] [--dir DIR] [--no-ccx]
//                      [--trace] [--skull-smoothing MM] [--multigrid-reuse on|off]
//                      [--save-field FILE] [--compare-field FILE]
// brain shift on the head phantom (brainBench below); without --contact the same model runs in
// ccx from the .inp it writes. --save-field writes the nodal displacements (binary doubles);
// --compare-field reads such a file of the same mesh (another solver setting's answer) and
// reports the largest nodal difference, also as a fraction of the largest displacement.
#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "twinplan/engine/live_tool.h"
#include "twinplan/phantom/phantom.h"
#include "twinplan/tissue/box_mesh.h"
#include "twinplan/tissue/brain_shift.h"
#include "twinplan/tissue/corotational.h"
#include "twinplan/tissue/displacement_field.h"
#include "twinplan/tissue/fem_solver.h"
#include "twinplan/tissue/inp_reader.h"

using namespace twinplan::tissue;
using Clock = std::chrono::steady_clock;

// The largest nodal difference between our displacements and the last displacement block of
// ccx's .dat (*NODE PRINT).
double largestDifference(const FeModel& model, const SolveResult& ours,
                         const std::filesystem::path& dat) {
  std::ifstream in(dat);
  std::map<int, std::array<double, 3>> theirs;
  for (std::string line; std::getline(in, line);) {
    if (line.find("displacements (vx,vy,vz)") != std::string::npos) theirs.clear();
    std::istringstream fields(line);
    int id = 0;
    std::array<double, 3> u{};
    if (fields >> id >> u[0] >> u[1] >> u[2]) theirs[id] = u;
  }
  if (theirs.size() != model.nodes.size()) return -1;
  double worst = 0;
  for (std::size_t i = 0; i < model.nodes.size(); ++i) {
    const auto& a = ours.displacement_mm[i];
    const auto& b = theirs[model.nodes[i].id];
    worst =
        std::max(worst, std::sqrt((a[0] - b[0]) * (a[0] - b[0]) + (a[1] - b[1]) * (a[1] - b[1]) +
                                  (a[2] - b[2]) * (a[2] - b[2])));
  }
  return worst;
}

// Interactive co-rotational updates (issue #18 item 7): a liver-sized block 150 x 120 x 100 mm
// (E 4 kPa, nu 0.45), its base fixed, and a tool (the top-face nodes within 10 mm of the
// centre, all three dofs prescribed) indenting 6 mm and dragging 15 mm sideways over `frames`
// updates. Each update moves the tool, re-rotates every element and makes one warped-stiffness
// solve; at the end a converged static solve measures how far the tracked state lags.
int dragBench(std::array<int, 3> divisions, int frames) {
  const BoxMeshSpec spec{{150, 120, 100}, divisions, ElementType::C3D4, 0};
  const FeModel model = parseInp(boxMeshDeck(spec) +
                                     "*MATERIAL, NAME=LIVER\n*ELASTIC\n0.004, 0.45\n"
                                     "*SOLID SECTION, ELSET=EALL, MATERIAL=LIVER\n",
                                 "drag.inp");
  std::vector<std::size_t> dofs;
  std::vector<std::size_t> toolNodes;
  for (std::size_t n : model.nodeSets.at("Z0"))
    for (std::size_t d = 0; d < 3; ++d) dofs.push_back(3 * n + d);
  const std::size_t toolStart = dofs.size();
  for (std::size_t n : model.nodeSets.at("Z1")) {
    const auto& x = model.nodes[n].x_mm;
    if (std::hypot(x[0] - 75, x[1] - 60) <= 10) {
      toolNodes.push_back(n);
      for (std::size_t d = 0; d < 3; ++d) dofs.push_back(3 * n + d);
    }
  }
  auto start = Clock::now();
  CorotationalModel corotational(model, dofs);
  const double setup_s = std::chrono::duration<double>(Clock::now() - start).count();
  std::vector<double> values(dofs.size(), 0.0);
  auto place = [&](double t) {  // t in [0, 1]: indent first, then drag
    for (std::size_t k = 0; k < toolNodes.size(); ++k) {
      values[toolStart + 3 * k + 0] = 15 * std::max(0.0, 2 * t - 1);
      values[toolStart + 3 * k + 2] = -6 * std::min(1.0, 2 * t);
    }
  };
  CorotationalOptions interactive;
  interactive.maximumIterations = 1;
  interactive.iterativeTolerance = 0.1;  // the next frames refine what this one leaves
  interactive.lineSearch = false;
  long cg = 0;
  double worstRelative = 0;
  start = Clock::now();
  const std::clock_t cpuStart = std::clock();
  for (int f = 1; f <= frames; ++f) {
    place(double(f) / frames);
    const CorotationalReport r = corotational.solve(values, {}, interactive);
    cg += r.cgIterations;
    worstRelative = std::max(worstRelative, r.relativeResidual);
  }
  const double drag_s = std::chrono::duration<double>(Clock::now() - start).count();
  const double dragCpu_s = double(std::clock() - cpuStart) / CLOCKS_PER_SEC;
  const Eigen::VectorXd tracked = corotational.displacement();
  const CorotationalReport converged = corotational.solve(values);
  const double lag_mm = (corotational.displacement() - tracked).cwiseAbs().maxCoeff();
  std::printf(
      "{\"mode\": \"drag\", \"tets\": %zu, \"nodes\": %zu, \"tool_nodes\": %zu, "
      "\"setup_s\": %.3f, \"frames\": %d, \"updates_per_s\": %.1f, \"ms_per_update\": %.2f, "
      "\"cpu_ms_per_update\": %.2f, "
      "\"cg_per_update\": %.1f, \"worst_relative_residual\": %.3g, "
      "\"converged_after_extra_solves\": %d, \"lag_behind_converged_mm\": %.3g, "
      "\"max_displacement_mm\": %.3g}\n",
      model.elements.size(), model.nodes.size(), toolNodes.size(), setup_s, frames, frames / drag_s,
      1000 * drag_s / frames, 1000 * dragCpu_s / frames, double(cg) / frames, worstRelative,
      converged.iterations, lag_mm, corotational.displacement().cwiseAbs().maxCoeff());
  return 0;
}

// Interactive updates on an organ (issue #18 item 7, "a 20k-tet organ"): the abdomen phantom's
// liver meshed by the labelmap mesher, held on its posterior half, grabbed under a 5 mm flat tip
// at its most anterior surface point, pressed 6 mm posteriorly and dragged 15 mm to the left
// over `frames` live-tool updates (one warped-stiffness solve each, as a drag frame in the
// GUI), then converged to measure how far the tracked state lags.
int liverDragBench(double resolution_mm, double scale, int frames,
                   std::optional<double> cgTolerance) {
  twinplan::phantom::PhantomOptions o;
  o.kind = twinplan::phantom::PhantomKind::Abdomen;
  o.scale = scale;
  o.surfaceModels = false;
  const twinplan::phantom::Phantom abdomen = twinplan::phantom::makePhantom(o);
  twinplan::engine::LiverToolSettings liver;  // organ "liver", A -> P, 5 mm flat tip
  const auto setupStart = Clock::now();
  twinplan::engine::LiveToolSession session(abdomen.twin.labelMaps.at(0), liver, std::nullopt,
                                            resolution_mm);
  const double setup_s = std::chrono::duration<double>(Clock::now() - setupStart).count();
  const twinplan::Vec3 press = session.direction(), left(1, 0, 0);
  auto offset = [&](double t) {  // t in [0, 1]: press first, then drag
    return twinplan::Vec3(6 * std::min(1.0, 2 * t) * press + 15 * std::max(0.0, 2 * t - 1) * left);
  };
  long cg = 0;
  double worstRelative = 0, slowest_s = 0, targets_s = 0;
  std::clock_t targetsCpu = 0;
  const twinplan::Vec3 probe = session.grabPoint() + 10 * press;  // 10 mm under the tip
  const auto start = Clock::now();
  const std::clock_t cpuStart = std::clock();
  for (int f = 1; f <= frames; ++f) {
    const twinplan::engine::LiveToolUpdate u =
        session.update(offset(double(f) / frames), 1, cgTolerance);
    cg += u.cgIterations;
    worstRelative = std::max(worstRelative, u.relativeResidual);
    slowest_s = std::max(slowest_s, u.seconds);
    // What the GUI adds per frame for each plan target (live_tool_driver.cpp).
    const auto targetStart = Clock::now();
    const std::clock_t targetCpuStart = std::clock();
    session.displacementAt(probe);
    targets_s += std::chrono::duration<double>(Clock::now() - targetStart).count();
    targetsCpu += std::clock() - targetCpuStart;
  }
  const double drag_s = std::chrono::duration<double>(Clock::now() - start).count() - targets_s;
  const double dragCpu_s = double(std::clock() - cpuStart - targetsCpu) / CLOCKS_PER_SEC;
  const twinplan::Vec3 tracked = session.displacementAt(probe);
  const twinplan::engine::LiveToolUpdate converged = session.update(offset(1), 30);
  const double lag_mm = (session.displacementAt(probe) - tracked).norm();
  std::printf(
      "{\"mode\": \"drag-liver\", \"resolution_mm\": %.2f, \"scale\": %.2f, \"tets\": %zu, "
      "\"cg_tolerance\": %.3g, "
      "\"grabbed_nodes\": %zu, \"setup_s\": %.3f, \"frames\": %d, \"updates_per_s\": %.1f, "
      "\"ms_per_update\": %.2f, \"slowest_update_ms\": %.2f, \"cpu_ms_per_update\": %.2f, "
      "\"cg_per_update\": %.1f, \"worst_relative_residual\": %.3g, "
      "\"lag_10mm_under_tip_mm\": %.3g, \"converged_relative_residual\": %.3g, "
      "\"max_displacement_mm\": %.3g, \"target_lookup_ms\": %.2f}\n",
      resolution_mm, scale, session.tetCount(), cgTolerance.value_or(0.1), session.grabbedNodes(),
      setup_s, frames, frames / drag_s, 1000 * drag_s / frames, 1000 * slowest_s,
      1000 * dragCpu_s / frames, double(cg) / frames, worstRelative, lag_mm,
      converged.relativeResidual, converged.maxDisplacement_mm, 1000 * targets_s / frames);
  return 0;
}

// The brain-shift model as a CalculiX deck: the mesh, neo-Hookean or linear materials with
// CSF's density, the held nodes, gravity on the drained elements, one NLGEOM step in quarter
// increments. Contact and ventricle pressures are not written (ccx's rigid-surface contact
// is not used here).
std::string brainDeck(const FeModel& model) {
  std::ostringstream deck;
  deck << meshDeck(model);
  for (const Material& m : model.materials) {
    std::string name = m.name;
    for (char& c : name) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    deck << "*MATERIAL, NAME=" << name << "\n";
    if (m.law == MaterialLaw::NeoHooke)
      deck << "*HYPERELASTIC, NEO HOOKE\n" << m.c10_MPa << ", " << m.d1_perMPa << "\n";
    else
      deck << "*ELASTIC\n" << m.youngsModulus_MPa << ", " << m.poissonsRatio << "\n";
    deck << "*DENSITY\n" << m.density_t_per_mm3 << "\n";
    deck << "*SOLID SECTION, ELSET=" << name << ", MATERIAL=" << name << "\n";
  }
  deck.precision(17);
  deck << "*NSET, NSET=HELD\n";
  std::size_t count = 0;
  for (const PrescribedDisplacement& b : model.fixedBoundaries)
    if (b.dof == 0) deck << model.nodes[b.node].id << (++count % 12 ? ", " : "\n");
  deck << "\n*BOUNDARY\nHELD, 1, 3\n";
  const Step& step = model.steps.at(0);
  deck << (step.nlgeom ? "*STEP, NLGEOM, INC=1000\n*STATIC\n0.25, 1\n" : "*STEP\n*STATIC\n");
  for (const GravityLoad& g : step.gravity) {
    deck << "*ELSET, ELSET=DRAINED\n";
    count = 0;
    for (std::size_t e : g.elements) deck << model.elements[e].id << (++count % 12 ? ", " : "\n");
    deck << "\n*DLOAD\nDRAINED, GRAV, " << g.acceleration_mm_s2 << ", " << g.direction[0] << ", "
         << g.direction[1] << ", " << g.direction[2] << "\n";
  }
  deck << "*NODE PRINT, NSET=NALL\nU\n*END STEP\n";
  return deck.str();
}

// Nodal displacements of a brain-shift run, to compare solver settings on the same mesh: the node
// count, then x, y, z per node, as doubles in this machine's byte order.
void saveField(const std::filesystem::path& file, const SolveResult& solution) {
  std::ofstream out(file, std::ios::binary);
  const std::size_t count = solution.displacement_mm.size();
  out.write(reinterpret_cast<const char*>(&count), sizeof count);
  out.write(reinterpret_cast<const char*>(solution.displacement_mm.data()),
            static_cast<std::streamsize>(count * sizeof(std::array<double, 3>)));
  if (!out) std::fprintf(stderr, "could not write %s\n", file.c_str());
}

// The largest nodal distance between `solution` and a field saveField wrote; -1 when the file
// is missing or holds another mesh's node count.
double fieldDifference_mm(const std::filesystem::path& file, const SolveResult& solution) {
  std::ifstream in(file, std::ios::binary);
  std::size_t count = 0;
  in.read(reinterpret_cast<char*>(&count), sizeof count);
  if (!in || count != solution.displacement_mm.size()) return -1;
  std::vector<std::array<double, 3>> other(count);
  in.read(reinterpret_cast<char*>(other.data()),
          static_cast<std::streamsize>(count * sizeof(std::array<double, 3>)));
  if (!in) return -1;
  double largest = 0;
  for (std::size_t n = 0; n < count; ++n) {
    const auto& a = solution.displacement_mm[n];
    const auto& b = other[n];
    largest = std::max(largest, std::hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]));
  }
  return largest;
}

// One line per Newton iteration on stderr (--trace): where a contact solve spends its iterations.
void printNewtonTrace(const NewtonTrace& t) {
  std::fprintf(stderr,
               "attempt %d lambda %.4f it %2d residual %.3g (tol %.3g) gap %.3g set %d (+%d -%d) "
               "krylov %d%s slope %.3g -> %.3g indefinite %d%s\n",
               t.attempt, t.loadFactor, t.iteration, t.residual_N, t.tolerance_N, t.gapError_mm,
               t.contactNodes, t.joined, t.left, t.krylovIterations,
               t.hierarchyBuilt ? " built" : "", t.energySlopeStart, t.energySlopeFullStep,
               t.indefiniteCurvatureNodes, t.converged ? " CONVERGED" : "");
}

// Brain shift on the head phantom (224 x 224 x 96 at 1 x 1 x 2 mm), supine, the opening over
// the tumour (25 mm radius), all CSF drained: mesh, solve and the figures docs/validation.md
// quotes; without --contact the same model (surface held) is also solved by ccx.
int brainBench(int argc, char** argv) {
  using twinplan::Vec3;
  twinplan::tissue::BrainShiftParameters p;
  std::filesystem::path dir = std::filesystem::temp_directory_path() / "twinplan-brain-bench";
  bool runCcx = true;
  std::filesystem::path saveTo, compareWith;
  bool departure = false;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--skull-departure")) departure = true;
    if (!std::strcmp(argv[i], "--save-field") && i + 1 < argc) saveTo = argv[++i];
    if (!std::strcmp(argv[i], "--compare-field") && i + 1 < argc) compareWith = argv[++i];
    if (!std::strcmp(argv[i], "--resolution") && i + 1 < argc)
      p.resolution_mm = std::atof(argv[++i]);
    if (!std::strcmp(argv[i], "--contact")) p.skullContact = true;
    if (!std::strcmp(argv[i], "--linear")) p.neoHookean = false;
    if (!std::strcmp(argv[i], "--drain-ventricles")) p.drainVentricles = true;
    if (!std::strcmp(argv[i], "--turned")) p.headRotation_deg = -90;
    if (!std::strcmp(argv[i], "--prone")) p.patientPosition = "HFP";
    if (!std::strcmp(argv[i], "--radius") && i + 1 < argc)
      p.openingRadius_mm = std::atof(argv[++i]);
    if (!std::strcmp(argv[i], "--csf-loss") && i + 1 < argc) p.csfLoss_ml = std::atof(argv[++i]);
    if (!std::strcmp(argv[i], "--fluid-level") && i + 1 < argc)
      p.fluidLevel_mm = std::atof(argv[++i]);
    if (!std::strcmp(argv[i], "--no-ccx")) runCcx = false;
    if (!std::strcmp(argv[i], "--dir") && i + 1 < argc) dir = argv[++i];
    if (!std::strcmp(argv[i], "--trace")) p.solverTrace = printNewtonTrace;
    if (!std::strcmp(argv[i], "--multigrid-reuse") && i + 1 < argc)
      p.multigridSetUpReuse = std::strcmp(argv[++i], "off") != 0;
    if (!std::strcmp(argv[i], "--skull-smoothing") && i + 1 < argc)
      p.skullSmoothing_mm = std::atof(argv[++i]);
    if (!std::strcmp(argv[i], "--load-increment") && i + 1 < argc)
      p.loadIncrement = std::atof(argv[++i]);
    if (!std::strcmp(argv[i], "--skull-smoothing-voxels") && i + 1 < argc)
      p.skullSmoothing_voxels = std::atof(argv[++i]);
  }
  twinplan::phantom::PhantomOptions options;
  for (int i = 1; i + 1 < argc; ++i)
    if (!std::strcmp(argv[i], "--scale")) options.scale = std::atof(argv[i + 1]);
  options.kind = twinplan::phantom::PhantomKind::Head;
  options.surfaceModels = false;
  const twinplan::phantom::Phantom phantom = twinplan::phantom::makePhantom(options);
  const twinplan::LabelMap& labels = phantom.twin.labelMaps.at(0);
  const Vec3 tumour = phantom.tumours.at(0).centre_lps;
  p.openingToward_lps = std::array<double, 3>{tumour.x(), tumour.y(), tumour.z()};
  if (departure) {  // only the smoothed skull against the labelmap's voxel faces; no solve
    const twinplan::tissue::SurfaceDeparture d = skullSurfaceDeparture(labels, p);
    const Vec3 sigma = skullSmoothingSigma_mm(p, labels.geometry());
    std::printf("{\"skull_sigma_mm\": [%g, %g, %g], \"skull_faces\": %zu, "
                "\"skull_departure_max_mm\": %.4f, \"skull_departure_rms_mm\": %.4f, "
                "\"faces_beyond_half_a_voxel\": %zu}\n",
                sigma.x(), sigma.y(), sigma.z(), d.faces, d.largest_mm, d.rms_mm,
                d.beyondHalfVoxel);
    return 0;
  }
  auto start = Clock::now();
  const BrainShiftResult r = simulateBrainShift(labels, p);
  const double total_s = std::chrono::duration<double>(Clock::now() - start).count();
  const FeModel& model = r.mesh.model;
  const DisplacementInterpolator u(model, r.solution.displacement_mm);
  const TargetShift t = shiftTarget(u, "tumour", tumour);
  double opening = 0, elsewhere = 0;
  for (std::size_t n : model.nodeSets.at("SURFACE")) {
    const auto& d = r.solution.displacement_mm[n];
    const auto& x = model.nodes[n].x_mm;
    const double m = std::sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2]);
    if ((Vec3(x[0], x[1], x[2]) - r.openingCentre_lps).norm() <= p.openingRadius_mm)
      opening = std::max(opening, m);
    else
      elsewhere = std::max(elsewhere, m);
  }
  double ccx_s = -1, ccxDifference_mm = -1;
  if (runCcx && !p.skullContact && !p.drainVentricles) {
    std::filesystem::create_directories(dir);
    std::ofstream(dir / "brain.inp") << brainDeck(model);
    start = Clock::now();
    const std::string command = "cd '" + dir.string() + "' && ccx -i brain > ccx.log 2>&1";
    if (std::system(command.c_str()) != 0)
      std::fprintf(stderr, "ccx failed: see %s/ccx.log\n", dir.c_str());
    ccx_s = std::chrono::duration<double>(Clock::now() - start).count();
    ccxDifference_mm = largestDifference(model, r.solution, dir / "brain.dat");
  }
  if (!saveTo.empty()) saveField(saveTo, r.solution);
  const double fieldDifference =
      compareWith.empty() ? -1 : fieldDifference_mm(compareWith, r.solution);
  std::printf(
      "{\"mode\": \"brain\", \"contact\": %s, \"neo_hooke\": %s, \"drain_ventricles\": %s, "
      "\"resolution_mm\": %g, \"tets\": %zu, \"nodes\": %zu, \"increments\": %d, "
      "\"iterations\": %d, \"active_set_changes\": %d, \"contact_nodes\": %zu, "
      "\"sliding_nodes\": %zu, \"foramen_nodes\": %zu, \"detached_nodes\": %zu, "
      "\"held_nodes\": %zu, \"penetration_mm\": %.3g, \"max_displacement_mm\": %.3f, "
      "\"opening_max_mm\": %.3f, \"surface_elsewhere_max_mm\": %.3f, "
      "\"tumour_shift_mm\": %.3f, \"tumour_shift_lps\": [%.3f, %.3f, %.3f], "
      "\"ventricle_wall_faces\": %zu, \"ventricle_volume_loss_ml\": %.3f, "
      "\"solve_s\": %.3f, \"total_s\": %.3f, \"ccx_s\": %.3f, "
      "\"largest_difference_from_ccx_mm\": %.3g, \"cg_iterations\": %ld, "
      "\"attempted_increments\": %d, \"multigrid_builds\": %d, \"assembly_s\": %.3f, "
      "\"contact_s\": %.3f, \"multigrid_build_s\": %.3f, \"linear_solve_s\": %.3f, "
      "\"field_difference_mm\": %.3g, \"field_difference_of_max\": %.3g}\n",
      p.skullContact ? "true" : "false", p.neoHookean ? "true" : "false",
      p.drainVentricles ? "true" : "false", p.resolution_mm, model.elements.size(),
      model.nodes.size(), r.solution.steps.at(0).increments, r.solution.totalIterations,
      r.solution.activeSetChanges, r.skullContactNodes, r.slidingNodes, r.foramenNodes,
      r.detachedNodes, r.fixedNodes, r.maxPenetration_mm, r.maxDisplacement_mm, opening, elsewhere,
      t.magnitude_mm, t.shift_mm.x(), t.shift_mm.y(), t.shift_mm.z(), r.ventricleWallFaces,
      r.ventricleVolumeLoss_ml, r.solution.solveTime_s, total_s, ccx_s, ccxDifference_mm,
      r.solution.linearIterations, r.solution.attemptedIncrements, r.solution.multigridBuilds,
      r.solution.times.assembly_s, r.solution.times.contact_s, r.solution.times.multigridBuild_s,
      r.solution.times.linearSolve_s, fieldDifference,
      fieldDifference < 0 ? -1.0 : fieldDifference / r.maxDisplacement_mm);
  return 0;
}

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i)
    if (!std::strcmp(argv[i], "--brain")) return brainBench(argc, argv);
  BoxMeshSpec spec{{120, 120, 75}, {24, 24, 15}, ElementType::C3D4, 0};
  std::filesystem::path dir = std::filesystem::temp_directory_path() / "twinplan-fem-bench";
  bool runCcx = true;
  SolverOptions options;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--type") && i + 1 < argc)
      spec.type = std::strcmp(argv[++i], "C3D10") ? ElementType::C3D4 : ElementType::C3D10;
    else if (!std::strcmp(argv[i], "--divisions") && i + 3 < argc)
      for (int d = 0; d < 3; ++d) spec.divisions[d] = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--dir") && i + 1 < argc)
      dir = argv[++i];
    else if (!std::strcmp(argv[i], "--no-ccx"))
      runCcx = false;
    else if (!std::strcmp(argv[i], "--solver") && i + 1 < argc) {
      const std::string name = argv[++i];
      options.linearSolver = name == "direct" ? LinearSolver::DirectLdlt
                             : name == "cg"   ? LinearSolver::ConjugateGradient
                             : name == "amg"  ? LinearSolver::MultigridConjugateGradient
                                              : LinearSolver::Automatic;
    }
  }
  for (int i = 1; i < argc; ++i)
    if (!std::strcmp(argv[i], "--drag-liver")) {
      double resolution_mm = 10.7, scale = 1;
      std::optional<double> cgTolerance;  // the live tool's own choice
      int frames = 60;
      for (int j = 1; j + 1 < argc; ++j) {
        if (!std::strcmp(argv[j], "--resolution")) resolution_mm = std::atof(argv[j + 1]);
        if (!std::strcmp(argv[j], "--scale")) scale = std::atof(argv[j + 1]);
        if (!std::strcmp(argv[j], "--frames")) frames = std::atoi(argv[j + 1]);
        if (!std::strcmp(argv[j], "--cg-tolerance")) cgTolerance = std::atof(argv[j + 1]);
      }
      return liverDragBench(resolution_mm, scale, frames, cgTolerance);
    }
  for (int i = 1; i < argc; ++i)
    if (!std::strcmp(argv[i], "--drag"))
      return dragBench(spec.divisions == std::array<int, 3>{24, 24, 15}
                           ? std::array<int, 3>{18, 15, 12}
                           : spec.divisions,
                       60);
  std::filesystem::create_directories(dir);
  const std::string deck =
      boxMeshDeck(spec) +
      "*MATERIAL, NAME=BRAIN\n*HYPERELASTIC, NEO HOOKE\n0.001, 100\n*DENSITY\n1.04e-9\n"
      "*SOLID SECTION, ELSET=EALL, MATERIAL=BRAIN\n*BOUNDARY\nZ0, 1, 3\n*STEP, NLGEOM\n"
      "*STATIC\n0.25, 1\n*DLOAD\nEALL, GRAV, 9810, 0, 1, 0\n"
      "*NODE PRINT, NSET=NALL\nU\n*END STEP\n";
  std::ofstream(dir / "brain.inp") << deck;

  auto start = Clock::now();
  const FeModel model = readInp(dir / "brain.inp");
  const SolveResult ours = solve(model, options);
  const double ourTime_s = std::chrono::duration<double>(Clock::now() - start).count();
  double largest = 0;
  for (const auto& u : ours.displacement_mm)
    largest = std::max(largest, std::sqrt(u[0] * u[0] + u[1] * u[1] + u[2] * u[2]));

  double ccxTime_s = -1, ccxDifference_mm = -1;
  if (runCcx) {
    start = Clock::now();
    const std::string command = "cd '" + dir.string() + "' && ccx -i brain > ccx.log 2>&1";
    if (std::system(command.c_str()) != 0)
      std::fprintf(stderr, "ccx failed: see %s/ccx.log\n", dir.c_str());
    ccxTime_s = std::chrono::duration<double>(Clock::now() - start).count();
    ccxDifference_mm = largestDifference(model, ours, dir / "brain.dat");
  }
  std::printf(
      "{\"type\": \"%s\", \"tets\": %zu, \"nodes\": %zu, \"dofs\": %zu, \"increments\": %d, "
      "\"iterations\": %d, \"max_displacement_mm\": %.6g, \"twinplan_s\": %.3f, \"ccx_s\": %.3f, "
      "\"largest_difference_from_ccx_mm\": %.3g, \"cg_iterations\": %ld, \"multigrid_builds\": "
      "%d}\n",
      spec.type == ElementType::C3D4 ? "C3D4" : "C3D10", model.elements.size(), model.nodes.size(),
      3 * model.nodes.size(), ours.steps[0].increments, ours.totalIterations, largest, ourTime_s,
      ccxTime_s, ccxDifference_mm, ours.linearIterations, ours.multigridBuilds);
  return 0;
}
