// parseConfigYaml and loadConfigFile: every key, and errors located at their node.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "config/loader.h"

namespace kubevip::config {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr const char* kFull = R"(localPeer:
  id: server1
  address: 192.168.0.1
  port: 10000
remotePeers:
  - id: server2
    address: 192.168.0.2
    port: 10001
  - {id: server3, address: "fd00::3", port: 10002}
vip: 192.168.0.100
interface: eth0
gratuitousARP: false
singleNode: true
startAsLeader: true
loadBalancers:
  - name: web
    type: http
    port: 8080
    bindToVip: false
    backends:
      - {address: 192.168.0.1, port: 80}
      - address: "fd00::2"
        port: 81
    algorithm: leastconn
    healthCheck:
      enabled: false
      interval: 5s
      timeout: 500ms
      rise: 3
      fall: 4
      path: /healthz
    connectTimeout: 1s
    idleTimeout: 1m
    maxConnections: 500
    connectRetries: 1
  - name: tcp
    port: 6443
    backends: [{address: 10.0.0.1, port: 6443}]
loadBalancerWorkers: 3
election:
  timeout: 1s
  heartbeat: 100ms
  leaderLease: 800ms
  probeInterval: 50ms
  probesUnanswered: 4
vipTiming:
  lifetime: 2s
  renewInterval: 500ms
  announceInterval: 10s
  announceBurst: 5
kubernetes:
  leaseName: my-lock
  leaseNamespace: kv
  leaseDuration: 15s
  renewDeadline: 10s
  retryPeriod: 2s
  identity: node-a
  kubeconfig: /etc/kubeconfig
  apiServerPort: 16443
  useKubeconfigServer: true
)";

TEST(ParseConfigYaml, ReadsEveryKey) {
  auto parsed = parseConfigYaml(kFull, "full.yaml");
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  const Config& c = *parsed;
  ASSERT_TRUE(c.local_peer);
  EXPECT_EQ(c.local_peer->id, "server1");
  EXPECT_EQ(c.local_peer->address, *IpAddress::parse("192.168.0.1"));
  EXPECT_EQ(c.local_peer->port, 10000);
  ASSERT_EQ(c.remote_peers.size(), 2u);
  EXPECT_EQ(c.remote_peers[0].id, "server2");
  EXPECT_EQ(c.remote_peers[0].port, 10001);
  EXPECT_EQ(c.remote_peers[1].address, *IpAddress::parse("fd00::3"));
  EXPECT_EQ(c.vip, *IpAddress::parse("192.168.0.100"));
  EXPECT_EQ(c.interface, "eth0");
  EXPECT_FALSE(c.gratuitous_arp);
  EXPECT_TRUE(c.single_node);
  EXPECT_TRUE(c.start_as_leader);

  ASSERT_EQ(c.load_balancers.size(), 2u);
  const LoadBalancer& web = c.load_balancers[0];
  EXPECT_EQ(web.name, "web");
  EXPECT_EQ(web.type, LoadBalancerType::kHttp);
  EXPECT_EQ(web.port, 8080);
  EXPECT_FALSE(web.bind_to_vip);
  ASSERT_EQ(web.backends.size(), 2u);
  EXPECT_EQ(web.backends[0].address, *IpAddress::parse("192.168.0.1"));
  EXPECT_EQ(web.backends[0].port, 80);
  EXPECT_EQ(web.backends[1].address, *IpAddress::parse("fd00::2"));
  EXPECT_EQ(web.backends[1].port, 81);
  EXPECT_EQ(web.algorithm, BalanceAlgorithm::kLeastConnections);
  EXPECT_FALSE(web.health_check.enabled);
  EXPECT_EQ(web.health_check.interval, milliseconds(5000));
  EXPECT_EQ(web.health_check.timeout, milliseconds(500));
  EXPECT_EQ(web.health_check.rise, 3);
  EXPECT_EQ(web.health_check.fall, 4);
  EXPECT_EQ(web.health_check.http_path, "/healthz");
  EXPECT_EQ(web.connect_timeout, milliseconds(1000));
  EXPECT_EQ(web.idle_timeout, milliseconds(60000));
  EXPECT_EQ(web.max_connections, 500);
  EXPECT_EQ(web.connect_retries, 1);
  // Absent keys keep the defaults.
  const LoadBalancer& tcp = c.load_balancers[1];
  EXPECT_EQ(tcp.type, LoadBalancerType::kTcp);
  EXPECT_TRUE(tcp.bind_to_vip);
  EXPECT_EQ(tcp.algorithm, BalanceAlgorithm::kRoundRobin);
  EXPECT_EQ(tcp.health_check, HealthCheck{});
  EXPECT_EQ(tcp.connect_timeout, LoadBalancer{}.connect_timeout);
  EXPECT_EQ(c.lb_workers, 3);

  EXPECT_EQ(c.election.election_timeout, milliseconds(1000));
  EXPECT_EQ(c.election.heartbeat_interval, milliseconds(100));
  EXPECT_EQ(c.election.leader_lease, milliseconds(800));
  EXPECT_EQ(c.election.probe_interval, milliseconds(50));
  EXPECT_EQ(c.election.probes_unanswered, 4);
  EXPECT_EQ(c.vip_timing.valid_lifetime, seconds(2));
  EXPECT_EQ(c.vip_timing.renew_interval, milliseconds(500));
  EXPECT_EQ(c.vip_timing.announce_interval, milliseconds(10000));
  EXPECT_EQ(c.vip_timing.announce_burst, 5);
  ASSERT_TRUE(c.kubernetes);
  EXPECT_EQ(c.kubernetes->lease_name, "my-lock");
  EXPECT_EQ(c.kubernetes->lease_namespace, "kv");
  EXPECT_EQ(c.kubernetes->lease_duration, seconds(15));
  EXPECT_EQ(c.kubernetes->renew_deadline, seconds(10));
  EXPECT_EQ(c.kubernetes->retry_period, seconds(2));
  EXPECT_EQ(c.kubernetes->identity, "node-a");
  EXPECT_EQ(c.kubernetes->kubeconfig_path, "/etc/kubeconfig");
  EXPECT_EQ(c.kubernetes->apiserver_port, 16443);
  EXPECT_TRUE(c.kubernetes->use_kubeconfig_server);

  EXPECT_TRUE(validateConfig(c, [](const std::string& n) { return n == "eth0"; }).ok());
}

TEST(ParseConfigYaml, EmptyDocumentGivesDefaults) {
  auto parsed = parseConfigYaml("# nothing\n", "empty.yaml");
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(*parsed, Config{});
}

TEST(ParseConfigYaml, RecordsWhereValuesCameFrom) {
  auto parsed = parseConfigYaml(kFull, "full.yaml");
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->origins.find("remotePeers[0].port"), "full.yaml:8:11");
  EXPECT_EQ(parsed->origins.find("vip"), "full.yaml:10:6");
  // A key below a recorded one falls back to its parent; an absent top-level key to the file.
  EXPECT_EQ(parsed->origins.find("remotePeers[1].port"), "full.yaml:9:45");
  EXPECT_EQ(parsed->origins.find("nothing"), "full.yaml");
}

// Each error is a single line "file:line:col: key.path: message".
void expectParseError(std::string_view yaml, const std::string& location, const std::string& key,
                      const std::string& text) {
  auto parsed = parseConfigYaml(yaml, "config.yaml");
  ASSERT_FALSE(parsed.ok()) << "accepted:\n" << yaml;
  const std::string& message = parsed.error().message;
  EXPECT_THAT(message,
              StartsWith("config.yaml:" + location + ": " + key + (key.empty() ? "" : ": ")));
  EXPECT_THAT(message, HasSubstr(text));
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;
}

TEST(ParseConfigYamlErrors, SyntaxError) {
  expectParseError("vip: 10.0.0.1\nremotePeers: [a\n", "3:1", "", "YAML syntax error");
  expectParseError("vip: 10.0.0.1\n  interface: eth0\n", "2:12", "", "YAML syntax error");
}

TEST(ParseConfigYamlErrors, OneDocumentOnly) {
  expectParseError("vip: 10.0.0.1\n---\nvip: 10.0.0.2\n", "3:1", "", "a second YAML document");
}

// yaml-cpp 0.7 alone allocates without end on these.
TEST(ParseConfigYamlErrors, DocumentsTheParserLoopsOnAreRejected) {
  expectParseError(",vip: 10.0.0.1\n", "1:1", "",
                   "YAML syntax error: the parser makes no progress");
  expectParseError("vip: 10.0.0.1\n---\n,b\n", "3:1", "", "YAML syntax error");
}

TEST(ParseConfigYamlErrors, TopLevelMustBeAMapping) {
  expectParseError("- vip\n", "1:1", "", "expected a mapping of configuration keys");
}

TEST(ParseConfigYamlErrors, UnknownKeyListsTheAllowedOnes) {
  expectParseError("vip: 10.0.0.1\nvips: 10.0.0.2\n", "2:1", "vips",
                   "unknown key; allowed here: localPeer, remotePeers, vip");
  expectParseError(
      "election:\n  timeout: 1s\n  heartbeats: 10ms\n", "3:3", "election.heartbeats",
      "allowed here: type, timeout, heartbeat, leaderLease, probeInterval, probesUnanswered, "
      "endpoints, tls, ttl, key");
  expectParseError("localPeer: {id: a, address: 10.0.0.1, port: 1, name: x}\n", "1:48",
                   "localPeer.name", "allowed here: id, address, port");
  expectParseError("loadBalancers:\n  - port: 80\n    healthCheck: {path: /, url: /x}\n", "3:28",
                   "loadBalancers[0].healthCheck.url", "allowed here: enabled, interval");
}

TEST(ParseConfigYaml, ReadsAUdpCheckPayload) {
  auto parsed = parseConfigYaml(
      "loadBalancers:\n  - name: dns\n    type: udp\n    port: 53\n"
      "    healthCheck: {payload: \"status\\n\"}\n",
      "udp.yaml");
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(parsed->load_balancers[0].health_check.payload, "status\n");
}

TEST(ParseConfigYamlErrors, DuplicateKey) {
  expectParseError("vip: 10.0.0.1\nvip: 10.0.0.2\n", "2:1", "vip", "duplicate key");
}

TEST(ParseConfigYamlErrors, WrongType) {
  expectParseError("gratuitousARP: [true]\n", "1:16", "gratuitousARP",
                   "expected a boolean (true or false), got a list");
  expectParseError("singleNode: yes please\n", "1:13", "singleNode",
                   "'yes please' is not a boolean");
  expectParseError("startAsLeader:\n", "1:1", "startAsLeader", "no value");
  expectParseError("remotePeers: server2\n", "1:14", "remotePeers",
                   "expected a list, got 'server2'");
  expectParseError("remotePeers:\n  - server2:10.0.0.2:1\n", "2:5", "remotePeers[0]",
                   "expected a mapping with keys id, address, port");
  expectParseError("election: 300ms\n", "1:11", "election", "expected a mapping");
  expectParseError("interface: {name: eth0}\n", "1:12", "interface", "expected a string");
  expectParseError("election:\n  probesUnanswered: many\n", "2:21", "election.probesUnanswered",
                   "'many' is not a whole number");
  expectParseError("loadBalancerWorkers: 257\n", "1:22", "loadBalancerWorkers",
                   "257 is out of range (0-256)");
  expectParseError("loadBalancerWorkers: auto\n", "1:22", "loadBalancerWorkers",
                   "'auto' is not a whole number");
  expectParseError("loadBalancers:\n  - port: 80\n    maxConnections: 0\n", "3:21",
                   "loadBalancers[0].maxConnections", "0 is out of range (1-1000000)");
}

TEST(ParseConfigYamlErrors, MissingPeerKey) {
  expectParseError("remotePeers:\n  - {id: a, port: 1}\n", "2:5", "remotePeers[0]",
                   "missing key 'address'");
}

TEST(ParseConfigYamlErrors, MalformedAddress) {
  expectParseError("vip: 10.0.0.256\n", "1:6", "vip", "'10.0.0.256' is not an IPv4 or IPv6");
  expectParseError("vip: 0.0.0.0\n", "1:6", "vip", "unspecified address");
  expectParseError("remotePeers:\n  - id: b\n    address: fd00::zz\n    port: 1\n", "3:14",
                   "remotePeers[0].address", "'fd00::zz' is not an IPv4 or IPv6");
  expectParseError("loadBalancers:\n  - port: 80\n    backends: [{address: web1, port: 80}]\n",
                   "3:26", "loadBalancers[0].backends[0].address", "'web1'");
}

TEST(ParseConfigYamlErrors, PortOutOfRange) {
  const char* kPeers =
      "remotePeers:\n  - {id: a, address: 10.0.0.1, port: 1}\n  - id: b\n"
      "    address: 10.0.0.2\n    port: ";
  expectParseError(std::string(kPeers) + "70000\n", "5:11", "remotePeers[1].port",
                   "70000 is out of range (1-65535)");
  expectParseError(std::string(kPeers) + "0\n", "5:11", "remotePeers[1].port",
                   "0 is out of range (1-65535)");
  expectParseError(std::string(kPeers) + "-1\n", "5:11", "remotePeers[1].port",
                   "-1 is out of range (1-65535)");
  expectParseError(std::string(kPeers) + "abc\n", "5:11", "remotePeers[1].port",
                   "'abc' is not a port number (1-65535)");
  expectParseError("loadBalancers:\n  - port: 65536\n", "2:11", "loadBalancers[0].port",
                   "65536 is out of range");
}

TEST(ParseConfigYamlErrors, BadPeerId) {
  expectParseError("localPeer: {id: \"../x\", address: 10.0.0.1, port: 1}\n", "1:17",
                   "localPeer.id", "may only contain");
}

TEST(ParseConfigYamlErrors, UnknownLoadBalancerTypeAndAlgorithm) {
  expectParseError("loadBalancers:\n  - port: 80\n    type: sctp\n", "3:11",
                   "loadBalancers[0].type",
                   "'sctp' is not a load balancer type; use tcp, http or udp");
  expectParseError("loadBalancers:\n  - port: 80\n    algorithm: fastest\n", "3:16",
                   "loadBalancers[0].algorithm", "'fastest' is not a balancing algorithm");
  expectParseError("loadBalancers:\n  - port: 80\n    forwarding: ipvs\n", "3:17",
                   "loadBalancers[0].forwarding",
                   "'ipvs' is not a forwarding mode; use proxy or kernel");
  expectParseError(
      "loadBalancers:\n  - port: 80\n    backends:\n      - {address: 10.0.0.1, port: 80, weight: "
      "0}\n",
      "4:47", "loadBalancers[0].backends[0].weight", "0 is out of range (1-256)");
  expectParseError("loadBalancers:\n  - name: x\n", "2:5", "loadBalancers[0]",
                   "missing key 'port'");
}

TEST(ParseConfigYamlErrors, BadDuration) {
  expectParseError("election:\n  timeout: fast\n", "2:12", "election.timeout",
                   "'fast' is not a duration");
  expectParseError("vipTiming:\n  lifetime: 1500ms\n", "2:13", "vipTiming.lifetime",
                   "not a whole number of seconds");
  expectParseError("vipTiming:\n  lifetime: 2\n", "2:13", "vipTiming.lifetime",
                   "plain numbers are milliseconds");
  expectParseError("loadBalancers:\n  - port: 80\n    idleTimeout: -5s\n", "3:18",
                   "loadBalancers[0].idleTimeout", "negative");
}

TEST(LoadConfigFile, MissingFileNamesThePath) {
  auto parsed = loadConfigFile("/nonexistent/kube-vip.yaml");
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(parsed.error().describe(),
            "cannot open configuration file /nonexistent/kube-vip.yaml: No such file or directory");
}

TEST(LoadConfigFile, DirectoryIsRejected) {
  auto parsed = loadConfigFile("/tmp");
  ASSERT_FALSE(parsed.ok());
  EXPECT_THAT(parsed.error().message, HasSubstr("is a directory"));
}

TEST(LoadConfigFile, ReadsAndLocatesErrorsByPath) {
  char path[] = "/tmp/kubevip-config-test-XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  close(fd);
  std::ofstream(path) << "vip: 10.0.0.1\ninterface: eth0\nsingleNode: maybe\n";
  auto parsed = loadConfigFile(path);
  std::remove(path);
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.error().message,
            std::string(path) + ":3:13: singleNode: 'maybe' is not a boolean (use true or false)");
}

}  // namespace
}  // namespace kubevip::config
