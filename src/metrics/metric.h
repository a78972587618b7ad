// The live metrics: one object per series, updated by whoever counts and read at scrape time.
//
// Threading: Counter and Gauge hold one std::atomic<double> and use no lock, so load-balancer
// worker threads can update them on every connection without contending with each other or with a
// scrape (a scrape reads each value once; values of different series may be from slightly different
// instants, as in every Prometheus client). Histogram takes a std::mutex per observation, because
// its buckets, sum and count must be read together: a scrape must never see a count that differs
// from the sum of the buckets. Observations are rare (one per election or health check), so the
// lock is cheap. Pointers to these objects stay valid for as long as their Registry lives.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <vector>

#include "metrics/exposition.h"

namespace kubevip::metrics {

// The "no lock" promise above: a worker thread never waits for a scrape.
static_assert(std::atomic<double>::is_always_lock_free, "counters and gauges must not lock");

class Counter {
 public:
  // `amount` must not be negative: a counter that goes down reads as a restart to Prometheus.
  void inc(double amount = 1);
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

class Gauge {
 public:
  void set(double value) { value_.store(value, std::memory_order_relaxed); }
  void inc(double amount = 1) { value_.fetch_add(amount, std::memory_order_relaxed); }
  void dec(double amount = 1) { value_.fetch_sub(amount, std::memory_order_relaxed); }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

class Histogram {
 public:
  // `upper_bounds` finite and strictly increasing (Registry checks before constructing one).
  explicit Histogram(std::vector<double> upper_bounds);

  // Counts `value` in the first bucket whose bound is >= value (Prometheus buckets are "less than
  // or equal"), or in +Inf; NaN goes to +Inf and makes the sum NaN, as in the Go client.
  void observe(double value);
  HistogramValue snapshot() const;

 private:
  mutable std::mutex mutex_;
  HistogramValue state_;
};

}  // namespace kubevip::metrics
