#include "view_commands.h"

#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <nlohmann/json.hpp>

#include "twinplan/core/error.h"

namespace twinplan::xr_app {

namespace {

// A window writes a few dozen bytes a change; anything this long without a line end is not
// the window talking.
constexpr std::size_t kMaxLine = 4096;

Error badCommand(const std::string& line, const std::string& why) {
  return Error(ErrorKind::InvalidInput,
               "The TwinPlan window sent the headset a view command it cannot read (" + why +
                   "); the window and twinplan-xr-render are from different TwinPlan versions?",
               "standard input: " + line.substr(0, 200));
}

}  // namespace

ViewCommand parseViewCommand(const std::string& line) {
  const nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
  if (j.is_discarded() || !j.is_object()) throw badCommand(line, "not a JSON object");
  ViewCommand command;
  for (const auto& [key, value] : j.items()) {
    if (key == "volume" && value.is_boolean()) {
      command.volumeShown = value.get<bool>();
    } else if (key == "preset" && value.is_string()) {
      command.preset = value.get<std::string>();
    } else {
      throw badCommand(line, "unknown key or wrong type: '" + key + "'");
    }
  }
  return command;
}

std::vector<ViewCommand> ViewCommandReader::take() {
  std::vector<ViewCommand> commands;
  while (!closed_) {
    pollfd ready{fd_, POLLIN, 0};
    if (::poll(&ready, 1, 0) <= 0 || (ready.revents & (POLLIN | POLLHUP)) == 0) break;
    char buffer[1024];
    const ssize_t got = ::read(fd_, buffer, sizeof buffer);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) {
      closed_ = true;  // end of input (or an error reading it): nothing more will come
      break;
    }
    pending_.append(buffer, std::size_t(got));
    for (std::size_t end; (end = pending_.find('\n')) != std::string::npos;) {
      const std::string line = pending_.substr(0, end);
      pending_.erase(0, end + 1);
      if (line.find_first_not_of(" \t\r") != std::string::npos)
        commands.push_back(parseViewCommand(line));
    }
    if (pending_.size() > kMaxLine) throw badCommand(pending_, "a line without an end");
  }
  return commands;
}

}  // namespace twinplan::xr_app
