#include <poll.h>

#include <atomic>
#include <thread>

#include "socket.h"
#include "twinplan/core/error.h"
#include "twinplan/teaching/teaching_session.h"
#include "twinplan/teaching/wire.h"

namespace twinplan::teaching {
namespace {

using net::Clock;
using nlohmann::json;

std::chrono::milliseconds toMs(double seconds) {
  return std::chrono::milliseconds(static_cast<long long>(seconds * 1000));
}

std::string where(const JoinOptions& o) { return o.host + ":" + std::to_string(o.port); }

}  // namespace

struct Participant::Impl {
  mutable std::mutex mutex;
  mutable std::condition_variable applied;
  SessionState state;
  std::uint64_t sequence = 0;
  bool connected = false;
  std::string disconnectReason;
  std::function<void(std::uint64_t)> onApplied;
  JoinOptions options;
  net::Fd fd;
  MessageReader reader;
  std::string outbox;  // network thread only
  std::unique_ptr<net::WakePipe> wake;
  std::atomic<bool> stopping{false};
  std::thread thread;

  json awaitWelcome();
  void run();
  // Returns false when the session ended (reason recorded).
  bool receive(Clock::time_point& lastHeard);
  void applyDelta(const json& message);
  void end(const std::string& reason) {
    {
      std::lock_guard lock(mutex);
      if (!connected) return;
      connected = false;
      disconnectReason = reason;
    }
    applied.notify_all();
  }
};

json Participant::Impl::awaitWelcome() {
  const auto deadline = Clock::now() + toMs(options.timeout_s);
  std::string pending =
      encodeMessage({{"type", "join"}, {"code", options.sessionCode}, {"name", options.name}});
  for (;;) {
    if (!pending.empty()) {
      const long sent = net::sendSome(fd.get(), pending);
      if (sent > 0) pending.erase(0, static_cast<std::size_t>(sent));
    }
    if (auto message = reader.next()) return *message;
    if (Clock::now() >= deadline) {
      throw Error(ErrorKind::Network,
                  "The teaching session at " + where(options) + " did not answer within " +
                      std::to_string(options.timeout_s) + " s; is it a TwinPlan teaching session?",
                  where(options));
    }
    pollfd p{fd.get(), short(POLLIN | (pending.empty() ? 0 : POLLOUT)), 0};
    ::poll(&p, 1, net::msUntil(deadline));
    std::string bytes;
    const bool open = net::receiveSome(fd.get(), bytes);
    reader.append(bytes);
    if (!open && bytes.empty()) {
      if (auto message = reader.next()) return *message;
      throw Error(ErrorKind::Network,
                  "The teaching session at " + where(options) +
                      " closed the connection before answering; ask the presenter whether the "
                      "session is still open.",
                  where(options));
    }
  }
}

void Participant::Impl::run() {
  auto lastHeard = Clock::now();
  auto nextBeat = Clock::now() + toMs(options.heartbeat_s);
  const std::string heartbeat = encodeMessage({{"type", "heartbeat"}});
  while (!stopping) {
    pollfd fds[2] = {{fd.get(), short(POLLIN | (outbox.empty() ? 0 : POLLOUT)), 0},
                     {wake->readEnd(), POLLIN, 0}};
    ::poll(fds, 2, net::msUntil(nextBeat));
    wake->drain();
    if (stopping) return;
    if (!receive(lastHeard)) return;
    const auto now = Clock::now();
    if (now - lastHeard > toMs(options.dropAfter_s)) {
      return end("the presenter was silent for longer than the drop time");
    }
    if (now >= nextBeat) {
      outbox += heartbeat;
      nextBeat = now + toMs(options.heartbeat_s);
    }
    if (!outbox.empty()) {
      const long sent = net::sendSome(fd.get(), outbox);
      if (sent < 0) return end("the connection to the presenter was lost");
      outbox.erase(0, static_cast<std::size_t>(sent));
    }
  }
}

bool Participant::Impl::receive(Clock::time_point& lastHeard) {
  std::string bytes;
  const bool open = net::receiveSome(fd.get(), bytes);
  if (!bytes.empty()) lastHeard = Clock::now();
  reader.append(bytes);
  try {
    while (auto message = reader.next()) {
      const auto& type = (*message)["type"].get_ref<const std::string&>();
      if (type == "delta") {
        applyDelta(*message);
      } else if (type == "bye") {
        end("the presenter ended the session");
        return false;
      } else if (type != "heartbeat") {
        throw Error(ErrorKind::Corrupt, "The presenter sent an unexpected '" + type + "'.", "type");
      }
    }
  } catch (const Error& e) {
    end(std::string("the presenter sent a malformed message: ") + e.what());
    return false;
  }
  if (!open) end("the connection to the presenter was lost");
  return open;
}

void Participant::Impl::applyDelta(const json& message) {
  if (!message.contains("seq") || !message["seq"].is_number_unsigned()) {
    throw Error(ErrorKind::Corrupt, "A state update has no sequence number.", "seq");
  }
  const auto number = message["seq"].get<std::uint64_t>();
  const StateChange change = changeFromJson(message.value("change", json::object()));
  std::function<void(std::uint64_t)> callback;
  {
    std::lock_guard lock(mutex);
    if (number != sequence + 1) {
      throw Error(ErrorKind::Corrupt,
                  "State update " + std::to_string(number) + " arrived after " +
                      std::to_string(sequence) + "; an update was lost.",
                  "seq");
    }
    applyChange(state, change);
    sequence = number;
    callback = onApplied;
  }
  applied.notify_all();
  if (callback) callback(number);
}

Participant::Participant() : impl_(std::make_unique<Impl>()) {}
Participant::~Participant() { leave(); }

void Participant::join(const JoinOptions& options) {
  if (impl_->thread.joinable()) {
    throw Error(ErrorKind::InvalidInput,
                "This participant is already in a session; leave it first.");
  }
  impl_->options = options;
  impl_->reader = MessageReader{};
  impl_->outbox.clear();
  impl_->fd = net::connectTo(options.host, options.port, options.timeout_s);
  json welcome;
  try {
    welcome = impl_->awaitWelcome();
  } catch (const Error&) {
    impl_->fd.reset();
    throw;
  }
  const auto& type = welcome["type"].get_ref<const std::string&>();
  if (type == "refused") {
    impl_->fd.reset();
    throw Error(ErrorKind::InvalidInput,
                "The teaching session at " + where(options) + " refused to let you join: " +
                    welcome.value("reason", std::string("no reason given")),
                where(options));
  }
  if (type != "welcome" || !welcome.contains("seq") || !welcome["seq"].is_number_unsigned() ||
      !welcome.contains("state")) {
    impl_->fd.reset();
    throw Error(ErrorKind::Corrupt,
                "The teaching session at " + where(options) +
                    " answered with something other than a welcome; it runs an incompatible "
                    "TwinPlan version?",
                where(options));
  }
  SessionState snapshot = stateFromJson(welcome["state"]);
  {
    std::lock_guard lock(impl_->mutex);
    impl_->state = std::move(snapshot);
    impl_->sequence = welcome["seq"].get<std::uint64_t>();
    impl_->connected = true;
    impl_->disconnectReason.clear();
  }
  impl_->wake = std::make_unique<net::WakePipe>();
  impl_->stopping = false;
  impl_->thread = std::thread([impl = impl_.get()] { impl->run(); });
}

void Participant::leave() {
  if (!impl_->thread.joinable()) return;
  impl_->stopping = true;
  impl_->wake->wake();
  impl_->thread.join();
  if (connected()) net::sendSome(impl_->fd.get(), impl_->outbox + encodeMessage({{"type", "bye"}}));
  impl_->end("left the session");
  impl_->fd.reset();
}

bool Participant::connected() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->connected;
}

std::string Participant::disconnectReason() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->disconnectReason;
}

SessionState Participant::state() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->state;
}

std::uint64_t Participant::sequence() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->sequence;
}

bool Participant::waitForSequence(std::uint64_t sequence, double timeout_s) const {
  std::unique_lock lock(impl_->mutex);
  return impl_->applied.wait_for(lock, toMs(timeout_s), [&] {
    return impl_->sequence >= sequence || !impl_->connected;
  }) && impl_->sequence >= sequence;
}

void Participant::onApplied(std::function<void(std::uint64_t)> callback) {
  std::lock_guard lock(impl_->mutex);
  impl_->onApplied = std::move(callback);
}

}  // namespace twinplan::teaching
