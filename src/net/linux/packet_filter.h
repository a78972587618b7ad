// The kernel-side filter of the conflict prober's packet socket: classic BPF (SO_ATTACH_FILTER)
// that lets through only frames about one address, so that ARP or NDP traffic for anything else
// on the segment (a flood included) is dropped in the kernel and never wakes the loop thread.
#pragma once

#include <linux/filter.h>

#include <vector>

#include "common/ip_address.h"

namespace kubevip::net {

// For an IPv4 address: ARP frames whose sender or target IP is `address` (answers and
// announcements from a holder, and our own probes). For an IPv6 address: ICMPv6 Neighbor
// Solicitations and Advertisements (types 135, 136) directly after the IPv6 header whose target
// is `address`. Everything else, and anything too short to hold the fields, is dropped.
// Untagged Ethernet II frames only (the socket is bound to one interface).
std::vector<sock_filter> addressClaimFilter(const IpAddress& address);

// The same for every address of a family: all ARP frames (IPv4), or all Neighbor Solicitations and
// Advertisements (IPv6). For a socket shared by the probes of many addresses, which sorts the
// frames by address itself.
std::vector<sock_filter> anyAddressClaimFilter(IpFamily family);

}  // namespace kubevip::net
