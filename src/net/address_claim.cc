#include "net/address_claim.h"

#include "net/arp.h"
#include "net/ndp.h"
#include "net/wire.h"

namespace kubevip::net {

Result<std::optional<AddressClaim>> claimInFrame(std::span<const uint8_t> frame,
                                                 const MacAddress& own) {
  using None = std::optional<AddressClaim>;
  if (frame.size() < wire::kEthernetHeaderSize) return None{};
  const uint16_t type = wire::readU16(frame, 12);
  if (type == wire::kEtherTypeArp) {
    auto arp = decodeArpFrame(frame);
    if (!arp) return arp.error();
    if (arp->sender_ip.isUnspecified()) return None{};
    if (arp->sender_mac == own || arp->eth_source == own) return None{};
    return None{AddressClaim{arp->sender_ip, arp->sender_mac}};
  }
  if (type == wire::kEtherTypeIpv6) {
    auto na = decodeNeighborAdvertisementFrame(frame);
    if (!na) return na.error();
    MacAddress claimer = na->target_link_layer.value_or(na->eth_source);
    if (claimer == own || na->eth_source == own) return None{};
    return None{AddressClaim{na->target, claimer}};
  }
  return None{};
}

}  // namespace kubevip::net
