#include "bgp/attributes.h"

#include <algorithm>
#include <array>
#include <bitset>
#include <string>

#include "bgp/message.h"
#include "bgp/wire.h"

namespace kubevip::bgp {
namespace {

constexpr uint8_t kWellKnown = kFlagTransitive;  // mandatory or discretionary
constexpr uint8_t kOptionalTransitive = kFlagOptional | kFlagTransitive;
constexpr uint8_t kOptionalNonTransitive = kFlagOptional;

struct EncodedAttribute {
  uint8_t flags;
  uint8_t type;
  std::vector<uint8_t> value;
};

// RFC 7606 §5.1: MP_(UN)REACH_NLRI first, so that a receiver finds the NLRI even if a later
// attribute is malformed; then ascending type code (RFC 4271 §5).
int encodingRank(uint8_t type) {
  if (type == kAttrMpUnreachNlri) return -2;
  if (type == kAttrMpReachNlri) return -1;
  return type;
}

void writeAttribute(const EncodedAttribute& a, ByteWriter& w) {
  // RFC 4271 §4.3: the Extended Length bit allows a two-octet length. Used when needed, and always
  // for MP_REACH_NLRI, whose NLRI list is the part that grows (BIRD 2 does the same).
  bool extended = a.value.size() > 255 || a.type == kAttrMpReachNlri;
  w.u8(static_cast<uint8_t>((a.flags & ~kFlagExtendedLength) |
                            (extended ? kFlagExtendedLength : 0)));
  w.u8(a.type);
  if (extended) {
    w.u16(static_cast<uint16_t>(a.value.size()));
  } else {
    w.u8(static_cast<uint8_t>(a.value.size()));
  }
  w.bytes(a.value);
}

std::vector<uint8_t> encodeAsPath(const std::vector<AsPathSegment>& path, bool four_octets) {
  std::vector<uint8_t> v;
  ByteWriter w(v);
  for (const AsPathSegment& s : path) {
    w.u8(static_cast<uint8_t>(s.type));
    w.u8(static_cast<uint8_t>(s.asns.size()));
    for (uint32_t asn : s.asns) {
      if (four_octets) {
        w.u32(asn);
      } else {
        w.u16(asn > 0xffff ? kAsTrans : static_cast<uint16_t>(asn));  // RFC 6793 §4.2.2
      }
    }
  }
  return v;
}

bool needsAs4Path(const std::vector<AsPathSegment>& path) {
  return std::any_of(path.begin(), path.end(), [](const AsPathSegment& s) {
    return std::any_of(s.asns.begin(), s.asns.end(), [](uint32_t asn) { return asn > 0xffff; });
  });
}

std::vector<uint8_t> encodeMpReach(const MpReachNlri& mp) {
  std::vector<uint8_t> v;
  ByteWriter w(v);
  w.u16(mp.family.afi);
  w.u8(mp.family.safi);
  std::size_t next_hop_length = mp.next_hop.size() + (mp.link_local_next_hop ? 16 : 0);
  w.u8(static_cast<uint8_t>(next_hop_length));
  w.bytes(std::span(mp.next_hop.data(), mp.next_hop.size()));
  if (mp.link_local_next_hop) w.bytes(std::span(mp.link_local_next_hop->data(), 16));
  w.u8(0);  // reserved, RFC 4760 §3
  for (const Prefix& p : mp.nlri) encodePrefix(p, w);
  return v;
}

std::vector<uint8_t> encodeMpUnreach(const MpUnreachNlri& mp) {
  std::vector<uint8_t> v;
  ByteWriter w(v);
  w.u16(mp.family.afi);
  w.u8(mp.family.safi);
  for (const Prefix& p : mp.withdrawn) encodePrefix(p, w);
  return v;
}

std::vector<uint8_t> u32Value(uint32_t x) {
  std::vector<uint8_t> v;
  ByteWriter(v).u32(x);
  return v;
}

// ---- decoding ----

struct AttributeView {
  uint8_t flags;
  uint8_t type;
  std::span<const uint8_t> value;
  std::span<const uint8_t> whole;  // flags, type, length and value: the Data of most errors
};

std::vector<uint8_t> copyOf(std::span<const uint8_t> s) { return {s.begin(), s.end()}; }

DecodeError attributeError(uint8_t subcode, const AttributeView& a, const std::string& why,
                           ErrorAction action = ErrorAction::kTreatAsWithdraw) {
  return decodeError(NotificationCode::kUpdateMessage, subcode,
                     "UPDATE: attribute " + std::to_string(a.type) + ": " + why, copyOf(a.whole),
                     action);
}

// The flags RFC 4271 §5 and the defining RFCs give each recognized attribute.
std::optional<uint8_t> expectedFlags(uint8_t type) {
  switch (type) {
    case kAttrOrigin:
    case kAttrAsPath:
    case kAttrNextHop:
    case kAttrLocalPref:
      return kWellKnown;
    case kAttrMultiExitDisc:
    case kAttrMpReachNlri:
    case kAttrMpUnreachNlri:
      return kOptionalNonTransitive;
    case kAttrCommunities:
    case kAttrLargeCommunity:
      return kOptionalTransitive;
    default:
      return std::nullopt;
  }
}

Decoded<std::vector<AsPathSegment>> decodeAsPath(const AttributeView& a, bool four_octets) {
  std::vector<AsPathSegment> path;
  ByteReader r(a.value);
  const std::size_t as_size = four_octets ? 4 : 2;
  while (!r.empty()) {
    if (!r.has(2)) return attributeError(update_error::kMalformedAsPath, a, "segment cut short");
    uint8_t type = r.u8();
    uint8_t count = r.u8();
    // RFC 5065 adds the confederation types 3 and 4; RFC 7606 §7.2 makes an empty segment an error.
    if (type < 1 || type > 4 || count == 0 || !r.has(count * as_size)) {
      return attributeError(update_error::kMalformedAsPath, a,
                            "segment of type " + std::to_string(type) + " with " +
                                std::to_string(count) + " AS numbers is malformed");
    }
    AsPathSegment s;
    s.type = static_cast<AsPathSegment::Type>(type);
    for (uint8_t i = 0; i < count; ++i) s.asns.push_back(four_octets ? r.u32() : r.u16());
    path.push_back(std::move(s));
  }
  return path;
}

// RFC 4760 §3 and RFC 2545 §3 for IPv6 (16 or 32 octets: global, then link-local); RFC 8950 §3
// for IPv4 NLRI with an IPv6 next hop; 4 octets for IPv4 NLRI with an IPv4 next hop.
Decoded<MpReachNlri> decodeMpReach(const AttributeView& a) {
  auto fail = [&](const std::string& why) {
    return attributeError(update_error::kOptionalAttributeError, a, why,
                          ErrorAction::kSessionReset);  // RFC 7606 §7.11
  };
  ByteReader r(a.value);
  if (!r.has(5)) return fail("MP_REACH_NLRI shorter than its fixed fields");
  MpReachNlri mp;
  mp.family.afi = r.u16();
  mp.family.safi = r.u8();
  uint8_t nh_length = r.u8();
  if (!r.has(nh_length + 1u)) return fail("next hop length runs past the attribute");
  auto nh = r.take(nh_length);
  r.u8();  // reserved
  auto v6 = [](std::span<const uint8_t> b) {
    std::array<uint8_t, 16> raw{};
    std::copy(b.begin(), b.begin() + 16, raw.begin());
    return IpAddress::v6(raw);
  };
  if (nh_length == 16 || nh_length == 32) {
    mp.next_hop = v6(nh.first(16));
    if (nh_length == 32) mp.link_local_next_hop = v6(nh.subspan(16));
  } else if (nh_length == 4 && mp.family.afi == kAfiIpv4) {
    mp.next_hop = IpAddress::v4({nh[0], nh[1], nh[2], nh[3]});
  } else {
    return fail("next hop length " + std::to_string(nh_length) + " is not 4, 16 or 32");
  }
  IpFamily family = mp.family.afi == kAfiIpv4 ? IpFamily::kV4 : IpFamily::kV6;
  auto nlri =
      decodePrefixes(r.rest(), family, update_error::kOptionalAttributeError, "MP_REACH_NLRI");
  if (!nlri) return fail(nlri.error().reason);
  mp.nlri = std::move(nlri).value();
  return mp;
}

Decoded<MpUnreachNlri> decodeMpUnreach(const AttributeView& a) {
  ByteReader r(a.value);
  if (!r.has(3)) {
    return attributeError(update_error::kOptionalAttributeError, a,
                          "MP_UNREACH_NLRI shorter than its fixed fields",
                          ErrorAction::kSessionReset);
  }
  MpUnreachNlri mp;
  mp.family.afi = r.u16();
  mp.family.safi = r.u8();
  IpFamily family = mp.family.afi == kAfiIpv4 ? IpFamily::kV4 : IpFamily::kV6;
  auto withdrawn =
      decodePrefixes(r.rest(), family, update_error::kOptionalAttributeError, "MP_UNREACH_NLRI");
  if (!withdrawn) {
    return attributeError(update_error::kOptionalAttributeError, a, withdrawn.error().reason,
                          ErrorAction::kSessionReset);
  }
  mp.withdrawn = std::move(withdrawn).value();
  return mp;
}

bool isUnicastFamily(const AttributeView& a) {
  if (a.value.size() < 3) return true;  // too short: let the decoder report it
  uint16_t afi = static_cast<uint16_t>((a.value[0] << 8) | a.value[1]);
  return (afi == kAfiIpv4 || afi == kAfiIpv6) && a.value[2] == kSafiUnicast;
}

// Decodes one recognized attribute into `out`.
Decoded<bool> decodeKnown(const AttributeView& a, bool four_octet_as, PathAttributes& out) {
  ByteReader r(a.value);
  auto wrongLength = [&] {
    return attributeError(update_error::kAttributeLengthError, a,
                          "length " + std::to_string(a.value.size()) + " is wrong");
  };
  switch (a.type) {
    case kAttrOrigin: {
      if (a.value.size() != 1) return wrongLength();
      uint8_t origin = r.u8();
      if (origin > 2) {
        return attributeError(update_error::kInvalidOriginAttribute, a,
                              "ORIGIN " + std::to_string(origin) + " is undefined");
      }
      out.origin = static_cast<Origin>(origin);
      return true;
    }
    case kAttrAsPath: {
      auto path = decodeAsPath(a, four_octet_as);
      if (!path) return path.error();
      out.as_path = std::move(path).value();
      return true;
    }
    case kAttrNextHop: {
      if (a.value.size() != 4) return wrongLength();
      IpAddress nh = IpAddress::v4({a.value[0], a.value[1], a.value[2], a.value[3]});
      // RFC 4271 §6.3: a syntactically incorrect NEXT_HOP; 0.0.0.0, multicast and the limited
      // broadcast address can never be a next hop.
      if (nh.isUnspecified() || (a.value[0] & 0xf0) == 0xe0 || r.u32() == 0xffffffff) {
        return attributeError(update_error::kInvalidNextHopAttribute, a,
                              "NEXT_HOP " + nh.toString() + " is not a unicast address");
      }
      out.next_hop = nh;
      return true;
    }
    case kAttrMultiExitDisc:
      if (a.value.size() != 4) return wrongLength();
      out.multi_exit_disc = r.u32();
      return true;
    case kAttrLocalPref:
      if (a.value.size() != 4) return wrongLength();
      out.local_pref = r.u32();
      return true;
    case kAttrCommunities:
      // RFC 7606 §7.8: a length that is zero or not a multiple of 4.
      if (a.value.empty() || a.value.size() % 4 != 0) return wrongLength();
      while (!r.empty()) out.communities.push_back(r.u32());
      return true;
    case kAttrLargeCommunity:
      // RFC 8092 §5: a length that is zero or not a multiple of 12.
      if (a.value.empty() || a.value.size() % 12 != 0) return wrongLength();
      while (!r.empty()) {
        LargeCommunity c;
        c.global_administrator = r.u32();
        c.local_data_1 = r.u32();
        c.local_data_2 = r.u32();
        out.large_communities.push_back(c);
      }
      return true;
    case kAttrMpReachNlri: {
      auto mp = decodeMpReach(a);
      if (!mp) return mp.error();
      out.mp_reach = std::move(mp).value();
      return true;
    }
    case kAttrMpUnreachNlri: {
      auto mp = decodeMpUnreach(a);
      if (!mp) return mp.error();
      out.mp_unreach = std::move(mp).value();
      return true;
    }
    default:
      return true;
  }
}

}  // namespace

void encodeAttributes(const PathAttributes& attrs, bool four_octet_as, std::vector<uint8_t>& out) {
  std::vector<EncodedAttribute> list;
  if (attrs.origin) {
    list.push_back({kWellKnown, kAttrOrigin, {static_cast<uint8_t>(*attrs.origin)}});
  }
  if (attrs.as_path) {
    list.push_back({kWellKnown, kAttrAsPath, encodeAsPath(*attrs.as_path, four_octet_as)});
    if (!four_octet_as && needsAs4Path(*attrs.as_path)) {
      list.push_back({kOptionalTransitive, kAttrAs4Path, encodeAsPath(*attrs.as_path, true)});
    }
  }
  if (attrs.next_hop) {
    auto b = attrs.next_hop->v4Bytes();
    list.push_back({kWellKnown, kAttrNextHop, {b.begin(), b.end()}});
  }
  if (attrs.multi_exit_disc) {
    list.push_back({kOptionalNonTransitive, kAttrMultiExitDisc, u32Value(*attrs.multi_exit_disc)});
  }
  if (attrs.local_pref) {
    list.push_back({kWellKnown, kAttrLocalPref, u32Value(*attrs.local_pref)});
  }
  if (!attrs.communities.empty()) {
    std::vector<uint8_t> v;
    ByteWriter w(v);
    for (uint32_t c : attrs.communities) w.u32(c);
    list.push_back({kOptionalTransitive, kAttrCommunities, std::move(v)});
  }
  if (attrs.mp_reach) {
    list.push_back({kOptionalNonTransitive, kAttrMpReachNlri, encodeMpReach(*attrs.mp_reach)});
  }
  if (attrs.mp_unreach) {
    list.push_back(
        {kOptionalNonTransitive, kAttrMpUnreachNlri, encodeMpUnreach(*attrs.mp_unreach)});
  }
  if (!attrs.large_communities.empty()) {
    std::vector<uint8_t> v;
    ByteWriter w(v);
    for (const LargeCommunity& c : attrs.large_communities) {
      w.u32(c.global_administrator);
      w.u32(c.local_data_1);
      w.u32(c.local_data_2);
    }
    list.push_back({kOptionalTransitive, kAttrLargeCommunity, std::move(v)});
  }
  for (const RawAttribute& a : attrs.others) list.push_back({a.flags, a.type, a.value});
  std::stable_sort(list.begin(), list.end(), [](const auto& a, const auto& b) {
    return encodingRank(a.type) < encodingRank(b.type);
  });
  ByteWriter w(out);
  for (const EncodedAttribute& a : list) writeAttribute(a, w);
}

Decoded<PathAttributes> decodeAttributes(std::span<const uint8_t> bytes, bool four_octet_as) {
  PathAttributes out;
  std::bitset<256> seen;
  ByteReader r(bytes);
  // The first error that only withdraws is remembered while the walk goes on: a later one that
  // resets the session must win (RFC 7606 §3 j).
  std::optional<DecodeError> withdraw;
  while (!r.empty()) {
    ByteReader header = r;
    if (!r.has(3)) {
      return decodeError(NotificationCode::kUpdateMessage, update_error::kMalformedAttributeList,
                         "UPDATE: an attribute header is cut short");
    }
    uint8_t flags = r.u8();
    uint8_t type = r.u8();
    bool extended = (flags & kFlagExtendedLength) != 0;
    if (extended && !r.has(2)) {
      return decodeError(NotificationCode::kUpdateMessage, update_error::kMalformedAttributeList,
                         "UPDATE: an attribute header is cut short");
    }
    std::size_t length = extended ? r.u16() : r.u8();
    if (!r.has(length)) {
      // RFC 7606 §4: the attribute runs past the list, which can no longer be walked.
      return decodeError(NotificationCode::kUpdateMessage, update_error::kMalformedAttributeList,
                         "UPDATE: attribute " + std::to_string(type) + " length " +
                             std::to_string(length) + " runs past the path attributes");
    }
    std::size_t header_length = extended ? 4 : 3;
    AttributeView a{flags, type, r.take(length), header.take(header_length + length)};
    bool is_mp = type == kAttrMpReachNlri || type == kAttrMpUnreachNlri;
    if (seen.test(type)) {
      // RFC 4271 §6.3 calls a repeated attribute a malformed list; RFC 7606 §3 g keeps the session
      // unless it is an MP attribute, whose NLRI would be ambiguous.
      auto e = decodeError(NotificationCode::kUpdateMessage, update_error::kMalformedAttributeList,
                           "UPDATE: attribute " + std::to_string(type) + " appears twice", {},
                           is_mp ? ErrorAction::kSessionReset : ErrorAction::kTreatAsWithdraw);
      if (is_mp) return e;
      if (!withdraw) withdraw = e;
      continue;
    }
    seen.set(type);
    auto expected = expectedFlags(type);
    // An MP attribute of a family other than IPv4/IPv6 unicast is kept raw: we never negotiate one.
    bool known = expected.has_value() && (!is_mp || isUnicastFamily(a));
    if (!known) {
      if ((flags & kFlagOptional) == 0) {
        return attributeError(update_error::kUnrecognizedWellKnownAttribute, a,
                              "well-known attribute is not recognized", ErrorAction::kSessionReset);
      }
      out.others.push_back(
          RawAttribute{static_cast<uint8_t>(flags & ~kFlagExtendedLength), type, copyOf(a.value)});
      continue;
    }
    // RFC 4271 §6.3: flags that conflict with the type code. The Partial bit must be 0 unless the
    // attribute is optional transitive (RFC 4271 §4.3).
    uint8_t significant = flags & (kFlagOptional | kFlagTransitive);
    bool partial_allowed = *expected == kOptionalTransitive;
    if (significant != *expected || (!partial_allowed && (flags & kFlagPartial) != 0)) {
      auto e = attributeError(update_error::kAttributeFlagsError, a, "flags conflict with type",
                              is_mp ? ErrorAction::kSessionReset : ErrorAction::kTreatAsWithdraw);
      if (is_mp) return e;
      if (!withdraw) withdraw = e;
      continue;
    }
    auto decoded = decodeKnown(a, four_octet_as, out);
    if (!decoded) {
      if (decoded.error().action == ErrorAction::kSessionReset) return decoded.error();
      if (!withdraw) withdraw = decoded.error();
    }
  }
  if (withdraw) return *withdraw;
  return out;
}

}  // namespace kubevip::bgp
