#pragma once
// How a result field is drawn over the images and in 3D: a colour wash and isolines in 2D,
// and a few isosurfaces in 3D at the levels that matter for its quantity (issue #19 items 1, 4
// and 8). One place decides, so the 2D overlay and the 3D surfaces always describe the same
// field with the same levels.
#include <optional>
#include <string>
#include <vector>

#include "twinplan/core/mesh.h"
#include "twinplan/core/scalar_field.h"
#include "twinplan/engine/dose_combination.h"
#include "twinplan/rendering/slice_view.h"

namespace twinplan::ui {

// The isodose levels, percent of the reference dose. 95 % is the lower edge of ICRU 50's
// target dose range (95-107 % of the prescription); 50 % and 20 % show the fall-off and the
// low-dose bath a physicist checks on organs at risk.
inline constexpr double kIsodosePercents[] = {20.0, 50.0, 80.0, 90.0, 95.0};
// The isodose surfaces drawn in 3D: the high-dose region (95 %) and the 50 % fall-off, few
// enough to see through.
inline constexpr double kIsodoseSurfacePercents[] = {50.0, 95.0};

// The largest finite value of a field (0 for an empty one).
double fieldMaximum(const ScalarField& field);
// The largest finite |value| of a field (0 for an empty one).
double fieldLargestMagnitude(const ScalarField& field);

// A signed dose difference A - B (engine/dose_combination.h): a diverging wash, red where A
// gives more, blue where B does, white at 0, over +-its largest |difference| so 0 is the
// centre; differences below 2 % of that stay clear (noise of two dose grids' rounding), and
// isolines at +-10 % and +-50 % of it.
inline constexpr double kDifferenceClearFraction = 0.02;
inline constexpr double kDifferenceIsoFractions[] = {-0.5, -0.1, 0.1, 0.5};
rendering::SliceView::FieldDisplay doseDifferenceDisplay(const ScalarField& difference);

// A dose drawn at percentages of `reference_Gy` (the prescription when known; its maximum
// without one). Washed from 20 % of it, so the low-dose bath shows but unirradiated tissue
// stays clear.
rendering::SliceView::FieldDisplay isodoseDisplay(const ScalarField& dose,
                                                  std::optional<double> reference_Gy = {});

// The 2D display of any result: dose (isodoseDisplay), ablation temperature and damage, tissue
// displacement, or a generic field at fractions of its maximum.
rendering::SliceView::FieldDisplay resultDisplay(const ScalarField& field,
                                                 std::optional<double> doseReference_Gy = {});

// One isosurface to build in 3D: its level, name, colour and opacity.
struct SurfaceLevel {
  double level = 0.0;
  std::string name;
  Rgb colour;
  float opacity = 0.5f;
};

// The 3D surfaces of a result shown with `display` in `view` (for its colours): a dose's 50 %
// and 95 % isodoses of the reference; any other field's two highest isolines.
std::vector<SurfaceLevel> resultSurfaceLevels(const ScalarField& field,
                                              const rendering::SliceView::FieldDisplay& display,
                                              const rendering::SliceView& view,
                                              std::optional<double> doseReference_Gy = {});

}  // namespace twinplan::ui
