// When accept() fails for lack of resources, a listener stops accepting for a while.
//
// A listener is registered level-triggered: while connections wait in its queue, every epoll round
// reports it again. If accept() then fails with EMFILE, ENFILE, ENOBUFS or ENOMEM, the queue does
// not shrink, so a worker that simply returned would be woken at once, forever: one core spinning
// and a log line per wake-up, and the descriptor table stays full for the control plane (Raft,
// netlink, the API client), which can cost the node its leadership. So the listener is disarmed
// for a back-off that starts at kFirstPause and doubles up to kMaxPause while the failures go on;
// the first failure of an episode is logged, and the episode's end with the number of failures.
//
// Pure logic over injected time: the worker owns one per listener and asks it, once per round,
// whether the pause is over.
#pragma once

#include <cstdint>

#include "common/time_source.h"

namespace kubevip::lb {

class AcceptBackoff {
 public:
  static constexpr Duration kFirstPause = milliseconds(100);
  static constexpr Duration kMaxPause = seconds(1);

  // A resource failure at `now`: the listener must pause until resumeAt(). True when this
  // failure starts an episode (the caller logs it).
  bool onFailure(SteadyTime now);
  // An accept that succeeded (or found the queue empty) ends the episode. Returns the number of
  // failures the episode counted (0 when there was none), for one closing log line.
  uint64_t onSuccess();

  bool paused() const { return paused_; }
  // Valid while paused().
  SteadyTime resumeAt() const { return resume_at_; }
  // True once the pause has run out: the caller re-arms the listener and tries again; the episode
  // stays open until an accept succeeds, so the next failure pauses twice as long.
  bool resumeIfDue(SteadyTime now);
  bool inEpisode() const { return failures_ > 0; }
  uint64_t failures() const { return failures_; }
  Duration currentPause() const { return pause_; }

 private:
  bool paused_ = false;
  SteadyTime resume_at_{};
  Duration pause_ = Duration::zero();
  uint64_t failures_ = 0;
};

}  // namespace kubevip::lb
