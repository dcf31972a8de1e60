#include "twinplan/rendering/headset_hands.h"

#include <vtkActor.h>
#include <vtkAlgorithmOutput.h>
#include <vtkCellArray.h>
#include <vtkFloatArray.h>
#include <vtkGlyph3D.h>
#include <vtkNew.h>
#include <vtkPointData.h>
#include <vtkPoints.h>
#include <vtkPolyData.h>
#include <vtkPolyDataMapper.h>
#include <vtkProperty.h>
#include <vtkRenderer.h>
#include <vtkTubeFilter.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "headset_geometry.h"
#include "twinplan/core/error.h"

namespace twinplan::rendering {
namespace {

// A located joint whose runtime gives no radius is drawn as a finger joint (the test runtime's
// and common runtimes' finger radii are 7-9 mm).
constexpr double kFallbackRadius_m = 0.008;

// Unlit, as the pointer and the notes: the hand's colours stay exact from any side (lit, the
// fingers seen end-on from above came out black under llvmpipe), and the darker joints mark
// the knuckles on the lighter bones.
vtkSmartPointer<vtkActor> handActor(vtkAlgorithmOutput* geometry, const Rgb& colour) {
  vtkNew<vtkPolyDataMapper> mapper;
  mapper->SetInputConnection(geometry);
  mapper->ScalarVisibilityOff();  // the hand's colour, not its radii
  auto actor = vtkSmartPointer<vtkActor>::New();
  actor->SetMapper(mapper);
  actor->GetProperty()->LightingOff();
  actor->GetProperty()->SetAmbient(1.0);
  actor->GetProperty()->SetDiffuse(0.0);
  actor->GetProperty()->SetColor(colour.r / 255.0, colour.g / 255.0, colour.b / 255.0);
  actor->PickableOff();  // the laser picks the anatomy, not the hand that aims it
  actor->SetVisibility(false);
  return actor;
}

std::size_t handSlot(int index) {
  if (index != 0 && index != 1)
    throw Error(ErrorKind::InvalidInput,
                "A hand is 0 (left) or 1 (right), not " + std::to_string(index) + ".", "hand");
  return std::size_t(index);
}

}  // namespace

HeadsetHands::HeadsetHands(VolumeView& scene) : scene_(scene) {
  for (std::size_t h = 0; h < 2; ++h) {
    skeletons_[h] = vtkSmartPointer<vtkPolyData>::New();
    // A capsule along each bone (the joints' spheres close its ends) ...
    tubes_[h] = vtkSmartPointer<vtkTubeFilter>::New();
    tubes_[h]->SetInputData(skeletons_[h]);
    tubes_[h]->SetNumberOfSides(10);
    tubes_[h]->CappingOff();
    bones_[h] = handActor(tubes_[h]->GetOutputPort(), kBoneColour);
    // ... and at each joint a unit sphere scaled by the joint's radius (the points' scalars).
    vtkNew<vtkGlyph3D> joints;
    joints->SetInputData(skeletons_[h]);
    joints->SetSourceData(markerSphere(1.0));
    joints->SetScaleModeToScaleByScalar();
    joints->SetScaleFactor(1.0);
    joints->OrientOff();
    joints_[h] = handActor(joints->GetOutputPort(), kJointColour);
    scene_.renderer()->AddActor(bones_[h]);
    scene_.renderer()->AddActor(joints_[h]);
  }
}

HeadsetHands::~HeadsetHands() {
  for (std::size_t h = 0; h < 2; ++h) {
    scene_.renderer()->RemoveActor(bones_[h]);
    scene_.renderer()->RemoveActor(joints_[h]);
  }
}

void HeadsetHands::setHand(int index, const std::vector<Joint>& joints,
                           const std::vector<Bone>& bones, const RoomPlacement& lpsToRoom) {
  const std::size_t h = handSlot(index);
  // Room metres per patient millimetre (the placement is a rotation times a uniform scale).
  const double roomPerMm = std::cbrt(std::abs(lpsToRoom.linear().determinant()));
  if (!(roomPerMm > 0.0) || !std::isfinite(roomPerMm))
    throw Error(ErrorKind::InvalidInput,
                "The anatomy's placement in the room is singular: the hands cannot be drawn.",
                "lpsToRoom");
  const RoomPlacement roomToLps = lpsToRoom.inverse();
  vtkNew<vtkPoints> points;
  vtkNew<vtkFloatArray> radii_mm;
  std::vector<vtkIdType> drawnAs(joints.size(), -1);
  double thinnest_mm = std::numeric_limits<double>::infinity();
  for (std::size_t j = 0; j < joints.size(); ++j) {
    if (!joints[j].located) continue;
    const Vec3 p_lps = roomToLps * joints[j].p_room_m;
    const double radius_m = joints[j].radius_m > 0.0 ? joints[j].radius_m : kFallbackRadius_m;
    const double radius_mm = std::min(radius_m, kMaxDrawnRadius_m) / roomPerMm;
    drawnAs[j] = points->InsertNextPoint(p_lps.data());
    radii_mm->InsertNextValue(float(radius_mm));
    thinnest_mm = std::min(thinnest_mm, radius_mm);
  }
  vtkNew<vtkCellArray> lines;
  for (const Bone& bone : bones) {
    for (const int joint : bone)
      if (joint < 0 || std::size_t(joint) >= joints.size())
        throw Error(ErrorKind::InvalidInput,
                    "A hand bone names joint " + std::to_string(joint) + "; the hand has " +
                        std::to_string(joints.size()) + " joints.",
                    "bones");
    const vtkIdType ends[2] = {drawnAs[std::size_t(bone[0])], drawnAs[std::size_t(bone[1])]};
    if (ends[0] >= 0 && ends[1] >= 0) lines->InsertNextCell(2, ends);
  }
  vtkPolyData* skeleton = skeletons_[h];
  skeleton->SetPoints(points);
  skeleton->SetLines(lines);
  skeleton->GetPointData()->SetScalars(radii_mm);
  skeleton->Modified();
  const bool any = points->GetNumberOfPoints() > 0;
  // Bones a little thinner than the thinnest joint, so the joints read as knuckles.
  if (any) tubes_[h]->SetRadius(0.8 * thinnest_mm);
  bones_[h]->SetVisibility(any);
  joints_[h]->SetVisibility(any);
}

void HeadsetHands::hide(int index) {
  bones_[handSlot(index)]->SetVisibility(false);
  joints_[handSlot(index)]->SetVisibility(false);
}

bool HeadsetHands::shown(int index) const { return joints_[handSlot(index)]->GetVisibility() != 0; }

}  // namespace twinplan::rendering
