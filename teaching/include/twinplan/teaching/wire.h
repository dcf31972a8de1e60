#pragma once
// The teaching session's wire format: each message is a 4-byte big-endian length followed by
// that many bytes of UTF-8 JSON (RFC 8259), an object with "v" (protocol version) and "type".
// Types: join {code, name} -> welcome {participant, seq, state} | refused {reason};
// delta {seq, change}; heartbeat; bye; and from a participant, move {change} (a grab in its
// headset: SetAnatomyTransform only). docs/architecture.md, "Teaching sessions".
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace twinplan::teaching {

// 2: the state gained the presenter's slice (change "slice"). 3: the shown result (change
// "result") and the pointer's length. 4: a participant may move the anatomy (message "move").
// 5: it may also move the slice and show or hide segments ("move") and measure ("measure").
// 6: the presenter's crosshair and display window (changes "crosshair", "windowLevel"), which a
// following window moves all its 2D views to. A peer of another version is refused by name at
// its first message rather than failing on a change it does not know.
inline constexpr int kProtocolVersion = 6;
// A snapshot of a case with hundreds of segments and annotations is a few tens of kB; anything
// over 1 MiB is not a message this protocol sends.
inline constexpr std::uint32_t kMaxMessageBytes = 1u << 20;

// The framed bytes of one message (adds "v").
std::string encodeMessage(nlohmann::json message);

// Collects received bytes and cuts them into messages.
class MessageReader {
 public:
  void append(std::string_view bytes);
  // The next complete message, or nothing yet. Throws Error(Corrupt) for a length over
  // kMaxMessageBytes, bytes that are not JSON, a message that is not an object with a string
  // "type", or another protocol version: the connection that sent it is closed.
  std::optional<nlohmann::json> next();

 private:
  std::string buffer_;
  std::size_t consumed_ = 0;
};

}  // namespace twinplan::teaching
