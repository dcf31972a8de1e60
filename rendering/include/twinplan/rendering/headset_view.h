#pragma once
// The desktop 3D scene (VolumeView: meshes, volume, clipping box) drawn for one eye of a
// head-mounted display (issue #20 item 2). No OpenXR here: xr/ hands each eye's pose, field of
// view and swapchain texture over through its EyeRenderer interface and an adapter (app/xr)
// fills an EyeCamera. The room is OpenXR's reference space (STAGE or LOCAL): metres, +x right,
// +y up, -z forward (OpenXR 1.0 section 2.16, "Coordinate System").
#include <vtkSmartPointer.h>

#include <Eigen/Geometry>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "twinplan/core/geometry.h"
#include "twinplan/rendering/slice_sampler.h"
#include "twinplan/rendering/slice_view.h"
#include "twinplan/rendering/volume_view.h"

class vtkActor;
class vtkProp;
class vtkGenericOpenGLRenderWindow;
class vtkImageData;
class vtkPolyData;

namespace twinplan::rendering {

// An eye's asymmetric field of view (OpenXR XrFovf): left and down are usually negative.
struct EyeFieldOfView {
  double angleLeft_rad = -0.785398;
  double angleRight_rad = 0.785398;
  double angleUp_rad = 0.785398;
  double angleDown_rad = -0.785398;
};

// One eye of one headset frame, in the room.
struct EyeCamera {
  Vec3 position_m = Vec3::Zero();
  Eigen::Quaterniond orientation = Eigen::Quaterniond::Identity();
  EyeFieldOfView fov;
  int width_px = 0;
  int height_px = 0;
  // Mixed reality (additive or alpha-blend display): the background is cleared to transparent
  // black, so the room shows around the anatomy; opaque VR keeps the scene's background.
  bool transparentBackground = false;
  // The GL texture (GL_TEXTURE_2D, in the GL context current on this thread) drawn into.
  std::uint32_t colorTexture = 0;
  // Near and far planes, metres (the headset session's: its depth layer states the same).
  double near_m = 0.05;
  double far_m = 50.0;
  // A depth texture of the same size to receive the eye's window depth (0 at near, 1 at far);
  // 0: none. Its internal format (GL_DEPTH_COMPONENT24 or GL_DEPTH_COMPONENT32F).
  std::uint32_t depthTexture = 0;
  std::int64_t depthFormat = 0;
};

// OpenGL's projection for an asymmetric frustum (glFrustum with left = near * tan(angleLeft),
// ...; the same matrix as the OpenXR SDK's XrMatrix4x4f_CreateProjectionFov for OpenGL):
// camera coordinates (x right, y up, looking down -z) to clip coordinates, depth -1..1 from
// near_ to far_. Throws Error(InvalidInput) for an empty or inverted frustum.
Eigen::Matrix4d offAxisProjection(const EyeFieldOfView& fov, double near_, double far_);

// Where the anatomy stands in the room: p_room_m = lpsToRoom * p_lps (homogeneous, a rotation,
// a uniform scale and a translation).
using RoomPlacement = Eigen::Affine3d;

// The patient upright, facing the viewer (an anterior view, as the desktop's resetCamera),
// life size (1 mm LPS = 1 mm in the room), the scene box centred on the viewer's line of sight
// with its nearest face `nearFaceDistance_m` in front of the head (looking level, along the
// head's forward direction projected onto the floor). Patient left is the viewer's right,
// superior is up, posterior away from the viewer.
// Default 0.75 m: the nearest distance Oculus recommends for content a user looks at for long
// ("Oculus Best Practices" 2017, Binocular Vision: 0.75 m to 3.5 m).
RoomPlacement placeInFrontOf(const BoxLps& scene, const Vec3& head_m,
                             const Eigen::Quaterniond& headOrientation,
                             double nearFaceDistance_m = 0.75);

// The first visible mesh surface or volume of `scene` on the segment from `from_lps` to `to_lps`
// (vtkCellPicker with tolerance 0: the ray itself, not a cone); nullopt when it meets none. A
// laser pointer ends there.
std::optional<Vec3> firstSurfaceOnSegment(VolumeView& scene, const Vec3& from_lps,
                                          const Vec3& to_lps);

// Draws the scene of a VolumeView for headset eyes into GL textures, in the GL context current
// on the calling thread (the one the XR session was created with: the swapchain textures
// belong to it). VTK renders into its own offscreen framebuffer in that context
// (vtkGenericOpenGLRenderWindow, no context of its own), then blits into a framebuffer with the
// eye's texture attached (glBlitFramebuffer on the GPU: no read back, no second context).
class HeadsetSceneRenderer {
 public:
  // Borrowed: the scene outlives the renderer. Only its scene renderer (layer 0) is drawn, not
  // the orientation cube.
  explicit HeadsetSceneRenderer(VolumeView& scene);
  ~HeadsetSceneRenderer();
  HeadsetSceneRenderer(const HeadsetSceneRenderer&) = delete;
  HeadsetSceneRenderer& operator=(const HeadsetSceneRenderer&) = delete;

  void setPlacement(const RoomPlacement& lpsToRoom) { placement_ = lpsToRoom; }
  const RoomPlacement& placement() const { return placement_; }

  // Renders one eye into eye.colorTexture (a complete image: every pixel written). Throws
  // Error(InvalidInput) for a zero size or texture, Error(Unsupported) when the framebuffer
  // with that texture is incomplete (a colour format GL cannot render to).
  void renderEye(const EyeCamera& eye);

  // The last eye's image as 8-bit RGBA rows, bottom row first as GL and vtkImageData store
  // them (a desktop mirror, PNG files): read back from the eye's texture, so call it before the
  // texture goes back to the runtime. Empty before the first renderEye.
  std::vector<std::uint8_t> readBackLastEye(int& width_px, int& height_px) const;

  // What a laser pointer from `origin_m` along `direction` (room) hits first within
  // `reach_m`: the nearest visible mesh surface or volume (vtkCellPicker, exact on triangles).
  struct Hit {
    bool hit = false;
    Vec3 p_lps = Vec3::Zero();
    Vec3 p_room_m = Vec3::Zero();
    double distance_m = 0.0;
    std::optional<std::size_t> mesh;  // the scene's mesh hit (its index); none for the volume
  };
  Hit pick(const Vec3& origin_m, const Vec3& direction, double reach_m = 5.0) const;

  // How the last eye's depth reached its depth texture: "blit" (glBlitFramebuffer on the GPU,
  // when VTK's depth buffer has the texture's format), "read-back" (through host memory,
  // when the formats differ), or "" (no depth texture).
  const std::string& lastDepthCopy() const { return lastDepthCopy_; }

 private:
  void ensureInitialised();
  void placeCamera(const EyeCamera& eye);
  void copyDepth(const EyeCamera& eye);

  VolumeView& scene_;
  RoomPlacement placement_ = RoomPlacement::Identity();
  vtkSmartPointer<vtkGenericOpenGLRenderWindow> window_;
  bool initialised_ = false;
  std::uint32_t targetFramebuffer_ = 0;
  std::uint32_t lastTexture_ = 0;
  int lastWidth_px_ = 0;
  int lastHeight_px_ = 0;
  std::string lastDepthCopy_;
  std::vector<float> depthRows_;  // the read-back path's buffer, kept between frames
};

// The desktop's current slice drawn in the headset's scene as a textured plane through the
// anatomy (issue #20 item 2), as Slicer's 3D view shows its slice planes: the volume resampled
// on the plane (slice_sampler.h, the 2D views' own sampler), greys by the window (the DICOM
// linear VOI function, displayGrey), unlit so the greys are the 2D view's, opaque (the meshes in
// front of the plane hide it, the ones behind it are hidden). Pixels off the volume are black.
class HeadsetSlice {
 public:
  // Borrowed: the scene and the volume outlive the slice. Nothing is shown until show().
  HeadsetSlice(VolumeView& scene, const ImageVolume& volume, const WindowLevel& window);
  ~HeadsetSlice();
  HeadsetSlice(const HeadsetSlice&) = delete;
  HeadsetSlice& operator=(const HeadsetSlice&) = delete;

  // Shows the plane of `orientation` whose LPS coordinate along its axis (axial S = z, coronal
  // P = y, sagittal L = x) is `position_mm`, covering the whole volume; a position outside the
  // volume shows the plane off it (black), as the 2D view does when scrolled past the end.
  void show(SliceOrientation orientation, double position_mm);
  void hide();
  bool shown() const { return shown_; }
  SliceOrientation orientation() const { return orientation_; }
  double position_mm() const { return position_mm_; }
  // How far along a ray (LPS, `direction` unit) it meets the shown plane within the quad, mm;
  // nullopt when hidden, parallel, behind the origin or beside the quad. A laser that meets the
  // plane before any surface drags it (issue #20 item 3).
  std::optional<double> rayHit_mm(const Vec3& origin_lps, const Vec3& direction) const;
  // The sampled plane (pixel centres in LPS); its corners are the quad's, half a pixel out.
  const SlicePlane& plane() const { return plane_; }

 private:
  VolumeView& scene_;
  const ImageVolume& volume_;
  WindowLevel window_;
  SlicePlane plane_;
  SliceOrientation orientation_ = SliceOrientation::Axial;
  double position_mm_ = 0.0;
  vtkSmartPointer<vtkPolyData> quad_;
  vtkSmartPointer<vtkImageData> texture_;
  vtkSmartPointer<vtkActor> actor_;
  bool shown_ = false;
  bool added_ = false;
};

// What a teacher points at, drawn in the headset's scene (issue #20 item 3): the presenter's
// laser pointer as a red ray ending in a dot where it meets the anatomy, and each annotation as
// a yellow marker with its text beside it (a label that always faces the viewer). Unlit, so the
// colours are exact; not pickable. Sizes are in patient millimetres, so they scale with the
// anatomy: the dot 6 mm and a marker 5 mm in radius are 2-3 pixels across at 0.8 m on a
// 320-pixel, 90-degree eye and 10-15 on a 2000-pixel headset eye.
class HeadsetAnnotations {
 public:
  explicit HeadsetAnnotations(VolumeView& scene);  // borrowed: the scene outlives this
  ~HeadsetAnnotations();
  HeadsetAnnotations(const HeadsetAnnotations&) = delete;
  HeadsetAnnotations& operator=(const HeadsetAnnotations&) = delete;

  // The ray from origin_lps along direction (unit) for length_mm, the dot at its end; hidden
  // when !active.
  void setPointer(bool active, const Vec3& origin_lps, const Vec3& direction, double length_mm);
  struct Marker {
    Vec3 point_lps = Vec3::Zero();
    std::string text;
  };
  void setAnnotations(const std::vector<Marker>& markers);
  // Distances measured in the headset: a line between the two points with a dot at each end
  // and its text at the middle; a ruler whose ends coincide (the first point, the second not
  // yet placed) is its dot alone.
  struct Ruler {
    Vec3 from_lps = Vec3::Zero(), to_lps = Vec3::Zero();
    std::string text;
  };
  void setRulers(const std::vector<Ruler>& rulers);

  static constexpr double kDotRadius_mm = 6.0;
  static constexpr double kMarkerRadius_mm = 5.0;
  static constexpr Rgb kPointerColour{255, 40, 40};
  static constexpr Rgb kMarkerColour{255, 220, 0};

 private:
  VolumeView& scene_;
  vtkSmartPointer<vtkActor> ray_, dot_;
  std::vector<vtkSmartPointer<vtkProp>> markers_;
  std::vector<vtkSmartPointer<vtkProp>> rulers_;
};

}  // namespace twinplan::rendering
