#include "services/addresses_in_use.h"

#include <algorithm>
#include <iterator>

namespace kubevip::services {
namespace {

PortSignature signatureOf(const std::vector<ServicePort>& ports) {
  PortSignature signature;
  signature.reserve(ports.size());
  for (const ServicePort& p : ports) {
    signature.emplace_back(p.port, p.protocol.empty() ? std::string("TCP") : p.protocol);
  }
  std::sort(signature.begin(), signature.end());
  signature.erase(std::unique(signature.begin(), signature.end()), signature.end());
  return signature;
}

bool disjoint(const PortSignature& a, const PortSignature& b) {
  auto x = a.begin();
  auto y = b.begin();
  while (x != a.end() && y != b.end()) {
    if (*x == *y) return false;
    if (*x < *y) {
      ++x;
    } else {
      ++y;
    }
  }
  return true;
}

}  // namespace

bool portsOverlap(const std::vector<ServicePort>& a, const std::vector<ServicePort>& b) {
  if (a.empty() || b.empty()) return true;
  return !disjoint(signatureOf(a), signatureOf(b));
}

void AddressesInUse::add(const IpAddress& address, AddressHolder holder) {
  FamilyIndex& idx = index(address.family());
  const AddressValue value = addressValue(address);
  auto [it, is_new] = idx.holders.try_emplace(value);
  if (is_new) addToRuns(idx.runs, value);

  // Keep the joinable index: an address stays joinable while all its holders are of one namespace
  // and have ports; its signature is the union of their ports.
  PortSignature signature = signatureOf(holder.ports);
  bool joinable = !holder.ports.empty();
  if (!is_new) {
    auto known = idx.joinable_signature.find(value);
    const std::string& owner = it->second.front().namespace_name;
    if (known == idx.joinable_signature.end()) {
      joinable = false;  // it was not joinable before; it cannot become so
    } else {
      auto& groups = idx.joinable[owner];
      auto group = groups.find(known->second);
      group->second.erase(value);
      if (group->second.empty()) groups.erase(group);
      PortSignature merged;
      std::set_union(known->second.begin(), known->second.end(), signature.begin(), signature.end(),
                     std::back_inserter(merged));
      signature = std::move(merged);
      idx.joinable_signature.erase(known);
      joinable = joinable && owner == holder.namespace_name;
    }
  }
  if (joinable) {
    idx.joinable[holder.namespace_name][signature].insert(value);
    idx.joinable_signature.emplace(value, std::move(signature));
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
  if (ports.empty()) return std::nullopt;  // a Service without ports joins nobody
  const FamilyIndex& idx = index(family);
  auto own = idx.joinable.find(namespace_name);
  if (own == idx.joinable.end()) return std::nullopt;
  const PortSignature wanted = signatureOf(ports);
  std::optional<AddressValue> lowest;
  for (const auto& [signature, addresses] : own->second) {
    if (!disjoint(signature, wanted)) continue;
    auto it = addresses.lower_bound(range.first);
    if (it != addresses.end() && *it <= range.last && (!lowest || *it < *lowest)) lowest = *it;
  }
  return lowest;
}

}  // namespace kubevip::services
