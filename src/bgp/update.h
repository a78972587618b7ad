// The UPDATE message (RFC 4271 §4.3): encoder, decoder, and builders for what an originating
// speaker sends: host routes for its addresses, their withdrawal, and End-of-RIB (RFC 4724 §2).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "bgp/attributes.h"
#include "bgp/capabilities.h"
#include "bgp/notification.h"
#include "bgp/prefix.h"
#include "common/result.h"

namespace kubevip::bgp {

struct UpdateMessage {
  std::vector<Prefix> withdrawn;  // IPv4 only; IPv6 goes in attributes.mp_unreach
  PathAttributes attributes;
  std::vector<Prefix> nlri;  // IPv4 only; IPv6 goes in attributes.mp_reach
  friend bool operator==(const UpdateMessage&, const UpdateMessage&) = default;
};

// The whole message, header included; an error when it would exceed 4096 octets (RFC 4271 §4.1),
// in which case the caller splits the prefixes over several UPDATEs.
Result<std::vector<uint8_t>> encodeUpdate(const UpdateMessage& update, bool four_octet_as);

// Decodes the body of an UPDATE Frame. RFC 4271 §6.3: lengths that do not add up -> 3/1; a bad
// IPv4 NLRI or withdrawn prefix -> 3/10; a missing ORIGIN, AS_PATH or (with IPv4 NLRI) NEXT_HOP
// -> 3/3 with the missing type code as data (treat-as-withdraw, RFC 7606 §3 d). Attribute errors
// are described at decodeAttributes().
Decoded<UpdateMessage> decodeUpdate(std::span<const uint8_t> body, bool four_octet_as);

// How this speaker's routes look to one peer.
struct RouteAttributes {
  uint32_t local_as = 0;
  bool external = true;  // eBGP: AS_PATH is our AS; iBGP: empty AS_PATH and LOCAL_PREF
  uint32_t local_pref = 100;
  std::optional<uint32_t> multi_exit_disc;
  IpAddress next_hop;  // IPv4 for IPv4 routes, or IPv6 for either family (RFC 8950)
  std::optional<IpAddress> link_local_next_hop;  // only with an IPv6 next hop
  std::vector<uint32_t> communities;
  std::vector<LargeCommunity> large_communities;
};

// An UPDATE announcing prefixes of one family with ORIGIN IGP. IPv4 prefixes with an IPv4 next
// hop go in the NLRI field with NEXT_HOP; IPv6 prefixes, and IPv4 prefixes with an IPv6 next hop
// (RFC 8950, only when the peer offered the extended next hop capability), go in MP_REACH_NLRI.
Result<UpdateMessage> announce(const RouteAttributes& route, const std::vector<Prefix>& prefixes);
// An UPDATE withdrawing prefixes of one family (IPv6 in MP_UNREACH_NLRI, RFC 4760 §4).
Result<UpdateMessage> withdraw(const std::vector<Prefix>& prefixes);

// End-of-RIB (RFC 4724 §2): an empty UPDATE for IPv4 unicast, an UPDATE holding only an empty
// MP_UNREACH_NLRI for any other family.
UpdateMessage endOfRib(AfiSafi family);
// The family whose End-of-RIB this UPDATE is, if it is one.
std::optional<AfiSafi> endOfRibFamily(const UpdateMessage& update);

}  // namespace kubevip::bgp
