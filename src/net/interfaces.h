// Looking up a network interface by name: what the announcer and the address manager need to know
// about it (index, MAC, state, IPv6 link-local address). Implemented in linux/interfaces.cc.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/ip_address.h"
#include "common/result.h"
#include "net/mac_address.h"

namespace kubevip::net {

struct InterfaceInfo {
  int index = 0;
  std::string name;
  MacAddress mac;
  bool up = false;       // administratively up (IFF_UP)
  bool running = false;  // up and has carrier (IFF_RUNNING)
  // The first fe80::/10 address on it, tentative or not.
  std::optional<IpAddress> link_local_v6;
  // Every IPv4 and IPv6 address on it, in the kernel's order (the BGP router id and next hops
  // are taken from here).
  std::vector<IpAddress> addresses;
};

// kNotFound with "interface 'eth7' does not exist" when there is no such interface in this
// network namespace.
Result<InterfaceInfo> lookupInterface(std::string_view name);

}  // namespace kubevip::net
