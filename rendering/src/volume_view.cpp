#include "twinplan/rendering/volume_view.h"

#include <vtkActor.h>
#include <vtkAnnotatedCubeActor.h>
#include <vtkCallbackCommand.h>
#include <vtkCamera.h>
#include <vtkCellArray.h>
#include <vtkCellData.h>
#include <vtkColorTransferFunction.h>
#include <vtkCommand.h>
#include <vtkGPUVolumeRayCastMapper.h>
#include <vtkImageData.h>
#include <vtkImageShrink3D.h>
#include <vtkMapper.h>
#include <vtkMath.h>
#include <vtkMatrix4x4.h>
#include <vtkNew.h>
#include <vtkPiecewiseFunction.h>
#include <vtkPlane.h>
#include <vtkPlaneCollection.h>
#include <vtkPoints.h>
#include <vtkPolyData.h>
#include <vtkPolyDataMapper.h>
#include <vtkProperty.h>
#include <vtkRenderWindow.h>
#include <vtkRenderer.h>
#include <vtkTextActor.h>
#include <vtkTextProperty.h>
#include <vtkUnsignedCharArray.h>
#include <vtkVolume.h>
#include <vtkVolumeProperty.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <optional>

#include "twinplan/core/error.h"
#include "twinplan/core/vtk_view.h"
#include "twinplan/rendering/colour_maps.h"
#include "twinplan/rendering/mesh_actor.h"

namespace twinplan::rendering {

const char* toString(VolumePreset preset) {
  switch (preset) {
    case VolumePreset::CtBone:
      return "CT bone";
    case VolumePreset::CtSoftTissue:
      return "CT soft tissue";
    case VolumePreset::CtAngio:
      return "CT angio / vessels";
    case VolumePreset::Mr:
      return "MR";
    case VolumePreset::PetMipInvertedGrey:
      return "PET MIP (inverted grey)";
    case VolumePreset::PetMipHotIron:
      return "PET MIP (hot iron)";
  }
  return "unknown";
}

std::vector<VolumePreset> allVolumePresets() {
  return {VolumePreset::CtBone, VolumePreset::CtSoftTissue,       VolumePreset::CtAngio,
          VolumePreset::Mr,     VolumePreset::PetMipInvertedGrey, VolumePreset::PetMipHotIron};
}

VolumePreset defaultPresetFor(const ImageVolume& volume) {
  if (volume.dicom.modality == "PT") return VolumePreset::PetMipInvertedGrey;
  if (volume.dicom.modality == "MR") return VolumePreset::Mr;
  return VolumePreset::CtBone;
}

const char* toString(VolumeRenderMode mode) {
  return mode == VolumeRenderMode::Mip ? "mip" : "composite";
}

namespace {

struct Point {
  double value, r, g, b, opacity;
};

// Transfer functions in HU, in the spirit of the common CT presets (e.g. 3D Slicer's
// "CT-Bone", "CT-Soft-Tissue", "CT-Coronary-Arteries"): bone from ~+200 HU, soft tissue
// -100..+300 HU faint, contrast vessels +150..+400 HU. MR intensities have no absolute
// scale: its ramp is placed on the volume's robust range [lo, hi].
std::vector<Point> presetPoints(VolumePreset preset, double lo, double hi) {
  switch (preset) {
    case VolumePreset::CtBone:
      return {{-1000, 0, 0, 0, 0},
              {150, 0.55, 0.25, 0.15, 0},
              {300, 0.9, 0.75, 0.55, 0.3},
              {1000, 1.0, 0.95, 0.9, 0.8},
              {3000, 1, 1, 1, 0.9}};
    case VolumePreset::CtSoftTissue:
      return {{-1000, 0, 0, 0, 0},         {-150, 0.6, 0.4, 0.3, 0}, {20, 0.85, 0.45, 0.35, 0.08},
              {120, 0.95, 0.7, 0.6, 0.25}, {400, 1, 0.95, 0.9, 0.6}, {3000, 1, 1, 1, 0.8}};
    case VolumePreset::CtAngio:
      return {{-1000, 0, 0, 0, 0},
              {120, 0.6, 0.1, 0.1, 0},
              {200, 0.9, 0.25, 0.2, 0.45},
              {400, 1, 0.8, 0.7, 0.7},
              {3000, 1, 1, 1, 0.85}};
    case VolumePreset::PetMipInvertedGrey:
    case VolumePreset::PetMipHotIron:
      return {};  // colour-map presets: petTransferFunctions
    case VolumePreset::Mr: {
      const double span = std::max(hi - lo, 1e-6);
      return {{lo, 0, 0, 0, 0},
              {lo + 0.15 * span, 0.5, 0.4, 0.35, 0},
              {lo + 0.4 * span, 0.85, 0.75, 0.65, 0.2},
              {hi, 1, 1, 1, 0.6}};
    }
  }
  return {};
}

// The 1st and 99.5th percentiles of about 200k voxels: MR volumes often hold a few very
// bright voxels (vessels, fat, artefacts) that would squeeze the whole ramp into the dark.
void robustRange(const ImageVolume& volume, double& lo, double& hi, int loPerMille = 10,
                 int hiPerMille = 995) {
  const ImageGeometry& g = volume.geometry();
  const std::size_t n = volume.voxelCount();
  const std::size_t step = std::max<std::size_t>(1, n / 200000);
  std::vector<double> values;
  values.reserve(n / step + 1);
  for (std::size_t index = 0; index < n; index += step) {
    const auto i = static_cast<std::int64_t>(index % static_cast<std::size_t>(g.size[0]));
    const auto j = static_cast<std::int64_t>((index / static_cast<std::size_t>(g.size[0])) %
                                             static_cast<std::size_t>(g.size[1]));
    const auto k =
        static_cast<std::int64_t>(index / static_cast<std::size_t>(g.size[0] * g.size[1]));
    const double value = volume.valueAt(i, j, k);
    if (!volume.isPadding(value)) values.push_back(value);  // outside the field: not tissue
  }
  if (values.empty()) {
    lo = 0.0;
    hi = 1.0;
    return;
  }
  std::sort(values.begin(), values.end());
  lo = values[values.size() * static_cast<std::size_t>(loPerMille) / 1000];
  hi = values[std::min(values.size() - 1,
                       values.size() * static_cast<std::size_t>(hiPerMille) / 1000)];
  if (hi <= lo) hi = values.back() > lo ? values.back() : lo + 1.0;
}

bool isPetPreset(VolumePreset preset) {
  return preset == VolumePreset::PetMipInvertedGrey || preset == VolumePreset::PetMipHotIron;
}

// A unit cube (centred on 0) with its faces tinted by axis in the usual anatomical colours:
// left/right red, anterior/posterior green, superior/inferior blue.
vtkSmartPointer<vtkActor> makeOrientationCube() {
  auto points = vtkSmartPointer<vtkPoints>::New();
  auto faces = vtkSmartPointer<vtkCellArray>::New();
  auto colours = vtkSmartPointer<vtkUnsignedCharArray>::New();
  colours->SetNumberOfComponents(3);
  colours->SetName("FaceColours");
  const unsigned char tint[3][3] = {{178, 84, 84}, {80, 150, 98}, {84, 112, 182}};
  const double h = 0.5;
  for (int axis = 0; axis < 3; ++axis) {
    const int u = (axis + 1) % 3, v = (axis + 2) % 3;
    for (double side : {-h, h}) {
      vtkIdType ids[4];
      const double corners[4][2] = {{-h, -h}, {h, -h}, {h, h}, {-h, h}};
      for (int c = 0; c < 4; ++c) {
        double p[3];
        p[axis] = side;
        p[u] = corners[c][0];
        p[v] = corners[c][1];
        ids[c] = points->InsertNextPoint(p);
      }
      faces->InsertNextCell(4, ids);
      colours->InsertNextTypedTuple(tint[axis]);
    }
  }
  auto cube = vtkSmartPointer<vtkPolyData>::New();
  cube->SetPoints(points);
  cube->SetPolys(faces);
  cube->GetCellData()->SetScalars(colours);
  auto mapper = vtkSmartPointer<vtkPolyDataMapper>::New();
  mapper->SetInputData(cube);
  mapper->SetScalarModeToUseCellData();
  mapper->SetColorModeToDirectScalars();
  auto actor = vtkSmartPointer<vtkActor>::New();
  actor->SetMapper(mapper);
  actor->GetProperty()->SetAmbient(0.45);
  actor->GetProperty()->SetDiffuse(0.6);
  actor->GetProperty()->SetSpecular(0.0);
  return actor;
}

// The 12 edges of a box, for the clipping box outline.
vtkSmartPointer<vtkPolyData> boxEdges(const BoxLps& box) {
  auto points = vtkSmartPointer<vtkPoints>::New();
  for (int corner = 0; corner < 8; ++corner) {
    points->InsertNextPoint((corner & 1) ? box.hi_lps[0] : box.lo_lps[0],
                            (corner & 2) ? box.hi_lps[1] : box.lo_lps[1],
                            (corner & 4) ? box.hi_lps[2] : box.lo_lps[2]);
  }
  auto lines = vtkSmartPointer<vtkCellArray>::New();
  for (int corner = 0; corner < 8; ++corner) {
    for (int bit : {1, 2, 4}) {
      if (corner & bit) continue;
      const vtkIdType ids[2] = {corner, corner | bit};
      lines->InsertNextCell(2, ids);
    }
  }
  auto edges = vtkSmartPointer<vtkPolyData>::New();
  edges->SetPoints(points);
  edges->SetLines(lines);
  return edges;
}

void throwIfOutOfRange(std::size_t index, std::size_t count) {
  if (index >= count) {
    throw Error(ErrorKind::InvalidInput,
                "There is no surface mesh " + std::to_string(index) + " in the 3D view; it shows " +
                    std::to_string(count) + " meshes.",
                "mesh index");
  }
}

}  // namespace

VolumeView::VolumeView() {
  renderer_ = vtkSmartPointer<vtkRenderer>::New();
  renderer_->SetBackground(0.08, 0.09, 0.11);
  renderer_->SetBackground2(0.0, 0.0, 0.0);
  renderer_->GradientBackgroundOn();
  // Translucent meshes over and inside the volume composite in depth order.
  renderer_->SetUseDepthPeeling(true);
  renderer_->SetUseDepthPeelingForVolumes(true);
  renderer_->SetMaximumNumberOfPeels(8);
  renderer_->SetOcclusionRatio(0.0);
  // Smooth mesh silhouettes and box edges (the Qt widget renders without multisampling).
  renderer_->UseFXAAOn();
  // The GPU ray caster directly (vtkSmartVolumeMapper chose it anyway, but hides the image
  // sample distance that software rendering needs).
  mapper_ = vtkSmartPointer<vtkGPUVolumeRayCastMapper>::New();
  actor_ = vtkSmartPointer<vtkVolume>::New();
  actor_->SetMapper(mapper_);
  actor_->SetVisibility(false);
  renderer_->AddVolume(actor_);

  clippingPlanes_ = vtkSmartPointer<vtkPlaneCollection>::New();
  for (int face = 0; face < 6; ++face) clippingPlanes_->AddItem(vtkSmartPointer<vtkPlane>::New());
  clippingOutline_ = vtkSmartPointer<vtkActor>::New();
  auto outlineMapper = vtkSmartPointer<vtkPolyDataMapper>::New();
  clippingOutline_->SetMapper(outlineMapper);
  clippingOutline_->GetProperty()->SetColor(0.3, 0.8, 1.0);  // the 2D views' crosshair colour
  clippingOutline_->GetProperty()->SetLighting(false);
  clippingOutline_->GetProperty()->SetLineWidth(1.5);
  clippingOutline_->SetVisibility(false);
  clippingOutline_->SetPickable(false);
  renderer_->AddActor(clippingOutline_);

  clippingLabel_ = vtkSmartPointer<vtkTextActor>::New();
  clippingLabel_->GetTextProperty()->SetFontSize(14);
  clippingLabel_->GetTextProperty()->SetColor(0.85, 0.85, 0.85);
  clippingLabel_->GetTextProperty()->SetShadow(true);
  clippingLabel_->GetPositionCoordinate()->SetCoordinateSystemToDisplay();
  clippingLabel_->SetPosition(8, 6);
  clippingLabel_->SetVisibility(false);
  renderer_->AddViewProp(clippingLabel_);

  // The orientation cube: its own renderer on the top layer, in a corner square whose size
  // and camera follow the scene before each frame (no interactor, so no
  // vtkOrientationMarkerWidget).
  orientationRenderer_ = vtkSmartPointer<vtkRenderer>::New();
  orientationRenderer_->SetLayer(1);
  orientationRenderer_->InteractiveOff();
  orientationCube_ = makeOrientationCube();
  orientationRenderer_->AddActor(orientationCube_);
  orientationLabels_ = vtkSmartPointer<vtkAnnotatedCubeActor>::New();
  orientationLabels_->SetXPlusFaceText("L");
  orientationLabels_->SetXMinusFaceText("R");
  orientationLabels_->SetYPlusFaceText("P");
  orientationLabels_->SetYMinusFaceText("A");
  orientationLabels_->SetZPlusFaceText("S");
  orientationLabels_->SetZMinusFaceText("I");
  orientationLabels_->SetFaceTextScale(0.62);
  orientationLabels_->SetCubeVisibility(false);
  orientationLabels_->SetTextEdgesVisibility(false);
  for (vtkProperty* face :
       {orientationLabels_->GetXPlusFaceProperty(), orientationLabels_->GetXMinusFaceProperty(),
        orientationLabels_->GetYPlusFaceProperty(), orientationLabels_->GetYMinusFaceProperty(),
        orientationLabels_->GetZPlusFaceProperty(), orientationLabels_->GetZMinusFaceProperty()}) {
    face->SetColor(0.97, 0.97, 0.97);
  }
  orientationRenderer_->AddActor(orientationLabels_);
  beforeRender_ = vtkSmartPointer<vtkCallbackCommand>::New();
  beforeRender_->SetClientData(this);
  beforeRender_->SetCallback([](vtkObject*, unsigned long, void* self, void*) {
    static_cast<VolumeView*>(self)->updateOrientationCamera();
  });
  renderer_->AddObserver(vtkCommand::StartEvent, beforeRender_);
}

VolumeView::~VolumeView() { renderer_->RemoveObserver(beforeRender_); }

vtkRenderer* VolumeView::renderer() const { return renderer_; }

vtkRenderer* VolumeView::orientationRenderer() const { return orientationRenderer_; }

void VolumeView::addTo(vtkRenderWindow* window) {
  window->SetNumberOfLayers(std::max(2, window->GetNumberOfLayers()));
  window->AddRenderer(renderer_);
  window->AddRenderer(orientationRenderer_);
}

void VolumeView::updateOrientationCamera() {
  vtkRenderWindow* window = renderer_->GetRenderWindow();
  if (!window) return;
  const int* size = window->GetSize();
  if (size[0] <= 0 || size[1] <= 0) return;
  // A square of 16% of the shorter side (64..128 px), 8 px from the bottom-right corner;
  // smaller in a window too small for that.
  const double margin_px = 8.0;
  const double shorter_px = std::min(size[0], size[1]);
  const double side_px =
      std::min(std::clamp(0.16 * shorter_px, 64.0, 128.0), shorter_px - 2.0 * margin_px);
  if (side_px < 8.0) return;
  orientationRenderer_->SetViewport((size[0] - margin_px - side_px) / size[0], margin_px / size[1],
                                    (size[0] - margin_px) / size[0],
                                    (margin_px + side_px) / size[1]);
  // Same view direction and up as the scene, at a distance where the cube fills the square.
  vtkCamera* scene = renderer_->GetActiveCamera();
  vtkCamera* camera = orientationRenderer_->GetActiveCamera();
  double direction[3];
  scene->GetDirectionOfProjection(direction);
  const double distance = 3.6;  // in cube edges: the cube's diagonal fills 30 degrees
  camera->SetFocalPoint(0, 0, 0);
  camera->SetPosition(-direction[0] * distance, -direction[1] * distance, -direction[2] * distance);
  camera->SetViewUp(scene->GetViewUp());
  camera->SetViewAngle(30.0);
  camera->SetClippingRange(distance - 1.5, distance + 1.5);
}

void VolumeView::setOrientationMarkerVisible(bool visible) {
  orientationRenderer_->SetDraw(visible);
}

void VolumeView::setFastRendering(bool fast) {
  if (fast == fast_) return;
  fast_ = fast;
  // Depth peeling renders the scene (volume included) once per layer: it doubled the cost of a
  // frame with a see-through liver on llvmpipe (87 -> 43 ms). Without it, translucent meshes
  // show their front faces only (back faces culled), which reads correctly for closed organs.
  renderer_->SetUseDepthPeeling(!fast);
  for (std::size_t i = 0; i < meshActors_.size(); ++i) applyMeshOpacity(i);
  if (image_) {
    updateMapperInput();
    setPreset(preset_);
  }
}

void VolumeView::updateMapperInput() {
  // Software GL: one ray per 2x2 pixels (4x fewer), upsampled; a GPU casts one per pixel.
  mapper_->SetImageSampleDistance(fast_ ? 2.0f : 1.0f);
  mapper_->SetAutoAdjustSampleDistances(0);
  int dims[3];
  image_->GetDimensions(dims);
  const int largest = std::max({dims[0], dims[1], dims[2]});
  if (!fast_ || largest <= kFastMaxVoxelsPerAxis) {
    mapper_->SetInputData(image_);
    mapper_->SetSampleDistance(1.0f);  // VTK's default (mm)
    return;
  }
  // Strided subsampling (no averaging): it reads only the voxels it keeps, so it is quick
  // even for a 512x512x600 CT; spacing grows so the volume keeps its size and place.
  int factors[3];
  for (int a = 0; a < 3; ++a)
    factors[a] = std::max(1, (dims[a] + kFastMaxVoxelsPerAxis - 1) / kFastMaxVoxelsPerAxis);
  auto shrink = vtkSmartPointer<vtkImageShrink3D>::New();
  shrink->SetInputData(image_);
  shrink->SetShrinkFactors(factors);
  shrink->AveragingOff();
  shrink->Update();
  auto preview = vtkSmartPointer<vtkImageData>::New();
  preview->ShallowCopy(shrink->GetOutput());
  preview->SetOrigin(0, 0, 0);  // voxel (0,0,0) is the original's voxel (0,0,0)
  mapper_->SetInputData(preview);
  // One sample per preview voxel along each ray: finer sampling adds cost, not detail.
  double spacing[3];
  preview->GetSpacing(spacing);
  mapper_->SetSampleDistance(static_cast<float>(std::min({spacing[0], spacing[1], spacing[2]})));
}

void VolumeView::setVolume(const ImageVolume* volume) {
  volume_ = volume;
  clearClippingBox();
  actor_->SetVisibility(volume != nullptr && volumeVisible_);
  if (!volume) {
    image_ = nullptr;
    mapper_->RemoveAllInputs();
    return;
  }
  image_ = asVtkImage(*volume);
  image_->SetOrigin(0, 0, 0);
  image_->SetDirectionMatrix(1, 0, 0, 0, 1, 0, 0, 0, 1);
  updateMapperInput();
  placeVolume();
  VolumePreset preset = defaultPresetFor(*volume);
  if (preset == VolumePreset::CtBone && preset_ != VolumePreset::Mr && !isPetPreset(preset_))
    preset = preset_;  // a CT keeps the CT preset the user chose
  setPreset(preset);
  resetCamera();
}

void VolumeView::setVolumeVisible(bool visible) {
  volumeVisible_ = visible;
  actor_->SetVisibility(volume_ != nullptr && visible);
}

void VolumeView::setRenderMode(VolumeRenderMode mode) {
  renderMode_ = mode;
  mapper_->SetBlendMode(mode == VolumeRenderMode::Mip ? vtkVolumeMapper::MAXIMUM_INTENSITY_BLEND
                                                      : vtkVolumeMapper::COMPOSITE_BLEND);
  // Inverted grey reads as dark uptake on white (film-like): the MIP needs a white backdrop.
  const bool whiteBackdrop =
      mode == VolumeRenderMode::Mip && preset_ == VolumePreset::PetMipInvertedGrey;
  if (whiteBackdrop) {
    renderer_->SetBackground(1.0, 1.0, 1.0);
    renderer_->GradientBackgroundOff();
  } else {
    renderer_->SetBackground(0.08, 0.09, 0.11);
    renderer_->GradientBackgroundOn();
  }
}

// PET MIP transfer functions over SUV [0, hi]: the colour map's 256 entries as colour
// points; opacity 1 wherever there is activity, so the ray's maximum is shown as coloured (a
// MIP takes the colour and opacity of the maximum sample). Inverted grey keeps zero-activity
// white (opaque) over the white backdrop; hot iron makes it transparent over the dark one.
namespace {
void petTransferFunctions(VolumePreset preset, double hi, vtkColorTransferFunction* colour,
                          vtkPiecewiseFunction* opacity) {
  const ColourMap map =
      preset == VolumePreset::PetMipHotIron ? ColourMap::HotIron : ColourMap::InvertedGrey;
  const auto& table = colourTable(map);
  for (int i = 0; i < 256; i += 5) {
    const RgbColour& c = table[static_cast<std::size_t>(i)];
    colour->AddRGBPoint(hi * i / 255.0, c.r / 255.0, c.g / 255.0, c.b / 255.0);
  }
  const RgbColour& top = table[255];
  colour->AddRGBPoint(hi, top.r / 255.0, top.g / 255.0, top.b / 255.0);
  if (map == ColourMap::InvertedGrey) {
    opacity->AddPoint(0.0, 1.0);
    opacity->AddPoint(hi, 1.0);
  } else {
    opacity->AddPoint(0.0, 0.0);
    opacity->AddPoint(0.05 * hi, 0.0);
    opacity->AddPoint(0.25 * hi, 1.0);
    opacity->AddPoint(hi, 1.0);
  }
}
}  // namespace

void VolumeView::setPreset(VolumePreset preset) {
  preset_ = preset;
  setRenderMode(isPetPreset(preset) ? VolumeRenderMode::Mip : VolumeRenderMode::Composite);
  if (!image_ || !volume_) return;
  double lo = 0.0, hi = 1.0;
  if (preset == VolumePreset::Mr) robustRange(*volume_, lo, hi);
  auto colour = vtkSmartPointer<vtkColorTransferFunction>::New();
  auto opacity = vtkSmartPointer<vtkPiecewiseFunction>::New();
  if (isPetPreset(preset)) {
    // SUV 0 .. the 99.9th percentile: a few hot voxels (bladder, a hot lesion) must not push
    // the rest of the body into the first entries of the map.
    robustRange(*volume_, lo, hi, 0, 999);
    petTransferFunctions(preset, std::max(hi, 1e-6), colour, opacity);
  }
  for (const Point& p : presetPoints(preset, lo, hi)) {
    colour->AddRGBPoint(p.value, p.r, p.g, p.b);
    if (!volume_->isPadding(p.value)) opacity->AddPoint(p.value, p.opacity);
  }
  if (volume_->paddingRange) {
    // Pixel padding (PS3.3 C.7.5.1.1.2) lies outside the scanned field: transparent.
    opacity->AddPoint(volume_->paddingRange->first, 0.0);
    opacity->AddPoint(volume_->paddingRange->second, 0.0);
  }
  auto property = vtkSmartPointer<vtkVolumeProperty>::New();
  property->SetColor(colour);
  property->SetScalarOpacity(opacity);
  property->SetInterpolationTypeToLinear();
  // Shading multiplies the cost of each sample several times over on software OpenGL.
  // (A MIP is not shaded: it shows values, not surfaces.)
  property->SetShade(!fast_ && !isPetPreset(preset));
  property->SetAmbient(0.25);
  property->SetDiffuse(0.75);
  property->SetSpecular(0.2);
  property->SetSpecularPower(15.0);
  actor_->SetProperty(property);
}

void VolumeView::setMeshes(const std::vector<SurfaceMesh>* meshes) {
  // Build everything first: a damaged mesh throws before the scene changes.
  std::vector<vtkSmartPointer<vtkActor>> actors;
  std::vector<double> opacities;
  if (meshes) {
    for (const SurfaceMesh& mesh : *meshes) {
      actors.push_back(makeMeshActor(mesh));
      actors.back()->SetVisibility(mesh.visible);
      opacities.push_back(std::clamp(static_cast<double>(mesh.opacity), 0.0, 1.0));
    }
  }
  for (const auto& actor : meshActors_) renderer_->RemoveActor(actor);
  meshActors_ = std::move(actors);
  meshOpacities_ = std::move(opacities);
  for (std::size_t i = 0; i < meshActors_.size(); ++i) {
    applyMeshOpacity(i);
    renderer_->AddActor(meshActors_[i]);
  }
  setMeshPlacement(meshPlacement_);
  applyClipping();
  if (!volume_) resetCamera();
}

void VolumeView::setMeshPlacement(const std::array<double, 16>& lpsToLps) {
  meshPlacement_ = lpsToLps;
  for (const auto& actor : meshActors_) {
    vtkNew<vtkMatrix4x4> matrix;
    matrix->DeepCopy(lpsToLps.data());  // VTK's element order is row-major too
    actor->SetUserMatrix(matrix);
  }
  placeVolume();
}

// The mapper works in the image's index*spacing frame; the actor's matrix places it in LPS
// (origin + direction), so oblique grids render where they are, and then where the anatomy
// stands (the placement): the volume rendering moves with the models.
void VolumeView::placeVolume() {
  if (!volume_) return;
  const ImageGeometry& g = volume_->geometry();
  vtkNew<vtkMatrix4x4> imageToLps;
  for (int r = 0; r < 3; ++r) {
    for (int c = 0; c < 3; ++c) imageToLps->SetElement(r, c, g.direction(r, c));
    imageToLps->SetElement(r, 3, g.origin_lps[r]);
  }
  vtkNew<vtkMatrix4x4> placement;
  placement->DeepCopy(meshPlacement_.data());
  auto matrix = vtkSmartPointer<vtkMatrix4x4>::New();
  vtkMatrix4x4::Multiply4x4(placement, imageToLps, matrix);
  actor_->SetUserMatrix(matrix);
}

std::array<double, 16> VolumeView::meshActorMatrix(std::size_t index) const {
  throwIfOutOfRange(index, meshActors_.size());
  vtkNew<vtkMatrix4x4> matrix;
  meshActors_[index]->GetMatrix(matrix);
  std::array<double, 16> rowMajor{};
  for (int r = 0; r < 4; ++r)
    for (int c = 0; c < 4; ++c) rowMajor[std::size_t(4 * r + c)] = matrix->GetElement(r, c);
  return rowMajor;
}

std::optional<std::size_t> VolumeView::meshIndexOf(const vtkProp* actor) const {
  for (std::size_t i = 0; i < meshActors_.size(); ++i)
    if (meshActors_[i].Get() == actor) return i;
  return std::nullopt;
}

void VolumeView::setMeshVisible(std::size_t index, bool visible) {
  throwIfOutOfRange(index, meshActors_.size());
  meshActors_[index]->SetVisibility(visible);
}

bool VolumeView::meshVisible(std::size_t index) const {
  throwIfOutOfRange(index, meshActors_.size());
  return meshActors_[index]->GetVisibility() != 0;
}

void VolumeView::setMeshOpacity(std::size_t index, double opacity) {
  throwIfOutOfRange(index, meshActors_.size());
  meshOpacities_[index] = std::clamp(opacity, 0.0, 1.0);
  applyMeshOpacity(index);
}

void VolumeView::setMeshColour(std::size_t index, const Rgb& colour) {
  throwIfOutOfRange(index, meshActors_.size());
  meshActors_[index]->GetProperty()->SetColor(colour.r / 255.0, colour.g / 255.0, colour.b / 255.0);
}

Rgb VolumeView::meshColour(std::size_t index) const {
  throwIfOutOfRange(index, meshActors_.size());
  double rgb[3];
  meshActors_[index]->GetProperty()->GetColor(rgb);
  return {static_cast<std::uint8_t>(std::lround(rgb[0] * 255)),
          static_cast<std::uint8_t>(std::lround(rgb[1] * 255)),
          static_cast<std::uint8_t>(std::lround(rgb[2] * 255))};
}

void VolumeView::applyMeshOpacity(std::size_t index) {
  vtkProperty* property = meshActors_[index]->GetProperty();
  property->SetOpacity(meshOpacities_[index]);
  property->SetBackfaceCulling(fast_ && meshOpacities_[index] < 1.0);
}

double VolumeView::meshOpacity(std::size_t index) const {
  throwIfOutOfRange(index, meshActors_.size());
  return meshOpacities_[index];
}

void VolumeView::setClippingBox(const Vec3& lo_lps, const Vec3& hi_lps) {
  if (!(lo_lps.array() < hi_lps.array()).all()) {
    throw Error(ErrorKind::InvalidInput,
                "A clipping box needs its low corner below its high corner on every axis.",
                "clipping box");
  }
  clippingBox_ = {lo_lps, hi_lps};
  hasClippingBox_ = true;
  applyClipping();
}

void VolumeView::clearClippingBox() {
  hasClippingBox_ = false;
  applyClipping();
}

void VolumeView::applyClipping() {
  if (hasClippingBox_) {
    // Six planes with normals pointing into the box: VTK keeps what lies on a plane's normal
    // side, in world (LPS) coordinates for both mappers.
    for (int axis = 0; axis < 3; ++axis) {
      Vec3 normal = Vec3::Zero();
      normal[axis] = 1.0;
      vtkPlane* low = clippingPlanes_->GetItem(2 * axis);
      low->SetOrigin(clippingBox_.lo_lps.data());
      low->SetNormal(normal.data());
      const Vec3 inward = -normal;
      vtkPlane* high = clippingPlanes_->GetItem(2 * axis + 1);
      high->SetOrigin(clippingBox_.hi_lps.data());
      high->SetNormal(inward.data());
    }
    clippingPlanes_->Modified();
    vtkPolyDataMapper::SafeDownCast(clippingOutline_->GetMapper())
        ->SetInputData(boxEdges(clippingBox_));
    const Vec3 size = clippingBox_.size_mm();
    char text[96];
    std::snprintf(text, sizeof text, "Clipping box %.0f x %.0f x %.0f mm", size[0], size[1],
                  size[2]);
    clippingLabel_->SetInput(text);
  }
  vtkPlaneCollection* planes = hasClippingBox_ ? clippingPlanes_.Get() : nullptr;
  mapper_->SetClippingPlanes(planes);
  for (const auto& actor : meshActors_) actor->GetMapper()->SetClippingPlanes(planes);
  clippingOutline_->SetVisibility(hasClippingBox_);
  clippingLabel_->SetVisibility(hasClippingBox_);
}

bool VolumeView::sceneBounds(BoxLps& bounds) const {
  bool any = false;
  auto include = [&](const double* b) {
    if (!b || !vtkMath::AreBoundsInitialized(b)) return;
    const Vec3 lo(b[0], b[2], b[4]), hi(b[1], b[3], b[5]);
    if (!any) {
      bounds = {lo, hi};
      any = true;
    } else {
      bounds.lo_lps = bounds.lo_lps.cwiseMin(lo);
      bounds.hi_lps = bounds.hi_lps.cwiseMax(hi);
    }
  };
  if (volume_ && actor_->GetVisibility()) include(actor_->GetBounds());
  for (const auto& actor : meshActors_) {
    if (actor->GetVisibility()) include(actor->GetBounds());
  }
  return any;
}

void VolumeView::resetCamera() {
  vtkCamera* camera = renderer_->GetActiveCamera();
  // Seen from the front (anterior, -y in LPS) with the head (+z) up.
  camera->SetFocalPoint(0, 0, 0);
  camera->SetPosition(0, -1, 0);
  camera->SetViewUp(0, 0, 1);
  BoxLps bounds;
  if (sceneBounds(bounds)) {
    const double b[6] = {bounds.lo_lps[0], bounds.hi_lps[0], bounds.lo_lps[1],
                         bounds.hi_lps[1], bounds.lo_lps[2], bounds.hi_lps[2]};
    renderer_->ResetCamera(b);
  } else {
    renderer_->ResetCamera();
  }
  camera->Zoom(1.3);
}

void VolumeView::rotate(double azimuth_deg, double elevation_deg) {
  vtkCamera* camera = renderer_->GetActiveCamera();
  camera->Azimuth(azimuth_deg);
  camera->Elevation(elevation_deg);
  camera->OrthogonalizeViewUp();
  renderer_->ResetCameraClippingRange();
}

void VolumeView::zoom(double factor) {
  renderer_->GetActiveCamera()->Zoom(factor);
  renderer_->ResetCameraClippingRange();
}

}  // namespace twinplan::rendering

namespace twinplan::rendering {

Eigen::Matrix4d VolumeView::lpsToDisplay(int width_px, int height_px) const {
  double viewport[4];
  renderer_->GetViewport(viewport);  // fractions of the window: x0, y0, x1, y1
  const double width = (viewport[2] - viewport[0]) * width_px;
  const double height = (viewport[3] - viewport[1]) * height_px;
  if (width <= 0.0 || height <= 0.0)
    throw Error(ErrorKind::InvalidInput, "The 3D view has no size yet; show it first.", "view");
  vtkMatrix4x4* normalised =
      renderer_->GetActiveCamera()->GetCompositeProjectionTransformMatrix(width / height, -1, 1);
  Eigen::Matrix4d projection;
  for (int r = 0; r < 4; ++r)
    for (int c = 0; c < 4; ++c) projection(r, c) = normalised->GetElement(r, c);
  // [-1, 1] -> the viewport's pixels (vtkViewport::NormalizedDisplayToDisplay).
  Eigen::Matrix4d toPixels = Eigen::Matrix4d::Identity();
  toPixels(0, 0) = width / 2.0;
  toPixels(0, 3) = viewport[0] * width_px + width / 2.0;
  toPixels(1, 1) = height / 2.0;
  toPixels(1, 3) = viewport[1] * height_px + height / 2.0;
  return toPixels * projection;
}

}  // namespace twinplan::rendering
