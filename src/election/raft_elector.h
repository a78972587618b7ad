// RaftElector: leader election among the configured members with libraft 0.15 (Debian
// libraft-dev) over TCP, plus a leader lease so that "I lead" is a claim with an end date.
//
// Data flow. libraft runs on the daemon's libuv loop with our transport (raft_transport.h: only
// configured peers, and with a cluster key only peers that prove it) and its on-disk log in
// data_dir (term and vote are fdatasync'ed on the loop thread; segments are pre-allocated small).
// Nothing but leadership is replicated: the log holds the bootstrap configuration (libraft 0.15
// appends nothing when a leader is elected; the data dir stays at a few hundred bytes), and a
// snapshot threshold of 128 entries keeps it small should anything ever be appended. libraft has no
// state-change callback, so we wrap the raft_io it drives (raft_io_hooks.cc): its tick and receive
// callbacks run our check before and our observation after libraft's own, and a backstop timer
// observes every heartbeat interval. Its send hook records the send time of every
// AppendEntries/InstallSnapshot, and the receive hook the AppendEntries results, in a LeaderLease
// (leader_lease.h, where the safety argument is written).
//
// What "leading" means. This node reports started_leading once libraft says it is leader AND a
// majority has acked a request of its term (the lease is running); it reports stopped_leading the
// moment either stops holding: libraft steps down, or the lease runs out while libraft still says
// leader (a timer fires at validUntil, and every callback first compares now() with it, so a frozen
// process finds its lease expired before anything else happens). Callbacks alternate strictly and
// run on the loop thread; they may call stop() but must not destroy the elector.
// new_leader reports every change of the known leader to another member or to "" (none); when this
// node becomes leader, started_leading is the event. leaderId() returns libraft's current view.
//
// Timers (all from config::ElectionTiming; create() refuses values that break the order):
//   heartbeat_interval < leader_lease < election_timeout.
//   * heartbeat < lease: each heartbeat renews the lease before it runs out, with room for a lost
//     one when heartbeat <= lease / 2 (the defaults 50 / 250 ms allow four).
//   * lease < election_timeout: a follower that acked a request sent at s cannot vote for anyone
//     before s + election_timeout (libraft randomizes the timeout in [1x, 2x) and followers that
//     know a leader reject (pre-)votes), so no other leader exists before s + leader_lease.
//     The gap (50 ms by default) is the margin for the follower's clock: libraft stamps the timer
//     reset with uv_now(), which libuv truncates to milliseconds and caches once per loop
//     iteration, so the stamp can precede the real receipt by up to one loop iteration of the
//     follower (libraft fdatasyncs term and vote inside callbacks). The argument assumes follower
//     loop iterations shorter than election_timeout - leader_lease.
//   * The clocks are monotonic (steady_clock here, uv_now in libraft): on one host the same
//     clock; across hosts the argument needs equal rates, not synchronized clocks.
//
// Member ids: raft_digest of the id string (raft_members.h). Addresses: IPv4 "ip:port" only.
// Bootstrapping: every node bootstraps the same configuration (all members voters) into an empty
// data dir; on restart libraft answers RAFT_CANTBOOTSTRAP and we load the stored one. A restarted
// node rejoins as a follower: with pre-vote on, its early elections cannot win against followers
// that still hear the leader, so it never bumps the term of a healthy cluster.
// Restarted nodes. The lease argument above needs every follower that acked the leader to refuse
// votes until its own election timer runs out. A follower that crashes and restarts forgets the
// leader it acked: libraft would grant (pre-)votes at once and campaign after one timeout (voting
// for itself), so within the lease a majority for another candidate could form from it plus
// members that never acked the leader. Hence a node that starts from an existing data directory
// neither votes nor campaigns for 2 x election_timeout from its start: the hooks drop every
// RequestVote (pre-vote or not) unanswered and withhold a follower's ticks (raft_io_hooks.cc).
// That restores the argument: the node acked a request sent at s before it crashed, so its last
// reset was at r >= s and before its start t0; without the crash it would have refused until
// r + its randomized timeout, which is < r + 2 x election_timeout <= t0 + 2 x election_timeout.
// Forgetting the leader therefore never lets it vote earlier than it would have. A node starting
// on an empty data dir never acked anyone (a wiped data dir is a new member: clear it only when
// the node was down for longer than 2 x election_timeout). Hearing a leader during the embargo
// is fine (the node follows it and acks, which only extends that leader's lease); a TimeoutNow
// still works (the sender ended its lease before sending it, see graceful stop).
// Member lists that disagree: libraft trusts each node's log, so nodes bootstrapped with different
// lists would count majorities differently (possibly two leaders). We cannot detect that across
// nodes from here, but we refuse to start when the stored configuration differs from the configured
// one (error naming both), so a changed member list needs its data dir cleared on every node.
// start_as_leader: on a pristine data dir (first bootstrap) this node's first election timeout is
// the heartbeat interval instead of election_timeout, so it starts the first election long before
// anyone else and, with pre-vote, wins it as soon as a majority is up; its timeout returns to
// normal once any leader is known. On a restart the flag is ignored (the cluster already has a
// history). If several nodes claim it, the earliest to start usually wins; safety does not depend
// on it.
//
// Graceful stop: a leader reports stopped_leading first, then asks libraft to transfer leadership
// to the follower with the freshest ack (TimeoutNow), waits for the transfer callback (bounded by
// 2 x election_timeout) and closes; a follower just closes. done() runs after libraft's close.
//
// A lease that can no longer be renewed. The lease matches results to requests first-in first-out
// per follower (leader_lease.h). A request whose send succeeded (its bytes reached our kernel) but
// that never reached the follower's process is never answered: a follower SIGKILLed with requests
// in flight, or a connection that TCP_USER_TIMEOUT closed after a partition of a few seconds with a
// heartbeat every 50 ms still queued in it. Each one makes every later result of that follower
// match an older send (safe), for the rest of the term: after a few such events a follower's proofs
// lag by more than the lease, and when that holds for a majority, libraft keeps this node leader
// (its followers hear it and refuse votes) while the lease never runs again: no VIP anywhere, for
// as long as the term lasts. Resetting the lease within the term would match in-flight results to
// later sends (unsafe), so the term is given up instead: once libraft has kept this node leader for
// kUnrenewableLeaseTimeouts election timeouts without a running lease, the node ends the lease for
// good in that term (abandoned_term_: never begun again in it, since the TimeoutNow lets the target
// win without waiting for its timer, as in a graceful stop) and asks libraft to transfer leadership
// to another voter, retrying every kUnrenewableLeaseTimeouts election timeouts until the term
// changes. The new term's leader starts with empty queues. 2 x election_timeout leaves libraft's
// own check (a leader that hears no majority for one election timeout steps down) to handle a
// genuine loss of the majority first.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/event_loop.h"
#include "common/result.h"
#include "config/config.h"
#include "election/elector.h"
#include "election/raft_peer_auth.h"
#include "election/raft_transport.h"

namespace kubevip::election {

// See "A lease that can no longer be renewed" above.
inline constexpr int kUnrenewableLeaseTimeouts = 2;

struct RaftElectorOptions {
  config::Peer local;
  std::vector<config::Peer> members;  // all voters, local included
  std::string data_dir;               // created (mode 0700) when missing
  bool start_as_leader = false;
  std::chrono::milliseconds election_timeout{300};
  std::chrono::milliseconds heartbeat_interval{50};
  std::chrono::milliseconds leader_lease{250};
  // Peers prove this key and protect every message with it (raft_transport.h); unset: the Raft
  // port is unauthenticated, only the address filter applies.
  std::optional<peer_auth::ClusterKey> cluster_key;
};

// Builds the options from a configuration (local_peer + remote_peers, data_dir, timing).
Result<RaftElectorOptions> raftOptionsFromConfig(const config::Config& config);

class RaftElector final : public Elector {
 public:
  static Result<std::unique_ptr<RaftElector>> create(EventLoop& loop,
                                                     const RaftElectorOptions& options);
  ~RaftElector() override;
  RaftElector(const RaftElector&) = delete;
  RaftElector& operator=(const RaftElector&) = delete;

  Status start(ElectorCallbacks callbacks) override;
  void stop(std::function<void()> done) override;
  bool isLeader() const override;
  SteadyTime leadershipValidUntil() const override;
  std::string leaderId() const override;
  // Reachable: a leader is known. A node that sees none is a candidate that cannot gather a
  // majority, or has not yet heard from the leader it would follow.
  ElectorStatus status() const override;

  // libraft's view, for status output and tests: "follower", "candidate", "leader", "unavailable".
  std::string raftStateName() const;
  uint64_t term() const;
  // What the Raft port's transport turned away (raft_transport.h).
  RaftTransportStats transportStats() const;

  class Core;  // libraft state and hooks; outlives this object until libraft has closed

 private:
  RaftElector(Core* core, std::vector<config::Peer> members)
      : core_(core), members_(std::move(members)) {}
  Core* core_;
  std::vector<config::Peer> members_;
};

}  // namespace kubevip::election
