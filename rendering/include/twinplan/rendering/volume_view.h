#pragma once
// The 3D view of a case: GPU volume rendering of a volume with transfer-function presets.
#include <vtkSmartPointer.h>

#include <string>
#include <vector>

#include "twinplan/core/image_volume.h"

class vtkRenderer;
class vtkVolume;
class vtkImageData;
class vtkSmartVolumeMapper;

namespace twinplan::rendering {

enum class VolumePreset { CtBone, CtSoftTissue, CtAngio, Mr };
const char* toString(VolumePreset preset);
std::vector<VolumePreset> allVolumePresets();

class VolumeView {
 public:
  VolumeView();
  ~VolumeView();
  VolumeView(const VolumeView&) = delete;
  VolumeView& operator=(const VolumeView&) = delete;

  vtkRenderer* renderer() const;
  // Borrowed: keep the volume alive while shown.
  void setVolume(ImageVolume* volume);
  void setPreset(VolumePreset preset);
  VolumePreset preset() const { return preset_; }
  // Anterior view, head up, the whole volume in sight.
  void resetCamera();
  void rotate(double azimuth_deg, double elevation_deg);
  void zoom(double factor);

 private:
  VolumePreset preset_ = VolumePreset::CtBone;
  ImageVolume* volume_ = nullptr;
  vtkSmartPointer<vtkRenderer> renderer_;
  vtkSmartPointer<vtkImageData> image_;
  vtkSmartPointer<vtkSmartVolumeMapper> mapper_;
  vtkSmartPointer<vtkVolume> actor_;
};

}  // namespace twinplan::rendering
