#include "twinplan/rendering/headset_hands.h"

#include <vtkActor.h>
#include <vtkAppendPolyData.h>
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
    // ... and at each joint a unit sphere scaled by the joint's radius (the points' scalars).
    vtkNew<vtkGlyph3D> joints;
    joints->SetInputData(skeletons_[h]);
    joints->SetSourceData(markerSphere(1.0));
    joints->SetScaleModeToScaleByScalar();
    joints->SetScaleFactor(1.0);
    joints->OrientOff();
    vtkNew<vtkAppendPolyData> hand;
    hand->AddInputConnection(tubes_[h]->GetOutputPort());
    hand->AddInputConnection(joints->GetOutputPort());
    vtkNew<vtkPolyDataMapper> mapper;
    mapper->SetInputConnection(hand->GetOutputPort());
    mapper->ScalarVisibilityOff();  // the hand's colour, not its radii
    actors_[h] = vtkSmartPointer<vtkActor>::New();
    actors_[h]->SetMapper(mapper);
    actors_[h]->GetProperty()->SetColor(kHandColour.r / 255.0, kHandColour.g / 255.0,
                                        kHandColour.b / 255.0);
    actors_[h]->PickableOff();  // the laser picks the anatomy, not the hand that aims it
    actors_[h]->SetVisibility(false);
    scene_.renderer()->AddActor(actors_[h]);
  }
}

HeadsetHands::~HeadsetHands() {
  for (const auto& actor : actors_) scene_.renderer()->RemoveActor(actor);
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
  actors_[h]->SetVisibility(any);
}

void HeadsetHands::hide(int index) { actors_[handSlot(index)]->SetVisibility(false); }

bool HeadsetHands::shown(int index) const { return actors_[handSlot(index)]->GetVisibility() != 0; }

}  // namespace twinplan::rendering
