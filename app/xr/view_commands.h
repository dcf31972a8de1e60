#pragma once
// What the TwinPlan window tells its running headset view besides the teaching session's state:
// how its 3D view shows the volume (issue #20 item 2: the Volume button and the volume rendering
// preset). These are the window's own display settings, not a lesson's shared state, so they
// travel on the headset program's standard input, one JSON object a line, written by
// ui::HeadsetLink:
//
//   {"volume": true, "preset": "CT soft tissue"}
//
// "volume" shows or hides the volume rendering; "preset" names a rendering::VolumePreset as the
// 3D view's list does (rendering::toString). Either may be left out.
#include <optional>
#include <string>
#include <vector>

namespace twinplan::xr_app {

struct ViewCommand {
  std::optional<bool> volumeShown;
  std::optional<std::string> preset;  // checked against the presets by the caller
};

// Reads the lines the window wrote so far without waiting: poll(2) on the descriptor, then what
// is there. A line split across reads is kept until its end arrives.
class ViewCommandReader {
 public:
  explicit ViewCommandReader(int fd = 0) : fd_(fd) {}
  // The complete commands since the last call, in order. Throws Error(InvalidInput) naming the
  // line for one that is not such a JSON object; a closed input (the window went away: the
  // session ends the view) yields nothing more.
  std::vector<ViewCommand> take();

 private:
  int fd_;
  bool closed_ = false;
  std::string pending_;  // bytes after the last complete line
};

// One line as a command (exposed for the parser's tests); Error(InvalidInput) when malformed.
ViewCommand parseViewCommand(const std::string& line);

}  // namespace twinplan::xr_app
