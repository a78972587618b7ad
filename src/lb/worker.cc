#include "lb/worker.h"

#include <spdlog/spdlog.h>
#include <sys/eventfd.h>

#include <cerrno>
#include <future>
#include <system_error>

#include "lb/http_session.h"
#include "lb/socket_util.h"
#include "lb/tcp_session.h"

namespace kubevip::lb {
namespace {

constexpr int kMaxEvents = 256;
constexpr int kAcceptBatch = 64;  // accepts per readiness event, so one listener cannot starve
constexpr auto kTickInterval = std::chrono::milliseconds(100);

}  // namespace

class Worker::Listener final : public Handler {
 public:
  Listener(Worker& w, UniqueFd fd, Balancer& b, int group)
      : worker_(w), fd_(std::move(fd)), balancer_(b), group_(group), ref_{this, 0} {}

  void onEvent(int, uint32_t) override {
    for (int k = 0; k < kAcceptBatch; ++k) {
      sockaddr_storage peer;
      socklen_t len = sizeof(peer);
      UniqueFd client(::accept4(fd_.get(), reinterpret_cast<sockaddr*>(&peer), &len,
                                SOCK_NONBLOCK | SOCK_CLOEXEC));
      if (!client.valid()) {
        if (errno == EAGAIN || errno == EINTR || errno == ECONNABORTED) return;
        // EMFILE/ENFILE and the like: leave the rest queued until the next readiness edge.
        spdlog::warn("lb {}: accept: {}", balancer_.config.name,
                     std::generic_category().message(errno));
        return;
      }
      // The limit is checked after accept: closing at once tells the client immediately
      // instead of leaving it in the kernel's accept queue.
      if (balancer_.connections.fetch_add(1, std::memory_order_relaxed) >=
          balancer_.config.max_connections) {
        balancer_.connections.fetch_sub(1, std::memory_order_relaxed);
        balancer_.rejected.fetch_add(1, std::memory_order_relaxed);
        continue;
      }
      if (balancer_.config.type == config::LoadBalancerType::kHttp) {
        startHttpSession(worker_, balancer_, group_, std::move(client), fromSockaddr(peer));
      } else {
        startTcpSession(worker_, balancer_, group_, std::move(client));
      }
    }
  }

  void closeFd() { fd_.reset(); }
  int fd() const { return fd_.get(); }
  int group() const { return group_; }
  EpollRef* ref() { return &ref_; }

 private:
  Worker& worker_;
  UniqueFd fd_;
  Balancer& balancer_;
  int group_;
  EpollRef ref_;
};

Session::Session(Worker& worker, Balancer& balancer, int group)
    : worker_(worker), balancer_(balancer), group_(group) {
  worker_.link(this);
}

Session::~Session() { balancer_.connections.fetch_sub(1, std::memory_order_relaxed); }

void Session::close() {
  if (dead) return;
  worker_.retire(this);
  closeSockets();
}

Result<std::unique_ptr<Worker>> Worker::create(int index) {
  std::unique_ptr<Worker> w(new Worker(index));
  w->epoll_.reset(::epoll_create1(EPOLL_CLOEXEC));
  if (!w->epoll_.valid()) return systemError("epoll_create1", errno);
  w->wakeup_.reset(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
  if (!w->wakeup_.valid()) return systemError("eventfd", errno);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.ptr = &w->wakeup_ref_;
  if (::epoll_ctl(w->epoll_.get(), EPOLL_CTL_ADD, w->wakeup_.get(), &ev) != 0) {
    return systemError("epoll_ctl eventfd", errno);
  }
  w->scratch_ = std::make_unique<char[]>(kScratchSize);
  w->now_ = std::chrono::steady_clock::now();
  return w;
}

Worker::Worker(int index) : index_(index) {}
Worker::~Worker() { stop(); }

void Worker::start() {
  running_.store(true);
  thread_ = std::thread([this] { loop(); });
}

void Worker::stop() {
  if (thread_.joinable()) {
    runSync([this] { running_.store(false); });
    thread_.join();
  }
  // Everything below runs with no worker thread left.
  while (sessions_ != nullptr) sessions_->close();
  for (Session* s : graveyard_) delete s;
  graveyard_.clear();
  listeners_.clear();
  retired_listeners_.clear();
}

void Worker::runSync(const std::function<void()>& fn) {
  if (!thread_.joinable() || std::this_thread::get_id() == thread_.get_id()) {
    fn();
    return;
  }
  std::promise<void> done;
  {
    std::lock_guard lock(mu_);
    commands_.emplace_back([&] {
      fn();
      done.set_value();
    });
  }
  uint64_t one = 1;
  (void)!::write(wakeup_.get(), &one, sizeof(one));
  done.get_future().wait();
}

Status Worker::addListener(UniqueFd fd, Balancer& balancer, int group) {
  auto l = std::make_unique<Listener>(*this, std::move(fd), balancer, group);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.ptr = l->ref();
  if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, l->fd(), &ev) != 0) {
    return systemError("epoll_ctl listener", errno);
  }
  listeners_.push_back(std::move(l));
  return {};
}

void Worker::closeGroup(int group) {
  // Listeners go to a list freed after this round: events for them may still be queued.
  for (auto it = listeners_.begin(); it != listeners_.end();) {
    if ((*it)->group() == group) {
      (*it)->dead = true;
      (*it)->closeFd();  // stop accepting now; the object lives until the round ends
      retired_listeners_.push_back(std::move(*it));
      it = listeners_.erase(it);
    } else {
      ++it;
    }
  }
  for (Session* s = sessions_; s != nullptr;) {
    Session* next = s->next_;
    if (s->group() == group) s->close();
    s = next;
  }
}

Status Worker::watch(int fd, EpollRef* ref) {
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
  ev.data.ptr = ref;
  if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev) != 0) {
    return systemError("epoll_ctl", errno);
  }
  return {};
}

void Worker::link(Session* s) {
  s->next_ = sessions_;
  if (sessions_ != nullptr) sessions_->prev_ = s;
  sessions_ = s;
}

void Worker::unlink(Session* s) {
  if (s->prev_ != nullptr) s->prev_->next_ = s->next_;
  if (s->next_ != nullptr) s->next_->prev_ = s->prev_;
  if (sessions_ == s) sessions_ = s->next_;
  s->prev_ = s->next_ = nullptr;
}

void Worker::retire(Session* s) {
  if (s->dead) return;
  s->dead = true;
  unlink(s);
  graveyard_.push_back(s);
}

void Worker::drainCommands() {
  uint64_t count;
  (void)!::read(wakeup_.get(), &count, sizeof(count));
  std::vector<std::function<void()>> todo;
  {
    std::lock_guard lock(mu_);
    todo.swap(commands_);
  }
  for (auto& fn : todo) fn();
}

void Worker::tick() {
  for (Session* s = sessions_; s != nullptr;) {
    Session* next = s->next_;
    s->onTick(now_);
    s = next;
  }
}

void Worker::loop() {
  epoll_event events[kMaxEvents];
  next_tick_ = std::chrono::steady_clock::now() + kTickInterval;
  while (running_.load(std::memory_order_relaxed)) {
    int n = ::epoll_wait(epoll_.get(), events, kMaxEvents, 100);
    now_ = std::chrono::steady_clock::now();
    for (int i = 0; i < n; ++i) {
      auto* ref = static_cast<EpollRef*>(events[i].data.ptr);
      if (ref->handler == nullptr) {
        drainCommands();
        continue;
      }
      if (!ref->handler->dead) ref->handler->onEvent(ref->side, events[i].events);
    }
    if (now_ >= next_tick_) {
      next_tick_ = now_ + kTickInterval;
      tick();
    }
    // Sessions retired in this round may have had events later in the batch: free them now.
    for (Session* s : graveyard_) delete s;
    graveyard_.clear();
    retired_listeners_.clear();
  }
}

}  // namespace kubevip::lb
