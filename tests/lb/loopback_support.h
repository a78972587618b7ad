// Helpers of the data-plane tests on 127.0.0.1: test backends on ephemeral ports, blocking
// clients with receive timeouts (a hang fails instead of stalling), and sets that listen on an
// ephemeral port with bindToVip:false.
#pragma once

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "common/time_source.h"
#include "common/unique_fd.h"
#include "lb/load_balancer_set.h"

namespace kubevip::lb::loopback {

using namespace std::chrono_literals;

inline const IpAddress kLoopback = IpAddress::v4({127, 0, 0, 1});

inline UniqueFd listenLoopback(uint16_t& port) {
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(::bind(fd.get(), reinterpret_cast<sockaddr*>(&sin), sizeof(sin)), 0);
  EXPECT_EQ(::listen(fd.get(), 128), 0);
  socklen_t len = sizeof(sin);
  ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&sin), &len);
  port = ntohs(sin.sin_port);
  return fd;
}

// A port on which nothing listens (bound once, then released).
inline uint16_t deadPort() {
  uint16_t port = 0;
  UniqueFd fd = listenLoopback(port);
  return port;
}

inline void setTimeouts(int fd) {
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

inline UniqueFd connectTo(uint16_t port) {
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  sin.sin_port = htons(port);
  setTimeouts(fd.get());
  EXPECT_EQ(::connect(fd.get(), reinterpret_cast<sockaddr*>(&sin), sizeof(sin)), 0);
  return fd;
}

inline void sendAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n <= 0) return;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
}

// Reads until EOF, an error or the receive timeout.
inline std::string readAll(int fd) {
  std::string out;
  char buf[4096];
  for (;;) {
    ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) return out;
    out.append(buf, static_cast<std::size_t>(n));
  }
}

// Reads until `out` holds `needle` (or EOF/timeout).
inline std::string readUntil(int fd, std::string_view needle, std::string& carry) {
  char buf[4096];
  while (carry.find(needle) == std::string::npos) {
    ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) break;
    carry.append(buf, static_cast<std::size_t>(n));
  }
  auto pos = carry.find(needle);
  if (pos == std::string::npos) return std::exchange(carry, {});
  std::string out = carry.substr(0, pos + needle.size());
  carry.erase(0, pos + needle.size());
  return out;
}

// A backend: accepts on 127.0.0.1:ephemeral and runs `handler` for each connection on its own
// thread.
class TestServer {
 public:
  explicit TestServer(std::function<void(int fd)> handler) : handler_(std::move(handler)) {
    fd_ = listenLoopback(port_);
    thread_ = std::thread([this] { acceptLoop(); });
  }
  ~TestServer() {
    stop_ = true;
    thread_.join();
    for (auto& t : connections_) t.join();
  }
  uint16_t port() const { return port_; }
  int accepted() const { return accepted_.load(); }

 private:
  void acceptLoop() {
    while (!stop_) {
      pollfd p{fd_.get(), POLLIN, 0};
      if (::poll(&p, 1, 20) <= 0) continue;
      int c = ::accept4(fd_.get(), nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) continue;
      accepted_++;
      connections_.emplace_back([this, c] {
        UniqueFd conn(c);
        setTimeouts(c);
        handler_(c);
      });
    }
  }
  std::function<void(int)> handler_;
  UniqueFd fd_;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> accepted_{0};
  std::thread thread_;
  std::vector<std::thread> connections_;
};

// Says who it is, then reads to EOF and answers with what it got: shows that a client's
// half-close reached the backend and the answer still came back.
inline std::function<void(int)> namedCollector(std::string name) {
  return [name](int fd) {
    sendAll(fd, name + "\n");
    std::string got = readAll(fd);
    sendAll(fd, "got:" + got);
  };
}

// An HTTP/1.1 backend that answers each request with its own name and the request head it saw.
inline std::function<void(int)> httpEcho(std::string name) {
  return [name](int fd) {
    std::string carry;
    for (;;) {
      std::string head = readUntil(fd, "\r\n\r\n", carry);
      if (head.find("\r\n\r\n") == std::string::npos) return;
      std::string body = name + "\n" + head;
      sendAll(fd, "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) +
                      "\r\nX-Backend: " + name + "\r\n\r\n" + body);
      if (head.find("Connection: close") != std::string::npos) return;
    }
  };
}

inline config::LoadBalancer balancer(const std::string& name, std::vector<uint16_t> ports) {
  config::LoadBalancer lb;
  lb.name = name;
  lb.port = 0;
  lb.bind_to_vip = false;
  for (uint16_t p : ports) lb.backends.push_back(config::Backend{kLoopback, p});
  lb.health_check.enabled = false;
  lb.connect_timeout = 1000ms;
  lb.connect_retries = 2;
  return lb;
}

// For sets that never bind to a VIP, whose timers therefore never run.
inline ManualTimeSource& unusedTime() {
  static ManualTimeSource time;
  return time;
}

inline std::unique_ptr<LoadBalancerSet> startSet(const config::LoadBalancer& lb, uint16_t& port,
                                                 DataPlaneOptions options = {}) {
  auto set = LoadBalancerSet::create({lb}, std::nullopt, 2, unusedTime(), options);
  EXPECT_TRUE(set);
  EXPECT_TRUE((*set)->start());
  auto ep = (*set)->listeningEndpoint(lb.name);
  EXPECT_TRUE(ep);
  port = ep ? ep->port : 0;
  return std::move(*set);
}

}  // namespace kubevip::lb::loopback
