// The Kubernetes watch stream, for any kind of object, as pure functions.
//
// A watch answers with one JSON event per line: {"type":"ADDED|MODIFIED|DELETED|BOOKMARK|ERROR",
// "object":{...}}. A BOOKMARK's object carries only metadata.resourceVersion (the server has sent
// everything up to it); an ERROR's object is a meta/v1 Status (code 410 when the starting
// resourceVersion is too old). Chunks of the stream arrive cut anywhere, so WatchLineSplitter keeps
// the unfinished line between them, up to kMaxWatchLineBytes: one line is one event carrying one
// object, and no object the API server stores exceeds etcd's 1.5 MiB request limit, so a longer
// line is a broken or hostile server, and keeping it would let it grow memory without bound.
//
// Used by the Lease watch (lease_watch.h) and by the Informer (informer.h).
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "common/result.h"
#include "k8s/watched_object.h"

namespace kubevip::k8s {

inline constexpr size_t kMaxWatchLineBytes = size_t{2} << 20;

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

class WatchLineSplitter {
 public:
  // Calls `on_line` for each line completed by `chunk`, in stream order, without its line end;
  // blank lines are skipped. Stops at the first error `on_line` returns and returns it. A line
  // longer than kMaxWatchLineBytes is an error naming the cap; the splitter keeps nothing of it and
  // the stream must be abandoned.
  Status feed(std::string_view chunk, const std::function<Status(std::string_view)>& on_line);
  // Bytes of an unfinished line kept for the next chunk.
  size_t pending() const { return partial_.size(); }

 private:
  std::string partial_;
};

}  // namespace kubevip::k8s
