// Teaching-session latency on loopback (issue #20 item 5; docs/benchmarks.md, "Teaching
// sessions"): a presenter and three participants on 127.0.0.1, driven by one loop as a frame
// loop would drive them (the sessions own no thread); each state change is timed from
// Presenter::apply() to each participant's applied callback in its service() (one steady clock,
// one process, one thread). The peer in the same run: the same number of bytes sent over a plain
// loopback TCP socket and read back by recv() on the same thread - the floor that the protocol's
// framing, JSON and polling add to. The same session with TLS (a self-signed P-256 certificate
// made by the openssl command, participants pinning its fingerprint) runs in the same process
// after the plain one: what encryption adds.
// Usage: twinplan-teaching-latency-bench [changes] [interval_ms]
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>  // sleep_for only
#include <tuple>
#include <utility>

#include "twinplan/teaching/teaching_session.h"
#include "twinplan/teaching/wire.h"

using namespace twinplan::teaching;
using Clock = std::chrono::steady_clock;

namespace {

struct Percentiles {
  double median_ms, p95_ms, max_ms;
};

Percentiles percentiles(std::vector<double> samples_ms) {
  std::sort(samples_ms.begin(), samples_ms.end());
  const auto at = [&](double q) {
    return samples_ms[std::size_t(q * double(samples_ms.size() - 1))];
  };
  return {at(0.5), at(0.95), samples_ms.back()};
}

StateChange grabStep(int i) {  // the anatomy turned by a controller grab, 0.5 degree a step
  const double a = i * 0.5 * 3.14159265358979 / 180;
  return SetAnatomyTransform{{std::cos(a), -std::sin(a), 0, 1.0 * i, std::sin(a), std::cos(a), 0, 0,
                              0, 0, 1, 0, 0, 0, 0, 1}};
}

// A self-signed certificate for 127.0.0.1 in a temporary folder: {certificate, key}.
std::pair<std::string, std::string> selfSignedCertificate() {
  const std::string dir = (std::filesystem::temp_directory_path() /
                           ("twinplan-tls-bench-" + std::to_string(::getpid())))
                              .string();
  std::filesystem::create_directories(dir);
  const std::string command =
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout " + dir +
      "/key.pem -out " + dir + "/cert.pem -days 2 -subj /CN=bench 2>/dev/null";
  if (std::system(command.c_str()) != 0) {
    std::fprintf(stderr, "The openssl command could not make a certificate (is it installed?)\n");
    std::exit(2);
  }
  return {dir + "/cert.pem", dir + "/key.pem"};
}

std::vector<double> protocolLatencies(int changes, int interval_ms, bool tls) {
  Presenter presenter;
  HostOptions host;
  host.sessionCode = "123456";
  if (tls) std::tie(host.tlsCertificateFile, host.tlsPrivateKeyFile) = selfSignedCertificate();
  presenter.start(host);  // reads the certificate and key: their folder can go
  if (tls)
    std::filesystem::remove_all(std::filesystem::path(host.tlsCertificateFile).parent_path());
  std::vector<Clock::time_point> sent(changes + 1);
  std::vector<double> latencies_ms;
  std::array<Participant, 3> participants;
  const auto serviceAll = [&](int presenterTimeout_ms) {
    presenter.service(presenterTimeout_ms);
    for (auto& p : participants) p.service(0);
  };
  for (auto& p : participants) {
    JoinOptions o;
    o.port = presenter.port();
    o.sessionCode = "123456";
    o.tlsPinnedSha256 = presenter.certificateFingerprint();  // empty for the plain session
    p.join(o);
    p.onApplied([&](std::uint64_t sequence) {
      latencies_ms.push_back(
          std::chrono::duration<double, std::milli>(Clock::now() - sent[sequence]).count());
    });
  }
  const auto joining = [&] {
    return std::any_of(participants.begin(), participants.end(), [](const Participant& p) {
      return p.phase() == Participant::Phase::Joining;
    });
  };
  while (joining()) serviceAll(1);
  for (int i = 1; i <= changes; ++i) {
    sent[i] = Clock::now();
    presenter.apply(grabStep(i));
    // The participants' loops: each service() waits for its own socket, as in a headset process.
    for (auto& p : participants) {
      while (p.connected() && p.sequence() < std::uint64_t(i)) p.service(100);
    }
    const auto next = Clock::now() + std::chrono::milliseconds(interval_ms);
    while (Clock::now() < next) serviceAll(1);
  }
  return latencies_ms;
}

std::vector<double> rawLoopbackLatencies(int changes, int interval_ms, std::size_t bytes) {
  const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  ::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address);
  ::listen(listener, 1);
  ::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length);
  const int sender = ::socket(AF_INET, SOCK_STREAM, 0);
  ::connect(sender, reinterpret_cast<sockaddr*>(&address), sizeof address);
  const int receiver = ::accept(listener, nullptr, nullptr);
  const int on = 1;
  ::setsockopt(sender, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
  std::vector<double> latencies_ms(changes);
  const std::string message(bytes, 'x');
  std::vector<char> buffer(bytes);
  for (int i = 0; i < changes; ++i) {
    const auto sent = Clock::now();
    ::send(sender, message.data(), message.size(), 0);
    std::size_t got = 0;
    while (got < bytes) got += std::size_t(::recv(receiver, buffer.data() + got, bytes - got, 0));
    latencies_ms[i] = std::chrono::duration<double, std::milli>(Clock::now() - sent).count();
    std::this_thread::sleep_for(std::chrono::milliseconds(interval_ms));
  }
  for (int fd : {sender, receiver, listener}) ::close(fd);
  return latencies_ms;
}

}  // namespace

int main(int argc, char** argv) {
  const int changes = argc > 1 ? std::atoi(argv[1]) : 1000;
  const int interval_ms = argc > 2 ? std::atoi(argv[2]) : 2;
  const std::size_t frameBytes =
      encodeMessage({{"type", "delta"}, {"seq", changes}, {"change", toJson(grabStep(changes))}})
          .size();
  const auto ours = percentiles(protocolLatencies(changes, interval_ms, false));
  const auto tls = percentiles(protocolLatencies(changes, interval_ms, true));
  const auto raw = percentiles(rawLoopbackLatencies(changes, interval_ms, frameBytes));
  std::printf(
      "teaching latency, %d anatomy-transform changes every %d ms, 3 participants, %zu-byte "
      "frames\n",
      changes, interval_ms, frameBytes);
  std::printf("%-28s %10s %10s %10s\n", "", "median_ms", "p95_ms", "max_ms");
  std::printf("%-28s %10.3f %10.3f %10.3f\n", "apply -> applied (ours)", ours.median_ms,
              ours.p95_ms, ours.max_ms);
  std::printf("%-28s %10.3f %10.3f %10.3f\n", "apply -> applied (ours, TLS)", tls.median_ms,
              tls.p95_ms, tls.max_ms);
  std::printf("%-28s %10.3f %10.3f %10.3f\n", "raw loopback send -> recv", raw.median_ms,
              raw.p95_ms, raw.max_ms);
  std::printf("ratio ours/raw: median %.1f, p95 %.1f\n", ours.median_ms / raw.median_ms,
              ours.p95_ms / raw.p95_ms);
  std::printf("ratio TLS/plain: median %.2f, p95 %.2f\n", tls.median_ms / ours.median_ms,
              tls.p95_ms / ours.p95_ms);
  return 0;
}
