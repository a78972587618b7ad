#include "services/service_policy.h"

#include <fmt/format.h>

#include <algorithm>

namespace kubevip::services {
namespace {

std::string_view trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(" \t");
  return text.substr(first, last - first + 1);
}

std::string serviceId(const k8s::Service& service) {
  return fmt::format("Service {}/{}", service.meta.object_namespace, service.meta.name);
}

// Places `address` in its family's slot; a second address of a family is an error.
Status place(WantedAddresses& wanted, const IpAddress& address, const k8s::Service& service,
             std::string_view where) {
  if (address.isUnspecified()) {
    return makeError(ErrorCode::kInvalidArgument,
                     fmt::format("{}: {}: {} is unspecified and cannot be announced",
                                 serviceId(service), where, address.toString()));
  }
  std::optional<IpAddress>& slot = address.isV4() ? wanted.v4 : wanted.v6;
  if (slot && *slot != address) {
    return makeError(
        ErrorCode::kInvalidArgument,
        fmt::format("{}: {}: more than one {} address ({} and {})", serviceId(service), where,
                    address.isV4() ? "IPv4" : "IPv6", slot->toString(), address.toString()));
  }
  slot = address;
  return okStatus();
}

Result<IpAddress> parseEntry(std::string_view text, const k8s::Service& service,
                             std::string_view where) {
  auto address = IpAddress::parse(text);
  if (!address) {
    return makeError(ErrorCode::kInvalidArgument,
                     fmt::format("{}: {}: \"{}\" is not an IP address (host names are not "
                                 "accepted)",
                                 serviceId(service), where, text));
  }
  return address;
}

// Equality of ingress entries as kube-vip compares them: ipMode absent on one side equals "VIP".
bool sameEntry(const k8s::LoadBalancerIngress& a, const k8s::LoadBalancerIngress& b) {
  auto mode = [](const k8s::LoadBalancerIngress& e) { return e.ip_mode.value_or("VIP"); };
  return a.ip == b.ip && a.hostname == b.hostname && mode(a) == mode(b) && a.ports == b.ports;
}

}  // namespace

bool loadBalancerClassAccepted(const std::optional<std::string>& service_class,
                               const ServiceFilterOptions& options) {
  if (options.lb_class_legacy_handling) {
    if (service_class) return *service_class == options.lb_class_name;
    return !options.lb_class_only;
  }
  if (!service_class) return options.lb_class_name.empty();
  return *service_class == options.lb_class_name;
}

std::string_view handleVerdictName(HandleVerdict verdict) {
  switch (verdict) {
    case HandleVerdict::kHandle:
      return "handle";
    case HandleVerdict::kNotLoadBalancer:
      return "not of type LoadBalancer";
    case HandleVerdict::kIgnoredByAnnotation:
      return "annotated kube-vip.io/ignore";
    case HandleVerdict::kOtherNamespace:
      return "outside svc_namespace";
    case HandleVerdict::kOtherClass:
      return "another load balancer class";
  }
  return "unknown";
}

HandleVerdict shouldHandleService(const k8s::Service& service,
                                  const ServiceFilterOptions& options) {
  if (service.type != k8s::ServiceType::kLoadBalancer) return HandleVerdict::kNotLoadBalancer;
  auto ignore = service.meta.annotations.find(std::string(kIgnoreAnnotation));
  // Only the exact value "true", as the Go kube-vip compares it.
  if (ignore != service.meta.annotations.end() && ignore->second == "true") {
    return HandleVerdict::kIgnoredByAnnotation;
  }
  if (!options.namespace_filter.empty() &&
      service.meta.object_namespace != options.namespace_filter) {
    return HandleVerdict::kOtherNamespace;
  }
  if (!loadBalancerClassAccepted(service.load_balancer_class, options)) {
    return HandleVerdict::kOtherClass;
  }
  return HandleVerdict::kHandle;
}

std::string_view addressSourceName(AddressSource source) {
  switch (source) {
    case AddressSource::kNone:
      return "none";
    case AddressSource::kAnnotation:
      return "annotation kube-vip.io/loadbalancerIPs";
    case AddressSource::kStatusIngress:
      return "status.loadBalancer.ingress";
    case AddressSource::kSpecLoadBalancerIp:
      return "spec.loadBalancerIP";
  }
  return "unknown";
}

std::vector<IpAddress> WantedAddresses::all() const {
  std::vector<IpAddress> out;
  if (v4) out.push_back(*v4);
  if (v6) out.push_back(*v6);
  return out;
}

Result<WantedAddresses> wantedAddresses(const k8s::Service& service) {
  WantedAddresses wanted;
  auto annotation = service.meta.annotations.find(std::string(kLoadBalancerIpsAnnotation));
  if (annotation != service.meta.annotations.end()) {
    // Present means chosen, even when it says nothing usable: falling through to an older source
    // would announce an address the annotation no longer names.
    wanted.source = AddressSource::kAnnotation;
    const std::string where = fmt::format("annotation {}", kLoadBalancerIpsAnnotation);
    std::string_view rest = annotation->second;
    while (true) {
      const auto comma = rest.find(',');
      const std::string_view entry = trim(rest.substr(0, comma));
      if (!entry.empty()) {
        auto address = parseEntry(entry, service, where);
        if (!address) return address.error();
        if (auto placed = place(wanted, *address, service, where); !placed) return placed.error();
      }
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
    if (wanted.empty()) wanted.source = AddressSource::kNone;
    return wanted;
  }
  bool ingress_has_ip = false;
  for (std::size_t i = 0; i < service.ingress.size(); ++i) {
    const auto& entry = service.ingress[i];
    if (!entry.ip) continue;  // a hostname entry written by another controller
    ingress_has_ip = true;
    const std::string where = fmt::format("status.loadBalancer.ingress[{}].ip", i);
    if (auto placed = place(wanted, *entry.ip, service, where); !placed) return placed.error();
  }
  if (ingress_has_ip) {
    wanted.source = AddressSource::kStatusIngress;
    return wanted;
  }
  const std::string_view legacy = trim(service.load_balancer_ip);
  if (!legacy.empty()) {
    auto address = parseEntry(legacy, service, "spec.loadBalancerIP");
    if (!address) return address.error();
    if (auto placed = place(wanted, *address, service, "spec.loadBalancerIP"); !placed) {
      return placed.error();
    }
    wanted.source = AddressSource::kSpecLoadBalancerIp;
  }
  return wanted;
}

bool endpointServesTraffic(const k8s::EndpointConditions& conditions) {
  const bool ready = conditions.ready.value_or(true);
  const bool serving = conditions.serving.value_or(ready);
  const bool terminating = conditions.terminating.value_or(false);
  return ready && serving && !terminating;
}

std::set<std::string> nodesWithLocalEndpoints(std::string_view service_namespace,
                                              std::string_view service_name,
                                              const std::vector<k8s::EndpointSlice>& slices) {
  std::set<std::string> nodes;
  for (const auto& slice : slices) {
    if (slice.meta.object_namespace != service_namespace || slice.serviceName() != service_name) {
      continue;
    }
    for (const auto& endpoint : slice.endpoints) {
      if (!endpoint.node_name.empty() && endpointServesTraffic(endpoint.conditions)) {
        nodes.insert(endpoint.node_name);
      }
    }
  }
  return nodes;
}

std::set<std::string> nodesWithLocalEndpointsFromEndpoints(const k8s::Endpoints& endpoints) {
  std::set<std::string> nodes;
  for (const auto& subset : endpoints.subsets) {
    for (const auto& address : subset.addresses) {
      if (!address.node_name.empty()) nodes.insert(address.node_name);
    }
  }
  return nodes;
}

bool nodeExcludedFromLoadBalancers(const k8s::Node& node) {
  return node.meta.labels.contains(std::string(kExcludeFromLoadBalancersLabel));
}

bool nodeMayAnnounce(const k8s::Service& service, const k8s::Node& node,
                     const std::set<std::string>& nodes_with_local_endpoints) {
  if (nodeExcludedFromLoadBalancers(node)) return false;
  if (service.external_traffic_policy == k8s::ExternalTrafficPolicy::kLocal) {
    return nodes_with_local_endpoints.contains(node.meta.name);
  }
  return true;
}

std::vector<k8s::LoadBalancerIngress> desiredIngress(const k8s::Service& service,
                                                     const std::vector<IpAddress>& addresses,
                                                     bool write_ip_mode) {
  std::vector<k8s::LoadBalancerIngress> out;
  for (const IpAddress& address : addresses) {
    k8s::LoadBalancerIngress entry;
    entry.ip = address;
    if (write_ip_mode) entry.ip_mode = "VIP";
    for (const auto& port : service.ports) {
      entry.ports.push_back(k8s::PortStatus{port.port, port.protocol, std::nullopt});
    }
    out.push_back(std::move(entry));
  }
  return out;
}

bool ingressDiffers(const std::vector<k8s::LoadBalancerIngress>& current,
                    const std::vector<k8s::LoadBalancerIngress>& desired) {
  if (current.size() != desired.size()) return true;
  auto contained = [](const auto& needles, const auto& haystack) {
    return std::all_of(needles.begin(), needles.end(), [&](const auto& needle) {
      return std::any_of(haystack.begin(), haystack.end(),
                         [&](const auto& hay) { return sameEntry(needle, hay); });
    });
  };
  return !(contained(current, desired) && contained(desired, current));
}

std::optional<std::string> vipHostAnnotationUpdate(const k8s::Service& service,
                                                   std::string_view node_name) {
  auto it = service.meta.annotations.find(std::string(kVipHostAnnotation));
  if (it != service.meta.annotations.end() && it->second == node_name) return std::nullopt;
  return std::string(node_name);
}

std::string serviceInterface(const k8s::Service& service, std::string_view default_interface) {
  auto it = service.meta.annotations.find(std::string(kServiceInterfaceAnnotation));
  if (it != service.meta.annotations.end() && !trim(it->second).empty()) {
    return std::string(trim(it->second));
  }
  return std::string(default_interface);
}

}  // namespace kubevip::services
