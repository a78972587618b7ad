// A blocking client for the server tests: loopback only, with a receive timeout as a guard so
// that a broken server fails the test instead of hanging it.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include "common/unique_fd.h"

namespace kubevip::ops::testing {

inline void guardReceive(int fd) {
  timeval guard{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &guard, sizeof guard);
}

// A TCP connection to address:port (127.0.0.1 or ::1); an invalid fd if it fails.
inline UniqueFd connectTcp(const char* address, uint16_t port) {
  bool v6 = std::strchr(address, ':') != nullptr;
  UniqueFd fd(::socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return fd;
  guardReceive(fd.get());
  int rc = -1;
  if (v6) {
    sockaddr_in6 a{};
    a.sin6_family = AF_INET6;
    a.sin6_port = htons(port);
    ::inet_pton(AF_INET6, address, &a.sin6_addr);
    rc = ::connect(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof a);
  } else {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    ::inet_pton(AF_INET, address, &a.sin_addr);
    rc = ::connect(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof a);
  }
  if (rc != 0) fd.reset();
  return fd;
}

inline bool sendAll(int fd, const std::string& data) {
  size_t sent = 0;
  while (sent < data.size()) {
    ssize_t n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<size_t>(n);
  }
  return true;
}

// Everything until the peer closes (or the guard runs out, or a reset).
inline std::string readAll(int fd) {
  std::string out;
  char buffer[4096];
  while (true) {
    ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) return out;
    out.append(buffer, static_cast<size_t>(n));
  }
}

inline std::string exchange(const char* address, uint16_t port, const std::string& request) {
  UniqueFd fd = connectTcp(address, port);
  if (!fd.valid()) return "connect failed";
  sendAll(fd.get(), request);
  return readAll(fd.get());
}

}  // namespace kubevip::ops::testing
