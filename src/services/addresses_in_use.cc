#include "services/addresses_in_use.h"

#include <algorithm>

namespace kubevip::services {
namespace {

const std::string& normalProtocol(const std::string& protocol) {
  static const std::string kTcp = "TCP";
  return protocol.empty() ? kTcp : protocol;
}

}  // namespace

bool portsOverlap(const std::vector<ServicePort>& a, const std::vector<ServicePort>& b) {
  if (a.empty() || b.empty()) return true;
  for (const ServicePort& x : a) {
    for (const ServicePort& y : b) {
      if (x.port == y.port && normalProtocol(x.protocol) == normalProtocol(y.protocol)) return true;
    }
  }
  return false;
}

void AddressesInUse::add(const IpAddress& address, AddressHolder holder) {
  FamilyIndex& idx = index(address.family());
  const AddressValue value = addressValue(address);
  auto [it, is_new] = idx.holders.try_emplace(value);
  if (is_new) {
    addToRuns(idx.runs, value);
    idx.single_namespace[holder.namespace_name].insert(value);
  } else if (it->second.front().namespace_name != holder.namespace_name) {
    // Now held from two namespaces: nobody may join it any more.
    idx.single_namespace[it->second.front().namespace_name].erase(value);
  }
  it->second.push_back(std::move(holder));
}

void AddressesInUse::addToRuns(std::map<AddressValue, AddressValue>& runs, AddressValue value) {
  // Join the run that ends just below `value` and the one that starts just above it, if any.
  auto above = runs.find(value + 1);  // value + 1 wraps to 0 at the top: no run starts above then
  const bool has_above = above != runs.end() && value != ~AddressValue{0};
  auto below = runs.lower_bound(value);
  const bool has_below =
      below != runs.begin() && value != 0 && std::prev(below)->second + 1 == value;
  if (has_below) {
    auto run = std::prev(below);
    run->second = has_above ? above->second : value;
    if (has_above) runs.erase(above);
  } else if (has_above) {
    const AddressValue last = above->second;
    runs.erase(above);
    runs.emplace(value, last);
  } else {
    runs.emplace(value, value);
  }
}

const std::vector<AddressHolder>& AddressesInUse::holders(const IpAddress& address) const {
  static const std::vector<AddressHolder> kNone;
  const auto& map = index(address.family()).holders;
  auto it = map.find(addressValue(address));
  return it == map.end() ? kNone : it->second;
}

std::optional<AddressValue> AddressesInUse::lowestUnused(IpFamily family,
                                                         AddressRange range) const {
  const auto& runs = index(family).runs;
  auto after = runs.upper_bound(range.first);
  if (after == runs.begin()) return range.first;
  const AddressValue run_last = std::prev(after)->second;
  if (run_last < range.first) return range.first;  // the run before ends below the range
  // range.first is used; runs are maximal, so the address after its run is unused.
  if (run_last >= range.last) return std::nullopt;
  return run_last + 1;
}

std::optional<AddressValue> AddressesInUse::lowestJoinable(
    IpFamily family, AddressRange range, const std::string& namespace_name,
    const std::vector<ServicePort>& ports) const {
  const FamilyIndex& idx = index(family);
  auto own = idx.single_namespace.find(namespace_name);
  if (own == idx.single_namespace.end()) return std::nullopt;
  for (auto it = own->second.lower_bound(range.first); it != own->second.end() && *it <= range.last;
       ++it) {
    const auto& holders = idx.holders.at(*it);
    const bool joinable = std::none_of(holders.begin(), holders.end(), [&](const AddressHolder& h) {
      return portsOverlap(h.ports, ports);
    });
    if (joinable) return *it;
  }
  return std::nullopt;
}

}  // namespace kubevip::services
