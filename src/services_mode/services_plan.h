// Which Service addresses exist, how they are grouped for election, and which of them this node
// may announce: a pure function of the ClusterView and the settings.
//
// For every Service in the view:
//   1. shouldHandleService() (type LoadBalancer, kube-vip.io/ignore, svc_namespace, class filter);
//   2. wantedAddresses() (annotation, then status, then spec.loadBalancerIP); a Service with none
//      is listed in `without_address` (the address management may give it one); a Service whose
//      addresses cannot be read is listed in `problems` and otherwise left out;
//   3. addresses reserved by this process (the control-plane VIP) are refused for Services, since
//      one address must have one owner here;
//   4. groupByAddress() (address_groups.h): Services that share an address form one group, the
//      unit of election and announcement.
// Then per group: this node is eligible unless it is labelled
// node.kubernetes.io/exclude-from-external-load-balancers, or a Service of the group has
// externalTrafficPolicy Local and no ready endpoint here (nodeMayAnnounce(), for every member:
// a node that would drop one member's traffic must not announce the shared address). The interface
// is the first member's kube-vip.io/serviceInterface annotation or the default.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "common/ip_address.h"
#include "services/address_groups.h"
#include "services/service_policy.h"
#include "services_mode/cluster_view.h"

namespace kubevip::services_mode {

struct PlanOptions {
  std::string node_name;
  services::ServiceFilterOptions filter;
  std::string default_interface;
  services::GroupingOptions grouping;
  bool use_endpoints = false;
  std::vector<IpAddress> reserved;  // addresses this process holds for other purposes
};

struct GroupPlan {
  services::AddressGroup group;
  std::string interface;
  bool eligible = true;
  std::string ineligible_reason;  // for the log, when not eligible

  // The lease's "namespace/name": the unit's identity.
  std::string leaseKey() const { return group.lease_namespace + "/" + group.lease_name; }
};

struct ServicesPlan {
  std::vector<GroupPlan> groups;
  std::vector<ServiceRef> without_address;  // handled, no address yet
  std::map<ServiceRef, std::string> problems;
  // The addresses each handled Service wants (for status writes).
  std::map<ServiceRef, std::vector<IpAddress>> addresses;
};

ServicesPlan planServices(const ClusterView& view, const PlanOptions& options);

}  // namespace kubevip::services_mode
