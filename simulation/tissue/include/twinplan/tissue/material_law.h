#pragma once
// Stress and tangent of the tissue materials, at one material point.
//
// Voigt order for stresses and the 6x6 tangent: 11, 22, 33, 12, 23, 13 (strains with
// engineering shears 2 E12 ...).
#include <Eigen/Core>

#include "twinplan/tissue/fe_model.h"

namespace twinplan::tissue {

using Voigt6 = Eigen::Matrix<double, 6, 6>;

struct StressResponse {
  Eigen::Matrix3d secondPiolaKirchhoff_MPa;  // S; the Cauchy stress under small strain
  Voigt6 tangent_MPa;                        // dS/dE (material tangent), Voigt
};

// The response to deformation gradient F. Small strain (finiteStrain false): sigma = lambda
// tr(eps) I + 2 mu eps with eps = sym(F) - I, for neo-Hooke with its initial moduli.
// Finite strain: St Venant-Kirchhoff S = lambda tr(E) I + 2 mu E for *ELASTIC (CalculiX's
// linear elastic law under NLGEOM, ccx 2.20 manual section 6.2.2) and for neo-Hooke
//   S = 2 C10 J^(-2/3) (I - I1/3 C^-1) + (2/D1) J (J - 1) C^-1
// (Holzapfel, Nonlinear Solid Mechanics, 2000, sections 6.4-6.6; Abaqus Theory Manual 4.6.1).
StressResponse materialResponse(const Material& material, const Eigen::Matrix3d& F,
                                bool finiteStrain);

// Cauchy stress sigma = F S F^T / J of the finite-strain law.
Eigen::Matrix3d cauchyStress(const Material& material, const Eigen::Matrix3d& F);

}  // namespace twinplan::tissue
