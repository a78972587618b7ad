#include "election/etcd_elector.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "config/config.h"
#include "config/stop_timing.h"

namespace kubevip::election {
namespace {

int64_t toMs(Duration d) { return std::chrono::duration_cast<milliseconds>(d).count(); }

// etcdctl prints lease IDs in hexadecimal; so do we, so that log lines can be matched with it.
std::string leaseName(int64_t id) { return fmt::format("{:x}", static_cast<uint64_t>(id)); }

}  // namespace

const char* etcdElectorStateName(EtcdElector::State state) {
  switch (state) {
    case EtcdElector::State::kIdle:
      return "idle";
    case EtcdElector::State::kFollowing:
      return "following";
    case EtcdElector::State::kLeading:
      return "leading";
    case EtcdElector::State::kStopping:
      return "stopping";
    case EtcdElector::State::kStopped:
      return "stopped";
  }
  return "?";
}

EtcdTimings etcdTimings(std::chrono::seconds ttl) {
  const auto quarter = std::chrono::duration_cast<milliseconds>(ttl) / 4;
  return EtcdTimings{quarter, quarter, quarter};
}

Status validateEtcdOptions(const EtcdElectorOptions& options) {
  auto invalid = [](std::string message) {
    return makeError(ErrorCode::kInvalidArgument, std::move(message));
  };
  if (options.identity.empty()) {
    return invalid("etcd election: the identity written into the key (localPeer.id) is empty");
  }
  if (options.key.empty() || options.key.front() != '/') {
    return invalid(
        fmt::format("etcd election: the key '{}' (election.key) must start with '/'", options.key));
  }
  if (options.ttl < config::kEtcdMinTtl) {
    return invalid(fmt::format(
        "etcd election: the lease TTL ({} s, election.ttl) is below etcd's minimum of {} s",
        options.ttl.count(), config::kEtcdMinTtl.count()));
  }
  return okStatus();
}

EtcdElector::EtcdElector(TimeSource& time, RandomSource& random,
                         std::unique_ptr<etcd::EtcdClient> client, EtcdElectorOptions options)
    : time_(time),
      random_(random),
      client_(std::move(client)),
      options_(std::move(options)),
      timings_(etcdTimings(options_.ttl)) {
  tick_timer_ = time_.createTimer();
  validity_timer_ = time_.createTimer();
  stop_timer_ = time_.createTimer();
}

EtcdElector::~EtcdElector() {
  *alive_ = false;
  if (watching_) client_->cancelWatch();
}

Result<std::unique_ptr<EtcdElector>> EtcdElector::create(TimeSource& time, RandomSource& random,
                                                         std::unique_ptr<etcd::EtcdClient> client,
                                                         EtcdElectorOptions options) {
  if (auto valid = validateEtcdOptions(options); !valid) return valid.error();
  if (!client) return makeError(ErrorCode::kInternal, "etcd election: no etcd client");
  return std::unique_ptr<EtcdElector>(
      new EtcdElector(time, random, std::move(client), std::move(options)));
}

Status EtcdElector::start(ElectorCallbacks callbacks) {
  if (state_ != State::kIdle) {
    return makeError(ErrorCode::kInternal, "the etcd elector was already started");
  }
  callbacks_ = std::move(callbacks);
  state_ = State::kFollowing;
  spdlog::info(
      "etcd election: key {} as \"{}\" via {} (lease TTL {} s, keep-alive every {} ms, leadership "
      "valid until the last keep-alive's send time + {} ms)",
      options_.key, options_.identity, client_->endpoint(), options_.ttl.count(),
      toMs(timings_.keep_alive_interval), toMs(options_.ttl - timings_.margin));
  poll();
  return okStatus();
}

SteadyTime EtcdElector::leadershipValidUntil() const {
  if (state_ != State::kLeading || !valid_until_) return SteadyTime{};
  return *valid_until_;
}

ElectorStatus EtcdElector::status() const {
  ElectorStatus status;
  status.backend = "etcd";
  status.election_name = options_.key;
  status.role = state_ == State::kLeading     ? "leader"
                : state_ == State::kFollowing ? "follower"
                                              : etcdElectorStateName(state_);
  if (state_ == State::kLeading) {
    status.term = static_cast<uint64_t>(fencing_token_);
  } else if (holder_kv_) {
    status.term = static_cast<uint64_t>(holder_kv_->mod_revision);
  }
  status.lease_holder = holder_;
  status.backend_reachable = unreachable_reason_.empty();
  if (!status.backend_reachable) {
    status.unreachable_reason = "etcd does not answer: " + unreachable_reason_;
  }
  return status;
}

template <typename T>
etcd::EtcdClient::Callback<T> EtcdElector::guard(std::function<void(Result<T>)> fn) {
  std::weak_ptr<bool> alive = alive_;
  const SteadyTime sent_at = time_.now();
  return [this, alive, sent_at, fn = std::move(fn)](Result<T> result) {
    auto token = alive.lock();
    if (!token || !*token) return;
    noteRequest(sent_at, result ? okStatus() : Status(result.error()));
    fn(std::move(result));
  };
}

std::function<void(Status)> EtcdElector::guardStatus(std::function<void(Status)> fn) {
  std::weak_ptr<bool> alive = alive_;
  const SteadyTime sent_at = time_.now();
  return [this, alive, sent_at, fn = std::move(fn)](const Status& result) {
    auto token = alive.lock();
    if (!token || !*token) return;
    noteRequest(sent_at, result);
    fn(result);
  };
}

void EtcdElector::noteRequest(SteadyTime sent_at, const Status& result) {
  // An answer refusing the request (a lease etcd no longer knows) still shows etcd reachable; no
  // answer, a refused connection or TLS failure does not.
  const bool answered = result.ok() || result.error().code == ErrorCode::kNotFound ||
                        result.error().code == ErrorCode::kConflict;
  unreachable_reason_ = answered ? "" : result.error().describe();
  if (result.ok()) last_failure_.clear();
  if (callbacks_.backend_request) callbacks_.backend_request(time_.now() - sent_at, result);
}

void EtcdElector::reportFailure(const std::string& message) {
  // The same failure every tick (etcd down, bad certificates) is logged once, then counted and
  // repeated every kRepeatEvery attempts, so that logs stay readable during an outage.
  constexpr int kRepeatEvery = 30;
  if (message == last_failure_) {
    ++failure_repeats_;
    if (failure_repeats_ % kRepeatEvery != 0) {
      spdlog::debug("etcd election: {}", message);
      return;
    }
    spdlog::warn("etcd election: {} (failing for the last {} attempts)", message,
                 failure_repeats_ + 1);
    return;
  }
  last_failure_ = message;
  failure_repeats_ = 0;
  spdlog::warn("etcd election: {}", message);
}

Duration EtcdElector::jitteredPoll() {
  const int64_t period_us =
      std::chrono::duration_cast<std::chrono::microseconds>(timings_.follower_poll).count();
  return timings_.follower_poll + std::chrono::microseconds(random_.uniform(0, period_us / 2));
}

void EtcdElector::scheduleTick(Duration delay) {
  tick_timer_->start(delay, [this] { tick(); });
}

void EtcdElector::tick() {
  if (state_ == State::kLeading) {
    // A fixed rate from the previous round, whatever this one's answer takes.
    scheduleTick(timings_.keep_alive_interval);
    keepAlive();
    return;
  }
  if (state_ == State::kFollowing) poll();
}

// ---- following ----

void EtcdElector::poll() {
  if (in_flight_) return;  // its completion schedules the next tick
  in_flight_ = true;
  acquire_after_flight_ = false;
  client_->get(
      options_.key, guard<etcd::GetOutcome>([this](Result<etcd::GetOutcome> result) {
        in_flight_ = false;
        if (state_ != State::kFollowing) return;
        if (!result) {
          reportFailure(fmt::format("cannot read {}: {}", options_.key, result.error().describe()));
          scheduleTick(jitteredPoll());
          return;
        }
        onRead(*result);
      }));
}

void EtcdElector::onRead(const etcd::GetOutcome& outcome) {
  if (!watching_) {
    ensureWatch(outcome.revision + 1);
  } else {
    next_watch_revision_ = std::max(next_watch_revision_, outcome.revision + 1);
  }
  observe(outcome.kv);
  // A delete seen while the read was out may be newer than the read: try, the transaction decides.
  if (!outcome.kv || acquire_after_flight_) {
    acquire();
    return;
  }
  scheduleTick(jitteredPoll());
}

void EtcdElector::observe(const std::optional<etcd::KeyValue>& kv) {
  holder_kv_ = kv;
  holder_ = kv ? kv->value : std::string();
  if (kv && kv->value == options_.identity && !own_identity_warned_) {
    // Ours by name only: a lease this run did not grant (an earlier run of this node that was
    // killed, or another node configured with the same identity). Adopting it would let two nodes
    // with one identity both lead; it is waited out like any other holder's.
    own_identity_warned_ = true;
    spdlog::warn(
        "etcd election: {} holds this node's identity \"{}\" under lease {}, which this run did "
        "not grant (an earlier run of this node, or another node with the same identity); "
        "waiting for it to expire",
        options_.key, options_.identity, leaseName(kv->lease));
  }
  if (!kv || kv->value != options_.identity) own_identity_warned_ = false;
  if (reported_once_ && holder_ == reported_leader_) return;
  const bool first = !reported_once_;
  reported_once_ = true;
  reported_leader_ = holder_;
  if (holder_.empty()) {
    spdlog::info("etcd election: {} is free", options_.key);
  } else {
    spdlog::info("etcd election: {} is held by \"{}\" (lease {}, revision {})", options_.key,
                 holder_, leaseName(kv->lease), kv->mod_revision);
  }
  // A free key at the start is what callers assume anyway ("no leader known").
  if (first && holder_.empty()) return;
  if (holder_ != options_.identity && callbacks_.new_leader) callbacks_.new_leader(holder_);
}

void EtcdElector::acquire() {
  in_flight_ = true;
  acquire_after_flight_ = false;
  const SteadyTime sent_at = time_.now();
  client_->grantLease(
      options_.ttl, guard<etcd::LeaseGrant>([this, sent_at](Result<etcd::LeaseGrant> result) {
        if (!result) {
          in_flight_ = false;
          if (state_ != State::kFollowing) return;
          reportFailure(fmt::format("cannot grant a lease: {}", result.error().describe()));
          scheduleTick(jitteredPoll());
          return;
        }
        onGranted(*result, sent_at);
      }));
}

void EtcdElector::onGranted(const etcd::LeaseGrant& grant, SteadyTime sent_at) {
  if (state_ != State::kFollowing) {
    in_flight_ = false;
    revoke(grant.id, "granted while stopping");
    return;
  }
  lease_id_ = grant.id;
  // etcd may raise the TTL to its minimum, never lower it; should it ever answer less, the
  // validity follows the smaller.
  lease_ttl_ = grant.ttl_seconds > 0 ? std::min<Duration>(seconds(grant.ttl_seconds), options_.ttl)
                                     : Duration(options_.ttl);
  const int64_t lease_id = grant.id;
  client_->createIfAbsent(
      options_.key, options_.identity, lease_id,
      guard<etcd::CreateOutcome>([this, lease_id, sent_at](Result<etcd::CreateOutcome> result) {
        in_flight_ = false;
        if (state_ != State::kFollowing || lease_id_ != lease_id) {
          // Stopped meanwhile: stop() revoked the lease (and with it the key, if created).
          return;
        }
        if (!result) {
          reportFailure(
              fmt::format("cannot create {}: {}", options_.key, result.error().describe()));
          // The transaction may have been applied without its answer reaching us: revoking the
          // lease deletes the key in that case, and the next read starts afresh.
          lease_id_ = 0;
          revoke(lease_id, "its key may not have been created");
          scheduleTick(jitteredPoll());
          return;
        }
        onCreated(*result, lease_id, sent_at);
      }));
}

void EtcdElector::onCreated(const etcd::CreateOutcome& outcome, int64_t lease_id,
                            SteadyTime sent_at) {
  if (!outcome.created) {
    next_watch_revision_ = std::max(next_watch_revision_, outcome.revision + 1);
    spdlog::info("etcd election: another node created {} first, not acquired", options_.key);
    observe(outcome.current);
    lease_id_ = 0;
    revoke(lease_id, "unused, the key is held");
    if (!watching_) ensureWatch(outcome.revision + 1);
    if (acquire_after_flight_) {
      acquire();  // the winner's key was deleted again meanwhile
      return;
    }
    scheduleTick(jitteredPoll());
    return;
  }
  const SteadyTime now = time_.now();
  const SteadyTime valid_until = sent_at + lease_ttl_ - timings_.margin;
  if (valid_until <= now) {
    // Created, but the answers came back too late to lead on any of it. Giving it back at once
    // lets whoever reads next (this node too) start with a fresh lease.
    reportFailure(fmt::format(
        "etcd took {} ms to grant a lease and create {}, too late to lead on; giving it back",
        toMs(now - sent_at), options_.key));
    lease_id_ = 0;
    revoke(lease_id, "acquired too late to lead on");
    scheduleTick(jitteredPoll());
    return;
  }
  fencing_token_ = outcome.current ? outcome.current->mod_revision : outcome.revision;
  holder_kv_ = outcome.current;
  holder_ = options_.identity;
  reported_once_ = true;
  reported_leader_ = holder_;
  own_identity_warned_ = false;
  state_ = State::kLeading;
  next_watch_revision_ = std::max(next_watch_revision_, outcome.revision + 1);
  if (!watching_) ensureWatch(outcome.revision + 1);
  extendValidity(sent_at, lease_ttl_);
  spdlog::info(
      "etcd election: acquired {} as \"{}\" (lease {}, fencing token {}), leading; valid for {} "
      "ms",
      options_.key, options_.identity, leaseName(lease_id), fencing_token_,
      toMs(*valid_until_ - now));
  scheduleTick(timings_.keep_alive_interval);
  if (callbacks_.started_leading) callbacks_.started_leading();
}

// ---- leading ----

void EtcdElector::extendValidity(SteadyTime sent_at, Duration ttl) {
  const SteadyTime candidate = sent_at + ttl - timings_.margin;
  if (!valid_until_ || candidate > *valid_until_) valid_until_ = candidate;
  last_success_sent_ = sent_at;
  validity_timer_->start(*valid_until_ - time_.now(), [this] {
    const std::string why =
        unreachable_reason_.empty()
            ? fmt::format("no keep-alive answered for {} ms",
                          toMs(time_.now() - last_success_sent_.value_or(time_.now())))
            : unreachable_reason_;
    stepDown(fmt::format("lost contact with etcd: {}, releasing the VIP", why));
  });
}

void EtcdElector::keepAlive() {
  if (!watching_) {
    // The watch is how a leader learns that someone deleted or overwrote its key; while it is
    // down, a read of the key stands in for it (and reopens it from there).
    verifyOwnership();
  }
  if (keep_alive_in_flight_) {
    spdlog::debug("etcd election: the previous keep-alive is still out, skipping this round");
    return;
  }
  keep_alive_in_flight_ = true;
  const int64_t lease_id = lease_id_;
  const SteadyTime sent_at = time_.now();
  client_->keepAlive(lease_id,
                     guard<int64_t>([this, lease_id, sent_at](const Result<int64_t>& result) {
                       keep_alive_in_flight_ = false;
                       if (state_ != State::kLeading || lease_id != lease_id_) return;  // stale
                       if (!result) {
                         reportFailure(fmt::format("cannot keep lease {} alive: {}",
                                                   leaseName(lease_id), result.error().describe()));
                         return;  // the validity timer decides when this becomes fatal
                       }
                       onKeptAlive(*result, sent_at);
                     }));
}

void EtcdElector::onKeptAlive(int64_t ttl, SteadyTime sent_at) {
  if (ttl <= 0) {
    // etcd no longer knows the lease: it expired or was revoked, and the key with it. Nothing is
    // left to revoke.
    const int64_t gone = lease_id_;
    lease_id_ = 0;
    stepDown(
        fmt::format("etcd says lease {} is gone (TTL 0: expired or revoked)", leaseName(gone)));
    return;
  }
  extendValidity(sent_at, std::min<Duration>(seconds(ttl), lease_ttl_));
}

void EtcdElector::verifyOwnership() {
  if (verifying_) return;
  verifying_ = true;
  const int64_t lease_id = lease_id_;
  client_->get(
      options_.key, guard<etcd::GetOutcome>([this, lease_id](Result<etcd::GetOutcome> result) {
        verifying_ = false;
        if (state_ != State::kLeading || lease_id != lease_id_ || !result) return;
        if (!result->kv || result->kv->lease != lease_id) {
          observe(result->kv);
          stepDown(result->kv ? fmt::format("{} was overwritten by \"{}\" (lease {})", options_.key,
                                            result->kv->value, leaseName(result->kv->lease))
                              : fmt::format("{} was deleted", options_.key));
          return;
        }
        if (!watching_) ensureWatch(result->revision + 1);
      }));
}

// ---- the watch ----

void EtcdElector::ensureWatch(int64_t from_revision) {
  if (watching_) return;
  watching_ = true;
  next_watch_revision_ = std::max(next_watch_revision_, from_revision);
  std::weak_ptr<bool> alive = alive_;
  etcd::WatchCallbacks callbacks;
  callbacks.on_event = [this, alive](const etcd::WatchEvent& event) {
    if (auto token = alive.lock(); token && *token) onWatchEvent(event);
  };
  callbacks.on_end = [this, alive](const Status& status) {
    if (auto token = alive.lock(); token && *token) onWatchEnd(status);
  };
  client_->watch(options_.key, next_watch_revision_, std::move(callbacks));
}

void EtcdElector::cancelWatch() {
  if (!watching_) return;
  watching_ = false;
  client_->cancelWatch();
}

void EtcdElector::onWatchEnd(const Status& status) {
  watching_ = false;
  if (state_ != State::kFollowing && state_ != State::kLeading) return;
  // Reopened after the next successful read (follower) or ownership check (leader), from the
  // revision after the last one seen; polling goes on meanwhile.
  reportFailure(fmt::format("the watch of {} ended ({}); reading instead until it is back",
                            options_.key,
                            status ? std::string("closed by etcd") : status.error().describe()));
}

void EtcdElector::onWatchEvent(const etcd::WatchEvent& event) {
  next_watch_revision_ = std::max(next_watch_revision_, event.kv.mod_revision + 1);
  const bool deleted = event.type == etcd::WatchEvent::Type::kDelete;
  if (state_ == State::kLeading) {
    // Our own creation, or older than it (a watch can lag behind the transaction's answer).
    if (event.kv.mod_revision <= fencing_token_) return;
    if (!deleted && event.kv.lease == lease_id_) return;  // our own write
    // Our lease is alive (or we would have stepped down), so etcd did not delete this key:
    // someone removed or overwrote it, and another node may create it now.
    if (deleted) {
      observe(std::nullopt);
      stepDown(fmt::format(
          "{} was deleted while this node held it (removed by hand, or our lease was revoked)",
          options_.key));
    } else {
      observe(event.kv);
      stepDown(fmt::format("{} was overwritten by \"{}\" (lease {}) while this node held it",
                           options_.key, event.kv.value, leaseName(event.kv.lease)));
    }
    return;
  }
  if (state_ != State::kFollowing) return;
  // Older than what a read already showed (a watch can lag behind a read): nothing new.
  if (holder_kv_ && event.kv.mod_revision < holder_kv_->mod_revision) return;
  if (!deleted) {
    // Our own acquisition, seen before its answer: the answer decides.
    if (lease_id_ != 0 && event.kv.lease == lease_id_) return;
    observe(event.kv);
    return;
  }
  observe(std::nullopt);
  if (in_flight_) {
    acquire_after_flight_ = true;  // a read is out: its answer acquires
    return;
  }
  tick_timer_->stop();
  acquire();
}

// ---- stepping down and stopping ----

void EtcdElector::stepDown(const std::string& why) {
  if (state_ != State::kLeading) return;
  state_ = State::kFollowing;
  valid_until_.reset();
  validity_timer_->stop();
  spdlog::warn("etcd election: stepping down: {}", why);
  if (callbacks_.stopped_leading) callbacks_.stopped_leading();
  // Handing the key back now lets a follower's watch see the delete instead of waiting for the
  // TTL; should etcd not answer, the lease expires by itself.
  const int64_t lease_id = lease_id_;
  lease_id_ = 0;
  fencing_token_ = 0;
  if (lease_id != 0) revoke(lease_id, "stepped down");
  if (holder_ == options_.identity) {
    holder_.clear();
    holder_kv_.reset();
  }
  scheduleTick(jitteredPoll());
}

void EtcdElector::revoke(int64_t lease_id, const char* why, std::function<void()> then) {
  client_->revokeLease(
      lease_id, guardStatus([this, lease_id, why, then = std::move(then)](const Status& result) {
        if (result) {
          spdlog::info("etcd election: revoked lease {} ({})", leaseName(lease_id), why);
        } else {
          spdlog::warn(
              "etcd election: could not revoke lease {} ({}): {}; it expires by itself within "
              "{} s",
              leaseName(lease_id), why, result.error().describe(), options_.ttl.count());
        }
        if (then) then();
      }));
}

void EtcdElector::stop(std::function<void()> done) {
  if (state_ == State::kIdle || state_ == State::kStopped) {
    state_ = State::kStopped;
    if (done) done();
    return;
  }
  if (state_ == State::kStopping) return;
  const bool was_leading = state_ == State::kLeading;
  state_ = State::kStopping;
  stop_done_ = std::move(done);
  tick_timer_->stop();
  validity_timer_->stop();
  valid_until_.reset();
  if (was_leading) {
    // The VIP goes first; only then is the key handed back.
    spdlog::info("etcd election: stopping, giving up the leadership");
    if (callbacks_.stopped_leading) callbacks_.stopped_leading();
  }
  const int64_t lease_id = lease_id_;
  lease_id_ = 0;
  if (lease_id != 0) {
    const Duration bound = config::etcdStopBound(options_.ttl);
    stop_timer_->start(bound, [this, lease_id, bound] {
      spdlog::warn(
          "etcd election: etcd did not answer the revoke of lease {} within {} ms; stopping "
          "anyway, the key expires with the lease within {} s",
          leaseName(lease_id), toMs(bound), options_.ttl.count());
      finishStop();
    });
    revoke(lease_id, "stopping", [this] { finishStop(); });
  }
  cancelWatch();
  if (lease_id == 0) finishStop();
}

void EtcdElector::finishStop() {
  if (state_ != State::kStopping) return;
  state_ = State::kStopped;
  stop_timer_->stop();
  auto done = std::move(stop_done_);
  stop_done_ = nullptr;
  if (done) done();
}

}  // namespace kubevip::election
