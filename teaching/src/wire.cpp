#include "twinplan/teaching/wire.h"

#include "twinplan/core/error.h"

namespace twinplan::teaching {

std::string encodeMessage(nlohmann::json message) {
  message["v"] = kProtocolVersion;
  const std::string body = message.dump();
  const auto length = static_cast<std::uint32_t>(body.size());
  std::string framed;
  framed.reserve(4 + body.size());
  for (int shift = 24; shift >= 0; shift -= 8) framed.push_back(char((length >> shift) & 0xFF));
  framed += body;
  return framed;
}

void MessageReader::append(std::string_view bytes) {
  if (consumed_ > 0 && consumed_ == buffer_.size()) {
    buffer_.clear();
    consumed_ = 0;
  }
  buffer_.append(bytes);
}

std::optional<nlohmann::json> MessageReader::next() {
  if (buffer_.size() - consumed_ < 4) return std::nullopt;
  std::uint32_t length = 0;
  for (int i = 0; i < 4; ++i)
    length = (length << 8) | static_cast<unsigned char>(buffer_[consumed_ + i]);
  if (length > kMaxMessageBytes) {
    throw Error(ErrorKind::Corrupt,
                "A teaching-session message announces " + std::to_string(length) +
                    " bytes, more than the protocol's 1 MiB; the peer is not a TwinPlan teaching "
                    "session.",
                "message length");
  }
  if (buffer_.size() - consumed_ < 4 + std::size_t(length)) return std::nullopt;
  const std::string_view body(buffer_.data() + consumed_ + 4, length);
  consumed_ += 4 + length;
  auto message = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (message.is_discarded() || !message.is_object() || !message.contains("type") ||
      !message["type"].is_string()) {
    throw Error(ErrorKind::Corrupt,
                "A teaching-session message is not a JSON object with a \"type\"; the peer is "
                "not a TwinPlan teaching session.",
                "message");
  }
  if (!message.contains("v") || message["v"] != kProtocolVersion) {
    throw Error(ErrorKind::Unsupported,
                "A teaching-session message has protocol version " +
                    (message.contains("v") ? message["v"].dump() : std::string("(none)")) +
                    ", this TwinPlan speaks version " + std::to_string(kProtocolVersion) +
                    "; run the same TwinPlan version on all machines.",
                "v");
  }
  // Keep the buffer short: drop what was read once it is most of it.
  if (consumed_ > 65536 && consumed_ * 2 > buffer_.size()) {
    buffer_.erase(0, consumed_);
    consumed_ = 0;
  }
  return message;
}

}  // namespace twinplan::teaching
