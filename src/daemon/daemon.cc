#include "daemon/daemon.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <memory>
#include <thread>

#include "bgp/speaker.h"
#include "bgp/transport.h"
#include "common/event_loop.h"
#include "common/log.h"
#include "config/reload_plan.h"
#include "config/stop_timing.h"
#include "daemon/bgp_settings.h"
#include "daemon/control_plane_metrics.h"
#include "daemon/descriptor_limit.h"
#include "daemon/operations.h"
#include "election/lease_from_config.h"
#include "election/make_elector.h"
#include "election/single_node_elector.h"
#include "k8s/lease_client.h"
#include "k8s/lease_client_pool.h"
#include "lb/kernel_forwarding.h"
#include "lb/linux/usable_cpus_reader.h"
#include "lb/load_balancer_set.h"
#include "net/address_manager.h"
#include "net/announcer.h"
#include "net/interfaces.h"
#include "ops/status.h"
#include "services_mode/api_service_writer.h"
#include "services_mode/informer_bindings.h"
#include "services_mode/services_controller.h"
#include "services_mode/vip_holders.h"
#include "vip/routed_vip.h"
#include "vip/vip_controller.h"

namespace kubevip::daemon {
namespace {

// Request threads shared by the Leases of the Services' address groups (each with one connection
// to the API server). At the default timings a node makes one renewal per second per Lease it
// holds, and a Lease write costs a real API server 5-10 ms (an etcd write), so a node holding
// 1,000 Leases needs about ten threads; 16 leave room. Requests of one Lease stay on one thread.
constexpr int kLeaseWorkers = 16;

// The loop's own heartbeat: it tells /livez that it turns, /readyz whether the election's
// backend answers, and copies the control plane's counters into the metrics. Well inside the
// 5 s after which /livez fails, and fine-grained enough for a scrape every few seconds.
constexpr Duration kTick = milliseconds(500);

// The longest `debug freeze-loop` accepted: long enough to fail /livez, short enough that a
// mistyped number does not stop the node for long.
constexpr int kMaxFreezeMs = 30000;

// Load-balancer worker threads: loadBalancerWorkers, or one per CPU this process may use (its
// affinity mask and cgroup quota, lb/usable_cpus.h). Logged with the reason, as the count shapes
// the data plane's throughput and latency.
int loadBalancerWorkers(const config::Config& config) {
  int workers = config.lb_workers;
  std::string why = "configured (loadBalancerWorkers)";
  if (workers <= 0) {
    const lb::UsableCpus cpus = lb::readUsableCpus();
    workers = cpus.count;
    why = cpus.describe();
  }
  spdlog::info("{} load-balancer worker{}: {}", workers, workers == 1 ? "" : "s", why);
  return workers;
}

// Owns every part of a running daemon; destruction releases the VIP and closes all handles.
class Daemon {
 public:
  Daemon(const config::Config& config, config::ConfigSource reread)
      : config_(config), running_(config), reread_(std::move(reread)) {}

  Status setUp() {
    // First, so that every part runs under the raised limit.
    auto descriptor_limit = prepareDescriptorLimit(config_);
    if (!descriptor_limit) return descriptor_limit.error();
    descriptor_limit_ = *descriptor_limit;
    auto loop = EventLoop::create();
    if (!loop) return loop.error();
    loop_ = std::move(*loop);
    if (auto st = setUpOperations(); !st) return st;
    if (config_.bgp) {
      if (auto st = setUpBgp(); !st) return st;
    }
    if (config_.vip) {
      if (auto st = setUpVip(); !st) return st;
    }
    if (!config_.load_balancers.empty()) {
      // Workers, each with its own epoll loop; connections are admitted within the descriptor
      // limit minus the control plane's reserve.
      lb::DataPlaneOptions options;
      options.descriptor_limit = *descriptor_limit;
      auto balancers =
          lb::LoadBalancerSet::create(config_.load_balancers, config_.vip,
                                      loadBalancerWorkers(config_), loop_->time(), options);
      if (!balancers) return balancers.error();
      balancers_ = std::move(*balancers);
      exportBalancers();
    }
    // Without a VIP of its own (Services only), the process runs no control-plane election.
    if (config_.vip) {
      auto elector = election::makeElector(*loop_, config_);
      if (!elector) return elector.error();
      elector_ = std::move(*elector);
      election_name_ = elector_->status().election_name;  // fixed for the elector's life
    }
    if (config_.services) {
      if (auto st = setUpServices(); !st) return st;
    }
    for (int signum : {SIGTERM, SIGINT}) {
      auto watcher = SignalWatcher::create(
          *loop_, signum, [this, signum] { shutDown(signum == SIGTERM ? "SIGTERM" : "SIGINT"); });
      if (!watcher) return watcher.error();
      signals_.push_back(std::move(*watcher));
    }
    auto hangup = SignalWatcher::create(*loop_, SIGHUP, [this] { reload("SIGHUP"); });
    if (!hangup) return hangup.error();
    signals_.push_back(std::move(*hangup));
    return {};
  }

  Status start() {
    if (controller_) {
      if (auto st = controller_->removeLeftover(); !st) return st;
    }
    // Sessions first: the routes of what this node takes later go out as each one comes up.
    if (speaker_) {
      if (auto st = speaker_->start(); !st) return st;
    }
    removeLeftoverKernelForwarding();
    if (balancers_) {
      if (auto st = balancers_->start(); !st) return st;
    }
    election::ElectorCallbacks callbacks;
    callbacks.started_leading = [this] {
      spdlog::info("this node ({}) is the leader", nodeName());
      leading_since_ = loop_->time().now();
      cp_metrics_->leaderSeen(election_name_, nodeName());
      if (controller_) controller_->acquire();
    };
    callbacks.stopped_leading = [this] {
      spdlog::info("this node ({}) is no longer the leader", nodeName());
      if (controller_) controller_->release();
    };
    callbacks.backend_request = [this](Duration latency, const Status& result) {
      cp_metrics_->backendRequest(election_name_, latency, result);
    };
    callbacks.new_leader = [this](const std::string& leader) {
      cp_metrics_->leaderSeen(election_name_, leader);
      if (leader.empty()) {
        spdlog::info("no leader known");
      } else {
        spdlog::info("leader is {}", leader);
      }
    };
    if (elector_) {
      if (auto st = elector_->start(std::move(callbacks)); !st) return st;
    }
    if (services_) {
      if (auto st = services_->start(); !st) return st;
      informers_->start();
    }
    tick_ = loop_->time().createTimer();
    tick();
    return {};
  }

  void run() { loop_->run(); }

  ~Daemon() {
    // The servers' threads first: a control request must not reach parts being destroyed.
    if (operations_) operations_->stop();
  }
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

 private:
  Status setUpOperations() {
    OperationsHooks hooks;
    hooks.status_json = [this] { return ops::statusToJson(status()); };
    hooks.reload = [this] { return reload("kube-vip reload"); };
    // Test hooks that can stop the node: only when asked for in the environment at start.
    const char* debug = std::getenv("KUBEVIP_DEBUG_COMMANDS");  // NOLINT(concurrency-mt-unsafe)
    if (debug != nullptr && std::string(debug) == "1") {
      hooks.debug = [this](const std::vector<std::string>& words) { return debugCommand(words); };
    }
    auto operations = Operations::create(*loop_, config_, std::move(hooks));
    if (!operations) return operations.error();
    operations_ = std::move(*operations);
    auto metrics =
        ControlPlaneMetrics::create(operations_->registry(), nodeName(), KUBEVIP_VERSION);
    if (!metrics) return metrics.error();
    cp_metrics_ = std::move(*metrics);
    return {};
  }

  // The balancers' metrics are computed at scrape time: their backends come and go on a reload.
  void exportBalancers() {
    operations_->registry().addCollector([this] {
      return balancers_ ? balancers_->metricFamilies() : std::vector<metrics::Family>{};
    });
  }

  void tick() {
    const SteadyTime now = loop_->time().now();
    operations_->health().loopTurned(now);
    if (elector_) {
      const election::ElectorStatus status = elector_->status();
      operations_->health().setReady(status.backend_reachable,
                                     status.backend_reachable ? "ok" : status.unreachable_reason);
      cp_metrics_->refresh(status, elector_->isLeader(), elector_->leadershipValidUntil() - now,
                           controller_.get());
    } else {
      operations_->health().setReady(true, "ok");
    }
    if (services_) cp_metrics_->refreshServices(services_->report());
    if (speaker_) cp_metrics_->refreshBgp(speaker_->status());
    tick_->start(kTick, [this] { tick(); });
  }

  ops::NodeStatus status() const {
    const SteadyTime now = loop_->time().now();
    ops::NodeStatus s;
    s.node = nodeName();
    s.version = KUBEVIP_VERSION;
    // The same order as election::makeElector: etcd wins over the Lease (`manager` sets both).
    s.mode = !config_.vip          ? ops::NodeMode::kServices
             : config_.etcd        ? ops::NodeMode::kEtcd
             : config_.kubernetes  ? ops::NodeMode::kLease
             : config_.single_node ? ops::NodeMode::kSingleNode
                                   : ops::NodeMode::kRaft;
    if (elector_) {
      const election::ElectorStatus e = elector_->status();
      s.election.backend = e.backend;
      s.election.leader = elector_->isLeader() ? nodeName() : elector_->leaderId();
      s.election.is_leader = elector_->isLeader();
      s.election.role = e.role == "leader"      ? ops::ElectionRole::kLeader
                        : e.role == "candidate" ? ops::ElectionRole::kCandidate
                                                : ops::ElectionRole::kFollower;
      s.election.term = e.term;
      for (const auto& peer : e.peers) s.election.peers.push_back({peer.id, peer.address, true});
      if (e.backend == "lease") {
        s.election.lease = ops::LeaseStatus{e.lease_namespace, e.election_name, e.lease_holder};
      } else if (e.backend == "etcd") {
        s.election.etcd = ops::EtcdKeyStatus{e.election_name, e.lease_holder};
      }
      const Duration left = elector_->leadershipValidUntil() - now;
      if (s.election.is_leader && left > Duration::zero()) {
        s.election.leadership_time_left_s = std::chrono::duration<double>(left).count();
      }
      s.ready = {e.backend_reachable, e.backend_reachable ? "ok" : e.unreachable_reason};
    } else {
      s.election.backend = "none";
      s.ready = {true, "ok"};
    }
    if (controller_) {
      ops::VipStatus v;
      v.address = controller_->vip().toString();
      v.interface = controller_->interfaceName();
      v.state = controller_->state() == vip::VipState::kHolding   ? ops::VipState::kHolding
                : controller_->state() == vip::VipState::kProbing ? ops::VipState::kProbing
                                                                  : ops::VipState::kIdle;
      // Held here: since the VIP went on the interface. Otherwise the leader holds it, as far
      // as this node knows.
      if (v.state == ops::VipState::kHolding) {
        v.holder = nodeName();
        const auto held_for = std::chrono::duration_cast<std::chrono::system_clock::duration>(
            now - controller_->stateSince());
        v.since = ops::isoUtc(std::chrono::system_clock::now() - held_for);
      } else if (elector_ && !elector_->isLeader()) {
        v.holder = elector_->leaderId();
      }
      s.vips.push_back(std::move(v));
    }
    if (services_) {
      // The Services' addresses this node holds.
      for (const auto& [address, interface] : services_->heldAddresses()) {
        ops::VipStatus v;
        v.address = address.toString();
        v.interface = interface;
        v.state = ops::VipState::kHolding;
        v.holder = nodeName();
        s.vips.push_back(std::move(v));
      }
    }
    if (speaker_) s.bgp = bgpStatus(now);
    if (balancers_) {
      for (const lb::BalancerStatus& b : balancers_->status()) {
        ops::BalancerStatus out;
        out.name = b.name;
        out.type = b.type;
        out.forwarding = b.forwarding;
        if (b.listening) out.listening = b.listening->toString();
        out.active_connections = static_cast<uint64_t>(std::max(0, b.active_connections));
        for (const lb::BackendStatus& backend : b.backends) {
          out.backends.push_back({backend.endpoint.toString(), backend.up,
                                  static_cast<uint64_t>(std::max(0, backend.active_connections))});
        }
        s.balancers.push_back(std::move(out));
      }
    }
    return s;
  }

  ops::BgpStatus bgpStatus(SteadyTime now) const {
    ops::BgpStatus b;
    b.local_as = config_.bgp->as;
    b.router_id =
        IpAddress::v4({static_cast<uint8_t>(router_id_ >> 24),
                       static_cast<uint8_t>(router_id_ >> 16),
                       static_cast<uint8_t>(router_id_ >> 8), static_cast<uint8_t>(router_id_)})
            .toString();
    for (const bgp::PeerStatus& p : speaker_->status()) {
      ops::BgpPeerStatus peer;
      peer.peer = Endpoint{p.address, p.port}.toString();
      peer.as = p.as;
      peer.state = sessionStateLabel(p.state);
      if (p.established_since) {
        const auto up_for = std::chrono::duration_cast<std::chrono::system_clock::duration>(
            now - *p.established_since);
        peer.established_since = ops::isoUtc(std::chrono::system_clock::now() - up_for);
      }
      peer.routes_announced = p.routes_announced;
      peer.updates_sent = p.updates_sent;
      peer.last_error = p.last_error;
      b.peers.push_back(std::move(peer));
    }
    return b;
  }

  // SIGHUP and `kube-vip reload`: build the configuration again and apply what the plan allows
  // (config/reload_plan.h); anything else keeps the running configuration.
  ops::ReloadOutcome reload(const char* asked_by) {
    auto refuse = [asked_by](const std::string& why) {
      spdlog::warn("reload ({}) refused: {}; the running configuration is kept", asked_by, why);
      return ops::ReloadOutcome{false, why};
    };
    if (!reread_) {
      return refuse(
          "there is no configuration file to read again (configured by the environment only)");
    }
    auto next = reread_();
    if (!next) return refuse(next.error().describe());
    auto plan = config::planReload(
        running_, *next, [](const std::string& name) { return net::lookupInterface(name).ok(); });
    if (!plan) return refuse(plan.error().describe());
    if (auto st = apply(*plan, *next); !st) {
      spdlog::error("reload ({}): {}", asked_by, st.error().describe());
      return ops::ReloadOutcome{false, st.error().describe()};
    }
    running_ = std::move(*next);
    const std::string what = config::describeReloadPlan(*plan);
    spdlog::info("reload ({}) applied: {}", asked_by, what);
    return ops::ReloadOutcome{true, what};
  }

  Status apply(const config::ReloadPlan& plan, const config::Config& next) {
    if (plan.log_level) spdlog::set_level(spdlog::level::from_str(*plan.log_level));
    if (!plan.live_timings.empty() && controller_) {
      controller_->updateTimings(next.vip_timing, next.election.probe_interval,
                                 next.election.probes_unanswered);
    }
    const bool balancers_change = !plan.load_balancers_added.empty() ||
                                  !plan.load_balancers_removed.empty() ||
                                  !plan.load_balancers_changed.empty();
    if (!balancers_change) return {};
    if (balancers_) return balancers_->reconfigure(plan, next.load_balancers);
    // The first balancers of a node that ran none: a set of its own, as at start.
    lb::DataPlaneOptions options;
    options.descriptor_limit = descriptor_limit_;
    auto balancers = lb::LoadBalancerSet::create(next.load_balancers, config_.vip,
                                                 loadBalancerWorkers(next), loop_->time(), options);
    if (!balancers) return balancers.error();
    if (auto st = (*balancers)->start(); !st) return st;
    balancers_ = std::move(*balancers);
    exportBalancers();
    if (controller_ && controller_->state() == vip::VipState::kHolding) {
      balancers_->onVipAcquired();
    }
    return {};
  }

  // `kube-vip` debug requests (KUBEVIP_DEBUG_COMMANDS=1): "freeze-loop MS" blocks the control
  // loop, as a hung kernel call or a stuck library would, so that /livez can be seen failing.
  std::string debugCommand(const std::vector<std::string>& words) {
    if (words.size() == 2 && words[0] == "freeze-loop") {
      int ms = 0;
      try {
        ms = std::stoi(words[1]);
      } catch (const std::exception&) {
        ms = -1;
      }
      if (ms < 1 || ms > kMaxFreezeMs) {
        return ops::controlErrorDocument("freeze-loop takes 1-" + std::to_string(kMaxFreezeMs) +
                                         " milliseconds");
      }
      spdlog::warn("debug: freezing the control loop for {} ms", ms);
      std::this_thread::sleep_for(milliseconds(ms));
      return ops::reloadOutcomeJson({true, "the loop was frozen for " + words[1] + " ms"});
    }
    return ops::controlErrorDocument("unknown debug request (known: freeze-loop MS)");
  }

  // BGP: one speaker per process (bgp/speaker.h) over TCP sockets on the loop; the control-plane
  // VIP and the Services' addresses are announced through it.
  Status setUpBgp() {
    auto settings = speakerSettingsFrom(*config_.bgp, config_.interface, net::lookupInterface);
    if (!settings) return settings.error();
    router_id_ = settings->router_id;
    auto transport = bgp::createTcpTransport(*loop_);
    if (!transport) return transport.error();
    bgp_transport_ = std::move(*transport);
    // The sessions log their own state changes (bgp/session.cc), with the cause and the
    // negotiated hold time; the metrics read status() at each tick.
    auto speaker = bgp::Speaker::create(loop_->time(), bgp_random_, *bgp_transport_,
                                        std::move(*settings), bgp::SpeakerHooks{});
    if (!speaker) return speaker.error();
    speaker_ = std::move(*speaker);
    return {};
  }

  // Announced by BGP: the VIP goes on bgp.vipInterface (lo) and is routed to this node
  // (vip/routed_vip.h); no ARP, no probing.
  Status setUpRoutedVip() {
    auto iface = net::lookupInterface(config_.bgp->vip_interface);
    if (!iface) return iface.error();
    auto addresses = net::createNetlinkAddressManager(*loop_);
    if (!addresses) return addresses.error();
    addresses_ = std::move(*addresses);
    vip::RoutedVipOptions options;
    options.vip = *config_.vip;
    options.ifindex = iface->index;
    options.interface_name = iface->name;
    options.timing = config_.vip_timing;
    options.policy = vip::routePolicyFrom(*config_.bgp);
    controller_ = std::make_unique<vip::RoutedVip>(
        loop_->time(), *addresses_, *speaker_, options,
        [this] { return elector_ ? elector_->leadershipValidUntil() : SteadyTime{}; },
        vip::RoutedVipHooks{[this] { onVipAcquired(); }, [this] { onVipReleased(); }});
    return {};
  }

  Status setUpVip() {
    if (speaker_) return setUpRoutedVip();
    auto iface = net::lookupInterface(config_.interface);
    if (!iface) return iface.error();
    auto addresses = net::createNetlinkAddressManager(*loop_);
    if (!addresses) return addresses.error();
    addresses_ = std::move(*addresses);
    auto announcer = net::createPacketAnnouncer(*loop_, *iface);
    if (!announcer) return announcer.error();
    announcer_ = std::move(*announcer);
    auto prober = net::createPacketProber(*loop_, *iface, *config_.vip);
    if (!prober) return prober.error();
    prober_ = std::move(*prober);

    vip::VipControllerOptions options;
    options.vip = *config_.vip;
    options.ifindex = iface->index;
    options.interface_name = iface->name;
    options.timing = config_.vip_timing;
    options.probe_interval = config_.election.probe_interval;
    options.probes_unanswered = config_.election.probes_unanswered;
    options.announce = config_.gratuitous_arp;
    controller_ = std::make_unique<vip::VipController>(
        loop_->time(), *addresses_, *announcer_, *prober_, options,
        [this] { return elector_ ? elector_->leadershipValidUntil() : SteadyTime{}; },
        vip::VipControllerHooks{[this] { onVipAcquired(); }, [this] { onVipReleased(); }});
    return {};
  }

  // Services of type LoadBalancer (services_mode/services_controller.h): their own elections,
  // one VipController per address, fed by watches of the API server.
  Status setUpServices() {
    const config::KubernetesLease& settings = *config_.kubernetes;
    const config::ServicesMode& mode = *config_.services;
    auto access = election::clusterAccessFor(settings);
    if (!access) return access.error();
    auto holders = services_mode::VipHolders::create(*loop_, config_, speaker_.get());
    if (!holders) return holders.error();
    holders_ = std::move(*holders);
    const auto timeout = config::leaseRequestTimeout(settings.retry_period);
    auto writer = services_mode::ApiServiceWriter::create(*loop_, *access, timeout);
    if (!writer) return writer.error();
    service_writer_ = std::move(*writer);

    services_mode::ServicesControllerOptions options;
    options.plan.node_name = settings.identity;
    options.plan.filter.namespace_filter = mode.namespace_filter;
    options.plan.filter.lb_class_only = mode.lb_class_only;
    options.plan.filter.lb_class_name = mode.lb_class_name;
    options.plan.filter.lb_class_legacy_handling = mode.lb_class_legacy_handling;
    options.plan.default_interface = mode.interface.empty() ? config_.interface : mode.interface;
    options.plan.grouping.shared_lease_namespace = settings.lease_namespace;
    options.plan.use_endpoints = mode.use_endpoints;
    if (config_.vip) options.plan.reserved.push_back(*config_.vip);
    options.per_service_election = mode.per_service_election;
    options.write_updates = mode.write_updates;
    options.address_management = mode.address_management;
    options.write_vip_host = !mode.every_node_announces;
    options.services_lease_namespace = settings.lease_namespace;
    options.services_lease_name = mode.lease_name;
    options.address_pools_configmap =
        mode.ipam_configmap_namespace + "/" + mode.ipam_configmap_name;
    options.reconciled = [this](Duration took) { cp_metrics_->serviceReconciled(took); };
    // The services Lease gets a client of its own; the Leases of the address groups (one per
    // Service with svc_election) share the pool's threads and one watch per namespace, and their
    // followers poll once per leaseDuration while that watch is up (README: requests to the API
    // server).
    auto pool = k8s::LeaseClientPool::create(*loop_, *access, timeout, kLeaseWorkers);
    if (!pool) return pool.error();
    lease_pool_ = std::move(*pool);
    auto electors =
        [this, access = *access, timeout, services_lease = mode.lease_name,
         services_namespace = settings.lease_namespace](
            const std::string& lease_namespace,
            const std::string& lease_name) -> Result<std::unique_ptr<election::Elector>> {
      const config::KubernetesLease& k = *config_.kubernetes;
      if (config_.services->every_node_announces) {
        // Every node announces (ECMP by BGP): the services "election" always leads here.
        return std::unique_ptr<election::Elector>(
            std::make_unique<election::SingleNodeElector>(loop_->time(), k.identity));
      }
      if (lease_name == services_lease && lease_namespace == services_namespace) {
        auto client =
            k8s::ApiLeaseClient::create(*loop_, access, lease_namespace, lease_name, timeout);
        if (!client) return client.error();
        return election::makeLeaseElector(loop_->time(), k, std::move(*client));
      }
      return election::makeLeaseElector(
          loop_->time(), k, lease_pool_->client(lease_namespace, lease_name), k.lease_duration);
    };
    services_ = std::make_unique<services_mode::ServicesController>(
        loop_->time(), std::move(options), std::move(electors),
        [this](services_mode::HolderRequest request) { return holders_->make(std::move(request)); },
        service_writer_.get());
    auto informers = services_mode::InformerBindings::create(*loop_, *access, mode,
                                                             settings.identity, *services_);
    if (!informers) return informers.error();
    informers_ = std::move(*informers);
    spdlog::info("services: serving Services of type LoadBalancer on {} ({})",
                 config_.bgp                ? config_.bgp->vip_interface + ", announced by BGP"
                 : mode.interface.empty()   ? config_.interface
                                            : mode.interface,
                 mode.every_node_announces ? "no election: every node announces, ECMP"
                 : mode.per_service_election
                     ? "one Lease per Service"
                     : "Lease " + settings.lease_namespace + "/" + mode.lease_name + " for all");
    return {};
  }

  // The load balancers follow the VIP: they listen on it only while it is on the interface.
  // A listener that cannot be opened is logged and retried by the set while the VIP is held.
  void onVipAcquired() {
    if (controller_ && leading_since_) {
      cp_metrics_->vipTaken(controller_->vip(), loop_->time().now() - *leading_since_);
    }
    if (balancers_) balancers_->onVipAcquired();
  }
  void onVipReleased() {
    if (balancers_) balancers_->onVipReleased();
  }

  // A balancer forwarded by the kernel takes care of this itself (and fails to start when it
  // cannot); without one, a leftover is still removed, but failing to look is only worth a line.
  void removeLeftoverKernelForwarding() {
    const bool kernel_forwarding =
        std::any_of(config_.load_balancers.begin(), config_.load_balancers.end(),
                    [](const auto& c) { return c.forwarding == config::ForwardingMode::kKernel; });
    if (kernel_forwarding) return;
    // libnftables is loaded only when there is something to delete (tablePresentWithoutLibrary).
    auto present = nft::tablePresentWithoutLibrary();
    Status st = present ? Status{} : Status(present.error());
    if (present && *present) {
      auto nft = nft::openNftables();
      st = nft ? lb::removeLeftoverTable(**nft) : Status(nft.error());
    }
    if (!st) {
      spdlog::warn("cannot check for kernel forwarding rules left over from an earlier run: {}",
                   st.error().describe());
    }
  }

  std::string nodeName() const {
    if (config_.local_peer) return config_.local_peer->id;
    if (config_.kubernetes) return config_.kubernetes->identity;
    return "single node";
  }

  void shutDown(const char* why) {
    if (stopping_) {
      spdlog::warn("{} again: stopping now", why);
      finish(/*now=*/true);
      return;
    }
    stopping_ = true;
    spdlog::info("{}: stopping", why);
    stop_deadline_ = loop_->time().createTimer();
    // Beyond the elector's own bound on its stop (config/stop_timing.h); the VIP is gone by then.
    stop_deadline_->start(config::daemonStopDeadline(config_), [this] {
      spdlog::warn("the elector did not stop in time; releasing the VIP anyway");
      finish();
    });
    stops_pending_ = (elector_ ? 1 : 0) + (services_ ? 1 : 0);
    auto one_stopped = [this] {
      if (--stops_pending_ == 0) finish();
    };
    if (elector_) elector_->stop(one_stopped);
    if (services_) services_->stop(one_stopped);
    if (stops_pending_ == 0) finish();
  }

  // `now`: a second signal; the loop stops without waiting for the BGP speaker.
  void finish(bool now = false) {
    if (tick_) tick_->stop();
    if (controller_) controller_->release();  // BGP: withdrawn, then removed
    informers_.reset();                       // no more watch events into a stopped controller
    if (balancers_) balancers_->stop();
    // The signal watchers and the deadline timer are left for the daemon's destruction: finish()
    // runs inside their callbacks, which must not destroy their own watcher.
    if (stop_deadline_) stop_deadline_->stop();
    // The withdrawals just queued and a Cease go to every peer before the loop stops (bounded,
    // config/stop_timing.h); a second signal meanwhile stops at once. A killed process sends
    // nothing: the peers' hold timers (or Graceful Restart) decide how long its routes stay.
    if (speaker_ && !now) {
      if (!speaker_stopping_) {
        speaker_stopping_ = true;
        speaker_->stop(config::kBgpStopBound, [this] { loop_->stop(); });
      }
      return;
    }
    loop_->stop();
  }

  const config::Config& config_;
  config::Config running_;  // config_ with the reloads applied since
  config::ConfigSource reread_;
  std::unique_ptr<EventLoop> loop_;
  std::unique_ptr<Operations> operations_;
  std::unique_ptr<ControlPlaneMetrics> cp_metrics_;
  std::unique_ptr<Timer> tick_;
  std::optional<SteadyTime> leading_since_;
  std::string election_name_;  // the metrics' lease_name label
  uint64_t descriptor_limit_ = 0;
  std::unique_ptr<net::AddressManager> addresses_;
  std::unique_ptr<net::Announcer> announcer_;
  std::unique_ptr<net::ConflictProber> prober_;
  std::unique_ptr<election::Elector> elector_;
  std::unique_ptr<lb::LoadBalancerSet> balancers_;
  // BGP: the transport outlives the speaker, the speaker every holder that announces through it.
  StdRandomSource bgp_random_;
  std::unique_ptr<bgp::Transport> bgp_transport_;
  std::unique_ptr<bgp::Speaker> speaker_;
  uint32_t router_id_ = 0;
  bool speaker_stopping_ = false;
  std::unique_ptr<vip::HeldVip> controller_;
  // The Services mode; the controller's holders and writer outlive it.
  std::unique_ptr<services_mode::VipHolders> holders_;
  std::unique_ptr<k8s::LeaseClientPool> lease_pool_;
  std::unique_ptr<services_mode::ApiServiceWriter> service_writer_;
  std::unique_ptr<services_mode::ServicesController> services_;
  std::unique_ptr<services_mode::InformerBindings> informers_;
  int stops_pending_ = 0;
  std::vector<std::unique_ptr<SignalWatcher>> signals_;
  std::unique_ptr<Timer> stop_deadline_;
  bool stopping_ = false;
};

}  // namespace

int run(const config::Config& config, config::ConfigSource reread) {
  // A peer that dies mid-write must not take this process with it.
  std::signal(SIGPIPE, SIG_IGN);
  auto daemon = std::make_unique<Daemon>(config, std::move(reread));
  if (auto st = daemon->setUp(); !st) {
    spdlog::critical("cannot start: {}", st.error().describe());
    return 1;
  }
  if (auto st = daemon->start(); !st) {
    spdlog::critical("cannot start: {}", st.error().describe());
    return 1;
  }
  daemon->run();
  daemon.reset();
  spdlog::info("stopped");
  return 0;
}

}  // namespace kubevip::daemon
