#include "twinplan/engine/live_tool.h"

#include <Eigen/Core>
#include <algorithm>
#include <chrono>
#include <cmath>

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
  const tissue::FeModel& model = impl_->organ.mesh.model;
  const Vec3 grab_lps = grab.value_or(impl_->organ.tip_lps);
  impl_->grab_lps = grab_lps;
  const double length =
      std::hypot(settings.direction[0], settings.direction[1], settings.direction[2]);
  impl_->direction =
      Vec3(settings.direction[0], settings.direction[1], settings.direction[2]) / length;
  const auto at = [&](std::size_t n) {
    return Vec3(model.nodes[n].x_mm[0], model.nodes[n].x_mm[1], model.nodes[n].x_mm[2]);
  };
  std::vector<char> held(model.nodes.size(), 0);
  for (std::size_t n : impl_->organ.heldNodes) held[n] = 1;
  double nearest_mm = 1e300;
  std::size_t nearest = 0;
  for (std::size_t n : model.nodeSets.at("SURFACE")) {
    const double d = (at(n) - grab_lps).norm();
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
  for (std::size_t n : impl_->organ.heldNodes)
    for (std::size_t k = 0; k < 3; ++k) impl_->dofs.push_back(3 * n + k);
  impl_->heldDofs = impl_->dofs.size();
  for (std::size_t n : impl_->grabbed)
    for (std::size_t k = 0; k < 3; ++k) impl_->dofs.push_back(3 * n + k);
  auto building = subRange(progress, 0.6, 1.0);
  impl_->model = std::make_unique<tissue::CorotationalModel>(model, impl_->dofs, *building);
}

LiveToolSession::~LiveToolSession() = default;

LiveToolUpdate LiveToolSession::update(const Vec3& offset_mm, int iterations) {
  const auto start = std::chrono::steady_clock::now();
  std::vector<double> values(impl_->dofs.size(), 0.0);
  for (std::size_t i = impl_->heldDofs; i < values.size(); ++i)
    values[i] = offset_mm[Eigen::Index((i - impl_->heldDofs) % 3)];
  tissue::CorotationalOptions options;
  options.maximumIterations = std::max(1, iterations);
  options.lineSearch = false;  // small per-frame steps (corotational.h)
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
