// The leader lease: until when a Raft leader is certain that no other member can have been elected.
//
// Pure bookkeeping, no I/O and no clock of its own: RaftElector feeds it the send time of every
// AppendEntries / InstallSnapshot request to a follower and every AppendEntries result it receives,
// and asks validUntil(). Tests drive it with plain time points.
//
// The argument (see raft_elector.h for the timers that make it hold):
//  * A follower that accepts a request of our term at time r resets its election timer at r, and
//    while it knows a leader it rejects (pre-)votes without looking at their term (libraft
//    recvRequestVote: "local server has a leader -> reject"). It forgets the leader only when its
//    randomized election timer (>= election_timeout) expires, so it cannot vote for anyone before
//    r + election_timeout.
//  * r >= s, the time we sent that request (same host clock, or clocks that run at the same rate
//  and
//    a one-way delay >= 0). So a result of our term answering a request sent at s proves the
//    follower will not vote before s + election_timeout > s + leader_lease.
//  * A new leader needs votes from a majority, which intersects every majority we hold acks from.
//    The leader itself rejects votes while it is leader, and RaftElector reports the step-down in
//    the same callback in which libraft makes it. Hence: sort the followers' newest proven send
//    times in descending order; with a majority of M voters we need M-1 followers besides
//    ourselves, and the (M-1)-th of them plus leader_lease bounds the earliest time another leader
//    can exist.
//  * Results carry no request id. We match them to requests first-in first-out per follower: the
//    n-th result of our term cannot come before the follower received our n-th request, because TCP
//    delivers the requests in order and each request gets at most one reply. A lost request (its
//    send failed: the peer never decoded it) is removed from the queue; one that vanished without a
//    failure only makes every later match older, which is the safe direction.
//  * Everything is a function of recorded times: a process frozen past validUntil() finds the lease
//    expired on its next look, and a late result can only match an old send time.
// Residual, documented: a reply to a request from one of OUR earlier leaderships, delivered over a
// different TCP connection after the follower joined our current term, would be counted against a
// current request; libraft keeps one outgoing stream per peer, so this needs a reconnect racing an
// election.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <vector>

#include "common/time_source.h"

namespace kubevip::election {

class LeaderLease {
 public:
  using MemberId = uint64_t;

  // `voters` includes `self`. `lease` must be shorter than the minimum election timeout.
  LeaderLease(std::vector<MemberId> voters, MemberId self, Duration lease);

  // Starts tracking a leadership of `term`: forgets every earlier send and ack.
  void begin(uint64_t term);
  // Not the leader any more: validUntil() is unset until the next begin().
  void end();
  bool active() const { return active_; }
  uint64_t term() const { return term_; }

  // A request to `member` left at `sent`. Returns a sequence number for sendFailed().
  uint64_t recordSend(MemberId member, SteadyTime sent);
  // The request was never delivered (the transport reported failure): it will get no reply.
  void sendFailed(MemberId member, uint64_t sequence);
  // An AppendEntries result from `member` carrying `term`. Every result of our term consumes the
  // oldest outstanding request; only a successful one proves the follower's timer was reset.
  // (A rejection of our term was also preceded by a timer reset in libraft, but counting only
  // successes is simpler to argue and costs nothing in a healthy cluster.)
  void recordResult(MemberId member, uint64_t term, bool success);

  // The end of the lease; unset when not active or no majority has acked yet. A single-voter
  // cluster holds it for ever (SteadyTime::max()).
  std::optional<SteadyTime> validUntil() const;
  // The follower whose newest proven send is the most recent (0 when none): the best target for a
  // leadership transfer.
  MemberId freshestFollower() const;
  // The number of voters whose agreement makes a majority.
  std::size_t majority() const { return voters_.size() / 2 + 1; }

  // Outstanding requests per follower are capped: a follower that stops answering without its sends
  // failing is dropped for the rest of the term instead of growing the queue for ever.
  static constexpr std::size_t kMaxOutstanding = 4096;

 private:
  struct Follower {
    std::deque<std::pair<uint64_t, SteadyTime>> outstanding;  // (sequence, sent), oldest first
    std::optional<SteadyTime> proven;                         // newest acked send time
    bool overflowed = false;
  };

  std::vector<MemberId> voters_;
  MemberId self_;
  Duration lease_;
  bool active_ = false;
  uint64_t term_ = 0;
  uint64_t next_sequence_ = 1;
  std::map<MemberId, Follower> followers_;
};

}  // namespace kubevip::election
