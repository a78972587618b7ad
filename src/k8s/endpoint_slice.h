// discovery.k8s.io/v1 EndpointSlice objects as plain values, decoded from the API server's JSON.
//
// kube-vip reads EndpointSlices for one thing: with externalTrafficPolicy Local, which nodes run a
// ready, serving endpoint of a Service (src/services/service_policy.h decides; this file only
// decodes). Data flow: a watch or list yields JSON -> endpointSliceFromJson() -> EndpointSlice.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/ip_address.h"
#include "common/result.h"
#include "k8s/object_meta.h"

namespace kubevip::k8s {

// The label that ties a slice to its Service (in the slice's namespace).
inline constexpr std::string_view kServiceNameLabel = "kubernetes.io/service-name";

enum class EndpointAddressType { kIPv4, kIPv6, kFQDN };

// endpoints[].conditions, kept tri-state: the API gives absent fields a meaning (ready absent means
// ready; serving absent means "as ready"; terminating absent means not terminating), and that
// interpretation is policy, applied in src/services.
struct EndpointConditions {
  std::optional<bool> ready;
  std::optional<bool> serving;
  std::optional<bool> terminating;

  bool operator==(const EndpointConditions&) const = default;
};

struct SliceEndpoint {
  // Parsed for IPv4 and IPv6 slices; empty for FQDN slices, whose addresses kube-vip never uses.
  std::vector<IpAddress> addresses;
  EndpointConditions conditions;
  std::string node_name;  // empty when the endpoint is not on a node

  bool operator==(const SliceEndpoint&) const = default;
};

struct EndpointSlice {
  ObjectMeta meta;
  EndpointAddressType address_type = EndpointAddressType::kIPv4;
  std::vector<SliceEndpoint> endpoints;

  // The kubernetes.io/service-name label, or "" when the slice belongs to no Service.
  std::string serviceName() const;

  bool operator==(const EndpointSlice&) const = default;
};

// Errors name the field path, e.g.
// "EndpointSlice: endpoints[2].addresses[0]: '10.0.0.x' is not an IPv4 or IPv6 address".
Result<EndpointSlice> endpointSliceFromJson(std::string_view json);

}  // namespace kubevip::k8s
