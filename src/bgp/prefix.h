// An IP prefix as BGP carries it in NLRI and withdrawn routes (RFC 4271 §4.3, RFC 4760 §5): a
// length in bits followed by the fewest octets that hold it.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "bgp/notification.h"
#include "bgp/wire.h"
#include "common/ip_address.h"

namespace kubevip::bgp {

struct Prefix {
  IpAddress address;  // bits past `length` are zero
  uint8_t length = 0;
  friend bool operator==(const Prefix&, const Prefix&) = default;

  // A host route: /32 or /128.
  static Prefix host(const IpAddress& address);
};

void encodePrefix(const Prefix& prefix, ByteWriter& w);

// Decodes prefixes of one family until `bytes` is used up. A length beyond the family's width or
// octets that run past the end give the NOTIFICATION (code, subcode) the caller names: the place
// of the field decides it (RFC 4271 §6.3 for IPv4 NLRI, RFC 4760 §7 inside MP attributes).
Decoded<std::vector<Prefix>> decodePrefixes(std::span<const uint8_t> bytes, IpFamily family,
                                            uint8_t error_subcode, const char* where);

}  // namespace kubevip::bgp
