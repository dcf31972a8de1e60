// Job "ablate": one probe's thermal ablation on a case (issue #17 item 6). Builds the grid from
// the case's CT and segments (ablation/grid_builder.h), runs the device's heat source through
// the bioheat solver (ablation/bioheat.h) and reports the zone, its axes, the hottest
// temperature, the coverage of a tumour plus margin, the damage to every other structure and
// the temperature over time at chosen points; optionally exports the temperature and damage
// fields as NRRD and the zone as a labelmap NRRD and a surface mesh. Every input is checked before
// the simulation starts, and the export is written to a staging folder first, so a failure
// leaves nothing half-written.
#include <algorithm>
#include <sstream>

#include "job_kinds.h"
#include "twinplan/ablation/bioheat.h"
#include "twinplan/ablation/device_source.h"
#include "twinplan/ablation/devices.h"
#include "twinplan/ablation/grid_builder.h"
#include "twinplan/ablation/tissue_library.h"
#include "twinplan/ablation/zone_metrics.h"
#include "twinplan/core/case_file.h"
#include "twinplan/engine/ablation.h"
#include "twinplan/engine/ablation_margin_map.h"
#include "twinplan/engine/jobs.h"
#include "twinplan/io/image_file.h"
#include "twinplan/io/mesh_files.h"
#include "twinplan/segmentation/segment_surface.h"

namespace fs = std::filesystem;

namespace twinplan::engine {
namespace {

using ablation::AblationDevice;
using nlohmann::json;

// "x,y,z" in LPS mm (the CLI's --tip/--entry form).
Vec3 parsePoint(const std::string& text, const char* name) {
  std::istringstream in(text);
  Vec3 p;
  char comma1 = 0, comma2 = 0;
  if (!(in >> p[0] >> comma1 >> p[1] >> comma2 >> p[2]) || comma1 != ',' || comma2 != ',' ||
      !(in >> std::ws).eof() || !p.allFinite())
    throw Error(ErrorKind::InvalidInput,
                "The " + std::string(name) + " \"" + text +
                    "\" is not a point; write it as x,y,z in LPS mm, e.g. -95,10,62.",
                std::string("parameters.") + name);
  return p;
}

json point(const Vec3& p) { return {p.x(), p.y(), p.z()}; }

// The tumour's surface with its margin per vertex (engine/ablation_margin_map.h).
constexpr const char* kMarginMapFile = "margin_map.ply";
// The ablation zone as a labelmap (uint16, 1 inside) on the fields' grid, and its surface.
constexpr const char* kZoneLabelFile = "zone.nrrd";
constexpr const char* kZoneMeshFile = "zone.stl";
// Every file --export may write; the last two only with a tumour and with a zone.
constexpr const char* kExportFiles[] = {"max_temperature.nrrd", "temperature.nrrd", "damage.nrrd",
                                        kZoneLabelFile,         kMarginMapFile,     kZoneMeshFile};
constexpr const char* kZoneSegment = "Ablation zone";

// Structures whose thermal injury is a known complication of abdominal RF/microwave ablation:
// vessels (thrombosis, infarction), bile ducts and gallbladder (stricture, biloma,
// cholecystitis), bowel (perforation), lung (pneumothorax), skin (burns). Rhim H et al.,
// "Radiofrequency thermal ablation of abdominal tumors: lessons learned from complications",
// RadioGraphics 2004;24:41-52.
bool isCriticalTissue(const ablation::TissueProperties& t) {
  return t.isBlood || t.id == "bile" || t.id == "gallbladder" || t.id == "bowel" ||
         t.id == "lung" || t.id == "skin";
}

struct TumourRef {
  std::size_t labelMap = 0, segment = 0;
};

// The "zone_criterion" parameter's choice (ablation/zone_metrics.h; default omega1).
const ablation::ZoneCriterionChoice& zoneCriterion(const JobParameters& p) {
  const std::string name = p.text("zone_criterion", ablation::zoneCriterionChoices().front().name);
  try {
    return ablation::zoneCriterionChoice(name);
  } catch (const Error& e) {
    throw Error(e.kind(), e.what(), "parameters.zone_criterion");
  }
}

class AblateJob final : public Job {
 public:
  explicit AblateJob(const JobParameters& p)
      : case_(p.file("case")),
        device_(&ablation::findDevice(p.text("device"))),
        tipText_(p.text("tip")),
        entryText_(p.text("entry")),
        tumour_(p.text("tumour", "")),
        margin_mm_(p.number("margin_mm", ablation::kDefaultTumourMargin_mm, 0.0, 30.0)),
        export_(p.file("export", "")),
        ct_(p.text("ct", "")),
        timeStep_s_(p.number("timeStep_s", 5.0, 0.1, 60.0)),
        criterion_(&zoneCriterion(p)),
        probePointTexts_(p.texts("probe_points")) {
    p.rejectUnknown({"case", "device", "tip", "entry", "power_W", "duration_s", "tumour",
                     "margin_mm", "export", "ct", "spacing_mm", "boxSize_mm", "timeStep_s",
                     "zone_criterion", "probe_points"});
    probe_.tip_lps = parsePoint(tipText_, "tip");
    probe_.entry_lps = parsePoint(entryText_, "entry");
    for (const std::string& text : probePointTexts_)
      probePoints_lps_.push_back(parsePoint(text, "probe_points"));
    if ((probe_.tip_lps - probe_.entry_lps).norm() < 1.0)
      throw Error(ErrorKind::InvalidInput,
                  "The entry point lies on the tip; give the skin entry at least 1 mm from the "
                  "tip, so the probe has a direction.",
                  "parameters.entry");
    power_W_ = p.number("power_W", device_->power_W, -1e9, 1e9);
    if (!(power_W_ > 0.0))
      throw Error(ErrorKind::InvalidInput,
                  "The power must be above 0 W (the " + device_->name + " runs at " +
                      json(device_->power_W).dump() + " W by default).",
                  "parameters.power_W");
    if (device_->maxPower_W > 0.0 && power_W_ > device_->maxPower_W)
      throw Error(ErrorKind::InvalidInput,
                  "The power " + json(power_W_).dump() + " W exceeds the " + device_->name +
                      "'s generator maximum of " + json(device_->maxPower_W).dump() + " W.",
                  "parameters.power_W");
    duration_s_ = p.number("duration_s", device_->duration_s, -1e9, 1e9);
    if (!(duration_s_ > 0.0 && duration_s_ <= 3600.0))
      throw Error(ErrorKind::InvalidInput,
                  "The ablation time must be above 0 and at most 3600 s (the " + device_->name +
                      " runs " + json(device_->duration_s).dump() + " s by default).",
                  "parameters.duration_s");
    grid_.spacing_mm = p.number("spacing_mm", 1.0, -1e9, 1e9);
    grid_.boxSize_mm = p.number("boxSize_mm", 100.0, -1e9, 1e9);
    // Centre the box on the device's active part, where the zone forms.
    grid_.centreBehindTip_mm = std::min(device_->activeTipLength_mm / 2.0, grid_.boxSize_mm / 4.0);
    grid_.validate();
  }

  std::string kind() const override { return "ablate"; }
  json parameters() const override {
    return {{"case", case_.string()},
            {"device", device_->id},
            {"tip", tipText_},
            {"entry", entryText_},
            {"power_W", power_W_},
            {"duration_s", duration_s_},
            {"tumour", tumour_},
            {"margin_mm", margin_mm_},
            {"export", export_.string()},
            {"ct", ct_},
            {"spacing_mm", grid_.spacing_mm},
            {"boxSize_mm", grid_.boxSize_mm},
            {"timeStep_s", timeStep_s_},
            {"zone_criterion", criterion_->name},
            {"probe_points", probePointTexts_}};
  }

  json run(Progress& progress, CheckpointStore*) override {
    auto loading = subRange(progress, 0.0, 0.05);
    const Case twin = loadCase(case_, *loading);
    const std::optional<TumourRef> tumour = findTumour(twin);
    checkExportFolder();

    auto building = subRange(progress, 0.05, 0.15);
    ablation::GridNotes notes;
    const ablation::AblationGrid grid =
        ablation::buildAblationGrid(twin, ct_, probe_, grid_, *building, &notes);

    // The tumour must reach the grid, or coverage means nothing: refuse before simulating.
    std::vector<std::uint8_t> tumourOnGrid;
    if (tumour) {
      tumourOnGrid =
          ablation::segmentOnGrid(twin.labelMaps[tumour->labelMap], tumour->segment, grid.geometry);
      if (std::find(tumourOnGrid.begin(), tumourOnGrid.end(), 1) == tumourOnGrid.end())
        throw Error(ErrorKind::InvalidInput,
                    "The tumour \"" + tumour_ +
                        "\" has no voxel in the simulated box around the tip; place the tip at "
                        "the tumour or enlarge the box.",
                    "parameters.tumour");
    }

    ablation::BioheatParameters bioheat;
    bioheat.duration_s = duration_s_;
    bioheat.timeStep_s = timeStep_s_;
    requireProbePointsOnGrid(grid.geometry);
    bioheat.recordedPoints_lps = probePoints_lps_;
    ablation::applyZoneCriterion(bioheat, ablation::parseZoneCriterion(criterion_->criterion));
    bioheat.validate(grid);
    auto simulating = subRange(progress, 0.15, 0.92);
    const ablation::AblationResult result = simulate(grid, bioheat, *simulating);

    auto measuring = subRange(progress, 0.92, 0.94);
    json report = zoneReport(grid, result, notes);
    std::optional<TumourMarginMap> marginMap;
    if (tumour) {
      const ablation::TumourCoverage coverage = ablation::tumourCoverage(
          result.ablationZone, tumourOnGrid, grid.geometry, margin_mm_, *measuring);
      // The minimum ablative margin over the tumour's surface (issue #17 item 3); without a
      // zone there is no edge to measure to (null, and no margin_map.ply).
      auto mapping = subRange(progress, 0.94, 0.97);
      if (result.zoneVolume_ml > 0.0)
        marginMap =
            tumourMarginMap(result.ablationZone, tumourOnGrid, grid.geometry, margin_mm_, *mapping);
      report["tumour"] = tumour_;
      report["margin_mm"] = margin_mm_;
      report.update(tumourMarginReport(coverage, marginMap ? &*marginMap : nullptr));
    }
    report["critical_damage"] = damageReport(twin, tumour, grid, result);
    if (!probePoints_lps_.empty()) report["probe_points"] = probePointsJson(result);
    if (!export_.empty()) report["exported"] = exportFields(result, marginMap);
    progress.report(1.0, "Ablation");
    return report;
  }

 private:
  std::optional<TumourRef> findTumour(const Case& twin) const {
    if (tumour_.empty()) return std::nullopt;
    std::string names;
    for (std::size_t m = 0; m < twin.labelMaps.size(); ++m) {
      if (const auto s = twin.labelMaps[m].findSegment(tumour_)) return TumourRef{m, *s};
      for (const Segment& s : twin.labelMaps[m].segments())
        names += (names.empty() ? "" : ", ") + s.name;
    }
    throw Error(
        ErrorKind::NotFound,
        "The case has no segment \"" + tumour_ + "\"" +
            (names.empty() ? std::string(" (it has no segments)") : "; its segments are " + names) +
            ".",
        "parameters.tumour");
  }

  // The export folder must be one we can make and fill: refused before the simulation, so a
  // run of minutes does not end in an error (and nothing is written).
  void checkExportFolder() const {
    if (export_.empty()) return;
    std::error_code ec;
    if (fs::exists(export_, ec) && !fs::is_directory(export_, ec))
      throw Error(ErrorKind::InvalidInput,
                  "The export path " + export_.string() + " is a file; give a folder.",
                  export_.string());
    // The nearest part of the path that exists must be a folder, or the export cannot be made.
    fs::path existing = export_;
    while (!existing.empty() && !fs::exists(existing, ec) && existing != existing.parent_path())
      existing = existing.parent_path();
    if (!existing.empty() && fs::exists(existing, ec) && !fs::is_directory(existing, ec))
      throw Error(ErrorKind::InvalidInput,
                  "The export folder " + export_.string() +
                      " cannot be made: " + existing.string() + " is a file; give a folder path.",
                  export_.string());
    for (const char* name : kExportFiles)
      if (fs::exists(export_ / name, ec) && !fs::is_regular_file(export_ / name, ec))
        throw Error(ErrorKind::InvalidInput,
                    "The export folder " + export_.string() + " holds " + name +
                        ", which is not a file, where the ablation writes its " + name +
                        "; move it away or export to another folder.",
                    (export_ / name).string());
  }

  // A probe point outside the simulated box has no temperature: refuse it before simulating,
  // naming the point and the box's corners.
  void requireProbePointsOnGrid(const ImageGeometry& grid) const {
    const Vec3 last(grid.size[0] - 1, grid.size[1] - 1, grid.size[2] - 1);
    for (std::size_t n = 0; n < probePoints_lps_.size(); ++n)
      if (!grid.contains(grid.lpsToIndex(probePoints_lps_[n])))
        throw Error(ErrorKind::InvalidInput,
                    "The probe point " + probePointTexts_[n] +
                        " (LPS mm) lies outside the simulated box, which runs from " +
                        point(grid.indexToLps(Vec3::Zero())).dump() + " to " +
                        point(grid.indexToLps(last)).dump() +
                        " mm; move the point inside or enlarge the box.",
                    "parameters.probe_points[" + std::to_string(n) + "]");
  }

  ablation::AblationResult simulate(const ablation::AblationGrid& grid,
                                    const ablation::BioheatParameters& bioheat,
                                    Progress& progress) const {
    // The device's source at the set power (for temperature control: its ceiling).
    const std::unique_ptr<ablation::HeatSource> source =
        ablation::makeHeatSource(grid, *device_, probe_, power_W_);
    return ablation::simulateAblation(grid, *source, bioheat, progress);
  }

  json zoneReport(const ablation::AblationGrid& grid, const ablation::AblationResult& result,
                  const ablation::GridNotes& notes) const {
    const ablation::ZoneAxes axes =
        ablation::measureZoneAxes(result.ablationZone, grid.geometry, probe_.axis());
    double hottest = -1e9;
    for (float t : result.maximumTemperature.values) hottest = std::max(hottest, double(t));
    json tissues = json::object();
    std::vector<std::size_t> count(grid.tissues.size(), 0);
    for (ablation::TissueIndex t : grid.tissue) ++count[t];
    const double voxel_ml = std::pow(grid.geometry.spacing_mm.x(), 3) * 1e-3;
    for (std::size_t t = 0; t < grid.tissues.size(); ++t)
      tissues[grid.tissues[t].id] = double(count[t]) * voxel_ml;
    return {{"device", device_->id},
            {"device_type", std::string(ablation::toString(device_->type))},
            // As --list-devices, the panel and the planner: a device whose simulated zone does
            // not match its published one says so with its result (devices.json zoneCheck).
            {"zone_validated", ablation::zoneValidated(*device_)},
            {"zone_note", ablation::zoneValidationNote(*device_)},
            {"power_W", power_W_},
            {"duration_s", duration_s_},
            {"tip_lps", point(probe_.tip_lps)},
            {"entry_lps", point(probe_.entry_lps)},
            {"zone_volume_ml", result.zoneVolume_ml},
            {"axes_mm", {axes.long_mm, axes.short_mm[0], axes.short_mm[1]}},
            {"max_temperature_degC", hottest},
            {"delivered_energy_J", result.deliveredEnergy_J},
            {"zone_criterion", criterion_->name},
            {"zone_criterion_rule", criterion_->criterion},
            {"zone_criterion_description", criterion_->description},
            {"zone_volume_by_criterion_ml", zoneVolumes(grid, result)},
            {"grid", geometryJson(grid.geometry)},
            {"grid_centre_behind_tip_mm", grid_.centreBehindTip_mm},
            {"grid_clipped_to_ct", notes.clipped},
            {"tissue_volumes_ml", tissues},
            {"vessel_voxels", notes.vesselVoxels},
            {"segments_classified_by_hu", notes.hounsfieldSegments},
            {"steps", result.steps}};
  }

  // The zone's volume by every offered criterion, from the same run's fields, so a reader sees
  // how much the choice matters (docs/validation.md, "Thermal ablation: zone criteria").
  static json zoneVolumes(const ablation::AblationGrid& grid,
                          const ablation::AblationResult& result) {
    json volumes = json::object();
    for (const ablation::ZoneCriterionChoice& choice : ablation::zoneCriterionChoices())
      volumes[choice.name] = ablation::zoneVolume_ml(
          ablation::ablationZone(result, ablation::parseZoneCriterion(choice.criterion)),
          grid.geometry);
    return volumes;
  }

  // Every segment on the grid but the tumour and the body outline, by name.
  json damageReport(const Case& twin, const std::optional<TumourRef>& tumour,
                    const ablation::AblationGrid& grid,
                    const ablation::AblationResult& result) const {
    json damage = json::object();
    for (std::size_t m = 0; m < twin.labelMaps.size(); ++m) {
      const LabelMap& labels = twin.labelMaps[m];
      for (std::size_t s = 0; s < labels.segments().size(); ++s) {
        const Segment& segment = labels.segments()[s];
        if ((tumour && tumour->labelMap == m && tumour->segment == s) ||
            segment.tissueType == "body")
          continue;
        const ablation::StructureDamage d = ablation::structureDamage(
            result.ablationZone, ablation::segmentOnGrid(labels, s, grid.geometry),
            result.maximumTemperature.values, grid.geometry);
        if (d.inGrid_ml <= 0.0) continue;
        const ablation::TissueProperties* t = ablation::tissueLibrary().find(segment.tissueType);
        damage[segment.name] = {{"tissue_type", segment.tissueType},
                                {"critical", t && isCriticalTissue(*t)},
                                {"in_grid_ml", d.inGrid_ml},
                                {"ablated_ml", d.ablated_ml},
                                {"ablated_percent", d.ablated_percent},
                                {"max_temperature_degC", d.maxTemperature_degC}};
      }
    }
    return damage;
  }

  static ImageVolume fieldVolume(const ScalarField& field) {
    ImageVolume volume(field.geometry, PixelType::Float32);
    std::copy(field.values.begin(), field.values.end(), volume.voxels<float>().begin());
    volume.name = field.name;
    volume.unit = field.unit;
    return volume;
  }

  // Writes into a staging folder next to the export folder, then moves the files in. Files of
  // an earlier export that this run does not write (margin_map.ply without a tumour, zone.stl
  // without a zone) are removed, so the folder never mixes two runs.
  json exportFields(const ablation::AblationResult& result,
                    const std::optional<TumourMarginMap>& marginMap) const {
    const fs::path staging = export_.parent_path() / (export_.filename().string() + ".partial");
    std::error_code ec;
    fs::remove_all(staging, ec);
    fs::create_directories(staging, ec);
    if (ec)
      throw Error(ErrorKind::Io,
                  "Cannot write the export folder " + export_.string() + ": its staging folder " +
                      staging.string() + " cannot be made (" + ec.message() + ").",
                  export_.string());
    const std::pair<const char*, const ScalarField*> fields[] = {
        {kExportFiles[0], &result.maximumTemperature},
        {kExportFiles[1], &result.finalTemperature},
        {kExportFiles[2], &result.damage}};
    std::vector<std::string> names;
    try {
      for (const auto& [name, field] : fields) {
        io::writeImageFile(fieldVolume(*field), staging / name);
        names.push_back(name);
      }
      if (marginMap) {
        writeMarginMapPly(*marginMap, staging / kMarginMapFile);
        names.push_back(kMarginMapFile);
      }
      for (const char* name : writeZone(result, staging)) names.push_back(name);
      moveInto(staging, names);
    } catch (...) {
      fs::remove_all(staging, ec);
      throw;
    }
    fs::remove_all(staging, ec);
    json written = json::array();
    for (const std::string& name : names) written.push_back((export_ / name).string());
    return written;
  }

  // Moves the staged files into the export folder; a failure there is an I/O error naming the
  // file, and the files moved so far are taken out again.
  void moveInto(const fs::path& staging, const std::vector<std::string>& names) const {
    std::vector<fs::path> moved;
    try {
      fs::create_directories(export_);
      for (const std::string& name : names) {
        fs::rename(staging / name, export_ / name);
        moved.push_back(export_ / name);
      }
      for (const char* name : kExportFiles)
        if (std::find(names.begin(), names.end(), name) == names.end()) fs::remove(export_ / name);
    } catch (const fs::filesystem_error& e) {
      std::error_code ec;
      for (const fs::path& f : moved) fs::remove(f, ec);
      const fs::path& where = e.path2().empty() ? e.path1() : e.path2();
      throw Error(ErrorKind::Io,
                  "Cannot write the export into " + export_.string() + " (" + e.code().message() +
                      " at " + where.string() + "); nothing of this run is left there.",
                  export_.string());
    }
  }

  // The zone as a one-segment labelmap on the fields' grid (zone.nrrd) and, when it has
  // voxels, its closed surface in LPS mm (zone.stl), smoothed and offset so that it encloses
  // the voxels' volume (segmentation/segment_surface.h, keepVoxelVolume). Returns the names.
  static std::vector<const char*> writeZone(const ablation::AblationResult& result,
                                            const fs::path& folder) {
    LabelMap labels(result.damage.geometry);
    labels.name = kZoneSegment;
    Segment segment;
    segment.name = kZoneSegment;
    segment.tissueType = "ablated";
    labels.addSegment(segment);
    std::transform(result.ablationZone.begin(), result.ablationZone.end(), labels.layer(0).begin(),
                   [](std::uint8_t v) { return std::uint16_t(v); });
    io::writeLabelFile(labels, 0, folder / kZoneLabelFile);
    if (result.zoneVolume_ml <= 0.0) return {kZoneLabelFile};
    segmentation::SurfaceOptions options;
    options.smoothingFollowsVoxelSize = true;
    options.keepVoxelVolume = true;
    io::writeMeshFile({segmentation::buildSurface(labels, labels.segments().front(), options)},
                      folder / kZoneMeshFile);
    return {kZoneLabelFile, kZoneMeshFile};
  }

  fs::path case_;
  const AblationDevice* device_;
  std::string tipText_, entryText_;
  ablation::ProbePlacement probe_;
  std::string tumour_;
  double margin_mm_;
  fs::path export_;
  std::string ct_;
  double timeStep_s_;
  const ablation::ZoneCriterionChoice* criterion_;
  std::vector<std::string> probePointTexts_;
  std::vector<Vec3> probePoints_lps_;
  double power_W_ = 0.0, duration_s_ = 0.0;
  ablation::GridOptions grid_;
};

}  // namespace

std::unique_ptr<Job> makeAblateJob(const JobParameters& parameters) {
  return std::make_unique<AblateJob>(parameters);
}

json probePointsJson(const ablation::AblationResult& result) {
  json points = json::array();
  for (const ablation::TemperatureHistory& h : result.recorded)
    points.push_back({{"position_mm", point(h.p_lps)},
                      {"times_s", result.time_s},
                      {"temperature_degC", h.temperature_degC}});
  return points;
}

namespace {
// The device's zone check (devices.json zoneCheck): null when none is recorded.
json zoneCheckJson(const AblationDevice& d) {
  const ablation::ZoneCheck& c = d.zoneCheck;
  if (!c.recorded) return nullptr;
  return {{"within_5mm", c.within5mm},
          {"published_mm", {d.publishedZone.longAxis_mm, d.publishedZone.shortAxis_mm}},
          {"simulated_mm", {c.simulatedLongAxis_mm, c.simulatedShortAxis_mm}},
          {"simulated_contracted_mm", {c.contractedLongAxis_mm, c.contractedShortAxis_mm}},
          {"reference", c.reference},
          {"section", c.section}};
}

// A ramp generator's protocol (devices.json generator.control 'ramp'): power_W is where the ramp
// starts; null for another control.
json rampJson(const AblationDevice& d) {
  if (d.control != ablation::PowerControl::RampUntilRollOff) return nullptr;
  return {{"rate_W_per_min", d.rampRate_W_per_min},
          {"applications", d.rampApplications},
          {"pause_s", d.rampPause_s},
          {"restart_fraction", d.rampRestartFraction},
          {"roll_off", std::string(ablation::toString(d.rampRollOff))}};
}
}  // namespace

json ablationDevicesJson() {
  json list = json::array();
  for (const AblationDevice& d : ablation::deviceCatalogue())
    list.push_back({{"id", d.id},
                    {"name", d.name},
                    {"type", std::string(ablation::toString(d.type))},
                    {"control", std::string(ablation::toString(d.control))},
                    {"frequency_Hz", d.frequency_Hz},
                    {"power_W", d.power_W},
                    {"max_power_W", d.maxPower_W},
                    {"duration_s", d.duration_s},
                    {"ramp", rampJson(d)},
                    {"cooled", d.internallyCooled},
                    {"published_zone",
                     {{"long_axis_mm", d.publishedZone.longAxis_mm},
                      {"short_axis_mm", d.publishedZone.shortAxis_mm},
                      {"tissue", d.publishedZone.tissue},
                      {"setting", d.publishedZone.setting},
                      // The published setting's time where it differs from the default's.
                      {"duration_s", d.publishedZone.duration_s > 0.0 ? d.publishedZone.duration_s
                                                                      : d.duration_s}}},
                    {"sources",
                     {{"geometry", d.geometrySource},
                      {"cooling", d.coolingSource},
                      {"generator", d.generatorSource},
                      {"published_zone", d.publishedZone.source}}},
                    {"zone_validated", ablation::zoneValidated(d)},
                    {"zone_note", ablation::zoneValidationNote(d)},
                    {"zone_check", zoneCheckJson(d)}});
  return list;
}

}  // namespace twinplan::engine
