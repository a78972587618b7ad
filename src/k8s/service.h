// core/v1 Service objects as plain values: decoded from the API server's JSON, and the patches
// kube-vip writes back.
//
// Data flow: a Service watch or list yields JSON -> serviceFromJson() -> Service, which the pure
// policy in src/services reads (which Services to handle, their addresses, the status wanted).
// What kube-vip writes goes the other way: serviceStatusPatchJson() is the merge patch for the
// status subresource, annotationPatchJson() the merge patch for an annotation on the object.
// Pure functions, so the wire format is tested against real objects without a server.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/ip_address.h"
#include "common/result.h"
#include "k8s/object_meta.h"

namespace kubevip::k8s {

// spec.ports[]: the fields kube-vip copies into status and compares when addresses are shared.
struct ServicePort {
  std::string name;
  std::string protocol = "TCP";  // the API server's default
  uint16_t port = 0;

  bool operator==(const ServicePort&) const = default;
};

// status.loadBalancer.ingress[].ports[].
struct PortStatus {
  uint16_t port = 0;
  std::string protocol;
  std::optional<std::string> error;

  bool operator==(const PortStatus&) const = default;
};

// status.loadBalancer.ingress[]. kube-vip writes IPs only; a hostname written by someone else is
// kept so that the status can be compared and reported, and has no ip.
struct LoadBalancerIngress {
  std::optional<IpAddress> ip;
  std::string hostname;
  std::optional<std::string> ip_mode;  // "VIP" or "Proxy"; absent on clusters before 1.29
  std::vector<PortStatus> ports;

  bool operator==(const LoadBalancerIngress&) const = default;
};

enum class ServiceType { kClusterIP, kNodePort, kLoadBalancer, kExternalName };
enum class ExternalTrafficPolicy { kCluster, kLocal };
enum class IpFamilyPolicy { kSingleStack, kPreferDualStack, kRequireDualStack };

struct Service {
  ObjectMeta meta;
  ServiceType type = ServiceType::kClusterIP;
  std::vector<ServicePort> ports;
  // The legacy spec.loadBalancerIP; kept as text, parsed where it is used, because an unparsable
  // value there belongs to one Service's policy, not to decoding the whole object.
  std::string load_balancer_ip;
  std::optional<std::string> load_balancer_class;
  ExternalTrafficPolicy external_traffic_policy = ExternalTrafficPolicy::kCluster;
  std::vector<IpFamily> ip_families;
  std::optional<IpFamilyPolicy> ip_family_policy;
  std::vector<LoadBalancerIngress> ingress;  // status.loadBalancer.ingress

  bool operator==(const Service&) const = default;
};

// Decodes one Service (a watch event's object, or an item of a ServiceList). Errors name the
// field path, e.g. "Service: spec.ports[0].port: expected an integer, got string".
Result<Service> serviceFromJson(std::string_view json);

// {"status":{"loadBalancer":{"ingress":[...]}}}: a JSON merge patch for
// PATCH .../services/<name>/status. An empty list clears the ingress.
std::string serviceStatusPatchJson(const std::vector<LoadBalancerIngress>& ingress);

// {"metadata":{"annotations":{"<key>":"<value>"}}}, or null as the value to remove the
// annotation: a JSON merge patch for PATCH .../services/<name> (RFC 7386). With a
// `resource_version`, the patch carries it in metadata, which makes the API server apply it only
// to that version of the object (409 Conflict otherwise).
std::string annotationPatchJson(std::string_view key, const std::optional<std::string>& value,
                                std::string_view resource_version = {});

}  // namespace kubevip::k8s
