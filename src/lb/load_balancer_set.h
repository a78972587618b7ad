// Load balancing on the VIP: every configured balancer, its workers and its health checks.
//
// Data flow: clients connect to a balancer's address (the VIP, or every address of the node for
// bindToVip:false); each worker thread accepts on its own SO_REUSEPORT listener and forwards the
// connection (tcp) or each request (http) to a backend chosen by the balancer's BackendPool
// (round robin or least connections, lock-free across workers). A refused or timed-out backend
// connect marks that backend down at once and tries another (passive check); active checks run
// on one health-check thread with its own libuv loop and write into the same pools.
//
// Threading: the daemon calls every method from its control-plane thread, except
// metricFamilies(), status(), listeningEndpoint(), backendUp() and stats(), which any thread may
// call at any time (they read the newest generations under a mutex, then atomics). start()
// launches the workers and the health-check thread and opens the listeners of bindToVip:false
// balancers; onVipAcquired()/onVipReleased() open and close the VIP listeners on the workers'
// threads and return once that is done.
//
// Live reconfiguration (reconfigure(), for a reload): a balancer whose listener does not change
// gets a new generation (balancer.h) without its listening sockets being closed: each worker's
// listeners hand new connections the new generation, and the connections already open keep
// theirs until they end (an HTTP connection's next request uses the new one). See reconfigure() for
// the order of the steps and what happens on error.
//
// A VIP listener that cannot be opened when the VIP is acquired (the port taken by another
// program, say) is retried on the control-plane thread's timers, after 100 ms and then twice as
// long each time up to 2 s, for as long as the VIP is held; the first failure of an episode is
// logged with its error, and its end; each balancer's stats keep `bind_failures` and `listening`.
//
// Descriptors: with DataPlaneOptions::descriptor_limit set, connections are admitted against
// that limit minus a reserve for the control plane (descriptor_budget.h).
//
// Balancers with `forwarding: kernel` have no listener and no worker: while the VIP is held the
// kernel forwards their port (kernel_forwarding.h), from the same pools and health checks.
//
// When the VIP is released, the connections accepted on it are closed at once: the address now
// routes to another node, so those connections could not carry traffic anyway, and closing them
// tells the clients instead of leaving them to time out.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/ip_address.h"
#include "common/result.h"
#include "common/time_source.h"
#include "config/config.h"
#include "config/reload_plan.h"
#include "lb/balancer.h"
#include "lb/kernel_forwarding.h"
#include "metrics/exposition.h"

namespace kubevip::lb {

class DescriptorBudget;
class Worker;
class HealthThread;

// Tuning of the data plane that is not part of the configuration file.
struct DataPlaneOptions {
  bool splice = false;  // TCP mode: splice() instead of recv/send (see Forwarding in balancer.h)
  // RLIMIT_NOFILE the process runs with; 0: connections are limited by maxConnections only.
  uint64_t descriptor_limit = 0;
  // Opens the kernel's nftables for `forwarding: kernel` balancers; empty: nft::openNftables.
  NftablesOpener open_nftables = {};
  NftablesProbe nftables_table_present = {};  // empty: nft::tablePresentWithoutLibrary
  FlowDeleter delete_udp_flows = {};          // empty: nft::deleteFlows
};

// What `kube-vip status` shows of one backend and one balancer.
struct BackendStatus {
  Endpoint endpoint;
  bool up = false;
  int active_connections = 0;      // including connects in progress
  uint64_t connections_total = 0;  // connects that succeeded (for http: one per request)
};

struct BalancerStatus {
  std::string name;
  std::string type;        // "tcp" | "http" | "udp"
  std::string forwarding;  // "proxy" | "kernel"
  // nullopt: not listening (VIP not held, or cannot bind); for kernel forwarding: the VIP's port
  // while this node holds the VIP (kernel_forwarding.h).
  std::optional<Endpoint> listening;
  int active_connections = 0;  // client connections
  std::vector<BackendStatus> backends;
};

// Worker threads for worker_threads <= 0: one per usable CPU (lb/usable_cpus.h).
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

  // Applies the load-balancer part of a reload: exactly what `plan` lists, taking each balancer's
  // new configuration from `next` (the new configuration's balancers, already validated).
  // First every name the plan lists is checked against `next` and the running set; a mismatch
  // (or a balancer that binds to the VIP when there is none, or has no backend) is refused before
  // anything changes. Then, in this order:
  //   1. removed balancers stop listening and their connections are closed;
  //   2. every changed balancer whose listener changes (type, port, bindToVip) closes it, and the
  //      connections accepted on it; all of them before any is reopened, as two may swap ports;
  //   3. each changed balancer, in the plan's order, gets its new generation (and its listener
  //      reopened if it changed) without closing anything else: see below;
  //   4. added balancers are created and listen.
  // Afterwards the descriptors left for connections (DataPlaneOptions::descriptor_limit) are
  // planned again for the balancers now running, whatever happened.
  // Listening follows start()'s rules: bindToVip:false at once, VIP listeners only while the VIP
  // is held (and retried there when their port is taken). An error (a bindToVip:false listener
  // that cannot bind) names the balancer and stops there: the steps before it are applied, the
  // failing balancer runs its new configuration but does not listen (listening 0, its
  // bind failure counted), and nothing after it in the order above is applied.
  //
  // Backends that stay keep their up/down state, their connections and their counters.
  // A backend added under active health checks starts up, as in HAProxy and as at start: a reload
  // that adds a backend that really is up then serves from it at once, while one that is not is
  // marked down by the first failed connect, whose client is moved on to another backend
  // (connectRetries) rather than failed; starting it down would keep a healthy backend idle for
  // `rise` intervals and, if every other backend were down, fail clients that it could serve.
  // Connections already open to a removed backend (for http: the request in flight) are left to
  // finish, as HAProxy does: removing a backend is how one drains it, and cutting its connections
  // would fail requests in flight for no gain; no new connection goes to it, its health checks
  // stop, and its series leave the metrics (its open connections still end by idle_timeout if
  // they stall).
  Status reconfigure(const config::ReloadPlan& plan, const std::vector<config::LoadBalancer>& next);

  // The kube_vip_lb_* metric families of every balancer and backend, as they are now. Any thread.
  std::vector<metrics::Family> metricFamilies() const;
  // Every balancer with its backends, in the order of the configuration. Any thread.
  std::vector<BalancerStatus> status() const;

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
  // A balancer's newest generation and where it listens, copied out under mu_.
  struct View {
    std::shared_ptr<const Balancer> balancer;
    std::optional<Endpoint> bound;
  };
  Status listen(Entry& e, const IpAddress& address, int group);
  void listenOnVip(Entry& e);
  void closeGroup(int group);
  Entry* find(const std::string& name) const;
  Status checkBalancer(const config::LoadBalancer& c) const;
  std::unique_ptr<Entry> makeEntry(const config::LoadBalancer& c);
  Status openListeners(Entry& e);
  void closeListeners(Entry& e);
  std::vector<View> views() const;
  Status applyReload(const config::ReloadPlan& plan, const std::vector<config::LoadBalancer>& next);
  // The kernel's share: created with the first `forwarding: kernel` balancer (also by a reload).
  Status ensureKernelForwarding();
  std::vector<nft::Service> kernelServices() const;
  void syncKernel();

  TimeSource* time_ = nullptr;
  Forwarding forwarding_ = Forwarding::kCopy;
  std::unique_ptr<DescriptorBudget> descriptors_;
  uint64_t descriptor_limit_ = 0;
  // Written on the control-plane thread under mu_, which readers on other threads take; the
  // control-plane thread reads without it.
  mutable std::mutex mu_;
  std::vector<std::unique_ptr<Entry>> entries_;
  int next_id_ = 0;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::unique_ptr<HealthThread> health_;
  NftablesOpener open_nftables_;
  NftablesProbe nftables_table_present_;
  FlowDeleter delete_udp_flows_;
  std::unique_ptr<KernelForwarding> kernel_;
  std::optional<IpAddress> vip_;
  bool started_ = false;
  bool vip_held_ = false;
};

}  // namespace kubevip::lb
