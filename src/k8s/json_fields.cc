#include "k8s/json_fields.h"

#include <fmt/format.h>

#include "common/json_nesting.h"

namespace kubevip::k8s::json_fields {
namespace {

Error wrongType(std::string_view kind, std::string_view path, std::string_view expected,
                const Json& value) {
  return fieldError(kind, path, fmt::format("expected {}, got {}", expected, value.type_name()));
}

}  // namespace

Error fieldError(std::string_view kind, std::string_view path, std::string_view what) {
  return makeError(ErrorCode::kInvalidArgument, fmt::format("{}: {}: {}", kind, path, what));
}

std::string join(std::string_view parent, std::string_view key) {
  if (parent.empty()) return std::string(key);
  return fmt::format("{}.{}", parent, key);
}

std::string element(std::string_view parent, std::size_t index) {
  return fmt::format("{}[{}]", parent, index);
}

Result<Json> parseUntrustedObject(std::string_view text) {
  if (jsonNestsDeeperThan(text, kMaxJsonNesting)) {
    return makeError(
        ErrorCode::kInvalidArgument,
        fmt::format("objects and arrays nested deeper than {} levels", kMaxJsonNesting));
  }
  Json doc = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return makeError(ErrorCode::kInvalidArgument, "not valid JSON");
  if (!doc.is_object()) {
    return makeError(ErrorCode::kInvalidArgument,
                     fmt::format("expected a JSON object, got {}", doc.type_name()));
  }
  return doc;
}

Result<Json> parseObject(std::string_view text, std::string_view kind) {
  auto parsed = parseUntrustedObject(text);
  if (!parsed) {
    return makeError(ErrorCode::kInvalidArgument,
                     fmt::format("{}: {}", kind, parsed.error().message));
  }
  Json doc = std::move(*parsed);
  const Json* found_kind = field(doc, "kind");
  if (found_kind != nullptr &&
      (!found_kind->is_string() || found_kind->get<std::string>() != kind)) {
    return makeError(ErrorCode::kInvalidArgument,
                     fmt::format("expected a {}, got kind {}", kind, found_kind->dump()));
  }
  return doc;
}

const Json* field(const Json& object, std::string_view key) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return nullptr;
  return &*it;
}

Result<std::optional<std::string>> optionalString(const Json& object, std::string_view key,
                                                  std::string_view path, std::string_view kind) {
  const Json* value = field(object, key);
  if (value == nullptr) return std::optional<std::string>{};
  if (!value->is_string()) return wrongType(kind, join(path, key), "a string", *value);
  return std::optional<std::string>{value->get<std::string>()};
}

Result<std::string> requiredString(const Json& object, std::string_view key, std::string_view path,
                                   std::string_view kind) {
  auto value = optionalString(object, key, path, kind);
  if (!value) return value.error();
  if (!value->has_value() || (*value)->empty()) {
    return fieldError(kind, join(path, key), "required field is missing or empty");
  }
  return std::move(**value);
}

Result<std::optional<bool>> optionalBool(const Json& object, std::string_view key,
                                         std::string_view path, std::string_view kind) {
  const Json* value = field(object, key);
  if (value == nullptr) return std::optional<bool>{};
  if (!value->is_boolean()) return wrongType(kind, join(path, key), "a boolean", *value);
  return std::optional<bool>{value->get<bool>()};
}

Result<std::optional<int64_t>> optionalInt(const Json& object, std::string_view key,
                                           std::string_view path, std::string_view kind,
                                           int64_t min, int64_t max) {
  const Json* value = field(object, key);
  if (value == nullptr) return std::optional<int64_t>{};
  if (!value->is_number_integer()) return wrongType(kind, join(path, key), "an integer", *value);
  // An unsigned value above INT64_MAX is out of range whatever the bounds.
  if (value->is_number_unsigned() && value->get<uint64_t>() > static_cast<uint64_t>(max)) {
    return fieldError(kind, join(path, key),
                      fmt::format("{} is out of range [{}, {}]", value->get<uint64_t>(), min, max));
  }
  const auto number = value->get<int64_t>();
  if (number < min || number > max) {
    return fieldError(kind, join(path, key),
                      fmt::format("{} is out of range [{}, {}]", number, min, max));
  }
  return std::optional<int64_t>{number};
}

Result<const Json*> optionalObject(const Json& object, std::string_view key, std::string_view path,
                                   std::string_view kind) {
  const Json* value = field(object, key);
  if (value != nullptr && !value->is_object()) {
    return wrongType(kind, join(path, key), "an object", *value);
  }
  return value;
}

Result<const Json*> optionalArray(const Json& object, std::string_view key, std::string_view path,
                                  std::string_view kind) {
  const Json* value = field(object, key);
  if (value != nullptr && !value->is_array()) {
    return wrongType(kind, join(path, key), "an array", *value);
  }
  return value;
}

Result<std::map<std::string, std::string>> optionalStringMap(const Json& object,
                                                             std::string_view key,
                                                             std::string_view path,
                                                             std::string_view kind) {
  auto map = optionalObject(object, key, path, kind);
  if (!map) return map.error();
  std::map<std::string, std::string> out;
  if (*map == nullptr) return out;
  const std::string map_path = join(path, key);
  for (const auto& [name, value] : (*map)->items()) {
    if (!value.is_string()) return wrongType(kind, join(map_path, name), "a string", value);
    out.emplace(name, value.get<std::string>());
  }
  return out;
}

Result<std::vector<std::string>> optionalStringList(const Json& object, std::string_view key,
                                                    std::string_view path, std::string_view kind) {
  auto list = optionalArray(object, key, path, kind);
  if (!list) return list.error();
  std::vector<std::string> out;
  if (*list == nullptr) return out;
  const std::string list_path = join(path, key);
  for (std::size_t i = 0; i < (*list)->size(); ++i) {
    const Json& value = (**list)[i];
    if (!value.is_string()) return wrongType(kind, element(list_path, i), "a string", value);
    out.push_back(value.get<std::string>());
  }
  return out;
}

Result<ObjectMeta> objectMeta(const Json& document, std::string_view kind) {
  const Json* metadata = field(document, "metadata");
  if (metadata == nullptr) return fieldError(kind, "metadata", "required field is missing");
  if (!metadata->is_object()) return wrongType(kind, "metadata", "an object", *metadata);
  ObjectMeta meta;
  auto name = requiredString(*metadata, "name", "metadata", kind);
  if (!name) return name.error();
  meta.name = std::move(*name);
  for (auto [key, out] :
       {std::pair{"namespace", &meta.object_namespace}, std::pair{"uid", &meta.uid},
        std::pair{"resourceVersion", &meta.resource_version}}) {
    auto value = optionalString(*metadata, key, "metadata", kind);
    if (!value) return value.error();
    *out = value->value_or("");
  }
  for (auto [key, out] :
       {std::pair{"labels", &meta.labels}, std::pair{"annotations", &meta.annotations}}) {
    auto value = optionalStringMap(*metadata, key, "metadata", kind);
    if (!value) return value.error();
    *out = std::move(*value);
  }
  return meta;
}

}  // namespace kubevip::k8s::json_fields
