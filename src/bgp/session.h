// One peer's BGP session: the driver of the FSM of fsm.h over a Connection of transport.h.
//
// The Fsm decides; the Session does what it says (connect, send OPEN / KEEPALIVE / NOTIFICATION,
// drop the connection) and feeds back what happened: the connection's outcome, and every message
// the peer sends, framed by findMessage() and decoded by decodeFrame(). Once Established, the
// session sends the peer the speaker's announced routes (outbound.h builds the UPDATEs) followed
// by End-of-RIB, then every change. What the peer announces is decoded (a malformed UPDATE resets
// the session) and otherwise ignored: this speaker only originates.
//
// Connections end through closeAfterFlush(), so that a NOTIFICATION queued just before reaches
// the peer. A passive session takes a connection the speaker's Listener accepted (offer()), also
// while it waits out the back-off after an error (offer() argues why); a connection that arrives
// while the session has one, or before start() or after stop(), is refused (the FSM leaves out
// collision detection, fsm.h argues why).
//
// Threading: the control-plane loop thread only.
#pragma once

#include <chrono>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "bgp/fsm.h"
#include "bgp/message.h"
#include "bgp/negotiation.h"
#include "bgp/outbound.h"
#include "bgp/speaker.h"
#include "bgp/transport.h"
#include "common/time_source.h"

namespace kubevip::bgp {

// How long a NOTIFICATION (or the last UPDATEs) may take to leave before a connection that the
// session ends is closed anyway.
inline constexpr std::chrono::milliseconds kCloseFlushBound{1000};

class Session final : private FsmActionSink {
 public:
  using StateChanged = std::function<void(const PeerStatus& peer, FsmState from)>;

  // `settings` and `routes` belong to the speaker and outlive the session.
  Session(TimeSource& time, RandomSource& random, Transport& transport,
          const SpeakerSettings& settings, PeerSettings peer, const AnnouncedRoutes& routes,
          StateChanged state_changed);
  ~Session() override;
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Active peers connect; passive peers wait for offer().
  void start();
  // A connection from this peer's address, accepted by the speaker's Listener. Returns it back
  // when the session does not take it (it is waiting for none, or has one already).
  std::unique_ptr<Connection> offer(std::unique_ptr<Connection> connection);

  // The speaker's announced set changed for `address` (announced or withdrawn): when
  // Established, sends the peer the UPDATE that brings it in line.
  void routeChanged(const IpAddress& address);

  // The clean stop: withdraws every route the peer has from us (when Established), sends Cease
  // (ManualStop), and closes after flushing within `bound`; `closed` runs once the connection is
  // gone (at once when there is none). The session does not restart.
  void stop(std::chrono::milliseconds bound, std::function<void()> closed);

  PeerStatus status() const;
  const PeerSettings& peer() const { return peer_; }
  FsmState state() const { return fsm_->state(); }

 private:
  void execute(const Action& action) override;
  void stateChanged(FsmState from, FsmState to, FsmEvent cause) override;

  void initiateConnect();
  void adopt(std::unique_ptr<Connection> connection);
  void dropConnection();
  void closeFinished(Connection* connection);
  void onReceived(std::span<const uint8_t> bytes);
  void onFrame(const Frame& frame);
  void onOpen(const OpenMessage& open);
  void onDecodeError(FsmEvent event, const DecodeError& error);
  void onRouteRefresh(const RouteRefreshMessage& refresh);
  void feed(const FsmInput& input);

  void send(const std::vector<uint8_t>& bytes);
  void sendUpdates(const std::vector<std::vector<uint8_t>>& updates);
  void sendNotification(NotificationError error);
  void sendAllRoutes(std::optional<AfiSafi> only_family);
  void noteHeldBack(const std::vector<HeldBackRoute>& held);
  OutboundContext outboundContext() const;
  OpenMessage ourOpen() const;
  std::string name() const;

  TimeSource& time_;
  Transport& transport_;
  const SpeakerSettings& settings_;
  const PeerSettings peer_;
  const AnnouncedRoutes& routes_;
  StateChanged state_changed_;

  std::unique_ptr<PendingConnect> pending_connect_;
  uint64_t connect_attempt_ = 0;
  bool waiting_for_peer_ = false;  // passive and in Active: offer() may hand a connection over
  std::unique_ptr<Connection> connection_;
  uint64_t generation_ = 0;                         // bumped when connection_ is adopted or dropped
  std::list<std::unique_ptr<Connection>> closing_;  // flushing before they close
  std::vector<uint8_t> inbound_;

  std::optional<NegotiatedSession> negotiated_;
  // The routes the peer has from us now (address -> what was sent).
  std::map<IpAddress, RoutePolicy, AddressLess> sent_;
  // The data of the NOTIFICATION a decode error asked for, sent with the FSM's matching action.
  std::optional<Notification> pending_notification_;
  std::string end_reason_;     // why the current connection is ending, for the log
  Duration restart_delay_{0};  // the back-off after the session ended
  std::string last_error_;
  std::optional<SteadyTime> established_since_;
  uint64_t updates_sent_ = 0;
  uint64_t updates_received_ = 0;

  std::chrono::milliseconds flush_bound_ = kCloseFlushBound;
  bool started_ = false;
  bool stopping_ = false;
  std::function<void()> stopped_;

  std::unique_ptr<Fsm> fsm_;  // last: destroyed first, its timers with it
};

}  // namespace kubevip::bgp
