// The run-time state of one configured load balancer, shared by all workers: its configuration,
// its BackendPool, and its counters, among them its connection count (the per-balancer limit is
// enforced across workers).
//
// Generations: a Balancer is immutable apart from its atomics. A reload that changes a balancer
// builds a new Balancer (nextGeneration) that shares the counters (BalancerCounters) and the
// backends that stay (BackendState) with the old one; listeners hand new connections the newest
// generation, and every session holds the generation it started with (shared_ptr) until it ends,
// so a running connection never sees its configuration or its pool change under it. An HTTP
// session, which balances each request on its own, moves to the newest generation between
// requests (while it holds no backend).
//
// Also the backend connect step shared by the TCP and HTTP sessions: pick, connect, and on a
// refused or timed-out connect mark the backend down (the passive health check) and try the next.
#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <vector>

#include "common/unique_fd.h"
#include "config/config.h"
#include "lb/backend_pool.h"

namespace kubevip::lb {

class DescriptorBudget;

// How the TCP mode moves bytes. Copying through a user-space buffer (recv/send) is the default:
// splice() measured no faster for small request/response exchanges (bench/lb/README.md), and it
// costs a pipe pair (two descriptors, two system calls) per direction and connection. It moves
// bytes without copying them, which can pay for bulk transfers.
enum class Forwarding { kCopy, kSplice };

// The counters and flags of one balancer, as a snapshot (see Balancer for their meaning).
struct BalancerStats {
  int connections = 0;
  uint64_t rejected = 0;
  uint64_t over_descriptor_budget = 0;
  uint64_t no_backend = 0;
  uint64_t connect_failures = 0;
  uint64_t accept_failures = 0;
  uint64_t bind_failures = 0;
  bool listening = false;
};

// A balancer's counters, shared by all its generations, so that they never go backwards across a
// reload and maxConnections counts every connection, whichever generation it started under.
struct BalancerCounters {
  std::atomic<int> connections{0};    // admitted and not yet closed
  std::atomic<uint64_t> admitted{0};  // every connection admitted so far
  std::atomic<uint64_t> rejected{0};  // accepted and closed over max_connections
  // Accepted and closed because the process's descriptors for connections were all taken.
  std::atomic<uint64_t> over_descriptor_budget{0};
  std::atomic<bool> refusing_for_descriptors{false};  // logged once per episode
  std::atomic<uint64_t> no_backend{0};                // closed because no backend was up
  std::atomic<uint64_t> connect_failures{0};
  // accept() failed for lack of resources (EMFILE, ENFILE, ENOBUFS, ENOMEM; accept_backoff.h).
  std::atomic<uint64_t> accept_failures{0};
  // Listening sockets that could not be bound or listen when they were opened.
  std::atomic<uint64_t> bind_failures{0};
  std::atomic<bool> listening{false};
};

struct Balancer {
  // The first generation: fresh counters and backends.
  Balancer(const config::LoadBalancer& c, Forwarding f);
  // A later generation: `counters` and `backends` are carried over from the previous one.
  Balancer(const config::LoadBalancer& c, Forwarding f, std::shared_ptr<BalancerCounters> counters,
           std::vector<std::shared_ptr<BackendState>> backends);

  // The generation for `next`: the same counters, and for each backend of `next` the state of
  // the backend at the same address in this generation, or a fresh one (which starts up; see
  // LoadBalancerSet::reconfigure for why).
  std::shared_ptr<Balancer> nextGeneration(const config::LoadBalancer& next) const;

  const config::LoadBalancer config;
  const Forwarding forwarding;
  BackendPool pool;
  // The process-wide admission by descriptors (descriptor_budget.h); null: none.
  DescriptorBudget* descriptors = nullptr;
  const std::shared_ptr<BalancerCounters> counters;

  BalancerStats stats() const;
};

struct BackendAttempt {
  UniqueFd fd;          // connect in progress (or done)
  std::size_t backend;  // counted in the pool: release() it when the attempt or connection ends
};

// Starts a connect to the next eligible backend not in `tried` (and records it there), while
// fewer than 1 + connect_retries backends have been tried. Backends refusing on the spot are
// marked down and skipped. nullopt: give up.
std::optional<BackendAttempt> connectNextBackend(Balancer& b, SteadyTime now,
                                                 std::vector<std::size_t>& tried);

// A connect that was refused or timed out: releases the pool slot, marks the backend down and
// logs the transition once.
void backendConnectFailed(Balancer& b, std::size_t backend, SteadyTime now, const char* why);

// A connect that succeeded: a backend marked down by an earlier failure (no active checks) is up.
void backendConnected(Balancer& b, std::size_t backend);

}  // namespace kubevip::lb
