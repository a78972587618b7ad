// The UPDATEs one session sends (RFC 4271 §4.3): the speaker's host routes as this peer must see
// them, their withdrawal, and End-of-RIB. Pure: the session (session.h) sends what this returns.
//
// Per peer (RFC 4271 §5.1): eBGP gets AS_PATH [local AS] and no LOCAL_PREF, iBGP an empty AS_PATH
// and LOCAL_PREF (the policy's, else 100); the next hop is the session's local address, or for a
// route of the other family the one SpeakerSettings::cross_family_next_hop names. A route the peer
// cannot take (its family was not negotiated, no next hop of a usable family) is held back with
// the reason. Routes with identical attributes share one UPDATE, split when it would exceed 4096
// octets.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "bgp/capabilities.h"
#include "bgp/negotiation.h"
#include "bgp/speaker.h"
#include "common/ip_address.h"

namespace kubevip::bgp {

// Orders addresses (IPv4 before IPv6, then by bytes), so that UPDATEs come out in a stable order.
struct AddressLess {
  bool operator()(const IpAddress& a, const IpAddress& b) const;
};
using AnnouncedRoutes = std::map<IpAddress, RoutePolicy, AddressLess>;

// What the UPDATEs of one session depend on.
struct OutboundContext {
  uint32_t local_as = 0;
  uint32_t peer_as = 0;
  IpAddress local_address;  // the session's: the next hop of routes of its family
  NegotiatedSession negotiated;
  CrossFamilyNextHop cross_family_next_hop;  // may be empty: no cross-family next hop
};

struct HeldBackRoute {
  IpAddress address;
  std::string reason;  // one line naming the route and the peer's missing piece
};

struct OutboundUpdates {
  std::vector<std::vector<uint8_t>> messages;  // whole UPDATE messages, in sending order
  AnnouncedRoutes announced;                   // the routes the messages carry
  std::vector<HeldBackRoute> held_back;
};

// The family of a host route of `address`.
AfiSafi familyOf(const IpAddress& address);

// UPDATEs announcing `routes` to the peer of `context`.
OutboundUpdates announceRoutes(const OutboundContext& context, const AnnouncedRoutes& routes);
// UPDATEs withdrawing the host routes of `addresses` (one family per UPDATE).
std::vector<std::vector<uint8_t>> withdrawRoutes(const std::vector<IpAddress>& addresses,
                                                 bool four_octet_as);
// The End-of-RIB marker of `family` (RFC 4724 §2).
std::vector<uint8_t> endOfRibMessage(AfiSafi family, bool four_octet_as);

}  // namespace kubevip::bgp
