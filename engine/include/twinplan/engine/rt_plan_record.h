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

// A radiotherapy plan record of the case and the plan read from it.
struct ReadableRtPlan {
  const Plan* record = nullptr;  // in the case (Case::plans)
  io::RtPlan plan;
};
// The case's radiotherapy plan records that can be read, in the case's order: what the RT panel
// lists, so an index into it is the panel's plan index. A record that cannot be read is skipped
// with its sentence in `failures` (when given).
std::vector<ReadableRtPlan> readableRtPlans(const Case& twin,
                                            std::vector<std::string>* failures = nullptr);
// The plans of readableRtPlans alone.
std::vector<io::RtPlan> casePlans(const Case& twin, std::vector<std::string>* failures = nullptr);

// The key of a plan record naming the case field that holds the plan's own dose (a plan made in
// the case, `plan-conformal`, stores both together), and the key of that result's id (session
// 13; older records have the name only): the dose is found by its id first, so a rename keeps
// the plan and its dose together.
inline constexpr const char* kPlanDoseFieldKey = "dose_field";
inline constexpr const char* kPlanDoseIdKey = "dose_field_id";
// The index in casePlans(twin) of the plan whose dose is `dose` (by the record's dose id, else
// by the name for a record without one); none when no plan names it.
std::optional<std::size_t> planOfDose(const Case& twin, const ScalarField& dose);

// The total number of fractions of a plan (its fraction groups' Number of Fractions Planned).
int plannedFractions(const io::RtPlan& plan);

// A plan stored in the case, as `dose CASE --plan NAME` and the RT export find it.
struct CasePlan {
  io::RtPlan plan;
  std::string name;       // the name the case lists it under
  std::string doseField;  // the case field holding its dose (kPlanDoseFieldKey); empty if none
  std::string doseId;     // that field's result id (kPlanDoseIdKey); empty in older records
};
// The case's result holding the plan's dose: by its id, else (an older record) by its name;
// nullptr when it is gone.
const ScalarField* planDose(const Case& twin, const CasePlan& plan);
// The radiotherapy plan listed as `nameOrUid`, else the one whose RT Plan SOP Instance UID it
// is. Error(NotFound) listing the case's plans (name and UID) when none matches, naming `where`
// (the case file); Error(Corrupt) when the matching record cannot be read.
CasePlan findCasePlan(const Case& twin, const std::string& nameOrUid, const std::string& where);

// The case's planning CT: the volume named `name`, or with no name the first CT (modality CT or
// unit HU). Error(NotFound) naming `where` (the case file) when there is none.
const ImageVolume& planningCt(const Case& twin, const std::string& name, const std::string& where);

}  // namespace twinplan::engine
