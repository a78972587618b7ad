// SocketProber against real sockets on 127.0.0.1, driven by a real libuv loop. Each wait is
// bounded by a guard timer, so a probe that never completes fails the test instead of hanging.
#include "lb/socket_prober.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <optional>
#include <string>
#include <vector>

#include "common/unique_fd.h"
#include "lb/backend_pool.h"

namespace kubevip::lb {
namespace {

using namespace std::chrono_literals;

const IpAddress kLoopback = IpAddress::v4({127, 0, 0, 1});
constexpr Duration kGuard = 5s;

UniqueFd udpSocketOnLoopback(uint16_t& port) {
  UniqueFd fd(::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(::bind(fd.get(), reinterpret_cast<sockaddr*>(&sin), sizeof(sin)), 0);
  socklen_t len = sizeof(sin);
  ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&sin), &len);
  port = ntohs(sin.sin_port);
  return fd;
}

// A UDP port on which no socket is bound (bound once, then released): the kernel answers a
// datagram to it with ICMP port unreachable.
uint16_t closedUdpPort() {
  uint16_t port = 0;
  UniqueFd fd = udpSocketOnLoopback(port);
  return port;
}

// A TCP port on which nothing listens: a connect to it is refused (RST).
uint16_t closedTcpPort() {
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(::bind(fd.get(), reinterpret_cast<sockaddr*>(&sin), sizeof(sin)), 0);
  socklen_t len = sizeof(sin);
  ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&sin), &len);
  return ntohs(sin.sin_port);
}

// Runs the loop until `done()` holds or the guard runs out; returns `done()`.
bool runUntil(EventLoop& loop, const std::function<bool()>& done, Duration guard = kGuard) {
  auto poll = loop.time().createTimer();
  auto give_up = loop.time().createTimer();
  std::function<void()> check = [&] {
    if (done()) return loop.stop();
    poll->start(1ms, check);
  };
  give_up->start(guard, [&] { loop.stop(); });
  poll->start(Duration::zero(), check);
  loop.run();
  return done();
}

class SocketProberTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto loop = EventLoop::create();
    ASSERT_TRUE(loop.ok());
    loop_ = std::move(*loop);
  }

  // Probes `port` on 127.0.0.1 once; the result, or nullopt if the probe never completed.
  std::optional<bool> probeOnce(ProbeMethod method, uint16_t port, std::string data = {}) {
    SocketProber prober(*loop_, method, std::move(data));
    std::optional<bool> result;
    auto handle = prober.start(Endpoint{kLoopback, port}, [&](bool ok) { result = ok; });
    runUntil(*loop_, [&] { return result.has_value(); });
    return result;
  }

  std::unique_ptr<EventLoop> loop_;
};

TEST_F(SocketProberTest, UdpProbeAnsweredByAnEchoIsUp) {
  uint16_t port = 0;
  UniqueFd echo = udpSocketOnLoopback(port);
  std::vector<std::string> received;
  auto watcher = FdWatcher::create(*loop_, echo.get(), FdWatcher::kReadable, [&](int) {
    char buf[64];
    sockaddr_storage from;
    socklen_t len = sizeof(from);
    ssize_t n =
        ::recvfrom(echo.get(), buf, sizeof(buf), 0, reinterpret_cast<sockaddr*>(&from), &len);
    if (n < 0) return;
    received.emplace_back(buf, static_cast<std::size_t>(n));
    ::sendto(echo.get(), "pong", 4, 0, reinterpret_cast<sockaddr*>(&from), len);
  });
  ASSERT_TRUE(watcher.ok());
  EXPECT_EQ(probeOnce(ProbeMethod::kUdpDatagram, port), std::optional<bool>(true));
  EXPECT_EQ(probeOnce(ProbeMethod::kUdpDatagram, port, "ping\n"), std::optional<bool>(true));
  EXPECT_EQ(received,
            (std::vector<std::string>{"", "ping\n"}));  // empty by default, or the payload
}

TEST_F(SocketProberTest, UdpProbeOfAPortWithoutSocketIsDownAtTheIcmpError) {
  EXPECT_EQ(probeOnce(ProbeMethod::kUdpDatagram, closedUdpPort()), std::optional<bool>(false));
}

TEST_F(SocketProberTest, UdpProbeOverIpv6IsDownAtTheIcmpv6Error) {
  UniqueFd fd(::socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  sockaddr_in6 sin6{};
  sin6.sin6_family = AF_INET6;
  sin6.sin6_addr = in6addr_loopback;
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&sin6), sizeof(sin6)) != 0) {
    GTEST_SKIP() << "no IPv6 loopback here";
  }
  socklen_t len = sizeof(sin6);
  ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&sin6), &len);
  const uint16_t port = ntohs(sin6.sin6_port);
  fd = UniqueFd();  // the port is closed now: ICMPv6 port unreachable
  SocketProber prober(*loop_, ProbeMethod::kUdpDatagram);
  std::optional<bool> result;
  auto handle =
      prober.start(Endpoint{*IpAddress::parse("::1"), port}, [&](bool ok) { result = ok; });
  runUntil(*loop_, [&] { return result.has_value(); });
  EXPECT_EQ(result, std::optional<bool>(false));
}

TEST_F(SocketProberTest, UdpProbeOfASilentSocketDoesNotComplete) {
  uint16_t port = 0;
  UniqueFd silent = udpSocketOnLoopback(port);
  SocketProber prober(*loop_, ProbeMethod::kUdpDatagram);
  EXPECT_TRUE(prober.unansweredIsHealthy());
  std::optional<bool> result;
  auto handle = prober.start(Endpoint{kLoopback, port}, [&](bool ok) { result = ok; });
  EXPECT_FALSE(runUntil(
      *loop_, [&] { return result.has_value(); }, 200ms));
  char buf[16];
  EXPECT_EQ(::recv(silent.get(), buf, sizeof(buf), 0), 0);  // the empty datagram arrived
}

TEST_F(SocketProberTest, TcpProbeOfAClosedPortFailsAndSilenceIsNotHealthy) {
  EXPECT_FALSE(SocketProber(*loop_, ProbeMethod::kTcpConnect).unansweredIsHealthy());
  EXPECT_EQ(probeOnce(ProbeMethod::kTcpConnect, closedTcpPort()), std::optional<bool>(false));
}

// The checker with the UDP prober: a backend that receives the probe and never answers is up.
TEST_F(SocketProberTest, CheckerCountsASilentUdpBackendUpAndAClosedPortDown) {
  uint16_t silent_port = 0;
  UniqueFd silent = udpSocketOnLoopback(silent_port);
  BackendPool pool({Endpoint{kLoopback, silent_port}, Endpoint{kLoopback, closedUdpPort()}},
                   config::BalanceAlgorithm::kRoundRobin, true, Duration::zero());
  pool.markDown(0, loop_->time().now());  // must come back through a good probe
  config::HealthCheck hc;
  hc.interval = 10s;
  hc.timeout = 100ms;
  hc.rise = 1;
  hc.fall = 1;
  SocketProber prober(*loop_, ProbeMethod::kUdpDatagram);
  HealthChecker checker("dns", hc, pool, loop_->time(), prober);
  checker.start();
  EXPECT_TRUE(runUntil(*loop_, [&] { return pool.isUp(0) && !pool.isUp(1); }));
}

}  // namespace
}  // namespace kubevip::lb
