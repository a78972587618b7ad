// LoadBalancerSet::reconfigure on 127.0.0.1: what a reload changes, and what it must leave alone
// (listening sockets, connections to backends that stay, whether a backend is up).
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <atomic>
#include <cerrno>
#include <set>
#include <thread>

#include "config/reload_plan.h"
#include "lb/descriptor_budget.h"
#include "lb/load_balancer_set.h"
#include "loopback_support.h"

namespace kubevip::lb {
namespace {

using namespace loopback;

// Says who it is, then echoes what it receives until the client closes.
std::function<void(int)> namedEcho(std::string name) {
  return [name](int fd) {
    sendAll(fd, name + "\n");
    char buf[4096];
    for (;;) {
      ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
      if (n <= 0) return;
      sendAll(fd, std::string_view(buf, static_cast<std::size_t>(n)));
    }
  };
}

config::Backend backendAt(uint16_t port) { return config::Backend{kLoopback, port}; }

// One request through a namedCollector backend: the backend's name, or "" when it failed.
std::string request(uint16_t port) {
  UniqueFd fd = connectTo(port);
  sendAll(fd.get(), "hi");
  ::shutdown(fd.get(), SHUT_WR);
  std::string answer = readAll(fd.get());
  const auto newline = answer.find('\n');
  if (newline == std::string::npos || answer.substr(newline + 1) != "got:hi") return "";
  return answer.substr(0, newline);
}

bool refuses(uint16_t port) {
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  sin.sin_port = htons(port);
  return ::connect(fd.get(), reinterpret_cast<sockaddr*>(&sin), sizeof(sin)) != 0 &&
         errno == ECONNREFUSED;
}

config::ReloadPlan changeBackends(const std::string& name, std::vector<config::Backend> added,
                                  std::vector<config::Backend> removed) {
  config::ReloadPlan plan;
  config::LoadBalancerChange change;
  change.name = name;
  change.backends_added = std::move(added);
  change.backends_removed = std::move(removed);
  plan.load_balancers_changed.push_back(change);
  return plan;
}

TEST(ReconfigureTest, BackendAddedWhileRequestingFailsNoRequestAndGetsTraffic) {
  TestServer a(namedCollector("a")), b(namedCollector("b")), c(namedCollector("c"));
  auto lb = balancer("web", {a.port(), b.port()});
  lb.port = deadPort();  // fixed: a listener reopened by mistake would come back on it
  uint16_t port = 0;
  auto set = startSet(lb, port);

  std::atomic<bool> stop{false};
  std::atomic<int> done{0}, failed{0};
  std::thread client([&] {
    while (!stop) {
      if (request(port).empty()) failed++;
      done++;
    }
  });
  while (done < 20) std::this_thread::yield();
  auto next = lb;
  next.backends.push_back(backendAt(c.port()));
  ASSERT_TRUE(set->reconfigure(changeBackends("web", {backendAt(c.port())}, {}), {next}));
  const int at_reload = done;
  while (c.accepted() < 3 && done < at_reload + 300) std::this_thread::yield();
  stop = true;
  client.join();
  EXPECT_EQ(failed, 0);
  EXPECT_GE(c.accepted(), 3);
}

TEST(ReconfigureTest, RemovedBackendGetsNoNewConnectionsAndOpenConnectionsStay) {
  TestServer a(namedEcho("a")), b(namedEcho("b"));
  auto lb = balancer("web", {a.port(), b.port()});
  lb.port = deadPort();  // fixed: a listener reopened by mistake would come back on it
  uint16_t port = 0;
  auto set = startSet(lb, port);
  // Round robin: the first two connections reach both backends.
  UniqueFd first = connectTo(port), second = connectTo(port);
  std::string carry_first, carry_second;
  std::string who_first = readUntil(first.get(), "\n", carry_first);
  std::string who_second = readUntil(second.get(), "\n", carry_second);
  ASSERT_NE(who_first, who_second);
  UniqueFd& to_a = who_first == "a\n" ? first : second;
  UniqueFd& to_b = who_first == "a\n" ? second : first;

  auto next = lb;
  next.backends = {backendAt(a.port())};
  ASSERT_TRUE(set->reconfigure(changeBackends("web", {}, {backendAt(b.port())}), {next}));

  // The connection to the backend that stays carries bytes after the reload...
  std::string carry;
  sendAll(to_a.get(), "after\n");
  EXPECT_EQ(readUntil(to_a.get(), "\n", carry), "after\n");
  // ...and so does the one to the removed backend, which is left to finish.
  carry.clear();
  sendAll(to_b.get(), "still\n");
  EXPECT_EQ(readUntil(to_b.get(), "\n", carry), "still\n");
  // New connections go to the remaining backend only.
  const int b_before = b.accepted();
  for (int i = 0; i < 6; ++i) {
    UniqueFd fd = connectTo(port);
    std::string c2;
    EXPECT_EQ(readUntil(fd.get(), "\n", c2), "a\n");
  }
  EXPECT_EQ(b.accepted(), b_before);
}

TEST(ReconfigureTest, HttpKeepAliveConnectionFollowsTheReloadFromItsNextRequest) {
  TestServer a(httpEcho("a")), b(httpEcho("b")), c(httpEcho("c"));
  auto lb = balancer("api", {a.port(), b.port()});
  lb.type = config::LoadBalancerType::kHttp;
  uint16_t port = 0;
  auto set = startSet(lb, port);
  UniqueFd client = connectTo(port);
  std::string carry;
  auto ask = [&] {
    sendAll(client.get(), "GET / HTTP/1.1\r\nHost: h\r\n\r\n");
    std::string head = readUntil(client.get(), "\r\n\r\n", carry);
    const auto at = head.find("X-Backend: ");
    if (at == std::string::npos) return std::string();
    // The body repeats the name and the request head: read past it.
    const std::string name = head.substr(at + 11, 1);
    readUntil(client.get(), "\r\n\r\n", carry);
    return name;
  };
  std::set<std::string> before;
  for (int i = 0; i < 4; ++i) before.insert(ask());
  ASSERT_EQ(before, (std::set<std::string>{"a", "b"}));

  auto next = lb;
  next.backends = {backendAt(a.port()), backendAt(c.port())};
  ASSERT_TRUE(set->reconfigure(changeBackends("api", {backendAt(c.port())}, {backendAt(b.port())}),
                               {next}));
  std::set<std::string> after;
  for (int i = 0; i < 6; ++i) after.insert(ask());
  EXPECT_EQ(after, (std::set<std::string>{"a", "c"}));
}

TEST(ReconfigureTest, ALoweredConnectionLimitAppliesToNewConnectionsOnly) {
  TestServer a(namedEcho("a"));
  auto lb = balancer("web", {a.port()});
  lb.port = deadPort();
  uint16_t port = 0;
  auto set = startSet(lb, port);
  UniqueFd first = connectTo(port), second = connectTo(port);
  std::string carry_first, carry_second;
  ASSERT_EQ(readUntil(first.get(), "\n", carry_first), "a\n");
  ASSERT_EQ(readUntil(second.get(), "\n", carry_second), "a\n");

  auto next = lb;
  next.max_connections = 2;
  config::ReloadPlan plan;
  config::LoadBalancerChange change;
  change.name = "web";
  change.limits = true;
  plan.load_balancers_changed.push_back(change);
  ASSERT_TRUE(set->reconfigure(plan, {next}));

  UniqueFd third = connectTo(port);  // the listener stayed: the connect succeeds, then closes
  char c;
  EXPECT_EQ(::recv(third.get(), &c, 1, 0), 0);
  EXPECT_EQ(set->stats("web")->rejected, 1u);
  sendAll(first.get(), "on\n");
  EXPECT_EQ(readUntil(first.get(), "\n", carry_first), "on\n");
}

TEST(ReconfigureTest, BalancerAddedAndRemoved) {
  TestServer a(namedCollector("a")), b(namedCollector("b"));
  auto old_lb = balancer("old", {a.port()});
  uint16_t old_port = 0;
  auto set = startSet(old_lb, old_port);
  ASSERT_EQ(request(old_port), "a");
  UniqueFd open_on_old = connectTo(old_port);
  std::string carry;
  ASSERT_EQ(readUntil(open_on_old.get(), "\n", carry), "a\n");

  auto new_lb = balancer("new", {b.port()});
  config::ReloadPlan plan;
  plan.load_balancers_removed = {"old"};
  plan.load_balancers_added = {"new"};
  ASSERT_TRUE(set->reconfigure(plan, {new_lb}));

  EXPECT_FALSE(set->listeningEndpoint("old"));
  EXPECT_TRUE(refuses(old_port));
  char c;
  EXPECT_EQ(::recv(open_on_old.get(), &c, 1, 0), 0);  // the removed balancer's connection closed
  auto ep = set->listeningEndpoint("new");
  ASSERT_TRUE(ep);
  EXPECT_EQ(request(ep->port), "b");
  ASSERT_EQ(set->status().size(), 1u);
  EXPECT_EQ(set->status()[0].name, "new");
}

TEST(ReconfigureTest, StatusFollowsTheOrderOfTheNewConfiguration) {
  TestServer a(namedCollector("a"));
  auto second = balancer("second", {a.port()});
  uint16_t port = 0;
  auto set = startSet(second, port);
  auto first = balancer("first", {a.port()});
  config::ReloadPlan plan;
  plan.load_balancers_added = {"first"};
  plan.load_balancers_unchanged = {"second"};
  ASSERT_TRUE(set->reconfigure(plan, {first, second}));
  auto status = set->status();
  ASSERT_EQ(status.size(), 2u);
  EXPECT_EQ(status[0].name, "first");
  EXPECT_EQ(status[1].name, "second");
  EXPECT_EQ(request(port), "a");
}

TEST(ReconfigureTest, ListenerChangeReopensOnTheNewPort) {
  TestServer a(namedCollector("a"));
  auto lb = balancer("web", {a.port()});
  lb.port = deadPort();
  uint16_t port = 0;
  auto set = startSet(lb, port);
  ASSERT_EQ(port, lb.port);
  auto next = lb;
  next.port = deadPort();
  config::ReloadPlan plan;
  config::LoadBalancerChange change;
  change.name = "web";
  change.listener = true;
  plan.load_balancers_changed.push_back(change);
  ASSERT_TRUE(set->reconfigure(plan, {next}));
  EXPECT_TRUE(refuses(lb.port));
  EXPECT_EQ(set->listeningEndpoint("web")->port, next.port);
  EXPECT_EQ(request(next.port), "a");
}

TEST(ReconfigureTest, TwoBalancersSwapPorts) {
  TestServer a(namedCollector("a")), b(namedCollector("b"));
  auto first = balancer("first", {a.port()});
  auto second = balancer("second", {b.port()});
  first.port = deadPort();
  second.port = deadPort();
  auto created = LoadBalancerSet::create({first, second}, std::nullopt, 2, unusedTime());
  ASSERT_TRUE(created);
  auto set = std::move(*created);
  ASSERT_TRUE(set->start());
  ASSERT_EQ(request(first.port), "a");

  auto next_first = first, next_second = second;
  std::swap(next_first.port, next_second.port);
  config::ReloadPlan plan;
  for (const char* name : {"first", "second"}) {
    config::LoadBalancerChange change;
    change.name = name;
    change.listener = true;
    plan.load_balancers_changed.push_back(change);
  }
  ASSERT_TRUE(set->reconfigure(plan, {next_first, next_second}));
  EXPECT_EQ(request(first.port), "b");
  EXPECT_EQ(request(second.port), "a");
}

TEST(ReconfigureTest, ABackendDownBeforeTheReloadIsNotPickedAfterIt) {
  TestServer a(namedCollector("a")), c(namedCollector("c"));
  const uint16_t dead = deadPort();
  auto lb = balancer("web", {a.port(), dead});
  lb.health_check.interval = std::chrono::minutes(10);  // a passive failure lasts the test
  uint16_t port = 0;
  auto set = startSet(lb, port);
  // Round robin tries the dead backend on one of the first two connections: marked down there.
  EXPECT_EQ(request(port), "a");
  EXPECT_EQ(request(port), "a");
  ASSERT_FALSE(set->backendUp("web", 1));
  const uint64_t failures = set->stats("web")->connect_failures;
  ASSERT_EQ(failures, 1u);

  auto next = lb;
  next.backends.push_back(backendAt(c.port()));
  ASSERT_TRUE(set->reconfigure(changeBackends("web", {backendAt(c.port())}, {}), {next}));
  EXPECT_FALSE(set->backendUp("web", 1));
  for (int i = 0; i < 6; ++i) EXPECT_NE(request(port), "");
  EXPECT_EQ(set->stats("web")->connect_failures, failures);  // never tried again
  EXPECT_GE(c.accepted(), 2);
}

TEST(ReconfigureTest, ABackendTheActiveChecksTookDownStaysDownUnderNewChecks) {
  TestServer a(namedCollector("a"));
  const uint16_t dead = deadPort();
  auto lb = balancer("web", {a.port(), dead});
  lb.health_check.enabled = true;
  lb.health_check.interval = 50ms;
  lb.health_check.timeout = 40ms;
  lb.health_check.fall = 3;
  uint16_t port = 0;
  auto set = startSet(lb, port);
  for (int i = 0; i < 300 && set->backendUp("web", 1); ++i) std::this_thread::sleep_for(10ms);
  ASSERT_FALSE(set->backendUp("web", 1));

  // New checks, slow enough that they alone could not take the backend down during the test
  // (fall probes need 2 intervals): it must stay down because it was down.
  auto next = lb;
  next.health_check.interval = std::chrono::minutes(10);
  next.health_check.timeout = std::chrono::minutes(1);
  config::ReloadPlan plan;
  config::LoadBalancerChange change;
  change.name = "web";
  change.health_check = true;
  plan.load_balancers_changed.push_back(change);
  ASSERT_TRUE(set->reconfigure(plan, {next}));
  EXPECT_FALSE(set->backendUp("web", 1));
  for (int i = 0; i < 4; ++i) EXPECT_EQ(request(port), "a");
  EXPECT_EQ(set->stats("web")->connect_failures, 0u);  // the data plane never tried it
}

TEST(ReconfigureTest, RefusesAPlanThatDoesNotMatchTheSetBeforeChangingAnything) {
  TestServer a(namedCollector("a"));
  auto lb = balancer("web", {a.port()});
  uint16_t port = 0;
  auto set = startSet(lb, port);
  config::ReloadPlan plan;
  plan.load_balancers_removed = {"web"};
  plan.load_balancers_added = {"missing"};
  auto st = set->reconfigure(plan, {});
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message.find("missing"), std::string::npos) << st.error().message;
  EXPECT_EQ(request(port), "a");  // "web" was not removed
}

TEST(ReconfigureTest, AnAddedListenerThatCannotBindIsAnErrorNamingTheBalancer) {
  TestServer a(namedCollector("a"));
  auto lb = balancer("web", {a.port()});
  uint16_t port = 0;
  auto set = startSet(lb, port);
  uint16_t taken_port = 0;
  UniqueFd taken = listenLoopback(taken_port);  // not SO_REUSEPORT: the balancer cannot share it
  auto extra = balancer("extra", {a.port()});
  extra.port = taken_port;
  config::ReloadPlan plan;
  plan.load_balancers_added = {"extra"};
  auto st = set->reconfigure(plan, {lb, extra});
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message.find("load balancer extra"), std::string::npos)
      << st.error().message;
  EXPECT_FALSE(set->listeningEndpoint("extra"));
  EXPECT_EQ(set->stats("extra")->bind_failures, 1u);
  EXPECT_EQ(request(port), "a");
}

TEST(ReconfigureTest, AnAddedBalancersListenersComeOutOfTheConnectionsDescriptors) {
  TestServer a(namedEcho("a"));
  auto lb = balancer("web", {a.port()});
  auto extra = balancer("extra", {a.port()});
  // A limit that leaves room for exactly one connection while "web" runs alone.
  const int per = descriptorsPerSession(Forwarding::kCopy);
  const auto alone = planDescriptors({lb}, Forwarding::kCopy, 2, 1000);
  const uint64_t limit = alone.reserve + alone.fixed + static_cast<uint64_t>(per);
  ASSERT_EQ(planDescriptors({lb}, Forwarding::kCopy, 2, limit).for_sessions,
            static_cast<uint64_t>(per));
  ASSERT_LT(planDescriptors({lb, extra}, Forwarding::kCopy, 2, limit).for_sessions,
            static_cast<uint64_t>(per));
  uint16_t port = 0;
  auto set = startSet(lb, port, DataPlaneOptions{.splice = false, .descriptor_limit = limit});

  config::ReloadPlan plan;
  plan.load_balancers_added = {"extra"};
  ASSERT_TRUE(set->reconfigure(plan, {lb, extra}));
  // The extra listeners took the one connection's room: the control plane's reserve stays whole.
  UniqueFd fd = connectTo(port);
  char c;
  EXPECT_EQ(::recv(fd.get(), &c, 1, 0), 0);
  EXPECT_EQ(set->stats("web")->over_descriptor_budget, 1u);
}

}  // namespace
}  // namespace kubevip::lb
