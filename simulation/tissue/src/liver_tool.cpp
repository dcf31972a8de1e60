#include "twinplan/tissue/liver_tool.h"

#include <cmath>
#include <string>

#include "twinplan/core/error.h"

namespace twinplan::tissue {
namespace {

struct ToolNode {
  std::size_t node;
  double radial_mm;  // distance from the tool's axis
};

std::vector<ToolNode> nodesUnderTool(const FeModel& model, const ToolIndentation& tool,
                                     const std::array<double, 3>& d) {
  std::vector<ToolNode> out;
  auto consider = [&](std::size_t n) {
    std::array<double, 3> r{};
    for (int i = 0; i < 3; ++i) r[i] = model.nodes[n].x_mm[i] - tool.surfacePoint_mm[i];
    const double axial = r[0] * d[0] + r[1] * d[1] + r[2] * d[2];
    const double radial =
        std::sqrt(std::max(0.0, r[0] * r[0] + r[1] * r[1] + r[2] * r[2] - axial * axial));
    if (std::abs(axial) <= tool.surfaceTolerance_mm && radial <= tool.radius_mm * (1 + 1e-9))
      out.push_back({n, radial});
  };
  if (tool.surfaceNodes.empty())
    for (std::size_t n = 0; n < model.nodes.size(); ++n) consider(n);
  else
    for (std::size_t n : tool.surfaceNodes) consider(n);
  return out;
}

// How far a node under the tool is pushed along its axis at depth `depth`: the whole depth
// under a flat face; under a ball, the depth less the sphere's height above its lowest point at
// that radius, and not at all where the ball has not reached the surface yet.
double pushAt(const ToolIndentation& tool, double radial, double depth) {
  if (tool.shape == ToolIndentation::Shape::FlatCylinder) return depth;
  const double r = tool.radius_mm;
  return depth - (r - std::sqrt(std::max(0.0, r * r - radial * radial)));
}

}  // namespace

ToolResult indentWithTool(const FeModel& model, const ToolIndentation& tool, bool nlgeom,
                          const SolverOptions& options, Progress& progress) {
  const double length = std::hypot(tool.direction[0], tool.direction[1], tool.direction[2]);
  if (!(length > 0) || !(tool.radius_mm > 0))
    throw Error(ErrorKind::InvalidInput,
                model.name + ": the tool needs a direction and a positive radius.", model.name);
  const std::array<double, 3> d{tool.direction[0] / length, tool.direction[1] / length,
                                tool.direction[2] / length};
  for (std::size_t i = 0; i < tool.depths_mm.size(); ++i)
    if (!(tool.depths_mm[i] > 0) || (i > 0 && !(tool.depths_mm[i] > tool.depths_mm[i - 1])))
      throw Error(ErrorKind::InvalidInput,
                  model.name + ": the tool's depths must be positive and increasing (depth " +
                      std::to_string(i + 1) + " is " + std::to_string(tool.depths_mm[i]) + " mm).",
                  model.name);
  const std::vector<ToolNode> under = nodesUnderTool(model, tool, d);
  if (under.empty())
    throw Error(ErrorKind::InvalidInput,
                model.name + ": no surface node lies under the tool (radius " +
                    std::to_string(tool.radius_mm) +
                    " mm); place it on the organ's surface or widen it.",
                model.name);
  ToolResult out;
  for (const ToolNode& t : under) out.toolNodes.push_back(t.node);
  for (std::size_t i = 0; i < tool.depths_mm.size(); ++i) {
    const double depth = tool.depths_mm[i];
    FeModel loaded = model;
    loaded.steps.assign(1, Step{});
    Step& step = loaded.steps[0];
    step.nlgeom = nlgeom;
    step.initialIncrement = nlgeom ? 0.25 : 1;
    std::vector<std::size_t> pushed;
    for (const ToolNode& t : under) {
      const double push = pushAt(tool, t.radial_mm, depth);
      if (push <= 0) continue;  // a ball tip has not reached this node: it stays free
      pushed.push_back(t.node);
      for (int k = 0; k < 3; ++k) step.boundaries.push_back({t.node, k, push * d[k]});
    }
    auto depthProgress = subRange(progress, double(i) / tool.depths_mm.size(),
                                  double(i + 1) / tool.depths_mm.size());
    out.deepest = solve(loaded, options, *depthProgress);
    IndentationPoint point{depth, 0, out.deepest.totalIterations};
    for (std::size_t n : pushed)
      for (int k = 0; k < 3; ++k) point.force_N += out.deepest.reaction_N[n][k] * d[k];
    out.curve.push_back(point);
  }
  return out;
}

}  // namespace twinplan::tissue
