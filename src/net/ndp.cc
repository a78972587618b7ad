#include "net/ndp.h"

#include <cassert>
#include <string>

#include "net/wire.h"

namespace kubevip::net {
namespace {

constexpr size_t kIpv6HeaderSize = 40;
constexpr uint8_t kNextHeaderIcmpv6 = 58;
// §7.1.1/§7.1.2: ND messages are sent with, and only accepted with, hop limit 255.
constexpr uint8_t kNdHopLimit = 255;
constexpr uint8_t kTypeNeighborSolicitation = 135;
constexpr uint8_t kTypeNeighborAdvertisement = 136;
constexpr size_t kNeighborMessageSize = 24;  // type..target, without options
constexpr uint8_t kOptionTargetLinkLayer = 2;
constexpr uint8_t kFlagRouter = 0x80;
constexpr uint8_t kFlagSolicited = 0x40;
constexpr uint8_t kFlagOverride = 0x20;

const IpAddress kAllNodes = IpAddress::v6({0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1});
const IpAddress kUnspecified6 = IpAddress::v6({});

// RFC 2464 §7: IPv6 multicast maps to 33:33 followed by the group's last four bytes.
MacAddress multicastMac(const IpAddress& group) {
  const auto& g = group.raw();
  return MacAddress{{0x33, 0x33, g[12], g[13], g[14], g[15]}};
}

// RFC 4291 §2.7.1: ff02::1:ff00:0/104 plus the low 24 bits of the address.
IpAddress solicitedNodeGroup(const IpAddress& target) {
  const auto& t = target.raw();
  return IpAddress::v6({0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff, t[13], t[14], t[15]});
}

// Builds Ethernet + IPv6 + `icmp` (whose checksum bytes 2..3 are zero) and fills the checksum.
std::vector<uint8_t> frameIcmpv6(const MacAddress& eth_dst, const MacAddress& eth_src,
                                 const IpAddress& src, const IpAddress& dst,
                                 std::vector<uint8_t> icmp) {
  uint16_t sum = icmpv6Checksum(src, dst, icmp);
  icmp[2] = static_cast<uint8_t>(sum >> 8);
  icmp[3] = static_cast<uint8_t>(sum);
  wire::Writer w;
  w.ethernet(eth_dst, eth_src, wire::kEtherTypeIpv6);
  w.u32(0x60000000);  // version 6, traffic class 0, flow label 0
  w.u16(static_cast<uint16_t>(icmp.size()));
  w.u8(kNextHeaderIcmpv6);
  w.u8(kNdHopLimit);
  w.ip(src);
  w.ip(dst);
  w.bytes().insert(w.bytes().end(), icmp.begin(), icmp.end());
  return std::move(w.bytes());
}

Error malformed(const std::string& why) {
  return makeError(ErrorCode::kInvalidArgument, "malformed neighbor advertisement: " + why);
}

}  // namespace

uint16_t icmpv6Checksum(const IpAddress& source, const IpAddress& destination,
                        std::span<const uint8_t> message) {
  uint32_t sum = 0;
  auto add = [&](std::span<const uint8_t> bytes) {
    for (size_t i = 0; i + 1 < bytes.size(); i += 2) sum += wire::readU16(bytes, i);
    if (bytes.size() % 2 != 0) sum += static_cast<uint32_t>(bytes.back()) << 8;
  };
  add({source.data(), 16});
  add({destination.data(), 16});
  auto length = static_cast<uint32_t>(message.size());
  sum += length >> 16;
  sum += length & 0xffff;
  sum += kNextHeaderIcmpv6;
  add(message);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

std::vector<uint8_t> encodeUnsolicitedNeighborAdvertisement(const MacAddress& own,
                                                            const IpAddress& source,
                                                            const IpAddress& target) {
  assert(source.isV6() && target.isV6());
  wire::Writer icmp;
  icmp.u8(kTypeNeighborAdvertisement);
  icmp.u8(0);   // code
  icmp.u16(0);  // checksum, filled in below
  icmp.u8(kFlagOverride);
  icmp.zeros(3);  // rest of the flags word: reserved
  icmp.ip(target);
  icmp.u8(kOptionTargetLinkLayer);
  icmp.u8(1);  // option length in units of 8 bytes
  icmp.mac(own);
  return frameIcmpv6(multicastMac(kAllNodes), own, source, kAllNodes, std::move(icmp.bytes()));
}

std::vector<uint8_t> encodeDadNeighborSolicitation(const MacAddress& own, const IpAddress& target) {
  assert(target.isV6());
  IpAddress group = solicitedNodeGroup(target);
  wire::Writer icmp;
  icmp.u8(kTypeNeighborSolicitation);
  icmp.u8(0);     // code
  icmp.u16(0);    // checksum, filled in below
  icmp.zeros(4);  // reserved
  icmp.ip(target);
  return frameIcmpv6(multicastMac(group), own, kUnspecified6, group, std::move(icmp.bytes()));
}

Result<NeighborAdvertisement> decodeNeighborAdvertisementFrame(std::span<const uint8_t> frame) {
  constexpr size_t kIcmpAt = wire::kEthernetHeaderSize + kIpv6HeaderSize;
  if (frame.size() < kIcmpAt + kNeighborMessageSize) {
    return malformed(std::to_string(frame.size()) + " bytes, need at least " +
                     std::to_string(kIcmpAt + kNeighborMessageSize));
  }
  if (uint16_t type = wire::readU16(frame, 12); type != wire::kEtherTypeIpv6) {
    return malformed("ethertype " + std::to_string(type) + " is not IPv6 (34525)");
  }
  auto ip6 = frame.subspan(wire::kEthernetHeaderSize);
  if ((ip6[0] >> 4) != 6) return malformed("IP version " + std::to_string(ip6[0] >> 4));
  if (ip6[6] != kNextHeaderIcmpv6) {
    return malformed("next header " + std::to_string(ip6[6]) + " is not ICMPv6");
  }
  if (ip6[7] != kNdHopLimit) {
    return malformed("hop limit " + std::to_string(ip6[7]) + ", must be 255 (RFC 4861 §7.1.2)");
  }
  size_t payload = wire::readU16(ip6, 4);
  if (payload < kNeighborMessageSize || kIcmpAt + payload > frame.size()) {
    return malformed("IPv6 payload length " + std::to_string(payload) + " does not fit");
  }
  IpAddress src = wire::readV6(ip6, 8);
  IpAddress dst = wire::readV6(ip6, 24);
  auto icmp = frame.subspan(kIcmpAt, payload);
  if (icmp[0] != kTypeNeighborAdvertisement) {
    return malformed("ICMPv6 type " + std::to_string(icmp[0]) + " is not 136");
  }
  if (icmp[1] != 0) return malformed("ICMPv6 code " + std::to_string(icmp[1]) + " is not 0");
  if (icmpv6Checksum(src, dst, icmp) != 0) return malformed("bad ICMPv6 checksum");

  NeighborAdvertisement na;
  na.eth_source = wire::readMac(frame, 6);
  na.source = src;
  na.target = wire::readV6(icmp, 8);
  na.router = (icmp[4] & kFlagRouter) != 0;
  na.solicited = (icmp[4] & kFlagSolicited) != 0;
  na.override_flag = (icmp[4] & kFlagOverride) != 0;
  if (na.target.raw()[0] == 0xff) return malformed("target is a multicast address");
  if (dst.raw()[0] == 0xff && na.solicited) {
    return malformed("Solicited flag set on a multicast advertisement");
  }
  for (size_t at = kNeighborMessageSize; at < icmp.size();) {
    if (icmp.size() - at < 2) return malformed("truncated option");
    size_t length = static_cast<size_t>(icmp[at + 1]) * 8;
    if (length == 0) return malformed("option with length 0");
    if (at + length > icmp.size()) return malformed("option runs past the message");
    if (icmp[at] == kOptionTargetLinkLayer && length >= 8) {
      na.target_link_layer = wire::readMac(icmp, at + 2);
    }
    at += length;
  }
  return na;
}

}  // namespace kubevip::net
