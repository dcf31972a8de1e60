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

// A pipe another thread writes one byte to so a poll() returns now.
class WakePipe {
 public:
  WakePipe();
  int readEnd() const { return read_.get(); }
  void wake() const;
  void drain() const;

 private:
  Fd read_, write_;
};

void makeNonBlocking(int fd);
void setNoDelay(int fd);  // small state messages go out at once (no Nagle delay)
// Binds and listens; throws Error(Network) naming address:port.
Fd listenOn(const std::string& address, unsigned short port);
unsigned short localPort(int fd);
// Connects within timeout_s; throws Error(Network).
Fd connectTo(const std::string& host, unsigned short port, double timeout_s);
// Sends what the socket takes now; returns the bytes sent, -1 when the peer is gone.
long sendSome(int fd, const std::string& bytes);
// Reads what is there into `out`; returns false at end of stream or on an error.
bool receiveSome(int fd, std::string& out);
int msUntil(Clock::time_point deadline);

}  // namespace twinplan::teaching::net
