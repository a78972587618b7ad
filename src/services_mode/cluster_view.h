// What the Services mode knows of the cluster: the objects its watches delivered, decoded.
//
// Data flow: informers (k8s/informer.h) -> informer_bindings.cc decodes each object and calls the
// set/remove/replace functions here -> the controller plans from this view (services_plan.h).
// Objects that fail to decode never get here (the bindings log them), so every value in the view
// is well-formed. Indexes kept for the plan: EndpointSlices by the Service they belong to.
// Loop thread only.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "k8s/config_map.h"
#include "k8s/endpoint_slice.h"
#include "k8s/endpoints.h"
#include "k8s/node.h"
#include "k8s/service.h"
#include "services/address_groups.h"
#include "services/ipam.h"

namespace kubevip::services_mode {

using services::ServiceRef;

ServiceRef refOf(const k8s::ObjectMeta& meta);

class ClusterView {
 public:
  void setService(k8s::Service service);
  void removeService(const ServiceRef& ref);
  void replaceServices(std::vector<k8s::Service> services);

  // Slices are keyed by their own namespace/name; each names its Service in a label.
  void setEndpointSlice(k8s::EndpointSlice slice);
  void removeEndpointSlice(const std::string& slice_namespace, const std::string& slice_name);
  void replaceEndpointSlices(std::vector<k8s::EndpointSlice> slices);

  void setEndpoints(k8s::Endpoints endpoints);
  void removeEndpoints(const ServiceRef& ref);
  void replaceEndpoints(std::vector<k8s::Endpoints> all);

  // This node's Node object; absent when it does not exist (or is not readable).
  void setNode(std::optional<k8s::Node> node) { node_ = std::move(node); }
  // The address pools' ConfigMap; absent when it does not exist.
  void setAddressPools(std::optional<k8s::ConfigMap> config_map);

  const std::map<ServiceRef, k8s::Service>& services() const { return services_; }
  const k8s::Service* service(const ServiceRef& ref) const;
  const std::optional<k8s::Node>& node() const { return node_; }
  // nullopt: no ConfigMap; an Error: the ConfigMap does not parse (the message names the key).
  const std::optional<Result<services::IpamConfig>>& addressPools() const { return pools_; }

  // The nodes with a ready, serving endpoint of the Service (service_policy.h), from its
  // EndpointSlices, or from its Endpoints when `use_endpoints`.
  std::set<std::string> nodesWithLocalEndpoints(const ServiceRef& ref, bool use_endpoints) const;

 private:
  using SliceKey = std::pair<std::string, std::string>;  // namespace, name
  void indexSlice(const SliceKey& key, const k8s::EndpointSlice& slice);
  void unindexSlice(const SliceKey& key);

  std::map<ServiceRef, k8s::Service> services_;
  std::map<SliceKey, k8s::EndpointSlice> slices_;
  std::map<ServiceRef, std::set<SliceKey>> slices_by_service_;
  std::map<ServiceRef, k8s::Endpoints> endpoints_;
  std::optional<k8s::Node> node_;
  std::optional<Result<services::IpamConfig>> pools_;
};

}  // namespace kubevip::services_mode
