// Keeps a consumer's view of a collection of objects (Services, EndpointSlices, a ConfigMap) in
// step with the API server, as client-go's reflector does.
//
// Data flow: list the collection (paged, following metadata.continue) -> on_replace with every
// object -> watch from the list's resourceVersion with bookmarks -> on_event per ADDED, MODIFIED
// or DELETED. The informer remembers the resourceVersion of every event and bookmark, so a watch
// that ends (the server's timeoutSeconds, a dropped connection, an error) resumes from exactly
// there and nothing is lost or repeated. Only when the server no longer keeps history that far
// back (410 Gone, as an HTTP status or an ERROR event) does it list again, and on_replace then
// hands over the complete state (objects missing from it are gone).
//
// Timing: a watch that ends normally is renewed at once. Any other failure goes to on_error and
// is retried after a back-off doubling from backoff_initial to backoff_max, reset once a list
// succeeds or a watch delivers something. Two shapes that would otherwise spin are failures too:
// a watch that ends at once having delivered nothing, and 410 Gone on a watch started from a list
// that was just made.
//
// Threading: the list and watch requests run on the informer's own thread with its own
// HttpTransport (a watch lasts minutes and must not hold up other requests); results are queued
// and delivered on the loop thread through CrossThreadWakeup. The destructor ends a request in
// progress at once (HttpTransport::wakeStream) and joins the thread; no callback runs after it,
// and a callback may destroy the informer.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/event_loop.h"
#include "common/result.h"
#include "k8s/cluster_access.h"
#include "k8s/watched_object.h"

namespace kubevip::k8s {

enum class InformerEventType { kAdded, kModified, kDeleted };

struct InformerCallbacks {
  // The complete current state after a list (the first one, or a relist): the consumer replaces
  // its view with it (objects missing from it are gone). Always comes before any on_event.
  std::function<void(std::vector<WatchedObject>)> on_replace;
  std::function<void(InformerEventType, WatchedObject)> on_event;
  // A list or watch failed; the informer retries by itself after a back-off. For logs/health.
  std::function<void(const Error&)> on_error;
};

struct InformerOptions {
  std::string description;      // "services", for log lines and errors
  std::string collection_path;  // "/api/v1/services", "/api/v1/namespaces/kube-system/configmaps"
  std::string label_selector;   // optional
  std::string field_selector;   // optional, e.g. "metadata.name=kubevip"
  std::chrono::milliseconds request_timeout{10000};
  int watch_seconds = 290;  // timeoutSeconds of each watch request
  int page_size = 500;      // limit= on lists, following metadata.continue
  std::chrono::milliseconds backoff_initial{500};
  std::chrono::milliseconds backoff_max{30000};
};

class HttpTransport;

class Informer {
 public:
  static Result<std::unique_ptr<Informer>> create(EventLoop& loop, ClusterAccess access,
                                                  InformerOptions options);
  ~Informer();  // stops at once (wakeStream + cancel) and joins; no callback after destruction
  Informer(const Informer&) = delete;
  Informer& operator=(const Informer&) = delete;

  void start(InformerCallbacks callbacks);  // loop thread, once

 private:
  // What the informer's thread hands to the loop thread.
  struct Item {
    enum class Kind { kReplace, kEvent, kError };
    Kind kind = Kind::kError;
    std::vector<WatchedObject> objects;  // kReplace
    InformerEventType event_type = InformerEventType::kModified;
    WatchedObject object;  // kEvent
    Error error;           // kError
  };
  enum class WatchEnd { kEnded, kGone, kFailed };

  Informer() = default;
  void run();
  Result<std::vector<WatchedObject>> list(std::string& resource_version);
  WatchEnd watch(std::string& resource_version, bool& delivered, Error& error);
  // Waits on the informer's thread; false when stopping.
  bool sleep(std::chrono::milliseconds duration);
  void push(Item item);
  void deliver();

  InformerOptions options_;
  std::unique_ptr<HttpTransport> transport_;  // the informer's thread only
  std::unique_ptr<CrossThreadWakeup> wakeup_;
  InformerCallbacks callbacks_;  // loop thread

  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable stop_cv_;
  std::deque<Item> ready_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace kubevip::k8s
