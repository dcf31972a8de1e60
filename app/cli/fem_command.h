#pragma once
// `twinplan-cli fem solve MODEL.inp [--out result.vtu|result.json]`: reads an Abaqus/CalculiX
// deck (simulation/tissue/inp_reader.h), solves it and summarises the displacements. Kept
// apart from main.cpp so that later fem/shift commands merge cleanly beside it.
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "twinplan/core/progress.h"

namespace twinplan::cli {

// {"model", "nodes", "elements", "steps": [{"nlgeom", "increments", "iterations",
// "residual_N"}], "iterations", "residual_N", "max_displacement_mm", "max_displacement_node",
// "max_displacement_vector_mm", "mean_displacement_mm", "solve_time_s", "output", "notes"}.
nlohmann::json runFemSolve(const std::filesystem::path& model, const std::filesystem::path& out,
                           Progress& progress);

// `twinplan-cli fem mesh CASE --segments A,B [--resolution MM] [--quadratic] [--out mesh.inp]
// [--vtu mesh.vtu]`: a tetrahedral mesh of a case's segments (simulation/tissue/
// labelmap_mesher.h). `segments` is a comma-separated list of materials, each one segment name
// or NAME=SEGMENT+SEGMENT+... (several segments meshed as one material); later materials win
// where segments overlap. All segments must be in one labelmap of the case.
// {"case", "labelmap", "resolution_mm", "element_type", "nodes", "elements", "surface_nodes",
// "materials": [{"name", "segments", "elements", "volume_ml", "labelmap_volume_ml",
// "volume_difference_percent"}], "quality": {"min_dihedral_deg", "max_dihedral_deg",
// "min_radius_ratio", "mean_radius_ratio", "inverted_elements", "dihedral_below_10_deg",
// "dihedral_below_20_deg"}, "lattice_tetrahedra", "warped_vertices",
// "multi_material_tetrahedra", "mesh_time_s", "output", "vtu"}.
struct FemMeshOptions {
  std::string segments;
  double resolution_mm = 6.0;
  bool quadratic = false;
  std::filesystem::path out, vtu;
};
nlohmann::json runFemMesh(const std::filesystem::path& casePath, const FemMeshOptions& options,
                          Progress& progress);

}  // namespace twinplan::cli
