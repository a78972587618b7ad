#include "services_mode/bgp_annotations.h"

#include <fmt/format.h>

#include "config/bgp_values.h"

namespace kubevip::services_mode {
namespace {

// "a,b,c" with spaces around items allowed; empty items skipped.
std::vector<std::string> splitList(const std::string& text) {
  std::vector<std::string> items;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t comma = text.find(',', start);
    if (comma == std::string::npos) comma = text.size();
    std::string item = text.substr(start, comma - start);
    const auto first = item.find_first_not_of(' ');
    const auto last = item.find_last_not_of(' ');
    if (first != std::string::npos) items.push_back(item.substr(first, last - first + 1));
    start = comma + 1;
  }
  return items;
}

// Every item parsed, or the first error.
template <typename T, typename Parse>
Result<std::vector<T>> parseList(const std::string& text, Parse parse) {
  std::vector<T> out;
  for (const std::string& item : splitList(text)) {
    auto value = parse(item);
    if (!value) return value.error();
    out.push_back(*value);
  }
  return out;
}

}  // namespace

ServiceRoutePolicy serviceRoutePolicy(const bgp::RoutePolicy& configured,
                                      const std::map<std::string, std::string>& annotations,
                                      const std::string& service) {
  ServiceRoutePolicy out{configured, {}};
  auto warn = [&](std::string_view annotation, const Error& why) {
    out.warnings.push_back(
        fmt::format("Service {}: annotation {}: {}; announced without it (the configured value "
                    "stays)",
                    service, annotation, why.message));
  };
  auto find = [&](std::string_view name) -> const std::string* {
    auto it = annotations.find(std::string(name));
    return it == annotations.end() ? nullptr : &it->second;
  };
  if (const std::string* text = find(kBgpCommunitiesAnnotation)) {
    auto list = parseList<config::BgpCommunity>(*text, config::parseBgpCommunity);
    if (list) {
      out.policy.communities.clear();
      for (const auto& c : *list) out.policy.communities.push_back(uint32_t{c.as} << 16 | c.value);
    } else {
      warn(kBgpCommunitiesAnnotation, list.error());
    }
  }
  if (const std::string* text = find(kBgpLargeCommunitiesAnnotation)) {
    auto list = parseList<config::BgpLargeCommunity>(*text, config::parseBgpLargeCommunity);
    if (list) {
      out.policy.large_communities.clear();
      for (const auto& c : *list) {
        out.policy.large_communities.push_back({c.global, c.local1, c.local2});
      }
    } else {
      warn(kBgpLargeCommunitiesAnnotation, list.error());
    }
  }
  for (auto [name, target] : {std::pair{kBgpLocalPrefAnnotation, &out.policy.local_pref},
                              std::pair{kBgpMedAnnotation, &out.policy.med}}) {
    const std::string* text = find(name);
    if (text == nullptr) continue;
    auto value = config::parseUint32(*text);
    if (value) {
      *target = *value;
    } else {
      warn(name, value.error());
    }
  }
  return out;
}

}  // namespace kubevip::services_mode
