// What /livez and /readyz answer.
//
// The daemon's control loop calls loopTurned() on a periodic timer; the HTTP server's own thread
// asks liveness() and readiness(). /livez fails when the loop has not turned for longer than the
// stall bound: a loop that is stuck (a blocking call, a deadlock, a frozen process that resumed but
// cannot run) cannot renew anything, and a supervisor that restarts it on a failing /livez brings
// the node back. /readyz fails while the election backend is unreachable, with the reason in the
// body, so that a load balancer in front of the node stops sending to it.
//
// Thread-safety: every method may be called from any thread; the clock is passed in, so the state
// is pure and tests drive it with simulated time.
#pragma once

#include <mutex>
#include <optional>
#include <string>

#include "common/time_source.h"

namespace kubevip::ops {

// An answer to a probe: ok, and a one-line body for the operator.
struct Answer {
  bool ok = false;
  std::string body;
};

class HealthState {
 public:
  // Longer than any periodic timer of the loop (the shortest renewal runs every few hundred
  // milliseconds) by a wide margin, so that a busy but healthy loop is never reported dead.
  static constexpr Duration kDefaultStallBound = seconds(5);

  explicit HealthState(Duration stall_bound = kDefaultStallBound);

  void loopTurned(SteadyTime now);
  void setReady(bool ready, std::string reason);

  // ok while the loop turned within the stall bound before `now`. Before the first turn the loop
  // has not started yet: not live.
  Answer liveness(SteadyTime now) const;
  // ok after setReady(true, ...); the reason given last in the body either way. Not ready until
  // the daemon first says so.
  Answer readiness() const;

 private:
  const Duration stall_bound_;
  mutable std::mutex mutex_;
  std::optional<SteadyTime> last_turn_;
  bool ready_ = false;
  std::string reason_ = "starting";
};

}  // namespace kubevip::ops
