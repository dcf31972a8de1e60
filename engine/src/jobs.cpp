#include "twinplan/engine/jobs.h"

#include <fstream>
#include <sstream>

#include "job_kinds.h"
#include "twinplan/core/error.h"

namespace twinplan::engine {

namespace {
using Factory = std::unique_ptr<Job> (*)(const JobParameters&);
struct Entry {
  JobKindInfo info;
  Factory make;
};

const std::vector<Entry>& entries() {
  using J = nlohmann::json;
  static const std::vector<Entry> kEntries = {
      {{"import-series",
        "Import one DICOM image series as a new case file.",
        {{"dicom", "path", "Folder, DICOM file or DICOMDIR to scan", J()},
         {"seriesInstanceUid", "string", "The series to import; needed when there are several", ""},
         {"output", "path", "The case file to write (.twinplan)", J()},
         {"name", "string", "Case name (default: the patient's name)", ""}}},
       makeImportSeriesJob},
      {{"build-models",
        "Build closed surface models of a case's segments and store them in the case "
        "(resumes from its checkpoint after an interruption).",
        {{"case", "path", "The case file to read", J()},
         {"output", "path", "The case file to write (default: the input, in place)", "= case"},
         {"labelMap", "integer", "Which segmentation of the case (0: the first)", 0},
         {"segments", "list of strings", "Segment names (default: every segment)", J::array()},
         {"smoothingIterations", "integer", "Windowed-sinc iterations, 0..1000", 20},
         {"passBand", "number", "Windowed-sinc pass band, (0, 2]", 0.05},
         {"targetReduction", "number", "Fraction of triangles removed by decimation, 0..0.95", 0.5},
         {"maxTriangles", "integer", "Most triangles a model keeps (0: no limit)", 20000},
         {"checkpointInterval_s", "number", "Least time between checkpoints written", 30.0}}},
       makeBuildModelsJob},
      {{"convert",
        "Convert one DICOM series (or a NIfTI/NRRD/MetaImage file) to NIfTI, NRRD or MetaImage; "
        "an RTSTRUCT or DICOM SEG to a label image with a JSON sidecar; a label image to a SEG "
        "or RTSTRUCT (.dcm output). The last two need the reference image series.",
        {{"input", "path", "Folder, DICOMDIR, DICOM file, RTSTRUCT/SEG file or image file", J()},
         {"seriesInstanceUid", "string", "The series; needed when there are several", ""},
         {"output", "path", "Output file: .nii, .nii.gz, .nrrd, .mha", J()},
         {"volume", "integer",
          "Which volume of a series holding several (echoes, time points), from 0", 0},
         {"petBodyWeightSuv", "boolean", "Convert PET in Bq/ml to body-weight SUV", false},
         {"gzipLevel", "integer", "zlib level of a .nii.gz, 1 fastest .. 9 smallest", 6},
         {"reference", "path", "Image series an RTSTRUCT/SEG refers to (folder or file)", ""},
         {"referenceSeriesInstanceUid", "string", "The reference series when there are several",
          ""},
         {"format", "string", "For .dcm output: \"seg\" or \"rtstruct\" (default: from the name)",
          ""},
         {"split", "boolean", "RTSTRUCT/SEG input: one 0/1 image per structure", false}}},
       makeConvertJob},
      {{"compare-segments",
        "Compare two segmentations of one structure: Dice, Jaccard, Hausdorff (max, 95th "
        "percentile), mean surface distance, volume difference.",
        {{"a", "path", "Label image (.nii, .nii.gz, .nrrd, .mha) or case file (.twinplan)", J()},
         {"b", "path", "The other segmentation, the same kinds", J()},
         {"segmentA", "string", "Segment name in case file A", ""},
         {"segmentB", "string", "Segment name in case file B", "= segmentA"},
         {"labelA", "number", "Label value in image A (0: every non-zero voxel)", 0},
         {"labelB", "number", "Label value in image B", "= labelA"}}},
       makeCompareSegmentsJob},
      {{"export-meshes",
        "Write a case's 3D models to STL, OBJ+MTL, PLY or glTF binary (.glb), optionally as a "
        "3D-print export that refuses or repairs models that are not closed.",
        {{"case", "path", "The case file to read", J()},
         {"output", "path", "Mesh file: .stl, .obj, .ply, .glb", J()},
         {"meshes", "list of strings", "Model names (default: every visible model)", J::array()},
         {"forPrinting", "boolean", "Refuse models that are open or cross themselves", false},
         {"repair", "boolean", "With forPrinting: close holes and orient instead of refusing",
          false}}},
       makeExportMeshesJob},
      {{"model",
        "From a DICOM series to anatomy models: automatic presets, segments, surface models, a "
        ".glb and .stl per segment, model.glb, the case and summary.json in one folder.",
        {{"dicom", "path", "Folder, DICOM file or DICOMDIR to scan", J()},
         {"seriesInstanceUid", "string", "The series; needed when there are several", ""},
         {"output", "path", "The folder to write", J()},
         {"presets", "list of strings",
          "Presets to run (default: those without a seed for the modality: CT body, bone, lungs, "
          "vessels; MR brain)",
          J::array()}}},
       makeModelJob},
      {{"import-meshes",
        "Add surface models from STL, OBJ or PLY files to a case.",
        {{"case", "path", "The case file to read", J()},
         {"files", "list of strings", "Mesh files (.stl, .obj, .ply)", J()},
         {"output", "path", "The case file to write (default: the input, in place)", "= case"}}},
       makeImportMeshesJob},
      {{"register",
        "Register one series onto another (rigid, affine, B-spline or landmarks); optionally "
        "store the registration in a case and write an ITK transform file.",
        {{"fixed", "path", "DICOM folder of the reference series (or use case + fixedVolume)", ""},
         {"fixedSeriesInstanceUid", "string", "The fixed series when the folder has several", ""},
         {"moving", "path", "DICOM folder of the series to bring onto the reference", ""},
         {"movingSeriesInstanceUid", "string", "The moving series when the folder has several", ""},
         {"case", "path", "A case file holding both series (instead of fixed/moving)", ""},
         {"fixedVolume", "string", "The reference series' name in the case", ""},
         {"movingVolume", "string", "The moving series' name in the case", ""},
         {"output", "path", "The case file to write (default: the case, in place)", "= case"},
         {"method", "string", "rigid | affine | bspline | landmark", "rigid"},
         {"histogramBins", "integer", "Mattes mutual information histogram bins, 5..256", 32},
         {"samplingFraction", "number",
          "Most of a level's voxels the metric samples, (0, 1]; samplesPerLevel caps the count",
          1.0},
         {"samplesPerLevel", "integer", "Voxels the metric samples per level, 1000..10^8", 100000},
         {"finestSpacing_mm", "number",
          "Voxel size of the finest level (mm), 0 = the image's own, 0..10", 1.0},
         {"randomSampling", "boolean", "Random (true) or regular-grid (false) sampling", true},
         {"samplingSeed", "integer", "Seed of the sampling (same seed, same result)", 121212},
         {"levels", "integer", "Resolution levels, 1..6 (shrink 2^(n-1)..1)", 3},
         {"iterations", "integer", "Most optimiser iterations per level (rigid, affine)", 200},
         {"bsplineGridSpacing_mm", "number", "B-spline control point spacing (mm), 2..500", 20.0},
         {"bsplineIterations", "integer", "Most L-BFGS-B iterations per level (bspline)", 100},
         {"centring", "string", "Start: geometry (box centres) or moments (centres of mass)",
          "geometry"},
         {"landmarks", "path", "Paired points (JSON); gives tre_mm, needed by landmark", ""},
         {"initialiseWithLandmarks", "boolean", "Start from the landmarks' rigid transform", false},
         {"transform", "path", "Write the transform here (.tfm, .h5)", ""}}},
       makeRegisterJob},
      {{"resample",
        "Resample a series onto another series' grid through an ITK transform file "
        "(reference -> moving, ITK's convention), and write it as NIfTI, NRRD or MetaImage.",
        {{"moving", "path", "The series to resample: folder, DICOMDIR, DICOM or image file", J()},
         {"movingSeriesInstanceUid", "string", "The moving series; needed when there are several",
          ""},
         {"reference", "path", "The series whose grid the result takes", J()},
         {"referenceSeriesInstanceUid", "string",
          "The reference series; needed when there are several", ""},
         {"transform", "path", "ITK transform file (.tfm, .txt, .h5), reference -> moving", J()},
         {"output", "path", "Output file: .nii, .nii.gz, .nrrd, .mha", J()},
         {"interpolation", "string", "linear | nearest", "linear"},
         {"outsideValue", "number", "Value where the moving image has no data",
          "= the moving image's minimum"}}},
       makeResampleJob},
      {{"segment",
        "Run an automatic segmentation preset (body, bone, lungs, vessels, liver, brain) on a "
        "volume of a case and add its segment, undoably, to the case.",
        {{"case", "path", "The case file to read", J()},
         {"output", "path", "The case file to write (default: the input, in place)", "= case"},
         {"preset", "string", "body, bone, lungs, vessels, liver (needs a seed) or brain (MR)",
          J()},
         {"volume", "string", "The volume (default: the first of the preset's modality)", ""},
         {"seeds", "list of strings", "Seed points \"x,y,z\" in LPS mm", J::array()}}},
       makeSegmentJob},
      {{"growth",
        "The follow-up growth table of a case: each segment's volume per study date, change, "
        "growth rate and volume doubling time; optionally registers the later studies first.",
        {{"case", "path", "The case file (several studies of one patient)", J()},
         {"baseline", "string", "The baseline series' name (default: the earliest study)", ""},
         {"register", "boolean", "First register later studies onto the baseline and save", false},
         {"method", "string", "rigid | affine | bspline (with register)", "rigid"},
         {"output", "path", "The case file to write (default: the case, in place)", "= case"}}},
       makeGrowthJob},
      {{"add-dose",
        "Add an RT Dose to a case as a result (dose in Gy on its own grid, shown over the "
        "images); its frame of reference must be one of the case's images'.",
        {{"case", "path", "The case file to read", J()},
         {"dose", "path", "The RT Dose file (RD.dcm, Dose Units GY)", J()},
         {"output", "path", "The case file to write (default: the input, in place)", "= case"}}},
       makeAddDoseJob},
      {{"combine-doses",
        "Sum two doses of a case (A + B, e.g. a plan and its boost) or subtract them (A - B, "
        "signed, e.g. a recomputed dose against the planning system's) into a new result; both "
        "must be doses in Gy on the same grid.",
        {{"case", "path", "The case file to read", J()},
         {"a", "string",
          "Dose A: a dose result's id in the case (\"result-2\"), or its name "
          "when no other result has it",
          J()},
         {"b", "string", "Dose B: as a", J()},
         {"operation", "string", "sum (A + B) or difference (A - B)", "sum"},
         {"name", "string", "The new result's name (default: \"A + B\" or \"A - B\")", ""},
         {"output", "path", "The case file to write (default: the input, in place)", "= case"}}},
       makeCombineDosesJob},
      {{"dose",
        "Compute an RT Plan's photon dose on a case's planning CT (pencil beam or collapsed "
        "cone) and add it to the case as a result; the plan must be in the CT's frame of "
        "reference.",
        {{"case", "path", "The case file to read (with the planning CT)", J()},
         {"plan", "path", "The RT Plan file (RP.dcm), photon beams", J()},
         {"engine", "string", "pencil-beam or collapsed-cone (both 6 and 10 MV)", "pencil-beam"},
         {"grid_mm", "number", "Dose grid spacing (mm), 0.5..20", 2.5},
         {"ct", "string", "The CT volume's name (default: the first CT)", ""},
         {"position", "string", "Patient position (default: the plan's, else the CT's, else HFS)",
          ""},
         {"output", "path", "The case file to write (default: the input, in place)", "= case"}}},
       makeDoseJob},
      {{"plan-conformal",
        "Make a conformal photon plan on a case: MLC apertures shaped to the PTV segment within "
        "the Millennium 120's limits, each beam's dose, beam weights optimised against the PTV's "
        "95-107 % range and the organs at risk's objectives, normalised to the prescription; "
        "the plan and its dose are added to the case in one undoable step.",
        {{"case", "path", "The case file (planning CT and segments)", J()},
         {"ptv", "string", "The target segment (the CTV when margin_mm > 0)", J()},
         {"margin_mm", "number", "CTV -> PTV margin in 3D (mm), 0..30", 0.0},
         {"oars", "list of strings",
          "Objectives \"NAME:max|mean|min:Gy\", \"NAME:dNN:Gy\" (D_NN% <= Gy) or "
          "\"NAME:vNN:%\" (V_NN Gy <= %), each with an optional \":importance\"",
          J::array()},
         {"beams", "string", "Beams G<gantry>[C<collimator>][T<couch>], comma separated",
          "G0,G120,G240"},
         {"aperture_margin_mm", "number",
          "Aperture margin beyond the PTV's projection (mm): 7 covers the 6 MV penumbra", 7.0},
         {"prescription_gy", "number", "Prescription dose (Gy)", 60.0},
         {"fractions", "integer", "Number of fractions, 1..100", 30},
         {"normalise", "string", "PTV metric set to the prescription: d50, dNN or mean", "d50"},
         {"energy_mv", "number", "Nominal energy (MV): 6 or 10", 6.0},
         {"grid_mm", "number", "Dose grid spacing (mm), 0.5..20", 2.5},
         {"engine", "string", "pencil-beam or collapsed-cone", "pencil-beam"},
         {"ct", "string", "The CT volume's name (default: the first CT)", ""},
         {"position", "string", "Patient position (default: the CT's, else HFS)", ""},
         {"label", "string", "The plan's label (a plan of that name is replaced)", "Conformal"},
         {"output", "path", "The case file to write (default: the input, in place)", "= case"}}},
       makePlanConformalJob},
      {{"export-plan",
        "Export a radiotherapy plan stored in a case as RT Structure Set (the case's segments on "
        "the planning CT), RT Plan (referencing the structure set) and RT Dose (the plan's dose, "
        "referencing the plan), in the CT's study and frame of reference: RS.dcm, RP.dcm and "
        "RD.dcm in the output folder.",
        {{"case", "path", "The case file (planning CT from DICOM, segments, the plan and its dose)",
          J()},
         {"plan", "string", "The plan's name in the case, or its RT Plan SOP Instance UID", J()},
         {"ct", "string", "The CT volume's name (default: the first CT)", ""},
         {"output", "path", "The folder to write RS.dcm, RP.dcm and RD.dcm into", J()}}},
       makeExportPlanJob},
      {{"ablate",
        "Simulate one probe's thermal ablation (RF or microwave) on a case: the zone, its axes, "
        "the hottest temperature, tumour coverage and margin, damage to each structure, the "
        "temperature over time at chosen points; optionally the temperature and damage fields "
        "and the zone (labelmap) as NRRD and the zone's surface as STL.",
        {{"case", "path", "The case file (CT; segments optional)", J()},
         {"device", "string", "Device id (`twinplan-cli ablate --list-devices`)", J()},
         {"tip", "string", "Probe tip \"x,y,z\" in LPS mm", J()},
         {"entry", "string", "Skin entry \"x,y,z\" in LPS mm (the probe runs entry -> tip)", J()},
         {"power_W", "number", "Generator power (W), > 0", "= the device's"},
         {"duration_s", "number", "Ablation time (s), (0, 3600]", "= the device's"},
         {"tumour", "string", "Tumour segment: coverage_percent and min_margin_mm", ""},
         {"margin_mm", "number", "Safety margin around the tumour (mm), 0..30", 5.0},
         {"export", "path",
          "Folder for max_temperature.nrrd, temperature.nrrd, damage.nrrd, zone.nrrd, zone.stl",
          ""},
         {"ct", "string", "The CT volume's name (default: the first CT)", ""},
         {"spacing_mm", "number", "Simulation grid spacing (mm), 0.25..5", 1.0},
         {"boxSize_mm", "number", "Edge of the cubic box around the tip (mm), 10..400", 100.0},
         {"timeStep_s", "number", "Implicit time step (s), 0.1..60", 5.0},
         {"zone_criterion", "string",
          "Which voxels make the zone: omega1, omega4.6, t50, t60, cem43 (zone_metrics.h)",
          "omega1"},
         {"probe_points", "list of strings",
          "Points \"x,y,z\" in LPS mm inside the box: temperature over time (probe_points)",
          J::array()}}},
       makeAblateJob},
      {{"plan-ablation",
        "Ranked ablation plans for a tumour plus margin: feasible needle paths, one to three "
        "probes, the device's power/time settings, scored by the zone surrogate (coverage, "
        "margin, critical damage, probes, energy); optionally confirmed by the full physics.",
        {{"case", "path", "The case file (CT and the tumour segment)", J()},
         {"tumour", "string", "Tumour segment", J()},
         {"margin_mm", "number", "Safety margin around the tumour (mm), 0..30", 5.0},
         {"device", "string", "Device id (`twinplan-cli ablate --list-devices`)",
          "mw-2450mhz-100w"},
         {"probes", "integer", "Most probes per plan, 1..3", 3},
         {"confirm", "boolean", "Confirm the best 3 plans with the full physics", false},
         {"ct", "string", "The CT volume's name (default: the first CT)", ""},
         {"critical", "list of strings", "Segments the needle and the zone must spare", J::array()},
         {"max_angle_deg", "number", "Largest needle tilt from the axial plane (deg)", 45.0},
         {"safety_radius_mm", "number", "Clearance around the needle path (mm)", 3.0},
         {"shaft_mm", "number", "Longest insertion depth, skin to tip (mm)", 200.0},
         {"spacing_mm", "number", "Planning grid spacing (mm), 0.5..5", 2.0}}},
       makePlanAblationJob},
      {{"shift",
        "Tissue shift on a case: brain shift after craniotomy and CSF loss, the liver under a "
        "tool, or a resection cavity. A finite-element model of the tissue, the displacement "
        "field and every plan target's shift; the field, the mesh, the deformed labelmap, "
        "volumes and 3D models and a tissue-shift plan are stored in the case as one undo step.",
        {{"case", "path", "The case file (a labelmap with the tissue's segments)", J()},
         {"output", "path", "The case file to write (default: the input, in place)", "= case"},
         {"scenario", "string", "brain-shift, liver-tool, resection or retractor", "brain-shift"},
         {"opening", "string", "brain-shift: craniotomy centre \"x,y,z\" in LPS mm",
          "= the surface point nearest the tumour"},
         {"radius_mm", "number", "brain-shift: craniotomy radius (mm), (0, 100]", 25.0},
         {"csfLoss_ml", "number", "brain-shift: CSF drained from the top (ml)", "= none"},
         {"fluidLevel_mm", "number", "brain-shift: CSF level above the brain's lowest point (mm)",
          "= 0: all drained"},
         {"resolution_mm", "number", "Mesh lattice edge (mm), 1..40", "6 (liver-tool: 8)"},
         {"patientPosition", "string", "HFS, HFP, HFDL, HFDR, FF...", "= the images'"},
         {"headRotation_deg", "number", "brain-shift: head turned about S, P towards L (deg)", 0.0},
         {"skullContact", "boolean",
          "brain-shift, retractor: the brain slides on the skull outside the opening (false: "
          "held)",
          "false (retractor: true)"},
         {"drainVentricles", "boolean", "brain-shift: the ventricles lose their CSF pressure too",
          false},
         {"material", "string", "brain-shift: neo-hookean (large deformation) or linear",
          "neo-hookean"},
         {"elements", "string",
          "linear (C3D4, nu 0.45) or quadratic (C3D10, nu 0.49) tetrahedra", "linear"},
         {"organ", "string",
          "liver-tool: the organ (segment or tissue type); resection: the tissue around it",
          "liver / the brain"},
         {"tip", "string", "liver-tool: tool tip \"x,y,z\" on the organ surface (LPS mm)",
          "= first surface point along the direction"},
         {"direction", "string", "liver-tool: into the tissue \"x,y,z\"", "0,1,0"},
         {"tip_shape", "string", "liver-tool: flat or ball", "flat"},
         {"tip_radius_mm", "number", "liver-tool: tip radius (mm)", 5.0},
         {"indentation_mm", "number", "liver-tool: depth pressed (mm)", 10.0},
         {"force_N", "number", "liver-tool: force instead of a depth (N)", "= none"},
         {"nonlinear", "boolean", "liver-tool: neo-Hooke, large deformation", false},
         {"segment", "string", "resection: the segment removed", ""},
         {"sphere", "string", "resection: a sphere removed \"x,y,z,radius\" (LPS mm)", ""},
         {"blade_width_mm", "number", "retractor: blade width on the brain surface (mm)", 20.0},
         {"blade_depth_mm", "number", "retractor: blade depth on the brain surface (mm)", 20.0},
         {"push_mm", "number", "retractor: blade pushed into the brain (mm)", 5.0},
         {"blade_axis", "string", "retractor: the blade's width direction \"x,y,z\"",
          "= normal x S"}}},
       makeShiftJob},
  };
  return kEntries;
}

std::string kindList() {
  std::string list;
  for (const Entry& e : entries()) list += (list.empty() ? "" : ", ") + e.info.kind;
  return list;
}
}  // namespace

const std::vector<JobKindInfo>& jobCatalogue() {
  static const std::vector<JobKindInfo> kCatalogue = [] {
    std::vector<JobKindInfo> list;
    for (const Entry& e : entries()) list.push_back(e.info);
    return list;
  }();
  return kCatalogue;
}

nlohmann::json catalogueJson() {
  nlohmann::json kinds = nlohmann::json::array();
  for (const JobKindInfo& info : jobCatalogue()) {
    nlohmann::json parameters = nlohmann::json::array();
    for (const JobParameterInfo& p : info.parameters) {
      nlohmann::json entry = {{"name", p.name},
                              {"type", p.type},
                              {"description", p.description},
                              {"required", p.defaultValue.is_null()}};
      if (!p.defaultValue.is_null()) entry["default"] = p.defaultValue;
      parameters.push_back(std::move(entry));
    }
    kinds.push_back({{"job", info.kind}, {"summary", info.summary}, {"parameters", parameters}});
  }
  return kinds;
}

std::unique_ptr<Job> makeJob(const nlohmann::json& description,
                             const std::filesystem::path& baseDir) {
  if (!description.is_object() || !description.contains("job") || !description["job"].is_string())
    throw Error(ErrorKind::InvalidInput,
                "A job description is a JSON object with \"job\" (one of " + kindList() +
                    ") and \"parameters\".",
                "job");
  for (const auto& [key, value] : description.items())
    if (key != "job" && key != "parameters")
      throw Error(
          ErrorKind::InvalidInput,
          "A job description has only \"job\" and \"parameters\"; \"" + key + "\" is not known.",
          key);
  const std::string kind = description["job"];
  const nlohmann::json parameters =
      description.contains("parameters") ? description["parameters"] : nlohmann::json::object();
  for (const Entry& e : entries())
    if (e.info.kind == kind) return e.make(JobParameters(parameters, kind, baseDir));
  throw Error(ErrorKind::InvalidInput,
              "There is no job \"" + kind + "\"; the jobs are " + kindList() + ".", "job");
}

nlohmann::json readJobFile(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) {
    std::error_code ec;
    throw Error(std::filesystem::exists(file, ec) ? ErrorKind::Io : ErrorKind::NotFound,
                "Cannot read the job file " + file.string() + ".", file.string());
  }
  std::stringstream text;
  text << in.rdbuf();
  try {
    return nlohmann::json::parse(text.str());
  } catch (const nlohmann::json::parse_error& e) {
    throw Error(ErrorKind::InvalidInput,
                "The job file " + file.string() + " is not valid JSON: " + e.what(), file.string());
  }
}

nlohmann::json geometryJson(const ImageGeometry& g) {
  nlohmann::json direction = nlohmann::json::array();
  for (int r = 0; r < 3; ++r)
    direction.push_back({g.direction(r, 0), g.direction(r, 1), g.direction(r, 2)});
  return {{"size", g.size},
          {"spacing_mm", {g.spacing_mm[0], g.spacing_mm[1], g.spacing_mm[2]}},
          {"origin_lps", {g.origin_lps[0], g.origin_lps[1], g.origin_lps[2]}},
          {"direction", direction}};
}

nlohmann::json caseSummary(const Case& twin, const std::filesystem::path& file) {
  nlohmann::json volumes = nlohmann::json::array();
  for (const auto& v : twin.volumes)
    volumes.push_back({{"name", v.name},
                       {"modality", v.dicom.modality},
                       {"unit", v.unit},
                       {"size", v.geometry().size}});
  return {{"output", file.string()},     {"name", twin.name},  {"patientName", twin.patientName},
          {"patientId", twin.patientId}, {"volumes", volumes}, {"meshes", twin.meshes.size()}};
}

}  // namespace twinplan::engine
