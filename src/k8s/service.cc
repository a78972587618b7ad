#include "k8s/service.h"

#include <fmt/format.h>

#include <array>
#include <nlohmann/json.hpp>

#include "k8s/json_fields.h"

namespace kubevip::k8s {
namespace {

using json_fields::element;
using json_fields::join;
using Json = nlohmann::json;

constexpr std::string_view kKind = "Service";

// Fields of an enumerated type: the value must be one of `names`, in the order of the enum.
template <typename Enum, std::size_t N>
Result<std::optional<Enum>> optionalEnum(const Json& object, std::string_view key,
                                         std::string_view path,
                                         const std::array<std::string_view, N>& names) {
  auto text = json_fields::optionalString(object, key, path, kKind);
  if (!text) return text.error();
  if (!text->has_value()) return std::optional<Enum>{};
  for (std::size_t i = 0; i < N; ++i) {
    if (**text == names[i]) return std::optional<Enum>{static_cast<Enum>(i)};
  }
  return json_fields::fieldError(kKind, join(path, key),
                                 fmt::format("unknown value \"{}\"", **text));
}

Result<uint16_t> portNumber(const Json& object, std::string_view key, std::string_view path,
                            bool required) {
  auto port = json_fields::optionalInt(object, key, path, kKind, 1, 65535);
  if (!port) return port.error();
  if (!port->has_value()) {
    if (required)
      return json_fields::fieldError(kKind, join(path, key), "required field is missing");
    return uint16_t{0};
  }
  return static_cast<uint16_t>(**port);
}

Result<std::vector<ServicePort>> decodePorts(const Json& spec) {
  auto ports = json_fields::optionalArray(spec, "ports", "spec", kKind);
  if (!ports) return ports.error();
  std::vector<ServicePort> out;
  if (*ports == nullptr) return out;
  for (std::size_t i = 0; i < (*ports)->size(); ++i) {
    const Json& item = (**ports)[i];
    const std::string path = element("spec.ports", i);
    if (!item.is_object()) {
      return json_fields::fieldError(kKind, path, "expected an object");
    }
    ServicePort port;
    auto name = json_fields::optionalString(item, "name", path, kKind);
    if (!name) return name.error();
    port.name = name->value_or("");
    auto protocol = json_fields::optionalString(item, "protocol", path, kKind);
    if (!protocol) return protocol.error();
    port.protocol = protocol->value_or("TCP");
    auto number = portNumber(item, "port", path, /*required=*/true);
    if (!number) return number.error();
    port.port = *number;
    out.push_back(std::move(port));
  }
  return out;
}

Result<std::vector<IpFamily>> decodeIpFamilies(const Json& spec) {
  auto names = json_fields::optionalStringList(spec, "ipFamilies", "spec", kKind);
  if (!names) return names.error();
  std::vector<IpFamily> out;
  for (std::size_t i = 0; i < names->size(); ++i) {
    const std::string& name = (*names)[i];
    if (name == "IPv4") {
      out.push_back(IpFamily::kV4);
    } else if (name == "IPv6") {
      out.push_back(IpFamily::kV6);
    } else {
      return json_fields::fieldError(kKind, element("spec.ipFamilies", i),
                                     fmt::format("unknown IP family \"{}\"", name));
    }
  }
  return out;
}

Result<LoadBalancerIngress> decodeIngress(const Json& item, const std::string& path) {
  if (!item.is_object()) return json_fields::fieldError(kKind, path, "expected an object");
  LoadBalancerIngress ingress;
  auto ip = json_fields::optionalString(item, "ip", path, kKind);
  if (!ip) return ip.error();
  if (ip->has_value() && !(*ip)->empty()) {
    auto parsed = IpAddress::parse(**ip);
    if (!parsed) return json_fields::fieldError(kKind, join(path, "ip"), parsed.error().message);
    ingress.ip = *parsed;
  }
  auto hostname = json_fields::optionalString(item, "hostname", path, kKind);
  if (!hostname) return hostname.error();
  ingress.hostname = hostname->value_or("");
  auto ip_mode = json_fields::optionalString(item, "ipMode", path, kKind);
  if (!ip_mode) return ip_mode.error();
  ingress.ip_mode = std::move(*ip_mode);
  auto ports = json_fields::optionalArray(item, "ports", path, kKind);
  if (!ports) return ports.error();
  if (*ports != nullptr) {
    for (std::size_t i = 0; i < (*ports)->size(); ++i) {
      const Json& port_item = (**ports)[i];
      const std::string port_path = element(join(path, "ports"), i);
      if (!port_item.is_object()) {
        return json_fields::fieldError(kKind, port_path, "expected an object");
      }
      PortStatus status;
      auto number = portNumber(port_item, "port", port_path, /*required=*/true);
      if (!number) return number.error();
      status.port = *number;
      auto protocol = json_fields::requiredString(port_item, "protocol", port_path, kKind);
      if (!protocol) return protocol.error();
      status.protocol = std::move(*protocol);
      auto error = json_fields::optionalString(port_item, "error", port_path, kKind);
      if (!error) return error.error();
      status.error = std::move(*error);
      ingress.ports.push_back(std::move(status));
    }
  }
  return ingress;
}

Result<std::vector<LoadBalancerIngress>> decodeStatus(const Json& document) {
  std::vector<LoadBalancerIngress> out;
  auto status = json_fields::optionalObject(document, "status", "", kKind);
  if (!status) return status.error();
  if (*status == nullptr) return out;
  auto load_balancer = json_fields::optionalObject(**status, "loadBalancer", "status", kKind);
  if (!load_balancer) return load_balancer.error();
  if (*load_balancer == nullptr) return out;
  auto ingress =
      json_fields::optionalArray(**load_balancer, "ingress", "status.loadBalancer", kKind);
  if (!ingress) return ingress.error();
  if (*ingress == nullptr) return out;
  for (std::size_t i = 0; i < (*ingress)->size(); ++i) {
    auto entry = decodeIngress((**ingress)[i], element("status.loadBalancer.ingress", i));
    if (!entry) return entry.error();
    out.push_back(std::move(*entry));
  }
  return out;
}

}  // namespace

Result<Service> serviceFromJson(std::string_view text) {
  auto document = json_fields::parseObject(text, kKind);
  if (!document) return document.error();
  Service service;
  auto meta = json_fields::objectMeta(*document, kKind);
  if (!meta) return meta.error();
  service.meta = std::move(*meta);

  auto spec = json_fields::optionalObject(*document, "spec", "", kKind);
  if (!spec) return spec.error();
  if (*spec == nullptr) return json_fields::fieldError(kKind, "spec", "required field is missing");
  const Json& s = **spec;

  auto type = optionalEnum<ServiceType>(
      s, "type", "spec",
      std::array<std::string_view, 4>{"ClusterIP", "NodePort", "LoadBalancer", "ExternalName"});
  if (!type) return type.error();
  service.type = type->value_or(ServiceType::kClusterIP);

  auto ports = decodePorts(s);
  if (!ports) return ports.error();
  service.ports = std::move(*ports);

  auto lb_ip = json_fields::optionalString(s, "loadBalancerIP", "spec", kKind);
  if (!lb_ip) return lb_ip.error();
  service.load_balancer_ip = lb_ip->value_or("");

  auto lb_class = json_fields::optionalString(s, "loadBalancerClass", "spec", kKind);
  if (!lb_class) return lb_class.error();
  service.load_balancer_class = std::move(*lb_class);

  // "Cluster" and "Local"; the API server also still accepts the pre-1.18 spellings.
  auto etp = optionalEnum<ExternalTrafficPolicy>(
      s, "externalTrafficPolicy", "spec", std::array<std::string_view, 2>{"Cluster", "Local"});
  if (!etp) return etp.error();
  service.external_traffic_policy = etp->value_or(ExternalTrafficPolicy::kCluster);

  auto families = decodeIpFamilies(s);
  if (!families) return families.error();
  service.ip_families = std::move(*families);

  auto family_policy = optionalEnum<IpFamilyPolicy>(
      s, "ipFamilyPolicy", "spec",
      std::array<std::string_view, 3>{"SingleStack", "PreferDualStack", "RequireDualStack"});
  if (!family_policy) return family_policy.error();
  service.ip_family_policy = *family_policy;

  auto ingress = decodeStatus(*document);
  if (!ingress) return ingress.error();
  service.ingress = std::move(*ingress);
  return service;
}

std::string serviceStatusPatchJson(const std::vector<LoadBalancerIngress>& ingress) {
  Json entries = Json::array();
  for (const LoadBalancerIngress& entry : ingress) {
    Json item = Json::object();
    if (entry.ip) item["ip"] = entry.ip->toString();
    if (!entry.hostname.empty()) item["hostname"] = entry.hostname;
    if (entry.ip_mode) item["ipMode"] = *entry.ip_mode;
    if (!entry.ports.empty()) {
      Json ports = Json::array();
      for (const PortStatus& port : entry.ports) {
        Json p = {{"port", port.port}, {"protocol", port.protocol}};
        if (port.error) p["error"] = *port.error;
        ports.push_back(std::move(p));
      }
      item["ports"] = std::move(ports);
    }
    entries.push_back(std::move(item));
  }
  Json patch = {{"status", {{"loadBalancer", {{"ingress", std::move(entries)}}}}}};
  return patch.dump();
}

std::string annotationPatchJson(std::string_view key, const std::optional<std::string>& value,
                                std::string_view resource_version) {
  Json annotations = Json::object();
  annotations[std::string(key)] = value ? Json(*value) : Json(nullptr);
  Json metadata = {{"annotations", std::move(annotations)}};
  if (!resource_version.empty()) metadata["resourceVersion"] = std::string(resource_version);
  Json patch = {{"metadata", std::move(metadata)}};
  return patch.dump();
}

}  // namespace kubevip::k8s
