// Runs a watch of one Lease on its own thread and delivers its events on the event loop's thread.
//
// A watch lasts minutes, so it cannot share the RequestWorker, which must stay free for renewals.
// Each start() runs one watch request on a fresh thread with its own HttpTransport (same TLS and
// credentials as every other request); events and the end of the stream are queued and handed to
// the loop through CrossThreadWakeup. cancel() (and the destructor) end the stream at once through
// HttpTransport::wakeStream and join the thread; anything the cancelled stream had queued is
// dropped, so no callback of an old watch ever runs after cancel() or a new start().
#pragma once

#include <atomic>
#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "common/event_loop.h"
#include "common/result.h"
#include "k8s/cluster_access.h"
#include "k8s/lease_watch.h"

namespace kubevip::k8s {

class HttpTransport;

struct LeaseWatchCallbacks {
  std::function<void(LeaseWatchEvent)> on_event;
  // Once per start() unless cancelled: OK when the server ended the stream (timeoutSeconds),
  // an Error otherwise (unreachable, refused, 410 Gone, malformed event).
  std::function<void(Status)> on_end;
};

class LeaseWatcher {
 public:
  // `timeout` bounds connecting; the server ends each watch after `watch_seconds`.
  static Result<std::unique_ptr<LeaseWatcher>> create(EventLoop& loop, ClusterAccess access,
                                                      std::string lease_namespace,
                                                      std::string lease_name,
                                                      std::chrono::milliseconds timeout,
                                                      int watch_seconds);
  ~LeaseWatcher();
  LeaseWatcher(const LeaseWatcher&) = delete;
  LeaseWatcher& operator=(const LeaseWatcher&) = delete;

  // Loop thread only. Cancels any watch in progress, then watches changes after
  // `resource_version`.
  void start(const std::string& resource_version, LeaseWatchCallbacks callbacks);
  void cancel();

 private:
  struct Item {
    uint64_t generation;
    std::optional<LeaseWatchEvent> event;  // set for an event
    Status end = okStatus();               // used when event is empty
  };

  LeaseWatcher() = default;
  void run(uint64_t generation, const std::string& resource_version);
  void push(Item item);
  void deliver();

  std::unique_ptr<HttpTransport> transport_;
  std::unique_ptr<CrossThreadWakeup> wakeup_;
  std::string namespace_;
  std::string name_;
  int watch_seconds_ = 290;
  std::chrono::milliseconds timeout_{0};

  uint64_t generation_ = 0;  // loop thread
  LeaseWatchCallbacks callbacks_;
  std::atomic<bool> cancel_{false};
  std::thread thread_;
  std::mutex mutex_;
  std::deque<Item> ready_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace kubevip::k8s
