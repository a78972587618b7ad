#include "election/leader_lease.h"

#include <gtest/gtest.h>

#include "common/time_source.h"

namespace kubevip::election {
namespace {

using std::chrono::milliseconds;

constexpr Duration kLease = milliseconds(250);

class LeaderLeaseTest : public ::testing::Test {
 protected:
  SteadyTime at(int ms) const { return t0_ + milliseconds(ms); }
  // One request to `member` at `sent_ms`, answered successfully in `term`.
  void ackedSend(LeaderLease& lease, uint64_t member, int sent_ms, uint64_t term = 7) {
    lease.recordSend(member, at(sent_ms));
    lease.recordResult(member, term, true);
  }
  ManualTimeSource clock_;
  SteadyTime t0_ = clock_.now();
};

TEST_F(LeaderLeaseTest, InactiveUntilBegun) {
  LeaderLease lease({1, 2, 3}, 1, kLease);
  EXPECT_FALSE(lease.validUntil());
  ackedSend(lease, 2, 0);
  EXPECT_FALSE(lease.validUntil());
}

TEST_F(LeaderLeaseTest, SingleVoterHoldsForever) {
  LeaderLease lease({1}, 1, kLease);
  EXPECT_EQ(lease.majority(), 1u);
  lease.begin(3);
  ASSERT_TRUE(lease.validUntil());
  EXPECT_EQ(*lease.validUntil(), SteadyTime::max());
  lease.end();
  EXPECT_FALSE(lease.validUntil());
}

TEST_F(LeaderLeaseTest, TwoVotersNeedTheOtherOne) {
  LeaderLease lease({1, 2}, 1, kLease);
  EXPECT_EQ(lease.majority(), 2u);
  lease.begin(7);
  EXPECT_FALSE(lease.validUntil());
  ackedSend(lease, 2, 10);
  ASSERT_TRUE(lease.validUntil());
  EXPECT_EQ(*lease.validUntil(), at(10) + kLease);
}

TEST_F(LeaderLeaseTest, ThreeVotersNeedOneFollowerTheFreshestCounts) {
  LeaderLease lease({1, 2, 3}, 1, kLease);
  EXPECT_EQ(lease.majority(), 2u);
  lease.begin(7);
  ackedSend(lease, 2, 10);
  EXPECT_EQ(*lease.validUntil(), at(10) + kLease);
  ackedSend(lease, 3, 40);
  EXPECT_EQ(*lease.validUntil(), at(40) + kLease);
  ackedSend(lease, 2, 60);
  EXPECT_EQ(*lease.validUntil(), at(60) + kLease);
  EXPECT_EQ(lease.freshestFollower(), 2u);
}

TEST_F(LeaderLeaseTest, FiveVotersNeedTwoFollowersTheSecondFreshestCounts) {
  LeaderLease lease({1, 2, 3, 4, 5}, 3, kLease);
  EXPECT_EQ(lease.majority(), 3u);
  lease.begin(7);
  ackedSend(lease, 1, 100);
  EXPECT_FALSE(lease.validUntil()) << "one follower plus ourselves is not a majority of five";
  ackedSend(lease, 5, 50);
  EXPECT_EQ(*lease.validUntil(), at(50) + kLease);
  ackedSend(lease, 4, 80);
  EXPECT_EQ(*lease.validUntil(), at(80) + kLease);
  ackedSend(lease, 2, 200);
  EXPECT_EQ(*lease.validUntil(), at(100) + kLease);
}

TEST_F(LeaderLeaseTest, AckMatchesTheOldestOutstandingSend) {
  LeaderLease lease({1, 2, 3}, 1, kLease);
  lease.begin(7);
  lease.recordSend(2, at(0));
  lease.recordSend(2, at(50));
  lease.recordSend(2, at(100));
  lease.recordResult(2, 7, true);
  EXPECT_EQ(*lease.validUntil(), at(0) + kLease) << "first reply answers the first request";
  lease.recordResult(2, 7, true);
  EXPECT_EQ(*lease.validUntil(), at(50) + kLease);
  lease.recordResult(2, 7, true);
  EXPECT_EQ(*lease.validUntil(), at(100) + kLease);
  // A surplus reply cannot be attributed to any request and proves nothing.
  lease.recordResult(2, 7, true);
  EXPECT_EQ(*lease.validUntil(), at(100) + kLease);
}

TEST_F(LeaderLeaseTest, RejectionConsumesARequestWithoutRenewing) {
  LeaderLease lease({1, 2, 3}, 1, kLease);
  lease.begin(7);
  ackedSend(lease, 2, 0);
  lease.recordSend(2, at(50));
  lease.recordSend(2, at(100));
  lease.recordResult(2, 7, false);
  EXPECT_EQ(*lease.validUntil(), at(0) + kLease);
  lease.recordResult(2, 7, true);
  EXPECT_EQ(*lease.validUntil(), at(100) + kLease);
}

TEST_F(LeaderLeaseTest, ResultsOfOtherTermsAreIgnored) {
  LeaderLease lease({1, 2, 3}, 1, kLease);
  lease.begin(7);
  lease.recordSend(2, at(10));
  lease.recordResult(2, 6, true);  // a late reply from an older term
  lease.recordResult(2, 8, true);  // a newer term: libraft steps down on it
  EXPECT_FALSE(lease.validUntil());
  lease.recordResult(2, 7, true);
  EXPECT_EQ(*lease.validUntil(), at(10) + kLease) << "the request was still outstanding";
}

TEST_F(LeaderLeaseTest, NewTermForgetsEverything) {
  LeaderLease lease({1, 2, 3}, 1, kLease);
  lease.begin(7);
  ackedSend(lease, 2, 10);
  lease.recordSend(3, at(20));
  lease.begin(9);
  EXPECT_FALSE(lease.validUntil());
  lease.recordResult(3, 9, true);  // the term-7 request is forgotten: nothing to match
  EXPECT_FALSE(lease.validUntil());
}

TEST_F(LeaderLeaseTest, FailedSendIsWithdrawn) {
  LeaderLease lease({1, 2, 3}, 1, kLease);
  lease.begin(7);
  uint64_t lost = lease.recordSend(2, at(0));
  lease.recordSend(2, at(50));
  lease.sendFailed(2, lost);
  lease.recordResult(2, 7, true);
  EXPECT_EQ(*lease.validUntil(), at(50) + kLease);
}

TEST_F(LeaderLeaseTest, StaleAcksOnlyProveOldSends) {
  // A leader frozen for a second: its followers' replies arrive afterwards, but they answer
  // requests sent before the freeze, so the lease stays in the past.
  LeaderLease lease({1, 2, 3}, 1, kLease);
  lease.begin(7);
  ackedSend(lease, 2, 0);
  lease.recordSend(2, at(50));
  lease.recordSend(3, at(50));
  clock_.advance(milliseconds(1000));  // frozen; resumed here
  EXPECT_LE(*lease.validUntil(), clock_.now()) << "expired on the first look after the freeze";
  lease.recordResult(2, 7, true);
  lease.recordResult(3, 7, true);
  EXPECT_EQ(*lease.validUntil(), at(50) + kLease);
  EXPECT_LE(*lease.validUntil(), clock_.now());
  // Only a request sent after resuming renews it.
  ackedSend(lease, 3, 1000);
  EXPECT_GT(*lease.validUntil(), clock_.now());
}

TEST_F(LeaderLeaseTest, VanishedRequestsKeepEveryLaterProofOldForTheRestOfTheTerm) {
  // Six heartbeats 50 ms apart were handed to a connection that then broke without a send
  // failing (the follower was killed with them in flight): they are never answered. From then on
  // each result matches a send six heartbeats older than the one it answers, so the follower's
  // proof trails by 300 ms, more than the lease: the lease is never fresh again in this term,
  // however promptly the follower answers. RaftElector gives such a term up (raft_elector.h,
  // "A lease that can no longer be renewed"); the lease itself stays on the safe side.
  LeaderLease lease({1, 2, 3}, 1, kLease);
  lease.begin(7);
  ackedSend(lease, 2, 0);
  for (int ms = 50; ms <= 300; ms += 50) lease.recordSend(2, at(ms));  // lost with the connection
  for (int ms = 350; ms <= 2000; ms += 50) {
    clock_.advance(at(ms) - clock_.now());
    ackedSend(lease, 2, ms);  // answered at once by the restarted follower
    ASSERT_TRUE(lease.validUntil());
    EXPECT_LE(*lease.validUntil(), clock_.now()) << "at " << ms << " ms";
    EXPECT_EQ(*lease.validUntil(), at(ms - 300) + kLease);
  }
  // A new term starts with empty queues: the same follower's first answer renews it.
  lease.begin(8);
  ackedSend(lease, 2, 2050, 8);
  EXPECT_GT(*lease.validUntil(), at(2000));
}

TEST_F(LeaderLeaseTest, NonVotersAndSelfCountForNothing) {
  LeaderLease lease({1, 2, 3}, 1, kLease);
  lease.begin(7);
  ackedSend(lease, 9, 10);
  ackedSend(lease, 1, 10);
  EXPECT_FALSE(lease.validUntil());
  EXPECT_EQ(lease.freshestFollower(), 0u);
}

TEST_F(LeaderLeaseTest, UnansweredFollowerIsDroppedWhenItsQueueOverflows) {
  LeaderLease lease({1, 2, 3}, 1, kLease);
  lease.begin(7);
  for (std::size_t i = 0; i <= LeaderLease::kMaxOutstanding; ++i) lease.recordSend(2, at(0));
  lease.recordSend(2, at(5000));
  lease.recordResult(2, 7, true);
  EXPECT_FALSE(lease.validUntil()) << "after overflow nothing can be matched safely";
  ackedSend(lease, 3, 6000);
  EXPECT_EQ(*lease.validUntil(), at(6000) + kLease);
}

}  // namespace
}  // namespace kubevip::election
