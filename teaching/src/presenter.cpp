#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <list>
#include <random>
#include <variant>

#include "socket.h"
#include "twinplan/core/error.h"
#include "twinplan/teaching/teaching_session.h"
#include "twinplan/teaching/wire.h"

namespace twinplan::teaching {
namespace {

using net::Clock;
using nlohmann::json;

// A participant that does not take its messages (a stalled headset) is dropped rather than
// letting its queue grow without bound: 8 MiB is hundreds of snapshots.
constexpr std::size_t kMaxQueuedBytes = 8u << 20;

std::string randomSessionCode() {
  std::random_device entropy;
  std::uniform_int_distribution<int> digit(0, 9);
  std::string code;
  for (int i = 0; i < 6; ++i) code.push_back(char('0' + digit(entropy)));
  return code;
}

// Compares without an early exit, so the time taken says nothing about how much of a guessed code
// was right.
bool sameCode(const std::string& given, const std::string& expected) {
  unsigned difference = given.size() == expected.size() ? 0u : 1u;
  for (std::size_t i = 0; i < expected.size(); ++i) {
    difference |= unsigned(static_cast<unsigned char>(expected[i]) ^
                           static_cast<unsigned char>(i < given.size() ? given[i] : 0));
  }
  return difference == 0;
}

std::chrono::milliseconds toMs(double seconds) {
  return std::chrono::milliseconds(static_cast<long long>(seconds * 1000));
}

struct Connection {
  net::Link link;
  bool sniffed = false;  // TLS sessions: the first byte said whether the peer speaks TLS
  MessageReader reader;
  std::string outbox;
  std::uint64_t id = 0;
  std::string name;
  bool welcomed = false;
  bool closeWhenSent = false;  // refused: say why, then close
  bool closed = false;
  Clock::time_point lastHeard = Clock::now();
};

}  // namespace

struct Presenter::Impl {
  SessionState state;
  std::uint64_t sequence = 0;
  HostOptions options;
  net::Fd listener;
  std::shared_ptr<net::TlsContext> tls;  // null: a plain session
  std::uint16_t port = 0;
  std::list<Connection> connections;
  std::vector<std::string> departures;
  std::uint64_t nextId = 1;
  std::vector<std::uint64_t> moves;  // the participant behind each accepted move, in order
  std::vector<ParticipantEdit> edits;
  std::vector<ParticipantRuler> rulers;
  Clock::time_point nextBeat;

  void service(int timeout_ms);
  void acceptAll();
  void readFrom(Connection& c);
  bool sniff(Connection& c);
  void handle(Connection& c, const json& message);
  void join(Connection& c, const json& message);
  void move(const Connection& c, const json& message);
  void measure(const Connection& c, const json& message);
  void broadcast(const StateChange& change);
  void refuse(Connection& c, const std::string& reason);
  void drop(Connection& c, const std::string& why);
  void writeTo(Connection& c);
  void beat(Clock::time_point now);
  void queue(Connection& c, const std::string& bytes) {
    c.outbox += bytes;
    if (c.outbox.size() > kMaxQueuedBytes) drop(c, "does not take its updates (queue full)");
  }
  std::string who(const Connection& c) const {
    return c.name.empty() ? "connection " + std::to_string(c.id) : c.name;
  }
};

void Presenter::Impl::service(int timeout_ms) {
  std::vector<pollfd> fds{{listener.get(), POLLIN, 0}};
  for (auto& c : connections) {
    const bool writing = !c.outbox.empty() || c.link.wantsWrite();
    fds.push_back({c.link.get(), short(POLLIN | (writing ? POLLOUT : 0)), 0});
  }
  ::poll(fds.data(), fds.size(), std::min(std::max(timeout_ms, 0), net::msUntil(nextBeat)));
  if (fds[0].revents & POLLIN) acceptAll();
  // Reading comes before the silence check: bytes that waited in the kernel while the caller
  // was busy (a long frame) count as heard.
  for (auto& c : connections) {
    if (!c.closed) readFrom(c);
    if (!c.closed && !c.outbox.empty()) writeTo(c);
  }
  if (Clock::now() >= nextBeat) {
    beat(Clock::now());
    nextBeat = Clock::now() + toMs(options.heartbeat_s);
  }
  connections.remove_if([](const Connection& c) { return c.closed; });
}

void Presenter::Impl::acceptAll() {
  for (;;) {
    net::Fd fd(::accept(listener.get(), nullptr, nullptr));
    if (!fd) return;
    net::makeNonBlocking(fd.get());
    net::setNoDelay(fd.get());
    auto& c = connections.emplace_back();
    c.link = net::Link(std::move(fd));
    c.id = nextId++;
  }
}

// An encrypted session looks at the first byte before starting TLS: a TLS client opens with a
// handshake record (content type 22, RFC 8446 section 5.1), a plain participant with the
// 4-byte length of its join. The plain one is told in its own framing why it cannot join.
bool Presenter::Impl::sniff(Connection& c) {
  unsigned char first = 0;
  const auto n = ::recv(c.link.get(), &first, 1, MSG_PEEK);
  if (n == 0) {
    drop(c, "connection lost");
    return false;
  }
  if (n < 0) return false;  // nothing yet
  c.sniffed = true;
  if (first == 22) {
    c.link.startTls(tls, true, "");
    return true;
  }
  refuse(c,
         "this teaching session is encrypted (TLS); join it with the presenter's CA file or "
         "certificate fingerprint.");
  return false;
}

void Presenter::Impl::readFrom(Connection& c) {
  if (tls && !c.sniffed && !sniff(c)) return;
  std::string bytes;
  const bool open = c.link.receiveSome(bytes);
  if (!bytes.empty()) c.lastHeard = Clock::now();
  c.reader.append(bytes);
  try {
    while (!c.closed && !c.closeWhenSent) {
      const auto message = c.reader.next();
      if (!message) break;
      handle(c, *message);
    }
  } catch (const Error& e) {
    // A malformed message closes this connection only; the others do not notice.
    if (c.welcomed) {
      drop(c, std::string("sent a malformed message: ") + e.what());
    } else {
      refuse(c, e.what());
    }
    return;
  }
  if (!open && !c.closed) {
    drop(c, c.link.tlsFailure().empty() ? "connection lost" : c.link.tlsFailure());
  }
}

void Presenter::Impl::handle(Connection& c, const json& message) {
  const auto& type = message["type"].get_ref<const std::string&>();
  if (type == "join" && !c.welcomed) return join(c, message);
  if (type == "heartbeat" && c.welcomed) return;
  if (type == "bye" && c.welcomed) return drop(c, "left");
  if (type == "move" && c.welcomed) return move(c, message);
  if (type == "measure" && c.welcomed) return measure(c, message);
  throw Error(ErrorKind::Corrupt,
              "A teaching-session participant sent '" + type +
                  "' where it may not; it runs an "
                  "incompatible TwinPlan version?",
              "type");
}

void Presenter::Impl::join(Connection& c, const json& message) {
  const auto code =
      message.value("code", json()).is_string() ? message["code"].get<std::string>() : "";
  c.name = message.value("name", json()).is_string() ? message["name"].get<std::string>() : "";
  if (!sameCode(code, options.sessionCode)) {
    return refuse(c, "wrong session code; ask the presenter for the code shown on their screen.");
  }
  c.welcomed = true;
  queue(c, encodeMessage({{"type", "welcome"},
                          {"participant", c.id},
                          {"seq", sequence},
                          {"state", toJson(state)}}));
}

// A participant's grab, slice drag or segment toggle: only those changes, applied and sent to
// everyone (the mover too, so every peer holds the same sequence) where the presenter allows
// it. A change of another kind or an invalid one throws and drops the participant (readFrom).
void Presenter::Impl::move(const Connection& c, const json& message) {
  const StateChange change = changeFromJson(message.value("change", json()));
  const bool anatomy = std::holds_alternative<SetAnatomyTransform>(change);
  if (!anatomy && !std::holds_alternative<SetSlice>(change) &&
      !std::holds_alternative<SetSegmentVisible>(change)) {
    throw Error(ErrorKind::Corrupt,
                "A teaching-session participant may only move the anatomy or the slice and show "
                "or hide segments, not change the rest of the shared state.",
                "move");
  }
  if (!(anatomy ? options.participantsMayMoveAnatomy : options.participantsMayEdit)) return;
  applyChange(state, change);  // throws Error(InvalidInput) for a bad matrix or slice
  if (anatomy) moves.push_back(c.id);
  edits.push_back({c.id, change});
  broadcast(change);
}

// A participant's measurement: two finite LPS points, kept for the host (it is the case's, not
// the shared state's; the host's annotations share it back).
void Presenter::Impl::measure(const Connection& c, const json& message) {
  ParticipantRuler ruler{c.id, {}, {}};
  try {
    ruler.from_lps = message.at("from_lps").get<std::array<double, 3>>();
    ruler.to_lps = message.at("to_lps").get<std::array<double, 3>>();
  } catch (const json::exception&) {
    throw Error(ErrorKind::Corrupt,
                "A teaching-session measurement needs two points of three numbers.", "measure");
  }
  for (const auto* point : {&ruler.from_lps, &ruler.to_lps})
    for (double v : *point)
      if (!std::isfinite(v))
        throw Error(ErrorKind::Corrupt, "A teaching-session measurement has a non-finite point.",
                    "measure");
  if (options.participantsMayEdit) rulers.push_back(ruler);
}

void Presenter::Impl::broadcast(const StateChange& change) {
  const std::uint64_t seq = ++sequence;
  if (!listener) return;
  const std::string delta =
      encodeMessage({{"type", "delta"}, {"seq", seq}, {"change", toJson(change)}});
  // Sent now rather than at the next service(): a grab's transform reaches the headsets without
  // waiting for the presenter's next frame.
  for (auto& c : connections) {
    if (c.welcomed && !c.closed) queue(c, delta);
    if (!c.closed && !c.outbox.empty()) writeTo(c);
  }
}

void Presenter::Impl::refuse(Connection& c, const std::string& reason) {
  departures.push_back(who(c) + ": refused, " + reason);
  c.outbox += encodeMessage({{"type", "refused"}, {"reason", reason}});
  c.closeWhenSent = true;
  writeTo(c);
}

void Presenter::Impl::drop(Connection& c, const std::string& why) {
  if (c.closed) return;
  departures.push_back(who(c) + ": " + why);
  c.closed = true;
  c.outbox.clear();
  c.link.reset();
}

void Presenter::Impl::writeTo(Connection& c) {
  const long sent = c.link.sendSome(c.outbox);
  if (sent < 0) {
    return drop(c, c.link.tlsFailure().empty() ? "connection lost" : c.link.tlsFailure());
  }
  c.outbox.erase(0, static_cast<std::size_t>(sent));
  if (c.outbox.empty() && c.closeWhenSent) {
    c.closed = true;
    c.link.reset();
  }
}

void Presenter::Impl::beat(Clock::time_point now) {
  const std::string heartbeat = encodeMessage({{"type", "heartbeat"}});
  for (auto& c : connections) {
    if (c.closed) continue;
    if (now - c.lastHeard > toMs(options.dropAfter_s)) {
      char seconds[32];
      std::snprintf(seconds, sizeof seconds, "%.1f", options.dropAfter_s);
      drop(c, std::string("silent for ") + seconds + " s");
      continue;
    }
    if (c.welcomed) queue(c, heartbeat);
    if (!c.closed && !c.outbox.empty()) writeTo(c);
  }
}

Presenter::Presenter(SessionState initial) : impl_(std::make_unique<Impl>()) {
  impl_->state = std::move(initial);
}

Presenter::~Presenter() { stop(); }

void Presenter::start(const HostOptions& options) {
  if (running()) {
    throw Error(ErrorKind::InvalidInput, "The teaching session is already started; stop it first.");
  }
  HostOptions chosen = options;
  if (chosen.sessionCode.empty()) chosen.sessionCode = randomSessionCode();
  if (chosen.sessionCode.size() < 4) {
    throw Error(ErrorKind::InvalidInput,
                "A teaching session code needs at least 4 characters; choose a longer one.",
                "sessionCode");
  }
  if (!(chosen.heartbeat_s > 0) || !(chosen.dropAfter_s > 2 * chosen.heartbeat_s)) {
    throw Error(ErrorKind::InvalidInput,
                "The heartbeat interval must be positive and the drop time more than two "
                "heartbeats; use the defaults (0.25 s and 2 s).",
                "heartbeat_s");
  }
  if (chosen.tlsCertificateFile.empty() != chosen.tlsPrivateKeyFile.empty()) {
    throw Error(ErrorKind::InvalidInput,
                "TLS needs both the certificate and its private key (PEM files); give both, or "
                "neither for a session on this computer only.",
                "tlsCertificateFile, tlsPrivateKeyFile");
  }
  std::shared_ptr<net::TlsContext> tls;
  if (!chosen.tlsCertificateFile.empty())
    tls = net::presenterTls(chosen.tlsCertificateFile, chosen.tlsPrivateKeyFile);
  impl_->listener = net::listenOn(chosen.address, chosen.port);
  impl_->tls = std::move(tls);
  impl_->port = net::localPort(impl_->listener.get());
  impl_->options = chosen;
  impl_->nextBeat = Clock::now() + toMs(chosen.heartbeat_s);
}

void Presenter::stop() {
  if (!running()) return;
  // Say bye where the socket takes it now; a participant that does not hear it notices the
  // closed connection.
  const std::string bye = encodeMessage({{"type", "bye"}});
  for (auto& c : impl_->connections) {
    if (c.welcomed && !c.closed) c.link.sendSome(c.outbox + bye);
  }
  impl_->connections.clear();
  impl_->listener.reset();
}

void Presenter::service(int timeout_ms) {
  if (running()) impl_->service(timeout_ms);
}

bool Presenter::running() const { return bool(impl_->listener); }
std::uint16_t Presenter::port() const { return impl_->port; }
std::string Presenter::sessionCode() const { return impl_->options.sessionCode; }
bool Presenter::encrypted() const { return impl_->tls != nullptr; }
std::string Presenter::certificateFingerprint() const {
  return impl_->tls ? net::certificateFingerprint(*impl_->tls) : std::string();
}

std::uint64_t Presenter::apply(const StateChange& change) {
  applyChange(impl_->state, change);  // throws before anything is sent
  impl_->broadcast(change);
  return impl_->sequence;
}

SessionState Presenter::state() const { return impl_->state; }

std::uint64_t Presenter::sequence() const { return impl_->sequence; }

std::vector<ParticipantInfo> Presenter::participants() const {
  std::vector<ParticipantInfo> joined;
  for (const auto& c : impl_->connections) {
    if (c.welcomed && !c.closed) joined.push_back({c.id, c.name});
  }
  return joined;
}

std::vector<std::string> Presenter::departures() const { return impl_->departures; }

std::size_t Presenter::participantMoves() const { return impl_->moves.size(); }
const std::vector<ParticipantEdit>& Presenter::participantEdits() const { return impl_->edits; }
const std::vector<ParticipantRuler>& Presenter::participantRulers() const { return impl_->rulers; }

}  // namespace twinplan::teaching
