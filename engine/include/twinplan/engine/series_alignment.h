#pragma once
// How a series of a case lines up with the series shown as background: what the Series panel
// says and whether the views may fuse the two (issue #15 items 1 and 2).
#include <optional>
#include <string>

#include "twinplan/core/case.h"

namespace twinplan::engine {

struct SeriesAlignment {
  enum class State {
    Background,     // the background series itself
    SameFrame,      // same Frame of Reference UID: one patient coordinate system (PS3.3 C.7.4.1)
    Registered,     // a registration of the case maps one onto the other
    NotRegistered,  // neither: fusing them would overlay unrelated coordinates
  };
  State state = State::NotRegistered;
  std::string text;  // "same frame as CT", "registered (rigid)", "not registered"
  // background -> series (LPS mm) when the views may fuse it: identity or the registration.
  std::optional<SpatialTransform> backgroundToSeries;
  bool fusable() const { return backgroundToSeries.has_value(); }
};

// How volume `series` lines up with volume `background` of `twin`. Throws Error(NotFound) when
// either is not in the case.
SeriesAlignment seriesAlignment(const Case& twin, const std::string& background,
                                const std::string& series);

}  // namespace twinplan::engine
