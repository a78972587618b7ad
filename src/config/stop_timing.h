// How long a clean stop (SIGTERM) may take, and the order of its timers, in one place.
//
// A stop removes the VIP first: both electors report stopped_leading before they do anything else
// (raft_elector.h, lease_elector.h). So these bounds never decide safety; they decide whether the
// hand-over to the next leader finishes before the daemon gives up on it, and they are ordered:
//
//   elector's own bound  <  daemon's stop deadline  (+ kBgpStopBound)  <=  kMaxStopDeadline
//
//  - Raft: the leader asks libraft to transfer leadership and waits for the transfer callback,
//    which libraft calls once the target leads or one election timeout has passed (raft.h,
//    raft_transfer); raftTransferTimeout() = 2 x election timeout is our backstop should the
//    callback not come. Then libraft is closed.
//  - Lease: a Lease request may be in flight when the stop comes; it is waited for, then one more
//    request releases the Lease. Each is bounded by leaseRequestTimeout().
//  - etcd: the leader revokes its lease, so that the followers see the key deleted at once. A
//    keep-alive may be in flight when the stop comes (the client's worker runs requests in order);
//    etcdStopBound() waits for it and for the revoke on one endpoint each, bounded by
//    etcdRequestTimeout(). A revoke that needs another endpoint is cut short: that costs only
//    time (the key then expires after the TTL), so the bound does not grow with the endpoints.
//  - The daemon's deadline lies kStopCloseMargin beyond the elector's bound, so that the elector's
//    own timeout fires first (and says what it gave up on) and libraft or the HTTP worker can
//    close; the daemon's deadline only catches an elector that broke its bound.
//  - BGP: once the addresses are released, the speaker sends the withdrawals and a Cease to every
//    peer (bgp::Speaker::stop) within kBgpStopBound; a peer that does not take them in time is
//    left to its hold timer. Only then does the loop end.
//  - kMaxStopDeadline: the kubelet kills a pod that has not stopped within its
//    terminationGracePeriodSeconds (30 s unless set). Killed before the release, the Lease is
//    not handed back and the next node waits out leaseDuration; the validator refuses timings
//    whose stop would take longer.
#pragma once

#include <chrono>

#include "common/time_source.h"
#include "config/config.h"

namespace kubevip::config {

inline constexpr Duration kStopCloseMargin = milliseconds(200);
inline constexpr Duration kMaxStopDeadline = seconds(30);
inline constexpr milliseconds kBgpStopBound{1000};

// How long a leader waits for libraft's leadership transfer before it closes anyway.
Duration raftTransferTimeout(milliseconds election_timeout);
// The bound on one Lease request: a retry period (at least 1 s). A slower answer could not extend
// the leadership usefully anyway, and a hung server must not hold the worker for long.
milliseconds leaseRequestTimeout(std::chrono::seconds retry_period);
// The bound on one etcd request on one endpoint (connect and answer): a quarter of the lease TTL,
// the keep-alive period, so that a member that does not answer costs one keep-alive round before
// the next endpoint is tried and a keep-alive can be retried twice within the lease's validity
// (src/election/etcd_elector.h); at most 5 s, since a member that has not answered in 5 s is
// treated as failed whatever the TTL, and a stop must fit in a pod's grace period.
milliseconds etcdRequestTimeout(std::chrono::seconds ttl);
// The longest a clean stop of the etcd elector waits for etcd: a keep-alive in flight and the
// revoke, one request timeout each, then kEtcdAnswerSlack for the loop to run the answer. The
// elector calls done() by then whatever etcd did (at most 10.1 s, inside kMaxStopDeadline).
inline constexpr milliseconds kEtcdAnswerSlack{100};
Duration etcdStopBound(std::chrono::seconds ttl);
// The longest the configured elector's stop takes by its own bounds.
Duration electorStopBound(const Config& config);
// When the daemon stops waiting for the elector and exits (the VIP is gone by then).
Duration daemonStopDeadline(const Config& config);
// The longest a clean stop takes: the daemon's deadline, then the BGP speaker's stop.
Duration processStopBound(const Config& config);

}  // namespace kubevip::config
