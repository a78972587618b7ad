// The data plane end to end on 127.0.0.1: test backends on ephemeral ports, a LoadBalancerSet
// listening on an ephemeral port (bindToVip:false, so it binds 0.0.0.0), blocking test clients
// with receive timeouts so a hang fails instead of stalling.
#include <arpa/inet.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <mutex>
#include <set>
#include <thread>

#include "common/time_source.h"
#include "common/unique_fd.h"
#include "lb/descriptor_budget.h"
#include "lb/load_balancer_set.h"
#include "loopback_support.h"

namespace kubevip::lb {
namespace {

using namespace std::chrono_literals;

using namespace loopback;

TEST(LoopbackTest, TcpForwardsAndSpreadsOverEveryBackend) {
  TestServer a(namedCollector("a")), b(namedCollector("b")), c(namedCollector("c"));
  uint16_t port = 0;
  auto set = startSet(balancer("tcp", {a.port(), b.port(), c.port()}), port);
  std::set<std::string> seen;
  for (int i = 0; i < 6; ++i) {
    UniqueFd fd = connectTo(port);
    sendAll(fd.get(), "ping" + std::to_string(i));
    ::shutdown(fd.get(), SHUT_WR);  // half-close: the backend answers only after our EOF
    std::string reply = readAll(fd.get());
    ASSERT_GE(reply.size(), 2u) << "no reply on connection " << i;
    EXPECT_EQ(reply.substr(1), "\ngot:ping" + std::to_string(i));
    seen.insert(reply.substr(0, 1));
  }
  EXPECT_EQ(seen, (std::set<std::string>{"a", "b", "c"}));
}

class ForwardingTest : public ::testing::TestWithParam<bool> {};

TEST_P(ForwardingTest, HalfCloseTravelsBothWays) {
  TestServer a(namedCollector("a"));
  uint16_t port = 0;
  auto set = startSet(balancer("half", {a.port()}), port, DataPlaneOptions{GetParam()});
  UniqueFd fd = connectTo(port);
  sendAll(fd.get(), "request");
  ::shutdown(fd.get(), SHUT_WR);
  EXPECT_EQ(readAll(fd.get()), "a\ngot:request");
}

TEST_P(ForwardingTest, LargeTransferSurvivesBackPressure) {
  constexpr std::size_t kSize = 8 << 20;
  TestServer echo([](int fd) {
    char buf[65536];
    for (;;) {
      ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
      if (n <= 0) return;
      sendAll(fd, std::string_view(buf, static_cast<std::size_t>(n)));
    }
  });
  uint16_t port = 0;
  auto set = startSet(balancer("bulk", {echo.port()}), port, DataPlaneOptions{GetParam()});
  UniqueFd fd = connectTo(port);
  std::string data(kSize, 'x');
  for (std::size_t i = 0; i < kSize; i += 997) data[i] = static_cast<char>('a' + i % 26);
  std::thread writer([&] {
    sendAll(fd.get(), data);
    ::shutdown(fd.get(), SHUT_WR);
  });
  std::string got = readAll(fd.get());
  writer.join();
  EXPECT_EQ(got.size(), kSize);
  EXPECT_TRUE(got == data);
}

INSTANTIATE_TEST_SUITE_P(CopyAndSplice, ForwardingTest, ::testing::Bool(),
                         [](const auto& p) { return p.param ? "Splice" : "Copy"; });

TEST(LoopbackTest, DeadBackendIsSkippedAndMarkedDown) {
  TestServer live(namedCollector("live"));
  uint16_t port = 0;
  auto set = startSet(balancer("skip", {deadPort(), live.port(), deadPort()}), port);
  for (int i = 0; i < 6; ++i) {
    UniqueFd fd = connectTo(port);
    ::shutdown(fd.get(), SHUT_WR);
    EXPECT_EQ(readAll(fd.get()), "live\ngot:") << "connection " << i;
  }
  EXPECT_FALSE(set->backendUp("skip", 0));
  EXPECT_TRUE(set->backendUp("skip", 1));
  EXPECT_FALSE(set->backendUp("skip", 2));
}

TEST(LoopbackTest, AllBackendsDownClosesTheClientAtOnce) {
  auto lb = balancer("down", {deadPort(), deadPort()});
  lb.connect_timeout = 5000ms;  // "at once" must not mean "after a connect timeout"
  uint16_t port = 0;
  auto set = startSet(lb, port);
  for (int i = 0; i < 3; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    UniqueFd fd = connectTo(port);
    char c;
    EXPECT_LE(::recv(fd.get(), &c, 1, 0), 0);
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 1000ms);
  }
}

TEST(LoopbackTest, ConnectionLimitClosesTheExcess) {
  TestServer hold([](int fd) { readAll(fd); });
  auto lb = balancer("limit", {hold.port()});
  lb.max_connections = 2;
  uint16_t port = 0;
  auto set = startSet(lb, port);
  UniqueFd c1 = connectTo(port);
  UniqueFd c2 = connectTo(port);
  // Both reached the backend before the third tries.
  for (int i = 0; i < 200 && hold.accepted() < 2; ++i) std::this_thread::sleep_for(5ms);
  UniqueFd c3 = connectTo(port);
  char c;
  EXPECT_LE(::recv(c3.get(), &c, 1, 0), 0);
  EXPECT_EQ(hold.accepted(), 2);
}

TEST(LoopbackTest, HttpAddsForwardedHeadersAndBalancesPerRequest) {
  TestServer a(httpEcho("a")), b(httpEcho("b"));
  auto lb = balancer("web", {a.port(), b.port()});
  lb.type = config::LoadBalancerType::kHttp;
  uint16_t port = 0;
  auto set = startSet(lb, port);
  UniqueFd fd = connectTo(port);
  std::set<std::string> names;
  std::string carry;
  for (int i = 0; i < 4; ++i) {
    sendAll(fd.get(), "GET /p" + std::to_string(i) +
                          " HTTP/1.1\r\nHost: svc.test\r\nX-Forwarded-For: 203.0.113.9\r\n\r\n");
    std::string head = readUntil(fd.get(), "\r\n\r\n", carry);
    ASSERT_NE(head.find("HTTP/1.1 200 OK"), std::string::npos) << head;
    EXPECT_EQ(head.find("Connection: close"), std::string::npos) << head;
    auto cl = head.find("Content-Length: ");
    ASSERT_NE(cl, std::string::npos);
    std::size_t length = std::stoul(head.substr(cl + 16));
    char buf[4096];
    while (carry.size() < length) {
      ssize_t n = ::recv(fd.get(), buf, sizeof(buf), 0);
      ASSERT_GT(n, 0);
      carry.append(buf, static_cast<std::size_t>(n));
    }
    std::string body = carry.substr(0, length);
    carry.erase(0, length);
    names.insert(body.substr(0, 1));
    EXPECT_NE(body.find("GET /p" + std::to_string(i) + " HTTP/1.1\r\n"), std::string::npos);
    EXPECT_NE(body.find("Host: svc.test\r\n"), std::string::npos) << body;
    EXPECT_NE(body.find("X-Forwarded-For: 203.0.113.9, 127.0.0.1\r\n"), std::string::npos) << body;
    EXPECT_NE(body.find("X-Forwarded-Proto: http\r\n"), std::string::npos) << body;
  }
  // One keep-alive client connection, requests spread over both backends.
  EXPECT_EQ(names, (std::set<std::string>{"a", "b"}));
}

TEST(LoopbackTest, HttpChunkedRequestBodyPassesThrough) {
  TestServer collector([](int fd) {
    std::string carry;
    std::string head = readUntil(fd, "\r\n\r\n", carry);
    std::string body = readUntil(fd, "0\r\n\r\n", carry);
    std::string reply = head + body;
    sendAll(fd, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" +
                    fmt::format("{:x}\r\n", reply.size()) + reply + "\r\n0\r\n\r\n");
  });
  auto lb = balancer("chunk", {collector.port()});
  lb.type = config::LoadBalancerType::kHttp;
  uint16_t port = 0;
  auto set = startSet(lb, port);
  UniqueFd fd = connectTo(port);
  sendAll(fd.get(),
          "POST /up HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
          "3\r\nabc\r\n0\r\n\r\n");
  std::string reply = readAll(fd.get());
  EXPECT_NE(reply.find("Connection: close\r\n"), std::string::npos) << reply;
  EXPECT_NE(reply.find("3\r\nabc\r\n0\r\n\r\n"), std::string::npos) << reply;
  EXPECT_EQ(reply.substr(reply.size() - 5), "0\r\n\r\n");
}

TEST(LoopbackTest, HttpAnswers502WhenTheBackendFailsAnd503WhenNoneIsUp) {
  TestServer rude([](int) {});  // accepts and closes without answering
  auto lb = balancer("errs", {rude.port()});
  lb.type = config::LoadBalancerType::kHttp;
  uint16_t port = 0;
  auto set = startSet(lb, port);
  {
    UniqueFd fd = connectTo(port);
    sendAll(fd.get(), "GET / HTTP/1.1\r\nHost: h\r\n\r\n");
    std::string reply = readAll(fd.get());
    EXPECT_EQ(reply.rfind("HTTP/1.1 502 Bad Gateway\r\n", 0), 0u) << reply;
  }
  auto lb2 = balancer("none", {deadPort(), deadPort()});
  lb2.type = config::LoadBalancerType::kHttp;
  uint16_t port2 = 0;
  auto set2 = startSet(lb2, port2);
  std::vector<std::string> statuses;
  for (int i = 0; i < 2; ++i) {
    UniqueFd fd = connectTo(port2);
    sendAll(fd.get(), "GET / HTTP/1.1\r\nHost: h\r\n\r\n");
    statuses.push_back(readAll(fd.get()).substr(0, 12));
  }
  // The first request tries both and fails them (502); they are down now, so the next gets 503.
  EXPECT_EQ(statuses, (std::vector<std::string>{"HTTP/1.1 502", "HTTP/1.1 503"}));
}

TEST(LoopbackTest, HttpRejectsOversizedHeads) {
  TestServer a(httpEcho("a"));
  auto lb = balancer("big", {a.port()});
  lb.type = config::LoadBalancerType::kHttp;
  uint16_t port = 0;
  auto set = startSet(lb, port);
  UniqueFd fd = connectTo(port);
  sendAll(fd.get(), "GET / HTTP/1.1\r\nX-Big: " + std::string(20000, 'a') + "\r\n\r\n");
  EXPECT_EQ(readAll(fd.get()).substr(0, 12), "HTTP/1.1 431");
  EXPECT_EQ(a.accepted(), 0);
}

TEST(LoopbackTest, ActiveHealthCheckTakesADeadBackendOut) {
  TestServer live(namedCollector("live"));
  auto lb = balancer("hc", {live.port(), deadPort()});
  lb.health_check.enabled = true;
  lb.health_check.interval = 50ms;
  lb.health_check.timeout = 40ms;
  lb.health_check.fall = 2;
  uint16_t port = 0;
  auto set = startSet(lb, port);
  bool down = false;
  for (int i = 0; i < 300 && !down; ++i) {
    std::this_thread::sleep_for(10ms);
    down = !set->backendUp("hc", 1);
  }
  EXPECT_TRUE(down);
  EXPECT_TRUE(set->backendUp("hc", 0));
}

TEST(LoopbackTest, IdleConnectionsAreClosed) {
  TestServer hold([](int fd) { readAll(fd); });
  auto lb = balancer("idle", {hold.port()});
  lb.idle_timeout = 300ms;
  uint16_t port = 0;
  auto set = startSet(lb, port);
  UniqueFd fd = connectTo(port);
  auto t0 = std::chrono::steady_clock::now();
  char c;
  EXPECT_EQ(::recv(fd.get(), &c, 1, 0), 0);
  auto waited = std::chrono::steady_clock::now() - t0;
  EXPECT_GE(waited, 250ms);
  EXPECT_LT(waited, 2s);
}

TEST(LoopbackTest, HttpAnswers504WhenTheBackendDoesNotAnswer) {
  TestServer silent([](int fd) { readAll(fd); });  // reads the request, never answers
  auto lb = balancer("slow", {silent.port()});
  lb.type = config::LoadBalancerType::kHttp;
  lb.idle_timeout = 300ms;
  uint16_t port = 0;
  auto set = startSet(lb, port);
  UniqueFd fd = connectTo(port);
  sendAll(fd.get(), "GET / HTTP/1.1\r\nHost: h\r\n\r\n");
  EXPECT_EQ(readAll(fd.get()).substr(0, 12), "HTTP/1.1 504");
}

TEST(LoopbackTest, VipListenerFollowsAcquireAndRelease) {
  TestServer hold([](int fd) {
    sendAll(fd, "hi\n");
    readAll(fd);
  });
  auto lb = balancer("vip", {hold.port()});
  lb.bind_to_vip = true;
  lb.port = 0;
  ManualTimeSource time;
  auto created = LoadBalancerSet::create({lb}, kLoopback, 2, time);
  ASSERT_TRUE(created);
  auto set = std::move(*created);
  ASSERT_TRUE(set->start());
  EXPECT_FALSE(set->listeningEndpoint("vip"));  // not before the VIP is ours
  set->onVipAcquired();
  auto ep = set->listeningEndpoint("vip");
  ASSERT_TRUE(ep);
  EXPECT_EQ(ep->address, kLoopback);
  UniqueFd fd = connectTo(ep->port);
  std::string carry;
  EXPECT_EQ(readUntil(fd.get(), "\n", carry), "hi\n");
  // Releasing the VIP closes the connection accepted on it and the listener.
  set->onVipReleased();
  char c;
  EXPECT_LE(::recv(fd.get(), &c, 1, 0), 0);
  EXPECT_FALSE(set->listeningEndpoint("vip"));
  UniqueFd probe(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  sin.sin_port = htons(ep->port);
  EXPECT_NE(::connect(probe.get(), reinterpret_cast<sockaddr*>(&sin), sizeof(sin)), 0);
  // And it can be acquired again.
  set->onVipAcquired();
  EXPECT_TRUE(set->listeningEndpoint("vip"));
}

TEST(LoopbackTest, Ipv6VipAndBackend) {
  const IpAddress kLoopback6 = *IpAddress::parse("::1");
  UniqueFd backend(::socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in6 sin6{};
  sin6.sin6_family = AF_INET6;
  sin6.sin6_addr = in6addr_loopback;
  ASSERT_EQ(::bind(backend.get(), reinterpret_cast<sockaddr*>(&sin6), sizeof(sin6)), 0);
  ASSERT_EQ(::listen(backend.get(), 8), 0);
  setTimeouts(backend.get());  // bounds accept() too, so a failure cannot hang the test
  socklen_t len = sizeof(sin6);
  ::getsockname(backend.get(), reinterpret_cast<sockaddr*>(&sin6), &len);
  std::thread server([&] {
    UniqueFd c(::accept(backend.get(), nullptr, nullptr));
    setTimeouts(c.get());
    sendAll(c.get(), "v6 " + readAll(c.get()));
  });
  config::LoadBalancer lb = balancer("six", {});
  lb.backends.push_back(config::Backend{kLoopback6, ntohs(sin6.sin6_port)});
  lb.bind_to_vip = true;
  ManualTimeSource time;
  auto created = LoadBalancerSet::create({lb}, kLoopback6, 1, time);
  ASSERT_TRUE(created);
  auto set = std::move(*created);
  ASSERT_TRUE(set->start());
  set->onVipAcquired();
  auto ep = set->listeningEndpoint("six");
  ASSERT_TRUE(ep);
  EXPECT_TRUE(ep->address.isV6());
  UniqueFd fd(::socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0));
  setTimeouts(fd.get());
  sockaddr_in6 to{};
  to.sin6_family = AF_INET6;
  to.sin6_addr = in6addr_loopback;
  to.sin6_port = htons(ep->port);
  ASSERT_EQ(::connect(fd.get(), reinterpret_cast<sockaddr*>(&to), sizeof(to)), 0);
  sendAll(fd.get(), "hello");
  ::shutdown(fd.get(), SHUT_WR);
  EXPECT_EQ(readAll(fd.get()), "v6 hello");
  server.join();
}

// A listening socket on 127.0.0.1:port without SO_REUSEPORT: a balancer cannot bind beside it.
UniqueFd takePort(uint16_t& port) { return listenLoopback(port); }

bool connects(uint16_t port) {
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  sin.sin_port = htons(port);
  return ::connect(fd.get(), reinterpret_cast<sockaddr*>(&sin), sizeof(sin)) == 0;
}

TEST(LoopbackTest, VipListenerIsRetriedUntilThePortIsFree) {
  TestServer hold([](int fd) {
    sendAll(fd, "hi\n");
    readAll(fd);
  });
  uint16_t port = 0;
  UniqueFd squatter = takePort(port);
  auto lb = balancer("retry", {hold.port()});
  lb.bind_to_vip = true;
  lb.port = port;
  ManualTimeSource time;
  auto created = LoadBalancerSet::create({lb}, kLoopback, 2, time);
  ASSERT_TRUE(created);
  auto set = std::move(*created);
  ASSERT_TRUE(set->start());
  set->onVipAcquired();
  EXPECT_FALSE(set->stats("retry")->listening);
  EXPECT_EQ(set->stats("retry")->bind_failures, 1u);
  time.advance(100ms);  // the first retry: the port is still taken
  EXPECT_FALSE(set->stats("retry")->listening);
  EXPECT_EQ(set->stats("retry")->bind_failures, 2u);
  squatter.reset();
  time.advance(200ms);  // the second retry, twice as late, finds it free
  ASSERT_TRUE(set->stats("retry")->listening);
  EXPECT_EQ(set->stats("retry")->bind_failures, 2u);
  EXPECT_EQ(time.activeTimers(), 0u);
  UniqueFd fd = connectTo(port);
  std::string carry;
  EXPECT_EQ(readUntil(fd.get(), "\n", carry), "hi\n");
}

TEST(LoopbackTest, ReleasingTheVipStopsTheListenRetries) {
  TestServer a(namedCollector("a"));
  uint16_t port = 0;
  UniqueFd squatter = takePort(port);
  auto lb = balancer("gone", {a.port()});
  lb.bind_to_vip = true;
  lb.port = port;
  ManualTimeSource time;
  auto created = LoadBalancerSet::create({lb}, kLoopback, 2, time);
  ASSERT_TRUE(created);
  auto set = std::move(*created);
  ASSERT_TRUE(set->start());
  set->onVipAcquired();
  EXPECT_EQ(set->stats("gone")->bind_failures, 1u);
  set->onVipReleased();
  EXPECT_EQ(time.activeTimers(), 0u);
  squatter.reset();
  time.advance(10s);
  EXPECT_FALSE(set->stats("gone")->listening);
  EXPECT_EQ(set->stats("gone")->bind_failures, 1u);
  EXPECT_FALSE(connects(port));
}

TEST(LoopbackTest, ConnectionsOverTheDescriptorBudgetAreClosedAtOnce) {
  TestServer hold([](int fd) {
    sendAll(fd, "hi\n");
    readAll(fd);
  });
  auto lb = balancer("budget", {hold.port()});
  // Room for exactly one connection beside the control plane's reserve and the workers' own.
  const auto plan = planDescriptors({lb}, Forwarding::kCopy, 2, 1'000'000);
  DataPlaneOptions options;
  options.descriptor_limit = plan.reserve + plan.fixed + 2;
  uint16_t port = 0;
  auto set = startSet(lb, port, options);
  std::string carry;
  UniqueFd first = connectTo(port);
  EXPECT_EQ(readUntil(first.get(), "\n", carry), "hi\n");
  UniqueFd second = connectTo(port);
  char c;
  EXPECT_EQ(::recv(second.get(), &c, 1, 0), 0);  // closed at once, not left waiting
  EXPECT_EQ(set->stats("budget")->over_descriptor_budget, 1u);
  first.reset();
  // The first connection's descriptors come back once the proxy has seen it close.
  for (int i = 0; i < 500 && set->stats("budget")->connections > 0; ++i) {
    std::this_thread::sleep_for(10ms);
  }
  UniqueFd third = connectTo(port);
  carry.clear();
  EXPECT_EQ(readUntil(third.get(), "\n", carry), "hi\n");
}

// Every free descriptor of this process taken, so the next accept() fails with EMFILE; given
// back on destruction. The soft limit is lowered first so that only a few are needed.
// UBSan checks the object behind every virtual call by writing its memory into a pipe
// (sanitizer_common's IsAccessibleMemoryRange): with no descriptor left for that pipe it reports
// every virtual call as one on an invalid object. The tests that take every descriptor therefore
// run in the plain build only (make test), not under the sanitizers.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool kSanitizerBuild = true;
#else
constexpr bool kSanitizerBuild = false;
#endif
constexpr const char* kNeedsDescriptorsForSanitizer =
    "the sanitizer runtime needs free descriptors to check pointers; this test takes them all";

class DescriptorHog {
 public:
  DescriptorHog() {
    ::getrlimit(RLIMIT_NOFILE, &saved_);
    int highest = 0;
    for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
      highest = std::max(highest, std::stoi(entry.path().filename().string()));
    }
    rlimit low = saved_;
    low.rlim_cur = static_cast<rlim_t>(highest + 64);
    ::setrlimit(RLIMIT_NOFILE, &low);
    for (int fd; (fd = ::dup(0)) >= 0;) fds_.emplace_back(fd);
  }
  ~DescriptorHog() {
    fds_.clear();
    ::setrlimit(RLIMIT_NOFILE, &saved_);
  }
  // Gives one descriptor back.
  void releaseOne() { fds_.pop_back(); }

 private:
  rlimit saved_{};
  std::vector<UniqueFd> fds_;
};

TEST(LoopbackTest, AcceptOutOfDescriptorsPausesTheListenerInsteadOfSpinning) {
  if (kSanitizerBuild) GTEST_SKIP() << kNeedsDescriptorsForSanitizer;
  TestServer hold([](int fd) {
    sendAll(fd, "hi\n");
    readAll(fd);
  });
  uint16_t port = 0;
  auto set = startSet(balancer("emfile", {hold.port()}), port);
  constexpr int kClients = 4;
  std::vector<UniqueFd> clients;
  for (int i = 0; i < kClients; ++i) {
    clients.emplace_back(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    setTimeouts(clients.back().get());
  }
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  sin.sin_port = htons(port);
  {
    DescriptorHog hog;
    // The kernel completes the handshakes; the connections wait in the listeners' queues.
    for (auto& c : clients) {
      ASSERT_EQ(::connect(c.get(), reinterpret_cast<sockaddr*>(&sin), sizeof(sin)), 0);
    }
    std::this_thread::sleep_for(500ms);
    // Two workers, each pausing 100, 200 then 400 ms: a handful of failed accepts. Without the
    // pause a level-triggered listener fails again at once, thousands of times.
    const auto failures = set->stats("emfile")->accept_failures;
    EXPECT_GE(failures, 1u);
    EXPECT_LE(failures, 10u);
  }
  // Descriptors are back: the paused listeners resume and the waiting clients are served.
  for (auto& c : clients) {
    std::string carry;
    EXPECT_EQ(readUntil(c.get(), "\n", carry), "hi\n");
  }
}

TEST(LoopbackTest, ABackendSocketMissingForLackOfDescriptorsIsNotTheBackendsFault) {
  if (kSanitizerBuild) GTEST_SKIP() << kNeedsDescriptorsForSanitizer;
  TestServer a(namedCollector("a"));
  uint16_t port = 0;
  auto lb = balancer("local", {a.port()});
  lb.connect_retries = 0;
  auto set = startSet(lb, port);
  UniqueFd client(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  setTimeouts(client.get());
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  sin.sin_port = htons(port);
  {
    DescriptorHog hog;
    hog.releaseOne();  // room for the accepted socket, none for the backend's
    ASSERT_EQ(::connect(client.get(), reinterpret_cast<sockaddr*>(&sin), sizeof(sin)), 0);
    char c;
    EXPECT_EQ(::recv(client.get(), &c, 1, 0), 0);  // closed: no backend socket to forward to
  }
  EXPECT_EQ(set->stats("local")->connect_failures, 1u);
  EXPECT_TRUE(set->backendUp("local", 0));
}

TEST(LoopbackTest, StopClosesListeners) {
  TestServer a(namedCollector("a"));
  uint16_t port = 0;
  auto set = startSet(balancer("stop", {a.port()}), port);
  set->stop();
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  sin.sin_port = htons(port);
  EXPECT_NE(::connect(fd.get(), reinterpret_cast<sockaddr*>(&sin), sizeof(sin)), 0);
}

}  // namespace
}  // namespace kubevip::lb
