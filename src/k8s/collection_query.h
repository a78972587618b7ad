// Listing and watching a collection of objects, as pure functions: the request paths and the
// decoding of a list page. Used by the Informer (informer.h).
//
// A list is paged: ?limit=N returns at most N items and, when more remain, metadata.continue, an
// opaque token for the next page (all pages then describe the same resourceVersion, the one of
// the whole list). A watch starts after a resourceVersion and, with allowWatchBookmarks=true,
// receives BOOKMARK events that advance it without an object changing. Selectors are
// percent-encoded (they contain '=', '!', ',' and spaces; a continue token may contain '+' or '/').
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "k8s/watched_object.h"

namespace kubevip::k8s {

struct CollectionQuery {
  std::string collection_path;  // "/api/v1/services", "/api/v1/namespaces/x/configmaps"
  std::string label_selector;   // optional, e.g. "app=x,!y"
  std::string field_selector;   // optional, e.g. "metadata.name=kubevip"
};

// RFC 3986 §2.3: everything but unreserved characters is percent-encoded.
std::string encodeQueryValue(std::string_view value);

// GET of one page: limit always, continue when not empty.
std::string collectionListPath(const CollectionQuery& query, int limit,
                               const std::string& continue_token);
// GET of a watch after `resource_version`, with bookmarks, ended by the server after
// `timeout_seconds`.
std::string collectionWatchPath(const CollectionQuery& query, const std::string& resource_version,
                                int timeout_seconds);

struct ListPage {
  std::vector<WatchedObject> items;
  std::string resource_version;  // metadata.resourceVersion of the list (never empty)
  std::string continue_token;    // metadata.continue, empty on the last page
};

// A List object ({"kind":"ServiceList","metadata":{...},"items":[...]}); `what` names the
// collection in errors ("services").
Result<ListPage> parseListPage(std::string_view body, std::string_view what);

// The back-off after `current`: doubled, at most `max`.
std::chrono::milliseconds nextBackoff(std::chrono::milliseconds current,
                                      std::chrono::milliseconds max);

}  // namespace kubevip::k8s
