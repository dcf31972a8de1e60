#include "multigrid.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "twinplan/core/parallel.h"

namespace twinplan::tissue::detail {
namespace {

using Eigen::VectorXd;
constexpr std::size_t kRowGrain = 512;
constexpr int kRigidModes = 6;
// Coupling threshold of the strength graph, halved on every coarser level (Vanek et al. 1996,
// section 4: theta = 0.08 (1/2)^level).
constexpr double kStrengthThreshold = 0.08;
constexpr Eigen::Index kCoarsestSize = 600;  // unknowns solved by a dense factor
constexpr int kMaximumLevels = 10;
constexpr int kSmoothingSweeps = 2;  // before and after the coarse correction

// One level's unknowns grouped by node (3 per mesh node, up to 6 per aggregate further down).
struct NodeBlocks {
  std::vector<int> first;  // per node, its first dof; one past the last at the end
  std::size_t nodeCount() const { return first.size() - 1; }
};

std::vector<int> nodeOfDof(const NodeBlocks& blocks) {
  std::vector<int> node(static_cast<std::size_t>(blocks.first.back()));
  for (std::size_t n = 0; n < blocks.nodeCount(); ++n)
    for (int d = blocks.first[n]; d < blocks.first[n + 1]; ++d)
      node[static_cast<std::size_t>(d)] = static_cast<int>(n);
  return node;
}

// Nodes i != j coupled by a block with |A_ij|_F >= theta sqrt(|A_ii|_F |A_jj|_F).
std::vector<std::vector<int>> strongNeighbours(const RowMatrix& a, const NodeBlocks& blocks,
                                               double theta) {
  const std::vector<int> node = nodeOfDof(blocks);
  std::vector<std::vector<std::pair<int, double>>> couplings(blocks.nodeCount());
  for (std::size_t n = 0; n < blocks.nodeCount(); ++n) {
    auto& c = couplings[n];
    for (int row = blocks.first[n]; row < blocks.first[n + 1]; ++row)
      for (RowMatrix::InnerIterator it(a, row); it; ++it)
        c.emplace_back(node[static_cast<std::size_t>(it.col())], it.value() * it.value());
    std::sort(c.begin(), c.end(), [](auto& x, auto& y) { return x.first < y.first; });
    std::size_t out = 0;
    for (std::size_t i = 0; i < c.size(); ++i) {
      if (out > 0 && c[out - 1].first == c[i].first)
        c[out - 1].second += c[i].second;
      else
        c[out++] = c[i];
    }
    c.resize(out);
  }
  std::vector<double> diagonal(blocks.nodeCount(), 0);
  for (std::size_t n = 0; n < blocks.nodeCount(); ++n)
    for (const auto& [other, squared] : couplings[n])
      if (other == static_cast<int>(n)) diagonal[n] = std::sqrt(squared);
  std::vector<std::vector<int>> strong(blocks.nodeCount());
  for (std::size_t n = 0; n < blocks.nodeCount(); ++n)
    for (const auto& [other, squared] : couplings[n])
      if (other != static_cast<int>(n) &&
          std::sqrt(squared) >= theta * std::sqrt(diagonal[n] * diagonal[other]))
        strong[n].push_back(other);
  return strong;
}

// Vanek et al. 1996, section 4: (1) a node whose strong neighbours are all free starts an
// aggregate with them; (2) the rest join an aggregate of a strong neighbour; (3) what is left
// forms aggregates with its free neighbours. Returns the aggregate of every node.
std::vector<int> aggregate(const std::vector<std::vector<int>>& strong, int& aggregateCount) {
  const std::size_t n = strong.size();
  std::vector<int> of(n, -1);
  aggregateCount = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (of[i] >= 0 || strong[i].empty()) continue;
    if (std::any_of(strong[i].begin(), strong[i].end(), [&](int j) { return of[j] >= 0; }))
      continue;
    of[i] = aggregateCount;
    for (int j : strong[i]) of[static_cast<std::size_t>(j)] = aggregateCount;
    ++aggregateCount;
  }
  std::vector<int> joined = of;
  for (std::size_t i = 0; i < n; ++i) {
    if (of[i] >= 0) continue;
    for (int j : strong[i])
      if (of[static_cast<std::size_t>(j)] >= 0) {
        joined[i] = of[static_cast<std::size_t>(j)];
        break;
      }
  }
  of = joined;
  for (std::size_t i = 0; i < n; ++i) {
    if (of[i] >= 0) continue;
    of[i] = aggregateCount;
    for (int j : strong[i])
      if (of[static_cast<std::size_t>(j)] < 0) of[static_cast<std::size_t>(j)] = aggregateCount;
    ++aggregateCount;
  }
  return of;
}

// The tentative prolongator: on each aggregate, an orthonormal basis Q of the near-null space
// restricted to it (modified Gram-Schmidt, dropping dependent modes), and the coarse near-null
// space R with B = Q R. Fills the coarse level's blocks.
RowMatrix tentativeProlongator(const Eigen::MatrixXd& nullSpace, const NodeBlocks& blocks,
                               const std::vector<int>& aggregateOf, int aggregateCount,
                               Eigen::MatrixXd& coarseNullSpace, NodeBlocks& coarseBlocks) {
  std::vector<std::vector<int>> dofs(static_cast<std::size_t>(aggregateCount));
  for (std::size_t n = 0; n < blocks.nodeCount(); ++n)
    for (int d = blocks.first[n]; d < blocks.first[n + 1]; ++d)
      dofs[static_cast<std::size_t>(aggregateOf[n])].push_back(d);
  std::vector<Eigen::Triplet<double>> entries;
  std::vector<Eigen::Matrix<double, kRigidModes, kRigidModes>> coarseRows;
  std::vector<int> ranks;
  int coarseDofs = 0;
  for (const std::vector<int>& members : dofs) {
    const auto m = static_cast<Eigen::Index>(members.size());
    Eigen::MatrixXd q(m, kRigidModes);
    for (Eigen::Index r = 0; r < m; ++r) q.row(r) = nullSpace.row(members[r]);
    Eigen::Matrix<double, kRigidModes, kRigidModes> rFactor =
        Eigen::Matrix<double, kRigidModes, kRigidModes>::Zero();
    int rank = 0;
    for (int c = 0; c < kRigidModes; ++c) {
      Eigen::VectorXd v = q.col(c);
      const double original = v.norm();
      for (int pass = 0; pass < 2; ++pass)
        for (int k = 0; k < rank; ++k) {
          const double coefficient = q.col(k).dot(v);
          rFactor(k, c) += coefficient;
          v -= coefficient * q.col(k);
        }
      const double length = v.norm();
      if (!(length > 1e-10 * original) || !(original > 0)) continue;
      q.col(rank) = v / length;
      rFactor(rank, c) = length;
      ++rank;
    }
    for (Eigen::Index r = 0; r < m; ++r)
      for (int k = 0; k < rank; ++k) entries.emplace_back(members[r], coarseDofs + k, q(r, k));
    coarseRows.push_back(rFactor);
    ranks.push_back(rank);
    coarseDofs += rank;
  }
  coarseBlocks.first.assign(1, 0);
  coarseNullSpace.resize(coarseDofs, kRigidModes);
  for (std::size_t g = 0; g < coarseRows.size(); ++g) {
    if (ranks[g] == 0) continue;  // an aggregate of prescribed dofs only: no coarse unknowns
    const int start = coarseBlocks.first.back();
    coarseNullSpace.middleRows(start, ranks[g]) = coarseRows[g].topRows(ranks[g]);
    coarseBlocks.first.push_back(start + ranks[g]);
  }
  RowMatrix p(nullSpace.rows(), coarseDofs);
  p.setFromTriplets(entries.begin(), entries.end());
  return p;
}

// The largest eigenvalue of D^-1 A by power iteration (enough to place the Jacobi weights).
double spectralRadius(const RowMatrix& a, const VectorXd& inverseDiagonal) {
  VectorXd x = VectorXd::LinSpaced(a.rows(), 1.0, 2.0), y(a.rows());
  double rho = 1;
  for (int i = 0; i < 15; ++i) {
    x.normalize();
    multiply(a, x, y);
    y = inverseDiagonal.cwiseProduct(y);
    rho = y.norm();
    if (!(rho > 0)) return 1;
    x = y;
  }
  return 1.1 * rho;  // power iteration approaches from below
}

// Rigid-body modes at every dof (zero at prescribed ones), rotations about the centroid in
// units of the model's size so that all six columns are of one scale.
Eigen::MatrixXd rigidBodyModes(const std::vector<std::array<double, 3>>& nodes_mm,
                               const std::vector<char>& constrained,
                               const std::vector<Multigrid::NodeFrame>& rotatedNodes) {
  Eigen::Vector3d centre = Eigen::Vector3d::Zero(), lo, hi;
  lo.setConstant(1e300);
  hi.setConstant(-1e300);
  for (const auto& x : nodes_mm) {
    const Eigen::Vector3d p(x.data());
    centre += p;
    lo = lo.cwiseMin(p);
    hi = hi.cwiseMax(p);
  }
  centre /= std::max<double>(1, static_cast<double>(nodes_mm.size()));
  const double size = std::max((hi - lo).maxCoeff(), 1e-12);
  Eigen::MatrixXd b = Eigen::MatrixXd::Zero(static_cast<Eigen::Index>(3 * nodes_mm.size()), 6);
  for (std::size_t n = 0; n < nodes_mm.size(); ++n) {
    const Eigen::Vector3d p = (Eigen::Vector3d(nodes_mm[n].data()) - centre) / size;
    const auto r = static_cast<Eigen::Index>(3 * n);
    b.block<3, 3>(r, 0).setIdentity();
    b(r + 1, 3) = -p.z(), b(r + 2, 3) = p.y();  // rotation about x
    b(r + 0, 4) = p.z(), b(r + 2, 4) = -p.x();  // about y
    b(r + 0, 5) = -p.y(), b(r + 1, 5) = p.x();  // about z
  }
  for (const auto& [node, frame] : rotatedNodes) {
    const auto r = static_cast<Eigen::Index>(3 * node);
    b.block<3, 6>(r, 0) = (frame.transpose() * b.block<3, 6>(r, 0)).eval();
  }
  for (std::size_t d = 0; d < constrained.size(); ++d)
    if (constrained[d]) b.row(static_cast<Eigen::Index>(d)).setZero();
  return b;
}

void smooth(const RowMatrix& a, const VectorXd& inverseDiagonal, double weight, const VectorXd& b,
            VectorXd& x, VectorXd& scratch) {
  multiply(a, x, scratch);
  x += weight * inverseDiagonal.cwiseProduct(b - scratch);
}

}  // namespace

void multiply(const RowMatrix& a, const VectorXd& x, VectorXd& y) {
  y.resize(a.rows());
  const int* outer = a.outerIndexPtr();
  const int* inner = a.innerIndexPtr();
  const double* values = a.valuePtr();
  parallel::parallelFor({0, static_cast<std::size_t>(a.rows())}, kRowGrain,
                        [&](parallel::IndexRange r) {
                          for (std::size_t row = r.begin; row < r.end; ++row) {
                            double sum = 0;
                            for (int k = outer[row]; k < outer[row + 1]; ++k)
                              sum += values[k] * x[inner[k]];
                            y[static_cast<Eigen::Index>(row)] = sum;
                          }
                        });
}

void Multigrid::build(const RowMatrix& a, const std::vector<std::array<double, 3>>& nodes_mm,
                      const std::vector<char>& constrained,
                      const std::vector<NodeFrame>& rotatedNodes) {
  setUp(a, nodes_mm, constrained, rotatedNodes, false);
}

void Multigrid::update(const RowMatrix& a, const std::vector<std::array<double, 3>>& nodes_mm,
                       const std::vector<char>& constrained,
                       const std::vector<NodeFrame>& rotatedNodes) {
  setUp(a, nodes_mm, constrained, rotatedNodes, true);
}

void Multigrid::setUp(const RowMatrix& a, const std::vector<std::array<double, 3>>& nodes_mm,
                      const std::vector<char>& constrained,
                      const std::vector<NodeFrame>& rotatedNodes, bool keepAggregates) {
  levels_.clear();
  NodeBlocks blocks;
  blocks.first.resize(nodes_mm.size() + 1);
  for (std::size_t n = 0; n <= nodes_mm.size(); ++n) blocks.first[n] = static_cast<int>(3 * n);
  Eigen::MatrixXd nullSpace = rigidBodyModes(nodes_mm, constrained, rotatedNodes);
  RowMatrix current = a;
  double theta = kStrengthThreshold;
  while (true) {
    Level level;
    level.a = std::move(current);
    level.inverseDiagonal = level.a.diagonal().cwiseInverse();
    level.jacobiWeight = 4.0 / 3.0 / spectralRadius(level.a, level.inverseDiagonal);
    if (level.a.rows() <= kCoarsestSize || static_cast<int>(levels_.size()) + 1 >= kMaximumLevels) {
      levels_.push_back(std::move(level));
      break;
    }
    const std::size_t l = levels_.size();
    keepAggregates = keepAggregates && l < aggregations_.size() &&
                     aggregations_[l].aggregateOf.size() == blocks.nodeCount();
    if (!keepAggregates) {
      aggregations_.resize(l + 1);
      aggregations_[l].aggregateOf =
          aggregate(strongNeighbours(level.a, blocks, theta), aggregations_[l].count);
    }
    const Aggregation& aggregation = aggregations_[l];
    Eigen::MatrixXd coarseNullSpace;
    NodeBlocks coarseBlocks;
    const RowMatrix tentative =
        tentativeProlongator(nullSpace, blocks, aggregation.aggregateOf, aggregation.count,
                             coarseNullSpace, coarseBlocks);
    if (tentative.cols() == 0 || tentative.cols() > 0.8 * level.a.rows()) {
      levels_.push_back(std::move(level));  // coarsening stalled: solve this level directly
      break;
    }
    // P = (I - w D^-1 A) P_tent
    const RowMatrix ap = level.a * tentative;
    level.prolongator =
        tentative - RowMatrix((level.jacobiWeight * level.inverseDiagonal).asDiagonal() * ap);
    level.restriction = level.prolongator.transpose();
    current = level.restriction * RowMatrix(level.a * level.prolongator);
    nullSpace = std::move(coarseNullSpace);
    blocks = std::move(coarseBlocks);
    theta /= 2;
    levels_.push_back(std::move(level));
  }
  if (aggregations_.size() > levels_.size()) aggregations_.resize(levels_.size());
  coarse_ = Eigen::MatrixXd(levels_.back().a);
  coarseFactor_.compute(coarse_);
}

void Multigrid::refreshFinest(const RowMatrix& a) {
  Level& finest = levels_.front();
  finest.a = a;
  finest.inverseDiagonal = finest.a.diagonal().cwiseInverse();
  finest.jacobiWeight = 4.0 / 3.0 / spectralRadius(finest.a, finest.inverseDiagonal);
  if (levels_.size() == 1) {
    coarse_ = Eigen::MatrixXd(finest.a);
    coarseFactor_.compute(coarse_);
  }
}

void Multigrid::cycle(std::size_t l, const VectorXd& b, VectorXd& x) const {
  const Level& level = levels_[l];
  if (l + 1 == levels_.size()) {
    x = coarseFactor_.solve(b);
    return;
  }
  VectorXd scratch(b.size());
  x = level.jacobiWeight * level.inverseDiagonal.cwiseProduct(b);
  for (int s = 1; s < kSmoothingSweeps; ++s)
    smooth(level.a, level.inverseDiagonal, level.jacobiWeight, b, x, scratch);
  multiply(level.a, x, scratch);
  const VectorXd residual = b - scratch;
  VectorXd coarseResidual, coarseCorrection;
  multiply(level.restriction, residual, coarseResidual);
  cycle(l + 1, coarseResidual, coarseCorrection);
  multiply(level.prolongator, coarseCorrection, scratch);
  x += scratch;
  for (int s = 0; s < kSmoothingSweeps; ++s)
    smooth(level.a, level.inverseDiagonal, level.jacobiWeight, b, x, scratch);
}

VectorXd Multigrid::apply(const VectorXd& r) const {
  VectorXd x;
  cycle(0, r, x);
  return x;
}

IterativeSolve conjugateGradient(const RowMatrix& a, const Multigrid& preconditioner,
                                 const VectorXd& b, VectorXd& x, double tolerance,
                                 int maximumIterations) {
  IterativeSolve out;
  const double bNorm = b.norm();
  if (x.size() != b.size()) x = VectorXd::Zero(b.size());
  if (!(bNorm > 0)) {
    x.setZero();
    out.converged = true;
    return out;
  }
  VectorXd r(b.size()), ap(b.size());
  multiply(a, x, ap);
  r = b - ap;
  VectorXd z = preconditioner.apply(r), p = z;
  double rz = r.dot(z);
  for (out.iterations = 0; out.iterations < maximumIterations; ++out.iterations) {
    out.relativeResidual = r.norm() / bNorm;
    if (out.relativeResidual <= tolerance) {
      out.converged = true;
      return out;
    }
    multiply(a, p, ap);
    const double curvature = p.dot(ap);
    if (!(curvature > 0)) return out;  // not positive definite
    const double alpha = rz / curvature;
    x += alpha * p;
    r -= alpha * ap;
    z = preconditioner.apply(r);
    const double rzNext = r.dot(z);
    p = z + (rzNext / rz) * p;
    rz = rzNext;
  }
  out.relativeResidual = r.norm() / bNorm;
  out.converged = out.relativeResidual <= tolerance;
  return out;
}

IterativeSolve minimalResidual(const RowMatrix& a, const Multigrid& preconditioner,
                               const VectorXd& b, VectorXd& x, double tolerance,
                               int maximumIterations) {
  // The preconditioned Lanczos process builds M-orthonormal directions z_j (v_j = M z_j
  // unnormalised, gamma_j their M^-1 norm); Givens rotations (c, s) turn its tridiagonal matrix
  // into an upper triangular one, whose columns w_j update x; |eta| is |r|_{M^-1}.
  IterativeSolve out;
  if (x.size() != b.size()) x = VectorXd::Zero(b.size());
  VectorXd az(b.size());
  multiply(a, x, az);
  VectorXd v = b - az, vPrevious = VectorXd::Zero(b.size());
  VectorXd z = preconditioner.apply(v);
  double gammaSquared = z.dot(v);
  if (!(gammaSquared >= 0)) return out;
  double gamma = std::sqrt(gammaSquared), gammaPrevious = 1;
  const double start = gamma;
  if (!(start > 0)) {
    out.converged = true;
    return out;
  }
  double eta = gamma, c = 1, cPrevious = 1, s = 0, sPrevious = 0;
  VectorXd w = VectorXd::Zero(b.size()), wPrevious = VectorXd::Zero(b.size());
  for (out.iterations = 0; out.iterations < maximumIterations; ++out.iterations) {
    out.relativeResidual = std::abs(eta) / start;
    if (out.relativeResidual <= tolerance) {
      out.converged = true;
      return out;
    }
    z /= gamma;
    multiply(a, z, az);
    const double delta = az.dot(z);
    VectorXd vNext = az - (delta / gamma) * v - (gamma / gammaPrevious) * vPrevious;
    VectorXd zNext = preconditioner.apply(vNext);
    const double gammaNextSquared = zNext.dot(vNext);
    if (!(gammaNextSquared >= 0)) return out;  // the preconditioner is not positive definite
    const double gammaNext = std::sqrt(gammaNextSquared);
    const double alpha0 = c * delta - cPrevious * s * gamma;
    const double alpha1 = std::hypot(alpha0, gammaNext);
    const double alpha2 = s * delta + cPrevious * c * gamma;
    const double alpha3 = sPrevious * gamma;
    if (!(alpha1 > 0)) return out;  // A singular on the Krylov space
    const double cNext = alpha0 / alpha1, sNext = gammaNext / alpha1;
    VectorXd wNext = (z - alpha3 * wPrevious - alpha2 * w) / alpha1;
    x += cNext * eta * wNext;
    eta = -sNext * eta;
    wPrevious.swap(w);
    w.swap(wNext);
    vPrevious.swap(v);
    v.swap(vNext);
    z.swap(zNext);
    gammaPrevious = gamma;
    gamma = gammaNext;
    cPrevious = c;
    c = cNext;
    sPrevious = s;
    s = sNext;
    if (!(gamma > 0)) {  // the Krylov space is exhausted: x is exact
      out.relativeResidual = std::abs(eta) / start;
      out.converged = true;
      ++out.iterations;
      return out;
    }
  }
  out.relativeResidual = std::abs(eta) / start;
  out.converged = out.relativeResidual <= tolerance;
  return out;
}

}  // namespace twinplan::tissue::detail
