// The kernel data plane of the TCP/UDP load balancers, as an nftables ruleset.
//
// On the VIP holder, nftables DNATs VIP:port to one of the service's healthy backends. Everything
// lives in ONE table owned by kube-vip, `inet kube_vip` (family inet: IPv4 and IPv6 services in the
// same table), and the whole table is replaced in one libnftables transaction on every change:
//
//   add table; delete table; add table; add chain ...; add rule ...
//
// The first `add` makes the `delete` valid whether or not the table exists; the kernel applies the
// batch atomically, so no packet ever sees half a ruleset or none between two of them.
//
// The table has four base chains, each with one rule per service (comment: the service's name):
//   prerouting  nat    dstnat (-100)  DNAT of VIP:port arriving from the network
//   output      nat    -100           the same DNAT for connections the holder opens itself
//   postrouting nat    srcnat (100)   source NAT to the VIP of connections DNATed for a service
//                                    (if asked; ruleset.cc says why the VIP, not the node's
//                                    address)
//   input       filter filter (0)     reject VIP:port of a service without backends
// NAT chains see only the first packet of a connection: conntrack keeps every later packet (and
// the replies) on the backend chosen for it, so spreading is per connection.
//
// This file is pure: it turns values into the libnftables JSON text (nftables.h sends it).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/ip_address.h"
#include "common/result.h"

namespace kubevip::nft {

inline constexpr std::string_view kTableName = "kube_vip";  // family inet

enum class Protocol { kTcp, kUdp };

// How a service's new connections are spread over its destinations.
enum class Spread {
  kRoundRobin,  // numgen inc mod N: a counter per rule (it restarts at 0 when the table is
                // replaced)
  kRandom,      // numgen random mod N
  kSourceHash,  // jhash ip saddr mod N (ip6 saddr for IPv6), with a fixed seed (ruleset.cc)
};

struct Destination {
  IpAddress address;  // the service VIP's family
  uint16_t port = 0;
  uint32_t weight = 1;  // >= 1: the destination takes `weight` of the N slots
  friend bool operator==(const Destination&, const Destination&) = default;
};

struct Service {
  std::string name;  // the balancer's name, put in each rule's comment
  Protocol protocol = Protocol::kTcp;
  IpAddress vip;
  uint16_t port = 0;
  Spread spread = Spread::kRoundRobin;
  // Source-NAT the connections DNATed for this service to the VIP, so replies come back through
  // the holder whatever the backends' routes (ruleset.cc says why the VIP and not the node's own
  // address). Off: backends see the client's address and must route their replies via the holder.
  bool source_nat = true;
  // The destinations that are up, in order. Empty: new connections are rejected (TCP reset, ICMP
  // port unreachable for UDP), not silently dropped.
  std::vector<Destination> destinations;
  friend bool operator==(const Service&, const Service&) = default;
};

// Nft rejects a comment longer than this (in `nft -f` syntax; the JSON parser stores longer ones,
// which then cannot be read back as text). Longer names are cut.
inline constexpr std::size_t kCommentMaxLength = 128;

// kInvalidArgument naming the service (and destination) when the services cannot be programmed:
// a port 0, a weight 0, a destination of another family than its VIP, the same VIP, protocol and
// port twice (the first rule would take every connection), or weights summing beyond 2^32 - 1.
Status validateServices(const std::vector<Service>& services);

// The libnftables JSON that replaces the whole table with these services in one transaction
// (whether the table exists or not). Deterministic: the same services give the same text, one
// command per line. The services must pass validateServices().
std::string replaceTableJson(const std::vector<Service>& services);

// The JSON that deletes the table if present (add + delete, so that absence is no error).
std::string deleteTableJson();

}  // namespace kubevip::nft
