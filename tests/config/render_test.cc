// renderConfigYaml: parseConfigYaml reads the output back to an equal Config.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/loader.h"

namespace kubevip::config {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using ::testing::HasSubstr;

void expectRoundTrip(const Config& original) {
  const std::string yaml = renderConfigYaml(original);
  auto parsed = parseConfigYaml(yaml, "rendered.yaml");
  ASSERT_TRUE(parsed.ok()) << parsed.error().message << "\n" << yaml;
  EXPECT_EQ(*parsed, original) << yaml;
  EXPECT_EQ(renderConfigYaml(*parsed), yaml);
}

TEST(RenderConfigYaml, DefaultsRoundTrip) { expectRoundTrip(Config{}); }

TEST(RenderConfigYaml, EveryFieldRoundTrips) {
  Config c;
  c.local_peer = Peer{"server1", *IpAddress::parse("192.168.0.1"), 10000};
  c.remote_peers = {Peer{"server2", *IpAddress::parse("fd00::2"), 10001},
                    Peer{"123", *IpAddress::parse("192.168.0.3"), 1}};
  c.vip = *IpAddress::parse("fd00::100");
  c.interface = "enp0s3";
  c.gratuitous_arp = false;
  c.single_node = true;
  c.start_as_leader = true;
  LoadBalancer lb;
  lb.name = "Example: a load balancer, with # and 'quotes'";
  lb.type = LoadBalancerType::kHttp;
  lb.port = 8080;
  lb.bind_to_vip = false;
  lb.backends = {Backend{*IpAddress::parse("192.168.0.1"), 8080},
                 Backend{*IpAddress::parse("fd00::1"), 65535}};
  lb.algorithm = BalanceAlgorithm::kLeastConnections;
  lb.health_check = HealthCheck{false, milliseconds(1500), milliseconds(250), 5, 6, "/x y", ""};
  lb.connect_timeout = milliseconds(90000);
  lb.idle_timeout = milliseconds(7200000);
  lb.max_connections = 3;
  lb.connect_retries = 0;
  LoadBalancer udp;
  udp.name = "dns";
  udp.type = LoadBalancerType::kUdp;
  udp.port = 53;
  udp.forwarding = ForwardingMode::kKernel;
  udp.health_check.payload = std::string("\0ping: \"x\"\n", 11);
  c.load_balancers = {lb, LoadBalancer{}, udp};
  c.load_balancers[1].name = "true";
  c.load_balancers[1].port = 1;
  c.lb_workers = 3;
  c.election =
      ElectionTiming{milliseconds(1001), milliseconds(7), milliseconds(999), milliseconds(33), 9};
  c.vip_timing = VipTiming{seconds(120), milliseconds(1), milliseconds(100), 10};
  c.kubernetes = KubernetesLease{"lock", "ns", seconds(60), seconds(30), seconds(2), "node", ""};
  expectRoundTrip(c);
}

TEST(RenderConfigYaml, ShowsEveryKeyOfOurs) {
  Config c;
  c.load_balancers.push_back(LoadBalancer{});
  const std::string yaml = renderConfigYaml(c);
  for (const char* key : {"remotePeers:",
                          "interface:",
                          "gratuitousARP: true",
                          "singleNode: false",
                          "startAsLeader: false",
                          "loadBalancers:",
                          "algorithm: roundrobin",
                          "healthCheck:",
                          "interval: 2s",
                          "rise: 2",
                          "fall: 2",
                          "path: /",
                          "connectTimeout: 3s",
                          "idleTimeout: 5m",
                          "maxConnections: 10000",
                          "connectRetries: 2",
                          "election:",
                          "timeout: 300ms",
                          "heartbeat: 50ms",
                          "leaderLease: 250ms",
                          "probeInterval: 20ms",
                          "probesUnanswered: 3",
                          "vipTiming:",
                          "lifetime: 1s",
                          "renewInterval: 200ms",
                          "announceInterval: 3s",
                          "announceBurst: 3"}) {
    EXPECT_THAT(yaml, HasSubstr(key));
  }
}

}  // namespace
}  // namespace kubevip::config
