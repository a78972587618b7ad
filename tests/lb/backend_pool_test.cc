#include "lb/backend_pool.h"

#include <gtest/gtest.h>

#include <map>
#include <thread>

namespace kubevip::lb {
namespace {

std::vector<Endpoint> threeBackends() {
  std::vector<Endpoint> out;
  for (uint8_t i = 1; i <= 3; ++i) out.push_back(Endpoint{IpAddress::v4({10, 0, 0, i}), 80});
  return out;
}

const SteadyTime kT0{};

TEST(BackendPoolTest, RoundRobinVisitsEveryBackendInTurn) {
  BackendPool pool(threeBackends(), config::BalanceAlgorithm::kRoundRobin, true, Duration::zero());
  std::vector<std::size_t> seen;
  for (int i = 0; i < 6; ++i) {
    auto p = pool.pick(kT0);
    ASSERT_TRUE(p);
    seen.push_back(*p);
    pool.release(*p);
  }
  EXPECT_EQ(seen, (std::vector<std::size_t>{0, 1, 2, 0, 1, 2}));
}

TEST(BackendPoolTest, RoundRobinSkipsDownBackends) {
  BackendPool pool(threeBackends(), config::BalanceAlgorithm::kRoundRobin, true, Duration::zero());
  EXPECT_TRUE(pool.markDown(1, kT0));
  EXPECT_FALSE(pool.markDown(1, kT0));  // already down: no second transition
  std::map<std::size_t, int> count;
  for (int i = 0; i < 6; ++i) {
    auto p = pool.pick(kT0);
    ASSERT_TRUE(p);
    count[*p]++;
    pool.release(*p);
  }
  // The down backend's share is spread evenly, not all given to its successor.
  EXPECT_EQ(count, (std::map<std::size_t, int>{{0, 3}, {2, 3}}));
  EXPECT_TRUE(pool.markUp(1));
  EXPECT_FALSE(pool.markUp(1));
}

TEST(BackendPoolTest, NothingWhenAllDownOrExcluded) {
  BackendPool pool(threeBackends(), config::BalanceAlgorithm::kRoundRobin, true, Duration::zero());
  std::vector<std::size_t> excluded{0, 2};
  pool.markDown(1, kT0);
  EXPECT_FALSE(pool.pick(kT0, excluded));
  pool.markDown(0, kT0);
  pool.markDown(2, kT0);
  EXPECT_FALSE(pool.pick(kT0));
}

TEST(BackendPoolTest, LeastConnectionsPicksTheLeastLoaded) {
  BackendPool pool(threeBackends(), config::BalanceAlgorithm::kLeastConnections, true,
                   Duration::zero());
  // Three picks spread over the three backends, whatever the rotation.
  std::map<std::size_t, int> count;
  for (int i = 0; i < 3; ++i) count[*pool.pick(kT0)]++;
  EXPECT_EQ(count.size(), 3u);
  // Free backend 2 twice over: it is now the only one at zero and must be chosen next.
  pool.release(2);
  EXPECT_EQ(pool.activeConnections(2), 0);
  EXPECT_EQ(*pool.pick(kT0), 2u);
  EXPECT_EQ(pool.activeConnections(2), 1);
}

TEST(BackendPoolTest, PassiveDownReturnsAfterRetryDelayWithoutActiveChecks) {
  BackendPool pool(threeBackends(), config::BalanceAlgorithm::kRoundRobin, false,
                   std::chrono::seconds(2));
  for (std::size_t i = 0; i < 3; ++i) pool.markDown(i, kT0);
  EXPECT_FALSE(pool.pick(kT0 + std::chrono::seconds(1)));
  EXPECT_TRUE(pool.pick(kT0 + std::chrono::seconds(2)));
}

TEST(BackendPoolTest, ActivelyCheckedDownBackendStaysDownUntilMarkedUp) {
  BackendPool pool(threeBackends(), config::BalanceAlgorithm::kRoundRobin, true,
                   std::chrono::seconds(2));
  for (std::size_t i = 0; i < 3; ++i) pool.markDown(i, kT0);
  EXPECT_FALSE(pool.pick(kT0 + std::chrono::hours(1)));
}

TEST(BackendPoolTest, ConcurrentPicksKeepCountsExactAndSpreadEvenly) {
  BackendPool pool(threeBackends(), config::BalanceAlgorithm::kRoundRobin, true, Duration::zero());
  constexpr int kThreads = 4;
  constexpr int kPicks = 30000;
  std::vector<std::array<int, 3>> per_thread(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      per_thread[t] = {};
      for (int i = 0; i < kPicks; ++i) {
        auto p = pool.pick(kT0);
        per_thread[t][*p]++;
        pool.release(*p);
      }
    });
  }
  for (auto& th : threads) th.join();
  std::array<int, 3> total{};
  for (auto& a : per_thread) {
    for (int i = 0; i < 3; ++i) total[i] += a[i];
  }
  // The shared cursor hands out positions exactly: an even split of 120000 picks.
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(total[i], kThreads * kPicks / 3);
    EXPECT_EQ(pool.activeConnections(i), 0);
  }
}

}  // namespace
}  // namespace kubevip::lb
