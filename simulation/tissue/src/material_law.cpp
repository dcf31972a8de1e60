#include "twinplan/tissue/material_law.h"

#include <Eigen/LU>
#include <cmath>

namespace twinplan::tissue {
namespace {

constexpr int kVoigtI[6] = {0, 1, 2, 0, 1, 0};
constexpr int kVoigtJ[6] = {0, 1, 2, 1, 2, 2};

// The isotropic elasticity tensor lambda I(x)I + 2 mu II in Voigt form.
Voigt6 isotropicTangent(double lambda, double mu) {
  Voigt6 d = Voigt6::Zero();
  for (int a = 0; a < 3; ++a) {
    for (int b = 0; b < 3; ++b) d(a, b) = lambda;
    d(a, a) += 2 * mu;
    d(a + 3, a + 3) = mu;
  }
  return d;
}

double lameLambda(const Material& m) { return m.bulkModulus() - 2.0 / 3.0 * m.shearModulus(); }

StressResponse linearResponse(const Material& m, const Eigen::Matrix3d& strain) {
  const double lambda = lameLambda(m), mu = m.shearModulus();
  return {lambda * strain.trace() * Eigen::Matrix3d::Identity() + 2 * mu * strain,
          isotropicTangent(lambda, mu)};
}

// 2 dS/dC of the neo-Hookean law (derivation in docs/architecture.md, "Tissue mechanics").
StressResponse neoHookeResponse(const Material& m, const Eigen::Matrix3d& F) {
  const double mu = m.shearModulus(), J = F.determinant();
  const Eigen::Matrix3d C = F.transpose() * F, Ci = C.inverse();
  const Eigen::Matrix3d I = Eigen::Matrix3d::Identity();
  const double I1 = C.trace(), Jm23 = std::pow(J, -2.0 / 3.0);
  const double p = 2.0 / m.d1_perMPa * (J - 1), dpdJ = 2.0 / m.d1_perMPa;
  StressResponse r;
  r.secondPiolaKirchhoff_MPa = mu * Jm23 * (I - I1 / 3 * Ci) + J * p * Ci;
  const double iso = 2 * mu / 3 * Jm23, volA = J * (p + J * dpdJ), volB = -2 * J * p;
  for (int x = 0; x < 6; ++x) {
    for (int y = 0; y < 6; ++y) {
      const int A = kVoigtI[x], B = kVoigtJ[x], Cc = kVoigtI[y], D = kVoigtJ[y];
      const double sym = 0.5 * (Ci(A, Cc) * Ci(B, D) + Ci(A, D) * Ci(B, Cc));
      r.tangent_MPa(x, y) = iso * (I1 * sym - I(A, B) * Ci(Cc, D) - Ci(A, B) * I(Cc, D) +
                                   I1 / 3 * Ci(A, B) * Ci(Cc, D)) +
                            volA * Ci(A, B) * Ci(Cc, D) + volB * sym;
    }
  }
  return r;
}

}  // namespace

double Material::shearModulus() const {
  return law == MaterialLaw::NeoHooke ? 2 * c10_MPa : youngsModulus_MPa / (2 * (1 + poissonsRatio));
}

double Material::bulkModulus() const {
  return law == MaterialLaw::NeoHooke ? 2 / d1_perMPa
                                      : youngsModulus_MPa / (3 * (1 - 2 * poissonsRatio));
}

StressResponse materialResponse(const Material& material, const Eigen::Matrix3d& F,
                                bool finiteStrain) {
  const Eigen::Matrix3d I = Eigen::Matrix3d::Identity();
  if (!finiteStrain) return linearResponse(material, 0.5 * (F + F.transpose()) - I);
  if (material.law == MaterialLaw::NeoHooke) return neoHookeResponse(material, F);
  return linearResponse(material, 0.5 * (F.transpose() * F - I));
}

Eigen::Matrix3d cauchyStress(const Material& material, const Eigen::Matrix3d& F) {
  const Eigen::Matrix3d S = materialResponse(material, F, true).secondPiolaKirchhoff_MPa;
  return F * S * F.transpose() / F.determinant();
}

}  // namespace twinplan::tissue
