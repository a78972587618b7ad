// IPv6 Neighbor Discovery (RFC 4861): pure encoders and a decoder for whole Ethernet frames
// (Ethernet II + IPv6 header + ICMPv6 message, checksum included, hop limit 255).
//
// The IPv6 counterpart of arp.h: the VIP holder sends unsolicited Neighbor Advertisements
// (RFC 4861 §7.2.6) so neighbours update their caches, and the controller probes for an address
// with a Duplicate Address Detection solicitation (RFC 4862 §5.4.2); a host that holds the address
// answers with an advertisement, which decodeNeighborAdvertisementFrame() parses.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "common/ip_address.h"
#include "common/result.h"
#include "net/mac_address.h"

namespace kubevip::net {

// §4.4 / §7.2.6: to ff02::1 (Ethernet 33:33:00:00:00:01), Override=1, Solicited=0, Router=0, with
// a Target Link-Layer Address option carrying `own`. `source` and `target` must be IPv6.
std::vector<uint8_t> encodeUnsolicitedNeighborAdvertisement(const MacAddress& own,
                                                            const IpAddress& source,
                                                            const IpAddress& target);
// §7.2.2 / RFC 4862 §5.4.2: source ::, destination the target's solicited-node multicast group
// (ff02::1:ffXX:XXXX, Ethernet 33:33:ff:XX:XX:XX), and no Source Link-Layer Address option
// (§4.3 forbids it with the unspecified source).
std::vector<uint8_t> encodeDadNeighborSolicitation(const MacAddress& own, const IpAddress& target);

struct NeighborAdvertisement {
  MacAddress eth_source;
  IpAddress source;
  IpAddress target;
  bool router = false, solicited = false, override_flag = false;
  std::optional<MacAddress> target_link_layer;
};

// Validates as RFC 4861 §7.1.2 asks: hop limit 255, ICMPv6 checksum, code 0, length >= 24,
// target not multicast, Solicited clear when sent to multicast, every option length > 0.
// Extension headers between IPv6 and ICMPv6 are not supported (rejected).
Result<NeighborAdvertisement> decodeNeighborAdvertisementFrame(std::span<const uint8_t> frame);

// The ICMPv6 checksum (RFC 4443 §2.3, pseudo-header of RFC 8200 §8.1) over `message` with its
// checksum field as it is; 0 means a received message verifies.
uint16_t icmpv6Checksum(const IpAddress& source, const IpAddress& destination,
                        std::span<const uint8_t> message);

}  // namespace kubevip::net
