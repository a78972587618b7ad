// The Services mode at run time: elections, addresses held, status written, addresses handed out.
//
// Inputs: the ClusterView (kept current by the informers, which call changed() after every
// change) and the elections' callbacks. Every change schedules one reconcile on the loop (changes
// that arrive together are handled together), which plans (services_plan.h) and then:
//   1. Election units. Without svc_election there is one unit, the services Lease
//      (svc_leasename): its holder announces every eligible group. With svc_election each eligible
//      group is a unit with its own Lease (address_groups.h names it); a group that stops being
//      eligible (ETP Local endpoint gone, node excluded) or disappears has its unit removed, which
//      releases its addresses and then its Lease, so that another node takes over at once.
//   2. Addresses. A leading unit holds each address of its groups through an AddressHolder (a
//      VipController: probe, add with a lifetime, renew, announce; with BGP a RoutedVip), whose
//      leadership check is the unit's elector; units that stop leading release at once. Safety
//      rests on the same argument as the control-plane VIP (vip_controller.h): an address is added
//      only while its unit's leadership is fresh, and only after probing found no other holder.
//      Within this process an address belongs to at most one unit: a plan puts each address in one
//      group, removed units release before new ones are created, and the control-plane VIP is
//      refused as a Service address. Across a regrouping (a group's Lease name changes as Services
//      join or leave a shared address), two nodes may briefly lead the old and the new Lease; the
//      new holder's probes are answered by the old holder's kernel until it releases, so the
//      address is still never on two live nodes.
//   3. Status. For the Services of the groups it holds, the node writes
//      status.loadBalancer.ingress and kube-vip.io/vipHost when they differ (unless
//      disable_service_updates), one write per Service and kind in flight.
//   4. Addresses handed out. The holder of the services Lease (in both election modes) gives each
//      Service without an address one from the ConfigMap's pools (ipam.h), written as the
//      kube-vip.io/loadbalancerIPs annotation with the resourceVersion it read: a 409 means the
//      Service changed (or another manager wrote first) and it is planned again when its new
//      version arrives. One allocator at a time (the Lease holder), and allocations made but not
//      yet seen in the view count as in use, so two Services never get one address.
// Threading: the loop thread only.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "common/result.h"
#include "common/time_source.h"
#include "election/elector.h"
#include "services_mode/cluster_view.h"
#include "services_mode/services_plan.h"

namespace kubevip::services_mode {

// Orders addresses as groups do (IPv4 first, then by value), for maps and sets.
struct AddressOrder {
  bool operator()(const IpAddress& a, const IpAddress& b) const {
    return services::addressLess(a, b);
  }
};
using AddressSet = std::set<IpAddress, AddressOrder>;

// Holds one address on one interface while its unit leads (a VipController in the daemon).
class AddressHolder {
 public:
  virtual ~AddressHolder() = default;
  virtual void acquire() = 0;
  virtual void release() = 0;
  virtual bool holding() const = 0;
  // The Service's annotations as they are now (called at every reconcile of a held address; the
  // BGP holders take their route attributes from them).
  virtual void updateAnnotations(const std::map<std::string, std::string>& /*annotations*/) {}
};

struct HolderRequest {
  std::string interface;
  IpAddress address;
  // The group's first Service ("namespace/name") and its annotations (BGP attributes).
  std::string service;
  std::map<std::string, std::string> annotations;
  std::function<SteadyTime()> leadership_valid_until;
  std::function<void()> acquired;  // the address is on the interface and announced
};
using HolderFactory = std::function<Result<std::unique_ptr<AddressHolder>>(HolderRequest)>;

// A Lease election for "namespace/name".
using ElectorFactory = std::function<Result<std::unique_ptr<election::Elector>>(
    const std::string& lease_namespace, const std::string& lease_name)>;

// What the controller writes to Services.
class ServiceWriter {
 public:
  using Done = std::function<void(Status)>;
  virtual ~ServiceWriter() = default;
  // The kube-vip.io/loadbalancerIPs annotation, conditional on the Service's resourceVersion.
  virtual void writeAddresses(const k8s::Service& service, const std::vector<IpAddress>& addresses,
                              Done done) = 0;
  virtual void writeStatus(const k8s::Service& service,
                           const std::vector<k8s::LoadBalancerIngress>& ingress, Done done) = 0;
  virtual void writeVipHost(const k8s::Service& service, const std::string& node_name,
                            Done done) = 0;
};

// What the controller did, for metrics (the Go kube-vip's kube_vip_active_services,
// kube_vip_service_reconcile_*, kube_vip_service_election_*) and status.
struct ServicesReport {
  // Services this node announces (their group's unit leads here), by namespace.
  std::map<std::string, int> active_by_namespace;
  // Every election unit by its Lease ("namespace/name"): whether this node leads it.
  std::map<std::string, bool> elections;
  // Reconciles that hit a failure and scheduled a retry (an election, an address or a write).
  uint64_t reconcile_errors = 0;
};

struct ServicesControllerOptions {
  PlanOptions plan;
  bool per_service_election = false;
  bool write_updates = true;
  bool address_management = true;
  // ECMP (config::ServicesMode::every_node_announces): kube-vip.io/vipHost has no single value.
  bool write_vip_host = true;
  std::string services_lease_namespace;
  std::string services_lease_name = "plndr-svcs-lock";
  std::string address_pools_configmap = "kube-system/kubevip";  // for log lines
  Duration retry_after_failure = seconds(2);
  // Called after every reconcile with the time it took (for metrics). Optional.
  std::function<void(Duration)> reconciled;
};

class ServicesController {
 public:
  ServicesController(TimeSource& time, ServicesControllerOptions options, ElectorFactory electors,
                     HolderFactory holders, ServiceWriter* writer);
  ~ServicesController();
  ServicesController(const ServicesController&) = delete;
  ServicesController& operator=(const ServicesController&) = delete;

  // Starts the services Lease's election.
  Status start();
  // Releases every address at once, then stops every election (releasing its Lease); `done`
  // runs when all have stopped.
  void stop(std::function<void()> done);

  ClusterView& view() { return view_; }
  // The view changed: reconcile soon (coalesced).
  void changed();
  // Every watch has delivered its first list. Nothing is planned before: a partial view would
  // hand out addresses that Services not yet listed hold.
  void setViewComplete();

  // For tests and logs.
  size_t unitCount() const { return units_.size(); }
  // The addresses on an interface now, each with its interface.
  std::map<IpAddress, std::string, AddressOrder> heldAddresses() const;
  ServicesReport report() const;

 private:
  struct Unit;
  void reconcile();
  void reconcileUnits(const ServicesPlan& plan);
  void reconcileAddresses(Unit& unit, const std::vector<const GroupPlan*>& groups);
  void writeStatuses(const ServicesPlan& plan);
  void allocate(const ServicesPlan& plan);
  // Null when its election cannot be started (logged; retried later).
  Unit* addUnit(const std::string& key, const std::string& lease_namespace,
                const std::string& lease_name);
  void retireUnit(std::unique_ptr<Unit> unit);
  void releaseAll(Unit& unit);
  void note(const ServiceRef& ref, const std::string& message);
  void retryLater();
  bool failed_this_round_ = false;  // a retry was scheduled since the last reconcile ended
  uint64_t reconcile_errors_ = 0;
  std::map<std::string, int> active_by_namespace_;
  void maybeFinishStop();

  TimeSource& time_;
  ServicesControllerOptions options_;
  ElectorFactory electors_;
  HolderFactory holders_;
  ServiceWriter* writer_;
  ClusterView view_;

  std::unique_ptr<election::Elector> services_elector_;
  bool services_leading_ = false;
  // Without svc_election: the one unit, led by services_elector_. With it: one per group.
  std::map<std::string, std::unique_ptr<Unit>> units_;
  std::vector<std::unique_ptr<Unit>> retiring_;  // stopping their elections

  std::map<ServiceRef, std::vector<IpAddress>> allocations_;  // written, not yet in the view
  std::set<ServiceRef> status_in_flight_;
  std::set<ServiceRef> vip_host_in_flight_;
  // Written successfully but not yet seen in the view: not written again meanwhile.
  std::map<ServiceRef, std::vector<k8s::LoadBalancerIngress>> status_written_;
  std::map<ServiceRef, std::string> vip_host_written_;
  std::map<ServiceRef, std::string> noted_;

  std::unique_ptr<Timer> reconcile_timer_;
  std::unique_ptr<Timer> retry_timer_;
  bool reconcile_scheduled_ = false;
  bool view_complete_ = false;
  bool stopping_ = false;
  int stops_pending_ = 0;
  std::function<void()> stop_done_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace kubevip::services_mode
