// Address pools of the built-in address management: sorted, merged ranges of one address family.
//
// A pool is written in the kube-vip-cloud-provider ConfigMap as a comma list of CIDRs
// ("10.0.0.0/24, fd00::/120") or of ranges ("10.0.0.10-10.0.0.20, fd00::10-fd00::20"). Parsing
// turns each item into an inclusive range of integers and the pool keeps, per family, the union of
// those ranges sorted and merged. Nothing is ever expanded into a list of addresses: an IPv6 /64 is
// one range of two 128-bit integers, and the search for a free address (ipam.h) walks the sorted
// set of addresses in use alongside the ranges, so its cost depends on how many addresses are in
// use, never on the size of the pool.
//
// The network and broadcast addresses of an IPv4 CIDR: a CIDR of prefix length /30 or shorter gives
// its hosts only, without its first (network) and last (broadcast) address; a /31 gives both of its
// addresses (RFC 3021, point-to-point links) and a /32 its one address. This is the rule of the
// kube-vip-cloud-provider when it builds a pool from a CIDR. An IPv6 CIDR gives every address in it
// (IPv6 has no broadcast address). A range gives exactly the addresses written, first and last
// included. The cloud provider additionally skips every IPv4 address ending in .0 or .255 when it
// searches a pool, even inside ranges; we do not: in a pool wider than a /24 those are ordinary
// host addresses, and an operator who wants them out writes ranges that leave them out.
//
// A CIDR with host bits set ("10.0.0.7/24") stands for its network (10.0.0.0/24), as in the cloud
// provider. "0.0.0.0/32", the cloud provider's marker for "ask DHCP", is refused: the built-in
// address management hands out addresses from pools only.
//
// Pure values and functions; no I/O, no shared state.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/ip_address.h"
#include "common/result.h"

namespace kubevip::services {

// An address as an unsigned integer in host order: IPv4 in the low 32 bits, IPv6 in all 128.
// (A GCC/Clang extension; the project builds with g++ only.)
using AddressValue = unsigned __int128;

AddressValue addressValue(const IpAddress& address);
IpAddress addressFromValue(IpFamily family, AddressValue value);

// first..last inclusive, one family, first <= last.
struct AddressRange {
  AddressValue first = 0;
  AddressValue last = 0;
  friend bool operator==(const AddressRange&, const AddressRange&) = default;
};

// The addresses of one family that a pool may hand out.
class FamilyPool {
 public:
  // Adds a range; overlapping and adjacent ranges are merged, so ranges() stays sorted and
  // disjoint.
  void add(AddressRange range);
  bool empty() const { return ranges_.empty(); }
  const std::vector<AddressRange>& ranges() const { return ranges_; }
  bool contains(AddressValue value) const;

 private:
  std::vector<AddressRange> ranges_;
};

// One pool as configured for a namespace (or globally): both families, and the ConfigMap keys it
// was read from, which error messages name ("cidr-team-a,range-team-a").
struct AddressPool {
  FamilyPool v4;
  FamilyPool v6;
  std::vector<std::string> source_keys;

  FamilyPool& family(IpFamily f) { return f == IpFamily::kV4 ? v4 : v6; }
  const FamilyPool& family(IpFamily f) const { return f == IpFamily::kV4 ? v4 : v6; }
  std::string describe() const;  // the source keys joined by ','
};

enum class PoolSyntax { kCidrList, kRangeList };

// Parses one ConfigMap value (a comma list; spaces and tabs around items are ignored) into `pool`,
// appending `key` to its source keys. Errors name the key and the bad item:
//   cidr-team-a: "10.0.0.0/33": prefix length must be 0..32 for IPv4
Status addToPool(std::string_view key, std::string_view value, PoolSyntax syntax,
                 AddressPool& pool);

}  // namespace kubevip::services
