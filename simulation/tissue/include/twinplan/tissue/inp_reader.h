#pragma once
// Reads the subset of the Abaqus / CalculiX input format (.inp) that describes a static
// soft-tissue model (Abaqus Keywords Reference Guide; CalculiX ccx 2.20 manual, chapter 7):
//   *HEADING, *NODE [NSET=], *ELEMENT TYPE=C3D4|C3D10 [ELSET=], *NSET / *ELSET [GENERATE],
//   *MATERIAL NAME=, *ELASTIC (isotropic E, nu), *HYPERELASTIC, NEO HOOKE (C10, D1),
//   *DENSITY, *SOLID SECTION ELSET= MATERIAL=, *BOUNDARY (node or node set, first dof
//   [, last dof [, value]], or ENCASTRE / PINNED), *CLOAD, *DLOAD (GRAV with magnitude and
//   direction; P1..P4 face pressure), *STEP [NLGEOM], *STATIC (initial increment, period,
//   minimum, maximum), *END STEP.
// Keywords and parameters are case-insensitive, "**" starts a comment, a data line ending in a
// comma continues on the next. Output requests (*NODE FILE, *EL FILE, *NODE PRINT, *EL PRINT,
// *NODE OUTPUT, *ELEMENT OUTPUT, *OUTPUT) are accepted and ignored (FeModel::notes says so):
// the solver's results are the nodal displacements. Any other keyword is refused by name and
// line: Error(Unsupported, "MODEL.inp line 42: *CONTACT PAIR is not supported; ...").
#include <filesystem>
#include <string>
#include <string_view>

#include "twinplan/tissue/fe_model.h"

namespace twinplan::tissue {

// The keywords readInp understands, for messages and documentation.
std::string_view supportedInpKeywords();

// Parses deck `text`; `name` (the file name) starts every error message.
FeModel parseInp(std::string_view text, const std::string& name);

// Reads and parses a file; Error(Io) when it cannot be read.
FeModel readInp(const std::filesystem::path& path);

}  // namespace twinplan::tissue
