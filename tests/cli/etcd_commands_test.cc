// The etcd election on the command line: `check`/`start` with election.type etcd, `manager` with
// --leaderElectionType etcd, `manifest pod|daemonset` passing the etcd settings and mounting the
// certificate directories, and `sample config --election etcd`.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "cli_fixture.h"
#include "config/config.h"
#include "config/loader.h"

namespace kubevip::cli {
namespace {

using testing::CliHarness;
using testing::CliRun;
using testing::containerEnv;
using testing::EnvValues;
using ::testing::HasSubstr;
using testing::isOneErrorLine;
using ::testing::Not;
using testing::TempFile;

// Two directories of PEM files, as kubeadm lays them out (the CA apart from the client pair),
// removed when the test ends.
class Certificates {
 public:
  Certificates() {
    char dir[] = "/tmp/kubevip-etcd-cli-XXXXXX";
    EXPECT_NE(::mkdtemp(dir), nullptr);
    root_ = dir;
    std::filesystem::create_directories(root_ + "/pki/etcd");
    for (const std::string& file : {ca(), cert(), key()}) std::ofstream(file) << "PEM\n";
  }
  ~Certificates() { std::filesystem::remove_all(root_); }
  Certificates(const Certificates&) = delete;
  Certificates& operator=(const Certificates&) = delete;
  std::string ca() const { return root_ + "/pki/etcd/ca.crt"; }
  std::string cert() const { return root_ + "/pki/apiserver-etcd-client.crt"; }
  std::string key() const { return root_ + "/pki/apiserver-etcd-client.key"; }

 private:
  std::string root_;
};

std::map<std::string, std::string> managerEnvironment() {
  return {{"vip_interface", "eth0"},
          {"address", "192.0.2.100"},
          {"cp_enable", "true"},
          {"vip_leaderelection", "true"}};
}

TEST(EtcdCheck, AFileElectingThroughEtcdIsChecked) {
  TempFile file(
      "vip: 192.0.2.100\ninterface: eth0\nlocalPeer: {id: node1}\n"
      "election: {type: etcd, endpoints: [http://127.0.0.1:2379], ttl: 2s}\n");
  CliHarness cli;
  CliRun r = cli.run({"check", "-c", file.path()});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "configuration ok\n");
  // --localPeer replaces the identity too.
  r = cli.run({"start", "-c", file.path(), "--localPeer", "node2:192.0.2.2:10000"});
  ASSERT_EQ(r.status, 0) << r.err;
  ASSERT_TRUE(cli.daemon_config && cli.daemon_config->etcd);
  EXPECT_EQ(cli.daemon_config->etcd->identity, "node2");
  EXPECT_EQ(cli.daemon_config->etcd->ttl, std::chrono::seconds(2));

  cli.environment["vip_peers"] = "node3:192.0.2.3:10000";
  r = cli.run({"check", "-c", file.path()});
  EXPECT_EQ(r.status, kExitUsage);
  EXPECT_EQ(r.err,
            "kube-vip: environment variable vip_peers: remotePeers: remotePeers belongs to the "
            "Raft election; with election.type etcd the etcd cluster elects: remove it\n");
}

TEST(EtcdManager, FlagsMakeTheEtcdElection) {
  Certificates certs;
  CliHarness cli;
  cli.environment = managerEnvironment();
  cli.environment["vip_nodename"] = "cp-1";
  CliRun r = cli.run({"manager", "--leaderElectionType", "etcd", "--etcdEndpoints",
                      "https://192.0.2.1:2379,https://192.0.2.2:2379", "--etcdCACert", certs.ca(),
                      "--etcdCert", certs.cert(), "--etcdKey", certs.key()});
  ASSERT_EQ(r.status, 0) << r.err;
  ASSERT_TRUE(cli.daemon_config && cli.daemon_config->etcd);
  const config::EtcdElection& etcd = *cli.daemon_config->etcd;
  EXPECT_EQ(etcd.endpoints.size(), 2u);
  EXPECT_EQ(etcd.ca_file, certs.ca());
  EXPECT_EQ(etcd.cert_file, certs.cert());
  EXPECT_EQ(etcd.key_file, certs.key());
  EXPECT_EQ(etcd.identity, "cp-1");
  EXPECT_EQ(etcd.key, "/kube-vip/kube-system/plndr-cp-lock");
  EXPECT_TRUE(cli.daemon_config->kubernetes);
}

TEST(EtcdManager, BadValuesAreOneLineWithStatusTwo) {
  Certificates certs;
  CliHarness cli;
  cli.environment = managerEnvironment();
  cli.environment["leader_election_type"] = "etcd";
  cli.environment["etcd_endpoints"] = "https://192.0.2.1:2379";
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"manager", "--leaderElectionType", "consul"},
       "kube-vip: flag --leaderElectionType: 'consul' is not an election type (use kubernetes or "
       "etcd)\n"},
      {{"manager", "--etcdEndpoints", "192.0.2.1:2379"},
       "kube-vip: flag --etcdEndpoints: '192.0.2.1:2379' is not an etcd endpoint: expected "
       "https://host:port or http://host:port\n"},
      {{"manager", "--etcdCert", certs.cert()},
       "kube-vip: flag --etcdCert: election.tls.certFile: is set but election.tls.keyFile is not: "
       "a client certificate goes with its key; give both or neither\n"},
      {{"manager", "--etcdCACert", "/nonexistent/ca.crt"},
       "kube-vip: flag --etcdCACert: election.tls.caFile: '/nonexistent/ca.crt' cannot be read "
       "(No such file or directory)\n"},
      {{"manager", "--leaderElectionType", "kubernetes"},
       "kube-vip: environment variable etcd_endpoints configures the etcd election: set "
       "leader_election_type=etcd (--leaderElectionType etcd) too\n"},
  };
  for (const auto& [args, err] : cases) {
    CliRun r = cli.run(args);
    EXPECT_EQ(r.status, kExitUsage) << args.back();
    EXPECT_EQ(r.err, err);
    EXPECT_TRUE(isOneErrorLine(r.err));
  }
  EXPECT_FALSE(cli.daemon_config) << "no daemon started on a bad configuration";
}

// `manifest KIND` for an etcd-elected control-plane VIP; `changed` replaces a flag's value (an
// empty value leaves the flag out), `extra` is appended.
std::vector<std::string> etcdManifest(const std::string& kind, const Certificates& certs,
                                      const std::map<std::string, std::string>& changed = {},
                                      const std::vector<std::string>& extra = {}) {
  const std::vector<std::pair<std::string, std::string>> flags = {
      {"--interface", "eth0"},
      {"--address", "192.0.2.100"},
      {"--leaderElectionType", "etcd"},
      {"--etcdEndpoints", "https://192.0.2.1:2379,https://192.0.2.2:2379"},
      {"--etcdCACert", certs.ca()},
      {"--etcdCert", certs.cert()},
      {"--etcdKey", certs.key()}};
  std::vector<std::string> args = {"manifest", kind, "--controlplane", "--arp", "--leaderElection"};
  for (const auto& [flag, value] : flags) {
    auto it = changed.find(flag);
    const std::string& given = it == changed.end() ? value : it->second;
    if (given.empty()) continue;
    args.push_back(flag);
    args.push_back(given);
  }
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

TEST(EtcdManifest, PodPassesTheSettingsAndMountsTheCertificateDirectoriesReadOnly) {
  Certificates certs;
  CliHarness cli;
  CliRun r = cli.run(etcdManifest("pod", certs));
  ASSERT_EQ(r.status, 0) << r.err;
  const YAML::Node spec = YAML::Load(r.out)["spec"];
  const YAML::Node container = spec["containers"][0];
  const EnvValues env = containerEnv(container);
  EXPECT_EQ(env.at("leader_election_type"), "etcd");
  EXPECT_EQ(env.at("etcd_endpoints"), "https://192.0.2.1:2379,https://192.0.2.2:2379");
  EXPECT_EQ(env.at("etcd_ca_cert"), certs.ca());
  EXPECT_EQ(env.at("etcd_cert"), certs.cert());
  EXPECT_EQ(env.at("etcd_key"), certs.key());
  // The kubeconfig, then one volume per directory: pki/etcd (the CA) and pki (the client pair).
  const std::string ca_dir = std::filesystem::path(certs.ca()).parent_path();
  const std::string client_dir = std::filesystem::path(certs.cert()).parent_path();
  const YAML::Node mounts = container["volumeMounts"];
  ASSERT_EQ(mounts.size(), 3u) << r.out;
  EXPECT_EQ(mounts[0]["name"].as<std::string>(), "kubeconfig");
  EXPECT_EQ(mounts[1]["mountPath"].as<std::string>(), ca_dir);
  EXPECT_TRUE(mounts[1]["readOnly"].as<bool>());
  EXPECT_EQ(mounts[2]["mountPath"].as<std::string>(), client_dir);
  EXPECT_TRUE(mounts[2]["readOnly"].as<bool>());
  const YAML::Node volumes = spec["volumes"];
  ASSERT_EQ(volumes.size(), 3u);
  for (int i : {1, 2}) {
    EXPECT_EQ(volumes[i]["name"].as<std::string>(), mounts[i]["name"].as<std::string>());
    EXPECT_EQ(volumes[i]["hostPath"]["path"].as<std::string>(),
              mounts[i]["mountPath"].as<std::string>());
    EXPECT_EQ(volumes[i]["hostPath"]["type"].as<std::string>(), "Directory");
  }
}

TEST(EtcdManifest, DaemonSetInClusterMountsOnlyTheCertificates) {
  Certificates certs;
  CliHarness cli;
  CliRun r =
      cli.run(etcdManifest("daemonset", certs, {{"--etcdCACert", certs.key()}}, {"--inCluster"}));
  ASSERT_EQ(r.status, 0) << r.err;
  const YAML::Node spec = YAML::Load(r.out)["spec"]["template"]["spec"];
  // The three files in one directory: one volume.
  ASSERT_EQ(spec["containers"][0]["volumeMounts"].size(), 1u) << r.out;
  ASSERT_EQ(spec["volumes"].size(), 1u);
  EXPECT_EQ(spec["volumes"][0]["hostPath"]["path"].as<std::string>(),
            std::filesystem::path(certs.cert()).parent_path().string());
  EXPECT_EQ(spec["serviceAccountName"].as<std::string>(), "kube-vip");
}

TEST(EtcdManifest, ManagerReadsTheManifestBackWithEtcdOn) {
  Certificates certs;
  CliHarness cli;
  CliRun m =
      cli.run(etcdManifest("pod", certs, {}, {"--leaseDuration", "8", "--leaseName", "api"}));
  ASSERT_EQ(m.status, 0) << m.err;
  cli.environment.clear();
  for (const auto& [name, value] : containerEnv(YAML::Load(m.out)["spec"]["containers"][0])) {
    cli.environment[name] = value == "(valueFrom)" ? "node-x" : value;
  }
  CliRun r = cli.run({"manager"});
  ASSERT_EQ(r.status, 0) << r.err;
  ASSERT_TRUE(cli.daemon_config && cli.daemon_config->etcd);
  EXPECT_EQ(cli.daemon_config->etcd->endpoints.size(), 2u);
  EXPECT_EQ(cli.daemon_config->etcd->ttl, std::chrono::seconds(8));
  EXPECT_EQ(cli.daemon_config->etcd->key, "/kube-vip/kube-system/api");
  EXPECT_EQ(cli.daemon_config->etcd->identity, "node-x");
}

TEST(EtcdManifest, WithoutEtcdNothingChanges) {
  CliHarness cli;
  CliRun r = cli.run({"manifest", "pod", "--controlplane", "--interface", "eth0", "--address",
                      "192.0.2.100", "--leaderElection"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_THAT(r.out, Not(HasSubstr("etcd")));
  EXPECT_EQ(YAML::Load(r.out)["spec"]["volumes"].size(), 1u);
}

TEST(EtcdManifest, BadOptionsFailWithOneLineNamingTheFlag) {
  Certificates certs;
  CliHarness cli;
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {etcdManifest("pod", certs, {{"--leaderElectionType", ""}}),
       "kube-vip: --etcdEndpoints configures the etcd election: give --leaderElectionType etcd "
       "too\n"},
      {etcdManifest("pod", certs, {{"--leaderElectionType", "zk"}}),
       "kube-vip: --leaderElectionType: 'zk' is not an election type (use kubernetes or etcd)\n"},
      {etcdManifest("pod", certs, {{"--etcdCACert", "pki/ca.crt"}}),
       "kube-vip: --etcdCACert: 'pki/ca.crt' is not an absolute path (the file is mounted from "
       "the node at the same path)\n"},
      {etcdManifest("daemonset", certs, {{"--etcdEndpoints", "https://192.0.2.1"}}),
       "kube-vip: flag --etcdEndpoints: 'https://192.0.2.1' is not an etcd endpoint: the port is "
       "missing (etcd's client port is usually 2379)\n"},
  };
  for (const auto& [args, err] : cases) {
    CliRun r = cli.run(args);
    EXPECT_EQ(r.status, kExitUsage) << err;
    EXPECT_EQ(r.err, err);
    EXPECT_EQ(r.out, "");
  }
  // etcd elects the control-plane VIP: Services alone cannot use it.
  CliRun r =
      cli.run({"manifest", "daemonset", "--services", "--interface", "eth0", "--leaderElection",
               "--leaderElectionType", "etcd", "--etcdEndpoints", "https://192.0.2.1:2379"});
  EXPECT_EQ(r.status, kExitUsage);
  EXPECT_THAT(r.err, HasSubstr("etcd elects the holder of the control-plane VIP: set "
                               "cp_enable=true (--controlplane) too"));
  // Files of the node, not of this host: not read here.
  r = cli.run(etcdManifest("pod", certs, {{"--etcdCACert", "/nonexistent/ca.crt"}}));
  EXPECT_EQ(r.status, 0) << r.err;
}

TEST(EtcdSample, PrintsACommentedEtcdExampleThatChecks) {
  CliHarness cli;
  CliRun r = cli.run({"sample", "config", "--election", "etcd"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("type: etcd"));
  EXPECT_THAT(r.out, HasSubstr("  # etcd members"));
  EXPECT_THAT(r.out, HasSubstr("caFile: /etc/kubernetes/pki/etcd/ca.crt"));
  EXPECT_THAT(r.out, Not(HasSubstr("leaderLease")));
  EXPECT_THAT(r.out, Not(HasSubstr("server2")));
  auto c = config::parseConfigYaml(r.out, "sample");
  ASSERT_TRUE(c.ok()) << c.error().message << "\n" << r.out;
  ASSERT_TRUE(c->etcd);
  EXPECT_EQ(c->etcd->identity, "server1");
  EXPECT_EQ(c->etcd->endpoints.size(), 3u);
  EXPECT_EQ(c->etcd->ttl, std::chrono::seconds(5));
  EXPECT_TRUE(c->remote_peers.empty());
  EXPECT_TRUE(config::validateConfig(
                  *c, [](const std::string&) { return true; },
                  [](const std::string&) { return okStatus(); })
                  .ok());

  r = cli.run({"sample", "config", "--election", "etcd", "--etcdEndpoints",
               "https://[fd00::1]:2379", "--localPeer", "cp1:10.0.0.1:1"});
  ASSERT_EQ(r.status, 0) << r.err;
  c = config::parseConfigYaml(r.out, "sample");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->etcd->endpoints, std::vector<std::string>{"https://[fd00::1]:2379"});
  EXPECT_EQ(c->etcd->identity, "cp1");

  // The default stays the Raft sample, unchanged.
  EXPECT_EQ(cli.run({"sample", "config", "--election", "raft"}).out,
            cli.run({"sample", "config"}).out);
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"sample", "config", "--election", "paxos"},
           {"sample", "config", "--election", "etcd", "--etcdEndpoints", "etcd:2379"}}) {
    r = cli.run(args);
    EXPECT_EQ(r.status, kExitUsage);
    EXPECT_TRUE(isOneErrorLine(r.err));
  }
  EXPECT_EQ(cli.run({"sample", "config", "--election", "paxos"}).err,
            "kube-vip: flag --election: 'paxos' is not an election type; use raft or etcd\n");
}

}  // namespace
}  // namespace kubevip::cli
