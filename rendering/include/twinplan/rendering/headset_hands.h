#pragma once
// The viewer's tracked hands drawn in the headset's scene (issue #20 item 3): a sphere at each
// joint and a capsule along each bone, so a surgeon who put the controllers down sees where the
// hands are against the anatomy (a pinch is aimed by eye). No OpenXR here: the adapter (app/xr)
// hands over each joint's place and radius in the room and which joints a bone joins.
#include <vtkSmartPointer.h>

#include <array>
#include <vector>

#include "twinplan/core/geometry.h"
#include "twinplan/rendering/headset_view.h"
#include "twinplan/rendering/volume_view.h"

class vtkActor;
class vtkPolyData;
class vtkTubeFilter;

namespace twinplan::rendering {

class HeadsetHands {
 public:
  // One joint as the headset locates it, in the room (OpenXR's reference space, metres).
  struct Joint {
    Vec3 p_room_m = Vec3::Zero();
    double radius_m = 0.0;
    bool located = false;
  };
  using Bone = std::array<int, 2>;  // the joints (indices into the hand's joints) it joins

  explicit HeadsetHands(VolumeView& scene);  // borrowed: the scene outlives this
  ~HeadsetHands();
  HeadsetHands(const HeadsetHands&) = delete;
  HeadsetHands& operator=(const HeadsetHands&) = delete;

  // Shows hand `index` (0 left, 1 right): a sphere of its radius at every located joint and a
  // capsule along every bone whose two joints are located, mapped into the scene's LPS through
  // the anatomy's current placement (call again when a grab moves it). No located joint: hidden.
  void setHand(int index, const std::vector<Joint>& joints, const std::vector<Bone>& bones,
               const RoomPlacement& lpsToRoom);
  void hide(int index);
  bool shown(int index) const;

  // Runtimes report the palm's and wrist's radii as about half the hand's width (25 and 22 mm
  // in the test runtime); spheres that size would hide the fingers' roots, so a drawn joint is
  // at most this thick.
  static constexpr double kMaxDrawnRadius_m = 0.012;
  // A light, cool grey: reads as "your hand" without claiming a skin tone, and stands apart
  // from the anatomy's tissue colours and the pointer's red; the joints a darker shade of it.
  static constexpr Rgb kBoneColour{205, 212, 224};
  static constexpr Rgb kJointColour{150, 162, 184};

 private:
  VolumeView& scene_;
  std::array<vtkSmartPointer<vtkPolyData>, 2> skeletons_;  // joints (points), bones (lines)
  std::array<vtkSmartPointer<vtkTubeFilter>, 2> tubes_;
  std::array<vtkSmartPointer<vtkActor>, 2> bones_, joints_;
};

}  // namespace twinplan::rendering
