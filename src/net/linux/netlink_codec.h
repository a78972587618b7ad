// rtnetlink address messages as plain byte values: building RTM_NEWADDR / RTM_DELADDR /
// RTM_GETADDR requests and parsing the kernel's answers and notifications.
//
// Pure functions (no sockets), so the exact bytes are tested against golden messages; the socket
// side is netlink_address_manager.cc. Netlink is host-endian: these bytes are what this machine's
// kernel reads. It lives under linux/ because it needs the kernel's struct layouts.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "common/ip_address.h"
#include "common/result.h"
#include "net/address_manager.h"

namespace kubevip::net::netlink {

// RTM_NEWADDR with NLM_F_REQUEST|NLM_F_ACK|NLM_F_CREATE|NLM_F_REPLACE: creates the address or, if
// present, replaces its lifetimes. Attributes IFA_LOCAL, IFA_ADDRESS, IFA_CACHEINFO (seconds;
// 0xffffffff = forever), IFA_FLAGS (IFA_F_NODAD for IPv6, also in ifa_flags). kInvalidArgument for
// a prefix out of range, valid == 0 or preferred > valid (the kernel's own rules, said earlier).
Result<std::vector<uint8_t>> encodeAddRequest(uint32_t seq, int ifindex, const IpAddress& address,
                                              int prefix_length, const AddressLifetime& lifetime);
// RTM_DELADDR with NLM_F_REQUEST|NLM_F_ACK, IFA_LOCAL and IFA_ADDRESS.
Result<std::vector<uint8_t>> encodeRemoveRequest(uint32_t seq, int ifindex,
                                                 const IpAddress& address, int prefix_length);
// RTM_GETADDR dump of every address of every family.
std::vector<uint8_t> encodeDumpRequest(uint32_t seq);

// One message of a netlink datagram; `payload` points into the datagram.
struct Message {
  uint16_t type = 0;
  uint16_t flags = 0;
  uint32_t seq = 0;
  uint32_t port = 0;
  std::span<const uint8_t> payload;
};

// Splits a received datagram into its messages; kInvalidArgument if a length is inconsistent.
Result<std::vector<Message>> splitMessages(std::span<const uint8_t> datagram);
// Whether `type` is NLMSG_ERROR, NLMSG_DONE, RTM_NEWADDR, RTM_DELADDR.
bool isError(const Message& m);
bool isDone(const Message& m);
bool isAddressMessage(const Message& m);
// For an NLMSG_ERROR message: 0 for an ack, else the positive errno the kernel reported.
Result<int> decodeErrorCode(const Message& m);

struct AddressRecord {
  AddressEvent event;
  uint32_t flags = 0;  // IFA_F_* (from IFA_FLAGS when present)
  std::optional<uint32_t> valid_seconds, preferred_seconds;  // from IFA_CACHEINFO
};

// Parses RTM_NEWADDR (kAdded) / RTM_DELADDR (kRemoved). The address is IFA_LOCAL when present
// (IPv4; IFA_ADDRESS is then the peer), else IFA_ADDRESS (IPv6). std::nullopt for families other
// than IPv4/IPv6; kInvalidArgument for a malformed message.
Result<std::optional<AddressRecord>> decodeAddressMessage(const Message& m);

}  // namespace kubevip::net::netlink
