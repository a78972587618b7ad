// The FSM driver of one peer; the overview is in session.h.
#include "bgp/session.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <string>
#include <variant>

#include "bgp/message_decoder.h"
#include "bgp/update.h"

namespace kubevip::bgp {
namespace {

std::string describe(NotificationError e) {
  return std::to_string(e.code) + "/" + std::to_string(e.subcode);
}

std::string describe(const Notification& n) {
  return describe(NotificationError{static_cast<uint8_t>(n.code), n.subcode});
}

template <typename... Fs>
struct Overloaded : Fs... {
  using Fs::operator()...;
};
template <typename... Fs>
Overloaded(Fs...) -> Overloaded<Fs...>;

// What an operator can do when our SYNs go unanswered: with TCP MD5 (RFC 2385 §2) a segment
// whose signature is missing or wrong is dropped silently, so a password mismatch looks exactly
// like an unreachable peer.
std::string connectRetryHint(const PeerSettings& peer) {
  if (!peer.md5_password.empty()) {
    return "a peer with a different TCP MD5 password (or none) drops our SYNs without an answer";
  }
  return "if the peer expects a TCP MD5 password, set it (bgp_peerpass / the peer's password)";
}

}  // namespace

Session::Session(TimeSource& time, RandomSource& random, Transport& transport,
                 const SpeakerSettings& settings, PeerSettings peer, const AnnouncedRoutes& routes,
                 StateChanged state_changed)
    : time_(time),
      transport_(transport),
      settings_(settings),
      peer_(std::move(peer)),
      routes_(routes),
      state_changed_(std::move(state_changed)),
      fsm_(std::make_unique<Fsm>(time, random,
                                 FsmSettings{peer_.hold_time, peer_.keepalive_interval},
                                 static_cast<FsmActionSink&>(*this))) {}

Session::~Session() { fsm_.reset(); }

std::string Session::name() const {
  return "BGP peer " + Endpoint{peer_.address, peer_.port}.toString() + " (AS " +
         std::to_string(peer_.as) + ")";
}

void Session::start() {
  stopping_ = false;
  started_ = true;
  fsm_->handle(peer_.passive ? FsmEvent::kAutomaticStartPassive : FsmEvent::kManualStart);
}

std::unique_ptr<Connection> Session::offer(std::unique_ptr<Connection> connection) {
  // A passive session waiting out its back-off (Idle, IdleHoldTimer running) restarts when the
  // peer connects. The back-off paces our own attempts; a passive session makes none, and the
  // peer paces its connects with its own ConnectRetryTimer (RFC 4271 §8.2.1.3) - FRR's is 120 s,
  // so refusing it here would leave the routes unannounced for two minutes.
  if (peer_.passive && started_ && !stopping_ && fsm_->state() == FsmState::kIdle) {
    feed(FsmInput(FsmEvent::kAutomaticStartPassive));
  }
  if (!waiting_for_peer_ || connection_ || fsm_->state() != FsmState::kActive) return connection;
  waiting_for_peer_ = false;
  adopt(std::move(connection));
  feed(FsmInput(FsmEvent::kTcpConnectionConfirmed));
  return nullptr;
}

void Session::feed(const FsmInput& input) { fsm_->handle(input); }

// ---- The FSM's actions ----

void Session::execute(const Action& action) {
  switch (action.kind) {
    case ActionKind::kInitiateTcp:
      initiateConnect();
      return;
    case ActionKind::kListenTcp:
      waiting_for_peer_ = true;
      return;
    case ActionKind::kDropTcp:
      dropConnection();
      return;
    case ActionKind::kReleaseResources:
      negotiated_.reset();
      sent_.clear();
      established_since_.reset();
      inbound_.clear();
      return;
    case ActionKind::kSendOpen:
      send(encodeOpen(ourOpen()));
      return;
    case ActionKind::kSendKeepalive:
      send(encodeKeepalive());
      return;
    case ActionKind::kSendNotification:
      sendNotification(action.notification);
      return;
    case ActionKind::kStartTimer:
      if (action.timer == FsmTimer::kIdleHold) restart_delay_ = action.duration;
      // In Connect only the ConnectRetryTimer_Expires cell starts the ConnectRetryTimer (fsm.cc):
      // our connect got no answer in time and is being retried.
      if (action.timer == FsmTimer::kConnectRetry && fsm_->state() == FsmState::kConnect) {
        last_error_ = "connecting to " + Endpoint{peer_.address, peer_.port}.toString() +
                      " got no answer before the ConnectRetry timer expired; " +
                      connectRetryHint(peer_);
        spdlog::warn("{}: {}", name(), last_error_);
      }
      return;
    case ActionKind::kStopTimer:
    case ActionKind::kIncrementConnectRetryCounter:
    case ActionKind::kResetConnectRetryCounter:
      return;
  }
}

void Session::stateChanged(FsmState from, FsmState to, FsmEvent cause) {
  if (to == FsmState::kEstablished) {
    established_since_ = time_.now();
    std::string families;
    for (const AfiSafi& family : negotiated_->families) {
      families += family == kIpv4Unicast   ? " IPv4"
                  : family == kIpv6Unicast ? " IPv6"
                                           : " AFI " + std::to_string(family.afi);
    }
    spdlog::info("{}: {} -> Established (hold time {} s, unicast:{}, graceful restart: {})", name(),
                 fsmStateName(from), fsm_->negotiatedHoldTime().count(), families,
                 negotiated_->peer_graceful_restart ? "yes" : "no");
    // RFC 4724 §2: End-of-RIB after the initial routes of each family, which also tells a peer
    // without Graceful Restart that our initial update is complete.
    sendAllRoutes(std::nullopt);
    for (const AfiSafi& family : negotiated_->families) {
      sendUpdates({endOfRibMessage(family, negotiated_->four_octet_as)});
    }
  } else if (to == FsmState::kIdle) {
    const std::string why = end_reason_.empty() ? fsmEventName(cause) : end_reason_;
    if (!stopping_) last_error_ = why;
    if (stopping_) {
      spdlog::info("{}: {} -> Idle: {}", name(), fsmStateName(from), why);
    } else {
      spdlog::warn("{}: {} -> Idle: session ended: {}; restarting in {} ms", name(),
                   fsmStateName(from), why,
                   std::chrono::duration_cast<std::chrono::milliseconds>(restart_delay_).count());
    }
    end_reason_.clear();
  } else {
    spdlog::info("{}: {} -> {} ({})", name(), fsmStateName(from), fsmStateName(to),
                 fsmEventName(cause));
  }
  if (state_changed_) state_changed_(status(), from);
}

// ---- The connection ----

void Session::initiateConnect() {
  ConnectRequest request;
  request.peer = peer_.address;
  request.port = peer_.port;
  request.source = settings_.source_ip;
  request.bind_interface = settings_.source_interface;
  request.md5_password = peer_.md5_password;
  request.ttl = peer_.ttl;
  const uint64_t attempt = ++connect_attempt_;
  auto pending =
      transport_.connect(request, [this, attempt](Result<std::unique_ptr<Connection>> result) {
        if (attempt != connect_attempt_) return;  // dropped meanwhile
        ++connect_attempt_;                       // answered: nothing more is expected of it
        if (!result) {
          end_reason_ = "connecting to " + Endpoint{peer_.address, peer_.port}.toString() +
                        " failed: " + result.error().describe();
          feed(FsmInput(FsmEvent::kTcpConnectionFails));
          return;
        }
        adopt(std::move(result).value());
        feed(FsmInput(FsmEvent::kTcpConnectionConfirmed));
      });
  // Kept also when the answer already came: destroying an answered attempt does nothing.
  pending_connect_ = std::move(pending);
}

void Session::adopt(std::unique_ptr<Connection> connection) {
  connection_ = std::move(connection);
  const uint64_t generation = ++generation_;
  inbound_.clear();
  end_reason_.clear();
  connection_->setHandlers(Connection::Handlers{[this, generation](std::span<const uint8_t> bytes) {
                                                  if (generation == generation_) onReceived(bytes);
                                                },
                                                [this, generation](const std::string& why) {
                                                  if (generation != generation_) return;
                                                  end_reason_ = "the connection closed: " + why;
                                                  feed(FsmInput(FsmEvent::kTcpConnectionFails));
                                                }});
}

void Session::dropConnection() {
  pending_connect_.reset();
  ++connect_attempt_;
  waiting_for_peer_ = false;
  if (!connection_) return;
  ++generation_;  // the handlers of the connection being closed go quiet
  closing_.push_back(std::move(connection_));
  Connection* closing = closing_.back().get();
  closing->setHandlers(
      Connection::Handlers{[](std::span<const uint8_t>) {}, [](const std::string&) {}});
  closing->closeAfterFlush(flush_bound_, [this, closing] { closeFinished(closing); });
}

void Session::closeFinished(Connection* connection) {
  closing_.remove_if([connection](const auto& c) { return c.get() == connection; });
  if (stopping_ && closing_.empty() && !connection_ && stopped_) {
    auto stopped = std::move(stopped_);
    stopped_ = nullptr;
    stopped();
  }
}

void Session::onReceived(std::span<const uint8_t> bytes) {
  const uint64_t generation = generation_;
  inbound_.insert(inbound_.end(), bytes.begin(), bytes.end());
  std::size_t used = 0;
  while (generation == generation_) {
    auto found = findMessage(std::span<const uint8_t>(inbound_).subspan(used));
    if (!found) {
      onDecodeError(FsmEvent::kBgpHeaderErr, found.error());
      return;
    }
    if (!*found) break;
    const Frame frame = **found;
    used += frame.length;
    onFrame(frame);
  }
  if (generation == generation_) {
    inbound_.erase(inbound_.begin(), inbound_.begin() + static_cast<std::ptrdiff_t>(used));
  }
}

void Session::onFrame(const Frame& frame) {
  auto decoded = decodeFrame(frame, negotiated_ && negotiated_->four_octet_as);
  if (!decoded) {
    const DecodeError& error = decoded.error();
    switch (frame.type) {
      case MessageType::kOpen:
        onDecodeError(FsmEvent::kBgpOpenMsgErr, error);
        return;
      case MessageType::kUpdate:
        ++updates_received_;
        if (error.action == ErrorAction::kTreatAsWithdraw) {
          // RFC 7606 §2: the session stays; the routes it carried are withdrawn, and this
          // speaker keeps no routes from its peers anyway.
          spdlog::debug("{}: ignoring an UPDATE: {}", name(), error.reason);
          feed(FsmInput(FsmEvent::kUpdateMsg));
          return;
        }
        onDecodeError(FsmEvent::kUpdateMsgErr, error);
        return;
      case MessageType::kNotification:
        // §4.5: a NOTIFICATION is not answered; its sender closes the connection.
        end_reason_ = "the peer sent a malformed NOTIFICATION: " + error.reason;
        feed(FsmInput(FsmEvent::kNotifMsg));
        return;
      case MessageType::kRouteRefresh:
      case MessageType::kKeepalive:
        // RFC 7313 §5: a ROUTE-REFRESH of the wrong length resets the session with 7/1; like a
        // Message Header Error, it is a message that cannot be taken apart.
        onDecodeError(FsmEvent::kBgpHeaderErr, error);
        return;
    }
    return;
  }
  std::visit(Overloaded{
                 [this](const OpenMessage& open) { onOpen(open); },
                 [this](const UpdateMessage&) {
                   // Decoded to check it; what a peer announces is of no use to an originating
                   // speaker.
                   ++updates_received_;
                   feed(FsmInput(FsmEvent::kUpdateMsg));
                 },
                 [this](const Notification& n) {
                   end_reason_ = "the peer sent NOTIFICATION " + describe(n);
                   // Event 24 (NotifMsgVerErr): the peer does not support our version (§6.2, 2/1).
                   const bool version_error = n.code == NotificationCode::kOpenMessage &&
                                              n.subcode == open_error::kUnsupportedVersion;
                   feed(FsmInput(version_error ? FsmEvent::kNotifMsgVerErr : FsmEvent::kNotifMsg));
                 },
                 [this](const KeepaliveMessage&) { feed(FsmInput(FsmEvent::kKeepAliveMsg)); },
                 [this](const RouteRefreshMessage& refresh) { onRouteRefresh(refresh); },
             },
             decoded.value());
}

void Session::onOpen(const OpenMessage& open) {
  // An OPEN outside OpenSent is unexpected whatever it holds; the FSM answers it (RFC 6608).
  if (fsm_->state() != FsmState::kOpenSent) {
    feed(FsmInput(FsmEvent::kBgpOpen, open.hold_time_seconds));
    return;
  }
  auto negotiated = negotiate(ourOpen(), open, peer_.as);
  if (!negotiated) {
    onDecodeError(FsmEvent::kBgpOpenMsgErr, negotiated.error());
    return;
  }
  negotiated_ = std::move(negotiated).value();
  feed(FsmInput(FsmEvent::kBgpOpen, open.hold_time_seconds));
}

void Session::onDecodeError(FsmEvent event, const DecodeError& error) {
  end_reason_ = error.reason;
  pending_notification_ = error.notification;
  feed(FsmInput(event, 0,
                NotificationError{static_cast<uint8_t>(error.notification.code),
                                  error.notification.subcode}));
  pending_notification_.reset();
}

void Session::onRouteRefresh(const RouteRefreshMessage& refresh) {
  // Before Established a ROUTE-REFRESH is as unexpected as an UPDATE (RFC 6608 §3).
  if (fsm_->state() != FsmState::kEstablished) {
    feed(FsmInput(FsmEvent::kUpdateMsg));
    return;
  }
  // RFC 7313 §4: Beginning/End-of-RIB-Refresh markers (subtypes 1, 2) concern the sender's own
  // routes; we offered no enhanced route refresh, so only a plain request (0) asks us for ours.
  if (refresh.subtype != 0) return;
  // RFC 2918 §4: a request for a family not negotiated is ignored.
  const auto& families = negotiated_->families;
  if (std::find(families.begin(), families.end(), refresh.family) == families.end()) return;
  spdlog::info("{}: route refresh requested (AFI {}, SAFI {})", name(), refresh.family.afi,
               refresh.family.safi);
  sendAllRoutes(refresh.family);
  // RFC 4724 §2 marks the end of an initial update; after a refresh the marker helps a peer that
  // runs Graceful Restart with us, so it is sent when GR was negotiated.
  if (negotiated_->peer_graceful_restart) {
    sendUpdates({endOfRibMessage(refresh.family, negotiated_->four_octet_as)});
  }
}

// ---- Sending ----

void Session::send(const std::vector<uint8_t>& bytes) {
  if (!connection_) return;
  // A failed send means a failed connection; its closed() handler follows from the loop.
  if (auto sent = connection_->send(bytes); !sent) {
    spdlog::debug("{}: send failed: {}", name(), sent.error().describe());
  }
}

void Session::sendUpdates(const std::vector<std::vector<uint8_t>>& updates) {
  for (const auto& update : updates) {
    send(update);
    ++updates_sent_;
  }
}

void Session::sendNotification(NotificationError error) {
  Notification notification{static_cast<NotificationCode>(error.code), error.subcode, {}};
  if (pending_notification_ && describe(*pending_notification_) == describe(error)) {
    notification = *pending_notification_;  // with the data the decoder gave (RFC 4271 §6)
  }
  if (error == kHoldTimerExpired) {
    end_reason_ = "no message from the peer within the hold time";
  } else if (end_reason_.empty()) {
    end_reason_ = "unexpected message or event in " + std::string(fsmStateName(fsm_->state()));
  }
  end_reason_ += " (sent NOTIFICATION " + describe(error) + ")";
  send(encodeNotification(notification));
}

OutboundContext Session::outboundContext() const {
  return OutboundContext{settings_.local_as, negotiated_->peer_as, connection_->localAddress(),
                         *negotiated_, settings_.cross_family_next_hop};
}

void Session::sendAllRoutes(std::optional<AfiSafi> only_family) {
  if (!connection_ || !negotiated_) return;
  AnnouncedRoutes routes;
  for (const auto& route : routes_) {
    if (!only_family || familyOf(route.first) == *only_family) routes.insert(route);
  }
  OutboundUpdates out = announceRoutes(outboundContext(), routes);
  sendUpdates(out.messages);
  for (const auto& [address, policy] : out.announced) sent_[address] = policy;
  noteHeldBack(out.held_back);
}

void Session::routeChanged(const IpAddress& address) {
  if (fsm_->state() != FsmState::kEstablished || !connection_ || !negotiated_) return;
  const bool four_octet_as = negotiated_->four_octet_as;
  auto route = routes_.find(address);
  if (route != routes_.end()) {
    OutboundUpdates out = announceRoutes(outboundContext(), AnnouncedRoutes{*route});
    sendUpdates(out.messages);
    if (!out.announced.empty()) {
      sent_[address] = route->second;
      return;
    }
    noteHeldBack(out.held_back);
  }
  // Withdrawn, or its new form cannot be sent: the peer must not keep the old one.
  if (sent_.erase(address) > 0) sendUpdates(withdrawRoutes({address}, four_octet_as));
}

void Session::noteHeldBack(const std::vector<HeldBackRoute>& held) {
  for (const HeldBackRoute& h : held) {
    last_error_ = h.reason;
    spdlog::warn("{}: {}", name(), h.reason);
  }
}

OpenMessage Session::ourOpen() const {
  Capabilities caps;
  caps.multiprotocol = {kIpv4Unicast, kIpv6Unicast};  // RFC 4760 §8
  caps.route_refresh = true;                          // RFC 2918
  // RFC 8950 §3: IPv4 unicast routes may carry an IPv6 next hop, so that a peer reached over IPv6
  // only can still learn an IPv4 VIP (outbound.cc uses it when no IPv4 next hop is configured).
  caps.extended_next_hop = {ExtendedNextHop{kAfiIpv4, kSafiUnicast, kAfiIpv6}};
  if (settings_.graceful_restart_time.count() > 0) {
    // RFC 4724 §3: R bit 0 (this is not a restart announcement); forwarding preserved: the VIPs
    // keep being served while the speaker restarts.
    GracefulRestart gr;
    gr.restart_time_seconds = static_cast<uint16_t>(settings_.graceful_restart_time.count());
    gr.families = {{kIpv4Unicast, true}, {kIpv6Unicast, true}};
    caps.graceful_restart = gr;
  }
  // forLocalAs adds the four-octet AS capability (RFC 6793).
  return OpenMessage::forLocalAs(settings_.local_as, static_cast<uint16_t>(peer_.hold_time.count()),
                                 settings_.router_id, std::move(caps));
}

// ---- Stop and status ----

void Session::stop(std::chrono::milliseconds bound, std::function<void()> closed) {
  stopping_ = true;
  flush_bound_ = bound;
  stopped_ = std::move(closed);
  if (fsm_->state() == FsmState::kEstablished && connection_ && !sent_.empty()) {
    std::vector<IpAddress> addresses;
    for (const auto& entry : sent_) addresses.push_back(entry.first);
    sendUpdates(withdrawRoutes(addresses, negotiated_->four_octet_as));
    sent_.clear();
  }
  end_reason_ = "stopped";
  feed(FsmInput(FsmEvent::kManualStop));
  if (closing_.empty() && !connection_ && stopped_) {
    auto stopped = std::move(stopped_);
    stopped_ = nullptr;
    stopped();
  }
}

PeerStatus Session::status() const {
  PeerStatus s;
  s.address = peer_.address;
  s.port = peer_.port;
  s.as = peer_.as;
  s.state = fsm_->state();
  s.established_since = established_since_;
  s.negotiated_hold_time = fsm_->negotiatedHoldTime();
  s.updates_sent = updates_sent_;
  s.updates_received = updates_received_;
  s.routes_announced = sent_.size();
  s.last_error = last_error_;
  return s;
}

}  // namespace kubevip::bgp
