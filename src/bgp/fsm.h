// The BGP-4 finite state machine of RFC 4271 §8, as one table.
//
// fsmCell(state, event) is a literal table (fsm.cc) of what RFC 4271 §8.2.2 says each state does
// with each event: a list of steps and the next state, each cell commented. Fsm runs that table for
// one peer: it keeps the counters and the negotiated hold time, runs the four timers through an
// injected TimeSource (their expiry is fed back in as events), and hands every step to a
// FsmActionSink as an Action value (send OPEN, send NOTIFICATION(code, subcode), open/drop TCP,
// start/stop timer X with value V, ...). The FSM itself does no I/O: a session driver owns the TCP
// connection and the wire format, executes the I/O actions and feeds back what happened as events.
//
// Data flow: driver (TCP, decoder) --FsmEvent--> Fsm --Action--> driver (TCP, encoder).
// Threading: one control-plane loop; the TimeSource's timers fire on it.
//
// What differs from the RFC, each argued beside its cell or step in fsm.cc:
// - Connection collision detection (§6.8) is left out: a speaker that only originates routes to
//   configured peers keeps one connection per peer; the driver refuses a second connection while
//   one exists, so TcpConnectionConfirmed in OpenSent/OpenConfirm/Established is ignored (as the
//   RFC says: the second connection belongs to collision processing, not to this FSM).
// - DelayOpen, the optional attributes of §8.1.1 other than passive TCP establishment, and
//   AutomaticStop are not implemented.
// - Every error that ends a session (not ManualStop) goes to Idle and restarts the session after a
//   back-off (the IdleHoldTimer of §8.1.1, event 13); the ConnectRetryCounter is what the back-off
//   grows on, so every error exit increments it.
// - No NOTIFICATION is sent in reply to a received NOTIFICATION (§4.5: its sender closes the
//   connection right after it).
// - Unexpected messages are answered with the FSM error subcodes of RFC 6608.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <vector>

// Before the constants below: NotificationCode::kHoldTimerExpired must be declared first, or
// -Wshadow takes it for a shadow of the constant of the same name.
#include "bgp/notification.h"
#include "common/time_source.h"

namespace kubevip::bgp {

enum class FsmState { kIdle, kConnect, kActive, kOpenSent, kOpenConfirm, kEstablished };
inline constexpr std::size_t kFsmStateCount = 6;

// The events of RFC 4271 §8.1 that this speaker uses (event numbers in the comments).
enum class FsmEvent {
  kManualStart,               // 1: start, connecting to the peer
  kManualStop,                // 2
  kAutomaticStart,            // 3: restart after the back-off (IdleHoldTimer, §8.1.1), connecting
  kAutomaticStartPassive,     // 5: start or restart, waiting for the peer to connect
  kConnectRetryTimerExpires,  // 9
  kHoldTimerExpires,          // 10
  kKeepaliveTimerExpires,     // 11
  kTcpConnectionConfirmed,    // 16/17: our connect succeeded (Tcp_CR_Acked) or we accepted one
  kTcpConnectionFails,        // 18
  kBgpOpen,                   // 19: a valid OPEN (hold time in FsmInput::peer_hold_time)
  kBgpHeaderErr,              // 21: FsmInput::error says which NOTIFICATION to send
  kBgpOpenMsgErr,             // 22: FsmInput::error says which NOTIFICATION to send
  kNotifMsgVerErr,            // 24
  kNotifMsg,                  // 25
  kKeepAliveMsg,              // 26
  kUpdateMsg,                 // 27
  kUpdateMsgErr,              // 28: FsmInput::error says which NOTIFICATION to send
};
inline constexpr std::size_t kFsmEventCount = 17;

// Each timer's expiry is fed back as its event; the IdleHoldTimer's as AutomaticStart, or
// AutomaticStartPassive when the session was last started passively.
enum class FsmTimer { kConnectRetry, kHold, kKeepalive, kIdleHold };

const char* fsmStateName(FsmState state);
const char* fsmEventName(FsmEvent event);
const char* fsmTimerName(FsmTimer timer);

// A NOTIFICATION's error code and subcode (RFC 4271 §4.5).
struct NotificationError {
  uint8_t code = 0;
  uint8_t subcode = 0;
  friend bool operator==(const NotificationError&, const NotificationError&) = default;
};
inline constexpr NotificationError kHoldTimerExpired{4, 0};         // RFC 4271 §6.5
inline constexpr NotificationError kAdministrativeShutdown{6, 2};   // RFC 4486 §4
inline constexpr NotificationError kUnacceptableHoldTime{2, 6};     // RFC 4271 §6.2
inline constexpr NotificationError kUnexpectedInOpenSent{5, 1};     // RFC 6608 §3
inline constexpr NotificationError kUnexpectedInOpenConfirm{5, 2};  // RFC 6608 §3
inline constexpr NotificationError kUnexpectedInEstablished{5, 3};  // RFC 6608 §3

struct FsmInput {
  explicit FsmInput(FsmEvent e, uint16_t peer_hold = 0, NotificationError err = {})
      : event(e), peer_hold_time(peer_hold), error(err) {}

  FsmEvent event;
  uint16_t peer_hold_time = 0;  // kBgpOpen: the Hold Time of the peer's OPEN, seconds
  NotificationError error;      // kBgpHeaderErr, kBgpOpenMsgErr, kUpdateMsgErr: what to send
};

// The steps a table cell lists, in RFC 4271 §8.2.2's words.
enum class FsmStep {
  kInitiateTcp,             // connect to the peer
  kListenTcp,               // accept a connection from the peer
  kDropTcp,                 // close the connection
  kReleaseResources,        // forget the session (and withdraw nothing: routes die with it)
  kSendOpen,                // our OPEN, with the configured hold time
  kSendKeepalive,           //
  kSendEventError,          // NOTIFICATION with FsmInput::error
  kSendHoldTimerExpired,    // NOTIFICATION 4/0
  kSendFsmError,            // NOTIFICATION 5/1, 5/2 or 5/3 (RFC 6608) for the current state
  kSendCease,               // NOTIFICATION 6/2, administrative shutdown (RFC 4486)
  kStartConnectRetryTimer,  // with the back-off delay
  kStopConnectRetryTimer,   //
  kStartLargeHoldTimer,     // 4 minutes (§8.2.2, OpenSent): waiting for the peer's OPEN
  kNegotiateHoldTime,       // min(ours, peer's); 0: no hold timer, no keepalives
  kStartNegotiatedTimers,   // hold timer and keepalive timer, unless the hold time is 0
  kRestartHoldTimer,        // a KEEPALIVE or UPDATE arrived (unless the hold time is 0)
  kRestartKeepaliveTimer,   // (unless the hold time is 0)
  kStopAllTimers,           //
  kIncrementConnectRetryCounter,
  kResetConnectRetryCounter,
  kStartIdleHoldTimer,  // restart the session after the back-off (as it was started)
};

struct FsmCell {
  std::vector<FsmStep> steps;  // empty: the event is ignored
  FsmState next;
};

// The table: what `state` does with `event`.
const FsmCell& fsmCell(FsmState state, FsmEvent event);

// What a session driver executes. Timer actions have already been carried out by Fsm (they are
// reported for logs and tests); counter actions are reported for the same reason.
enum class ActionKind {
  kInitiateTcp,
  kListenTcp,
  kDropTcp,
  kReleaseResources,
  kSendOpen,
  kSendKeepalive,
  kSendNotification,  // Action::notification
  kStartTimer,        // Action::timer, Action::duration
  kStopTimer,         // Action::timer
  kIncrementConnectRetryCounter,
  kResetConnectRetryCounter,
};

struct Action {
  explicit Action(ActionKind k) : kind(k) {}
  static Action startTimer(FsmTimer timer, Duration duration);
  static Action stopTimer(FsmTimer timer);
  static Action sendNotification(NotificationError error);

  ActionKind kind;
  FsmTimer timer = FsmTimer::kConnectRetry;
  Duration duration{0};
  NotificationError notification;
  friend bool operator==(const Action&, const Action&) = default;
};

class FsmActionSink {
 public:
  virtual ~FsmActionSink() = default;
  virtual void execute(const Action& action) = 0;
  virtual void stateChanged(FsmState from, FsmState to, FsmEvent cause) = 0;
};

struct FsmSettings {
  // Our Hold Time (RFC 4271 §4.2): 0 or 3-65535 seconds.
  std::chrono::seconds hold_time{30};
  // Desired keepalive interval; never more than a third of the negotiated hold time (§4.4, §10).
  std::chrono::seconds keepalive_interval{10};
};

// The ConnectRetry and IdleHold delay after `failures` consecutive failures: 1 s doubling up to
// 60 s, times a factor drawn uniformly from [0.75, 1.0] (RFC 4271 §10 jitter). fsm.cc argues it.
Duration retryDelay(uint32_t failures, RandomSource& random);
inline constexpr Duration kFirstRetryDelay = std::chrono::seconds(1);
inline constexpr Duration kMaxRetryDelay = std::chrono::seconds(60);
// §8.2.2 (Connect, TcpConnectionConfirmed): "a large value ... A HoldTimer value of 4 minutes is
// suggested".
inline constexpr Duration kLargeHoldTime = std::chrono::minutes(4);

class Fsm {
 public:
  Fsm(TimeSource& time, RandomSource& random, FsmSettings settings, FsmActionSink& sink);

  // Runs the event's cell. Events raised while a cell runs (by the sink) run after it.
  void handle(const FsmInput& input);
  void handle(FsmEvent event) { handle(FsmInput{event}); }

  FsmState state() const { return state_; }
  uint32_t connectRetryCounter() const { return connect_retry_counter_; }
  // The negotiated hold time; set from OpenConfirm on.
  std::chrono::seconds negotiatedHoldTime() const { return negotiated_hold_; }
  std::chrono::seconds keepaliveInterval() const;

 private:
  void runCell(FsmInput input);
  void run(FsmStep step, const FsmInput& input);
  void startTimer(FsmTimer timer, Duration delay);
  void stopTimer(FsmTimer timer);
  void emit(Action action) { sink_.execute(action); }

  TimeSource& time_;
  RandomSource& random_;
  FsmSettings settings_;
  FsmActionSink& sink_;
  FsmState state_ = FsmState::kIdle;
  uint32_t connect_retry_counter_ = 0;
  bool passive_ = false;
  std::chrono::seconds negotiated_hold_{0};
  SteadyTime established_since_{};
  std::array<std::unique_ptr<Timer>, 4> timers_;
  bool running_cell_ = false;
  std::deque<FsmInput> pending_;
};

}  // namespace kubevip::bgp
