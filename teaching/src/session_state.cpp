#include "twinplan/teaching/session_state.h"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "twinplan/core/error.h"

namespace twinplan::teaching {
namespace {

using nlohmann::json;

void requireAffine(const std::array<double, 16>& m) {
  if (!std::all_of(m.begin(), m.end(), [](double v) { return std::isfinite(v); })) {
    throw Error(ErrorKind::InvalidInput,
                "The anatomy transform has a non-finite entry; send a finite 4x4 matrix.",
                "anatomyTransform");
  }
  // Row-major: the last row of an affine is 0 0 0 1 (no projective part).
  if (m[12] != 0 || m[13] != 0 || m[14] != 0 || m[15] != 1) {
    throw Error(ErrorKind::InvalidInput,
                "The anatomy transform's last row is not 0 0 0 1; send an affine 4x4 matrix.",
                "anatomyTransform");
  }
}

PointerRay normalisedPointer(PointerRay ray) {
  const auto& d = ray.direction_lps;
  const double length = std::sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2]);
  const bool finite = std::all_of(ray.origin_lps.begin(), ray.origin_lps.end(),
                                  [](double v) { return std::isfinite(v); });
  if (!std::isfinite(length) || length < 1e-12 || !finite) {
    throw Error(ErrorKind::InvalidInput,
                "The pointer ray has a zero or non-finite direction or origin; send a finite "
                "origin and a non-zero direction.",
                "pointer");
  }
  if (!std::isfinite(ray.length_mm) || ray.length_mm < 0.0) {
    throw Error(ErrorKind::InvalidInput,
                "The pointer's length is negative or not finite; send 0 (to the first surface) "
                "or the distance to the point pointed at in mm.",
                "pointer");
  }
  for (double& v : ray.direction_lps) v /= length;
  return ray;
}

void requireValidResult(const SharedResult& result) {
  if (result.surfaces.size() > kMaxResultSurfaces) {
    throw Error(ErrorKind::InvalidInput,
                "The shown result has " + std::to_string(result.surfaces.size()) +
                    " surfaces; send at most " + std::to_string(kMaxResultSurfaces) + ".",
                "result " + result.field);
  }
  for (const ResultSurface& s : result.surfaces) {
    const bool colourOk = std::all_of(s.colour_rgb.begin(), s.colour_rgb.end(),
                                      [](int c) { return c >= 0 && c <= 255; });
    if (!std::isfinite(s.level) || !colourOk || !(s.opacity >= 0.0 && s.opacity <= 1.0)) {
      throw Error(ErrorKind::InvalidInput,
                  "The result surface '" + s.name +
                      "' has a non-finite level, a colour outside 0..255 or an opacity outside "
                      "0..1; send valid ones.",
                  "result " + result.field);
    }
  }
}

auto findAnnotation(SessionState& state, std::uint64_t id) {
  return std::find_if(state.annotations.begin(), state.annotations.end(),
                      [id](const Annotation& a) { return a.id == id; });
}

struct Applier {
  SessionState& state;
  void operator()(const ShowData& c) {
    state.caseId = c.caseId;
    state.contentHash = c.contentHash;
  }
  void operator()(const SetSegmentVisible& c) { state.segmentVisible[c.segment] = c.visible; }
  void operator()(const SetAnatomyTransform& c) {
    requireAffine(c.matrix);
    state.anatomyTransform = c.matrix;
  }
  void operator()(const SetPointer& c) {
    state.pointer = c.pointer.active ? normalisedPointer(c.pointer) : PointerRay{};
  }
  void operator()(const AddAnnotation& c) {
    if (c.annotation.text.size() > kMaxAnnotationText) {
      throw Error(ErrorKind::InvalidInput,
                  "The annotation's text is longer than " + std::to_string(kMaxAnnotationText) +
                      " characters; shorten it.",
                  "annotation " + std::to_string(c.annotation.id));
    }
    if (findAnnotation(state, c.annotation.id) != state.annotations.end()) {
      throw Error(ErrorKind::InvalidInput,
                  "An annotation with this id already exists; give each annotation its own id.",
                  "annotation " + std::to_string(c.annotation.id));
    }
    state.annotations.push_back(c.annotation);
  }
  void operator()(const RemoveAnnotation& c) {
    const auto it = findAnnotation(state, c.id);
    if (it == state.annotations.end()) {
      throw Error(ErrorKind::InvalidInput, "There is no annotation with this id to remove.",
                  "annotation " + std::to_string(c.id));
    }
    state.annotations.erase(it);
  }
  void operator()(const SetFollowPresenter& c) { state.followPresenter = c.follow; }
  void operator()(const SetSlice& c) {
    const std::string& o = c.slice.orientation;
    if (o != "axial" && o != "coronal" && o != "sagittal") {
      throw Error(ErrorKind::InvalidInput,
                  "The slice orientation must be axial, coronal or sagittal, not '" + o + "'.",
                  "slice");
    }
    if (!std::isfinite(c.slice.position_mm)) {
      throw Error(ErrorKind::InvalidInput,
                  "The slice position is not a finite number of millimetres; send a finite one.",
                  "slice");
    }
    state.slice = c.slice;
  }
  void operator()(const SetShownResult& c) {
    requireValidResult(c.result);
    state.result = c.result;
  }
  void operator()(const SetCrosshair& c) {
    const auto& p = c.crosshair.point_lps;
    if (!std::all_of(p.begin(), p.end(), [](double v) { return std::isfinite(v); })) {
      throw Error(ErrorKind::InvalidInput,
                  "The crosshair has a non-finite coordinate; send a finite LPS point in mm.",
                  "crosshair");
    }
    state.crosshair = c.crosshair;
  }
  void operator()(const SetWindowLevel& c) {
    const SharedWindowLevel& wl = c.windowLevel;
    if (!std::isfinite(wl.window) || !(wl.window > 0.0) || !std::isfinite(wl.level)) {
      throw Error(ErrorKind::InvalidInput,
                  "The display window needs a positive finite width and a finite level, not " +
                      std::to_string(wl.window) + " / " + std::to_string(wl.level) + ".",
                  "windowLevel");
    }
    state.windowLevel = wl;
  }
};

json pointerJson(const PointerRay& p) {
  return {{"active", p.active},
          {"origin_lps", p.origin_lps},
          {"direction_lps", p.direction_lps},
          {"length_mm", p.length_mm}};
}
// A lesson file written by hand may leave the length out: to the first surface.
PointerRay pointerFrom(const json& j) {
  return {j.at("active").get<bool>(), j.at("origin_lps").get<std::array<double, 3>>(),
          j.at("direction_lps").get<std::array<double, 3>>(), j.value("length_mm", 0.0)};
}
json annotationJson(const Annotation& a) {
  return {{"id", a.id}, {"point_lps", a.point_lps}, {"text", a.text}};
}
Annotation annotationFrom(const json& j) {
  return {j.at("id").get<std::uint64_t>(), j.at("point_lps").get<std::array<double, 3>>(),
          j.at("text").get<std::string>()};
}

json sliceJson(const SharedSlice& s) {
  return {{"shown", s.shown}, {"orientation", s.orientation}, {"position_mm", s.position_mm}};
}
SharedSlice sliceFrom(const json& j) {
  return {j.at("shown").get<bool>(), j.at("orientation").get<std::string>(),
          j.at("position_mm").get<double>()};
}

json crosshairJson(const SharedCrosshair& c) {
  return {{"shown", c.shown}, {"point_lps", c.point_lps}};
}
SharedCrosshair crosshairFrom(const json& j) {
  return {j.at("shown").get<bool>(), j.at("point_lps").get<std::array<double, 3>>()};
}

json windowLevelJson(const SharedWindowLevel& w) {
  return {{"shown", w.shown}, {"window", w.window}, {"level", w.level}};
}
SharedWindowLevel windowLevelFrom(const json& j) {
  return {j.at("shown").get<bool>(), j.at("window").get<double>(), j.at("level").get<double>()};
}

json resultJson(const SharedResult& r) {
  json surfaces = json::array();
  for (const ResultSurface& s : r.surfaces)
    surfaces.push_back({{"level", s.level},
                        {"name", s.name},
                        {"colour_rgb", s.colour_rgb},
                        {"opacity", s.opacity}});
  return {{"field", r.field}, {"surfaces", surfaces}};
}
SharedResult resultFrom(const json& j) {
  SharedResult r{j.at("field").get<std::string>(), {}};
  for (const json& s : j.at("surfaces"))
    r.surfaces.push_back({s.at("level").get<double>(), s.at("name").get<std::string>(),
                          s.at("colour_rgb").get<std::array<int, 3>>(),
                          s.at("opacity").get<double>()});
  return r;
}

// nlohmann's type and key errors become one Corrupt error naming what was being read.
template <typename Read>
auto readOrThrow(const char* what, Read read) {
  try {
    return read();
  } catch (const json::exception& e) {
    throw Error(ErrorKind::Corrupt,
                std::string("A teaching-session message has a malformed ") + what + " (" +
                    e.what() + "); the sender runs an incompatible TwinPlan version?",
                what);
  }
}

}  // namespace

void applyChange(SessionState& state, const StateChange& change) {
  SessionState changed = state;  // all or nothing
  std::visit(Applier{changed}, change);
  state = std::move(changed);
}

json toJson(const SessionState& s) {
  json annotations = json::array();
  for (const auto& a : s.annotations) annotations.push_back(annotationJson(a));
  return {{"caseId", s.caseId},
          {"contentHash", s.contentHash},
          {"segmentVisible", s.segmentVisible},
          {"anatomyTransform", s.anatomyTransform},
          {"pointer", pointerJson(s.pointer)},
          {"annotations", annotations},
          {"followPresenter", s.followPresenter},
          {"slice", sliceJson(s.slice)},
          {"result", resultJson(s.result)},
          {"crosshair", crosshairJson(s.crosshair)},
          {"windowLevel", windowLevelJson(s.windowLevel)}};
}

SessionState stateFromJson(const json& j) {
  return readOrThrow("state snapshot", [&] {
    SessionState s;
    s.caseId = j.at("caseId").get<std::string>();
    s.contentHash = j.at("contentHash").get<std::string>();
    s.segmentVisible = j.at("segmentVisible").get<std::map<std::string, bool>>();
    s.anatomyTransform = j.at("anatomyTransform").get<std::array<double, 16>>();
    s.pointer = pointerFrom(j.at("pointer"));
    for (const auto& a : j.at("annotations")) s.annotations.push_back(annotationFrom(a));
    s.followPresenter = j.at("followPresenter").get<bool>();
    // A presenter from before slices were shared sends none: nothing shown.
    if (j.contains("slice")) s.slice = sliceFrom(j.at("slice"));
    s.result = resultFrom(j.at("result"));
    // A snapshot written before the crosshair was shared (a lesson file): none shown.
    if (j.contains("crosshair")) s.crosshair = crosshairFrom(j.at("crosshair"));
    if (j.contains("windowLevel")) s.windowLevel = windowLevelFrom(j.at("windowLevel"));
    return s;
  });
}

json toJson(const StateChange& change) {
  struct Writer {
    json operator()(const ShowData& c) const {
      return {{"op", "showData"}, {"caseId", c.caseId}, {"contentHash", c.contentHash}};
    }
    json operator()(const SetSegmentVisible& c) const {
      return {{"op", "segmentVisible"}, {"segment", c.segment}, {"visible", c.visible}};
    }
    json operator()(const SetAnatomyTransform& c) const {
      return {{"op", "anatomyTransform"}, {"matrix", c.matrix}};
    }
    json operator()(const SetPointer& c) const {
      return {{"op", "pointer"}, {"pointer", pointerJson(c.pointer)}};
    }
    json operator()(const AddAnnotation& c) const {
      return {{"op", "addAnnotation"}, {"annotation", annotationJson(c.annotation)}};
    }
    json operator()(const RemoveAnnotation& c) const {
      return {{"op", "removeAnnotation"}, {"id", c.id}};
    }
    json operator()(const SetFollowPresenter& c) const {
      return {{"op", "followPresenter"}, {"follow", c.follow}};
    }
    json operator()(const SetSlice& c) const {
      return {{"op", "slice"}, {"slice", sliceJson(c.slice)}};
    }
    json operator()(const SetShownResult& c) const {
      return {{"op", "result"}, {"result", resultJson(c.result)}};
    }
    json operator()(const SetCrosshair& c) const {
      return {{"op", "crosshair"}, {"crosshair", crosshairJson(c.crosshair)}};
    }
    json operator()(const SetWindowLevel& c) const {
      return {{"op", "windowLevel"}, {"windowLevel", windowLevelJson(c.windowLevel)}};
    }
  };
  return std::visit(Writer{}, change);
}

StateChange changeFromJson(const json& j) {
  return readOrThrow("state change", [&]() -> StateChange {
    const auto op = j.at("op").get<std::string>();
    if (op == "showData")
      return ShowData{j.at("caseId").get<std::string>(), j.at("contentHash").get<std::string>()};
    if (op == "segmentVisible")
      return SetSegmentVisible{j.at("segment").get<std::string>(), j.at("visible").get<bool>()};
    if (op == "anatomyTransform")
      return SetAnatomyTransform{j.at("matrix").get<std::array<double, 16>>()};
    if (op == "pointer") return SetPointer{pointerFrom(j.at("pointer"))};
    if (op == "addAnnotation") return AddAnnotation{annotationFrom(j.at("annotation"))};
    if (op == "removeAnnotation") return RemoveAnnotation{j.at("id").get<std::uint64_t>()};
    if (op == "followPresenter") return SetFollowPresenter{j.at("follow").get<bool>()};
    if (op == "slice") return SetSlice{sliceFrom(j.at("slice"))};
    if (op == "result") return SetShownResult{resultFrom(j.at("result"))};
    if (op == "crosshair") return SetCrosshair{crosshairFrom(j.at("crosshair"))};
    if (op == "windowLevel") return SetWindowLevel{windowLevelFrom(j.at("windowLevel"))};
    throw Error(ErrorKind::Corrupt,
                "A teaching-session message has an unknown state change '" + op +
                    "'; the presenter runs a newer TwinPlan version?",
                "op");
  });
}

}  // namespace twinplan::teaching
