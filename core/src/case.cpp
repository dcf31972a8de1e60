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

}  // namespace twinplan
