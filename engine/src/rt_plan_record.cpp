#include "twinplan/engine/rt_plan_record.h"

#include "twinplan/core/error.h"

namespace twinplan::engine {

using nlohmann::json;

namespace {

json optionalNumber(const std::optional<double>& v) { return v ? json(*v) : json(nullptr); }
std::optional<double> readOptional(const json& j, const char* key) {
  if (!j.contains(key) || j[key].is_null()) return std::nullopt;
  return j[key].get<double>();
}

json controlPointToJson(const io::ControlPoint& cp) {
  json j{{"index", cp.index},
         {"cumulativeMetersetWeight", cp.cumulativeMetersetWeight},
         {"nominalEnergy", optionalNumber(cp.nominalEnergy)},
         {"gantry_deg", cp.gantryAngle_deg},
         {"collimator_deg", cp.collimatorAngle_deg},
         {"couch_deg", cp.couchAngle_deg},
         {"gantryRotation", cp.gantryRotationDirection},
         {"scanSpots", cp.scanSpots}};
  j["isocentre_lps"] =
      cp.isocentre_lps
          ? json::array({(*cp.isocentre_lps)[0], (*cp.isocentre_lps)[1], (*cp.isocentre_lps)[2]})
          : json(nullptr);
  json devices = json::array();
  for (const io::DevicePositions& d : cp.devices)
    devices.push_back({{"type", d.type}, {"positions_mm", d.positions_mm}});
  j["devices"] = std::move(devices);
  return j;
}

io::ControlPoint controlPointFromJson(const json& j) {
  io::ControlPoint cp;
  cp.index = j.at("index").get<int>();
  cp.cumulativeMetersetWeight = j.at("cumulativeMetersetWeight").get<double>();
  cp.nominalEnergy = readOptional(j, "nominalEnergy");
  cp.gantryAngle_deg = j.at("gantry_deg").get<double>();
  cp.collimatorAngle_deg = j.at("collimator_deg").get<double>();
  cp.couchAngle_deg = j.at("couch_deg").get<double>();
  cp.gantryRotationDirection = j.value("gantryRotation", "NONE");
  cp.scanSpots = j.value("scanSpots", 0);
  if (j.contains("isocentre_lps") && j["isocentre_lps"].is_array()) {
    const auto& p = j["isocentre_lps"];
    cp.isocentre_lps = Vec3(p[0].get<double>(), p[1].get<double>(), p[2].get<double>());
  }
  for (const json& d : j.at("devices"))
    cp.devices.push_back(
        {d.at("type").get<std::string>(), d.at("positions_mm").get<std::vector<double>>()});
  return cp;
}

json beamToJson(const io::Beam& beam) {
  json j{{"number", beam.number},
         {"name", beam.name},
         {"description", beam.description},
         {"type", beam.type},
         {"radiationType", beam.radiationType},
         {"machine", beam.machine},
         {"primaryDosimeterUnit", beam.primaryDosimeterUnit},
         {"ion", beam.ion},
         {"sourceAxisDistance_mm", optionalNumber(beam.sourceAxisDistance_mm)},
         {"finalCumulativeMetersetWeight", beam.finalCumulativeMetersetWeight},
         {"meterset", optionalNumber(beam.meterset)},
         {"beamDose_Gy", optionalNumber(beam.beamDose_Gy)}};
  json devices = json::array();
  for (const io::BeamLimitingDevice& d : beam.devices)
    devices.push_back({{"type", d.type},
                       {"leafJawPairs", d.leafJawPairs},
                       {"leafBoundaries_mm", d.leafBoundaries_mm}});
  j["devices"] = std::move(devices);
  json points = json::array();
  for (const io::ControlPoint& cp : beam.controlPoints) points.push_back(controlPointToJson(cp));
  j["controlPoints"] = std::move(points);
  return j;
}

io::Beam beamFromJson(const json& j) {
  io::Beam beam;
  beam.number = j.at("number").get<int>();
  beam.name = j.value("name", "");
  beam.description = j.value("description", "");
  beam.type = j.value("type", "STATIC");
  beam.radiationType = j.value("radiationType", "PHOTON");
  beam.machine = j.value("machine", "");
  beam.primaryDosimeterUnit = j.value("primaryDosimeterUnit", "MU");
  beam.ion = j.value("ion", false);
  beam.sourceAxisDistance_mm = readOptional(j, "sourceAxisDistance_mm");
  beam.finalCumulativeMetersetWeight = j.value("finalCumulativeMetersetWeight", 1.0);
  beam.meterset = readOptional(j, "meterset");
  beam.beamDose_Gy = readOptional(j, "beamDose_Gy");
  for (const json& d : j.at("devices"))
    beam.devices.push_back({d.at("type").get<std::string>(), d.at("leafJawPairs").get<int>(),
                            d.at("leafBoundaries_mm").get<std::vector<double>>()});
  for (const json& cp : j.at("controlPoints"))
    beam.controlPoints.push_back(controlPointFromJson(cp));
  return beam;
}

}  // namespace

json rtPlanToJson(const io::RtPlan& plan) {
  json j{{"sopClassUid", plan.sopClassUid},
         {"sopInstanceUid", plan.sopInstanceUid},
         {"ion", plan.ion},
         {"label", plan.label},
         {"name", plan.name},
         {"geometry", plan.geometry},
         {"frameOfReferenceUid", plan.frameOfReferenceUid},
         {"patientPosition", plan.patientPosition},
         {"referencedStructureSetSopInstanceUid", plan.referencedStructureSetSopInstanceUid},
         {"prescription_Gy", optionalNumber(plan.prescriptionDose_Gy)},
         {"notes", plan.notes}};
  json groups = json::array();
  for (const io::FractionGroup& g : plan.fractionGroups)
    groups.push_back({{"number", g.number},
                      {"fractionsPlanned", g.fractionsPlanned},
                      {"beamNumbers", g.beamNumbers}});
  j["fractionGroups"] = std::move(groups);
  json beams = json::array();
  for (const io::Beam& b : plan.beams) beams.push_back(beamToJson(b));
  j["beams"] = std::move(beams);
  return j;
}

io::RtPlan rtPlanFromJson(const json& j, const std::string& planName) {
  try {
    io::RtPlan plan;
    plan.sopClassUid = j.value("sopClassUid", "");
    plan.sopInstanceUid = j.value("sopInstanceUid", "");
    plan.ion = j.value("ion", false);
    plan.label = j.at("label").get<std::string>();
    plan.name = j.value("name", "");
    plan.geometry = j.value("geometry", "");
    plan.frameOfReferenceUid = j.value("frameOfReferenceUid", "");
    plan.patientPosition = j.value("patientPosition", "");
    plan.referencedStructureSetSopInstanceUid = j.value("referencedStructureSetSopInstanceUid", "");
    plan.prescriptionDose_Gy = readOptional(j, "prescription_Gy");
    plan.notes = j.value("notes", std::vector<std::string>{});
    for (const json& g : j.at("fractionGroups"))
      plan.fractionGroups.push_back({g.at("number").get<int>(), g.at("fractionsPlanned").get<int>(),
                                     g.at("beamNumbers").get<std::vector<int>>()});
    for (const json& b : j.at("beams")) plan.beams.push_back(beamFromJson(b));
    return plan;
  } catch (const json::exception& e) {
    throw Error(ErrorKind::Corrupt,
                "The radiotherapy plan \"" + planName + "\" stored in the case cannot be read (" +
                    e.what() + "); add the RT Plan file again.",
                planName);
  }
}

std::vector<ReadableRtPlan> readableRtPlans(const Case& twin, std::vector<std::string>* failures) {
  std::vector<ReadableRtPlan> readable;
  for (const Plan& p : twin.plans) {
    if (p.kind != kRadiotherapyPlanKind) continue;
    try {
      readable.push_back({&p, rtPlanFromJson(p.parameters, p.name)});
    } catch (const Error& e) {
      if (failures) failures->push_back(e.what());
    }
  }
  return readable;
}

std::vector<io::RtPlan> casePlans(const Case& twin, std::vector<std::string>* failures) {
  std::vector<io::RtPlan> plans;
  for (ReadableRtPlan& readable : readableRtPlans(twin, failures))
    plans.push_back(std::move(readable.plan));
  return plans;
}

namespace {

// Whether the plan record `p` names `dose` as its own: by id when the record has one.
bool namesDose(const Plan& p, const ScalarField& dose) {
  const std::string id = p.parameters.value(kPlanDoseIdKey, std::string());
  return id.empty() ? p.parameters.value(kPlanDoseFieldKey, std::string()) == dose.name
                    : id == dose.id;
}

}  // namespace

const ScalarField* planDose(const Case& twin, const CasePlan& plan) {
  if (!plan.doseId.empty()) return findResult(twin, plan.doseId);
  for (const ScalarField& f : twin.fields)
    if (!plan.doseField.empty() && f.name == plan.doseField) return &f;
  return nullptr;
}

std::optional<std::size_t> planOfDose(const Case& twin, const ScalarField& dose) {
  const std::vector<ReadableRtPlan> plans = readableRtPlans(twin);
  for (std::size_t index = 0; index < plans.size(); ++index)
    if (namesDose(*plans[index].record, dose)) return index;
  return std::nullopt;
}

int plannedFractions(const io::RtPlan& plan) {
  int fractions = 0;
  for (const io::FractionGroup& g : plan.fractionGroups) fractions += g.fractionsPlanned;
  return fractions;
}

CasePlan findCasePlan(const Case& twin, const std::string& nameOrUid, const std::string& where) {
  const auto radiotherapy = [](const Plan& p) { return p.kind == kRadiotherapyPlanKind; };
  const auto found = [&](const Plan& p) {
    return CasePlan{rtPlanFromJson(p.parameters, p.name), p.name,
                    p.parameters.value(kPlanDoseFieldKey, std::string()),
                    p.parameters.value(kPlanDoseIdKey, std::string())};
  };
  // The name first: a user types what the plans list shows; a UID is what a script keeps.
  for (const Plan& p : twin.plans)
    if (radiotherapy(p) && p.name == nameOrUid) return found(p);
  for (const Plan& p : twin.plans)
    if (radiotherapy(p) && !nameOrUid.empty() &&
        p.parameters.value("sopInstanceUid", std::string()) == nameOrUid)
      return found(p);
  std::string listed;
  for (const Plan& p : twin.plans) {
    if (!radiotherapy(p)) continue;
    const std::string uid = p.parameters.value("sopInstanceUid", std::string());
    listed += (listed.empty() ? "\"" : ", \"") + p.name + "\"" +
              (uid.empty() ? "" : " (UID " + uid + ")");
  }
  throw Error(ErrorKind::NotFound,
              "The case " + where + " has no radiotherapy plan named \"" + nameOrUid + "\"" +
                  (listed.empty() ? "; it has none (make one with plan-conformal, or give an RT "
                                    "Plan file, RP.dcm)."
                                  : "; its plans are " + listed + "."),
              nameOrUid);
}

const ImageVolume& planningCt(const Case& twin, const std::string& name, const std::string& where) {
  for (const ImageVolume& v : twin.volumes)
    if ((name.empty() && (v.dicom.modality == "CT" || v.unit == "HU")) || v.name == name) return v;
  throw Error(ErrorKind::NotFound,
              name.empty()
                  ? "The case " + where + " has no CT volume (in HU); import the planning CT first."
                  : "The case " + where + " has no volume named \"" + name + "\".",
              name.empty() ? where : name);
}

}  // namespace twinplan::engine
