#include "services/ipam.h"

#include <algorithm>
#include <optional>
#include <string_view>

namespace kubevip::services {
namespace {

constexpr std::string_view kCidrPrefix = "cidr-";
constexpr std::string_view kRangePrefix = "range-";
constexpr std::string_view kAllowSharePrefix = "allow-share-";
constexpr std::string_view kGlobal = "global";

const char* familyName(IpFamily family) { return family == IpFamily::kV4 ? "IPv4" : "IPv6"; }

std::string lowerTrimmed(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') continue;
    out += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  }
  return out;
}

Result<bool> parseBool(const std::string& key, const std::string& value) {
  const std::string word = lowerTrimmed(value);
  if (word == "true") return true;
  if (word == "false") return false;
  return makeError(ErrorCode::kInvalidArgument,
                   key + ": \"" + value + "\": expected \"true\" or \"false\"");
}

// The lowest address of `pool` that the request may take, if any: per range in ascending order,
// the lowest unused address, or a lower one it may share.
std::optional<AddressValue> lowestFree(IpFamily family, const FamilyPool& pool,
                                       const AddressesInUse& in_use,
                                       const AllocationRequest& request, bool sharing_allowed) {
  for (const AddressRange& range : pool.ranges()) {
    const std::optional<AddressValue> unused = in_use.lowestUnused(family, range);
    if (sharing_allowed && (!unused || *unused > range.first)) {
      const AddressRange below{range.first, unused ? *unused - 1 : range.last};
      if (auto shared =
              in_use.lowestJoinable(family, below, request.namespace_name, request.ports)) {
        return shared;
      }
    }
    if (unused) return unused;
  }
  return std::nullopt;
}

std::vector<IpFamily> orderedFamilies(const AllocationRequest& request) {
  std::vector<IpFamily> order;
  for (IpFamily f : request.families) {
    if (std::find(order.begin(), order.end(), f) == order.end()) order.push_back(f);
  }
  for (IpFamily f : {IpFamily::kV4, IpFamily::kV6}) {
    if (std::find(order.begin(), order.end(), f) == order.end()) order.push_back(f);
  }
  return order;
}

}  // namespace

bool IpamConfig::sharingAllowed(const std::string& namespace_name) const {
  auto it = allow_share.find(namespace_name);
  return it != allow_share.end() ? it->second : allow_share_global;
}

const AddressPool& IpamConfig::poolFor(const std::string& namespace_name, IpFamily family) const {
  auto it = namespaces.find(namespace_name);
  if (it != namespaces.end() && !it->second.family(family).empty()) return it->second;
  return global;
}

Result<IpamConfig> parseIpamConfig(const std::map<std::string, std::string>& data) {
  IpamConfig config;
  for (const auto& [key, value] : data) {
    const std::string_view k = key;
    std::optional<PoolSyntax> syntax;
    std::string_view name;
    if (k.starts_with(kCidrPrefix)) {
      syntax = PoolSyntax::kCidrList;
      name = k.substr(kCidrPrefix.size());
    } else if (k.starts_with(kRangePrefix)) {
      syntax = PoolSyntax::kRangeList;
      name = k.substr(kRangePrefix.size());
    } else if (k.starts_with(kAllowSharePrefix)) {
      name = k.substr(kAllowSharePrefix.size());
      if (name.empty()) {
        return makeError(ErrorCode::kInvalidArgument, key + ": no namespace after the prefix");
      }
      auto allowed = parseBool(key, value);
      if (!allowed) return allowed.error();
      if (name == kGlobal) {
        config.allow_share_global = *allowed;
      } else {
        config.allow_share[std::string(name)] = *allowed;
      }
      continue;
    } else {
      continue;  // not an address management key
    }
    if (name.empty()) {
      return makeError(ErrorCode::kInvalidArgument, key + ": no namespace after the prefix");
    }
    AddressPool& pool = name == kGlobal ? config.global : config.namespaces[std::string(name)];
    if (auto added = addToPool(key, value, *syntax, pool); !added) return added.error();
  }
  return config;
}

Result<std::vector<IpAddress>> allocateAddresses(const IpamConfig& config,
                                                 const AllocationRequest& request,
                                                 const AddressesInUse& in_use) {
  const bool sharing = config.sharingAllowed(request.namespace_name);
  const auto has_pool = [&](IpFamily f) {
    return !config.poolFor(request.namespace_name, f).family(f).empty();
  };
  const std::string where = "namespace " + request.namespace_name;

  // Which families must be served, and which may be skipped when their pool is exhausted.
  std::vector<IpFamily> wanted;
  bool all_required = true;
  switch (request.policy) {
    case IpFamilyPolicy::kSingleStack: {
      IpFamily family = IpFamily::kV4;
      if (!request.families.empty()) {
        family = request.families.front();
      } else if (!has_pool(IpFamily::kV4)) {
        family = IpFamily::kV6;
      }
      wanted.push_back(family);
      break;
    }
    case IpFamilyPolicy::kPreferDualStack:
      for (IpFamily f : orderedFamilies(request)) {
        if (has_pool(f)) wanted.push_back(f);
      }
      if (wanted.empty()) {
        return makeError(ErrorCode::kNotFound, where + ": no IPv4 or IPv6 address pool");
      }
      all_required = false;
      break;
    case IpFamilyPolicy::kRequireDualStack:
      wanted = orderedFamilies(request);
      break;
  }

  std::vector<IpAddress> granted;
  std::string exhausted;  // the pools that had nothing left, for the error message
  for (IpFamily family : wanted) {
    const AddressPool& pool = config.poolFor(request.namespace_name, family);
    if (pool.family(family).empty()) {
      return makeError(ErrorCode::kNotFound, where + ": no " + familyName(family) +
                                                 " address pool (the Service requires " +
                                                 familyName(family) + ")");
    }
    auto value = lowestFree(family, pool.family(family), in_use, request, sharing);
    if (!value) {
      const std::string message = where + ": no free " + std::string(familyName(family)) +
                                  " address in pool " + pool.describe();
      if (all_required) return makeError(ErrorCode::kConflict, message);
      exhausted += (exhausted.empty() ? "" : "; ") + message;
      continue;
    }
    granted.push_back(addressFromValue(family, *value));
  }
  if (granted.empty()) return makeError(ErrorCode::kConflict, exhausted);
  return granted;
}

}  // namespace kubevip::services
