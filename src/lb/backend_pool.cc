#include "lb/backend_pool.h"

#include <algorithm>
#include <limits>

namespace kubevip::lb {
namespace {

int64_t toNs(SteadyTime t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

bool contains(std::span<const std::size_t> v, std::size_t x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

std::vector<std::shared_ptr<BackendState>> freshStates(const std::vector<Endpoint>& backends) {
  std::vector<std::shared_ptr<BackendState>> out;
  out.reserve(backends.size());
  for (const auto& e : backends) out.push_back(std::make_shared<BackendState>(e));
  return out;
}

}  // namespace

BackendPool::BackendPool(std::vector<Endpoint> backends, config::BalanceAlgorithm algorithm,
                         bool actively_checked, Duration retry_after)
    : BackendPool(freshStates(backends), algorithm, actively_checked, retry_after) {}

BackendPool::BackendPool(std::vector<std::shared_ptr<BackendState>> backends,
                         config::BalanceAlgorithm algorithm, bool actively_checked,
                         Duration retry_after)
    : slots_(std::move(backends)),
      algorithm_(algorithm),
      actively_checked_(actively_checked),
      retry_after_(retry_after) {}

bool BackendPool::eligible(const BackendState& s, int64_t now_ns) const {
  if (s.up.load(std::memory_order_relaxed)) return true;
  return !actively_checked_ && now_ns >= s.retry_at_ns.load(std::memory_order_relaxed);
}

std::optional<std::size_t> BackendPool::pick(SteadyTime now,
                                             std::span<const std::size_t> excluded) {
  if (slots_.empty()) return std::nullopt;
  const int64_t now_ns = toNs(now);
  const uint64_t ticket = cursor_.fetch_add(1, std::memory_order_relaxed);
  std::optional<std::size_t> chosen;
  if (algorithm_ == config::BalanceAlgorithm::kRoundRobin) {
    // The ticket-th of the eligible backends, so that a down backend's share is spread evenly
    // over the others instead of all falling on its successor.
    std::size_t eligible_count = 0;
    for (std::size_t i = 0; i < slots_.size(); ++i) {
      if (!contains(excluded, i) && eligible(*slots_[i], now_ns)) ++eligible_count;
    }
    if (eligible_count == 0) return std::nullopt;
    std::size_t k = ticket % eligible_count;
    for (std::size_t i = 0; i < slots_.size(); ++i) {
      if (contains(excluded, i) || !eligible(*slots_[i], now_ns)) continue;
      if (k-- == 0) {
        chosen = i;
        break;
      }
    }
  } else {
    // Least connections: the first minimum after a rotating start, so ties spread evenly.
    int best = std::numeric_limits<int>::max();
    for (std::size_t step = 0; step < slots_.size(); ++step) {
      std::size_t i = (ticket + step) % slots_.size();
      if (contains(excluded, i) || !eligible(*slots_[i], now_ns)) continue;
      int active = slots_[i]->active.load(std::memory_order_relaxed);
      if (active < best) {
        best = active;
        chosen = i;
      }
    }
  }
  if (chosen) slots_[*chosen]->active.fetch_add(1, std::memory_order_relaxed);
  return chosen;
}

bool BackendPool::markDown(std::size_t i, SteadyTime now) {
  BackendState& s = *slots_[i];
  s.retry_at_ns.store(
      toNs(now) + std::chrono::duration_cast<std::chrono::nanoseconds>(retry_after_).count(),
      std::memory_order_relaxed);
  if (!s.up.exchange(false, std::memory_order_relaxed)) return false;
  s.went_down.fetch_add(1, std::memory_order_relaxed);
  return true;
}

bool BackendPool::markUp(std::size_t i) {
  BackendState& s = *slots_[i];
  if (s.up.exchange(true, std::memory_order_relaxed)) return false;
  s.went_up.fetch_add(1, std::memory_order_relaxed);
  return true;
}

}  // namespace kubevip::lb
