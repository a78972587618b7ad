#include "net/linux/packet_filter.h"

#include <linux/if_ether.h>

#include <cstdint>

namespace kubevip::net {
namespace {

// Offsets into an untagged Ethernet II frame.
constexpr uint32_t kOffEtherType = 12;
constexpr uint32_t kOffArpSenderIp = 14 + 14;  // RFC 826: after htype, ptype, hlen, plen, op, sha
constexpr uint32_t kOffArpTargetIp = 14 + 24;  // after the target hardware address
constexpr uint32_t kOffIpv6NextHeader = 14 + 6;
constexpr uint32_t kOffIcmpv6Type = 14 + 40;
constexpr uint32_t kOffNdTarget = kOffIcmpv6Type + 8;  // RFC 4861 §4.3, §4.4: after type..reserved
constexpr uint32_t kIcmpv6 = 58;
constexpr uint32_t kNeighborSolicitation = 135;
constexpr uint32_t kNeighborAdvertisement = 136;
constexpr uint32_t kAccept = 0xffff;  // bytes to keep: the whole frame

// A 32-bit word of `bytes` at `offset` as BPF_W loads it (network order).
uint32_t word(const uint8_t* bytes) {
  return uint32_t{bytes[0]} << 24 | uint32_t{bytes[1]} << 16 | uint32_t{bytes[2]} << 8 |
         uint32_t{bytes[3]};
}

sock_filter load(uint16_t size, uint32_t offset) {
  return BPF_STMT(static_cast<uint16_t>(BPF_LD | size | BPF_ABS), offset);
}
sock_filter jumpIfEqual(uint32_t value, uint8_t if_equal, uint8_t otherwise) {
  return BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, value, if_equal, otherwise);
}
sock_filter ret(uint32_t bytes) { return BPF_STMT(BPF_RET | BPF_K, bytes); }

// Jump offsets count instructions after the current one; a load beyond the frame's end makes
// the kernel drop the frame, so no length checks are needed.
std::vector<sock_filter> arpFilter(const IpAddress& address) {
  const uint32_t ip = word(address.data());
  return {
      /* 0 */ load(BPF_H, kOffEtherType),
      /* 1 */ jumpIfEqual(ETH_P_ARP, 0, 4),  // not ARP -> 6 drop
      /* 2 */ load(BPF_W, kOffArpSenderIp),
      /* 3 */ jumpIfEqual(ip, 3, 0),  // sender is the address -> 7 accept
      /* 4 */ load(BPF_W, kOffArpTargetIp),
      /* 5 */ jumpIfEqual(ip, 1, 0),  // target is the address -> 7 accept
      /* 6 */ ret(0),
      /* 7 */ ret(kAccept),
  };
}

std::vector<sock_filter> neighborDiscoveryFilter(const IpAddress& address) {
  const uint8_t* target = address.data();
  return {
      /*  0 */ load(BPF_H, kOffEtherType),
      /*  1 */ jumpIfEqual(ETH_P_IPV6, 0, 13),  // not IPv6 -> 15 drop
      /*  2 */ load(BPF_B, kOffIpv6NextHeader),
      /*  3 */ jumpIfEqual(kIcmpv6, 0, 11),  // not ICMPv6 -> 15 drop
      /*  4 */ load(BPF_B, kOffIcmpv6Type),
      /*  5 */ jumpIfEqual(kNeighborSolicitation, 1, 0),   // NS -> 7
      /*  6 */ jumpIfEqual(kNeighborAdvertisement, 0, 8),  // neither -> 15 drop
      /*  7 */ load(BPF_W, kOffNdTarget),
      /*  8 */ jumpIfEqual(word(target), 0, 6),  // -> 15 drop
      /*  9 */ load(BPF_W, kOffNdTarget + 4),
      /* 10 */ jumpIfEqual(word(target + 4), 0, 4),
      /* 11 */ load(BPF_W, kOffNdTarget + 8),
      /* 12 */ jumpIfEqual(word(target + 8), 0, 2),
      /* 13 */ load(BPF_W, kOffNdTarget + 12),
      /* 14 */ jumpIfEqual(word(target + 12), 1, 0),  // whole target matches -> 16 accept
      /* 15 */ ret(0),
      /* 16 */ ret(kAccept),
  };
}

}  // namespace

std::vector<sock_filter> anyAddressClaimFilter(IpFamily family) {
  if (family == IpFamily::kV4) {
    return {
        /* 0 */ load(BPF_H, kOffEtherType),
        /* 1 */ jumpIfEqual(ETH_P_ARP, 0, 1),  // not ARP -> 3 drop
        /* 2 */ ret(kAccept),
        /* 3 */ ret(0),
    };
  }
  return {
      /* 0 */ load(BPF_H, kOffEtherType),
      /* 1 */ jumpIfEqual(ETH_P_IPV6, 0, 6),  // not IPv6 -> 8 drop
      /* 2 */ load(BPF_B, kOffIpv6NextHeader),
      /* 3 */ jumpIfEqual(kIcmpv6, 0, 4),  // not ICMPv6 -> 8 drop
      /* 4 */ load(BPF_B, kOffIcmpv6Type),
      /* 5 */ jumpIfEqual(kNeighborSolicitation, 1, 0),   // NS -> 7 accept
      /* 6 */ jumpIfEqual(kNeighborAdvertisement, 0, 1),  // neither -> 8 drop
      /* 7 */ ret(kAccept),
      /* 8 */ ret(0),
  };
}

std::vector<sock_filter> addressClaimFilter(const IpAddress& address) {
  return address.isV4() ? arpFilter(address) : neighborDiscoveryFilter(address);
}

}  // namespace kubevip::net
