#pragma once
// `twinplan-cli fem solve MODEL.inp [--out result.vtu|result.json]`: reads an Abaqus/CalculiX
// deck (simulation/tissue/inp_reader.h), solves it and summarises the displacements. Kept
// apart from main.cpp so that later fem/shift commands merge cleanly beside it.
#include <filesystem>
#include <nlohmann/json.hpp>

#include "twinplan/core/progress.h"

namespace twinplan::cli {

// {"model", "nodes", "elements", "steps": [{"nlgeom", "increments", "iterations",
// "residual_N"}], "iterations", "residual_N", "max_displacement_mm", "max_displacement_node",
// "max_displacement_vector_mm", "mean_displacement_mm", "solve_time_s", "output", "notes"}.
nlohmann::json runFemSolve(const std::filesystem::path& model, const std::filesystem::path& out,
                           Progress& progress);

}  // namespace twinplan::cli
