#include "common/event_loop.h"

#include <cerrno>
#include <string>

namespace kubevip {
namespace {

Error uvError(const std::string& what, int rc) { return Error{ErrorCode::kSystem, -rc, what}; }

template <typename T>
void closeHandle(T*& handle) {
  if (handle == nullptr) return;
  auto* h = reinterpret_cast<uv_handle_t*>(handle);
  handle = nullptr;
  h->data = nullptr;
  uv_close(h, [](uv_handle_t* closed) { delete reinterpret_cast<T*>(closed); });
}

class UvTimer final : public Timer {
 public:
  explicit UvTimer(uv_loop_t* loop) : handle_(new uv_timer_t) {
    uv_timer_init(loop, handle_);
    handle_->data = this;
  }
  ~UvTimer() override { closeHandle(handle_); }
  void start(Duration delay, std::function<void()> fire) override {
    fire_ = std::move(fire);
    auto ms = std::chrono::ceil<std::chrono::milliseconds>(delay).count();
    if (ms < 0) ms = 0;
    uv_timer_start(
        handle_,
        [](uv_timer_t* h) {
          auto* self = static_cast<UvTimer*>(h->data);
          if (self == nullptr) return;
          auto due = std::move(self->fire_);
          self->fire_ = nullptr;
          due();  // may destroy or re-arm this timer
        },
        static_cast<uint64_t>(ms), 0);
  }
  void stop() override {
    uv_timer_stop(handle_);
    fire_ = nullptr;
  }
  bool active() const override {
    return uv_is_active(reinterpret_cast<const uv_handle_t*>(handle_)) != 0;
  }

 private:
  uv_timer_t* handle_;
  std::function<void()> fire_;
};

class UvTimeSource final : public TimeSource {
 public:
  explicit UvTimeSource(uv_loop_t* loop) : loop_(loop) {}
  SteadyTime now() const override { return std::chrono::steady_clock::now(); }
  std::unique_ptr<Timer> createTimer() override { return std::make_unique<UvTimer>(loop_); }

 private:
  uv_loop_t* loop_;
};

}  // namespace

Result<std::unique_ptr<EventLoop>> EventLoop::create() {
  std::unique_ptr<EventLoop> loop(new EventLoop());
  loop->loop_ = new uv_loop_t;
  int rc = uv_loop_init(loop->loop_);
  if (rc != 0) {
    delete loop->loop_;
    loop->loop_ = nullptr;
    return uvError("uv_loop_init", rc);
  }
  loop->time_ = std::make_unique<UvTimeSource>(loop->loop_);
  return loop;
}

EventLoop::~EventLoop() {
  if (loop_ == nullptr) return;
  time_.reset();
  // Let pending close callbacks run; any handle still open here is closed so the loop can go.
  uv_walk(
      loop_,
      [](uv_handle_t* h, void*) {
        if (!uv_is_closing(h)) uv_close(h, nullptr);
      },
      nullptr);
  while (uv_loop_close(loop_) == UV_EBUSY) uv_run(loop_, UV_RUN_NOWAIT);
  delete loop_;
}

void EventLoop::run() { uv_run(loop_, UV_RUN_DEFAULT); }
void EventLoop::runOnce() { uv_run(loop_, UV_RUN_NOWAIT); }
void EventLoop::stop() { uv_stop(loop_); }

Result<std::unique_ptr<FdWatcher>> FdWatcher::create(EventLoop& loop, int fd, int events,
                                                     Callback cb) {
  std::unique_ptr<FdWatcher> w(new FdWatcher());
  w->cb_ = std::move(cb);
  w->handle_ = new uv_poll_t;
  int rc = uv_poll_init(loop.raw(), w->handle_, fd);
  if (rc != 0) {
    delete w->handle_;
    w->handle_ = nullptr;
    return uvError("uv_poll_init", rc);
  }
  w->handle_->data = w.get();
  if (auto st = w->setEvents(events); !st) return st.error();
  return w;
}

Status FdWatcher::setEvents(int events) {
  int rc = uv_poll_start(handle_, events, [](uv_poll_t* h, int status, int ev) {
    auto* self = static_cast<FdWatcher*>(h->data);
    if (self == nullptr) return;
    // An error status still means "look at the fd": the read will tell what happened.
    self->cb_(status < 0 ? UV_READABLE : ev);
  });
  if (rc != 0) return uvError("uv_poll_start", rc);
  return {};
}

FdWatcher::~FdWatcher() { closeHandle(handle_); }

Result<std::unique_ptr<SignalWatcher>> SignalWatcher::create(EventLoop& loop, int signum,
                                                             std::function<void()> cb) {
  std::unique_ptr<SignalWatcher> w(new SignalWatcher());
  w->cb_ = std::move(cb);
  w->handle_ = new uv_signal_t;
  uv_signal_init(loop.raw(), w->handle_);
  w->handle_->data = w.get();
  int rc = uv_signal_start(
      w->handle_,
      [](uv_signal_t* h, int) {
        auto* self = static_cast<SignalWatcher*>(h->data);
        if (self != nullptr) self->cb_();
      },
      signum);
  if (rc != 0) return uvError("uv_signal_start", rc);
  return w;
}

SignalWatcher::~SignalWatcher() { closeHandle(handle_); }

Result<std::unique_ptr<CrossThreadWakeup>> CrossThreadWakeup::create(EventLoop& loop,
                                                                     std::function<void()> cb) {
  std::unique_ptr<CrossThreadWakeup> w(new CrossThreadWakeup());
  w->cb_ = std::move(cb);
  w->handle_ = new uv_async_t;
  int rc = uv_async_init(loop.raw(), w->handle_, [](uv_async_t* h) {
    auto* self = static_cast<CrossThreadWakeup*>(h->data);
    if (self != nullptr) self->cb_();
  });
  if (rc != 0) {
    delete w->handle_;
    w->handle_ = nullptr;
    return uvError("uv_async_init", rc);
  }
  w->handle_->data = w.get();
  return w;
}

void CrossThreadWakeup::notify() { uv_async_send(handle_); }

CrossThreadWakeup::~CrossThreadWakeup() { closeHandle(handle_); }

}  // namespace kubevip
