#include "twinplan/tissue/fem_solver.h"

#include <Eigen/Eigenvalues>
#include <Eigen/Geometry>
#include <Eigen/IterativeLinearSolvers>
#include <Eigen/LU>
#include <Eigen/SparseCholesky>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>
#include <map>
#include <optional>
#include <string>

#include "multigrid.h"
#include "tet_elements.h"
#include "twinplan/core/error.h"
#include "twinplan/core/parallel.h"
#include "twinplan/tissue/material_law.h"
#include "twinplan/tissue/surface_traction.h"

namespace twinplan::tissue {
namespace {

using detail::ShapeGradients;
using Eigen::Matrix3d;
using Eigen::VectorXd;
using ElementVector = Eigen::Matrix<double, Eigen::Dynamic, 1, 0, 30, 1>;
using ElementMatrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, 0, 30, 30>;
using SparseMatrix = Eigen::SparseMatrix<double>;  // lower triangle, column major

constexpr std::size_t kGrain = 64;  // elements per parallel chunk

// Reference-configuration gradients and volumes of every quadrature point.
struct ReferenceGeometry {
  std::vector<std::size_t> firstPoint;  // per element, into the arrays below; one past the end
  std::vector<ShapeGradients> dNdX;
  std::vector<double> volume;  // weight * det J
};

ShapeGradients referenceGradients(const FeModel& model, const Element& e,
                                  const std::array<double, 4>& barycentric, double* detJ) {
  const ShapeGradients dNdr = detail::naturalGradients(e.type, barycentric);
  Matrix3d jacobian = Matrix3d::Zero();
  for (std::size_t a = 0; a < e.nodes.size(); ++a)
    for (int i = 0; i < 3; ++i) jacobian.row(i) += model.nodes[e.nodes[a]].x_mm[i] * dNdr.row(a);
  if (detJ) *detJ = jacobian.determinant();
  return dNdr * jacobian.inverse();
}

std::string elementName(const Element& e) { return "element " + std::to_string(e.id); }

ReferenceGeometry referenceGeometry(const FeModel& model) {
  ReferenceGeometry g;
  g.firstPoint.reserve(model.elements.size() + 1);
  std::size_t points = 0;
  for (const Element& e : model.elements) {
    g.firstPoint.push_back(points);
    points += detail::quadrature(e.type).size();
  }
  g.firstPoint.push_back(points);
  g.dNdX.resize(points);
  g.volume.resize(points);
  parallel::parallelFor({0, model.elements.size()}, kGrain, [&](parallel::IndexRange r) {
    for (std::size_t k = r.begin; k < r.end; ++k) {
      const Element& e = model.elements[k];
      std::size_t q = g.firstPoint[k];
      for (const detail::QuadraturePoint& p : detail::quadrature(e.type)) {
        double detJ = 0;
        g.dNdX[q] = referenceGradients(model, e, p.barycentric, &detJ);
        g.volume[q] = p.weight * detJ;
        ++q;
      }
    }
  });
  for (std::size_t k = 0; k < model.elements.size(); ++k)
    for (std::size_t q = g.firstPoint[k]; q < g.firstPoint[k + 1]; ++q)
      if (!(g.volume[q] > 0))
        throw Error(ErrorKind::InvalidInput,
                    model.name + ": " + elementName(model.elements[k]) +
                        " is inverted or flat in the undeformed mesh (its Jacobian is not "
                        "positive); list its nodes in Abaqus order (the 4th corner on the side "
                        "the right-hand normal of corners 1-2-3 points to).",
                    model.name);
  return g;
}

// The lower triangle of the stiffness pattern: dofs of nodes that share an element.
SparseMatrix stiffnessPattern(const FeModel& model) {
  std::vector<std::vector<std::size_t>> neighbours(model.nodes.size());
  for (const Element& e : model.elements)
    for (std::size_t a : e.nodes)
      for (std::size_t b : e.nodes)
        if (b >= a) neighbours[a].push_back(b);
  std::size_t entries = 0;
  for (auto& n : neighbours) {
    std::sort(n.begin(), n.end());
    n.erase(std::unique(n.begin(), n.end()), n.end());
    entries += 3 * 3 * n.size();
  }
  const auto dofs = static_cast<Eigen::Index>(3 * model.nodes.size());
  SparseMatrix k(dofs, dofs);
  k.reserve(static_cast<Eigen::Index>(entries));
  for (std::size_t node = 0; node < model.nodes.size(); ++node)
    for (int c = 0; c < 3; ++c) {
      const auto col = static_cast<Eigen::Index>(3 * node + c);
      k.startVec(col);
      for (std::size_t other : neighbours[node])
        for (int r = 0; r < 3; ++r) {
          const auto row = static_cast<Eigen::Index>(3 * other + r);
          if (row >= col) k.insertBack(row, col) = 0;
        }
    }
  k.finalize();
  return k;
}

double& entry(SparseMatrix& k, Eigen::Index row, Eigen::Index col) {
  const int* rows = k.innerIndexPtr();
  const int* begin = rows + k.outerIndexPtr()[col];
  const int* end = rows + k.outerIndexPtr()[col + 1];
  return k.valuePtr()[std::lower_bound(begin, end, static_cast<int>(row)) - rows];
}

// What one evaluation of the model at a displacement gives.
struct Evaluation {
  VectorXd internalForce;  // all dofs
  std::optional<std::size_t> invertedElement;
};

class Assembler {
 public:
  Assembler(const FeModel& model, const ReferenceGeometry& geometry)
      : model_(model),
        geometry_(geometry),
        colours_(detail::colourElements(model)),
        stiffness_(stiffnessPattern(model)) {}

  SparseMatrix& stiffness() { return stiffness_; }

  // Internal forces at u, and the tangent stiffness into stiffness() when `withTangent`.
  Evaluation evaluate(const VectorXd& u, bool finiteStrain, bool withTangent) {
    Evaluation out;
    out.internalForce = VectorXd::Zero(u.size());
    if (withTangent) std::fill_n(stiffness_.valuePtr(), stiffness_.nonZeros(), 0.0);
    std::vector<char> inverted(model_.elements.size(), 0);
    for (const std::vector<std::size_t>& colour : colours_) {
      // A small colour runs on this thread: waking the pool would cost more than it saves.
      const std::size_t grain = colour.size() < 2 * kGrain ? colour.size() : kGrain;
      parallel::parallelFor({0, colour.size()}, std::max<std::size_t>(grain, 1),
                            [&](parallel::IndexRange r) {
                              ElementVector f;
                              ElementMatrix k;
                              for (std::size_t i = r.begin; i < r.end; ++i) {
                                const std::size_t e = colour[i];
                                if (!element(e, u, finiteStrain, f, withTangent ? &k : nullptr)) {
                                  inverted[e] = 1;
                                  continue;
                                }
                                scatter(e, f, withTangent ? &k : nullptr, out.internalForce);
                              }
                            });
    }
    const auto first = std::find(inverted.begin(), inverted.end(), 1);
    if (first != inverted.end())
      out.invertedElement = static_cast<std::size_t>(first - inverted.begin());
    return out;
  }

 private:
  // Total Lagrangian element (Bathe, Finite Element Procedures, 1996, section 6.2.3):
  // f = sum_q B^T S dV0, K = sum_q (B^T D B + G^T S G) dV0; with F = I and no geometric part
  // under small strain. Returns false when det F <= 0 at a quadrature point (where CalculiX
  // and Abaqus check it too).
  bool element(std::size_t e, const VectorXd& u, bool finiteStrain, ElementVector& f,
               ElementMatrix* k) const {
    const Element& el = model_.elements[e];
    const Material& material = model_.materials[static_cast<std::size_t>(el.material)];
    const auto n = static_cast<Eigen::Index>(el.nodes.size());
    f.setZero(3 * n);
    if (k) k->setZero(3 * n, 3 * n);
    Eigen::Matrix<double, 6, Eigen::Dynamic, 0, 6, 30> b(6, 3 * n);
    for (std::size_t q = geometry_.firstPoint[e]; q < geometry_.firstPoint[e + 1]; ++q) {
      const ShapeGradients& g = geometry_.dNdX[q];
      const Matrix3d F = deformationGradient(el, g, u);
      if (finiteStrain && !(F.determinant() > 0)) return false;
      const StressResponse response = materialResponse(material, F, finiteStrain);
      const Matrix3d& S = response.secondPiolaKirchhoff_MPa;
      const Matrix3d Fb = finiteStrain ? F : Matrix3d::Identity();
      for (Eigen::Index a = 0; a < n; ++a)
        for (int i = 0; i < 3; ++i) {
          const Eigen::Index c = 3 * a + i;
          b(0, c) = Fb(i, 0) * g(a, 0);
          b(1, c) = Fb(i, 1) * g(a, 1);
          b(2, c) = Fb(i, 2) * g(a, 2);
          b(3, c) = Fb(i, 0) * g(a, 1) + Fb(i, 1) * g(a, 0);
          b(4, c) = Fb(i, 1) * g(a, 2) + Fb(i, 2) * g(a, 1);
          b(5, c) = Fb(i, 0) * g(a, 2) + Fb(i, 2) * g(a, 0);
        }
      const double dV = geometry_.volume[q];
      Eigen::Matrix<double, 6, 1> s;
      s << S(0, 0), S(1, 1), S(2, 2), S(0, 1), S(1, 2), S(0, 2);
      f.noalias() += dV * (b.transpose() * s);
      if (!k) continue;
      k->noalias() += dV * (b.transpose() * response.tangent_MPa * b);
      if (!finiteStrain) continue;
      const ElementMatrix gsg = dV * (g * S * g.transpose());
      for (Eigen::Index a = 0; a < n; ++a)
        for (Eigen::Index c = 0; c < n; ++c)
          for (int i = 0; i < 3; ++i) (*k)(3 * a + i, 3 * c + i) += gsg(a, c);
    }
    return true;
  }

  static Matrix3d deformationGradient(const Element& el, const ShapeGradients& g,
                                      const VectorXd& u) {
    Matrix3d F = Matrix3d::Identity();
    for (std::size_t a = 0; a < el.nodes.size(); ++a)
      F += u.segment<3>(static_cast<Eigen::Index>(3 * el.nodes[a])) *
           g.row(static_cast<Eigen::Index>(a));
    return F;
  }

  void scatter(std::size_t e, const ElementVector& f, const ElementMatrix* k, VectorXd& force) {
    const Element& el = model_.elements[e];
    const auto n = static_cast<Eigen::Index>(el.nodes.size());
    for (Eigen::Index a = 0; a < n; ++a)
      for (int i = 0; i < 3; ++i) force(3 * el.nodes[a] + i) += f(3 * a + i);
    if (!k) return;
    for (Eigen::Index p = 0; p < 3 * n; ++p)
      for (Eigen::Index q = 0; q < 3 * n; ++q) {
        const auto row = static_cast<Eigen::Index>(3 * el.nodes[p / 3] + p % 3);
        const auto col = static_cast<Eigen::Index>(3 * el.nodes[q / 3] + q % 3);
        if (row >= col) entry(stiffness_, row, col) += (*k)(p, q);
      }
  }

  const FeModel& model_;
  const ReferenceGeometry& geometry_;
  std::vector<std::vector<std::size_t>> colours_;
  SparseMatrix stiffness_;
};

// Dead loads: nodal forces and gravity (f_a = integral N_a rho g dV0).
VectorXd deadLoads(const FeModel& model, const ReferenceGeometry& geometry,
                   const std::vector<NodalForce>& forces, const std::vector<GravityLoad>& gravity) {
  VectorXd f = VectorXd::Zero(static_cast<Eigen::Index>(3 * model.nodes.size()));
  for (const NodalForce& p : forces) f(static_cast<Eigen::Index>(3 * p.node) + p.dof) += p.force_N;
  for (const GravityLoad& load : gravity)
    for (std::size_t e : load.elements) {
      const Element& el = model.elements[e];
      const double rho = model.materials[static_cast<std::size_t>(el.material)].density_t_per_mm3;
      std::size_t q = geometry.firstPoint[e];
      for (const detail::QuadraturePoint& p : detail::quadrature(el.type)) {
        const auto shape = detail::shapeValues(el.type, p.barycentric);
        for (std::size_t a = 0; a < el.nodes.size(); ++a)
          for (int i = 0; i < 3; ++i)
            f(static_cast<Eigen::Index>(3 * el.nodes[a]) + i) +=
                shape(static_cast<Eigen::Index>(a)) * rho * load.acceleration_mm_s2 *
                load.direction[i] * geometry.volume[q];
        ++q;
      }
    }
  return f;
}

// Pressure on element faces, integrated on the current surface (a follower load): f_a = p
// integral N_a n dA, n pointing into the element.
struct ActivePressure {
  std::size_t element;
  int face;
  double from_MPa, to_MPa;
};

void addPressure(const FeModel& model, const std::vector<ActivePressure>& pressures, double lambda,
                 const VectorXd& u, bool current, VectorXd& f) {
  for (const ActivePressure& p : pressures) {
    const double pressure = p.from_MPa + lambda * (p.to_MPa - p.from_MPa);
    const detail::FaceGeometry face =
        detail::faceGeometry(model, p.element, p.face, current ? &u : nullptr);
    for (const detail::FacePoint& q : detail::faceQuadrature(face.x))
      for (std::size_t a = 0; a < face.nodes.size(); ++a)
        f.segment<3>(static_cast<Eigen::Index>(3 * face.nodes[a])) +=
            pressure * q.shape[a] * q.areaVector;
  }
}

double maxAbs(const VectorXd& v) { return v.size() ? v.cwiseAbs().maxCoeff() : 0.0; }

// Adds the wall time of its scope to a total (SolveResult::times).
class ScopeTimer {
 public:
  explicit ScopeTimer(double& total_s) : total_s_(total_s) {}
  ~ScopeTimer() {
    total_s_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }
  ScopeTimer(const ScopeTimer&) = delete;
  ScopeTimer& operator=(const ScopeTimer&) = delete;

 private:
  double& total_s_;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

struct Failure {
  std::string reason;
};

// Thrown by the linear solve when the tangent cannot be factorised; solveIncrement turns it into
// an Error (undeformed: a body not held) or a failed increment (deformed: the load).
struct SingularTangent {};

// An update larger than this many times the model's size is divergence, not a Newton step.
constexpr double kDivergedSizes = 10;
// Newton iterations without a new lowest residual after which an increment is given up.
constexpr int kStagnation = 6;
// Newton iterations after which an active set that still changes is taken for cycling; converged
// increments on the head phantom settled their set within 6 (docs/validation.md).
constexpr int kActiveSetPatience = 10;

double boundingDiagonal_mm(const FeModel& model) {
  Eigen::Vector3d lo = Eigen::Vector3d::Constant(1e300), hi = -lo;
  for (const Node& n : model.nodes) {
    const Eigen::Vector3d x(n.x_mm.data());
    lo = lo.cwiseMin(x);
    hi = hi.cwiseMax(x);
  }
  return model.nodes.empty() ? 1.0 : std::max((hi - lo).norm(), 1e-9);
}

class StaticSolver {
 public:
  StaticSolver(const FeModel& model, const SolverOptions& options, Progress& progress)
      : model_(model),
        options_(options),
        progress_(progress),
        geometry_(referenceGeometry(model)),
        assembler_(model, geometry_),
        u_(VectorXd::Zero(static_cast<Eigen::Index>(3 * model.nodes.size()))),
        deadLoad_(VectorXd::Zero(u_.size())),
        modelSize_mm_(boundingDiagonal_mm(model)) {
    iterative_ = options.linearSolver == LinearSolver::ConjugateGradient;
    if (options.linearSolver == LinearSolver::MultigridConjugateGradient ||
        (options.linearSolver == LinearSolver::Automatic && u_.size() > options.directSolverLimit))
      multigrid_.emplace();
    iterativeSolver_.setTolerance(options.iterativeTolerance);
    initialiseSlidingNodes();
  }

  SolveResult run() {
    SolveResult result;
    const auto start = std::chrono::steady_clock::now();
    std::map<std::size_t, double> constraints;  // dof -> value at the end of the last step
    std::vector<NodalForce> forces;
    std::vector<GravityLoad> gravity;
    std::map<std::pair<std::size_t, int>, double> pressures;
    for (const PrescribedDisplacement& b : model_.fixedBoundaries)
      constraints[3 * b.node + static_cast<std::size_t>(b.dof)] = b.value_mm;
    for (std::size_t s = 0; s < model_.steps.size(); ++s) {
      const Step& step = model_.steps[s];
      std::map<std::size_t, std::pair<double, double>> targets;  // dof -> (from, to)
      for (const auto& [dof, value] : constraints)
        targets[dof] = {u_(static_cast<Eigen::Index>(dof)), value};
      for (const PrescribedDisplacement& b : step.boundaries) {
        const std::size_t dof = 3 * b.node + static_cast<std::size_t>(b.dof);
        targets[dof] = {u_(static_cast<Eigen::Index>(dof)), b.value_mm};
        constraints[dof] = b.value_mm;
      }
      forces.insert(forces.end(), step.nodalForces.begin(), step.nodalForces.end());
      for (const NodalForce& f : consistentNodalForces(model_, step.tractions)) forces.push_back(f);
      gravity.insert(gravity.end(), step.gravity.begin(), step.gravity.end());
      std::vector<ActivePressure> active;
      std::map<std::pair<std::size_t, int>, double> previous = pressures;
      for (const FacePressure& p : step.pressures) pressures[{p.element, p.face}] = p.pressure_MPa;
      for (const auto& [key, value] : pressures)
        active.push_back({key.first, key.second, previous.count(key) ? previous[key] : 0.0, value});
      const VectorXd stepLoad = deadLoads(model_, geometry_, forces, gravity);
      if (targets.empty())
        throw Error(ErrorKind::InvalidInput,
                    model_.name + ": step " + std::to_string(s + 1) +
                        " has no *BOUNDARY: the body is free to move as a whole; fix a region "
                        "(e.g. *BOUNDARY with a node set and dofs 1, 3).",
                    model_.name);
      auto stepProgress =
          subRange(progress_, double(s) / model_.steps.size(), double(s + 1) / model_.steps.size());
      result.steps.push_back(runStep(s, step, targets, active, stepLoad, *stepProgress));
      deadLoad_ = stepLoad;
      result.totalIterations += result.steps.back().iterations;
      result.finalResidual = result.steps.back().residual;
    }
    result.displacement_mm.resize(model_.nodes.size());
    for (std::size_t n = 0; n < model_.nodes.size(); ++n)
      for (int i = 0; i < 3; ++i)
        result.displacement_mm[n][i] = u_(static_cast<Eigen::Index>(3 * n + i));
    result.reaction_N.assign(model_.nodes.size(), {0, 0, 0});
    for (const auto& [dof, value] : constraints)
      result.reaction_N[dof / 3][dof % 3] = lastReaction_(static_cast<Eigen::Index>(dof));
    if (!model_.obstacles.empty()) reportContact(result);
    result.linearIterations = linearIterations_;
    result.multigridBuilds = multigridBuilds_;
    result.times = times_;
    result.times.linearSolve_s -= times_.multigridBuild_s;  // builds run inside the solves
    result.attemptedIncrements = attempt_;
    result.solveTime_s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return result;
  }

 private:
  using Targets = std::map<std::size_t, std::pair<double, double>>;

  StepReport runStep(std::size_t s, const Step& step, const Targets& targets,
                     const std::vector<ActivePressure>& pressures, const VectorXd& stepLoad,
                     Progress& progress) {
    StepReport report;
    const bool finite = step.nlgeom;
    double done = 0;
    double increment = finite ? std::min(1.0, step.initialIncrement / step.period) : 1.0;
    const double smallest = std::max(step.minimumIncrement / step.period, 1e-12);
    int cutbacks = 0;
    std::string lastFailure;
    while (done < 1 - 1e-12) {
      progress.report(done, "Solving step " + std::to_string(s + 1));
      progress.check();
      const double lambda = std::min(1.0, done + increment);
      ++attempt_;
      const VectorXd saved = u_;
      for (SlidingNode& c : sliding_) c.changes = 0;
      const std::vector<SlidingNode> savedContact = sliding_;
      int iterations = 0;
      double residual = 0;
      const std::optional<std::string> failure =
          solveIncrement(s, report.increments + 1, lambda, finite, targets, pressures, stepLoad,
                         iterations, residual, progress);
      report.iterations += iterations;
      if (!failure) {
        done = lambda;
        ++report.increments;
        report.residual = residual;
        cutbacks = 0;
        if (report.increments > step.maximumIncrements)
          throw Error(ErrorKind::InvalidInput,
                      model_.name + ": step " + std::to_string(s + 1) + " needs more than " +
                          std::to_string(step.maximumIncrements) +
                          " increments (*STATIC's 4th value); allow more or load less.",
                      model_.name);
        if (iterations <= 4) increment *= 1.5;  // an easy increment: take a longer next one
        continue;
      }
      u_ = saved;
      sliding_ = savedContact;
      increment /= 2;
      if (++cutbacks > options_.maximumCutbacks || increment < smallest)
        throw Error(ErrorKind::InvalidInput,
                    model_.name + ": step " + std::to_string(s + 1) + " (line " +
                        std::to_string(step.line) + ") did not converge: " + *failure +
                        "; it was retried with the increment halved " +
                        std::to_string(cutbacks - 1) +
                        " times. Apply the load in smaller steps or check the boundary "
                        "conditions and materials.",
                    model_.name);
    }
    return report;
  }

  // One load increment to load factor `lambda`: Newton with a backtracking line search.
  // Returns why it failed, or nothing when it converged.
  std::optional<std::string> solveIncrement(std::size_t s, int incrementNumber, double lambda,
                                            bool finite, const Targets& targets,
                                            const std::vector<ActivePressure>& pressures,
                                            const VectorXd& stepLoad, int& iterations,
                                            double& residual, Progress& progress) {
    const VectorXd externalDead = deadLoad_ + lambda * (stepLoad - deadLoad_);
    rampFactor_ = s == 0 ? lambda : 1.0;
    const std::string where = "increment " + std::to_string(incrementNumber) + " (load factor " +
                              std::to_string(lambda) + ")";
    auto external = [&](const VectorXd& u) {
      VectorXd f = externalDead;
      addPressure(model_, pressures, lambda, u, finite, f);
      addContactForces(u, f);
      return f;
    };
    std::vector<char> prescribed(static_cast<std::size_t>(u_.size()), 0);
    for (const auto& [dof, fromTo] : targets) prescribed[dof] = 1;
    // Contact makes even a small-strain step nonlinear: its tangent changes with the nodes in
    // contact.
    const bool contact = !model_.obstacles.empty();
    bool tangentReady = false;
    // Newton that makes no progress (the residual above its best for kStagnation iterations)
    // will not converge here: the increment is cut back at once instead of at the iteration
    // limit, so that a load the model cannot carry is refused in seconds. Not with active-set
    // contact, whose residual rises for a few iterations while the set settles.
    inversion_.clear();
    double bestResidual = std::numeric_limits<double>::infinity();
    int sinceBest = 0;
    for (iterations = 0; iterations <= options_.maximumIterations; ++iterations) {
      progress.check();
      const bool withTangent = finite || !tangentReady || contact;
      Evaluation eval = evaluate(u_, finite, withTangent);
      if (eval.invertedElement)
        return where + ": " + elementName(model_.elements[*eval.invertedElement]) + " inverted";
      if (withTangent && contact) addContactStiffness(u_);
      const VectorXd fext = external(u_);
      const VectorXd r = eval.internalForce - fext;
      lastReaction_ = r;
      const double scale = std::max(maxAbs(fext), maxAbs(eval.internalForce));
      lastForceTolerance_ = options_.relativeResidual * scale;
      // Prescribed dofs in the nodes' frames: the model's boundaries (global axes) and the
      // normal of every node in active-set contact (its local axis 0).
      std::vector<char> constrained = prescribed;
      VectorXd correction = VectorXd::Zero(u_.size());
      double constraintError = 0;
      for (const auto& [dof, fromTo] : targets) {
        const auto i = static_cast<Eigen::Index>(dof);
        correction(i) = fromTo.first + lambda * (fromTo.second - fromTo.first) - u_(i);
        constraintError = std::max(constraintError, std::abs(correction(i)));
      }
      bool setChanged = false;
      double gapError = 0;
      SetChange change;
      if (!sliding_.empty()) {
        ScopeTimer timer(times_.contact_s);
        updateGaps(u_);
        change = updateActiveSet(r, options_.relativeResidual * scale, iterations > 0);
        setChanged = change.joined + change.left > 0;
        if (setChanged) ++activeSetChanges_;
        moveHeldAxesToFrames(constrained, correction);
        for (const SlidingNode& c : sliding_) {
          if (!c.active) continue;
          const auto i = static_cast<Eigen::Index>(3 * c.node);
          constrained[3 * c.node] = 1;
          correction(i) = -c.gap_mm / c.slope;  // along the normal: close the gap
          gapError = std::max(gapError, std::abs(c.gap_mm));
        }
      }
      const VectorXd rLocal = toLocal(r);
      residual = 0;
      for (Eigen::Index i = 0; i < rLocal.size(); ++i)
        if (!constrained[static_cast<std::size_t>(i)])
          residual = std::max(residual, std::abs(rLocal(i)));
      const double displacementScale = std::max(maxAbs(u_), 1e-300);
      const bool converged = !setChanged && constraintError <= 1e-12 * displacementScale &&
                             gapError <= options_.contactGapTolerance_mm &&
                             residual <= options_.relativeResidual * scale;
      if (options_.trace)
        traceIteration(s, lambda, iterations, residual, options_.relativeResidual * scale, gapError,
                       change, converged);
      if (converged) return std::nullopt;
      if (residual < bestResidual) {
        bestResidual = residual;
        sinceBest = 0;
      } else if (++sinceBest >= kStagnation && sliding_.empty()) {
        return where + ": Newton is not converging (no progress in " + std::to_string(kStagnation) +
               " iterations, largest residual force " + std::to_string(residual) + " N" +
               (inversion_.empty() ? std::string()
                                   : "; " + inversion_ + " inverted along the line search") +
               ")";
      }
      // An active set still changing after kActiveSetPatience iterations cycles between
      // neighbouring sets (a load step too long for the contact to follow): cut back now
      // rather than at the iteration limit.
      if (setChanged && iterations >= kActiveSetPatience)
        return where + ": the contact set still changes after " + std::to_string(iterations) +
               " Newton iterations (" + std::to_string(activeNodeCount()) + " nodes in contact)";
      if (iterations == options_.maximumIterations)
        return where + ": not converged after " + std::to_string(iterations) +
               " Newton iterations, largest residual force " + std::to_string(residual) + " N" +
               (sliding_.empty() ? std::string()
                                 : ", " + std::to_string(activeNodeCount()) +
                                       " nodes in contact, largest gap error " +
                                       std::to_string(gapError) + " mm");
      if (withTangent && !sliding_.empty()) {
        ScopeTimer timer(times_.contact_s);
        addCurvatureStiffness(r);
        rotateStiffness();
      }
      VectorXd rhs = -rLocal - stiffnessTimes(correction);  // before factorize() edits K
      for (std::size_t i = 0; i < constrained.size(); ++i)
        if (constrained[i]) rhs(static_cast<Eigen::Index>(i)) = 0;
      // A singular tangent in the undeformed state is a body not held; once deformed, it is
      // the load: the model buckles or is loaded beyond what it can carry, and the increment is
      // cut back (and, at the end, refused naming it) instead.
      const bool undeformed = maxAbs(u_) == 0;
      VectorXd update;
      try {
        ScopeTimer timer(times_.linearSolve_s);
        if (withTangent) factorize(constrained, s);
        tangentReady = true;
        update = solveLinear(rhs, finite);
        if (!update.allFinite()) throw SingularTangent{};
      } catch (const SingularTangent&) {
        if (undeformed)
          throw Error(ErrorKind::InvalidInput,
                      model_.name + ": the stiffness of step " + std::to_string(s + 1) +
                          " is singular; hold the body against rigid motion with *BOUNDARY (at "
                          "least 6 independent displacement components).",
                      model_.name);
        return where + ", iteration " + std::to_string(iterations + 1) +
               ": the tangent stiffness became singular (largest residual force " +
               std::to_string(residual) + " N)";
      }
      // Newton diverging: a step larger than the model itself is no longer a correction.
      if (const double step_mm = maxAbs(update); step_mm > kDivergedSizes * modelSize_mm_)
        return where + ", iteration " + std::to_string(iterations + 1) +
               ": Newton diverged (an update of " + std::to_string(step_mm) + " mm, more than " +
               std::to_string(int(kDivergedSizes)) +
               " times the model's size; largest residual force " + std::to_string(residual) +
               " N)";
      // The energy slope of the line search runs over the free dofs only.
      VectorXd freeDirection = update;
      for (std::size_t i = 0; i < constrained.size(); ++i)
        if (constrained[i]) {
          update(static_cast<Eigen::Index>(i)) = correction(static_cast<Eigen::Index>(i));
          freeDirection(static_cast<Eigen::Index>(i)) = 0;
        }
      update = toGlobal(update);
      freeDirection = toGlobal(freeDirection);
      if (!finite && !contact) {
        u_ += update;
        continue;
      }
      const bool movesConstraints = constraintError > 0 || gapError > 0 || setChanged;
      if (auto failure = lineSearch(update, r, freeDirection, movesConstraints, finite, external))
        return where + ", iteration " + std::to_string(iterations + 1) + ": " + *failure;
    }
    return where + ": not converged";
  }

  // Line search on the energy slope s(eta) = du . r(u + eta du), the derivative of the potential
  // energy along the Newton step (Bonet & Wood, Nonlinear Continuum Mechanics for Finite
  // Element Analysis, 2nd ed., 2008, section 9.6.2): the full step is taken when |s(1)| <=
  // 0.5 |s(0)| or the energy still falls at its end; otherwise eta comes from a quadratic fit of
  // s, and is halved while an element inverts. A step that moves prescribed displacements is
  // accepted once no element inverts.
  template <class External>
  std::optional<std::string> lineSearch(const VectorXd& update, const VectorXd& startResidual,
                                        const VectorXd& freeDirection, bool movesConstraints,
                                        bool finite, External& external) {
    auto slope = [&](const VectorXd& r) { return freeDirection.dot(r); };
    const double s0 = slope(startResidual);
    slopeStart_ = s0;
    slopeFullStep_ = 0;
    const VectorXd start = u_;
    double eta = 1, bestEta = 0, bestSlope = std::abs(s0);
    std::string inverted;
    for (int tries = 0; tries < 12; ++tries) {
      const VectorXd trial = start + eta * update;
      Evaluation eval = evaluate(trial, finite, false);
      if (eval.invertedElement) {
        inversion_ = elementName(model_.elements[*eval.invertedElement]);
        inverted = inversion_ + " inverted";
        eta /= 2;
        continue;
      }
      const double s = slope(eval.internalForce - external(trial));
      if (eta == 1) slopeFullStep_ = s;
      if (movesConstraints || std::abs(s) <= 0.5 * std::abs(s0) || s * s0 > 0 || !(s0 < 0)) {
        u_ = trial;
        return std::nullopt;
      }
      if (std::abs(s) < bestSlope) bestSlope = std::abs(s), bestEta = eta;
      const double ratio = s0 / s;  // < 0 here: the energy rises again before eta
      eta *= std::clamp(ratio / 2 + std::sqrt(ratio * ratio / 4 - ratio), 0.1, 0.9);
    }
    if (bestEta > 0) {
      u_ = start + bestEta * update;
      return std::nullopt;
    }
    if (!inverted.empty()) return inverted + " along the whole line search";
    u_ = start + eta * update;  // a tiny step: let the iteration limit decide
    return std::nullopt;
  }

  Evaluation evaluate(const VectorXd& u, bool finite, bool withTangent) {
    ScopeTimer timer(times_.assembly_s);
    return assembler_.evaluate(u, finite, withTangent);
  }

  // Frictionless node-to-obstacle contact by a penalty (Wriggers, Computational Contact
  // Mechanics, 2nd ed., 2006, sections 4.1 and 6.3): a node at signed distance g < 0 gets the
  // force -k g n along the obstacle's outward normal n, and the tangent k n n^T (the normal's
  // change with position, the curvature term, is left out: it only slows Newton down near a
  // strongly curved obstacle). Nodes exactly touching (g = 0) are stiffened too, so a body
  // resting on an obstacle is held from the first iteration.
  struct NodeGap {
    Eigen::Vector3d normal;
    double gap_mm;
  };
  NodeGap gapAt(const RigidObstacle& obstacle, std::size_t node, const VectorXd& u) const {
    std::array<double, 3> x = model_.nodes[node].x_mm;
    for (int i = 0; i < 3; ++i) x[i] += u(static_cast<Eigen::Index>(3 * node + i));
    const std::array<double, 3> n = obstacle.outwardNormal(x);
    return {Eigen::Vector3d(n[0], n[1], n[2]), obstacle.signedDistance_mm(x)};
  }

  // The gradient of the obstacle's signed distance at the node's current position, by central
  // differences 1e-3 mm apart (a distance's gradient has length 1; a sampled map's interpolant
  // is within a few per cent of it).
  Eigen::Vector3d gapGradient(const RigidObstacle& obstacle, std::size_t node,
                              const VectorXd& u) const {
    constexpr double kStep_mm = 1e-3;
    Eigen::Vector3d gradient;
    for (int d = 0; d < 3; ++d) {
      std::array<double, 3> plus = model_.nodes[node].x_mm;
      for (int i = 0; i < 3; ++i)
        plus[static_cast<std::size_t>(i)] += u(static_cast<Eigen::Index>(3 * node + i));
      std::array<double, 3> minus = plus;
      plus[static_cast<std::size_t>(d)] += kStep_mm;
      minus[static_cast<std::size_t>(d)] -= kStep_mm;
      gradient(d) =
          (obstacle.signedDistance_mm(plus) - obstacle.signedDistance_mm(minus)) / (2 * kStep_mm);
    }
    return gradient.allFinite() ? gradient : Eigen::Vector3d::Zero();
  }

  double penalty(std::size_t o) {
    if (model_.obstacles[o].penalty_N_per_mm > 0) return model_.obstacles[o].penalty_N_per_mm;
    if (automaticPenalty_ <= 0)
      automaticPenalty_ =
          options_.contactPenaltyScale * assembler_.stiffness().diagonal().cwiseAbs().mean();
    return automaticPenalty_;
  }

  bool isPenalty(std::size_t o) const {
    return model_.obstacles[o].enforcement == ContactEnforcement::Penalty;
  }

  // The gaps of a penalty obstacle's nodes at u, in parallel (a distance map's lookups are the
  // cost; each node's result has its own slot, so the order of the sums below is fixed).
  std::vector<NodeGap> penaltyGaps(std::size_t o, const VectorXd& u) const {
    const RigidObstacle& obstacle = model_.obstacles[o];
    std::vector<NodeGap> gaps(obstacle.nodes.size());
    parallel::parallelFor({0, gaps.size()}, kGrain, [&](parallel::IndexRange r) {
      for (std::size_t i = r.begin; i < r.end; ++i) gaps[i] = gapAt(obstacle, obstacle.nodes[i], u);
    });
    return gaps;
  }

  void addContactForces(const VectorXd& u, VectorXd& f) {
    for (std::size_t o = 0; o < model_.obstacles.size(); ++o) {
      if (!isPenalty(o)) continue;
      const std::vector<NodeGap> gaps = penaltyGaps(o, u);
      for (std::size_t i = 0; i < gaps.size(); ++i)
        if (gaps[i].gap_mm < 0)
          f.segment<3>(static_cast<Eigen::Index>(3 * model_.obstacles[o].nodes[i])) +=
              -penalty(o) * gaps[i].gap_mm * gaps[i].normal;
    }
  }

  void addContactStiffness(const VectorXd& u) {
    SparseMatrix& k = assembler_.stiffness();
    for (std::size_t o = 0; o < model_.obstacles.size(); ++o) {
      if (!isPenalty(o)) continue;
      const double kn = penalty(o);
      const std::vector<NodeGap> gaps = penaltyGaps(o, u);
      for (std::size_t n = 0; n < gaps.size(); ++n) {
        if (gaps[n].gap_mm > 0) continue;
        const auto base = static_cast<Eigen::Index>(3 * model_.obstacles[o].nodes[n]);
        for (int i = 0; i < 3; ++i)
          for (int j = 0; j <= i; ++j)
            entry(k, base + i, base + j) += kn * gaps[n].normal(i) * gaps[n].normal(j);
      }
    }
  }

  // The contact state at the solution, for the result. At a node in active-set contact the
  // obstacle's force is the node's out-of-balance force without it (its normal part is the
  // reaction; what is left along the tangents is within the solver's residual).
  void reportContact(SolveResult& result) {
    result.contactForce_N.assign(model_.nodes.size(), {0, 0, 0});
    for (std::size_t o = 0; o < model_.obstacles.size(); ++o) {
      if (!isPenalty(o)) continue;
      const std::vector<NodeGap> gaps = penaltyGaps(o, u_);
      for (std::size_t n = 0; n < gaps.size(); ++n) {
        const NodeGap& g = gaps[n];
        if (g.gap_mm >= 0) continue;
        ++result.contactNodes;
        result.maxPenetration_mm = std::max(result.maxPenetration_mm, -g.gap_mm);
        for (int i = 0; i < 3; ++i)
          result.contactForce_N[model_.obstacles[o].nodes[n]][i] +=
              -penalty(o) * g.gap_mm * g.normal(i);
      }
    }
    if (sliding_.empty()) return;
    updateGaps(u_);
    for (const SlidingNode& c : sliding_) {
      result.maxPenetration_mm = std::max(result.maxPenetration_mm, -c.gap_mm);
      if (!c.active) continue;
      ++result.contactNodes;
      Eigen::Vector3d force = lastReaction_.segment<3>(static_cast<Eigen::Index>(3 * c.node));
      result.maxContactPull_N = std::max(result.maxContactPull_N, -c.frame.col(0).dot(force));
      for (int h = 0; h < c.heldAxes; ++h) force(c.heldAxis[static_cast<std::size_t>(h)]) = 0;
      for (int i = 0; i < 3; ++i) result.contactForce_N[c.node][i] += force(i);
    }
    result.contactPullAllowance_N = lastForceTolerance_;
    result.activeSetChanges = activeSetChanges_;
  }

  // Active-set contact (ContactEnforcement::ActiveSet). Every candidate node has a frame at its
  // current position: column 0 the obstacle's outward normal, columns 1, 2 two tangents. The
  // dofs of an active node are solved in its frame, its normal one prescribed to close the gap.
  // A node may also have prescribed displacements along global axes the obstacle's normal is
  // perpendicular to (a symmetry plane's roller beside a contact plane): those axes become its
  // frame's tangents (held axis h -> local axis h + 1), the normal is kept perpendicular to them.
  struct SlidingNode {
    std::size_t node = 0, obstacle = 0;
    Matrix3d frame = Matrix3d::Identity();
    double gap_mm = 0;
    bool active = false;
    int heldAxes = 0;
    std::array<int, 2> heldAxis{};
    // A node that starts inside the obstacle (a mesh surface and a sampled obstacle that differ
    // by a fraction of a voxel) keeps that depth as its contact level: it is not pushed out.
    double startDepth_mm = 0;
    // The gap's rate of change along the normal (1 for an exact distance; a sampled map's
    // interpolant differs), so that Newton's normal step -gap / slope closes it.
    double slope = 1;
    int changes = 0;  // in the current increment
    // RigidObstacle::rampStartGaps: the gap the node started with, closed along the first step.
    double rampedGap_mm = 0;
  };

  static Matrix3d frameOf(Eigen::Vector3d normal, const SlidingNode& c) {
    Eigen::Vector3d t1;
    if (c.heldAxes > 0) {
      t1 = Eigen::Vector3d::Unit(c.heldAxis[0]);
      for (int h = 0; h < c.heldAxes; ++h) normal(c.heldAxis[static_cast<std::size_t>(h)]) = 0;
      normal.normalize();
    } else {
      // The tangent from the axis least aligned with the normal, so it is never degenerate.
      Eigen::Index axis = 0;
      normal.cwiseAbs().minCoeff(&axis);
      t1 = normal.cross(Eigen::Vector3d::Unit(axis)).normalized();
    }
    Matrix3d frame;
    frame << normal, t1, normal.cross(t1);
    return frame;
  }

  // Prescribed global dofs of an active node moved to its frame's tangent axes (its frame's
  // column h + 1 is +-(global axis), so the local value is that sign times the global one).
  void moveHeldAxesToFrames(std::vector<char>& constrained, VectorXd& correction) const {
    for (const SlidingNode& c : sliding_) {
      if (!c.active || c.heldAxes == 0) continue;
      const auto base = static_cast<Eigen::Index>(3 * c.node);
      const Eigen::Vector3d global = correction.segment<3>(base);
      correction.segment<3>(base).setZero();
      for (int d = 0; d < 3; ++d) constrained[3 * c.node + static_cast<std::size_t>(d)] = 0;
      for (int h = 0; h < c.heldAxes; ++h) {
        const int axis = c.heldAxis[static_cast<std::size_t>(h)];
        constrained[3 * c.node + static_cast<std::size_t>(h + 1)] = 1;
        correction(base + h + 1) = c.frame(axis, h + 1) * global(axis);
      }
    }
  }

  void initialiseSlidingNodes() {
    // Per node, the global axes with a prescribed displacement (bit d for axis d).
    std::vector<int> prescribed(model_.nodes.size(), 0);
    std::vector<char> taken(model_.nodes.size(), 0);
    for (const PrescribedDisplacement& b : model_.fixedBoundaries) prescribed[b.node] |= 1 << b.dof;
    for (const Step& step : model_.steps)
      for (const PrescribedDisplacement& b : step.boundaries) prescribed[b.node] |= 1 << b.dof;
    for (std::size_t o = 0; o < model_.obstacles.size(); ++o) {
      const RigidObstacle& obstacle = model_.obstacles[o];
      if (obstacle.enforcement != ContactEnforcement::ActiveSet) continue;
      std::vector<char> startsActive(model_.nodes.size(), 0);
      for (std::size_t n : obstacle.initiallyActive)
        if (n < model_.nodes.size()) startsActive[n] = 1;
      for (std::size_t n : obstacle.nodes) {
        if (taken[n] || prescribed[n] == 7) continue;
        SlidingNode c{n, o, Matrix3d::Identity(), 0, startsActive[n] != 0, 0, {}, 0};
        for (int d = 0; d < 3; ++d)
          if (prescribed[n] & (1 << d)) c.heldAxis[static_cast<std::size_t>(c.heldAxes++)] = d;
        // A held axis must lie in the obstacle's tangent plane at the node.
        if (c.heldAxes > 0) {
          const NodeGap g = gapAt(obstacle, n, u_);
          bool tangent = true;
          for (int h = 0; h < c.heldAxes; ++h)
            tangent = tangent && std::abs(g.normal(c.heldAxis[static_cast<std::size_t>(h)])) < 1e-6;
          if (!tangent) continue;
        }
        taken[n] = 1;
        sliding_.push_back(c);
      }
    }
    if (sliding_.empty()) return;
    updateGaps(u_);
    for (SlidingNode& c : sliding_) {
      c.startDepth_mm = std::max(0.0, -c.gap_mm);
      if (model_.obstacles[c.obstacle].rampStartGaps) c.rampedGap_mm = std::max(0.0, c.gap_mm);
      c.gap_mm += c.startDepth_mm - c.rampedGap_mm;
      // A ramped node touches the obstacle at load factor 0 but need not lean on it: where the
      // obstacle lists its resting nodes, the others start free (RigidObstacle::initiallyActive).
      const RigidObstacle& obstacle = model_.obstacles[c.obstacle];
      const bool mayLeave = obstacle.rampStartGaps && !obstacle.initiallyActive.empty() &&
                            c.rampedGap_mm > options_.contactGapTolerance_mm;
      if (c.gap_mm <= options_.contactGapTolerance_mm && !mayLeave) c.active = true;
    }
  }

  void updateGaps(const VectorXd& u) {
    parallel::parallelFor({0, sliding_.size()}, kGrain, [&](parallel::IndexRange r) {
      for (std::size_t i = r.begin; i < r.end; ++i) {
        SlidingNode& c = sliding_[i];
        const NodeGap g = gapAt(model_.obstacles[c.obstacle], c.node, u);
        c.gap_mm = g.gap_mm + c.startDepth_mm - (1 - rampFactor_) * c.rampedGap_mm;
        // The obstacle's own (smooth) normal; the gap's gradient along it scales Newton's
        // normal step. (The gradient of a sampled map's trilinear interpolant jumps from voxel
        // to voxel: as the frame's normal it made Newton oscillate on the head phantom.)
        c.frame = frameOf(g.normal, c);
        const Eigen::Vector3d gradient = gapGradient(model_.obstacles[c.obstacle], c.node, u);
        c.slope = std::clamp(gradient.dot(c.frame.col(0)), 0.2, 5.0);
      }
    });
  }

  // Nodes that would enter the obstacle join the set; nodes the obstacle would have to pull
  // (normal reaction below -forceTolerance) leave it, once a solve has given their reaction
  // (not on an increment's first iteration, whose residual holds the new load too).
  // A node that has joined and left kMaximumChanges times in one increment (a sampled map's
  // gradient jumps between voxels, and the set can cycle) stays in: slightly tensile rather
  // than penetrating.
  static constexpr int kMaximumChanges = 4;
  struct SetChange {
    int joined = 0, left = 0;
  };
  SetChange updateActiveSet(const VectorXd& r, double forceTolerance, bool releaseTensile) {
    SetChange change;
    for (SlidingNode& c : sliding_) {
      if (!c.active && c.gap_mm < -options_.contactGapTolerance_mm) {
        c.active = true;
        ++change.joined;
        ++c.changes;
      } else if (c.active && releaseTensile && c.changes < kMaximumChanges) {
        const double reaction =
            c.frame.col(0).dot(r.segment<3>(static_cast<Eigen::Index>(3 * c.node)));
        if (reaction < -forceTolerance) {
          c.active = false;
          ++change.left;
          ++c.changes;
        }
      }
    }
    return change;
  }

  void traceIteration(std::size_t s, double lambda, int iteration, double residual,
                      double tolerance, double gapError, const SetChange& change, bool converged) {
    NewtonTrace t;
    t.step = static_cast<int>(s + 1);
    t.attempt = attempt_;
    t.loadFactor = lambda;
    t.iteration = iteration;
    t.residual_N = residual;
    t.tolerance_N = tolerance;
    t.gapError_mm = gapError;
    t.contactNodes = activeNodeCount();
    t.joined = change.joined;
    t.left = change.left;
    t.krylovIterations = iteration > 0 ? lastKrylovIterations_ : 0;
    t.hierarchyBuilt = iteration > 0 && multigridBuilds_ > tracedBuilds_;
    if (iteration > 0) {
      t.energySlopeStart = slopeStart_;
      t.energySlopeFullStep = slopeFullStep_;
      t.indefiniteCurvatureNodes = indefiniteCurvatureNodes_;
    }
    t.converged = converged;
    tracedBuilds_ = multigridBuilds_;
    options_.trace(t);
  }

  // The curvature term of an active node (Wriggers 2006, section 4.3, the normal's change with
  // position, for a rigid obstacle): its tangential equations t . r = 0 hold in a frame that turns
  // with the surface, so their linearisation has -p dn/dx beside K, with p = n . r >= 0 the
  // contact pressure force and dn/dx = P H / |grad g| (P the tangent projector, H the distance's
  // Hessian). Without it a node pressed on a curved (or, sampled from voxels, gently wavy) skull
  // slides to its place only linearly. dn/dx by central differences of the obstacle's normal,
  // projected on the tangent plane on both sides (symmetric; the normal row is the constraint's).
  void addCurvatureStiffness(const VectorXd& r) {
    constexpr double kStep_mm = 1e-2;
    std::vector<Matrix3d> blocks(sliding_.size(), Matrix3d::Zero()),
        negative(sliding_.size(), Matrix3d::Zero());
    std::vector<char> indefinite(sliding_.size(), 0);
    parallel::parallelFor({0, sliding_.size()}, kGrain, [&](parallel::IndexRange range) {
      for (std::size_t i = range.begin; i < range.end; ++i) {
        const SlidingNode& c = sliding_[i];
        if (!c.active) continue;
        const Eigen::Vector3d n = c.frame.col(0);
        const double p = n.dot(r.segment<3>(static_cast<Eigen::Index>(3 * c.node)));
        if (!(p > 0)) continue;
        const RigidObstacle& obstacle = model_.obstacles[c.obstacle];
        std::array<double, 3> x = model_.nodes[c.node].x_mm;
        for (int d = 0; d < 3; ++d)
          x[std::size_t(d)] += u_(static_cast<Eigen::Index>(3 * c.node + d));
        Matrix3d dn;
        for (int d = 0; d < 3; ++d) {
          std::array<double, 3> plus = x, minus = x;
          plus[std::size_t(d)] += kStep_mm;
          minus[std::size_t(d)] -= kStep_mm;
          const std::array<double, 3> a = obstacle.outwardNormal(plus),
                                      b = obstacle.outwardNormal(minus);
          for (int k = 0; k < 3; ++k)
            dn(k, d) = (a[std::size_t(k)] - b[std::size_t(k)]) / (2 * kStep_mm);
        }
        const Matrix3d projector = Matrix3d::Identity() - n * n.transpose();
        Matrix3d block = -p * projector * dn * projector;
        block = 0.5 * (block + block.transpose()).eval();
        if (!block.allFinite()) continue;
        blocks[i] = block;
        const Eigen::SelfAdjointEigenSolver<Matrix3d> eigen(block);
        const Eigen::Vector3d values = eigen.eigenvalues();
        if (!(values.minCoeff() < 0)) continue;
        // Counted beyond round-off (the normal direction's zero eigenvalue of a curved wall).
        indefinite[i] = values.minCoeff() < -1e-9 * values.cwiseAbs().maxCoeff();
        // Where the obstacle bulges into the tissue the block is indefinite: the multigrid
        // preconditioner is built from its positive part, the rest joins the operator MINRES
        // solves (solveLinear), so the Newton step is the exact one.
        if (!multigrid_) continue;
        const Matrix3d& v = eigen.eigenvectors();
        negative[i] = v * values.cwiseMin(0.0).asDiagonal() * v.transpose();
        blocks[i] = v * values.cwiseMax(0.0).asDiagonal() * v.transpose();
      }
    });
    indefiniteCurvatureNodes_ =
        static_cast<int>(std::count(indefinite.begin(), indefinite.end(), char(1)));
    indefiniteCurvature_.clear();
    for (std::size_t i = 0; i < sliding_.size(); ++i)
      if (!negative[i].isZero(0)) indefiniteCurvature_.emplace_back(i, negative[i]);
    SparseMatrix& k = assembler_.stiffness();
    for (std::size_t i = 0; i < sliding_.size(); ++i) {
      if (!sliding_[i].active) continue;
      const auto base = static_cast<Eigen::Index>(3 * sliding_[i].node);
      for (int a = 0; a < 3; ++a)
        for (int b = 0; b <= a; ++b) entry(k, base + a, base + b) += blocks[i](a, b);
    }
  }

  int activeNodeCount() const {
    return static_cast<int>(std::count_if(sliding_.begin(), sliding_.end(),
                                          [](const SlidingNode& c) { return c.active; }));
  }

  // A vector from x, y, z to the active nodes' frames, and back.
  VectorXd toLocal(const VectorXd& v) const { return rotateActive(v, true); }
  VectorXd toGlobal(const VectorXd& v) const { return rotateActive(v, false); }
  VectorXd rotateActive(const VectorXd& v, bool transpose) const {
    VectorXd out = v;
    for (const SlidingNode& c : sliding_) {
      if (!c.active) continue;
      const auto i = static_cast<Eigen::Index>(3 * c.node);
      const Eigen::Vector3d x = v.segment<3>(i);
      out.segment<3>(i) =
          transpose ? Eigen::Vector3d(c.frame.transpose() * x) : Eigen::Vector3d(c.frame * x);
    }
    return out;
  }

  // K <- T^T K T with T block-diagonal: the active nodes' frames, identity elsewhere. The
  // stored lower triangle holds whole 3 x 3 node blocks below the diagonal and the lower half
  // of each diagonal block; each block lies in its column node's columns, so column nodes
  // are independent tasks.
  void rotateStiffness() {
    std::vector<const Matrix3d*> frameOfNode(model_.nodes.size(), nullptr);
    for (const SlidingNode& c : sliding_)
      if (c.active) frameOfNode[c.node] = &c.frame;
    SparseMatrix& k = assembler_.stiffness();
    parallel::parallelFor({0, model_.nodes.size()}, 256, [&](parallel::IndexRange range) {
      for (std::size_t b = range.begin; b < range.end; ++b) {
        const auto col = static_cast<Eigen::Index>(3 * b);
        std::size_t previous = model_.nodes.size();
        for (SparseMatrix::InnerIterator it(k, col); it; ++it) {
          const auto a = static_cast<std::size_t>(it.row() / 3);
          if (a == previous) continue;
          previous = a;
          if (!frameOfNode[a] && !frameOfNode[b]) continue;
          rotateBlock(k, a, b, frameOfNode[a], frameOfNode[b]);
        }
      }
    });
  }

  static void rotateBlock(SparseMatrix& k, std::size_t a, std::size_t b, const Matrix3d* ra,
                          const Matrix3d* rb) {
    const auto row0 = static_cast<Eigen::Index>(3 * a), col0 = static_cast<Eigen::Index>(3 * b);
    Matrix3d block;
    for (int i = 0; i < 3; ++i)
      for (int j = 0; j < 3; ++j)
        block(i, j) =
            a != b || i >= j ? entry(k, row0 + i, col0 + j) : entry(k, row0 + j, col0 + i);
    if (ra) block = ra->transpose() * block;
    if (rb) block = block * *rb;
    for (int i = 0; i < 3; ++i)
      for (int j = 0; j < 3; ++j)
        if (a != b || i >= j) entry(k, row0 + i, col0 + j) = block(i, j);
  }

  std::vector<SlidingNode> sliding_;
  int activeSetChanges_ = 0;
  int attempt_ = 0;  // increments tried, for the trace
  SolveResult::Times times_;
  int lastKrylovIterations_ = 0, tracedBuilds_ = 0;
  // For the trace: the last line search's energy slopes and the last tangent's indefinite
  // curvature blocks.
  double slopeStart_ = 0, slopeFullStep_ = 0;
  int indefiniteCurvatureNodes_ = 0;
  // The load factor of the first step while it runs (RigidObstacle::rampStartGaps), 1 after it.
  double rampFactor_ = 0;

  double automaticPenalty_ = 0;

  VectorXd stiffnessTimes(const VectorXd& v) {
    return assembler_.stiffness().selfadjointView<Eigen::Lower>() * v;
  }

  // Constrained rows and columns become identity rows scaled like the diagonal, so the
  // pattern (and Eigen's symbolic analysis) stays the same for every step.
  void factorize(const std::vector<char>& constrained, std::size_t s) {
    SparseMatrix& k = assembler_.stiffness();
    const double diagonal = k.diagonal().cwiseAbs().mean();
    for (Eigen::Index col = 0; col < k.outerSize(); ++col)
      for (SparseMatrix::InnerIterator it(k, col); it; ++it)
        if (constrained[static_cast<std::size_t>(it.row())] ||
            constrained[static_cast<std::size_t>(col)])
          it.valueRef() = it.row() == col ? diagonal : 0.0;
    step_ = s;
    constrainedDofs_ = constrained;
    if (multigrid_) {
      buildMultigrid(constrained);
      return;
    }
    if (iterative_) {
      iterativeSolver_.compute(k);
      if (iterativeSolver_.info() == Eigen::Success) return;
      iterative_ = false;  // the preconditioner could not be built: solve directly
    }
    factorizeDirect();
  }

  void factorizeDirect() {
    const SparseMatrix& k = assembler_.stiffness();
    if (!analysed_) {
      factor_.analyzePattern(k);
      analysed_ = true;
    }
    factor_.factorize(k);
    const VectorXd d = factor_.vectorD().cwiseAbs();
    if (factor_.info() != Eigen::Success || !(d.minCoeff() > 1e-12 * d.maxCoeff()))
      throw SingularTangent{};
  }

  const FeModel& model_;
  const SolverOptions& options_;
  Progress& progress_;
  ReferenceGeometry geometry_;
  Assembler assembler_;
  VectorXd u_, deadLoad_, lastReaction_;
  double lastForceTolerance_ = 0;
  double modelSize_mm_ = 1;
  std::string inversion_;  // the last element a line search of this increment found inverted
  // The linear solve of each Newton iteration. Direct sparse LDL^T for small models; for
  // large ones Jacobi-preconditioned conjugate gradients, whose cost grows far slower with the
  // mesh than the simplicial factor's fill-in (Eigen's incomplete Cholesky preconditioner was
  // slower overall on the benchmark block: its factorisation costs more than the CG iterations
  // it saves). A solve that does not converge (an indefinite tangent) is repeated by the
  // direct solver. With active-set contact the tangent is indefinite wherever the obstacle's
  // curvature term is (addCurvatureStiffness): MINRES then solves it, preconditioned by the
  // multigrid of its positive part, and a solve that still fails cuts the increment back.
  VectorXd solveLinear(const VectorXd& rhs, bool finite) {
    if (multigrid_) {
      // Inexact Newton (Dembo, Eisenstat & Steihaug, SIAM J Numer Anal 19 (1982) 400-408):
      // a Newton step needs only a few digits; Newton's residual check decides convergence.
      const double tolerance =
          finite ? std::max(options_.iterativeTolerance, options_.newtonStepTolerance)
                 : options_.iterativeTolerance;
      VectorXd x = VectorXd::Zero(rhs.size());
      auto krylov = [&](int limit) {
        return indefiniteCurvature_.empty()
                   ? detail::conjugateGradient(fullStiffness_, multigrid_->hierarchy, rhs, x,
                                               tolerance, limit)
                   : detail::minimalResidual(indefiniteTangent_, multigrid_->hierarchy, rhs, x,
                                             tolerance, limit);
      };
      // A reused (stale) hierarchy gets a few times the iterations it needed when built; past
      // that a new one is cheaper than more iterations.
      const int first = multigrid_->iterationsAfterBuild;
      detail::IterativeSolve cg =
          krylov(multigrid_->stale && first >= 0 ? std::min(kCgLimit, 3 * first + 20) : kCgLimit);
      if (!cg.converged && multigrid_->stale) {
        linearIterations_ += cg.iterations;
        buildHierarchy();
        x.setZero();
        cg = krylov(kCgLimit);
      }
      multigrid_->lastIterations = cg.iterations;
      lastKrylovIterations_ = cg.iterations;
      if (multigrid_->iterationsAfterBuild < 0) multigrid_->iterationsAfterBuild = cg.iterations;
      linearIterations_ += cg.iterations;
      if (cg.converged) return x;
      // With active-set contact a tangent whose positive part is not positive definite (its
      // multigrid then is not either, and MINRES stops) came only from increments that were
      // diverging anyway (docs/validation.md, "Brain shift: skull contact at 50k
      // tetrahedra"): the increment is cut back at once. A sparse LDL^T of a brain-sized
      // tangent instead cost seconds per iteration at 17k tetrahedra and far more at 75k.
      if (!sliding_.empty()) throw SingularTangent{};
      multigrid_.reset();  // an indefinite tangent: solve directly from here on
      addIndefiniteCurvature(assembler_.stiffness());
      factorizeDirect();
      return factor_.solve(rhs);
    }
    if (iterative_) {
      VectorXd x = iterativeSolver_.solve(rhs);
      if (iterativeSolver_.info() == Eigen::Success) return x;
      iterative_ = false;
      factorizeDirect();
    }
    return factor_.solve(rhs);
  }

  // The multigrid hierarchy of a tangent stays a good preconditioner of the next few
  // tangents (they change little between Newton iterations): it is rebuilt only when
  // conjugate gradients need clearly more iterations than right after the last build.
  struct MultigridState {
    detail::Multigrid hierarchy;
    std::vector<char> constrained;
    int iterationsAfterBuild = -1, lastIterations = 0;
    bool stale = false;
  };
  static constexpr int kCgLimit = 400;

  void buildMultigrid(const std::vector<char>& constrained) {
    fullStiffness_ = assembler_.stiffness().selfadjointView<Eigen::Lower>();
    const bool sameConstraints = multigrid_->constrained == constrained;
    multigrid_->constrained = constrained;
    if (!indefiniteCurvature_.empty()) {
      SparseMatrix lower = assembler_.stiffness();
      addIndefiniteCurvature(lower);
      indefiniteTangent_ = lower.selfadjointView<Eigen::Lower>();
    }
    const int last = multigrid_->lastIterations, first = multigrid_->iterationsAfterBuild;
    const bool reuse = options_.multigridSetUpReuse;
    if ((!sameConstraints && !reuse) || first < 0 || last > 2 * first + 5) {
      buildHierarchy();
      return;
    }
    // The last hierarchy with this tangent as its finest level, also after the contact set
    // changed: the smoother then works on the current tangent (its frames, curvature and held
    // dofs), and only the coarse correction is the older tangent's. On the head phantom this
    // cost 19 % more Krylov iterations than a build after every set change, for a fifth of the
    // builds (docs/validation.md, "Brain shift: multigrid set-up reuse").
    if (reuse) multigrid_->hierarchy.refreshFinest(fullStiffness_);
    multigrid_->stale = true;
  }

  // The curvature blocks' negative parts (addCurvatureStiffness) into the lower triangle of a
  // tangent that is already in the active nodes' frames with its constraints applied.
  void addIndefiniteCurvature(SparseMatrix& lower) const {
    const std::vector<char>& constrained = constrainedDofs_;
    for (const auto& [i, block] : indefiniteCurvature_) {
      const SlidingNode& c = sliding_[i];
      const Matrix3d local = c.frame.transpose() * block * c.frame;
      const auto base = static_cast<Eigen::Index>(3 * c.node);
      for (int a = 0; a < 3; ++a)
        for (int b = 0; b <= a; ++b)
          if (!constrained[3 * c.node + std::size_t(a)] &&
              !constrained[3 * c.node + std::size_t(b)])
            entry(lower, base + a, base + b) += local(a, b);
    }
  }

  void buildHierarchy() {
    ScopeTimer timer(times_.multigridBuild_s);
    std::vector<std::array<double, 3>> positions(model_.nodes.size());
    for (std::size_t n = 0; n < model_.nodes.size(); ++n) positions[n] = model_.nodes[n].x_mm;
    std::vector<detail::Multigrid::NodeFrame> frames;
    for (const SlidingNode& c : sliding_)
      if (c.active) frames.emplace_back(c.node, c.frame);
    // After the first build only the values change: the aggregates are kept (Multigrid::update).
    if (multigrid_->hierarchy.levelCount() == 0 || !options_.multigridSetUpReuse)
      multigrid_->hierarchy.build(fullStiffness_, positions, multigrid_->constrained, frames);
    else
      multigrid_->hierarchy.update(fullStiffness_, positions, multigrid_->constrained, frames);
    multigrid_->stale = false;
    multigrid_->iterationsAfterBuild = -1;
    ++multigridBuilds_;
  }

  int multigridBuilds_ = 0;
  long linearIterations_ = 0;
  std::optional<MultigridState> multigrid_;
  detail::RowMatrix fullStiffness_;
  // Active-set contact: the negative parts of the curvature blocks (sliding node, global 3 x 3),
  // the exact tangent with them for MINRES, and the dofs held in the last factorize().
  std::vector<std::pair<std::size_t, Matrix3d>> indefiniteCurvature_;
  detail::RowMatrix indefiniteTangent_;
  std::vector<char> constrainedDofs_;
  Eigen::SimplicialLDLT<SparseMatrix, Eigen::Lower> factor_;
  Eigen::ConjugateGradient<SparseMatrix, Eigen::Lower, Eigen::DiagonalPreconditioner<double>>
      iterativeSolver_;
  bool analysed_ = false;
  bool iterative_ = false;
  std::size_t step_ = 0;
};

void checkModel(const FeModel& model) {
  if (model.elements.empty())
    throw Error(ErrorKind::InvalidInput, model.name + " has no elements.", model.name);
  for (const Element& e : model.elements)
    for (std::size_t n : e.nodes)
      if (n >= model.nodes.size())
        throw Error(ErrorKind::InvalidInput,
                    model.name + ": " + elementName(e) + " lists node index " + std::to_string(n) +
                        ", but the model has " + std::to_string(model.nodes.size()) + " nodes.",
                    model.name);
  if (const InvertedElements inverted = invertedElements(model); inverted.count > 0)
    throw Error(
        ErrorKind::InvalidInput,
        model.name + ": " + describeInvertedElement(inverted) +
            (inverted.count > 1 ? " (and " + std::to_string(inverted.count - 1) + " more elements)"
                                : std::string()) +
            "; list each element's nodes in Abaqus order (the 4th corner on the side the "
            "right-hand normal of corners 1-2-3 points to) or remesh.",
        model.name);
  if (model.steps.empty())
    throw Error(ErrorKind::InvalidInput,
                model.name + " has no *STEP: add *STEP, *STATIC, the loads and *END STEP.",
                model.name);
  for (const RigidObstacle& o : model.obstacles) {
    if (!o.signedDistance_mm || !o.outwardNormal)
      throw Error(ErrorKind::InvalidInput,
                  model.name + ": the rigid obstacle \"" + o.name +
                      "\" has no signed distance or normal; give both.",
                  model.name);
    for (std::size_t n : o.nodes)
      if (n >= model.nodes.size())
        throw Error(ErrorKind::InvalidInput,
                    model.name + ": the rigid obstacle \"" + o.name + "\" lists node index " +
                        std::to_string(n) + ", but the model has " +
                        std::to_string(model.nodes.size()) + " nodes.",
                    model.name);
  }
  for (const Element& e : model.elements)
    if (e.material < 0)
      throw Error(ErrorKind::InvalidInput,
                  model.name + ": " + elementName(e) +
                      " has no material; give its element set a *SOLID SECTION.",
                  model.name);
}

}  // namespace

InvertedElements invertedElements(const FeModel& model) {
  InvertedElements out;
  for (std::size_t k = 0; k < model.elements.size(); ++k) {
    const Element& e = model.elements[k];
    if (e.nodes.size() < 4) continue;
    Eigen::Vector3d x[4];
    for (int c = 0; c < 4; ++c) x[c] = Eigen::Vector3d(model.nodes[e.nodes[c]].x_mm.data());
    const double volume = (x[1] - x[0]).cross(x[2] - x[0]).dot(x[3] - x[0]) / 6;
    if (volume > 0) continue;
    if (out.count++ > 0) continue;
    out.first = k;
    out.firstId = e.id;
    out.firstVolume_mm3 = volume;
    const Eigen::Vector3d centre = (x[0] + x[1] + x[2] + x[3]) / 4;
    out.firstCentroid_lps = {centre.x(), centre.y(), centre.z()};
  }
  return out;
}

std::string describeInvertedElement(const InvertedElements& inverted) {
  char text[256];
  const auto& c = inverted.firstCentroid_lps;
  std::snprintf(text, sizeof text,
                "element %d is inverted or flat in the undeformed mesh: its corners enclose a "
                "signed volume of %.4g mm^3 (centre (%.1f, %.1f, %.1f) mm)",
                inverted.firstId, inverted.firstVolume_mm3, c[0], c[1], c[2]);
  return text;
}

SolveResult solve(const FeModel& model, const SolverOptions& options, Progress& progress) {
  checkModel(model);
  StaticSolver solver(model, options, progress);
  SolveResult result = solver.run();
  progress.report(1, "Solved");
  return result;
}

}  // namespace twinplan::tissue
