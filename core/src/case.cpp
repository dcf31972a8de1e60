#include "twinplan/core/case.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <ctime>
#include <set>

#include "result_ids.h"
#include "twinplan/core/error.h"

namespace twinplan {

std::string utcNowIso8601() {
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm utc{};
  gmtime_r(&now, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

const char* toString(Measurement::Kind kind) {
  switch (kind) {
    case Measurement::Kind::Point:
      return "point";
    case Measurement::Kind::Ruler:
      return "ruler";
    case Measurement::Kind::Angle:
      return "angle";
    case Measurement::Kind::RoiBox:
      return "roi-box";
    case Measurement::Kind::RoiEllipsoid:
      return "roi-ellipsoid";
  }
  return "unknown";
}

Measurement::Kind measurementKindFromString(const std::string& name) {
  for (auto kind : {Measurement::Kind::Point, Measurement::Kind::Ruler, Measurement::Kind::Angle,
                    Measurement::Kind::RoiBox, Measurement::Kind::RoiEllipsoid}) {
    if (name == toString(kind)) return kind;
  }
  throw Error(ErrorKind::Corrupt, "Unknown measurement kind '" + name + "'.");
}

namespace {

// N of an id "result-N"; 0 for any other id.
long long resultNumber(const std::string& id) {
  const std::string_view prefix = kResultIdPrefix;
  if (id.size() <= prefix.size() || id.compare(0, prefix.size(), prefix) != 0) return 0;
  long long n = 0;
  const char* last = id.data() + id.size();
  const auto [end, error] = std::from_chars(id.data() + prefix.size(), last, n);
  return error == std::errc() && end == last ? n : 0;
}

}  // namespace

std::string nextResultId(const std::vector<ScalarField>& results) {
  long long largest = 0;
  for (const ScalarField& f : results) largest = std::max(largest, resultNumber(f.id));
  return kResultIdPrefix + std::to_string(largest + 1);
}

void placeResult(std::vector<ScalarField>& results, ScalarField field) {
  auto same = std::find_if(results.begin(), results.end(), [&](const ScalarField& f) {
    return field.id.empty() ? f.name == field.name : f.id == field.id;
  });
  if (same == results.end()) {
    if (field.id.empty()) field.id = nextResultId(results);
    results.push_back(std::move(field));
  } else {
    if (field.id.empty()) field.id = same->id;  // a re-run keeps the result's identity
    *same = std::move(field);
  }
}

std::string newResultId(const Case& twin) { return nextResultId(twin.fields); }

void giveResultIds(Case& twin) {
  std::set<std::string> seen;
  for (ScalarField& f : twin.fields)
    if (f.id.empty() || !seen.insert(f.id).second) {
      f.id = newResultId(twin);
      seen.insert(f.id);
    }
}

const ScalarField* findResult(const Case& twin, const std::string& id) {
  if (id.empty()) return nullptr;
  for (const ScalarField& f : twin.fields)
    if (f.id == id) return &f;
  return nullptr;
}

const ImageVolume* findVolume(const Case& twin, const std::string& name) {
  for (const ImageVolume& volume : twin.volumes)
    if (volume.name == name) return &volume;
  return nullptr;
}

std::optional<SpatialTransform> transformBetween(const Case& twin, const std::string& fixed,
                                                 const std::string& moving) {
  const ImageVolume* a = findVolume(twin, fixed);
  const ImageVolume* b = findVolume(twin, moving);
  for (const auto& [volume, name] : {std::pair{a, &fixed}, std::pair{b, &moving}})
    if (!volume)
      throw Error(ErrorKind::NotFound, "The case has no series called \"" + *name + "\".", *name);
  if (a == b) return SpatialTransform::identity();
  // A registration the user made wins over a shared frame of reference: it corrects one.
  for (const Registration& r : twin.registrations)
    if (r.fixedVolume == fixed && r.movingVolume == moving) return r.transform;
  for (const Registration& r : twin.registrations)
    if (r.fixedVolume == moving && r.movingVolume == fixed && r.transform.isLinear())
      return r.transform.inverse();
  const std::string& frame = a->dicom.frameOfReferenceUid;
  if (!frame.empty() && frame == b->dicom.frameOfReferenceUid) return SpatialTransform::identity();
  return std::nullopt;
}

}  // namespace twinplan
