#include "lb/load_balancer_set.h"

#include <spdlog/spdlog.h>

#include "lb/balancer.h"
#include "lb/health_thread.h"
#include "lb/socket_util.h"
#include "lb/worker.h"

namespace kubevip::lb {
namespace {

constexpr int kBacklog = 4096;

IpAddress anyAddress(const std::optional<IpAddress>& vip) {
  if (vip && vip->isV6()) return IpAddress::v6({});
  return IpAddress::v4({0, 0, 0, 0});
}

}  // namespace

struct LoadBalancerSet::Entry {
  Entry(const config::LoadBalancer& c, Forwarding f) : balancer(c, f) {}
  Balancer balancer;
  std::optional<Endpoint> bound;  // where its listeners are, while they are
};

Result<std::unique_ptr<LoadBalancerSet>> LoadBalancerSet::create(
    const std::vector<config::LoadBalancer>& balancers, std::optional<IpAddress> vip,
    int worker_threads, DataPlaneOptions options) {
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
        std::make_unique<Entry>(c, options.splice ? Forwarding::kSplice : Forwarding::kCopy));
  }
  if (worker_threads <= 0) {
    worker_threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
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
    if (!fd) return fd.error();
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
  spdlog::info("lb {}: listening on {} ({} workers)", e.balancer.config.name, ep.toString(),
               workers_.size());
  return {};
}

void LoadBalancerSet::closeGroup(int group) {
  for (auto& w : workers_) w->runSync([&] { w->closeGroup(group); });
}

Status LoadBalancerSet::onVipAcquired() {
  if (!started_ || vip_listening_) return {};
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    Entry& e = *entries_[i];
    if (!e.balancer.config.bind_to_vip) continue;
    if (auto st = listen(e, *vip_, static_cast<int>(2 * i + 1)); !st) {
      onVipReleased();
      return st;
    }
  }
  vip_listening_ = true;
  return {};
}

void LoadBalancerSet::onVipReleased() {
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    Entry& e = *entries_[i];
    if (!e.balancer.config.bind_to_vip || !e.bound) continue;
    closeGroup(static_cast<int>(2 * i + 1));
    e.bound.reset();
    spdlog::info("lb {}: stopped listening on the VIP", e.balancer.config.name);
  }
  vip_listening_ = false;
}

void LoadBalancerSet::stop() {
  if (!started_) return;
  started_ = false;
  vip_listening_ = false;
  if (health_) health_->stop();
  for (auto& w : workers_) w->stop();
  for (auto& e : entries_) e->bound.reset();
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

}  // namespace kubevip::lb
