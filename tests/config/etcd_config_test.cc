// The etcd election in the configuration file: election.type etcd and its keys read, written back,
// checked (with the exact messages), and treated as restart-only by a reload.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>

#include "config/loader.h"
#include "config/reload_plan.h"
#include "config/stop_timing.h"

namespace kubevip::config {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using ::testing::HasSubstr;
using ::testing::Not;

bool onlyEth0(const std::string& name) { return name == "eth0"; }

// Four lines of an out-of-cluster etcd election; tests append keys under election from line 5.
constexpr const char* kEtcdTestBase =
    "vip: 10.0.0.100\n"
    "interface: eth0\n"
    "localPeer: {id: node1}\n"
    "election:\n"
    "  type: etcd\n";
constexpr const char* kEndpoints = "  endpoints: [https://10.0.0.1:2379]\n";

// A directory with the three PEM files the tls keys name (their contents are not read here),
// removed when the test ends.
class CertificateDir {
 public:
  CertificateDir() {
    char dir[] = "/tmp/kubevip-etcd-config-XXXXXX";
    EXPECT_NE(::mkdtemp(dir), nullptr);
    dir_ = dir;
    for (const char* name : {"ca.pem", "client.pem", "client-key.pem"}) {
      std::ofstream(dir_ + "/" + name) << "-----BEGIN CERTIFICATE-----\n";
    }
  }
  ~CertificateDir() { std::filesystem::remove_all(dir_); }
  CertificateDir(const CertificateDir&) = delete;
  CertificateDir& operator=(const CertificateDir&) = delete;
  std::string path(const std::string& name) const { return dir_ + "/" + name; }

 private:
  std::string dir_;
};

Result<Config> parseEtcdTestConfig(const std::string& yaml) {
  return parseConfigYaml(yaml, "config.yaml");
}

Status parseAndValidate(const std::string& yaml) {
  auto parsed = parseEtcdTestConfig(yaml);
  if (!parsed.ok()) return parsed.error();
  return validateConfig(*parsed, onlyEth0);
}

// The one error line for `yaml`, from parsing or validation; "" if it was accepted.
std::string errorOf(const std::string& yaml) {
  Status s = parseAndValidate(yaml);
  EXPECT_FALSE(s.ok()) << "accepted:\n" << yaml;
  if (s.ok()) return "";
  EXPECT_EQ(s.error().message.find('\n'), std::string::npos);
  return s.error().message;
}

TEST(EtcdConfigReader, EveryKeyIsRead) {
  CertificateDir certs;
  const std::string yaml = std::string(kEtcdTestBase) +
                           "  endpoints:\n"
                           "    - https://10.0.0.1:2379\n"
                           "    - \"https://[fd00::2]:2379\"\n"
                           "    - http://etcd-3.example:2379\n"
                           "  tls:\n"
                           "    caFile: " +
                           certs.path("ca.pem") +
                           "\n"
                           "    certFile: " +
                           certs.path("client.pem") +
                           "\n"
                           "    keyFile: " +
                           certs.path("client-key.pem") +
                           "\n"
                           "  ttl: 2s\n"
                           "  key: /kube-vip/test\n"
                           "  probeInterval: 50ms\n"
                           "  probesUnanswered: 4\n";
  auto c = parseEtcdTestConfig(yaml);
  ASSERT_TRUE(c.ok()) << c.error().message;
  ASSERT_TRUE(c->etcd);
  EXPECT_EQ(c->etcd->endpoints,
            (std::vector<std::string>{"https://10.0.0.1:2379", "https://[fd00::2]:2379",
                                      "http://etcd-3.example:2379"}));
  EXPECT_EQ(c->etcd->ca_file, certs.path("ca.pem"));
  EXPECT_EQ(c->etcd->cert_file, certs.path("client.pem"));
  EXPECT_EQ(c->etcd->key_file, certs.path("client-key.pem"));
  EXPECT_EQ(c->etcd->ttl, seconds(2));
  EXPECT_EQ(c->etcd->key, "/kube-vip/test");
  EXPECT_EQ(c->etcd->identity, "node1") << "the identity is localPeer.id";
  EXPECT_EQ(c->election.probe_interval, milliseconds(50));
  EXPECT_EQ(c->election.probes_unanswered, 4);
  EXPECT_EQ(c->election.election_timeout, ElectionTiming{}.election_timeout);
  EXPECT_FALSE(c->kubernetes);
  Status valid = validateConfig(*c, onlyEth0);
  EXPECT_TRUE(valid.ok()) << valid.error().message;
  EXPECT_EQ(c->origins.find("election.endpoints[1]"), "config.yaml:8:7");
  EXPECT_EQ(c->origins.find("election.tls.keyFile"), "config.yaml:13:14");
}

TEST(EtcdConfigReader, DefaultsAndTheRaftDefault) {
  auto c = parseEtcdTestConfig(std::string(kEtcdTestBase) + kEndpoints);
  ASSERT_TRUE(c.ok()) << c.error().message;
  ASSERT_TRUE(c->etcd);
  EXPECT_EQ(c->etcd->ttl, seconds(5));
  EXPECT_EQ(c->etcd->key, "/kube-vip/kube-system/plndr-cp-lock");
  EXPECT_EQ(c->etcd->ca_file, "");
  EXPECT_EQ(c->etcd->cert_file, "");
  // localPeer needs only its id with etcd; address and port stay unset.
  EXPECT_EQ(c->local_peer->port, 0);
  EXPECT_TRUE(parseAndValidate(std::string(kEtcdTestBase) + kEndpoints).ok());

  for (const char* raft : {"election: {type: raft}\n", "election: {timeout: 400ms}\n", ""}) {
    auto r = parseEtcdTestConfig(std::string("vip: 10.0.0.100\ninterface: eth0\n") + raft);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_FALSE(r->etcd) << raft;
  }
}

TEST(EtcdConfigReader, AddressAndPortOfLocalPeerAreAllowedAndUnused) {
  auto c = parseEtcdTestConfig(
      "vip: 10.0.0.100\ninterface: eth0\nlocalPeer: {id: node1, address: 10.0.0.1, port: 1}\n"
      "election: {type: etcd, endpoints: [https://10.0.0.1:2379]}\n");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->etcd->identity, "node1");
  EXPECT_TRUE(validateConfig(*c, onlyEth0).ok());
  // Raft still needs all three, also when the election mapping comes first in the file.
  EXPECT_EQ(parseEtcdTestConfig("election: {type: raft}\nlocalPeer: {id: node1}\n").error().message,
            "config.yaml:2:12: localPeer: missing key 'address'");
}

TEST(EtcdConfigReader, KeysOfTheOtherElectionAreRefusedByName) {
  EXPECT_EQ(parseEtcdTestConfig("election:\n  ttl: 2s\n").error().message,
            "config.yaml:2:8: election.ttl: is a setting of the etcd election; add 'type: etcd' "
            "to election or remove it");
  EXPECT_EQ(parseEtcdTestConfig("election:\n  type: raft\n  endpoints: [https://10.0.0.1:2379]\n")
                .error()
                .message,
            "config.yaml:3:14: election.endpoints: is a setting of the etcd election; add 'type: "
            "etcd' to election or remove it");
  EXPECT_EQ(
      parseEtcdTestConfig(std::string(kEtcdTestBase) + "  leaderLease: 200ms\n").error().message,
      "config.yaml:6:16: election.leaderLease: is a Raft setting; with election.type etcd "
      "the etcd lease (election.ttl) decides how long leadership lasts: remove it");
}

TEST(EtcdConfigReader, BadValuesAreLocated) {
  EXPECT_EQ(parseEtcdTestConfig("election: {type: paxos}\n").error().message,
            "config.yaml:1:18: election.type: 'paxos' is not an election type; use raft or etcd");
  EXPECT_THAT(parseEtcdTestConfig(std::string(kEtcdTestBase) + "  ttl: 2500ms\n").error().message,
              HasSubstr("config.yaml:6:8: election.ttl: '2500ms' is 2500ms, not a whole number of "
                        "seconds (etcd lease TTLs are whole seconds"));
  EXPECT_EQ(parseEtcdTestConfig(std::string(kEtcdTestBase) + "  endpoints: https://10.0.0.1:2379\n")
                .error()
                .message,
            "config.yaml:6:14: election.endpoints: expected a list, got "
            "'https://10.0.0.1:2379'");
  EXPECT_THAT(parseEtcdTestConfig(std::string(kEtcdTestBase) + "  tls: {ca: /x}\n").error().message,
              HasSubstr("config.yaml:6:9: election.tls.ca: unknown key; allowed here: caFile, "
                        "certFile, keyFile"));
}

TEST(EtcdConfigReader, OneElectionPerFile) {
  EXPECT_EQ(
      parseEtcdTestConfig(std::string(kEtcdTestBase) + kEndpoints + "kubernetes: {leaseName: x}\n")
          .error()
          .message,
      "config.yaml:7:13: kubernetes: elects with a Kubernetes Lease, and election.type "
      "etcd elects through etcd: keep one of them");
}

TEST(EtcdConfigValidation, Endpoints) {
  EXPECT_EQ(errorOf(kEtcdTestBase),
            "config.yaml:5:3: election.endpoints: empty; list the etcd members as "
            "https://host:port (key election.endpoints, variable etcd_endpoints or flag "
            "--etcdEndpoints)");
  const std::map<std::string, std::string> bad = {
      {"ftp://10.0.0.1:2379", "expected https://host:port or http://host:port"},
      {"10.0.0.1:2379", "expected https://host:port or http://host:port"},
      {"https://10.0.0.1", "the port is missing (etcd's client port is usually 2379)"},
      {"https://10.0.0.1:2379/v3",
       "give scheme://host:port only, without a path (the client adds /v3/...)"},
      {"https://10.0.0.1:2379/", "give scheme://host:port only, without a path"},
      {"https://fd00::1:2379", "an IPv6 address must be bracketed, as in [fd00::1]:port"},
      {"https://[10.0.0.1]:2379", "'[10.0.0.1]' is not a bracketed IPv6 address"},
      {"https://root@10.0.0.1:2379", "user information is not supported"},
      {"https://10.0.0:2379", "'10.0.0' is not an IPv4 address"},
      {"https://0.0.0.0:2379", "'0.0.0.0' is the unspecified address, not a host"},
      {"https://etcd_1:2379", "'etcd_1' is neither an IP address nor a host name"},
      {"https://10.0.0.1:0", "port 0 is out of range (1-65535)"},
      {"https://10.0.0.1:http", "port 'http' is not a port number (1-65535)"},
      {"https://:2379", "the host is missing"},
  };
  for (const auto& [endpoint, why] : bad) {
    const std::string message =
        errorOf(std::string(kEtcdTestBase) + "  endpoints: [https://10.0.0.9:2379, \"" + endpoint +
                "\"]\n");
    std::string expected = "config.yaml:6:38: election.endpoints[1]: '";
    expected += endpoint;
    expected += "' is not an etcd endpoint: ";
    expected += why;
    EXPECT_THAT(message, HasSubstr(expected)) << endpoint;
  }
  EXPECT_EQ(errorOf(std::string(kEtcdTestBase) +
                    "  endpoints: [https://10.0.0.1:2379, https://10.0.0.1:2379]\n"),
            "config.yaml:6:38: election.endpoints[1]: 'https://10.0.0.1:2379' is listed twice "
            "(also election.endpoints[0])");
}

TEST(EtcdConfigValidation, TlsFiles) {
  CertificateDir certs;
  const std::string https = std::string(kEtcdTestBase) + kEndpoints;
  EXPECT_EQ(errorOf(https + "  tls: {certFile: " + certs.path("client.pem") + "}\n"),
            "config.yaml:7:19: election.tls.certFile: is set but election.tls.keyFile is not: a "
            "client certificate goes with its key; give both or neither");
  EXPECT_THAT(errorOf(https + "  tls: {keyFile: " + certs.path("client-key.pem") + "}\n"),
              HasSubstr("config.yaml:7:18: election.tls.keyFile: is set but election.tls.certFile "
                        "is not"));
  EXPECT_EQ(errorOf(https + "  tls: {caFile: /nonexistent/ca.pem}\n"),
            "config.yaml:7:17: election.tls.caFile: '/nonexistent/ca.pem' cannot be read (No such "
            "file or directory)");
  EXPECT_EQ(errorOf(https + "  tls: {caFile: /tmp}\n"),
            "config.yaml:7:17: election.tls.caFile: '/tmp' cannot be read (a directory, not a "
            "file)");
  EXPECT_EQ(errorOf(std::string(kEtcdTestBase) +
                    "  endpoints: [http://10.0.0.1:2379]\n  tls: {caFile: " + certs.path("ca.pem") +
                    "}\n"),
            "config.yaml:7:17: election.tls.caFile: is for https endpoints, and every endpoint is "
            "http://; use https:// or remove election.tls");
  // Plain http without tls, and the system's CAs without a client certificate, are accepted.
  EXPECT_TRUE(
      parseAndValidate(std::string(kEtcdTestBase) + "  endpoints: [http://10.0.0.1:2379]\n").ok());
  EXPECT_TRUE(parseAndValidate(https + "  tls: {caFile: " + certs.path("ca.pem") + "}\n").ok());
  // A file for another host: the caller decides what readable means.
  auto c = parseEtcdTestConfig(https + "  tls: {caFile: /nonexistent/ca.pem}\n");
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(validateConfig(*c, onlyEth0, [](const std::string&) { return okStatus(); }).ok());
}

TEST(EtcdConfigValidation, TtlAndKey) {
  const std::string base = std::string(kEtcdTestBase) + kEndpoints;
  EXPECT_EQ(errorOf(base + "  ttl: 1s\n"),
            "config.yaml:7:8: election.ttl: 1s is out of range (2s-3600s; etcd's minimum lease TTL "
            "is 2s)");
  EXPECT_THAT(errorOf(base + "  ttl: 3601s\n"),
              HasSubstr("config.yaml:7:8: election.ttl: 3601s is out of range (2s-3600s"));
  EXPECT_TRUE(parseAndValidate(base + "  ttl: 2s\n").ok());
  EXPECT_TRUE(parseAndValidate(base + "  ttl: 1h\n").ok());
  EXPECT_EQ(errorOf(base + "  key: \"\"\n"),
            "config.yaml:7:8: election.key: '' must start with '/' (for example "
            "/kube-vip/kube-system/plndr-cp-lock)");
  EXPECT_THAT(errorOf(base + "  key: kube-vip/x\n"),
              HasSubstr("config.yaml:7:8: election.key: 'kube-vip/x' must start with '/'"));
}

TEST(EtcdConfigValidation, LocalPeerIsTheIdentity) {
  EXPECT_EQ(errorOf("vip: 10.0.0.100\ninterface: eth0\nelection:\n  type: etcd\n" +
                    std::string(kEndpoints)),
            "config.yaml: localPeer: missing; the etcd election needs localPeer.id, this node's "
            "identity (the value it writes to election.key); address and port are not needed");
  // vip_localpeer replaces localPeer, and so the identity.
  auto c = parseEtcdTestConfig(std::string(kEtcdTestBase) + kEndpoints);
  ASSERT_TRUE(c.ok());
  const std::map<std::string, std::string> env = {{"vip_localpeer", "node7:10.0.0.7:10000"}};
  ASSERT_TRUE(applyEnvironment(*c, [&env](const char* name) -> std::optional<std::string> {
                auto it = env.find(name);
                return it == env.end() ? std::nullopt : std::optional(it->second);
              }).ok());
  EXPECT_EQ(c->etcd->identity, "node7");
}

TEST(EtcdConfigValidation, RaftKeysAreRefused) {
  const std::string base = std::string(kEtcdTestBase) + kEndpoints;
  EXPECT_EQ(errorOf(base + "remotePeers: [{id: node2, address: 10.0.0.2, port: 10000}]\n"),
            "config.yaml:7:14: remotePeers: remotePeers belongs to the Raft election; with "
            "election.type etcd the etcd cluster elects: remove it");
  EXPECT_EQ(errorOf(base + "singleNode: true\n"),
            "config.yaml:7:13: singleNode: singleNode belongs to the Raft election; with "
            "election.type etcd the etcd cluster elects: remove it");
  EXPECT_THAT(errorOf(base + "startAsLeader: true\n"),
              HasSubstr("config.yaml:7:16: startAsLeader: startAsLeader belongs to the Raft "
                        "election"));
  EXPECT_THAT(errorOf(base + "clusterKeyFile: /etc/kube-vip/cluster.key\n"),
              HasSubstr("config.yaml:7:17: clusterKeyFile: clusterKeyFile belongs to the Raft "
                        "election"));
  auto c = parseEtcdTestConfig(base);
  ASSERT_TRUE(c.ok());
  c->cluster_key = std::string(64, 'a');
  c->origins.set("clusterKey", "environment variable vip_clusterkey");
  Status s = validateConfig(*c, onlyEth0);
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.error().message, HasSubstr("environment variable vip_clusterkey: clusterKey: the "
                                           "cluster key (vip_clusterkey) belongs to the Raft"));
  EXPECT_THAT(s.error().message, Not(HasSubstr("aaaa")));
}

TEST(EtcdConfigValidation, ProbesAreCheckedAgainstTheTtlAndVipTimingStillApplies) {
  const std::string base = std::string(kEtcdTestBase) + kEndpoints;
  EXPECT_EQ(errorOf(base + "  ttl: 2s\n  probeInterval: 1s\n"),
            "config.yaml:8:18: election.probeInterval: 1s x 3 probesUnanswered = 3s must be "
            "shorter than election.ttl (2s); lower probeInterval or probesUnanswered");
  // 400ms x 3 is longer than Raft's default timeout (300ms), which does not apply here.
  EXPECT_TRUE(parseAndValidate(base + "  probeInterval: 400ms\n").ok());
  EXPECT_THAT(errorOf(base + "vipTiming: {renewInterval: 600ms}\n"),
              HasSubstr("vipTiming.renewInterval: 2 x 600ms exceeds vipTiming.lifetime (1s)"));
}

Config etcdConfig() {
  Config c;
  c.local_peer = Peer{"node1", IpAddress(), 0};
  c.vip = *IpAddress::parse("fd00::100");
  c.interface = "eth0";
  EtcdElection etcd;
  etcd.endpoints = {"https://10.0.0.1:2379", "https://[fd00::2]:2379"};
  etcd.ca_file = "/etc/kubernetes/pki/etcd/ca.crt";
  etcd.cert_file = "/etc/kubernetes/pki/apiserver-etcd-client.crt";
  etcd.key_file = "/etc/kubernetes/pki/apiserver-etcd-client.key";
  etcd.ttl = seconds(7);
  etcd.key = "/kube-vip/a: b #c";
  etcd.identity = "node1";
  c.etcd = std::move(etcd);
  c.election.probe_interval = milliseconds(40);
  c.election.probes_unanswered = 5;
  return c;
}

void expectRoundTrip(const Config& original) {
  const std::string yaml = renderConfigYaml(original);
  auto parsed = parseEtcdTestConfig(yaml);
  ASSERT_TRUE(parsed.ok()) << parsed.error().message << "\n" << yaml;
  EXPECT_EQ(*parsed, original) << yaml;
  EXPECT_EQ(renderConfigYaml(*parsed), yaml);
}

TEST(EtcdConfigWriter, RoundTrips) {
  const Config c = etcdConfig();
  expectRoundTrip(c);
  const std::string yaml = renderConfigYaml(c);
  EXPECT_THAT(yaml, HasSubstr("type: etcd"));
  EXPECT_THAT(yaml, HasSubstr("# etcd members"));
  EXPECT_THAT(yaml, Not(HasSubstr("heartbeat")));
  EXPECT_THAT(yaml, Not(HasSubstr("address:"))) << "localPeer is only the id";

  Config plain = etcdConfig();
  plain.etcd->ca_file.clear();
  plain.etcd->cert_file.clear();
  plain.etcd->key_file.clear();
  plain.local_peer = Peer{"node1", *IpAddress::parse("10.0.0.1"), 10000};
  expectRoundTrip(plain);
  EXPECT_THAT(renderConfigYaml(plain), Not(HasSubstr("tls")));

  Config only_ca = plain;
  only_ca.etcd->ca_file = "/ca.pem";
  expectRoundTrip(only_ca);
}

TEST(EtcdConfigWriter, RaftOutputHasNoEtcdKeys) {
  const std::string yaml = renderConfigYaml(Config{});
  EXPECT_THAT(yaml, Not(HasSubstr("type:")));
  EXPECT_THAT(yaml, Not(HasSubstr("ttl:")));
}

// The reload rule of reload_plan.h: every etcd setting needs a restart.
TEST(EtcdConfigReload, EveryEtcdSettingNeedsARestart) {
  const std::string running = std::string(kEtcdTestBase) + kEndpoints;
  auto plan = [&running](const std::string& next) {
    return planReload(*parseEtcdTestConfig(running), *parseEtcdTestConfig(next), onlyEth0);
  };
  auto refusal = [&plan](const std::string& next) {
    auto result = plan(next);
    EXPECT_FALSE(result.ok()) << next;
    return result.ok() ? "" : result.error().message;
  };
  EXPECT_EQ(refusal(std::string(kEtcdTestBase) +
                    "  endpoints: [https://10.0.0.2:2379]\n  ttl: 3s\n  key: /other\n"),
            "a reload cannot change election.endpoints (config.yaml:6:14), election.ttl "
            "(config.yaml:7:8), election.key (config.yaml:8:8); restart kube-vip to apply them "
            "(the running configuration is kept)");
  CertificateDir certs;
  EXPECT_THAT(refusal(running + "  tls: {caFile: " + certs.path("ca.pem") + "}\n"),
              HasSubstr("a reload cannot change election.tls.caFile (config.yaml:7:17);"));
  EXPECT_THAT(refusal("vip: 10.0.0.100\ninterface: eth0\nlocalPeer: {id: node2}\n"
                      "election:\n  type: etcd\n" +
                      std::string(kEndpoints)),
              HasSubstr("a reload cannot change localPeer (config.yaml:3:12);"));
  EXPECT_THAT(refusal("vip: 10.0.0.100\ninterface: eth0\n"
                      "localPeer: {id: node1, address: 10.0.0.1, port: 10000}\n"),
              HasSubstr("election.type"));
  // The probe settings still change live.
  auto live = plan(running + "  probeInterval: 30ms\n");
  ASSERT_TRUE(live.ok()) << live.error().message;
  EXPECT_EQ(live->live_timings, std::vector<std::string>{"election.probeInterval"});
  // In `manager` the identity is vip_nodename, not localPeer.
  Config a = *parseEtcdTestConfig(running);
  Config b = a;
  b.etcd->identity = "node9";
  auto result = planReload(a, b, onlyEth0);
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(result.error().message, HasSubstr("the etcd identity (vip_nodename)"));
}

TEST(EtcdConfigStopTiming, AStopWaitsForAKeepAliveAndTheRevokeWhateverTheEndpoints) {
  Config c = *parseEtcdTestConfig(std::string(kEtcdTestBase) +
                                  "  endpoints: [http://10.0.0.1:2379, http://10.0.0.2:2379]\n");
  EXPECT_EQ(etcdRequestTimeout(seconds(2)), milliseconds(500));
  EXPECT_EQ(etcdRequestTimeout(seconds(5)), milliseconds(1250));
  EXPECT_EQ(etcdRequestTimeout(seconds(3600)), milliseconds(5000)) << "capped";
  EXPECT_EQ(etcdStopBound(seconds(5)), milliseconds(2 * 1250 + 100));
  EXPECT_EQ(electorStopBound(c), etcdStopBound(seconds(5)));
  EXPECT_EQ(daemonStopDeadline(c), milliseconds(2 * 1250 + 100 + 200));
  // etcd wins over the Lease `manager` keeps for the Services.
  c.kubernetes = KubernetesLease{};
  EXPECT_EQ(electorStopBound(c), etcdStopBound(seconds(5)));
  // The longest TTL with many members still stops within a pod's grace period.
  c.kubernetes.reset();
  c.etcd->ttl = kEtcdMaxTtl;
  for (int i = 3; i <= 7; ++i)
    c.etcd->endpoints.push_back("http://10.0.0." + std::to_string(i) + ":2379");
  EXPECT_EQ(electorStopBound(c), milliseconds(2 * 5000 + 100));
  EXPECT_LE(processStopBound(c), kMaxStopDeadline);
  EXPECT_TRUE(validateConfig(c, onlyEth0).ok());
}

}  // namespace
}  // namespace kubevip::config
