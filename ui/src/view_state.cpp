#include "twinplan/ui/view_state.h"

#include <array>

#include "twinplan/core/error.h"
#include "twinplan/rendering/colour_maps.h"

namespace twinplan::ui {

using nlohmann::json;

namespace {

[[noreturn]] void corrupt(const std::string& member, const std::string& why) {
  throw Error(ErrorKind::Corrupt,
              "The case's view state has a bad \"" + member + "\" (" + why +
                  "); the case opens with default views.",
              "viewState." + member);
}

template <class T>
void read(const json& j, const std::string& key, T& into, const std::string& path) {
  if (!j.contains(key)) return;
  try {
    into = j.at(key).get<T>();
  } catch (const json::exception& e) {
    corrupt(path + key, e.what());
  }
}

json windowJson(const rendering::WindowLevel& wl) {
  return {{"window", wl.window}, {"level", wl.level}};
}

json pointJson(const Vec3& p) { return {p[0], p[1], p[2]}; }

json landmarksJson(const LandmarkSession& session) {
  json pairs = json::array();
  for (const LandmarkSession::Pair& pair : session.pairs) {
    json entry = {{"name", pair.name}};
    if (pair.fixed_lps) entry["fixed_lps"] = pointJson(*pair.fixed_lps);
    if (pair.moving_lps) entry["moving_lps"] = pointJson(*pair.moving_lps);
    pairs.push_back(entry);
  }
  return {{"fixed", session.fixed}, {"moving", session.moving}, {"pairs", pairs}};
}

LandmarkSession landmarksFromJson(const json& j) {
  if (!j.is_object()) corrupt("landmarks", "not an object");
  LandmarkSession session;
  read(j, "fixed", session.fixed, "landmarks.");
  read(j, "moving", session.moving, "landmarks.");
  if (!j.contains("pairs")) return session;
  if (!j["pairs"].is_array()) corrupt("landmarks.pairs", "not an array");
  for (const json& entry : j["pairs"]) {
    const std::string at = "landmarks.pairs." + std::to_string(session.pairs.size()) + ".";
    if (!entry.is_object()) corrupt(at, "not an object");
    LandmarkSession::Pair pair;
    read(entry, "name", pair.name, at);
    for (const char* key : {"fixed_lps", "moving_lps"}) {
      if (!entry.contains(key)) continue;
      std::array<double, 3> p{};
      read(entry, key, p, at);
      (std::string(key) == "fixed_lps" ? pair.fixed_lps : pair.moving_lps) = Vec3(p[0], p[1], p[2]);
    }
    session.pairs.push_back(std::move(pair));
  }
  return session;
}

}  // namespace

json viewStateJson(const ViewState& state) {
  json j = {
      {"version", ViewState::kVersion}, {"layout", state.layout}, {"background", state.background}};
  if (state.crosshair_lps)
    j["crosshair_lps"] = {(*state.crosshair_lps)[0], (*state.crosshair_lps)[1],
                          (*state.crosshair_lps)[2]};
  json windows = json::object();
  for (const auto& [name, wl] : state.windows) windows[name] = windowJson(wl);
  j["windows"] = windows;
  json cameras = json::object();
  for (const auto& [view, camera] : state.cameras)
    cameras[view] = {{"zoom", camera.zoom}, {"pan_mm", {camera.panRight_mm, camera.panUp_mm}}};
  j["views"] = cameras;
  const FusionSettings& f = state.fusion;
  j["fusion"] = {{"foreground", f.foreground},
                 {"opacity", f.opacity},
                 {"colourMap", f.colourMap},
                 {"mode", f.mode},
                 {"checker_mm", f.checker_mm},
                 {"slab", f.slab},
                 {"slabThickness_mm", f.slabThickness_mm},
                 {"colourBar", f.colourBar}};
  if (!(state.landmarks == LandmarkSession{})) j["landmarks"] = landmarksJson(state.landmarks);
  return j;
}

ViewState viewStateFromJson(const json& j) {
  ViewState state;
  if (!j.is_object()) corrupt("", "not an object");
  read(j, "layout", state.layout, "");
  if (state.layout != "4up" && state.layout != "1up" && state.layout != "1+3")
    corrupt("layout", "\"" + state.layout + "\" is not 4up, 1up or 1+3");
  read(j, "background", state.background, "");
  if (j.contains("crosshair_lps")) {
    std::array<double, 3> p{};
    read(j, "crosshair_lps", p, "");
    state.crosshair_lps = Vec3(p[0], p[1], p[2]);
  }
  if (j.contains("windows")) {
    if (!j["windows"].is_object()) corrupt("windows", "not an object");
    for (const auto& [name, wl] : j["windows"].items()) {
      rendering::WindowLevel window;
      read(wl, "window", window.window, "windows." + name + ".");
      read(wl, "level", window.level, "windows." + name + ".");
      if (!(window.window > 0)) corrupt("windows." + name + ".window", "not positive");
      state.windows[name] = window;
    }
  }
  if (j.contains("views")) {
    if (!j["views"].is_object()) corrupt("views", "not an object");
    for (const auto& [view, c] : j["views"].items()) {
      ViewCamera camera;
      std::array<double, 2> pan{};
      read(c, "zoom", camera.zoom, "views." + view + ".");
      read(c, "pan_mm", pan, "views." + view + ".");
      if (!(camera.zoom > 0)) corrupt("views." + view + ".zoom", "not positive");
      camera.panRight_mm = pan[0];
      camera.panUp_mm = pan[1];
      state.cameras[view] = camera;
    }
  }
  if (j.contains("fusion")) {
    const json& f = j["fusion"];
    if (!f.is_object()) corrupt("fusion", "not an object");
    FusionSettings& s = state.fusion;
    read(f, "foreground", s.foreground, "fusion.");
    read(f, "opacity", s.opacity, "fusion.");
    read(f, "colourMap", s.colourMap, "fusion.");
    read(f, "mode", s.mode, "fusion.");
    read(f, "checker_mm", s.checker_mm, "fusion.");
    read(f, "slab", s.slab, "fusion.");
    read(f, "slabThickness_mm", s.slabThickness_mm, "fusion.");
    read(f, "colourBar", s.colourBar, "fusion.");
    if (!(s.opacity >= 0.0 && s.opacity <= 1.0)) corrupt("fusion.opacity", "not within 0..1");
    // The names must be ones the renderer knows (each throws Error(InvalidInput) otherwise).
    try {
      rendering::colourMapFromString(s.colourMap);
      rendering::fusionModeFromString(s.mode);
      rendering::slabModeFromString(s.slab);
    } catch (const Error& e) {
      corrupt("fusion", e.what());
    }
  }
  if (j.contains("landmarks")) state.landmarks = landmarksFromJson(j["landmarks"]);
  return state;
}

}  // namespace twinplan::ui
