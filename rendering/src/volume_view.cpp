#include "twinplan/rendering/volume_view.h"

#include <vtkCamera.h>
#include <vtkColorTransferFunction.h>
#include <vtkImageData.h>
#include <vtkMatrix4x4.h>
#include <vtkPiecewiseFunction.h>
#include <vtkRenderer.h>
#include <vtkSmartVolumeMapper.h>
#include <vtkVolume.h>
#include <vtkVolumeProperty.h>

#include "twinplan/core/vtk_view.h"

namespace twinplan::rendering {

const char* toString(VolumePreset preset) {
  switch (preset) {
    case VolumePreset::CtBone: return "CT bone";
    case VolumePreset::CtSoftTissue: return "CT soft tissue";
    case VolumePreset::CtAngio: return "CT angio / vessels";
    case VolumePreset::Mr: return "MR";
  }
  return "unknown";
}

std::vector<VolumePreset> allVolumePresets() {
  return {VolumePreset::CtBone, VolumePreset::CtSoftTissue, VolumePreset::CtAngio, VolumePreset::Mr};
}

namespace {

struct Point {
  double value, r, g, b, opacity;
};

// Transfer functions in HU, in the spirit of the common CT presets (e.g. 3D Slicer's
// "CT-Bone", "CT-Soft-Tissue", "CT-Coronary-Arteries"): bone from ~+200 HU, soft tissue
// -100..+300 HU faint, contrast vessels +150..+400 HU.
std::vector<Point> presetPoints(VolumePreset preset, double lo, double hi) {
  switch (preset) {
    case VolumePreset::CtBone:
      return {{-1000, 0, 0, 0, 0}, {150, 0.55, 0.25, 0.15, 0}, {300, 0.9, 0.75, 0.55, 0.3},
              {1000, 1.0, 0.95, 0.9, 0.8}, {3000, 1, 1, 1, 0.9}};
    case VolumePreset::CtSoftTissue:
      return {{-1000, 0, 0, 0, 0}, {-150, 0.6, 0.4, 0.3, 0}, {20, 0.85, 0.45, 0.35, 0.08},
              {120, 0.95, 0.7, 0.6, 0.25}, {400, 1, 0.95, 0.9, 0.6}, {3000, 1, 1, 1, 0.8}};
    case VolumePreset::CtAngio:
      return {{-1000, 0, 0, 0, 0}, {120, 0.6, 0.1, 0.1, 0}, {200, 0.9, 0.25, 0.2, 0.45},
              {400, 1, 0.8, 0.7, 0.7}, {3000, 1, 1, 1, 0.85}};
    case VolumePreset::Mr: {
      const double span = hi - lo;
      return {{lo, 0, 0, 0, 0}, {lo + 0.15 * span, 0.5, 0.4, 0.35, 0}, {lo + 0.4 * span, 0.85, 0.75, 0.65, 0.2},
              {hi, 1, 1, 1, 0.6}};
    }
  }
  return {};
}

}  // namespace

VolumeView::VolumeView() {
  renderer_ = vtkSmartPointer<vtkRenderer>::New();
  renderer_->SetBackground(0.08, 0.09, 0.11);
  renderer_->SetBackground2(0.0, 0.0, 0.0);
  renderer_->GradientBackgroundOn();
  mapper_ = vtkSmartPointer<vtkSmartVolumeMapper>::New();
  actor_ = vtkSmartPointer<vtkVolume>::New();
  actor_->SetMapper(mapper_);
  actor_->SetVisibility(false);
  renderer_->AddVolume(actor_);
}

VolumeView::~VolumeView() = default;

vtkRenderer* VolumeView::renderer() const { return renderer_; }

void VolumeView::setVolume(ImageVolume* volume) {
  volume_ = volume;
  actor_->SetVisibility(volume != nullptr);
  if (!volume) return;
  // The mapper works in the image's index*spacing frame; the actor's matrix places it in LPS
  // (origin + direction), so oblique grids render where they are.
  image_ = asVtkImage(*volume);
  image_->SetOrigin(0, 0, 0);
  image_->SetDirectionMatrix(1, 0, 0, 0, 1, 0, 0, 0, 1);
  mapper_->SetInputData(image_);
  const ImageGeometry& g = volume->geometry();
  auto matrix = vtkSmartPointer<vtkMatrix4x4>::New();
  for (int r = 0; r < 3; ++r) {
    for (int c = 0; c < 3; ++c) matrix->SetElement(r, c, g.direction(r, c));
    matrix->SetElement(r, 3, g.origin_lps[r]);
  }
  actor_->SetUserMatrix(matrix);
  setPreset(volume->dicom.modality == "MR" ? VolumePreset::Mr : preset_);
  resetCamera();
}

void VolumeView::setPreset(VolumePreset preset) {
  preset_ = preset;
  if (!image_) return;
  double range[2];
  image_->GetScalarRange(range);
  auto colour = vtkSmartPointer<vtkColorTransferFunction>::New();
  auto opacity = vtkSmartPointer<vtkPiecewiseFunction>::New();
  for (const Point& p : presetPoints(preset, range[0], range[1])) {
    colour->AddRGBPoint(p.value, p.r, p.g, p.b);
    opacity->AddPoint(p.value, p.opacity);
  }
  auto property = vtkSmartPointer<vtkVolumeProperty>::New();
  property->SetColor(colour);
  property->SetScalarOpacity(opacity);
  property->SetInterpolationTypeToLinear();
  property->ShadeOn();
  property->SetAmbient(0.25);
  property->SetDiffuse(0.75);
  property->SetSpecular(0.2);
  actor_->SetProperty(property);
}

void VolumeView::resetCamera() {
  vtkCamera* camera = renderer_->GetActiveCamera();
  // Seen from the front (anterior, -y in LPS) with the head (+z) up.
  camera->SetFocalPoint(0, 0, 0);
  camera->SetPosition(0, -1, 0);
  camera->SetViewUp(0, 0, 1);
  renderer_->ResetCamera();
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
