// Typed, path-aware reading of fields from decoded JSON (internal to src/k8s).
//
// The object decoders walk a parsed document with these helpers instead of nlohmann's throwing
// accessors, so that bad input from the API server becomes an Error naming the object kind and
// the field path ("Service: spec.ports[1].port: expected an integer, got string") and never an
// exception. Absent and null fields read as "not set"; a field of the wrong type is an error.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "k8s/object_meta.h"

namespace kubevip::k8s::json_fields {

using Json = nlohmann::json;

// "<kind>: <path>: <what>".
Error fieldError(std::string_view kind, std::string_view path, std::string_view what);

// "a.b" or "b" when the parent path is empty; "a[3]" for an element.
std::string join(std::string_view parent, std::string_view key);
std::string element(std::string_view parent, std::size_t index);

// The deepest nesting accepted from the API server. The deepest documents kube-vip reads nest
// about ten levels (a watch event, its object, metadata, managedFields, an entry, fieldsV1, f:spec,
// f:ports, k:{...}, f:port); 64 leaves room for any object Kubernetes sends and is far below what
// copying or serializing a value can recurse through (common/json_nesting.h).
inline constexpr int kMaxJsonNesting = 64;

// Parses an answer of the API server that must be a JSON object; the error says why it is not
// one: "not valid JSON", "objects and arrays nested deeper than 64 levels" or "expected a JSON
// object, got array". Every decoder of the API server's answers parses through it.
Result<Json> parseUntrustedObject(std::string_view text);

// Parses a document that must be a JSON object of the given kind ("kind" checked when present,
// so that items of a List, which omit it, decode too).
Result<Json> parseObject(std::string_view text, std::string_view kind);

// The field `key` of `object` (which sits at `path`), or nullptr when absent or null.
const Json* field(const Json& object, std::string_view key);

Result<std::optional<std::string>> optionalString(const Json& object, std::string_view key,
                                                  std::string_view path, std::string_view kind);
Result<std::string> requiredString(const Json& object, std::string_view key, std::string_view path,
                                   std::string_view kind);
Result<std::optional<bool>> optionalBool(const Json& object, std::string_view key,
                                         std::string_view path, std::string_view kind);
// An integer within [min, max].
Result<std::optional<int64_t>> optionalInt(const Json& object, std::string_view key,
                                           std::string_view path, std::string_view kind,
                                           int64_t min, int64_t max);
// The object at `key` (nullptr when absent or null), or an error when it is not an object.
Result<const Json*> optionalObject(const Json& object, std::string_view key, std::string_view path,
                                   std::string_view kind);
// The array at `key` (nullptr when absent or null), or an error when it is not an array.
Result<const Json*> optionalArray(const Json& object, std::string_view key, std::string_view path,
                                  std::string_view kind);
Result<std::map<std::string, std::string>> optionalStringMap(const Json& object,
                                                             std::string_view key,
                                                             std::string_view path,
                                                             std::string_view kind);
Result<std::vector<std::string>> optionalStringList(const Json& object, std::string_view key,
                                                    std::string_view path, std::string_view kind);

// metadata: name required; namespace, uid, resourceVersion, labels, annotations optional.
Result<ObjectMeta> objectMeta(const Json& document, std::string_view kind);

}  // namespace kubevip::k8s::json_fields
