#include "twinplan/core/case.h"

#include <chrono>
#include <ctime>

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
