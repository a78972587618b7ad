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

}  // namespace

BackendPool::BackendPool(std::vector<Endpoint> backends, config::BalanceAlgorithm algorithm,
                         bool actively_checked, Duration retry_after)
    : size_(backends.size()),
      slots_(std::make_unique<Slot[]>(backends.size())),
      algorithm_(algorithm),
      actively_checked_(actively_checked),
      retry_after_(retry_after) {
  for (std::size_t i = 0; i < size_; ++i) slots_[i].endpoint = backends[i];
}

bool BackendPool::eligible(const Slot& s, int64_t now_ns) const {
  if (s.up.load(std::memory_order_relaxed)) return true;
  return !actively_checked_ && now_ns >= s.retry_at_ns.load(std::memory_order_relaxed);
}

std::optional<std::size_t> BackendPool::pick(SteadyTime now,
                                             std::span<const std::size_t> excluded) {
  if (size_ == 0) return std::nullopt;
  const int64_t now_ns = toNs(now);
  const std::size_t start = cursor_.fetch_add(1, std::memory_order_relaxed) % size_;
  std::optional<std::size_t> chosen;
  int best = std::numeric_limits<int>::max();
  for (std::size_t k = 0; k < size_; ++k) {
    std::size_t i = (start + k) % size_;
    if (contains(excluded, i) || !eligible(slots_[i], now_ns)) continue;
    if (algorithm_ == config::BalanceAlgorithm::kRoundRobin) {
      chosen = i;
      break;
    }
    // Least connections: the first minimum after the rotating start, so ties spread evenly.
    int active = slots_[i].active.load(std::memory_order_relaxed);
    if (active < best) {
      best = active;
      chosen = i;
    }
  }
  if (chosen) slots_[*chosen].active.fetch_add(1, std::memory_order_relaxed);
  return chosen;
}

bool BackendPool::markDown(std::size_t i, SteadyTime now) {
  Slot& s = slots_[i];
  s.retry_at_ns.store(
      toNs(now) + std::chrono::duration_cast<std::chrono::nanoseconds>(retry_after_).count(),
      std::memory_order_relaxed);
  return s.up.exchange(false, std::memory_order_relaxed);
}

bool BackendPool::markUp(std::size_t i) {
  return !slots_[i].up.exchange(true, std::memory_order_relaxed);
}

}  // namespace kubevip::lb
