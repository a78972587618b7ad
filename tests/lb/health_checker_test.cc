#include "lb/health_checker.h"

#include <gtest/gtest.h>

#include <map>

namespace kubevip::lb {
namespace {

TEST(HealthStateMachineTest, FallConsecutiveFailuresTakeItDown) {
  HealthStateMachine m(2, 3);
  EXPECT_EQ(m.state(), HealthState::kUp);
  EXPECT_FALSE(m.onProbe(false));
  EXPECT_FALSE(m.onProbe(false));
  EXPECT_FALSE(m.onProbe(true));  // the streak is broken
  EXPECT_FALSE(m.onProbe(false));
  EXPECT_FALSE(m.onProbe(false));
  EXPECT_TRUE(m.onProbe(false));
  EXPECT_EQ(m.state(), HealthState::kDown);
  EXPECT_FALSE(m.onProbe(false));
}

TEST(HealthStateMachineTest, RiseConsecutiveSuccessesBringItBack) {
  HealthStateMachine m(2, 1);
  EXPECT_TRUE(m.onProbe(false));
  EXPECT_FALSE(m.onProbe(true));
  EXPECT_FALSE(m.onProbe(false));
  EXPECT_FALSE(m.onProbe(true));
  EXPECT_TRUE(m.onProbe(true));
  EXPECT_EQ(m.state(), HealthState::kUp);
}

TEST(HealthStateMachineTest, ForceDownNeedsRiseToReturn) {
  HealthStateMachine m(3, 3);
  EXPECT_TRUE(m.forceDown());
  EXPECT_FALSE(m.forceDown());
  EXPECT_FALSE(m.onProbe(true));
  EXPECT_FALSE(m.onProbe(true));
  EXPECT_TRUE(m.onProbe(true));
}

// A prober whose probes complete when the test says so.
class FakeProber final : public Prober {
 public:
  struct Pending {
    std::function<void(bool)> done;
    bool abandoned = false;
  };
  class Handle final : public ProbeHandle {
   public:
    explicit Handle(std::shared_ptr<Pending> p) : p_(std::move(p)) {}
    ~Handle() override { p_->abandoned = true; }

   private:
    std::shared_ptr<Pending> p_;
  };

  std::unique_ptr<ProbeHandle> start(const Endpoint& backend,
                                     std::function<void(bool)> done) override {
    auto p = std::make_shared<Pending>();
    p->done = std::move(done);
    pending[backend.port] = p;
    ++started[backend.port];
    return std::make_unique<Handle>(p);
  }
  bool unansweredIsHealthy() const override { return silence_is_healthy; }
  // Answers the outstanding probe of a backend (by port), if it is still wanted.
  bool answer(uint16_t port, bool ok) {
    auto it = pending.find(port);
    if (it == pending.end() || it->second->abandoned || !it->second->done) return false;
    auto done = std::move(it->second->done);
    it->second->done = nullptr;
    done(ok);
    return true;
  }
  std::map<uint16_t, std::shared_ptr<Pending>> pending;
  std::map<uint16_t, int> started;
  bool silence_is_healthy = false;
};

class HealthCheckerTest : public ::testing::Test {
 protected:
  HealthCheckerTest()
      : pool_({Endpoint{IpAddress::v4({127, 0, 0, 1}), 1},
               Endpoint{IpAddress::v4({127, 0, 0, 1}), 2}},
              config::BalanceAlgorithm::kRoundRobin, true, Duration::zero()) {
    config_.interval = milliseconds(1000);
    config_.timeout = milliseconds(300);
    config_.rise = 2;
    config_.fall = 2;
  }
  config::HealthCheck config_;
  BackendPool pool_;
  ManualTimeSource time_;
  FakeProber prober_;
};

TEST_F(HealthCheckerTest, ProbesEveryIntervalAndTakesDownAfterFall) {
  HealthChecker checker("web", config_, pool_, time_, prober_);
  checker.start();
  EXPECT_EQ(prober_.started[1], 1);
  EXPECT_TRUE(prober_.answer(1, false));
  EXPECT_TRUE(prober_.answer(2, true));
  EXPECT_TRUE(pool_.isUp(0));
  time_.advance(milliseconds(1000));
  EXPECT_EQ(prober_.started[1], 2);
  EXPECT_TRUE(prober_.answer(1, false));
  EXPECT_FALSE(pool_.isUp(0));
  EXPECT_EQ(checker.state(0), HealthState::kDown);
  EXPECT_TRUE(pool_.isUp(1));
}

TEST_F(HealthCheckerTest, UnansweredProbeCountsAsFailedAtTimeout) {
  HealthChecker checker("web", config_, pool_, time_, prober_);
  checker.start();
  time_.advance(milliseconds(299));
  EXPECT_TRUE(pool_.isUp(0));
  time_.advance(milliseconds(1));  // first timeout
  EXPECT_TRUE(prober_.pending[1]->abandoned);
  EXPECT_FALSE(prober_.answer(1, true));  // too late: ignored
  time_.advance(milliseconds(1000));      // second probe times out at 1300
  EXPECT_FALSE(pool_.isUp(0));
  EXPECT_FALSE(pool_.isUp(1));
}

TEST_F(HealthCheckerTest, UnansweredProbeCountsAsGoodWhenTheProberSaysSilenceIsHealthy) {
  prober_.silence_is_healthy = true;  // as the UDP check: only an error proves the backend gone
  pool_.markDown(0, time_.now());
  HealthChecker checker("dns", config_, pool_, time_, prober_);
  checker.start();
  time_.advance(milliseconds(300));  // first timeout: one good probe of two
  EXPECT_TRUE(prober_.pending[1]->abandoned);
  EXPECT_FALSE(pool_.isUp(0));
  time_.advance(milliseconds(1000));  // second timeout
  EXPECT_TRUE(pool_.isUp(0));
  time_.advance(milliseconds(700));       // third probes
  EXPECT_TRUE(prober_.answer(2, false));  // an error still counts as failed
  time_.advance(milliseconds(1000));
  EXPECT_TRUE(prober_.answer(2, false));
  EXPECT_FALSE(pool_.isUp(1));
}

TEST_F(HealthCheckerTest, PassiveFailureNeedsRiseGoodProbesToReturn) {
  HealthChecker checker("web", config_, pool_, time_, prober_);
  checker.start();
  EXPECT_TRUE(prober_.answer(1, true));
  pool_.markDown(0, time_.now());  // the data plane saw a refused connect
  time_.advance(milliseconds(1000));
  EXPECT_EQ(checker.state(0), HealthState::kDown);
  EXPECT_TRUE(prober_.answer(1, true));
  EXPECT_FALSE(pool_.isUp(0));
  time_.advance(milliseconds(1000));
  EXPECT_TRUE(prober_.answer(1, true));
  EXPECT_TRUE(pool_.isUp(0));
}

TEST_F(HealthCheckerTest, DestroyingTheCheckerAbandonsProbesAndTimers) {
  {
    HealthChecker checker("web", config_, pool_, time_, prober_);
    checker.start();
  }
  EXPECT_TRUE(prober_.pending[1]->abandoned);
  EXPECT_EQ(time_.activeTimers(), 0u);
}

}  // namespace
}  // namespace kubevip::lb
