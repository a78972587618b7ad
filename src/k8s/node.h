// core/v1 Node objects as plain values, decoded from the API server's JSON.
//
// kube-vip reads a Node for its name and labels: a node labelled
// node.kubernetes.io/exclude-from-external-load-balancers never announces a Service address
// (src/services/service_policy.h applies the rule). Data flow: get/watch JSON -> nodeFromJson().
#pragma once

#include <string_view>

#include "common/result.h"
#include "k8s/object_meta.h"

namespace kubevip::k8s {

struct Node {
  ObjectMeta meta;

  bool operator==(const Node&) const = default;
};

// Errors name the field path, e.g. "Node: metadata.name: required field is missing or empty".
Result<Node> nodeFromJson(std::string_view json);

}  // namespace kubevip::k8s
