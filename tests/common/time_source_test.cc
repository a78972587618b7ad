#include "common/time_source.h"

#include <gtest/gtest.h>

#include <vector>

namespace kubevip {
namespace {

TEST(ManualTimeSourceTest, FiresInDeadlineOrderAtTheirDeadline) {
  ManualTimeSource time;
  const SteadyTime start = time.now();
  std::vector<std::pair<int, Duration>> fired;
  auto a = time.createTimer();
  auto b = time.createTimer();
  a->start(milliseconds(30), [&] { fired.emplace_back(1, time.now() - start); });
  b->start(milliseconds(10), [&] { fired.emplace_back(2, time.now() - start); });
  time.advance(milliseconds(25));
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].first, 2);
  EXPECT_EQ(fired[0].second, milliseconds(10));
  EXPECT_TRUE(a->active());
  EXPECT_FALSE(b->active());
  time.advance(milliseconds(10));
  ASSERT_EQ(fired.size(), 2u);
  EXPECT_EQ(fired[1].second, milliseconds(30));
  EXPECT_EQ(time.now() - start, milliseconds(35));
}

TEST(ManualTimeSourceTest, RearmingFromCallbackAndStopping) {
  ManualTimeSource time;
  int ticks = 0;
  auto t = time.createTimer();
  std::function<void()> tick = [&] {
    ++ticks;
    t->start(milliseconds(100), tick);
  };
  t->start(milliseconds(100), tick);
  time.advance(milliseconds(1000));
  EXPECT_EQ(ticks, 10);
  t->stop();
  time.advance(milliseconds(1000));
  EXPECT_EQ(ticks, 10);
  EXPECT_EQ(time.activeTimers(), 0u);
}

TEST(ManualTimeSourceTest, DestroyingATimerCancelsIt) {
  ManualTimeSource time;
  bool fired = false;
  {
    auto t = time.createTimer();
    t->start(milliseconds(1), [&] { fired = true; });
  }
  time.advance(milliseconds(5));
  EXPECT_FALSE(fired);
}

TEST(ManualTimeSourceTest, FreezeFiresOverdueTimersAtResumeTime) {
  ManualTimeSource time;
  const SteadyTime start = time.now();
  std::vector<Duration> seen;
  auto a = time.createTimer();
  auto b = time.createTimer();
  a->start(milliseconds(10), [&] { seen.push_back(time.now() - start); });
  b->start(milliseconds(20), [&] { seen.push_back(time.now() - start); });
  time.freezeFor(milliseconds(100));
  EXPECT_TRUE(seen.empty());
  time.runDue();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0], milliseconds(100));
  EXPECT_EQ(seen[1], milliseconds(100));
}

}  // namespace
}  // namespace kubevip
