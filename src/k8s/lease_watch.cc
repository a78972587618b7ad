#include "k8s/lease_watch.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "k8s/api_error.h"
#include "k8s/json_fields.h"

namespace kubevip::k8s {
namespace {

using Json = nlohmann::json;

Error badEvent(const std::string& why) {
  return makeError(ErrorCode::kInvalidArgument,
                   fmt::format("malformed watch event from the API server: {}", why));
}

}  // namespace

std::string leaseWatchPath(const std::string& lease_namespace, const std::string& lease_name,
                           const std::string& resource_version, int timeout_seconds) {
  // Namespace and name are DNS labels/subdomains: nothing in them needs percent-encoding.
  std::string path = fmt::format(
      "/apis/coordination.k8s.io/v1/namespaces/{}/leases?watch=true&fieldSelector=metadata.name"
      "%3D{}",
      lease_namespace, lease_name);
  if (!resource_version.empty()) path += "&resourceVersion=" + resource_version;
  path += fmt::format("&timeoutSeconds={}", timeout_seconds);
  return path;
}

Result<LeaseWatchEvent> parseLeaseWatchEvent(std::string_view line) {
  auto parsed = json_fields::parseUntrustedObject(line);
  if (!parsed) return badEvent(parsed.error().message);
  Json& doc = *parsed;
  if (!doc.contains("type") || !doc["type"].is_string()) return badEvent("no \"type\"");
  if (!doc.contains("object") || !doc["object"].is_object()) return badEvent("no \"object\"");
  const std::string type = doc["type"].get<std::string>();
  Json& object = doc["object"];
  if (type == "ERROR") {
    // Not object.value(...): it throws when the field is there with another type.
    const long code = object.contains("code") && object["code"].is_number_integer()
                          ? object["code"].get<long>()
                          : 0;
    if (code == 410) {
      const bool has_message = object.contains("message") && object["message"].is_string();
      return makeError(ErrorCode::kNotFound,
                       fmt::format("watch Lease: resourceVersion too old (410 Gone): {}",
                                   has_message ? object["message"].get<std::string>() : ""));
    }
    return errorFromResponse(code, object.dump(), "watch Lease");
  }
  LeaseWatchEvent event;
  if (type == "ADDED") {
    event.type = LeaseWatchEvent::Type::kAdded;
  } else if (type == "MODIFIED") {
    event.type = LeaseWatchEvent::Type::kModified;
  } else if (type == "DELETED") {
    event.type = LeaseWatchEvent::Type::kDeleted;
  } else {
    // BOOKMARK is only sent when asked for (allowWatchBookmarks), which we never do.
    return badEvent(fmt::format("unknown type \"{}\"", type));
  }
  // The objects of watch events carry their kind, but do not insist on it.
  if (!object.contains("kind")) object["kind"] = "Lease";
  auto lease = leaseFromJson(object.dump());
  if (!lease) return lease.error();
  event.lease = std::move(*lease);
  return event;
}

std::vector<Result<LeaseWatchEvent>> WatchStreamParser::feed(std::string_view chunk) {
  std::vector<Result<LeaseWatchEvent>> events;
  // A malformed line is an error in its place and the stream goes on; only the cap ends it.
  Status status = lines_.feed(chunk, [&](std::string_view line) {
    events.push_back(parseLeaseWatchEvent(line));
    return okStatus();
  });
  if (!status) events.push_back(status.error());
  return events;
}

}  // namespace kubevip::k8s
