#include "election/single_node_elector.h"

#include <spdlog/spdlog.h>

namespace kubevip::election {

SingleNodeElector::SingleNodeElector(TimeSource& time, std::string id)
    : time_(time), id_(std::move(id)) {}

Status SingleNodeElector::start(ElectorCallbacks callbacks) {
  if (started_) return makeError(ErrorCode::kInternal, "SingleNodeElector started twice");
  started_ = true;
  callbacks_ = std::move(callbacks);
  timer_ = time_.createTimer();
  timer_->start(Duration::zero(), [this] {
    leading_ = true;
    spdlog::info("single node mode: {} leads", id_);
    if (callbacks_.started_leading) callbacks_.started_leading();
  });
  return okStatus();
}

void SingleNodeElector::stop(std::function<void()> done) {
  if (timer_) timer_->stop();
  if (leading_) {
    leading_ = false;
    if (callbacks_.stopped_leading) callbacks_.stopped_leading();
  }
  callbacks_ = {};
  if (done) done();
}

ElectorStatus SingleNodeElector::status() const {
  ElectorStatus status;
  status.backend = "single-node";
  status.election_name = "single-node";
  status.role = leading_ ? "leader" : "stopped";
  return status;
}

SteadyTime SingleNodeElector::leadershipValidUntil() const {
  return leading_ ? SteadyTime::max() : SteadyTime{};
}

}  // namespace kubevip::election
