#include "lb/descriptor_budget.h"

#include <fmt/format.h>

namespace kubevip::lb {
namespace {

// Per worker: its epoll instance, its wake-up eventfd, and the socket accept() returns before the
// admission decides to close it.
constexpr uint64_t kPerWorker = 3;
// The health-check thread's libuv loop (epoll, async eventfd, signal pipe pair).
constexpr uint64_t kHealthThread = 4;

}  // namespace

int descriptorsPerSession(Forwarding forwarding) {
  return forwarding == Forwarding::kSplice ? 2 + 2 * 2 : 2;
}

DescriptorPlan planDescriptors(const std::vector<config::LoadBalancer>& balancers,
                               Forwarding forwarding, int workers, uint64_t limit) {
  DescriptorPlan p;
  p.limit = limit;
  p.reserve = kControlPlaneReserve;
  p.per_session = descriptorsPerSession(forwarding);
  const auto w = static_cast<uint64_t>(std::max(1, workers));
  p.fixed = kHealthThread + w * (kPerWorker + balancers.size());
  for (const auto& b : balancers) {
    if (b.health_check.enabled) p.fixed += b.backends.size();  // one check in flight per backend
    // The kernel carries these connections: they hold no descriptor of this process.
    if (b.forwarding == config::ForwardingMode::kKernel) continue;
    p.wanted += static_cast<uint64_t>(std::max(0, b.max_connections)) *
                static_cast<uint64_t>(p.per_session);
  }
  const uint64_t taken = p.reserve + p.fixed;
  p.for_sessions = limit > taken ? limit - taken : 0;
  return p;
}

std::string DescriptorPlan::describe(const std::vector<config::LoadBalancer>& balancers) const {
  std::string sum;
  uint64_t connections = 0;
  for (const auto& b : balancers) {
    if (b.forwarding == config::ForwardingMode::kKernel) continue;
    if (!sum.empty()) sum += " + ";
    sum += fmt::format("{} ({})", b.max_connections, b.name);
    connections += static_cast<uint64_t>(std::max(0, b.max_connections));
  }
  return fmt::format(
      "maxConnections {} = {} connections need {} descriptors ({} each); the descriptor limit {} "
      "minus {} reserved for the control plane and {} for the load-balancer workers leaves {}, "
      "room for {} connections",
      sum, connections, wanted, per_session, limit, reserve, fixed, for_sessions,
      for_sessions / static_cast<uint64_t>(per_session));
}

}  // namespace kubevip::lb
