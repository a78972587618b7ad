#include "bgp/negotiation.h"

#include <algorithm>
#include <string>

namespace kubevip::bgp {
namespace {

// RFC 4760 §8 and RFC 4271: a speaker that sends no Multiprotocol capability carries IPv4
// unicast only.
std::vector<AfiSafi> familiesOf(const Capabilities& caps) {
  if (caps.multiprotocol.empty()) return {kIpv4Unicast};
  return caps.multiprotocol;
}

bool offersIpv4OverIpv6(const Capabilities& caps) {
  return std::any_of(
      caps.extended_next_hop.begin(), caps.extended_next_hop.end(), [](const ExtendedNextHop& e) {
        return e.nlri_afi == kAfiIpv4 && e.nlri_safi == kSafiUnicast && e.next_hop_afi == kAfiIpv6;
      });
}

}  // namespace

Decoded<NegotiatedSession> negotiate(const OpenMessage& ours, const OpenMessage& theirs,
                                     std::optional<uint32_t> expected_peer_as) {
  // RFC 4271 §6.2: the Hold Time MUST be 0 or at least three seconds.
  if (theirs.hold_time_seconds == 1 || theirs.hold_time_seconds == 2) {
    return decodeError(NotificationCode::kOpenMessage, open_error::kUnacceptableHoldTime,
                       "OPEN: hold time " + std::to_string(theirs.hold_time_seconds) +
                           " is neither 0 nor at least 3 seconds");
  }
  NegotiatedSession s;
  s.peer_as = theirs.speakerAs();
  if (s.peer_as == 0 || (expected_peer_as && s.peer_as != *expected_peer_as)) {
    return decodeError(NotificationCode::kOpenMessage, open_error::kBadPeerAs,
                       "OPEN: peer AS " + std::to_string(s.peer_as) + " is not the expected " +
                           std::to_string(expected_peer_as.value_or(0)));
  }
  if (s.peer_as == ours.speakerAs() && theirs.bgp_identifier == ours.bgp_identifier) {
    return decodeError(NotificationCode::kOpenMessage, open_error::kBadBgpIdentifier,
                       "OPEN: internal peer uses our own BGP Identifier");
  }
  s.four_octet_as =
      ours.capabilities.four_octet_as.has_value() && theirs.capabilities.four_octet_as.has_value();
  std::vector<AfiSafi> their_families = familiesOf(theirs.capabilities);
  for (const AfiSafi& f : familiesOf(ours.capabilities)) {
    if (std::find(their_families.begin(), their_families.end(), f) != their_families.end()) {
      s.families.push_back(f);
    }
  }
  s.route_refresh = ours.capabilities.route_refresh && theirs.capabilities.route_refresh;
  s.ipv4_over_ipv6_next_hop =
      offersIpv4OverIpv6(ours.capabilities) && offersIpv4OverIpv6(theirs.capabilities);
  if (ours.capabilities.graceful_restart)
    s.peer_graceful_restart = theirs.capabilities.graceful_restart;
  s.hold_time_seconds = std::min(ours.hold_time_seconds, theirs.hold_time_seconds);
  s.keepalive_seconds = static_cast<uint16_t>(s.hold_time_seconds / 3);
  return s;
}

}  // namespace kubevip::bgp
