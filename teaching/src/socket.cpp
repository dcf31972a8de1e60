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

std::string unreachable(const std::string& host, unsigned short port, int error) {
  return "Could not reach the teaching session at " + where(host, port) + " (" +
         std::strerror(error) +
         "); check the address and port the presenter shows and that the session is started.";
}

Fd startConnect(const std::string& host, unsigned short port) {
  addrinfo* found = resolve(host, port, false);
  Fd fd(::socket(found->ai_family, found->ai_socktype, found->ai_protocol));
  int error = fd ? 0 : errno;
  if (fd) {
    makeNonBlocking(fd.get());
    if (::connect(fd.get(), found->ai_addr, found->ai_addrlen) != 0 && errno != EINPROGRESS) {
      error = errno;
    }
  }
  ::freeaddrinfo(found);
  if (error != 0) {
    throw Error(ErrorKind::Network, unreachable(host, port, error), where(host, port));
  }
  setNoDelay(fd.get());
  return fd;
}

int connectError(int fd) {
  int error = 0;
  socklen_t length = sizeof error;
  if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) != 0) return errno;
  return error;
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
