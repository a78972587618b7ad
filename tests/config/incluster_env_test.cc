#include "config/incluster_env.h"

#include <gtest/gtest.h>

#include <map>

namespace kubevip::config {
namespace {

class InClusterEnvTest : public ::testing::Test {
 protected:
  InClusterEnvTest() {
    env_ = {{"vip_interface", "eth0"},     {"address", "192.0.2.100"}, {"port", "6443"},
            {"vip_arp", "true"},           {"cp_enable", "true"},      {"svc_enable", "false"},
            {"vip_leaderelection", "true"}};
  }
  Getenv getenv() {
    return [this](const char* name) -> std::optional<std::string> {
      auto it = env_.find(name);
      if (it == env_.end()) return std::nullopt;
      return it->second;
    };
  }
  Result<Config> build(const InClusterFlags& flags = {}) {
    return inClusterConfig(Config{}, getenv(), flags, "host-1");
  }
  std::string error(const InClusterFlags& flags = {}) {
    auto c = build(flags);
    return c.ok() ? "" : c.error().message;
  }
  std::map<std::string, std::string> env_;
};

TEST_F(InClusterEnvTest, TheUsualStaticPodEnvironment) {
  auto c = build();
  ASSERT_TRUE(c.ok()) << c.error().describe();
  EXPECT_EQ(c->interface, "eth0");
  EXPECT_EQ(c->vip->toString(), "192.0.2.100");
  EXPECT_TRUE(c->gratuitous_arp);
  EXPECT_FALSE(c->single_node);
  ASSERT_TRUE(c->kubernetes);
  EXPECT_EQ(c->kubernetes->lease_name, "plndr-cp-lock");
  EXPECT_EQ(c->kubernetes->lease_namespace, "kube-system");
  EXPECT_EQ(c->kubernetes->lease_duration, std::chrono::seconds(5));
  EXPECT_EQ(c->kubernetes->renew_deadline, std::chrono::seconds(3));
  EXPECT_EQ(c->kubernetes->retry_period, std::chrono::seconds(1));
  EXPECT_EQ(c->kubernetes->identity, "host-1");
  EXPECT_EQ(c->kubernetes->kubeconfig_path, "");
}

TEST_F(InClusterEnvTest, EverySettingIsRead) {
  env_["cp_namespace"] = "kv";
  env_["vip_leasename"] = "my-lock";
  env_["vip_leaseduration"] = "15";
  env_["vip_renewdeadline"] = "10";
  env_["vip_retryperiod"] = "2";
  env_["vip_nodename"] = "node-7";
  env_["k8s_config_file"] = "/etc/kubernetes/admin.conf";
  env_["vip_loglevel"] = "5";
  env_["vip_subnet"] = "32";
  auto c = build();
  ASSERT_TRUE(c.ok()) << c.error().describe();
  EXPECT_EQ(c->kubernetes->lease_namespace, "kv");
  EXPECT_EQ(c->kubernetes->lease_name, "my-lock");
  EXPECT_EQ(c->kubernetes->lease_duration, std::chrono::seconds(15));
  EXPECT_EQ(c->kubernetes->renew_deadline, std::chrono::seconds(10));
  EXPECT_EQ(c->kubernetes->retry_period, std::chrono::seconds(2));
  EXPECT_EQ(c->kubernetes->identity, "node-7");
  EXPECT_EQ(c->kubernetes->kubeconfig_path, "/etc/kubernetes/admin.conf");
  EXPECT_EQ(c->log_level, "debug");
}

TEST_F(InClusterEnvTest, FlagsOverrideEnvironmentWhichOverridesTheFile) {
  Config file;
  file.interface = "from-file";
  file.vip = *IpAddress::parse("198.51.100.1");
  env_.erase("address");
  auto c = inClusterConfig(file, getenv(), {}, "h");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->interface, "eth0");                // environment over file
  EXPECT_EQ(c->vip->toString(), "198.51.100.1");  // file kept where nothing overrides
  c = inClusterConfig(file, getenv(), {{"vip_interface", "flag0"}, {"address", "fd00::5"}}, "h");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->interface, "flag0");
  EXPECT_EQ(c->vip->toString(), "fd00::5");
}

TEST_F(InClusterEnvTest, OlderNamesAreAccepted) {
  env_.erase("address");
  env_["vip_address"] = "fd00::100";
  env_["vip_cidr"] = "128";
  auto c = build();
  ASSERT_TRUE(c.ok()) << c.error().describe();
  EXPECT_TRUE(c->vip->isV6());
}

TEST_F(InClusterEnvTest, ServicesModeWithItsDefaults) {
  env_["svc_enable"] = "true";
  auto c = build();
  ASSERT_TRUE(c.ok()) << c.error().describe();
  ASSERT_TRUE(c->services);
  EXPECT_TRUE(c->vip);  // the control-plane VIP is still served
  const ServicesMode& s = *c->services;
  EXPECT_FALSE(s.per_service_election);
  EXPECT_EQ(s.lease_name, "plndr-svcs-lock");
  EXPECT_EQ(s.namespace_filter, "");
  EXPECT_EQ(s.interface, "");
  EXPECT_FALSE(s.lb_class_only);
  EXPECT_EQ(s.lb_class_name, "kube-vip.io/kube-vip-class");
  EXPECT_TRUE(s.lb_class_legacy_handling);
  EXPECT_FALSE(s.use_endpoints);
  EXPECT_TRUE(s.write_updates);
  EXPECT_TRUE(s.address_management);
  EXPECT_EQ(s.ipam_configmap_namespace, "kube-system");
  EXPECT_EQ(s.ipam_configmap_name, "kubevip");
  EXPECT_EQ(c->vip_timing.announce_interval, milliseconds(3000));
}

TEST_F(InClusterEnvTest, ServicesOnlyNeedsNoAddress) {
  env_["svc_enable"] = "true";
  env_["cp_enable"] = "false";
  env_.erase("address");
  env_["svc_election"] = "true";
  env_["svc_leasename"] = "svcs";
  env_["svc_namespace"] = "team-a";
  env_["vip_servicesinterface"] = "eth1";
  env_["lb_class_only"] = "true";
  env_["lb_class_name"] = "example.com/lb";
  env_["lb_class_legacy_handling"] = "false";
  env_["enable_endpoints"] = "true";
  env_["disable_service_updates"] = "true";
  env_["svc_ipam"] = "false";
  env_["svc_ipam_configmap"] = "lb/pools";
  env_["vip_arpRate"] = "500";
  auto c = build();
  ASSERT_TRUE(c.ok()) << c.error().describe();
  EXPECT_FALSE(c->vip);
  ASSERT_TRUE(c->services);
  const ServicesMode& s = *c->services;
  EXPECT_TRUE(s.per_service_election);
  EXPECT_EQ(s.lease_name, "svcs");
  EXPECT_EQ(s.namespace_filter, "team-a");
  EXPECT_EQ(s.interface, "eth1");
  EXPECT_TRUE(s.lb_class_only);
  EXPECT_EQ(s.lb_class_name, "example.com/lb");
  EXPECT_FALSE(s.lb_class_legacy_handling);
  EXPECT_TRUE(s.use_endpoints);
  EXPECT_FALSE(s.write_updates);
  EXPECT_FALSE(s.address_management);
  EXPECT_EQ(s.ipam_configmap_namespace, "lb");
  EXPECT_EQ(s.ipam_configmap_name, "pools");
  EXPECT_EQ(c->vip_timing.announce_interval, milliseconds(500));
  // svc_election elects per Service: vip_leaderelection is not needed then.
  env_["vip_leaderelection"] = "false";
  EXPECT_TRUE(build().ok());
  env_["svc_election"] = "false";
  EXPECT_NE(error().find("vip_leaderelection must be true"), std::string::npos) << error();
}

TEST_F(InClusterEnvTest, WithoutAnyElectionOnlyServicesAnnouncedByBgp) {
  env_["svc_enable"] = "true";
  env_["cp_enable"] = "false";
  env_.erase("address");
  env_["vip_leaderelection"] = "false";
  env_["bgp_enable"] = "true";
  env_["bgp_peers"] = "192.0.2.1:65000";
  auto c = build();
  ASSERT_TRUE(c.ok()) << c.error().describe();
  EXPECT_TRUE(c->services->every_node_announces);
  EXPECT_FALSE(c->services->address_management) << "one allocator at a time: none here";
  // With an election it is the usual mode.
  env_["vip_leaderelection"] = "true";
  c = build();
  ASSERT_TRUE(c.ok()) << c.error().describe();
  EXPECT_FALSE(c->services->every_node_announces);
  EXPECT_TRUE(c->services->address_management);
  // The control-plane VIP keeps its election, BGP or not.
  env_["vip_leaderelection"] = "false";
  env_["cp_enable"] = "true";
  env_["address"] = "192.0.2.100";
  EXPECT_NE(error().find("vip_leaderelection must be true"), std::string::npos) << error();
  // Without BGP every node would add the address on the segment.
  env_["cp_enable"] = "false";
  env_["bgp_enable"] = "false";
  EXPECT_NE(error().find("only Services announced by BGP"), std::string::npos) << error();
}

TEST_F(InClusterEnvTest, ClearErrors) {
  env_["svc_enable"] = "maybe";
  EXPECT_NE(error().find("environment variable svc_enable: 'maybe' is not a boolean"),
            std::string::npos)
      << error();
  env_["svc_enable"] = "false";
  EXPECT_NE(error({{"svc_election", "yes"}, {"svc_enable", "true"}})
                .find("flag --serviceElection: 'yes' is not a boolean"),
            std::string::npos);
  EXPECT_NE(error({{"svc_enable", "true"}, {"svc_ipam_configmap", "kubevip"}})
                .find("'kubevip' is not namespace/name"),
            std::string::npos);
  EXPECT_NE(error({{"vip_arpRate", "10"}}).find("flag --arpRate: '10' is not a number of"),
            std::string::npos);

  env_["vip_arp"] = "maybe";
  EXPECT_NE(error().find("vip_arp: 'maybe' is not a boolean"), std::string::npos) << error();
  env_["vip_arp"] = "true";

  env_["cp_enable"] = "false";
  EXPECT_NE(error().find("nothing to do"), std::string::npos) << error();
  env_["cp_enable"] = "true";

  env_["vip_leaderelection"] = "false";
  EXPECT_NE(error().find("vip_leaderelection must be true"), std::string::npos);
  env_["vip_leaderelection"] = "true";

  env_["address"] = "vip.example.com";
  EXPECT_NE(error().find("not an IP address"), std::string::npos);
  env_["address"] = "192.0.2.100";

  env_["port"] = "70000";
  EXPECT_NE(error().find("environment variable port"), std::string::npos) << error();
  env_["port"] = "6443";

  env_["vip_subnet"] = "24";
  EXPECT_NE(error().find("single address"), std::string::npos) << error();
  env_.erase("vip_subnet");

  env_["vip_leaseduration"] = "3";
  EXPECT_NE(error().find("vip_leaseduration (3 s) must be greater than vip_renewdeadline (3 s)"),
            std::string::npos)
      << error();
  env_["vip_leaseduration"] = "5";
  env_["vip_retryperiod"] = "3";
  env_["vip_renewdeadline"] = "3";
  EXPECT_NE(error().find("1.2 x vip_retryperiod"), std::string::npos) << error();
  env_["vip_retryperiod"] = "1";
  env_["vip_renewdeadline"] = "2s";
  EXPECT_NE(error().find("whole number of seconds"), std::string::npos) << error();
  env_["vip_renewdeadline"] = "3";

  env_["vip_loglevel"] = "loud";
  EXPECT_NE(error().find("not a log level"), std::string::npos);
  env_.erase("vip_loglevel");

  env_.erase("vip_interface");
  EXPECT_NE(error().find("vip_interface (--interface) is required"), std::string::npos);
  env_["vip_interface"] = "eth0";

  EXPECT_NE(error({{"bogus", "1"}}).find("unknown in-cluster setting 'bogus'"), std::string::npos);
  EXPECT_EQ(error(), "");
}

TEST_F(InClusterEnvTest, PortIsTheLocalApiServerPortAndTheKubeconfigServerIsOptIn) {
  env_.erase("port");
  auto c = build();
  ASSERT_TRUE(c.ok()) << c.error().describe();
  EXPECT_EQ(c->kubernetes->apiserver_port, 6443);
  EXPECT_FALSE(c->kubernetes->use_kubeconfig_server);

  env_["port"] = "16443";
  env_["k8s_use_kubeconfig_server"] = "true";
  c = build();
  ASSERT_TRUE(c.ok()) << c.error().describe();
  EXPECT_EQ(c->kubernetes->apiserver_port, 16443);
  EXPECT_TRUE(c->kubernetes->use_kubeconfig_server);

  c = build({{"k8s_use_kubeconfig_server", "false"}, {"port", "7443"}});
  ASSERT_TRUE(c.ok()) << c.error().describe();
  EXPECT_EQ(c->kubernetes->apiserver_port, 7443);
  EXPECT_FALSE(c->kubernetes->use_kubeconfig_server);

  env_["k8s_use_kubeconfig_server"] = "yes";
  EXPECT_EQ(error(),
            "environment variable k8s_use_kubeconfig_server: 'yes' is not a boolean (use true or "
            "false)");
}

TEST_F(InClusterEnvTest, VariableTableHasTheGoNamesAndDefaults) {
  std::map<std::string, std::string> defaults;
  for (const auto& v : inClusterVariables())
    defaults[std::string(v.name)] = std::string(v.default_value);
  EXPECT_EQ(defaults.at("port"), "6443");
  EXPECT_EQ(defaults.at("vip_leasename"), "plndr-cp-lock");
  EXPECT_EQ(defaults.at("vip_leaseduration"), "5");
  EXPECT_EQ(defaults.at("vip_renewdeadline"), "3");
  EXPECT_EQ(defaults.at("vip_retryperiod"), "1");
  EXPECT_EQ(defaults.at("cp_namespace"), "kube-system");
}

TEST_F(InClusterEnvTest, OperationsVariablesAndTheirDefaults) {
  auto defaults = build();
  ASSERT_TRUE(defaults.ok()) << defaults.error().describe();
  EXPECT_EQ(defaults->prometheus_server, ":2112");
  EXPECT_EQ(defaults->health_check_port, 0);
  EXPECT_EQ(defaults->status_socket, "/run/kube-vip/kube-vip.sock");
  env_["prometheus_server"] = "";
  env_["health_check_port"] = "8081";
  env_["vip_statussocket"] = "/var/run/kv.sock";
  auto c = build();
  ASSERT_TRUE(c.ok()) << c.error().describe();
  EXPECT_EQ(c->prometheus_server, "");
  EXPECT_EQ(c->health_check_port, 8081);
  EXPECT_EQ(c->status_socket, "/var/run/kv.sock");
  auto flagged = build({{"prometheus_server", "127.0.0.1:2112"}});
  ASSERT_TRUE(flagged.ok());
  EXPECT_EQ(flagged->prometheus_server, "127.0.0.1:2112");
  env_["health_check_port"] = "99999";
  EXPECT_NE(error().find("environment variable health_check_port: '99999' is not a port number"),
            std::string::npos)
      << error();
}

}  // namespace
}  // namespace kubevip::config
