// `kube-vip manifest ... --services` and `manifest rbac`: the Services mode's variables and the
// exact rights it needs, read back from the YAML the command prints.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <map>
#include <set>
#include <string>
#include <utility>
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

TEST(ManifestServices, DaemonSetWithoutControlPlaneHasNoAddressAndNoControlPlaneVariables) {
  CliHarness cli;
  CliRun r = cli.run({"manifest", "daemonset", "--services", "--interface", "eth0", "--arp",
                      "--leaderElection", "--inCluster", "--taint"});
  ASSERT_EQ(r.status, 0) << r.err;
  EnvValues env = containerEnv(daemonSetContainer(r));
  EXPECT_EQ(env["svc_enable"], "true");
  EXPECT_EQ(env["vip_interface"], "eth0");
  EXPECT_EQ(env["vip_arp"], "true");
  EXPECT_EQ(env["vip_nodename"], "(valueFrom)");
  EXPECT_EQ(env["vip_leaderelection"], "true");  // elects the node that announces every Service
  // The Services Leases use the control plane's timings.
  EXPECT_EQ(env["vip_leaseduration"], "5");
  EXPECT_EQ(env["vip_renewdeadline"], "3");
  EXPECT_EQ(env["vip_retryperiod"], "1");
  for (const char* absent : {"address", "vip_address", "port", "vip_subnet", "cp_enable",
                             "cp_namespace", "vip_leasename", "svc_election", "k8s_config_file"}) {
    EXPECT_EQ(env.count(absent), 0u) << absent;
  }
}

TEST(ManifestServices, EachServicesFlagWritesItsVariable) {
  CliHarness cli;
  CliRun r = cli.run({"manifest",
                      "daemonset",
                      "--services",
                      "--interface",
                      "eth0",
                      "--servicesElection",
                      "--serviceInterface",
                      "eth1",
                      "--servicesNamespace",
                      "web",
                      "--servicesLeaseName",
                      "svc-lock",
                      "--lbClassOnly",
                      "--lbClassName",
                      "example.com/lb",
                      "--lbClassNameLegacyHandling",
                      "false",
                      "--enableEndpoints",
                      "--disableServiceUpdates",
                      "--namespace",
                      "kube-vip",
                      "--leaseDuration",
                      "10",
                      "--leaseRenewDuration",
                      "6",
                      "--leaseRetry",
                      "2"});
  ASSERT_EQ(r.status, 0) << r.err;
  EnvValues env = containerEnv(daemonSetContainer(r));
  const EnvValues expected = {
      {"svc_enable", "true"},
      {"svc_election", "true"},
      {"vip_servicesinterface", "eth1"},
      {"svc_namespace", "web"},
      {"svc_leasename", "svc-lock"},
      {"lb_class_only", "true"},
      {"lb_class_name", "example.com/lb"},
      {"lb_class_legacy_handling", "false"},
      {"enable_endpoints", "true"},
      {"disable_service_updates", "true"},
      {"cp_namespace", "kube-vip"},  // where the Services Lease lives
      {"vip_leaseduration", "10"},
      {"vip_renewdeadline", "6"},
      {"vip_retryperiod", "2"},
  };
  for (const auto& [name, value] : expected) EXPECT_EQ(env[name], value) << name;
  EXPECT_EQ(env.count("cp_enable"), 0u);
}

TEST(ManifestServices, ManagerFlagNamesAreAliases) {
  CliHarness cli;
  CliRun r =
      cli.run({"manifest", "daemonset", "--services", "--interface", "eth0", "--serviceElection",
               "--serviceNamespace", "web", "--lbClassLegacyHandling", "true"});
  ASSERT_EQ(r.status, 0) << r.err;
  EnvValues env = containerEnv(daemonSetContainer(r));
  EXPECT_EQ(env["svc_election"], "true");
  EXPECT_EQ(env["svc_namespace"], "web");
  EXPECT_EQ(env["lb_class_legacy_handling"], "true");
}

TEST(ManifestServices, ManagerReadsTheServicesManifestBack) {
  // What `manifest daemonset --services` writes, `manager` reads back to the same settings.
  CliHarness cli;
  CliRun m = cli.run({"manifest",
                      "daemonset",
                      "--services",
                      "--interface",
                      "eth0",
                      "--serviceInterface",
                      "lo",
                      "--servicesElection",
                      "--servicesNamespace",
                      "web",
                      "--servicesLeaseName",
                      "svc-lock",
                      "--lbClassOnly",
                      "--lbClassName",
                      "example.com/lb",
                      "--lbClassNameLegacyHandling",
                      "false",
                      "--enableEndpoints",
                      "--disableServiceUpdates",
                      "--arp"});
  ASSERT_EQ(m.status, 0) << m.err;
  cli.environment.clear();
  for (const auto& [name, value] : containerEnv(daemonSetContainer(m))) {
    cli.environment[name] = value == "(valueFrom)" ? "node-x" : value;
  }
  CliRun r = cli.run({"manager"});
  ASSERT_EQ(r.status, 0) << r.err;
  ASSERT_TRUE(cli.daemon_config);
  const config::Config& c = *cli.daemon_config;
  EXPECT_FALSE(c.vip);  // no control-plane VIP
  EXPECT_EQ(c.interface, "eth0");
  ASSERT_TRUE(c.services);
  config::ServicesMode expected;
  expected.per_service_election = true;
  expected.lease_name = "svc-lock";
  expected.namespace_filter = "web";
  expected.interface = "lo";
  expected.lb_class_only = true;
  expected.lb_class_name = "example.com/lb";
  expected.lb_class_legacy_handling = false;
  expected.use_endpoints = true;
  expected.write_updates = false;
  EXPECT_EQ(*c.services, expected);
}

TEST(ManifestServices, ControlPlaneAndServicesInOnePod) {
  CliHarness cli;
  CliRun r = cli.run({"manifest", "pod", "--controlplane", "--services", "--interface", "eth0",
                      "--address", "192.0.2.10", "--leaderElection", "--servicesElection"});
  ASSERT_EQ(r.status, 0) << r.err;
  EnvValues env = containerEnv(YAML::Load(r.out)["spec"]["containers"][0]);
  EXPECT_EQ(env["cp_enable"], "true");
  EXPECT_EQ(env["cp_namespace"], "kube-system");
  EXPECT_EQ(env["address"], "192.0.2.10");
  EXPECT_EQ(env["port"], "6443");
  EXPECT_EQ(env["vip_leasename"], "plndr-cp-lock");
  EXPECT_EQ(env["svc_enable"], "true");
  EXPECT_EQ(env["svc_election"], "true");
  EXPECT_EQ(env["k8s_config_file"], "/etc/kubernetes/admin.conf");
}

TEST(ManifestServices, BadServicesOptionsFailWithOneLineNamingTheFlag) {
  CliHarness cli;
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"manifest", "daemonset", "--interface", "eth0"}, "nothing to deploy"},
      {{"manifest", "daemonset", "--controlplane", "--address", "192.0.2.10", "--interface", "eth0",
        "--servicesElection"},
       "--servicesElection configures the Services mode: give --services too"},
      {{"manifest", "daemonset", "--controlplane", "--address", "192.0.2.10", "--interface", "eth0",
        "--lbClassName", "x"},
       "--lbClassName configures the Services mode"},
      {{"manifest", "daemonset", "--services", "--servicesElection", "--serviceInterface", "eth1"},
       "--interface is required"},
      {{"manifest", "daemonset", "--services", "--interface", "eth0"},
       "--services needs --leaderElection (one Lease elects the node that announces every "
       "Service) or --servicesElection"},
      {{"manifest", "daemonset", "--services", "--interface", "eth0", "--address", "192.0.2.10"},
       "--address is the control-plane VIP: give --controlplane too"},
      {{"manifest", "daemonset", "--services", "--servicesElection", "--interface", "eth0",
        "--lbClassNameLegacyHandling", "yes"},
       "--lbClassNameLegacyHandling must be true or false, not 'yes'"},
  };
  for (const auto& [args, message] : cases) {
    CliRun r = cli.run(args);
    EXPECT_EQ(r.status, 2) << message;
    EXPECT_THAT(r.err, HasSubstr(message));
    EXPECT_TRUE(isOneErrorLine(r.err));
    EXPECT_EQ(r.out, "");
  }
}

// (apiGroup, resource) -> verbs, from the ClusterRole.
std::map<std::pair<std::string, std::string>, std::set<std::string>> grantedRights(
    const YAML::Node& role) {
  std::map<std::pair<std::string, std::string>, std::set<std::string>> rights;
  for (const auto& rule : role["rules"]) {
    for (const auto& group : rule["apiGroups"]) {
      for (const auto& resource : rule["resources"]) {
        auto& verbs = rights[{group.as<std::string>(), resource.as<std::string>()}];
        for (const auto& verb : rule["verbs"]) verbs.insert(verb.as<std::string>());
      }
    }
  }
  return rights;
}

TEST(ManifestRbac, GrantsExactlyWhatTheServicesModeAndTheElectionUse) {
  CliHarness cli;
  CliRun r = cli.run({"manifest", "rbac"});
  ASSERT_EQ(r.status, 0) << r.err;
  auto docs = YAML::LoadAll(r.out);
  ASSERT_EQ(docs.size(), 3u);
  ASSERT_EQ(docs[1]["kind"].as<std::string>(), "ClusterRole");
  using Verbs = std::set<std::string>;
  const std::map<std::pair<std::string, std::string>, Verbs> expected = {
      {{"coordination.k8s.io", "leases"}, Verbs{"get", "list", "watch", "create", "update"}},
      {{"", "services"}, Verbs{"get", "list", "watch", "patch", "update"}},
      {{"", "services/status"}, Verbs{"patch", "update"}},
      {{"discovery.k8s.io", "endpointslices"}, Verbs{"get", "list", "watch"}},
      {{"", "endpoints"}, Verbs{"get", "list", "watch"}},
      {{"", "nodes"}, Verbs{"get", "list", "watch"}},
      {{"", "configmaps"}, Verbs{"get", "list", "watch"}},
  };
  EXPECT_EQ(grantedRights(docs[1]), expected);
}

// The kubelet restarts a kube-vip whose control loop is stuck: /livez on health_check_port.
TEST(ManifestOperations, ALivenessProbeOnTheHealthPortUnlessTurnedOff) {
  CliHarness cli;
  CliRun r = cli.run({"manifest", "daemonset", "--interface", "eth0", "--address", "10.0.0.5",
                      "--controlplane", "--arp", "--leaderElection", "--inCluster"});
  ASSERT_EQ(r.status, 0) << r.err;
  YAML::Node container = daemonSetContainer(r);
  EXPECT_EQ(containerEnv(container)["health_check_port"], "2113");
  ASSERT_TRUE(container["livenessProbe"]) << r.out;
  EXPECT_EQ(container["livenessProbe"]["httpGet"]["path"].as<std::string>(), "/livez");
  EXPECT_EQ(container["livenessProbe"]["httpGet"]["port"].as<int>(), 2113);

  r = cli.run({"manifest", "pod", "--interface", "eth0", "--address", "10.0.0.5", "--controlplane",
               "--arp", "--leaderElection", "--healthCheckPort", "9443"});
  ASSERT_EQ(r.status, 0) << r.err;
  container = YAML::Load(r.out)["spec"]["containers"][0];
  EXPECT_EQ(containerEnv(container)["health_check_port"], "9443");
  EXPECT_EQ(container["livenessProbe"]["httpGet"]["port"].as<int>(), 9443);

  r = cli.run({"manifest", "pod", "--interface", "eth0", "--address", "10.0.0.5", "--controlplane",
               "--arp", "--leaderElection", "--healthCheckPort", "0"});
  ASSERT_EQ(r.status, 0) << r.err;
  container = YAML::Load(r.out)["spec"]["containers"][0];
  EXPECT_FALSE(container["livenessProbe"]);
  EXPECT_EQ(containerEnv(container).count("health_check_port"), 0u);
}

}  // namespace
}  // namespace kubevip::cli
