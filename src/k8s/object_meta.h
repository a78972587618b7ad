// The metadata every Kubernetes object carries, as a plain value.
//
// Decoded from the API server's JSON by the object decoders (service.h, endpoint_slice.h,
// endpoints.h, node.h); only the fields kube-vip reads are kept.
#pragma once

#include <map>
#include <string>

namespace kubevip::k8s {

struct ObjectMeta {
  std::string name;
  std::string object_namespace;  // empty for cluster-scoped objects (Node)
  std::string uid;
  std::string resource_version;
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> annotations;

  bool operator==(const ObjectMeta&) const = default;
};

}  // namespace kubevip::k8s
