#pragma once
// Thin RAII over POSIX sockets for the teaching session (private to the module).
#include <chrono>
#include <memory>
#include <string>
#include <utility>

typedef struct ssl_st SSL;  // OpenSSL's, as <openssl/types.h> declares it

namespace twinplan::teaching::net {

using Clock = std::chrono::steady_clock;

class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() { reset(); }
  Fd(Fd&& other) noexcept : fd_(other.release()) {}
  Fd& operator=(Fd&& other) noexcept {
    if (this != &other) {
      reset();
      fd_ = other.release();
    }
    return *this;
  }
  int get() const { return fd_; }
  int release() {
    const int fd = fd_;
    fd_ = -1;
    return fd;
  }
  void reset();
  explicit operator bool() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

void makeNonBlocking(int fd);
void setNoDelay(int fd);  // small state messages go out at once (no Nagle delay)
// Binds and listens; throws Error(Network) naming address:port.
Fd listenOn(const std::string& address, unsigned short port);
unsigned short localPort(int fd);
// Starts a non-blocking connect and returns at once; the socket becomes writable when it is
// done (connectError() then says how). Throws Error(Network) when the host cannot be resolved or
// the connection is refused at once.
Fd startConnect(const std::string& host, unsigned short port);
// 0 when the connection started by startConnect() is established, else its errno.
int connectError(int fd);
// The sentence for a connection that could not be made (errno `error`).
std::string unreachable(const std::string& host, unsigned short port, int error);
// Sends what the socket takes now; returns the bytes sent, -1 when the peer is gone.
long sendSome(int fd, const std::string& bytes);
// Reads what is there into `out`; returns false at end of stream or on an error.
bool receiveSome(int fd, std::string& out);
int msUntil(Clock::time_point deadline);

// TLS for teaching sessions (socket_tls.cpp, OpenSSL 3; docs/architecture.md "Teaching
// sessions: TLS"). A presenter's context holds its certificate and key; a participant's what it
// trusts: a CA file, a pinned SHA-256 certificate fingerprint, or both.
struct TlsContext;
// Throws Error(NotFound) for a file that cannot be read, Error(InvalidInput) for one that is not
// a PEM certificate or key, or a key that does not belong to the certificate.
std::shared_ptr<TlsContext> presenterTls(const std::string& certificateFile,
                                         const std::string& privateKeyFile);
// Throws Error(NotFound) for an unreadable CA file, Error(InvalidInput) for a CA file without a
// certificate or a fingerprint that is not 32 hexadecimal bytes.
std::shared_ptr<TlsContext> participantTls(const std::string& caFile,
                                           const std::string& pinnedSha256);
// "AB:CD:..." (32 bytes, as `openssl x509 -fingerprint -sha256` prints it) of the presenter's
// certificate.
std::string certificateFingerprint(const TlsContext& presenter);

// One connection: plain TCP, or TLS once startTls() wrapped it. The TLS handshake runs inside
// sendSome() and receiveSome() (non-blocking, like the rest): sendSome() sends nothing until
// it is done, receiveSome() fails with tlsFailure() set when it fails.
class Link {
 public:
  Link() = default;
  explicit Link(Fd fd) : fd_(std::move(fd)) {}
  ~Link() { reset(); }
  Link(Link&& other) noexcept;
  Link& operator=(Link&& other) noexcept;

  // As the presenter (server) or the participant (client, which checks the presenter's
  // certificate against `peerHost` when its context has a CA file).
  void startTls(std::shared_ptr<TlsContext> context, bool asServer, const std::string& peerHost);
  bool secured() const { return ssl_ != nullptr; }
  bool wantsWrite() const { return wantsWrite_; }  // TLS has bytes to write (poll for POLLOUT)
  // Why the TLS handshake or connection failed: a sentence saying what to do; empty otherwise.
  const std::string& tlsFailure() const { return failure_; }
  // As the plain functions above.
  long sendSome(const std::string& bytes);
  bool receiveSome(std::string& out);
  int get() const { return fd_.get(); }
  void reset();  // closes (a TLS close_notify where the socket takes it)
  explicit operator bool() const { return bool(fd_); }

 private:
  bool handshake();  // false once it failed
  Fd fd_;
  SSL* ssl_ = nullptr;
  std::shared_ptr<TlsContext> context_;
  bool asServer_ = false;
  bool handshakeDone_ = false;
  bool wantsWrite_ = false;
  std::string failure_;
};

}  // namespace twinplan::teaching::net
