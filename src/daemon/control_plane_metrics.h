// The control plane's Prometheus metrics: the Go kube-vip's names where the meaning is the same
// (kube_vip_is_leader, kube_vip_leader_election_transitions_total, kube_vip_build_info), and ours
// under the same prefix for the election and each VIP; for the Services mode the Go kube-vip's
// kube_vip_active_services, kube_vip_service_reconcile_errors_total,
// kube_vip_service_reconcile_duration_seconds and kube_vip_service_election_leading; for BGP
// kube_vip_manager_bgp_session_info{peer,state} (1 for the session's current state, 0 for the
// other five, so that a query for state="established" == 0 finds a session that is down),
// kube_vip_bgp_updates_sent_total{peer} and kube_vip_bgp_routes_announced{peer}.
//
// Events (a leader change, a VIP taken after leadership, a request to the election's backend) are
// recorded when they happen. The counters the VIP controller and the elector keep on the loop
// thread are copied in by refresh(), which the daemon calls on that thread every tick: a scrape
// on the HTTP thread never reads loop-owned state, and sees it at most one tick old.
//
// Threading: every method on the loop thread; the registry is read by the scraping thread.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "bgp/speaker.h"
#include "common/result.h"
#include "common/time_source.h"
#include "election/elector.h"
#include "metrics/registry.h"
#include "services_mode/services_controller.h"
#include "vip/held_vip.h"

namespace kubevip::daemon {

class ControlPlaneMetrics {
 public:
  // `node`: this node's name in kube_vip_is_leader.
  static Result<std::unique_ptr<ControlPlaneMetrics>> create(metrics::Registry& registry,
                                                             std::string node,
                                                             const std::string& version);
  ~ControlPlaneMetrics();

  // The leader as this node now knows it ("" none); a change to another known leader, this node
  // included, counts one transition of `election`.
  void leaderSeen(const std::string& election, const std::string& leader);
  // The VIP went on the interface `since_leadership` after this node started leading.
  void vipTaken(const IpAddress& vip, Duration since_leadership);
  // One request to the election's backend (the Lease) ended.
  void backendRequest(const std::string& election, Duration latency, const Status& result);

  // The Services mode: one reconcile took `took`; the controller's report, copied in.
  void serviceReconciled(Duration took);
  void refreshServices(const services_mode::ServicesReport& report);

  // Copies the elector's and the VIP controller's state in (`vip` null: no control-plane VIP).
  void refresh(const election::ElectorStatus& elector, bool leading, Duration leadership_left,
               const vip::HeldVip* vip);
  // The BGP speaker's sessions, copied in.
  void refreshBgp(const std::vector<bgp::PeerStatus>& peers);

 private:
  struct Families;
  // A counter kept by the loop-owned code as a running total: adds what it grew by.
  struct Mirrored {
    metrics::Counter* counter = nullptr;
    uint64_t seen = 0;
    void update(uint64_t total);
  };
  ControlPlaneMetrics(std::unique_ptr<Families> families, std::string node);
  Mirrored& mirrored(metrics::CounterFamily* family, const metrics::Labels& labels);

  std::unique_ptr<Families> families_;
  std::string node_;
  std::map<std::string, std::string> last_leader_;  // per election
  std::map<std::pair<metrics::CounterFamily*, metrics::Labels>, Mirrored> mirrored_;
  std::string last_role_;
  std::map<std::string, int> services_namespaces_;  // every namespace ever reported
  std::map<std::string, bool> services_elections_;  // every Lease ever reported
};

}  // namespace kubevip::daemon
