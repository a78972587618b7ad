#include "services_mode/cluster_view.h"

#include "services/service_policy.h"

namespace kubevip::services_mode {

ServiceRef refOf(const k8s::ObjectMeta& meta) { return {meta.object_namespace, meta.name}; }

void ClusterView::setService(k8s::Service service) {
  ServiceRef ref = refOf(service.meta);
  services_[ref] = std::move(service);
}

void ClusterView::removeService(const ServiceRef& ref) { services_.erase(ref); }

void ClusterView::replaceServices(std::vector<k8s::Service> services) {
  services_.clear();
  for (auto& service : services) setService(std::move(service));
}

const k8s::Service* ClusterView::service(const ServiceRef& ref) const {
  auto it = services_.find(ref);
  return it == services_.end() ? nullptr : &it->second;
}

void ClusterView::indexSlice(const SliceKey& key, const k8s::EndpointSlice& slice) {
  const std::string service_name = slice.serviceName();
  if (!service_name.empty()) slices_by_service_[{key.first, service_name}].insert(key);
}

void ClusterView::unindexSlice(const SliceKey& key) {
  auto it = slices_.find(key);
  if (it == slices_.end()) return;
  const std::string service_name = it->second.serviceName();
  auto index = slices_by_service_.find({key.first, service_name});
  if (index == slices_by_service_.end()) return;
  index->second.erase(key);
  if (index->second.empty()) slices_by_service_.erase(index);
}

void ClusterView::setEndpointSlice(k8s::EndpointSlice slice) {
  SliceKey key{slice.meta.object_namespace, slice.meta.name};
  unindexSlice(key);  // its Service label may have changed
  indexSlice(key, slice);
  slices_[key] = std::move(slice);
}

void ClusterView::removeEndpointSlice(const std::string& slice_namespace,
                                      const std::string& slice_name) {
  SliceKey key{slice_namespace, slice_name};
  unindexSlice(key);
  slices_.erase(key);
}

void ClusterView::replaceEndpointSlices(std::vector<k8s::EndpointSlice> slices) {
  slices_.clear();
  slices_by_service_.clear();
  for (auto& slice : slices) setEndpointSlice(std::move(slice));
}

void ClusterView::setEndpoints(k8s::Endpoints endpoints) {
  ServiceRef ref = refOf(endpoints.meta);
  endpoints_[ref] = std::move(endpoints);
}

void ClusterView::removeEndpoints(const ServiceRef& ref) { endpoints_.erase(ref); }

void ClusterView::replaceEndpoints(std::vector<k8s::Endpoints> all) {
  endpoints_.clear();
  for (auto& endpoints : all) setEndpoints(std::move(endpoints));
}

void ClusterView::setAddressPools(std::optional<k8s::ConfigMap> config_map) {
  if (!config_map) {
    pools_.reset();
    return;
  }
  pools_ = services::parseIpamConfig(config_map->data);
}

std::set<std::string> ClusterView::nodesWithLocalEndpoints(const ServiceRef& ref,
                                                           bool use_endpoints) const {
  if (use_endpoints) {
    auto it = endpoints_.find(ref);
    if (it == endpoints_.end()) return {};
    return services::nodesWithLocalEndpointsFromEndpoints(it->second);
  }
  auto index = slices_by_service_.find(ref);
  if (index == slices_by_service_.end()) return {};
  std::vector<k8s::EndpointSlice> slices;
  slices.reserve(index->second.size());
  for (const auto& key : index->second) slices.push_back(slices_.at(key));
  return services::nodesWithLocalEndpoints(ref.service_namespace, ref.name, slices);
}

}  // namespace kubevip::services_mode
