#include "fem_command.h"

#include <cmath>

#include "twinplan/core/error.h"
#include "twinplan/tissue/fem_solver.h"
#include "twinplan/tissue/inp_reader.h"
#include "twinplan/tissue/result_files.h"

namespace twinplan::cli {

nlohmann::json runFemSolve(const std::filesystem::path& modelPath, const std::filesystem::path& out,
                           Progress& progress) {
  const std::string extension = out.extension().string();
  if (!out.empty() && extension != ".vtu" && extension != ".json")
    throw Error(ErrorKind::InvalidInput,
                "--out " + out.string() + ": write a .vtu (ParaView) or a .json file.",
                out.string());
  const tissue::FeModel model = tissue::readInp(modelPath);
  const tissue::SolveResult result = tissue::solve(model, {}, progress);

  double largest = -1, sum = 0;
  std::size_t largestNode = 0;
  for (std::size_t n = 0; n < result.displacement_mm.size(); ++n) {
    const auto& u = result.displacement_mm[n];
    const double magnitude = std::sqrt(u[0] * u[0] + u[1] * u[1] + u[2] * u[2]);
    sum += magnitude;
    if (magnitude > largest) largest = magnitude, largestNode = n;
  }
  nlohmann::json steps = nlohmann::json::array();
  for (std::size_t s = 0; s < result.steps.size(); ++s)
    steps.push_back({{"nlgeom", model.steps[s].nlgeom},
                     {"increments", result.steps[s].increments},
                     {"iterations", result.steps[s].iterations},
                     {"residual_N", result.steps[s].residual}});
  nlohmann::json summary = {{"model", modelPath.string()},
                            {"nodes", model.nodes.size()},
                            {"elements", model.elements.size()},
                            {"steps", steps},
                            {"iterations", result.totalIterations},
                            {"residual_N", result.finalResidual},
                            {"max_displacement_mm", largest},
                            {"max_displacement_node", model.nodes[largestNode].id},
                            {"max_displacement_vector_mm", result.displacement_mm[largestNode]},
                            {"mean_displacement_mm", sum / static_cast<double>(model.nodes.size())},
                            {"solve_time_s", result.solveTime_s},
                            {"notes", model.notes}};
  if (!out.empty()) {
    if (extension == ".vtu")
      tissue::writeVtu(model, result, out);
    else
      tissue::writeDisplacementJson(model, result, out);
    summary["output"] = out.string();
  }
  return summary;
}

}  // namespace twinplan::cli
