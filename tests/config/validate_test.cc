// validateConfig: relations between values, located at the value to change.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/loader.h"

namespace kubevip::config {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

// Three lines that satisfy every required key; tests append from line 4.
constexpr const char* kBase =
    "vip: 10.0.0.100\n"
    "interface: eth0\n"
    "localPeer: {id: a, address: 10.0.0.1, port: 10000}\n";

bool onlyEth0(const std::string& name) { return name == "eth0"; }

Status parseAndValidate(const std::string& yaml) {
  auto parsed = parseConfigYaml(yaml, "config.yaml");
  if (!parsed.ok()) return parsed.error();
  return validateConfig(*parsed, onlyEth0);
}

void expectInvalid(const std::string& yaml, const std::string& prefix, const std::string& text) {
  Status s = parseAndValidate(yaml);
  ASSERT_FALSE(s.ok()) << "accepted:\n" << yaml;
  EXPECT_THAT(s.error().message, StartsWith(prefix));
  EXPECT_THAT(s.error().message, HasSubstr(text));
  EXPECT_EQ(s.error().message.find('\n'), std::string::npos);
}

TEST(ValidateConfig, BaseIsValid) {
  Status s = parseAndValidate(kBase);
  EXPECT_TRUE(s.ok()) << s.error().message;
}

TEST(ValidateConfig, VipMissing) {
  expectInvalid("interface: eth0\nlocalPeer: {id: a, address: 10.0.0.1, port: 1}\n",
                "config.yaml: vip: missing", "vip_address");
}

TEST(ValidateConfig, InterfaceMissingOrNonexistent) {
  expectInvalid("vip: 10.0.0.100\nlocalPeer: {id: a, address: 10.0.0.1, port: 1}\n",
                "config.yaml: interface: missing", "--interface");
  expectInvalid(
      "vip: 10.0.0.100\ninterface: eth7\nlocalPeer: {id: a, address: 10.0.0.1, port: 1}\n",
      "config.yaml:2:12: interface: ", "no network interface named 'eth7'");
}

TEST(ValidateConfig, LocalPeerRequiredUnlessSingleNode) {
  expectInvalid("vip: 10.0.0.100\ninterface: eth0\n", "config.yaml: localPeer: missing",
                "singleNode");
  EXPECT_TRUE(parseAndValidate("vip: 10.0.0.100\ninterface: eth0\nsingleNode: true\n").ok());
}

TEST(ValidateConfig, DuplicatePeerId) {
  expectInvalid(std::string(kBase) +
                    "remotePeers:\n"
                    "  - {id: b, address: 10.0.0.2, port: 10000}\n"
                    "  - {id: a, address: 10.0.0.3, port: 10000}\n",
                "config.yaml:6:10: remotePeers[1]: ", "duplicate peer id 'a' (also localPeer)");
}

TEST(ValidateConfig, DuplicatePeerEndpoint) {
  expectInvalid(std::string(kBase) +
                    "remotePeers:\n"
                    "  - {id: b, address: 10.0.0.2, port: 10000}\n"
                    "  - {id: c, address: 10.0.0.2, port: 10000}\n",
                "config.yaml:6:22: remotePeers[1]: ",
                "duplicate peer address 10.0.0.2:10000 (also remotePeers[0])");
  // The same address on another port is another peer (several instances on one host).
  EXPECT_TRUE(parseAndValidate(std::string(kBase) +
                               "remotePeers: [{id: b, address: 10.0.0.1, port: 10001}]\n")
                  .ok());
}

TEST(ValidateConfig, LoadBalancerRules) {
  const std::string lb = std::string(kBase) + "loadBalancers:\n  - name: web\n    port: 80\n";
  expectInvalid(lb, "config.yaml:5:5: loadBalancers[0].backends: ", "at least one");
  const std::string with_backend = lb + "    backends: [{address: 10.0.0.5, port: 80}]\n";
  EXPECT_TRUE(parseAndValidate(with_backend).ok());
  expectInvalid(
      with_backend + "  - name: web\n    port: 81\n    backends: [{address: 10.0.0.5, port: 80}]\n",
      "config.yaml:8:11: loadBalancers[1].name: ", "also the name of loadBalancers[0]");
  expectInvalid(
      with_backend + "  - name: api\n    port: 80\n    backends: [{address: 10.0.0.5, port: 80}]\n",
      "config.yaml:9:11: loadBalancers[1].port: ", "80 is also the port of");
  expectInvalid(
      lb + "    backends: [{address: 10.0.0.5, port: 80}, {address: 10.0.0.5, port: 80}]\n",
      "config.yaml:7:47: loadBalancers[0].backends[1]: ", "listed twice");
  expectInvalid(with_backend + "    healthCheck: {interval: 1s, timeout: 1s}\n",
                "config.yaml:8:42: loadBalancers[0].healthCheck.timeout: ",
                "must be shorter than healthCheck.interval (1s)");
  expectInvalid(with_backend + "    type: http\n    healthCheck: {path: health}\n",
                "config.yaml:9:25: loadBalancers[0].healthCheck.path: ", "must start with '/'");
  expectInvalid(with_backend + "    connectTimeout: 0\n",
                "config.yaml:8:21: loadBalancers[0].connectTimeout: ", "longer than 0");
  expectInvalid(std::string(kBase) +
                    "loadBalancers:\n  - port: 80\n    backends: [{address: 10.0.0.5, port: 80}]\n",
                "config.yaml:5:5: loadBalancers[0].name: ", "missing");
}

// What each data plane can carry out: udp, weights, random and sourcehash only in the kernel;
// http and leastconn only in the proxy; the kernel forwards the VIP's own port and family.
TEST(ValidateConfig, ForwardingRules) {
  const std::string lb = std::string(kBase) + "loadBalancers:\n  - name: dns\n    port: 53\n" +
                         "    backends: [{address: 10.0.0.5, port: 53, weight: 3}]\n";
  const std::string kernel = lb + "    forwarding: kernel\n";
  EXPECT_TRUE(parseAndValidate(kernel + "    type: udp\n    algorithm: sourcehash\n").ok());
  EXPECT_TRUE(parseAndValidate(kernel + "    algorithm: random\n    sourceNat: false\n").ok());
  expectInvalid(lb, "config.yaml:7:54: loadBalancers[0].backends[0].weight: ",
                "weights need 'forwarding: kernel'");
  const std::string proxy = std::string(kBase) + "loadBalancers:\n  - name: dns\n    port: 53\n" +
                            "    backends: [{address: 10.0.0.5, port: 53}]\n";
  expectInvalid(proxy + "    type: udp\n",
                "config.yaml:8:11: loadBalancers[0].type: ", "udp is balanced by the kernel only");
  expectInvalid(
      proxy + "    algorithm: sourcehash\n",
      "config.yaml:8:16: loadBalancers[0].algorithm: ", "sourcehash needs 'forwarding: kernel'");
  expectInvalid(kernel + "    type: http\n",
                "config.yaml:9:11: loadBalancers[0].type: ", "http needs 'forwarding: proxy'");
  expectInvalid(
      kernel + "    algorithm: leastconn\n",
      "config.yaml:9:16: loadBalancers[0].algorithm: ", "leastconn needs 'forwarding: proxy'");
  expectInvalid(kernel + "    bindToVip: false\n", "config.yaml:9:16: loadBalancers[0].bindToVip: ",
                "must be true with 'forwarding: kernel'");
  EXPECT_TRUE(
      parseAndValidate(kernel + "    type: udp\n    healthCheck: {payload: \"ping\\n\"}\n").ok());
  expectInvalid(kernel + "    healthCheck: {payload: ping}\n",
                "config.yaml:9:28: loadBalancers[0].healthCheck.payload: ",
                "is the datagram of a udp check; a tcp balancer's check sends none");
  expectInvalid(
      kernel + "    type: udp\n    healthCheck: {payload: " + std::string(513, 'x') + "}\n",
      "config.yaml:10:28: loadBalancers[0].healthCheck.payload: ", "513 bytes; at most 512");
  expectInvalid(
      std::string(kBase) + "loadBalancers:\n  - name: dns\n    port: 53\n    forwarding: kernel\n" +
          "    backends: [{address: 10.0.0.5, port: 53}, {address: 'fd00::5', port: 53}]\n",
      "config.yaml:8:57: loadBalancers[0].backends[1].address: ",
      "fd00::5 is not of the VIP's family (10.0.0.100)");
}

TEST(ValidateConfig, ElectionTimingRelations) {
  const std::string e = std::string(kBase) + "election:\n";
  expectInvalid(e + "  heartbeat: 200ms\n", "config.yaml:5:14: election.heartbeat: ",
                "2 x 200ms exceeds election.leaderLease (250ms)");
  expectInvalid(e + "  leaderLease: 300ms\n", "config.yaml:5:16: election.leaderLease: ",
                "must be shorter than election.timeout (300ms)");
  // Located at the key that was set, when the other one is a default.
  expectInvalid(e + "  timeout: 200ms\n",
                "config.yaml:5:12: election.leaderLease: ", "lower leaderLease or raise timeout");
  expectInvalid(e + "  probeInterval: 100ms\n", "config.yaml:5:18: election.probeInterval: ",
                "100ms x 3 probesUnanswered = 300ms must be shorter than election.timeout");
  expectInvalid(e + "  probesUnanswered: 20\n", "config.yaml:5:21: election.probeInterval: ",
                "lower probeInterval or probesUnanswered");
  expectInvalid(e + "  heartbeat: 0\n", "config.yaml:5:14: election.heartbeat: ", "longer than 0");
  EXPECT_TRUE(
      parseAndValidate(e + "  timeout: 1s\n  leaderLease: 900ms\n  heartbeat: 450ms\n").ok());
}

TEST(ValidateConfig, VipTimingRelations) {
  const std::string v = std::string(kBase) + "vipTiming:\n";
  expectInvalid(v + "  renewInterval: 600ms\n", "config.yaml:5:18: vipTiming.renewInterval: ",
                "2 x 600ms exceeds vipTiming.lifetime (1s)");
  expectInvalid(v + "  lifetime: 0s\n",
                "config.yaml:5:13: vipTiming.lifetime: ", "must be at least 1s");
  expectInvalid(v + "  announceInterval: 50ms\n",
                "config.yaml:5:21: vipTiming.announceInterval: ", "minimum of 100ms");
  expectInvalid(v + "  announceBurst: 0\n",
                "config.yaml:5:18: vipTiming.announceBurst: ", "0 is out of range (1-10)");
  expectInvalid(v + "  announceBurst: 11\n",
                "config.yaml:5:18: vipTiming.announceBurst: ", "11 is out of range (1-10)");
  EXPECT_TRUE(parseAndValidate(v + "  lifetime: 2s\n  renewInterval: 1s\n").ok());
}

TEST(ValidateConfig, KubernetesLeaseRelations) {
  const std::string k = std::string(kBase) + "kubernetes:\n";
  EXPECT_TRUE(parseAndValidate(k + "  identity: n1\n").ok());
  expectInvalid(k + "  renewDeadline: 5s\n", "config.yaml:5:18: kubernetes.renewDeadline: ",
                "must be shorter than kubernetes.leaseDuration (5s)");
  expectInvalid(k + "  retryPeriod: 3s\n", "config.yaml:5:16: kubernetes.renewDeadline: ",
                "1.2 x kubernetes.retryPeriod (3s)");
  // A VIP lifetime that outlives the Lease's margin: a dead leader's VIP could still be up when
  // another node may take over.
  expectInvalid(std::string(kBase) + "vipTiming:\n  lifetime: 3s\nkubernetes:\n  identity: n1\n",
                "config.yaml:5:13: vipTiming.lifetime: ",
                "3s + 1s of kernel expiry rounding exceeds kubernetes.renewDeadline (3s)");
  EXPECT_TRUE(parseAndValidate(std::string(kBase) +
                               "vipTiming:\n  lifetime: 3s\nkubernetes:\n  renewDeadline: 4s\n"
                               "  leaseDuration: 6s\n  identity: n1\n")
                  .ok());
  expectInvalid(k + "  leaseName: \"\"\n",
                "config.yaml:5:14: kubernetes.leaseName: ", "must not be empty");
}

// A clean stop must end before the kubelet kills the pod (config/stop_timing.h).
TEST(ValidateConfig, StopFitsInAPodsGracePeriod) {
  const std::string k = std::string(kBase) + "kubernetes:\n  leaseDuration: 60s\n";
  EXPECT_TRUE(parseAndValidate(k + "  renewDeadline: 30s\n  retryPeriod: 14s\n").ok());
  expectInvalid(k + "  renewDeadline: 30s\n  retryPeriod: 15s\n",
                "config.yaml:7:16: kubernetes.retryPeriod: ",
                "up to 30200ms, longer than the 30s a pod gets to stop");
  const std::string e = std::string(kBase) + "election:\n";
  EXPECT_TRUE(parseAndValidate(e + "  timeout: 14s\n").ok());
  expectInvalid(e + "  timeout: 15s\n", "config.yaml:5:12: election.timeout: ",
                "wait 2 x timeout for the leadership transfer: a stop takes up to 30200ms");
}

TEST(ValidateConfig, LogLevel) {
  auto parsed = parseConfigYaml(kBase, "config.yaml");
  ASSERT_TRUE(parsed.ok());
  parsed->log_level = "loud";
  parsed->origins.set("logLevel", "flag --log");
  Status s = validateConfig(*parsed, onlyEth0);
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.error().message, StartsWith("flag --log: logLevel: 'loud' is not one of trace"));
}

TEST(ValidateConfig, BuiltInCodeHasNoOrigins) {
  Config c;
  c.interface = "eth0";
  c.single_node = true;
  Status s = validateConfig(c, onlyEth0);
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.error().message, StartsWith("vip: missing"));
}

TEST(ValidateConfig, OperationsKeys) {
  EXPECT_TRUE(parseAndValidate(std::string(kBase) +
                               "prometheusServer: '[::1]:9100'\nhealthCheckPort: 8081\n"
                               "statusSocket: /run/kv/kv.sock\nlogLevel: debug\n")
                  .ok());
  EXPECT_TRUE(
      parseAndValidate(std::string(kBase) + "prometheusServer: ''\nstatusSocket: ''\n").ok());
  expectInvalid(std::string(kBase) + "prometheusServer: 2112\n",
                "config.yaml:4:19: ", "prometheusServer \"2112\": missing ':port'");
  expectInvalid(std::string(kBase) + "prometheusServer: ':0'\n",
                "config.yaml:4:19: prometheusServer: ", "give a port");
  expectInvalid(std::string(kBase) + "statusSocket: kv.sock\n",
                "config.yaml:4:15: statusSocket: ", "'kv.sock' is not an absolute path");
  expectInvalid(std::string(kBase) + "statusSocket: /" + std::string(120, 'a') + "\n",
                "config.yaml:4:15: statusSocket: ", "at most 107");
  expectInvalid(std::string(kBase) + "healthCheckPort: 70000\n", "config.yaml:4:18: ", "(0-65535)");
  expectInvalid(std::string(kBase) + "logLevel: loud\n",
                "config.yaml:4:11: logLevel: ", "'loud' is not one of");
}

}  // namespace
}  // namespace kubevip::config
