// Reading a received ARP or Neighbor Advertisement frame as "host MAC says it holds address":
// the decision the conflict prober makes for every frame, kept pure so it is unit-tested.
#pragma once

#include <optional>
#include <span>

#include "common/ip_address.h"
#include "common/result.h"
#include "net/mac_address.h"

namespace kubevip::net {

struct AddressClaim {
  IpAddress address;
  MacAddress mac;
  friend bool operator==(const AddressClaim&, const AddressClaim&) = default;
};

// An ARP packet (request or reply) with a sender IP other than 0.0.0.0 claims its sender IP for
// its sender MAC; an NA claims its target for its target link-layer address (else its Ethernet
// source). std::nullopt for frames that claim nothing: ARP probes (RFC 5227 §2.1.1), frames from
// `own`, frames that are neither ARP nor IPv6. Malformed ARP/NA frames are kInvalidArgument.
Result<std::optional<AddressClaim>> claimInFrame(std::span<const uint8_t> frame,
                                                 const MacAddress& own);

}  // namespace kubevip::net
