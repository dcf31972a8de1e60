#pragma once
// Reads the subset of the Abaqus / CalculiX input format (.inp) that describes a static
// soft-tissue model (Abaqus Keywords Reference Guide; CalculiX ccx 2.20 manual, chapter 7):
//   *HEADING, *NODE [NSET=], *ELEMENT TYPE=C3D4|C3D10 [ELSET=], *NSET / *ELSET [GENERATE],
//   *MATERIAL NAME=, *ELASTIC (isotropic E, nu), *HYPERELASTIC, NEO HOOKE (C10, D1),
//   *DENSITY, *SOLID SECTION ELSET= MATERIAL=, *BOUNDARY (node or node set, first dof
//   [, last dof [, value]], or ENCASTRE / PINNED), *CLOAD, *DLOAD (GRAV with magnitude and
//   direction; P1..P4 face pressure), *STEP [NLGEOM], *STATIC (initial increment, period,
//   minimum, maximum), *END STEP.
// Contact with a rigid obstacle, the subset ccx uses for one (ccx 2.20 manual: section 6.7
// "Contact" and the keywords *SURFACE, *SURFACE INTERACTION, *SURFACE BEHAVIOR, *CONTACT PAIR):
//   *SURFACE, NAME= [, TYPE=ELEMENT] (element or element set, face S1..S6) or TYPE=NODE (nodes
//   or node sets); *SURFACE INTERACTION, NAME= followed by *SURFACE BEHAVIOR,
//   PRESSURE-OVERCLOSURE=LINEAR (slope K > 0 [, tension]) or HARD; *CONTACT PAIR,
//   INTERACTION=, TYPE=NODE TO SURFACE (model data) with lines "slave surface, master surface".
// The master surface must be faces of a rigid part: every node of its elements held in dofs 1-3
// at zero by a *BOUNDARY before the first *STEP, all faces in one plane (to 1e-6 of the
// surface's size) and under every slave node. It becomes a RigidObstacle: the half-space behind
// the plane, frictionless, enforced exactly by the active set (ContactEnforcement::ActiveSet; a
// LINEAR spring in ccx approaches it as K grows). The rigid part may be C3D8/C3D8R bricks (read
// only for this, with their *SOLID SECTION) or tetrahedra; nodes only the bricks use leave the
// model. Refused by name and line: other TYPE= or parameters of *CONTACT PAIR, other
// pressure-overclosure laws, *FRICTION, a master that is node based, not held, not planar or
// not under a slave node, a slave node inside the master, a brick under no master surface.
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
