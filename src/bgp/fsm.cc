// The RFC 4271 §8.2.2 table and the machine that runs it; the overview is in fsm.h.
#include "bgp/fsm.h"

#include <algorithm>
#include <cassert>

namespace kubevip::bgp {
namespace {

using S = FsmStep;
using St = FsmState;

// Steps shared by many cells.
//
// A session ends on an error: everything stops, and the session restarts after the back-off
// (the IdleHoldTimer of §8.1.1 with DampPeerOscillations: RFC 4271 leaves the restart policy to
// the implementation; without one a speaker whose peer went away would never come back).
#define END_ON_ERROR                                                                      \
  S::kStopAllTimers, S::kReleaseResources, S::kDropTcp, S::kIncrementConnectRetryCounter, \
      S::kStartIdleHoldTimer
// ManualStop: §8.2.2 in every state but Idle: Cease (RFC 4486 §4: subcode 2, administrative
// shutdown), drop the connection, ConnectRetryCounter to zero; no restart.
#define STOP_WITH_CEASE \
  S::kSendCease, S::kStopAllTimers, S::kReleaseResources, S::kDropTcp, S::kResetConnectRetryCounter
// ManualStop before any OPEN was sent: nothing to tell the peer.
#define STOP_SILENTLY \
  S::kStopAllTimers, S::kReleaseResources, S::kDropTcp, S::kResetConnectRetryCounter

// Columns, in FsmEvent order:
//   ManualStart, ManualStop, AutomaticStart, AutomaticStartPassive, ConnectRetryTimer_Expires,
//   HoldTimer_Expires, KeepaliveTimer_Expires, TcpConnectionConfirmed, TcpConnectionFails, BGPOpen,
//   BGPHeaderErr, BGPOpenMsgErr, NotifMsgVerErr, NotifMsg, KeepAliveMsg, UpdateMsg, UpdateMsgErr
// clang-format off
const FsmCell kTable[kFsmStateCount][kFsmEventCount] = {
  // ---- Idle (§8.2.2 "Idle state") ----
  {
    // ManualStart: counter to zero, ConnectRetryTimer, connect. A pending restart is replaced.
    {{S::kStopAllTimers, S::kResetConnectRetryCounter, S::kStartConnectRetryTimer, S::kInitiateTcp},
     St::kConnect},
    // ManualStop: the RFC ignores it in Idle; here it also cancels a pending restart, or the
    // session would come back after an operator stopped it.
    {{S::kStopAllTimers, S::kResetConnectRetryCounter}, St::kIdle},
    // AutomaticStart (the back-off is over): as ManualStart, but the counter keeps counting
    // failures, so that the next back-off is longer (see retryDelay).
    {{S::kStartConnectRetryTimer, S::kInitiateTcp}, St::kConnect},
    // AutomaticStartPassive: listen. No ConnectRetryTimer: a passive peer waits for the router
    // without limit (§8.2.1.2 PassiveTcpEstablishment) instead of connecting after it.
    {{S::kStopAllTimers, S::kListenTcp}, St::kActive},
    {{}, St::kIdle},  // ConnectRetryTimer_Expires: not running in Idle
    {{}, St::kIdle},  // HoldTimer_Expires: not running in Idle
    {{}, St::kIdle},  // KeepaliveTimer_Expires: not running in Idle
    // TcpConnectionConfirmed: "refuses all incoming BGP connections for this peer".
    {{S::kDropTcp}, St::kIdle},
    {{}, St::kIdle},  // TcpConnectionFails: no connection
    {{}, St::kIdle},  // BGPOpen .. UpdateMsgErr: no connection, so no message (§8.2.2: "does not
    {{}, St::kIdle},  //   cause change in the state")
    {{}, St::kIdle},
    {{}, St::kIdle},
    {{}, St::kIdle},
    {{}, St::kIdle},
    {{}, St::kIdle},
    {{}, St::kIdle},
  },
  // ---- Connect: our TCP connect is in progress (§8.2.2 "Connect State") ----
  {
    {{}, St::kConnect},  // ManualStart: ignored (events 1, 3-7)
    {{STOP_SILENTLY}, St::kIdle},
    {{}, St::kConnect},  // AutomaticStart: ignored
    {{}, St::kConnect},  // AutomaticStartPassive: ignored
    // ConnectRetryTimer_Expires: drop the attempt, connect again. Unlike the RFC the counter is
    // incremented, so that a router that never answers sees the back-off too.
    {{S::kDropTcp, S::kIncrementConnectRetryCounter, S::kStartConnectRetryTimer, S::kInitiateTcp},
     St::kConnect},
    {{END_ON_ERROR}, St::kIdle},  // HoldTimer_Expires: not running here ("any other event")
    {{END_ON_ERROR}, St::kIdle},  // KeepaliveTimer_Expires: not running here ("any other event")
    // Tcp_CR_Acked / TcpConnectionConfirmed (no DelayOpen): send OPEN, wait with a large hold time.
    {{S::kStopConnectRetryTimer, S::kSendOpen, S::kStartLargeHoldTimer}, St::kOpenSent},
    // TcpConnectionFails (no DelayOpen): to Idle; the back-off restarts us.
    {{END_ON_ERROR}, St::kIdle},
    {{END_ON_ERROR}, St::kIdle},  // BGPOpen: only with DelayOpen, so "any other event"
    {{END_ON_ERROR}, St::kIdle},  // BGPHeaderErr: "any other event" (no OPEN sent yet)
    {{END_ON_ERROR}, St::kIdle},  // BGPOpenMsgErr: "any other event"
    {{END_ON_ERROR}, St::kIdle},  // NotifMsgVerErr: only with DelayOpen, so "any other event"
    {{END_ON_ERROR}, St::kIdle},  // NotifMsg .. UpdateMsgErr: "any other event"
    {{END_ON_ERROR}, St::kIdle},
    {{END_ON_ERROR}, St::kIdle},
    {{END_ON_ERROR}, St::kIdle},
  },
  // ---- Active: waiting for the peer to connect (§8.2.2 "Active State") ----
  {
    {{}, St::kActive},  // ManualStart: ignored
    {{STOP_SILENTLY}, St::kIdle},
    {{}, St::kActive},  // AutomaticStart: ignored
    {{}, St::kActive},  // AutomaticStartPassive: ignored
    // ConnectRetryTimer_Expires: as the RFC (connect). Not reached: Active starts no
    // ConnectRetryTimer here (see Idle, AutomaticStartPassive).
    {{S::kStartConnectRetryTimer, S::kInitiateTcp}, St::kConnect},
    {{END_ON_ERROR}, St::kIdle},  // HoldTimer_Expires: "any other event"
    {{END_ON_ERROR}, St::kIdle},  // KeepaliveTimer_Expires: "any other event"
    // TcpConnectionConfirmed: the peer connected; send OPEN, wait with a large hold time.
    {{S::kStopConnectRetryTimer, S::kSendOpen, S::kStartLargeHoldTimer}, St::kOpenSent},
    {{END_ON_ERROR}, St::kIdle},  // TcpConnectionFails
    {{END_ON_ERROR}, St::kIdle},  // BGPOpen: only with DelayOpen, so "any other event"
    {{END_ON_ERROR}, St::kIdle},  // BGPHeaderErr .. UpdateMsgErr: "any other event"
    {{END_ON_ERROR}, St::kIdle},
    {{END_ON_ERROR}, St::kIdle},
    {{END_ON_ERROR}, St::kIdle},
    {{END_ON_ERROR}, St::kIdle},
    {{END_ON_ERROR}, St::kIdle},
    {{END_ON_ERROR}, St::kIdle},
  },
  // ---- OpenSent: our OPEN is out, waiting for the peer's (§8.2.2 "OpenSent") ----
  {
    {{}, St::kOpenSent},  // ManualStart: ignored
    {{STOP_WITH_CEASE}, St::kIdle},
    {{}, St::kOpenSent},  // AutomaticStart: ignored
    {{}, St::kOpenSent},  // AutomaticStartPassive: ignored
    {{S::kSendFsmError, END_ON_ERROR}, St::kIdle},  // ConnectRetryTimer_Expires: not running
    {{S::kSendHoldTimerExpired, END_ON_ERROR}, St::kIdle},
    {{S::kSendFsmError, END_ON_ERROR}, St::kIdle},  // KeepaliveTimer_Expires: not running
    // TcpConnectionConfirmed: a second connection, which belongs to collision detection (§6.8),
    // left out: the driver refuses it; this session goes on.
    {{}, St::kOpenSent},
    // TcpConnectionFails: the RFC goes to Active and retries after the ConnectRetryTimer; here
    // every failure goes through Idle and the one back-off.
    {{END_ON_ERROR}, St::kIdle},
    // BGPOpen: negotiate the hold time (§4.2: the smaller of the two), KEEPALIVE, both timers.
    {{S::kStopConnectRetryTimer, S::kNegotiateHoldTime, S::kSendKeepalive,
      S::kStartNegotiatedTimers},
     St::kOpenConfirm},
    {{S::kSendEventError, END_ON_ERROR}, St::kIdle},  // BGPHeaderErr
    {{S::kSendEventError, END_ON_ERROR}, St::kIdle},  // BGPOpenMsgErr
    {{END_ON_ERROR}, St::kIdle},                      // NotifMsgVerErr
    {{END_ON_ERROR}, St::kIdle},  // NotifMsg: no reply; its sender has closed (§4.5)
    {{S::kSendFsmError, END_ON_ERROR}, St::kIdle},  // KeepAliveMsg: before OPEN (RFC 6608 5/1)
    {{S::kSendFsmError, END_ON_ERROR}, St::kIdle},  // UpdateMsg: before OPEN
    {{S::kSendFsmError, END_ON_ERROR}, St::kIdle},  // UpdateMsgErr: before OPEN
  },
  // ---- OpenConfirm: OPENs exchanged, waiting for the peer's KEEPALIVE (§8.2.2 "OpenConfirm") ----
  {
    {{}, St::kOpenConfirm},  // ManualStart: ignored
    {{STOP_WITH_CEASE}, St::kIdle},
    {{}, St::kOpenConfirm},  // AutomaticStart: ignored
    {{}, St::kOpenConfirm},  // AutomaticStartPassive: ignored
    {{S::kSendFsmError, END_ON_ERROR}, St::kIdle},  // ConnectRetryTimer_Expires: not running
    {{S::kSendHoldTimerExpired, END_ON_ERROR}, St::kIdle},
    {{S::kSendKeepalive, S::kRestartKeepaliveTimer}, St::kOpenConfirm},
    {{}, St::kOpenConfirm},  // TcpConnectionConfirmed: second connection, refused by the driver
    {{END_ON_ERROR}, St::kIdle},  // TcpConnectionFails
    // BGPOpen: a second OPEN on this connection; without collision detection it is unexpected.
    {{S::kSendFsmError, END_ON_ERROR}, St::kIdle},
    {{S::kSendEventError, END_ON_ERROR}, St::kIdle},  // BGPHeaderErr
    {{S::kSendEventError, END_ON_ERROR}, St::kIdle},  // BGPOpenMsgErr
    {{END_ON_ERROR}, St::kIdle},                      // NotifMsgVerErr
    {{END_ON_ERROR}, St::kIdle},                      // NotifMsg: no reply (§4.5)
    {{S::kRestartHoldTimer}, St::kEstablished},       // KeepAliveMsg: the session is up
    {{S::kSendFsmError, END_ON_ERROR}, St::kIdle},    // UpdateMsg: before KEEPALIVE (5/2)
    {{S::kSendFsmError, END_ON_ERROR}, St::kIdle},    // UpdateMsgErr: before KEEPALIVE
  },
  // ---- Established (§8.2.2 "Established State") ----
  {
    {{}, St::kEstablished},  // ManualStart: ignored
    {{STOP_WITH_CEASE}, St::kIdle},
    {{}, St::kEstablished},  // AutomaticStart: ignored
    {{}, St::kEstablished},  // AutomaticStartPassive: ignored
    {{S::kSendFsmError, END_ON_ERROR}, St::kIdle},  // ConnectRetryTimer_Expires: not running
    {{S::kSendHoldTimerExpired, END_ON_ERROR}, St::kIdle},
    {{S::kSendKeepalive, S::kRestartKeepaliveTimer}, St::kEstablished},
    {{}, St::kEstablished},  // TcpConnectionConfirmed: second connection, refused by the driver
    {{END_ON_ERROR}, St::kIdle},  // TcpConnectionFails
    {{S::kSendFsmError, END_ON_ERROR}, St::kIdle},  // BGPOpen: unexpected (5/3)
    // BGPHeaderErr: the RFC's table lists it under "any other event" (FSM error); §6.1's Message
    // Header Error tells the peer more, so that is what is sent.
    {{S::kSendEventError, END_ON_ERROR}, St::kIdle},
    {{S::kSendFsmError, END_ON_ERROR}, St::kIdle},  // BGPOpenMsgErr: an OPEN is unexpected (5/3)
    {{END_ON_ERROR}, St::kIdle},                    // NotifMsgVerErr
    {{END_ON_ERROR}, St::kIdle},                    // NotifMsg: no reply (§4.5)
    {{S::kRestartHoldTimer}, St::kEstablished},     // KeepAliveMsg
    // UpdateMsg: restarts the hold timer; its routes are ignored (this speaker only originates).
    {{S::kRestartHoldTimer}, St::kEstablished},
    {{S::kSendEventError, END_ON_ERROR}, St::kIdle},  // UpdateMsgErr (§6.3)
  },
};
// clang-format on

#undef END_ON_ERROR
#undef STOP_WITH_CEASE
#undef STOP_SILENTLY

// RFC 4271 §10: jittered timers are multiplied by a factor uniform in [0.75, 1.0].
Duration jitter(Duration base, RandomSource& random) {
  return base * random.uniform(750, 1000) / 1000;
}

}  // namespace

Action Action::startTimer(FsmTimer timer, Duration duration) {
  Action a(ActionKind::kStartTimer);
  a.timer = timer;
  a.duration = duration;
  return a;
}

Action Action::stopTimer(FsmTimer timer) {
  Action a(ActionKind::kStopTimer);
  a.timer = timer;
  return a;
}

Action Action::sendNotification(NotificationError error) {
  Action a(ActionKind::kSendNotification);
  a.notification = error;
  return a;
}

const char* fsmStateName(FsmState state) {
  static const char* kNames[] = {"Idle",     "Connect",     "Active",
                                 "OpenSent", "OpenConfirm", "Established"};
  return kNames[static_cast<std::size_t>(state)];
}

const char* fsmEventName(FsmEvent event) {
  static const char* kNames[] = {"ManualStart",
                                 "ManualStop",
                                 "AutomaticStart",
                                 "AutomaticStartPassive",
                                 "ConnectRetryTimer_Expires",
                                 "HoldTimer_Expires",
                                 "KeepaliveTimer_Expires",
                                 "TcpConnectionConfirmed",
                                 "TcpConnectionFails",
                                 "BGPOpen",
                                 "BGPHeaderErr",
                                 "BGPOpenMsgErr",
                                 "NotifMsgVerErr",
                                 "NotifMsg",
                                 "KeepAliveMsg",
                                 "UpdateMsg",
                                 "UpdateMsgErr"};
  static_assert(sizeof(kNames) / sizeof(kNames[0]) == kFsmEventCount);
  return kNames[static_cast<std::size_t>(event)];
}

const char* fsmTimerName(FsmTimer timer) {
  static const char* kNames[] = {"ConnectRetryTimer", "HoldTimer", "KeepaliveTimer",
                                 "IdleHoldTimer"};
  return kNames[static_cast<std::size_t>(timer)];
}

const FsmCell& fsmCell(FsmState state, FsmEvent event) {
  return kTable[static_cast<std::size_t>(state)][static_cast<std::size_t>(event)];
}

// The back-off. RFC 4271 suggests 120 s for ConnectRetryTime, which would leave a VIP
// unannounced for two minutes after a router restart; the daemon's promise is about a second.
// So the first retry comes after 1 s, and each further consecutive failure doubles the delay up
// to 60 s: a router that is down or refuses us is asked at most once a minute in the long run (and
// at most ~7 times in its first two minutes), while one that comes back is found within a minute
// at worst. The factor in [0.75, 1.0] is the jitter of §10, so that the nodes of a cluster that
// all lost the same router do not reconnect in lock-step. `failures` 0 and 1 both give 1 s (the
// first attempt and the first retry).
Duration retryDelay(uint32_t failures, RandomSource& random) {
  const uint32_t doublings = std::min<uint32_t>(failures > 0 ? failures - 1 : 0, 6);
  const Duration base = std::min<Duration>(kFirstRetryDelay * (1 << doublings), kMaxRetryDelay);
  return jitter(base, random);
}

Fsm::Fsm(TimeSource& time, RandomSource& random, FsmSettings settings, FsmActionSink& sink)
    : time_(time), random_(random), settings_(settings), sink_(sink) {
  for (auto& timer : timers_) timer = time_.createTimer();
}

std::chrono::seconds Fsm::keepaliveInterval() const {
  // §4.4: "A reasonable maximum time between KEEPALIVE messages would be one third of the Hold
  // Time interval"; the configured interval may only be shorter.
  const std::chrono::seconds third = negotiated_hold_ / 3;
  if (settings_.keepalive_interval.count() <= 0) return third;
  return std::min(settings_.keepalive_interval, third);
}

void Fsm::handle(const FsmInput& input) {
  pending_.push_back(input);
  if (running_cell_) return;
  running_cell_ = true;
  while (!pending_.empty()) {
    FsmInput next = pending_.front();
    pending_.pop_front();
    runCell(next);
  }
  running_cell_ = false;
}

void Fsm::runCell(FsmInput input) {
  // §6.2: a Hold Time of one or two seconds must be rejected (Unacceptable Hold Time).
  if (input.event == FsmEvent::kBgpOpen &&
      (input.peer_hold_time == 1 || input.peer_hold_time == 2)) {
    input = FsmInput(FsmEvent::kBgpOpenMsgErr, 0, kUnacceptableHoldTime);
  }
  const FsmCell& cell = fsmCell(state_, input.event);
  for (FsmStep step : cell.steps) run(step, input);
  if (cell.next != state_) {
    const FsmState from = state_;
    state_ = cell.next;
    if (state_ == FsmState::kEstablished) established_since_ = time_.now();
    sink_.stateChanged(from, state_, input.event);
  }
}

void Fsm::startTimer(FsmTimer timer, Duration delay) {
  FsmEvent expiry = FsmEvent::kConnectRetryTimerExpires;
  switch (timer) {
    case FsmTimer::kConnectRetry:
      expiry = FsmEvent::kConnectRetryTimerExpires;
      break;
    case FsmTimer::kHold:
      expiry = FsmEvent::kHoldTimerExpires;
      break;
    case FsmTimer::kKeepalive:
      expiry = FsmEvent::kKeepaliveTimerExpires;
      break;
    case FsmTimer::kIdleHold:
      // The back-off is over: start again the way the session was started.
      expiry = passive_ ? FsmEvent::kAutomaticStartPassive : FsmEvent::kAutomaticStart;
      break;
  }
  timers_[static_cast<std::size_t>(timer)]->start(delay, [this, expiry] { handle(expiry); });
  emit(Action::startTimer(timer, delay));
}

void Fsm::stopTimer(FsmTimer timer) {
  Timer& t = *timers_[static_cast<std::size_t>(timer)];
  if (!t.active()) return;
  t.stop();
  emit(Action::stopTimer(timer));
}

void Fsm::run(FsmStep step, const FsmInput& input) {
  const bool hold_negotiated = negotiated_hold_.count() > 0;
  switch (step) {
    case S::kInitiateTcp:
      passive_ = false;
      emit(Action(ActionKind::kInitiateTcp));
      return;
    case S::kListenTcp:
      passive_ = true;
      emit(Action(ActionKind::kListenTcp));
      return;
    case S::kDropTcp:
      emit(Action(ActionKind::kDropTcp));
      return;
    case S::kReleaseResources:
      negotiated_hold_ = std::chrono::seconds(0);
      emit(Action(ActionKind::kReleaseResources));
      return;
    case S::kSendOpen:
      emit(Action(ActionKind::kSendOpen));
      return;
    case S::kSendKeepalive:
      emit(Action(ActionKind::kSendKeepalive));
      return;
    case S::kSendEventError:
      emit(Action::sendNotification(input.error));
      return;
    case S::kSendHoldTimerExpired:
      emit(Action::sendNotification(kHoldTimerExpired));
      return;
    case S::kSendFsmError:
      // RFC 6608 §3: the subcode names the state the unexpected event arrived in.
      assert(state_ == St::kOpenSent || state_ == St::kOpenConfirm || state_ == St::kEstablished);
      emit(Action::sendNotification(state_ == St::kOpenSent      ? kUnexpectedInOpenSent
                                    : state_ == St::kOpenConfirm ? kUnexpectedInOpenConfirm
                                                                 : kUnexpectedInEstablished));
      return;
    case S::kSendCease:
      emit(Action::sendNotification(kAdministrativeShutdown));
      return;
    case S::kStartConnectRetryTimer:
      startTimer(FsmTimer::kConnectRetry, retryDelay(connect_retry_counter_, random_));
      return;
    case S::kStopConnectRetryTimer:
      stopTimer(FsmTimer::kConnectRetry);
      return;
    case S::kStartLargeHoldTimer:
      startTimer(FsmTimer::kHold, kLargeHoldTime);
      return;
    case S::kNegotiateHoldTime:
      // §4.2: the session's Hold Time is the smaller of ours and the peer's.
      negotiated_hold_ = std::min(settings_.hold_time, std::chrono::seconds(input.peer_hold_time));
      return;
    case S::kStartNegotiatedTimers:
      // §4.4 / §10: a hold time of zero means no KEEPALIVEs and no HoldTimer.
      if (!hold_negotiated) {
        stopTimer(FsmTimer::kHold);
        return;
      }
      startTimer(FsmTimer::kHold, negotiated_hold_);
      startTimer(FsmTimer::kKeepalive, jitter(keepaliveInterval(), random_));
      return;
    case S::kRestartHoldTimer:
      if (hold_negotiated) startTimer(FsmTimer::kHold, negotiated_hold_);
      return;
    case S::kRestartKeepaliveTimer:
      if (hold_negotiated) startTimer(FsmTimer::kKeepalive, jitter(keepaliveInterval(), random_));
      return;
    case S::kStopAllTimers:
      for (FsmTimer t :
           {FsmTimer::kConnectRetry, FsmTimer::kHold, FsmTimer::kKeepalive, FsmTimer::kIdleHold}) {
        stopTimer(t);
      }
      return;
    case S::kIncrementConnectRetryCounter:
      // A session that stayed up longer than the longest back-off was stable: its end starts the
      // back-off afresh instead of where the failures before it left it.
      if (state_ == St::kEstablished && time_.now() - established_since_ >= kMaxRetryDelay) {
        connect_retry_counter_ = 0;
      }
      ++connect_retry_counter_;
      emit(Action(ActionKind::kIncrementConnectRetryCounter));
      return;
    case S::kResetConnectRetryCounter:
      connect_retry_counter_ = 0;
      emit(Action(ActionKind::kResetConnectRetryCounter));
      return;
    case S::kStartIdleHoldTimer:
      startTimer(FsmTimer::kIdleHold, retryDelay(connect_retry_counter_, random_));
      return;
  }
}

}  // namespace kubevip::bgp
