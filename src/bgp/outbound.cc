#include "bgp/outbound.h"

#include <algorithm>
#include <optional>

#include "bgp/update.h"

namespace kubevip::bgp {
namespace {

using Prefixes = std::vector<Prefix>;
using Build = std::function<Result<UpdateMessage>(const Prefixes&)>;

const char* familyName(const IpAddress& a) { return a.isV4() ? "IPv4" : "IPv6"; }

// Encodes the UPDATE `build` makes of `prefixes`; when it would exceed 4096 octets (RFC 4271
// §4.1), the prefixes are halved until each half fits. Returns the prefixes that fit in no UPDATE
// at all (a single prefix whose attributes alone are too long), with why.
std::vector<std::pair<Prefix, std::string>> encodeSplit(const Prefixes& prefixes,
                                                        const Build& build, bool four_octet_as,
                                                        std::vector<std::vector<uint8_t>>& out) {
  auto update = build(prefixes);
  if (!update) {
    std::vector<std::pair<Prefix, std::string>> failed;
    for (const Prefix& p : prefixes) failed.emplace_back(p, update.error().message);
    return failed;
  }
  auto bytes = encodeUpdate(*update, four_octet_as);
  if (bytes) {
    out.push_back(std::move(bytes).value());
    return {};
  }
  if (prefixes.size() == 1) return {{prefixes.front(), bytes.error().message}};
  const auto middle = prefixes.begin() + static_cast<std::ptrdiff_t>(prefixes.size() / 2);
  auto failed = encodeSplit(Prefixes(prefixes.begin(), middle), build, four_octet_as, out);
  auto more = encodeSplit(Prefixes(middle, prefixes.end()), build, four_octet_as, out);
  failed.insert(failed.end(), more.begin(), more.end());
  return failed;
}

// The next hop of a route of `address` on this session, or why there is none.
Result<IpAddress> nextHopFor(const OutboundContext& c, const IpAddress& address) {
  const std::string route = address.toString();
  if (address.family() == c.local_address.family()) return c.local_address;
  std::optional<IpAddress> next_hop;
  if (c.cross_family_next_hop)
    next_hop = c.cross_family_next_hop(address.family(), c.local_address);
  // RFC 8950 §4: with extended next hops negotiated, an IPv4 route over an IPv6 session may carry
  // the session's own IPv6 address, as an IPv6 route would; a configured IPv4 next hop wins.
  if (!next_hop && address.isV4() && c.negotiated.ipv4_over_ipv6_next_hop) {
    next_hop = c.local_address;
  }
  if (!next_hop) {
    return makeError(ErrorCode::kNotFound, std::string("no ") + familyName(address) +
                                               " next hop for the route of " + route + " on the " +
                                               familyName(c.local_address) + " session from " +
                                               c.local_address.toString());
  }
  // RFC 4760 §3 / RFC 2545: IPv6 routes need an IPv6 next hop; RFC 8950: an IPv4 route may have
  // an IPv6 next hop only when both sides offered the extended next hop capability.
  if (address.isV6() && next_hop->isV4()) {
    return makeError(
        ErrorCode::kInvalidArgument,
        "the route of " + route + " needs an IPv6 next hop, not " + next_hop->toString());
  }
  if (address.isV4() && next_hop->isV6() && !c.negotiated.ipv4_over_ipv6_next_hop) {
    return makeError(ErrorCode::kInvalidArgument,
                     "the route of " + route + " would need the IPv6 next hop " +
                         next_hop->toString() +
                         ", and the peer did not negotiate extended next hops (RFC 8950)");
  }
  return *next_hop;
}

// Routes sharing every attribute: one UPDATE carries them all.
struct Group {
  RoutePolicy policy;
  IpAddress next_hop;
  AfiSafi family;
  Prefixes prefixes;
};

RouteAttributes attributesFor(const OutboundContext& c, const Group& g) {
  RouteAttributes a;
  a.local_as = c.local_as;
  a.external = c.peer_as != c.local_as;
  a.local_pref = g.policy.local_pref.value_or(100);  // RFC 4271 §5.1.5: sent to iBGP only
  a.multi_exit_disc = g.policy.med;
  a.next_hop = g.next_hop;
  a.communities = g.policy.communities;
  a.large_communities = g.policy.large_communities;
  return a;
}

}  // namespace

bool AddressLess::operator()(const IpAddress& a, const IpAddress& b) const {
  if (a.family() != b.family()) return a.isV4();
  return std::lexicographical_compare(a.data(), a.data() + a.size(), b.data(), b.data() + b.size());
}

AfiSafi familyOf(const IpAddress& address) { return address.isV4() ? kIpv4Unicast : kIpv6Unicast; }

OutboundUpdates announceRoutes(const OutboundContext& c, const AnnouncedRoutes& routes) {
  OutboundUpdates result;
  std::vector<Group> groups;
  for (const auto& route : routes) {
    const IpAddress& address = route.first;
    const RoutePolicy& policy = route.second;
    const auto& families = c.negotiated.families;
    if (std::find(families.begin(), families.end(), familyOf(address)) == families.end()) {
      result.held_back.push_back({address, std::string("the route of ") + address.toString() +
                                               " is held back: the peer did not negotiate " +
                                               familyName(address) + " unicast"});
      continue;
    }
    auto next_hop = nextHopFor(c, address);
    if (!next_hop) {
      result.held_back.push_back({address, "the route of " + address.toString() +
                                               " is held back: " + next_hop.error().message});
      continue;
    }
    auto same = std::find_if(groups.begin(), groups.end(), [&](const Group& g) {
      return g.policy == policy && g.next_hop == *next_hop && g.family == familyOf(address);
    });
    if (same == groups.end()) {
      groups.push_back(Group{policy, *next_hop, familyOf(address), {}});
      same = groups.end() - 1;
    }
    same->prefixes.push_back(Prefix::host(address));
  }
  for (const Group& g : groups) {
    const RouteAttributes attributes = attributesFor(c, g);
    auto failed = encodeSplit(
        g.prefixes, [&](const Prefixes& p) { return announce(attributes, p); },
        c.negotiated.four_octet_as, result.messages);
    for (const Prefix& p : g.prefixes) {
      auto it =
          std::find_if(failed.begin(), failed.end(), [&](const auto& f) { return f.first == p; });
      if (it == failed.end()) {
        result.announced.emplace(p.address, g.policy);
      } else {
        result.held_back.push_back(
            {p.address, "the route of " + p.address.toString() + " is held back: " + it->second});
      }
    }
  }
  return result;
}

std::vector<std::vector<uint8_t>> withdrawRoutes(const std::vector<IpAddress>& addresses,
                                                 bool four_octet_as) {
  std::vector<std::vector<uint8_t>> out;
  for (IpFamily family : {IpFamily::kV4, IpFamily::kV6}) {
    Prefixes prefixes;
    for (const IpAddress& a : addresses) {
      if (a.family() == family) prefixes.push_back(Prefix::host(a));
    }
    if (prefixes.empty()) continue;
    // A withdrawal carries no attributes, so even a single host route always fits.
    (void)encodeSplit(
        prefixes, [](const Prefixes& p) { return withdraw(p); }, four_octet_as, out);
  }
  return out;
}

std::vector<uint8_t> endOfRibMessage(AfiSafi family, bool four_octet_as) {
  // An empty UPDATE, or one holding an empty MP_UNREACH_NLRI: always far below 4096 octets.
  return std::move(encodeUpdate(endOfRib(family), four_octet_as)).value();
}

}  // namespace kubevip::bgp
