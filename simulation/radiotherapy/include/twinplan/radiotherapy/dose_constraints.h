#pragma once
// Dose-volume constraints and their pass/fail table (issue #19 item 4): "Brainstem Dmax < 54 Gy",
// "PTV D98% >= 95 %Rx", "Lungs V20Gy <= 30 %", evaluated on the DVHs of dvh.h.
//
// Metrics: Dmax, Dmean, Dmin (the DVH's figures); D<x>% (least dose to the hottest x % of the
// volume), D<x>cc (the same for x cm3); V<x>Gy (volume receiving at least x Gy, in % of the
// structure or in cc, as the limit's unit says). Limits: "<", "<=", ">", ">=" then a number and a
// unit: Gy or %Rx (of the prescription) for doses; % or cc for volumes. A value within the DVH's
// discretisation spread of the limit (dvh.h reports it for Dmin/Dmean/Dmax/D95/D2) is flagged
// `borderline`, as a physicist would want to see before signing.
// Structure names match without case, spaces, '_' or '-' (AAPM TG-263 names: "Brainstem" matches
// "BrainStem" and "Brain Stem"); a trailing '*' matches any ending ("PTV*" matches "PTV_60").
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "twinplan/radiotherapy/dvh.h"

namespace twinplan::radiotherapy {

struct DoseConstraint {
  std::string structure;           // the name shown (TG-263)
  std::vector<std::string> names;  // ROI names it applies to
  std::string metric;              // as written: Dmax, Dmean, Dmin, D95%, D1cc, V20Gy
  std::string limit;               // as written: "< 54 Gy", ">= 95 %Rx", "<= 30 %", "< 2 cc"
  std::string endpoint;            // the complication or goal the limit is set for
  std::string source;              // reference key of the protocol
};

struct ConstraintProtocol {
  std::string id, name;
  std::vector<DoseConstraint> constraints;
  std::vector<std::pair<std::string, std::string>> references;  // key -> citation
};

// Reads a protocol (the schema of resources/radiotherapy/constraints_quantec.json). Every
// metric and limit is parsed here, so a bad one gives Error(InvalidInput) naming `origin`, the
// constraint and what is wrong, before any plan is judged.
ConstraintProtocol parseConstraintProtocol(std::string_view json, const std::string& origin);
// The built-in QUANTEC / ICRU table (resources/radiotherapy/constraints_quantec.json).
const ConstraintProtocol& quantecProtocol();

struct ConstraintResult {
  DoseConstraint constraint;
  std::string roi;        // the ROI it was evaluated on
  double value = 0;       // in `unit`
  std::string unit;       // Gy, %, cc (a %Rx limit is compared in Gy)
  double limitValue = 0;  // the limit in `unit`
  bool pass = false;
  bool borderline = false;  // |value - limit| <= the DVH's discretisation spread of the value
  double uncertainty = 0;   // that spread (0 where dvh.h does not report one)
};

struct ConstraintTable {
  std::vector<ConstraintResult> results;
  // Constraints with no matching ROI, and why others could not be judged (e.g. a %Rx limit
  // without a prescription).
  std::vector<std::string> notEvaluated;
  int failed() const;
};

// Judges every constraint on every DVH whose name matches. `prescription_Gy` is needed only by
// %Rx limits (they are listed in notEvaluated without it).
ConstraintTable evaluateConstraints(const std::vector<DoseVolumeHistogram>& dvhs,
                                    const ConstraintProtocol& protocol,
                                    std::optional<double> prescription_Gy = std::nullopt);

// True when the ROI name `roi` is one of the constraint's names (rules above).
bool constraintNameMatches(const std::string& pattern, const std::string& roi);

}  // namespace twinplan::radiotherapy
