// Leader election, independent of what leading means.
//
// An Elector decides *who* leads among the configured members and reports changes on the event
// loop's thread. It knows nothing of VIPs, announcements or load balancers: the daemon wires its
// callbacks to the VIP controller. Implementations are named after their mechanism (RaftElector,
// LeaseElector); make_elector.h is the only place that picks one.
#pragma once

#include <functional>
#include <string>

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
};

}  // namespace kubevip::election
