// Leader election through etcd v3: one key, created only while absent, bound to a lease that the
// holder keeps alive (the pattern of etcd's own concurrency/election, reduced to one candidate
// key).
//
// Flow (everything through etcd::EtcdClient, src/etcd/client.h):
//  - start: get(key). Absent: acquire. Present: its value names the holder (new_leader); watch the
//    key from the read's revision + 1 so that nothing between the read and the watch is missed.
//  - acquire: grantLease(ttl), noting the SEND time s of the grant; then createIfAbsent(key,
//    identity, lease), one transaction comparing create_revision == 0. Created: leading, with
//    validUntil = s + ttl - margin; the key's mod_revision is logged as the fencing token (it only
//    grows from one holder to the next) and reported as ElectorStatus::term. Lost: the winner's
//    value is the holder; the unused lease is revoked (best effort); we stay follower.
//  - following: get(key) every followerPoll (jittered), and the watch: a delete (lease expired or
//    revoked by a stopping holder) starts acquiring at once; a put names the new holder. A failed
//    watch is opened again after the next successful get, from that get's revision + 1.
//  - leading: keepAlive(lease) every keepAliveInterval; a successful answer sent at s' moves
//    validUntil to s' + ttl - margin (never back). The watch stays open: a delete, or a put bound
//    to a lease that is not ours, means someone removed or overwrote the key (an operator): step
//    down at once and say so (while the watch is down, each round reads the key instead). A
//    keep-alive answer of TTL 0 means etcd no longer knows the lease (expired or revoked): step
//    down at once.
//  - our identity under a lease this run did not grant (an earlier run of this node, killed, or a
//    second node configured with the same identity) is a key held by another: it is waited out
//    (etcd deletes it when its lease expires), never adopted, so that a duplicate identity on two
//    nodes cannot make both lead.
//  - any step-down that is not a clean stop revokes our lease (best effort), so the followers'
//    watches see the delete now instead of after the TTL; then we follow.
//  - clean stop(done): stopped_leading first (the VIP is removed), then the lease is revoked (a
//    follower's watch sees the delete and takes over without waiting for the TTL), the watch is
//    cancelled, then done(). done() runs even if etcd never answers: config::etcdStopBound().
//  - a failed request is retried at the next tick; a failure is logged once per distinct message
//    with a repeat count; every request reports to backend_request (metrics) and sets the status'
//    reachability.
//
// Safety argument for leadershipValidUntil(). etcd deletes a key bound to a lease when the lease
// expires or is revoked (etcd's API reference, "Lease API"), and otherwise only on an explicit
// delete or overwrite, which no elector sends and the watch reports. The etcd leader sets a lease's
// expiry to the time it processed the grant or keep-alive plus the TTL, and it processes our
// request after we sent it at s; a change of etcd leader only extends leases (the 3.4 lessor's
// Promote refreshes every lease to a full TTL plus an election timeout on the new leader).
// Residual: an old etcd leader cut off from its quorum still answers keep-alives until it steps
// down (1.7-1.9 s measured with etcd's 1 s election timeout, bench/etcd/README.md). The new
// leader, elected at e, keeps our lease until e + TTL + one election timeout, which is after
// s + TTL - margin for every keep-alive the old leader answered if it sent at most one election
// timeout + margin after e. With e at least one election timeout after the cut, the measured
// window puts such a send at most 0.9 s after e: inside, with the margin to spare. Another node
// can create the key only once it is deleted (its transaction compares create_revision == 0). So no
// other node holds the key before s + TTL. We promise less, s + TTL - margin, keeping the margin
// for the drift between our clock and the etcd leader's over one TTL and for removing the VIP
// itself (the address an old holder may have left is the VIP controller's concern: a new holder
// probes first, vip_controller.h). When validUntil passes without a successful keep-alive the
// elector steps down by itself ("lost contact with etcd: <last error>, releasing the VIP"),
// whatever state its requests are in. Keep-alives go out every TTL/4 (etcd's own client uses TTL/3)
// so that two of them can fail or time out inside the validity before the VIP is given up.
//
// Threading: everything runs on the event loop's thread; EtcdClient callbacks arrive there too and
// are dropped once the elector is destroyed.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "common/result.h"
#include "common/time_source.h"
#include "election/elector.h"
#include "etcd/client.h"

namespace kubevip::election {

// Every timing of the election, derived from the TTL in one place (etcdTimings).
struct EtcdTimings {
  // A leader's keep-alive period: TTL/4, so that two rounds may fail inside the validity.
  Duration keep_alive_interval;
  // validUntil = send time of the last successful keep-alive (or grant) + TTL - margin.
  Duration margin;
  // A follower's get of the key, TTL/4 plus up to half as much jitter; the watch usually sees a
  // change first, the poll is the fallback for a watch that stalls without ending.
  Duration follower_poll;
};
EtcdTimings etcdTimings(std::chrono::seconds ttl);
// The client's bound on one request to one endpoint is config::etcdRequestTimeout (TTL/4, at most
// 5 s), and a clean stop waits at most config::etcdStopBound for etcd, then calls done() anyway
// (the key then expires with the lease after the TTL): both in config/stop_timing.h, which orders
// them against the daemon's stop deadline.

struct EtcdElectorOptions {
  std::string identity;  // the key's value while we hold it
  std::string key;
  std::chrono::seconds ttl{5};
};

// An identity, a key starting with "/", a TTL of whole seconds >= kEtcdMinTtl.
Status validateEtcdOptions(const EtcdElectorOptions& options);

class EtcdElector final : public Elector {
 public:
  enum class State { kIdle, kFollowing, kLeading, kStopping, kStopped };

  static Result<std::unique_ptr<EtcdElector>> create(TimeSource& time, RandomSource& random,
                                                     std::unique_ptr<etcd::EtcdClient> client,
                                                     EtcdElectorOptions options);
  ~EtcdElector() override;

  Status start(ElectorCallbacks callbacks) override;
  void stop(std::function<void()> done) override;
  bool isLeader() const override { return state_ == State::kLeading; }
  SteadyTime leadershipValidUntil() const override;
  std::string leaderId() const override { return holder_; }
  ElectorStatus status() const override;

  State state() const { return state_; }
  // The lease this run holds (0: none), for tests and log lines.
  int64_t leaseId() const { return lease_id_; }

 private:
  EtcdElector(TimeSource& time, RandomSource& random, std::unique_ptr<etcd::EtcdClient> client,
              EtcdElectorOptions options);

  // The follower's read of the key (start, poll).
  void poll();
  void onRead(const etcd::GetOutcome& outcome);
  void acquire();
  void onGranted(const etcd::LeaseGrant& grant, SteadyTime sent_at);
  void onCreated(const etcd::CreateOutcome& outcome, int64_t lease_id, SteadyTime sent_at);
  void keepAlive();
  void onKeptAlive(int64_t ttl, SteadyTime sent_at);
  // While the leader's watch is down: a read of the key stands in for it.
  void verifyOwnership();
  // Moves validUntil to sent_at + ttl - margin if that is later, and re-arms the timer at it.
  void extendValidity(SteadyTime sent_at, Duration ttl);
  // Someone else holds the key (or nobody, kv empty): remember and report the holder.
  void observe(const std::optional<etcd::KeyValue>& kv);
  void ensureWatch(int64_t from_revision);
  void cancelWatch();
  void onWatchEvent(const etcd::WatchEvent& event);
  void onWatchEnd(const Status& status);
  void stepDown(const std::string& why);
  // Best effort; `then` (optional) runs when etcd answers, or not at all if it never does.
  void revoke(int64_t lease_id, const char* why, std::function<void()> then = nullptr);
  void finishStop();
  void scheduleTick(Duration delay);
  void tick();
  Duration jitteredPoll();
  void reportFailure(const std::string& message);
  // Wrap a client callback: dropped once this elector is gone; otherwise the request's end is
  // noted (reachability, backend_request) before `fn` runs.
  template <typename T>
  etcd::EtcdClient::Callback<T> guard(std::function<void(Result<T>)> fn);
  std::function<void(Status)> guardStatus(std::function<void(Status)> fn);
  void noteRequest(SteadyTime sent_at, const Status& result);

  TimeSource& time_;
  RandomSource& random_;
  std::unique_ptr<etcd::EtcdClient> client_;
  EtcdElectorOptions options_;
  EtcdTimings timings_;
  ElectorCallbacks callbacks_;
  State state_ = State::kIdle;

  std::string holder_;  // the key's value as last seen ("" when absent)
  std::optional<etcd::KeyValue> holder_kv_;
  std::string reported_leader_;  // last value passed to new_leader
  bool reported_once_ = false;
  bool own_identity_warned_ = false;

  int64_t lease_id_ = 0;       // the lease this run granted and not yet revoked
  Duration lease_ttl_{};       // its TTL as etcd granted it (the smaller of that and ours)
  int64_t fencing_token_ = 0;  // the key's mod_revision when we created it
  std::optional<SteadyTime> valid_until_;
  std::optional<SteadyTime> last_success_sent_;  // send time of the last grant / keep-alive

  bool in_flight_ = false;             // a follower's read or acquisition is out
  bool acquire_after_flight_ = false;  // the watch saw a delete while it was out
  bool keep_alive_in_flight_ = false;
  bool verifying_ = false;  // verifyOwnership's read is out
  bool watching_ = false;
  int64_t next_watch_revision_ = 0;  // the revision after the last one seen (get or event)

  std::unique_ptr<Timer> tick_timer_;      // follower poll / leader keep-alive
  std::unique_ptr<Timer> validity_timer_;  // drops the leadership at validUntil
  std::unique_ptr<Timer> stop_timer_;      // bounds a clean stop
  std::function<void()> stop_done_;

  std::string last_failure_;
  int failure_repeats_ = 0;
  std::string unreachable_reason_;  // the last request's failure; empty after a success
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

const char* etcdElectorStateName(EtcdElector::State state);

}  // namespace kubevip::election
