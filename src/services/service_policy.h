// What kube-vip does with a Service of type LoadBalancer, as pure functions.
//
// The Services mode watches Services, EndpointSlices (or Endpoints) and Nodes, decodes them with
// src/k8s, and asks this file every question whose answer is policy:
//   - shouldHandleService(): is this Service kube-vip's at all (type, ignore annotation, namespace,
//     load balancer class)?
//   - wantedAddresses(): which addresses does it want, one per family, and from which source?
//   - nodesWithLocalEndpoints*() and nodeMayAnnounce(): with externalTrafficPolicy Local, which
//     nodes may announce it; nodes excluded by label never may.
//   - desiredIngress() / ingressDiffers(): what status.loadBalancer.ingress should say, and whether
//     writing it changes anything (so that only real changes are written).
//   - vipHostAnnotationValue(): the kube-vip.io/vipHost annotation the announcing node writes.
// The caller (the Services controller) does the I/O; everything here is deterministic and
// unit-tested. Behaviour follows the Go kube-vip v1.2, with each rule written beside its function.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/ip_address.h"
#include "common/result.h"
#include "k8s/endpoint_slice.h"
#include "k8s/endpoints.h"
#include "k8s/node.h"
#include "k8s/service.h"

namespace kubevip::services {

// Annotations kube-vip reads and writes on Services.
inline constexpr std::string_view kLoadBalancerIpsAnnotation = "kube-vip.io/loadbalancerIPs";
inline constexpr std::string_view kIgnoreAnnotation = "kube-vip.io/ignore";
inline constexpr std::string_view kServiceInterfaceAnnotation = "kube-vip.io/serviceInterface";
inline constexpr std::string_view kLeaseNameAnnotation = "kube-vip.io/leaseName";
inline constexpr std::string_view kVipHostAnnotation = "kube-vip.io/vipHost";
// Nodes with this label (any value) never announce a Service address, as for every load balancer
// that follows the Kubernetes convention.
inline constexpr std::string_view kExcludeFromLoadBalancersLabel =
    "node.kubernetes.io/exclude-from-external-load-balancers";
inline constexpr std::string_view kDefaultLoadBalancerClassName = "kube-vip.io/kube-vip-class";

// The settings that decide which Services are kube-vip's (the svc_namespace, lb_class_* variables).
struct ServiceFilterOptions {
  std::string namespace_filter;  // svc_namespace; empty: every namespace
  bool lb_class_only = false;
  std::string lb_class_name = std::string(kDefaultLoadBalancerClassName);
  bool lb_class_legacy_handling = true;  // the Go kube-vip's default
};

// Whether a Service with this spec.loadBalancerClass (nullopt: none set) is kube-vip's.
//
// Legacy handling (lb_class_legacy_handling=true, the Go kube-vip's default and its
// lbClassFilterLegacy):
//   - a Service with a class is handled only when the class equals lb_class_name;
//   - a Service without a class is handled unless lb_class_only is set.
// Without legacy handling (the Go kube-vip's lbClassFilter; lb_class_only plays no part):
//   - a Service without a class is handled only when lb_class_name is empty;
//   - a Service with a class is handled only when the class equals lb_class_name.
bool loadBalancerClassAccepted(const std::optional<std::string>& service_class,
                               const ServiceFilterOptions& options);

enum class HandleVerdict {
  kHandle,
  kNotLoadBalancer,      // spec.type is not LoadBalancer
  kIgnoredByAnnotation,  // kube-vip.io/ignore: "true"
  kOtherNamespace,       // outside svc_namespace
  kOtherClass,           // refused by the class filter
};
std::string_view handleVerdictName(HandleVerdict verdict);

// Checked in this order, so that the verdict names the first reason to skip.
HandleVerdict shouldHandleService(const k8s::Service& service, const ServiceFilterOptions& options);

enum class AddressSource { kNone, kAnnotation, kStatusIngress, kSpecLoadBalancerIp };
std::string_view addressSourceName(AddressSource source);

// The addresses a Service wants, at most one per family.
struct WantedAddresses {
  AddressSource source = AddressSource::kNone;
  std::optional<IpAddress> v4;
  std::optional<IpAddress> v6;

  // IPv4 first, then IPv6: the order used for status and grouping.
  std::vector<IpAddress> all() const;
  bool empty() const { return !v4 && !v6; }
  bool operator==(const WantedAddresses&) const = default;
};

// The first source that says anything wins, as in the Go kube-vip's FetchServiceAddresses:
//   1. the kube-vip.io/loadbalancerIPs annotation, when present (a comma list, spaces allowed);
//   2. otherwise status.loadBalancer.ingress[].ip, what was written before;
//   3. otherwise the legacy spec.loadBalancerIP.
// No address at all is not an error (source kNone: the Service waits for one). Errors, naming the
// Service and the source: an entry that is not an IP address (a DNS name included), more than one
// address of a family, and an unspecified address (0.0.0.0, ::), which can never be announced.
Result<WantedAddresses> wantedAddresses(const k8s::Service& service);

// Whether an endpoint counts as "here and taking traffic" for externalTrafficPolicy Local,
// reading absent conditions as the API defines them: ready absent means ready; serving absent
// means the value of ready; terminating absent means not terminating. An endpoint must be ready,
// serving and not terminating.
bool endpointServesTraffic(const k8s::EndpointConditions& conditions);

// The nodes with at least one endpoint of the Service `namespace/service_name` that serves
// traffic, from its EndpointSlices (slices of other Services or namespaces are skipped, so the
// caller may pass everything it watches).
std::set<std::string> nodesWithLocalEndpoints(std::string_view service_namespace,
                                              std::string_view service_name,
                                              const std::vector<k8s::EndpointSlice>& slices);
// The same from the Service's Endpoints object (enable_endpoints): ready addresses only.
std::set<std::string> nodesWithLocalEndpointsFromEndpoints(const k8s::Endpoints& endpoints);

bool nodeExcludedFromLoadBalancers(const k8s::Node& node);

// Whether `node` may announce the Service: never when excluded by label; with
// externalTrafficPolicy Local, only when it is in `nodes_with_local_endpoints` (a node without an
// endpoint would drop the traffic, since kube-proxy does not forward it elsewhere); with Cluster,
// always.
bool nodeMayAnnounce(const k8s::Service& service, const k8s::Node& node,
                     const std::set<std::string>& nodes_with_local_endpoints);

// status.loadBalancer.ingress for these addresses: one entry per address, in the given order,
// with spec.ports copied (port and protocol) and ipMode "VIP" when `write_ip_mode` (clusters
// whose API has the field, 1.29 and later).
std::vector<k8s::LoadBalancerIngress> desiredIngress(const k8s::Service& service,
                                                     const std::vector<IpAddress>& addresses,
                                                     bool write_ip_mode);

// Whether `current` differs from `desired` in anything kube-vip writes. Order does not matter
// (the API server keeps what is written; comparing as sets avoids rewrites that only reorder).
// An entry written without ipMode matches one that has ipMode "VIP": the API server fills that
// default in (LoadBalancerIPMode), and counting it as a difference would rewrite the status on
// every event.
bool ingressDiffers(const std::vector<k8s::LoadBalancerIngress>& current,
                    const std::vector<k8s::LoadBalancerIngress>& desired);

// The kube-vip.io/vipHost value: the announcing node's name. nullopt when the Service already
// carries it, so that no write is made.
std::optional<std::string> vipHostAnnotationUpdate(const k8s::Service& service,
                                                   std::string_view node_name);

// The interface to announce the Service on: the kube-vip.io/serviceInterface annotation when set,
// otherwise `default_interface` (vip_servicesinterface, or vip_interface when that is empty).
std::string serviceInterface(const k8s::Service& service, std::string_view default_interface);

}  // namespace kubevip::services
