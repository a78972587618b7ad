// A BGP speaker that only originates host routes: it keeps one session per configured peer
// (session.h: the FSM of fsm.h over a Connection of transport.h), sends every peer the routes of
// the addresses this node announces, and ignores what peers send beyond what the protocol needs
// (no routing table, no best-path selection).
//
// Callers say which addresses to announce (announce/withdraw); the speaker keeps that set and each
// session sends it when it reaches Established (followed by End-of-RIB, RFC 4724 §2) and every
// change while it stays there. A ROUTE-REFRESH (RFC 2918) is answered by sending the set again.
// stop() is the clean stop: it withdraws every route from every established peer, sends Cease /
// Administrative Shutdown (RFC 4486), and closes.
//
// Threading: the control-plane loop thread only.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bgp/attributes.h"
#include "bgp/fsm.h"
#include "bgp/transport.h"
#include "common/ip_address.h"
#include "common/result.h"
#include "common/time_source.h"

namespace kubevip::bgp {

// What an announcement carries besides its prefix.
struct RoutePolicy {
  std::vector<uint32_t> communities;              // RFC 1997: AS << 16 | value
  std::vector<LargeCommunity> large_communities;  // RFC 8092
  std::optional<uint32_t> local_pref;  // RFC 4271 §5.1.5: sent to internal peers only (default 100)
  std::optional<uint32_t> med;         // RFC 4271 §5.1.4
  friend bool operator==(const RoutePolicy&, const RoutePolicy&) = default;
};

// Who announces an address and how: the interface the daemon's holders use (a fake in their
// tests, the Speaker in the daemon).
class RouteOriginator {
 public:
  virtual ~RouteOriginator() = default;
  // Originates the host route (/32 or /128) of `address` to every peer, replacing the policy of
  // an earlier announcement of the same address.
  virtual void announce(const IpAddress& address, const RoutePolicy& policy) = 0;
  // Withdraws it from every peer; withdrawing an address not announced does nothing.
  virtual void withdraw(const IpAddress& address) = 0;
};

struct PeerSettings {
  IpAddress address;
  uint32_t as = 65000;
  uint16_t port = 179;
  std::string md5_password;  // empty: none
  int ttl = 1;               // 1: directly connected; more: eBGP multihop
  bool passive = false;      // wait for the peer to connect (the speaker listens)
  std::chrono::seconds hold_time{30};
  std::chrono::seconds keepalive_interval{10};
};

// The next hop of a route whose family differs from the session's (an IPv6 VIP over an IPv4
// session, or the reverse): given the route's family and the session's local address, the
// address to announce, or nullopt when there is none (the route is then not sent to that peer,
// and the peer's status says why). Routes of the session's own family use the session's local
// address.
using CrossFamilyNextHop =
    std::function<std::optional<IpAddress>(IpFamily route_family, const IpAddress& local)>;

struct SpeakerSettings {
  uint32_t local_as = 65000;
  uint32_t router_id = 0;  // BGP Identifier (RFC 4271 §4.2), host order
  std::vector<PeerSettings> peers;
  std::optional<IpAddress> source_ip;  // every session's source address
  std::string source_interface;        // every session bound to it
  uint16_t listen_port = 179;          // for passive peers
  // RFC 4724: the Restart Time we advertise; 0: no Graceful Restart capability
  // (config/config.h says why that is the default).
  std::chrono::seconds graceful_restart_time{0};
  CrossFamilyNextHop cross_family_next_hop;
};

struct PeerStatus {
  IpAddress address;
  uint16_t port = 179;
  uint32_t as = 0;
  FsmState state = FsmState::kIdle;
  std::optional<SteadyTime> established_since;
  std::chrono::seconds negotiated_hold_time{0};
  uint64_t updates_sent = 0;
  uint64_t updates_received = 0;
  std::size_t routes_announced = 0;  // routes the peer has from us now
  std::string last_error;            // why the last session ended, or why routes are held back
};

struct SpeakerHooks {
  // A session changed state (for the log and the metrics).
  std::function<void(const PeerStatus& peer, FsmState from)> state_changed;
};

class Speaker : public RouteOriginator {
 public:
  static Result<std::unique_ptr<Speaker>> create(TimeSource& time, RandomSource& random,
                                                 Transport& transport, SpeakerSettings settings,
                                                 SpeakerHooks hooks);
  ~Speaker() override = default;

  // Starts every session (active peers connect, passive peers are listened for).
  virtual Status start() = 0;
  // The clean stop (see above); `done` runs once every session has closed, or after `bound`.
  virtual void stop(std::chrono::milliseconds bound, std::function<void()> done) = 0;
  virtual bool announced(const IpAddress& address) const = 0;
  virtual std::vector<PeerStatus> status() const = 0;
};

}  // namespace kubevip::bgp
