#include <poll.h>

#include <cmath>

#include "socket.h"
#include "twinplan/core/error.h"
#include "twinplan/teaching/teaching_session.h"
#include "twinplan/teaching/wire.h"

namespace twinplan::teaching {
namespace {

using net::Clock;
using nlohmann::json;
using Phase = Participant::Phase;

std::chrono::milliseconds toMs(double seconds) {
  return std::chrono::milliseconds(static_cast<long long>(seconds * 1000));
}

std::string where(const JoinOptions& o) { return o.host + ":" + std::to_string(o.port); }

}  // namespace

struct Participant::Impl {
  Phase phase = Phase::Idle;
  bool connecting = false;  // the TCP connect has not completed yet
  std::optional<Error> failure;
  std::string disconnectReason;
  SessionState state;
  std::uint64_t sequence = 0;
  std::function<void(std::uint64_t)> onApplied;
  std::function<void(Phase)> onPhase;
  JoinOptions options;
  std::shared_ptr<net::TlsContext> tls;  // null: a plain session
  net::Link link;
  MessageReader reader;
  std::string outbox;
  Clock::time_point joinDeadline, lastHeard, nextBeat;

  void service(int timeout_ms);
  bool finishConnect();
  void receive();
  void handle(const json& message);
  void welcome(const json& message);
  void applyDelta(const json& message);
  void flush();
  void propose(const json& message, const char* what);
  void proposeChange(const StateChange& change, const char* what);
  void failTls() {
    endWith(ErrorKind::Network, "the presenter's TLS was refused",
            "The teaching session at " + where(options) +
                " could not be joined securely: " + link.tlsFailure() + ".");
  }
  void beat(Clock::time_point now);
  void setPhase(Phase next) {
    phase = next;
    if (onPhase) onPhase(next);
  }
  // Ends the session: `error` is what join() would have thrown (empty when the user left).
  void end(const std::string& reason, std::optional<Error> error) {
    if (phase == Phase::Ended || phase == Phase::Idle) return;
    link.reset();
    outbox.clear();
    disconnectReason = reason;
    failure = std::move(error);
    setPhase(Phase::Ended);
  }
  void endWith(ErrorKind kind, const std::string& reason, const std::string& sentence) {
    end(reason, Error(kind, sentence, where(options)));
  }
};

void Participant::Impl::service(int timeout_ms) {
  if (phase != Phase::Joining && phase != Phase::Joined) return;
  const auto wakeAt = phase == Phase::Joining ? joinDeadline : nextBeat;
  const bool writing = connecting || !outbox.empty() || link.wantsWrite();
  pollfd p{link.get(), short(POLLIN | (writing ? POLLOUT : 0)), 0};
  ::poll(&p, 1, std::min(std::max(timeout_ms, 0), net::msUntil(wakeAt)));
  // A connect still in progress (a host that does not answer) is bounded by the same deadline.
  if (!connecting || finishConnect()) receive();
  const auto now = Clock::now();
  if (phase == Phase::Joining && now >= joinDeadline) {
    return endWith(ErrorKind::Network, "the presenter did not answer",
                   "The teaching session at " + where(options) + " did not answer within " +
                       std::to_string(options.timeout_s) +
                       " s; is it a TwinPlan teaching session, and is it started?");
  }
  if (phase == Phase::Joined) beat(now);
  if ((phase == Phase::Joining || phase == Phase::Joined) && !connecting) flush();
}

// Returns true when the connection is established (the join request can go out).
bool Participant::Impl::finishConnect() {
  pollfd p{link.get(), POLLOUT, 0};
  if (::poll(&p, 1, 0) != 1) return false;
  if (const int error = net::connectError(link.get()); error != 0) {
    endWith(ErrorKind::Network, "the presenter could not be reached",
            net::unreachable(options.host, options.port, error));
    return false;
  }
  connecting = false;
  if (tls) link.startTls(tls, false, options.host);
  return true;
}

void Participant::Impl::receive() {
  std::string bytes;
  const bool open = link.receiveSome(bytes);
  if (!bytes.empty()) lastHeard = Clock::now();
  reader.append(bytes);
  try {
    while (phase == Phase::Joining || phase == Phase::Joined) {
      const auto message = reader.next();
      if (!message) break;
      handle(*message);
    }
  } catch (const Error& e) {
    return end(std::string("the presenter sent a malformed message: ") + e.what(), e);
  }
  if (open || phase == Phase::Ended) return;
  if (!link.tlsFailure().empty()) return failTls();
  if (phase == Phase::Joining) {
    return endWith(ErrorKind::Network, "the presenter closed the connection",
                   "The teaching session at " + where(options) +
                       " closed the connection before answering; ask the presenter whether the "
                       "session is still open.");
  }
  endWith(ErrorKind::Network, "the connection to the presenter was lost",
          "The connection to the teaching session at " + where(options) + " was lost.");
}

void Participant::Impl::handle(const json& message) {
  const auto& type = message["type"].get_ref<const std::string&>();
  if (phase == Phase::Joining) {
    if (type == "refused") {
      return endWith(ErrorKind::InvalidInput, "refused",
                     "The teaching session at " + where(options) + " refused to let you join: " +
                         message.value("reason", std::string("no reason given")));
    }
    if (type == "welcome") return welcome(message);
    throw Error(ErrorKind::Corrupt,
                "The teaching session at " + where(options) +
                    " answered with something other than a welcome; it runs an incompatible "
                    "TwinPlan version?",
                "type");
  }
  if (type == "delta") return applyDelta(message);
  if (type == "bye") return end("the presenter ended the session", std::nullopt);
  if (type != "heartbeat") {
    throw Error(ErrorKind::Corrupt, "The presenter sent an unexpected '" + type + "'.", "type");
  }
}

void Participant::Impl::welcome(const json& message) {
  if (!message.contains("seq") || !message["seq"].is_number_unsigned() ||
      !message.contains("state")) {
    throw Error(ErrorKind::Corrupt,
                "The teaching session's welcome has no sequence number or state; it runs an "
                "incompatible TwinPlan version?",
                "welcome");
  }
  state = stateFromJson(message["state"]);
  sequence = message["seq"].get<std::uint64_t>();
  nextBeat = Clock::now() + toMs(options.heartbeat_s);
  setPhase(Phase::Joined);
}

void Participant::Impl::applyDelta(const json& message) {
  if (!message.contains("seq") || !message["seq"].is_number_unsigned()) {
    throw Error(ErrorKind::Corrupt, "A state update has no sequence number.", "seq");
  }
  const auto number = message["seq"].get<std::uint64_t>();
  const StateChange change = changeFromJson(message.value("change", json::object()));
  if (number != sequence + 1) {
    throw Error(ErrorKind::Corrupt,
                "State update " + std::to_string(number) + " arrived after " +
                    std::to_string(sequence) + "; an update was lost.",
                "seq");
  }
  applyChange(state, change);
  sequence = number;
  if (onApplied) onApplied(number);
}

void Participant::Impl::flush() {
  if (outbox.empty()) return;
  const long sent = link.sendSome(outbox);
  if (sent < 0 && !link.tlsFailure().empty()) return failTls();
  if (sent < 0) {
    return endWith(ErrorKind::Network, "the connection to the presenter was lost",
                   "The connection to the teaching session at " + where(options) + " was lost.");
  }
  outbox.erase(0, static_cast<std::size_t>(sent));
}

void Participant::Impl::beat(Clock::time_point now) {
  if (now - lastHeard > toMs(options.dropAfter_s)) {
    return endWith(ErrorKind::Network, "the presenter was silent for longer than the drop time",
                   "The teaching session at " + where(options) + " stopped answering.");
  }
  if (now >= nextBeat) {
    outbox += encodeMessage({{"type", "heartbeat"}});
    nextBeat = now + toMs(options.heartbeat_s);
  }
}

Participant::Participant() : impl_(std::make_unique<Impl>()) {}
Participant::~Participant() {
  impl_->onPhase = nullptr;  // what the callbacks refer to may be gone already
  impl_->onApplied = nullptr;
  leave();
}

void Participant::join(const JoinOptions& options) {
  if (impl_->phase == Phase::Joining || impl_->phase == Phase::Joined) {
    throw Error(ErrorKind::InvalidInput,
                "This participant is already in a session; leave it first.");
  }
  auto& s = *impl_;
  // A CA file or fingerprint that cannot be used is the caller's mistake: thrown here.
  s.tls.reset();
  if (!options.tlsCaFile.empty() || !options.tlsPinnedSha256.empty())
    s.tls = net::participantTls(options.tlsCaFile, options.tlsPinnedSha256);
  s.options = options;
  s.reader = MessageReader{};
  s.outbox =
      encodeMessage({{"type", "join"}, {"code", options.sessionCode}, {"name", options.name}});
  s.failure.reset();
  s.disconnectReason.clear();
  s.state = {};
  s.sequence = 0;
  s.joinDeadline = Clock::now() + toMs(options.timeout_s);
  s.lastHeard = Clock::now();
  s.phase = Phase::Joining;
  try {
    s.link = net::Link(net::startConnect(options.host, options.port));
    s.connecting = true;
  } catch (const Error& e) {
    s.end("the presenter could not be reached", e);  // reported like a later failure
  }
}

void Participant::leave() {
  if (impl_->phase == Phase::Joined) {
    impl_->link.sendSome(impl_->outbox + encodeMessage({{"type", "bye"}}));
  }
  impl_->end("left the session", std::nullopt);
}

// What a participant may ask of the presenter (protocol 5): checked here as the presenter
// will apply it, so a bad request throws before anything is sent.
void Participant::Impl::propose(const json& message, const char* what) {
  if (phase != Phase::Joined) {
    throw Error(ErrorKind::InvalidInput,
                std::string("The ") + what +
                    " can only be changed in a teaching session this participant has joined.",
                what);
  }
  outbox += encodeMessage(message);
  flush();
}

void Participant::Impl::proposeChange(const StateChange& change, const char* what) {
  if (phase == Phase::Joined) {
    SessionState checked;
    applyChange(checked, change);  // a non-affine matrix, an unknown orientation ... throws here
  }
  propose({{"type", "move"}, {"change", toJson(change)}}, what);
}

void Participant::moveAnatomy(const std::array<double, 16>& lpsToLps) {
  impl_->proposeChange(SetAnatomyTransform{lpsToLps}, "anatomy");
}

void Participant::moveSlice(const SharedSlice& slice) {
  impl_->proposeChange(SetSlice{slice}, "slice");
}

void Participant::setSegmentVisible(const std::string& segment, bool visible) {
  if (segment.empty())
    throw Error(ErrorKind::InvalidInput, "A segment to show or hide needs its name.", "segment");
  impl_->proposeChange(SetSegmentVisible{segment, visible}, "segment visibility");
}

void Participant::measure(const std::array<double, 3>& from_lps,
                          const std::array<double, 3>& to_lps) {
  for (const auto* point : {&from_lps, &to_lps})
    for (double v : *point)
      if (!std::isfinite(v))
        throw Error(ErrorKind::InvalidInput, "A measured point must be finite (LPS mm).",
                    "measure");
  impl_->propose({{"type", "measure"}, {"from_lps", from_lps}, {"to_lps", to_lps}}, "measurements");
}

void Participant::service(int timeout_ms) { impl_->service(timeout_ms); }
Participant::Phase Participant::phase() const { return impl_->phase; }
const std::optional<Error>& Participant::failure() const { return impl_->failure; }
std::string Participant::disconnectReason() const { return impl_->disconnectReason; }
SessionState Participant::state() const { return impl_->state; }
std::uint64_t Participant::sequence() const { return impl_->sequence; }

void Participant::onApplied(std::function<void(std::uint64_t)> callback) {
  impl_->onApplied = std::move(callback);
}

void Participant::onPhase(std::function<void(Phase)> callback) {
  impl_->onPhase = std::move(callback);
}

}  // namespace twinplan::teaching
