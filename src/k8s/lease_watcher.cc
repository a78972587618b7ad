#include "k8s/lease_watcher.h"

#include <fmt/format.h>

#include "k8s/api_error.h"
#include "k8s/http_transport.h"

namespace kubevip::k8s {

Result<std::unique_ptr<LeaseWatcher>> LeaseWatcher::create(EventLoop& loop, ClusterAccess access,
                                                           std::string lease_namespace,
                                                           std::string lease_name,
                                                           std::chrono::milliseconds timeout,
                                                           int watch_seconds) {
  auto transport = HttpTransport::create(std::move(access), timeout);
  if (!transport) return transport.error();
  std::unique_ptr<LeaseWatcher> watcher(new LeaseWatcher());
  LeaseWatcher* self = watcher.get();
  auto wakeup = CrossThreadWakeup::create(loop, [self] { self->deliver(); });
  if (!wakeup) return wakeup.error();
  watcher->transport_ = std::move(*transport);
  watcher->wakeup_ = std::move(*wakeup);
  watcher->namespace_ = std::move(lease_namespace);
  watcher->name_ = std::move(lease_name);
  watcher->timeout_ = timeout;
  watcher->watch_seconds_ = watch_seconds;
  return watcher;
}

LeaseWatcher::~LeaseWatcher() {
  *alive_ = false;
  cancel();
}

void LeaseWatcher::cancel() {
  ++generation_;
  if (thread_.joinable()) {
    cancel_ = true;
    transport_->wakeStream();
    thread_.join();
  }
  cancel_ = false;
  std::lock_guard<std::mutex> lock(mutex_);
  ready_.clear();
}

void LeaseWatcher::start(const std::string& resource_version, LeaseWatchCallbacks callbacks) {
  cancel();
  callbacks_ = std::move(callbacks);
  const uint64_t generation = generation_;
  thread_ = std::thread([this, generation, rv = resource_version] { run(generation, rv); });
}

void LeaseWatcher::push(Item item) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ready_.push_back(std::move(item));
  }
  wakeup_->notify();
}

void LeaseWatcher::run(uint64_t generation, const std::string& resource_version) {
  const HttpRequest request{
      "GET", leaseWatchPath(namespace_, name_, resource_version, watch_seconds_), ""};
  WatchStreamParser parser;
  Status failure = okStatus();
  // The server ends the stream after watch_seconds_; the local bound only catches a server that
  // forgets to.
  const auto max_duration = std::chrono::milliseconds((watch_seconds_ + 30) * 1000);
  auto response = transport_->stream(
      request,
      [&](std::string_view chunk) -> Status {
        for (auto& event : parser.feed(chunk)) {
          if (!event) {
            // After an ERROR event, a malformed or an over-long line nothing more is meaningful:
            // the transfer is aborted.
            Error error = event.error();
            error.message = fmt::format("watch Lease {}/{} at {}{}: {}", namespace_, name_,
                                        transport_->server(), request.path, error.message);
            failure = error;
            return failure;
          }
          push(Item{generation, std::move(*event), okStatus()});
        }
        return okStatus();
      },
      max_duration, cancel_);
  if (cancel_) return;
  Status end = okStatus();
  if (!failure) {
    end = failure;
  } else if (!response) {
    end = response.error();
  } else if (response->status != 200) {
    end = errorFromResponse(response->status, response->body,
                            "watch Lease " + namespace_ + "/" + name_);
  }
  push(Item{generation, std::nullopt, std::move(end)});
}

void LeaseWatcher::deliver() {
  std::deque<Item> items;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    items.swap(ready_);
  }
  std::weak_ptr<bool> alive = alive_;
  for (auto& item : items) {
    // A callback may cancel or restart the watch, or destroy this watcher.
    if (alive.expired() || item.generation != generation_) return;
    if (item.event) {
      if (callbacks_.on_event) callbacks_.on_event(std::move(*item.event));
    } else {
      auto on_end = callbacks_.on_end;
      if (on_end) on_end(std::move(item.end));
    }
  }
}

}  // namespace kubevip::k8s
