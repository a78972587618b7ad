#include "k8s/endpoints.h"

#include <nlohmann/json.hpp>

#include "k8s/json_fields.h"

namespace kubevip::k8s {
namespace {

using json_fields::element;
using json_fields::join;
using Json = nlohmann::json;

constexpr std::string_view kKind = "Endpoints";

Result<std::vector<EndpointAddress>> decodeAddresses(const Json& subset, std::string_view key,
                                                     const std::string& path) {
  std::vector<EndpointAddress> out;
  auto list = json_fields::optionalArray(subset, key, path, kKind);
  if (!list) return list.error();
  if (*list == nullptr) return out;
  for (std::size_t i = 0; i < (*list)->size(); ++i) {
    const Json& item = (**list)[i];
    const std::string item_path = element(join(path, key), i);
    if (!item.is_object()) return json_fields::fieldError(kKind, item_path, "expected an object");
    auto ip_text = json_fields::requiredString(item, "ip", item_path, kKind);
    if (!ip_text) return ip_text.error();
    auto ip = IpAddress::parse(*ip_text);
    if (!ip) return json_fields::fieldError(kKind, join(item_path, "ip"), ip.error().message);
    auto node_name = json_fields::optionalString(item, "nodeName", item_path, kKind);
    if (!node_name) return node_name.error();
    out.push_back(EndpointAddress{*ip, node_name->value_or("")});
  }
  return out;
}

}  // namespace

Result<Endpoints> endpointsFromJson(std::string_view text) {
  auto document = json_fields::parseObject(text, kKind);
  if (!document) return document.error();
  Endpoints endpoints;
  auto meta = json_fields::objectMeta(*document, kKind);
  if (!meta) return meta.error();
  endpoints.meta = std::move(*meta);
  auto subsets = json_fields::optionalArray(*document, "subsets", "", kKind);
  if (!subsets) return subsets.error();
  if (*subsets == nullptr) return endpoints;
  for (std::size_t i = 0; i < (*subsets)->size(); ++i) {
    const Json& item = (**subsets)[i];
    const std::string path = element("subsets", i);
    if (!item.is_object()) return json_fields::fieldError(kKind, path, "expected an object");
    EndpointSubset subset;
    auto ready = decodeAddresses(item, "addresses", path);
    if (!ready) return ready.error();
    subset.addresses = std::move(*ready);
    auto not_ready = decodeAddresses(item, "notReadyAddresses", path);
    if (!not_ready) return not_ready.error();
    subset.not_ready_addresses = std::move(*not_ready);
    endpoints.subsets.push_back(std::move(subset));
  }
  return endpoints;
}

}  // namespace kubevip::k8s
