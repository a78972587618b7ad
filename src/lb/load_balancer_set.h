// Load balancing on the VIP: every configured balancer, its workers and its health checks.
//
// Data flow: clients connect to a balancer's address (the VIP, or every address of the node for
// bindToVip:false); each worker thread accepts on its own SO_REUSEPORT listener and forwards the
// connection (tcp) or each request (http) to a backend chosen by the balancer's BackendPool
// (round robin or least connections, lock-free across workers). A refused or timed-out backend
// connect marks that backend down at once and tries another (passive check); active checks run
// on one health-check thread with its own libuv loop and write into the same pools.
//
// Threading: the daemon calls every method from its control-plane thread. start() launches the
// workers and the health-check thread and opens the listeners of bindToVip:false balancers;
// onVipAcquired()/onVipReleased() open and close the VIP listeners on the workers' threads and
// return once that is done.
//
// A VIP listener that cannot be opened when the VIP is acquired (the port taken by another
// program, say) is retried on the control-plane thread's timers, after 100 ms and then twice as
// long each time up to 2 s, for as long as the VIP is held; the first failure of an episode is
// logged with its error, and its end; each balancer's stats keep `bind_failures` and `listening`.
//
// Descriptors: with DataPlaneOptions::descriptor_limit set, connections are admitted against
// that limit minus a reserve for the control plane (descriptor_budget.h).
//
// When the VIP is released, the connections accepted on it are closed at once: the address now
// routes to another node, so those connections could not carry traffic anyway, and closing them
// tells the clients instead of leaving them to time out.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/ip_address.h"
#include "common/result.h"
#include "common/time_source.h"
#include "config/config.h"
#include "lb/balancer.h"

namespace kubevip::lb {

class DescriptorBudget;
class Worker;
class HealthThread;

// Tuning of the data plane that is not part of the configuration file.
struct DataPlaneOptions {
  bool splice = false;  // TCP mode: splice() instead of recv/send (see Forwarding in balancer.h)
  // RLIMIT_NOFILE the process runs with; 0: connections are limited by maxConnections only.
  uint64_t descriptor_limit = 0;
};

// Worker threads for worker_threads <= 0: one per CPU.
int defaultWorkerCount();

class LoadBalancerSet {
 public:
  // `vip` is needed only if a balancer binds to it. worker_threads <= 0: one per CPU. `time`
  // (the control-plane thread's) runs the retries of VIP listeners and must outlive the set.
  static Result<std::unique_ptr<LoadBalancerSet>> create(
      const std::vector<config::LoadBalancer>& balancers, std::optional<IpAddress> vip,
      int worker_threads, TimeSource& time, DataPlaneOptions options = {});
  ~LoadBalancerSet();
  LoadBalancerSet(const LoadBalancerSet&) = delete;
  LoadBalancerSet& operator=(const LoadBalancerSet&) = delete;

  // Worker threads, health checks, and listeners of bindToVip:false balancers (all addresses:
  // 0.0.0.0 or :: by the VIP's family, IPv4 when there is no VIP).
  Status start();
  // Listens on VIP:port for bindToVip:true balancers; one that cannot is retried while the VIP
  // is held (see above). Idempotent.
  void onVipAcquired();
  // Stops listening on the VIP (and retrying to) and closes the connections accepted on it.
  // Idempotent.
  void onVipReleased();
  // Everything down, threads joined. Idempotent; the destructor calls it.
  void stop();

  // The address a balancer listens on (with the real port when it was configured as 0), for
  // tests and logs. nullopt when it is not listening.
  std::optional<Endpoint> listeningEndpoint(const std::string& balancer_name) const;
  // Whether a backend of a balancer is currently up (for tests and status).
  bool backendUp(const std::string& balancer_name, std::size_t backend) const;
  // A balancer's counters (bind and accept failures, rejected connections, ...). nullopt: no
  // balancer of that name.
  std::optional<BalancerStats> stats(const std::string& balancer_name) const;

 private:
  LoadBalancerSet() = default;
  struct Entry;
  Status listen(Entry& e, const IpAddress& address, int group);
  void listenOnVip(std::size_t index);
  void closeGroup(int group);

  std::unique_ptr<DescriptorBudget> descriptors_;
  std::vector<std::unique_ptr<Entry>> entries_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::unique_ptr<HealthThread> health_;
  std::optional<IpAddress> vip_;
  bool started_ = false;
  bool vip_held_ = false;
};

}  // namespace kubevip::lb
