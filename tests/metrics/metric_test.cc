#include "metrics/metric.h"

#include <gtest/gtest.h>

#include <cmath>
#include <thread>
#include <vector>

namespace kubevip::metrics {
namespace {

TEST(CounterTest, CountsUpByOneOrByAmount) {
  Counter counter;
  counter.inc();
  counter.inc(2.5);
  EXPECT_EQ(counter.value(), 3.5);
}

TEST(GaugeTest, SetsIncrementsAndDecrements) {
  Gauge gauge;
  gauge.set(5);
  gauge.inc();
  gauge.dec(3);
  EXPECT_EQ(gauge.value(), 3);
}

// Worker threads update without a lock; no increment may be lost.
TEST(CounterTest, ConcurrentIncrementsAreAllCounted) {
  Counter counter;
  Gauge gauge;
  std::vector<std::thread> workers;
  for (int t = 0; t < 4; ++t) {
    workers.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) {
        counter.inc();
        gauge.inc();
        gauge.dec();
      }
    });
  }
  for (auto& worker : workers) worker.join();
  EXPECT_EQ(counter.value(), 40000);
  EXPECT_EQ(gauge.value(), 0);
}

TEST(HistogramTest, BucketsAreLessThanOrEqualToTheirBound) {
  Histogram histogram({0.5, 1});
  histogram.observe(0.5);  // on the bound: belongs to le="0.5"
  histogram.observe(0.75);
  histogram.observe(1);
  histogram.observe(7);
  HistogramValue value = histogram.snapshot();
  EXPECT_EQ(value.bucket_counts, (std::vector<uint64_t>{1, 2, 1}));
  EXPECT_EQ(value.sum, 9.25);
  EXPECT_EQ(value.count, 4u);
  EXPECT_EQ(value.upper_bounds, (std::vector<double>{0.5, 1}));
}

TEST(HistogramTest, NaNGoesToInfAndPoisonsTheSum) {
  Histogram histogram({1});
  histogram.observe(std::nan(""));
  HistogramValue value = histogram.snapshot();
  EXPECT_EQ(value.bucket_counts, (std::vector<uint64_t>{0, 1}));
  EXPECT_TRUE(std::isnan(value.sum));
  EXPECT_EQ(value.count, 1u);
}

}  // namespace
}  // namespace kubevip::metrics
