#pragma once
// TCP and NTCP of a structure's DVH (issue #19 item 5) as the CLI's `dvh --fractions --target
// --ntcp` and the RT panel both give them: which cited model an organ gets, the DVH's bins the
// models sum over, and the fractionation correction. Models and parameters: radiobiology.h and
// resources/radiotherapy/radiobiology.json.
#include <optional>
#include <string>

#include "twinplan/radiotherapy/dvh.h"
#include "twinplan/radiotherapy/radiobiology.h"

namespace twinplan::radiotherapy {

// The TCP model of a target: Poisson statistics with a normal spread of alpha between patients
// (Webb S, Nahum AE, Phys Med Biol 1993;38:653).
inline constexpr const char* kTargetTcpModel = "webb-nahum-1993";
// The alpha/beta used to convert an organ's dose to 2 Gy fractions before its LKB model
// ("late": 3 Gy, Fowler JF, Br J Radiol 1989;62:679).
inline constexpr const char* kLateTissueAlphaBeta = "late";

// The LKB model an ROI gets from an organ word in its name (case-insensitive): the QUANTEC fit
// where the table has one (lung, rectum, parotid), Burman et al. 1991 otherwise (brainstem,
// liver, heart); nullopt for other names.
std::optional<std::string> organNtcpModel(const std::string& roiName);

// The DVH's differential bins at their centre doses: the distribution TCP and NTCP sum over.
DoseVolumeBins binsOf(const DoseVolumeHistogram& dvh);

struct NtcpOutcome {
  CitedLkb model;
  std::string dose;  // what dose the model saw: EQD2 (with its alpha/beta and source) or physical
  double geud_Gy = 0, ntcp = 0;
};
// LKB NTCP of `dvh` with the table's model `modelId` (NotFound lists the ids). With the
// course's fraction count the bins are first converted to EQD2 at the late-tissue alpha/beta
// (the fits are to conventionally fractionated data); without it the physical dose is used.
NtcpOutcome lkbNtcp(const DoseVolumeHistogram& dvh, const std::string& modelId,
                    std::optional<int> fractions);

struct TcpOutcome {
  CitedTcp model;
  int fractions = 0;
  double tcp = 0;
};
// Poisson TCP of a target's DVH in `fractions` equal fractions (kTargetTcpModel).
TcpOutcome poissonTcp(const DoseVolumeHistogram& dvh, int fractions);

}  // namespace twinplan::radiotherapy
