// The margin map in the views (ablation_margin_map.h).
#include "twinplan/ui/ablation_margin_map.h"

#include <vtkActor.h>
#include <vtkPointData.h>
#include <vtkPolyData.h>
#include <vtkPolyDataMapper.h>
#include <vtkProperty.h>
#include <vtkSmartPointer.h>
#include <vtkUnsignedCharArray.h>

#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>

#include "twinplan/ablation/margin_map.h"
#include "twinplan/rendering/mesh_actor.h"

namespace twinplan::ui {
namespace {

using ablation::MarginClass;

// The tumour's voxels with a 6-neighbour outside it (or on the grid's face).
bool onTumourBoundary(const std::vector<std::uint8_t>& tumour, const ImageGeometry& g,
                      std::int64_t i, std::int64_t j, std::int64_t k) {
  const std::array<std::array<int, 3>, 6> steps{
      {{1, 0, 0}, {-1, 0, 0}, {0, 1, 0}, {0, -1, 0}, {0, 0, 1}, {0, 0, -1}}};
  for (const auto& d : steps) {
    const std::int64_t a = i + d[0], b = j + d[1], c = k + d[2];
    if (a < 0 || b < 0 || c < 0 || a >= g.size[0] || b >= g.size[1] || c >= g.size[2]) return true;
    if (!tumour[g.linearIndex(a, b, c)]) return true;
  }
  return false;
}

LabelMap outlineByClass(const std::vector<std::uint8_t>& tumour, const ScalarField& distance,
                        const ImageGeometry& g, double margin_mm) {
  LabelMap outline(g);
  std::array<std::uint16_t, 3> value{};
  char thin[64], adequate[64];
  std::snprintf(thin, sizeof thin, "Margin 0-%g mm", margin_mm);
  std::snprintf(adequate, sizeof adequate, "Margin %g mm or more", margin_mm);
  for (const auto& [cls, name] :
       {std::pair{MarginClass::Uncovered, "Tumour not ablated"},
        std::pair{MarginClass::Thin, static_cast<const char*>(thin)},
        std::pair{MarginClass::Adequate, static_cast<const char*>(adequate)}}) {
    Segment s;
    s.name = name;
    s.colour = ablation::marginClassColour(cls);
    value[std::size_t(cls)] = outline.segments()[outline.addSegment(s)].value;
  }
  auto& layer = outline.layer(0);
  for (std::int64_t k = 0; k < g.size[2]; ++k)
    for (std::int64_t j = 0; j < g.size[1]; ++j)
      for (std::int64_t i = 0; i < g.size[0]; ++i) {
        const std::size_t v = g.linearIndex(i, j, k);
        if (!tumour[v] || !onTumourBoundary(tumour, g, i, j, k)) continue;
        const MarginClass cls = ablation::classifyMargin(distance.values[v], margin_mm);
        layer[v] = value[std::size_t(cls)];
      }
  return outline;
}

}  // namespace

std::shared_ptr<const MarginMapDisplay> makeMarginMapDisplay(
    const std::vector<std::uint8_t>& zone, const std::vector<std::uint8_t>& tumour,
    const ImageGeometry& grid, double margin_mm, bool simulated) {
  const auto start = std::chrono::steady_clock::now();
  const ScalarField distance = ablation::zoneSignedDistance(zone, grid);  // once, for both
  auto display = std::const_pointer_cast<MarginMapDisplay>(
      makeMarginMapDisplay(distance, tumour, margin_mm, simulated));
  display->compute_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return display;
}

std::shared_ptr<const MarginMapDisplay> makeMarginMapDisplay(
    const ScalarField& zoneDistance, const std::vector<std::uint8_t>& tumour, double margin_mm,
    bool simulated) {
  const auto start = std::chrono::steady_clock::now();
  auto display = std::make_shared<MarginMapDisplay>();
  display->map = engine::tumourMarginMap(zoneDistance, tumour, margin_mm);
  display->outline = outlineByClass(tumour, zoneDistance, zoneDistance.geometry, margin_mm);
  display->simulated = simulated;
  display->compute_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return display;
}

vtkSmartPointer<vtkActor> makeMarginMapActor(const MarginMapDisplay& display) {
  const SurfaceMesh& surface = display.map.surface;
  vtkSmartPointer<vtkPolyData> data = rendering::toShadedPolyData(surface);
  // Colours are per input point: keep the points as they are if shading would split them.
  if (data->GetNumberOfPoints() != vtkIdType(surface.points_lps.size()))
    data = rendering::toPolyData(surface);
  auto colours = vtkSmartPointer<vtkUnsignedCharArray>::New();
  colours->SetName("Margin class");
  colours->SetNumberOfComponents(3);
  colours->SetNumberOfTuples(vtkIdType(display.map.vertexColours.size()));
  for (std::size_t v = 0; v < display.map.vertexColours.size(); ++v) {
    const Rgb& c = display.map.vertexColours[v];
    colours->SetTypedTuple(vtkIdType(v), std::array<unsigned char, 3>{c.r, c.g, c.b}.data());
  }
  data->GetPointData()->SetScalars(colours);
  auto mapper = vtkSmartPointer<vtkPolyDataMapper>::New();
  mapper->SetInputData(data);
  mapper->ScalarVisibilityOn();
  mapper->SetScalarModeToUsePointData();
  mapper->SetColorModeToDirectScalars();
  auto actor = vtkSmartPointer<vtkActor>::New();
  actor->SetMapper(mapper);
  vtkProperty* property = actor->GetProperty();
  property->SetInterpolationToPhong();
  property->SetAmbient(0.2);
  property->SetDiffuse(0.8);
  property->SetSpecular(0.1);
  return actor;
}

namespace {

// A share of the surface as a surgeon reads it: a sliver is never rounded away to "0 %" (a
// negative minimal margin next to "0 % not ablated" reads as a contradiction), nor up to "100 %".
std::string surfaceShare(double percent) {
  if (percent > 0 && percent < 0.5) return "< 1";
  if (percent < 100 && percent >= 99.5) return "> 99";
  char text[16];
  std::snprintf(text, sizeof text, "%.0f", percent);
  return text;
}

}  // namespace

std::string marginMapSummary(const MarginMapDisplay& display) {
  const ablation::MarginMap& m = display.map.map;
  char text[400];
  std::snprintf(text, sizeof text,
                "Margin map (%s): 5th percentile %.1f mm, median %.1f mm; of the tumour's "
                "surface %s %% not ablated, %s %% under %g mm, %s %% at %g mm or more.",
                display.simulated ? "simulated" : "predicted", m.percentile5_mm, m.median_mm,
                surfaceShare(m.uncoveredArea_percent).c_str(),
                surfaceShare(m.thinArea_percent).c_str(), m.adequate_mm,
                surfaceShare(m.adequateArea_percent).c_str(), m.adequate_mm);
  return text;
}

}  // namespace twinplan::ui
