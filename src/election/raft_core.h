// Internal to RaftElector: the libraft instance, its I/O hooks and the leadership bookkeeping.
//
// Core lives on the heap and is freed only after libraft's close callback, since libraft keeps
// pointers into it until then; RaftElector may be destroyed earlier (it then detaches the Core,
// which closes itself and frees itself).
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/event_loop.h"
#include "election/leader_lease.h"
#include "election/raft_c.h"
#include "election/raft_elector.h"
#include "election/raft_members.h"

namespace kubevip::election {

class RaftElector::Core {
 public:
  Core(EventLoop& loop, RaftElectorOptions options, std::vector<RaftMember> members,
       RaftMember self);
  Core(const Core&) = delete;
  Core& operator=(const Core&) = delete;

  // raft_uv_tcp_init, raft_uv_init, raft_init, settings, bootstrap. On failure the Core is freed
  // (synchronously or after libraft closes) and must not be touched again.
  static Status initOrDispose(Core* core);
  Status start(ElectorCallbacks callbacks);
  void stop(std::function<void()> done);
  // The owning RaftElector is going away: drop the callbacks, close if needed, free when closed.
  void detach();

  bool isLeader() const;
  SteadyTime validUntil() const;
  std::string leaderId() const;
  std::string stateName() const;
  uint64_t term() const { return raft_.current_term; }
  RaftTransportStats transportStats() const { return raftTransportStats(&transport_); }

  // --- hooks (raft_io_hooks.cc) ---
  void installHooks();
  // Called at the start of every callback: a lease that ran out is reported before anything else.
  void checkLease();
  // Called after libraft has handled an event: reports transitions.
  void observe();
  // Records an AppendEntries/InstallSnapshot about to be sent; returns the lease's sequence number.
  uint64_t recordSend(const struct raft_message* message);
  void beforeReceive(const struct raft_message* message);
  // True while a node restarted from stored state must neither vote nor campaign (raft_elector.h,
  // "Restarted nodes"): the hooks drop RequestVote messages and withhold a follower's ticks.
  bool votingEmbargoed();
  // A RequestVote dropped by the embargo (logged once per embargo, counted).
  void voteRequestDropped(const struct raft_message* message);

 private:
  friend struct HookAccess;

  SteadyTime now() const { return loop_.time().now(); }
  bool raftIsLeader() const;
  bool leaseFresh(SteadyTime at) const;
  void syncLeaseTerm();
  void armLeaseTimer();
  void armBackstop();
  void beginClose();
  void onClosed();
  // Logs whether libraft's transfer callback found another member leading.
  void logTransferOutcome(std::string_view otherwise);
  void onTransferDone();
  // Gives up a term whose lease cannot be renewed (raft_elector.h, "A lease that can no longer be
  // renewed"); called from observe().
  void handOverUnrenewableTerm(SteadyTime now);
  void onHandOverDone();
  std::string memberName(uint64_t raft_id) const;
  Status checkStoredConfiguration() const;

  EventLoop& loop_;
  RaftElectorOptions options_;
  std::vector<RaftMember> members_;
  RaftMember self_;

  struct raft raft_ {};
  struct raft_io io_ {};
  struct raft_uv_transport transport_ {};
  struct raft_fsm fsm_ {};
  struct raft_transfer transfer_ {};
  bool raft_initialized_ = false;

  // The original raft_uv functions and libraft's callbacks, wrapped by the hooks.
  int (*uv_start_)(struct raft_io*, unsigned, raft_io_tick_cb, raft_io_recv_cb) = nullptr;
  int (*uv_send_)(struct raft_io*, struct raft_io_send*, const struct raft_message*,
                  raft_io_send_cb) = nullptr;
  raft_io_tick_cb raft_tick_ = nullptr;
  raft_io_recv_cb raft_recv_ = nullptr;

  LeaderLease lease_;
  ElectorCallbacks callbacks_;
  std::unique_ptr<Timer> backstop_;
  std::unique_ptr<Timer> lease_timer_;
  std::unique_ptr<Timer> stop_timer_;
  std::function<void()> done_;

  bool started_ = false;
  bool fast_first_election_ = false;   // start_as_leader on a fresh cluster
  bool rejoining_ = false;             // started from an existing data directory
  SteadyTime voting_embargo_until_{};  // rejoining_: no vote, no campaign before this
  bool embargo_logged_ = false;
  uint64_t embargoed_vote_requests_ = 0;
  bool reported_leading_ = false;
  std::string reported_leader_;  // last leader id passed to new_leader ("" none)
  bool stopping_ = false;
  bool transferring_ = false;
  bool closing_ = false;
  bool closed_ = false;
  bool detached_ = false;
  SteadyTime leading_since_{};
  // libraft leader without a running lease since then (unset: not in that situation).
  std::optional<SteadyTime> unrenewable_since_;
  // A term given up by handOverUnrenewableTerm(): the lease is never begun again in it.
  uint64_t abandoned_term_ = 0;
  bool handing_over_ = false;  // a transfer started by handOverUnrenewableTerm() is in flight
};

}  // namespace kubevip::election
