#pragma once
// The 3D view of a case: GPU volume rendering of a volume with transfer-function presets, the
// case's surface meshes, a clipping box and an orientation cube, drawn by VTK into whatever
// render window it is added to (Qt widget, offscreen).
#include <vtkSmartPointer.h>

#include <array>
#include <cstddef>
#include <optional>
#include <vector>

#include "twinplan/core/geometry.h"
#include "twinplan/core/image_volume.h"
#include "twinplan/core/mesh.h"

class vtkActor;
class vtkProp;
class vtkAnnotatedCubeActor;
class vtkCallbackCommand;
class vtkImageData;
class vtkPlaneCollection;
class vtkRenderWindow;
class vtkRenderer;
class vtkGPUVolumeRayCastMapper;
class vtkTextActor;
class vtkVolume;

namespace twinplan::rendering {

// Pet* presets: maximum intensity projection of a PET, SUV 0 .. the volume's 99.9th
// percentile (so a few hot voxels do not squeeze the body into the dark end), in inverted grey
// (dark uptake on white, the usual PET MIP reading) or hot iron (PS3.6 B.1.1). Mr: composite,
// its opacity ramp on the volume's 1st..99.5th intensity percentiles (MR has no absolute scale).
enum class VolumePreset { CtBone, CtSoftTissue, CtAngio, Mr, PetMipInvertedGrey, PetMipHotIron };
const char* toString(VolumePreset preset);
std::vector<VolumePreset> allVolumePresets();
// The preset a volume opens in, by modality (DicomInfo::modality, PS3.3 C.7.3.1.1.1): PT ->
// PetMipInvertedGrey, MR -> Mr, anything else (CT, calibrated HU) -> CtBone.
VolumePreset defaultPresetFor(const ImageVolume& volume);
// Composite: front-to-back compositing of colour and opacity (shaded); Mip: each ray shows the
// maximum value it crosses, coloured by the preset (vtkVolumeMapper's MAXIMUM_INTENSITY_BLEND).
enum class VolumeRenderMode { Composite, Mip };
const char* toString(VolumeRenderMode mode);  // "composite" | "mip"

// An axis-aligned box in LPS mm.
struct BoxLps {
  Vec3 lo_lps = Vec3::Zero();
  Vec3 hi_lps = Vec3::Zero();
  Vec3 centre() const { return 0.5 * (lo_lps + hi_lps); }
  Vec3 size_mm() const { return hi_lps - lo_lps; }
};

class VolumeView {
 public:
  VolumeView();
  ~VolumeView();
  VolumeView(const VolumeView&) = delete;
  VolumeView& operator=(const VolumeView&) = delete;

  // The scene (layer 0) and the orientation cube drawn over it (layer 1, a corner square).
  vtkRenderer* renderer() const;
  vtkRenderer* orientationRenderer() const;
  // Adds both renderers to `window` and gives it the two layers they need.
  void addTo(vtkRenderWindow* window);

  // Borrowed: keep the volume alive while shown. nullptr hides it. A PET or MR volume switches
  // to its defaultPresetFor, a CT volume away from those (keeping a CT preset it had). Clears
  // the clipping box.
  void setVolume(const ImageVolume* volume);
  const ImageVolume* volume() const { return volume_; }
  // For software OpenGL (Mesa llvmpipe), where a full-resolution shaded ray cast takes seconds
  // on the GUI thread: render a subsampled copy (at most kFastMaxVoxelsPerAxis per axis)
  // without shading, casting one ray per 2x2 pixels. A GPU renders the full volume.
  static constexpr int kFastMaxVoxelsPerAxis = 160;
  void setFastRendering(bool fast);
  bool fastRendering() const { return fast_; }
  void setVolumeVisible(bool visible);
  bool volumeVisible() const { return volumeVisible_; }
  void setPreset(VolumePreset preset);
  VolumePreset preset() const { return preset_; }
  // The Pet* presets set Mip, the others Composite; set a mode after the preset to override
  // (e.g. a CT bone MIP).
  void setRenderMode(VolumeRenderMode mode);
  VolumeRenderMode renderMode() const { return renderMode_; }

  // The case's surface meshes, in LPS, each in its colour, opacity and visibility. The view
  // copies the geometry: call again after the meshes change; nullptr removes them. Display
  // settings made below start afresh. Throws Error(InvalidInput) for a damaged mesh and then
  // keeps showing the previous ones.
  void setMeshes(const std::vector<SurfaceMesh>* meshes);
  std::size_t meshCount() const { return meshActors_.size(); }
  // Per mesh, by index into the vector: throw Error(InvalidInput) for an index out of range.
  void setMeshVisible(std::size_t index, bool visible);
  bool meshVisible(std::size_t index) const;
  void setMeshOpacity(std::size_t index, double opacity);  // clamped to 0..1
  double meshOpacity(std::size_t index) const;
  void setMeshColour(std::size_t index, const Rgb& colour);
  Rgb meshColour(std::size_t index) const;

  // Where the anatomy stands: the surface models and the volume rendering are drawn at
  // p_shown = lpsToLps * p_lps, a 4x4 row-major affine in mm (the shared anatomy transform,
  // teaching::SetAnatomyTransform: a grab, turn or scale in the headset moves them here too).
  // The identity by default; kept when the meshes or the volume are replaced. The clipping box
  // is not moved with them (its planes are in the view's frame).
  void setMeshPlacement(const std::array<double, 16>& lpsToLps);
  const std::array<double, 16>& meshPlacement() const { return meshPlacement_; }
  // The matrix VTK draws mesh `index` with (its actor's, row-major); Error(InvalidInput) for an
  // index out of range.
  std::array<double, 16> meshActorMatrix(std::size_t index) const;
  // Which mesh an actor draws (a pick's actor), or nullopt for any other prop.
  std::optional<std::size_t> meshIndexOf(const vtkProp* actor) const;

  // Shows only what lies inside the box (volume and meshes), with the box outlined and its
  // size written in the bottom-left corner. Throws Error(InvalidInput) when lo is not below
  // hi on every axis.
  void setClippingBox(const Vec3& lo_lps, const Vec3& hi_lps);
  void clearClippingBox();
  bool hasClippingBox() const { return hasClippingBox_; }
  const BoxLps& clippingBox() const { return clippingBox_; }
  // The LPS bounds of the volume and the meshes; false when nothing is shown.
  bool sceneBounds(BoxLps& bounds) const;

  void setOrientationMarkerVisible(bool visible);

  // Anterior view, head up, everything in sight.
  void resetCamera();
  void rotate(double azimuth_deg, double elevation_deg);
  void zoom(double factor);

  // Where the current camera puts a point, as one homogeneous matrix for a render window of
  // width_px x height_px device pixels: d = M * (p_lps, 1); (d.x/d.w, d.y/d.w) are VTK display
  // pixels (origin bottom-left), d.w > 0 in front of the camera. VTK's composite projection
  // (vtkCamera::GetCompositeProjectionTransformMatrix: world -> normalised device coordinates
  // in [-1, 1]) followed by the renderer's viewport transform. What the 3D scissors
  // (segmentation/scissors.h) cut through.
  Eigen::Matrix4d lpsToDisplay(int width_px, int height_px) const;

 private:
  void applyMeshOpacity(std::size_t index);
  void applyClipping();
  void placeVolume();
  void updateOrientationCamera();

  VolumePreset preset_ = VolumePreset::CtBone;
  VolumeRenderMode renderMode_ = VolumeRenderMode::Composite;
  const ImageVolume* volume_ = nullptr;
  bool volumeVisible_ = true;
  bool fast_ = false;
  void updateMapperInput();
  vtkSmartPointer<vtkRenderer> renderer_;
  vtkSmartPointer<vtkImageData> image_;
  vtkSmartPointer<vtkGPUVolumeRayCastMapper> mapper_;
  vtkSmartPointer<vtkVolume> actor_;
  std::vector<vtkSmartPointer<vtkActor>> meshActors_;
  std::array<double, 16> meshPlacement_{1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1};
  std::vector<double> meshOpacities_;
  bool hasClippingBox_ = false;
  BoxLps clippingBox_;
  vtkSmartPointer<vtkPlaneCollection> clippingPlanes_;
  vtkSmartPointer<vtkActor> clippingOutline_;
  vtkSmartPointer<vtkTextActor> clippingLabel_;
  vtkSmartPointer<vtkRenderer> orientationRenderer_;
  vtkSmartPointer<vtkActor> orientationCube_;
  vtkSmartPointer<vtkAnnotatedCubeActor> orientationLabels_;
  vtkSmartPointer<vtkCallbackCommand> beforeRender_;
};

}  // namespace twinplan::rendering
