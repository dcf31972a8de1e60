#pragma once
// Follow-up scans (issue #15 item 4): a later study of the same patient registered to the
// baseline, and the growth table - every segment's volume per study date, its change, growth
// rate and doubling time - that a radiologist reads and the radiotherapy glioma twin (issue #19)
// calibrates on. JSON schema: docs/architecture.md, "Follow-up growth table".
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "twinplan/core/case.h"
#include "twinplan/core/progress.h"

namespace twinplan::engine {

// One study date of the patient: the series (volumes) of the case acquired that day and the label
// maps that belong to them. Studies of one day are one time point (DICOM Study Date, DA, PS3.5
// 6.2, has a resolution of a day).
struct TimePoint {
  std::string studyDate;  // ISO "2026-04-01"
  int day = 0;            // days after the baseline study
  std::vector<std::string> volumes;
  std::vector<std::string> labelMaps;
};

// Change over one interval between two time points: the same figures as SegmentGrowth's
// baseline -> latest ones (see there), for V1 the earlier and V2 the later volume.
struct GrowthFigures {
  double change_ml = 0.0;
  std::optional<double> change_percent;
  std::optional<double> growthRate_perDay;
  std::optional<double> doublingTime_days;
};

struct SegmentVolume {
  std::string studyDate;
  int day = 0;
  double volume_ml = 0.0;  // 0 when the segment is absent from a segmented time point
  std::string labelMap;    // "" when absent
  // From the previous segmented time point to this one (none at the first): with three or more
  // scans the latest interval shows an acceleration or a response that baseline -> latest hides.
  std::optional<GrowthFigures> sincePrevious;
};

struct SegmentGrowth {
  std::string segment;
  Rgb colour;                         // from the latest label map that has the segment
  std::vector<SegmentVolume> points;  // by date, one per segmented time point
  // From the first to the last point (baseline -> latest): V2 - V1; the percentage (none when
  // the first volume is 0); the specific growth rate ln(V2/V1)/t (Mehrara et al., Cancer Res
  // 67:3970, 2007), per day; and the volume doubling time t ln2 / ln(V2/V1) (Schwartz, Cancer
  // 14:1272, 1961), days, negative for a shrinking lesion (its halving time). Rate and doubling
  // time are none when a volume is 0, V2 == V1 or t == 0.
  double change_ml = 0.0;
  std::optional<double> change_percent;
  std::optional<double> growthRate_perDay;
  std::optional<double> doublingTime_days;
  bool isNew = false;        // 0 ml at the first point, > 0 later
  bool disappeared = false;  // > 0 earlier, 0 ml at the last point
};

struct GrowthTable {
  std::string baselineVolume;
  std::vector<TimePoint> timePoints;  // by date; the first is the baseline study
  std::vector<SegmentGrowth> segments;
  std::vector<std::string> notes;  // label maps left out and why, and similar remarks
};

// The growth table of `twin` with `baselineVolume` (default: the earliest-dated series) as
// baseline. A label map belongs to (1) the series its name names (the longest volume name it
// contains: "Tumour on MR 2026-04-01" -> "MR 2026-04-01"), else (2) the series whose grid it
// shares (sameGridAs) when they are all of one study date, else (3) the series whose grid box
// centre is nearest its own (LPS mm; the earlier study on a tie). A segment gets a row when
// at least two time points carry label maps; at a segmented time point whose label maps lack
// it, it counts as 0 ml (absent). Throws Error(InvalidInput) naming the series when a series is
// of another patient (Patient ID, else Patient's Name, PS3.3 C.7.1.1), has no Study Date, or is
// dated before the baseline; Error(NotFound) when the baseline is not in the case.
GrowthTable growthTable(const Case& twin, const std::string& baselineVolume = {});

// The table as JSON (schema in docs/architecture.md).
nlohmann::json growthTableJson(const GrowthTable& table);

// What happened to one follow-up series.
struct FollowUpRegistration {
  std::string baseline, followUp;
  bool registered = false;  // false: skipped, `reason` says why
  std::string reason;
  std::optional<Registration> record;  // fixed = baseline, moving = follow-up
};

// Registers every series of a later study onto the baseline (default: the earliest series) with
// `method` ("rigid" default: one patient's head or body between visits; "affine", "bspline")
// through registration::registerVolumes. A series in the baseline's frame of reference (PS3.3
// C.7.4.1) is skipped and says so, as is one the case already registers. `twin` is only read;
// the caller stores the records with edits::setRegistration. Errors as growthTable; Cancelled.
std::vector<FollowUpRegistration> registerFollowUps(const Case& twin,
                                                    const std::string& baselineVolume = {},
                                                    const std::string& method = "rigid",
                                                    Progress& progress = noProgress());

}  // namespace twinplan::engine
