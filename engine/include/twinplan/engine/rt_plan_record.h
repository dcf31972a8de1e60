#pragma once
// An RT Plan kept in the case (Case::plans, kind "radiotherapy"): the plan model of
// io/dicom_rtplan.h as JSON, so the RT panel, the beam drawings, the jobs that make plans
// (`plan-conformal`) and a saved case need not re-read the DICOM file. Beams keep every control
// point (angles, isocentre, jaw and leaf positions) and their devices' leaf boundaries.
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "twinplan/core/case.h"
#include "twinplan/io/dicom_rtplan.h"

namespace twinplan::engine {

inline constexpr const char* kRadiotherapyPlanKind = "radiotherapy";

nlohmann::json rtPlanToJson(const io::RtPlan& plan);
// Throws Error(Corrupt) naming the plan for JSON that is not a stored plan.
io::RtPlan rtPlanFromJson(const nlohmann::json& json, const std::string& planName);

// The case's RT plans, read back; a plan that cannot be read is skipped with its sentence in
// `failures` (when given).
std::vector<io::RtPlan> casePlans(const Case& twin, std::vector<std::string>* failures = nullptr);

// The key of a plan record naming the case field that holds the plan's own dose (a plan made in
// the case, `plan-conformal`, stores both together).
inline constexpr const char* kPlanDoseFieldKey = "dose_field";
// The index in casePlans(twin) of the plan whose dose is the field `doseField`; none when no plan
// names it.
std::optional<std::size_t> planOfDose(const Case& twin, const std::string& doseField);

// The total number of fractions of a plan (its fraction groups' Number of Fractions Planned).
int plannedFractions(const io::RtPlan& plan);

}  // namespace twinplan::engine
