#include "metrics/metric.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <utility>

namespace kubevip::metrics {

void Counter::inc(double amount) {
  assert(!(amount < 0));
  value_.fetch_add(amount, std::memory_order_relaxed);
}

Histogram::Histogram(std::vector<double> upper_bounds) {
  state_.bucket_counts.assign(upper_bounds.size() + 1, 0);
  state_.upper_bounds = std::move(upper_bounds);
}

void Histogram::observe(double value) {
  const auto& bounds = state_.upper_bounds;  // never changes after construction
  // lower_bound is the first bound >= value; NaN compares false with every bound, so it is sent
  // to +Inf explicitly.
  const size_t bucket =
      std::isnan(value) ? bounds.size()
                        : std::lower_bound(bounds.begin(), bounds.end(), value) - bounds.begin();
  std::lock_guard lock(mutex_);
  state_.bucket_counts[bucket] += 1;
  state_.sum += value;
  state_.count += 1;
}

HistogramValue Histogram::snapshot() const {
  std::lock_guard lock(mutex_);
  return state_;
}

}  // namespace kubevip::metrics
