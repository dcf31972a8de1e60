#include "headset_tools.h"

#include <cmath>
#include <cstdio>
#include <limits>
#include <utility>

#include "twinplan/xr/anatomy_grab.h"

namespace twinplan::xr_app {
namespace {

// The LPS axis a slice orientation's position runs along: axial S (z), coronal P (y), sagittal
// L (x) (teaching::SharedSlice).
int sliceAxis(rendering::SliceOrientation orientation) {
  switch (orientation) {
    case rendering::SliceOrientation::Axial:
      return 2;
    case rendering::SliceOrientation::Coronal:
      return 1;
    case rendering::SliceOrientation::Sagittal:
      return 0;
  }
  return 2;
}

nlohmann::json toJson(const Vec3& p) { return {p.x(), p.y(), p.z()}; }

// The aim pose's ray in the room: its position and its -z axis (OpenXR 1.0 section 6.3.2).
Vec3 aimDirection(const Eigen::Affine3d& aim) { return aim.linear() * Vec3(0, 0, -1); }

}  // namespace

std::string modelKey(const SurfaceMesh& mesh) {
  return mesh.segmentName.empty() ? mesh.name : mesh.segmentName;
}

HeadsetTools::HeadsetTools(rendering::HeadsetSceneRenderer& headset, rendering::VolumeView& scene,
                           const std::vector<SurfaceMesh>& models, rendering::HeadsetSlice* slice,
                           rendering::HeadsetAnnotations& rulers)
    : headset_(headset), scene_(scene), models_(models), slice_(slice), rulers_(rulers) {}

void HeadsetTools::update(const xr::HeadsetInput& input, std::int64_t frame, bool labelRulers) {
  const std::size_t rulersBefore = measured_.size();
  const bool pendingBefore = firstPoint_lps_.has_value();
  for (int h = 0; h < 2; ++h) {
    const xr::HandInput& hand = input.hand(h);
    const Eigen::Affine3d aim = xr::toAffine(hand.aim);
    // The trigger's pull as the anatomy's grab: past 0.5 (AnatomyGrab::kGrabAt).
    const bool pulled = hand.tracked && hand.pointer >= xr::AnatomyGrab::kGrabAt;
    if (pulled && !triggerHeld_[h]) {
      pull(h, aim, frame);
    } else if (pulled && dragHand_ == h) {
      drag(aim, frame);
    } else if (!pulled && dragHand_ == h) {
      dragHand_ = -1;
      log_["sliceMoves"].push_back({{"frame", frame},
                                    {"orientation", rendering::toString(slice_->orientation())},
                                    {"from_mm", dragStartPosition_mm_},
                                    {"to_mm", slice_->position_mm()}});
    }
    triggerHeld_[h] = pulled;
    const bool pressed = hand.tracked && hand.toggle;
    if (pressed && !toggleHeld_[h]) toggle(aim, frame);
    toggleHeld_[h] = pressed;
  }
  if (measured_.size() != rulersBefore || firstPoint_lps_.has_value() != pendingBefore)
    drawRulers(labelRulers);
}

// A pull on the slice plane (nearer than any surface on the laser) takes the plane; a pull on a
// surface is a ruler's end.
void HeadsetTools::pull(int hand, const Eigen::Affine3d& aim, std::int64_t frame) {
  const Vec3 origin_m = aim.translation(), direction_m = aimDirection(aim);
  const auto hit = headset_.pick(origin_m, direction_m);
  if (slice_ != nullptr) {
    const rendering::RoomPlacement roomToLps = headset_.placement().inverse();
    const Vec3 origin_lps = roomToLps * origin_m;
    const auto onPlane_mm =
        slice_->rayHit_mm(origin_lps, (roomToLps.linear() * direction_m).normalized());
    const double surface_mm =
        hit.hit ? (hit.p_lps - origin_lps).norm() : std::numeric_limits<double>::infinity();
    if (onPlane_mm && *onPlane_mm < surface_mm) {
      dragHand_ = hand;
      dragStart_m_ = origin_m;
      dragStartPosition_mm_ = slice_->position_mm();
      return;
    }
  }
  if (!hit.hit) return;
  if (!firstPoint_lps_) {
    firstPoint_lps_ = hit.p_lps;
    return;
  }
  const std::array<Vec3, 2> ruler{*firstPoint_lps_, hit.p_lps};
  firstPoint_lps_.reset();
  measured_.push_back(ruler);
  newRulers_.push_back(ruler);
  log_["measurements"].push_back({{"frame", frame},
                                  {"from_lps", toJson(ruler[0])},
                                  {"to_lps", toJson(ruler[1])},
                                  {"length_mm", (ruler[1] - ruler[0]).norm()}});
}

// The plane follows the hand along its axis: the hand's move since it took the plane, mapped
// from the room into LPS (the placement's inverse: its scale too, so a model shown at twice life
// size moves its slice half as far), projected on the axis.
void HeadsetTools::drag(const Eigen::Affine3d& aim, std::int64_t) {
  const Vec3 moved_lps =
      headset_.placement().linear().inverse() * (aim.translation() - dragStart_m_);
  const double position_mm = dragStartPosition_mm_ + moved_lps[sliceAxis(slice_->orientation())];
  if (std::abs(position_mm - slice_->position_mm()) < 1e-9) return;
  slice_->show(slice_->orientation(), position_mm);
  sliceMove_ = teaching::SharedSlice{true, rendering::toString(slice_->orientation()), position_mm};
}

// The model under the laser is hidden (every model of its segment); pointing at nothing shows
// the one hidden last again (a hidden model cannot be pointed at).
void HeadsetTools::toggle(const Eigen::Affine3d& aim, std::int64_t frame) {
  const auto hit = headset_.pick(aim.translation(), aimDirection(aim));
  std::string key;
  bool visible = false;
  if (hit.hit && hit.mesh && *hit.mesh < models_.size()) {
    key = modelKey(models_[*hit.mesh]);
    hidden_.push_back(*hit.mesh);
  } else if (!hit.hit && !hidden_.empty()) {
    key = modelKey(models_[hidden_.back()]);
    hidden_.pop_back();
    visible = true;
  } else {
    return;
  }
  for (std::size_t i = 0; i < models_.size() && i < scene_.meshCount(); ++i)
    if (modelKey(models_[i]) == key) scene_.setMeshVisible(i, visible);
  visibility_.emplace_back(key, visible);
  log_["visibility"].push_back({{"frame", frame}, {"segment", key}, {"visible", visible}});
}

void HeadsetTools::drawRulers(bool label) {
  std::vector<rendering::HeadsetAnnotations::Ruler> drawn;
  for (const auto& [from, to] : measured_) {
    char text[32] = "";
    if (label) std::snprintf(text, sizeof text, "%.1f mm", (to - from).norm());
    drawn.push_back({from, to, text});
  }
  if (firstPoint_lps_) drawn.push_back({*firstPoint_lps_, *firstPoint_lps_, {}});
  rulers_.setRulers(drawn);
}

std::optional<teaching::SharedSlice> HeadsetTools::takeSliceMove() {
  return std::exchange(sliceMove_, std::nullopt);
}

std::vector<std::pair<std::string, bool>> HeadsetTools::takeVisibility() {
  return std::exchange(visibility_, {});
}

std::vector<std::array<Vec3, 2>> HeadsetTools::takeRulers() {
  return std::exchange(newRulers_, {});
}

}  // namespace twinplan::xr_app
