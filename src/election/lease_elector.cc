#include "election/lease_elector.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace kubevip::election {
namespace {

int64_t toMs(Duration d) { return std::chrono::duration_cast<milliseconds>(d).count(); }

k8s::WallTime systemWallClock() {
  return std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now());
}

}  // namespace

const char* leaseElectorStateName(LeaseElector::State state) {
  switch (state) {
    case LeaseElector::State::kIdle:
      return "idle";
    case LeaseElector::State::kFollowing:
      return "following";
    case LeaseElector::State::kLeading:
      return "leading";
    case LeaseElector::State::kStopping:
      return "stopping";
    case LeaseElector::State::kStopped:
      return "stopped";
  }
  return "?";
}

Status validateLeaseOptions(const LeaseElectorOptions& options) {
  auto invalid = [](std::string message) {
    return makeError(ErrorCode::kInvalidArgument, std::move(message));
  };
  if (options.identity.empty()) {
    return invalid("the Lease holder identity (node name, vip_nodename) is empty");
  }
  if (options.retry_period <= Duration::zero()) {
    return invalid("the lease retry period (vip_retryperiod) must be positive");
  }
  if (options.lease_duration <= options.renew_deadline) {
    return invalid(fmt::format(
        "lease duration ({} ms, vip_leaseduration) must be greater than the renew deadline ({} ms, "
        "vip_renewdeadline)",
        toMs(options.lease_duration), toMs(options.renew_deadline)));
  }
  const auto jittered =
      std::chrono::duration_cast<Duration>(options.retry_period * kLeaseJitterFactor);
  if (options.renew_deadline <= jittered) {
    return invalid(fmt::format(
        "renew deadline ({} ms, vip_renewdeadline) must be greater than {} x the retry period ({} "
        "ms, vip_retryperiod)",
        toMs(options.renew_deadline), kLeaseJitterFactor, toMs(options.retry_period)));
  }
  return okStatus();
}

LeaseElector::LeaseElector(TimeSource& time, RandomSource& random,
                           std::unique_ptr<k8s::LeaseClient> client, LeaseElectorOptions options)
    : time_(time), random_(random), client_(std::move(client)), options_(std::move(options)) {
  retry_timer_ = time_.createTimer();
  validity_timer_ = time_.createTimer();
  deadline_timer_ = time_.createTimer();
  watch_timer_ = time_.createTimer();
}

LeaseElector::~LeaseElector() {
  *alive_ = false;
  if (watching_) client_->cancelWatch();
}

Result<std::unique_ptr<LeaseElector>> LeaseElector::create(TimeSource& time, RandomSource& random,
                                                           std::unique_ptr<k8s::LeaseClient> client,
                                                           LeaseElectorOptions options) {
  if (auto valid = validateLeaseOptions(options); !valid) return valid.error();
  if (!options.wall_clock) options.wall_clock = systemWallClock;
  return std::unique_ptr<LeaseElector>(
      new LeaseElector(time, random, std::move(client), std::move(options)));
}

Status LeaseElector::start(ElectorCallbacks callbacks) {
  if (state_ != State::kIdle) {
    return makeError(ErrorCode::kInternal, "the Lease elector was already started");
  }
  callbacks_ = std::move(callbacks);
  state_ = State::kFollowing;
  spdlog::info("lease election: {} as \"{}\" (lease {} s, renew deadline {} s, retry {} s)",
               client_->describe(), options_.identity, toMs(options_.lease_duration) / 1000.0,
               toMs(options_.renew_deadline) / 1000.0, toMs(options_.retry_period) / 1000.0);
  attempt();
  return okStatus();
}

SteadyTime LeaseElector::leadershipValidUntil() const {
  if (state_ != State::kLeading || !valid_until_) return SteadyTime{};
  return *valid_until_;
}

k8s::LeaseClient::Callback LeaseElector::guard(std::function<void(Result<k8s::Lease>)> fn) {
  std::weak_ptr<bool> alive = alive_;
  const SteadyTime sent_at = time_.now();
  return [this, alive, sent_at, fn = std::move(fn)](Result<k8s::Lease> result) {
    auto token = alive.lock();
    if (!token || !*token) return;
    noteRequest(sent_at, result ? okStatus() : Status(result.error()));
    fn(std::move(result));
  };
}

void LeaseElector::noteRequest(SteadyTime sent_at, const Status& result) {
  // An answer refusing the request (409 conflict, 404 not found) still shows the API server
  // reachable; no answer, 5xx and refused credentials do not.
  const bool answered = result.ok() || result.error().code == ErrorCode::kConflict ||
                        result.error().code == ErrorCode::kNotFound;
  unreachable_reason_ = answered ? "" : result.error().describe();
  if (callbacks_.backend_request) callbacks_.backend_request(time_.now() - sent_at, result);
}

ElectorStatus LeaseElector::status() const {
  ElectorStatus status;
  status.backend = "lease";
  const std::string described = client_->describe();  // "namespace/name"
  const size_t slash = described.find('/');
  status.lease_namespace = slash == std::string::npos ? "" : described.substr(0, slash);
  status.election_name = slash == std::string::npos ? described : described.substr(slash + 1);
  status.role = state_ == State::kLeading     ? "leader"
                : state_ == State::kFollowing ? "follower"
                                              : leaseElectorStateName(state_);
  status.lease_holder = observed_.holder_identity;
  status.backend_reachable = unreachable_reason_.empty();
  if (!status.backend_reachable) {
    status.unreachable_reason =
        "the API server does not answer Lease requests: " + unreachable_reason_;
  }
  return status;
}

Duration LeaseElector::observedLeaseDuration() const {
  if (observed_.lease_duration_seconds > 0) return seconds(observed_.lease_duration_seconds);
  return options_.lease_duration;
}

bool LeaseElector::leaseHeldByOther() const {
  return !observed_.holder_identity.empty() && observed_.holder_identity != options_.identity &&
         observed_time_ && *observed_time_ + observedLeaseDuration() > time_.now();
}

k8s::LeaseSpec LeaseElector::ourRecord(bool keep_acquire) const {
  k8s::LeaseSpec spec;
  const auto now = options_.wall_clock();
  spec.holder_identity = options_.identity;
  spec.lease_duration_seconds =
      static_cast<int>(std::chrono::duration_cast<seconds>(options_.lease_duration).count());
  spec.renew_time = now;
  if (keep_acquire) {
    spec.acquire_time = observed_.acquire_time;
    spec.lease_transitions = observed_.lease_transitions;
  } else {
    spec.acquire_time = now;
    spec.lease_transitions = observed_.lease_transitions + 1;
  }
  return spec;
}

void LeaseElector::observe(const k8s::Lease& lease) {
  observed_rv_ = lease.resource_version;
  if (!observed_time_ || lease.spec != observed_) {
    observed_ = lease.spec;
    observed_time_ = time_.now();
  }
  if (!reported_once_ || observed_.holder_identity != reported_leader_) {
    reported_once_ = true;
    reported_leader_ = observed_.holder_identity;
    if (reported_leader_ != options_.identity) {
      spdlog::info("lease election: {} is held by \"{}\"", client_->describe(), reported_leader_);
      if (callbacks_.new_leader) callbacks_.new_leader(reported_leader_);
    }
  }
}

void LeaseElector::attempt() {
  in_flight_ = true;
  const SteadyTime sent_at = time_.now();
  const bool valid = observed_time_ && *observed_time_ + observedLeaseDuration() > sent_at;
  if (state_ == State::kLeading && observed_.holder_identity == options_.identity && valid) {
    // Renew fast path: write on top of what we last wrote, without reading first.
    client_->update(observed_rv_, ourRecord(/*keep_acquire=*/true),
                    guard([this, sent_at](const Result<k8s::Lease>& result) {
                      if (result) {
                        onWritten(result, sent_at, "renew");
                        return;
                      }
                      spdlog::debug("lease election: optimistic renewal failed ({}), reading",
                                    result.error().describe());
                      slowPath(sent_at);
                    }));
    return;
  }
  slowPath(sent_at);
}

void LeaseElector::slowPath(SteadyTime sent_at) {
  client_->get(guard([this, sent_at](Result<k8s::Lease> result) {
    if (!result) {
      if (result.error().code == ErrorCode::kNotFound && state_ != State::kStopping) {
        k8s::LeaseSpec spec = ourRecord(/*keep_acquire=*/false);
        spec.lease_transitions = 0;
        client_->create(spec, guard([this, sent_at](const Result<k8s::Lease>& created) {
                          onWritten(created, sent_at, "create");
                        }));
        return;
      }
      reportFailure(result.error().describe());
      finishAttempt(false, sent_at);
      return;
    }
    observe(*result);
    if (state_ == State::kStopping || leaseHeldByOther()) {
      finishAttempt(false, sent_at);
      return;
    }
    writeAfterRead(sent_at);
  }));
}

void LeaseElector::writeAfterRead(SteadyTime sent_at) {
  const bool ours = observed_.holder_identity == options_.identity;
  client_->update(observed_rv_, ourRecord(/*keep_acquire=*/ours),
                  guard([this, sent_at, ours](const Result<k8s::Lease>& updated) {
                    onWritten(updated, sent_at, ours ? "renew" : "acquire");
                  }));
}

void LeaseElector::onWritten(const Result<k8s::Lease>& result, SteadyTime sent_at,
                             const char* what) {
  if (!result) {
    if (result.error().code == ErrorCode::kConflict) {
      spdlog::info("lease election: another node wrote {} first (409), not acquired",
                   client_->describe());
    } else {
      reportFailure(fmt::format("cannot {} the Lease: {}", what, result.error().describe()));
    }
    finishAttempt(false, sent_at);
    return;
  }
  observe(*result);
  finishAttempt(true, sent_at);
}

void LeaseElector::reportFailure(const std::string& message) {
  // The same failure every retry period (API server down, bad credentials) is logged once, then
  // counted and repeated every kRepeatEvery attempts, so that logs stay readable during an outage.
  constexpr int kRepeatEvery = 30;
  if (message == last_failure_) {
    ++failure_repeats_;
    if (failure_repeats_ % kRepeatEvery != 0) {
      spdlog::debug("lease election: {}", message);
      return;
    }
    spdlog::warn("lease election: {} (failing for the last {} attempts)", message,
                 failure_repeats_ + 1);
    return;
  }
  last_failure_ = message;
  failure_repeats_ = 0;
  spdlog::warn("lease election: {}", message);
}

void LeaseElector::finishAttempt(bool acquired, SteadyTime sent_at) {
  in_flight_ = false;
  const SteadyTime now = time_.now();
  if (state_ == State::kStopping) {
    if (observed_.holder_identity == options_.identity) {
      release();
    } else {
      finishStop();
    }
    return;
  }
  if (acquired) {
    last_failure_.clear();
    const SteadyTime valid_until = sent_at + (options_.lease_duration - options_.renew_deadline);
    if (valid_until <= now) {
      // Written, but the answer came back too late to rely on; the next attempt renews it.
      spdlog::warn("lease election: the API server took {} ms to answer, too late to lead on",
                   toMs(now - sent_at));
    } else {
      valid_until_ = valid_until;
      cycle_deadline_.reset();
      deadline_timer_->stop();
      validity_timer_->start(valid_until - now, [this, sent_at] {
        stepDown(fmt::format(
            "lost contact with the API server: no successful renewal of {} for {} ms, releasing "
            "the VIP before another node can see the Lease as expired",
            client_->describe(), toMs(time_.now() - sent_at)));
      });
      if (state_ != State::kLeading) {
        state_ = State::kLeading;
        cancelWatch();
        spdlog::info("lease election: acquired {} as \"{}\" (transitions {}), leading",
                     client_->describe(), options_.identity, observed_.lease_transitions);
        if (callbacks_.started_leading) callbacks_.started_leading();
      }
    }
  } else if (state_ == State::kLeading && observed_.holder_identity != options_.identity) {
    stepDown(
        fmt::format("{} is now held by \"{}\"", client_->describe(), observed_.holder_identity));
  }
  scheduleNext();
}

void LeaseElector::scheduleNext() {
  if (state_ != State::kLeading && state_ != State::kFollowing) return;
  Duration wait = options_.retry_period;
  if (state_ == State::kFollowing && watching_ &&
      options_.follower_poll_while_watching > Duration::zero()) {
    wait = options_.follower_poll_while_watching;
  }
  if (state_ == State::kFollowing) {
    // client-go wait.JitterUntil: period + rand[0,1) * JitterFactor * period.
    const int64_t period_us = std::chrono::duration_cast<std::chrono::microseconds>(wait).count();
    const auto max_extra =
        static_cast<int64_t>(static_cast<double>(period_us) * kLeaseJitterFactor);
    wait += std::chrono::microseconds(random_.uniform(0, max_extra));
    // Not in client-go: when the observed holder's lease will expire before the next jittered
    // poll, look again right after the expiry. The decision is the same (observedTime + duration),
    // it is only checked at the earliest moment it can change, which shortens a failover by up to
    // 2.2 retry periods.
    if (leaseHeldByOther()) {
      const Duration until_expiry =
          *observed_time_ + observedLeaseDuration() - time_.now() + milliseconds(1);
      wait = std::min(wait, until_expiry);
    } else if (attempt_after_flight_) {
      wait = Duration::zero();  // a watch event freed the Lease while a request was out
    }
    ensureWatch();
  }
  attempt_after_flight_ = false;
  retry_timer_->start(wait, [this] {
    if (state_ == State::kLeading && !cycle_deadline_) {
      // A new renewal cycle: it must succeed within renewDeadline (client-go renew()).
      cycle_deadline_ = time_.now() + options_.renew_deadline;
      deadline_timer_->start(options_.renew_deadline, [this] {
        stepDown(fmt::format("failed to renew {} within the renew deadline ({} ms)",
                             client_->describe(), toMs(options_.renew_deadline)));
      });
    }
    attempt();
  });
}

void LeaseElector::ensureWatch() {
  // Watching needs a resourceVersion to start from: the first read provides it.
  if (state_ != State::kFollowing || watching_ || watch_timer_->active() || observed_rv_.empty()) {
    return;
  }
  watching_ = true;
  watch_started_ = time_.now();
  std::weak_ptr<bool> alive = alive_;
  k8s::LeaseWatchCallbacks callbacks;
  callbacks.on_event = [this, alive](const k8s::LeaseWatchEvent& event) {
    if (auto token = alive.lock(); token && *token) onWatchEvent(event);
  };
  callbacks.on_end = [this, alive](const Status& status) {
    if (auto token = alive.lock(); token && *token) onWatchEnd(status);
  };
  client_->watch(observed_rv_, std::move(callbacks));
}

void LeaseElector::cancelWatch() {
  watch_timer_->stop();
  if (!watching_) return;
  watching_ = false;
  client_->cancelWatch();
}

void LeaseElector::onWatchEnd(const Status& status) {
  watching_ = false;
  if (state_ != State::kFollowing) return;
  // A stream the server ended after a while (its timeoutSeconds) continues at once from the last
  // version seen. Failures, and streams ended right away, back off so that a server refusing or
  // cutting watches is not hammered; polling carries on meanwhile.
  if (status && time_.now() - watch_started_ >= options_.retry_period) {
    watch_failures_ = 0;
    ensureWatch();
    return;
  }
  ++watch_failures_;
  constexpr Duration kMaxBackoff = seconds(30);
  Duration backoff = options_.retry_period;
  for (int i = 1; i < watch_failures_ && backoff < kMaxBackoff; ++i) backoff *= 2;
  backoff = std::min(backoff, kMaxBackoff);
  const std::string why = status ? "the server ended it at once" : status.error().describe();
  if (watch_failures_ == 1) {
    spdlog::info(
        "lease election: watch of {} ended ({}); polling continues, watching again in {} ms",
        client_->describe(), why, toMs(backoff));
  } else {
    spdlog::debug("lease election: watch of {} failed again ({}), next in {} ms",
                  client_->describe(), why, toMs(backoff));
  }
  watch_timer_->start(backoff, [this] { ensureWatch(); });
}

void LeaseElector::onWatchEvent(const k8s::LeaseWatchEvent& event) {
  watch_failures_ = 0;
  if (state_ != State::kFollowing) return;
  if (event.type == k8s::LeaseWatchEvent::Type::kDeleted) {
    // A GET would now answer 404: the normal path creates the Lease.
    spdlog::info("lease election: {} was deleted", client_->describe());
    if (in_flight_) {
      attempt_after_flight_ = true;
      return;
    }
    retry_timer_->stop();
    attempt();
    return;
  }
  if (event.lease.resource_version == observed_rv_) return;  // already seen through a read
  // Exactly what a GET returning this record does: a changed record restarts observedTime.
  observe(event.lease);
  // Held and unexpired: nothing to do; the polls go on at their own pace as the fallback.
  if (leaseHeldByOther()) return;
  if (in_flight_) {
    attempt_after_flight_ = true;
    return;
  }
  spdlog::info("lease election: {} is free (seen by watch), acquiring", client_->describe());
  retry_timer_->stop();
  in_flight_ = true;
  writeAfterRead(time_.now());
}

void LeaseElector::stepDown(const std::string& why) {
  if (state_ != State::kLeading) return;
  state_ = State::kFollowing;
  valid_until_.reset();
  cycle_deadline_.reset();
  validity_timer_->stop();
  deadline_timer_->stop();
  spdlog::warn("lease election: stepping down: {}", why);
  if (callbacks_.stopped_leading) callbacks_.stopped_leading();
  // With a request in flight, its completion schedules the next attempt.
  if (!in_flight_ && !retry_timer_->active()) scheduleNext();
}

void LeaseElector::stop(std::function<void()> done) {
  if (state_ == State::kIdle || state_ == State::kStopped) {
    state_ = State::kStopped;
    if (done) done();
    return;
  }
  if (state_ == State::kStopping) return;
  stop_done_ = std::move(done);
  const bool was_leading = state_ == State::kLeading;
  state_ = State::kStopping;
  retry_timer_->stop();
  validity_timer_->stop();
  deadline_timer_->stop();
  valid_until_.reset();
  cancelWatch();
  if (was_leading) {
    // The VIP goes first; only then is the Lease handed back (ReleaseOnCancel).
    spdlog::info("lease election: stopping, giving up the leadership");
    if (callbacks_.stopped_leading) callbacks_.stopped_leading();
  }
  if (in_flight_) return;  // finishAttempt continues the stop
  if (observed_.holder_identity == options_.identity) {
    release();
  } else {
    finishStop();
  }
}

void LeaseElector::release() {
  k8s::LeaseSpec spec;
  const auto now = options_.wall_clock();
  spec.holder_identity = "";
  spec.lease_duration_seconds = 1;
  spec.acquire_time = now;
  spec.renew_time = now;
  spec.lease_transitions = observed_.lease_transitions;
  in_flight_ = true;
  client_->update(observed_rv_, spec, guard([this](Result<k8s::Lease> result) {
                    in_flight_ = false;
                    if (result) {
                      observe(*result);
                      spdlog::info("lease election: released {}", client_->describe());
                    } else {
                      spdlog::warn(
                          "lease election: could not release the Lease ({}); it expires by "
                          "itself after the lease duration",
                          result.error().describe());
                    }
                    finishStop();
                  }));
}

void LeaseElector::finishStop() {
  state_ = State::kStopped;
  auto done = std::move(stop_done_);
  stop_done_ = nullptr;
  if (done) done();
}

}  // namespace kubevip::election
