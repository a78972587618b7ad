#include "lb/accept_backoff.h"

#include <algorithm>
#include <utility>

namespace kubevip::lb {

bool AcceptBackoff::onFailure(SteadyTime now) {
  const bool first = failures_ == 0;
  ++failures_;
  pause_ = first ? kFirstPause : std::min<Duration>(2 * pause_, kMaxPause);
  paused_ = true;
  resume_at_ = now + pause_;
  return first;
}

uint64_t AcceptBackoff::onSuccess() {
  paused_ = false;
  pause_ = Duration::zero();
  return std::exchange(failures_, 0);
}

bool AcceptBackoff::resumeIfDue(SteadyTime now) {
  if (!paused_ || now < resume_at_) return false;
  paused_ = false;
  return true;
}

}  // namespace kubevip::lb
