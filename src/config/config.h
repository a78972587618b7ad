// The daemon's configuration: plain structs, filled from a YAML file, the environment and flags
// (flags > environment > file), and validated once before anything starts. The functions that read,
// check and write it are in config/loader.h; the syntax of single values in config/values.h.
//
// Keys of the original kube-vip file keep their names. Durations are strings with a unit ("300ms",
// "2s", "1m", "1m30s"); a plain integer is milliseconds.
//
// clang-format off
//   key                              type / default          meaning
//   localPeer {id, address, port}    peer                    this node in the Raft cluster
//   remotePeers                      list of peers           the other nodes
//   vip                              IPv4 or IPv6 address    the virtual IP (required)
//   interface                        name                    where the VIP is added (required)
//   gratuitousARP                    bool, true              announce the VIP (ARP / unsolicited NA)
//   singleNode                       bool, false             no cluster: this node always leads
//   startAsLeader                    bool, false             bootstrap the cluster from this node
//   loadBalancers[]                                          TCP/HTTP load balancers on the VIP
//     name                           string                  shown in logs and metrics
//     type                           tcp | http, tcp
//     port                           1-65535                 listening port
//     bindToVip                      bool, true              listen on the VIP (else on all addresses)
//     backends[] {address, port}                             at least one
//     algorithm                      roundrobin | leastconn, roundrobin
//     healthCheck.enabled            bool, true
//     healthCheck.interval           duration, 2s
//     healthCheck.timeout            duration, 1s            < interval
//     healthCheck.rise               int, 2                  passes before a backend is used again
//     healthCheck.fall               int, 2                  failures before a backend is dropped
//     healthCheck.path               string, "/"             HTTP GET path (http balancers)
//     connectTimeout                 duration, 3s
//     idleTimeout                    duration, 5m
//     maxConnections                 int, 10000
//     connectRetries                 int, 2                  further backends tried per connection
//   loadBalancerWorkers              0-256, 0                load-balancer threads; 0: one per usable
//                                                            CPU (affinity mask and cgroup quota)
//   election.type                    raft | etcd, raft       etcd: elect through an etcd cluster
//   election.endpoints               list of URLs            etcd members, https://host:port
//   election.tls {caFile, certFile, keyFile}                 etcd client TLS (PEM files)
//   election.ttl                     duration, 5s            etcd lease TTL, whole seconds, >= 2s
//   election.key                     string                  etcd key, /kube-vip/kube-system/plndr-cp-lock
//   election.timeout                 duration, 300ms         Raft election timeout
//   election.heartbeat               duration, 50ms          2*heartbeat <= leaderLease
//   election.leaderLease             duration, 250ms         < election.timeout
//   election.probeInterval           duration, 20ms          ARP/NDP probe period before taking the VIP
//   election.probesUnanswered        int, 3                  probeInterval*probesUnanswered < timeout
//   vipTiming.lifetime               duration, 1s            whole seconds, >= 1s: kernel valid_lft
//   vipTiming.renewInterval          duration, 200ms         renewInterval*2 <= lifetime
//   vipTiming.announceInterval       duration, 3s            >= 100ms
//   vipTiming.announceBurst          int, 3                  1-10 packets on acquisition
//   clusterKeyFile                   path                    file holding the Raft cluster key
//                                                            (64 hex digits; `kube-vip sample key`)
//   kubernetes (absent: Raft)        mapping                 elect with a Lease instead of Raft
//     leaseName                      string, plndr-cp-lock
//     leaseNamespace                 string, kube-system
//     leaseDuration                  duration, 5s            whole seconds, > renewDeadline
//     renewDeadline                  duration, 3s            whole seconds, > retryPeriod
//     retryPeriod                    duration, 1s            whole seconds
//     identity                       string                  holderIdentity, the node name
//     kubeconfig                     path                    empty: in-cluster service account
//   logLevel                         trace..off, info        reloadable
//   prometheusServer                 [host]:port, ":2112"    metrics endpoint; "" disables
//   healthCheckPort                  0-65535, 0              /livez and /readyz; 0 disables
//   statusSocket                     path                    `kube-vip status`/`reload`; "" disables
//                                    (/run/kube-vip/kube-vip.sock)
//   bgp (absent: no BGP)             mapping                 announce by BGP instead of ARP/NDP
//                                                            (needs gratuitousARP: false)
//     routerID                       IPv4 address            the BGP Identifier; or:
//     routerInterface                name                    take it from this interface's IPv4
//                                                            (neither: from `interface`'s)
//     vipInterface                   name, lo                where announced addresses are added
//     listenPort                     1-65535, 179            where passive peers connect
//     gracefulRestartTime            duration, 0s            RFC 4724 Restart Time: whole
//                                                            seconds, 0 (off) to 4095s
//     as                             1-4294967295, 65000     our AS (not 23456, AS_TRANS)
//     holdTime                       duration, 30s           0 or 3s-65535s, whole seconds
//     keepaliveInterval              duration, 10s           at most holdTime/3
//     peers[]                                                at least one
//       address                      IPv4 or IPv6 address
//       as                           1-4294967295, 65000
//       password                     string, ""              TCP MD5 key (RFC 2385), <= 80 bytes
//       multihop                     bool or TTL 1-255       true: TTL 255; false: directly connected
//       port                         1-65535, 179
//       holdTime, keepaliveInterval  duration               default: the bgp level's
//       passive                      bool, false             wait for the router to connect
//     sourceIP / sourceInterface     address / name          where the sessions come from
//     mpbgpNexthop                   auto_sourceif | auto_sourceip | fixed; "" off
//     mpbgpIPv4, mpbgpIPv6           address                 next hops for "fixed"
//     communities                    list of "AS:value"      16-bit each (RFC 1997)
//     largeCommunities               list of "a:b:c"         32-bit each (RFC 8092)
//     localPref, med                 0-4294967295            absent: not sent
// clang-format on
//
// The in-cluster variables of BGP (bgp_enable, bgp_routerid, bgp_peers, ...) are in
// config/incluster_env.cc.
//
// Environment variables (original names): vip_interface, vip_address, vip_arp, vip_singlenode,
// vip_startleader, vip_localpeer (id:address:port), vip_peers (comma list), vip_loglevel,
// prometheus_server, health_check_port; ours: vip_clusterkeyfile (clusterKeyFile), vip_clusterkey
// (the key itself, instead of a file) and vip_statussocket.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/ip_address.h"

namespace kubevip::config {

using std::chrono::milliseconds;

// Where each value came from ("config.yaml:7:10", "environment variable vip_peers", "flag --vip"),
// keyed by its path ("remotePeers[1].port"), so that validation can point at the cause of an error.
// Not part of the configuration's value: configurations differing only here compare equal.
class ValueOrigins {
 public:
  void set(const std::string& key_path, std::string origin);
  // Forgets key_path and everything below it (a list replaced by the environment or a flag).
  void eraseBelow(std::string_view key_path);
  // The origin of key_path or of its nearest recorded parent ("remotePeers[1]", "remotePeers", "");
  // empty if none is recorded.
  std::string find(std::string_view key_path) const;
  // The origin recorded for exactly key_path.
  std::optional<std::string> findExact(std::string_view key_path) const;

  friend bool operator==(const ValueOrigins&, const ValueOrigins&) { return true; }

 private:
  std::map<std::string, std::string, std::less<>> origins_;
};

struct Peer {
  std::string id;
  IpAddress address;
  uint16_t port = 0;

  friend bool operator==(const Peer&, const Peer&) = default;
};

struct Backend {
  IpAddress address;
  uint16_t port = 0;
  // Share of new connections relative to the other backends (kernel forwarding only: the proxy
  // balances by its algorithm alone and refuses weights other than 1).
  uint32_t weight = 1;

  friend bool operator==(const Backend&, const Backend&) = default;
};

enum class LoadBalancerType { kTcp, kHttp, kUdp };
// roundrobin and leastconn for the proxy; roundrobin, random and sourcehash for the kernel.
enum class BalanceAlgorithm { kRoundRobin, kLeastConnections, kRandom, kSourceHash };
// Who moves a balancer's packets: kube-vip's own proxy (connections end on the holder and are
// re-made to a backend), or the kernel (nftables DNAT on the holder, src/nft).
enum class ForwardingMode { kProxy, kKernel };

struct HealthCheck {
  bool enabled = true;
  milliseconds interval{2000};
  milliseconds timeout{1000};
  int rise = 2;
  int fall = 2;
  std::string http_path = "/";  // http load balancers only
  // udp load balancers only: the probe datagram's bytes (empty: an empty datagram).
  std::string payload;

  friend bool operator==(const HealthCheck&, const HealthCheck&) = default;
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
  ForwardingMode forwarding = ForwardingMode::kProxy;
  // Kernel forwarding: rewrite the source of forwarded connections to the holder's address, so
  // that replies come back through it whatever the backends' routes (like IPVS's NAT mode).
  // false keeps the client's address; the backends must then route replies via the holder.
  bool source_nat = true;

  friend bool operator==(const LoadBalancer&, const LoadBalancer&) = default;
};

// Timing of the Raft election and of the VIP's fencing; see src/vip for the argument tying them.
struct ElectionTiming {
  milliseconds election_timeout{300};
  milliseconds heartbeat_interval{50};
  milliseconds leader_lease{250};   // < election_timeout
  milliseconds probe_interval{20};  // ARP/NDP probe period while another host holds the VIP
  int probes_unanswered = 3;        // consecutive unanswered probes before the VIP is taken

  friend bool operator==(const ElectionTiming&, const ElectionTiming&) = default;
};

// How late the kernel may remove an address after its valid lifetime ran out: lifetimes are
// whole seconds and the expiry work is scheduled with round_jiffies_up(); the README's measurement
// ("Kernel expiry of a dead daemon's VIP") saw it at most 0.24 s late, so one second leaves room.
// A dead holder's VIP is gone at most lifetime + this after its last renewal: the validator and
// the VIP controller both reason from it.
inline constexpr std::chrono::seconds kKernelExpirySlack{1};

struct VipTiming {
  std::chrono::seconds valid_lifetime{1};  // kernel drops the VIP this long after the last renewal
  milliseconds renew_interval{200};
  milliseconds announce_interval{3000};  // gratuitous ARP / unsolicited NA refresh
  int announce_burst = 3;                // packets sent at once on acquisition

  friend bool operator==(const VipTiming&, const VipTiming&) = default;
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
  // With a kubeconfig: the port of this node's own API server, reached at 127.0.0.1 whatever host
  // the kubeconfig names (k8s/apiserver_route.h says why), unless use_kubeconfig_server.
  uint16_t apiserver_port = 6443;
  bool use_kubeconfig_server = false;

  friend bool operator==(const KubernetesLease&, const KubernetesLease&) = default;
};

// Leader election through etcd v3 (`election.type: etcd` in the file; `manager` with
// leaderElectionType=etcd): a key created only while absent, bound to a lease of `ttl` that the
// holder keeps alive (src/election/etcd_elector.h has the rules and their argument).
// etcd's lease TTLs: at least 2 s (etcd's minimum, which it would silently raise a smaller TTL
// to), at most an hour (a dead holder would keep the election that long).
inline constexpr std::chrono::seconds kEtcdMinTtl{2};
inline constexpr std::chrono::seconds kEtcdMaxTtl{3600};

struct EtcdElection {
  // "https://host:port" or "http://host:port", tried in order, the last one that answered first.
  std::vector<std::string> endpoints;
  std::string ca_file;    // PEM CAs the members' certificates are checked against; empty: system
  std::string cert_file;  // client certificate (PEM), both or neither
  std::string key_file;
  // The election's key: every member of one election uses the same. In `manager`
  // "/kube-vip/<vip_leasenamespace>/<vip_leasename>".
  std::string key = "/kube-vip/kube-system/plndr-cp-lock";
  // The etcd lease's TTL: whole seconds, kEtcdMinTtl..kEtcdMaxTtl. `manager`: vip_leaseduration.
  std::chrono::seconds ttl{5};
  // What the holder writes as the key's value: localPeer.id, in `manager` vip_nodename.
  std::string identity;

  friend bool operator==(const EtcdElection&, const EtcdElection&) = default;
};

// The Services mode (`manager` with svc_enable=true): addresses for Services of type LoadBalancer,
// configured only by the in-cluster variables (config/incluster_env.h), never by the file.
struct ServicesMode {
  bool per_service_election = false;           // svc_election
  std::string lease_name = "plndr-svcs-lock";  // svc_leasename, in the Lease's namespace
  std::string namespace_filter;                // svc_namespace; empty: every namespace
  std::string interface;                       // vip_servicesinterface; empty: Config::interface
  bool lb_class_only = false;                  // lb_class_only
  std::string lb_class_name = "kube-vip.io/kube-vip-class";  // lb_class_name
  bool lb_class_legacy_handling = true;                      // lb_class_legacy_handling
  bool use_endpoints = false;                                // enable_endpoints
  bool write_updates = true;                                 // !disable_service_updates
  bool address_management = true;                            // svc_ipam
  std::string ipam_configmap_namespace = "kube-system";      // svc_ipam_configmap "<ns>/<name>"
  std::string ipam_configmap_name = "kubevip";
  // BGP without any election (vip_leaderelection=false, svc_election=false): every node announces
  // every Service address it may (ECMP at the routers); no node hands out addresses or writes
  // kube-vip.io/vipHost, since that needs a single writer.
  bool every_node_announces = false;

  friend bool operator==(const ServicesMode&, const ServicesMode&) = default;
};

// A BGP neighbour this node announces its addresses to (RFC 4271).
struct BgpPeer {
  IpAddress address;
  uint32_t as = 65000;
  std::string password;  // TCP MD5 signature key (RFC 2385); empty: none
  int multihop_ttl = 0;  // 0: directly connected (TTL 1); else the TTL of our packets
  uint16_t port = 179;
  std::optional<std::chrono::seconds> hold_time;           // absent: BgpConfig::hold_time
  std::optional<std::chrono::seconds> keepalive_interval;  // absent: BgpConfig's
  bool passive = false;  // wait for the peer to connect instead of connecting

  friend bool operator==(const BgpPeer&, const BgpPeer&) = default;
};

// A BGP community (RFC 1997): "AS:value", two 16-bit numbers.
struct BgpCommunity {
  uint16_t as = 0;
  uint16_t value = 0;
  friend bool operator==(const BgpCommunity&, const BgpCommunity&) = default;
};

// A large community (RFC 8092): "global:local1:local2", three 32-bit numbers.
struct BgpLargeCommunity {
  uint32_t global = 0;
  uint32_t local1 = 0;
  uint32_t local2 = 0;
  friend bool operator==(const BgpLargeCommunity&, const BgpLargeCommunity&) = default;
};

// How the next hop of IPv6 routes over IPv4 sessions (and back) is chosen (MP-BGP, RFC 4760).
enum class MpBgpNextHop { kDefault, kAutoSourceInterface, kAutoSourceIp, kFixed };

// Announcing addresses by BGP: host routes for the VIP (and Service addresses) are originated to
// every peer; routes learnt from peers are ignored.
struct BgpConfig {
  std::optional<IpAddress> router_id;  // IPv4; absent: from router_interface
  std::string router_interface;
  uint32_t as = 65000;
  std::chrono::seconds hold_time{30};
  std::chrono::seconds keepalive_interval{10};
  std::vector<BgpPeer> peers;
  std::optional<IpAddress> source_ip;
  std::string source_interface;
  MpBgpNextHop mpbgp_nexthop = MpBgpNextHop::kDefault;
  std::optional<IpAddress> mpbgp_ipv4;
  std::optional<IpAddress> mpbgp_ipv6;
  std::vector<BgpCommunity> communities;
  std::vector<BgpLargeCommunity> large_communities;
  std::optional<uint32_t> local_pref;
  std::optional<uint32_t> med;
  // Where the announced addresses are added: the node must answer for them, and on `lo` no
  // segment sees them (the routers decide where their traffic goes).
  std::string vip_interface = "lo";
  uint16_t listen_port = 179;  // for passive peers
  // RFC 4724 §3: the Restart Time we advertise (a 12-bit field); 0: no Graceful Restart.
  // Off unless asked for: a router keeps the routes of a peer whose session dropped (a killed
  // process) for this long, marked stale, and with an elected holder the dead leader's stale path
  // would sit next to the new leader's for all that time. It suits a node whose routes do not move
  // (a single node, or Services announced by every node).
  std::chrono::seconds graceful_restart_time{0};

  friend bool operator==(const BgpConfig&, const BgpConfig&) = default;
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
  // Load-balancer worker threads (loadBalancerWorkers); 0: one per usable CPU (lb/usable_cpus.h).
  int lb_workers = 0;
  // The Raft cluster key (src/election/raft_peer_auth.h): a file naming it, or the key itself from
  // the environment (never written to a file by renderConfigYaml). Both empty: unauthenticated.
  std::string cluster_key_file;
  std::string cluster_key;

  ElectionTiming election;
  // Set in the in-cluster mode: elect with a Lease instead of Raft.
  std::optional<KubernetesLease> kubernetes;
  // Set when the VIP is elected through etcd (out of cluster instead of Raft; in `manager` instead
  // of the control-plane Lease, which Services keep using).
  std::optional<EtcdElection> etcd;
  // Set when Services of type LoadBalancer are served (needs `kubernetes`). Without `vip` the
  // process serves Services only.
  std::optional<ServicesMode> services;
  VipTiming vip_timing;
  // Set when addresses are announced by BGP (in addition to, or instead of, ARP/NDP).
  std::optional<BgpConfig> bgp;

  std::string log_level = "info";
  // Where the daemon serves its operations endpoints (src/ops); each is opened at start.
  std::string prometheus_server = ":2112";                    // "" disables
  uint16_t health_check_port = 0;                             // 0 disables
  std::string status_socket = "/run/kube-vip/kube-vip.sock";  // "" disables

  // Not from the file: from flags only.
  std::string data_dir;  // default derived from local_peer.id

  ValueOrigins origins;

  friend bool operator==(const Config&, const Config&) = default;
};

}  // namespace kubevip::config
