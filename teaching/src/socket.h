#pragma once
// Thin RAII over POSIX sockets for the teaching session (private to the module).
#include <chrono>
#include <string>

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

}  // namespace twinplan::teaching::net
