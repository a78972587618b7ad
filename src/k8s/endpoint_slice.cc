#include "k8s/endpoint_slice.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "k8s/json_fields.h"

namespace kubevip::k8s {
namespace {

using json_fields::element;
using json_fields::join;
using Json = nlohmann::json;

constexpr std::string_view kKind = "EndpointSlice";

Result<EndpointAddressType> decodeAddressType(const Json& document) {
  auto text = json_fields::requiredString(document, "addressType", "", kKind);
  if (!text) return text.error();
  if (*text == "IPv4") return EndpointAddressType::kIPv4;
  if (*text == "IPv6") return EndpointAddressType::kIPv6;
  if (*text == "FQDN") return EndpointAddressType::kFQDN;
  return json_fields::fieldError(kKind, "addressType",
                                 fmt::format("unknown address type \"{}\"", *text));
}

Result<EndpointConditions> decodeConditions(const Json& endpoint, const std::string& path) {
  EndpointConditions conditions;
  auto object = json_fields::optionalObject(endpoint, "conditions", path, kKind);
  if (!object) return object.error();
  if (*object == nullptr) return conditions;
  const std::string conditions_path = join(path, "conditions");
  for (auto [key, out] :
       {std::pair{"ready", &conditions.ready}, std::pair{"serving", &conditions.serving},
        std::pair{"terminating", &conditions.terminating}}) {
    auto value = json_fields::optionalBool(**object, key, conditions_path, kKind);
    if (!value) return value.error();
    *out = *value;
  }
  return conditions;
}

Result<SliceEndpoint> decodeEndpoint(const Json& item, const std::string& path,
                                     EndpointAddressType type) {
  if (!item.is_object()) return json_fields::fieldError(kKind, path, "expected an object");
  SliceEndpoint endpoint;
  auto addresses = json_fields::optionalStringList(item, "addresses", path, kKind);
  if (!addresses) return addresses.error();
  if (addresses->empty()) {
    return json_fields::fieldError(kKind, join(path, "addresses"), "required field is missing");
  }
  if (type != EndpointAddressType::kFQDN) {
    const IpFamily family = type == EndpointAddressType::kIPv4 ? IpFamily::kV4 : IpFamily::kV6;
    for (std::size_t i = 0; i < addresses->size(); ++i) {
      const std::string address_path = element(join(path, "addresses"), i);
      auto parsed = IpAddress::parse((*addresses)[i]);
      if (!parsed) return json_fields::fieldError(kKind, address_path, parsed.error().message);
      if (parsed->family() != family) {
        return json_fields::fieldError(
            kKind, address_path,
            fmt::format("{} does not match the slice's addressType", (*addresses)[i]));
      }
      endpoint.addresses.push_back(*parsed);
    }
  }
  auto conditions = decodeConditions(item, path);
  if (!conditions) return conditions.error();
  endpoint.conditions = *conditions;
  auto node_name = json_fields::optionalString(item, "nodeName", path, kKind);
  if (!node_name) return node_name.error();
  endpoint.node_name = node_name->value_or("");
  return endpoint;
}

}  // namespace

std::string EndpointSlice::serviceName() const {
  auto it = meta.labels.find(std::string(kServiceNameLabel));
  return it == meta.labels.end() ? std::string() : it->second;
}

Result<EndpointSlice> endpointSliceFromJson(std::string_view text) {
  auto document = json_fields::parseObject(text, kKind);
  if (!document) return document.error();
  EndpointSlice slice;
  auto meta = json_fields::objectMeta(*document, kKind);
  if (!meta) return meta.error();
  slice.meta = std::move(*meta);
  auto type = decodeAddressType(*document);
  if (!type) return type.error();
  slice.address_type = *type;
  // endpoints is required by the API but serialised as null when a Service has no endpoints.
  auto endpoints = json_fields::optionalArray(*document, "endpoints", "", kKind);
  if (!endpoints) return endpoints.error();
  if (*endpoints != nullptr) {
    for (std::size_t i = 0; i < (*endpoints)->size(); ++i) {
      auto endpoint = decodeEndpoint((**endpoints)[i], element("endpoints", i), slice.address_type);
      if (!endpoint) return endpoint.error();
      slice.endpoints.push_back(std::move(*endpoint));
    }
  }
  return slice;
}

}  // namespace kubevip::k8s
