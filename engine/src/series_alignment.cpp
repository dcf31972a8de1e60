#include "twinplan/engine/series_alignment.h"

namespace twinplan::engine {

SeriesAlignment seriesAlignment(const Case& twin, const std::string& background,
                                const std::string& series) {
  SeriesAlignment alignment;
  // transformBetween checks both names and knows the rules (shared frame, registration either
  // way round); this adds which rule applied, in words.
  alignment.backgroundToSeries = transformBetween(twin, background, series);
  if (background == series) {
    alignment.state = SeriesAlignment::State::Background;
    alignment.text = "background";
    return alignment;
  }
  const std::string& frameA = findVolume(twin, background)->dicom.frameOfReferenceUid;
  const std::string& frameB = findVolume(twin, series)->dicom.frameOfReferenceUid;
  if (!frameA.empty() && frameA == frameB) {
    alignment.state = SeriesAlignment::State::SameFrame;
    alignment.text = "same frame as " + background;
    return alignment;
  }
  for (const Registration& r : twin.registrations) {
    const bool pair = (r.fixedVolume == background && r.movingVolume == series) ||
                      (r.fixedVolume == series && r.movingVolume == background);
    if (!pair) continue;
    if (alignment.backgroundToSeries) {
      alignment.state = SeriesAlignment::State::Registered;
      alignment.text = "registered (" +
                       (r.method.empty() ? std::string(toString(r.transform.kind)) : r.method) +
                       ")";
    } else {
      // A B-spline made the other way round cannot be inverted for the views.
      alignment.state = SeriesAlignment::State::NotRegistered;
      alignment.text = "registered the other way round (" + r.method + "): register " + series +
                       " to " + background + " to fuse";
    }
    return alignment;
  }
  alignment.state = SeriesAlignment::State::NotRegistered;
  alignment.text = "not registered";
  alignment.backgroundToSeries.reset();
  return alignment;
}

}  // namespace twinplan::engine
