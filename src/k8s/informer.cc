#include "k8s/informer.h"

#include <fmt/format.h>

#include "k8s/api_error.h"
#include "k8s/collection_query.h"
#include "k8s/http_transport.h"
#include "k8s/watch_event.h"

namespace kubevip::k8s {
namespace {

// One page of a list may hold page_size objects (500 by default) of up to etcd's 1.5 MiB each,
// so no cap is safe for every possible page; this one allows 500 objects of 64 KiB on average
// (Services, EndpointSlices and ConfigMaps are a few KiB) and still bounds what a broken server
// can make us hold. Lower page_size if a collection of big objects hits it.
constexpr size_t kMaxListPageBytes = size_t{32} << 20;

// client-go's "very short watch": a watch that ends normally this soon, having delivered nothing,
// is treated as a failure so that a server ending every watch at once cannot make us spin.
constexpr std::chrono::seconds kShortestNormalWatch{1};

InformerEventType informerType(WatchEvent::Type type) {
  switch (type) {
    case WatchEvent::Type::kAdded:
      return InformerEventType::kAdded;
    case WatchEvent::Type::kDeleted:
      return InformerEventType::kDeleted;
    default:
      return InformerEventType::kModified;
  }
}

Error withContext(Error error, const std::string& context) {
  error.message = context + ": " + error.message;
  return error;
}

}  // namespace

Result<std::unique_ptr<Informer>> Informer::create(EventLoop& loop, ClusterAccess access,
                                                   InformerOptions options) {
  if (options.collection_path.empty() || options.collection_path[0] != '/') {
    return makeError(ErrorCode::kInvalidArgument,
                     fmt::format("informer for {}: the collection path \"{}\" must start with /",
                                 options.description, options.collection_path));
  }
  if (options.page_size < 1 || options.watch_seconds < 1 || options.backoff_initial.count() < 1 ||
      options.backoff_max < options.backoff_initial) {
    return makeError(ErrorCode::kInvalidArgument,
                     fmt::format("informer for {}: page_size and watch_seconds must be at least 1 "
                                 "and 1 ms <= backoff_initial <= backoff_max",
                                 options.description));
  }
  auto transport = HttpTransport::create(std::move(access), options.request_timeout);
  if (!transport) return transport.error();
  std::unique_ptr<Informer> informer(new Informer());
  Informer* self = informer.get();
  auto wakeup = CrossThreadWakeup::create(loop, [self] { self->deliver(); });
  if (!wakeup) return wakeup.error();
  informer->options_ = std::move(options);
  informer->transport_ = std::move(*transport);
  informer->wakeup_ = std::move(*wakeup);
  return informer;
}

Informer::~Informer() {
  *alive_ = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  stop_cv_.notify_all();
  if (thread_.joinable()) {
    transport_->wakeStream();
    thread_.join();
  }
}

void Informer::start(InformerCallbacks callbacks) {
  if (thread_.joinable()) return;
  callbacks_ = std::move(callbacks);
  thread_ = std::thread([this] { run(); });
}

void Informer::run() {
  std::string resource_version;  // empty: list first
  bool just_listed = false;
  auto backoff = options_.backoff_initial;
  while (!stop_) {
    Error failure;
    if (resource_version.empty()) {
      auto objects = list(resource_version);
      if (stop_) return;
      if (objects) {
        push(Item{Item::Kind::kReplace, std::move(*objects), {}, {}, {}});
        backoff = options_.backoff_initial;
        just_listed = true;
        continue;
      }
      failure = objects.error();
      resource_version.clear();
    } else {
      bool delivered = false;
      const auto started = std::chrono::steady_clock::now();
      const WatchEnd end = watch(resource_version, delivered, failure);
      if (stop_) return;
      if (delivered) backoff = options_.backoff_initial;
      const bool first_watch_after_list = just_listed;
      just_listed = false;
      if (end == WatchEnd::kEnded) {
        if (delivered || std::chrono::steady_clock::now() - started >= kShortestNormalWatch) {
          continue;  // the server's timeoutSeconds: watch again from where we are
        }
        failure = makeError(ErrorCode::kUnavailable,
                            fmt::format("watch {}: the API server ended the watch at once, "
                                        "without any event",
                                        options_.description));
      } else if (end == WatchEnd::kGone) {
        resource_version.clear();  // history is gone: list again
        if (delivered || !first_watch_after_list) continue;
        failure = makeError(ErrorCode::kUnavailable,
                            fmt::format("watch {}: 410 Gone for the resourceVersion of the list "
                                        "just made",
                                        options_.description));
      }
    }
    push(Item{Item::Kind::kError, {}, {}, {}, failure});
    if (!sleep(backoff)) return;
    backoff = nextBackoff(backoff, options_.backoff_max);
  }
}

Result<std::vector<WatchedObject>> Informer::list(std::string& resource_version) {
  const CollectionQuery query{options_.collection_path, options_.label_selector,
                              options_.field_selector};
  const std::string action = "list " + options_.description;
  std::vector<WatchedObject> objects;
  std::string continue_token;
  do {
    const HttpRequest request{"GET", collectionListPath(query, options_.page_size, continue_token),
                              ""};
    std::string body;
    auto response = transport_->stream(
        request,
        [&](std::string_view chunk) -> Status {
          if (body.size() + chunk.size() > kMaxListPageBytes) {
            return makeError(
                ErrorCode::kInvalidArgument,
                fmt::format("a page of the list exceeds the {} MiB cap at {}{}; lower the page "
                            "size (now {})",
                            kMaxListPageBytes >> 20, transport_->server(), request.path,
                            options_.page_size));
          }
          body.append(chunk);
          return okStatus();
        },
        options_.request_timeout, stop_);
    if (!response) return withContext(response.error(), action);
    if (response->status != 200) {
      // 410 here: the continue token expired; the next attempt lists from the start.
      return errorFromResponse(response->status, response->body, action);
    }
    auto page = parseListPage(body, options_.description);
    if (!page) return page.error();
    for (auto& object : page->items) objects.push_back(std::move(object));
    resource_version = page->resource_version;
    continue_token = page->continue_token;
  } while (!continue_token.empty() && !stop_);
  return objects;
}

Informer::WatchEnd Informer::watch(std::string& resource_version, bool& delivered, Error& error) {
  const CollectionQuery query{options_.collection_path, options_.label_selector,
                              options_.field_selector};
  const HttpRequest request{
      "GET", collectionWatchPath(query, resource_version, options_.watch_seconds), ""};
  const std::string action = "watch " + options_.description;
  WatchLineSplitter lines;
  bool gone = false;
  const auto on_line = [&](std::string_view line) -> Status {
    auto event = parseWatchEvent(line, options_.description);
    if (!event) return event.error();
    switch (event->type) {
      case WatchEvent::Type::kError:
        // Nothing after an ERROR event is meaningful: the transfer is aborted.
        if (event->error_code == 410) {
          gone = true;
          return makeError(ErrorCode::kNotFound, "410 Gone: " + event->error_message);
        }
        return errorFromResponse(event->error_code, event->object.json, action);
      case WatchEvent::Type::kBookmark:
        resource_version = event->object.resource_version;
        delivered = true;
        return okStatus();
      default:
        if (!event->object.resource_version.empty()) {
          resource_version = event->object.resource_version;
        }
        delivered = true;
        push(Item{Item::Kind::kEvent, {}, informerType(event->type), std::move(event->object), {}});
        return okStatus();
    }
  };
  // The server ends the stream after watch_seconds; the local bound only catches a server that
  // forgets to.
  const auto max_duration = std::chrono::milliseconds((options_.watch_seconds + 30) * 1000);
  auto response = transport_->stream(
      request, [&](std::string_view chunk) { return lines.feed(chunk, on_line); }, max_duration,
      stop_);
  if (gone || (response && response->status == 410)) return WatchEnd::kGone;
  if (!response) {
    error = withContext(response.error(), action);
    return WatchEnd::kFailed;
  }
  if (response->status != 200) {
    error = errorFromResponse(response->status, response->body, action);
    return WatchEnd::kFailed;
  }
  return WatchEnd::kEnded;
}

bool Informer::sleep(std::chrono::milliseconds duration) {
  std::unique_lock<std::mutex> lock(mutex_);
  stop_cv_.wait_for(lock, duration, [this] { return stop_.load(); });
  return !stop_;
}

void Informer::push(Item item) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ready_.push_back(std::move(item));
  }
  wakeup_->notify();
}

void Informer::deliver() {
  std::deque<Item> items;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    items.swap(ready_);
  }
  std::weak_ptr<bool> alive = alive_;
  for (auto& item : items) {
    // A callback may destroy the informer: stop at once if it did. Each callback is copied
    // before it runs, so that destroying the informer does not destroy a running function.
    if (alive.expired()) return;
    switch (item.kind) {
      case Item::Kind::kReplace:
        if (auto on_replace = callbacks_.on_replace) on_replace(std::move(item.objects));
        break;
      case Item::Kind::kEvent:
        if (auto on_event = callbacks_.on_event) on_event(item.event_type, std::move(item.object));
        break;
      case Item::Kind::kError:
        if (auto on_error = callbacks_.on_error) on_error(item.error);
        break;
    }
  }
}

}  // namespace kubevip::k8s
