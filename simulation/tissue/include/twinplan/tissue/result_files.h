#pragma once
// Writes a solved model for viewing and cross-checking: ParaView/VTK's XML unstructured grid
// (.vtu, ASCII; VTK File Formats, "UnstructuredGrid") with the reference mesh, a
// "displacement_mm" and a "reaction_N" point array and a "material" cell array, or plain JSON
// displacements.
#include <filesystem>

#include "twinplan/tissue/fe_model.h"
#include "twinplan/tissue/fem_solver.h"

namespace twinplan::tissue {

// VTK_TETRA (10) for C3D4, VTK_QUADRATIC_TETRA (24) for C3D10, whose node order is Abaqus'.
// Written to a temporary file and renamed, so a failed write leaves no half file.
void writeVtu(const FeModel& model, const SolveResult& result, const std::filesystem::path& path);

// {"nodes": [{"id", "x_mm": [3], "u_mm": [3]}]}, written the same way.
void writeDisplacementJson(const FeModel& model, const SolveResult& result,
                           const std::filesystem::path& path);

}  // namespace twinplan::tissue
