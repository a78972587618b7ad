// healthRoutes, mergeRoutes and listenersCollide: what the daemon builds its servers from.
#include "ops/health_routes.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace kubevip::ops {
namespace {

using ::testing::HasSubstr;

TEST(HealthRoutes, AnswerWithTheStateAtTheClocksTime) {
  HealthState health(seconds(5));
  SteadyTime now = SteadyTime() + seconds(100);
  Routes routes = healthRoutes(health, [&now] { return now; });
  health.loopTurned(now);
  health.setReady(false, "raft: no quorum");
  HttpAnswer live = routes.at("/livez")();
  EXPECT_EQ(live.status, 200);
  EXPECT_THAT(live.body, HasSubstr("ok"));
  HttpAnswer ready = routes.at("/readyz")();
  EXPECT_EQ(ready.status, 503);
  EXPECT_EQ(ready.body, "not ready: raft: no quorum\n");
  now += seconds(6);
  EXPECT_EQ(routes.at("/livez")().status, 503);
}

TEST(MergeRoutes, JoinsDisjointSetsAndRefusesAPathTwice) {
  HealthState health;
  Routes routes;
  routes["/metrics"] = [] { return HttpAnswer{}; };
  ASSERT_TRUE(mergeRoutes(routes, healthRoutes(health, [] { return SteadyTime(); })).ok());
  EXPECT_EQ(routes.size(), 3u);
  Routes again;
  again["/livez"] = [] { return HttpAnswer{}; };
  auto merged = mergeRoutes(routes, std::move(again));
  ASSERT_FALSE(merged.ok());
  EXPECT_EQ(merged.error().message, "two handlers for the path /livez");
}

TEST(ListenersCollide, SamePortAndOverlappingHosts) {
  auto at = [](const char* text) { return *parseListenAddress("test", text); };
  EXPECT_TRUE(listenersCollide(at(":2112"), at(":2112")));
  EXPECT_TRUE(listenersCollide(at(":2112"), at("127.0.0.1:2112")));
  EXPECT_TRUE(listenersCollide(at("[::1]:2112"), at("[::1]:2112")));
  EXPECT_FALSE(listenersCollide(at("127.0.0.1:2112"), at("10.0.0.1:2112")));
  EXPECT_FALSE(listenersCollide(at(":2112"), at(":2113")));
  EXPECT_FALSE(listenersCollide(at(":0"), at(":0")));  // the kernel picks two ports
}

}  // namespace
}  // namespace kubevip::ops
