#include "lb/worker.h"

#include <spdlog/spdlog.h>
#include <sys/eventfd.h>

#include <cerrno>
#include <future>
#include <system_error>

#include "lb/accept_backoff.h"
#include "lb/descriptor_budget.h"
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
  Listener(Worker& w, UniqueFd fd, std::shared_ptr<Balancer> b, int group)
      : worker_(w), fd_(std::move(fd)), balancer_(std::move(b)), group_(group), ref_{this, 0} {}

  void onEvent(int, uint32_t) override {
    for (int k = 0; k < kAcceptBatch; ++k) {
      sockaddr_storage peer;
      socklen_t len = sizeof(peer);
      UniqueFd client(::accept4(fd_.get(), reinterpret_cast<sockaddr*>(&peer), &len,
                                SOCK_NONBLOCK | SOCK_CLOEXEC));
      if (!client.valid()) {
        const int err = errno;
        if (err == EAGAIN || err == EINTR) return endEpisode();
        // accept(2): network errors already pending on the new connection are reported here; that
        // connection is gone, the next one may be fine.
        if (isPendingNetworkError(err)) continue;
        // Out of descriptors or memory (or a failure nobody expected): retrying at once cannot
        // succeed and the level-triggered listener would wake this thread again at once.
        return pause(err);
      }
      endEpisode();
      if (!admit()) continue;  // closed at once: the client learns now, not after a timeout
      if (balancer_->config.type == config::LoadBalancerType::kHttp) {
        startHttpSession(worker_, balancer_, group_, std::move(client), fromSockaddr(peer));
      } else {
        startTcpSession(worker_, balancer_, group_, std::move(client));
      }
    }
  }

  // Called every round: re-arms the listener when its pause has run out.
  void resumeIfDue(SteadyTime now) {
    if (backoff_.resumeIfDue(now) && fd_.valid()) arm(EPOLLIN);
  }

  void setBalancer(std::shared_ptr<Balancer> b) { balancer_ = std::move(b); }
  const std::shared_ptr<Balancer>& balancer() const { return balancer_; }
  void closeFd() { fd_.reset(); }
  int fd() const { return fd_.get(); }
  int group() const { return group_; }
  EpollRef* ref() { return &ref_; }

 private:
  static bool isPendingNetworkError(int err) {
    switch (err) {
      case ECONNABORTED:
      case EPROTO:
      case ENETDOWN:
      case ENOPROTOOPT:
      case EHOSTDOWN:
      case ENONET:
      case EHOSTUNREACH:
      case EOPNOTSUPP:
      case ENETUNREACH:
      case EPERM:
        return true;
      default:
        return false;
    }
  }

  // The limit is checked after accept: closing at once tells the client immediately instead of
  // leaving it in the kernel's accept queue. First the balancer's maxConnections, then the
  // process-wide descriptors for connections (descriptor_budget.h).
  bool admit() {
    if (balancer_->counters->connections.fetch_add(1, std::memory_order_relaxed) >=
        balancer_->config.max_connections) {
      balancer_->counters->connections.fetch_sub(1, std::memory_order_relaxed);
      balancer_->counters->rejected.fetch_add(1, std::memory_order_relaxed);
      return false;
    }
    if (balancer_->descriptors != nullptr &&
        !balancer_->descriptors->tryAcquire(descriptorsPerSession(balancer_->forwarding))) {
      balancer_->counters->connections.fetch_sub(1, std::memory_order_relaxed);
      balancer_->counters->over_descriptor_budget.fetch_add(1, std::memory_order_relaxed);
      if (!balancer_->counters->refusing_for_descriptors.exchange(true)) {
        spdlog::warn(
            "lb {}: every descriptor left for connections is in use ({} are kept for the "
            "control plane); new connections are closed at once until some end",
            balancer_->config.name, kControlPlaneReserve);
      }
      return false;
    }
    if (balancer_->counters->refusing_for_descriptors.load(std::memory_order_relaxed) &&
        balancer_->counters->refusing_for_descriptors.exchange(false)) {
      spdlog::info("lb {}: admitting connections again ({} closed for lack of descriptors so far)",
                   balancer_->config.name,
                   balancer_->counters->over_descriptor_budget.load(std::memory_order_relaxed));
    }
    balancer_->counters->admitted.fetch_add(1, std::memory_order_relaxed);
    return true;
  }

  void pause(int err) {
    balancer_->counters->accept_failures.fetch_add(1, std::memory_order_relaxed);
    const bool first = backoff_.onFailure(worker_.now());
    arm(0);
    if (first) {
      episode_began_ = worker_.now();
      spdlog::warn(
          "lb {}: worker {}: accept: {}; not accepting on this listener for {} ms (doubling up "
          "to {} ms while it fails)",
          balancer_->config.name, worker_.index(), std::generic_category().message(err),
          toMs(backoff_.currentPause()), toMs(AcceptBackoff::kMaxPause));
    }
  }

  void endEpisode() {
    if (!backoff_.inEpisode()) return;
    const uint64_t failures = backoff_.onSuccess();
    spdlog::info("lb {}: worker {}: accepting again after {} failed accepts over {} ms",
                 balancer_->config.name, worker_.index(), failures,
                 toMs(worker_.now() - episode_began_));
  }

  // Listeners stay registered; a paused one is registered for no events.
  void arm(uint32_t events) {
    epoll_event ev{};
    ev.events = events;
    ev.data.ptr = &ref_;
    ::epoll_ctl(worker_.epoll_.get(), EPOLL_CTL_MOD, fd_.get(), &ev);
  }

  static long long toMs(Duration d) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
  }

  Worker& worker_;
  UniqueFd fd_;
  std::shared_ptr<Balancer> balancer_;  // the newest generation
  int group_;
  EpollRef ref_;
  AcceptBackoff backoff_;
  SteadyTime episode_began_{};
};

Session::Session(Worker& worker, std::shared_ptr<Balancer> balancer, int group)
    : worker_(worker), generation_(std::move(balancer)), group_(group) {
  worker_.link(this);
}

Session::~Session() {
  balancer().counters->connections.fetch_sub(1, std::memory_order_relaxed);
  if (balancer().descriptors != nullptr) {
    balancer().descriptors->release(descriptorsPerSession(balancer().forwarding));
  }
}

void Session::adoptNewestGeneration() {
  if (auto newest = worker_.newestBalancer(group_)) generation_ = std::move(newest);
}

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

Status Worker::addListener(UniqueFd fd, std::shared_ptr<Balancer> balancer, int group) {
  auto l = std::make_unique<Listener>(*this, std::move(fd), std::move(balancer), group);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.ptr = l->ref();
  if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, l->fd(), &ev) != 0) {
    return systemError("epoll_ctl listener", errno);
  }
  listeners_.push_back(std::move(l));
  return {};
}

void Worker::setBalancer(int group, const std::shared_ptr<Balancer>& balancer) {
  for (auto& l : listeners_) {
    if (l->group() == group) l->setBalancer(balancer);
  }
}

std::shared_ptr<Balancer> Worker::newestBalancer(int group) const {
  for (const auto& l : listeners_) {
    if (l->group() == group) return l->balancer();
  }
  return nullptr;
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
    for (auto& l : listeners_) l->resumeIfDue(now_);
    // Sessions retired in this round may have had events later in the batch: free them now.
    for (Session* s : graveyard_) delete s;
    graveyard_.clear();
    retired_listeners_.clear();
  }
}

}  // namespace kubevip::lb
