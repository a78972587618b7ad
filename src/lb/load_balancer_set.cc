#include "lb/load_balancer_set.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "lb/balancer.h"
#include "lb/descriptor_budget.h"
#include "lb/health_thread.h"
#include "lb/socket_util.h"
#include "lb/worker.h"

namespace kubevip::lb {
namespace {

constexpr int kBacklog = 4096;
// A VIP listener that cannot be opened is retried after kBindRetryFirst, doubling up to
// kBindRetryMax: quick when a port is freed in a moment (a restarting program), cheap when it
// stays taken.
constexpr Duration kBindRetryFirst = milliseconds(100);
constexpr Duration kBindRetryMax = seconds(2);

long long toMs(Duration d) { return std::chrono::duration_cast<milliseconds>(d).count(); }

IpAddress anyAddress(const std::optional<IpAddress>& vip) {
  if (vip && vip->isV6()) return IpAddress::v6({});
  return IpAddress::v4({0, 0, 0, 0});
}

}  // namespace

int defaultWorkerCount() {
  return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

struct LoadBalancerSet::Entry {
  Entry(const config::LoadBalancer& c, Forwarding f, TimeSource& time)
      : balancer(c, f), bind_retry(time.createTimer()) {}
  Balancer balancer;
  std::optional<Endpoint> bound;  // where its listeners are, while they are
  // VIP listeners that could not be opened: the retry, its current delay and the failures of
  // this episode (0: none).
  std::unique_ptr<Timer> bind_retry;
  Duration bind_retry_delay = Duration::zero();
  uint64_t bind_episode_failures = 0;
};

Result<std::unique_ptr<LoadBalancerSet>> LoadBalancerSet::create(
    const std::vector<config::LoadBalancer>& balancers, std::optional<IpAddress> vip,
    int worker_threads, TimeSource& time, DataPlaneOptions options) {
  std::unique_ptr<LoadBalancerSet> set(new LoadBalancerSet());
  set->vip_ = vip;
  for (const auto& c : balancers) {
    if (c.bind_to_vip && !vip) {
      return makeError(ErrorCode::kInvalidArgument,
                       "load balancer " + c.name + " binds to the VIP but no VIP is configured");
    }
    if (c.backends.empty()) {
      return makeError(ErrorCode::kInvalidArgument, "load balancer " + c.name + " has no backend");
    }
    set->entries_.push_back(
        std::make_unique<Entry>(c, options.splice ? Forwarding::kSplice : Forwarding::kCopy, time));
  }
  if (worker_threads <= 0) worker_threads = defaultWorkerCount();
  if (options.descriptor_limit > 0) {
    const auto plan =
        planDescriptors(balancers, options.splice ? Forwarding::kSplice : Forwarding::kCopy,
                        worker_threads, options.descriptor_limit);
    set->descriptors_ = std::make_unique<DescriptorBudget>(plan.for_sessions);
    for (auto& e : set->entries_) e->balancer.descriptors = set->descriptors_.get();
  }
  for (int i = 0; i < worker_threads; ++i) {
    auto w = Worker::create(i);
    if (!w) return w.error();
    set->workers_.push_back(std::move(*w));
  }
  return set;
}

LoadBalancerSet::~LoadBalancerSet() { stop(); }

Status LoadBalancerSet::start() {
  if (started_) return {};
  for (auto& w : workers_) w->start();
  std::vector<Balancer*> all;
  for (auto& e : entries_) all.push_back(&e->balancer);
  health_ = std::make_unique<HealthThread>(std::move(all));
  started_ = true;
  if (auto st = health_->start(); !st) {
    stop();
    return st;
  }
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    Entry& e = *entries_[i];
    if (e.balancer.config.bind_to_vip) continue;
    if (auto st = listen(e, anyAddress(vip_), static_cast<int>(2 * i)); !st) {
      stop();
      return st;
    }
  }
  return {};
}

Status LoadBalancerSet::listen(Entry& e, const IpAddress& address, int group) {
  // The first socket learns the port when the configuration says 0; the others share it.
  Endpoint ep{address, e.balancer.config.port};
  std::vector<UniqueFd> fds;
  for (std::size_t k = 0; k < workers_.size(); ++k) {
    auto fd = listenReusePort(ep, kBacklog);
    if (!fd) {
      e.balancer.bind_failures.fetch_add(1, std::memory_order_relaxed);
      return fd.error();
    }
    if (ep.port == 0) {
      auto local = localEndpoint(fd->get());
      if (!local) return local.error();
      ep.port = local->port;
    }
    fds.push_back(std::move(*fd));
  }
  for (std::size_t k = 0; k < workers_.size(); ++k) {
    Status st;
    workers_[k]->runSync(
        [&] { st = workers_[k]->addListener(std::move(fds[k]), e.balancer, group); });
    if (!st) {
      closeGroup(group);
      return st;
    }
  }
  e.bound = ep;
  e.balancer.listening.store(true, std::memory_order_relaxed);
  spdlog::info("lb {}: listening on {} ({} workers)", e.balancer.config.name, ep.toString(),
               workers_.size());
  return {};
}

void LoadBalancerSet::closeGroup(int group) {
  for (auto& w : workers_) w->runSync([&] { w->closeGroup(group); });
}

void LoadBalancerSet::onVipAcquired() {
  if (!started_ || vip_held_) return;
  vip_held_ = true;
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    if (entries_[i]->balancer.config.bind_to_vip) listenOnVip(i);
  }
}

void LoadBalancerSet::listenOnVip(std::size_t index) {
  Entry& e = *entries_[index];
  if (!vip_held_ || e.bound) return;
  const auto st = listen(e, *vip_, static_cast<int>(2 * index + 1));
  const std::string& name = e.balancer.config.name;
  if (st) {
    if (e.bind_episode_failures > 0) {
      spdlog::info("lb {}: listening on the VIP after {} failed attempts", name,
                   e.bind_episode_failures);
    }
    e.bind_episode_failures = 0;
    e.bind_retry_delay = Duration::zero();
    return;
  }
  // Whatever failed (bind, listen, a worker's epoll), the VIP is still ours and the balancer
  // should serve it: try again later rather than stay silent until the next acquisition.
  const bool first = e.bind_episode_failures++ == 0;
  e.bind_retry_delay =
      first ? kBindRetryFirst : std::min<Duration>(2 * e.bind_retry_delay, kBindRetryMax);
  if (first) {
    spdlog::error(
        "lb {}: cannot listen on the VIP: {}; retrying after {} ms, doubling up to {} ms, while "
        "the VIP is held",
        name, st.error().describe(), toMs(e.bind_retry_delay), toMs(kBindRetryMax));
  }
  e.bind_retry->start(e.bind_retry_delay, [this, index] { listenOnVip(index); });
}

void LoadBalancerSet::onVipReleased() {
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    Entry& e = *entries_[i];
    if (!e.balancer.config.bind_to_vip) continue;
    e.bind_retry->stop();
    if (e.bind_episode_failures > 0) {
      spdlog::info("lb {}: VIP released; no longer trying to listen on it ({} failed attempts)",
                   e.balancer.config.name, e.bind_episode_failures);
      e.bind_episode_failures = 0;
      e.bind_retry_delay = Duration::zero();
    }
    if (!e.bound) continue;
    closeGroup(static_cast<int>(2 * i + 1));
    e.bound.reset();
    e.balancer.listening.store(false, std::memory_order_relaxed);
    spdlog::info("lb {}: stopped listening on the VIP", e.balancer.config.name);
  }
  vip_held_ = false;
}

void LoadBalancerSet::stop() {
  if (!started_) return;
  started_ = false;
  vip_held_ = false;
  if (health_) health_->stop();
  for (auto& w : workers_) w->stop();
  for (auto& e : entries_) {
    e->bind_retry->stop();
    e->bound.reset();
    e->balancer.listening.store(false, std::memory_order_relaxed);
  }
}

std::optional<Endpoint> LoadBalancerSet::listeningEndpoint(const std::string& name) const {
  for (const auto& e : entries_) {
    if (e->balancer.config.name == name) return e->bound;
  }
  return std::nullopt;
}

bool LoadBalancerSet::backendUp(const std::string& name, std::size_t backend) const {
  for (const auto& e : entries_) {
    if (e->balancer.config.name == name && backend < e->balancer.pool.size()) {
      return e->balancer.pool.isUp(backend);
    }
  }
  return false;
}

std::optional<BalancerStats> LoadBalancerSet::stats(const std::string& name) const {
  for (const auto& e : entries_) {
    if (e->balancer.config.name == name) return e->balancer.stats();
  }
  return std::nullopt;
}

}  // namespace kubevip::lb
