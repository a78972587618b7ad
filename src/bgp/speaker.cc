// The speaker: one Session per peer, the announced set, and the Listener of passive peers; the
// overview is in speaker.h.
#include "bgp/speaker.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <list>
#include <string>

#include "bgp/message.h"
#include "bgp/outbound.h"
#include "bgp/session.h"

namespace kubevip::bgp {
namespace {

Error invalid(const std::string& what) {
  return makeError(ErrorCode::kInvalidArgument, "BGP: " + what);
}

Status validatePeer(const PeerSettings& peer) {
  const std::string name = "peer " + peer.address.toString();
  if (peer.address.isUnspecified()) return invalid(name + ": the address is unspecified");
  if (peer.as == 0) return invalid(name + ": AS 0 is reserved (RFC 7607)");
  if (peer.port == 0) return invalid(name + ": port 0");
  // RFC 4271 §4.2: a Hold Time of 0 (no keepalives) or at least 3 seconds, in 16 bits.
  const auto hold = peer.hold_time.count();
  if (hold != 0 && (hold < 3 || hold > 65535)) {
    return invalid(name + ": hold time " + std::to_string(hold) +
                   " s is neither 0 nor between 3 and 65535");
  }
  if (peer.keepalive_interval.count() < 0) {
    return invalid(name + ": negative keepalive interval");
  }
  if (peer.ttl < 1 || peer.ttl > 255) {
    return invalid(name + ": TTL " + std::to_string(peer.ttl) + " is outside 1-255");
  }
  if (peer.md5_password.size() > 80) {
    // Linux TCP_MD5SIG_MAXKEYLEN.
    return invalid(name + ": the TCP MD5 password is longer than 80 bytes");
  }
  return okStatus();
}

Status validate(const SpeakerSettings& s) {
  if (s.local_as == 0) return invalid("local AS 0 is reserved (RFC 7607)");
  if (s.router_id == 0) return invalid("router id 0 is not a valid BGP Identifier (RFC 6286 §2.1)");
  // RFC 4724 §3: the Restart Time has 12 bits.
  const auto restart = s.graceful_restart_time.count();
  if (restart < 0 || restart > 4095) {
    return invalid("graceful restart time " + std::to_string(restart) +
                   " s is outside 0-4095 (RFC 4724 §3)");
  }
  if (s.peers.empty()) return invalid("no peers configured");
  for (std::size_t i = 0; i < s.peers.size(); ++i) {
    if (auto valid = validatePeer(s.peers[i]); !valid) return valid;
    for (std::size_t j = 0; j < i; ++j) {
      if (s.peers[j].address == s.peers[i].address) {
        return invalid("peer " + s.peers[i].address.toString() + " is configured twice");
      }
    }
  }
  if (std::any_of(s.peers.begin(), s.peers.end(),
                  [](const PeerSettings& p) { return p.passive; }) &&
      s.listen_port == 0) {
    return invalid("passive peers need a listen port other than 0");
  }
  return okStatus();
}

class SpeakerImpl final : public Speaker {
 public:
  SpeakerImpl(TimeSource& time, RandomSource& random, Transport& transport,
              SpeakerSettings settings, SpeakerHooks hooks)
      : time_(time),
        transport_(transport),
        settings_(std::move(settings)),
        hooks_(std::move(hooks)) {
    for (const PeerSettings& peer : settings_.peers) {
      sessions_.push_back(
          std::make_unique<Session>(time, random, transport, settings_, peer, routes_,
                                    [this](const PeerStatus& status, FsmState from) {
                                      if (hooks_.state_changed) hooks_.state_changed(status, from);
                                    }));
    }
  }

  ~SpeakerImpl() override {
    listener_.reset();  // no accepted() into sessions being destroyed
  }

  Status start() override {
    ListenRequest request;
    request.port = settings_.listen_port;
    request.address = settings_.source_ip;
    request.bind_interface = settings_.source_interface;
    for (const PeerSettings& peer : settings_.peers) {
      if (peer.passive) request.peers.push_back({peer.address, peer.md5_password, peer.ttl});
    }
    if (!request.peers.empty()) {
      auto listener = transport_.listen(
          request, [this](std::unique_ptr<Connection> c) { accepted(std::move(c)); });
      if (!listener) {
        return makeError(listener.error().code,
                         "BGP: listening on port " + std::to_string(request.port) +
                             " for passive peers: " + listener.error().describe());
      }
      listener_ = std::move(listener).value();
      spdlog::info("BGP: listening on port {} for {} passive peer(s)", request.port,
                   request.peers.size());
    }
    for (auto& session : sessions_) session->start();
    return okStatus();
  }

  void stop(std::chrono::milliseconds bound, std::function<void()> done) override {
    if (stop_done_) {
      // A stop is already under way: `done` runs when it ends.
      stop_done_ = [first = std::move(stop_done_), second = std::move(done)] {
        first();
        if (second) second();
      };
      return;
    }
    if (!done) done = [] {};
    listener_.reset();
    stop_done_ = std::move(done);
    stop_timer_ = time_.createTimer();
    stop_timer_->start(bound, [this] {
      spdlog::warn("BGP: sessions still closing after the stop bound; stopping anyway");
      finishStop();
    });
    sessions_closing_ = sessions_.size();
    for (auto& session : sessions_) {
      session->stop(bound, [this] {
        if (--sessions_closing_ == 0) finishStop();
      });
    }
  }

  void announce(const IpAddress& address, const RoutePolicy& policy) override {
    auto [it, inserted] = routes_.try_emplace(address, policy);
    if (!inserted) {
      if (it->second == policy) return;
      it->second = policy;
    }
    for (auto& session : sessions_) session->routeChanged(address);
  }

  void withdraw(const IpAddress& address) override {
    if (routes_.erase(address) == 0) return;
    for (auto& session : sessions_) session->routeChanged(address);
  }

  bool announced(const IpAddress& address) const override { return routes_.count(address) > 0; }

  std::vector<PeerStatus> status() const override {
    std::vector<PeerStatus> out;
    for (const auto& session : sessions_) out.push_back(session->status());
    return out;
  }

 private:
  void accepted(std::unique_ptr<Connection> connection) {
    const IpAddress remote = connection->remoteAddress();
    auto session = std::find_if(sessions_.begin(), sessions_.end(), [&](const auto& s) {
      return s->peer().passive && s->peer().address == remote;
    });
    if (session == sessions_.end()) {
      refuse(std::move(connection), "not a passive peer");
      return;
    }
    if (auto back = (*session)->offer(std::move(connection))) {
      refuse(std::move(back), std::string("its session is ") + fsmStateName((*session)->state()) +
                                  " and takes no second connection");
    }
  }

  // RFC 4486 §4: a connection the speaker does not want gets Cease / Connection Rejected.
  void refuse(std::unique_ptr<Connection> connection, const std::string& why) {
    spdlog::info("BGP: refused a connection from {}: {}",
                 Endpoint{connection->remoteAddress(), connection->remotePort()}.toString(), why);
    (void)connection->send(
        encodeNotification(Notification{NotificationCode::kCease, cease::kConnectionRejected, {}}));
    refused_.push_back(std::move(connection));
    Connection* refused = refused_.back().get();
    refused->setHandlers(
        Connection::Handlers{[](std::span<const uint8_t>) {}, [](const std::string&) {}});
    refused->closeAfterFlush(kCloseFlushBound, [this, refused] {
      refused_.remove_if([refused](const auto& c) { return c.get() == refused; });
    });
  }

  void finishStop() {
    if (!stop_done_) return;
    stop_timer_->stop();
    auto done = std::move(stop_done_);
    stop_done_ = nullptr;
    done();
  }

  TimeSource& time_;
  Transport& transport_;
  const SpeakerSettings settings_;
  SpeakerHooks hooks_;
  AnnouncedRoutes routes_;
  std::vector<std::unique_ptr<Session>> sessions_;
  std::list<std::unique_ptr<Connection>> refused_;
  std::unique_ptr<Timer> stop_timer_;
  std::function<void()> stop_done_;
  std::size_t sessions_closing_ = 0;
  std::unique_ptr<Listener> listener_;
};

}  // namespace

Result<std::unique_ptr<Speaker>> Speaker::create(TimeSource& time, RandomSource& random,
                                                 Transport& transport, SpeakerSettings settings,
                                                 SpeakerHooks hooks) {
  if (auto valid = validate(settings); !valid) return valid.error();
  return std::unique_ptr<Speaker>(
      new SpeakerImpl(time, random, transport, std::move(settings), std::move(hooks)));
}

}  // namespace kubevip::bgp
