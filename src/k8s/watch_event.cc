#include "k8s/watch_event.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "k8s/json_fields.h"

namespace kubevip::k8s {
namespace {

using Json = nlohmann::json;

Error badEvent(std::string_view what, const std::string& why) {
  return makeError(ErrorCode::kInvalidArgument,
                   fmt::format("malformed watch event for {} from the API server: {}", what, why));
}

std::string stringAt(const Json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

Result<WatchedObject> watchedObjectFromJson(const Json& object) {
  const auto missing = [](const char* what) {
    return makeError(ErrorCode::kInvalidArgument, fmt::format("the object has no {}", what));
  };
  if (!object.is_object()) {
    return makeError(ErrorCode::kInvalidArgument, "the object is not a JSON object");
  }
  auto meta = object.find("metadata");
  if (meta == object.end() || !meta->is_object()) return missing("\"metadata\"");
  const std::string name = stringAt(*meta, "name");
  if (name.empty()) return missing("metadata.name");
  const std::string ns = stringAt(*meta, "namespace");
  WatchedObject out;
  out.key = ns.empty() ? name : ns + "/" + name;
  out.resource_version = stringAt(*meta, "resourceVersion");
  out.json = object.dump();
  return out;
}

Result<WatchEvent> parseWatchEvent(std::string_view line, std::string_view what) {
  auto parsed = json_fields::parseUntrustedObject(line);
  if (!parsed) return badEvent(what, parsed.error().message);
  const Json& doc = *parsed;
  if (!doc.contains("type") || !doc["type"].is_string()) return badEvent(what, "no \"type\"");
  if (!doc.contains("object") || !doc["object"].is_object()) return badEvent(what, "no \"object\"");
  const std::string type = doc["type"].get<std::string>();
  const Json& object = doc["object"];
  WatchEvent event;
  if (type == "ERROR") {
    event.type = WatchEvent::Type::kError;
    auto code = object.find("code");
    event.error_code = code != object.end() && code->is_number_integer() ? code->get<long>() : 0;
    event.error_message = stringAt(object, "message");
    event.object.json = object.dump();
    return event;
  }
  if (type == "BOOKMARK") {
    event.type = WatchEvent::Type::kBookmark;
    auto meta = object.find("metadata");
    if (meta != object.end() && meta->is_object()) {
      event.object.resource_version = stringAt(*meta, "resourceVersion");
    }
    if (event.object.resource_version.empty()) {
      return badEvent(what, "a BOOKMARK without metadata.resourceVersion");
    }
    return event;
  }
  if (type == "ADDED") {
    event.type = WatchEvent::Type::kAdded;
  } else if (type == "MODIFIED") {
    event.type = WatchEvent::Type::kModified;
  } else if (type == "DELETED") {
    event.type = WatchEvent::Type::kDeleted;
  } else {
    return badEvent(what, fmt::format("unknown type \"{}\"", type));
  }
  auto watched = watchedObjectFromJson(object);
  if (!watched) return badEvent(what, watched.error().message);
  event.object = std::move(*watched);
  return event;
}

}  // namespace kubevip::k8s
