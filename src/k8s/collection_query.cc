#include "k8s/collection_query.h"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "k8s/json_fields.h"
#include "k8s/watch_event.h"

namespace kubevip::k8s {
namespace {

using Json = nlohmann::json;

void appendParam(std::string& path, std::string_view name, std::string_view value) {
  path += path.find('?') == std::string::npos ? '?' : '&';
  path += name;
  path += '=';
  path += encodeQueryValue(value);
}

void appendSelectors(std::string& path, const CollectionQuery& query) {
  if (!query.label_selector.empty()) appendParam(path, "labelSelector", query.label_selector);
  if (!query.field_selector.empty()) appendParam(path, "fieldSelector", query.field_selector);
}

Error badList(std::string_view what, std::string_view why) {
  return makeError(ErrorCode::kInvalidArgument,
                   fmt::format("malformed list of {} from the API server: {}", what, why));
}

std::string stringAt(const Json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

std::string encodeQueryValue(std::string_view value) {
  std::string out;
  for (const char c : value) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) != 0 || c == '-' || c == '.' || c == '_' || c == '~') {
      out += c;
    } else {
      out += fmt::format("%{:02X}", u);
    }
  }
  return out;
}

std::string collectionListPath(const CollectionQuery& query, int limit,
                               const std::string& continue_token) {
  std::string path = query.collection_path;
  appendSelectors(path, query);
  appendParam(path, "limit", std::to_string(limit));
  if (!continue_token.empty()) appendParam(path, "continue", continue_token);
  return path;
}

std::string collectionWatchPath(const CollectionQuery& query, const std::string& resource_version,
                                int timeout_seconds) {
  std::string path = query.collection_path;
  appendParam(path, "watch", "true");
  appendParam(path, "allowWatchBookmarks", "true");
  appendSelectors(path, query);
  if (!resource_version.empty()) appendParam(path, "resourceVersion", resource_version);
  appendParam(path, "timeoutSeconds", std::to_string(timeout_seconds));
  return path;
}

Result<ListPage> parseListPage(std::string_view body, std::string_view what) {
  auto parsed = json_fields::parseUntrustedObject(body);
  if (!parsed) return badList(what, parsed.error().message);
  Json& doc = *parsed;
  auto meta = doc.find("metadata");
  if (meta == doc.end() || !meta->is_object()) return badList(what, "no \"metadata\"");
  ListPage page;
  page.resource_version = stringAt(*meta, "resourceVersion");
  if (page.resource_version.empty()) return badList(what, "no metadata.resourceVersion");
  page.continue_token = stringAt(*meta, "continue");
  auto items = doc.find("items");
  if (items == doc.end() || items->is_null()) return page;  // an empty list may omit them
  if (!items->is_array()) return badList(what, "\"items\" is not an array");
  page.items.reserve(items->size());
  for (size_t i = 0; i < items->size(); ++i) {
    auto object = watchedObjectFromJson((*items)[i]);
    if (!object) {
      return badList(what, fmt::format("items[{}]: {}", i, object.error().message));
    }
    page.items.push_back(std::move(*object));
  }
  return page;
}

std::chrono::milliseconds nextBackoff(std::chrono::milliseconds current,
                                      std::chrono::milliseconds max) {
  return std::min(current * 2, max);
}

}  // namespace kubevip::k8s
