// LoadBalancerSet::metricFamilies and status after known traffic on 127.0.0.1, encoded as a
// scrape would be (metrics::encodeText, which also checks names, labels and duplicates).
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <atomic>
#include <thread>

#include "config/reload_plan.h"
#include "lb/load_balancer_set.h"
#include "loopback_support.h"
#include "metrics/text_encoder.h"

namespace kubevip::lb {
namespace {

using namespace loopback;

std::string scrape(const LoadBalancerSet& set) {
  auto text = metrics::encodeText(set.metricFamilies());
  EXPECT_TRUE(text) << (text ? "" : text.error().describe());
  return text ? *text : "";
}

// The value of one sample line ("name{labels}"), or -1 when the scrape has no such line.
double sample(const std::string& text, const std::string& series) {
  const std::string key = "\n" + series + " ";
  const auto at = ("\n" + text).find(key);
  if (at == std::string::npos) return -1;
  const auto value_at = at + key.size() - 1;
  return std::stod(text.substr(value_at, text.find('\n', value_at) - value_at));
}

// One connection that sends "hello", half-closes and reads the whole answer.
std::string exchange(uint16_t port) {
  UniqueFd fd = connectTo(port);
  sendAll(fd.get(), "hello");
  ::shutdown(fd.get(), SHUT_WR);
  return readAll(fd.get());
}

// The client saw the end before the worker freed its session: wait (bounded) for the count.
void waitForNoActiveConnections(const LoadBalancerSet& set, const std::string& name) {
  for (int i = 0; i < 500 && set.stats(name)->connections != 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

TEST(LoadBalancerMetricsTest, CountsConnectionsBytesAndARefusedBackend) {
  TestServer a(namedCollector("a"));
  const uint16_t dead = deadPort();
  auto lb = balancer("web", {a.port(), dead});
  lb.health_check.interval = std::chrono::minutes(10);  // the refused backend stays down
  uint16_t port = 0;
  auto set = startSet(lb, port);
  // Round robin tries the dead backend on one of the two: refused, marked down, retried on a.
  ASSERT_EQ(exchange(port), "a\ngot:hello");
  ASSERT_EQ(exchange(port), "a\ngot:hello");
  waitForNoActiveConnections(*set, "web");

  const std::string text = scrape(*set);
  const std::string web = "balancer=\"web\"";
  const std::string be_a = web + ",backend=\"127.0.0.1:" + std::to_string(a.port()) + "\"";
  const std::string be_dead = web + ",backend=\"127.0.0.1:" + std::to_string(dead) + "\"";
  EXPECT_EQ(sample(text, "kube_vip_lb_listening{" + web + "}"), 1) << text;
  EXPECT_EQ(sample(text, "kube_vip_lb_listener_bind_failures_total{" + web + "}"), 0);
  EXPECT_EQ(sample(text, "kube_vip_lb_connections_total{" + web + "}"), 2);
  EXPECT_EQ(sample(text, "kube_vip_lb_active_connections{" + web + "}"), 0);
  for (const char* reason : {"max_connections", "descriptors", "no_backend"}) {
    EXPECT_EQ(sample(text, "kube_vip_lb_rejected_connections_total{" + web + ",reason=\"" + reason +
                               "\"}"),
              0)
        << reason;
  }
  EXPECT_EQ(sample(text, "kube_vip_lb_accept_failures_total{" + web + "}"), 0);

  EXPECT_EQ(sample(text, "kube_vip_lb_backend_up{" + be_a + "}"), 1);
  EXPECT_EQ(sample(text, "kube_vip_lb_backend_up{" + be_dead + "}"), 0);
  EXPECT_EQ(
      sample(text, "kube_vip_lb_backend_health_transitions_total{" + be_dead + ",to=\"down\"}"), 1);
  EXPECT_EQ(sample(text, "kube_vip_lb_backend_health_transitions_total{" + be_dead + ",to=\"up\"}"),
            0);
  EXPECT_EQ(sample(text, "kube_vip_lb_backend_health_transitions_total{" + be_a + ",to=\"down\"}"),
            0);
  EXPECT_EQ(sample(text, "kube_vip_lb_backend_connections_total{" + be_a + "}"), 2);
  EXPECT_EQ(sample(text, "kube_vip_lb_backend_connections_total{" + be_dead + "}"), 0);
  EXPECT_EQ(sample(text, "kube_vip_lb_backend_active_connections{" + be_a + "}"), 0);
  EXPECT_EQ(sample(text, "kube_vip_lb_backend_connect_failures_total{" + be_a + "}"), 0);
  EXPECT_EQ(sample(text, "kube_vip_lb_backend_connect_failures_total{" + be_dead + "}"), 1);
  // "hello" in, "a\n" + "got:hello" out, twice.
  EXPECT_EQ(sample(text, "kube_vip_lb_backend_bytes_in_total{" + be_a + "}"), 10);
  EXPECT_EQ(sample(text, "kube_vip_lb_backend_bytes_out_total{" + be_a + "}"), 22);
  EXPECT_EQ(sample(text, "kube_vip_lb_backend_bytes_in_total{" + be_dead + "}"), 0);
}

TEST(LoadBalancerMetricsTest, HttpCountsEachRequestAndItsBytes) {
  TestServer a(httpEcho("a"));
  auto lb = balancer("api", {a.port()});
  lb.type = config::LoadBalancerType::kHttp;
  uint16_t port = 0;
  auto set = startSet(lb, port);
  {
    UniqueFd fd = connectTo(port);
    sendAll(fd.get(), "GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n");
    EXPECT_EQ(readAll(fd.get()).substr(0, 12), "HTTP/1.1 200");
  }
  const std::string text = scrape(*set);
  const std::string be = "balancer=\"api\",backend=\"127.0.0.1:" + std::to_string(a.port()) + "\"";
  EXPECT_EQ(sample(text, "kube_vip_lb_backend_connections_total{" + be + "}"), 1) << text;
  EXPECT_GT(sample(text, "kube_vip_lb_backend_bytes_in_total{" + be + "}"), 40);
  EXPECT_GT(sample(text, "kube_vip_lb_backend_bytes_out_total{" + be + "}"), 40);
}

TEST(LoadBalancerMetricsTest, CountsConnectionsClosedForWantOfABackend) {
  auto lb = balancer("web", {deadPort()});
  lb.health_check.interval = std::chrono::minutes(10);
  uint16_t port = 0;
  auto set = startSet(lb, port);
  EXPECT_EQ(exchange(port), "");  // refused by the backend, then no other to try
  EXPECT_EQ(exchange(port), "");  // the backend is down: none to try
  waitForNoActiveConnections(*set, "web");
  const std::string text = scrape(*set);
  EXPECT_EQ(
      sample(text,
             "kube_vip_lb_rejected_connections_total{balancer=\"web\",reason=\"no_backend\"}"),
      2)
      << text;
  EXPECT_EQ(sample(text, "kube_vip_lb_connections_total{balancer=\"web\"}"), 2);
}

TEST(LoadBalancerMetricsTest, ARemovedBackendsSeriesLeaveAndCountersCarryOver) {
  TestServer a(namedCollector("a")), b(namedCollector("b"));
  auto lb = balancer("web", {a.port(), b.port()});
  uint16_t port = 0;
  auto set = startSet(lb, port);
  for (int i = 0; i < 4; ++i) ASSERT_NE(exchange(port), "");
  waitForNoActiveConnections(*set, "web");
  const std::string be_a =
      "balancer=\"web\",backend=\"127.0.0.1:" + std::to_string(a.port()) + "\"";
  const std::string be_b =
      "balancer=\"web\",backend=\"127.0.0.1:" + std::to_string(b.port()) + "\"";
  const double a_before =
      sample(scrape(*set), "kube_vip_lb_backend_connections_total{" + be_a + "}");
  EXPECT_EQ(a_before, 2);

  auto next = lb;
  next.backends = {config::Backend{kLoopback, a.port()}};
  config::ReloadPlan plan;
  config::LoadBalancerChange change;
  change.name = "web";
  change.backends_removed = {config::Backend{kLoopback, b.port()}};
  plan.load_balancers_changed.push_back(change);
  ASSERT_TRUE(set->reconfigure(plan, {next}));

  const std::string text = scrape(*set);
  EXPECT_EQ(text.find(be_b), std::string::npos) << text;
  EXPECT_EQ(sample(text, "kube_vip_lb_backend_connections_total{" + be_a + "}"), a_before);
  EXPECT_EQ(sample(text, "kube_vip_lb_connections_total{balancer=\"web\"}"), 4);
}

TEST(LoadBalancerMetricsTest, StatusListsBalancersWithBackendsAndHealth) {
  TestServer a(namedCollector("a"));
  const uint16_t dead = deadPort();
  auto lb = balancer("web", {a.port(), dead});
  lb.health_check.interval = std::chrono::minutes(10);
  uint16_t port = 0;
  auto set = startSet(lb, port);
  ASSERT_NE(exchange(port), "");
  ASSERT_NE(exchange(port), "");
  waitForNoActiveConnections(*set, "web");
  auto status = set->status();
  ASSERT_EQ(status.size(), 1u);
  EXPECT_EQ(status[0].name, "web");
  EXPECT_EQ(status[0].type, "tcp");
  ASSERT_TRUE(status[0].listening);
  EXPECT_EQ(status[0].listening->port, port);
  EXPECT_EQ(status[0].active_connections, 0);
  ASSERT_EQ(status[0].backends.size(), 2u);
  EXPECT_EQ(status[0].backends[0].endpoint, (Endpoint{kLoopback, a.port()}));
  EXPECT_TRUE(status[0].backends[0].up);
  EXPECT_EQ(status[0].backends[0].connections_total, 2u);
  EXPECT_FALSE(status[0].backends[1].up);
  EXPECT_EQ(status[0].backends[1].connections_total, 0u);
}

// Scrapes from another thread while balancers are added, changed and removed: the reader must
// only ever see whole generations (run under the TSan preset to check the locking).
TEST(LoadBalancerMetricsTest, ScrapesWhileReloading) {
  TestServer a(namedCollector("a")), b(namedCollector("b"));
  auto lb = balancer("web", {a.port()});
  uint16_t port = 0;
  auto set = startSet(lb, port);
  std::atomic<bool> stop{false};
  std::atomic<int> scrapes{0}, bad{0};
  std::thread reader([&] {
    while (!stop) {
      if (!metrics::encodeText(set->metricFamilies())) bad++;
      (void)set->status();
      scrapes++;
    }
  });
  auto with_b = lb;
  with_b.backends.push_back(config::Backend{kLoopback, b.port()});
  auto extra = balancer("extra", {b.port()});
  for (int i = 0; i < 20; ++i) {
    config::ReloadPlan grow;
    config::LoadBalancerChange change;
    change.name = "web";
    change.backends_added = {config::Backend{kLoopback, b.port()}};
    grow.load_balancers_changed.push_back(change);
    grow.load_balancers_added = {"extra"};
    ASSERT_TRUE(set->reconfigure(grow, {with_b, extra}));
    config::ReloadPlan shrink;
    change.backends_added.clear();
    change.backends_removed = {config::Backend{kLoopback, b.port()}};
    shrink.load_balancers_changed.push_back(change);
    shrink.load_balancers_removed = {"extra"};
    ASSERT_TRUE(set->reconfigure(shrink, {lb}));
  }
  stop = true;
  reader.join();
  EXPECT_EQ(bad, 0);
  EXPECT_GT(scrapes, 0);
}

}  // namespace
}  // namespace kubevip::lb
