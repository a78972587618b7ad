#include "daemon/control_plane_metrics.h"

#include <algorithm>
#include <chrono>

#include "daemon/bgp_settings.h"

namespace kubevip::daemon {
namespace {

using metrics::CounterFamily;
using metrics::GaugeFamily;
using metrics::HistogramFamily;
using metrics::Labels;

double secondsOf(Duration d) { return std::chrono::duration<double>(d).count(); }

// Series are created on first use with labels checked by the registry; the labels here are
// fixed per family, so a refusal is a bug in this file, and the series is simply not counted.
template <typename Family>
auto* series(Family* family, const Labels& labels) {
  auto s = family->withLabels(labels);
  return s ? *s : nullptr;
}

}  // namespace

struct ControlPlaneMetrics::Families {
  GaugeFamily* build_info = nullptr;
  GaugeFamily* is_leader = nullptr;
  CounterFamily* transitions = nullptr;
  GaugeFamily* leadership_left = nullptr;
  GaugeFamily* backend_reachable = nullptr;
  HistogramFamily* backend_request_seconds = nullptr;
  CounterFamily* api_errors = nullptr;
  GaugeFamily* raft_term = nullptr;
  GaugeFamily* raft_role = nullptr;
  GaugeFamily* etcd_fencing_token = nullptr;
  GaugeFamily* vip_held = nullptr;
  GaugeFamily* vip_state = nullptr;
  HistogramFamily* vip_take_seconds = nullptr;
  CounterFamily* vip_acquisitions = nullptr;
  CounterFamily* vip_releases = nullptr;
  CounterFamily* probes_sent = nullptr;
  CounterFamily* probes_answered = nullptr;
  CounterFamily* announcements = nullptr;
  CounterFamily* announce_failures = nullptr;
  CounterFamily* renewals = nullptr;
  CounterFamily* renew_failures = nullptr;
  GaugeFamily* active_services = nullptr;
  CounterFamily* reconcile_errors = nullptr;
  HistogramFamily* reconcile_seconds = nullptr;
  GaugeFamily* service_election_leading = nullptr;
  GaugeFamily* bgp_session_info = nullptr;
  CounterFamily* bgp_updates_sent = nullptr;
  GaugeFamily* bgp_routes_announced = nullptr;
};

Result<std::unique_ptr<ControlPlaneMetrics>> ControlPlaneMetrics::create(
    metrics::Registry& registry, std::string node, const std::string& version) {
  auto f = std::make_unique<Families>();
  Status status = okStatus();
  // Each family, or the first error (a refusal here is a bug in this file: names are fixed).
  auto take = [&status](auto*& out, auto family) {
    if (family) {
      out = *family;
    } else if (status) {
      status = family.error();
    }
  };
  take(f->build_info,
       registry.gaugeFamily("kube_vip_build_info", "Always 1; the version of this kube-vip"));
  take(f->is_leader,
       registry.gaugeFamily("kube_vip_is_leader", "1 while this node leads the election"));
  take(f->transitions, registry.counterFamily(
                           "kube_vip_leader_election_transitions_total",
                           "Changes of the known leader (this node included) seen by this node"));
  take(f->leadership_left,
       registry.gaugeFamily(
           "kube_vip_leadership_time_left_seconds",
           "How long this node's leadership stays certain without another renewal; 0 when not "
           "leading"));
  take(f->backend_reachable,
       registry.gaugeFamily(
           "kube_vip_election_backend_reachable",
           "1 while the election's backend answers (Raft: a leader is known; Lease: the API server "
           "answers; etcd: the last etcd request was answered)"));
  take(f->backend_request_seconds,
       registry.histogramFamily("kube_vip_lease_request_duration_seconds",
                                "Time each Lease request to the API server took (reads and writes)",
                                {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5}));
  take(f->api_errors,
       registry.counterFamily(
           "kube_vip_api_errors_total",
           "Lease requests that failed, by error class (conflict, not_found, unavailable, "
           "permission_denied, timeout, ...)"));
  take(f->raft_term, registry.gaugeFamily("kube_vip_raft_term", "The Raft term this node is in"));
  take(f->raft_role,
       registry.gaugeFamily("kube_vip_raft_role", "1 for this node's current Raft role"));
  take(f->etcd_fencing_token,
       registry.gaugeFamily("kube_vip_etcd_fencing_token",
                            "The etcd election key's mod revision when its holder created it (this "
                            "node's while leading, else the holder's as last seen)"));
  take(f->vip_held, registry.gaugeFamily("kube_vip_vip_held",
                                         "1 while this node holds the VIP on its interface"));
  take(f->vip_state,
       registry.gaugeFamily("kube_vip_vip_state", "1 for the VIP controller's current state"));
  take(f->vip_take_seconds,
       registry.histogramFamily(
           "kube_vip_vip_acquire_seconds",
           "Time from gaining leadership to the VIP being on the interface (probing included)",
           {0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}));
  take(f->vip_acquisitions,
       registry.counterFamily("kube_vip_vip_acquisitions_total", "Times the VIP was added"));
  take(f->vip_releases,
       registry.counterFamily(
           "kube_vip_vip_releases_total",
           "Times the VIP was removed, by reason (released: leadership lost or stopping; "
           "lease_expired: leadership stopped being fresh while holding)"));
  take(f->probes_sent, registry.counterFamily("kube_vip_vip_probes_sent_total",
                                              "ARP/NDP probes sent before taking the VIP"));
  take(f->probes_answered,
       registry.counterFamily("kube_vip_vip_probes_answered_total",
                              "Probe periods in which another host defended the VIP"));
  take(f->announcements,
       registry.counterFamily("kube_vip_vip_announcements_total",
                              "Gratuitous ARP / unsolicited neighbour advertisements sent"));
  take(f->announce_failures, registry.counterFamily("kube_vip_vip_announcement_failures_total",
                                                    "Announcements that could not be sent"));
  take(f->renewals,
       registry.counterFamily("kube_vip_vip_renewals_total", "Renewals of the VIP's lifetime"));
  take(f->renew_failures,
       registry.counterFamily("kube_vip_vip_renewal_failures_total",
                              "Renewals the kernel refused or did not answer in time"));
  take(f->active_services,
       registry.gaugeFamily("kube_vip_active_services",
                            "Services of type LoadBalancer this node announces, by namespace"));
  take(f->reconcile_errors,
       registry.counterFamily("kube_vip_service_reconcile_errors_total",
                              "Reconciles of the Services that hit a failure and were retried"));
  take(f->reconcile_seconds,
       registry.histogramFamily("kube_vip_service_reconcile_duration_seconds",
                                "Time one reconcile of the Services took on the control loop",
                                {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1}));
  take(f->service_election_leading,
       registry.gaugeFamily(
           "kube_vip_service_election_leading",
           "1 while this node leads the Services' Lease (one per Service with svc_election)"));
  take(f->bgp_session_info,
       registry.gaugeFamily(
           "kube_vip_manager_bgp_session_info",
           "1 for the current state of each BGP session (RFC 4271 §8: idle, "
           "connect, active, opensent, openconfirm, established), 0 for the others"));
  take(f->bgp_updates_sent, registry.counterFamily("kube_vip_bgp_updates_sent_total",
                                                   "BGP UPDATE messages sent to the peer"));
  take(f->bgp_routes_announced, registry.gaugeFamily("kube_vip_bgp_routes_announced",
                                                     "Routes the BGP peer has from this node now"));
  if (!status) return status.error();
  if (auto* info = series(f->build_info, {{"version", version}})) info->set(1);
  return std::unique_ptr<ControlPlaneMetrics>(
      new ControlPlaneMetrics(std::move(f), std::move(node)));
}

ControlPlaneMetrics::ControlPlaneMetrics(std::unique_ptr<Families> families, std::string node)
    : families_(std::move(families)), node_(std::move(node)) {}

ControlPlaneMetrics::~ControlPlaneMetrics() = default;

void ControlPlaneMetrics::Mirrored::update(uint64_t total) {
  if (counter != nullptr && total > seen) counter->inc(static_cast<double>(total - seen));
  seen = total;
}

ControlPlaneMetrics::Mirrored& ControlPlaneMetrics::mirrored(CounterFamily* family,
                                                             const Labels& labels) {
  Mirrored& m = mirrored_[{family, labels}];
  if (m.counter == nullptr) m.counter = series(family, labels);
  return m;
}

void ControlPlaneMetrics::leaderSeen(const std::string& election, const std::string& leader) {
  if (leader.empty()) return;
  std::string& last = last_leader_[election];
  if (last == leader) return;
  last = leader;
  if (auto* c = series(families_->transitions, {{"lease_name", election}})) c->inc();
}

void ControlPlaneMetrics::vipTaken(const IpAddress& vip, Duration since_leadership) {
  if (auto* h = series(families_->vip_take_seconds, {{"vip", vip.toString()}})) {
    h->observe(secondsOf(since_leadership));
  }
}

void ControlPlaneMetrics::backendRequest(const std::string& election, Duration latency,
                                         const Status& result) {
  if (auto* h = series(families_->backend_request_seconds, {{"lease_name", election}})) {
    h->observe(secondsOf(latency));
  }
  if (!result.ok()) {
    std::string code = errorCodeName(result.error().code);  // "not found" -> "not_found"
    std::replace(code.begin(), code.end(), ' ', '_');
    if (auto* c = series(families_->api_errors, {{"code", code}})) c->inc();
  }
}

void ControlPlaneMetrics::serviceReconciled(Duration took) {
  if (auto* h = series(families_->reconcile_seconds, {})) h->observe(secondsOf(took));
}

void ControlPlaneMetrics::refreshServices(const services_mode::ServicesReport& report) {
  // A namespace or Lease no longer reported reads 0 rather than keeping its last value.
  for (auto& [ns, count] : services_namespaces_) count = 0;
  for (const auto& [ns, count] : report.active_by_namespace) services_namespaces_[ns] = count;
  for (const auto& [ns, count] : services_namespaces_) {
    if (auto* g = series(families_->active_services, {{"namespace", ns}})) g->set(count);
  }
  for (auto& [lease, leading] : services_elections_) leading = false;
  for (const auto& [lease, leading] : report.elections) services_elections_[lease] = leading;
  for (const auto& [lease, leading] : services_elections_) {
    if (auto* g = series(families_->service_election_leading, {{"lease", lease}})) {
      g->set(leading ? 1 : 0);
    }
  }
  mirrored(families_->reconcile_errors, {}).update(report.reconcile_errors);
}

void ControlPlaneMetrics::refresh(const election::ElectorStatus& elector, bool leading,
                                  Duration leadership_left, const vip::HeldVip* vip) {
  const Labels election{{"lease_name", elector.election_name}};
  if (auto* g = series(families_->is_leader, {{"node", node_}, election[0]})) {
    g->set(leading ? 1 : 0);
  }
  if (auto* g = series(families_->leadership_left, election)) {
    g->set(leading && leadership_left > Duration::zero() ? secondsOf(leadership_left) : 0);
  }
  if (auto* g = series(families_->backend_reachable, election)) {
    g->set(elector.backend_reachable ? 1 : 0);
  }
  if (elector.term && elector.backend == "etcd") {
    if (auto* g = series(families_->etcd_fencing_token, election)) {
      g->set(static_cast<double>(*elector.term));
    }
  } else if (elector.term) {
    if (auto* g = series(families_->raft_term, {})) g->set(static_cast<double>(*elector.term));
    if (elector.role != last_role_) {
      if (auto* old = series(families_->raft_role, {{"role", last_role_}});
          old && !last_role_.empty()) {
        old->set(0);
      }
      last_role_ = elector.role;
    }
    if (auto* g = series(families_->raft_role, {{"role", elector.role}})) g->set(1);
  }
  if (vip == nullptr) return;
  const std::string address = vip->vip().toString();
  const Labels v{{"vip", address}};
  const vip::VipState state = vip->state();
  if (auto* g =
          series(families_->vip_held, {{"vip", address}, {"interface", vip->interfaceName()}})) {
    g->set(state == vip::VipState::kHolding ? 1 : 0);
  }
  for (vip::VipState s : {vip::VipState::kIdle, vip::VipState::kProbing, vip::VipState::kHolding}) {
    if (auto* g =
            series(families_->vip_state, {{"vip", address}, {"state", vip::vipStateName(s)}})) {
      g->set(s == state ? 1 : 0);
    }
  }
  const vip::VipCounters& c = vip->counters();
  mirrored(families_->vip_acquisitions, v).update(c.acquisitions);
  mirrored(families_->vip_releases, {{"vip", address}, {"reason", "released"}})
      .update(c.releases - c.lease_expired_releases);
  mirrored(families_->vip_releases, {{"vip", address}, {"reason", "lease_expired"}})
      .update(c.lease_expired_releases);
  mirrored(families_->probes_sent, v).update(c.probes_sent);
  mirrored(families_->probes_answered, v).update(c.probes_answered);
  mirrored(families_->announcements, v).update(c.announcements);
  mirrored(families_->announce_failures, v).update(c.announce_failures);
  mirrored(families_->renewals, v).update(c.renewals);
  mirrored(families_->renew_failures, v).update(c.renew_failures);
}

void ControlPlaneMetrics::refreshBgp(const std::vector<bgp::PeerStatus>& peers) {
  for (const bgp::PeerStatus& p : peers) {
    const std::string peer = Endpoint{p.address, p.port}.toString();
    for (std::size_t i = 0; i < bgp::kFsmStateCount; ++i) {
      const auto state = static_cast<bgp::FsmState>(i);
      if (auto* g = series(families_->bgp_session_info,
                           {{"peer", peer}, {"state", sessionStateLabel(state)}})) {
        g->set(state == p.state ? 1 : 0);
      }
    }
    mirrored(families_->bgp_updates_sent, {{"peer", peer}}).update(p.updates_sent);
    if (auto* g = series(families_->bgp_routes_announced, {{"peer", peer}})) {
      g->set(static_cast<double>(p.routes_announced));
    }
  }
}

}  // namespace kubevip::daemon
