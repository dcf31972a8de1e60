#include "twinplan/rendering/slice_view.h"

#include <vtkActor.h>
#include <vtkActor2D.h>
#include <vtkCallbackCommand.h>
#include <vtkCamera.h>
#include <vtkCellArray.h>
#include <vtkCellData.h>
#include <vtkContourFilter.h>
#include <vtkFloatArray.h>
#include <vtkImageActor.h>
#include <vtkImageData.h>
#include <vtkImageProperty.h>
#include <vtkLookupTable.h>
#include <vtkPointData.h>
#include <vtkPoints.h>
#include <vtkPolyData.h>
#include <vtkPolyDataMapper.h>
#include <vtkPolyDataMapper2D.h>
#include <vtkProperty.h>
#include <vtkProperty2D.h>
#include <vtkRenderWindow.h>
#include <vtkRenderer.h>
#include <vtkScalarBarActor.h>
#include <vtkTextActor.h>
#include <vtkTextProperty.h>
#include <vtkTextRenderer.h>
#include <vtkUnsignedCharArray.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <optional>

#include "twinplan/core/measurement.h"

namespace twinplan::rendering {

std::uint8_t displayGrey(double value, const WindowLevel& wl) {
  // DICOM PS3.3 C.11.2.1.2.1, linear function, output range 0..255.
  const double c = wl.level, w = std::max(wl.window, 1.0);
  if (value <= c - 0.5 - (w - 1.0) / 2.0) return 0;
  if (value > c - 0.5 + (w - 1.0) / 2.0) return 255;
  const double y = ((value - (c - 0.5)) / (w - 1.0) + 0.5) * 255.0;
  return static_cast<std::uint8_t>(std::clamp(std::lround(y), 0L, 255L));
}

std::uint8_t screenGrey(double value, const WindowLevel& wl, const ImageVolume& volume) {
  if (volume.isPadding(value)) return 0;
  const std::uint8_t grey = displayGrey(value, wl);
  return volume.dicom.displayInverted ? static_cast<std::uint8_t>(255 - grey) : grey;
}

namespace {

char directionLetter(const Vec3& axis) {
  int dominant = 0;
  for (int a = 1; a < 3; ++a)
    if (std::abs(axis[a]) > std::abs(axis[dominant])) dominant = a;
  static const char kPositive[] = {'L', 'P', 'S'};
  static const char kNegative[] = {'R', 'A', 'I'};
  return axis[dominant] >= 0 ? kPositive[dominant] : kNegative[dominant];
}

// Text anchored at a fraction (x, y) of the view, aligned as given.
vtkSmartPointer<vtkTextActor> makeText(double x, double y, int justification, int vertical) {
  auto text = vtkSmartPointer<vtkTextActor>::New();
  text->GetPositionCoordinate()->SetCoordinateSystemToNormalizedViewport();
  text->SetPosition(x, y);
  auto* property = text->GetTextProperty();
  property->SetJustification(justification);
  property->SetVerticalJustification(vertical);
  return text;
}

// An orientation letter (A, P, R, L, S, I) at the middle of an edge.
vtkSmartPointer<vtkTextActor> makeLabel(const char* letter, double x, double y, int justification,
                                        int vertical) {
  auto label = makeText(x, y, justification, vertical);
  label->SetInput(letter);
  auto* property = label->GetTextProperty();
  property->SetFontSize(16);
  property->SetColor(0.95, 0.8, 0.3);
  property->SetBold(true);
  return label;
}

// Patient/series text and the cursor readout in the view's corners.
vtkSmartPointer<vtkTextActor> makeCornerText(double x, double y, int justification, int vertical) {
  auto text = makeText(x, y, justification, vertical);
  auto* property = text->GetTextProperty();
  property->SetFontSize(14);
  property->SetColor(0.85, 0.85, 0.85);
  property->SetShadow(true);
  return text;
}

}  // namespace

SliceView::SliceView(SliceOrientation orientation) : orientation_(orientation) {
  renderer_ = vtkSmartPointer<vtkRenderer>::New();
  renderer_->SetBackground(0.0, 0.0, 0.0);
  renderer_->GetActiveCamera()->ParallelProjectionOn();
  // Whoever renders (a Qt viewport, an offscreen window in a test), the slice is fresh.
  auto beforeRender = vtkSmartPointer<vtkCallbackCommand>::New();
  beforeRender->SetClientData(this);
  beforeRender->SetCallback([](vtkObject*, unsigned long, void* view, void*) {
    static_cast<SliceView*>(view)->resampleIfNeeded();
    static_cast<SliceView*>(view)->layOutTexts();
    static_cast<SliceView*>(view)->updateNeedles();  // their width in pixels at this zoom
  });
  renderer_->AddObserver(vtkCommand::StartEvent, beforeRender);

  rgb_ = vtkSmartPointer<vtkImageData>::New();
  image_ = vtkSmartPointer<vtkImageActor>::New();
  image_->GetProperty()->SetInterpolationTypeToLinear();
  image_->SetInputData(rgb_);
  image_->SetVisibility(false);
  renderer_->AddActor(image_);

  crosshairLines_ = vtkSmartPointer<vtkPolyData>::New();
  auto mapper = vtkSmartPointer<vtkPolyDataMapper>::New();
  mapper->SetInputData(crosshairLines_);
  crosshairActor_ = vtkSmartPointer<vtkActor>::New();
  crosshairActor_->SetMapper(mapper);
  crosshairActor_->GetProperty()->SetColor(0.3, 0.8, 1.0);
  crosshairActor_->GetProperty()->SetOpacity(0.6);
  crosshairActor_->GetProperty()->SetLineWidth(1.0);
  crosshairActor_->SetVisibility(false);
  renderer_->AddActor(crosshairActor_);

  // The needles under the measurement markers (z 0.5 < 0.6), each in its own colour (cell
  // scalars as they are), unlit so the pixels are that colour: the emphasised ones (actor 0)
  // as bands, the others (actor 1) as lines (updateNeedles).
  for (std::size_t n = 0; n < needleActors_.size(); ++n) {
    needleLines_[n] = vtkSmartPointer<vtkPolyData>::New();
    auto needleMapper = vtkSmartPointer<vtkPolyDataMapper>::New();
    needleMapper->SetInputData(needleLines_[n]);
    needleMapper->SetScalarModeToUseCellData();
    needleMapper->SetColorModeToDirectScalars();
    needleActors_[n] = vtkSmartPointer<vtkActor>::New();
    needleActors_[n]->SetMapper(needleMapper);
    needleActors_[n]->GetProperty()->LightingOff();
    renderer_->AddActor(needleActors_[n]);
  }

  measurementLines_ = vtkSmartPointer<vtkPolyData>::New();
  auto measurementMapper = vtkSmartPointer<vtkPolyDataMapper>::New();
  measurementMapper->SetInputData(measurementLines_);
  measurementActor_ = vtkSmartPointer<vtkActor>::New();
  measurementActor_->SetMapper(measurementMapper);
  measurementActor_->GetProperty()->SetColor(1.0, 0.85, 0.2);
  measurementActor_->GetProperty()->SetLineWidth(2.0);
  renderer_->AddActor(measurementActor_);
  // The presenter's pointer (teaching sessions): a filled dot over the measurements.
  pointerDot_ = vtkSmartPointer<vtkPolyData>::New();
  auto pointerMapper = vtkSmartPointer<vtkPolyDataMapper>::New();
  pointerMapper->SetInputData(pointerDot_);
  pointerActor_ = vtkSmartPointer<vtkActor>::New();
  pointerActor_->SetMapper(pointerMapper);
  pointerActor_->GetProperty()->SetColor(1.0, 40.0 / 255.0, 40.0 / 255.0);
  pointerActor_->GetProperty()->LightingOff();
  pointerActor_->SetVisibility(false);
  renderer_->AddActor(pointerActor_);

  // Scalar-field overlay: a rainbow from blue (min) to red (max), the usual dose/temperature
  // wash in planning systems; isolines drawn in the same colours.
  fieldColours_ = vtkSmartPointer<vtkLookupTable>::New();
  fieldColours_->SetHueRange(0.667, 0.0);
  fieldColours_->SetNumberOfTableValues(256);
  fieldColours_->Build();
  fieldImage_ = vtkSmartPointer<vtkImageData>::New();
  isolines_ = vtkSmartPointer<vtkContourFilter>::New();
  isolines_->SetInputData(fieldImage_);
  auto isolineMapper = vtkSmartPointer<vtkPolyDataMapper>::New();
  isolineMapper->SetInputConnection(isolines_->GetOutputPort());
  isolineMapper->SetLookupTable(fieldColours_);
  isolineMapper->UseLookupTableScalarRangeOn();
  isolineActor_ = vtkSmartPointer<vtkActor>::New();
  isolineActor_->SetMapper(isolineMapper);
  isolineActor_->GetProperty()->SetLineWidth(2.0);
  isolineActor_->SetPosition(0, 0, 0.4);
  isolineActor_->SetVisibility(false);
  renderer_->AddActor(isolineActor_);
  legend_ = vtkSmartPointer<vtkScalarBarActor>::New();
  legend_->SetLookupTable(fieldColours_);
  legend_->SetNumberOfLabels(5);
  legend_->SetBarRatio(0.25);
  legend_->SetWidth(0.08);
  legend_->SetHeight(0.4);
  legend_->UnconstrainedFontSizeOn();  // fixed, readable sizes whatever the bar's size
  legend_->GetLabelTextProperty()->SetFontSize(12);
  legend_->GetLabelTextProperty()->SetItalic(false);
  legend_->GetLabelTextProperty()->SetShadow(true);
  // Three significant digits without a trailing point ("208", "84.4"; VTK's default
  // "%-#6.3g" writes "208.").
  legend_->SetLabelFormat("%.3g");
  legend_->SetPosition(0.86, 0.25);
  legend_->SetVisibility(false);
  renderer_->AddActor2D(legend_);
  // The legend's title is a text of its own, laid out in display pixels (layOutTexts): the
  // scalar bar centres its title over a bar a few pixels wide, so "temperature (degC)" ran off
  // the view's right edge.
  legendTitle_ = vtkSmartPointer<vtkTextActor>::New();
  legendTitle_->GetPositionCoordinate()->SetCoordinateSystemToDisplay();
  legendTitle_->GetTextProperty()->SetFontSize(13);
  legendTitle_->GetTextProperty()->SetShadow(true);
  legendTitle_->GetTextProperty()->SetJustification(VTK_TEXT_RIGHT);
  legendTitle_->GetTextProperty()->SetVerticalJustification(VTK_TEXT_BOTTOM);
  legendTitle_->SetVisibility(false);
  renderer_->AddActor2D(legendTitle_);

  // Plain text actors of a fixed size: vtkCornerAnnotation re-fits its font on every text
  // change, which cost ~15 ms a frame while scrolling (the slice position is in the text).
  cornerText_ = {makeCornerText(0.01, 0.99, VTK_TEXT_LEFT, VTK_TEXT_TOP),
                 makeCornerText(0.99, 0.99, VTK_TEXT_RIGHT, VTK_TEXT_TOP),
                 makeCornerText(0.01, 0.01, VTK_TEXT_LEFT, VTK_TEXT_BOTTOM)};
  for (auto& text : cornerText_) renderer_->AddActor2D(text);

  scaleBarLine_ = vtkSmartPointer<vtkPolyData>::New();
  auto scaleMapper = vtkSmartPointer<vtkPolyDataMapper2D>::New();
  scaleMapper->SetInputData(scaleBarLine_);
  scaleBar_ = vtkSmartPointer<vtkActor2D>::New();
  scaleBar_->SetMapper(scaleMapper);
  scaleBar_->GetProperty()->SetColor(0.85, 0.85, 0.85);
  scaleBar_->GetProperty()->SetLineWidth(2.0);
  scaleBar_->SetVisibility(false);
  renderer_->AddActor2D(scaleBar_);
  scaleBarLabel_ = vtkSmartPointer<vtkTextActor>::New();
  scaleBarLabel_->GetTextProperty()->SetFontSize(13);
  scaleBarLabel_->GetTextProperty()->SetColor(0.85, 0.85, 0.85);
  scaleBarLabel_->GetTextProperty()->SetJustificationToCentered();
  // Light text alone vanishes on a bright image (bone, contrast, a white radiograph): a dark,
  // half-transparent backing keeps it legible on any grey.
  scaleBarLabel_->GetTextProperty()->SetBackgroundColor(0.0, 0.0, 0.0);
  scaleBarLabel_->GetTextProperty()->SetBackgroundOpacity(0.6);
  scaleBarLabel_->GetTextProperty()->SetShadow(true);
  scaleBarLabel_->SetVisibility(false);
  renderer_->AddActor2D(scaleBarLabel_);

  Vec3 right, down;
  screenAxes(orientation, right, down);
  const char r[2] = {directionLetter(right), 0}, l[2] = {directionLetter(-right), 0};
  const char b[2] = {directionLetter(down), 0}, t[2] = {directionLetter(-down), 0};
  orientationLabels_ = {makeLabel(l, 0.01, 0.5, VTK_TEXT_LEFT, VTK_TEXT_CENTERED),
                        makeLabel(r, 0.99, 0.5, VTK_TEXT_RIGHT, VTK_TEXT_CENTERED),
                        makeLabel(t, 0.5, 0.99, VTK_TEXT_CENTERED, VTK_TEXT_TOP),
                        makeLabel(b, 0.5, 0.01, VTK_TEXT_CENTERED, VTK_TEXT_BOTTOM)};
  for (auto& label : orientationLabels_) {
    label->SetVisibility(false);  // until there is an image to orient
    renderer_->AddActor2D(label);
  }
}

SliceView::~SliceView() = default;

vtkRenderer* SliceView::renderer() const { return renderer_; }

void SliceView::setVolume(const ImageVolume* volume) {
  volume_ = volume;
  updateColourBars();
  image_->SetVisibility(volume != nullptr);
  crosshairActor_->SetVisibility(volume != nullptr);
  // A 2D image without a patient plane has no anatomical directions to letter.
  for (auto& label : orientationLabels_) label->SetVisibility(volume && !volume->planar2D);
  if (!volume) return;
  // Colours are not blended between pixels when zoomed in (a blend is a colour the image does
  // not have); grey values are.
  if (volume->pixelType() == PixelType::Rgb8) {
    image_->GetProperty()->SetInterpolationTypeToNearest();
  } else {
    image_->GetProperty()->SetInterpolationTypeToLinear();
  }
  const ImageGeometry& g = volume->geometry();
  // Start on the middle voxel itself, not between two slices (which would show their blend).
  crosshair_lps_ = g.indexToLps(Vec3(static_cast<double>((g.size[0] - 1) / 2),
                                     static_cast<double>((g.size[1] - 1) / 2),
                                     static_cast<double>((g.size[2] - 1) / 2)));
  plane_ = planeCovering(g, orientation_, crosshair_lps_);
  rgb_->SetDimensions(plane_.width, plane_.height, 1);
  rgb_->SetSpacing(plane_.spacing_mm, plane_.spacing_mm, 1.0);
  rgb_->SetOrigin(0, 0, 0);
  rgb_->AllocateScalars(VTK_UNSIGNED_CHAR, 3);
  resampleBeforeRender_ = true;
  resetCamera();
}

void SliceView::setCrosshair(const Vec3& p_lps) {
  crosshair_lps_ = p_lps;
  if (!volume_) return;
  const Vec3 n = plane_.normal();
  const double shift_mm = (p_lps - plane_.origin_lps).dot(n);
  if (std::abs(shift_mm) < 1e-6) {
    // The plane did not move (the crosshair slid within it): only the lines change. This
    // keeps scrolling in one view from re-sampling the other two.
    updateCrosshairLines();
    return;
  }
  plane_.origin_lps += shift_mm * n;
  resampleBeforeRender_ = true;
}

namespace {

// Moreland's cool-warm diverging map (Moreland K, "Diverging Color Maps for Scientific
// Visualization", ISVC 2009, LNCS 5876:92-103): blue (59, 76, 192), a neutral grey-white
// (221, 221, 221) at the centre, red (180, 4, 38); equal steps on each side read as equal.
// Linear in RGB between the three anchors (the paper's Msh interpolation differs by a few
// levels mid-way).
void buildCoolWarm(vtkLookupTable& table) {
  const double anchors[3][3] = {{59, 76, 192}, {221, 221, 221}, {180, 4, 38}};
  const int n = table.GetNumberOfTableValues();
  for (int i = 0; i < n; ++i) {
    const double t = 2.0 * i / (n - 1);  // 0..2
    const int from = t < 1.0 ? 0 : 1;
    const double f = t - from;
    double rgb[3];
    for (int c = 0; c < 3; ++c)
      rgb[c] = (anchors[from][c] * (1 - f) + anchors[from + 1][c] * f) / 255.0;
    table.SetTableValue(i, rgb[0], rgb[1], rgb[2], 1.0);
  }
}

}  // namespace

void SliceView::setScalarField(const ScalarField* field, const FieldDisplay& display) {
  field_ = field;
  if (display.diverging != fieldDisplay_.diverging) {
    if (display.diverging) {
      buildCoolWarm(*fieldColours_);
    } else {
      fieldColours_->SetHueRange(0.667, 0.0);
      fieldColours_->ForceBuild();
    }
  }
  fieldDisplay_ = display;
  fieldColours_->SetTableRange(display.min, std::max(display.max, display.min + 1e-9));
  isolineActor_->SetVisibility(field != nullptr && !display.isolevels.empty());
  legend_->SetVisibility(field != nullptr);
  legendTitle_->SetVisibility(field != nullptr);
  if (field) legendTitle_->SetInput((field->quantity + " (" + field->unit + ")").c_str());
  resampleBeforeRender_ = true;
}

Rgb SliceView::fieldColour(double value) const {
  double rgb[3];
  fieldColours_->GetColor(value, rgb);
  return {static_cast<std::uint8_t>(std::lround(rgb[0] * 255)),
          static_cast<std::uint8_t>(std::lround(rgb[1] * 255)),
          static_cast<std::uint8_t>(std::lround(rgb[2] * 255))};
}

void SliceView::blendField(unsigned char* out) {
  const int w = plane_.width, h = plane_.height;
  sampleField(*field_, plane_, std::numeric_limits<float>::quiet_NaN(), fieldSamples_);
  // The sampled field also feeds the isolines: a 2D image in this view's world frame.
  fieldImage_->SetDimensions(w, h, 1);
  fieldImage_->SetSpacing(plane_.spacing_mm, plane_.spacing_mm, 1.0);
  fieldImage_->SetOrigin(0, 0, 0);
  fieldImage_->AllocateScalars(VTK_FLOAT, 1);
  auto* iso = static_cast<float*>(fieldImage_->GetScalarPointer());
  const double alpha = std::clamp(fieldDisplay_.opacity, 0.0, 1.0);
  const double reach = std::max({std::abs(fieldDisplay_.min), std::abs(fieldDisplay_.max), 1e-9});
  for (int v = 0; v < h; ++v) {
    for (int u = 0; u < w; ++u) {
      const float value = fieldSamples_[static_cast<std::size_t>(v) * w + u];
      const std::size_t flipped =
          static_cast<std::size_t>(h - 1 - v) * w + u;  // VTK rows bottom-up
      // Outside the field's grid: below every isoline, so contours close at its edge.
      iso[flipped] = std::isnan(value) ? std::numeric_limits<float>::lowest() : value;
      if (std::isnan(value) || value < fieldDisplay_.min) continue;
      if (fieldDisplay_.diverging && std::abs(value) < fieldDisplay_.clearWithin) continue;
      const Rgb colour = fieldColour(value);
      // A signed field fades towards 0 (full strength from a quarter of its reach), so the
      // neutral middle of the map does not lay a grey plate over the image.
      const double a =
          fieldDisplay_.diverging ? alpha * std::min(1.0, std::abs(value) / (0.25 * reach)) : alpha;
      unsigned char* px = out + flipped * 3;
      px[0] = static_cast<unsigned char>(px[0] * (1 - a) + colour.r * a + 0.5);
      px[1] = static_cast<unsigned char>(px[1] * (1 - a) + colour.g * a + 0.5);
      px[2] = static_cast<unsigned char>(px[2] * (1 - a) + colour.b * a + 0.5);
    }
  }
  fieldImage_->Modified();
  isolines_->SetNumberOfContours(static_cast<int>(fieldDisplay_.isolevels.size()));
  for (std::size_t i = 0; i < fieldDisplay_.isolevels.size(); ++i)
    isolines_->SetValue(static_cast<int>(i), fieldDisplay_.isolevels[i]);
}

std::vector<std::pair<Vec3, Vec3>> SliceView::isolineSegments() const {
  std::vector<std::pair<Vec3, Vec3>> segments;
  if (!field_ || fieldDisplay_.isolevels.empty()) return segments;
  const_cast<SliceView*>(this)->resampleIfNeeded();  // the cache is not the view's state
  isolines_->Update();
  vtkPolyData* lines = isolines_->GetOutput();
  const double s = plane_.spacing_mm;
  auto toLps = [&](vtkIdType id) {
    double p[3];
    lines->GetPoint(id, p);
    return plane_.pixelToLps(p[0] / s, (plane_.height - 1) - p[1] / s);
  };
  for (vtkIdType c = 0; c < lines->GetNumberOfCells(); ++c) {
    vtkCell* cell = lines->GetCell(c);
    for (vtkIdType i = 0; i + 1 < cell->GetNumberOfPoints(); ++i)
      segments.emplace_back(toLps(cell->GetPointId(i)), toLps(cell->GetPointId(i + 1)));
  }
  return segments;
}

std::vector<SliceView::ShownLabelMap> shownLabelMaps(const std::vector<LabelMap>& labelMaps) {
  std::vector<SliceView::ShownLabelMap> shown;
  for (const LabelMap& labels : labelMaps) shown.push_back({&labels});
  return shown;
}

void SliceView::setLabelMaps(std::vector<ShownLabelMap> labelMaps) {
  std::erase_if(labelMaps, [](const ShownLabelMap& m) { return m.labels == nullptr; });
  labelMaps_ = std::move(labelMaps);
  resampleBeforeRender_ = true;
}

void SliceView::setLabelMap(const LabelMap* labels) {
  setLabelMaps(labels ? std::vector<ShownLabelMap>{{labels}} : std::vector<ShownLabelMap>{});
}

const LabelMap* SliceView::labelMap() const {
  return labelMaps_.empty() ? nullptr : labelMaps_.front().labels;
}

void SliceView::setLayerEdit(const LabelLayerEdit* stroke) {
  layerEdit_ = stroke;
  resampleBeforeRender_ = true;
}

void SliceView::setIntensityHighlight(std::optional<IntensityHighlight> highlight) {
  highlight_ = std::move(highlight);
  resampleBeforeRender_ = true;
}

void SliceView::setSegmentDisplay(double fillOpacity, bool outline) {
  fillOpacity_ = std::clamp(fillOpacity, 0.0, 1.0);
  outline_ = outline;
  resampleBeforeRender_ = true;
}

namespace {

// The preview's hatching: a stripe kStripeWidth pixels wide every kStripePeriod slice pixels
// along the diagonal, opaque enough to read on bright bone and dark lung alike.
constexpr int kStripePeriod = 6, kStripeWidth = 2;
constexpr double kStripeOpacity = 0.85;

void blendPixel(unsigned char* out, int w, int h, int u, int v, const Rgb& colour, double alpha) {
  unsigned char* px = out + (static_cast<std::size_t>(h - 1 - v) * w + u) * 3;
  px[0] = static_cast<unsigned char>(px[0] * (1 - alpha) + colour.r * alpha + 0.5);
  px[1] = static_cast<unsigned char>(px[1] * (1 - alpha) + colour.g * alpha + 0.5);
  px[2] = static_cast<unsigned char>(px[2] * (1 - alpha) + colour.b * alpha + 0.5);
}

// Whether pixel (u, v) of a w x h label image is on its label's outline: a 4-neighbour holds
// another label (or lies off the image).
template <class T>
bool onOutline(const std::vector<T>& samples, int w, int h, int u, int v) {
  const T value = samples[static_cast<std::size_t>(v) * w + u];
  auto differs = [&](int du, int dv) {
    const int uu = u + du, vv = v + dv;
    if (uu < 0 || vv < 0 || uu >= w || vv >= h) return true;
    return samples[static_cast<std::size_t>(vv) * w + uu] != value;
  };
  return differs(1, 0) || differs(-1, 0) || differs(0, 1) || differs(0, -1);
}

}  // namespace

void SliceView::sampleLayer(const LabelMap& labels, int layer,
                            std::vector<std::uint16_t>& samples) const {
  const auto& voxels = labels.layer(layer);
  if (!layerEdit_ || &voxels != &layerEdit_->originalLayer()) {
    sampleLabels(voxels, labels.geometry(), plane_, samples);
    return;
  }
  std::vector<const std::uint16_t*> slices(static_cast<std::size_t>(labels.geometry().size[2]));
  for (std::size_t k = 0; k < slices.size(); ++k)
    slices[k] = layerEdit_->slice(static_cast<std::int64_t>(k));
  sampleLabelSlices(slices, labels.geometry(), plane_, samples);
}

void SliceView::blendSegments(unsigned char* out) {
  for (const ShownLabelMap& shown : labelMaps_) blendLabelMap(shown, out);
  if (highlight_) blendHighlight(out);
}

void SliceView::blendLabelMap(const ShownLabelMap& shown, unsigned char* out) {
  const LabelMap& labels = *shown.labels;
  const int w = plane_.width, h = plane_.height;
  for (int layer = 0; layer < labels.layerCount(); ++layer) {
    // value -> segment index + 1 for this layer's visible segments (0: none)
    std::vector<std::size_t> segmentOf(65536, 0);
    bool any = false;
    for (std::size_t s = 0; s < labels.segments().size(); ++s) {
      const Segment& segment = labels.segments()[s];
      if (segment.layer == layer && segment.visible) {
        segmentOf[segment.value] = s + 1;
        any = true;
      }
    }
    if (!any) continue;
    sampleLayer(labels, layer, labelSamples_);
    for (int v = 0; v < h; ++v) {
      for (int u = 0; u < w; ++u) {
        const std::size_t s = segmentOf[labelSamples_[static_cast<std::size_t>(v) * w + u]];
        if (s == 0) continue;
        const Rgb colour = labels.segments()[s - 1].colour;
        const bool preview = shown.previewSegment && *shown.previewSegment == s - 1;
        const bool edge = (outline_ || preview) && onOutline(labelSamples_, w, h, u, v);
        double alpha = edge ? 1.0 : fillOpacity_;
        if (preview && !edge) {
          // Stripes fixed to the screen's diagonal (u + screen row), whatever the slice.
          const int diagonal = u + (h - 1 - v);
          alpha = diagonal % kStripePeriod < kStripeWidth ? kStripeOpacity : 0.0;
        }
        if (alpha > 0.0) blendPixel(out, w, h, u, v, colour, alpha);
      }
    }
  }
}

void SliceView::blendHighlight(unsigned char* out) {
  if (!volume_ || volume_->pixelType() == PixelType::Rgb8) return;
  sampleInRange(*volume_, plane_, highlight_->min, highlight_->max, inRange_);
  const int w = plane_.width, h = plane_.height;
  if (highlight_->except) {
    const auto [map, segment] = *highlight_->except;
    if (map < labelMaps_.size() && segment < labelMaps_[map].labels->segments().size()) {
      const LabelMap& labels = *labelMaps_[map].labels;
      const Segment& own = labels.segments()[segment];
      sampleLayer(labels, own.layer, labelSamples_);
      for (std::size_t p = 0; p < inRange_.size(); ++p)
        if (labelSamples_[p] == own.value) inRange_[p] = 0;
    }
  }
  for (int v = 0; v < h; ++v)
    for (int u = 0; u < w; ++u) {
      if (!inRange_[static_cast<std::size_t>(v) * w + u]) continue;
      const bool edge = outline_ && onOutline(inRange_, w, h, u, v);
      blendPixel(out, w, h, u, v, highlight_->colour, edge ? 1.0 : fillOpacity_);
    }
}

void SliceView::setMeasurements(const std::vector<Measurement>* measurements) {
  measurements_ = measurements;
  if (volume_) updateMeasurementOverlay();
}

void SliceView::setPendingPoints(const std::vector<Vec3>& points_lps, bool joined) {
  pendingPoints_ = points_lps;
  pendingJoined_ = joined;
  if (volume_) updateMeasurementOverlay();
}

void SliceView::setBrushOutline(const std::optional<Vec3>& centre_lps, double radius_mm) {
  brushCentre_lps_ = centre_lps;
  brushRadius_mm_ = radius_mm;
  if (volume_) updateMeasurementOverlay();
}

void SliceView::setLandmarks(std::vector<LandmarkMarker> markers) {
  landmarks_ = std::move(markers);
  if (volume_) updateMeasurementOverlay();
}

void SliceView::setNeedles(std::vector<Needle> needles) {
  needles_ = std::move(needles);
  if (volume_) updateNeedles();
}

void SliceView::updateNeedles() {
  // OpenGL core profiles (Mesa llvmpipe among them) draw lines 1 pixel wide whatever the line
  // width asks, so the emphasised needles are bands of kEmphasisedNeedleWidth_px screen pixels
  // (quads, their width in mm from the zoom: rebuilt before each render) and the others lines.
  const int* size = renderer_->GetSize();
  const double mmPerPixel =
      size[1] > 0 ? 2.0 * renderer_->GetActiveCamera()->GetParallelScale() / size[1] : 1.0;
  const double halfWidth_mm = 0.5 * kEmphasisedNeedleWidth_px * mmPerPixel;
  for (std::size_t n = 0; n < needleActors_.size(); ++n) {
    const bool emphasised = n == 0;
    auto points = vtkSmartPointer<vtkPoints>::New();
    auto cells = vtkSmartPointer<vtkCellArray>::New();
    auto colours = vtkSmartPointer<vtkUnsignedCharArray>::New();
    colours->SetNumberOfComponents(3);
    // The emphasised ones over the others where they cross.
    const double z = emphasised ? 0.55 : 0.5;
    for (const Needle& needle : needles_) {
      if (needle.emphasised != emphasised) continue;
      const Eigen::Vector2d a = lpsToWorld(needle.entry_lps), b = lpsToWorld(needle.tip_lps);
      if (emphasised) {
        const Eigen::Vector2d along = b - a;
        const Eigen::Vector2d side =
            along.norm() > 0.0 ? Eigen::Vector2d(-along.y(), along.x()).normalized() * halfWidth_mm
                               : Eigen::Vector2d(halfWidth_mm, 0.0);
        cells->InsertNextCell(4);
        for (const Eigen::Vector2d& corner :
             std::array<Eigen::Vector2d, 4>{a - side, b - side, b + side, a + side})
          cells->InsertCellPoint(points->InsertNextPoint(corner[0], corner[1], z));
      } else {
        const vtkIdType ends[2] = {points->InsertNextPoint(a[0], a[1], z),
                                   points->InsertNextPoint(b[0], b[1], z)};
        cells->InsertNextCell(2, ends);
      }
      const unsigned char rgb[3] = {needle.colour.r, needle.colour.g, needle.colour.b};
      colours->InsertNextTypedTuple(rgb);
    }
    needleLines_[n]->Initialize();
    needleLines_[n]->SetPoints(points);
    if (emphasised)
      needleLines_[n]->SetPolys(cells);
    else
      needleLines_[n]->SetLines(cells);
    needleLines_[n]->GetCellData()->SetScalars(colours);
    needleLines_[n]->Modified();
  }
}

void SliceView::setPresenterMarks(PresenterMarks marks) {
  presenterMarks_ = std::move(marks);
  if (volume_) updateMeasurementOverlay();
}

std::optional<std::size_t> SliceView::landmarkAt(double x_px, double y_px,
                                                 double tolerance_px) const {
  if (!volume_) return std::nullopt;
  double best = tolerance_px;
  std::optional<std::size_t> hit;
  for (std::size_t n = 0; n < landmarks_.size(); ++n) {
    if (!onSlice(landmarks_[n].p_lps)) continue;
    double x, y;
    lpsToDisplay(landmarks_[n].p_lps, x, y);
    const double distance = std::hypot(x - x_px, y - y_px);
    if (distance <= best) {
      best = distance;
      hit = n;
    }
  }
  return hit;
}

std::optional<std::pair<std::size_t, std::size_t>> SliceView::measurementPointAt(
    double x_px, double y_px, double tolerance_px) const {
  if (!measurements_ || !volume_) return std::nullopt;
  double best = tolerance_px;
  std::optional<std::pair<std::size_t, std::size_t>> hit;
  for (std::size_t m = 0; m < measurements_->size(); ++m) {
    const auto& points = (*measurements_)[m].points_lps;
    if (points.empty() || !onSlice(points.front())) continue;
    for (std::size_t p = 0; p < points.size(); ++p) {
      double x, y;
      lpsToDisplay(points[p], x, y);
      const double distance = std::hypot(x - x_px, y - y_px);
      if (distance <= best) {
        best = distance;
        hit = std::make_pair(m, p);
      }
    }
  }
  return hit;
}

bool SliceView::onSlice(const Vec3& p_lps) const {
  return std::abs((p_lps - plane_.origin_lps).dot(plane_.normal())) <= sliceStep_mm() / 2.0 + 1e-6;
}

Eigen::Vector2d SliceView::lpsToWorld(const Vec3& p_lps) const {
  const Vec3 d = p_lps - plane_.origin_lps;
  return {d.dot(plane_.right), (plane_.height - 1) * plane_.spacing_mm - d.dot(plane_.down)};
}

void SliceView::updateMeasurementOverlay() {
  updateNeedles();  // they follow the slice plane as the markers do
  auto points = vtkSmartPointer<vtkPoints>::New();
  auto lines = vtkSmartPointer<vtkCellArray>::New();
  auto addPolyline = [&](const std::vector<Eigen::Vector2d>& corners, bool closed) {
    const vtkIdType first = points->GetNumberOfPoints();
    for (const auto& c : corners) points->InsertNextPoint(c[0], c[1], 0.6);
    const std::size_t n = corners.size();
    for (std::size_t i = 0; i + 1 < n + (closed ? 1 : 0); ++i) {
      const vtkIdType segment[2] = {first + static_cast<vtkIdType>(i),
                                    first + static_cast<vtkIdType>((i + 1) % n)};
      lines->InsertNextCell(2, segment);
    }
  };
  const double tick = 2.0 * plane_.spacing_mm + 1.5;  // marker size (mm)
  auto addCross = [&](const Eigen::Vector2d& c) {
    addPolyline({c - Eigen::Vector2d(tick, 0), c + Eigen::Vector2d(tick, 0)}, false);
    addPolyline({c - Eigen::Vector2d(0, tick), c + Eigen::Vector2d(0, tick)}, false);
  };
  std::size_t labelCount = 0;
  auto addLabel = [&](const Eigen::Vector2d& at, const std::string& text) {
    if (labelCount == measurementLabels_.size()) {
      auto label = vtkSmartPointer<vtkTextActor>::New();
      // Placed in display pixels before each render (layOutTexts), inside the view.
      label->GetPositionCoordinate()->SetCoordinateSystemToDisplay();
      label->GetTextProperty()->SetFontSize(14);
      label->GetTextProperty()->SetColor(1.0, 0.9, 0.4);
      label->GetTextProperty()->SetShadow(true);
      renderer_->AddActor2D(label);
      measurementLabels_.push_back(label);
    }
    auto& label = measurementLabels_[labelCount];
    label->SetInput(text.c_str());
    label->SetVisibility(true);
    labelAnchors_.resize(labelCount + 1);
    labelAnchors_[labelCount++] = at + Eigen::Vector2d(tick, tick);
  };
  if (measurements_) {
    for (const Measurement& m : *measurements_) {
      if (m.points_lps.empty() || !onSlice(m.points_lps.front())) continue;
      std::vector<Eigen::Vector2d> at;
      for (const Vec3& p : m.points_lps) at.push_back(lpsToWorld(p));
      switch (m.kind) {
        case Measurement::Kind::Point:
          addCross(at[0]);
          break;
        case Measurement::Kind::Ruler:
        case Measurement::Kind::Angle:
          addPolyline(at, false);
          break;
        case Measurement::Kind::RoiBox: {
          const Eigen::Vector2d lo = at[0].cwiseMin(at[1]), hi = at[0].cwiseMax(at[1]);
          addPolyline({lo, {hi[0], lo[1]}, hi, {lo[0], hi[1]}}, true);
          break;
        }
        case Measurement::Kind::RoiEllipsoid: {
          const Eigen::Vector2d centre = (at[0] + at[1]) / 2, half = (at[1] - at[0]).cwiseAbs() / 2;
          std::vector<Eigen::Vector2d> ring;
          for (int i = 0; i < 72; ++i) {
            const double t = i * 2.0 * M_PI / 72;
            ring.emplace_back(centre[0] + half[0] * std::cos(t), centre[1] + half[1] * std::sin(t));
          }
          addPolyline(ring, true);
          break;
        }
      }
      std::string text;
      try {
        text = describe(m, volume_);
      } catch (const std::exception&) {
        text = m.name;  // e.g. an ROI that lies outside this volume
      }
      addLabel(at.back(), text);
    }
  }
  std::vector<Eigen::Vector2d> pending;
  for (const Vec3& p : pendingPoints_) pending.push_back(lpsToWorld(p));
  for (const auto& p : pending) addCross(p);
  // A landmark is a ring (not a cross, which marks measurements) with its pair's number.
  for (const LandmarkMarker& marker : landmarks_) {
    if (!onSlice(marker.p_lps)) continue;
    const Eigen::Vector2d centre = lpsToWorld(marker.p_lps);
    std::vector<Eigen::Vector2d> ring;
    for (int i = 0; i < 24; ++i) {
      const double t = i * 2.0 * M_PI / 24;
      ring.emplace_back(centre[0] + tick * std::cos(t), centre[1] + tick * std::sin(t));
    }
    addPolyline(ring, true);
    // A small cross inside marks the exact point.
    const double arm = tick / 3.0;
    addPolyline({centre - Eigen::Vector2d(arm, 0), centre + Eigen::Vector2d(arm, 0)}, false);
    addPolyline({centre - Eigen::Vector2d(0, arm), centre + Eigen::Vector2d(0, arm)}, false);
    addLabel(centre, marker.label);
  }
  // The presenter's annotations: a diamond (not a measurement's cross or a landmark's ring).
  for (const LandmarkMarker& note : presenterMarks_.annotations) {
    if (!onSlice(note.p_lps)) continue;
    const Eigen::Vector2d c = lpsToWorld(note.p_lps);
    addPolyline({c + Eigen::Vector2d(tick, 0), c + Eigen::Vector2d(0, tick),
                 c - Eigen::Vector2d(tick, 0), c - Eigen::Vector2d(0, tick)},
                true);
    if (!note.label.empty()) addLabel(c, note.label);
  }
  updatePointerDot(tick);
  if (pendingJoined_ && pending.size() >= 2) addPolyline(pending, false);
  if (brushCentre_lps_ && brushRadius_mm_ > 0.0) {
    // World units are mm in the slice plane, so the circle is the brush's true size.
    const Eigen::Vector2d centre = lpsToWorld(*brushCentre_lps_);
    std::vector<Eigen::Vector2d> ring;
    for (int i = 0; i < 72; ++i) {
      const double t = i * 2.0 * M_PI / 72;
      ring.push_back(centre + brushRadius_mm_ * Eigen::Vector2d(std::cos(t), std::sin(t)));
    }
    addPolyline(ring, true);
  }
  for (std::size_t i = labelCount; i < measurementLabels_.size(); ++i)
    measurementLabels_[i]->SetVisibility(false);
  measurementLines_->SetPoints(points);
  measurementLines_->SetLines(lines);
  measurementLines_->Modified();
}

// The presenter's pointer as a filled disc of `radius_mm` (the markers' size) on this slice.
void SliceView::updatePointerDot(double radius_mm) {
  const auto& pointer = presenterMarks_.pointer_lps;
  const bool shown = pointer && onSlice(*pointer);
  pointerActor_->SetVisibility(shown);
  if (!shown) return;
  const Eigen::Vector2d centre = lpsToWorld(*pointer);
  auto points = vtkSmartPointer<vtkPoints>::New();
  auto disc = vtkSmartPointer<vtkCellArray>::New();
  constexpr int kSides = 24;
  disc->InsertNextCell(kSides);
  for (int i = 0; i < kSides; ++i) {
    const double t = i * 2.0 * M_PI / kSides;
    disc->InsertCellPoint(points->InsertNextPoint(centre[0] + radius_mm * std::cos(t),
                                                  centre[1] + radius_mm * std::sin(t), 0.7));
  }
  pointerDot_->SetPoints(points);
  pointerDot_->SetPolys(disc);
  pointerDot_->Modified();
}

void SliceView::setWindowLevel(const WindowLevel& wl) {
  windowLevel_ = wl;
  resampleBeforeRender_ = true;
  if (backgroundColourMap_ != ColourMap::Grey) updateColourBars();
}

double SliceView::sliceStep_mm() const {
  if (!volume_) return 1.0;
  // The grid's spacing along the view normal: the distance between acquired slices when the
  // view is parallel to them.
  const ImageGeometry& g = volume_->geometry();
  const Vec3 n = plane_.normal();
  double step = 0.0;
  for (int a = 0; a < 3; ++a)
    step = std::max(step, std::abs(g.direction.col(a).dot(n)) * g.spacing_mm[a]);
  return std::max(step, 0.1);
}

std::pair<double, double> SliceView::sliceRange_mm() const {
  if (!volume_) return {0.0, 0.0};
  double lo, hi;
  extentAlong(volume_->geometry(), plane_.normal(), lo, hi);
  return {lo, hi};
}

double SliceView::slicePosition_mm() const { return plane_.origin_lps.dot(plane_.normal()); }

void SliceView::scrollSlices(int steps) {
  if (!volume_) return;
  double lo, hi;
  const Vec3 n = plane_.normal();
  extentAlong(volume_->geometry(), n, lo, hi);
  const double target = std::clamp(slicePosition_mm() + steps * sliceStep_mm(), lo, hi);
  setCrosshair(crosshair_lps_ + (target - crosshair_lps_.dot(n)) * n);
}

void SliceView::resampleIfNeeded() {
  if (!resampleBeforeRender_ || !volume_) return;
  resampleBeforeRender_ = false;
  resample();
}

void SliceView::resample() {
  auto* out = static_cast<unsigned char*>(rgb_->GetScalarPointer());
  if (volume_->pixelType() == PixelType::Rgb8) {
    sampleColours();
  } else if (backgroundNeedsComposition()) {
    composeBackground(out);  // slab or colour map (slice_fusion.cpp)
  } else {
    sampleGreys();
  }
  if (foreground_.volume) blendForeground(out);
  if (!labelMaps_.empty() || highlight_) blendSegments(out);
  if (field_) blendField(out);
  rgb_->Modified();
  updateCrosshairLines();
  updateMeasurementOverlay();
}

// Colour images are shown as they are: window/level is a greyscale mapping (PS3.3 C.11.2
// applies to MONOCHROME images only).
void SliceView::sampleColours() {
  std::vector<RgbColour> colours;
  sampleColourSlice(*volume_, plane_, RgbColour{}, colours);
  auto* out = static_cast<unsigned char*>(rgb_->GetScalarPointer());
  const int w = plane_.width, h = plane_.height;
  for (int v = 0; v < h; ++v) {
    const RgbColour* in = colours.data() + static_cast<std::size_t>(v) * w;
    std::memcpy(out + static_cast<std::size_t>(h - 1 - v) * w * 3, in,
                3 * static_cast<std::size_t>(w));
  }
}

void SliceView::sampleGreys() {
  sampleSlice(*volume_, plane_, -32768.0f, samples_);
  auto* out = static_cast<unsigned char*>(rgb_->GetScalarPointer());
  const int w = plane_.width, h = plane_.height;
  for (int v = 0; v < h; ++v) {
    const float* in = samples_.data() + static_cast<std::size_t>(v) * w;
    unsigned char* row = out + static_cast<std::size_t>(h - 1 - v) * w * 3;  // VTK rows bottom-up
    for (int u = 0; u < w; ++u) {
      const std::uint8_t grey = in[u] <= -32768.0f ? 0 : screenGrey(in[u], windowLevel_, *volume_);
      row[3 * u] = row[3 * u + 1] = row[3 * u + 2] = grey;
    }
  }
}

void SliceView::updateCrosshairLines() {
  const double s = plane_.spacing_mm;
  const Vec3 d = crosshair_lps_ - plane_.origin_lps;
  const double x = d.dot(plane_.right);
  const double y = (plane_.height - 1) * s - d.dot(plane_.down);
  const double xMax = (plane_.width - 1) * s, yMax = (plane_.height - 1) * s;
  auto points = vtkSmartPointer<vtkPoints>::New();
  points->InsertNextPoint(0, y, 0.5);
  points->InsertNextPoint(xMax, y, 0.5);
  points->InsertNextPoint(x, 0, 0.5);
  points->InsertNextPoint(x, yMax, 0.5);
  auto lines = vtkSmartPointer<vtkCellArray>::New();
  const vtkIdType a[2] = {0, 1}, b[2] = {2, 3};
  lines->InsertNextCell(2, a);
  lines->InsertNextCell(2, b);
  crosshairLines_->SetPoints(points);
  crosshairLines_->SetLines(lines);
  crosshairLines_->Modified();
}

void SliceView::resetCamera() {
  if (!volume_) return;
  const double s = plane_.spacing_mm;
  const double cx = (plane_.width - 1) * s / 2.0, cy = (plane_.height - 1) * s / 2.0;
  vtkCamera* camera = renderer_->GetActiveCamera();
  camera->SetFocalPoint(cx, cy, 0.0);
  camera->SetPosition(cx, cy, 1000.0);
  camera->SetViewUp(0, 1, 0);
  const int* size = renderer_->GetSize();
  const double aspect = (size[0] > 0 && size[1] > 0) ? double(size[0]) / size[1] : 1.0;
  const double halfHeight = plane_.height * s / 2.0, halfWidth = plane_.width * s / 2.0;
  camera->SetParallelScale(std::max(halfHeight, halfWidth / aspect) * 1.02);
  renderer_->ResetCameraClippingRange();
}

void SliceView::zoom(double factor) {
  vtkCamera* camera = renderer_->GetActiveCamera();
  camera->SetParallelScale(camera->GetParallelScale() / std::max(factor, 1e-3));
}

void SliceView::pan(double dx_px, double dy_px, int viewportHeight_px) {
  vtkCamera* camera = renderer_->GetActiveCamera();
  const double mmPerPixel = 2.0 * camera->GetParallelScale() / std::max(viewportHeight_px, 1);
  double f[3], p[3];
  camera->GetFocalPoint(f);
  camera->GetPosition(p);
  f[0] -= dx_px * mmPerPixel;
  p[0] -= dx_px * mmPerPixel;
  f[1] += dy_px * mmPerPixel;
  p[1] += dy_px * mmPerPixel;
  camera->SetFocalPoint(f);
  camera->SetPosition(p);
}

bool SliceView::displayToLps(int x_px, int y_px, Vec3& p_lps) const {
  if (!volume_) return false;
  renderer_->SetDisplayPoint(x_px, y_px, 0.0);
  renderer_->DisplayToWorld();
  double world[4];
  renderer_->GetWorldPoint(world);
  if (world[3] != 0.0)
    for (int a = 0; a < 3; ++a) world[a] /= world[3];
  const double s = plane_.spacing_mm;
  const double u = world[0] / s, v = (plane_.height - 1) - world[1] / s;
  p_lps = plane_.pixelToLps(u, v);
  return u >= -0.5 && v >= -0.5 && u <= plane_.width - 0.5 && v <= plane_.height - 0.5;
}

void SliceView::lpsToDisplay(const Vec3& p_lps, double& x_px, double& y_px) const {
  const double s = plane_.spacing_mm;
  const Vec3 d = p_lps - plane_.origin_lps;
  renderer_->SetWorldPoint(d.dot(plane_.right), (plane_.height - 1) * s - d.dot(plane_.down), 0.0,
                           1.0);
  renderer_->WorldToDisplay();
  double display[3];
  renderer_->GetDisplayPoint(display);
  x_px = display[0];
  y_px = display[1];
}

void SliceView::setOverlayText(const std::string& topLeft, const std::string& topRight) {
  cornerText_[0]->SetInput(topLeft.c_str());
  cornerText_[1]->SetInput(topRight.c_str());
}

void SliceView::updateScaleBar() {
  const int* size = renderer_->GetSize();
  const bool show = volume_ && size[0] > 60 && size[1] > 60;
  scaleBar_->SetVisibility(show);
  scaleBarLabel_->SetVisibility(show);
  if (!show) return;
  const double mmPerPixel = 2.0 * renderer_->GetActiveCamera()->GetParallelScale() / size[1];
  // The longest 1-2-5 step that fits in a fifth of the view's width.
  const double limit_mm = size[0] / 5.0 * mmPerPixel;
  double length = std::pow(10.0, std::floor(std::log10(limit_mm)));
  for (double factor : {5.0, 2.0})
    if (length * factor <= limit_mm) {
      length *= factor;
      break;
    }
  scaleBarLength_mm_ = length;
  const double pixels = length / mmPerPixel;
  const double right = size[0] - 40.0, bottom = 28.0, tick = 5.0;
  auto points = vtkSmartPointer<vtkPoints>::New();
  points->InsertNextPoint(right - pixels, bottom + tick, 0);
  points->InsertNextPoint(right - pixels, bottom, 0);
  points->InsertNextPoint(right, bottom, 0);
  points->InsertNextPoint(right, bottom + tick, 0);
  auto lines = vtkSmartPointer<vtkCellArray>::New();
  const vtkIdType polyline[4] = {0, 1, 2, 3};
  lines->InsertNextCell(4, polyline);
  scaleBarLine_->SetPoints(points);
  scaleBarLine_->SetLines(lines);
  scaleBarLine_->Modified();
  char text[32];
  std::snprintf(text, sizeof text, length >= 10 ? "%.0f mm" : "%.2g mm", length);
  scaleBarLabel_->SetInput(text);
  scaleBarLabel_->SetPosition(right - pixels / 2.0, bottom + 4.0);
}

void SliceView::setReadout(const std::string& text) { cornerText_[2]->SetInput(text.c_str()); }

namespace {

constexpr double kTextMargin_px = 4.0;
constexpr double kLetterClearance_px = 14.0;

// A text's box in display pixels. VTK 9.1 gives vtkTextActor's box relative to its anchor
// (with the justification applied): add where the anchor is.
std::array<double, 4> boxOf(vtkTextActor* text, vtkRenderer* renderer) {
  std::array<double, 4> box{};
  text->GetBoundingBox(renderer, box.data());
  const double* anchor = text->GetPositionCoordinate()->GetComputedDoubleDisplayValue(renderer);
  box[0] += anchor[0];
  box[1] += anchor[0];
  box[2] += anchor[1];
  box[3] += anchor[1];
  return box;
}

// The image's box in display pixels (xMin, xMax, yMin, yMax); empty when no image is shown.
std::optional<std::array<double, 4>> imageBox(vtkImageActor* image, vtkRenderer* renderer) {
  if (!image->GetVisibility()) return std::nullopt;
  const double* b = image->GetBounds();
  std::array<double, 4> box{1e300, -1e300, 1e300, -1e300};
  for (const double x : {b[0], b[1]})
    for (const double y : {b[2], b[3]}) {
      renderer->SetWorldPoint(x, y, b[4], 1.0);
      renderer->WorldToDisplay();
      double at[3];
      renderer->GetDisplayPoint(at);
      box = {std::min(box[0], at[0]), std::max(box[1], at[0]), std::min(box[2], at[1]),
             std::max(box[3], at[1])};
    }
  return box;
}

// The field legend's tick labels stand at a fixed font size to the right of its bar, and VTK
// does not keep them inside the actor's box: a box at a fixed fraction of a narrow view cut
// "0.516" to "0.51" at the view's edge. The box is sized in pixels from its widest label and
// set against the view's right margin.
void fitLegendInView(vtkScalarBarActor* legend, vtkRenderer* renderer, double width) {
  constexpr double kBar_px = 10.0, kLabelGap_px = 6.0;
  const double* range = legend->GetLookupTable()->GetRange();
  const int labels = std::max(2, legend->GetNumberOfLabels());
  const int dpi = renderer->GetRenderWindow() ? renderer->GetRenderWindow()->GetDPI() : 72;
  double widest = 0.0;
  for (int i = 0; i < labels; ++i) {
    char text[64];
    const double value = range[0] + (range[1] - range[0]) * i / (labels - 1);
    std::snprintf(text, sizeof text, legend->GetLabelFormat(), value);
    int bbox[4] = {0, 0, 0, 0};
    vtkTextRenderer::GetInstance()->GetBoundingBox(legend->GetLabelTextProperty(), text, bbox, dpi);
    widest = std::max(widest, double(bbox[1] - bbox[0] + 1));
  }
  const double box = kBar_px + kLabelGap_px + widest;
  legend->SetWidth(box / width);
  legend->SetBarRatio(kBar_px / box);
  legend->SetPosition((width - kTextMargin_px - box) / width, legend->GetPosition()[1]);
}

// A one-line title ("displacement (mm)") reaching over the image hides anatomy and is hard to
// read on it: then the unit goes on a second line, which keeps the title in the margin beside
// a fitted image. An image filling the view (zoomed in) leaves no margin; the title stays.
void fitLegendTitleBesideImage(vtkTextActor* legendTitle, vtkImageActor* image,
                               vtkRenderer* renderer) {
  std::string title = legendTitle->GetInput() ? legendTitle->GetInput() : "";
  std::replace(title.begin(), title.end(), '\n', ' ');
  legendTitle->SetInput(title.c_str());
  const auto shown = imageBox(image, renderer);
  if (!shown) return;
  const auto box = boxOf(legendTitle, renderer);
  const bool overImage =
      box[0] < (*shown)[1] && box[1] > (*shown)[0] && box[2] < (*shown)[3] && box[3] > (*shown)[2];
  const auto unit = title.rfind(" (");
  if (!overImage || unit == std::string::npos) return;
  title[unit] = '\n';
  legendTitle->SetInput(title.c_str());
}

}  // namespace

void SliceView::layOutTexts() {
  const int* size = renderer_->GetSize();
  if (size[0] <= 0 || size[1] <= 0) return;
  const double width = size[0], height = size[1];
  // A measurement's label sits beside its last point; near an edge (or zoomed in) it would be
  // cut off, so it is moved just inside the view.
  for (std::size_t i = 0; i < measurementLabels_.size() && i < labelAnchors_.size(); ++i) {
    vtkTextActor* label = measurementLabels_[i];
    if (!label->GetVisibility()) continue;
    renderer_->SetWorldPoint(labelAnchors_[i][0], labelAnchors_[i][1], 0.6, 1.0);
    renderer_->WorldToDisplay();
    double at[3];
    renderer_->GetDisplayPoint(at);
    label->SetPosition(at[0], at[1]);
    const auto box = boxOf(label, renderer_);
    auto shift = [](double lo, double hi, double limit) {
      if (hi > limit - kTextMargin_px) return limit - kTextMargin_px - hi;
      if (lo < kTextMargin_px) return kTextMargin_px - lo;
      return 0.0;
    };
    // Left and bottom win when a label is larger than the view.
    double dx = shift(box[0], box[1], width), dy = shift(box[2], box[3], height);
    if (box[0] + dx < kTextMargin_px) dx = kTextMargin_px - box[0];
    if (box[2] + dy < kTextMargin_px) dy = kTextMargin_px - box[2];
    label->SetPosition(at[0] + dx, at[1] + dy);
  }
  // The field legend's title: right-aligned just above its bar, inside the view's right edge.
  if (legend_->GetVisibility()) fitLegendInView(legend_, renderer_, width);
  if (legendTitle_->GetVisibility()) {
    // The top tick label is centred on the bar's top end: half of it stands above the bar, and
    // the title goes above that half, or the unit touched the label ("(Gy)" on "2").
    const double barTop = (legend_->GetPosition()[1] + legend_->GetHeight()) * height;
    const int dpi = renderer_->GetRenderWindow() ? renderer_->GetRenderWindow()->GetDPI() : 72;
    int label[4] = {0, 0, 0, 0};
    vtkTextRenderer::GetInstance()->GetBoundingBox(legend_->GetLabelTextProperty(), "0", label, dpi);
    const double labelHalf_px = 0.5 * double(label[3] - label[2] + 1);
    legendTitle_->SetPosition(width - kTextMargin_px, barTop + labelHalf_px + kTextMargin_px);
    fitLegendTitleBesideImage(legendTitle_, image_, renderer_);
  }
  // The top orientation letter is centred; in a narrow view (the small views of 1+3) a corner
  // text reaches the centre. The letter then slides sideways into the free gap between the
  // corner texts on the top line, and only when there is none moves down below them (over the
  // image, where it is harder to read).
  vtkTextActor* top = orientationLabels_[2];
  top->GetPositionCoordinate()->SetCoordinateSystemToDisplay();
  top->SetPosition(width / 2.0, height - 0.01 * height);
  if (!top->GetVisibility()) return;
  const auto letter = boxOf(top, renderer_);
  const double halfLetter = (letter[1] - letter[0]) / 2.0;
  // Closer than about a letter's width, the letter reads as part of the text ("S coronal").
  double gapLeft = 0.0, gapRight = width, below = letter[3];
  for (int corner = 0; corner < 2; ++corner) {
    vtkTextActor* text = cornerText_[corner];
    const char* input = text->GetInput();
    if (!text->GetVisibility() || !input || !*input) continue;
    const auto box = boxOf(text, renderer_);
    if (corner == 0) gapLeft = std::max(gapLeft, box[1] + kLetterClearance_px);
    if (corner == 1) gapRight = std::min(gapRight, box[0] - kLetterClearance_px);
    below = std::min(below, box[2] - kTextMargin_px);
  }
  const double centre = width / 2.0;
  if (gapRight - gapLeft >= 2.0 * halfLetter) {
    top->SetPosition(std::clamp(centre, gapLeft + halfLetter, gapRight - halfLetter), letter[3]);
  } else {
    top->SetPosition(centre, below);
  }
}

std::vector<SliceView::TextBox> SliceView::textBoxes() const {
  std::vector<TextBox> boxes;
  auto add = [&](const char* role, vtkTextActor* text) {
    const char* input = text->GetInput();
    if (!text->GetVisibility() || !input || !*input) return;
    const auto box = boxOf(text, renderer_);
    boxes.push_back({role, input, box[0], box[1], box[2], box[3]});
  };
  const char* corners[] = {"topLeft", "topRight", "bottomLeft"};
  for (int c = 0; c < 3; ++c) add(corners[c], cornerText_[c]);
  for (const auto& label : orientationLabels_) add("orientation", label);
  for (const auto& label : measurementLabels_) add("measurement", label);
  add("scaleBar", scaleBarLabel_);
  add("colourBarTitle", legendTitle_);
  // The title reads as one line whether or not its unit was moved to a second one.
  if (!boxes.empty() && boxes.back().role == "colourBarTitle")
    std::replace(boxes.back().text.begin(), boxes.back().text.end(), '\n', ' ');
  return boxes;
}

}  // namespace twinplan::rendering
