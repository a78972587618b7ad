// How many descriptors the data plane may use, and the admission that keeps it within them.
//
// File descriptors are one table per process: the load balancers' connections, Raft's peer
// connections and segment files, the netlink and packet sockets and the API client all draw on
// RLIMIT_NOFILE. If client connections may use all of it, anyone who can reach a balanced port
// takes the leader's descriptors with a few hundred idle connections; Raft then cannot reconnect
// to a peer or open a segment, and the VIP can move. So the data plane is planned against
// `limit - kControlPlaneReserve - its own fixed descriptors`, and a connection is admitted only
// while its descriptors (client + backend, plus two pipes per direction when splicing) fit in
// what remains. A connection over that is accepted and closed at once, and counted.
//
// The reserve, kControlPlaneReserve = 64, covers what the control plane holds at once with room
// to spare: stdio and the log (4), the libuv loop (epoll, signal pipe, async eventfd: 4),
// libraft's listener, one inbound and one outbound connection per peer (2 x 9 peers + 1 = 19)
// and its disk I/O (open segments, snapshot, metadata, the AIO eventfd: about 8), netlink and
// packet sockets (4), and the API client's connection pool (libcurl, about 8): 47.
//
// DescriptorBudget is shared by every worker thread; it is a single atomic counter.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "config/config.h"
#include "lb/balancer.h"

namespace kubevip::lb {

inline constexpr uint64_t kControlPlaneReserve = 64;

// Descriptors one proxied connection holds at most: the client's and one backend's (tcp, and
// http, which opens one backend connection per request but never two at once), plus a pipe pair
// per direction when splicing.
int descriptorsPerSession(Forwarding forwarding);

// The data plane's descriptors under a limit.
struct DescriptorPlan {
  uint64_t limit = 0;         // RLIMIT_NOFILE the process runs with
  uint64_t reserve = 0;       // kept for the control plane
  uint64_t fixed = 0;         // the data plane's own: per worker epoll, eventfd, one listener per
                              // balancer and one accepted socket in flight; health checks
  uint64_t for_sessions = 0;  // limit - reserve - fixed (0 when that is negative)
  uint64_t wanted = 0;        // what every balancer at maxConnections would hold
  int per_session = 0;

  bool fits() const { return wanted <= for_sessions; }
  // At least one connection can be served.
  bool usable() const { return for_sessions >= static_cast<uint64_t>(per_session); }
  // "N connections (maxConnections a + b) need W descriptors; L - R reserved for the control
  // plane - F for the workers leaves S (room for C connections)".
  std::string describe(const std::vector<config::LoadBalancer>& balancers) const;
};

DescriptorPlan planDescriptors(const std::vector<config::LoadBalancer>& balancers,
                               Forwarding forwarding, int workers, uint64_t limit);

// Process-wide admission of connections by their descriptors. Thread-safe.
class DescriptorBudget {
 public:
  explicit DescriptorBudget(uint64_t capacity)
      : capacity_(capacity), available_(static_cast<int64_t>(capacity)) {}
  // A reload changed the data plane's own descriptors (balancers, workers' listeners, health
  // checks): moves what is available by the difference. Connections already admitted keep
  // theirs; when the capacity shrinks below what they hold, new ones are refused until enough
  // have ended. One thread at a time (the control plane's); tryAcquire/release may run meanwhile.
  void setCapacity(uint64_t capacity) {
    available_.fetch_add(static_cast<int64_t>(capacity) - static_cast<int64_t>(capacity_),
                         std::memory_order_relaxed);
    capacity_ = capacity;
  }
  uint64_t capacity() const { return capacity_; }
  // Takes `n` descriptors if they are available.
  bool tryAcquire(int n) {
    if (available_.fetch_sub(n, std::memory_order_relaxed) >= n) return true;
    available_.fetch_add(n, std::memory_order_relaxed);
    return false;
  }
  void release(int n) { available_.fetch_add(n, std::memory_order_relaxed); }

 private:
  uint64_t capacity_;
  std::atomic<int64_t> available_;
};

}  // namespace kubevip::lb
