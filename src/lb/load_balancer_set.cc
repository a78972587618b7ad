#include "lb/load_balancer_set.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>

#include "lb/balancer.h"
#include "lb/descriptor_budget.h"
#include "lb/health_thread.h"
#include "lb/linux/usable_cpus_reader.h"
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

bool kernelForwarded(const config::LoadBalancer& c) {
  return c.forwarding == config::ForwardingMode::kKernel;
}

long long toMs(Duration d) { return std::chrono::duration_cast<milliseconds>(d).count(); }

IpAddress anyAddress(const std::optional<IpAddress>& vip) {
  if (vip && vip->isV6()) return IpAddress::v6({});
  return IpAddress::v4({0, 0, 0, 0});
}

}  // namespace

int defaultWorkerCount() { return readUsableCpus().count; }

struct LoadBalancerSet::Entry {
  Entry(int entry_id, std::shared_ptr<Balancer> b, TimeSource& time)
      : id(entry_id), current(std::move(b)), bind_retry(time.createTimer()) {}
  const std::string& name() const { return current->config.name; }
  // Listener groups (Worker::closeGroup): all addresses, and the VIP.
  int anyGroup() const { return 2 * id; }
  int vipGroup() const { return 2 * id + 1; }

  const int id;                       // unique in the set, never reused
  std::shared_ptr<Balancer> current;  // the newest generation
  std::optional<Endpoint> bound;      // where its listeners are, while they are
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
  set->time_ = &time;
  set->forwarding_ = options.splice ? Forwarding::kSplice : Forwarding::kCopy;
  if (worker_threads <= 0) worker_threads = defaultWorkerCount();
  if (options.descriptor_limit > 0) {
    const auto plan =
        planDescriptors(balancers, set->forwarding_, worker_threads, options.descriptor_limit);
    set->descriptors_ = std::make_unique<DescriptorBudget>(plan.for_sessions);
    set->descriptor_limit_ = options.descriptor_limit;
  }
  set->open_nftables_ =
      options.open_nftables ? std::move(options.open_nftables) : NftablesOpener(nft::openNftables);
  set->nftables_table_present_ = options.nftables_table_present
                                     ? std::move(options.nftables_table_present)
                                     : NftablesProbe(nft::tablePresentWithoutLibrary);
  set->delete_udp_flows_ = options.delete_udp_flows ? std::move(options.delete_udp_flows)
                                                    : FlowDeleter(nft::deleteFlows);
  for (const auto& c : balancers) {
    if (auto st = set->checkBalancer(c); !st) return st.error();
    set->entries_.push_back(set->makeEntry(c));
  }
  for (int i = 0; i < worker_threads; ++i) {
    auto w = Worker::create(i);
    if (!w) return w.error();
    set->workers_.push_back(std::move(*w));
  }
  return set;
}

Status LoadBalancerSet::checkBalancer(const config::LoadBalancer& c) const {
  if (c.bind_to_vip && !vip_) {
    return makeError(ErrorCode::kInvalidArgument,
                     "load balancer " + c.name + " binds to the VIP but no VIP is configured");
  }
  if (c.backends.empty()) {
    return makeError(ErrorCode::kInvalidArgument, "load balancer " + c.name + " has no backend");
  }
  if (kernelForwarded(c) && !c.bind_to_vip) {
    return makeError(ErrorCode::kInvalidArgument,
                     "load balancer " + c.name + " is forwarded by the kernel but not on the VIP");
  }
  return {};
}

Status LoadBalancerSet::ensureKernelForwarding() {
  if (kernel_ || !started_) return {};
  const bool wanted = std::any_of(entries_.begin(), entries_.end(), [](const auto& e) {
    return kernelForwarded(e->current->config);
  });
  if (!wanted) return {};
  auto kernel = std::make_unique<KernelForwarding>(
      open_nftables_, nftables_table_present_, *time_, [this] { return kernelServices(); },
      delete_udp_flows_);
  if (auto st = kernel->start(); !st) {
    Error err = st.error();
    err.message = "kernel forwarding: " + err.message;
    return err;
  }
  kernel_ = std::move(kernel);
  return {};
}

std::vector<nft::Service> LoadBalancerSet::kernelServices() const {
  std::vector<nft::Service> out;
  if (!vip_held_ || !vip_) return out;
  for (const auto& e : entries_) {
    if (kernelForwarded(e->current->config)) out.push_back(kernelService(*e->current, *vip_));
  }
  return out;
}

void LoadBalancerSet::syncKernel() {
  if (kernel_) kernel_->sync();
}

std::unique_ptr<LoadBalancerSet::Entry> LoadBalancerSet::makeEntry(const config::LoadBalancer& c) {
  auto b = std::make_shared<Balancer>(c, forwarding_);
  b->descriptors = descriptors_.get();
  return std::make_unique<Entry>(next_id_++, std::move(b), *time_);
}

LoadBalancerSet::~LoadBalancerSet() { stop(); }

Status LoadBalancerSet::start() {
  if (started_) return {};
  for (auto& w : workers_) w->start();
  std::map<int, std::shared_ptr<Balancer>> all;
  for (auto& e : entries_) all[e->id] = e->current;
  health_ = std::make_unique<HealthThread>();
  started_ = true;
  if (auto st = health_->start(std::move(all)); !st) {
    stop();
    return st;
  }
  if (auto st = ensureKernelForwarding(); !st) {
    stop();
    return st;
  }
  for (auto& e : entries_) {
    if (e->current->config.bind_to_vip) continue;
    if (auto st = listen(*e, anyAddress(vip_), e->anyGroup()); !st) {
      stop();
      return st;
    }
  }
  return {};
}

Status LoadBalancerSet::listen(Entry& e, const IpAddress& address, int group) {
  // The first socket learns the port when the configuration says 0; the others share it.
  Endpoint ep{address, e.current->config.port};
  std::vector<UniqueFd> fds;
  for (std::size_t k = 0; k < workers_.size(); ++k) {
    auto fd = listenReusePort(ep, kBacklog);
    if (!fd) {
      e.current->counters->bind_failures.fetch_add(1, std::memory_order_relaxed);
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
        [&] { st = workers_[k]->addListener(std::move(fds[k]), e.current, group); });
    if (!st) {
      closeGroup(group);
      return st;
    }
  }
  {
    std::lock_guard lock(mu_);
    e.bound = ep;
  }
  e.current->counters->listening.store(true, std::memory_order_relaxed);
  spdlog::info("lb {}: listening on {} ({} workers)", e.name(), ep.toString(), workers_.size());
  return {};
}

void LoadBalancerSet::closeGroup(int group) {
  for (auto& w : workers_) w->runSync([&] { w->closeGroup(group); });
}

void LoadBalancerSet::onVipAcquired() {
  if (!started_ || vip_held_) return;
  vip_held_ = true;
  syncKernel();
  for (auto& e : entries_) {
    if (e->current->config.bind_to_vip) listenOnVip(*e);
  }
}

void LoadBalancerSet::listenOnVip(Entry& e) {
  if (!vip_held_ || e.bound) return;
  if (kernelForwarded(e.current->config)) {
    {
      std::lock_guard lock(mu_);
      e.bound = Endpoint{*vip_, e.current->config.port};
    }
    e.current->counters->listening.store(true, std::memory_order_relaxed);
    return;
  }
  const auto st = listen(e, *vip_, e.vipGroup());
  const std::string& name = e.name();
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
  // The entry outlives its timer: removing it stops the timer first (closeListeners).
  e.bind_retry->start(e.bind_retry_delay, [this, entry = &e] { listenOnVip(*entry); });
}

void LoadBalancerSet::onVipReleased() {
  for (auto& e : entries_) {
    if (!e->current->config.bind_to_vip) continue;
    e->bind_retry->stop();
    if (e->bind_episode_failures > 0) {
      spdlog::info("lb {}: VIP released; no longer trying to listen on it ({} failed attempts)",
                   e->name(), e->bind_episode_failures);
      e->bind_episode_failures = 0;
      e->bind_retry_delay = Duration::zero();
    }
    if (!e->bound) continue;
    closeGroup(e->vipGroup());
    {
      std::lock_guard lock(mu_);
      e->bound.reset();
    }
    e->current->counters->listening.store(false, std::memory_order_relaxed);
    if (!kernelForwarded(e->current->config)) {
      spdlog::info("lb {}: stopped listening on the VIP", e->name());
    }
  }
  vip_held_ = false;
  syncKernel();
}

void LoadBalancerSet::stop() {
  if (!started_) return;
  started_ = false;
  vip_held_ = false;
  if (kernel_) kernel_->stop();
  if (health_) health_->stop();
  for (auto& w : workers_) w->stop();
  std::lock_guard lock(mu_);
  for (auto& e : entries_) {
    e->bind_retry->stop();
    e->bound.reset();
    e->current->counters->listening.store(false, std::memory_order_relaxed);
  }
}

Status LoadBalancerSet::openListeners(Entry& e) {
  if (!started_) return {};
  if (e.current->config.bind_to_vip) {
    listenOnVip(e);  // only while the VIP is held; retried there when the port is taken
    return {};
  }
  if (auto st = listen(e, anyAddress(vip_), e.anyGroup()); !st) {
    Error err = st.error();
    err.message = "load balancer " + e.name() + ": cannot listen: " + err.message;
    return err;
  }
  return {};
}

void LoadBalancerSet::closeListeners(Entry& e) {
  e.bind_retry->stop();
  e.bind_episode_failures = 0;
  e.bind_retry_delay = Duration::zero();
  closeGroup(e.anyGroup());
  closeGroup(e.vipGroup());
  {
    std::lock_guard lock(mu_);
    e.bound.reset();
  }
  e.current->counters->listening.store(false, std::memory_order_relaxed);
}

LoadBalancerSet::Entry* LoadBalancerSet::find(const std::string& name) const {
  for (const auto& e : entries_) {
    if (e->name() == name) return e.get();
  }
  return nullptr;
}

Status LoadBalancerSet::reconfigure(const config::ReloadPlan& plan,
                                    const std::vector<config::LoadBalancer>& next) {
  Status st = applyReload(plan, next);
  if (auto kernel = ensureKernelForwarding(); !kernel && st) st = kernel;
  syncKernel();
  {
    // status() and the metrics list balancers in the order of the configuration.
    auto position = [&next](const Entry& e) {
      auto it = std::find_if(next.begin(), next.end(),
                             [&e](const config::LoadBalancer& c) { return c.name == e.name(); });
      return it - next.begin();
    };
    std::lock_guard lock(mu_);
    std::stable_sort(entries_.begin(), entries_.end(),
                     [&](const auto& x, const auto& y) { return position(*x) < position(*y); });
  }
  if (descriptors_) {
    // Every balancer costs each worker a listener, and each actively checked backend a socket:
    // those come out of the connections' share, never out of the control plane's reserve.
    std::vector<config::LoadBalancer> running;
    for (const auto& e : entries_) running.push_back(e->current->config);
    const auto budget =
        planDescriptors(running, forwarding_, static_cast<int>(workers_.size()), descriptor_limit_);
    if (budget.for_sessions != descriptors_->capacity()) {
      spdlog::info("lb: descriptors for connections {} -> {} after the reload",
                   descriptors_->capacity(), budget.for_sessions);
      descriptors_->setCapacity(budget.for_sessions);
    }
  }
  return st;
}

Status LoadBalancerSet::applyReload(const config::ReloadPlan& plan,
                                    const std::vector<config::LoadBalancer>& next) {
  auto configOf = [&](const std::string& name) -> const config::LoadBalancer* {
    for (const auto& c : next) {
      if (c.name == name) return &c;
    }
    return nullptr;
  };
  auto refuse = [](const std::string& name, const std::string& why) -> Status {
    return makeError(ErrorCode::kInvalidArgument, "load balancer " + name + ": " + why);
  };
  // Everything the plan names must fit the running set and `next` before anything changes.
  for (const auto& name : plan.load_balancers_removed) {
    if (!find(name)) return refuse(name, "removed by the reload but not running");
  }
  for (const auto& change : plan.load_balancers_changed) {
    if (!find(change.name)) return refuse(change.name, "changed by the reload but not running");
    const auto* c = configOf(change.name);
    if (!c) return refuse(change.name, "changed by the reload but missing from the new list");
    if (auto st = checkBalancer(*c); !st) return st;
  }
  for (const auto& name : plan.load_balancers_added) {
    const bool removed_first =
        std::find(plan.load_balancers_removed.begin(), plan.load_balancers_removed.end(), name) !=
        plan.load_balancers_removed.end();
    if (find(name) && !removed_first)
      return refuse(name, "added by the reload but already running");
    const auto* c = configOf(name);
    if (!c) return refuse(name, "added by the reload but missing from the new list");
    if (auto st = checkBalancer(*c); !st) return st;
  }

  // 1. Removed.
  for (const auto& name : plan.load_balancers_removed) {
    Entry* e = find(name);
    closeListeners(*e);
    if (health_) health_->setBalancer(e->id, nullptr);
    std::lock_guard lock(mu_);
    std::erase_if(entries_, [e](const auto& p) { return p.get() == e; });
    spdlog::info("lb {}: removed", name);
  }
  // 2. Changed listeners closed, all before any is reopened.
  for (const auto& change : plan.load_balancers_changed) {
    if (change.listener) closeListeners(*find(change.name));
  }
  // 3. Changed balancers: the new generation.
  for (const auto& change : plan.load_balancers_changed) {
    Entry& e = *find(change.name);
    auto generation = e.current->nextGeneration(*configOf(change.name));
    {
      std::lock_guard lock(mu_);
      e.current = generation;
    }
    if (!change.listener) {
      for (auto& w : workers_) {
        w->runSync([&] {
          w->setBalancer(e.anyGroup(), generation);
          w->setBalancer(e.vipGroup(), generation);
        });
      }
    }
    // A checker writes into BackendStates, which the generations share: the running one stays
    // right as long as the backends and the checks themselves are the same.
    const bool new_checks = change.listener || change.health_check ||
                            !change.backends_added.empty() || !change.backends_removed.empty();
    if (health_ && new_checks) health_->setBalancer(e.id, generation);
    spdlog::info("lb {}: reconfigured", e.name());
    if (change.listener) {
      if (auto st = openListeners(e); !st) return st;
    }
  }
  // 4. Added.
  for (const auto& name : plan.load_balancers_added) {
    auto entry = makeEntry(*configOf(name));
    Entry& e = *entry;
    {
      std::lock_guard lock(mu_);
      entries_.push_back(std::move(entry));
    }
    if (health_) health_->setBalancer(e.id, e.current);
    spdlog::info("lb {}: added", name);
    if (auto st = openListeners(e); !st) return st;
  }
  return {};
}

std::vector<LoadBalancerSet::View> LoadBalancerSet::views() const {
  std::lock_guard lock(mu_);
  std::vector<View> out;
  out.reserve(entries_.size());
  for (const auto& e : entries_) out.push_back(View{e->current, e->bound});
  return out;
}

std::optional<Endpoint> LoadBalancerSet::listeningEndpoint(const std::string& name) const {
  for (const auto& v : views()) {
    if (v.balancer->config.name == name) return v.bound;
  }
  return std::nullopt;
}

bool LoadBalancerSet::backendUp(const std::string& name, std::size_t backend) const {
  for (const auto& v : views()) {
    if (v.balancer->config.name == name && backend < v.balancer->pool.size()) {
      return v.balancer->pool.isUp(backend);
    }
  }
  return false;
}

std::optional<BalancerStats> LoadBalancerSet::stats(const std::string& name) const {
  for (const auto& v : views()) {
    if (v.balancer->config.name == name) return v.balancer->stats();
  }
  return std::nullopt;
}

}  // namespace kubevip::lb
