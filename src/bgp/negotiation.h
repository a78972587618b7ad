// What a session runs with once both OPENs are known (RFC 5492 §3: a capability is in use when
// both sides advertised it), and the OPEN checks that need our own settings.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "bgp/capabilities.h"
#include "bgp/message.h"
#include "bgp/notification.h"

namespace kubevip::bgp {

struct NegotiatedSession {
  uint32_t peer_as = 0;
  bool four_octet_as = false;     // RFC 6793 §4: both sides sent capability 65
  std::vector<AfiSafi> families;  // offered by both; IPv4 unicast when a side sent no MP capability
  bool route_refresh = false;
  // RFC 8950: IPv4 unicast routes may carry an IPv6 next hop (we offered it, the peer too).
  bool ipv4_over_ipv6_next_hop = false;
  std::optional<GracefulRestart> peer_graceful_restart;  // the peer's, to keep its routes
  uint16_t hold_time_seconds = 0;  // the smaller of both (RFC 4271 §4.2); 0: no keepalives
  uint16_t keepalive_seconds = 0;  // a third of the hold time (RFC 4271 §10)
  friend bool operator==(const NegotiatedSession&, const NegotiatedSession&) = default;
};

// Checks the peer's OPEN against ours and computes the session. Errors (RFC 4271 §6.2):
// a hold time of 1 or 2 seconds -> 2/6; the peer's AS (four-octet capability first, RFC 6793 §4.1)
// other than `expected_peer_as` when one is given -> 2/2; the peer's BGP Identifier equal to ours
// on an internal session -> 2/3 (RFC 6286 §2.1).
Decoded<NegotiatedSession> negotiate(const OpenMessage& ours, const OpenMessage& theirs,
                                     std::optional<uint32_t> expected_peer_as);

}  // namespace kubevip::bgp
