#pragma once
// The state a teaching session shares (issue #20 item 5). Datasets are shared before the session
// (each side opens the same case); only this state flows during it. Geometry is in the case's
// patient frame, LPS millimetres (DICOM PS3.3 C.7.6.2.1.1).
#include <array>
#include <cstdint>
#include <map>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <variant>
#include <vector>

namespace twinplan::teaching {

// The presenter's laser pointer: a ray in LPS mm; `active` false when the presenter is not
// pointing. `length_mm` 0: the ray reaches to the first surface it meets (a controller's laser,
// the receiver picks); > 0: it ends at origin + length_mm * direction, the point pointed at (a
// desktop's mouse on a 2D slice, which knows the point but not what lies in front of it).
struct PointerRay {
  bool active = false;
  std::array<double, 3> origin_lps{0, 0, 0};
  std::array<double, 3> direction_lps{0, 0, 1};  // unit length
  double length_mm = 0.0;
  bool operator==(const PointerRay&) const = default;
};

// A point with a teaching note ("the middle hepatic vein").
struct Annotation {
  std::uint64_t id = 0;
  std::array<double, 3> point_lps{0, 0, 0};
  std::string text;
  bool operator==(const Annotation&) const = default;
};

// The presenter's current slice (issue #20 item 2): a headset draws it as a textured plane
// through the anatomy. `orientation` is "axial", "coronal" or "sagittal"; `position_mm` is the
// plane's LPS coordinate along its axis: axial S (z), coronal P (y), sagittal L (x), the
// patient frame of DICOM PS3.3 C.7.6.2.1.1.
struct SharedSlice {
  bool shown = false;
  std::string orientation = "axial";
  double position_mm = 0.0;
  bool operator==(const SharedSlice&) const = default;
};

// One isosurface of the shown result, as the presenter's 3D view draws it.
struct ResultSurface {
  double level = 0.0;  // in the field's unit (Gy, degC, dimensionless damage, mm)
  std::string name;    // "95 % isodose"
  std::array<int, 3> colour_rgb{255, 255, 255};
  double opacity = 0.5;  // 0..1
  bool operator==(const ResultSurface&) const = default;
};

// The result the presenter's window shows (its Result chooser, issue #19 item 8): the case's
// field of this name (empty: none) drawn as these isosurfaces, so every peer draws the same
// levels in the same colours. A peer whose case has no field of that name shows none.
struct SharedResult {
  std::string field;
  std::vector<ResultSurface> surfaces;
  bool operator==(const SharedResult&) const = default;
};

// The presenter's crosshair (issue #20 item 5, "follow presenter"): the LPS point where its
// axial, coronal and sagittal views meet. The views are linked through it - each slice passes
// through the point (axial at its S coordinate z, coronal at P y, sagittal at L x) - so the
// point alone gives all three slices, and a follower that moves its crosshair there shows the
// same three slices.
struct SharedCrosshair {
  bool shown = false;
  std::array<double, 3> point_lps{0, 0, 0};
  bool operator==(const SharedCrosshair&) const = default;
};

// The display window of the presenter's 2D views (one for all three): its width and centre in
// the image's unit (HU for CT; the window combo's presets, e.g. lung 1500/-600). A teacher who
// switches to the lung or bone window wants the class to see what that window shows.
struct SharedWindowLevel {
  bool shown = false;
  double window = 400.0;  // width, > 0
  double level = 40.0;    // centre
  bool operator==(const SharedWindowLevel&) const = default;
};

struct SessionState {
  // Which data is shown: the case's id and a hash of its content, so a participant that opened
  // another version of the case can say so instead of showing the wrong patient.
  std::string caseId;
  std::string contentHash;
  std::map<std::string, bool> segmentVisible;  // segment name -> shown
  // The anatomy's placement in the room: a 4x4 row-major affine (last row 0 0 0 1), mm.
  std::array<double, 16> anatomyTransform{1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1};
  PointerRay pointer;
  std::vector<Annotation> annotations;  // in the order they were added
  bool followPresenter = false;         // participants' views follow the presenter's
  SharedSlice slice;                    // the presenter's slice; not shown by default
  SharedResult result;                  // the presenter's shown result; none by default
  SharedCrosshair crosshair;            // the presenter's crosshair; none by default
  SharedWindowLevel windowLevel;        // the presenter's 2D window; none by default
  bool operator==(const SessionState&) const = default;
};

// One change of the shared state, as the presenter makes it and the wire carries it.
struct ShowData {
  std::string caseId, contentHash;
};
struct SetSegmentVisible {
  std::string segment;
  bool visible = true;
};
struct SetAnatomyTransform {
  std::array<double, 16> matrix{};
};
struct SetPointer {
  PointerRay pointer;
};
struct AddAnnotation {
  Annotation annotation;
};
struct RemoveAnnotation {
  std::uint64_t id = 0;
};
struct SetFollowPresenter {
  bool follow = false;
};
struct SetSlice {
  SharedSlice slice;
};
struct SetShownResult {
  SharedResult result;
};
struct SetCrosshair {
  SharedCrosshair crosshair;
};
struct SetWindowLevel {
  SharedWindowLevel windowLevel;
};
using StateChange =
    std::variant<ShowData, SetSegmentVisible, SetAnatomyTransform, SetPointer, AddAnnotation,
                 RemoveAnnotation, SetFollowPresenter, SetSlice, SetShownResult, SetCrosshair,
                 SetWindowLevel>;

// Applies a change; throws Error(InvalidInput) for a change that would make the state invalid
// (a non-affine or non-finite transform, a zero pointer direction, a negative or non-finite
// pointer length, an unknown or duplicate annotation id, text over kMaxAnnotationText
// characters, a slice with an unknown orientation or a non-finite position, a result with more
// than kMaxResultSurfaces surfaces, a non-finite level, a colour outside 0..255 or an opacity
// outside 0..1, a non-finite crosshair, a window that is not a positive finite width or a
// non-finite level) and leaves the state unchanged then.
void applyChange(SessionState& state, const StateChange& change);

inline constexpr std::size_t kMaxAnnotationText = 2000;
// The desktop draws two surfaces of a result (dose_display.h); a few more leave room.
inline constexpr std::size_t kMaxResultSurfaces = 8;

// JSON forms (the wire's payloads). The readers throw Error(Corrupt) naming the field.
nlohmann::json toJson(const SessionState& state);
SessionState stateFromJson(const nlohmann::json& json);
nlohmann::json toJson(const StateChange& change);
StateChange changeFromJson(const nlohmann::json& json);

}  // namespace twinplan::teaching
