#include "twinplan/engine/live_tool.h"

#include <Eigen/Core>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <string>

#include "shift_scenarios.h"
#include "twinplan/core/error.h"
#include "twinplan/tissue/corotational.h"
#include "twinplan/tissue/displacement_field.h"

namespace twinplan::engine {

struct LiveToolSession::Impl {
  PreparedOrgan organ;
  std::vector<std::size_t> grabbed;  // node indices
  std::vector<std::size_t> dofs;     // held nodes' dofs, then the grabbed nodes'
  std::size_t heldDofs = 0;
  std::unique_ptr<tissue::CorotationalModel> model;
  Vec3 grab_lps = Vec3::Zero(), direction = Vec3::UnitY();
  double tipRadius_mm = 0;
  std::string organName;

  Vec3 at(std::size_t n) const {
    const auto& x = organ.mesh.model.nodes[n].x_mm;
    return {x[0], x[1], x[2]};
  }
  std::vector<char> heldMask() const {
    std::vector<char> held(organ.mesh.model.nodes.size(), 0);
    for (std::size_t n : organ.heldNodes) held[n] = 1;
    return held;
  }
  // The held nodes' dofs, then the grabbed nodes', and the model that prescribes them.
  void buildModel(Progress& progress) {
    dofs.clear();
    for (std::size_t n : organ.heldNodes)
      for (std::size_t k = 0; k < 3; ++k) dofs.push_back(3 * n + k);
    heldDofs = dofs.size();
    for (std::size_t n : grabbed)
      for (std::size_t k = 0; k < 3; ++k) dofs.push_back(3 * n + k);
    model = std::make_unique<tissue::CorotationalModel>(organ.mesh.model, dofs, progress);
  }

  std::vector<std::array<double, 3>> nodalDisplacement() const {
    const Eigen::VectorXd& u = model->displacement();
    std::vector<std::array<double, 3>> out(organ.mesh.model.nodes.size());
    for (std::size_t n = 0; n < out.size(); ++n)
      out[n] = {u(Eigen::Index(3 * n)), u(Eigen::Index(3 * n + 1)), u(Eigen::Index(3 * n + 2))};
    return out;
  }
};

LiveToolSession::LiveToolSession(const LabelMap& labels, const LiverToolSettings& settings,
                                 const std::optional<Vec3>& grab, double resolution_mm,
                                 Progress& progress)
    : impl_(std::make_unique<Impl>()) {
  LiverToolSettings linear = settings;
  linear.nonlinear = false;
  linear.force_N.reset();
  auto meshing = subRange(progress, 0.0, 0.6);
  impl_->organ = prepareOrganUnderTool(labels, linear, resolution_mm, *meshing);
  impl_->tipRadius_mm = settings.tipRadius_mm;
  impl_->organName = settings.organ;
  const double length =
      std::hypot(settings.direction[0], settings.direction[1], settings.direction[2]);
  impl_->direction =
      Vec3(settings.direction[0], settings.direction[1], settings.direction[2]) / length;
  const Vec3 grab_lps = grab.value_or(impl_->organ.tip_lps);
  impl_->grab_lps = grab_lps;
  // The tool comes to the surface: the free surface nodes under the tip, else the nearest
  // surface node within one lattice edge.
  const tissue::FeModel& model = impl_->organ.mesh.model;
  const std::vector<char> held = impl_->heldMask();
  double nearest_mm = 1e300;
  std::size_t nearest = 0;
  for (std::size_t n : model.nodeSets.at("SURFACE")) {
    const double d = (impl_->at(n) - grab_lps).norm();
    if (d < nearest_mm) nearest_mm = d, nearest = n;
    if (d <= settings.tipRadius_mm && !held[n]) impl_->grabbed.push_back(n);
  }
  if (impl_->grabbed.empty() && nearest_mm <= resolution_mm && !held[nearest])
    impl_->grabbed.push_back(nearest);
  if (impl_->grabbed.empty())
    throw Error(ErrorKind::InvalidInput,
                "No free surface node of the " + settings.organ + " lies within " +
                    std::to_string(resolution_mm) + " mm of the tool (the nearest is " +
                    std::to_string(nearest_mm) +
                    " mm away, or on the held side); put the tool on the organ's surface.",
                "parameters.tip");
  auto building = subRange(progress, 0.6, 1.0);
  impl_->buildModel(*building);
}

void LiveToolSession::regrab(const Vec3& grab_lps, Progress& progress) {
  if (!grab_lps.allFinite())
    throw Error(ErrorKind::InvalidInput, "The grab point is not a finite LPS point.", "grab_lps");
  const tissue::FeModel& model = impl_->organ.mesh.model;
  const std::vector<char> held = impl_->heldMask();
  std::vector<std::size_t> grabbed;
  double nearest_mm = 1e300;
  std::size_t nearest = model.nodes.size();
  for (std::size_t n = 0; n < model.nodes.size(); ++n) {
    if (held[n]) continue;
    const double d = (impl_->at(n) - grab_lps).norm();
    if (d < nearest_mm) nearest_mm = d, nearest = n;
    if (d <= impl_->tipRadius_mm) grabbed.push_back(n);
  }
  if (grabbed.empty() && nearest < model.nodes.size()) grabbed.push_back(nearest);
  if (grabbed.empty())
    throw Error(ErrorKind::InvalidInput,
                "Every node of the " + impl_->organName + " mesh is held; nothing to grab.",
                "grab_lps");
  // Built aside, so that a cancelled or failed rebuild leaves the session as it was.
  std::vector<std::size_t> dofs(impl_->dofs.begin(),
                                impl_->dofs.begin() + std::ptrdiff_t(impl_->heldDofs));
  for (std::size_t n : grabbed)
    for (std::size_t k = 0; k < 3; ++k) dofs.push_back(3 * n + k);
  auto rebuilt = std::make_unique<tissue::CorotationalModel>(model, dofs, progress);
  impl_->grabbed = std::move(grabbed);
  impl_->dofs = std::move(dofs);
  impl_->model = std::move(rebuilt);
  impl_->grab_lps = grab_lps;
}

std::vector<Vec3> LiveToolSession::grabbedPoints_lps() const {
  std::vector<Vec3> out;
  for (std::size_t n : impl_->grabbed) out.push_back(impl_->at(n));
  return out;
}

LiveToolSession::~LiveToolSession() = default;

LiveToolUpdate LiveToolSession::update(const Vec3& offset_mm, int iterations,
                                       std::optional<double> cgTolerance) {
  const auto start = std::chrono::steady_clock::now();
  std::vector<double> values(impl_->dofs.size(), 0.0);
  for (std::size_t i = impl_->heldDofs; i < values.size(); ++i)
    values[i] = offset_mm[Eigen::Index((i - impl_->heldDofs) % 3)];
  tissue::CorotationalOptions options;
  options.maximumIterations = std::max(1, iterations);
  options.lineSearch = false;  // small per-frame steps (corotational.h)
  options.iterativeTolerance = cgTolerance.value_or(iterations <= 1 ? 0.1 : 1e-6);
  const tissue::CorotationalReport report = impl_->model->solve(values, {}, options);
  LiveToolUpdate out;
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  out.cgIterations = report.cgIterations;
  out.relativeResidual = report.relativeResidual;
  const Eigen::VectorXd& u = impl_->model->displacement();
  for (Eigen::Index n = 0; n + 2 < u.size(); n += 3)
    out.maxDisplacement_mm = std::max(out.maxDisplacement_mm, u.segment<3>(n).norm());
  return out;
}

Vec3 LiveToolSession::displacementAt(const Vec3& p_lps) const {
  const tissue::DisplacementInterpolator u(impl_->organ.mesh.model, impl_->nodalDisplacement());
  return u.atOrZero(p_lps);
}

SurfaceMesh LiveToolSession::deformed(const SurfaceMesh& reference) const {
  const tissue::DisplacementInterpolator u(impl_->organ.mesh.model, impl_->nodalDisplacement());
  return tissue::warpSurfaceMesh(reference, u);
}

std::size_t LiveToolSession::tetCount() const { return impl_->organ.mesh.model.elements.size(); }
std::size_t LiveToolSession::grabbedNodes() const { return impl_->grabbed.size(); }
Vec3 LiveToolSession::grabPoint() const { return impl_->grab_lps; }
Vec3 LiveToolSession::direction() const { return impl_->direction; }

}  // namespace twinplan::engine
