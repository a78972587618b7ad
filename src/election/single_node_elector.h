// SingleNodeElector: the `singleNode: true` mode. There is nobody to elect against, so this node
// leads from start() until stop(), with a lease that never runs out. No Raft, no sockets, no disk.
#pragma once

#include <string>

#include "common/event_loop.h"
#include "election/elector.h"

namespace kubevip::election {

class SingleNodeElector final : public Elector {
 public:
  // `id` is reported by leaderId(). Callbacks run on `loop` (started_leading is posted, not run
  // inside start(), so callers see the same ordering as with the other electors).
  SingleNodeElector(TimeSource& time, std::string id);

  Status start(ElectorCallbacks callbacks) override;
  void stop(std::function<void()> done) override;
  bool isLeader() const override { return leading_; }
  SteadyTime leadershipValidUntil() const override;
  std::string leaderId() const override { return leading_ ? id_ : ""; }
  ElectorStatus status() const override;

 private:
  TimeSource& time_;
  std::string id_;
  ElectorCallbacks callbacks_;
  std::unique_ptr<Timer> timer_;
  bool started_ = false;
  bool leading_ = false;
};

}  // namespace kubevip::election
