// What the BGP speaker is started with, built from the configuration (config::BgpConfig) and the
// host's interfaces: the router id, the peers, the next hop of routes of the other family, and
// the state names of its sessions. Pure apart from the injected interface lookup. (The policy of
// the announcements is vip::routePolicyFrom, vip/routed_vip.h.)
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "bgp/speaker.h"
#include "common/result.h"
#include "config/config.h"
#include "net/interfaces.h"

namespace kubevip::daemon {

using InterfaceLookup = std::function<Result<net::InterfaceInfo>(std::string_view name)>;

// The BGP Identifier (RFC 4271 §4.2), host order: bgp.routerID; else the first IPv4 address of
// bgp.routerInterface; else of `vip_interface` (the VIP's `interface`). Loopback (127/8) and
// link-local (169.254/16) addresses are skipped: every node would have the same. An error names
// the settings when there is none.
Result<uint32_t> routerIdFrom(const config::BgpConfig& bgp, const std::string& vip_interface,
                              const InterfaceLookup& lookup);

// Everything but the hooks. The cross-family next hop (mpbgpNexthop) is read when a route is
// sent, so an address added to the source interface later is found: fixed -> mpbgpIPv4/IPv6;
// auto_sourceip -> sourceIP when of the route's family; auto_sourceif -> the first global
// address of the route's family on sourceInterface; unset -> none (the route is not sent over a
// session of the other family).
Result<bgp::SpeakerSettings> speakerSettingsFrom(const config::BgpConfig& bgp,
                                                 const std::string& vip_interface,
                                                 InterfaceLookup lookup);

// "established", "idle", ...: the RFC 4271 §8 state name in lower case (metrics, status).
std::string sessionStateLabel(bgp::FsmState state);

}  // namespace kubevip::daemon
