#pragma once
// The window's state behind the result chooser, the 3D result surfaces and the RT panel
// (main_window_results.cpp, main_window_rt.cpp).
#include <vtkActor.h>
#include <vtkSmartPointer.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "twinplan/core/mesh.h"
#include "twinplan/rendering/beam_overlay.h"
#include "twinplan/ui/beams_eye_view.h"

class QAction;
class QComboBox;
class QMenu;

namespace twinplan::ui {

class IsosurfaceBuilder;
class RtPanel;

struct ResultScene {
  QComboBox* chooser = nullptr;
  QMenu* menu = nullptr;               // View > Shown result
  QAction* rename = nullptr;           // Rename… (the shown result)
  std::string chosen;                  // the shown result's id (ScalarField::id); empty: none
  std::vector<std::string> known;      // the case's result ids when last listed
  std::optional<int> ablationOverlay;  // the ablation panel's overlay when last applied
  // 3D: the builder, what the shown surfaces were built from, and the surfaces.
  IsosurfaceBuilder* builder = nullptr;
  std::string builtKey;  // result id, values' signature and levels of the newest request
  std::vector<SurfaceMesh> surfaces;
  std::vector<vtkSmartPointer<vtkActor>> actors;
  // The isodose reference typed in the RT panel (none: the prescription, else the maximum).
  std::optional<double> referenceByHand_Gy;
  RtPanel* panel = nullptr;
  // The chosen plan's beams, drawn in 3D.
  std::vector<BeamDrawing> beams;
  std::vector<vtkSmartPointer<vtkActor>> beamActors;
  // ... and their central axes in each 2D view (one overlay per view, in the views' order).
  std::vector<std::unique_ptr<rendering::BeamOverlay>> beamOverlays;
};

}  // namespace twinplan::ui
