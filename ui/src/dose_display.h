#pragma once
// How a dose is drawn over the images: a colour wash and isodose lines at fixed percentages of
// a reference dose (issue #19 item 4).
#include "twinplan/core/scalar_field.h"
#include "twinplan/rendering/slice_view.h"

namespace twinplan::ui {

// The isodose levels, percent of the reference dose. 95 % is the lower edge of ICRU 50's
// target dose range (95-107 % of the prescription); 50 % and 20 % show the fall-off and the
// low-dose bath a physicist checks on organs at risk.
inline constexpr double kIsodosePercents[] = {20.0, 50.0, 80.0, 90.0, 95.0};

// The reference dose of a dose field: its maximum (the prescription is not part of an RT
// Dose). Washed from 20 % of it, so the low-dose bath shows but unirradiated tissue stays clear.
rendering::SliceView::FieldDisplay isodoseDisplay(const ScalarField& dose);

}  // namespace twinplan::ui
