#include "bgp/update.h"

#include <algorithm>
#include <string>

#include "bgp/message.h"
#include "bgp/wire.h"

namespace kubevip::bgp {
namespace {

DecodeError malformedList(const std::string& why) {
  return decodeError(NotificationCode::kUpdateMessage, update_error::kMalformedAttributeList,
                     "UPDATE: " + why);
}

DecodeError missing(uint8_t type, const char* name) {
  // RFC 4271 §6.3: the Data is the type code of the missing attribute.
  return decodeError(NotificationCode::kUpdateMessage, update_error::kMissingWellKnownAttribute,
                     std::string("UPDATE: ") + name + " is missing", {type},
                     ErrorAction::kTreatAsWithdraw);
}

Status oneFamily(const std::vector<Prefix>& prefixes, const char* what) {
  if (prefixes.empty()) {
    return makeError(ErrorCode::kInvalidArgument, std::string(what) + ": no prefixes given");
  }
  for (const Prefix& p : prefixes) {
    if (p.address.family() != prefixes.front().address.family()) {
      return makeError(ErrorCode::kInvalidArgument,
                       std::string(what) + ": " + p.address.toString() +
                           " is not of the same family as " + prefixes.front().address.toString() +
                           "; send one UPDATE per family");
    }
    if (p.length > p.address.hostPrefixLength()) {
      return makeError(ErrorCode::kInvalidArgument, std::string(what) + ": prefix length " +
                                                        std::to_string(p.length) + " of " +
                                                        p.address.toString() + " is too long");
    }
  }
  return okStatus();
}

}  // namespace

Result<std::vector<uint8_t>> encodeUpdate(const UpdateMessage& update, bool four_octet_as) {
  std::vector<uint8_t> body;
  ByteWriter w(body);
  std::size_t withdrawn_at = w.reserveU16();
  for (const Prefix& p : update.withdrawn) encodePrefix(p, w);
  std::size_t attrs_at = w.reserveU16();
  encodeAttributes(update.attributes, four_octet_as, body);
  std::size_t nlri_at = w.size();
  for (const Prefix& p : update.nlri) encodePrefix(p, w);
  if (kHeaderLength + body.size() > kMaxMessageLength) {
    return makeError(ErrorCode::kInvalidArgument,
                     "UPDATE of " + std::to_string(kHeaderLength + body.size()) +
                         " octets exceeds 4096; split its prefixes over several UPDATEs");
  }
  w.patchU16(withdrawn_at, static_cast<uint16_t>(attrs_at - withdrawn_at - 2));
  w.patchU16(attrs_at, static_cast<uint16_t>(nlri_at - attrs_at - 2));
  std::vector<uint8_t> out;
  out.reserve(kHeaderLength + body.size());
  appendHeader(MessageType::kUpdate, body.size(), out);
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

Decoded<UpdateMessage> decodeUpdate(std::span<const uint8_t> body, bool four_octet_as) {
  ByteReader r(body);
  if (!r.has(2)) return malformedList("shorter than its length fields");
  uint16_t withdrawn_length = r.u16();
  // RFC 4271 §6.3: Withdrawn Routes Length + Total Attribute Length + 23 exceeds the length.
  if (!r.has(withdrawn_length + 2u)) {
    return malformedList("withdrawn routes length " + std::to_string(withdrawn_length) +
                         " runs past the message");
  }
  auto withdrawn_bytes = r.take(withdrawn_length);
  uint16_t attributes_length = r.u16();
  if (!r.has(attributes_length)) {
    return malformedList("total path attribute length " + std::to_string(attributes_length) +
                         " runs past the message");
  }
  auto attribute_bytes = r.take(attributes_length);
  auto nlri_bytes = r.rest();

  // The prefix fields first: RFC 7606 §5.3 resets the session when they cannot be parsed, which
  // outranks any treat-as-withdraw error among the attributes.
  UpdateMessage update;
  auto withdrawn = decodePrefixes(withdrawn_bytes, IpFamily::kV4,
                                  update_error::kInvalidNetworkField, "withdrawn routes");
  if (!withdrawn) return withdrawn.error();
  update.withdrawn = std::move(withdrawn).value();
  auto nlri = decodePrefixes(nlri_bytes, IpFamily::kV4, update_error::kInvalidNetworkField, "NLRI");
  if (!nlri) return nlri.error();
  update.nlri = std::move(nlri).value();

  auto attributes = decodeAttributes(attribute_bytes, four_octet_as);
  if (!attributes) return attributes.error();
  update.attributes = std::move(attributes).value();

  // RFC 4271 §5 and RFC 4760 §3: routes need ORIGIN and AS_PATH; IPv4 NLRI also need NEXT_HOP.
  const PathAttributes& a = update.attributes;
  bool announces = !update.nlri.empty() || (a.mp_reach && !a.mp_reach->nlri.empty());
  if (announces) {
    if (!a.origin) return missing(kAttrOrigin, "ORIGIN");
    if (!a.as_path) return missing(kAttrAsPath, "AS_PATH");
    if (!update.nlri.empty() && !a.next_hop) return missing(kAttrNextHop, "NEXT_HOP");
  }
  return update;
}

Result<UpdateMessage> announce(const RouteAttributes& route, const std::vector<Prefix>& prefixes) {
  if (auto s = oneFamily(prefixes, "announce"); !s) return s.error();
  if (route.local_as == 0) {
    return makeError(ErrorCode::kInvalidArgument, "announce: the local AS is 0");
  }
  bool v4_routes = prefixes.front().address.isV4();
  if (!v4_routes && route.next_hop.isV4()) {
    return makeError(
        ErrorCode::kInvalidArgument,
        "announce: IPv6 routes need an IPv6 next hop, not " + route.next_hop.toString());
  }
  if (route.link_local_next_hop && route.next_hop.isV4()) {
    return makeError(ErrorCode::kInvalidArgument,
                     "announce: a link-local next hop needs an IPv6 global next hop");
  }
  UpdateMessage u;
  PathAttributes& a = u.attributes;
  a.origin = Origin::kIgp;
  // RFC 4271 §5.1.2: an originating speaker sends its own AS to external peers and an empty
  // AS_PATH to internal ones; §5.1.5: LOCAL_PREF only to internal peers.
  a.as_path = std::vector<AsPathSegment>{};
  if (route.external) {
    a.as_path->push_back(AsPathSegment{AsPathSegment::Type::kSequence, {route.local_as}});
  } else {
    a.local_pref = route.local_pref;
  }
  a.multi_exit_disc = route.multi_exit_disc;
  a.communities = route.communities;
  a.large_communities = route.large_communities;
  if (v4_routes && route.next_hop.isV4()) {
    a.next_hop = route.next_hop;
    u.nlri = prefixes;
  } else {
    a.mp_reach = MpReachNlri{v4_routes ? kIpv4Unicast : kIpv6Unicast, route.next_hop,
                             route.link_local_next_hop, prefixes};
  }
  return u;
}

Result<UpdateMessage> withdraw(const std::vector<Prefix>& prefixes) {
  if (auto s = oneFamily(prefixes, "withdraw"); !s) return s.error();
  UpdateMessage u;
  if (prefixes.front().address.isV4()) {
    u.withdrawn = prefixes;
  } else {
    u.attributes.mp_unreach = MpUnreachNlri{kIpv6Unicast, prefixes};
  }
  return u;
}

UpdateMessage endOfRib(AfiSafi family) {
  UpdateMessage u;
  if (family != kIpv4Unicast) u.attributes.mp_unreach = MpUnreachNlri{family, {}};
  return u;
}

std::optional<AfiSafi> endOfRibFamily(const UpdateMessage& u) {
  if (!u.withdrawn.empty() || !u.nlri.empty()) return std::nullopt;
  PathAttributes only_unreach;
  only_unreach.mp_unreach = u.attributes.mp_unreach;
  if (u.attributes != only_unreach) return std::nullopt;
  if (!u.attributes.mp_unreach) return kIpv4Unicast;
  if (!u.attributes.mp_unreach->withdrawn.empty()) return std::nullopt;
  return u.attributes.mp_unreach->family;
}

}  // namespace kubevip::bgp
