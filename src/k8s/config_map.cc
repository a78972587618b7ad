#include "k8s/config_map.h"

#include "k8s/json_fields.h"

namespace kubevip::k8s {

Result<ConfigMap> configMapFromJson(std::string_view text) {
  auto document = json_fields::parseObject(text, "ConfigMap");
  if (!document) return document.error();
  auto meta = json_fields::objectMeta(*document, "ConfigMap");
  if (!meta) return meta.error();
  auto data = json_fields::optionalStringMap(*document, "data", "", "ConfigMap");
  if (!data) return data.error();
  return ConfigMap{std::move(*meta), std::move(*data)};
}

}  // namespace kubevip::k8s
