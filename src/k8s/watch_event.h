// The Kubernetes watch stream, for any kind of object, as pure functions.
//
// A watch answers with one JSON event per line: {"type":"ADDED|MODIFIED|DELETED|BOOKMARK|ERROR",
// "object":{...}}. A BOOKMARK's object carries only metadata.resourceVersion (the server has sent
// everything up to it); an ERROR's object is a meta/v1 Status (code 410 when the starting
// resourceVersion is too old). The stream is cut into lines by WatchLineSplitter (watch_lines.h).
// Internal to src/k8s (it exposes nlohmann::json): used by the Informer and the list decoder.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "common/result.h"
#include "k8s/watch_lines.h"
#include "k8s/watched_object.h"

namespace kubevip::k8s {

// An object of a list or a watch event: key and resourceVersion from its metadata (name
// required); the error says what is missing.
Result<WatchedObject> watchedObjectFromJson(const nlohmann::json& object);

struct WatchEvent {
  enum class Type { kAdded, kModified, kDeleted, kBookmark, kError };
  Type type = Type::kModified;
  // kAdded/kModified/kDeleted: the object (its last state for kDeleted). kBookmark: only
  // resource_version. kError: json is the Status.
  WatchedObject object;
  long error_code = 0;        // kError: the Status's code (410: resourceVersion too old)
  std::string error_message;  // kError: the Status's message
};

// One line of the stream. A malformed line (not JSON, no type or object, unknown type, an object
// without metadata.name) is an error naming what is wrong; `what` names the collection watched.
Result<WatchEvent> parseWatchEvent(std::string_view line, std::string_view what);

}  // namespace kubevip::k8s
