#pragma once
// One 2D view of a case: a patient-space slice of a volume with window/level, crosshair and
// annotations, drawn by VTK into whatever render window it is given (Qt widget, offscreen).
#include <vtkSmartPointer.h>

#include <array>
#include <optional>
#include <string>
#include <vector>

#include "twinplan/core/case.h"
#include "twinplan/core/image_volume.h"
#include "twinplan/core/label_map.h"
#include "twinplan/rendering/slice_sampler.h"

class vtkRenderer;
class vtkImageData;
class vtkImageActor;
class vtkActor;
class vtkPolyData;
class vtkTextActor;
class vtkActor2D;
class vtkLookupTable;
class vtkScalarBarActor;
class vtkContourFilter;

namespace twinplan::rendering {

struct WindowLevel {
  double window = 400.0;  // HU width
  double level = 40.0;    // HU centre
};

// Grey value of `value` under window/level, 0..255, as the DICOM linear VOI function does
// (PS3.3 C.11.2.1.2) for a 8-bit display.
std::uint8_t displayGrey(double value, const WindowLevel& wl);

// Grey of a value of `volume` on screen: pixel padding (ImageVolume::isPadding, PS3.3
// C.7.5.1.1.2) is background, 0, whatever the window; a MONOCHROME1 volume
// (DicomInfo::displayInverted) inverts the ramp, 255 - displayGrey, so that its minimum is
// white (PS3.3 C.7.6.3.1.2). The values themselves are never inverted.
std::uint8_t screenGrey(double value, const WindowLevel& wl, const ImageVolume& volume);

class SliceView {
 public:
  explicit SliceView(SliceOrientation orientation);
  ~SliceView();
  SliceView(const SliceView&) = delete;
  SliceView& operator=(const SliceView&) = delete;

  vtkRenderer* renderer() const;
  SliceOrientation orientation() const { return orientation_; }

  // The volume is borrowed: keep it alive while it is shown. nullptr clears the view.
  void setVolume(const ImageVolume* volume);
  void setCrosshair(const Vec3& p_lps);  // moves this view's slice through p_lps
  const Vec3& crosshair() const { return crosshair_lps_; }
  // Segments drawn over the image: filled with `fillOpacity` and outlined. Borrowed.
  void setLabelMap(const LabelMap* labels);
  void setSegmentDisplay(double fillOpacity, bool outline);
  // Measurements drawn where they cross this view's slice (borrowed), and the points of one
  // being placed.
  void setMeasurements(const std::vector<Measurement>* measurements);
  // `joined`: a line through the points (a ruler or angle being placed, its last point the
  // cursor), not only their markers.
  void setPendingPoints(const std::vector<Vec3>& points_lps, bool joined = false);
  // The measurement point drawn within `tolerance_px` of a display position on this slice, as
  // (measurement index, point index).
  std::optional<std::pair<std::size_t, std::size_t>> measurementPointAt(double x_px, double y_px,
                                                                        double tolerance_px) const;
  // Whether an LPS point lies on the current slice (within half a slice step).
  bool onSlice(const Vec3& p_lps) const;
  // A scalar field over the image: a colour wash from `min` (transparent below) to `max`,
  // isolines at `isolevels`, and a legend titled with its quantity and unit. Borrowed.
  struct FieldDisplay {
    double min = 0.0, max = 1.0;
    double opacity = 0.5;
    std::vector<double> isolevels;
  };
  void setScalarField(const ScalarField* field, const FieldDisplay& display);
  // The colour-wash colour of `value` (for tests and legends).
  Rgb fieldColour(double value) const;
  // Isolines of the current slice in LPS (for tests): pairs of segment end points.
  std::vector<std::pair<Vec3, Vec3>> isolineSegments() const;
  void setWindowLevel(const WindowLevel& wl);
  const WindowLevel& windowLevel() const { return windowLevel_; }
  // Moves the slice by `steps` slices along the view normal (wheel, arrow keys).
  void scrollSlices(int steps);
  // Fits the slice into a viewport of the given aspect (width/height).
  void resetCamera();
  void zoom(double factor);
  void pan(double dx_px, double dy_px, int viewportHeight_px);

  // Display (pixel) -> LPS on the current slice; false outside the image.
  bool displayToLps(int x_px, int y_px, Vec3& p_lps) const;
  // LPS -> display (pixels, origin bottom-left) of its projection onto the current slice.
  void lpsToDisplay(const Vec3& p_lps, double& x_px, double& y_px) const;
  double sliceStep_mm() const;
  double slicePosition_mm() const;  // along the view normal
  // The positions along the view normal that the volume covers (mm).
  std::pair<double, double> sliceRange_mm() const;
  void setOverlayText(const std::string& topLeft, const std::string& topRight);
  // Re-lays the scale bar for the current zoom; call before each render.
  void updateScaleBar();
  // Length (mm) the scale bar shows now: 1, 2, 5 x 10^n, at most a fifth of the view width.
  double scaleBarLength_mm() const { return scaleBarLength_mm_; }
  // Text for the bottom corners: cursor readout etc.
  void setReadout(const std::string& text);
  // Where the view's texts are on screen, in display pixels (origin bottom-left), as laid out
  // for the last render (measurement labels kept inside the view, the top orientation letter
  // below the corner texts when they would overlap). For tests and checks of captures.
  struct TextBox {
    std::string role;  // topLeft, topRight, bottomLeft, orientation, measurement, scaleBar
    std::string text;
    double xMin, xMax, yMin, yMax;
  };
  std::vector<TextBox> textBoxes() const;

 private:
  // Changes only mark the slice image stale; it is sampled once, when the view next renders
  // (a hidden view, or several changes in a row, cost nothing).
  void resampleIfNeeded();
  void resample();
  void sampleGreys();    // window/level of the sampled values
  void sampleColours();  // the colours of an Rgb8 volume, as they are
  void blendSegments(unsigned char* rgb);
  void blendField(unsigned char* rgb);
  void updateCrosshairLines();
  void updateMeasurementOverlay();
  void layOutTexts();  // before each render, in display pixels
  Eigen::Vector2d lpsToWorld(const Vec3& p_lps) const;
  SliceOrientation orientation_;
  const ImageVolume* volume_ = nullptr;
  const LabelMap* labels_ = nullptr;
  double fillOpacity_ = 0.35;
  bool outline_ = true;
  std::vector<std::uint16_t> labelSamples_;
  const std::vector<Measurement>* measurements_ = nullptr;
  std::vector<Vec3> pendingPoints_;
  vtkSmartPointer<vtkPolyData> measurementLines_;
  vtkSmartPointer<vtkActor> measurementActor_;
  std::vector<vtkSmartPointer<vtkTextActor>> measurementLabels_;
  std::vector<Eigen::Vector2d> labelAnchors_;  // world position of each shown label
  bool pendingJoined_ = false;
  const ScalarField* field_ = nullptr;
  FieldDisplay fieldDisplay_;
  std::vector<float> fieldSamples_;
  vtkSmartPointer<vtkLookupTable> fieldColours_;
  vtkSmartPointer<vtkImageData> fieldImage_;
  vtkSmartPointer<vtkContourFilter> isolines_;
  vtkSmartPointer<vtkActor> isolineActor_;
  vtkSmartPointer<vtkScalarBarActor> legend_;
  Vec3 crosshair_lps_ = Vec3::Zero();
  WindowLevel windowLevel_;
  SlicePlane plane_;
  bool resampleBeforeRender_ = false;
  std::vector<float> samples_;
  vtkSmartPointer<vtkRenderer> renderer_;
  vtkSmartPointer<vtkImageData> rgb_;
  vtkSmartPointer<vtkImageActor> image_;
  vtkSmartPointer<vtkPolyData> crosshairLines_;
  vtkSmartPointer<vtkActor> crosshairActor_;
  std::array<vtkSmartPointer<vtkTextActor>, 3> cornerText_;  // top left, top right, bottom left
  vtkSmartPointer<vtkPolyData> scaleBarLine_;
  vtkSmartPointer<vtkActor2D> scaleBar_;
  vtkSmartPointer<vtkTextActor> scaleBarLabel_;
  double scaleBarLength_mm_ = 0.0;
  std::vector<vtkSmartPointer<vtkTextActor>> orientationLabels_;
};

}  // namespace twinplan::rendering
