// Teaching sessions (issue #20 items 5 and 8): a presenter and participants on 127.0.0.1 with
// ephemeral ports, all driven from the test's own loop (the sessions own no thread: each party's
// service() is called in turn, as a headset frame loop or a GUI timer would). States are compared
// with the presenter's after each scripted step, and against values worked out by hand (the pointer
// direction normalised, annotations in order).
#include "twinplan/teaching/teaching_session.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <vector>

#include "twinplan/core/error.h"
#include "twinplan/teaching/wire.h"

namespace twinplan::teaching {
namespace {

using nlohmann::json;

constexpr double kWait_s = 5.0;

HostOptions fastHost() {
  HostOptions o;
  o.sessionCode = "482913";
  o.heartbeat_s = 0.05;
  o.dropAfter_s = 0.4;
  return o;
}

JoinOptions joinOptions(const Presenter& p, std::string name) {
  JoinOptions o;
  o.port = p.port();
  o.sessionCode = p.sessionCode();
  o.name = std::move(name);
  o.heartbeat_s = 0.05;
  o.dropAfter_s = 0.4;
  return o;
}

// The parties of one test and the loop that drives them.
struct Parties {
  std::vector<Presenter*> presenters;
  std::vector<Participant*> participants;

  void serviceAll() {
    for (auto* p : presenters) p->service(1);
    for (auto* p : participants) p->service(0);
  }
  // Services every party until `condition` holds or kWait_s passes.
  template <typename Condition>
  bool until(Condition condition) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(kWait_s);
    while (std::chrono::steady_clock::now() < deadline) {
      if (condition()) return true;
      serviceAll();
    }
    return condition();
  }
  bool untilApplied(std::uint64_t sequence) {
    return until([&] {
      return std::all_of(participants.begin(), participants.end(),
                         [&](Participant* p) { return p->sequence() >= sequence; });
    });
  }
  bool untilJoined() {
    return until([&] {
      return std::all_of(participants.begin(), participants.end(),
                         [](Participant* p) { return p->phase() != Participant::Phase::Joining; });
    });
  }
};

std::vector<StateChange> scriptedLesson() {
  return {ShowData{"case-liver-017", "sha256:9f2c"},
          SetSegmentVisible{"Liver", true},
          SetSegmentVisible{"Portal vein", false},
          SetAnatomyTransform{{0, -1, 0, 100, 1, 0, 0, -20, 0, 0, 1, 5.5, 0, 0, 0, 1}},
          SetPointer{{true, {10, 20, 30}, {0, 0, 2}}},
          AddAnnotation{{1, {12.5, -3, 40}, "Middle hepatic vein"}},
          AddAnnotation{{2, {0, 0, 0}, "Tumour margin 5 mm"}},
          SetFollowPresenter{true},
          SetSlice{{true, "coronal", -12.5}},
          RemoveAnnotation{1},
          SetSlice{{true, "axial", 30.25}},
          SetCrosshair{{true, {-12.5, 40.75, 30.25}}},  // the axial slice's z, a click at x, y
          SetWindowLevel{{true, 1500.0, -600.0}},        // the lung window
          SetShownResult{{"Dose", {{30.4, "95 % isodose", {230, 40, 30}, 0.6}}}},
          SetPointer{{true, {5, -95, 40}, {0, 1, 0}, 100.0}},  // a desktop's mouse on a slice
          SetSegmentVisible{"Liver", false},
          SetShownResult{{"Dose",
                          {{16.0, "50 % isodose", {40, 170, 230}, 0.25},
                           {30.4, "95 % isodose", {230, 40, 30}, 0.6}}}},
          SetCrosshair{{true, {0.1 + 0.2, -7.0, 30.25}}},  // not representable in short decimal
          SetPointer{{false, {}, {}}}};
}

// A client that speaks the wire format by hand, to misbehave.
class RawClient {
 public:
  explicit RawClient(std::uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  }
  ~RawClient() { ::close(fd_); }
  void send(const std::string& bytes) {
    ASSERT_EQ(::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL), long(bytes.size()));
  }
  // Waits for a message while `parties` run.
  std::optional<json> receive(Parties& parties) {
    for (int i = 0; i < 1000; ++i) {
      if (auto m = reader_.next()) return m;
      parties.serviceAll();
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 5) <= 0) continue;
      char buffer[65536];
      const auto n = ::recv(fd_, buffer, sizeof buffer, 0);
      if (n <= 0) return std::nullopt;
      reader_.append({buffer, std::size_t(n)});
    }
    return std::nullopt;
  }

 private:
  int fd_ = -1;
  MessageReader reader_;
};

// What a presenter answers a join of another protocol `version`, framed by hand (encodeMessage
// writes this TwinPlan's version); nothing when it does not answer.
std::optional<json> answerToAJoinOfVersion(Parties& parties, const Presenter& presenter,
                                           int version) {
  RawClient older(presenter.port());
  const std::string join = R"({"type":"join","code":"482913","name":"old","v":)" +
                           std::to_string(version) + "}";
  older.send(std::string("\0\0\0", 3) + char(join.size()) + join);
  return older.receive(parties);
}

// A started presenter and one participant that joined: where the late-joiner tests begin.
struct Classroom {
  Presenter presenter;
  Participant early;
  Parties parties{{&presenter}, {&early}};
  Classroom() {
    presenter.start(fastHost());
    early.join(joinOptions(presenter, "early"));
  }
};

TEST(TeachingState, AppliesChangesAsWorkedOutByHand) {
  SessionState state;
  for (const auto& change : scriptedLesson()) applyChange(state, change);
  EXPECT_EQ(state.caseId, "case-liver-017");
  EXPECT_EQ(state.segmentVisible,
            (std::map<std::string, bool>{{"Liver", false}, {"Portal vein", false}}));
  EXPECT_EQ(state.anatomyTransform[3], 100);
  EXPECT_FALSE(state.pointer.active);
  ASSERT_EQ(state.annotations.size(), 1u);
  EXPECT_EQ(state.annotations[0].text, "Tumour margin 5 mm");
  EXPECT_TRUE(state.followPresenter);
  EXPECT_EQ(state.slice, (SharedSlice{true, "axial", 30.25}));  // the last scroll wins
  EXPECT_EQ(state.result.field, "Dose");  // the last choice wins, both its surfaces
  ASSERT_EQ(state.result.surfaces.size(), 2u);
  EXPECT_EQ(state.result.surfaces[0].name, "50 % isodose");
  EXPECT_EQ(state.result.surfaces[1].colour_rgb, (std::array<int, 3>{230, 40, 30}));
  EXPECT_EQ(state.crosshair, (SharedCrosshair{true, {0.1 + 0.2, -7.0, 30.25}}));  // the last
  EXPECT_EQ(state.windowLevel, (SharedWindowLevel{true, 1500.0, -600.0}));

  SessionState pointing;
  applyChange(pointing, SetPointer{{true, {1, 2, 3}, {3, 0, 4}}});
  EXPECT_DOUBLE_EQ(pointing.pointer.direction_lps[0], 0.6);  // (3,0,4)/5
  EXPECT_DOUBLE_EQ(pointing.pointer.direction_lps[2], 0.8);
}

TEST(TeachingState, InvalidChangesAreRefusedAndLeaveTheStateAlone) {
  SessionState state;
  applyChange(state, AddAnnotation{{7, {0, 0, 0}, "a"}});
  const SessionState before = state;
  std::array<double, 16> projective{1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0.1, 1};
  EXPECT_THROW(applyChange(state, SetAnatomyTransform{projective}), Error);
  EXPECT_THROW(applyChange(state, SetPointer{{true, {0, 0, 0}, {0, 0, 0}}}), Error);
  EXPECT_THROW(applyChange(state, AddAnnotation{{7, {1, 1, 1}, "duplicate"}}), Error);
  EXPECT_THROW(applyChange(state, RemoveAnnotation{99}), Error);
  EXPECT_THROW(applyChange(state, SetSlice{{true, "oblique", 0.0}}), Error);
  EXPECT_THROW(applyChange(state, SetSlice{{true, "axial", std::nan("")}}), Error);
  EXPECT_THROW(applyChange(state, SetPointer{{true, {0, 0, 0}, {0, 0, 1}, -5.0}}), Error);
  EXPECT_THROW(applyChange(state, SetShownResult{{"Dose", {{1.0, "a", {256, 0, 0}, 0.5}}}}), Error);
  EXPECT_THROW(applyChange(state, SetShownResult{{"Dose", {{1.0, "a", {0, 0, 0}, 1.5}}}}), Error);
  EXPECT_THROW(applyChange(state, SetShownResult{{"Dose", {{std::nan(""), "a", {0, 0, 0}, 0.5}}}}),
               Error);
  EXPECT_THROW(
      applyChange(state,
                  SetShownResult{{"Dose", std::vector<ResultSurface>(kMaxResultSurfaces + 1)}}),
      Error);
  EXPECT_THROW(applyChange(state, SetCrosshair{{true, {0.0, std::nan(""), 0.0}}}), Error);
  EXPECT_THROW(applyChange(state, SetCrosshair{{true, {HUGE_VAL, 0.0, 0.0}}}), Error);
  EXPECT_THROW(applyChange(state, SetWindowLevel{{true, 0.0, 40.0}}), Error);
  EXPECT_THROW(applyChange(state, SetWindowLevel{{true, -400.0, 40.0}}), Error);
  EXPECT_THROW(applyChange(state, SetWindowLevel{{true, 400.0, std::nan("")}}), Error);
  EXPECT_EQ(state, before);
}

TEST(TeachingState, JsonRoundTripIsExact) {
  SessionState state;
  for (const auto& change : scriptedLesson()) applyChange(state, change);
  state.anatomyTransform[0] = 0.1 + 0.2;  // not representable in short decimal
  EXPECT_EQ(stateFromJson(json::parse(toJson(state).dump())), state);
  for (const auto& change : scriptedLesson()) {
    EXPECT_EQ(toJson(changeFromJson(json::parse(toJson(change).dump()))), toJson(change));
  }
  EXPECT_THROW(changeFromJson(json{{"op", "teleport"}}), Error);
  EXPECT_EQ(
      toJson(SetSlice{{true, "sagittal", -4.5}}),
      (json{{"op", "slice"},
            {"slice", {{"shown", true}, {"orientation", "sagittal"}, {"position_mm", -4.5}}}}));
  EXPECT_EQ(toJson(SetShownResult{{"Dose", {{30.4, "95 % isodose", {230, 40, 30}, 0.6}}}}),
            (json{{"op", "result"},
                  {"result",
                   {{"field", "Dose"},
                    {"surfaces",
                     {{{"level", 30.4},
                       {"name", "95 % isodose"},
                       {"colour_rgb", {230, 40, 30}},
                       {"opacity", 0.6}}}}}}}));
  EXPECT_EQ(toJson(SetCrosshair{{true, {-12.5, 40.75, 30.25}}}),
            (json{{"op", "crosshair"},
                  {"crosshair", {{"shown", true}, {"point_lps", {-12.5, 40.75, 30.25}}}}}));
  EXPECT_EQ(
      toJson(SetWindowLevel{{true, 1500.0, -600.0}}),
      (json{{"op", "windowLevel"},
            {"windowLevel", {{"shown", true}, {"window", 1500.0}, {"level", -600.0}}}}));
  EXPECT_EQ(stateFromJson(json::parse(toJson(state).dump())).crosshair.point_lps[0], 0.1 + 0.2);
  // A snapshot from a presenter (or a lesson file) that shares no slice, crosshair or window
  // yet: none shown.
  json older = toJson(state);
  older.erase("slice");
  older.erase("crosshair");
  older.erase("windowLevel");
  EXPECT_FALSE(stateFromJson(older).slice.shown);
  EXPECT_EQ(stateFromJson(older).crosshair, SharedCrosshair{});
  EXPECT_EQ(stateFromJson(older).windowLevel, SharedWindowLevel{});
  EXPECT_THROW(changeFromJson(json{{"op", "crosshair"}, {"crosshair", {{"shown", true}}}}),
               Error);
  EXPECT_THROW(changeFromJson(json{{"op", "segmentVisible"}, {"segment", 3}}), Error);
}

TEST(TeachingWire, FramesSurviveArbitrarySplitsAndBadFramesAreRejected) {
  const std::string bytes =
      encodeMessage({{"type", "heartbeat"}}) + encodeMessage({{"type", "bye"}});
  MessageReader reader;
  std::vector<std::string> types;
  for (char byte : bytes) {  // one byte at a time
    reader.append({&byte, 1});
    while (auto m = reader.next()) types.push_back((*m)["type"]);
  }
  EXPECT_EQ(types, (std::vector<std::string>{"heartbeat", "bye"}));
  // Length prefix is big-endian: {"type":"bye","v":2} is 20 bytes.
  EXPECT_EQ(encodeMessage({{"type", "bye"}}).substr(0, 4), std::string("\0\0\0\x14", 4));

  MessageReader huge;
  huge.append(std::string("\x7f\0\0\0", 4));
  EXPECT_THROW(huge.next(), Error);
  MessageReader notJson;
  notJson.append(std::string("\0\0\0\x03", 4) + "{{{");
  EXPECT_THROW(notJson.next(), Error);
  MessageReader otherVersion;
  const std::string other =
      R"({"type":"heartbeat","v":)" + std::to_string(kProtocolVersion + 1) + "}";
  otherVersion.append(std::string("\0\0\0", 3) + char(other.size()) + other);
  try {
    otherVersion.next();
    FAIL() << "a message of another protocol version was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Unsupported);
  }
}

TEST(TeachingSession, PresenterAndThreeParticipantsStayInSync) {
  Presenter presenter;
  presenter.start(fastHost());
  EXPECT_NE(presenter.port(), 0);
  std::array<Participant, 3> participants;
  Parties parties{{&presenter}, {}};
  for (int i = 0; i < 3; ++i) {
    participants[i].join(joinOptions(presenter, "P" + std::to_string(i)));
    parties.participants.push_back(&participants[i]);
  }
  ASSERT_TRUE(parties.until([&] { return presenter.participants().size() == 3; }));
  ASSERT_TRUE(parties.untilJoined());
  for (const auto& change : scriptedLesson()) {
    const auto sequence = presenter.apply(change);
    ASSERT_TRUE(parties.untilApplied(sequence));
    for (auto& p : participants) {
      EXPECT_TRUE(p.connected()) << p.disconnectReason();
      EXPECT_EQ(p.state(), presenter.state()) << "after step " << sequence;
    }
  }
  EXPECT_EQ(participants[1].state().pointer, PointerRay{});
  EXPECT_TRUE(participants[2].state().followPresenter);
}

TEST(TeachingSession, JoinReturnsAtOnceAndServiceCompletesIt) {
  Presenter presenter;
  presenter.start(fastHost());
  presenter.apply(ShowData{"case-liver-017", "sha256:9f2c"});
  Participant participant;
  std::vector<Participant::Phase> phases;
  participant.onPhase([&](Participant::Phase phase) { phases.push_back(phase); });
  participant.join(joinOptions(presenter, "p"));
  // Nothing has answered yet: the presenter has not run, so the join cannot be complete.
  EXPECT_EQ(participant.phase(), Participant::Phase::Joining);
  EXPECT_TRUE(phases.empty());
  Parties parties{{&presenter}, {&participant}};
  ASSERT_TRUE(parties.untilJoined());
  EXPECT_EQ(phases, std::vector<Participant::Phase>{Participant::Phase::Joined});
  EXPECT_EQ(participant.state().caseId, "case-liver-017");
  EXPECT_EQ(participant.sequence(), 1u);

  // A presenter whose loop does not run accepts the connection (the kernel's backlog) but never
  // answers: the join ends after timeout_s with a network error, not a hang.
  Presenter stalled;
  stalled.start(fastHost());
  Participant waiting;
  auto options = joinOptions(stalled, "w");
  options.timeout_s = 0.3;
  waiting.join(options);
  const auto start = std::chrono::steady_clock::now();
  while (waiting.phase() == Participant::Phase::Joining) waiting.service(50);
  const double waited_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_GE(waited_s, 0.25);
  EXPECT_LT(waited_s, 1.0);
  ASSERT_TRUE(waiting.failure().has_value());
  EXPECT_EQ(waiting.failure()->kind(), ErrorKind::Network);
  EXPECT_NE(std::string(waiting.failure()->what()).find("did not answer within"),
            std::string::npos);
}

TEST(TeachingSession, LateJoinerGetsTheCurrentStateThenDeltas) {
  Classroom room;
  auto& [presenter, early, parties] = room;
  ASSERT_TRUE(parties.untilJoined());
  const auto lesson = scriptedLesson();
  for (std::size_t i = 0; i < 6; ++i) presenter.apply(lesson[i]);
  Participant late;
  late.join(joinOptions(presenter, "late"));
  parties.participants.push_back(&late);
  ASSERT_TRUE(parties.untilJoined());
  EXPECT_EQ(late.sequence(), 6u);
  EXPECT_EQ(late.state(), presenter.state());
  EXPECT_EQ(late.state().annotations.at(0).text, "Middle hepatic vein");
  for (std::size_t i = 6; i < lesson.size(); ++i) {
    const auto sequence = presenter.apply(lesson[i]);
    ASSERT_TRUE(parties.untilApplied(sequence));
    EXPECT_EQ(late.state(), presenter.state());
    EXPECT_EQ(early.state(), presenter.state());
  }
}

TEST(TeachingSession, JoinersDuringAStreamOfChangesMissNothing) {
  // Joining while the presenter is changing the state every step: each joiner gets a snapshot
  // and exactly the deltas after it (a gap or a repeat would end its session or break the
  // equality). The joins are answered at whatever step the presenter's service() sees them.
  Presenter presenter;
  presenter.start(fastHost());
  std::array<Participant, 3> joiners;
  Parties parties{{&presenter}, {}};
  for (int i = 1; i <= 300; ++i) {
    presenter.apply(SetAnatomyTransform{{1, 0, 0, double(i), 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1}});
    if (i % 70 == 0 && i / 70 <= 3) {
      auto& joiner = joiners[std::size_t(i / 70 - 1)];
      joiner.join(joinOptions(presenter, "J" + std::to_string(i)));
      parties.participants.push_back(&joiner);
    }
    parties.serviceAll();
  }
  ASSERT_TRUE(parties.untilApplied(300));
  for (auto& p : joiners) {
    EXPECT_EQ(p.state().anatomyTransform[3], 300.0);
    EXPECT_EQ(p.state(), presenter.state());
    EXPECT_TRUE(p.connected()) << p.disconnectReason();
  }
}

TEST(TeachingSession, KilledParticipantIsDroppedAndALateJoinerCatchesUp) {
  // A real process joins and is killed with SIGKILL: the kernel closes its socket.
  int toChild[2], fromChild[2];
  ASSERT_EQ(::pipe(toChild), 0);
  ASSERT_EQ(::pipe(fromChild), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    std::uint16_t port = 0;
    if (::read(toChild[0], &port, sizeof port) != sizeof port) ::_exit(2);
    Participant doomed;
    JoinOptions o;
    o.port = port;
    o.sessionCode = "482913";
    o.name = "doomed";
    doomed.join(o);
    while (doomed.phase() == Participant::Phase::Joining) doomed.service(20);
    const char joined = doomed.connected() ? 'j' : 'x';
    [[maybe_unused]] auto n = ::write(fromChild[1], &joined, 1);
    for (;;) doomed.service(50);  // its frame loop, until the kill
  }
  Presenter presenter;
  presenter.start(fastHost());
  std::array<Participant, 2> survivors;
  survivors[0].join(joinOptions(presenter, "A"));
  Parties parties{{&presenter}, {&survivors[0]}};
  const std::uint16_t port = presenter.port();
  ASSERT_EQ(::write(toChild[1], &port, sizeof port), long(sizeof port));
  char joined = 0;
  ASSERT_TRUE(parties.until([&] {
    pollfd p{fromChild[0], POLLIN, 0};
    return ::poll(&p, 1, 0) == 1;
  }));
  ASSERT_EQ(::read(fromChild[0], &joined, 1), 1);
  ASSERT_EQ(joined, 'j');
  survivors[1].join(joinOptions(presenter, "B"));
  parties.participants.push_back(&survivors[1]);
  ASSERT_TRUE(parties.until([&] { return presenter.participants().size() == 3; }));
  ASSERT_TRUE(parties.untilJoined());
  presenter.apply(ShowData{"case-1", "h1"});

  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);
  ASSERT_TRUE(parties.until([&] { return presenter.participants().size() == 2; }));
  const auto departures = presenter.departures();
  ASSERT_EQ(departures.size(), 1u);
  EXPECT_EQ(departures[0], "doomed: connection lost");
  // Half-way through the lesson a third participant joins late: it gets the state so far in
  // its welcome and the rest as deltas, like the two who stayed.
  const auto lesson = scriptedLesson();
  const std::size_t half = lesson.size() / 2;
  Participant late;
  for (std::size_t i = 0; i < lesson.size(); ++i) {
    if (i == half) {
      late.join(joinOptions(presenter, "late"));
      parties.participants.push_back(&late);
      ASSERT_TRUE(parties.untilJoined());
      EXPECT_EQ(late.sequence(), presenter.sequence());
      EXPECT_EQ(late.state(), presenter.state());
    }
    const auto sequence = presenter.apply(lesson[i]);
    ASSERT_TRUE(parties.untilApplied(sequence));
    for (auto& p : survivors) EXPECT_EQ(p.state(), presenter.state());
    if (i >= half) {
      EXPECT_EQ(late.state(), presenter.state());
    }
  }
  EXPECT_EQ(presenter.participants().size(), 3u);  // A, B and the late joiner
  EXPECT_EQ(presenter.departures().size(), 1u);    // only the killed one left
  for (int fd : {toChild[0], toChild[1], fromChild[0], fromChild[1]}) ::close(fd);
}

TEST(TeachingSession, SilentParticipantIsDroppedAfterTheDropTime) {
  Presenter presenter;
  presenter.start(fastHost());  // drop after 0.4 s
  Participant attentive;
  attentive.join(joinOptions(presenter, "attentive"));
  Parties parties{{&presenter}, {&attentive}};
  ASSERT_TRUE(parties.untilJoined());
  RawClient frozen(presenter.port());  // joins, then never sends a heartbeat
  frozen.send(encodeMessage({{"type", "join"}, {"code", "482913"}, {"name", "frozen"}}));
  ASSERT_EQ(frozen.receive(parties).value()["type"], "welcome");
  RawClient mute(presenter.port());  // connects and never joins
  ASSERT_TRUE(parties.untilJoined());
  ASSERT_EQ(presenter.participants().size(), 2u);
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(parties.until([&] { return presenter.participants().size() == 1; }));
  const double dropped_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_LT(dropped_s, 0.4 + 0.3);  // the drop time plus a heartbeat period and scheduling
  const auto departures = presenter.departures();
  ASSERT_EQ(departures.size(), 2u);
  EXPECT_NE(std::find(departures.begin(), departures.end(), "frozen: silent for 0.4 s"),
            departures.end());
  EXPECT_NE(std::find_if(departures.begin(), departures.end(),
                         [](const std::string& d) { return d.find("connection ") == 0; }),
            departures.end());  // the mute connection, which never gave a name
  EXPECT_EQ(presenter.participants().at(0).name, "attentive");
  const auto sequence = presenter.apply(SetFollowPresenter{true});
  EXPECT_TRUE(parties.untilApplied(sequence));
  EXPECT_TRUE(attentive.connected());
}

TEST(TeachingSession, WrongCodeIsRefusedWithAClearError) {
  Presenter presenter;
  presenter.start(fastHost());
  Participant intruder;
  auto options = joinOptions(presenter, "intruder");
  options.sessionCode = "000000";
  intruder.join(options);
  Parties parties{{&presenter}, {&intruder}};
  ASSERT_TRUE(parties.untilJoined());
  EXPECT_EQ(intruder.phase(), Participant::Phase::Ended);
  ASSERT_TRUE(intruder.failure().has_value()) << "a wrong session code was accepted";
  EXPECT_EQ(intruder.failure()->kind(), ErrorKind::InvalidInput);
  EXPECT_NE(std::string(intruder.failure()->what()).find("wrong session code"), std::string::npos)
      << intruder.failure()->what();
  EXPECT_FALSE(intruder.connected());
  EXPECT_TRUE(presenter.participants().empty());
  EXPECT_EQ(presenter.departures().at(0).rfind("intruder: refused", 0), 0u);
}

TEST(TeachingSession, MalformedMessageClosesOnlyThatConnection) {
  Presenter presenter;
  presenter.start(fastHost());
  Participant good;
  good.join(joinOptions(presenter, "good"));
  Parties parties{{&presenter}, {&good}};
  ASSERT_TRUE(parties.untilJoined());
  RawClient broken(presenter.port());
  broken.send(encodeMessage({{"type", "join"}, {"code", "482913"}, {"name", "broken"}}));
  ASSERT_EQ(broken.receive(parties).value()["type"], "welcome");
  broken.send(std::string("\0\0\0\x05", 4) + "nope!");
  ASSERT_TRUE(parties.until([&] { return presenter.participants().size() == 1; }));
  EXPECT_NE(presenter.departures().at(0).find("broken: sent a malformed message"),
            std::string::npos);
  const auto sequence = presenter.apply(SetSegmentVisible{"Liver", true});
  EXPECT_TRUE(parties.untilApplied(sequence));
  EXPECT_EQ(good.state(), presenter.state());
}

TEST(TeachingSession, NoListenerUnlessStartedAndStopEndsTheSession) {
  EXPECT_EQ(HostOptions{}.address, "127.0.0.1");
  Presenter presenter;
  EXPECT_FALSE(presenter.running());
  presenter.apply(ShowData{"c", "h"});  // works offline, nothing listens
  presenter.service(0);                 // and servicing it does nothing
  presenter.start(fastHost());
  Participant participant;
  participant.join(joinOptions(presenter, "p"));
  Parties parties{{&presenter}, {&participant}};
  ASSERT_TRUE(parties.untilJoined());
  EXPECT_EQ(participant.state().caseId, "c");
  const auto port = presenter.port();
  presenter.stop();
  ASSERT_TRUE(parties.until([&] { return !participant.connected(); }));
  EXPECT_EQ(participant.disconnectReason(), "the presenter ended the session");
  EXPECT_FALSE(participant.failure().has_value());  // an orderly end, not an error
  Participant tooLate;
  auto options = joinOptions(presenter, "late");
  options.port = port;
  tooLate.join(options);
  parties.participants = {&tooLate};
  ASSERT_TRUE(parties.untilJoined());
  ASSERT_TRUE(tooLate.failure().has_value()) << "joined a stopped session";
  EXPECT_EQ(tooLate.failure()->kind(), ErrorKind::Network);
}

TEST(TeachingSession, GeneratedCodeHasSixDigits) {
  Presenter presenter;
  auto options = fastHost();
  options.sessionCode.clear();
  presenter.start(options);
  const auto code = presenter.sessionCode();
  EXPECT_EQ(code.size(), 6u);
  EXPECT_TRUE(std::all_of(code.begin(), code.end(), [](char c) { return c >= '0' && c <= '9'; }));
  Presenter shortCode;
  options.sessionCode = "12";
  EXPECT_THROW(shortCode.start(options), Error);
}

// Issue #20 items 4 and 5: a grab in a participant's headset moves the anatomy for everyone
// where the presenter allows it (protocol 4).
TEST(TeachingSession, AParticipantsGrabMovesTheAnatomyForEveryone) {
  // 30 degrees about S and 100 mm towards the patient's left: a grab's move.
  const double c = std::cos(M_PI / 6), s = std::sin(M_PI / 6);
  const std::array<double, 16> moved{c, -s, 0, 100, s, c, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1};
  HostOptions allowing = fastHost();
  allowing.participantsMayMoveAnatomy = true;
  Presenter presenter;
  presenter.start(allowing);
  presenter.apply(ShowData{"case-liver-017", "sha256:9f2c"});
  std::array<Participant, 2> participants;
  Parties parties{{&presenter}, {&participants[0], &participants[1]}};
  EXPECT_THROW(participants[0].moveAnatomy(moved), Error);  // not joined yet
  for (int i = 0; i < 2; ++i) participants[i].join(joinOptions(presenter, "H" + std::to_string(i)));
  ASSERT_TRUE(parties.untilJoined());
  participants[0].moveAnatomy(moved);
  ASSERT_TRUE(parties.untilApplied(2));  // the move is the session's second change
  EXPECT_EQ(presenter.state().anatomyTransform, moved);
  EXPECT_EQ(presenter.participantMoves(), 1u);
  for (auto& p : participants) EXPECT_EQ(p.state(), presenter.state());
  // A matrix that is not affine is refused before it is sent.
  std::array<double, 16> sheared = moved;
  sheared[12] = 0.5;
  EXPECT_THROW(participants[1].moveAnatomy(sheared), Error);

  // A presenter that does not allow it keeps its placement; nobody is dropped.
  Presenter strict;
  strict.start(fastHost());
  Participant viewer;
  viewer.join(joinOptions(strict, "viewer"));
  Parties strictParties{{&strict}, {&viewer}};
  ASSERT_TRUE(strictParties.untilJoined());
  viewer.moveAnatomy(moved);
  const auto marker = strict.apply(SetFollowPresenter{true});
  ASSERT_TRUE(strictParties.untilApplied(marker));
  // Time for the move to be read (both sides service for 0.2 s, four heartbeats).
  const auto settle = std::chrono::steady_clock::now() + std::chrono::milliseconds(200);
  while (std::chrono::steady_clock::now() < settle) strictParties.serviceAll();
  EXPECT_EQ(marker, 1u);  // the move made no change of its own
  EXPECT_EQ(viewer.state().anatomyTransform, SessionState{}.anatomyTransform);
  EXPECT_EQ(strict.participantMoves(), 0u);
  EXPECT_TRUE(viewer.connected());
}

// Issue #20 item 3: a headset moves the slice, hides a segment and measures (protocol 5);
// the slice and visibility become everyone's, the measurement the presenter's to store.
TEST(TeachingSession, AParticipantsHeadsetMovesTheSliceHidesASegmentAndMeasures) {
  HostOptions allowing = fastHost();
  allowing.participantsMayEdit = true;
  Presenter presenter;
  presenter.start(allowing);
  presenter.apply(SetSlice{{true, "axial", 12.5}});
  presenter.apply(SetSegmentVisible{"Liver", true});
  std::array<Participant, 2> participants;
  Parties parties{{&presenter}, {&participants[0], &participants[1]}};
  EXPECT_THROW(participants[0].moveSlice({true, "axial", 20.0}), Error);  // not joined yet
  for (int i = 0; i < 2; ++i) participants[i].join(joinOptions(presenter, "H" + std::to_string(i)));
  ASSERT_TRUE(parties.untilJoined());
  participants[0].moveSlice({true, "axial", 32.5});
  participants[0].setSegmentVisible("Liver", false);
  participants[0].measure({0, 0, 0}, {30, 40, 0});
  ASSERT_TRUE(parties.untilApplied(4));  // the slice and the segment: changes 3 and 4
  EXPECT_EQ(presenter.state().slice, (SharedSlice{true, "axial", 32.5}));
  EXPECT_FALSE(presenter.state().segmentVisible.at("Liver"));
  for (auto& p : participants) EXPECT_EQ(p.state(), presenter.state());
  ASSERT_TRUE(parties.until([&] { return !presenter.participantRulers().empty(); }));
  const ParticipantRuler& ruler = presenter.participantRulers().front();
  EXPECT_EQ(ruler.from_lps, (std::array<double, 3>{0, 0, 0}));
  EXPECT_EQ(ruler.to_lps, (std::array<double, 3>{30, 40, 0}));
  ASSERT_EQ(presenter.participantEdits().size(), 2u);
  EXPECT_TRUE(std::holds_alternative<SetSlice>(presenter.participantEdits()[0].change));
  EXPECT_EQ(presenter.participantEdits()[1].participant, ruler.participant);
  EXPECT_EQ(presenter.participantMoves(), 0u);  // no anatomy moves among them
  // Refused before sending: an unknown orientation, no segment name, a non-finite point.
  EXPECT_THROW(participants[1].moveSlice({true, "oblique", 0.0}), Error);
  EXPECT_THROW(participants[1].setSegmentVisible("", false), Error);
  EXPECT_THROW(participants[1].measure({0, 0, std::nan("")}, {1, 1, 1}), Error);

  // A presenter that does not allow edits ignores them; nobody is dropped.
  Presenter strict;
  strict.start(fastHost());
  strict.apply(SetSlice{{true, "axial", 12.5}});
  Participant viewer;
  viewer.join(joinOptions(strict, "viewer"));
  Parties strictParties{{&strict}, {&viewer}};
  ASSERT_TRUE(strictParties.untilJoined());
  viewer.moveSlice({true, "axial", 32.5});
  viewer.measure({0, 0, 0}, {1, 0, 0});
  const auto settle = std::chrono::steady_clock::now() + std::chrono::milliseconds(200);
  while (std::chrono::steady_clock::now() < settle) strictParties.serviceAll();
  EXPECT_EQ(strict.state().slice.position_mm, 12.5);
  EXPECT_TRUE(strict.participantRulers().empty());
  EXPECT_TRUE(viewer.connected());
}

TEST(TeachingSession, AParticipantMayNotSendOtherChangesNorAnOlderProtocol) {
  Presenter presenter;
  HostOptions allowing = fastHost();
  allowing.participantsMayMoveAnatomy = true;
  presenter.start(allowing);
  Parties parties{{&presenter}, {}};
  RawClient rogue(presenter.port());
  rogue.send(encodeMessage({{"type", "join"}, {"code", "482913"}, {"name", "rogue"}}));
  ASSERT_EQ(rogue.receive(parties).value()["type"], "welcome");
  rogue.send(encodeMessage(
      {{"type", "move"}, {"change", toJson(StateChange(SetFollowPresenter{true}))}}));
  ASSERT_TRUE(parties.until([&] { return presenter.participants().empty(); }));
  EXPECT_NE(presenter.departures().at(0).find("may only move the anatomy or the slice"),
            std::string::npos)
      << presenter.departures().at(0);
  EXPECT_FALSE(presenter.state().followPresenter);

  // A version-3 peer (before participants could move) is refused by its version.
  const auto answer = answerToAJoinOfVersion(parties, presenter, 3);
  ASSERT_TRUE(answer.has_value());
  EXPECT_EQ((*answer)["type"], "refused");
  EXPECT_NE(
      (*answer)["reason"].get<std::string>().find(
          "protocol version 3, this TwinPlan speaks version " + std::to_string(kProtocolVersion)),
      std::string::npos)
      << *answer;
}

// "Follow presenter" (protocol 6): a late joiner's welcome carries the presenter's crosshair and
// display window as they are now - after several moves, only the last - and the next move comes
// as a delta.
TEST(TeachingSession, LateJoinerGetsThePresentersCrosshairInItsWelcome) {
  Classroom room;
  auto& [presenter, early, parties] = room;
  ASSERT_TRUE(parties.untilJoined());
  presenter.apply(SetCrosshair{{true, {10.0, 20.0, 30.0}}});
  presenter.apply(SetWindowLevel{{true, 400.0, 40.0}});
  presenter.apply(SetCrosshair{{true, {-31.25, 7.5, -102.0}}});
  presenter.apply(SetWindowLevel{{true, 1800.0, 400.0}});  // the bone window

  // The welcome itself, as it goes over the wire.
  RawClient raw(presenter.port());
  raw.send(encodeMessage({{"type", "join"}, {"code", "482913"}, {"name", "raw"}}));
  const auto welcome = raw.receive(parties);
  ASSERT_TRUE(welcome.has_value());
  ASSERT_EQ((*welcome)["type"], "welcome");
  EXPECT_EQ((*welcome)["v"], 6);
  EXPECT_EQ((*welcome)["seq"], 4);
  EXPECT_EQ((*welcome)["state"]["crosshair"],
            (json{{"shown", true}, {"point_lps", {-31.25, 7.5, -102.0}}}));
  EXPECT_EQ((*welcome)["state"]["windowLevel"],
            (json{{"shown", true}, {"window", 1800.0}, {"level", 400.0}}));

  Participant late;
  late.join(joinOptions(presenter, "late"));
  parties.participants.push_back(&late);
  ASSERT_TRUE(parties.untilJoined());
  EXPECT_EQ(late.state().crosshair, (SharedCrosshair{true, {-31.25, 7.5, -102.0}}));
  EXPECT_EQ(late.state().windowLevel, (SharedWindowLevel{true, 1800.0, 400.0}));
  const auto moved = presenter.apply(SetCrosshair{{true, {0.0, -4.0, 12.5}}});
  ASSERT_TRUE(parties.untilApplied(moved));
  EXPECT_EQ(late.state().crosshair, (SharedCrosshair{true, {0.0, -4.0, 12.5}}));
  EXPECT_EQ(early.state(), presenter.state());
  EXPECT_EQ(late.state(), presenter.state());
}

// A listener that speaks protocol 5 (before the crosshair): it reads the join and refuses it in
// its own version, as a presenter of that TwinPlan does.
TEST(TeachingSession, APresenterOfTheOlderProtocolIsRefusedByItsVersion) {
  const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  ASSERT_EQ(::listen(listener, 1), 0);
  socklen_t length = sizeof address;
  ::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length);
  JoinOptions options;
  options.port = ntohs(address.sin_port);
  options.sessionCode = "482913";
  Participant participant;
  participant.join(options);
  int peer = -1;
  for (int i = 0; i < 200 && peer < 0; ++i) {
    participant.service(5);
    pollfd p{listener, POLLIN, 0};
    if (::poll(&p, 1, 5) == 1) peer = ::accept(listener, nullptr, nullptr);
  }
  ASSERT_GE(peer, 0);
  const std::string refusal =
      R"({"type":"refused","reason":"A teaching-session message has protocol version 6","v":5})";
  const std::string framed = std::string("\0\0\0", 3) + char(refusal.size()) + refusal;
  ASSERT_EQ(::send(peer, framed.data(), framed.size(), MSG_NOSIGNAL), long(framed.size()));
  for (int i = 0; i < 200 && participant.phase() == Participant::Phase::Joining; ++i)
    participant.service(5);
  ASSERT_EQ(participant.phase(), Participant::Phase::Ended);
  ASSERT_TRUE(participant.failure().has_value());
  EXPECT_EQ(participant.failure()->kind(), ErrorKind::Unsupported);
  const std::string why = participant.failure()->what();
  EXPECT_NE(why.find("protocol version 5, this TwinPlan speaks version 6; run the same TwinPlan "
                     "version on all machines"),
            std::string::npos)
      << why;
  ::close(peer);
  ::close(listener);

  // And the other way: a protocol-5 participant is refused by this presenter, by name.
  Presenter presenter;
  presenter.start(fastHost());
  Parties parties{{&presenter}, {}};
  const auto answer = answerToAJoinOfVersion(parties, presenter, 5);
  ASSERT_TRUE(answer.has_value());
  EXPECT_EQ((*answer)["type"], "refused");
  EXPECT_NE((*answer)["reason"].get<std::string>().find(
                "protocol version 5, this TwinPlan speaks version 6"),
            std::string::npos)
      << *answer;
  EXPECT_TRUE(presenter.participants().empty());
}

}  // namespace
}  // namespace twinplan::teaching
