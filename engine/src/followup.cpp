#include "twinplan/engine/followup.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <numbers>

#include "twinplan/core/error.h"
#include "twinplan/registration/register.h"

namespace twinplan::engine {
namespace {

struct Dated {
  const ImageVolume* volume = nullptr;
  std::chrono::sys_days date;
  std::string iso;
};

// DICOM DA is "YYYYMMDD" (PS3.5 6.2; the ACR-NEMA "YYYY.MM.DD" form is also read).
std::optional<std::chrono::sys_days> parseStudyDate(std::string text) {
  std::erase(text, '.');
  if (text.size() != 8 || !std::all_of(text.begin(), text.end(), ::isdigit)) return std::nullopt;
  const std::chrono::year_month_day ymd{std::chrono::year(std::stoi(text.substr(0, 4))),
                                        std::chrono::month(unsigned(std::stoi(text.substr(4, 2)))),
                                        std::chrono::day(unsigned(std::stoi(text.substr(6, 2))))};
  if (!ymd.ok()) return std::nullopt;
  return std::chrono::sys_days(ymd);
}

std::string isoDate(const std::string& da) {
  std::string digits = da;
  std::erase(digits, '.');
  return digits.substr(0, 4) + "-" + digits.substr(4, 2) + "-" + digits.substr(6, 2);
}

std::string who(const DicomInfo& d) {
  if (!d.patientId.empty()) return "ID " + d.patientId;
  return d.patientName.empty() ? std::string("(unknown)") : "\"" + d.patientName + "\"";
}

// Patient ID decides (PS3.3 C.7.1.1); without one on either side, Patient's Name.
bool otherPatient(const DicomInfo& a, const DicomInfo& b) {
  if (!a.patientId.empty() && !b.patientId.empty()) return a.patientId != b.patientId;
  if (!a.patientName.empty() && !b.patientName.empty()) return a.patientName != b.patientName;
  return false;
}

// Every volume of the case with its study date, earliest first; the baseline first among its day.
std::vector<Dated> datedVolumes(const Case& twin, const std::string& baselineName,
                                const ImageVolume*& baseline) {
  if (twin.volumes.empty())
    throw Error(ErrorKind::InvalidInput,
                "The case has no series; a follow-up needs a baseline and a later study.", "case");
  std::vector<Dated> dated;
  for (const ImageVolume& v : twin.volumes) {
    const auto date = parseStudyDate(v.dicom.studyDate);
    if (!date)
      throw Error(ErrorKind::InvalidInput,
                  "The series \"" + v.name + "\" has no valid Study Date (0008,0020: \"" +
                      v.dicom.studyDate +
                      "\"), so it cannot be placed in time; remove it from the case or import it "
                      "from DICOM that has one.",
                  v.name);
    dated.push_back({&v, *date, isoDate(v.dicom.studyDate)});
  }
  std::stable_sort(dated.begin(), dated.end(),
                   [](const Dated& a, const Dated& b) { return a.date < b.date; });
  if (baselineName.empty()) {
    baseline = dated.front().volume;
  } else {
    baseline = findVolume(twin, baselineName);
    if (!baseline)
      throw Error(ErrorKind::NotFound, "The case has no series named \"" + baselineName + "\".",
                  baselineName);
  }
  const auto baseDate = *parseStudyDate(baseline->dicom.studyDate);
  for (const Dated& d : dated) {
    if (otherPatient(baseline->dicom, d.volume->dicom))
      throw Error(ErrorKind::InvalidInput,
                  "The series \"" + d.volume->name + "\" is of patient " + who(d.volume->dicom) +
                      ", the baseline \"" + baseline->name + "\" of patient " +
                      who(baseline->dicom) +
                      "; growth is only measured between studies of one patient. Remove the "
                      "series or open it as a case of its own.",
                  d.volume->name);
    if (d.date < baseDate)
      throw Error(ErrorKind::InvalidInput,
                  "The series \"" + d.volume->name + "\" (" + d.iso +
                      ") is dated before the "
                      "baseline \"" +
                      baseline->name + "\" (" + isoDate(baseline->dicom.studyDate) +
                      "); choose the earliest study as baseline.",
                  d.volume->name);
  }
  return dated;
}

Vec3 boxCentre(const ImageGeometry& g) {
  return g.indexToLps(Vec3((g.size[0] - 1) / 2.0, (g.size[1] - 1) / 2.0, (g.size[2] - 1) / 2.0));
}

// The index into `dated` of the series label map `labels` belongs to (header rules 1-3), or
// nullopt with a note.
std::optional<std::size_t> owner(const LabelMap& labels, const std::vector<Dated>& dated,
                                 std::vector<std::string>& notes) {
  std::optional<std::size_t> named;
  for (std::size_t i = 0; i < dated.size(); ++i) {
    const std::string& name = dated[i].volume->name;
    if (!name.empty() && labels.name.find(name) != std::string::npos &&
        (!named || name.size() > dated[*named].volume->name.size()))
      named = i;
  }
  if (named) return named;
  std::vector<std::size_t> sameGrid;
  for (std::size_t i = 0; i < dated.size(); ++i)
    if (labels.geometry().sameGridAs(dated[i].volume->geometry())) sameGrid.push_back(i);
  if (!sameGrid.empty()) {
    for (std::size_t i : sameGrid)
      if (dated[i].date != dated[sameGrid.front()].date) {
        notes.push_back("The label map \"" + labels.name +
                        "\" shares the grid of series of several study dates, so its date is "
                        "unknown; it is left out. Name it after its series (e.g. \"" +
                        labels.name + " " + dated[i].volume->name + "\").");
        return std::nullopt;
      }
    return sameGrid.front();
  }
  std::size_t nearest = 0;
  double best = std::numeric_limits<double>::infinity();
  for (std::size_t i = 0; i < dated.size(); ++i) {
    const double d = (boxCentre(labels.geometry()) - boxCentre(dated[i].volume->geometry())).norm();
    if (d < best - 1e-9) best = d, nearest = i;
  }
  notes.push_back("The label map \"" + labels.name + "\" shares no series' grid; it is taken as " +
                  "of \"" + dated[nearest].volume->name + "\", the series nearest to it.");
  return nearest;
}

GrowthFigures growthBetween(const SegmentVolume& earlier, const SegmentVolume& later) {
  const double v1 = earlier.volume_ml, v2 = later.volume_ml, t = later.day - earlier.day;
  GrowthFigures g;
  g.change_ml = v2 - v1;
  if (v1 > 0) g.change_percent = 100.0 * (v2 - v1) / v1;
  if (v1 > 0 && v2 > 0 && v1 != v2 && t > 0) {
    const double logRatio = std::log(v2 / v1);
    g.growthRate_perDay = logRatio / t;
    g.doublingTime_days = t * std::numbers::ln2 / logRatio;
  }
  return g;
}

void computeGrowth(SegmentGrowth& s) {
  for (std::size_t p = 1; p < s.points.size(); ++p)
    s.points[p].sincePrevious = growthBetween(s.points[p - 1], s.points[p]);
  const GrowthFigures overall = growthBetween(s.points.front(), s.points.back());
  s.change_ml = overall.change_ml;
  s.change_percent = overall.change_percent;
  s.growthRate_perDay = overall.growthRate_perDay;
  s.doublingTime_days = overall.doublingTime_days;
  const double v1 = s.points.front().volume_ml, v2 = s.points.back().volume_ml;
  s.isNew = v1 == 0 && std::any_of(s.points.begin(), s.points.end(),
                                   [](const SegmentVolume& p) { return p.volume_ml > 0; });
  s.disappeared = v2 == 0 && std::any_of(s.points.begin(), s.points.end(),
                                         [](const SegmentVolume& p) { return p.volume_ml > 0; });
}

nlohmann::json optionalJson(const std::optional<double>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json();
}

}  // namespace

GrowthTable growthTable(const Case& twin, const std::string& baselineVolume) {
  const ImageVolume* baseline = nullptr;
  const std::vector<Dated> dated = datedVolumes(twin, baselineVolume, baseline);
  GrowthTable table;
  table.baselineVolume = baseline->name;
  const auto baseDate = *parseStudyDate(baseline->dicom.studyDate);
  std::map<std::chrono::sys_days, std::size_t> pointOfDate;
  for (const Dated& d : dated) {
    if (!pointOfDate.contains(d.date)) {
      pointOfDate[d.date] = table.timePoints.size();
      table.timePoints.push_back({d.iso, int((d.date - baseDate).count()), {}, {}});
    }
    table.timePoints[pointOfDate[d.date]].volumes.push_back(d.volume->name);
  }
  // Label maps per time point.
  std::vector<std::vector<const LabelMap*>> mapsOf(table.timePoints.size());
  for (const LabelMap& labels : twin.labelMaps)
    if (const auto i = owner(labels, dated, table.notes)) {
      const std::size_t point = pointOfDate[dated[*i].date];
      mapsOf[point].push_back(&labels);
      table.timePoints[point].labelMaps.push_back(labels.name);
    }
  std::vector<std::size_t> segmented;
  for (std::size_t p = 0; p < mapsOf.size(); ++p)
    if (!mapsOf[p].empty()) segmented.push_back(p);
  if (segmented.size() < 2) {
    table.notes.push_back("Growth needs label maps on at least two study dates; " +
                          std::to_string(segmented.size()) + " has them.");
    return table;
  }
  std::vector<std::string> names;  // in order of first appearance
  for (std::size_t p : segmented)
    for (const LabelMap* labels : mapsOf[p])
      for (const Segment& s : labels->segments())
        if (std::find(names.begin(), names.end(), s.name) == names.end()) names.push_back(s.name);
  for (const std::string& name : names) {
    SegmentGrowth row;
    row.segment = name;
    for (std::size_t p : segmented) {
      SegmentVolume v{table.timePoints[p].studyDate, table.timePoints[p].day, 0.0, ""};
      for (const LabelMap* labels : mapsOf[p])
        if (const auto s = labels->findSegment(name); s && v.labelMap.empty()) {
          v.volume_ml = labels->volume_ml(*s);
          v.labelMap = labels->name;
          row.colour = labels->segments()[*s].colour;
        }
      row.points.push_back(v);
    }
    computeGrowth(row);
    table.segments.push_back(std::move(row));
  }
  return table;
}

nlohmann::json growthTableJson(const GrowthTable& table) {
  nlohmann::json points = nlohmann::json::array();
  for (const TimePoint& p : table.timePoints)
    points.push_back({{"study_date", p.studyDate},
                      {"day", p.day},
                      {"volumes", p.volumes},
                      {"label_maps", p.labelMaps}});
  nlohmann::json segments = nlohmann::json::array();
  for (const SegmentGrowth& s : table.segments) {
    nlohmann::json volumes = nlohmann::json::array();
    for (const SegmentVolume& v : s.points) {
      nlohmann::json sincePrevious;  // null at the first point
      if (v.sincePrevious)
        sincePrevious = {{"change_ml", v.sincePrevious->change_ml},
                         {"change_percent", optionalJson(v.sincePrevious->change_percent)},
                         {"growth_rate_per_day", optionalJson(v.sincePrevious->growthRate_perDay)},
                         {"doubling_time_days", optionalJson(v.sincePrevious->doublingTime_days)}};
      volumes.push_back({{"study_date", v.studyDate},
                         {"day", v.day},
                         {"volume_ml", v.volume_ml},
                         {"label_map", v.labelMap},
                         {"since_previous", sincePrevious}});
    }
    segments.push_back({{"name", s.segment},
                        {"colour", {s.colour.r, s.colour.g, s.colour.b}},
                        {"volumes", volumes},
                        {"change_ml", s.change_ml},
                        {"change_percent", optionalJson(s.change_percent)},
                        {"growth_rate_per_day", optionalJson(s.growthRate_perDay)},
                        {"doubling_time_days", optionalJson(s.doublingTime_days)},
                        {"new", s.isNew},
                        {"disappeared", s.disappeared}});
  }
  return {{"schema", "twinplan.growth-table/1"},
          {"baseline", table.baselineVolume},
          {"time_points", points},
          {"segments", segments},
          {"notes", table.notes},
          {"recist_context",
           "RECIST 1.1 (Eisenhauer et al., Eur J Cancer 45:228, 2009) calls -30 % partial "
           "response and +20 % progression for sums of DIAMETERS; these are volume changes, "
           "reported as context only and not classified."}};
}

std::vector<FollowUpRegistration> registerFollowUps(const Case& twin,
                                                    const std::string& baselineVolume,
                                                    const std::string& method, Progress& progress) {
  const ImageVolume* baseline = nullptr;
  const std::vector<Dated> dated = datedVolumes(twin, baselineVolume, baseline);
  registration::RegistrationOptions options;
  options.method = registration::methodFromString(method);
  if (options.method == registration::Method::Landmark)
    throw Error(ErrorKind::InvalidInput,
                "Follow-up registration is rigid, affine or bspline; landmarks need the register "
                "job with a landmark file.",
                "method");
  const auto baseDate = *parseStudyDate(baseline->dicom.studyDate);
  std::vector<const Dated*> followUps;
  for (const Dated& d : dated)
    if (d.date > baseDate) followUps.push_back(&d);
  std::vector<FollowUpRegistration> results;
  for (std::size_t i = 0; i < followUps.size(); ++i) {
    progress.check();
    const ImageVolume& moving = *followUps[i]->volume;
    FollowUpRegistration r{baseline->name, moving.name, false, "", std::nullopt};
    const std::string& frame = baseline->dicom.frameOfReferenceUid;
    if (!frame.empty() && frame == moving.dicom.frameOfReferenceUid) {
      r.reason = "same frame of reference as the baseline (PS3.3 C.7.4.1): no registration needed";
    } else if (std::any_of(twin.registrations.begin(), twin.registrations.end(),
                           [&](const Registration& reg) {
                             return (reg.fixedVolume == baseline->name &&
                                     reg.movingVolume == moving.name) ||
                                    (reg.fixedVolume == moving.name &&
                                     reg.movingVolume == baseline->name);
                           })) {
      r.reason = "already registered in the case";
    } else {
      auto part =
          subRange(progress, double(i) / followUps.size(), double(i + 1) / followUps.size());
      const auto result = registration::registerVolumes(*baseline, moving, options, *part);
      Registration record;
      record.fixedVolume = baseline->name;
      record.movingVolume = moving.name;
      record.method = registration::toString(result.method);
      record.transform = result.transform;
      record.quality = {{"metric", "mattes-mutual-information"},
                        {"metric_value", result.metricValue},
                        {"iterations", result.iterations},
                        {"time_s", result.time_s},
                        {"purpose", "follow-up"}};
      record.created = utcNowIso8601();
      r.registered = true;
      r.record = std::move(record);
    }
    results.push_back(std::move(r));
  }
  progress.report(1.0, "Follow-up series registered");
  return results;
}

}  // namespace twinplan::engine
