#include "vip/routed_vip.h"

#include <gtest/gtest.h>

#include "vip/fake_route_originator.h"
#include "vip/fakes.h"

namespace kubevip::vip {
namespace {

using testing::FakeAddressManager;
using testing::FakeRouteOriginator;

constexpr int kLoopbackIndex = 1;

class RoutedVipTest : public ::testing::Test {
 protected:
  RoutedVipTest() : vip_(*IpAddress::parse("192.0.2.10")) {}

  void makeHolder(const IpAddress& address) {
    vip_ = address;
    RoutedVipOptions options;
    options.vip = vip_;
    options.ifindex = kLoopbackIndex;
    options.interface_name = "lo";
    options.policy.communities = {65000u << 16 | 100};
    options.policy.local_pref = 200;
    holder_ = std::make_unique<RoutedVip>(
        time_, addresses_, routes_, options, [this] { return valid_until_; },
        RoutedVipHooks{[this] {
                         ++acquired_;
                         announced_when_acquired_ = routes_.announce_calls;
                       },
                       [this] { ++released_; }});
  }
  void makeHolder() { makeHolder(vip_); }
  void leadFor(Duration d) { valid_until_ = time_.now() + d; }
  bool onInterface() { return *addresses_.has(kLoopbackIndex, vip_); }
  bool announced() { return routes_.has(vip_); }

  ManualTimeSource time_;
  FakeAddressManager addresses_;
  FakeRouteOriginator routes_;
  IpAddress vip_;
  SteadyTime valid_until_{};
  int acquired_ = 0;
  int announced_when_acquired_ = -1;  // route announcements made before the acquired hook ran
  int released_ = 0;
  std::unique_ptr<RoutedVip> holder_;
};

TEST_F(RoutedVipTest, AddsWithFiniteLifetimeThenAnnouncesWithoutProbing) {
  makeHolder();
  leadFor(std::chrono::hours(1));
  bool on_interface_when_announced = false;
  routes_.on_announce = [&](const IpAddress&) { on_interface_when_announced = onInterface(); };
  holder_->acquire();
  ASSERT_EQ(holder_->state(), VipState::kHolding) << "no probing: taken at once";
  EXPECT_TRUE(on_interface_when_announced) << "the node answers for it before routers send to it";
  ASSERT_TRUE(announced());
  EXPECT_EQ(routes_.announced.begin()->second.local_pref, 200u);
  EXPECT_EQ(acquired_, 1);
  EXPECT_EQ(announced_when_acquired_, 0)
      << "the data plane (kernel forwarding, listeners) is set up before routers send traffic";
  const auto& entry = addresses_.entries.front();
  EXPECT_EQ(entry.ifindex, kLoopbackIndex);
  EXPECT_EQ(entry.prefix_length, 32);
  EXPECT_EQ(entry.lifetime.valid, std::chrono::seconds(1));
  EXPECT_EQ(entry.lifetime.preferred, std::chrono::seconds(0));
  EXPECT_FALSE(entry.lifetime.permanent);
}

TEST_F(RoutedVipTest, IPv6IsAHostRouteOf128) {
  makeHolder(*IpAddress::parse("2001:db8::10"));
  leadFor(std::chrono::hours(1));
  holder_->acquire();
  ASSERT_EQ(addresses_.entries.size(), 1u);
  EXPECT_EQ(addresses_.entries.front().prefix_length, 128);
  EXPECT_TRUE(announced());
}

TEST_F(RoutedVipTest, RenewsTheLifetimeWhileLeadershipIsFresh) {
  makeHolder();
  leadFor(std::chrono::hours(1));
  holder_->acquire();
  const int adds = addresses_.add_calls;
  time_.advance(milliseconds(1000));
  EXPECT_EQ(addresses_.add_calls - adds, 5) << "every renewInterval (200 ms)";
  EXPECT_EQ(holder_->counters().renewals, 5u);
  EXPECT_EQ(routes_.announce_calls, 1) << "the speaker keeps the route; no re-announcement";
}

TEST_F(RoutedVipTest, ReleaseWithdrawsBeforeRemoving) {
  makeHolder();
  leadFor(std::chrono::hours(1));
  holder_->acquire();
  bool on_interface_when_withdrawn = false;
  routes_.on_withdraw = [&](const IpAddress&) { on_interface_when_withdrawn = onInterface(); };
  holder_->release();
  EXPECT_TRUE(on_interface_when_withdrawn)
      << "routers stop sending before the node stops answering";
  EXPECT_FALSE(announced());
  EXPECT_FALSE(onInterface());
  EXPECT_EQ(holder_->state(), VipState::kIdle);
  EXPECT_EQ(released_, 1);
  holder_->release();
  EXPECT_EQ(routes_.withdraw_calls, 1) << "idempotent";
}

TEST_F(RoutedVipTest, ANewPolicyIsAnnouncedWhileHeldAndKeptOtherwise) {
  makeHolder();
  bgp::RoutePolicy changed;
  changed.med = 7;
  holder_->setPolicy(changed);
  EXPECT_EQ(routes_.announce_calls, 0) << "not held: nothing to announce";
  leadFor(std::chrono::hours(1));
  holder_->acquire();
  ASSERT_TRUE(announced());
  EXPECT_EQ(routes_.announced.begin()->second.med, 7u);
  changed.med = 8;
  holder_->setPolicy(changed);
  EXPECT_EQ(routes_.announce_calls, 2);
  EXPECT_EQ(routes_.announced.begin()->second.med, 8u);
  holder_->setPolicy(changed);
  EXPECT_EQ(routes_.announce_calls, 2) << "the same policy again changes nothing";
}

TEST_F(RoutedVipTest, WaitsForFreshLeadershipBeforeAdding) {
  makeHolder();
  holder_->acquire();  // leading, but the leadership deadline is in the past
  time_.advance(milliseconds(500));
  EXPECT_FALSE(onInterface());
  EXPECT_FALSE(announced());
  EXPECT_EQ(addresses_.add_calls, 0);
  leadFor(std::chrono::hours(1));
  time_.advance(milliseconds(200));
  EXPECT_TRUE(onInterface());
  EXPECT_TRUE(announced());
}

TEST_F(RoutedVipTest, WithdrawsAndRemovesAtTheLeadershipDeadline) {
  makeHolder();
  leadFor(milliseconds(250));
  holder_->acquire();
  time_.advance(milliseconds(249));
  EXPECT_TRUE(announced());
  time_.advance(milliseconds(1));
  EXPECT_FALSE(announced()) << "at the deadline, not at the next renewal";
  EXPECT_FALSE(onInterface());
  EXPECT_EQ(holder_->counters().lease_expired_releases, 1u);
  leadFor(std::chrono::hours(1));  // still asked to lead: back once fresh again
  time_.advance(milliseconds(200));
  EXPECT_TRUE(announced());
  EXPECT_TRUE(onInterface());
}

TEST_F(RoutedVipTest, AFrozenHolderDropsBeforeAnyRenewal) {
  makeHolder();
  leadFor(milliseconds(500));
  holder_->acquire();
  time_.advance(milliseconds(100));
  const int adds = addresses_.add_calls;
  time_.freezeFor(std::chrono::seconds(5));
  time_.runDue();
  EXPECT_EQ(addresses_.add_calls, adds) << "no renewal with stale leadership";
  EXPECT_FALSE(announced());
  EXPECT_FALSE(onInterface());
}

TEST_F(RoutedVipTest, AnAdditionThatReturnsAfterTheDeadlineIsUndoneAndNotAnnounced) {
  makeHolder();
  leadFor(milliseconds(100));
  addresses_.during_add = [this] { time_.freezeFor(milliseconds(150)); };
  holder_->acquire();
  EXPECT_FALSE(onInterface());
  EXPECT_FALSE(announced());
  EXPECT_EQ(holder_->counters().lease_expired_during_kernel_call, 1u);
  EXPECT_EQ(holder_->state(), VipState::kIdle);
}

TEST_F(RoutedVipTest, ARenewalThatReturnsAfterTheDeadlineWithdrawsAtOnce) {
  makeHolder();
  leadFor(milliseconds(300));
  holder_->acquire();
  addresses_.during_add = [this] { time_.freezeFor(milliseconds(150)); };
  time_.advance(milliseconds(200));  // the renewal starts at 200 ms and returns at 350 ms
  EXPECT_FALSE(announced());
  EXPECT_FALSE(onInterface());
  EXPECT_EQ(holder_->counters().lease_expired_during_kernel_call, 1u);
}

TEST_F(RoutedVipTest, AFailedAddIsRetriedAndNothingIsAnnouncedMeanwhile) {
  makeHolder();
  leadFor(std::chrono::hours(1));
  addresses_.fail_adds = true;
  holder_->acquire();
  EXPECT_FALSE(announced());
  addresses_.fail_adds = false;
  time_.advance(milliseconds(200));
  EXPECT_TRUE(announced());
}

TEST_F(RoutedVipTest, AnAddressRemovedBySomeoneElseIsPutBack) {
  makeHolder();
  leadFor(std::chrono::hours(1));
  holder_->acquire();
  addresses_.externalRemove(kLoopbackIndex, vip_, 32);
  EXPECT_TRUE(onInterface());
  EXPECT_EQ(holder_->counters().restored_after_removal, 1u);
  EXPECT_TRUE(announced());
}

TEST_F(RoutedVipTest, RemovesALeftoverAndDestructionReleases) {
  ASSERT_TRUE(addresses_.addOrRenew(kLoopbackIndex, vip_, 32, {}).ok());
  makeHolder();
  ASSERT_TRUE(holder_->removeLeftover().ok());
  EXPECT_FALSE(onInterface());
  leadFor(std::chrono::hours(1));
  holder_->acquire();
  holder_.reset();
  EXPECT_FALSE(announced());
  EXPECT_FALSE(onInterface());
}

TEST(RoutePolicyFrom, TheConfiguredAttributes) {
  config::BgpConfig bgp;
  bgp.communities = {{65000, 100}, {0, 65535}};
  bgp.large_communities = {{4200000000u, 1, 2}};
  bgp.local_pref = 200;
  bgp.med = 10;
  const bgp::RoutePolicy p = routePolicyFrom(bgp);
  EXPECT_EQ(p.communities, (std::vector<uint32_t>{65000u << 16 | 100, 65535}));
  ASSERT_EQ(p.large_communities.size(), 1u);
  EXPECT_EQ(p.large_communities[0].global_administrator, 4200000000u);
  EXPECT_EQ(p.large_communities[0].local_data_2, 2u);
  EXPECT_EQ(p.local_pref, 200u);
  EXPECT_EQ(p.med, 10u);
  EXPECT_EQ(routePolicyFrom(config::BgpConfig{}), bgp::RoutePolicy{});
}

}  // namespace
}  // namespace kubevip::vip
