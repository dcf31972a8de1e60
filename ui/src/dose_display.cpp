#include "dose_display.h"

#include <QString>
#include <algorithm>
#include <cmath>

namespace twinplan::ui {

double fieldMaximum(const ScalarField& field) {
  float maximum = 0.0f;
  for (float v : field.values)
    if (std::isfinite(v)) maximum = std::max(maximum, v);
  return maximum;
}

rendering::SliceView::FieldDisplay isodoseDisplay(const ScalarField& dose,
                                                  std::optional<double> reference_Gy) {
  const double maximum = fieldMaximum(dose);
  rendering::SliceView::FieldDisplay display;
  const double reference =
      reference_Gy && *reference_Gy > 0 ? *reference_Gy : (maximum > 0 ? maximum : 1.0);
  // The wash's top is the hottest dose shown (a hot spot above the prescription stays red).
  display.max = std::max(reference, maximum);
  display.min = kIsodosePercents[0] / 100.0 * reference;
  display.opacity = 0.4;
  for (double percent : kIsodosePercents) display.isolevels.push_back(percent / 100.0 * reference);
  return display;
}

double fieldLargestMagnitude(const ScalarField& field) {
  float largest = 0.0f;
  for (float v : field.values)
    if (std::isfinite(v)) largest = std::max(largest, std::abs(v));
  return largest;
}

rendering::SliceView::FieldDisplay doseDifferenceDisplay(const ScalarField& difference) {
  const double largest = fieldLargestMagnitude(difference);
  const double reach = largest > 0 ? largest : 1.0;
  rendering::SliceView::FieldDisplay display;
  display.diverging = true;
  display.min = -reach;
  display.max = reach;
  display.opacity = 0.5;
  display.clearWithin = kDifferenceClearFraction * reach;
  for (double fraction : kDifferenceIsoFractions) display.isolevels.push_back(fraction * reach);
  return display;
}

rendering::SliceView::FieldDisplay resultDisplay(const ScalarField& field,
                                                 std::optional<double> doseReference_Gy) {
  if (field.quantity == "dose") return isodoseDisplay(field, doseReference_Gy);
  if (field.quantity == engine::kDoseDifferenceQuantity) return doseDifferenceDisplay(field);
  const double maximum = fieldMaximum(field);
  rendering::SliceView::FieldDisplay display;
  display.max = maximum > 0 ? maximum : 1.0;
  display.opacity = 0.45;
  if (field.quantity == "temperature") {
    // Washed from 43 degC, the CEM43 reference (Sapareto SA, Dewey WC, Int J Radiat Oncol Biol
    // Phys 1984;10:787-800), so unheated tissue stays clear; isotherms at 50 degC (cell death
    // within minutes) and 60 degC (near-instant coagulation): Goldberg SN et al., AJR
    // 2000;174:323-331.
    display.min = 43.0;
    display.isolevels = {50.0, 60.0};
  } else if (field.quantity == "damage") {
    // Arrhenius Omega: washed from 0.1 (about 10 % of cells dead, 1 - exp(-Omega)) to 10 (all
    // dead; Omega reaches 1e10 and more at the probe, which would wash everything else in the
    // scale's lowest colour), the isoline at Omega = 1 (63 % dead), the usual edge of the
    // coagulation zone (Henriques FC, Arch Pathol 1947;43:489-502; Chang IA, Biomed Eng Online
    // 2003;2:12), and at 4.6 (99 %).
    display.min = 0.1;
    display.max = 10.0;
    display.isolevels = {1.0, 4.6};
  } else if (field.quantity == "displacement") {
    // Washed from a tenth of the largest shift, so the tissue that barely moved stays clear;
    // isolines at 1, 2 and 5 mm (below, about and above image-guidance accuracy) where they
    // fall inside the range, else at fractions of the largest.
    display.min = 0.1 * display.max;
    display.opacity = 0.5;
    for (double level : {1.0, 2.0, 5.0, 10.0})
      if (level > display.min && level < display.max) display.isolevels.push_back(level);
    if (display.isolevels.empty()) display.isolevels = {0.5 * display.max, 0.9 * display.max};
  } else {
    // Any other field: washed from 10 % of its maximum, isolines at 20..95 %.
    display.min = 0.1 * display.max;
    for (double fraction : {0.2, 0.4, 0.6, 0.8, 0.95})
      display.isolevels.push_back(fraction * display.max);
  }
  return display;
}

std::vector<SurfaceLevel> resultSurfaceLevels(const ScalarField& field,
                                              const rendering::SliceView::FieldDisplay& display,
                                              const rendering::SliceView& view,
                                              std::optional<double> doseReference_Gy) {
  std::vector<SurfaceLevel> levels;
  if (field.quantity == engine::kDoseDifferenceQuantity) {
    // Where A gives more (red) and where B gives more (blue): the +-50 % surfaces.
    const double reach = display.max;
    for (double fraction : {-0.5, 0.5})
      levels.push_back({fraction * reach,
                        QString("%1 %2 Gy").arg(fraction > 0 ? "+" : "").arg(fraction * reach, 0,
                                                                              'f', 2).toStdString(),
                        view.fieldColour(fraction * reach), 0.4f});
    return levels;
  }
  if (field.quantity == "dose") {
    const double maximum = fieldMaximum(field);
    const double reference =
        doseReference_Gy && *doseReference_Gy > 0 ? *doseReference_Gy : (maximum > 0 ? maximum : 1);
    for (double percent : kIsodoseSurfacePercents) {
      const double level = percent / 100.0 * reference;
      levels.push_back({level, QString("%1 % isodose").arg(percent).toStdString(),
                        view.fieldColour(level), percent > 90 ? 0.6f : 0.25f});
    }
    return levels;
  }
  // The two highest isolines: the core (opaque-ish) inside its translucent rim.
  const auto& iso = display.isolevels;
  const std::size_t first = iso.size() > 2 ? iso.size() - 2 : 0;
  for (std::size_t n = first; n < iso.size(); ++n)
    levels.push_back({iso[n],
                      QString("%1 %2 %3")
                          .arg(QString::fromStdString(field.name))
                          .arg(iso[n])
                          .arg(QString::fromStdString(field.unit))
                          .toStdString(),
                      view.fieldColour(iso[n]), n + 1 == iso.size() ? 0.6f : 0.25f});
  return levels;
}

}  // namespace twinplan::ui
