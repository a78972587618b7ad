#include "services/service_policy.h"

#include <gtest/gtest.h>

#include <string>

#include "support/addresses.h"

namespace kubevip::services {
namespace {

using test::ip;

k8s::Service loadBalancer(const char* name = "web", const char* ns = "shop") {
  k8s::Service service;
  service.meta.name = name;
  service.meta.object_namespace = ns;
  service.type = k8s::ServiceType::kLoadBalancer;
  service.ports = {{"http", "TCP", 80}, {"quic", "UDP", 443}};
  return service;
}

// --- the class filter -------------------------------------------------------------------------

struct ClassCase {
  bool legacy;
  bool only;
  const char* class_name;                    // lb_class_name
  std::optional<std::string> service_class;  // spec.loadBalancerClass
  bool accepted;
};

TEST(LoadBalancerClassTest, TableOfTheGoKubeVipRules) {
  const std::string kv = "kube-vip.io/kube-vip-class";
  const ClassCase cases[] = {
      // Legacy handling (the default): no class is fine unless lb_class_only; a class must match.
      {true, false, kv.c_str(), std::nullopt, true},
      {true, false, kv.c_str(), kv, true},
      {true, false, kv.c_str(), "metallb.io/metallb", false},
      {true, true, kv.c_str(), std::nullopt, false},
      {true, true, kv.c_str(), kv, true},
      {true, true, kv.c_str(), "metallb.io/metallb", false},
      {true, false, "", std::nullopt, true},
      {true, false, "", kv, false},
      // Without legacy handling: the class must equal lb_class_name, and no class matches only an
      // empty lb_class_name; lb_class_only changes nothing.
      {false, false, kv.c_str(), std::nullopt, false},
      {false, false, kv.c_str(), kv, true},
      {false, false, kv.c_str(), "metallb.io/metallb", false},
      {false, true, kv.c_str(), std::nullopt, false},
      {false, true, kv.c_str(), kv, true},
      {false, false, "", std::nullopt, true},
      {false, false, "", kv, false},
      {false, true, "", std::nullopt, true},
  };
  for (const auto& c : cases) {
    ServiceFilterOptions options;
    options.lb_class_legacy_handling = c.legacy;
    options.lb_class_only = c.only;
    options.lb_class_name = c.class_name;
    EXPECT_EQ(loadBalancerClassAccepted(c.service_class, options), c.accepted)
        << "legacy=" << c.legacy << " only=" << c.only << " lb_class_name=\"" << c.class_name
        << "\" class=" << c.service_class.value_or("<none>");
  }
}

// --- which Services are handled -----------------------------------------------------------------

TEST(ShouldHandleServiceTest, OnlyLoadBalancersNotIgnoredInTheNamespaceAndClass) {
  ServiceFilterOptions options;
  EXPECT_EQ(shouldHandleService(loadBalancer(), options), HandleVerdict::kHandle);

  auto cluster_ip = loadBalancer();
  cluster_ip.type = k8s::ServiceType::kClusterIP;
  EXPECT_EQ(shouldHandleService(cluster_ip, options), HandleVerdict::kNotLoadBalancer);

  auto ignored = loadBalancer();
  ignored.meta.annotations["kube-vip.io/ignore"] = "true";
  EXPECT_EQ(shouldHandleService(ignored, options), HandleVerdict::kIgnoredByAnnotation);
  // Only the exact value "true" ignores.
  ignored.meta.annotations["kube-vip.io/ignore"] = "yes";
  EXPECT_EQ(shouldHandleService(ignored, options), HandleVerdict::kHandle);

  options.namespace_filter = "shop";
  EXPECT_EQ(shouldHandleService(loadBalancer("db", "shop"), options), HandleVerdict::kHandle);
  EXPECT_EQ(shouldHandleService(loadBalancer("db", "billing"), options),
            HandleVerdict::kOtherNamespace);

  auto other_class = loadBalancer();
  other_class.load_balancer_class = "metallb.io/metallb";
  EXPECT_EQ(shouldHandleService(other_class, options), HandleVerdict::kOtherClass);
  EXPECT_EQ(handleVerdictName(HandleVerdict::kOtherClass), "another load balancer class");
}

// --- the addresses a Service wants ------------------------------------------------------------

TEST(WantedAddressesTest, AnnotationComesFirstThenStatusThenSpec) {
  auto service = loadBalancer();
  service.load_balancer_ip = "192.168.10.3";
  service.ingress = {{ip("192.168.10.2"), "", "VIP", {}}};
  service.meta.annotations["kube-vip.io/loadbalancerIPs"] = "192.168.10.1";

  auto wanted = wantedAddresses(service);
  ASSERT_TRUE(wanted.ok()) << wanted.error().describe();
  EXPECT_EQ(wanted->source, AddressSource::kAnnotation);
  EXPECT_EQ(wanted->v4, ip("192.168.10.1"));

  service.meta.annotations.clear();
  wanted = wantedAddresses(service);
  ASSERT_TRUE(wanted.ok());
  EXPECT_EQ(wanted->source, AddressSource::kStatusIngress);
  EXPECT_EQ(wanted->v4, ip("192.168.10.2"));

  service.ingress.clear();
  wanted = wantedAddresses(service);
  ASSERT_TRUE(wanted.ok());
  EXPECT_EQ(wanted->source, AddressSource::kSpecLoadBalancerIp);
  EXPECT_EQ(wanted->v4, ip("192.168.10.3"));

  service.load_balancer_ip.clear();
  wanted = wantedAddresses(service);
  ASSERT_TRUE(wanted.ok());
  EXPECT_EQ(wanted->source, AddressSource::kNone);
  EXPECT_TRUE(wanted->empty());
}

TEST(WantedAddressesTest, DualStackAnnotationGivesOneAddressPerFamily) {
  auto service = loadBalancer();
  service.meta.annotations["kube-vip.io/loadbalancerIPs"] = " fd00:10::50 , 192.168.10.50 ";
  auto wanted = wantedAddresses(service);
  ASSERT_TRUE(wanted.ok()) << wanted.error().describe();
  EXPECT_EQ(wanted->v4, ip("192.168.10.50"));
  EXPECT_EQ(wanted->v6, ip("fd00:10::50"));
  EXPECT_EQ(wanted->all(), (std::vector<IpAddress>{ip("192.168.10.50"), ip("fd00:10::50")}));

  // A repeated address is the same address, not a second one.
  service.meta.annotations["kube-vip.io/loadbalancerIPs"] = "192.168.10.50,192.168.10.50";
  wanted = wantedAddresses(service);
  ASSERT_TRUE(wanted.ok());
  EXPECT_EQ(wanted->all(), std::vector<IpAddress>{ip("192.168.10.50")});
}

TEST(WantedAddressesTest, BadAnnotationsAreErrorsNamingServiceAndSource) {
  const std::pair<const char*, const char*> cases[] = {
      {"192.168.10.1,192.168.10.2", "more than one IPv4 address (192.168.10.1 and 192.168.10.2)"},
      {"fd00::1,fd00::2", "more than one IPv6 address"},
      {"web.example.org", "\"web.example.org\" is not an IP address"},
      {"192.168.10.300", "\"192.168.10.300\" is not an IP address"},
      {"192.168.10.0/24", "is not an IP address"},
      {"0.0.0.0", "0.0.0.0 is unspecified"},
  };
  for (const auto& [value, expected] : cases) {
    auto service = loadBalancer();
    service.meta.annotations["kube-vip.io/loadbalancerIPs"] = value;
    auto wanted = wantedAddresses(service);
    ASSERT_FALSE(wanted.ok()) << value;
    EXPECT_EQ(wanted.error().code, ErrorCode::kInvalidArgument);
    const std::string& message = wanted.error().message;
    EXPECT_NE(message.find("Service shop/web: annotation kube-vip.io/loadbalancerIPs"),
              std::string::npos)
        << message;
    EXPECT_NE(message.find(expected), std::string::npos) << message;
  }
}

TEST(WantedAddressesTest, AnEmptyAnnotationDoesNotFallBackToOlderSources) {
  auto service = loadBalancer();
  service.load_balancer_ip = "192.168.10.3";
  service.meta.annotations["kube-vip.io/loadbalancerIPs"] = "";
  auto wanted = wantedAddresses(service);
  ASSERT_TRUE(wanted.ok());
  EXPECT_TRUE(wanted->empty());
}

TEST(WantedAddressesTest, BadLegacyFieldAndConflictingStatusAreErrors) {
  auto service = loadBalancer();
  service.load_balancer_ip = "lb.example.org";
  auto wanted = wantedAddresses(service);
  ASSERT_FALSE(wanted.ok());
  EXPECT_NE(wanted.error().message.find("spec.loadBalancerIP: \"lb.example.org\""),
            std::string::npos)
      << wanted.error().message;

  service.load_balancer_ip.clear();
  service.ingress = {{ip("192.168.10.1"), "", {}, {}}, {ip("192.168.10.2"), "", {}, {}}};
  wanted = wantedAddresses(service);
  ASSERT_FALSE(wanted.ok());
  EXPECT_NE(wanted.error().message.find("status.loadBalancer.ingress[1].ip"), std::string::npos)
      << wanted.error().message;

  // A hostname entry written by another controller names no address.
  service.ingress = {{std::nullopt, "lb.example.org", {}, {}}};
  wanted = wantedAddresses(service);
  ASSERT_TRUE(wanted.ok());
  EXPECT_EQ(wanted->source, AddressSource::kNone);
}

// --- externalTrafficPolicy Local and node exclusion -----------------------------------------

k8s::EndpointSlice slice(const char* service, const char* ns,
                         std::vector<k8s::SliceEndpoint> endpoints) {
  k8s::EndpointSlice s;
  s.meta.name = std::string(service) + "-abcde";
  s.meta.object_namespace = ns;
  s.meta.labels[std::string(k8s::kServiceNameLabel)] = service;
  s.endpoints = std::move(endpoints);
  return s;
}

k8s::SliceEndpoint endpointOn(const char* node, k8s::EndpointConditions conditions) {
  return k8s::SliceEndpoint{{ip("10.244.0.1")}, conditions, node};
}

TEST(EndpointServesTrafficTest, AbsentConditionsReadAsTheApiDefinesThem) {
  using C = k8s::EndpointConditions;
  EXPECT_TRUE(endpointServesTraffic(C{}));                    // all absent: ready
  EXPECT_TRUE(endpointServesTraffic(C{true, true, false}));   // ready and serving
  EXPECT_TRUE(endpointServesTraffic(C{true, {}, {}}));        // serving follows ready
  EXPECT_FALSE(endpointServesTraffic(C{false, {}, {}}));      // not ready
  EXPECT_FALSE(endpointServesTraffic(C{false, true, true}));  // terminating, still serving
  EXPECT_FALSE(endpointServesTraffic(C{true, false, {}}));    // ready but not serving
  EXPECT_FALSE(endpointServesTraffic(C{{}, {}, true}));       // terminating
}

TEST(LocalEndpointsTest, NodesFromTheServicesSlicesOnly) {
  const std::vector<k8s::EndpointSlice> slices = {
      slice("web", "shop",
            {endpointOn("worker-1", {true, true, false}),
             endpointOn("worker-2", {false, true, true}), endpointOn("", {true, true, false})}),
      slice("web", "shop", {endpointOn("worker-3", {})}),
      slice("web", "billing", {endpointOn("worker-4", {})}),  // another namespace
      slice("db", "shop", {endpointOn("worker-5", {})}),      // another Service
  };
  EXPECT_EQ(nodesWithLocalEndpoints("shop", "web", slices),
            (std::set<std::string>{"worker-1", "worker-3"}));
  EXPECT_TRUE(nodesWithLocalEndpoints("shop", "cache", slices).empty());
}

TEST(LocalEndpointsTest, EndpointsObjectCountsReadyAddressesOnly) {
  k8s::Endpoints endpoints;
  endpoints.subsets = {{{{ip("10.244.1.17"), "worker-1"}, {ip("10.244.1.18"), ""}},
                        {{ip("10.244.3.4"), "worker-3"}}},
                       {{{ip("10.244.2.9"), "worker-2"}}, {}}};
  EXPECT_EQ(nodesWithLocalEndpointsFromEndpoints(endpoints),
            (std::set<std::string>{"worker-1", "worker-2"}));
}

TEST(NodeMayAnnounceTest, LocalPolicyNeedsAnEndpointAndExcludedNodesNeverAnnounce) {
  k8s::Node node;
  node.meta.name = "worker-1";
  auto service = loadBalancer();
  const std::set<std::string> with_endpoints = {"worker-1"};
  const std::set<std::string> without = {"worker-2"};

  EXPECT_TRUE(nodeMayAnnounce(service, node, without));  // Cluster: any node
  service.external_traffic_policy = k8s::ExternalTrafficPolicy::kLocal;
  EXPECT_TRUE(nodeMayAnnounce(service, node, with_endpoints));
  EXPECT_FALSE(nodeMayAnnounce(service, node, without));

  node.meta.labels["node.kubernetes.io/exclude-from-external-load-balancers"] = "";
  EXPECT_TRUE(nodeExcludedFromLoadBalancers(node));
  EXPECT_FALSE(nodeMayAnnounce(service, node, with_endpoints));
  service.external_traffic_policy = k8s::ExternalTrafficPolicy::kCluster;
  EXPECT_FALSE(nodeMayAnnounce(service, node, with_endpoints));
}

// --- status and annotations written --------------------------------------------------------

TEST(DesiredIngressTest, OneEntryPerAddressWithPortsCopied) {
  auto service = loadBalancer();
  const auto ingress = desiredIngress(service, {ip("192.168.10.50"), ip("fd00:10::50")},
                                      /*write_ip_mode=*/true);
  const std::vector<k8s::PortStatus> ports = {{80, "TCP", std::nullopt},
                                              {443, "UDP", std::nullopt}};
  ASSERT_EQ(ingress.size(), 2u);
  EXPECT_EQ(ingress[0], (k8s::LoadBalancerIngress{ip("192.168.10.50"), "", "VIP", ports}));
  EXPECT_EQ(ingress[1], (k8s::LoadBalancerIngress{ip("fd00:10::50"), "", "VIP", ports}));

  const auto without_mode = desiredIngress(service, {ip("192.168.10.50")}, false);
  EXPECT_FALSE(without_mode[0].ip_mode.has_value());
}

TEST(IngressDiffersTest, OnlyRealChangesCount) {
  auto service = loadBalancer();
  const auto v4 = desiredIngress(service, {ip("192.168.10.50")}, false)[0];
  const auto v6 = desiredIngress(service, {ip("fd00:10::50")}, false)[0];

  EXPECT_FALSE(ingressDiffers({v4, v6}, {v4, v6}));
  EXPECT_FALSE(ingressDiffers({v6, v4}, {v4, v6}));  // order only
  EXPECT_TRUE(ingressDiffers({}, {v4}));
  EXPECT_TRUE(ingressDiffers({v4}, {v4, v6}));
  EXPECT_TRUE(ingressDiffers({v4, v4}, {v4, v6}));

  // The API server defaults ipMode to VIP: not a difference when kube-vip did not write it.
  auto defaulted = v4;
  defaulted.ip_mode = "VIP";
  EXPECT_FALSE(ingressDiffers({defaulted}, {v4}));
  auto proxy = v4;
  proxy.ip_mode = "Proxy";
  EXPECT_TRUE(ingressDiffers({proxy}, {v4}));

  auto other_ports = v4;
  other_ports.ports.pop_back();
  EXPECT_TRUE(ingressDiffers({other_ports}, {v4}));
  auto moved = v4;
  moved.ip = ip("192.168.10.51");
  EXPECT_TRUE(ingressDiffers({moved}, {v4}));
}

TEST(VipHostAnnotationTest, WrittenOnlyWhenItNamesAnotherNode) {
  auto service = loadBalancer();
  EXPECT_EQ(vipHostAnnotationUpdate(service, "worker-1"), "worker-1");
  service.meta.annotations["kube-vip.io/vipHost"] = "worker-2";
  EXPECT_EQ(vipHostAnnotationUpdate(service, "worker-1"), "worker-1");
  service.meta.annotations["kube-vip.io/vipHost"] = "worker-1";
  EXPECT_EQ(vipHostAnnotationUpdate(service, "worker-1"), std::nullopt);
}

TEST(ServiceInterfaceTest, AnnotationOverridesTheDefault) {
  auto service = loadBalancer();
  EXPECT_EQ(serviceInterface(service, "eth0"), "eth0");
  service.meta.annotations["kube-vip.io/serviceInterface"] = "eth1";
  EXPECT_EQ(serviceInterface(service, "eth0"), "eth1");
  service.meta.annotations["kube-vip.io/serviceInterface"] = " ";
  EXPECT_EQ(serviceInterface(service, "eth0"), "eth0");
}

}  // namespace
}  // namespace kubevip::services
