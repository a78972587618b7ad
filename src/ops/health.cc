#include "ops/health.h"

#include <fmt/format.h>

#include <chrono>

namespace kubevip::ops {
namespace {

std::string secondsText(Duration d) {
  return fmt::format("{:.1f}s", std::chrono::duration<double>(d).count());
}

}  // namespace

HealthState::HealthState(Duration stall_bound) : stall_bound_(stall_bound) {}

void HealthState::loopTurned(SteadyTime now) {
  std::lock_guard lock(mutex_);
  // A late caller on another thread must not move the last turn backwards.
  if (!last_turn_ || now > *last_turn_) last_turn_ = now;
}

void HealthState::setReady(bool ready, std::string reason) {
  std::lock_guard lock(mutex_);
  ready_ = ready;
  reason_ = std::move(reason);
}

Answer HealthState::liveness(SteadyTime now) const {
  std::lock_guard lock(mutex_);
  if (!last_turn_) return {false, "the control loop has not started"};
  Duration since = now > *last_turn_ ? now - *last_turn_ : Duration::zero();
  if (since > stall_bound_) {
    return {false, "the control loop last turned " + secondsText(since) + " ago (bound " +
                       secondsText(stall_bound_) + ")"};
  }
  return {true, "ok: the control loop last turned " + secondsText(since) + " ago"};
}

Answer HealthState::readiness() const {
  std::lock_guard lock(mutex_);
  if (ready_) return {true, reason_.empty() ? "ok" : "ok: " + reason_};
  return {false, "not ready: " + (reason_.empty() ? std::string("no reason given") : reason_)};
}

}  // namespace kubevip::ops
