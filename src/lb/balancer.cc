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

}  // namespace

Balancer::Balancer(const config::LoadBalancer& c, Forwarding f)
    : config(c),
      forwarding(f),
      pool(endpointsOf(c), c.algorithm, c.health_check.enabled,
           c.health_check.enabled ? Duration::zero() : Duration(c.health_check.interval)) {}

BalancerStats Balancer::stats() const {
  BalancerStats s;
  s.connections = connections.load(std::memory_order_relaxed);
  s.rejected = rejected.load(std::memory_order_relaxed);
  s.over_descriptor_budget = over_descriptor_budget.load(std::memory_order_relaxed);
  s.no_backend = no_backend.load(std::memory_order_relaxed);
  s.connect_failures = connect_failures.load(std::memory_order_relaxed);
  s.accept_failures = accept_failures.load(std::memory_order_relaxed);
  s.bind_failures = bind_failures.load(std::memory_order_relaxed);
  s.listening = listening.load(std::memory_order_relaxed);
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
      b.connect_failures.fetch_add(1, std::memory_order_relaxed);
      return std::nullopt;
    }
    backendConnectFailed(b, *pick, now, fd.error().describe().c_str());
  }
  return std::nullopt;
}

void backendConnectFailed(Balancer& b, std::size_t backend, SteadyTime now, const char* why) {
  b.pool.release(backend);
  b.connect_failures.fetch_add(1, std::memory_order_relaxed);
  if (b.pool.markDown(backend, now)) {
    spdlog::warn("lb {}: backend {} is down (connect {})", b.config.name,
                 b.pool.endpoint(backend).toString(), why);
  }
}

void backendConnected(Balancer& b, std::size_t backend) {
  if (b.config.health_check.enabled) return;  // the health checker owns recovery
  if (!b.pool.isUp(backend) && b.pool.markUp(backend)) {
    spdlog::info("lb {}: backend {} is up (connect succeeded)", b.config.name,
                 b.pool.endpoint(backend).toString());
  }
}

}  // namespace kubevip::lb
