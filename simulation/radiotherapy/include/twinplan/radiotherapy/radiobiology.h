#pragma once
// Radiobiology on the linear-quadratic (LQ) model (issue #19 item 5), parameters with their
// sources in resources/radiotherapy/radiobiology.json:
// - BED and EQD2 of a regimen for a tissue's alpha/beta (Fowler JF, Br J Radiol 1989;62:679):
//     BED = D (1 + d / (alpha/beta)),  EQD2 = BED / (1 + 2 Gy / (alpha/beta)),
//   D the total dose, d the dose per fraction; no repopulation or incomplete-repair term.
// - TCP: Poisson statistics of surviving clonogens, averaged over a normal spread of alpha
//   between patients (Webb S, Nahum AE, Phys Med Biol 1993;38:653):
//     TCP = integral g(alpha) prod_i exp(-rho v_i exp(-alpha D_i (1 + d_i / (alpha/beta)))),
//   with g normal (mean, sigma) truncated at alpha > 0 and renormalised.
// - NTCP: Lyman-Kutcher-Burman (Lyman JT, Radiat Res Suppl 1985;8:S13; Kutcher GJ, Burman C,
//   IJROBP 1989;16:1623; Burman 1991) with the generalised EUD (Niemierko A, Med Phys
//   1999;26:1100): gEUD = (sum_i v_i D_i^(1/n))^n, NTCP = Phi((gEUD - TD50) / (m TD50)).
#include <span>
#include <string>
#include <vector>

namespace twinplan::radiotherapy {

struct Regimen {
  double totalDose_Gy = 0.0;
  int fractions = 0;
  double dosePerFraction_Gy() const { return totalDose_Gy / fractions; }
  void validate() const;  // InvalidInput for a dose < 0 or fractions < 1
};

double biologicallyEffectiveDose_Gy(const Regimen& regimen, double alphaBeta_Gy);
double equivalentDoseIn2GyFractions_Gy(const Regimen& regimen, double alphaBeta_Gy);
// The total dose, in fractions of `dosePerFraction_Gy`, with the same BED as `regimen`:
// D' = BED / (1 + d' / (alpha/beta)).
double isoeffectiveTotalDose_Gy(const Regimen& regimen, double alphaBeta_Gy,
                                double dosePerFraction_Gy);

// One regimen seen by one tissue.
struct RegimenEffect {
  Regimen regimen;
  std::string tissue;  // an alphaBeta id of the table, or "alpha/beta = x Gy"
  double alphaBeta_Gy = 0.0;
  double bed_Gy = 0.0, eqd2_Gy = 0.0;
};
struct TissueAlphaBeta {
  std::string tissue;
  double alphaBeta_Gy = 0.0;
};
// Every regimen for every tissue, regimen-major (the table a regimen comparison shows).
std::vector<RegimenEffect> compareRegimens(std::span<const Regimen> regimens,
                                           std::span<const TissueAlphaBeta> tissues);

// A dose distribution over a structure: the dose (Gy, total over the course) and volume (cm3)
// of each voxel or DVH bin.
struct DoseVolumeBins {
  std::vector<double> dose_Gy;
  std::vector<double> volume_cm3;
  void validate() const;  // same lengths, not empty, doses and volumes >= 0, volume > 0
};

struct TcpParameters {
  double alphaMean_perGy = 0.35, alphaSigma_perGy = 0.08;  // Webb & Nahum 1993
  double clonogenDensity_per_cm3 = 1e7;                    // Webb & Nahum 1993
  double alphaBeta_Gy = 10.0;                              // Fowler 1989, tumours
  void validate() const;
};
// TCP of a course of `fractions` equal fractions; the population average over alpha is a
// 161-point Simpson rule on mean +- 5 sigma (exact for sigma = 0).
double tumourControlProbability(const DoseVolumeBins& dose, int fractions,
                                const TcpParameters& parameters);

struct LkbParameters {
  double td50_Gy = 0.0;  // uniform whole-organ dose with 50 % complication probability
  double m = 0.0;        // slope: sigma of the probit is m TD50
  double n = 0.0;        // volume effect: 1 parallel (mean dose), -> 0 serial (max dose)
  void validate() const;
};
double generalisedEud_Gy(const DoseVolumeBins& dose, double n);
double normalTissueComplicationProbability(const DoseVolumeBins& dose,
                                           const LkbParameters& parameters);

// Doses in 2 Gy-fraction equivalents voxel by voxel (d_i = D_i / fractions), for models fitted
// to conventionally fractionated data applied to another fractionation.
DoseVolumeBins toEqd2(const DoseVolumeBins& dose, int fractions, double alphaBeta_Gy);

// The cited parameter sets of resources/radiotherapy/radiobiology.json.
struct CitedAlphaBeta {
  std::string id, name, source;
  double alphaBeta_Gy = 0.0;
};
struct CitedTcp {
  std::string id, name, source;
  TcpParameters parameters;
};
struct CitedLkb {
  std::string id, name, source;
  LkbParameters parameters;
};
struct RadiobiologyTable {
  std::vector<CitedAlphaBeta> alphaBeta;
  std::vector<CitedTcp> tcp;
  std::vector<CitedLkb> ntcp;
  const CitedAlphaBeta& alphaBetaOf(const std::string& id) const;  // NotFound lists the ids
  const CitedLkb& ntcpOf(const std::string& id) const;
  const CitedTcp& tcpOf(const std::string& id) const;
};
// Parsed once; Corrupt when a value lacks its source.
const RadiobiologyTable& radiobiologyTable();

}  // namespace twinplan::radiotherapy
