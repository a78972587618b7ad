// Per-balancer backend state shared by every data-plane worker and the health checker.
//
// A BackendPool holds the backends of one load balancer, whether each is up, and how many
// connections each carries. Workers call pick() for every new connection (or HTTP request);
// the health checker and the workers' passive checks call markUp()/markDown(). All state is
// atomics, so no lock is taken on the data path; the set of backends never changes after
// construction.
//
// A pool is one generation of a balancer's backends: a reload builds a new pool in which the
// backends that stay are the same BackendState objects (shared_ptr), so whether each is up, its
// connections and its counters carry over, while connections opened under the old generation
// keep the old pool alive until they end (LoadBalancerSet::reconfigure).
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

// One backend: its state and its counters (relaxed atomics: each is read on its own, by metrics
// and status, never as a consistent set). Counters only grow.
struct BackendState {
  explicit BackendState(const Endpoint& e) : endpoint(e) {}
  const Endpoint endpoint;
  std::atomic<bool> up{true};
  std::atomic<int> active{0};            // picked and not yet released
  std::atomic<int64_t> retry_at_ns{0};   // steady-clock ns; meaningful while down
  std::atomic<uint64_t> connections{0};  // connects that succeeded
  std::atomic<uint64_t> connect_failures{0};
  std::atomic<uint64_t> bytes_in{0};   // client to backend
  std::atomic<uint64_t> bytes_out{0};  // backend to client
  std::atomic<uint64_t> went_up{0};    // transitions, by active or passive checks
  std::atomic<uint64_t> went_down{0};
};

class BackendPool {
 public:
  // `retry_after` applies only when `actively_checked` is false (see the overview).
  BackendPool(std::vector<Endpoint> backends, config::BalanceAlgorithm algorithm,
              bool actively_checked, Duration retry_after);
  // A pool over existing backend states (a new generation of a balancer).
  BackendPool(std::vector<std::shared_ptr<BackendState>> backends,
              config::BalanceAlgorithm algorithm, bool actively_checked, Duration retry_after);

  std::size_t size() const { return slots_.size(); }
  const Endpoint& endpoint(std::size_t i) const { return slots_[i]->endpoint; }
  bool isUp(std::size_t i) const { return slots_[i]->up.load(std::memory_order_relaxed); }
  int activeConnections(std::size_t i) const {
    return slots_[i]->active.load(std::memory_order_relaxed);
  }
  BackendState& state(std::size_t i) const { return *slots_[i]; }
  const std::vector<std::shared_ptr<BackendState>>& states() const { return slots_; }

  // Chooses a backend that is eligible at `now` and not in `excluded` (the backends already tried
  // for this connection), and counts a connection on it; the caller must release() it. nullopt
  // when none is eligible.
  std::optional<std::size_t> pick(SteadyTime now, std::span<const std::size_t> excluded = {});
  void release(std::size_t i) { slots_[i]->active.fetch_sub(1, std::memory_order_relaxed); }

  // Both return true when the state changed, so the caller logs the transition exactly once;
  // the transition is counted here (BackendState::went_up / went_down).
  bool markDown(std::size_t i, SteadyTime now);
  bool markUp(std::size_t i);

 private:
  bool eligible(const BackendState& s, int64_t now_ns) const;

  std::vector<std::shared_ptr<BackendState>> slots_;
  config::BalanceAlgorithm algorithm_;
  bool actively_checked_;
  Duration retry_after_;
  std::atomic<uint64_t> cursor_{0};  // round-robin position; also rotates least-conn ties
};

}  // namespace kubevip::lb
