#include "socket.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "twinplan/core/error.h"

namespace twinplan::teaching::net {

void Fd::reset() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

WakePipe::WakePipe() {
  int fds[2];
  if (::pipe(fds) != 0) {
    throw Error(ErrorKind::Internal,
                std::string("Could not create a pipe: ") + std::strerror(errno));
  }
  read_ = Fd(fds[0]);
  write_ = Fd(fds[1]);
  makeNonBlocking(fds[0]);
  makeNonBlocking(fds[1]);
}

void WakePipe::wake() const {
  const char byte = 1;
  [[maybe_unused]] const auto n = ::write(write_.get(), &byte, 1);  // full pipe: already woken
}

void WakePipe::drain() const {
  char bytes[64];
  while (::read(read_.get(), bytes, sizeof bytes) > 0) {
  }
}

void makeNonBlocking(int fd) { ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL, 0) | O_NONBLOCK); }

void setNoDelay(int fd) {
  const int on = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
}

namespace {

std::string where(const std::string& host, unsigned short port) {
  return host + ":" + std::to_string(port);
}

addrinfo* resolve(const std::string& host, unsigned short port, bool passive) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = passive ? AI_PASSIVE : 0;
  addrinfo* found = nullptr;
  const int rc = ::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found);
  if (rc != 0 || found == nullptr) {
    throw Error(ErrorKind::Network,
                "The address '" + host + "' could not be resolved (" + ::gai_strerror(rc) +
                    "); give an IP address or a host name of this network.",
                where(host, port));
  }
  return found;
}

}  // namespace

Fd listenOn(const std::string& address, unsigned short port) {
  addrinfo* found = resolve(address, port, true);
  Fd fd(::socket(found->ai_family, found->ai_socktype, found->ai_protocol));
  const int on = 1;
  if (fd) ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  const bool ok =
      fd && ::bind(fd.get(), found->ai_addr, found->ai_addrlen) == 0 && ::listen(fd.get(), 16) == 0;
  const int error = errno;
  ::freeaddrinfo(found);
  if (!ok) {
    throw Error(ErrorKind::Network,
                "Could not listen for a teaching session on " + where(address, port) + " (" +
                    std::strerror(error) + "); choose another port or an address of this machine.",
                where(address, port));
  }
  makeNonBlocking(fd.get());
  return fd;
}

unsigned short localPort(int fd) {
  sockaddr_storage address{};
  socklen_t length = sizeof address;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  if (address.ss_family == AF_INET6) {
    return ntohs(reinterpret_cast<sockaddr_in6*>(&address)->sin6_port);
  }
  return ntohs(reinterpret_cast<sockaddr_in*>(&address)->sin_port);
}

Fd connectTo(const std::string& host, unsigned short port, double timeout_s) {
  addrinfo* found = resolve(host, port, false);
  Fd fd(::socket(found->ai_family, found->ai_socktype, found->ai_protocol));
  int error = errno;
  if (fd) {
    makeNonBlocking(fd.get());
    if (::connect(fd.get(), found->ai_addr, found->ai_addrlen) == 0) {
      error = 0;
    } else if (errno == EINPROGRESS) {
      pollfd p{fd.get(), POLLOUT, 0};
      const int ready = ::poll(&p, 1, static_cast<int>(timeout_s * 1000));
      socklen_t length = sizeof error;
      error = ETIMEDOUT;
      if (ready == 1) ::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &error, &length);
    } else {
      error = errno;
    }
  }
  ::freeaddrinfo(found);
  if (!fd || error != 0) {
    throw Error(ErrorKind::Network,
                "Could not reach the teaching session at " + where(host, port) + " (" +
                    std::strerror(error) +
                    "); check the address and port the presenter shows and that the session "
                    "is started.",
                where(host, port));
  }
  setNoDelay(fd.get());
  return fd;
}

long sendSome(int fd, const std::string& bytes) {
  const auto sent = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
  if (sent >= 0) return sent;
  return (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) ? 0 : -1;
}

bool receiveSome(int fd, std::string& out) {
  char buffer[16384];
  for (;;) {
    const auto n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n > 0) {
      out.append(buffer, static_cast<std::size_t>(n));
      continue;
    }
    if (n == 0) return false;
    return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
  }
}

int msUntil(Clock::time_point deadline) {
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return ms < 0 ? 0 : static_cast<int>(ms) + 1;
}

}  // namespace twinplan::teaching::net
