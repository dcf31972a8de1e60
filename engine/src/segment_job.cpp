// Job "segment": runs an automatic segmentation preset (segmentation/presets.h) on one volume of
// a case and adds its segments through the same undoable edit the GUI uses.
#include <cstdlib>
#include <sstream>

#include "job_kinds.h"
#include "twinplan/core/case_editor.h"
#include "twinplan/core/case_file.h"
#include "twinplan/segmentation/presets.h"

namespace fs = std::filesystem;

namespace twinplan::engine {
namespace {

// "x,y,z" in LPS mm (the CLI's --seed form).
Vec3 parseSeed(const std::string& text) {
  std::istringstream in(text);
  Vec3 p;
  char comma1 = 0, comma2 = 0;
  if (!(in >> p[0] >> comma1 >> p[1] >> comma2 >> p[2]) || comma1 != ',' || comma2 != ',' ||
      !(in >> std::ws).eof() || !p.allFinite())
    throw Error(ErrorKind::InvalidInput,
                "The seed \"" + text +
                    "\" is not a point; write it as x,y,z in LPS mm, e.g. "
                    "-70,-5,55.",
                "parameters.seeds");
  return p;
}

class SegmentJob final : public Job {
 public:
  explicit SegmentJob(const JobParameters& p)
      : case_(p.file("case")),
        output_(p.file("output", case_.string())),
        preset_(segmentation::presetFromString(p.text("preset"))),
        volume_(p.text("volume", "")),
        seedTexts_(p.texts("seeds")) {
    for (const std::string& seed : seedTexts_) seeds_.push_back(parseSeed(seed));
    p.rejectUnknown({"case", "output", "preset", "volume", "seeds"});
  }
  std::string kind() const override { return "segment"; }
  nlohmann::json parameters() const override {
    return {{"case", case_.string()},
            {"output", output_.string()},
            {"preset", segmentation::presetInfo(preset_).name},
            {"volume", volume_},
            {"seeds", seedTexts_}};
  }

  nlohmann::json run(Progress& progress, CheckpointStore*) override {
    auto load = subRange(progress, 0.0, 0.1);
    Case twin = loadCase(case_, *load);
    const ImageVolume& volume = chooseVolume(twin);
    auto segment = subRange(progress, 0.1, 0.9);
    const LabelMap result = segmentation::runPreset(volume, preset_, seeds_, *segment);
    const Segment& made = result.segments().front();
    const std::size_t voxels = result.voxelCount(0);
    const double volume_ml = result.volume_ml(0);

    CaseEditor editor(std::move(twin));
    editor.apply(segmentation::addPresetSegments(
        editor.twin(), result,
        "Segment " + made.name + " (" + parameters()["preset"].get<std::string>() + " preset)"));
    twin = editor.reset({});
    nlohmann::json record = {{"step", "segment"},
                             {"time", utcNowIso8601()},
                             {"volume", volume.name},
                             {"segment", made.name}};
    record["parameters"] = parameters();
    twin.provenance.push_back(record);
    auto save = subRange(progress, 0.9, 1.0);
    saveCase(twin, output_, *save);
    // Every segment the preset made (the lungs preset: right lung, left lung, airways when
    // found); "segment" and its figures are the first's.
    nlohmann::json segments = nlohmann::json::array();
    for (std::size_t s = 0; s < result.segments().size(); ++s)
      segments.push_back({{"name", result.segments()[s].name},
                          {"tissueType", result.segments()[s].tissueType},
                          {"voxels", result.voxelCount(s)},
                          {"volume_ml", result.volume_ml(s)}});
    return {{"output", output_.string()},    {"preset", parameters()["preset"]},
            {"volume", volume.name},         {"segment", made.name},
            {"tissueType", made.tissueType}, {"voxels", voxels},
            {"volume_ml", volume_ml},        {"segments", segments}};
  }

 private:
  // The named volume, else the first whose modality fits the preset.
  const ImageVolume& chooseVolume(const Case& twin) const {
    if (!volume_.empty()) {
      const ImageVolume* named = findVolume(twin, volume_);
      if (!named) {
        std::string names;
        for (const ImageVolume& v : twin.volumes) names += (names.empty() ? "" : ", ") + v.name;
        throw Error(ErrorKind::NotFound,
                    "The case has no volume \"" + volume_ + "\"; its volumes are " + names + ".",
                    "parameters.volume");
      }
      return *named;
    }
    const std::string& modality = segmentation::presetInfo(preset_).modality;
    for (const ImageVolume& v : twin.volumes)
      if (v.dicom.modality == modality || (modality == "CT" && v.unit == "HU")) return v;
    if (twin.volumes.empty())
      throw Error(ErrorKind::InvalidInput, "The case " + case_.string() + " has no volume.",
                  "parameters.case");
    return twin.volumes.front();  // runPreset says why it does not fit
  }

  fs::path case_, output_;
  segmentation::PresetName preset_;
  std::string volume_;
  std::vector<std::string> seedTexts_;
  std::vector<Vec3> seeds_;
};

}  // namespace

std::unique_ptr<Job> makeSegmentJob(const JobParameters& parameters) {
  return std::make_unique<SegmentJob>(parameters);
}

}  // namespace twinplan::engine
