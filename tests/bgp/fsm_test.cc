// The RFC 4271 §8 table and the machine running it, in simulated time.
#include "bgp/fsm.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>

namespace kubevip::bgp {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;
using ::testing::Contains;
using ::testing::Not;

// Always the top (or the bottom) of the asked range: jitter factor 1.0 (or 0.75).
class EdgeRandom final : public RandomSource {
 public:
  explicit EdgeRandom(bool high) : high_(high) {}
  int64_t uniform(int64_t low, int64_t high) override { return high_ ? high : low; }

 private:
  bool high_;
};

class RecordingSink final : public FsmActionSink {
 public:
  void execute(const Action& action) override { actions.push_back(action); }
  void stateChanged(FsmState, FsmState to, FsmEvent) override { states.push_back(to); }

  // The actions since the last call.
  std::vector<Action> take() {
    std::vector<Action> out;
    out.swap(actions);
    return out;
  }

  std::vector<Action> actions;
  std::vector<FsmState> states;
};

Action act(ActionKind kind) { return Action(kind); }
Action startTimer(FsmTimer timer, Duration d) { return Action::startTimer(timer, d); }
Action stopTimer(FsmTimer timer) { return Action::stopTimer(timer); }
Action notification(NotificationError e) { return Action::sendNotification(e); }
bool sendsNotification(const std::vector<Action>& actions) {
  return std::any_of(actions.begin(), actions.end(),
                     [](const Action& a) { return a.kind == ActionKind::kSendNotification; });
}

class FsmTest : public ::testing::Test {
 protected:
  explicit FsmTest(bool high_jitter = true) : random_(high_jitter) {}

  Fsm& fsm(FsmSettings settings = {}) {
    fsm_ = std::make_unique<Fsm>(time_, random_, settings, sink_);
    return *fsm_;
  }

  void open(uint16_t peer_hold) { fsm_->handle(FsmInput(FsmEvent::kBgpOpen, peer_hold)); }

  // ManualStart through the KEEPALIVE that completes the session.
  void establish(uint16_t peer_hold = 90) {
    fsm_->handle(FsmEvent::kManualStart);
    fsm_->handle(FsmEvent::kTcpConnectionConfirmed);
    open(peer_hold);
    fsm_->handle(FsmEvent::kKeepAliveMsg);
    ASSERT_EQ(fsm_->state(), FsmState::kEstablished);
    sink_.take();
  }

  ManualTimeSource time_;
  EdgeRandom random_;
  RecordingSink sink_;
  std::unique_ptr<Fsm> fsm_;
};

TEST_F(FsmTest, ActivePeerConnectsOpensAndReachesEstablished) {
  Fsm& f = fsm();
  f.handle(FsmEvent::kManualStart);
  EXPECT_EQ(f.state(), FsmState::kConnect);
  EXPECT_EQ(sink_.take(), (std::vector<Action>{act(ActionKind::kResetConnectRetryCounter),
                                               startTimer(FsmTimer::kConnectRetry, seconds(1)),
                                               act(ActionKind::kInitiateTcp)}));

  f.handle(FsmEvent::kTcpConnectionConfirmed);
  EXPECT_EQ(f.state(), FsmState::kOpenSent);
  EXPECT_EQ(sink_.take(),
            (std::vector<Action>{stopTimer(FsmTimer::kConnectRetry), act(ActionKind::kSendOpen),
                                 startTimer(FsmTimer::kHold, minutes(4))}));

  open(90);  // ours is 30 s: the session's hold time is the smaller
  EXPECT_EQ(f.state(), FsmState::kOpenConfirm);
  EXPECT_EQ(f.negotiatedHoldTime(), seconds(30));
  EXPECT_EQ(sink_.take(), (std::vector<Action>{act(ActionKind::kSendKeepalive),
                                               startTimer(FsmTimer::kHold, seconds(30)),
                                               startTimer(FsmTimer::kKeepalive, seconds(10))}));

  f.handle(FsmEvent::kKeepAliveMsg);
  EXPECT_EQ(f.state(), FsmState::kEstablished);
  EXPECT_EQ(sink_.take(), (std::vector<Action>{startTimer(FsmTimer::kHold, seconds(30))}));
  EXPECT_EQ(sink_.states, (std::vector<FsmState>{FsmState::kConnect, FsmState::kOpenSent,
                                                 FsmState::kOpenConfirm, FsmState::kEstablished}));
}

TEST_F(FsmTest, EstablishedSendsKeepalivesAndStaysUpWhileThePeerDoes) {
  fsm();
  establish();
  for (int i = 0; i < 10; ++i) {
    time_.advance(seconds(10));
    EXPECT_THAT(sink_.take(), Contains(act(ActionKind::kSendKeepalive)));
    fsm_->handle(FsmEvent::kKeepAliveMsg);  // restarts the hold timer
  }
  EXPECT_EQ(fsm_->state(), FsmState::kEstablished);
  fsm_->handle(FsmEvent::kUpdateMsg);
  EXPECT_EQ(fsm_->state(), FsmState::kEstablished);
}

TEST_F(FsmTest, HoldTimerExpirySendsHoldTimerExpiredGoesIdleAndRetriesAfterBackoff) {
  fsm();
  establish();
  time_.advance(seconds(29));
  sink_.take();
  ASSERT_EQ(fsm_->state(), FsmState::kEstablished);
  time_.advance(seconds(1));  // 30 s without a KEEPALIVE or UPDATE
  EXPECT_EQ(fsm_->state(), FsmState::kIdle);
  auto actions = sink_.take();
  EXPECT_THAT(actions, Contains(notification(kHoldTimerExpired)));
  EXPECT_THAT(actions, Contains(act(ActionKind::kDropTcp)));
  EXPECT_THAT(actions, Contains(startTimer(FsmTimer::kIdleHold, seconds(1))));
  EXPECT_EQ(fsm_->connectRetryCounter(), 1u);

  time_.advance(milliseconds(999));
  EXPECT_EQ(fsm_->state(), FsmState::kIdle);
  time_.advance(milliseconds(1));
  EXPECT_EQ(fsm_->state(), FsmState::kConnect);
  EXPECT_THAT(sink_.take(), Contains(act(ActionKind::kInitiateTcp)));

  // The retry fails too: the next back-off is longer.
  fsm_->handle(FsmEvent::kTcpConnectionFails);
  EXPECT_THAT(sink_.take(), Contains(startTimer(FsmTimer::kIdleHold, seconds(2))));
}

TEST_F(FsmTest, ReceivedNotificationGoesIdleWithoutReplying) {
  fsm();
  establish();
  fsm_->handle(FsmEvent::kNotifMsg);
  EXPECT_EQ(fsm_->state(), FsmState::kIdle);
  auto actions = sink_.take();
  EXPECT_FALSE(sendsNotification(actions));
  EXPECT_THAT(actions, Contains(act(ActionKind::kDropTcp)));

  // The same in OpenSent, and for a version error.
  time_.advance(seconds(1));
  fsm_->handle(FsmEvent::kTcpConnectionConfirmed);
  ASSERT_EQ(fsm_->state(), FsmState::kOpenSent);
  sink_.take();
  fsm_->handle(FsmEvent::kNotifMsgVerErr);
  EXPECT_EQ(fsm_->state(), FsmState::kIdle);
  EXPECT_FALSE(sendsNotification(sink_.take()));
}

TEST_F(FsmTest, OpenErrorSendsItsNotificationAndGoesIdle) {
  Fsm& f = fsm();
  f.handle(FsmEvent::kManualStart);
  f.handle(FsmEvent::kTcpConnectionConfirmed);
  sink_.take();
  const NotificationError bad_peer_as{2, 2};
  f.handle(FsmInput(FsmEvent::kBgpOpenMsgErr, 0, bad_peer_as));
  EXPECT_EQ(f.state(), FsmState::kIdle);
  auto actions = sink_.take();
  EXPECT_THAT(actions, Contains(notification(bad_peer_as)));
  EXPECT_THAT(actions, Contains(act(ActionKind::kDropTcp)));
}

TEST_F(FsmTest, HoldTimeOfOneOrTwoSecondsIsRefused) {
  Fsm& f = fsm();
  f.handle(FsmEvent::kManualStart);
  f.handle(FsmEvent::kTcpConnectionConfirmed);
  sink_.take();
  open(2);
  EXPECT_EQ(f.state(), FsmState::kIdle);
  EXPECT_THAT(sink_.take(), Contains(notification(kUnacceptableHoldTime)));
}

TEST_F(FsmTest, HeaderErrorSendsItsNotification) {
  fsm();
  establish();
  const NotificationError bad_length{1, 2};
  fsm_->handle(FsmInput(FsmEvent::kBgpHeaderErr, 0, bad_length));
  EXPECT_EQ(fsm_->state(), FsmState::kIdle);
  EXPECT_THAT(sink_.take(), Contains(notification(bad_length)));
}

TEST_F(FsmTest, UpdateErrorInEstablishedSendsItsNotification) {
  fsm();
  establish();
  const NotificationError malformed_attributes{3, 1};
  fsm_->handle(FsmInput(FsmEvent::kUpdateMsgErr, 0, malformed_attributes));
  EXPECT_EQ(fsm_->state(), FsmState::kIdle);
  EXPECT_THAT(sink_.take(), Contains(notification(malformed_attributes)));
}

TEST_F(FsmTest, UnexpectedMessagesGetTheFsmErrorOfTheirState) {
  Fsm& f = fsm();
  f.handle(FsmEvent::kManualStart);
  f.handle(FsmEvent::kTcpConnectionConfirmed);
  sink_.take();
  f.handle(FsmEvent::kUpdateMsg);  // before the peer's OPEN
  EXPECT_THAT(sink_.take(), Contains(notification(kUnexpectedInOpenSent)));
  EXPECT_EQ(f.state(), FsmState::kIdle);

  time_.advance(seconds(1));
  f.handle(FsmEvent::kTcpConnectionConfirmed);
  open(90);
  sink_.take();
  f.handle(FsmEvent::kUpdateMsg);  // before the peer's KEEPALIVE
  EXPECT_THAT(sink_.take(), Contains(notification(kUnexpectedInOpenConfirm)));

  time_.advance(seconds(2));
  f.handle(FsmEvent::kTcpConnectionConfirmed);
  open(90);
  f.handle(FsmEvent::kKeepAliveMsg);
  sink_.take();
  open(90);  // a second OPEN on an established session
  EXPECT_THAT(sink_.take(), Contains(notification(kUnexpectedInEstablished)));
  EXPECT_EQ(f.state(), FsmState::kIdle);
}

TEST_F(FsmTest, PassivePeerWaitsInActiveAndAnswersTheRouter) {
  Fsm& f = fsm();
  f.handle(FsmEvent::kAutomaticStartPassive);
  EXPECT_EQ(f.state(), FsmState::kActive);
  EXPECT_EQ(sink_.take(), (std::vector<Action>{act(ActionKind::kListenTcp)}));
  time_.advance(std::chrono::hours(1));
  EXPECT_EQ(f.state(), FsmState::kActive);
  EXPECT_TRUE(sink_.take().empty());  // no timer, no connect: the router connects to us

  f.handle(FsmEvent::kTcpConnectionConfirmed);
  EXPECT_EQ(f.state(), FsmState::kOpenSent);
  EXPECT_THAT(sink_.take(), Contains(act(ActionKind::kSendOpen)));

  // After an error the restart is passive too.
  f.handle(FsmEvent::kTcpConnectionFails);
  time_.advance(seconds(1));
  EXPECT_EQ(f.state(), FsmState::kActive);
  auto actions = sink_.take();
  EXPECT_THAT(actions, Contains(act(ActionKind::kListenTcp)));
  EXPECT_THAT(actions, Not(Contains(act(ActionKind::kInitiateTcp))));
}

TEST_F(FsmTest, ManualStopFromEstablishedSendsAdministrativeShutdownAndStaysIdle) {
  fsm();
  establish();
  fsm_->handle(FsmEvent::kManualStop);
  EXPECT_EQ(fsm_->state(), FsmState::kIdle);
  auto actions = sink_.take();
  EXPECT_THAT(actions, Contains(notification(NotificationError{6, 2})));
  EXPECT_THAT(actions, Contains(act(ActionKind::kDropTcp)));
  EXPECT_EQ(fsm_->connectRetryCounter(), 0u);
  EXPECT_EQ(time_.activeTimers(), 0u);
  time_.advance(std::chrono::hours(1));
  EXPECT_EQ(fsm_->state(), FsmState::kIdle);
}

TEST_F(FsmTest, ManualStopCancelsAPendingRestart) {
  Fsm& f = fsm();
  f.handle(FsmEvent::kManualStart);
  f.handle(FsmEvent::kTcpConnectionFails);
  ASSERT_EQ(time_.activeTimers(), 1u);  // the back-off
  f.handle(FsmEvent::kManualStop);
  EXPECT_EQ(time_.activeTimers(), 0u);
  time_.advance(minutes(5));
  EXPECT_EQ(f.state(), FsmState::kIdle);
}

// The delays before each restart of a peer that keeps refusing: doubling from 1 s, never above
// 60 s, never below 0.75 s whatever the jitter draws.
std::vector<Duration> refusedRestartDelays(bool high_jitter, int failures) {
  ManualTimeSource time;
  EdgeRandom random(high_jitter);
  RecordingSink sink;
  Fsm f(time, random, FsmSettings{}, sink);
  f.handle(FsmEvent::kManualStart);
  std::vector<Duration> delays;
  for (int i = 0; i < failures; ++i) {
    sink.take();
    f.handle(FsmEvent::kTcpConnectionFails);
    for (const Action& a : sink.take()) {
      if (a.kind == ActionKind::kStartTimer && a.timer == FsmTimer::kIdleHold) {
        delays.push_back(a.duration);
      }
    }
    if (delays.empty()) return delays;  // the comparison by the caller fails
    time.advance(delays.back());        // the restart; its connect attempt fails at once
    EXPECT_EQ(f.state(), FsmState::kConnect);
  }
  return delays;
}

TEST(FsmBackoff, DoublesFromOneSecondUpToSixty) {
  std::vector<Duration> expected;
  for (int s : {1, 2, 4, 8, 16, 32, 60, 60, 60, 60}) expected.push_back(seconds(s));
  EXPECT_EQ(refusedRestartDelays(true, 10), expected);
}

TEST(FsmBackoff, JitterStaysWithinThreeQuartersAndTheCap) {
  for (bool high : {false, true}) {
    for (Duration d : refusedRestartDelays(high, 40)) {
      EXPECT_GE(d, milliseconds(750));
      EXPECT_LE(d, kMaxRetryDelay);
    }
  }
  EdgeRandom low(false);
  EXPECT_EQ(retryDelay(0, low), milliseconds(750));
  EXPECT_EQ(retryDelay(1000000, low), seconds(45));
}

TEST_F(FsmTest, ConnectThatNeverCompletesIsRetriedWithBackoff) {
  Fsm& f = fsm();
  f.handle(FsmEvent::kManualStart);
  sink_.take();
  time_.advance(seconds(1));
  EXPECT_EQ(f.state(), FsmState::kConnect);
  EXPECT_EQ(sink_.take(),
            (std::vector<Action>{
                act(ActionKind::kDropTcp), act(ActionKind::kIncrementConnectRetryCounter),
                startTimer(FsmTimer::kConnectRetry, seconds(1)), act(ActionKind::kInitiateTcp)}));
  time_.advance(seconds(1));
  EXPECT_THAT(sink_.take(), Contains(startTimer(FsmTimer::kConnectRetry, seconds(2))));
}

TEST_F(FsmTest, SessionThatStayedUpRestartsTheBackoff) {
  Fsm& f = fsm();
  f.handle(FsmEvent::kManualStart);
  for (uint32_t failures = 1; failures <= 5; ++failures) {
    f.handle(FsmEvent::kTcpConnectionFails);
    time_.advance(retryDelay(failures, random_));
  }
  ASSERT_EQ(f.connectRetryCounter(), 5u);
  f.handle(FsmEvent::kTcpConnectionConfirmed);
  open(0);  // no hold timer: the session lasts until something ends it
  f.handle(FsmEvent::kKeepAliveMsg);
  time_.advance(minutes(10));
  sink_.take();
  f.handle(FsmEvent::kTcpConnectionFails);
  EXPECT_EQ(f.connectRetryCounter(), 1u);
  EXPECT_THAT(sink_.take(), Contains(startTimer(FsmTimer::kIdleHold, seconds(1))));
}

TEST_F(FsmTest, HoldTimeZeroMeansNoKeepalivesAndNoHoldTimer) {
  fsm();
  fsm_->handle(FsmEvent::kManualStart);
  fsm_->handle(FsmEvent::kTcpConnectionConfirmed);
  open(0);
  fsm_->handle(FsmEvent::kKeepAliveMsg);
  ASSERT_EQ(fsm_->state(), FsmState::kEstablished);
  EXPECT_EQ(fsm_->negotiatedHoldTime(), seconds(0));
  EXPECT_EQ(time_.activeTimers(), 0u);  // the large OPEN hold timer is stopped too
  sink_.take();
  time_.advance(std::chrono::hours(24));
  EXPECT_EQ(fsm_->state(), FsmState::kEstablished);
  EXPECT_TRUE(sink_.take().empty());
}

TEST_F(FsmTest, KeepaliveIsNeverMoreThanAThirdOfTheHoldTime) {
  fsm(FsmSettings{seconds(30), seconds(60)});
  establish(9);  // the peer asks for 9 s: keepalives every 3 s, not 60 s
  EXPECT_EQ(fsm_->keepaliveInterval(), seconds(3));
  time_.advance(seconds(3));
  EXPECT_THAT(sink_.take(), Contains(act(ActionKind::kSendKeepalive)));

  fsm(FsmSettings{seconds(90), seconds(5)});
  establish(180);  // negotiated 90 s; the configured 5 s is shorter than 30 s and is used
  EXPECT_EQ(fsm_->keepaliveInterval(), seconds(5));
}

TEST_F(FsmTest, IdleRefusesConnectionsAndIgnoresMessages) {
  Fsm& f = fsm();
  f.handle(FsmEvent::kTcpConnectionConfirmed);
  EXPECT_EQ(sink_.take(), (std::vector<Action>{act(ActionKind::kDropTcp)}));
  for (FsmEvent e : {FsmEvent::kBgpOpen, FsmEvent::kKeepAliveMsg, FsmEvent::kUpdateMsg,
                     FsmEvent::kNotifMsg, FsmEvent::kHoldTimerExpires}) {
    f.handle(e);
    EXPECT_EQ(f.state(), FsmState::kIdle) << fsmEventName(e);
  }
  EXPECT_TRUE(sink_.take().empty());
}

// Properties of every cell, checked over the whole table (the cells not exercised one by one
// above are argued in fsm.cc and held to these rules here).
TEST(FsmTable, EveryCellFollowsTheRules) {
  auto has = [](const FsmCell& c, FsmStep s) {
    return std::find(c.steps.begin(), c.steps.end(), s) != c.steps.end();
  };
  for (std::size_t si = 0; si < kFsmStateCount; ++si) {
    for (std::size_t ei = 0; ei < kFsmEventCount; ++ei) {
      const auto state = static_cast<FsmState>(si);
      const auto event = static_cast<FsmEvent>(ei);
      const FsmCell& cell = fsmCell(state, event);
      const std::string where = std::string(fsmStateName(state)) + " x " + fsmEventName(event);
      if (state != FsmState::kIdle && cell.next == FsmState::kIdle) {
        // Leaving a session closes the connection and stops every timer.
        EXPECT_TRUE(has(cell, FsmStep::kDropTcp)) << where;
        EXPECT_TRUE(has(cell, FsmStep::kStopAllTimers)) << where;
        // Only a ManualStop stays down; everything else restarts after the back-off.
        EXPECT_EQ(has(cell, FsmStep::kStartIdleHoldTimer), event != FsmEvent::kManualStop) << where;
        // Once our OPEN is out, the peer is told why, unless it closed first.
        const bool peer_closed = event == FsmEvent::kNotifMsg ||
                                 event == FsmEvent::kNotifMsgVerErr ||
                                 event == FsmEvent::kTcpConnectionFails;
        const bool open_sent = state == FsmState::kOpenSent || state == FsmState::kOpenConfirm ||
                               state == FsmState::kEstablished;
        const bool notifies = has(cell, FsmStep::kSendCease) || has(cell, FsmStep::kSendFsmError) ||
                              has(cell, FsmStep::kSendHoldTimerExpired) ||
                              has(cell, FsmStep::kSendEventError);
        EXPECT_EQ(notifies, open_sent && !peer_closed) << where;
      }
      // The FSM error subcodes exist only for the states after OPEN (RFC 6608).
      if (has(cell, FsmStep::kSendFsmError)) {
        EXPECT_TRUE(state == FsmState::kOpenSent || state == FsmState::kOpenConfirm ||
                    state == FsmState::kEstablished)
            << where;
      }
      // Start events never disturb a running session.
      if (state != FsmState::kIdle &&
          (event == FsmEvent::kManualStart || event == FsmEvent::kAutomaticStart ||
           event == FsmEvent::kAutomaticStartPassive)) {
        EXPECT_TRUE(cell.steps.empty()) << where;
        EXPECT_EQ(cell.next, state) << where;
      }
      // Established is entered only by the peer's KEEPALIVE in OpenConfirm (§8.2.2).
      if (cell.next == FsmState::kEstablished && state != FsmState::kEstablished) {
        EXPECT_EQ(state, FsmState::kOpenConfirm) << where;
        EXPECT_EQ(event, FsmEvent::kKeepAliveMsg) << where;
      }
    }
  }
}

// Every cell run through the machine from a state reached the way a session reaches it: the
// machine ends where the table says, sends a NOTIFICATION exactly when the cell says so, and
// leaves behind only the timers the next state needs.
TEST(FsmTable, EveryCellRunsAsWritten) {
  const auto reach = [](Fsm& f, FsmState state) {
    switch (state) {
      case FsmState::kIdle:
        return;
      case FsmState::kActive:
        f.handle(FsmEvent::kAutomaticStartPassive);
        return;
      case FsmState::kEstablished:
      case FsmState::kOpenConfirm:
      case FsmState::kOpenSent:
      case FsmState::kConnect:
        f.handle(FsmEvent::kManualStart);
        if (state == FsmState::kConnect) return;
        f.handle(FsmEvent::kTcpConnectionConfirmed);
        if (state == FsmState::kOpenSent) return;
        f.handle(FsmInput(FsmEvent::kBgpOpen, 90));
        if (state == FsmState::kOpenConfirm) return;
        f.handle(FsmEvent::kKeepAliveMsg);
        return;
    }
  };
  for (std::size_t si = 0; si < kFsmStateCount; ++si) {
    for (std::size_t ei = 0; ei < kFsmEventCount; ++ei) {
      const auto state = static_cast<FsmState>(si);
      const auto event = static_cast<FsmEvent>(ei);
      const std::string where = std::string(fsmStateName(state)) + " x " + fsmEventName(event);
      ManualTimeSource time;
      EdgeRandom random(true);
      RecordingSink sink;
      Fsm f(time, random, FsmSettings{}, sink);
      reach(f, state);
      ASSERT_EQ(f.state(), state) << where;
      sink.take();
      f.handle(FsmInput(event, 90, NotificationError{3, 1}));
      const FsmCell& cell = fsmCell(state, event);
      EXPECT_EQ(f.state(), cell.next) << where;
      const auto actions = sink.take();
      const bool cell_sends = std::any_of(cell.steps.begin(), cell.steps.end(), [](FsmStep s) {
        return s == FsmStep::kSendCease || s == FsmStep::kSendFsmError ||
               s == FsmStep::kSendHoldTimerExpired || s == FsmStep::kSendEventError;
      });
      EXPECT_EQ(sendsNotification(actions), cell_sends) << where;
      if (cell.steps.empty()) {
        EXPECT_TRUE(actions.empty()) << where;
      }
      if (cell.next == FsmState::kIdle && state != FsmState::kIdle) {
        // Only the back-off is left running, and not even that after a ManualStop.
        EXPECT_EQ(time.activeTimers(), event == FsmEvent::kManualStop ? 0u : 1u) << where;
      }
      if (cell.next == FsmState::kEstablished) {
        EXPECT_EQ(time.activeTimers(), 2u) << where;  // hold and keepalive
      }
    }
  }
}

}  // namespace
}  // namespace kubevip::bgp
