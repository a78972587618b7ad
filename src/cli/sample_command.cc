// `sample config`: a complete, valid configuration from flags, to start a file from; with
// `--election etcd` one that elects through etcd (localPeer is then only the identity, and the
// election keys carry comments), with kubeadm's etcd certificate paths as defaults.
// `sample key`: a fresh random Raft cluster key (64 hex digits) for clusterKeyFile.
#include <openssl/rand.h>

#include <memory>
#include <ostream>

#include "cli/commands.h"
#include "config/loader.h"
#include "config/values.h"

namespace kubevip::cli {
namespace {

struct SampleOptions {
  std::string interface = "eth0";
  std::string vip = "192.168.0.1";
  std::string local_peer = "server1:192.168.0.1:10000";
  std::string remote_peers = "server2:192.168.0.2:10000,server3:192.168.0.3:10000";
  bool single_node = false;
  bool start_as_leader = false;
  bool gratuitous_arp = true;
  std::string lb_name = "Example Load Balancer";
  std::string lb_type = "tcp";
  std::string lb_port = "8080";
  bool lb_bind_to_vip = true;
  std::string lb_backends = "192.168.0.1:8080,192.168.0.2:8080";
  std::string election = "raft";
  std::string etcd_endpoints =
      "https://192.168.0.1:2379,https://192.168.0.2:2379,https://192.168.0.3:2379";
  std::string etcd_ca_cert = "/etc/kubernetes/pki/etcd/ca.crt";
  std::string etcd_cert = "/etc/kubernetes/pki/apiserver-etcd-client.crt";
  std::string etcd_key = "/etc/kubernetes/pki/apiserver-etcd-client.key";
};

Error flagError(const std::string& flag, const Error& e) {
  return makeError(ErrorCode::kInvalidArgument, "flag " + flag + ": " + e.message);
}

Result<config::Config> buildSample(const SampleOptions& o) {
  config::Config c;
  c.interface = o.interface;
  auto vip = IpAddress::parse(o.vip);
  if (!vip.ok()) return flagError("--vip", vip.error());
  c.vip = *vip;
  auto local = config::parsePeer(o.local_peer);
  if (!local.ok()) return flagError("--localPeer", local.error());
  c.local_peer = *local;
  auto remotes = config::parsePeerList(o.remote_peers);
  if (!remotes.ok()) return flagError("--remotePeers", remotes.error());
  c.remote_peers = *remotes;
  c.single_node = o.single_node;
  c.start_as_leader = o.start_as_leader;
  c.gratuitous_arp = o.gratuitous_arp;
  if (o.election == "etcd") {
    // The etcd cluster elects: no Raft peers, and of localPeer only the id is used.
    c.remote_peers.clear();
    c.local_peer->address = IpAddress();
    c.local_peer->port = 0;
    config::EtcdElection etcd;
    auto endpoints = config::parseEtcdEndpointList(o.etcd_endpoints);
    if (!endpoints.ok()) return flagError("--etcdEndpoints", endpoints.error());
    etcd.endpoints = *endpoints;
    etcd.ca_file = o.etcd_ca_cert;
    etcd.cert_file = o.etcd_cert;
    etcd.key_file = o.etcd_key;
    c.etcd = std::move(etcd);
    config::deriveEtcdIdentity(c);
  } else if (o.election != "raft") {
    return makeError(
        ErrorCode::kInvalidArgument,
        "flag --election: '" + o.election + "' is not an election type; use raft or etcd");
  }

  config::LoadBalancer lb;
  lb.name = o.lb_name;
  auto type = config::parseLoadBalancerType(o.lb_type);
  if (!type.ok()) return flagError("--lbType", type.error());
  lb.type = *type;
  auto port = config::parsePort(o.lb_port);
  if (!port.ok()) return flagError("--lbPort", port.error());
  lb.port = *port;
  lb.bind_to_vip = o.lb_bind_to_vip;
  auto backends = config::parseBackendList(o.lb_backends);
  if (!backends.ok()) return flagError("--lbBackends", backends.error());
  lb.backends = *backends;
  c.load_balancers.push_back(std::move(lb));

  // The sample is written for another host, so its interface and files need not exist here.
  if (auto s = config::validateConfig(
          c, [](const std::string&) { return true; },
          [](const std::string&) { return okStatus(); });
      !s.ok()) {
    return s.error();
  }
  return c;
}

}  // namespace

void addSampleCommand(CLI::App& app, CommandContext& context) {
  CLI::App* sample = app.add_subcommand("sample", "Print samples");
  sample->require_subcommand(1);
  CLI::App* cmd =
      sample->add_subcommand("config", "Print a complete configuration built from flags");
  auto o = std::make_shared<SampleOptions>();
  cmd->add_option("--interface", o->interface, "Interface that carries the VIP")
      ->capture_default_str();
  cmd->add_option("--vip", o->vip, "Virtual IP address")->capture_default_str();
  cmd->add_option("--localPeer", o->local_peer, "This node as id:address:port")
      ->capture_default_str();
  cmd->add_option("--remotePeers", o->remote_peers, "Other nodes, comma separated")
      ->capture_default_str();
  cmd->add_flag("--singleNode,!--no-singleNode", o->single_node, "Run without a cluster");
  cmd->add_flag("--startAsLeader,!--no-startAsLeader", o->start_as_leader,
                "Bootstrap the cluster from this node");
  cmd->add_flag("--arp,!--no-arp", o->gratuitous_arp, "Gratuitous ARP (default true)");
  cmd->add_option("--lbName", o->lb_name, "Load balancer name")->capture_default_str();
  cmd->add_option("--lbType", o->lb_type, "Load balancer type: tcp or http")->capture_default_str();
  cmd->add_option("--lbPort", o->lb_port, "Load balancer port")->capture_default_str();
  cmd->add_flag("--lbBindToVip,!--no-lbBindToVip", o->lb_bind_to_vip,
                "Listen on the VIP only (default true)");
  cmd->add_option("--lbBackends", o->lb_backends, "Backends, comma separated address:port")
      ->capture_default_str();
  cmd->add_option("--election", o->election,
                  "What elects the VIP's holder: raft (the nodes themselves) or etcd")
      ->capture_default_str();
  cmd->add_option("--etcdEndpoints", o->etcd_endpoints,
                  "With --election etcd: the etcd members, comma separated https://host:port")
      ->capture_default_str();
  cmd->add_option("--etcdCACert", o->etcd_ca_cert, "With --election etcd: election.tls.caFile")
      ->capture_default_str();
  cmd->add_option("--etcdCert", o->etcd_cert, "With --election etcd: election.tls.certFile")
      ->capture_default_str();
  cmd->add_option("--etcdKey", o->etcd_key, "With --election etcd: election.tls.keyFile")
      ->capture_default_str();
  cmd->callback([&context, o] {
    auto config = buildSample(*o);
    if (!config.ok()) return context.fail(config.error());
    *context.env.out << config::renderConfigYaml(*config);
    context.exit_status = 0;
  });

  CLI::App* key = sample->add_subcommand(
      "key",
      "Print a new random Raft cluster key (store it in the file named by clusterKeyFile, "
      "mode 0600, the same on every member)");
  key->callback([&context] {
    config::ClusterKey bytes{};
    if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
      return context.fail(makeError(ErrorCode::kSystem, "no random bytes from OpenSSL"));
    }
    *context.env.out << config::formatClusterKey(bytes) << "\n";
    context.exit_status = 0;
  });
}

}  // namespace kubevip::cli
