// HealthState: /livez follows the control loop's turns, /readyz the election backend.
#include "ops/health.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace kubevip::ops {
namespace {

using ::testing::HasSubstr;

const SteadyTime kStart = SteadyTime() + seconds(1000);

TEST(HealthLiveness, NotLiveBeforeTheLoopFirstTurns) {
  HealthState health;
  Answer answer = health.liveness(kStart);
  EXPECT_FALSE(answer.ok);
  EXPECT_THAT(answer.body, HasSubstr("not started"));
}

TEST(HealthLiveness, LiveWithinTheStallBound) {
  HealthState health(seconds(5));
  health.loopTurned(kStart);
  EXPECT_TRUE(health.liveness(kStart).ok);
  EXPECT_TRUE(health.liveness(kStart + seconds(5)).ok);  // the bound itself still counts as live
}

TEST(HealthLiveness, FailsWhenTheLoopStalledAndSaysSinceWhen) {
  HealthState health(seconds(5));
  health.loopTurned(kStart);
  Answer answer = health.liveness(kStart + milliseconds(7300));
  EXPECT_FALSE(answer.ok);
  EXPECT_THAT(answer.body, HasSubstr("last turned 7.3s ago"));
  EXPECT_THAT(answer.body, HasSubstr("bound 5.0s"));
}

TEST(HealthLiveness, ALaterTurnRevivesIt) {
  HealthState health(seconds(5));
  health.loopTurned(kStart);
  ASSERT_FALSE(health.liveness(kStart + seconds(9)).ok);
  health.loopTurned(kStart + seconds(9));
  EXPECT_TRUE(health.liveness(kStart + seconds(10)).ok);
}

TEST(HealthLiveness, AnOlderTurnReportedLateDoesNotMoveTheLastTurnBack) {
  HealthState health(seconds(5));
  health.loopTurned(kStart + seconds(10));
  health.loopTurned(kStart);
  EXPECT_TRUE(health.liveness(kStart + seconds(14)).ok);
}

TEST(HealthReadiness, NotReadyUntilTheDaemonSaysSo) {
  HealthState health;
  Answer answer = health.readiness();
  EXPECT_FALSE(answer.ok);
  EXPECT_THAT(answer.body, HasSubstr("starting"));
}

TEST(HealthReadiness, CarriesTheReason) {
  HealthState health;
  health.setReady(true, "raft: leader node2 known");
  EXPECT_TRUE(health.readiness().ok);
  health.setReady(false, "raft: no quorum (1 of 3 peers reachable)");
  Answer answer = health.readiness();
  EXPECT_FALSE(answer.ok);
  EXPECT_EQ(answer.body, "not ready: raft: no quorum (1 of 3 peers reachable)");
}

}  // namespace
}  // namespace kubevip::ops
