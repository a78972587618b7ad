#include "daemon/bgp_settings.h"

#include <algorithm>
#include <cctype>

namespace kubevip::daemon {
namespace {

// An address every node may have as well, so it identifies nothing: IPv4 127/8 and 169.254/16
// (RFC 1122 §3.2.1.3, RFC 3927); IPv6 ::1, fe80::/10 (RFC 4291 §2.5.3, §2.5.6) and unspecified.
bool isGlobal(const IpAddress& a) {
  if (a.isUnspecified()) return false;
  if (a.isV4()) {
    const auto b = a.v4Bytes();
    return b[0] != 127 && !(b[0] == 169 && b[1] == 254);
  }
  const auto& b = a.raw();
  const bool loopback =
      std::all_of(b.begin(), b.end() - 1, [](uint8_t x) { return x == 0; }) && b[15] == 1;
  const bool link_local = b[0] == 0xfe && (b[1] & 0xc0) == 0x80;
  return !loopback && !link_local;
}

std::optional<IpAddress> firstGlobal(const InterfaceLookup& lookup, const std::string& name,
                                     IpFamily family) {
  auto info = lookup(name);
  if (!info) return std::nullopt;
  for (const IpAddress& a : info->addresses) {
    if (a.family() == family && isGlobal(a)) return a;
  }
  return std::nullopt;
}

bgp::CrossFamilyNextHop crossFamilyNextHop(const config::BgpConfig& bgp, InterfaceLookup lookup) {
  switch (bgp.mpbgp_nexthop) {
    case config::MpBgpNextHop::kFixed:
      return [v4 = bgp.mpbgp_ipv4, v6 = bgp.mpbgp_ipv6](IpFamily family, const IpAddress&) {
        return family == IpFamily::kV4 ? v4 : v6;
      };
    case config::MpBgpNextHop::kAutoSourceIp:
      return
          [source = bgp.source_ip](IpFamily family, const IpAddress&) -> std::optional<IpAddress> {
            if (source && source->family() == family) return source;
            return std::nullopt;
          };
    case config::MpBgpNextHop::kAutoSourceInterface:
      return [lookup = std::move(lookup), name = bgp.source_interface](
                 IpFamily family, const IpAddress&) { return firstGlobal(lookup, name, family); };
    case config::MpBgpNextHop::kDefault:
      break;
  }
  return [](IpFamily, const IpAddress&) -> std::optional<IpAddress> { return std::nullopt; };
}

uint32_t hostOrder(const IpAddress& v4) {
  const auto b = v4.v4Bytes();
  return uint32_t{b[0]} << 24 | uint32_t{b[1]} << 16 | uint32_t{b[2]} << 8 | uint32_t{b[3]};
}

}  // namespace

Result<uint32_t> routerIdFrom(const config::BgpConfig& bgp, const std::string& vip_interface,
                              const InterfaceLookup& lookup) {
  if (bgp.router_id) return hostOrder(*bgp.router_id);
  const bool own = !bgp.router_interface.empty();
  const std::string& name = own ? bgp.router_interface : vip_interface;
  const std::string settings = own ? "bgp.routerInterface (bgp_routerinterface)"
                                   : "interface (vip_interface), since neither bgp.routerID "
                                     "(bgp_routerid) nor bgp.routerInterface is set";
  auto info = lookup(name);
  if (!info) {
    return makeError(ErrorCode::kInvalidArgument,
                     "bgp: no router id: " + info.error().message + " (named by " + settings + ")");
  }
  for (const IpAddress& a : info->addresses) {
    if (a.isV4() && isGlobal(a)) return hostOrder(a);
  }
  return makeError(ErrorCode::kInvalidArgument,
                   "bgp: no router id: interface '" + name + "' (named by " + settings +
                       ") has no IPv4 address other than loopback or link-local; set "
                       "bgp.routerID (bgp_routerid)");
}

Result<bgp::SpeakerSettings> speakerSettingsFrom(const config::BgpConfig& bgp,
                                                 const std::string& vip_interface,
                                                 InterfaceLookup lookup) {
  auto router_id = routerIdFrom(bgp, vip_interface, lookup);
  if (!router_id) return router_id.error();
  bgp::SpeakerSettings s;
  s.local_as = bgp.as;
  s.router_id = *router_id;
  for (const config::BgpPeer& p : bgp.peers) {
    bgp::PeerSettings peer;
    peer.address = p.address;
    peer.as = p.as;
    peer.port = p.port;
    peer.md5_password = p.password;
    // 0 means directly connected: TTL 1 (RFC 4271 §5.1.3 leaves multihop to configuration).
    peer.ttl = p.multihop_ttl > 0 ? p.multihop_ttl : 1;
    peer.passive = p.passive;
    peer.hold_time = p.hold_time.value_or(bgp.hold_time);
    peer.keepalive_interval = p.keepalive_interval.value_or(bgp.keepalive_interval);
    s.peers.push_back(std::move(peer));
  }
  s.source_ip = bgp.source_ip;
  s.source_interface = bgp.source_interface;
  s.listen_port = bgp.listen_port;
  s.graceful_restart_time = bgp.graceful_restart_time;
  s.cross_family_next_hop = crossFamilyNextHop(bgp, std::move(lookup));
  return s;
}

std::string sessionStateLabel(bgp::FsmState state) {
  std::string name = bgp::fsmStateName(state);
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return name;
}

}  // namespace kubevip::daemon
