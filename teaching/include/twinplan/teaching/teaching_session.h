#pragma once
// Teaching sessions (issue #20 item 5): a presenter hosts, participants join with the session
// code, and the presenter's state reaches every participant: a full snapshot on joining (late
// joiners catch up), then numbered deltas. Hospital-LAN defaults: nothing listens until start(),
// the listener binds the address it is given (127.0.0.1 by default), and a join without the
// session code is refused. TLS when configured: the presenter is given a certificate and its
// key, participants what they trust (a CA file or the certificate's SHA-256 fingerprint); a
// participant refuses a presenter it does not trust, and a plain participant cannot join an
// encrypted session (docs/architecture.md, "Teaching sessions: TLS").
//
// Neither side owns a thread. The caller drives each one with service(timeout_ms): one poll(2)
// on its non-blocking sockets (up to timeout_ms, 0 = do not wait), then accepting, reading,
// writing, heartbeats and drops. The headset calls it once per frame, the GUI from a QTimer, the
// CLI in its loop; a blocked network thread would otherwise hold one of the oneTBB workers the
// numeric kernels share (DESIGN.md section 5). An object is used from one thread at a time.
// Heartbeats and drops are judged when service() runs, so call it at least every heartbeat_s.
#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "twinplan/core/error.h"
#include "twinplan/teaching/session_state.h"

namespace twinplan::teaching {

struct HostOptions {
  std::string address = "127.0.0.1";  // the interface to listen on; "0.0.0.0" opts into the LAN
  std::uint16_t port = 0;             // 0: an ephemeral port (see Presenter::port())
  std::string sessionCode;            // empty: a random 6-digit code (Presenter::sessionCode())
  double heartbeat_s = 0.25;          // how often each side says it is alive
  double dropAfter_s = 2.0;           // silence after which a participant is dropped
  // Whether a participant's grab (Participant::moveAnatomy) changes the shared anatomy
  // transform for everyone; false: such moves are ignored (the presenter's placement stands,
  // and the participant's headset returns to it when its grab ends).
  bool participantsMayMoveAnatomy = false;
  // Whether a participant's headset may move the shared slice along its axis and show or hide
  // segments (Participant::moveSlice, setSegmentVisible: they change the state for everyone)
  // and measure (Participant::measure: kept for the presenter, participantRulers()); false:
  // such requests are ignored.
  bool participantsMayEdit = false;
  // TLS: both PEM files, or neither (a plain session). The key must not be encrypted.
  std::string tlsCertificateFile;
  std::string tlsPrivateKeyFile;
};

struct ParticipantInfo {
  std::uint64_t id = 0;
  std::string name;
};

// A change a participant made to the shared state (participantsMayMoveAnatomy,
// participantsMayEdit), as the presenter applied it.
struct ParticipantEdit {
  std::uint64_t participant = 0;
  StateChange change;
};

// A distance a participant measured in its headset: two points on surfaces, LPS mm. The
// presenter's case stores it (a ruler, like a desktop measurement).
struct ParticipantRuler {
  std::uint64_t participant = 0;
  std::array<double, 3> from_lps{0, 0, 0};
  std::array<double, 3> to_lps{0, 0, 0};
};

class Presenter {
 public:
  explicit Presenter(SessionState initial = {});
  ~Presenter();  // stops
  Presenter(const Presenter&) = delete;
  Presenter& operator=(const Presenter&) = delete;

  // Opens the listener (nothing is accepted until service() runs). Throws Error(Network) when the
  // address cannot be bound, Error(InvalidInput) for a code shorter than 4 characters, bad
  // timings, only one of the TLS files, or files that are not a PEM certificate and its key,
  // Error(NotFound) for a TLS file that cannot be read.
  void start(const HostOptions& options = {});
  void stop();  // says bye to everyone (what the sockets take now), closes the listener
  bool running() const;
  // One step of the session: waits up to timeout_ms for network activity, then accepts new
  // connections, answers joins with the snapshot, reads, writes, sends heartbeats when due and
  // drops silent or broken participants. Does nothing before start().
  void service(int timeout_ms = 0);
  std::uint16_t port() const;
  std::string sessionCode() const;
  bool encrypted() const;  // started with TLS
  // The SHA-256 fingerprint of the session's certificate ("AB:CD:...", what participants may
  // pin); empty for a plain session.
  std::string certificateFingerprint() const;

  // Applies a change to the shared state and sends it to every participant (what the sockets
  // take now; service() sends the rest); returns its sequence number. Throws Error(InvalidInput)
  // for an invalid change (nothing is sent).
  std::uint64_t apply(const StateChange& change);
  SessionState state() const;
  std::uint64_t sequence() const;
  std::vector<ParticipantInfo> participants() const;
  // One sentence per participant that was dropped or refused, in order ("Ada: silent for 2.0 s").
  std::vector<std::string> departures() const;
  // How many participants' moves of the anatomy were applied (participantsMayMoveAnatomy).
  std::size_t participantMoves() const;
  // Every change participants made, in the order applied (anatomy moves, slice moves, segment
  // visibility); the host reads the new ones after service().
  const std::vector<ParticipantEdit>& participantEdits() const;
  // The participants' measurements (participantsMayEdit), in order.
  const std::vector<ParticipantRuler>& participantRulers() const;

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
  // TLS: join encrypted when either is given. A CA file (PEM) verifies the presenter's
  // certificate chain and that it names `host`; a pinned SHA-256 fingerprint ("AB:CD:...")
  // accepts exactly that certificate (a self-signed one too). Both: both must hold.
  std::string tlsCaFile;
  std::string tlsPinnedSha256;
};

class Participant {
 public:
  enum class Phase {
    Idle,     // not in a session
    Joining,  // join() sent the request; service() waits for the presenter's answer
    Joined,   // the snapshot arrived; deltas are applied by service()
    Ended,    // refused, unreachable, timed out, left, or the session ended: see failure()
  };

  Participant();
  ~Participant();  // leaves
  Participant(const Participant&) = delete;
  Participant& operator=(const Participant&) = delete;

  // Starts joining and returns at once: connects without waiting and queues the code; service()
  // completes it (phase() becomes Joined, or Ended with failure()). Throws Error(InvalidInput)
  // when already in a session, and as participantTls says for an unusable CA file or
  // fingerprint (Error(NotFound) or Error(InvalidInput)). (A host name is resolved here, which may
  // wait for DNS; give an IP address where that matters.)
  void join(const JoinOptions& options);
  void leave();  // says bye
  // One step: waits up to timeout_ms for the presenter, then completes the join, applies deltas
  // (calling onApplied), sends heartbeats and notices the end of the session.
  void service(int timeout_ms = 0);
  Phase phase() const;
  bool connected() const { return phase() == Phase::Joined; }
  // Why the session ended, as the error join() would have thrown: Error(InvalidInput) when the
  // presenter refused (wrong code, or a plain join of an encrypted session), Error(Network)
  // when its certificate is not trusted, it did not speak TLS, could not be reached or did not
  // answer within timeout_s or the connection ended later, Error(Corrupt) for a malformed
  // message. Empty while Idle, Joining or Joined, and after leave().
  const std::optional<Error>& failure() const;
  std::string disconnectReason() const;  // why the session ended for this participant

  SessionState state() const;
  std::uint64_t sequence() const;  // the last applied delta's number
  // Asks the presenter to place the anatomy so (a grab in this participant's headset; 4x4
  // row-major LPS mm to LPS mm). Where the presenter allows it (participantsMayMoveAnatomy) it
  // becomes the shared transform and comes back as a delta like any other change; otherwise
  // it is ignored. Throws Error(InvalidInput) when not Joined or for a non-affine or
  // non-finite matrix (nothing is sent).
  void moveAnatomy(const std::array<double, 16>& lpsToLps);
  // Asks the presenter to show this slice (a drag in the headset moves it along its axis), to
  // show or hide a segment (its name, as in SessionState::segmentVisible), or to keep a
  // measured distance between two surface points. Applied where the presenter allows it
  // (participantsMayEdit); the slice and visibility then come back as deltas. Throw
  // Error(InvalidInput) when not Joined or for what applyChange refuses (an unknown
  // orientation, a non-finite position or point, an empty segment name); nothing is sent.
  void moveSlice(const SharedSlice& slice);
  void setSegmentVisible(const std::string& segment, bool visible);
  void measure(const std::array<double, 3>& from_lps, const std::array<double, 3>& to_lps);
  // Called by service() after each delta is applied, with its number.
  void onApplied(std::function<void(std::uint64_t sequence)> callback);
  // Called by service() when the phase changes (Joined, Ended).
  void onPhase(std::function<void(Phase)> callback);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace twinplan::teaching
