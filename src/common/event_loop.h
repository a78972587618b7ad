// The control plane's event loop: a thin RAII layer over libuv.
//
// One EventLoop per thread. Handles (timers, fd watchers, signal watchers, cross-thread wake-ups)
// are owned by small RAII objects; destroying one stops it and closes the libuv handle, whose
// memory is freed by libuv's close callback on the loop thread. Nothing here is thread-safe except
// CrossThreadWakeup::notify().
#pragma once

#include <uv.h>

#include <functional>
#include <memory>

#include "common/result.h"
#include "common/time_source.h"

namespace kubevip {

class EventLoop {
 public:
  static Result<std::unique_ptr<EventLoop>> create();
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // Runs until stop() is called or no active handle is left.
  void run();
  // Runs callbacks that are ready without blocking.
  void runOnce();
  void stop();
  uv_loop_t* raw() { return loop_; }
  // The monotonic clock and libuv timers of this loop.
  TimeSource& time() { return *time_; }

 private:
  EventLoop() = default;
  uv_loop_t* loop_ = nullptr;
  std::unique_ptr<TimeSource> time_;
};

// Calls back when a file descriptor becomes readable (and/or writable). Does not own the fd.
class FdWatcher {
 public:
  enum Events { kReadable = UV_READABLE, kWritable = UV_WRITABLE };
  using Callback = std::function<void(int events)>;
  static Result<std::unique_ptr<FdWatcher>> create(EventLoop& loop, int fd, int events,
                                                   Callback cb);
  ~FdWatcher();
  Status setEvents(int events);

 private:
  FdWatcher() = default;
  uv_poll_t* handle_ = nullptr;
  Callback cb_;
};

// Delivers a POSIX signal on the loop thread.
class SignalWatcher {
 public:
  static Result<std::unique_ptr<SignalWatcher>> create(EventLoop& loop, int signum,
                                                       std::function<void()> cb);
  ~SignalWatcher();

 private:
  SignalWatcher() = default;
  uv_signal_t* handle_ = nullptr;
  std::function<void()> cb_;
};

// Lets another thread wake the loop; the callback runs on the loop thread (coalesced).
class CrossThreadWakeup {
 public:
  static Result<std::unique_ptr<CrossThreadWakeup>> create(EventLoop& loop,
                                                           std::function<void()> cb);
  ~CrossThreadWakeup();
  void notify();

 private:
  CrossThreadWakeup() = default;
  uv_async_t* handle_ = nullptr;
  std::function<void()> cb_;
};

}  // namespace kubevip
