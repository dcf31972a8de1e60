// The window as a full teaching and headset peer (issue #20 items 4 and 5). As a presenter -
// to the headset it started (View in headset) and to the participants of its Teaching session -
// it shares its crosshair (the point that links its three 2D views) and display window, the slice
// of the 2D view the user scrolls or points in, its pointer (the mouse over a 2D view, or the
// surface under it in the 3D view, while the Point tool is on), its measurements as annotations,
// and the result its Result chooser shows with the chooser's 3D levels. As a participant that
// follows a presenter it moves its crosshair - all three 2D views - to the presenter's and takes
// its window, shows the presenter's result when the case has it, and draws the presenter's
// pointer and annotations in its 2D views
// (SliceView::PresenterMarks) and its 3D view (rendering::HeadsetAnnotations, as the headset draws
// them). A controller's laser (a pointer without a known end) ends on this window's own anatomy,
// and its 2D views show where it passes through their slices.
#include <QAction>
#include <cmath>
#include <limits>
#include <optional>

#include "dose_display.h"
#include "twinplan/core/measurement.h"
#include "twinplan/rendering/headset_view.h"
#include "twinplan/teaching/teaching_session.h"
#include "twinplan/ui/headset_link.h"
#include "twinplan/ui/main_window.h"
#include "twinplan/ui/slice_viewport.h"
#include "twinplan/ui/teaching_dialog.h"
#include "twinplan/ui/volume_viewport.h"

namespace twinplan::ui {

struct TeachingScene {
  // Each 2D view's slice (LPS coordinate along its axis) when the crosshair last moved.
  std::array<double, 3> slice_mm{std::numeric_limits<double>::quiet_NaN(),
                                 std::numeric_limits<double>::quiet_NaN(),
                                 std::numeric_limits<double>::quiet_NaN()};
  std::optional<std::size_t> sharedView;  // the view whose slice is shared
  TeachingDialog* dialog = nullptr;
  // A followed presenter's pointer and annotations in the 3D view (made on first use).
  std::unique_ptr<rendering::HeadsetAnnotations> marks3D;
};

namespace {

// The pointer a 2D view shares ends at the point under the mouse and starts this far in front
// of the slice, towards the viewer: long enough to read as a pointer in a headset, short enough
// to stay by the anatomy (a headset draws the red ray, teaching::PointerRay::length_mm).
constexpr double kPointerStandOff_mm = 100.0;
// How far a laser without a known end (a controller's, length 0) is drawn in the 3D view: the
// headset's reach without a hit (app/xr, CaseEyeRenderer::kPointerReach_mm).
constexpr double kLaserReach_mm = 500.0;

// The LPS axis along a view's normal (0 x sagittal, 1 y coronal, 2 z axial) and the normal,
// which points into the screen (right x down, rendering::screenAxes).
int sliceAxis(rendering::SliceOrientation orientation, Vec3* intoScreen = nullptr) {
  Vec3 right, down;
  rendering::screenAxes(orientation, right, down);
  const Vec3 normal = right.cross(down);
  if (intoScreen) *intoScreen = normal;
  int axis = 0;
  normal.cwiseAbs().maxCoeff(&axis);
  return axis;
}

// The slice's LPS coordinate along its axis (teaching::SharedSlice::position_mm).
double sliceCoordinate_mm(const rendering::SliceView& view) {
  Vec3 normal;
  const int axis = sliceAxis(view.orientation(), &normal);
  return view.slicePosition_mm() * normal[axis];
}

// Where a measurement is noted: a point at itself, an angle at its vertex, a ruler or ROI at
// its middle.
Vec3 annotationPoint(const Measurement& m) {
  if (m.kind == Measurement::Kind::Angle && m.points_lps.size() == 3) return m.points_lps[1];
  Vec3 sum = Vec3::Zero();
  for (const Vec3& p : m.points_lps) sum += p;
  return sum / double(m.points_lps.size());
}

std::array<double, 3> toArray(const Vec3& v) { return {v.x(), v.y(), v.z()}; }
Vec3 toVec(const std::array<double, 3>& a) { return Vec3(a[0], a[1], a[2]); }

// How long a presenter's pointer is drawn here: a desktop's pointer to the point it knows; a
// controller's laser (length 0) to the first surface it meets in this window's 3D scene, or
// kLaserReach_mm (the headset's reach without a hit).
double drawnLength_mm(const teaching::PointerRay& pointer, rendering::VolumeView& scene) {
  if (pointer.length_mm > 0.0) return pointer.length_mm;
  const Vec3 origin = toVec(pointer.origin_lps), direction = toVec(pointer.direction_lps);
  const std::optional<Vec3> hit =
      rendering::firstSurfaceOnSegment(scene, origin, origin + kLaserReach_mm * direction);
  return hit ? (*hit - origin).norm() : kLaserReach_mm;
}

// Where a 2D view draws the presenter's pointer: its end when that lies on the view's slice (a
// desktop's pointer on the shared slice, a laser that stops there), else where the drawn ray
// passes through the slice (a controller's laser crossing it); none when it does neither.
std::optional<Vec3> pointerOnSlice(const teaching::PointerRay& pointer, double length_mm,
                                   const rendering::SliceView& view) {
  const Vec3 origin = toVec(pointer.origin_lps), direction = toVec(pointer.direction_lps);
  const Vec3 end = origin + length_mm * direction;
  if (view.onSlice(end)) return end;
  Vec3 normal;
  sliceAxis(view.orientation(), &normal);
  const double across = direction.dot(normal);
  if (std::abs(across) < 1e-9) return std::nullopt;  // the ray runs along the slice
  const double t = (view.slicePosition_mm() - origin.dot(normal)) / across;
  if (t < 0.0 || t > length_mm) return std::nullopt;
  return origin + t * direction;
}

// Makes a session's annotations the wanted ones: removes those no longer wanted, adds the new
// ones with fresh ids (one delta each; unchanged ones send nothing).
void syncAnnotations(teaching::Presenter& session,
                     const std::vector<teaching::Annotation>& wanted) {
  const std::vector<teaching::Annotation> current = session.state().annotations;
  const auto same = [](const teaching::Annotation& a, const teaching::Annotation& b) {
    return a.point_lps == b.point_lps && a.text == b.text;
  };
  std::uint64_t nextId = 1;
  for (const auto& a : current) nextId = std::max(nextId, a.id + 1);
  for (const auto& a : current)
    if (std::none_of(wanted.begin(), wanted.end(), [&](const auto& w) { return same(a, w); }))
      session.apply(teaching::RemoveAnnotation{a.id});
  for (teaching::Annotation w : wanted)
    if (std::none_of(current.begin(), current.end(), [&](const auto& a) { return same(a, w); })) {
      w.id = nextId++;
      session.apply(teaching::AddAnnotation{w});
    }
}

// The case's measurements as annotations: each at its point with its one-line description
// ("Ruler 1: 42.3 mm").
std::vector<teaching::Annotation> annotationsOf(const Case& twin, const ImageVolume* image) {
  std::vector<teaching::Annotation> notes;
  for (const Measurement& m : twin.measurements) {
    if (m.points_lps.empty()) continue;
    std::string text;
    try {
      text = describe(m, image);
    } catch (const std::exception&) {
      text = m.name;  // an ROI outside the image
    }
    notes.push_back({0, toArray(annotationPoint(m)), text});
  }
  return notes;
}

}  // namespace

TeachingDialog* MainWindow::teachingDialog() {
  if (!teaching_) teaching_ = std::make_shared<TeachingScene>();
  if (teaching_->dialog) return teaching_->dialog;
  auto* dialog = new TeachingDialog(document_, this);
  teaching_->dialog = dialog;
  connect(dialog, &TeachingDialog::presentingStarted, this, [this, dialog] {
    if (teaching::Presenter* session = dialog->presenter()) shareEverythingWith(*session);
  });
  connect(dialog, &TeachingDialog::followedStateChanged, this, &MainWindow::followPresenter);
  return dialog;
}

SliceViewport* MainWindow::sharedSliceView() const {
  return teaching_ && teaching_->sharedView ? slices_[*teaching_->sharedView] : nullptr;
}

std::vector<teaching::Presenter*> MainWindow::peerSessions() const {
  std::vector<teaching::Presenter*> sessions;
  if (headset_ && headset_->running() && headset_->session() && headset_->session()->running())
    sessions.push_back(headset_->session());
  if (teaching_ && teaching_->dialog && teaching_->dialog->presenter())
    sessions.push_back(teaching_->dialog->presenter());
  return sessions;
}

void MainWindow::shareEverythingWith(teaching::Presenter& session) {
  if (!teaching_) teaching_ = std::make_shared<TeachingScene>();
  const std::size_t view = teaching_->sharedView.value_or(0);  // the axial view by default
  if (backgroundVolume()) {
    session.apply(
        teaching::SetSlice{{true, rendering::toString(slices_[view]->view().orientation()),
                            sliceCoordinate_mm(slices_[view]->view())}});
  }
  shareLinkedViewsWith(session);
  session.apply(teaching::SetPointer{});
  // Where the 3D view's models stand (moved by an earlier grab in the headset).
  session.apply(teaching::SetAnatomyTransform{volume_->view().meshPlacement()});
  syncAnnotations(session, annotationsOf(currentCase(), backgroundVolume()));
  shareResult();
}

void MainWindow::shareLinkedViews() {
  for (teaching::Presenter* session : peerSessions()) shareLinkedViewsWith(*session);
}

// The crosshair and the display window, each only when it changed (a click that leaves the
// point where it was sends nothing). Nothing before an image is shown: no slices to link.
void MainWindow::shareLinkedViewsWith(teaching::Presenter& session) {
  if (!backgroundVolume()) return;
  const rendering::SliceView& view = slices_[0]->view();
  const teaching::SharedCrosshair crosshair{true, toArray(view.crosshair())};
  if (session.state().crosshair != crosshair) session.apply(teaching::SetCrosshair{crosshair});
  const teaching::SharedWindowLevel window{true, view.windowLevel().window,
                                           view.windowLevel().level};
  if (session.state().windowLevel != window) session.apply(teaching::SetWindowLevel{window});
}

void MainWindow::shareSlice(std::size_t view) {
  if (!backgroundVolume()) return;
  const rendering::SliceView& slice = slices_[view]->view();
  const teaching::SharedSlice shared{true, rendering::toString(slice.orientation()),
                                     sliceCoordinate_mm(slice)};
  for (teaching::Presenter* session : peerSessions())
    if (session->state().slice != shared) session->apply(teaching::SetSlice{shared});
}

// The view whose slice moved is the one the user works in: a scroll, a key or a slider moves
// one view's slice; a click moves the two others', and then the clicked view (the one with the
// keyboard focus) keeps its slice and nothing new is shared.
void MainWindow::shareSliceAfterMove() {
  if (!teaching_) teaching_ = std::make_shared<TeachingScene>();
  std::optional<std::size_t> moved;
  int movedViews = 0;
  for (std::size_t v = 0; v < slices_.size(); ++v) {
    const double now_mm = sliceCoordinate_mm(slices_[v]->view());
    if (!(std::abs(now_mm - teaching_->slice_mm[v]) < 1e-6)) {
      ++movedViews;
      if (!moved || slices_[v] == activeViewport_) moved = v;
    }
    teaching_->slice_mm[v] = now_mm;
  }
  if (!moved || !backgroundVolume()) return;
  if (movedViews == 1 || slices_[*moved] == activeViewport_) {
    teaching_->sharedView = moved;
    shareSlice(*moved);
  }
}

void MainWindow::sharePointer(std::size_t view, const Vec3& p_lps, bool inside) {
  const auto sessions = peerSessions();
  if (sessions.empty()) return;
  teaching::PointerRay pointer;  // inactive
  if (inside && tool_ == Tool::Point) {
    Vec3 intoScreen;
    sliceAxis(slices_[view]->view().orientation(), &intoScreen);
    pointer = {true, toArray(p_lps - kPointerStandOff_mm * intoScreen), toArray(intoScreen),
               kPointerStandOff_mm};
    // Pointing in a view shows that view's slice to the peers.
    if (!teaching_) teaching_ = std::make_shared<TeachingScene>();
    teaching_->sharedView = view;
    shareSlice(view);
  }
  for (teaching::Presenter* session : sessions)
    if (session->state().pointer != pointer) session->apply(teaching::SetPointer{pointer});
}

// The Point tool over the 3D view: the ray from the eye ends on the surface under the mouse,
// drawn from the same stand-off as a 2D view's pointer.
void MainWindow::sharePointerIn3D(const Vec3& p_lps, const Vec3& direction, bool hit) {
  const auto sessions = peerSessions();
  if (sessions.empty()) return;
  teaching::PointerRay pointer;  // inactive
  if (hit && tool_ == Tool::Point)
    pointer = {true, toArray(p_lps - kPointerStandOff_mm * direction), toArray(direction),
               kPointerStandOff_mm};
  for (teaching::Presenter* session : sessions)
    if (session->state().pointer != pointer) session->apply(teaching::SetPointer{pointer});
}

void MainWindow::shareAnnotations() {
  const auto sessions = peerSessions();
  if (sessions.empty()) return;
  const auto wanted = annotationsOf(currentCase(), backgroundVolume());
  for (teaching::Presenter* session : sessions) syncAnnotations(*session, wanted);
}

void MainWindow::shareResult() {
  const auto sessions = peerSessions();
  if (sessions.empty() || !results_) return;
  teaching::SharedResult shared;
  if (const ScalarField* field = shownResult()) {
    shared.field = field->name;
    const std::optional<double> reference = doseReference_Gy();
    for (const SurfaceLevel& level : resultSurfaceLevels(*field, resultDisplay(*field, reference),
                                                         slices_[0]->view(), reference))
      shared.surfaces.push_back({level.level,
                                 level.name,
                                 {level.colour.r, level.colour.g, level.colour.b},
                                 double(level.opacity)});
  }
  for (teaching::Presenter* session : sessions)
    if (session->state().result != shared) session->apply(teaching::SetShownResult{shared});
}

void MainWindow::showSharedSlice(const std::string& orientation, double position_mm) {
  if (!backgroundVolume()) return;
  for (auto* viewport : slices_) {
    if (rendering::toString(viewport->view().orientation()) != orientation) continue;
    Vec3 at = viewport->view().crosshair();
    const int axis = sliceAxis(viewport->view().orientation());
    if (std::abs(at[axis] - position_mm) > 1e-6) {
      at[axis] = position_mm;
      setCrosshair(at);
    }
  }
}

// All three 2D views to the presenter's crosshair, and its display window: the follower sees the
// slices and the grey values the presenter sees.
void MainWindow::followLinkedViews(const teaching::SessionState& state) {
  if (!backgroundVolume()) return;
  const rendering::SliceView& view = slices_[0]->view();
  if (state.crosshair.shown && (toVec(state.crosshair.point_lps) - view.crosshair()).norm() > 1e-9)
    setCrosshair(toVec(state.crosshair.point_lps));
  const rendering::WindowLevel window{state.windowLevel.window, state.windowLevel.level};
  if (state.windowLevel.shown && (window.window != view.windowLevel().window ||
                                  window.level != view.windowLevel().level))
    setWindowLevel(window);
}

void MainWindow::followPresenter() {
  if (!teaching_) return;
  const teaching::SessionState* state =
      teaching_->dialog ? teaching_->dialog->followedState() : nullptr;
  rendering::SliceView::PresenterMarks marks;
  if (state) {
    // The presenter's crosshair gives all three slices; a presenter without one (a lesson file,
    // a headset) shares only its slice, shown in the view of its orientation. The crosshair
    // wins: a click in a presenter's other view moves its shared view's slice without sharing
    // that slice anew (shareSliceAfterMove).
    followLinkedViews(*state);
    if (!state->crosshair.shown && state->slice.shown)
      showSharedSlice(state->slice.orientation, state->slice.position_mm);
    // The presenter's result, when this case has a field of that name.
    if (state->result.field != shownResultName()) {
      const bool known =
          state->result.field.empty() ||
          std::any_of(currentCase().fields.begin(), currentCase().fields.end(),
                      [&](const ScalarField& f) { return f.name == state->result.field; });
      if (known) chooseResult(state->result.field);
    }
    for (const teaching::Annotation& a : state->annotations)
      marks.annotations.push_back({toVec(a.point_lps), a.text});
    // The anatomy where the presenter's models stand (its headset's grab, say).
    if (state->anatomyTransform != volume_->view().meshPlacement()) {
      volume_->view().setMeshPlacement(state->anatomyTransform);
      volume_->update();
    }
  }
  const bool pointing = state && state->pointer.active;
  const double length_mm = pointing ? drawnLength_mm(state->pointer, volume_->view()) : 0.0;
  for (auto* viewport : slices_) {
    if (pointing) marks.pointer_lps = pointerOnSlice(state->pointer, length_mm, viewport->view());
    viewport->view().setPresenterMarks(marks);
    viewport->update();
  }
  // 3D: the ray and the notes as the headset draws them.
  if (!teaching_->marks3D && !state) return;
  if (!teaching_->marks3D)
    teaching_->marks3D = std::make_unique<rendering::HeadsetAnnotations>(volume_->view());
  teaching_->marks3D->setPointer(
      pointing, pointing ? toVec(state->pointer.origin_lps) : Vec3::Zero(),
      pointing ? toVec(state->pointer.direction_lps) : Vec3(0, 0, 1), length_mm);
  std::vector<rendering::HeadsetAnnotations::Marker> notes;
  for (const auto& marker : marks.annotations) notes.push_back({marker.p_lps, marker.label});
  teaching_->marks3D->setAnnotations(notes);
  volume_->update();
}

}  // namespace twinplan::ui
