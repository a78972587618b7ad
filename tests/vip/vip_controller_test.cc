#include "vip/vip_controller.h"

#include <gtest/gtest.h>

#include "vip/fakes.h"

namespace kubevip::vip {
namespace {

using testing::FakeAddressManager;
using testing::FakeAnnouncer;
using testing::FakeProber;

constexpr int kIfindex = 7;

class VipControllerTest : public ::testing::Test {
 protected:
  VipControllerTest() : vip_(*IpAddress::parse("10.0.0.100")) {}

  void makeController(int probes_unanswered = 3) {
    VipControllerOptions options;
    options.vip = vip_;
    options.ifindex = kIfindex;
    options.interface_name = "eth0";
    options.probe_interval = milliseconds(20);
    options.probes_unanswered = probes_unanswered;
    controller_ = std::make_unique<VipController>(
        time_, addresses_, announcer_, prober_, options, [this] { return valid_until_; },
        VipControllerHooks{[this] {
                             ++acquired_;
                             announced_when_acquired_ = announcer_.announced.size();
                           },
                           [this] { ++released_; }});
  }
  void leadFor(Duration d) { valid_until_ = time_.now() + d; }
  bool holds() { return *addresses_.has(kIfindex, vip_); }

  ManualTimeSource time_;
  FakeAddressManager addresses_;
  FakeAnnouncer announcer_;
  FakeProber prober_;
  IpAddress vip_;
  SteadyTime valid_until_{};
  int acquired_ = 0;
  // Announcements sent before the acquired hook ran.
  std::size_t announced_when_acquired_ = 99;
  int released_ = 0;
  std::unique_ptr<VipController> controller_;
};

TEST_F(VipControllerTest, ProbesThenAddsWithFiniteLifetimeAndAnnouncesBurst) {
  makeController();
  leadFor(std::chrono::hours(1));
  controller_->acquire();
  EXPECT_EQ(controller_->state(), VipState::kProbing);
  time_.advance(milliseconds(59));
  EXPECT_FALSE(holds()) << "three probe periods must pass unanswered first";
  EXPECT_EQ(prober_.probes, 3);
  time_.advance(milliseconds(1));
  ASSERT_TRUE(holds());
  EXPECT_EQ(controller_->state(), VipState::kHolding);
  EXPECT_EQ(acquired_, 1);
  EXPECT_EQ(announced_when_acquired_, 0u)
      << "the data plane (kernel forwarding, listeners) is set up before the first announcement";
  const auto& entry = addresses_.entries.front();
  EXPECT_EQ(entry.prefix_length, 32);
  EXPECT_EQ(entry.lifetime.valid, std::chrono::seconds(1));
  EXPECT_EQ(entry.lifetime.preferred, std::chrono::seconds(0));
  EXPECT_FALSE(entry.lifetime.permanent);
  EXPECT_EQ(announcer_.announced.size(), 1u) << "first announcement goes out at once";
  time_.advance(milliseconds(250));
  EXPECT_EQ(announcer_.announced.size(), 3u) << "then the rest of the burst";
  time_.advance(milliseconds(3000));
  EXPECT_EQ(announcer_.announced.size(), 4u) << "then the periodic refresh";
}

TEST_F(VipControllerTest, WaitsWhileAnotherHostAnswersProbes) {
  makeController();
  leadFor(std::chrono::hours(1));
  prober_.defended = true;
  controller_->acquire();
  time_.advance(milliseconds(2000));
  EXPECT_FALSE(holds());
  EXPECT_EQ(controller_->state(), VipState::kProbing);
  prober_.defended = false;  // the old holder's lifetime ran out
  time_.advance(milliseconds(60));
  EXPECT_FALSE(holds()) << "the last of three unanswered probes needs its period too";
  time_.advance(milliseconds(20));
  EXPECT_TRUE(holds());
  EXPECT_EQ(controller_->counters().probes_answered, controller_->counters().probes_sent - 3);
}

// With the defaults (lifetime 1 s + kKernelExpirySlack), the earliest a node that cannot probe
// may add the VIP: the old holder's address has certainly expired by then.
constexpr Duration kLifetimeBound = milliseconds(2000);

TEST_F(VipControllerTest, ProbesNotSeenLeavingAreNotSilence) {
  makeController();
  leadFor(std::chrono::hours(1));
  prober_.seen_leaving = false;  // e.g. a receive socket that stopped reading after a link flap
  controller_->acquire();
  time_.advance(kLifetimeBound - milliseconds(1));
  EXPECT_FALSE(holds()) << "unheard probes must not count as unanswered";
  EXPECT_GT(controller_->counters().probes_unconfirmed, 90u);
  time_.advance(milliseconds(1));
  EXPECT_TRUE(holds()) << "added once the old holder's lifetime bound has passed";
  EXPECT_EQ(controller_->counters().acquisitions_without_probing, 1u);
}

TEST_F(VipControllerTest, ProbesNotSentAreNotSilence) {
  makeController();
  leadFor(std::chrono::hours(1));
  prober_.fail_sends = true;  // e.g. ENETDOWN
  controller_->acquire();
  time_.advance(kLifetimeBound - milliseconds(1));
  EXPECT_FALSE(holds());
  time_.advance(milliseconds(1));
  EXPECT_TRUE(holds());
}

TEST_F(VipControllerTest, TheLifetimeBoundCountsFromGainingLeadership) {
  makeController();
  time_.advance(milliseconds(5000));  // a long time as a follower
  leadFor(std::chrono::hours(1));
  prober_.seen_leaving = false;
  controller_->acquire();
  time_.advance(kLifetimeBound - milliseconds(1));
  EXPECT_FALSE(holds());
  time_.advance(milliseconds(1));
  EXPECT_TRUE(holds());
}

TEST_F(VipControllerTest, ClaimsHeardStillBlockWhenProbesAreNotSeen) {
  makeController();
  leadFor(std::chrono::hours(1));
  prober_.seen_leaving = false;
  prober_.defended = true;  // the old holder's frames still arrive
  controller_->acquire();
  time_.advance(kLifetimeBound * 3);
  EXPECT_FALSE(holds());
}

TEST_F(VipControllerTest, ProbingThatWorksAgainIsUsedAgain) {
  makeController();
  leadFor(std::chrono::hours(1));
  prober_.seen_leaving = false;
  controller_->acquire();
  time_.advance(milliseconds(100));  // the probe sent at 100 ms is not seen either
  prober_.seen_leaving = true;       // the socket was reopened
  time_.advance(milliseconds(79));
  EXPECT_FALSE(holds()) << "three seen, unanswered probes are needed";
  time_.advance(milliseconds(1));
  EXPECT_TRUE(holds());
  EXPECT_EQ(controller_->counters().acquisitions_without_probing, 0u);
}

TEST_F(VipControllerTest, LostFramesRestartTheCount) {
  makeController();
  leadFor(std::chrono::hours(1));
  controller_->acquire();
  time_.advance(milliseconds(40));  // two probes judged silent, a third sent
  prober_.loseFrames();             // its answer may have been dropped
  time_.advance(milliseconds(79));
  EXPECT_FALSE(holds());
  time_.advance(milliseconds(1));
  EXPECT_TRUE(holds());
}

// The loop may run an overdue probe timer before it polls the receive socket: an answer already
// queued must be read before the period is judged.
TEST_F(VipControllerTest, QueuedAnswersAreReadBeforeJudging) {
  makeController();
  leadFor(std::chrono::hours(1));
  prober_.defended_queued = true;
  controller_->acquire();
  time_.advance(milliseconds(500));
  EXPECT_FALSE(holds());
  EXPECT_GT(prober_.read_queued_calls, 20);
  prober_.defended_queued = false;
  time_.advance(milliseconds(80));
  EXPECT_TRUE(holds());
}

TEST_F(VipControllerTest, NeverAddsWithoutFreshLeadership) {
  makeController();
  controller_->acquire();  // elected, but no majority has acknowledged yet
  time_.advance(milliseconds(500));
  EXPECT_FALSE(holds());
  leadFor(milliseconds(250));
  time_.advance(milliseconds(20));
  EXPECT_TRUE(holds());
}

TEST_F(VipControllerTest, RenewsWhileFreshAndDropsAtTheLeaseDeadline) {
  makeController(0);
  leadFor(milliseconds(250));
  controller_->acquire();
  ASSERT_TRUE(holds());
  const int adds_after_take = addresses_.add_calls;
  time_.advance(milliseconds(200));
  EXPECT_EQ(addresses_.add_calls, adds_after_take + 1) << "renewed at renewInterval";
  // No acknowledgement arrives any more: the lease runs out at +250 ms, before the next renewal.
  time_.advance(milliseconds(49));
  EXPECT_TRUE(holds());
  time_.advance(milliseconds(1));
  EXPECT_FALSE(holds());
  EXPECT_EQ(released_, 1);
  EXPECT_EQ(controller_->counters().lease_expired_releases, 1u);
  EXPECT_EQ(controller_->state(), VipState::kProbing) << "still asked to lead";
  leadFor(milliseconds(250));
  time_.advance(milliseconds(20));
  EXPECT_TRUE(holds()) << "fresh again: takes it back";
}

TEST_F(VipControllerTest, ResumedAfterFreezeDropsBeforeAnyRenewal) {
  makeController(0);
  leadFor(milliseconds(250));
  controller_->acquire();
  const int adds = addresses_.add_calls;
  // Frozen for 2 s: every timer is overdue at once when the process runs again.
  time_.freezeFor(milliseconds(2000));
  time_.runDue();
  EXPECT_EQ(addresses_.add_calls, adds) << "no renewal may run with an expired lease";
  EXPECT_FALSE(holds());
}

// The kernel call adding the VIP blocks (RTNL held elsewhere) until after the lease deadline
// checked before it: the VIP must not stay, not even until the lease timer runs.
TEST_F(VipControllerTest, AdditionStalledPastTheLeaseIsUndoneAtOnce) {
  makeController(0);
  leadFor(milliseconds(250));
  addresses_.during_add = [this] { time_.freezeFor(milliseconds(300)); };
  controller_->acquire();
  EXPECT_FALSE(holds()) << "removed as soon as the stalled call returned";
  EXPECT_EQ(addresses_.remove_calls, 1);
  EXPECT_EQ(acquired_, 0);
  EXPECT_EQ(controller_->state(), VipState::kProbing) << "still asked to lead";
  EXPECT_EQ(controller_->counters().lease_expired_during_kernel_call, 1u);
  addresses_.during_add = nullptr;
  leadFor(milliseconds(250));
  time_.advance(milliseconds(20));
  EXPECT_TRUE(holds()) << "fresh again: takes it";
}

TEST_F(VipControllerTest, RenewalStalledPastTheLeaseDropsTheVipAtOnce) {
  makeController(0);
  leadFor(milliseconds(250));
  controller_->acquire();
  ASSERT_TRUE(holds());
  // The renewal at +200 ms returns at +300 ms, after the lease ran out at +250 ms.
  addresses_.during_add = [this] { time_.freezeFor(milliseconds(100)); };
  time_.advance(milliseconds(200));
  EXPECT_FALSE(holds()) << "removed as soon as the stalled renewal returned";
  EXPECT_EQ(released_, 1);
  EXPECT_EQ(controller_->counters().lease_expired_during_kernel_call, 1u);
  EXPECT_EQ(controller_->state(), VipState::kProbing);
}

TEST_F(VipControllerTest, PutBackStalledPastTheLeaseDropsTheVipAtOnce) {
  makeController(0);
  leadFor(milliseconds(250));
  controller_->acquire();
  addresses_.during_add = [this] { time_.freezeFor(milliseconds(300)); };
  addresses_.externalRemove(kIfindex, vip_, 32);
  EXPECT_FALSE(holds());
  EXPECT_EQ(released_, 1);
  EXPECT_EQ(controller_->counters().restored_after_removal, 0u);
}

TEST_F(VipControllerTest, PutsBackAnAddressRemovedBySomeoneElse) {
  makeController(0);
  leadFor(std::chrono::hours(1));
  controller_->acquire();
  const auto announced = announcer_.announced.size();
  addresses_.externalRemove(kIfindex, vip_, 32);
  EXPECT_TRUE(holds());
  EXPECT_EQ(controller_->counters().restored_after_removal, 1u);
  EXPECT_GT(announcer_.announced.size(), announced) << "and announces it again";
}

TEST_F(VipControllerTest, ReleaseRemovesAndIsIdempotent) {
  makeController(0);
  leadFor(std::chrono::hours(1));
  controller_->acquire();
  controller_->release();
  EXPECT_FALSE(holds());
  EXPECT_EQ(released_, 1);
  controller_->release();
  EXPECT_EQ(released_, 1);
  EXPECT_EQ(controller_->state(), VipState::kIdle);
  EXPECT_EQ(time_.activeTimers(), 0u);
}

TEST_F(VipControllerTest, ReleaseWhileProbingAddsNothing) {
  makeController();
  leadFor(std::chrono::hours(1));
  controller_->acquire();
  time_.advance(milliseconds(30));
  controller_->release();
  time_.advance(milliseconds(500));
  EXPECT_FALSE(holds());
  EXPECT_EQ(acquired_, 0);
}

TEST_F(VipControllerTest, RemovesLeftoverAtStart) {
  makeController();
  ASSERT_TRUE(addresses_.addOrRenew(kIfindex, vip_, 32, net::AddressLifetime{{}, {}, true}).ok());
  ASSERT_TRUE(controller_->removeLeftover().ok());
  EXPECT_FALSE(holds());
}

TEST_F(VipControllerTest, DestructionReleasesTheVip) {
  makeController(0);
  leadFor(std::chrono::hours(1));
  controller_->acquire();
  controller_.reset();
  EXPECT_FALSE(holds());
}

TEST_F(VipControllerTest, Ipv6UsesHostPrefix) {
  vip_ = *IpAddress::parse("fd00::100");
  makeController(0);
  leadFor(std::chrono::hours(1));
  controller_->acquire();
  ASSERT_TRUE(holds());
  EXPECT_EQ(addresses_.entries.front().prefix_length, 128);
}

// A reload's timings: the renewal period applies from the next renewal; the probe settings wait
// for the next acquisition (a running count never mixes two periods); the lifetime never changes.
TEST_F(VipControllerTest, ReloadedTimingsApplyAtTheirNextUse) {
  makeController();
  leadFor(std::chrono::hours(1));
  controller_->acquire();
  time_.advance(milliseconds(20));
  config::VipTiming reloaded;
  reloaded.renew_interval = milliseconds(100);
  reloaded.valid_lifetime = std::chrono::seconds(5);
  controller_->updateTimings(reloaded, milliseconds(50), 2);
  time_.advance(milliseconds(40));
  ASSERT_TRUE(holds()) << "the running count kept its 20 ms period and its 3 probes";
  EXPECT_EQ(prober_.probes, 3);
  EXPECT_EQ(addresses_.entries.front().lifetime.valid, std::chrono::seconds(1));
  const SteadyTime held_at = controller_->stateSince();
  EXPECT_EQ(held_at, time_.now());
  time_.advance(milliseconds(200));  // the renewal armed before the reload keeps its 200 ms
  const uint64_t renewals = controller_->counters().renewals;
  time_.advance(milliseconds(300));  // then 100 ms apart
  EXPECT_EQ(controller_->counters().renewals - renewals, 3u);
  controller_->release();
  prober_.probes = 0;
  controller_->acquire();
  time_.advance(milliseconds(99));
  EXPECT_FALSE(holds());
  time_.advance(milliseconds(1));
  EXPECT_TRUE(holds()) << "the next acquisition probes twice, 50 ms apart";
  EXPECT_EQ(prober_.probes, 2);
}

}  // namespace
}  // namespace kubevip::vip
