#include "k8s/api_error.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <string>

#include "k8s/json_fields.h"

namespace kubevip::k8s {

Error errorFromResponse(long http_status, std::string_view body, std::string_view action) {
  std::string message;
  std::string reason;
  // A body that is not a Status object leaves the HTTP status alone to say what went wrong.
  auto parsed = json_fields::parseUntrustedObject(body);
  // Not doc.value("kind", ""): it throws when "kind" is there but not a string.
  if (parsed && parsed->contains("kind") && (*parsed)["kind"] == "Status") {
    const auto& doc = *parsed;
    if (doc.contains("message") && doc["message"].is_string()) message = doc["message"];
    if (doc.contains("reason") && doc["reason"].is_string()) reason = doc["reason"];
  }
  if (message.empty()) {
    // Not a Status (a proxy in between, or an old server): show the start of the body.
    std::string_view head = body.substr(0, 200);
    message = head.empty() ? "no details in the response" : std::string(head);
  }
  ErrorCode code;
  std::string what;
  switch (http_status) {
    case 401:
      code = ErrorCode::kPermission;
      what =
          "unauthorized (401): the API server rejected our credentials (wrong or expired token "
          "or client certificate)";
      break;
    case 403:
      code = ErrorCode::kPermission;
      what = "forbidden (403) by RBAC";
      break;
    case 404:
      code = ErrorCode::kNotFound;
      what = "not found (404)";
      break;
    case 409:
      code = ErrorCode::kConflict;
      what = reason == "AlreadyExists" ? "already exists (409)" : "conflict (409)";
      break;
    default:
      code = (http_status == 429 || http_status >= 500) ? ErrorCode::kUnavailable
                                                        : ErrorCode::kInvalidArgument;
      what = fmt::format("HTTP {}{}", http_status, reason.empty() ? "" : " " + reason);
  }
  return makeError(code, fmt::format("{}: {}: {}", action, what, message));
}

}  // namespace kubevip::k8s
