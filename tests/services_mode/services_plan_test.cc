#include "services_mode/services_plan.h"

#include <gtest/gtest.h>

namespace kubevip::services_mode {
namespace {

k8s::Service lbService(const std::string& ns, const std::string& name,
                       const std::string& addresses) {
  k8s::Service s;
  s.meta.object_namespace = ns;
  s.meta.name = name;
  s.type = k8s::ServiceType::kLoadBalancer;
  if (!addresses.empty()) s.meta.annotations["kube-vip.io/loadbalancerIPs"] = addresses;
  return s;
}

PlanOptions options() {
  PlanOptions o;
  o.node_name = "node-a";
  o.default_interface = "eth0";
  return o;
}

TEST(ServicesPlanTest, ServicesWithoutAddressWaitAndBadOnesAreNamed) {
  ClusterView view;
  view.setService(lbService("default", "new", ""));
  view.setService(lbService("default", "bad", "192.0.2.1,192.0.2.2"));
  view.setService(lbService("default", "good", "192.0.2.3"));
  auto plan = planServices(view, options());
  ASSERT_EQ(plan.without_address.size(), 1u);
  EXPECT_EQ(plan.without_address[0].name, "new");
  ASSERT_EQ(plan.problems.size(), 1u);
  EXPECT_NE(plan.problems.begin()->second.find("more than one IPv4 address"), std::string::npos)
      << plan.problems.begin()->second;
  ASSERT_EQ(plan.groups.size(), 1u);
  EXPECT_EQ(plan.groups[0].group.lease_name, "kubevip-good");
  EXPECT_EQ(plan.groups[0].interface, "eth0");
  EXPECT_TRUE(plan.groups[0].eligible);
}

TEST(ServicesPlanTest, TheControlPlaneVipIsNotAServiceAddress) {
  ClusterView view;
  view.setService(lbService("default", "clash", "192.0.2.50"));
  auto o = options();
  o.reserved.push_back(*IpAddress::parse("192.0.2.50"));
  auto plan = planServices(view, o);
  EXPECT_TRUE(plan.groups.empty());
  ASSERT_EQ(plan.problems.size(), 1u);
  EXPECT_NE(plan.problems.begin()->second.find("control-plane VIP"), std::string::npos);
}

TEST(ServicesPlanTest, TheServiceInterfaceAnnotationChoosesTheInterface) {
  ClusterView view;
  auto s = lbService("default", "web", "192.0.2.3");
  s.meta.annotations["kube-vip.io/serviceInterface"] = "eth1";
  view.setService(s);
  auto plan = planServices(view, options());
  ASSERT_EQ(plan.groups.size(), 1u);
  EXPECT_EQ(plan.groups[0].interface, "eth1");
}

TEST(ServicesPlanTest, ASharedAddressIsIneligibleWhenOneMemberHasNoLocalEndpointHere) {
  ClusterView view;
  auto cluster = lbService("team", "tcp", "192.0.2.12");
  cluster.ports.push_back({"", "TCP", 53});
  auto local = lbService("team", "udp", "192.0.2.12");
  local.ports.push_back({"", "UDP", 53});
  local.external_traffic_policy = k8s::ExternalTrafficPolicy::kLocal;
  view.setService(cluster);
  view.setService(local);
  auto plan = planServices(view, options());
  ASSERT_EQ(plan.groups.size(), 1u);
  EXPECT_FALSE(plan.groups[0].eligible);
  EXPECT_NE(plan.groups[0].ineligible_reason.find("team/udp has externalTrafficPolicy Local"),
            std::string::npos)
      << plan.groups[0].ineligible_reason;
}

TEST(ServicesPlanTest, EndpointsAreReadInsteadOfSlicesWhenAsked) {
  ClusterView view;
  auto s = lbService("default", "local", "192.0.2.20");
  s.external_traffic_policy = k8s::ExternalTrafficPolicy::kLocal;
  view.setService(s);
  k8s::Endpoints endpoints;
  endpoints.meta.object_namespace = "default";
  endpoints.meta.name = "local";
  endpoints.subsets.push_back({{{*IpAddress::parse("10.244.0.9"), "node-a"}}, {}});
  view.setEndpoints(endpoints);
  auto o = options();
  EXPECT_FALSE(planServices(view, o).groups[0].eligible) << "no EndpointSlice says node-a";
  o.use_endpoints = true;
  EXPECT_TRUE(planServices(view, o).groups[0].eligible);
}

}  // namespace
}  // namespace kubevip::services_mode
