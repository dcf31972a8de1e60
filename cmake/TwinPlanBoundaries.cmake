# Layer rules (DESIGN.md section 1) that hold whatever a module declares: see
# cmake/TwinPlanModule.cmake for how they are checked. A future module joins a rule by its
# name: `engine` and `simulation` are listed before they exist, so they are headless from
# their first line.

# What needs a display or a GUI toolkit: Qt, VTK's rendering, interaction, GUI support and
# views, and the TwinPlan modules built on them.
set(TWINPLAN_DISPLAY_TARGETS "Qt*" "VTK::Rendering*" "VTK::Interaction*" "VTK::GUISupport*"
    "VTK::Views*" twinplan_rendering twinplan_ui twinplan_xr)

twinplan_forbid(
  NAMES core core_itk core_vtk io segmentation registration phantom engine simulation ablation tissue radiotherapy glioma teaching cli
  LIBRARIES ${TWINPLAN_DISPLAY_TARGETS}
  BECAUSE "DESIGN.md section 1: core, io, segmentation and simulation never include Qt or VTK \
rendering: the CLI, the tests and the benchmarks use them without a display.")

twinplan_forbid(
  NAMES rendering
  LIBRARIES "Qt*" twinplan_ui twinplan_xr
  BECAUSE "DESIGN.md section 1: rendering knows VTK, not Qt, and ui is the only place that knows both.")

twinplan_forbid(
  NAMES xr
  LIBRARIES "Qt*" "VTK::*" twinplan_ui twinplan_rendering
  BECAUSE "DESIGN.md section 1: xr's core knows OpenXR and OpenGL only, and the renderer that \
draws into its swapchain images is passed in as an interface.")
