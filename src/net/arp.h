// ARP (RFC 826) over Ethernet: pure encoders and a decoder for whole Ethernet II frames.
//
// The VIP holder announces its address with gratuitous ARP (RFC 5227 §2.3 announcements, plus the
// reply form of RFC 5944 §4.6 that older stacks honour); before taking an address the controller
// asks the segment whether it is already in use with ARP probes (RFC 5227 §2.1.1). The packet
// sockets in src/net/linux send and receive the frames these functions build and parse.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "common/ip_address.h"
#include "common/result.h"
#include "net/mac_address.h"

namespace kubevip::net {

enum class ArpOperation : uint16_t { kRequest = 1, kReply = 2 };

// An Ethernet/IPv4 ARP packet with its Ethernet addresses. The IP addresses must be IPv4.
struct ArpPacket {
  MacAddress eth_destination, eth_source;
  ArpOperation operation = ArpOperation::kRequest;
  MacAddress sender_mac;
  IpAddress sender_ip;
  MacAddress target_mac;
  IpAddress target_ip;
};

// A full Ethernet II frame (ethertype 0x0806), zero-padded to the 60-byte minimum.
std::vector<uint8_t> encodeArpFrame(const ArpPacket& packet);
// RFC 5227 §2.3 ARP Announcement: broadcast request, sender and target IP = vip, target MAC zero.
std::vector<uint8_t> encodeGratuitousArpRequest(const MacAddress& own, const IpAddress& vip);
// The reply form (op 2), broadcast; RFC 5944 §4.6: target MAC = sender MAC = own.
std::vector<uint8_t> encodeGratuitousArpReply(const MacAddress& own, const IpAddress& vip);
// RFC 5227 §2.1.1 ARP Probe: broadcast request, sender IP 0.0.0.0, target MAC zero.
std::vector<uint8_t> encodeArpProbe(const MacAddress& own, const IpAddress& address);

// Accepts Ethernet/IPv4 ARP requests and replies (padding allowed); rejects with kInvalidArgument
// and a message saying which field was wrong.
Result<ArpPacket> decodeArpFrame(std::span<const uint8_t> frame);

}  // namespace kubevip::net
