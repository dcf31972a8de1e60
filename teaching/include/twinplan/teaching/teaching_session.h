#pragma once
// Teaching sessions (issue #20 item 5): a presenter hosts, participants join with the session
// code, and the presenter's state reaches every participant: a full snapshot on joining (late
// joiners catch up), then numbered deltas. Hospital-LAN defaults: nothing listens until start(),
// the listener binds the address it is given (127.0.0.1 by default), and a join without the
// session code is refused. No TLS yet (docs/architecture.md, "Teaching sessions").
//
// Each side runs one network thread (poll(2) on non-blocking sockets); the public functions are
// thread-safe and never block on the network except join() (bounded by its timeout).
//
// That thread is a std::thread, an exception to DESIGN.md section 5 (kernels use oneTBB): it
// waits in poll(2) for the whole session, and a oneTBB task must not block, since it would hold
// one of the workers the numeric kernels share (one of two on a 2-core clinic PC). The planned
// replacement is a caller-driven service() step, run from the headset's frame loop or a GUI
// timer, so the sessions need no thread of their own (issue #20 note).
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "twinplan/teaching/session_state.h"

namespace twinplan::teaching {

struct HostOptions {
  std::string address = "127.0.0.1";  // the interface to listen on; "0.0.0.0" opts into the LAN
  std::uint16_t port = 0;             // 0: an ephemeral port (see Presenter::port())
  std::string sessionCode;            // empty: a random 6-digit code (Presenter::sessionCode())
  double heartbeat_s = 0.25;          // how often each side says it is alive
  double dropAfter_s = 2.0;           // silence after which a participant is dropped
};

struct ParticipantInfo {
  std::uint64_t id = 0;
  std::string name;
};

class Presenter {
 public:
  explicit Presenter(SessionState initial = {});
  ~Presenter();  // stops
  Presenter(const Presenter&) = delete;
  Presenter& operator=(const Presenter&) = delete;

  // Opens the listener and the network thread. Throws Error(Network) when the address cannot be
  // bound, Error(InvalidInput) for a code shorter than 4 characters or bad timings.
  void start(const HostOptions& options = {});
  void stop();  // says bye to everyone, closes the listener
  bool running() const;
  std::uint16_t port() const;
  std::string sessionCode() const;

  // Applies a change to the shared state and sends it to every participant; returns its
  // sequence number. Throws Error(InvalidInput) for an invalid change (nothing is sent).
  std::uint64_t apply(const StateChange& change);
  SessionState state() const;
  std::uint64_t sequence() const;
  std::vector<ParticipantInfo> participants() const;
  // One sentence per participant that was dropped or refused, in order ("Ada: silent for 2.0 s").
  std::vector<std::string> departures() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

struct JoinOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;
  std::string sessionCode;
  std::string name;  // shown to the presenter
  double heartbeat_s = 0.25;
  double dropAfter_s = 2.0;  // presenter silence after which the participant disconnects
  double timeout_s = 5.0;    // connecting and the presenter's answer
};

class Participant {
 public:
  Participant();
  ~Participant();  // leaves
  Participant(const Participant&) = delete;
  Participant& operator=(const Participant&) = delete;

  // Connects, gives the code and receives the current state. Throws Error(InvalidInput) when the
  // presenter refuses (wrong code), Error(Network) when it cannot be reached in time.
  void join(const JoinOptions& options);
  void leave();  // says bye
  bool connected() const;
  std::string disconnectReason() const;  // why the session ended for this participant

  SessionState state() const;
  std::uint64_t sequence() const;  // the last applied delta's number
  // Waits until the delta numbered `sequence` is applied; false on timeout or disconnect.
  bool waitForSequence(std::uint64_t sequence, double timeout_s) const;
  // Called on the network thread after each delta is applied, with its number.
  void onApplied(std::function<void(std::uint64_t sequence)> callback);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace twinplan::teaching
