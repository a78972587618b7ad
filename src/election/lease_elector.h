// Leader election through a Kubernetes coordination.k8s.io/v1 Lease, with client-go's semantics.
//
// Algorithm (client-go tools/leaderelection, tryAcquireOrRenew):
//  - Fast path: a leader whose lease is still valid PUTs its renewed record with the
//    resourceVersion it last wrote; if that fails it falls back to the slow path.
//  - Slow path: GET the Lease (CREATE it on NotFound). If the record differs from the one last
//    observed, remember it and the LOCAL monotonic time of the observation (observedTime). If
//    another identity holds it and observedTime + leaseDurationSeconds has not passed, it is held.
//    Otherwise PUT our record with the resourceVersion read; 409 means another node won the race.
//    Taking over from another holder increments leaseTransitions and sets acquireTime.
//  - Expiry is judged only by observedTime, never by the record's renewTime: clocks of different
//    nodes disagree, but every node's monotonic clock runs at (nearly) the same rate.
//  - Not leading: try every retryPeriod, jittered by client-go's JitterFactor 1.2 (waits in
//    [P, 2.2P]); and, unlike client-go, also right after the observed holder's lease expires.
//    Leading: renew every retryPeriod; a renewal cycle that has not succeeded within renewDeadline
//    loses the leadership.
//  - Watch (not in client-go's elector): while not leading, the Lease is also watched, so that a
//    release or any other change is observed when it happens rather than at the next poll. An
//    event is handled exactly as a GET returning that record (observedTime = now when the record
//    changed); if the Lease is then free or expired, the acquire PUT goes out at once with the
//    event's resourceVersion. It is only an earlier observation: an unreleased, unexpired lease is
//    still waited out from its observedTime. A watch that ends is started again (after a backoff
//    when it failed); polling goes on throughout, so a broken watch only costs the speed-up.
//  - Clean stop: stopped_leading first (the VIP is removed), then the Lease is released
//    (holderIdentity "", leaseDurationSeconds 1, per ReleaseOnCancel), so that the next node takes
//    over as soon as its watch shows the release (at its next retry without a watch) instead of
//    waiting for expiry.
//
// Safety argument for leadershipValidUntil(). Another node can acquire only by a PUT carrying the
// Lease's latest resourceVersion, so it must first have read our latest renewal (by a GET or a
// watch event); it reads it no earlier than we SENT that renewal (time s), and it then waits
// leaseDuration of its own clock before taking over: no other node leads before
// s + leaseDuration. We promise less:
//     validUntil = s + (leaseDuration - renewDeadline)
// keeping renewDeadline (3 s by default) as margin for clock-rate differences, for the VIP removal
// itself and for the kernel's address lifetime (up to ~1.25 s, see LAB-NOTES). When validUntil
// passes without a successful renewal the elector steps down by itself, logging "lost contact with
// the API server, releasing the VIP", whatever client-go's renew deadline would still allow.
// With the defaults (5/3/1 s) a leader tolerates one failed renewal before giving the VIP up.
//
// Threading: everything runs on the event loop's thread; LeaseClient callbacks arrive there too.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "common/result.h"
#include "common/time_source.h"
#include "election/elector.h"
#include "k8s/lease.h"
#include "k8s/lease_client.h"

namespace kubevip::election {

// client-go leaderelection.JitterFactor.
inline constexpr double kLeaseJitterFactor = 1.2;

struct LeaseElectorOptions {
  std::string identity;
  Duration lease_duration = seconds(5);
  Duration renew_deadline = seconds(3);
  Duration retry_period = seconds(1);
  // Wall clock for the acquireTime/renewTime written into the Lease (never used for decisions).
  std::function<k8s::WallTime()> wall_clock;
  // A follower whose watch is up polls this often instead of every retry period (0: always every
  // retry period, as client-go). The watch shows every renewal as it is written and the expiry
  // check runs at the observed expiry regardless, so the poll is only the fallback for a watch
  // that stalls without ending; a node following a thousand Leases (one per Service) would
  // otherwise GET each of them every 1-2.2 s.
  Duration follower_poll_while_watching{0};
};

// leaseDuration > renewDeadline > JitterFactor * retryPeriod > 0, and an identity.
Status validateLeaseOptions(const LeaseElectorOptions& options);

class LeaseElector final : public Elector {
 public:
  enum class State { kIdle, kFollowing, kLeading, kStopping, kStopped };

  static Result<std::unique_ptr<LeaseElector>> create(TimeSource& time, RandomSource& random,
                                                      std::unique_ptr<k8s::LeaseClient> client,
                                                      LeaseElectorOptions options);
  ~LeaseElector() override;

  Status start(ElectorCallbacks callbacks) override;
  void stop(std::function<void()> done) override;
  bool isLeader() const override { return state_ == State::kLeading; }
  SteadyTime leadershipValidUntil() const override;
  std::string leaderId() const override { return observed_.holder_identity; }
  // Reachable: the last request to the API server succeeded (a 409 counts: it answered).
  ElectorStatus status() const override;

  State state() const { return state_; }

 private:
  LeaseElector(TimeSource& time, RandomSource& random, std::unique_ptr<k8s::LeaseClient> client,
               LeaseElectorOptions options);

  // One tryAcquireOrRenew; calls finishAttempt exactly once.
  void attempt();
  void slowPath(SteadyTime sent_at);
  void tryUpdate(const k8s::Lease& current, SteadyTime sent_at);
  void onWritten(const Result<k8s::Lease>& result, SteadyTime sent_at, const char* what);
  void observe(const k8s::Lease& lease);
  void reportFailure(const std::string& message);
  void finishAttempt(bool acquired, SteadyTime sent_at);
  void scheduleNext();
  void ensureWatch();
  void onWatchEvent(const k8s::LeaseWatchEvent& event);
  void onWatchEnd(const Status& status);
  void cancelWatch();
  // The PUT of slowPath, after a read (GET or watch event) left the Lease free or ours.
  void writeAfterRead(SteadyTime sent_at);
  void stepDown(const std::string& why);
  void release();
  void finishStop();
  k8s::LeaseSpec ourRecord(bool keep_acquire) const;
  bool leaseHeldByOther() const;
  Duration observedLeaseDuration() const;
  // Wraps a LeaseClient callback so that it is dropped once this elector is gone.
  k8s::LeaseClient::Callback guard(std::function<void(Result<k8s::Lease>)> fn);
  // Every request's end: readiness and the backend_request callback.
  void noteRequest(SteadyTime sent_at, const Status& result);

  TimeSource& time_;
  RandomSource& random_;
  std::unique_ptr<k8s::LeaseClient> client_;
  LeaseElectorOptions options_;
  ElectorCallbacks callbacks_;
  State state_ = State::kIdle;

  k8s::LeaseSpec observed_;  // the record as last read or written
  std::string observed_rv_;
  std::optional<SteadyTime> observed_time_;  // local time the record last changed
  std::string reported_leader_;
  bool reported_once_ = false;

  bool in_flight_ = false;
  std::optional<SteadyTime> valid_until_;
  std::optional<SteadyTime> cycle_deadline_;  // renewDeadline of the current renewal cycle
  std::unique_ptr<Timer> retry_timer_;
  std::unique_ptr<Timer> validity_timer_;
  std::unique_ptr<Timer> deadline_timer_;
  std::unique_ptr<Timer> watch_timer_;  // backoff before re-establishing a failed watch
  bool watching_ = false;
  SteadyTime watch_started_{};
  int watch_failures_ = 0;
  bool attempt_after_flight_ = false;  // a watch event freed the Lease during a request
  std::function<void()> stop_done_;
  std::string last_failure_;
  std::string unreachable_reason_;  // the last request's failure; empty after a success
  int failure_repeats_ = 0;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

const char* leaseElectorStateName(LeaseElector::State state);

}  // namespace kubevip::election
