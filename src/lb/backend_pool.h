// Per-balancer backend state shared by every data-plane worker and the health checker.
//
// A BackendPool holds the backends of one load balancer, whether each is up, and how many
// connections each carries. Workers call pick() for every new connection (or HTTP request);
// the health checker and the workers' passive checks call markUp()/markDown(). All state is
// atomics, so no lock is taken on the data path; the set of backends never changes after
// construction.
//
// Recovery of a backend marked down: with active health checks it comes back only through
// markUp() (after `rise` good probes); without them it becomes eligible again `retry_after`
// after it was marked down, so a passive failure never removes a backend for good.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "common/ip_address.h"
#include "common/time_source.h"
#include "config/config.h"

namespace kubevip::lb {

class BackendPool {
 public:
  // `retry_after` applies only when `actively_checked` is false (see the overview).
  BackendPool(std::vector<Endpoint> backends, config::BalanceAlgorithm algorithm,
              bool actively_checked, Duration retry_after);

  std::size_t size() const { return size_; }
  const Endpoint& endpoint(std::size_t i) const { return slots_[i].endpoint; }
  bool isUp(std::size_t i) const { return slots_[i].up.load(std::memory_order_relaxed); }
  int activeConnections(std::size_t i) const {
    return slots_[i].active.load(std::memory_order_relaxed);
  }

  // Chooses a backend that is eligible at `now` and not in `excluded` (the backends already tried
  // for this connection), and counts a connection on it; the caller must release() it. nullopt
  // when none is eligible.
  std::optional<std::size_t> pick(SteadyTime now, std::span<const std::size_t> excluded = {});
  void release(std::size_t i) { slots_[i].active.fetch_sub(1, std::memory_order_relaxed); }

  // Both return true when the state changed, so the caller logs the transition exactly once.
  bool markDown(std::size_t i, SteadyTime now);
  bool markUp(std::size_t i);

 private:
  struct Slot {
    Endpoint endpoint;
    std::atomic<bool> up{true};
    std::atomic<int> active{0};
    std::atomic<int64_t> retry_at_ns{0};  // steady-clock ns; meaningful while down
  };
  bool eligible(const Slot& s, int64_t now_ns) const;

  std::size_t size_;
  std::unique_ptr<Slot[]> slots_;
  config::BalanceAlgorithm algorithm_;
  bool actively_checked_;
  Duration retry_after_;
  std::atomic<uint64_t> cursor_{0};  // round-robin position; also rotates least-conn ties
};

}  // namespace kubevip::lb
