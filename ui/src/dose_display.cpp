#include "dose_display.h"

#include <algorithm>
#include <cmath>

namespace twinplan::ui {

rendering::SliceView::FieldDisplay isodoseDisplay(const ScalarField& dose) {
  float maximum = 0.0f;
  for (float v : dose.values)
    if (std::isfinite(v)) maximum = std::max(maximum, v);
  rendering::SliceView::FieldDisplay display;
  display.max = maximum > 0 ? maximum : 1.0;
  display.min = kIsodosePercents[0] / 100.0 * display.max;
  display.opacity = 0.4;
  for (double percent : kIsodosePercents)
    display.isolevels.push_back(percent / 100.0 * display.max);
  return display;
}

}  // namespace twinplan::ui
