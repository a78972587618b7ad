// One object of a watched collection, as the Informer hands it over (informer.h).
#pragma once

#include <string>

namespace kubevip::k8s {

struct WatchedObject {
  std::string key;               // "namespace/name", or "name" for cluster-scoped objects
  std::string resource_version;  // metadata.resourceVersion
  std::string json;              // the whole object, as received

  bool operator==(const WatchedObject&) const = default;
};

}  // namespace kubevip::k8s
