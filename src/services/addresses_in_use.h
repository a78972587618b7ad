// The addresses that Services already hold, indexed for the search of a free address (ipam.h).
//
// Per family, three sorted indexes built as holders are added:
//   - the holders of each address (namespace and ports);
//   - the maximal runs of consecutive used addresses, so that "the lowest unused address at or
//     after X" is one lookup (O(log n)) however many used addresses follow X;
//   - per namespace, the addresses all of whose holders are in that namespace: the only addresses a
//     Service of that namespace may share, so the search for one never looks at other namespaces'.
// Pure values; not thread-safe (build one, then read it).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
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
  // overlaps `ports`. Costs one step per such address of the namespace whose ports do overlap.
  std::optional<AddressValue> lowestJoinable(IpFamily family, AddressRange range,
                                             const std::string& namespace_name,
                                             const std::vector<ServicePort>& ports) const;

 private:
  struct FamilyIndex {
    std::map<AddressValue, std::vector<AddressHolder>> holders;
    std::map<AddressValue, AddressValue> runs;  // first -> last of each maximal run of used ones
    std::map<std::string, std::set<AddressValue>> single_namespace;
  };
  FamilyIndex& index(IpFamily f) { return f == IpFamily::kV4 ? v4_ : v6_; }
  const FamilyIndex& index(IpFamily f) const { return f == IpFamily::kV4 ? v4_ : v6_; }
  static void addToRuns(std::map<AddressValue, AddressValue>& runs, AddressValue value);

  FamilyIndex v4_;
  FamilyIndex v6_;
};

}  // namespace kubevip::services
