#include "twinplan/tissue/corotational.h"

#include <Eigen/Geometry>
#include <Eigen/LU>
#include <algorithm>
#include <cmath>
#include <string>

#include "multigrid.h"
#include "tet_elements.h"
#include "twinplan/core/error.h"
#include "twinplan/core/parallel.h"
#include "twinplan/tissue/material_law.h"

namespace twinplan::tissue {
namespace {

using detail::RowMatrix;
using Eigen::Matrix3d;
using Eigen::Quaterniond;
using Eigen::Vector3d;
using Eigen::VectorXd;

constexpr std::size_t kGrain = 64;  // elements per parallel chunk
// Up to 30 dofs (C3D10): a fixed capacity keeps element vectors off the heap.
using ElementVector = Eigen::Matrix<double, Eigen::Dynamic, 1, 0, 30, 1>;
constexpr int kColdRotationIterations = 50, kWarmRotationIterations = 10;
constexpr int kCgLimit = 500;

// The rotation of the polar decomposition F = R U, as the rotation maximising tr(R^T F):
// Mueller, Bender, Chentanez & Macklin, "A robust method to extract the rotational part of
// deformations", Motion in Games 2016 (their equation 9), warm-started from the element's last
// rotation, so that an update needs a couple of iterations. It stays defined for a flat or
// inverted element (where the polar decomposition has no proper rotation).
void extractRotation(const Matrix3d& F, Quaterniond& q, int iterations) {
  for (int i = 0; i < iterations; ++i) {
    const Matrix3d R = q.toRotationMatrix();
    Vector3d omega = R.col(0).cross(F.col(0)) + R.col(1).cross(F.col(1)) + R.col(2).cross(F.col(2));
    omega /=
        std::abs(R.col(0).dot(F.col(0)) + R.col(1).dot(F.col(1)) + R.col(2).dot(F.col(2))) + 1e-9;
    const double angle = omega.norm();
    if (angle < 1e-11) break;  // radians: far below what moves a force digit
    // Below 1e-3 rad the first-order quaternion (1, omega/2), normalised, is the rotation to
    // 1e-10 and spares the sine and cosine (most warm-started updates).
    const Quaterniond turn =
        angle < 1e-3 ? Quaterniond(1, omega.x() / 2, omega.y() / 2, omega.z() / 2).normalized()
                     : Quaterniond(Eigen::AngleAxisd(angle, omega / angle));
    q = turn * q;
    q.normalize();
  }
}

// The same rotation by Newton's iteration X <- (gamma X + X^-T / gamma) / 2 with Higham's
// scaling gamma = sqrt(|X^-1| / |X|) (Higham, Functions of Matrices, SIAM 2008, section 8.6):
// quadratic convergence to machine precision in about 6 steps, so it needs no warm start. For
// det F > 0 only (it converges to a reflection otherwise); false leaves the caller to the
// iteration above.
bool polarRotation(const Matrix3d& F, Quaterniond& q) {
  if (!(F.determinant() > 1e-9 * F.squaredNorm() * F.norm())) return false;
  Matrix3d X = F;
  for (int i = 0; i < 30; ++i) {
    const Matrix3d inverse = X.inverse();
    const double gamma = std::sqrt(inverse.norm() / X.norm());
    const Matrix3d next = 0.5 * (gamma * X + inverse.transpose() / gamma);
    const double change = (next - X).norm();
    X = next;
    if (change < 1e-14) {
      q = Quaterniond(X).normalized();
      return true;
    }
  }
  return false;
}

std::string elementName(const Element& e) { return "element " + std::to_string(e.id); }

}  // namespace

struct CorotationalModel::Impl {
  std::vector<Element> elements;
  VectorXd reference;  // node positions X, 3 per node
  std::vector<std::size_t> prescribed;
  std::vector<char> isPrescribed;
  std::vector<std::size_t> firstEntry;  // per element, into stiffness and matrixEntry
  std::vector<double> stiffness;        // K_e, column-major, 3n x 3n
  std::vector<int> matrixEntry;         // where each K_e entry adds into matrix.valuePtr()
  std::vector<detail::ShapeGradients> centroidGradients;
  std::vector<std::vector<std::size_t>> colours;
  RowMatrix matrix;  // the warped stiffness with prescribed rows and columns as identity rows
  double constraintDiagonal = 1;
  detail::Multigrid preconditioner;
  std::vector<Quaterniond> rotations;
  VectorXd u, internalForce;

  std::size_t dofs(std::size_t e) const { return 3 * elements[e].nodes.size(); }

  Eigen::Map<const Eigen::MatrixXd> elementStiffness(std::size_t e) const {
    const auto n = static_cast<Eigen::Index>(dofs(e));
    return {stiffness.data() + firstEntry[e], n, n};
  }

  Matrix3d deformationGradient(std::size_t e, const VectorXd& displacement) const {
    Matrix3d F = Matrix3d::Identity();
    const detail::ShapeGradients& g = centroidGradients[e];
    for (std::size_t a = 0; a < elements[e].nodes.size(); ++a)
      F += displacement.segment<3>(static_cast<Eigen::Index>(3 * elements[e].nodes[a])) *
           g.row(static_cast<Eigen::Index>(a));
    return F;
  }

  // The element's strain vector in its rotated frame: R^T x - X per node.
  ElementVector localDisplacement(std::size_t e, const Matrix3d& R,
                                  const VectorXd& displacement) const {
    const std::vector<std::size_t>& nodes = elements[e].nodes;
    ElementVector local(static_cast<Eigen::Index>(3 * nodes.size()));
    for (std::size_t a = 0; a < nodes.size(); ++a) {
      const auto i = static_cast<Eigen::Index>(3 * nodes[a]);
      const Vector3d X = reference.segment<3>(i);
      local.segment<3>(static_cast<Eigen::Index>(3 * a)) =
          R.transpose() * (X + displacement.segment<3>(i)) - X;
    }
    return local;
  }

  // Rotations (updated in `q`), internal forces and per-element strain energies at u.
  void evaluate(const VectorXd& displacement, std::vector<Quaterniond>& q, int rotationIterations,
                VectorXd* force, std::vector<double>* energy, bool rotate) const {
    if (force) *force = VectorXd::Zero(displacement.size());
    if (energy) energy->assign(elements.size(), 0);
    for (const std::vector<std::size_t>& colour : colours)
      parallel::parallelFor({0, colour.size()}, kGrain, [&](parallel::IndexRange r) {
        for (std::size_t i = r.begin; i < r.end; ++i) {
          const std::size_t e = colour[i];
          if (rotate) {
            const Matrix3d F = deformationGradient(e, displacement);
            if (!polarRotation(F, q[e])) extractRotation(F, q[e], rotationIterations);
          }
          const Matrix3d R = rotate ? q[e].toRotationMatrix() : Matrix3d::Identity();
          const ElementVector local = localDisplacement(e, R, displacement);
          ElementVector localForce(local.size());
          if (local.size() == 12)  // C3D4: a fixed-size product
            localForce.noalias() =
                Eigen::Map<const Eigen::Matrix<double, 12, 12>>(stiffness.data() + firstEntry[e]) *
                local.head<12>();
          else
            localForce.noalias() = elementStiffness(e) * local;
          if (energy) (*energy)[e] = 0.5 * local.dot(localForce);
          if (!force) continue;
          const std::vector<std::size_t>& nodes = elements[e].nodes;
          for (std::size_t a = 0; a < nodes.size(); ++a)
            force->segment<3>(static_cast<Eigen::Index>(3 * nodes[a])) +=
                R * localForce.segment<3>(static_cast<Eigen::Index>(3 * a));
        }
      });
  }

  // sum_e R_e K_e R_e^T into `matrix`, then the prescribed rows and columns as identity rows.
  void assemble(bool rotate) {
    std::fill_n(matrix.valuePtr(), matrix.nonZeros(), 0.0);
    double* values = matrix.valuePtr();
    for (const std::vector<std::size_t>& colour : colours)
      parallel::parallelFor({0, colour.size()}, kGrain, [&](parallel::IndexRange r) {
        for (std::size_t i = r.begin; i < r.end; ++i) {
          const std::size_t e = colour[i];
          const Matrix3d R = rotate ? rotations[e].toRotationMatrix() : Matrix3d::Identity();
          const auto k = elementStiffness(e);
          const auto n = static_cast<Eigen::Index>(elements[e].nodes.size());
          const int* entry = matrixEntry.data() + firstEntry[e];
          for (Eigen::Index a = 0; a < n; ++a)
            for (Eigen::Index b = a; b < n; ++b) {  // K_e is symmetric: block (b, a) = (a, b)^T
              const Matrix3d block = R * k.block<3, 3>(3 * a, 3 * b) * R.transpose();
              for (int x = 0; x < 3; ++x)
                for (int y = 0; y < 3; ++y) {
                  values[entry[(3 * b + y) * 3 * n + 3 * a + x]] += block(x, y);
                  if (b != a) values[entry[(3 * a + x) * 3 * n + 3 * b + y]] += block(x, y);
                }
            }
        }
      });
    const int* outer = matrix.outerIndexPtr();
    const int* inner = matrix.innerIndexPtr();
    parallel::parallelFor({0, static_cast<std::size_t>(matrix.rows())}, 4096,
                          [&](parallel::IndexRange r) {
                            for (std::size_t row = r.begin; row < r.end; ++row)
                              for (int k = outer[row]; k < outer[row + 1]; ++k) {
                                const auto col = static_cast<std::size_t>(inner[k]);
                                if (isPrescribed[row])
                                  values[k] = col == row ? constraintDiagonal : 0.0;
                                else if (isPrescribed[col])
                                  values[k] = 0.0;
                              }
                          });
  }

  void buildElements(const FeModel& model) {
    firstEntry.resize(elements.size() + 1);
    std::size_t total = 0;
    for (std::size_t e = 0; e < elements.size(); ++e) {
      firstEntry[e] = total;
      total += dofs(e) * dofs(e);
    }
    firstEntry.back() = total;
    stiffness.assign(total, 0);
    centroidGradients.resize(elements.size());
    std::vector<char> inverted(elements.size(), 0);
    parallel::parallelFor({0, elements.size()}, kGrain, [&](parallel::IndexRange r) {
      for (std::size_t e = r.begin; e < r.end; ++e)
        inverted[e] = !elementStiffnessFromMaterial(model, e);
    });
    for (std::size_t e = 0; e < elements.size(); ++e)
      if (inverted[e])
        throw Error(ErrorKind::InvalidInput,
                    model.name + ": " + elementName(elements[e]) +
                        " is inverted or flat in the undeformed mesh (its Jacobian is not "
                        "positive); list its nodes in Abaqus order.",
                    model.name);
  }

  // K_e = sum_q B^T D B dV with D the material's small-strain elasticity (Zienkiewicz, Taylor
  // & Zhu, The Finite Element Method, 7th ed., 2013, chapter 6), and the shape gradients at the
  // centroid, where the element's rotation is measured. False for a non-positive Jacobian.
  bool elementStiffnessFromMaterial(const FeModel& model, std::size_t e) {
    const Element& el = elements[e];
    const Material& material = model.materials[static_cast<std::size_t>(el.material)];
    const Eigen::Matrix<double, 6, 6> D =
        materialResponse(material, Matrix3d::Identity(), false).tangent_MPa;
    const auto n = static_cast<Eigen::Index>(el.nodes.size());
    Eigen::Map<Eigen::MatrixXd> k(stiffness.data() + firstEntry[e], 3 * n, 3 * n);
    auto gradients = [&](const std::array<double, 4>& barycentric, double* detJ) {
      const detail::ShapeGradients dNdr = detail::naturalGradients(el.type, barycentric);
      Matrix3d jacobian = Matrix3d::Zero();
      for (Eigen::Index a = 0; a < n; ++a)
        jacobian += reference.segment<3>(static_cast<Eigen::Index>(3 * el.nodes[a])) * dNdr.row(a);
      *detJ = jacobian.determinant();
      return detail::ShapeGradients(dNdr * jacobian.inverse());
    };
    double detJ = 0;
    centroidGradients[e] = gradients({0.25, 0.25, 0.25, 0.25}, &detJ);
    if (!(detJ > 0)) return false;
    Eigen::Matrix<double, 6, Eigen::Dynamic> b(6, 3 * n);
    for (const detail::QuadraturePoint& p : detail::quadrature(el.type)) {
      const detail::ShapeGradients g = gradients(p.barycentric, &detJ);
      if (!(detJ > 0)) return false;
      b.setZero();
      for (Eigen::Index a = 0; a < n; ++a) {
        const Eigen::Index c = 3 * a;
        b(0, c) = g(a, 0), b(1, c + 1) = g(a, 1), b(2, c + 2) = g(a, 2);
        b(3, c) = g(a, 1), b(3, c + 1) = g(a, 0);
        b(4, c + 1) = g(a, 2), b(4, c + 2) = g(a, 1);
        b(5, c) = g(a, 2), b(5, c + 2) = g(a, 0);
      }
      k.noalias() += p.weight * detJ * (b.transpose() * D * b);
    }
    return true;
  }

  void buildPattern() {
    const auto dofCount = reference.size();
    std::vector<Eigen::Triplet<double>> triplets;
    for (const Element& el : elements)
      for (std::size_t a : el.nodes)
        for (std::size_t b : el.nodes)
          for (int x = 0; x < 3; ++x)
            for (int y = 0; y < 3; ++y)
              triplets.emplace_back(static_cast<int>(3 * a + x), static_cast<int>(3 * b + y), 0);
    matrix.resize(dofCount, dofCount);
    matrix.setFromTriplets(triplets.begin(), triplets.end());
    matrixEntry.resize(stiffness.size());
    const int* outer = matrix.outerIndexPtr();
    const int* inner = matrix.innerIndexPtr();
    parallel::parallelFor({0, elements.size()}, kGrain, [&](parallel::IndexRange r) {
      for (std::size_t e = r.begin; e < r.end; ++e) {
        const std::vector<std::size_t>& nodes = elements[e].nodes;
        const std::size_t n = 3 * nodes.size();
        for (std::size_t q = 0; q < n; ++q)
          for (std::size_t p = 0; p < n; ++p) {
            const auto row = static_cast<int>(3 * nodes[p / 3] + p % 3);
            const auto col = static_cast<int>(3 * nodes[q / 3] + q % 3);
            const int* begin = inner + outer[row];
            matrixEntry[firstEntry[e] + q * n + p] =
                static_cast<int>(std::lower_bound(begin, inner + outer[row + 1], col) - inner);
          }
      }
    });
  }
};

CorotationalModel::CorotationalModel(const FeModel& model, std::vector<std::size_t> prescribedDofs,
                                     Progress& progress)
    : impl_(std::make_unique<Impl>()) {
  Impl& m = *impl_;
  if (model.elements.empty())
    throw Error(ErrorKind::InvalidInput, model.name + " has no elements.", model.name);
  for (const Element& e : model.elements)
    if (e.material < 0)
      throw Error(ErrorKind::InvalidInput,
                  model.name + ": " + elementName(e) +
                      " has no material; give its element set a *SOLID SECTION.",
                  model.name);
  const std::size_t dofCount = 3 * model.nodes.size();
  std::vector<std::size_t> sorted = prescribedDofs;  // the values come in the caller's order
  std::sort(sorted.begin(), sorted.end());
  if (sorted.empty() || sorted.back() >= dofCount ||
      std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end())
    throw Error(ErrorKind::InvalidInput,
                model.name +
                    ": the co-rotational model needs distinct prescribed degrees of "
                    "freedom (3 * node index + 0..2) that hold the body against rigid "
                    "motion.",
                model.name);
  m.elements = model.elements;
  m.reference.resize(static_cast<Eigen::Index>(dofCount));
  for (std::size_t n = 0; n < model.nodes.size(); ++n)
    for (int i = 0; i < 3; ++i)
      m.reference(static_cast<Eigen::Index>(3 * n + i)) = model.nodes[n].x_mm[i];
  m.prescribed = std::move(prescribedDofs);
  m.isPrescribed.assign(dofCount, 0);
  for (std::size_t d : m.prescribed) m.isPrescribed[d] = 1;
  progress.report(0, "Element stiffness");
  m.buildElements(model);
  m.colours = detail::colourElements(model);
  progress.check();
  m.buildPattern();
  m.rotations.assign(m.elements.size(), Quaterniond::Identity());
  m.u = VectorXd::Zero(static_cast<Eigen::Index>(dofCount));
  m.assemble(false);
  double diagonal = 0;  // prescribed rows get the free rows' mean diagonal (well scaled)
  for (Eigen::Index i = 0; i < m.matrix.rows(); ++i)
    if (!m.isPrescribed[static_cast<std::size_t>(i)]) diagonal += std::abs(m.matrix.coeff(i, i));
  m.constraintDiagonal =
      std::max(diagonal, 1e-300) / static_cast<double>(dofCount - m.prescribed.size() + 1);
  m.assemble(false);
  progress.report(0.5, "Multigrid preconditioner");
  std::vector<std::array<double, 3>> positions(model.nodes.size());
  for (std::size_t n = 0; n < model.nodes.size(); ++n) positions[n] = model.nodes[n].x_mm;
  m.preconditioner.build(m.matrix, positions, m.isPrescribed);
  m.internalForce = VectorXd::Zero(m.u.size());
  progress.report(1, "Co-rotational model ready");
}

CorotationalModel::~CorotationalModel() = default;

CorotationalReport CorotationalModel::solve(std::span<const double> prescribed_mm,
                                            const VectorXd& externalForce_N,
                                            const CorotationalOptions& options,
                                            Progress& progress) {
  Impl& m = *impl_;
  if (prescribed_mm.size() != m.prescribed.size() ||
      (externalForce_N.size() != 0 && externalForce_N.size() != m.u.size()))
    throw Error(ErrorKind::InvalidInput,
                "Co-rotational solve: " + std::to_string(prescribed_mm.size()) +
                    " prescribed values for " + std::to_string(m.prescribed.size()) +
                    " prescribed dofs, or nodal forces not 3 per node; give one value per "
                    "prescribed dof.");
  for (std::size_t k = 0; k < m.prescribed.size(); ++k)
    m.u(static_cast<Eigen::Index>(m.prescribed[k])) = prescribed_mm[k];
  const VectorXd external = externalForce_N.size() ? externalForce_N : VectorXd::Zero(m.u.size());
  CorotationalReport report;
  bool cold = true;
  for (const Quaterniond& q : m.rotations) cold = cold && q.w() == 1;
  auto measure = [&](int rotationIterations) {
    m.evaluate(m.u, m.rotations, rotationIterations, &m.internalForce, nullptr, true);
    VectorXd residual = external - m.internalForce;
    double largest = 0;
    for (Eigen::Index i = 0; i < residual.size(); ++i)
      if (m.isPrescribed[static_cast<std::size_t>(i)])
        residual(i) = 0;
      else
        largest = std::max(largest, std::abs(residual(i)));
    const double scale =
        std::max(external.cwiseAbs().maxCoeff(), m.internalForce.cwiseAbs().maxCoeff());
    report.residual_N = largest;
    report.relativeResidual = scale > 0 ? largest / scale : 0;
    report.converged = report.relativeResidual <= options.relativeResidual;
    return residual;
  };
  VectorXd residual = measure(cold ? kColdRotationIterations : kWarmRotationIterations);
  while (!report.converged && report.iterations < options.maximumIterations) {
    progress.check();
    m.assemble(true);
    VectorXd step = VectorXd::Zero(m.u.size());
    const detail::IterativeSolve cg = detail::conjugateGradient(
        m.matrix, m.preconditioner, residual, step, options.iterativeTolerance, kCgLimit);
    report.cgIterations += cg.iterations;
    if (!cg.converged)
      throw Error(ErrorKind::InvalidInput,
                  "Co-rotational solve: the warped stiffness could not be solved (conjugate "
                  "gradients reached a relative residual of " +
                      std::to_string(cg.relativeResidual) +
                      "); check that the prescribed dofs hold the body against rigid motion.");
    // Warped stiffness leaves out how the rotations change with the displacement, so a full
    // step can overshoot (a bending beam oscillates between two shapes): the step length is
    // chosen on the energy slope s(eta) = -step . r(u + eta step), as the Newton solver's line
    // search (Bonet & Wood 2008, section 9.6.2).
    if (!options.lineSearch) {
      m.u += step;
      ++report.iterations;
      // The next call measures the state anyway; the residual reported is the one this
      // solve started from.
      if (report.iterations == options.maximumIterations) break;
      residual = measure(kWarmRotationIterations);
      continue;
    }
    const VectorXd start = m.u;
    const std::vector<Quaterniond> startRotations = m.rotations;
    const double s0 = -step.dot(residual);
    double eta = 1;
    for (int tries = 0; tries < 8; ++tries) {
      m.u = start + eta * step;
      m.rotations = startRotations;
      residual = measure(kWarmRotationIterations);
      const double s = -step.dot(residual);
      if (!(s0 < 0) || s <= 0 || std::abs(s) <= 0.5 * std::abs(s0) || report.converged) break;
      const double ratio = s0 / s;
      eta *= std::clamp(ratio / 2 + std::sqrt(ratio * ratio / 4 - ratio), 0.1, 0.9);
    }
    ++report.iterations;
    progress.report(double(report.iterations) / options.maximumIterations, "Co-rotational solve");
  }
  return report;
}

const VectorXd& CorotationalModel::displacement() const { return impl_->u; }

void CorotationalModel::setDisplacement(const VectorXd& u_mm) {
  if (u_mm.size() != impl_->u.size())
    throw Error(ErrorKind::InvalidInput,
                "Co-rotational model: a displacement needs 3 values per node.");
  impl_->u = u_mm;
}

VectorXd CorotationalModel::internalForce(const VectorXd& u_mm) const {
  std::vector<Quaterniond> q(impl_->elements.size(), Quaterniond::Identity());
  VectorXd f;
  impl_->evaluate(u_mm, q, kColdRotationIterations, &f, nullptr, true);
  return f;
}

double CorotationalModel::strainEnergy_mJ(const VectorXd& u_mm) const {
  std::vector<Quaterniond> q(impl_->elements.size(), Quaterniond::Identity());
  std::vector<double> energy;
  impl_->evaluate(u_mm, q, kColdRotationIterations, nullptr, &energy, true);
  double sum = 0;
  for (double e : energy) sum += e;
  return sum;
}

double CorotationalModel::linearStrainEnergy_mJ(const VectorXd& u_mm) const {
  std::vector<Quaterniond> q(impl_->elements.size(), Quaterniond::Identity());
  std::vector<double> energy;
  impl_->evaluate(u_mm, q, 0, nullptr, &energy, false);
  double sum = 0;
  for (double e : energy) sum += e;
  return sum;
}

}  // namespace twinplan::tissue
