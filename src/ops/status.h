// The status document that `kube-vip status` prints: plain structs, their JSON both ways, and a
// text rendering for people. Pure; the daemon fills a NodeStatus on its loop, the control socket
// carries its JSON, the command line renders it.
//
// Reading is tolerant where a newer or older daemon may differ: unknown fields are ignored, and the
// fields marked optional (and the lists, read as empty) may be missing or null. A missing required
// field or a value of the wrong type is an error naming the field ("status document: field
// 'vips[0].state' ...").
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace kubevip::ops {

enum class NodeMode { kRaft, kLease, kSingleNode, kServices, kEtcd };
enum class ElectionRole { kLeader, kFollower, kCandidate };
enum class VipState { kIdle, kProbing, kHolding };

const char* nodeModeName(NodeMode mode);  // "raft", "lease", "single-node", "services", "etcd"
const char* electionRoleName(ElectionRole role);  // "leader", "follower", "candidate"
const char* vipStateName(VipState state);         // "idle", "probing", "holding"

struct PeerStatus {
  std::string id;
  std::string address;  // "10.0.0.1:10000"
  bool voter = true;
  friend bool operator==(const PeerStatus&, const PeerStatus&) = default;
};

struct LeaseStatus {
  std::string lease_namespace;  // "namespace" in JSON
  std::string name;
  std::string holder;
  friend bool operator==(const LeaseStatus&, const LeaseStatus&) = default;
};

// The etcd election's key and the value it holds (the holder's identity).
struct EtcdKeyStatus {
  std::string key;
  std::string holder;
  friend bool operator==(const EtcdKeyStatus&, const EtcdKeyStatus&) = default;
};

struct ElectionStatus {
  std::string backend;  // "raft", "lease", "etcd", "none", ...
  std::string leader;   // empty when no leader is known
  bool is_leader = false;
  ElectionRole role = ElectionRole::kFollower;
  std::optional<uint64_t> term;  // Raft's term; etcd: the key's fencing token (mod revision)
  std::vector<PeerStatus> peers;
  std::optional<LeaseStatus> lease;   // Lease only
  std::optional<EtcdKeyStatus> etcd;  // etcd only
  std::optional<double> leadership_time_left_s;
  friend bool operator==(const ElectionStatus&, const ElectionStatus&) = default;
};

struct ReadyStatus {
  bool ok = false;
  std::string reason;
  friend bool operator==(const ReadyStatus&, const ReadyStatus&) = default;
};

struct VipStatus {
  std::string address;
  std::string interface;
  VipState state = VipState::kIdle;  // what this node does with it
  std::string holder;                // the node that holds it, empty when none is known
  std::optional<std::string> since;  // UTC ISO-8601 (isoUtc), when known
  friend bool operator==(const VipStatus&, const VipStatus&) = default;
};

struct BackendStatus {
  std::string address;
  bool up = false;
  uint64_t active_connections = 0;
  friend bool operator==(const BackendStatus&, const BackendStatus&) = default;
};

struct BalancerStatus {
  std::string name;
  std::string type;                  // "tcp", "http", "udp"
  std::string forwarding = "proxy";  // "proxy" | "kernel" (nftables DNAT on the holder)
  std::string listening;             // "addr:port", empty while not listening (kernel: forwarding)
  uint64_t active_connections = 0;
  std::vector<BackendStatus> backends;
  friend bool operator==(const BalancerStatus&, const BalancerStatus&) = default;
};

// One BGP session of this node's speaker (bgp/speaker.h's PeerStatus, as text).
struct BgpPeerStatus {
  std::string peer;   // "192.0.2.1:179", "[fd00::1]:179"
  uint64_t as = 0;    // the peer's AS
  std::string state;  // the RFC 4271 §8 state in lower case: idle, connect, active, opensent,
                      // openconfirm, established
  std::optional<std::string> established_since;  // UTC ISO-8601, while established
  uint64_t routes_announced = 0;                 // routes the peer has from us now
  uint64_t updates_sent = 0;
  std::string last_error;  // why the last session ended, or why routes are held back; "" none
  friend bool operator==(const BgpPeerStatus&, const BgpPeerStatus&) = default;
};

struct BgpStatus {
  uint64_t local_as = 0;
  std::string router_id;
  std::vector<BgpPeerStatus> peers;
  friend bool operator==(const BgpStatus&, const BgpStatus&) = default;
};

struct NodeStatus {
  std::string node;
  std::string version;
  NodeMode mode = NodeMode::kRaft;
  ElectionStatus election;
  ReadyStatus ready;
  std::vector<VipStatus> vips;
  std::vector<BalancerStatus> balancers;
  std::optional<BgpStatus> bgp;  // when addresses are announced by BGP
  friend bool operator==(const NodeStatus&, const NodeStatus&) = default;
};

// "2026-12-06T10:01:02Z" (RFC 3339 section 5.6, whole seconds, UTC).
std::string isoUtc(std::chrono::system_clock::time_point time);

// One JSON object; indent < 0 for one line, otherwise pretty with that many spaces.
std::string statusToJson(const NodeStatus& status, int indent = -1);
Result<NodeStatus> statusFromJson(std::string_view json);

// Several lines, each ending in '\n', e.g.
//   node node1: kube-vip 0.1.0, mode raft, election by raft
//   leader: node2 (this node: node1, follower, term 7)
//   vip 192.168.1.10 on eth0: held by node2 since 2026-12-06T10:01:02Z; this node idle
//   bgp: AS 65000, router id 192.168.1.1
//   bgp peer 192.168.1.254:179 (AS 65001): established since 2026-12-06T10:01:03Z, 1 route
//     announced, 3 updates sent
std::string renderStatusText(const NodeStatus& status);

}  // namespace kubevip::ops
