// Leader election, independent of what leading means.
//
// An Elector decides *who* leads among the configured members and reports changes on the event
// loop's thread. It knows nothing of VIPs, announcements or load balancers: the daemon wires its
// callbacks to the VIP controller. Implementations are named after their mechanism (RaftElector,
// LeaseElector); make_elector.h is the only place that picks one.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "common/time_source.h"

namespace kubevip::election {

struct ElectorCallbacks {
  // This node became the leader. The leadership is usable only while
  // leadershipValidUntil() lies in the future.
  std::function<void()> started_leading;
  // This node is no longer the leader (deposed, lost its majority, or stopped).
  std::function<void()> stopped_leading;
  // Another member is now known as the leader ("" when none is known).
  std::function<void(const std::string& leader_id)> new_leader;
  // A request to the election's backend finished (the Lease: every read and write), with how
  // long it took and how it ended; for metrics. Optional.
  std::function<void(Duration latency, const Status& result)> backend_request;
};

struct ElectorPeer {
  std::string id;
  std::string address;  // "host:port"
};

// What an elector can say about itself, for `kube-vip status`, /readyz and metrics.
struct ElectorStatus {
  std::string backend;  // "raft", "lease", "single-node"
  // The election's name: the Lease's name, else the backend ("raft"); metrics' lease_name.
  std::string election_name;
  std::string role;  // "leader", "follower", "candidate", "stopped"
  std::optional<uint64_t> term;
  std::vector<ElectorPeer> peers;  // Raft: every voter, this node included
  std::string lease_namespace;     // Lease only
  std::string lease_holder;        // Lease only: holderIdentity as last seen
  // Whether the backend that elects can currently be reached (/readyz), and if not, why.
  bool backend_reachable = true;
  std::string unreachable_reason;
};

class Elector {
 public:
  virtual ~Elector() = default;
  virtual Status start(ElectorCallbacks callbacks) = 0;
  // Graceful stop: a leader hands over (where the mechanism can) and steps down; done() runs on the
  // loop once the elector has released everything it holds.
  virtual void stop(std::function<void()> done) = 0;
  virtual bool isLeader() const = 0;
  // The point until which this node's leadership is certain: no other member can have been elected
  // before it. A past (or unset) value means the VIP must not be held now.
  virtual SteadyTime leadershipValidUntil() const = 0;
  virtual std::string leaderId() const = 0;
  virtual ElectorStatus status() const = 0;
};

}  // namespace kubevip::election
