// `kube-vip manifest pod|daemonset --bgp`: the BGP flags (the Go tool's names) become the
// container's BGP variables, and `manager` reads them back to a valid configuration with BGP on.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "cli_fixture.h"
#include "config/config.h"

namespace kubevip::cli {
namespace {

using testing::CliHarness;
using testing::CliRun;
using testing::containerEnv;
using testing::daemonSetContainer;
using testing::EnvValues;
using ::testing::HasSubstr;
using testing::isOneErrorLine;
using testing::podContainer;

std::set<std::string> addedCapabilities(const YAML::Node& container) {
  std::set<std::string> added;
  for (const auto& c : container["securityContext"]["capabilities"]["add"]) {
    added.insert(c.as<std::string>());
  }
  return added;
}

std::vector<std::string> bgpDaemonSet(std::vector<std::string> extra) {
  std::vector<std::string> args = {"manifest",
                                   "daemonset",
                                   "--services",
                                   "--interface",
                                   "eth0",
                                   "--inCluster",
                                   "--bgp",
                                   "--localAS",
                                   "65001",
                                   "--bgppeers",
                                   "10.0.0.1:65000::false"};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

TEST(ManifestBgp, DaemonSetWritesOnlyTheGivenBgpVariablesAndTurnsArpOff) {
  CliHarness cli;
  CliRun r = cli.run(bgpDaemonSet({}));
  ASSERT_EQ(r.status, 0) << r.err;
  EnvValues env = containerEnv(daemonSetContainer(r));
  EXPECT_EQ(env["bgp_enable"], "true");
  EXPECT_EQ(env["bgp_as"], "65001");
  EXPECT_EQ(env["bgp_peers"], "10.0.0.1:65000::false");
  EXPECT_EQ(env["vip_arp"], "false");
  for (const char* absent : {"bgp_routerid", "bgp_peeraddress", "bgp_peeras", "bgp_peerpass",
                             "bgp_multihop", "bgp_hold_time", "bgp_listen_port", "mpbgp_nexthop"}) {
    EXPECT_EQ(env.count(absent), 0u) << absent;
  }
}

TEST(ManifestBgp, EachBgpFlagWritesItsVariable) {
  CliHarness cli;
  CliRun r = cli.run({"manifest",
                      "pod",
                      "--controlplane",
                      "--address",
                      "192.0.2.10",
                      "--interface",
                      "eth0",
                      "--leaderElection",
                      "--bgp",
                      "--bgpRouterID",
                      "192.0.2.21",
                      "--localAS",
                      "65001",
                      "--peerAddress",
                      "192.0.2.1",
                      "--peerAS",
                      "65000",
                      "--peerPass",
                      "s3cret",
                      "--multihop",
                      "--sourceIF",
                      "eth0",
                      "--bgpHoldTime",
                      "9",
                      "--bgpKeepaliveInterval",
                      "3",
                      "--mpbgpNexthop",
                      "fixed",
                      "--mpbgpIPv4",
                      "192.0.2.21",
                      "--mpbgpIPv6",
                      "2001:db8::21",
                      "--bgpVipInterface",
                      "lo",
                      "--bgpListenPort",
                      "1179",
                      "--bgpGracefulRestartTime",
                      "0"});
  ASSERT_EQ(r.status, 0) << r.err;
  EnvValues env = containerEnv(podContainer(r));
  const EnvValues expected = {{"bgp_enable", "true"},
                              {"bgp_routerid", "192.0.2.21"},
                              {"bgp_as", "65001"},
                              {"bgp_peeraddress", "192.0.2.1"},
                              {"bgp_peeras", "65000"},
                              {"bgp_peerpass", "s3cret"},
                              {"bgp_multihop", "true"},
                              {"bgp_sourceif", "eth0"},
                              {"bgp_hold_time", "9"},
                              {"bgp_keepalive_interval", "3"},
                              {"mpbgp_nexthop", "fixed"},
                              {"mpbgp_ipv4", "192.0.2.21"},
                              {"mpbgp_ipv6", "2001:db8::21"},
                              {"bgp_vip_interface", "lo"},
                              {"bgp_listen_port", "1179"},
                              {"bgp_graceful_restart_time", "0"}};
  for (const auto& [name, value] : expected) EXPECT_EQ(env[name], value) << name;
  EXPECT_EQ(env["vip_arp"], "false");
}

TEST(ManifestBgp, ManagerReadsTheBgpManifestBackWithBgpOn) {
  // The generated environment, fed to `manager`, builds a configuration that passes its checks.
  CliHarness cli;
  CliRun m = cli.run(bgpDaemonSet({"--bgpRouterID", "192.0.2.21", "--peerAddress", "192.0.2.2",
                                   "--peerAS", "65002", "--peerPass", "pw", "--multihop",
                                   "--bgpHoldTime", "9", "--bgpKeepaliveInterval", "3"}));
  ASSERT_EQ(m.status, 0) << m.err;
  cli.environment.clear();
  for (const auto& [name, value] : containerEnv(daemonSetContainer(m))) {
    cli.environment[name] = value == "(valueFrom)" ? "node-x" : value;
  }
  CliRun r = cli.run({"manager"});
  ASSERT_EQ(r.status, 0) << r.err;
  ASSERT_TRUE(cli.daemon_config);
  const config::Config& c = *cli.daemon_config;
  EXPECT_FALSE(c.gratuitous_arp);
  ASSERT_TRUE(c.bgp);
  EXPECT_EQ(c.bgp->as, 65001u);
  ASSERT_TRUE(c.bgp->router_id);
  EXPECT_EQ(c.bgp->router_id->toString(), "192.0.2.21");
  EXPECT_EQ(c.bgp->hold_time, std::chrono::seconds(9));
  EXPECT_EQ(c.bgp->keepalive_interval, std::chrono::seconds(3));
  ASSERT_EQ(c.bgp->peers.size(), 2u);
  EXPECT_EQ(c.bgp->peers[0].address.toString(), "10.0.0.1");
  EXPECT_EQ(c.bgp->peers[0].as, 65000u);
  EXPECT_EQ(c.bgp->peers[1].address.toString(), "192.0.2.2");
  EXPECT_EQ(c.bgp->peers[1].as, 65002u);
  EXPECT_EQ(c.bgp->peers[1].password, "pw");
  // Services announced by BGP need no election: every node announces, the routers spread.
  ASSERT_TRUE(c.services);
  EXPECT_TRUE(c.services->every_node_announces);
}

TEST(ManifestBgp, AddsNetBindServiceOnlyWhenTheListenPortIsPrivileged) {
  CliHarness cli;
  CliRun r = cli.run(bgpDaemonSet({}));
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(addedCapabilities(daemonSetContainer(r)),
            (std::set<std::string>{"NET_ADMIN", "NET_RAW", "NET_BIND_SERVICE"}));
  r = cli.run(bgpDaemonSet({"--bgpListenPort", "1179"}));
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(addedCapabilities(daemonSetContainer(r)),
            (std::set<std::string>{"NET_ADMIN", "NET_RAW"}));
  r = cli.run(
      {"manifest", "daemonset", "--services", "--interface", "eth0", "--arp", "--leaderElection"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(addedCapabilities(daemonSetContainer(r)),
            (std::set<std::string>{"NET_ADMIN", "NET_RAW"}));
}

TEST(ManifestBgp, BadBgpOptionsFailWithOneLineNamingTheFlag) {
  CliHarness cli;
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {bgpDaemonSet({"--arp"}), "--arp and --bgp"},
      {{"manifest", "daemonset", "--services", "--interface", "eth0", "--bgp", "--localAS", "sixty",
        "--peerAddress", "10.0.0.1"},
       "flag --localAS: 'sixty'"},
      {{"manifest", "daemonset", "--services", "--interface", "eth0", "--bgp", "--bgppeers",
        "10.0.0.9"},
       "flag --bgppeers"},
      {bgpDaemonSet({"--bgpRouterID", "2001:db8::1"}), "flag --bgpRouterID"},
      {bgpDaemonSet({"--bgp=maybe"}), "--bgp: 'maybe' is not a boolean"},
      {{"manifest", "daemonset", "--services", "--interface", "eth0", "--leaderElection", "--arp",
        "--localAS", "65001"},
       "--localAS configures BGP: give --bgp too"},
      {{"manifest", "daemonset", "--services", "--interface", "eth0", "--bgp"}, "bgp.peers"},
      // The control-plane VIP keeps its election with BGP too.
      {{"manifest", "daemonset", "--controlplane", "--address", "192.0.2.10", "--interface", "eth0",
        "--bgp", "--bgppeers", "10.0.0.1:65000"},
       "--leaderElection"},
  };
  for (const auto& [args, message] : cases) {
    CliRun r = cli.run(args);
    EXPECT_EQ(r.status, 2) << message;
    EXPECT_TRUE(isOneErrorLine(r.err)) << r.err;
    EXPECT_THAT(r.err, HasSubstr(message));
  }
}

TEST(ManifestBgp, ThePasswordCanComeFromASecretInTheDaemonSet) {
  CliHarness cli;
  CliRun r = cli.run(bgpDaemonSet(
      {"--peerAddress", "192.0.2.2", "--peerAS", "65002", "--bgpPasswordSecret", "bgp-auth/pw"}));
  ASSERT_EQ(r.status, 0) << r.err;
  YAML::Node password;
  for (const auto& e : daemonSetContainer(r)["env"]) {
    if (e["name"].as<std::string>() == "bgp_peerpass") password.reset(e);
  }
  ASSERT_TRUE(password) << r.out;
  EXPECT_FALSE(password["value"]);
  EXPECT_EQ(password["valueFrom"]["secretKeyRef"]["name"].as<std::string>(), "bgp-auth");
  EXPECT_EQ(password["valueFrom"]["secretKeyRef"]["key"].as<std::string>(), "pw");
  EXPECT_THAT(r.out, ::testing::Not(HasSubstr("value: \"\"\n")));

  // The kubelet resolves the reference: `manager` then reads the password as plain environment.
  cli.environment.clear();
  for (const auto& [name, value] : containerEnv(daemonSetContainer(r))) {
    cli.environment[name] = value;
  }
  cli.environment["vip_nodename"] = "node-x";
  cli.environment["bgp_peerpass"] = "from-the-secret";
  CliRun m = cli.run({"manager"});
  ASSERT_EQ(m.status, 0) << m.err;
  ASSERT_TRUE(cli.daemon_config && cli.daemon_config->bgp);
  ASSERT_EQ(cli.daemon_config->bgp->peers.size(), 2u);
  EXPECT_EQ(cli.daemon_config->bgp->peers[1].password, "from-the-secret");
}

TEST(ManifestBgp, BadPasswordSecretOptionsFailWithOneLine) {
  CliHarness cli;
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"manifest", "pod", "--controlplane", "--address", "192.0.2.10", "--interface", "eth0",
        "--leaderElection", "--bgp", "--peerAddress", "192.0.2.2", "--bgpPasswordSecret", "a/b"},
       "a static pod cannot read a Secret"},
      {bgpDaemonSet(
           {"--peerAddress", "192.0.2.2", "--peerPass", "x", "--bgpPasswordSecret", "a/b"}),
       "--peerPass and --bgpPasswordSecret both set bgp_peerpass"},
      {bgpDaemonSet({"--bgpPasswordSecret", "a/b"}), "the password of --peerAddress"},
      {bgpDaemonSet({"--peerAddress", "192.0.2.2", "--bgpPasswordSecret", "bgp-auth"}),
       "--bgpPasswordSecret 'bgp-auth' is not NAME/KEY"},
      {bgpDaemonSet({"--peerAddress", "192.0.2.2", "--bgpPasswordSecret", "BGP/pw"}),
       "the Secret's name"},
      {bgpDaemonSet({"--peerAddress", "192.0.2.2", "--bgpPasswordSecret", "bgp/p w"}), "the key"},
      {{"manifest", "daemonset", "--services", "--interface", "eth0", "--leaderElection",
        "--bgpPasswordSecret", "a/b"},
       "--bgpPasswordSecret configures BGP: give --bgp too"},
  };
  for (const auto& [args, message] : cases) {
    CliRun r = cli.run(args);
    EXPECT_EQ(r.status, 2) << message;
    EXPECT_TRUE(isOneErrorLine(r.err)) << r.err;
    EXPECT_THAT(r.err, HasSubstr(message));
    EXPECT_EQ(r.out, "");
  }
}

}  // namespace
}  // namespace kubevip::cli
