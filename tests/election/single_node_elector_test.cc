#include "election/single_node_elector.h"

#include <gtest/gtest.h>

#include "common/time_source.h"

namespace kubevip::election {
namespace {

TEST(SingleNodeElectorTest, LeadsFromStartUntilStop) {
  ManualTimeSource time;
  SingleNodeElector elector(time, "solo");
  int started = 0, stopped = 0;
  ASSERT_TRUE(elector.start({[&] { ++started; }, [&] { ++stopped; }, nullptr, nullptr}));
  EXPECT_FALSE(elector.isLeader())
      << "started_leading is delivered from the loop, not inside start";
  time.runDue();
  EXPECT_EQ(started, 1);
  EXPECT_TRUE(elector.isLeader());
  EXPECT_EQ(elector.leaderId(), "solo");
  EXPECT_EQ(elector.leadershipValidUntil(), SteadyTime::max());
  time.advance(std::chrono::hours(24 * 365));
  EXPECT_TRUE(elector.isLeader());
  bool done = false;
  elector.stop([&] { done = true; });
  EXPECT_TRUE(done);
  EXPECT_EQ(stopped, 1);
  EXPECT_FALSE(elector.isLeader());
  EXPECT_LT(elector.leadershipValidUntil(), time.now());
  EXPECT_EQ(elector.leaderId(), "");
  EXPECT_EQ(started, 1);
}

TEST(SingleNodeElectorTest, StopBeforeTheLoopRanReportsNothing) {
  ManualTimeSource time;
  SingleNodeElector elector(time, "solo");
  int started = 0, stopped = 0;
  ASSERT_TRUE(elector.start({[&] { ++started; }, [&] { ++stopped; }, nullptr, nullptr}));
  elector.stop(nullptr);
  time.runDue();
  EXPECT_EQ(started, 0);
  EXPECT_EQ(stopped, 0);
  EXPECT_FALSE(elector.start({}));
}

}  // namespace
}  // namespace kubevip::election
