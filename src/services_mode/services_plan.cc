#include "services_mode/services_plan.h"

#include <fmt/format.h>

#include <algorithm>

namespace kubevip::services_mode {
namespace {

// Why this node may not announce `service` (empty: it may).
std::string whyNotHere(const ClusterView& view, const ServiceRef& ref, const k8s::Service& service,
                       const PlanOptions& options) {
  // Without a Node object (not created yet, or not readable) the node has no labels.
  k8s::Node unlabelled;
  unlabelled.meta.name = options.node_name;
  const k8s::Node& node = view.node() ? *view.node() : unlabelled;
  if (services::nodeExcludedFromLoadBalancers(node)) {
    return fmt::format("node {} is labelled {}", options.node_name,
                       services::kExcludeFromLoadBalancersLabel);
  }
  if (service.external_traffic_policy != k8s::ExternalTrafficPolicy::kLocal) return "";
  const auto local = view.nodesWithLocalEndpoints(ref, options.use_endpoints);
  if (services::nodeMayAnnounce(service, node, local)) return "";
  return fmt::format("{}/{} has externalTrafficPolicy Local and no ready endpoint on {}",
                     ref.service_namespace, ref.name, options.node_name);
}

}  // namespace

ServicesPlan planServices(const ClusterView& view, const PlanOptions& options) {
  ServicesPlan plan;
  std::vector<services::ServiceAddresses> handled;
  for (const auto& [ref, service] : view.services()) {
    if (services::shouldHandleService(service, options.filter) !=
        services::HandleVerdict::kHandle) {
      continue;
    }
    auto wanted = services::wantedAddresses(service);
    if (!wanted) {
      plan.problems[ref] = wanted.error().message;
      continue;
    }
    if (wanted->empty()) {
      plan.without_address.push_back(ref);
      continue;
    }
    std::vector<IpAddress> addresses = wanted->all();
    auto reserved = std::find_if(addresses.begin(), addresses.end(), [&](const IpAddress& a) {
      return std::find(options.reserved.begin(), options.reserved.end(), a) !=
             options.reserved.end();
    });
    if (reserved != addresses.end()) {
      plan.problems[ref] = fmt::format(
          "Service {}/{}: {} is the control-plane VIP of this kube-vip and cannot also be a "
          "Service address",
          ref.service_namespace, ref.name, reserved->toString());
      continue;
    }
    std::string lease_annotation;
    if (auto it = service.meta.annotations.find(std::string(services::kLeaseNameAnnotation));
        it != service.meta.annotations.end()) {
      lease_annotation = it->second;
    }
    plan.addresses[ref] = addresses;
    handled.push_back({ref, std::move(addresses), std::move(lease_annotation)});
  }
  for (auto& group : services::groupByAddress(handled, options.grouping)) {
    GroupPlan g;
    g.group = std::move(group);
    const k8s::Service& first = *view.service(g.group.services.front());
    g.interface = services::serviceInterface(first, options.default_interface);
    for (const auto& ref : g.group.services) {
      std::string why = whyNotHere(view, ref, *view.service(ref), options);
      if (!why.empty()) {
        g.eligible = false;
        g.ineligible_reason = std::move(why);
        break;
      }
    }
    plan.groups.push_back(std::move(g));
  }
  return plan;
}

}  // namespace kubevip::services_mode
