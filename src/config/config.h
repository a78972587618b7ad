// The daemon's configuration: plain structs, filled from a YAML file, the environment and flags
// (flags > environment > file), and validated once before anything starts.
//
// Keys of the original kube-vip file keep their names (localPeer, remotePeers, vip, interface,
// gratuitousARP, singleNode, startAsLeader, loadBalancers). Keys of ours are documented in the
// README and shown by `kube-vip sample config`.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/ip_address.h"

namespace kubevip::config {

using std::chrono::milliseconds;

struct Peer {
  std::string id;
  IpAddress address;
  uint16_t port = 0;
};

struct Backend {
  IpAddress address;
  uint16_t port = 0;
};

enum class LoadBalancerType { kTcp, kHttp };
enum class BalanceAlgorithm { kRoundRobin, kLeastConnections };

struct HealthCheck {
  bool enabled = true;
  milliseconds interval{2000};
  milliseconds timeout{1000};
  int rise = 2;
  int fall = 2;
  std::string http_path = "/";  // http load balancers only
};

struct LoadBalancer {
  std::string name;
  LoadBalancerType type = LoadBalancerType::kTcp;
  uint16_t port = 0;
  bool bind_to_vip = true;
  std::vector<Backend> backends;
  BalanceAlgorithm algorithm = BalanceAlgorithm::kRoundRobin;
  HealthCheck health_check;
  milliseconds connect_timeout{3000};
  milliseconds idle_timeout{300000};
  int max_connections = 10000;
  int connect_retries = 2;  // further backends tried after a refused or timed-out connect
};

// Timing of the Raft election and of the VIP's fencing; see src/vip for the argument tying them.
struct ElectionTiming {
  milliseconds election_timeout{300};
  milliseconds heartbeat_interval{50};
  milliseconds leader_lease{250};     // < election_timeout
  milliseconds probe_interval{20};    // ARP/NDP probe period while another host holds the VIP
  int probes_unanswered = 3;          // consecutive unanswered probes before the VIP is taken
};

struct VipTiming {
  std::chrono::seconds valid_lifetime{1};  // kernel drops the VIP this long after the last renewal
  milliseconds renew_interval{200};
  milliseconds announce_interval{3000};    // gratuitous ARP / unsolicited NA refresh
  int announce_burst = 3;                  // packets sent at once on acquisition
};

// In-cluster leader election through a coordination.k8s.io/v1 Lease (the `manager` mode).
struct KubernetesLease {
  std::string lease_name = "plndr-cp-lock";
  std::string lease_namespace = "kube-system";
  std::chrono::seconds lease_duration{5};
  std::chrono::seconds renew_deadline{3};
  std::chrono::seconds retry_period{1};
  std::string identity;         // holderIdentity: the node name
  std::string kubeconfig_path;  // empty: in-cluster service account
};

struct Config {
  std::optional<Peer> local_peer;
  std::vector<Peer> remote_peers;
  std::optional<IpAddress> vip;
  std::string interface;
  bool gratuitous_arp = true;
  bool single_node = false;
  bool start_as_leader = false;
  std::vector<LoadBalancer> load_balancers;

  ElectionTiming election;
  // Set in the in-cluster mode: elect with a Lease instead of Raft.
  std::optional<KubernetesLease> kubernetes;
  VipTiming vip_timing;

  // Not from the file: runtime settings from flags or the environment.
  std::string log_level = "info";
  std::string data_dir;  // default derived from local_peer.id
};

}  // namespace kubevip::config
