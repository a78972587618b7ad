#include "lb/health_checker.h"

#include <spdlog/spdlog.h>

namespace kubevip::lb {

HealthStateMachine::HealthStateMachine(int rise, int fall)
    : rise_(rise < 1 ? 1 : rise), fall_(fall < 1 ? 1 : fall) {}

bool HealthStateMachine::onProbe(bool success) {
  const bool agrees = (state_ == HealthState::kUp) == success;
  if (agrees) {
    streak_ = 0;
    return false;
  }
  ++streak_;
  const int needed = state_ == HealthState::kUp ? fall_ : rise_;
  if (streak_ < needed) return false;
  state_ = state_ == HealthState::kUp ? HealthState::kDown : HealthState::kUp;
  streak_ = 0;
  return true;
}

bool HealthStateMachine::forceDown() {
  if (state_ == HealthState::kDown) return false;  // keep a rise streak in progress
  state_ = HealthState::kDown;
  streak_ = 0;
  return true;
}

HealthChecker::HealthChecker(std::string balancer_name, config::HealthCheck config,
                             BackendPool& pool, TimeSource& time, Prober& prober)
    : name_(std::move(balancer_name)),
      config_(std::move(config)),
      pool_(pool),
      time_(time),
      prober_(prober) {
  backends_.reserve(pool.size());
  for (std::size_t i = 0; i < pool.size(); ++i) backends_.emplace_back(config_);
}

HealthChecker::~HealthChecker() {
  // Abandon probes before timers: a probe's destructor must not find its checker half gone.
  for (auto& b : backends_) {
    b.in_flight.reset();
    b.finished.reset();
  }
}

void HealthChecker::start() {
  for (std::size_t i = 0; i < backends_.size(); ++i) {
    backends_[i].next_probe = time_.createTimer();
    backends_[i].deadline = time_.createTimer();
    probe(i);
  }
}

void HealthChecker::probe(std::size_t i) {
  Backend& b = backends_[i];
  b.next_probe->start(config_.interval, [this, i] { probe(i); });
  // A passive failure seen by the data plane since the last probe.
  if (!pool_.isUp(i) && b.machine.forceDown()) {
    spdlog::info("lb {}: backend {} marked down by a failed connection, {} good checks to return",
                 name_, pool_.endpoint(i).toString(), config_.rise);
  }
  b.finished.reset();
  if (b.in_flight) return;  // the previous probe still has its deadline running
  b.deadline->start(config_.timeout, [this, i] {
    backends_[i].in_flight.reset();  // abandon it: a late answer must not count as well
    const bool ok = prober_.unansweredIsHealthy();
    finish(i, ok, ok ? "had no answer, nor an error" : "timed out");
  });
  b.in_flight = prober_.start(pool_.endpoint(i), [this, i](bool ok) {
    // The handle is what calls us: free it later, outside its own callback.
    backends_[i].finished = std::move(backends_[i].in_flight);
    finish(i, ok, ok ? "answered" : "failed");
  });
}

void HealthChecker::finish(std::size_t i, bool ok, const char* why) {
  Backend& b = backends_[i];
  b.deadline->stop();
  if (!b.machine.onProbe(ok)) return;
  if (b.machine.state() == HealthState::kUp) {
    pool_.markUp(i);
    spdlog::info("lb {}: backend {} is up (health check {})", name_, pool_.endpoint(i).toString(),
                 why);
  } else {
    pool_.markDown(i, time_.now());
    spdlog::warn("lb {}: backend {} is down (health check {})", name_, pool_.endpoint(i).toString(),
                 why);
  }
}

}  // namespace kubevip::lb
