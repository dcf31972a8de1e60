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
#include "twinplan/core/label_layer_edit.h"
#include "twinplan/core/label_map.h"
#include "twinplan/core/spatial_transform.h"
#include "twinplan/rendering/colour_maps.h"
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

// Position of `value` in the window, 0 at its low end, 1 at its high end (clamped): the DICOM
// LINEAR_EXACT VOI function (PS3.3 C.11.2.1.3.2), y = (x - c) / w + 0.5, which - unlike the
// LINEAR function's integer-pixel "- 0.5" and "w - 1" - is exact for real-valued images such
// as SUV (a 0-5 SUV window ends at SUV 5, not 4). Indexes the colour maps.
double windowPosition(double value, const WindowLevel& wl);

// A window with a name for the presets menus.
struct NamedWindow {
  std::string name;  // "SUV 0-5"
  WindowLevel window;
};
// PET windows in SUV (lower end 0), for the fused and the PET-alone view: SUV 0-5, 0-7, 0-10,
// 0-15, 0-20 - the fixed SUV scales PET reading workstations typically offer (vendor defaults,
// not guideline values). Rationale: normal FDG SUVmax of liver ~2.5 and blood pool ~2.3
// (Mettler & Guiberteau, Essentials of Nuclear Medicine Imaging, ch. 13), so SUV 0-5 puts the
// liver mid-scale and lesions above it in the bright end; 10-20 keeps intense uptake (brain,
// bladder, high-grade tumours) from saturating. Values in the volume's unit (SUVbw).
std::vector<NamedWindow> suvWindowPresets();

// A second series shown over the view's own (the background): PET on CT, MR beside CT.
struct FusionLayer {
  const ImageVolume* volume = nullptr;  // borrowed: keep it alive while shown
  // fixed (the background) -> moving (this layer), ITK's convention, as a Registration stores
  // it; identity for series that share a frame of reference.
  SpatialTransform backgroundToLayer;
  WindowLevel window;  // in the layer's unit (SUV, HU ...)
  ColourMap colourMap = ColourMap::HotIron;
  double opacity = 0.5;  // 0..1, of the layer over the background in FusionMode::Blend
  // In FusionMode::Blend, values below the window's low end are transparent, as PET fusion
  // shows them: the CT shows through where there is no uptake. (Checkerboard and flicker show
  // the layer whole.) Pixel padding and points outside the layer's grid are always
  // transparent in a blend, black in a checkerboard square or flicker phase.
  bool thresholdBelowWindow = true;
};

// How the layer meets the background: blended with its opacity; a checkerboard of squares
// alternating between the two (each opaque), for judging an alignment at edges; or flicker,
// one or the other whole (the UI toggles setFlickerPhase on a timer).
enum class FusionMode { Blend, Checkerboard, Flicker };
const char* toString(FusionMode mode);                     // "blend" | "checkerboard" | "flicker"
FusionMode fusionModeFromString(const std::string& name);  // throws Error(InvalidInput)

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
  // Segments drawn over the image: every visible segment of every layer of each label map
  // (overlapping segments live in several layers, label_map.h), filled with `fillOpacity` and
  // outlined, in the order given. Borrowed.
  struct ShownLabelMap {
    const LabelMap* labels = nullptr;
    // A tool's result not yet applied (the segment editor's preview): this segment of `labels`
    // is drawn hatched - diagonal stripes and a solid outline in its colour, no fill between
    // the stripes - so it reads apart from applied segments, which are filled.
    std::optional<std::size_t> previewSegment;
  };
  void setLabelMaps(std::vector<ShownLabelMap> labelMaps);
  const std::vector<ShownLabelMap>& labelMaps() const { return labelMaps_; }
  void setLabelMap(const LabelMap* labels);  // one label map; nullptr: none
  const LabelMap* labelMap() const;          // the first shown, or nullptr
  // A brush stroke being drawn (core/label_layer_edit.h): drawn in place of the layer it edits
  // (the shown layer whose voxels are stroke->originalLayer()). Borrowed; nullptr: none.
  void setLayerEdit(const LabelLayerEdit* stroke);
  // Threshold paint's highlight: the pixels whose nearest voxel of the view's image lies in
  // [min, max] (not pixel padding; rendering::sampleInRange), filled and outlined in `colour`
  // over the segments, except where segment `exceptSegment` of shown label map `exceptMap`
  // already holds them (what was painted shows through). Computed for the shown slice only,
  // when the view next renders; a hidden view costs nothing.
  struct IntensityHighlight {
    double min = 0.0, max = 0.0;
    Rgb colour{255, 255, 0};
    std::optional<std::pair<std::size_t, std::size_t>> except;  // (label map, segment)
  };
  void setIntensityHighlight(std::optional<IntensityHighlight> highlight);
  const std::optional<IntensityHighlight>& intensityHighlight() const { return highlight_; }
  void setSegmentDisplay(double fillOpacity, bool outline);
  // Measurements drawn where they cross this view's slice (borrowed), and the points of one
  // being placed.
  void setMeasurements(const std::vector<Measurement>* measurements);
  // `joined`: a line through the points (a ruler or angle being placed, its last point the
  // cursor), not only their markers.
  void setPendingPoints(const std::vector<Vec3>& points_lps, bool joined = false);
  // The segment editor's brush: a circle of radius_mm around the projection of centre_lps onto
  // this slice (nullopt hides it), drawn with the measurement lines.
  void setBrushOutline(const std::optional<Vec3>& centre_lps, double radius_mm = 0.0);
  const std::optional<Vec3>& brushCentre() const { return brushCentre_lps_; }
  double brushRadius_mm() const { return brushRadius_mm_; }
  // Needles (the ablation probes): each a line from its entry to its tip, projected onto the
  // slice whatever their depth (the needle's whole course reads in every view), in its colour,
  // over the segments and under the markers. The emphasised one (the probe being placed) is a
  // band kEmphasisedNeedleWidth_px screen pixels wide at any zoom, the others 1-pixel lines.
  // Unlit: the pixels are the needle's colour.
  struct Needle {
    Vec3 entry_lps = Vec3::Zero(), tip_lps = Vec3::Zero();
    Rgb colour;
    bool emphasised = false;
  };
  void setNeedles(std::vector<Needle> needles);
  const std::vector<Needle>& needles() const { return needles_; }
  static constexpr double kEmphasisedNeedleWidth_px = 3.0;
  // Registration landmarks of this view's series (the Landmarks panel): a ring with the pair's
  // number, drawn where a point lies on the current slice.
  struct LandmarkMarker {
    Vec3 p_lps;
    std::string label;  // "1", "2", ...
  };
  void setLandmarks(std::vector<LandmarkMarker> markers);
  // What a teaching session's presenter points at and notes (issue #20 item 5), drawn in a
  // following participant's views where it lies on the current slice (within half a slice
  // step): the pointer as a filled red dot (the headset's pointer colour,
  // HeadsetAnnotations::kPointerColour) and each annotation as a diamond with its text.
  struct PresenterMarks {
    std::optional<Vec3> pointer_lps;
    std::vector<LandmarkMarker> annotations;  // label: the annotation's text
  };
  void setPresenterMarks(PresenterMarks marks);
  const PresenterMarks& presenterMarks() const { return presenterMarks_; }
  // The index of the landmark drawn within `tolerance_px` of a display position on this slice.
  std::optional<std::size_t> landmarkAt(double x_px, double y_px, double tolerance_px) const;
  // The measurement point drawn within `tolerance_px` of a display position on this slice, as
  // (measurement index, point index).
  std::optional<std::pair<std::size_t, std::size_t>> measurementPointAt(double x_px, double y_px,
                                                                        double tolerance_px) const;
  // Whether an LPS point lies on the current slice (within half a slice step).
  bool onSlice(const Vec3& p_lps) const;
  // A scalar field over the image: a colour wash from `min` (transparent below) to `max`,
  // isolines at `isolevels`, and a legend titled with its quantity and unit. Borrowed.
  // A signed field (a dose difference) is `diverging`: blue below 0, white at 0, red above,
  // over `min`..`max` (symmetric about 0), transparent where |value| < `clearWithin`.
  struct FieldDisplay {
    double min = 0.0, max = 1.0;
    double opacity = 0.5;
    std::vector<double> isolevels;
    bool diverging = false;
    double clearWithin = 0.0;
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
    // topLeft, topRight, bottomLeft, orientation, measurement, scaleBar, colourBarTitle
    std::string role;
    std::string text;
    double xMin, xMax, yMin, yMax;
  };
  std::vector<TextBox> textBoxes() const;

  // --- Fusion (rendering/src/slice_fusion.cpp) ---
  // A second series over this view's volume, sampled on the same slice plane through its
  // transform. Throws Error(InvalidInput) for a layer without a volume, or with a colour
  // (Rgb8) or planar 2D image, which cannot be placed in patient space or windowed.
  void setForeground(const FusionLayer& layer);
  void clearForeground();
  bool hasForeground() const { return foreground_.volume != nullptr; }
  const FusionLayer& foreground() const { return foreground_; }
  // checker_mm: the side of a checkerboard square (clamped to >= 1 mm), anchored in patient
  // coordinates (squares stay put when the slice moves or the view pans).
  void setFusionMode(FusionMode mode, double checker_mm = 20.0);
  FusionMode fusionMode() const { return fusionMode_; }
  double checkerSize_mm() const { return checker_mm_; }
  // Flicker: true shows the foreground, false the background.
  void setFlickerPhase(bool showForeground);
  bool flickerPhase() const { return flickerShowsForeground_; }
  // The background's colour map (Grey by default: window/level as DICOM's grey pipeline, with
  // MONOCHROME1 inversion; any other map is applied through windowPosition). A PET alone reads
  // in hot iron or inverted grey.
  void setBackgroundColourMap(ColourMap map);
  ColourMap backgroundColourMap() const { return backgroundColourMap_; }
  // Thick slab along the view normal, sampled at each volume's own slice step, for the
  // background and the foreground alike. thickness_mm is clamped to >= 0.
  void setSlab(SlabMode mode, double thickness_mm);
  SlabMode slabMode() const { return slabMode_; }
  double slabThickness_mm() const { return slabThickness_mm_; }
  // Colour bars titled with the unit: the foreground's map over its window (right edge), and
  // the background's when it has a colour map (left edge). Shown by default.
  void setColourBarVisible(bool visible);
  bool colourBarVisible() const { return colourBarVisible_; }
  // The foreground's value at a point of the background's space, through the transform
  // (trilinear); nullopt without a foreground or outside its grid. For the status bar.
  std::optional<double> foregroundValueAt(const Vec3& p_lps) const;
  // The slice as sampled now (for tests and tools): its plane, and the colour shown at pixel
  // (u right, v down) of it after fusion, segments and fields.
  const SlicePlane& slicePlane() const { return plane_; }
  RgbColour displayedColourAt(int u, int v) const;

 private:
  // Changes only mark the slice image stale; it is sampled once, when the view next renders
  // (a hidden view, or several changes in a row, cost nothing).
  void resampleIfNeeded();
  void resample();
  void sampleGreys();    // window/level of the sampled values
  void sampleColours();  // the colours of an Rgb8 volume, as they are
  void blendSegments(unsigned char* rgb);
  void blendLabelMap(const ShownLabelMap& shown, unsigned char* rgb);
  void blendHighlight(unsigned char* rgb);
  // Nearest-neighbour samples of layer `layer` of `labels` on the slice (the stroke's copy
  // where it edits that layer).
  void sampleLayer(const LabelMap& labels, int layer, std::vector<std::uint16_t>& samples) const;
  void blendField(unsigned char* rgb);
  void updateCrosshairLines();
  void updateMeasurementOverlay();
  void updateNeedles();
  void updatePointerDot(double radius_mm);
  void layOutTexts();  // before each render, in display pixels
  Eigen::Vector2d lpsToWorld(const Vec3& p_lps) const;
  SliceOrientation orientation_;
  const ImageVolume* volume_ = nullptr;
  std::vector<ShownLabelMap> labelMaps_;
  const LabelLayerEdit* layerEdit_ = nullptr;
  std::optional<IntensityHighlight> highlight_;
  std::vector<std::uint8_t> inRange_;
  double fillOpacity_ = 0.35;
  bool outline_ = true;
  std::vector<std::uint16_t> labelSamples_;
  const std::vector<Measurement>* measurements_ = nullptr;
  std::vector<Vec3> pendingPoints_;
  std::vector<LandmarkMarker> landmarks_;
  std::vector<Needle> needles_;
  // Emphasised needles (bands) and the others (lines).
  std::array<vtkSmartPointer<vtkPolyData>, 2> needleLines_;
  std::array<vtkSmartPointer<vtkActor>, 2> needleActors_;
  PresenterMarks presenterMarks_;
  vtkSmartPointer<vtkPolyData> pointerDot_;
  vtkSmartPointer<vtkActor> pointerActor_;
  vtkSmartPointer<vtkPolyData> measurementLines_;
  vtkSmartPointer<vtkActor> measurementActor_;
  std::vector<vtkSmartPointer<vtkTextActor>> measurementLabels_;
  std::vector<Eigen::Vector2d> labelAnchors_;  // world position of each shown label
  bool pendingJoined_ = false;
  std::optional<Vec3> brushCentre_lps_;
  double brushRadius_mm_ = 0.0;
  const ScalarField* field_ = nullptr;
  FieldDisplay fieldDisplay_;
  std::vector<float> fieldSamples_;
  vtkSmartPointer<vtkLookupTable> fieldColours_;
  vtkSmartPointer<vtkImageData> fieldImage_;
  vtkSmartPointer<vtkContourFilter> isolines_;
  vtkSmartPointer<vtkActor> isolineActor_;
  vtkSmartPointer<vtkScalarBarActor> legend_;
  vtkSmartPointer<vtkTextActor> legendTitle_;  // above legend_ (layOutTexts)
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
  // Fusion state and steps (slice_fusion.cpp).
  void composeBackground(unsigned char* rgb);  // slab and/or colour-mapped background
  void blendForeground(unsigned char* rgb);
  void updateColourBars();
  bool backgroundNeedsComposition() const;
  FusionLayer foreground_;
  FusionMode fusionMode_ = FusionMode::Blend;
  double checker_mm_ = 20.0;
  bool flickerShowsForeground_ = true;
  ColourMap backgroundColourMap_ = ColourMap::Grey;
  SlabMode slabMode_ = SlabMode::None;
  double slabThickness_mm_ = 0.0;
  bool colourBarVisible_ = true;
  std::vector<float> foregroundSamples_;
  vtkSmartPointer<vtkScalarBarActor> foregroundBar_;
  vtkSmartPointer<vtkScalarBarActor> backgroundBar_;
};

// Every label map of a case, as the views show them (none previewed).
std::vector<SliceView::ShownLabelMap> shownLabelMaps(const std::vector<LabelMap>& labelMaps);

}  // namespace twinplan::rendering
