#include "k8s/node.h"

#include "k8s/json_fields.h"

namespace kubevip::k8s {

Result<Node> nodeFromJson(std::string_view text) {
  auto document = json_fields::parseObject(text, "Node");
  if (!document) return document.error();
  auto meta = json_fields::objectMeta(*document, "Node");
  if (!meta) return meta.error();
  return Node{std::move(*meta)};
}

}  // namespace kubevip::k8s
