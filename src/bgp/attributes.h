// UPDATE path attributes (RFC 4271 §4.3, §5) as plain values, and the codec of the attribute
// list. Recognized: ORIGIN, AS_PATH, NEXT_HOP, MULTI_EXIT_DISC, LOCAL_PREF, COMMUNITIES (RFC 1997),
// MP_REACH_NLRI / MP_UNREACH_NLRI (RFC 4760) for IPv4 and IPv6 unicast, LARGE_COMMUNITY
// (RFC 8092). Any other attribute, including AS4_PATH (RFC 6793), is kept as raw bytes.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "bgp/capabilities.h"
#include "bgp/notification.h"
#include "bgp/prefix.h"
#include "common/ip_address.h"

namespace kubevip::bgp {

// Attribute type codes (IANA).
inline constexpr uint8_t kAttrOrigin = 1;
inline constexpr uint8_t kAttrAsPath = 2;
inline constexpr uint8_t kAttrNextHop = 3;
inline constexpr uint8_t kAttrMultiExitDisc = 4;
inline constexpr uint8_t kAttrLocalPref = 5;
inline constexpr uint8_t kAttrCommunities = 8;
inline constexpr uint8_t kAttrMpReachNlri = 14;
inline constexpr uint8_t kAttrMpUnreachNlri = 15;
inline constexpr uint8_t kAttrAs4Path = 17;
inline constexpr uint8_t kAttrLargeCommunity = 32;

// Attribute flags, RFC 4271 §4.3.
inline constexpr uint8_t kFlagOptional = 0x80;
inline constexpr uint8_t kFlagTransitive = 0x40;
inline constexpr uint8_t kFlagPartial = 0x20;
inline constexpr uint8_t kFlagExtendedLength = 0x10;

enum class Origin : uint8_t { kIgp = 0, kEgp = 1, kIncomplete = 2 };

struct AsPathSegment {
  enum class Type : uint8_t { kSet = 1, kSequence = 2, kConfedSequence = 3, kConfedSet = 4 };
  Type type = Type::kSequence;
  std::vector<uint32_t> asns;
  friend bool operator==(const AsPathSegment&, const AsPathSegment&) = default;
};

struct LargeCommunity {
  uint32_t global_administrator = 0;
  uint32_t local_data_1 = 0;
  uint32_t local_data_2 = 0;
  friend bool operator==(const LargeCommunity&, const LargeCommunity&) = default;
};

struct MpReachNlri {
  AfiSafi family = kIpv6Unicast;
  IpAddress next_hop;                            // global
  std::optional<IpAddress> link_local_next_hop;  // RFC 2545 §3: the second IPv6 next hop
  std::vector<Prefix> nlri;
  friend bool operator==(const MpReachNlri&, const MpReachNlri&) = default;
};

struct MpUnreachNlri {
  AfiSafi family = kIpv6Unicast;
  std::vector<Prefix> withdrawn;
  friend bool operator==(const MpUnreachNlri&, const MpUnreachNlri&) = default;
};

struct RawAttribute {
  uint8_t flags = 0;  // without the Extended Length bit, which the encoder chooses
  uint8_t type = 0;
  std::vector<uint8_t> value;
  friend bool operator==(const RawAttribute&, const RawAttribute&) = default;
};

struct PathAttributes {
  std::optional<Origin> origin;
  std::optional<std::vector<AsPathSegment>> as_path;  // present and empty: an iBGP origination
  std::optional<IpAddress> next_hop;
  std::optional<uint32_t> multi_exit_disc;
  std::optional<uint32_t> local_pref;
  std::vector<uint32_t> communities;  // empty: attribute absent
  std::vector<LargeCommunity> large_communities;
  std::optional<MpReachNlri> mp_reach;
  std::optional<MpUnreachNlri> mp_unreach;
  std::vector<RawAttribute> others;
  friend bool operator==(const PathAttributes&, const PathAttributes&) = default;
};

// Appends the attribute list. AS numbers take four octets when the session negotiated the
// four-octet AS capability. Otherwise (RFC 6793 §4.2.2) an AS above 65535 is written as AS_TRANS
// in AS_PATH and the real path follows in an AS4_PATH attribute. MP_UNREACH_NLRI and MP_REACH_NLRI
// come first (RFC 7606 §5.1), the rest in type code order (RFC 4271 §5).
void encodeAttributes(const PathAttributes& attributes, bool four_octet_as,
                      std::vector<uint8_t>& out);

// Decodes the Path Attributes field of an UPDATE. Errors follow RFC 4271 §6.3 for the NOTIFICATION
// and RFC 7606 for the action: an attribute list that cannot be walked, a repeated or malformed
// MP_REACH/MP_UNREACH, or an unrecognized well-known attribute reset the session; a bad value or
// flags of another recognized attribute is treat-as-withdraw (RFC 7606 §7).
Decoded<PathAttributes> decodeAttributes(std::span<const uint8_t> bytes, bool four_octet_as);

}  // namespace kubevip::bgp
