// Runs blocking work (libcurl requests) on one background thread and delivers each result back on
// the event loop's thread, so the loop never blocks on the API server.
//
// Chosen over libcurl's multi-socket API because the election issues one request at a time: a
// single worker thread with a queue is simpler to reason about and costs nothing measurable. The
// work function runs on the worker and returns a completion, which is queued and run on the loop
// (woken through CrossThreadWakeup). Destroying the worker drops completions not yet delivered
// (also those queued behind the completion that destroys it) and joins the thread (waiting for a
// request in flight, bounded by its timeout).
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "common/event_loop.h"
#include "common/result.h"

namespace kubevip::k8s {

class RequestWorker {
 public:
  using Completion = std::function<void()>;
  using Work = std::function<Completion()>;

  static Result<std::unique_ptr<RequestWorker>> create(EventLoop& loop);
  ~RequestWorker();
  RequestWorker(const RequestWorker&) = delete;
  RequestWorker& operator=(const RequestWorker&) = delete;

  // Call from the loop thread. `work` runs on the worker thread in FIFO order; the completion it
  // returns runs on the loop thread.
  void post(Work work);

 private:
  RequestWorker() = default;
  void runWorker();
  void deliver();

  std::unique_ptr<CrossThreadWakeup> wakeup_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<Work> pending_;
  std::deque<Completion> done_;
  bool stopping_ = false;
  std::thread thread_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);  // reset when destroyed
};

}  // namespace kubevip::k8s
