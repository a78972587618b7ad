#include "election/leader_lease.h"

#include <algorithm>
#include <cassert>
#include <functional>
#include <utility>

namespace kubevip::election {

LeaderLease::LeaderLease(std::vector<MemberId> voters, MemberId self, Duration lease)
    : voters_(std::move(voters)), self_(self), lease_(lease) {
  assert(std::find(voters_.begin(), voters_.end(), self_) != voters_.end());
}

void LeaderLease::begin(uint64_t term) {
  active_ = true;
  term_ = term;
  followers_.clear();
  for (MemberId v : voters_) {
    if (v != self_) followers_[v];
  }
}

void LeaderLease::end() {
  active_ = false;
  followers_.clear();
}

uint64_t LeaderLease::recordSend(MemberId member, SteadyTime sent) {
  const uint64_t sequence = next_sequence_++;
  if (!active_) return sequence;
  auto it = followers_.find(member);
  if (it == followers_.end()) return sequence;  // not a voter of ours: counts for nothing
  Follower& f = it->second;
  if (f.overflowed) return sequence;
  if (f.outstanding.size() >= kMaxOutstanding) {
    // Dropping a record would let a later reply match a later send: stop trusting this follower.
    f.overflowed = true;
    f.outstanding.clear();
    return sequence;
  }
  f.outstanding.emplace_back(sequence, sent);
  return sequence;
}

void LeaderLease::sendFailed(MemberId member, uint64_t sequence) {
  auto it = followers_.find(member);
  if (it == followers_.end()) return;
  auto& q = it->second.outstanding;
  auto pos = std::find_if(q.begin(), q.end(), [&](const auto& e) { return e.first == sequence; });
  if (pos != q.end()) q.erase(pos);
}

void LeaderLease::recordResult(MemberId member, uint64_t term, bool success) {
  if (!active_ || term != term_) return;
  auto it = followers_.find(member);
  if (it == followers_.end()) return;
  Follower& f = it->second;
  if (f.outstanding.empty()) return;  // a reply we cannot attribute proves nothing
  const SteadyTime sent = f.outstanding.front().second;
  f.outstanding.pop_front();
  if (!success) return;
  if (!f.proven || *f.proven < sent) f.proven = sent;
}

std::optional<SteadyTime> LeaderLease::validUntil() const {
  if (!active_) return std::nullopt;
  const std::size_t needed = majority() - 1;  // followers besides ourselves
  if (needed == 0) return SteadyTime::max();
  std::vector<SteadyTime> proven;
  for (const auto& [id, f] : followers_) {
    if (f.proven) proven.push_back(*f.proven);
  }
  if (proven.size() < needed) return std::nullopt;
  std::sort(proven.begin(), proven.end(), std::greater<>());
  return proven[needed - 1] + lease_;
}

LeaderLease::MemberId LeaderLease::freshestFollower() const {
  MemberId best = 0;
  std::optional<SteadyTime> best_time;
  for (const auto& [id, f] : followers_) {
    if (f.proven && (!best_time || *f.proven > *best_time)) {
      best = id;
      best_time = f.proven;
    }
  }
  return best;
}

}  // namespace kubevip::election
