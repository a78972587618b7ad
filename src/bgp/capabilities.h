// BGP capabilities (RFC 5492): what a speaker offers in its OPEN, their wire form, and the result
// of negotiating ours against the peer's.
//
// Known capabilities are decoded into fields; any other capability is kept as raw bytes so that
// it can be logged (RFC 5492 §3: an unknown capability is ignored, not an error).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "bgp/notification.h"

namespace kubevip::bgp {

// Address family identifiers (IANA) and subsequent AFIs (RFC 4760).
inline constexpr uint16_t kAfiIpv4 = 1;
inline constexpr uint16_t kAfiIpv6 = 2;
inline constexpr uint8_t kSafiUnicast = 1;

struct AfiSafi {
  uint16_t afi = kAfiIpv4;
  uint8_t safi = kSafiUnicast;
  friend bool operator==(const AfiSafi&, const AfiSafi&) = default;
};
inline constexpr AfiSafi kIpv4Unicast{kAfiIpv4, kSafiUnicast};
inline constexpr AfiSafi kIpv6Unicast{kAfiIpv6, kSafiUnicast};

// Capability codes (IANA).
inline constexpr uint8_t kCapMultiprotocol = 1;     // RFC 4760 §8
inline constexpr uint8_t kCapRouteRefresh = 2;      // RFC 2918 §3
inline constexpr uint8_t kCapExtendedNextHop = 5;   // RFC 8950 §3
inline constexpr uint8_t kCapGracefulRestart = 64;  // RFC 4724 §3
inline constexpr uint8_t kCapFourOctetAs = 65;      // RFC 6793 §3

// RFC 4724 §3: the Restart Flags, the Restart Time and, per family, whether forwarding state was
// preserved across the restart.
struct GracefulRestart {
  bool restarting = false;            // R bit: the sender has restarted
  bool notification_support = false;  // N bit (RFC 8538 §2)
  uint16_t restart_time_seconds = 0;  // 12 bits on the wire
  struct Family {
    AfiSafi family;
    bool forwarding_preserved = false;
    friend bool operator==(const Family&, const Family&) = default;
  };
  std::vector<Family> families;
  friend bool operator==(const GracefulRestart&, const GracefulRestart&) = default;
};

// RFC 8950 §3: NLRI of (afi, safi) may carry a next hop of next_hop_afi.
struct ExtendedNextHop {
  uint16_t nlri_afi = kAfiIpv4;
  uint16_t nlri_safi = kSafiUnicast;
  uint16_t next_hop_afi = kAfiIpv6;
  friend bool operator==(const ExtendedNextHop&, const ExtendedNextHop&) = default;
};

struct RawCapability {
  uint8_t code = 0;
  std::vector<uint8_t> value;
  friend bool operator==(const RawCapability&, const RawCapability&) = default;
};

struct Capabilities {
  std::vector<AfiSafi> multiprotocol;
  bool route_refresh = false;
  std::optional<uint32_t> four_octet_as;
  std::optional<GracefulRestart> graceful_restart;
  std::vector<ExtendedNextHop> extended_next_hop;
  std::vector<RawCapability> others;
  friend bool operator==(const Capabilities&, const Capabilities&) = default;
};

// Appends the capabilities as (code, length, value) triples, the contents of one Capabilities
// optional parameter.
void encodeCapabilities(const Capabilities& caps, std::vector<uint8_t>& out);

// Adds the capabilities found in the value of one Capabilities optional parameter to `into`.
// A capability whose length does not fit, or whose value has the wrong size for its code, is an
// OPEN Message Error with subcode 0 (RFC 4271 §6.2: a recognized parameter that is malformed).
Decoded<bool> decodeCapabilities(std::span<const uint8_t> value, Capabilities& into);

}  // namespace kubevip::bgp
