// core/v1 ConfigMap objects as plain values, decoded from the API server's JSON.
//
// kube-vip reads one ConfigMap: the address pools of the built-in address management
// (src/services/ipam.h parses its data). Data flow: list/watch JSON -> configMapFromJson().
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "common/result.h"
#include "k8s/object_meta.h"

namespace kubevip::k8s {

struct ConfigMap {
  ObjectMeta meta;
  std::map<std::string, std::string> data;

  bool operator==(const ConfigMap&) const = default;
};

// Errors name the field path, e.g. "ConfigMap: data.cidr-global: expected a string, got number".
Result<ConfigMap> configMapFromJson(std::string_view json);

}  // namespace kubevip::k8s
