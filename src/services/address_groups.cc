#include "services/address_groups.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <numeric>

namespace kubevip::services {
namespace {

// Union-find over Service indices: Services that share an address end up in one set.
class DisjointSets {
 public:
  explicit DisjointSets(std::size_t size) : parent_(size) {
    std::iota(parent_.begin(), parent_.end(), std::size_t{0});
  }
  std::size_t find(std::size_t i) {
    while (parent_[i] != i) {
      parent_[i] = parent_[parent_[i]];
      i = parent_[i];
    }
    return i;
  }
  void unite(std::size_t a, std::size_t b) {
    a = find(a);
    b = find(b);
    if (a != b) parent_[std::max(a, b)] = std::min(a, b);
  }

 private:
  std::vector<std::size_t> parent_;
};

struct AddressOrder {
  bool operator()(const IpAddress& a, const IpAddress& b) const { return addressLess(a, b); }
};

}  // namespace

bool addressLess(const IpAddress& a, const IpAddress& b) {
  if (a.family() != b.family()) return a.isV4();
  return a.raw() < b.raw();
}

std::string addressLabel(const IpAddress& address) {
  if (address.isV4()) {
    const auto b = address.v4Bytes();
    return fmt::format("{}-{}-{}-{}", b[0], b[1], b[2], b[3]);
  }
  const auto& b = address.raw();
  std::string out;
  for (std::size_t i = 0; i < 16; i += 2) {
    if (!out.empty()) out += '-';
    out += fmt::format("{:02x}{:02x}", b[i], b[i + 1]);
  }
  return out;
}

std::vector<AddressGroup> groupByAddress(const std::vector<ServiceAddresses>& services,
                                         const GroupingOptions& options) {
  DisjointSets sets(services.size());
  std::map<IpAddress, std::size_t, AddressOrder> first_user;  // address -> a Service using it
  for (std::size_t i = 0; i < services.size(); ++i) {
    for (const IpAddress& address : services[i].addresses) {
      auto [it, inserted] = first_user.emplace(address, i);
      if (!inserted) sets.unite(it->second, i);
    }
  }

  std::map<std::size_t, AddressGroup> by_root;
  std::map<std::size_t, std::vector<std::size_t>> members;
  for (const auto& [address, user] : first_user) {
    by_root[sets.find(user)].addresses.push_back(address);  // map order: already sorted
  }
  for (std::size_t i = 0; i < services.size(); ++i) {
    if (services[i].addresses.empty()) continue;
    members[sets.find(i)].push_back(i);
  }

  std::vector<AddressGroup> groups;
  for (auto& [root, group] : by_root) {
    const std::vector<std::size_t>& indices = members[root];
    for (std::size_t i : indices) group.services.push_back(services[i].service);
    std::sort(group.services.begin(), group.services.end());
    group.services.erase(std::unique(group.services.begin(), group.services.end()),
                         group.services.end());
    if (group.services.size() == 1) {
      const ServiceAddresses& only = services[indices.front()];
      group.lease_name = only.lease_name_annotation.empty() ? "kubevip-" + only.service.name
                                                            : only.lease_name_annotation;
      group.lease_namespace = only.service.service_namespace;
    } else {
      group.lease_name = "kubevip-shared-" + addressLabel(group.addresses.front());
      group.lease_namespace = options.shared_lease_namespace;
    }
    groups.push_back(std::move(group));
  }
  std::sort(groups.begin(), groups.end(), [](const AddressGroup& a, const AddressGroup& b) {
    return addressLess(a.addresses.front(), b.addresses.front());
  });
  return groups;
}

}  // namespace kubevip::services
