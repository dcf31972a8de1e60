#pragma once
// Running an ITK filter under TwinPlan's Progress, cancellation and thread cap. Free of Eigen (a
// translation unit with ITK's Hessian filters must not see the system Eigen of core's geometry:
// ITK 5.2 bundles its own, older Eigen under the same include guards).
#include <itkProcessObject.h>

#include <string_view>

#include "twinplan/core/progress.h"

namespace twinplan::segmentation::detail {

// Updates `filter` on at most maxThreads() threads, forwarding its progress and aborting it when
// the user cancels (then throws Cancelled). ITK exceptions become Error(Internal) naming `step`.
void runFilter(itk::ProcessObject* filter, Progress& progress, std::string_view step);

}  // namespace twinplan::segmentation::detail
