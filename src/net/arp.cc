#include "net/arp.h"

#include <cassert>
#include <string>

#include "net/wire.h"

namespace kubevip::net {
namespace {

// RFC 826 field values for Ethernet hardware and IPv4 protocol addresses.
constexpr uint16_t kHardwareEthernet = 1;
constexpr uint8_t kHardwareLength = 6;
constexpr uint8_t kProtocolLength = 4;
constexpr size_t kArpPayloadSize = 28;
// IEEE 802.3 minimum frame size without the FCS, which the NIC appends.
constexpr size_t kMinimumFrameSize = 60;

Error malformed(const std::string& why) {
  return makeError(ErrorCode::kInvalidArgument, "malformed ARP frame: " + why);
}

}  // namespace

std::vector<uint8_t> encodeArpFrame(const ArpPacket& p) {
  assert(p.sender_ip.isV4() && p.target_ip.isV4());
  wire::Writer w;
  w.ethernet(p.eth_destination, p.eth_source, wire::kEtherTypeArp);
  w.u16(kHardwareEthernet);
  w.u16(wire::kEtherTypeIpv4);
  w.u8(kHardwareLength);
  w.u8(kProtocolLength);
  w.u16(static_cast<uint16_t>(p.operation));
  w.mac(p.sender_mac);
  w.ip(p.sender_ip);
  w.mac(p.target_mac);
  w.ip(p.target_ip);
  w.zeros(kMinimumFrameSize - w.size());
  return std::move(w.bytes());
}

std::vector<uint8_t> encodeGratuitousArpRequest(const MacAddress& own, const IpAddress& vip) {
  return encodeArpFrame({.eth_destination = MacAddress::broadcast(),
                         .eth_source = own,
                         .operation = ArpOperation::kRequest,
                         .sender_mac = own,
                         .sender_ip = vip,
                         .target_mac = MacAddress{},
                         .target_ip = vip});
}

std::vector<uint8_t> encodeGratuitousArpReply(const MacAddress& own, const IpAddress& vip) {
  return encodeArpFrame({.eth_destination = MacAddress::broadcast(),
                         .eth_source = own,
                         .operation = ArpOperation::kReply,
                         .sender_mac = own,
                         .sender_ip = vip,
                         .target_mac = own,
                         .target_ip = vip});
}

std::vector<uint8_t> encodeArpProbe(const MacAddress& own, const IpAddress& address) {
  return encodeArpFrame({.eth_destination = MacAddress::broadcast(),
                         .eth_source = own,
                         .operation = ArpOperation::kRequest,
                         .sender_mac = own,
                         .sender_ip = IpAddress::v4({0, 0, 0, 0}),
                         .target_mac = MacAddress{},
                         .target_ip = address});
}

Result<ArpPacket> decodeArpFrame(std::span<const uint8_t> frame) {
  constexpr size_t kNeeded = wire::kEthernetHeaderSize + kArpPayloadSize;
  if (frame.size() < kNeeded) {
    return malformed(std::to_string(frame.size()) + " bytes, need at least " +
                     std::to_string(kNeeded));
  }
  if (uint16_t type = wire::readU16(frame, 12); type != wire::kEtherTypeArp) {
    return malformed("ethertype " + std::to_string(type) + " is not ARP (2054)");
  }
  auto arp = frame.subspan(wire::kEthernetHeaderSize);
  if (wire::readU16(arp, 0) != kHardwareEthernet || wire::readU16(arp, 2) != wire::kEtherTypeIpv4 ||
      arp[4] != kHardwareLength || arp[5] != kProtocolLength) {
    return malformed("not Ethernet/IPv4 (hardware type, protocol type or lengths)");
  }
  uint16_t op = wire::readU16(arp, 6);
  if (op != static_cast<uint16_t>(ArpOperation::kRequest) &&
      op != static_cast<uint16_t>(ArpOperation::kReply)) {
    return malformed("operation " + std::to_string(op) + " is neither request nor reply");
  }
  ArpPacket p;
  p.eth_destination = wire::readMac(frame, 0);
  p.eth_source = wire::readMac(frame, 6);
  p.operation = static_cast<ArpOperation>(op);
  p.sender_mac = wire::readMac(arp, 8);
  p.sender_ip = wire::readV4(arp, 14);
  p.target_mac = wire::readMac(arp, 18);
  p.target_ip = wire::readV4(arp, 24);
  return p;
}

}  // namespace kubevip::net
