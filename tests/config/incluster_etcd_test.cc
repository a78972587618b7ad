// `manager` with leader_election_type=etcd: the Go kube-vip's etcd variables and flags become
// Config::etcd, next to the Lease the Services keep; bad values are one line naming the variable.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>

#include "config/incluster_env.h"

namespace kubevip::config {
namespace {

using ::testing::HasSubstr;

Status anyFileReadable(const std::string&) { return okStatus(); }
bool anyInterface(const std::string&) { return true; }

class InClusterEtcdTest : public ::testing::Test {
 protected:
  InClusterEtcdTest() {
    env_ = {{"vip_interface", "eth0"},
            {"address", "192.0.2.100"},
            {"vip_arp", "true"},
            {"cp_enable", "true"},
            {"vip_leaderelection", "true"},
            {"leader_election_type", "etcd"},
            {"etcd_endpoints", "https://192.0.2.1:2379, https://192.0.2.2:2379"},
            {"etcd_ca_cert", "/etc/kubernetes/pki/etcd/ca.crt"},
            {"etcd_cert", "/etc/kubernetes/pki/apiserver-etcd-client.crt"},
            {"etcd_key", "/etc/kubernetes/pki/apiserver-etcd-client.key"}};
  }
  Getenv getenv() {
    return [this](const char* name) -> std::optional<std::string> {
      auto it = env_.find(name);
      if (it == env_.end()) return std::nullopt;
      return it->second;
    };
  }
  Result<Config> build(const InClusterFlags& flags = {}, Config base = {}) {
    return inClusterConfig(std::move(base), getenv(), flags, "host-1");
  }
  // The first error of building and then validating (with every file readable); "" if none.
  std::string error(const InClusterFlags& flags = {}) {
    auto c = build(flags);
    if (!c.ok()) return c.error().message;
    Status s = validateConfig(*c, anyInterface, anyFileReadable);
    return s.ok() ? "" : s.error().message;
  }
  std::map<std::string, std::string> env_;
};

TEST_F(InClusterEtcdTest, TheEtcdVariablesMakeTheElection) {
  auto c = build();
  ASSERT_TRUE(c.ok()) << c.error().message;
  ASSERT_TRUE(c->etcd);
  EXPECT_EQ(c->etcd->endpoints,
            (std::vector<std::string>{"https://192.0.2.1:2379", "https://192.0.2.2:2379"}));
  EXPECT_EQ(c->etcd->ca_file, "/etc/kubernetes/pki/etcd/ca.crt");
  EXPECT_EQ(c->etcd->cert_file, "/etc/kubernetes/pki/apiserver-etcd-client.crt");
  EXPECT_EQ(c->etcd->key_file, "/etc/kubernetes/pki/apiserver-etcd-client.key");
  EXPECT_EQ(c->etcd->key, "/kube-vip/kube-system/plndr-cp-lock");
  EXPECT_EQ(c->etcd->ttl, std::chrono::seconds(5));
  EXPECT_EQ(c->etcd->identity, "host-1");
  EXPECT_TRUE(c->kubernetes) << "the Services mode keeps its Leases";
  EXPECT_EQ(error(), "");
}

TEST_F(InClusterEtcdTest, KeyTtlAndIdentityComeFromTheLeaseSettings) {
  env_["cp_namespace"] = "infra";
  env_["vip_leasename"] = "api-vip";
  env_["vip_leaseduration"] = "10";
  env_["vip_renewdeadline"] = "8";
  env_["vip_nodename"] = "cp-2";
  auto c = build();
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->etcd->key, "/kube-vip/infra/api-vip");
  EXPECT_EQ(c->etcd->ttl, std::chrono::seconds(10));
  EXPECT_EQ(c->etcd->identity, "cp-2");
}

TEST_F(InClusterEtcdTest, FlagsOverrideTheEnvironment) {
  auto c = build({{"etcd_endpoints", "http://127.0.0.1:2379"},
                  {"etcd_ca_cert", "/ca.pem"},
                  {"leader_election_type", "etcd"}});
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->etcd->endpoints, std::vector<std::string>{"http://127.0.0.1:2379"});
  EXPECT_EQ(c->etcd->ca_file, "/ca.pem");
  EXPECT_EQ(c->origins.find("election.tls.caFile"), "flag --etcdCACert");
  // --leaderElectionType kubernetes turns etcd off; the etcd variables left are then refused.
  EXPECT_EQ(error({{"leader_election_type", "kubernetes"}}),
            "environment variable etcd_endpoints configures the etcd election: set "
            "leader_election_type=etcd (--leaderElectionType etcd) too");
  for (const char* name : {"etcd_endpoints", "etcd_ca_cert", "etcd_cert", "etcd_key"}) {
    env_.erase(name);
  }
  auto lease = build({{"leader_election_type", "kubernetes"}});
  ASSERT_TRUE(lease.ok()) << lease.error().message;
  EXPECT_FALSE(lease->etcd);
}

TEST_F(InClusterEtcdTest, AFilesElectionStandsUnlessOverridden) {
  auto base = parseConfigYaml(
      "election: {type: etcd, endpoints: [https://10.0.0.1:2379], key: /from/file}\n"
      "localPeer: {id: file-node}\n",
      "base.yaml");
  ASSERT_TRUE(base.ok()) << base.error().message;
  for (const char* name :
       {"leader_election_type", "etcd_endpoints", "etcd_ca_cert", "etcd_cert", "etcd_key"}) {
    env_.erase(name);
  }
  auto c = build({}, *base);
  ASSERT_TRUE(c.ok()) << c.error().message;
  ASSERT_TRUE(c->etcd);
  EXPECT_EQ(c->etcd->endpoints, std::vector<std::string>{"https://10.0.0.1:2379"});
  EXPECT_EQ(c->etcd->identity, "host-1") << "vip_nodename, not localPeer";
  EXPECT_EQ(c->etcd->key, "/kube-vip/kube-system/plndr-cp-lock") << "the Lease's names";
  auto off = build({{"leader_election_type", "kubernetes"}}, *base);
  ASSERT_TRUE(off.ok()) << off.error().message;
  EXPECT_FALSE(off->etcd);
}

TEST_F(InClusterEtcdTest, ClearErrors) {
  env_["leader_election_type"] = "zookeeper";
  EXPECT_EQ(error(),
            "environment variable leader_election_type: 'zookeeper' is not an election type (use "
            "kubernetes or etcd)");
  EXPECT_EQ(error({{"leader_election_type", "raft"}}),
            "flag --leaderElectionType: 'raft' is not an election type (use kubernetes or etcd)");
  env_["leader_election_type"] = "etcd";

  env_["cp_enable"] = "false";
  env_["svc_enable"] = "true";
  EXPECT_EQ(error(),
            "environment variable leader_election_type: etcd elects the holder of the "
            "control-plane VIP: set cp_enable=true (--controlplane) too (Services are elected "
            "with Leases)");
  env_["cp_enable"] = "true";
  env_["svc_enable"] = "false";

  EXPECT_EQ(error({{"etcd_endpoints", "https://192.0.2.1:2379,https://192.0.2.2"}}),
            "flag --etcdEndpoints: 'https://192.0.2.2' is not an etcd endpoint: the port is "
            "missing (etcd's client port is usually 2379)");
  EXPECT_THAT(error({{"etcd_endpoints", "https://192.0.2.1:2379,,"}}),
              HasSubstr("flag --etcdEndpoints: empty entry in the comma-separated list"));

  env_.erase("etcd_endpoints");
  EXPECT_EQ(error(),
            "environment variable leader_election_type: election.endpoints: empty; list the etcd "
            "members as https://host:port (key election.endpoints, variable etcd_endpoints or "
            "flag --etcdEndpoints)");
  env_["etcd_endpoints"] = "https://192.0.2.1:2379";

  env_.erase("etcd_key");
  EXPECT_EQ(error(),
            "environment variable etcd_cert: election.tls.certFile: is set but "
            "election.tls.keyFile is not: a client certificate goes with its key; give both or "
            "neither");
  env_["etcd_key"] = "/k.pem";

  // The validator reads the files on this host.
  env_["etcd_ca_cert"] = "/nonexistent/ca.crt";
  auto c = build();
  ASSERT_TRUE(c.ok());
  Status s = validateConfig(*c, anyInterface);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().message,
            "environment variable etcd_ca_cert: election.tls.caFile: '/nonexistent/ca.crt' "
            "cannot be read (No such file or directory)");
}

TEST_F(InClusterEtcdTest, TheVariablesAreInTheTableWithTheGoNames) {
  std::map<std::string, std::string> flags;
  std::map<std::string, std::string> defaults;
  for (const auto& v : inClusterVariables()) {
    flags[std::string(v.name)] = std::string(v.flag);
    defaults[std::string(v.name)] = std::string(v.default_value);
  }
  EXPECT_EQ(flags.at("leader_election_type"), "leaderElectionType");
  EXPECT_EQ(defaults.at("leader_election_type"), "kubernetes");
  EXPECT_EQ(flags.at("etcd_endpoints"), "etcdEndpoints");
  EXPECT_EQ(flags.at("etcd_ca_cert"), "etcdCACert");
  EXPECT_EQ(flags.at("etcd_cert"), "etcdCert");
  EXPECT_EQ(flags.at("etcd_key"), "etcdKey");
}

}  // namespace
}  // namespace kubevip::config
