#include "twinplan/rendering/headset_view.h"

// clang-format off
#include <vtk_glew.h>  // GL entry points VTK loaded for the current context
// clang-format on
#include <vtkActor.h>
#include <vtkBillboardTextActor3D.h>
#include <vtkCamera.h>
#include <vtkCellArray.h>
#include <vtkCellPicker.h>
#include <vtkFloatArray.h>
#include <vtkGenericOpenGLRenderWindow.h>
#include <vtkImageData.h>
#include <vtkMatrix4x4.h>
#include <vtkNew.h>
#include <vtkOpenGLFramebufferObject.h>
#include <vtkOpenGLState.h>
#include <vtkPointData.h>
#include <vtkPoints.h>
#include <vtkPolyData.h>
#include <vtkPolyDataMapper.h>
#include <vtkProperty.h>
#include <vtkRenderer.h>
#include <vtkTextProperty.h>
#include <vtkTexture.h>

#include <cmath>
#include <limits>
#include <string>

#include "headset_geometry.h"
#include "twinplan/core/error.h"

namespace twinplan::rendering {

Eigen::Matrix4d offAxisProjection(const EyeFieldOfView& fov, double near_, double far_) {
  const double tanLeft = std::tan(fov.angleLeft_rad), tanRight = std::tan(fov.angleRight_rad);
  const double tanUp = std::tan(fov.angleUp_rad), tanDown = std::tan(fov.angleDown_rad);
  const double width = tanRight - tanLeft, height = tanUp - tanDown;
  if (!(width > 0.0) || !(height > 0.0) || !(near_ > 0.0) || !(far_ > near_))
    throw Error(ErrorKind::InvalidInput,
                "An eye's field of view is empty or inverted (right must be right of left, up "
                "above down, 0 < near < far): the headset runtime reported an unusable view.",
                "fov");
  Eigen::Matrix4d m = Eigen::Matrix4d::Zero();
  m(0, 0) = 2.0 / width;
  m(0, 2) = (tanRight + tanLeft) / width;
  m(1, 1) = 2.0 / height;
  m(1, 2) = (tanUp + tanDown) / height;
  m(2, 2) = -(far_ + near_) / (far_ - near_);
  m(2, 3) = -2.0 * far_ * near_ / (far_ - near_);
  m(3, 2) = -1.0;
  return m;
}

RoomPlacement placeInFrontOf(const BoxLps& scene, const Vec3& head_m,
                             const Eigen::Quaterniond& headOrientation, double nearFaceDistance_m) {
  // Room axes of the patient: L -> +x (viewer's right), P -> -z (away), S -> +y (up).
  Mat3 lpsAxesInRoom;
  lpsAxesInRoom << 1, 0, 0,  //
      0, 0, 1,               //
      0, -1, 0;
  // Level forward direction of the head; straight ahead (-z) when looking up or down.
  Vec3 forward = headOrientation * Vec3(0, 0, -1);
  forward.y() = 0.0;
  if (forward.norm() < 1e-6) forward = Vec3(0, 0, -1);
  forward.normalize();
  const double yaw = std::atan2(-forward.x(), -forward.z());  // about +y, 0 = facing -z
  const Mat3 turn = Eigen::AngleAxisd(yaw, Vec3::UnitY()).toRotationMatrix();
  const double depth_m = 0.001 * scene.size_mm().y();  // the A-P extent faces the viewer
  const Vec3 centre_m = head_m + forward * (nearFaceDistance_m + 0.5 * depth_m);
  RoomPlacement placement = RoomPlacement::Identity();
  placement.linear() = 0.001 * turn * lpsAxesInRoom;
  placement.translation() = centre_m - placement.linear() * scene.centre();
  return placement;
}

HeadsetSceneRenderer::HeadsetSceneRenderer(VolumeView& scene) : scene_(scene) {
  window_ = vtkSmartPointer<vtkGenericOpenGLRenderWindow>::New();
  window_->SetOwnContext(false);
  window_->SetMultiSamples(0);
  window_->SetAlphaBitPlanes(1);  // the eye image's alpha is the MR composition's coverage
  window_->AddRenderer(scene_.renderer());
}

HeadsetSceneRenderer::~HeadsetSceneRenderer() {
  if (initialised_) {
    if (targetFramebuffer_ != 0) glDeleteFramebuffers(1, &targetFramebuffer_);
    window_->RemoveRenderer(scene_.renderer());
    window_->Finalize();
  }
}

void HeadsetSceneRenderer::ensureInitialised() {
  if (initialised_) return;
  window_->SetIsCurrent(true);
  if (!window_->InitializeFromCurrentContext())
    throw Error(ErrorKind::Unsupported,
                "VTK could not draw in the headset's OpenGL context (OpenGL 3.2 core or newer "
                "is needed): update the graphics driver.",
                "OpenGL");
  // VTK renders into its own framebuffer and blits it into the one bound at the end of a
  // render: ours, with the eye's swapchain texture attached.
  window_->SetFrameBlitModeToBlitToCurrent();
  glGenFramebuffers(1, &targetFramebuffer_);
  initialised_ = true;
}

void HeadsetSceneRenderer::placeCamera(const EyeCamera& eye) {
  // The eye in LPS: the inverse placement maps room metres back to patient millimetres, so the
  // view matrix is the eye's pose in patient space and the projection stays the headset's.
  const RoomPlacement roomToLps = placement_.inverse();
  const double mmPerMetre = 1.0 / std::cbrt(placement_.linear().determinant());
  const Vec3 position_lps = roomToLps * eye.position_m;
  const Vec3 forward_lps = (roomToLps.linear() * (eye.orientation * Vec3(0, 0, -1))).normalized();
  const Vec3 up_lps = (roomToLps.linear() * (eye.orientation * Vec3(0, 1, 0))).normalized();
  vtkCamera* camera = scene_.renderer()->GetActiveCamera();
  camera->SetPosition(position_lps.data());
  const Vec3 focal_lps = position_lps + forward_lps * (mmPerMetre * 1.0);
  camera->SetFocalPoint(focal_lps.data());
  camera->SetViewUp(up_lps.data());
  const double near_ = eye.near_m * mmPerMetre, far_ = eye.far_m * mmPerMetre;
  camera->SetClippingRange(near_, far_);
  const Eigen::Matrix4d projection = offAxisProjection(eye.fov, near_, far_);
  vtkNew<vtkMatrix4x4> matrix;
  for (int r = 0; r < 4; ++r)
    for (int c = 0; c < 4; ++c) matrix->SetElement(r, c, projection(r, c));
  camera->SetExplicitProjectionTransformMatrix(matrix);
  camera->UseExplicitProjectionTransformMatrixOn();
}

void HeadsetSceneRenderer::renderEye(const EyeCamera& eye) {
  if (eye.width_px <= 0 || eye.height_px <= 0 || eye.colorTexture == 0)
    throw Error(ErrorKind::InvalidInput,
                "An eye image needs a size and a texture to draw into: the headset session "
                "passed an empty one.",
                "eye " + std::to_string(eye.width_px) + "x" + std::to_string(eye.height_px));
  ensureInitialised();
  placeCamera(eye);

  vtkRenderer* renderer = scene_.renderer();
  double background[3], background2[3];
  renderer->GetBackground(background);
  renderer->GetBackground2(background2);
  const bool gradient = renderer->GetGradientBackground();
  const double alpha = renderer->GetBackgroundAlpha();
  if (eye.transparentBackground) {
    // Additive displays show black as see-through; alpha-blend ones use alpha (OpenXR 1.0
    // section 10.5, XrEnvironmentBlendMode): transparent black serves both.
    renderer->GradientBackgroundOff();
    renderer->SetBackground(0.0, 0.0, 0.0);
    renderer->SetBackgroundAlpha(0.0);
  } else {
    renderer->SetBackgroundAlpha(1.0);
  }

  glBindFramebuffer(GL_FRAMEBUFFER, targetFramebuffer_);
  glFramebufferTexture2D(GL_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_TEXTURE_2D, eye.colorTexture, 0);
  const GLenum status = glCheckFramebufferStatus(GL_FRAMEBUFFER);
  if (status != GL_FRAMEBUFFER_COMPLETE) {
    glBindFramebuffer(GL_FRAMEBUFFER, 0);
    throw Error(ErrorKind::Unsupported,
                "The headset's swapchain image cannot be drawn into (framebuffer status " +
                    std::to_string(status) + "): its colour format is not renderable here.",
                "texture " + std::to_string(eye.colorTexture));
  }
  window_->SetSize(eye.width_px, eye.height_px);
  window_->SetIsCurrent(true);
  window_->SetReadyForRendering(true);
  // The session's own GL calls leave state VTK caches as its own: reset, and restore after.
  vtkOpenGLState* state = window_->GetState();
  state->Reset();
  state->Push();
  const bool fxaa = renderer->GetUseFXAA();
  renderer->UseFXAAOff();
  window_->Render();
  renderer->SetUseFXAA(fxaa);
  state->Pop();
  window_->SetReadyForRendering(false);
  if (eye.depthTexture != 0) copyDepth(eye);
  lastDepthCopy_ = eye.depthTexture != 0 ? lastDepthCopy_ : std::string();
  glFinish();  // the runtime may read the texture in another context or process
  glBindFramebuffer(GL_FRAMEBUFFER, 0);

  renderer->SetBackground(background);
  renderer->SetBackground2(background2);
  renderer->SetGradientBackground(gradient);
  renderer->SetBackgroundAlpha(alpha);
  lastTexture_ = eye.colorTexture;
  lastWidth_px_ = eye.width_px;
  lastHeight_px_ = eye.height_px;
}

// VTK 9.1 blits only colour into the current framebuffer (BlitToCurrent); the depth stays in its
// render framebuffer. glBlitFramebuffer copies depth only between identical depth formats
// (OpenGL 4.5 core section 18.3.1: INVALID_OPERATION otherwise), so a texture of VTK's format is
// blitted on the GPU and any other goes through host memory (glReadPixels / glTexSubImage2D as
// floats, which GL converts to the texture's format).
void HeadsetSceneRenderer::copyDepth(const EyeCamera& eye) {
  vtkOpenGLFramebufferObject* rendered = window_->GetRenderFramebuffer();
  if (rendered == nullptr)
    throw Error(ErrorKind::Internal, "VTK rendered the eye without a framebuffer of its own.",
                "depth");
  glBindFramebuffer(GL_READ_FRAMEBUFFER, rendered->GetFBOIndex());
  GLint depthBits = 0, componentType = 0;
  glGetFramebufferAttachmentParameteriv(GL_READ_FRAMEBUFFER, GL_DEPTH_ATTACHMENT,
                                        GL_FRAMEBUFFER_ATTACHMENT_DEPTH_SIZE, &depthBits);
  glGetFramebufferAttachmentParameteriv(GL_READ_FRAMEBUFFER, GL_DEPTH_ATTACHMENT,
                                        GL_FRAMEBUFFER_ATTACHMENT_COMPONENT_TYPE, &componentType);
  const bool sourceFloat = componentType == GL_FLOAT;
  const bool sameFormat =
      (eye.depthFormat == GL_DEPTH_COMPONENT32F && sourceFloat && depthBits == 32) ||
      (eye.depthFormat == GL_DEPTH_COMPONENT24 && !sourceFloat && depthBits == 24);
  while (glGetError() != GL_NO_ERROR) {
  }
  if (sameFormat) {
    glBindFramebuffer(GL_DRAW_FRAMEBUFFER, targetFramebuffer_);
    glFramebufferTexture2D(GL_DRAW_FRAMEBUFFER, GL_DEPTH_ATTACHMENT, GL_TEXTURE_2D,
                           eye.depthTexture, 0);
    glBlitFramebuffer(0, 0, eye.width_px, eye.height_px, 0, 0, eye.width_px, eye.height_px,
                      GL_DEPTH_BUFFER_BIT, GL_NEAREST);
    glFramebufferTexture2D(GL_DRAW_FRAMEBUFFER, GL_DEPTH_ATTACHMENT, GL_TEXTURE_2D, 0, 0);
    if (glGetError() == GL_NO_ERROR) {
      lastDepthCopy_ = "blit";
      return;
    }
  }
  depthRows_.resize(static_cast<size_t>(eye.width_px) * eye.height_px);
  glBindBuffer(GL_PIXEL_PACK_BUFFER, 0);
  glBindBuffer(GL_PIXEL_UNPACK_BUFFER, 0);
  glPixelStorei(GL_PACK_ALIGNMENT, 4);
  glPixelStorei(GL_UNPACK_ALIGNMENT, 4);
  glReadPixels(0, 0, eye.width_px, eye.height_px, GL_DEPTH_COMPONENT, GL_FLOAT, depthRows_.data());
  GLint previousTexture = 0;
  glGetIntegerv(GL_TEXTURE_BINDING_2D, &previousTexture);
  glBindTexture(GL_TEXTURE_2D, eye.depthTexture);
  glTexSubImage2D(GL_TEXTURE_2D, 0, 0, 0, eye.width_px, eye.height_px, GL_DEPTH_COMPONENT, GL_FLOAT,
                  depthRows_.data());
  glBindTexture(GL_TEXTURE_2D, static_cast<GLuint>(previousTexture));
  if (const GLenum error = glGetError(); error != GL_NO_ERROR)
    throw Error(ErrorKind::Unsupported,
                "The eye's depth could not be copied into the headset's depth image (GL error " +
                    std::to_string(error) + "): its depth format is not writable here.",
                "depth texture " + std::to_string(eye.depthTexture));
  lastDepthCopy_ = "read-back";
}

std::vector<std::uint8_t> HeadsetSceneRenderer::readBackLastEye(int& width_px,
                                                                int& height_px) const {
  width_px = lastWidth_px_;
  height_px = lastHeight_px_;
  if (lastTexture_ == 0) return {};
  std::vector<std::uint8_t> rgba(static_cast<size_t>(width_px) * height_px * 4);
  glBindFramebuffer(GL_FRAMEBUFFER, targetFramebuffer_);
  glFramebufferTexture2D(GL_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_TEXTURE_2D, lastTexture_, 0);
  glPixelStorei(GL_PACK_ALIGNMENT, 1);
  glReadPixels(0, 0, width_px, height_px, GL_RGBA, GL_UNSIGNED_BYTE, rgba.data());
  glBindFramebuffer(GL_FRAMEBUFFER, 0);
  return rgba;
}

namespace {

// The first visible prop vtkCellPicker meets on the segment (tolerance 0: the ray itself).
struct SegmentHit {
  Vec3 p_lps;
  std::optional<std::size_t> mesh;  // the scene's mesh it lies on; none for the volume
};
std::optional<SegmentHit> firstHitOnSegment(VolumeView& scene, const Vec3& from_lps,
                                            const Vec3& to_lps) {
  vtkNew<vtkCellPicker> picker;
  picker->SetTolerance(0.0);          // the ray itself, not a cone around it
  Vec3 from = from_lps, to = to_lps;  // Pick3DPoint takes non-const pointers
  if (picker->Pick3DPoint(from.data(), to.data(), scene.renderer()) == 0) return std::nullopt;
  double p[3];
  picker->GetPickPosition(p);
  return SegmentHit{Vec3(p[0], p[1], p[2]), scene.meshIndexOf(picker->GetActor())};
}

}  // namespace

std::optional<Vec3> firstSurfaceOnSegment(VolumeView& scene, const Vec3& from_lps,
                                          const Vec3& to_lps) {
  const auto hit = firstHitOnSegment(scene, from_lps, to_lps);
  return hit ? std::optional(hit->p_lps) : std::nullopt;
}

HeadsetSceneRenderer::Hit HeadsetSceneRenderer::pick(const Vec3& origin_m, const Vec3& direction,
                                                     double reach_m) const {
  Hit result;
  if (direction.norm() < 1e-12 || !(reach_m > 0.0)) return result;
  const RoomPlacement roomToLps = placement_.inverse();
  const auto hit = firstHitOnSegment(scene_, roomToLps * origin_m,
                                     roomToLps * (origin_m + direction.normalized() * reach_m));
  if (!hit) return result;
  result.hit = true;
  result.p_lps = hit->p_lps;
  result.mesh = hit->mesh;
  result.p_room_m = placement_ * result.p_lps;
  result.distance_m = (result.p_room_m - origin_m).norm();
  return result;
}

HeadsetSlice::HeadsetSlice(VolumeView& scene, const ImageVolume& volume, const WindowLevel& window)
    : scene_(scene), volume_(volume), window_(window) {
  // One quad, corners (0, 0), (1, 0), (1, 1), (0, 1) in texture coordinates; the points are set
  // by show().
  quad_ = vtkSmartPointer<vtkPolyData>::New();
  vtkNew<vtkPoints> corners;
  corners->SetNumberOfPoints(4);
  quad_->SetPoints(corners);
  vtkNew<vtkCellArray> cells;
  const vtkIdType ids[4] = {0, 1, 2, 3};
  cells->InsertNextCell(4, ids);
  quad_->SetPolys(cells);
  vtkNew<vtkFloatArray> st;
  st->SetNumberOfComponents(2);
  const float stValues[8] = {0, 0, 1, 0, 1, 1, 0, 1};
  for (int i = 0; i < 4; ++i) st->InsertNextTuple(stValues + 2 * i);
  quad_->GetPointData()->SetTCoords(st);
  texture_ = vtkSmartPointer<vtkImageData>::New();
  vtkNew<vtkTexture> texture;
  texture->SetInputData(texture_);
  texture->InterpolateOn();
  texture->SetColorModeToDirectScalars();  // the greys as they are, no lookup table
  vtkNew<vtkPolyDataMapper> mapper;
  mapper->SetInputData(quad_);
  actor_ = vtkSmartPointer<vtkActor>::New();
  actor_->SetMapper(mapper);
  actor_->SetTexture(texture);
  actor_->GetProperty()->LightingOff();  // the window's greys, not shaded by the headlight
  actor_->PickableOff();                 // the laser picks anatomy, not the slice
}

HeadsetSlice::~HeadsetSlice() {
  if (added_) scene_.renderer()->RemoveActor(actor_);
}

void HeadsetSlice::show(SliceOrientation orientation, double position_mm) {
  const ImageGeometry& geometry = volume_.geometry();
  Vec3 centre = geometry.indexToLps(Vec3(0.5 * (geometry.size[0] - 1), 0.5 * (geometry.size[1] - 1),
                                         0.5 * (geometry.size[2] - 1)));
  const int axis = orientation == SliceOrientation::Axial     ? 2
                   : orientation == SliceOrientation::Coronal ? 1
                                                              : 0;
  centre[axis] = position_mm;
  orientation_ = orientation;
  position_mm_ = position_mm;
  plane_ = planeCovering(geometry, orientation, centre);
  std::vector<float> values;
  sampleSlice(volume_, plane_, std::numeric_limits<float>::quiet_NaN(), values);

  // Texture coordinate s runs along the plane's u, t along v; the image's row j is t, so row j
  // of the texture is the plane's row v = j.
  texture_->SetDimensions(plane_.width, plane_.height, 1);
  texture_->AllocateScalars(VTK_UNSIGNED_CHAR, 3);
  auto* rgb = static_cast<std::uint8_t*>(texture_->GetScalarPointer());
  for (std::size_t i = 0; i < values.size(); ++i) {
    const std::uint8_t grey = std::isnan(values[i]) ? 0 : screenGrey(values[i], window_, volume_);
    rgb[3 * i] = rgb[3 * i + 1] = rgb[3 * i + 2] = grey;
  }
  texture_->Modified();
  const double u0 = -0.5, u1 = plane_.width - 0.5, v0 = -0.5, v1 = plane_.height - 0.5;
  const Vec3 corners[4] = {plane_.pixelToLps(u0, v0), plane_.pixelToLps(u1, v0),
                           plane_.pixelToLps(u1, v1), plane_.pixelToLps(u0, v1)};
  for (int i = 0; i < 4; ++i) quad_->GetPoints()->SetPoint(i, corners[i].data());
  quad_->GetPoints()->Modified();
  quad_->Modified();
  if (!added_) scene_.renderer()->AddActor(actor_);
  added_ = true;
  actor_->SetVisibility(true);
  shown_ = true;
}

void HeadsetSlice::hide() {
  actor_->SetVisibility(false);
  shown_ = false;
}

std::optional<double> HeadsetSlice::rayHit_mm(const Vec3& origin_lps, const Vec3& direction) const {
  if (!shown_) return std::nullopt;
  const Vec3 normal = plane_.normal();
  const double across = direction.dot(normal);
  if (std::abs(across) < 1e-9) return std::nullopt;  // the ray runs along the plane
  const double t = (plane_.origin_lps - origin_lps).dot(normal) / across;
  if (t < 0.0) return std::nullopt;
  // In pixel units from the top-left pixel's centre: the quad reaches half a pixel beyond.
  const Vec3 offset = origin_lps + t * direction - plane_.origin_lps;
  const double u = offset.dot(plane_.right) / plane_.spacing_mm;
  const double v = offset.dot(plane_.down) / plane_.spacing_mm;
  if (u < -0.5 || u > plane_.width - 0.5 || v < -0.5 || v > plane_.height - 0.5)
    return std::nullopt;
  return t;
}

// A UV sphere (12 around, 6 pole to pole) as triangles: enough for a marker a few pixels wide.
vtkSmartPointer<vtkPolyData> markerSphere(double radius_mm) {
  constexpr int kAround = 12, kRings = 6;
  constexpr double kPi = 3.14159265358979323846;
  vtkNew<vtkPoints> points;
  for (int r = 0; r <= kRings; ++r)
    for (int a = 0; a < kAround; ++a) {
      const double polar = kPi * r / kRings, azimuth = 2.0 * kPi * a / kAround;
      points->InsertNextPoint(radius_mm * std::sin(polar) * std::cos(azimuth),
                              radius_mm * std::sin(polar) * std::sin(azimuth),
                              radius_mm * std::cos(polar));
    }
  vtkNew<vtkCellArray> triangles;
  const auto id = [](int r, int a) { return vtkIdType(r * kAround + a % kAround); };
  for (int r = 0; r < kRings; ++r)
    for (int a = 0; a < kAround; ++a) {
      const vtkIdType first[3] = {id(r, a), id(r + 1, a), id(r + 1, a + 1)};
      const vtkIdType second[3] = {id(r, a), id(r + 1, a + 1), id(r, a + 1)};
      triangles->InsertNextCell(3, first);
      triangles->InsertNextCell(3, second);
    }
  auto sphere = vtkSmartPointer<vtkPolyData>::New();
  sphere->SetPoints(points);
  sphere->SetPolys(triangles);
  return sphere;
}

namespace {

vtkSmartPointer<vtkActor> unlitActor(vtkPolyData* geometry, const Rgb& colour) {
  vtkNew<vtkPolyDataMapper> mapper;
  mapper->SetInputData(geometry);
  auto actor = vtkSmartPointer<vtkActor>::New();
  actor->SetMapper(mapper);
  actor->GetProperty()->LightingOff();
  actor->GetProperty()->SetAmbient(1.0);  // unlit: the colour itself
  actor->GetProperty()->SetDiffuse(0.0);
  actor->GetProperty()->SetColor(colour.r / 255.0, colour.g / 255.0, colour.b / 255.0);
  actor->PickableOff();
  return actor;
}

// A 2-pixel unlit line from `from` to `to` (the pointer's ray, a ruler).
vtkSmartPointer<vtkActor> lineActor(const Vec3& from, const Vec3& to, const Rgb& colour) {
  vtkNew<vtkPolyData> line;
  vtkNew<vtkPoints> ends;
  ends->InsertNextPoint(from.data());
  ends->InsertNextPoint(to.data());
  line->SetPoints(ends);
  vtkNew<vtkCellArray> cells;
  const vtkIdType ids[2] = {0, 1};
  cells->InsertNextCell(2, ids);
  line->SetLines(cells);
  auto actor = unlitActor(line, colour);
  actor->GetProperty()->SetLineWidth(2.0f);
  return actor;
}

// Text whose lower left corner is at `at`, always facing the viewer, not pickable.
vtkSmartPointer<vtkBillboardTextActor3D> labelAt(const Vec3& at, const std::string& text,
                                                 const Rgb& colour) {
  auto label = vtkSmartPointer<vtkBillboardTextActor3D>::New();
  label->SetInput(text.c_str());
  label->SetPosition(at.x(), at.y(), at.z());
  label->GetTextProperty()->SetFontSize(14);
  label->GetTextProperty()->SetJustificationToLeft();
  label->GetTextProperty()->SetVerticalJustificationToBottom();
  label->GetTextProperty()->SetColor(colour.r / 255.0, colour.g / 255.0, colour.b / 255.0);
  label->PickableOff();
  return label;
}

}  // namespace

HeadsetAnnotations::HeadsetAnnotations(VolumeView& scene) : scene_(scene) {
  ray_ = lineActor(Vec3::Zero(), Vec3::UnitZ(), kPointerColour);
  dot_ = unlitActor(markerSphere(kDotRadius_mm), kPointerColour);
  for (vtkActor* actor : {ray_.Get(), dot_.Get()}) {
    actor->SetVisibility(false);
    scene_.renderer()->AddActor(actor);
  }
}

HeadsetAnnotations::~HeadsetAnnotations() {
  scene_.renderer()->RemoveActor(ray_);
  scene_.renderer()->RemoveActor(dot_);
  for (const auto& marker : markers_) scene_.renderer()->RemoveViewProp(marker);
  for (const auto& part : rulers_) scene_.renderer()->RemoveViewProp(part);
}

void HeadsetAnnotations::setPointer(bool active, const Vec3& origin_lps, const Vec3& direction,
                                    double length_mm) {
  const bool shown = active && direction.norm() > 1e-12 && length_mm > 0.0;
  ray_->SetVisibility(shown);
  dot_->SetVisibility(shown);
  if (!shown) return;
  const Vec3 end = origin_lps + direction.normalized() * length_mm;
  auto* line = vtkPolyData::SafeDownCast(ray_->GetMapper()->GetInput());
  line->GetPoints()->SetPoint(0, origin_lps.data());
  line->GetPoints()->SetPoint(1, end.data());
  line->GetPoints()->Modified();
  line->Modified();
  dot_->SetPosition(end.x(), end.y(), end.z());
}

void HeadsetAnnotations::setAnnotations(const std::vector<Marker>& markers) {
  for (const auto& marker : markers_) scene_.renderer()->RemoveViewProp(marker);
  markers_.clear();
  const vtkSmartPointer<vtkPolyData> sphere = markerSphere(kMarkerRadius_mm);
  for (const Marker& marker : markers) {
    auto point = unlitActor(sphere, kMarkerColour);
    point->SetPosition(marker.point_lps.x(), marker.point_lps.y(), marker.point_lps.z());
    markers_.push_back(point);
    if (marker.text.empty()) continue;
    // The note above and beside its marker (its lower left corner there), facing the viewer,
    // clear of the marker: a label's quad over the marker would darken it.
    auto label = labelAt(marker.point_lps + Vec3(2.0 * kMarkerRadius_mm, 0, 2.0 * kMarkerRadius_mm),
                         marker.text, kMarkerColour);
    markers_.push_back(label);
  }
  for (const auto& marker : markers_) scene_.renderer()->AddViewProp(marker);
}

void HeadsetAnnotations::setRulers(const std::vector<Ruler>& rulers) {
  for (const auto& part : rulers_) scene_.renderer()->RemoveViewProp(part);
  rulers_.clear();
  const vtkSmartPointer<vtkPolyData> end = markerSphere(0.5 * kMarkerRadius_mm);
  for (const Ruler& ruler : rulers) {
    for (const Vec3& p : {ruler.from_lps, ruler.to_lps}) {
      auto dot = unlitActor(end, kMarkerColour);
      dot->SetPosition(p.x(), p.y(), p.z());
      rulers_.push_back(dot);
    }
    if ((ruler.to_lps - ruler.from_lps).norm() < 1e-9) continue;
    rulers_.push_back(lineActor(ruler.from_lps, ruler.to_lps, kMarkerColour));
    if (!ruler.text.empty())
      rulers_.push_back(
          labelAt(0.5 * (ruler.from_lps + ruler.to_lps) + Vec3(0, 0, 2.0 * kMarkerRadius_mm),
                  ruler.text, kMarkerColour));
  }
  for (const auto& part : rulers_) scene_.renderer()->AddViewProp(part);
}

}  // namespace twinplan::rendering
