// The addresses that Services already hold, indexed for the search of a free address (ipam.h).
//
// Per family, sorted indexes built as holders are added:
//   - the holders of each address (namespace and ports);
//   - the maximal runs of consecutive used addresses, so that "the lowest unused address at or
//     after X" is one lookup (O(log n)) however many used addresses follow X;
//   - the addresses another Service may still join: those held from one namespace only, by
//     Services that all have ports, grouped per namespace by the union of their holders' ports
//     (their port signature). A Service may join an address of its namespace whose signature is
//     disjoint from its own ports, so the search costs one lookup per distinct signature in the
//     namespace (a handful when Services share ports the usual way), not one per address.
// Pure values; not thread-safe (build one, then read it).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "common/ip_address.h"
#include "services/address_pool.h"

namespace kubevip::services {

// A port of a Service: number and protocol ("TCP", "UDP", "SCTP"; empty is read as "TCP", the
// API's default).
struct ServicePort {
  uint16_t port = 0;
  std::string protocol = "TCP";
};

// Two Services' ports overlap when they have a port number with the same protocol in common. A
// Service without ports is taken to use every port: it overlaps everything (as in the
// kube-vip-cloud-provider, which treats such an address as not shareable).
bool portsOverlap(const std::vector<ServicePort>& a, const std::vector<ServicePort>& b);

// The (port, protocol) pairs of one or more Services, sorted and unique, "" read as "TCP".
using PortSignature = std::vector<std::pair<uint16_t, std::string>>;

// A Service that holds an address.
struct AddressHolder {
  std::string namespace_name;
  std::vector<ServicePort> ports;
};

class AddressesInUse {
 public:
  void add(const IpAddress& address, AddressHolder holder);
  // The holders of an address, empty if none.
  const std::vector<AddressHolder>& holders(const IpAddress& address) const;
  // How many distinct addresses are held.
  std::size_t size() const { return v4_.holders.size() + v6_.holders.size(); }

  // The lowest address of `range` that nobody holds.
  std::optional<AddressValue> lowestUnused(IpFamily family, AddressRange range) const;
  // The lowest address of `range` held only by Services of `namespace_name`, none of whose ports
  // overlaps `ports`. Costs O(log n) per distinct port signature in the namespace.
  std::optional<AddressValue> lowestJoinable(IpFamily family, AddressRange range,
                                             const std::string& namespace_name,
                                             const std::vector<ServicePort>& ports) const;

 private:
  struct FamilyIndex {
    std::map<AddressValue, std::vector<AddressHolder>> holders;
    std::map<AddressValue, AddressValue> runs;  // first -> last of each maximal run of used ones
    // Joinable addresses: namespace -> port signature -> addresses; and each one's signature.
    std::map<std::string, std::map<PortSignature, std::set<AddressValue>>> joinable;
    std::map<AddressValue, PortSignature> joinable_signature;
  };
  FamilyIndex& index(IpFamily f) { return f == IpFamily::kV4 ? v4_ : v6_; }
  const FamilyIndex& index(IpFamily f) const { return f == IpFamily::kV4 ? v4_ : v6_; }
  static void addToRuns(std::map<AddressValue, AddressValue>& runs, AddressValue value);

  FamilyIndex v4_;
  FamilyIndex v6_;
};

}  // namespace kubevip::services
