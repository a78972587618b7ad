// core/v1 Endpoints objects as plain values, decoded from the API server's JSON.
//
// The older form of EndpointSlices, read instead of them when enable_endpoints is set (as the Go
// kube-vip does). Only what externalTrafficPolicy Local needs is kept: per subset, the ready
// addresses and the not-ready ones, each with its node. Data flow: watch/list JSON ->
// endpointsFromJson() -> Endpoints -> src/services/service_policy.h.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/ip_address.h"
#include "common/result.h"
#include "k8s/object_meta.h"

namespace kubevip::k8s {

struct EndpointAddress {
  IpAddress ip;
  std::string node_name;  // empty when not on a node

  bool operator==(const EndpointAddress&) const = default;
};

struct EndpointSubset {
  std::vector<EndpointAddress> addresses;            // ready
  std::vector<EndpointAddress> not_ready_addresses;  // not ready

  bool operator==(const EndpointSubset&) const = default;
};

// Named after its Service, in the Service's namespace.
struct Endpoints {
  ObjectMeta meta;
  std::vector<EndpointSubset> subsets;

  bool operator==(const Endpoints&) const = default;
};

// Errors name the field path, e.g. "Endpoints: subsets[0].addresses[1].ip: required field ...".
Result<Endpoints> endpointsFromJson(std::string_view json);

}  // namespace kubevip::k8s
