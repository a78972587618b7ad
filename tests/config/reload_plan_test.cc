// planReload: what a reload may change live, what needs a restart, and invalid files refused.
#include "config/reload_plan.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "config/loader.h"

namespace kubevip::config {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

bool eth0OrEth1(const std::string& name) { return name == "eth0" || name == "eth1"; }

// Two nodes and two load balancers; tests replace lines of it.
constexpr const char* kRunning =
    "vip: 10.0.0.100\n"
    "interface: eth0\n"
    "localPeer: {id: a, address: 10.0.0.1, port: 10000}\n"
    "remotePeers:\n"
    "  - {id: b, address: 10.0.0.2, port: 10000}\n"
    "loadBalancers:\n"
    "  - name: web\n"
    "    port: 80\n"
    "    backends:\n"
    "      - {address: 10.0.1.1, port: 8080}\n"
    "      - {address: 10.0.1.2, port: 8080}\n"
    "  - name: api\n"
    "    port: 6443\n"
    "    backends:\n"
    "      - {address: 10.0.2.1, port: 6443}\n";

Config parse(const std::string& yaml) {
  auto parsed = parseConfigYaml(yaml, "config.yaml");
  EXPECT_TRUE(parsed.ok()) << parsed.error().message << "\n" << yaml;
  return parsed.ok() ? *parsed : Config{};
}

// kRunning with the first occurrence of `from` replaced by `to`.
std::string edited(const std::string& from, const std::string& to) {
  std::string yaml = kRunning;
  const size_t at = yaml.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) yaml.replace(at, from.size(), to);
  return yaml;
}

Result<ReloadPlan> plan(const std::string& next_yaml) {
  return planReload(parse(kRunning), parse(next_yaml), eth0OrEth1);
}

std::string refusal(const std::string& next_yaml) {
  auto result = plan(next_yaml);
  EXPECT_FALSE(result.ok()) << "accepted:\n" << next_yaml;
  return result.ok() ? "" : result.error().message;
}

TEST(PlanReload, SameFileChangesNothing) {
  auto result = plan(kRunning);
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_TRUE(result->empty());
  EXPECT_THAT(result->load_balancers_unchanged, ElementsAre("web", "api"));
}

TEST(PlanReload, InvalidNextIsRefusedWithTheValidatorsError) {
  // Only a live timing changes, but 2 x renewInterval exceeds the lifetime.
  const std::string message =
      refusal(std::string(kRunning) + "vipTiming: {renewInterval: 600ms}\n");
  EXPECT_THAT(message, HasSubstr("config.yaml:16:28: vipTiming.renewInterval: 2 x 600ms"));
  // Also ahead of restart keys: the file is wrong before it is a restart.
  EXPECT_THAT(refusal(edited("interface: eth0", "interface: eth9")),
              HasSubstr("no network interface named 'eth9'"));
  EXPECT_THAT(refusal(edited("      - {address: 10.0.2.1, port: 6443}\n", "")),
              HasSubstr("loadBalancers[1].backends: empty"));
}

TEST(PlanReload, EveryKeyNeedingARestartIsNamedWithWhereItWasSet) {
  std::string next = edited("vip: 10.0.0.100", "vip: 10.0.0.101");
  next.replace(next.find("eth0"), 4, "eth1");
  next.replace(next.find("id: b"), 5, "id: c");
  next += "startAsLeader: true\n";
  next += "gratuitousARP: false\n";
  next += "election: {timeout: 400ms, heartbeat: 60ms, leaderLease: 300ms}\n";
  next += "vipTiming: {lifetime: 2s}\n";
  const std::string message = refusal(next);
  EXPECT_THAT(message, HasSubstr("a reload cannot change vip (config.yaml:1:6), interface "
                                 "(config.yaml:2:12), remotePeers (config.yaml:5:3), "
                                 "startAsLeader (config.yaml:16:16), gratuitousARP "
                                 "(config.yaml:17:16), election.timeout (config.yaml:18:21), "
                                 "election.heartbeat (config.yaml:18:39), election.leaderLease "
                                 "(config.yaml:18:58), vipTiming.lifetime (config.yaml:19:23); "
                                 "restart kube-vip to apply them (the running configuration is "
                                 "kept)"));
}

TEST(PlanReload, PeersAndClusterMembershipNeedARestart) {
  EXPECT_THAT(refusal(edited("id: a, address: 10.0.0.1", "id: a, address: 10.0.0.3")),
              HasSubstr("cannot change localPeer ("));
  EXPECT_THAT(refusal(edited("  - {id: b, address: 10.0.0.2, port: 10000}\n",
                             "  - {id: b, address: 10.0.0.2, port: 10000}\n"
                             "  - {id: c, address: 10.0.0.3, port: 10000}\n")),
              HasSubstr("cannot change remotePeers ("));
  EXPECT_THAT(refusal(std::string(kRunning) + "singleNode: true\n"),
              HasSubstr("cannot change singleNode (config.yaml:16:13)"));
}

TEST(PlanReload, LoadBalancerWorkersNeedARestart) {
  EXPECT_THAT(refusal(std::string(kRunning) + "loadBalancerWorkers: 3\n"),
              HasSubstr("cannot change loadBalancerWorkers (config.yaml:16:22)"));
}

TEST(PlanReload, ClusterKeyFileNeedsARestart) {
  char dir[] = "/tmp/kubevip-reload-plan-XXXXXX";
  ASSERT_NE(::mkdtemp(dir), nullptr);
  const std::string path = std::string(dir) + "/cluster.key";
  std::ofstream(path) << std::string(64, 'a') << "\n";
  const std::string message = refusal(std::string(kRunning) + "clusterKeyFile: " + path + "\n");
  std::filesystem::remove_all(dir);
  EXPECT_THAT(message, HasSubstr("cannot change clusterKeyFile (config.yaml:16:17)"));
}

TEST(PlanReload, AChangedClusterKeyIsNamedButNotWritten) {
  Config running = parse(kRunning);
  Config next = running;
  running.cluster_key = std::string(64, 'a');
  next.cluster_key = std::string(64, 'b');
  auto result = planReload(running, next, eth0OrEth1);
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(result.error().message, HasSubstr("the cluster key (vip_clusterkey)"));
  EXPECT_THAT(result.error().message, Not(HasSubstr("bbbb")));
}

TEST(PlanReload, DataDirectoryNeedsARestart) {
  Config running = parse(kRunning);
  Config next = running;
  next.data_dir = "/var/lib/other";
  auto result = planReload(running, next, eth0OrEth1);
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(result.error().message, HasSubstr("cannot change the data directory (--data-dir)"));
}

constexpr const char* kLeaseRunning =
    "vip: 10.0.0.100\n"
    "interface: eth0\n"
    "kubernetes: {leaseName: cp, leaseNamespace: kube-system, identity: node-1}\n";

TEST(PlanReload, LeaseIdentityAndTimingsNeedARestart) {
  const Config running = parse(kLeaseRunning);
  auto refuse = [&running](const std::string& next_yaml) {
    auto result = planReload(running, parse(next_yaml), eth0OrEth1);
    EXPECT_FALSE(result.ok()) << next_yaml;
    return result.ok() ? "" : result.error().message;
  };
  EXPECT_THAT(refuse("vip: 10.0.0.100\ninterface: eth0\n"
                     "kubernetes: {leaseName: cp2, leaseNamespace: other, identity: node-2}\n"),
              HasSubstr("cannot change kubernetes.leaseName (config.yaml:3:25), "
                        "kubernetes.leaseNamespace (config.yaml:3:46), kubernetes.identity "
                        "(config.yaml:3:63);"));
  EXPECT_THAT(refuse("vip: 10.0.0.100\ninterface: eth0\n"
                     "kubernetes: {leaseName: cp, leaseNamespace: kube-system, identity: node-1,"
                     " leaseDuration: 6s, renewDeadline: 4s, retryPeriod: 2s}\n"),
              HasSubstr("cannot change kubernetes.leaseDuration (config.yaml:3:91), "
                        "kubernetes.renewDeadline (config.yaml:3:110), kubernetes.retryPeriod "
                        "(config.yaml:3:127);"));
  // From a Lease to Raft: another elector altogether.
  EXPECT_THAT(
      refuse("vip: 10.0.0.100\ninterface: eth0\nlocalPeer: {id: a, address: 10.0.0.1, port: 1}\n"),
      HasSubstr("cannot change localPeer (config.yaml:3:12), kubernetes (config.yaml);"));
}

TEST(PlanReload, LogLevelChangesLive) {
  Config running = parse(kRunning);
  Config next = running;
  next.log_level = "debug";
  auto result = planReload(running, next, eth0OrEth1);
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_EQ(result->log_level, "debug");
  EXPECT_FALSE(result->empty());
  EXPECT_THAT(result->live_timings, IsEmpty());
}

TEST(PlanReload, TimingsOfThisNodesOwnStepsChangeLive) {
  auto result = plan(std::string(kRunning) +
                     "election: {probeInterval: 30ms, probesUnanswered: 4}\n"
                     "vipTiming: {renewInterval: 250ms, announceInterval: 5s, announceBurst: 5}\n");
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_THAT(
      result->live_timings,
      ElementsAre("election.probeInterval", "election.probesUnanswered", "vipTiming.renewInterval",
                  "vipTiming.announceInterval", "vipTiming.announceBurst"));
  EXPECT_FALSE(result->log_level);
  EXPECT_THAT(result->load_balancers_changed, IsEmpty());
}

TEST(PlanReload, LoadBalancersAddedRemovedAndUnchangedByName) {
  // api removed, db added, web untouched.
  auto result =
      plan(edited("  - name: api\n    port: 6443\n    backends:\n"
                  "      - {address: 10.0.2.1, port: 6443}\n",
                  "  - name: db\n    port: 5432\n    backends:\n"
                  "      - {address: 10.0.3.1, port: 5432}\n"));
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_THAT(result->load_balancers_added, ElementsAre("db"));
  EXPECT_THAT(result->load_balancers_removed, ElementsAre("api"));
  EXPECT_THAT(result->load_balancers_unchanged, ElementsAre("web"));
  EXPECT_THAT(result->load_balancers_changed, IsEmpty());
}

TEST(PlanReload, ARenamedBalancerOnTheSamePortIsRemovedAndAdded) {
  auto result = plan(edited("name: api", "name: kube-api"));
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_THAT(result->load_balancers_added, ElementsAre("kube-api"));
  EXPECT_THAT(result->load_balancers_removed, ElementsAre("api"));
}

TEST(PlanReload, BackendsAddedAndRemovedAreListed) {
  auto result = plan(edited("      - {address: 10.0.1.1, port: 8080}\n",
                            "      - {address: 10.0.1.3, port: 8080}\n"
                            "      - {address: 10.0.1.4, port: 8080}\n"));
  ASSERT_TRUE(result.ok()) << result.error().message;
  ASSERT_EQ(result->load_balancers_changed.size(), 1u);
  const LoadBalancerChange& web = result->load_balancers_changed[0];
  EXPECT_EQ(web.name, "web");
  ASSERT_EQ(web.backends_added.size(), 2u);
  EXPECT_EQ(web.backends_added[0].address.toString(), "10.0.1.3");
  EXPECT_EQ(web.backends_added[1].address.toString(), "10.0.1.4");
  ASSERT_EQ(web.backends_removed.size(), 1u);
  EXPECT_EQ(web.backends_removed[0].address.toString(), "10.0.1.1");
  EXPECT_FALSE(web.listener || web.algorithm || web.health_check || web.limits || web.timeouts);
  EXPECT_THAT(result->load_balancers_unchanged, ElementsAre("api"));
}

TEST(PlanReload, BackendsOnlyReorderedAreUnchanged) {
  auto result =
      plan(edited("      - {address: 10.0.1.1, port: 8080}\n"
                  "      - {address: 10.0.1.2, port: 8080}\n",
                  "      - {address: 10.0.1.2, port: 8080}\n"
                  "      - {address: 10.0.1.1, port: 8080}\n"));
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_TRUE(result->empty());
  EXPECT_THAT(result->load_balancers_unchanged, ElementsAre("web", "api"));
}

// Each part of a balancer that may change, changed alone in `api`.
struct PartCase {
  const char* yaml;
  bool LoadBalancerChange::*part;
};

TEST(PlanReload, EachPartOfABalancerIsReportedAlone) {
  const PartCase cases[] = {
      {"    port: 6444\n", &LoadBalancerChange::listener},
      {"    port: 6443\n    type: http\n", &LoadBalancerChange::listener},
      {"    port: 6443\n    bindToVip: false\n", &LoadBalancerChange::listener},
      {"    port: 6443\n    algorithm: leastconn\n", &LoadBalancerChange::algorithm},
      {"    port: 6443\n    healthCheck: {interval: 5s}\n", &LoadBalancerChange::health_check},
      {"    port: 6443\n    healthCheck: {enabled: false}\n", &LoadBalancerChange::health_check},
      {"    port: 6443\n    maxConnections: 10\n", &LoadBalancerChange::limits},
      {"    port: 6443\n    connectRetries: 0\n", &LoadBalancerChange::limits},
      {"    port: 6443\n    connectTimeout: 1s\n", &LoadBalancerChange::timeouts},
      {"    port: 6443\n    idleTimeout: 1m\n", &LoadBalancerChange::timeouts},
  };
  for (const PartCase& c : cases) {
    SCOPED_TRACE(c.yaml);
    auto result = plan(edited("    port: 6443\n", c.yaml));
    ASSERT_TRUE(result.ok()) << result.error().message;
    ASSERT_EQ(result->load_balancers_changed.size(), 1u);
    LoadBalancerChange expected;
    expected.name = "api";
    expected.*c.part = true;
    EXPECT_EQ(result->load_balancers_changed[0], expected);
    EXPECT_THAT(result->load_balancers_unchanged, ElementsAre("web"));
  }
}

TEST(PlanReload, DescribedInOneLine) {
  std::string next = edited("      - {address: 10.0.1.1, port: 8080}\n",
                            "      - {address: 10.0.1.3, port: 8080}\n");
  next.replace(next.find("    port: 80\n"), 12, "    port: 80\n    healthCheck: {interval: 5s}\n");
  next.replace(next.find("name: api"), 9, "name: db");
  next += "vipTiming: {renewInterval: 250ms}\n";
  Config running = parse(kRunning);
  Config parsed_next = parse(next);
  parsed_next.log_level = "debug";
  auto result = planReload(running, parsed_next, eth0OrEth1);
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_EQ(describeReloadPlan(*result),
            "log level debug; vipTiming.renewInterval; load balancers added db, removed api, "
            "changed web (backends +10.0.1.3:8080 -10.0.1.1:8080, health check)");
  EXPECT_EQ(describeReloadPlan(ReloadPlan{}), "nothing changes");
}

TEST(PlanReload, OperationsEndpointsNeedARestartButTheLogLevelDoesNot) {
  const std::string message = refusal(std::string(kRunning) +
                                      "prometheusServer: 127.0.0.1:9100\n"
                                      "healthCheckPort: 8081\n"
                                      "statusSocket: /run/other.sock\n");
  EXPECT_THAT(message, HasSubstr("cannot change prometheusServer (config.yaml:16:19), "
                                 "healthCheckPort (config.yaml:17:18), statusSocket "
                                 "(config.yaml:18:15)"));
  auto result = plan(std::string(kRunning) + "logLevel: debug\n");
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_EQ(result->log_level, "debug");
}

}  // namespace
}  // namespace kubevip::config
