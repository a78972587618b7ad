#include "lb/balancer.h"

#include <spdlog/spdlog.h>

#include "lb/socket_util.h"

namespace kubevip::lb {
namespace {

std::vector<Endpoint> endpointsOf(const config::LoadBalancer& c) {
  std::vector<Endpoint> out;
  for (const auto& be : c.backends) out.push_back(Endpoint{be.address, be.port});
  return out;
}

// Without active checks a backend marked down is tried again after the check interval.
Duration passiveRetryAfter(const config::LoadBalancer& c) {
  return c.health_check.enabled ? Duration::zero() : Duration(c.health_check.interval);
}

}  // namespace

Balancer::Balancer(const config::LoadBalancer& c, Forwarding f)
    : config(c),
      forwarding(f),
      pool(endpointsOf(c), c.algorithm, c.health_check.enabled, passiveRetryAfter(c)),
      counters(std::make_shared<BalancerCounters>()) {}

Balancer::Balancer(const config::LoadBalancer& c, Forwarding f,
                   std::shared_ptr<BalancerCounters> shared_counters,
                   std::vector<std::shared_ptr<BackendState>> backends)
    : config(c),
      forwarding(f),
      pool(std::move(backends), c.algorithm, c.health_check.enabled, passiveRetryAfter(c)),
      counters(std::move(shared_counters)) {}

std::shared_ptr<Balancer> Balancer::nextGeneration(const config::LoadBalancer& next) const {
  std::vector<std::shared_ptr<BackendState>> backends;
  for (const auto& be : next.backends) {
    const Endpoint ep{be.address, be.port};
    std::shared_ptr<BackendState> kept;
    for (const auto& s : pool.states()) {
      if (s->endpoint == ep) kept = s;
    }
    backends.push_back(kept ? kept : std::make_shared<BackendState>(ep));
  }
  auto b = std::make_shared<Balancer>(next, forwarding, counters, std::move(backends));
  b->descriptors = descriptors;
  return b;
}

BalancerStats Balancer::stats() const {
  const BalancerCounters& c = *counters;
  BalancerStats s;
  s.connections = c.connections.load(std::memory_order_relaxed);
  s.rejected = c.rejected.load(std::memory_order_relaxed);
  s.over_descriptor_budget = c.over_descriptor_budget.load(std::memory_order_relaxed);
  s.no_backend = c.no_backend.load(std::memory_order_relaxed);
  s.connect_failures = c.connect_failures.load(std::memory_order_relaxed);
  s.accept_failures = c.accept_failures.load(std::memory_order_relaxed);
  s.bind_failures = c.bind_failures.load(std::memory_order_relaxed);
  s.listening = c.listening.load(std::memory_order_relaxed);
  return s;
}

std::optional<BackendAttempt> connectNextBackend(Balancer& b, SteadyTime now,
                                                 std::vector<std::size_t>& tried) {
  const std::size_t max_tries = 1 + static_cast<std::size_t>(std::max(0, b.config.connect_retries));
  while (tried.size() < max_tries) {
    auto pick = b.pool.pick(now, tried);
    if (!pick) return std::nullopt;
    tried.push_back(*pick);
    auto fd = connectNonblocking(b.pool.endpoint(*pick));
    if (fd) return BackendAttempt{std::move(*fd), *pick};
    if (isResourceExhaustion(fd.error().sys_errno)) {
      // This process or host is out of descriptors or memory: not the backend's fault, so it is
      // not marked down, and another backend would fail the same way.
      b.pool.release(*pick);
      b.counters->connect_failures.fetch_add(1, std::memory_order_relaxed);
      return std::nullopt;
    }
    backendConnectFailed(b, *pick, now, fd.error().describe().c_str());
  }
  return std::nullopt;
}

void backendConnectFailed(Balancer& b, std::size_t backend, SteadyTime now, const char* why) {
  b.pool.release(backend);
  b.counters->connect_failures.fetch_add(1, std::memory_order_relaxed);
  b.pool.state(backend).connect_failures.fetch_add(1, std::memory_order_relaxed);
  if (b.pool.markDown(backend, now)) {
    spdlog::warn("lb {}: backend {} is down (connect {})", b.config.name,
                 b.pool.endpoint(backend).toString(), why);
  }
}

void backendConnected(Balancer& b, std::size_t backend) {
  b.pool.state(backend).connections.fetch_add(1, std::memory_order_relaxed);
  if (b.config.health_check.enabled) return;  // the health checker owns recovery
  if (!b.pool.isUp(backend) && b.pool.markUp(backend)) {
    spdlog::info("lb {}: backend {} is up (connect succeeded)", b.config.name,
                 b.pool.endpoint(backend).toString());
  }
}

}  // namespace kubevip::lb
