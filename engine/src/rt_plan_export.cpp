// Job "export-plan" and exportCasePlan: a plan stored in the case as RT Structure Set + RT Plan +
// RT Dose that reference each other (engine/rt_plan_export.h).
#include "twinplan/engine/rt_plan_export.h"

#include <algorithm>
#include <chrono>
#include <fstream>
#include <utility>

#include "job_kinds.h"
#include "twinplan/core/case_file.h"
#include "twinplan/core/error.h"
#include "twinplan/engine/rt_plan_record.h"
#include "twinplan/io/dicom_index.h"
#include "twinplan/io/dicom_reference.h"
#include "twinplan/io/dicom_rtdose.h"
#include "twinplan/io/dicom_rtplan.h"
#include "twinplan/io/dicom_rtstruct.h"

namespace twinplan::engine {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// The plan's dose as the case holds it: the result its record names (plan-conformal stores
// both), by id (engine::planDose).
const ScalarField& storedPlanDose(const Case& twin, const CasePlan& plan,
                                  const std::string& where) {
  const ScalarField* f = planDose(twin, plan);
  if (!f)
    throw Error(
        ErrorKind::NotFound,
        "The plan \"" + plan.name + "\" has no dose in the case " + where +
            (plan.doseField.empty() ? "" : " (its dose \"" + plan.doseField + "\" is gone)") +
            "; make the plan with plan-conformal, which stores its dose, or export its "
            "dose with `dose CASE --plan NAME --out RD.dcm`.",
        plan.name);
  if (f->quantity != "dose" || f->unit != "Gy")
    throw Error(ErrorKind::InvalidInput,
                "The plan \"" + plan.name + "\" names the field \"" + f->name +
                    "\", which is not a dose in Gy.",
                f->name);
  return *f;
}

// The planning CT's slices as DICOM files, which the structure set references one by one
// (Contour Image Sequence, PS3.3 C.8.8.6): the series the case was made from, still on disk.
io::ReferenceSeries ctSlices(const Case& twin, const ImageVolume& ct, const std::string& where,
                             Progress& progress) {
  const std::string& uid = ct.dicom.seriesInstanceUid;
  const auto s =
      std::find_if(twin.series.begin(), twin.series.end(), [&](const SeriesReference& r) {
        return !uid.empty() && r.seriesInstanceUid == uid && !r.files.empty();
      });
  if (s == twin.series.end())
    throw Error(ErrorKind::NotFound,
                "The RT Structure Set must reference the planning CT's slices, but the case " +
                    where + " keeps no DICOM files for its CT \"" + ct.name +
                    "\"; make the case from the CT's DICOM series (case create).",
                ct.name);
  const fs::path first(s->files.front());
  if (!fs::is_regular_file(first))
    throw Error(ErrorKind::NotFound,
                "The planning CT's DICOM files are no longer where the case " + where +
                    " found them (" + first.string() +
                    "); the RT Structure Set must reference them: put them back or make the case "
                    "again.",
                first.string());
  const io::DicomIndex index = io::scanDicom(first.parent_path(), *subRange(progress, 0.0, 0.3));
  const io::DicomSeries* series = index.findSeries(uid);
  if (!series)
    throw Error(ErrorKind::NotFound,
                "The folder " + first.parent_path().string() + " no longer holds the CT series " +
                    uid + " the case " + where + " was made from.",
                uid);
  io::ReferenceSeries reference = io::referenceFromSeries(*series, *subRange(progress, 0.3, 1.0));
  if (!reference.geometry.sameGridAs(ct.geometry(), 1e-3))
    throw Error(ErrorKind::InvalidInput,
                "The CT series " + uid + " on disk is not on the grid of the case's CT \"" +
                    ct.name + "\"; the structure set could not reference its slices.",
                uid);
  return reference;
}

// Every segment on the CT's grid, one structure set (each label map's layers kept as layers).
LabelMap segmentsOnCt(const Case& twin, const ImageGeometry& ct, const std::string& where,
                      json& notes) {
  LabelMap merged(ct);
  bool first = true;
  for (const LabelMap& labels : twin.labelMaps) {
    if (!labels.geometry().sameGridAs(ct, 1e-3)) {
      notes.push_back("Segments on another grid than the CT were left out of the structure set.");
      continue;
    }
    const int offset = first ? 0 : merged.layerCount();
    for (int l = 0; l < labels.layerCount(); ++l)
      merged.layer(first && l == 0 ? 0 : merged.addLayer()) = labels.layer(l);
    for (Segment s : labels.segments()) {
      s.layer += offset;
      merged.addSegment(std::move(s));
    }
    first = false;
  }
  if (merged.segments().empty())
    throw Error(ErrorKind::NotFound,
                "The case " + where +
                    " has no segments on the planning CT's grid; a plan's RT Structure Set needs "
                    "its target and organs (segment them first).",
                where);
  return merged;
}

// The export folder, made when missing; Error(Io) naming it when it cannot be made or written
// in (a read-only disk, a file of that name), before anything is written.
void requireWritableFolder(const fs::path& folder) {
  std::error_code ec;
  fs::create_directories(folder, ec);
  if (ec || !fs::is_directory(folder))
    throw Error(ErrorKind::Io,
                "Cannot make the export folder " + folder.string() + " (" +
                    (ec ? ec.message() : std::string("a file has that name")) +
                    "); choose a folder you can write to.",
                folder.string());
  const fs::path probe = folder / ".twinplan-export-check";
  if (!std::ofstream(probe))
    throw Error(
        ErrorKind::Io,
        "Cannot write in the folder " + folder.string() + "; choose a folder you can write to.",
        folder.string());
  fs::remove(probe, ec);
}

// The three objects are written under temporary names and renamed into place only when all
// three are written: a failure or cancel removes them and leaves the folder as it was (an
// earlier export's RS, RP and RD included), never a structure set without its plan.
struct ExportedFiles {
  std::vector<std::pair<fs::path, fs::path>> written;  // temporary name, final name
  bool done = false;
  fs::path add(const fs::path& final) {
    written.push_back({final.parent_path() / ("." + final.filename().string() + ".part"), final});
    return written.back().first;
  }
  void commit() {
    for (const auto& [temporary, final] : written) fs::rename(temporary, final);
    done = true;
  }
  ~ExportedFiles() {
    if (done) return;
    std::error_code ec;
    for (const auto& [temporary, final] : written) fs::remove(temporary, ec);
  }
};

json beamsJson(const io::RtPlan& plan) {
  json beams = json::array();
  for (const io::Beam& b : plan.beams)
    beams.push_back(
        {{"number", b.number},
         {"name", b.name},
         {"gantry_deg", b.controlPoints.empty() ? 0.0 : b.controlPoints.front().gantryAngle_deg},
         {"mu", b.meterset ? json(*b.meterset) : json(nullptr)}});
  return beams;
}

}  // namespace

json exportCasePlan(const Case& twin, const PlanExportRequest& request, Progress& progress) {
  const std::string& where = request.where;
  const CasePlan found = findCasePlan(twin, request.plan, where);
  const io::RtPlan& plan = found.plan;
  if (plan.ion)
    throw Error(ErrorKind::Unsupported,
                "The plan \"" + found.name +
                    "\" is an RT Ion Plan; TwinPlan exports photon and electron plans.",
                found.name);
  const ImageVolume& ct = planningCt(twin, request.ct, where);
  if (!plan.frameOfReferenceUid.empty() && !ct.dicom.frameOfReferenceUid.empty() &&
      plan.frameOfReferenceUid != ct.dicom.frameOfReferenceUid)
    throw Error(ErrorKind::InvalidInput,
                "The plan \"" + found.name + "\" is in frame of reference " +
                    plan.frameOfReferenceUid + " but the CT \"" + ct.name + "\" is in " +
                    ct.dicom.frameOfReferenceUid + "; it cannot be exported on that CT.",
                "FrameOfReferenceUID");
  const ScalarField& dose = storedPlanDose(twin, found, where);
  json notes = json::array();
  const LabelMap structures = segmentsOnCt(twin, ct.geometry(), where, notes);
  const io::ReferenceSeries reference = ctSlices(twin, ct, where, *subRange(progress, 0.0, 0.5));

  requireWritableFolder(request.folder);
  const fs::path rs = request.folder / "RS.dcm", rp = request.folder / "RP.dcm",
                 rd = request.folder / "RD.dcm";
  ExportedFiles files;
  io::RtStructWriteOptions structOptions;
  structOptions.structureSetLabel = found.name.substr(0, 16);  // SH: 16 characters
  const std::string structureSetUid = io::writeRtStruct(
      structures, reference, files.add(rs), structOptions, *subRange(progress, 0.5, 0.8));

  io::RtPlanWriteOptions planOptions;
  planOptions.dicom = reference.dicom;
  planOptions.seriesDescription = "TwinPlan plan " + found.name;
  planOptions.referencedStructureSetSopInstanceUid = structureSetUid;
  planOptions.sopInstanceUid = plan.sopInstanceUid;  // the UID its doses already reference
  const std::string planUid =
      io::writeRtPlan(plan, files.add(rp), planOptions, *subRange(progress, 0.8, 0.85));

  io::RtDoseWriteOptions doseOptions;
  doseOptions.dicom = reference.dicom;
  doseOptions.summationType = "PLAN";
  doseOptions.seriesDescription = "TwinPlan dose " + found.name;
  doseOptions.referencedPlanSopInstanceUid = planUid;
  if (!plan.fractionGroups.empty())
    doseOptions.referencedFractionGroupNumber = plan.fractionGroups.front().number;
  const std::string doseUid =
      io::writeRtDose(dose, files.add(rd), doseOptions, *subRange(progress, 0.85, 1.0));
  progress.check();  // a cancel during the last write still leaves the folder as it was
  files.commit();

  json names = json::array();
  for (const Segment& s : structures.segments()) names.push_back(s.name);
  const ImageGeometry& g = dose.geometry;
  return {{"plan", found.name},
          {"folder", request.folder.string()},
          {"files", {{"rtstruct", rs.string()}, {"rtplan", rp.string()}, {"rtdose", rd.string()}}},
          {"structure_set_sop_instance_uid", structureSetUid},
          {"rtplan_sop_instance_uid", planUid},
          {"rtdose_sop_instance_uid", doseUid},
          {"study_instance_uid", reference.dicom.studyInstanceUid},
          {"frame_of_reference_uid", reference.dicom.frameOfReferenceUid},
          {"structures", names},
          {"beams", beamsJson(plan)},
          {"fractions", plannedFractions(plan)},
          {"dose",
           {{"field", dose.name},
            {"size", {g.size[0], g.size[1], g.size[2]}},
            {"spacing_mm", {g.spacing_mm.x(), g.spacing_mm.y(), g.spacing_mm.z()}},
            {"origin_lps_mm", {g.origin_lps.x(), g.origin_lps.y(), g.origin_lps.z()}},
            {"max_gy", *std::max_element(dose.values.begin(), dose.values.end())}}},
          {"notes", notes}};
}

namespace {

class ExportPlanJob final : public Job {
 public:
  explicit ExportPlanJob(const JobParameters& p)
      : case_(p.file("case")), output_(p.file("output")) {
    p.rejectUnknown({"case", "plan", "ct", "output"});
    request_.plan = p.text("plan");
    request_.ct = p.text("ct", "");
    request_.folder = output_;
    request_.where = case_.string();
    if (request_.plan.empty())
      throw Error(ErrorKind::InvalidInput, "Name the plan to export.", "plan");
  }
  std::string kind() const override { return "export-plan"; }
  json parameters() const override {
    return {{"case", case_.string()},
            {"plan", request_.plan},
            {"ct", request_.ct},
            {"output", output_.string()}};
  }
  json run(Progress& progress, CheckpointStore*) override {
    const auto start = std::chrono::steady_clock::now();
    const Case twin = loadCase(case_, *subRange(progress, 0.0, 0.1));
    json result = exportCasePlan(twin, request_, *subRange(progress, 0.1, 1.0));
    result["time_s"] =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return result;
  }

 private:
  fs::path case_, output_;
  PlanExportRequest request_;
};

}  // namespace

std::unique_ptr<Job> makeExportPlanJob(const JobParameters& parameters) {
  return std::make_unique<ExportPlanJob>(parameters);
}

}  // namespace twinplan::engine
