#include "k8s/service.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "support/addresses.h"

namespace kubevip::k8s {
namespace {

using test::ip;

// A dual-stack Service of type LoadBalancer as `kubectl get svc web -n shop -o json` prints it on
// a 1.30 cluster, after kube-vip wrote its status.
constexpr const char* kDualStackService = R"({
    "apiVersion": "v1",
    "kind": "Service",
    "metadata": {
        "annotations": {
            "kube-vip.io/loadbalancerIPs": "192.168.10.50,fd00:10::50",
            "kube-vip.io/vipHost": "worker-2",
            "kubectl.kubernetes.io/last-applied-configuration": "{\"apiVersion\":\"v1\",\"kind\":\"Service\"}\n"
        },
        "creationTimestamp": "2026-11-20T09:14:03Z",
        "labels": {
            "app.kubernetes.io/name": "web"
        },
        "name": "web",
        "namespace": "shop",
        "resourceVersion": "184467",
        "uid": "5f0c8c52-3f4e-4a57-9d1e-0b7f3a3f1c2e"
    },
    "spec": {
        "allocateLoadBalancerNodePorts": true,
        "clusterIP": "10.96.143.7",
        "clusterIPs": [
            "10.96.143.7",
            "fd00:96::8f07"
        ],
        "externalTrafficPolicy": "Local",
        "healthCheckNodePort": 31842,
        "internalTrafficPolicy": "Cluster",
        "ipFamilies": [
            "IPv4",
            "IPv6"
        ],
        "ipFamilyPolicy": "PreferDualStack",
        "loadBalancerClass": "kube-vip.io/kube-vip-class",
        "ports": [
            {
                "name": "http",
                "nodePort": 30480,
                "port": 80,
                "protocol": "TCP",
                "targetPort": 8080
            },
            {
                "name": "quic",
                "nodePort": 30443,
                "port": 443,
                "protocol": "UDP",
                "targetPort": 8443
            }
        ],
        "selector": {
            "app.kubernetes.io/name": "web"
        },
        "sessionAffinity": "None",
        "type": "LoadBalancer"
    },
    "status": {
        "loadBalancer": {
            "ingress": [
                {
                    "ip": "192.168.10.50",
                    "ipMode": "VIP",
                    "ports": [
                        {
                            "port": 80,
                            "protocol": "TCP"
                        },
                        {
                            "port": 443,
                            "protocol": "UDP"
                        }
                    ]
                },
                {
                    "ip": "fd00:10::50",
                    "ipMode": "VIP"
                }
            ]
        }
    }
})";

// A fresh single-stack Service with the legacy spec.loadBalancerIP and no status yet.
constexpr const char* kLegacyService = R"({
    "apiVersion": "v1",
    "kind": "Service",
    "metadata": {
        "creationTimestamp": "2026-11-21T16:40:11Z",
        "name": "dns",
        "namespace": "default",
        "resourceVersion": "190212",
        "uid": "0e4e9f3a-8b7c-4d55-a7c9-6a2f1f9b7d10"
    },
    "spec": {
        "clusterIP": "10.96.0.53",
        "clusterIPs": ["10.96.0.53"],
        "externalTrafficPolicy": "Cluster",
        "internalTrafficPolicy": "Cluster",
        "ipFamilies": ["IPv4"],
        "ipFamilyPolicy": "SingleStack",
        "loadBalancerIP": "192.168.10.53",
        "ports": [
            {"name": "dns", "nodePort": 31053, "port": 53, "protocol": "UDP", "targetPort": 53}
        ],
        "sessionAffinity": "None",
        "type": "LoadBalancer"
    },
    "status": {
        "loadBalancer": {}
    }
})";

TEST(ServiceJsonTest, DecodesADualStackLoadBalancerService) {
  auto service = serviceFromJson(kDualStackService);
  ASSERT_TRUE(service.ok()) << service.error().describe();
  EXPECT_EQ(service->meta.name, "web");
  EXPECT_EQ(service->meta.object_namespace, "shop");
  EXPECT_EQ(service->meta.uid, "5f0c8c52-3f4e-4a57-9d1e-0b7f3a3f1c2e");
  EXPECT_EQ(service->meta.resource_version, "184467");
  EXPECT_EQ(service->meta.annotations.at("kube-vip.io/loadbalancerIPs"),
            "192.168.10.50,fd00:10::50");
  EXPECT_EQ(service->meta.labels.at("app.kubernetes.io/name"), "web");
  EXPECT_EQ(service->type, ServiceType::kLoadBalancer);
  ASSERT_EQ(service->ports.size(), 2u);
  EXPECT_EQ(service->ports[0], (ServicePort{"http", "TCP", 80}));
  EXPECT_EQ(service->ports[1], (ServicePort{"quic", "UDP", 443}));
  EXPECT_EQ(service->load_balancer_ip, "");
  EXPECT_EQ(service->load_balancer_class, "kube-vip.io/kube-vip-class");
  EXPECT_EQ(service->external_traffic_policy, ExternalTrafficPolicy::kLocal);
  EXPECT_EQ(service->ip_families, (std::vector<IpFamily>{IpFamily::kV4, IpFamily::kV6}));
  EXPECT_EQ(service->ip_family_policy, IpFamilyPolicy::kPreferDualStack);
  ASSERT_EQ(service->ingress.size(), 2u);
  EXPECT_EQ(service->ingress[0].ip, ip("192.168.10.50"));
  EXPECT_EQ(service->ingress[0].ip_mode, "VIP");
  EXPECT_EQ(service->ingress[0].ports,
            (std::vector<PortStatus>{{80, "TCP", std::nullopt}, {443, "UDP", std::nullopt}}));
  EXPECT_EQ(service->ingress[1].ip, ip("fd00:10::50"));
  EXPECT_TRUE(service->ingress[1].ports.empty());
}

TEST(ServiceJsonTest, DecodesALegacyServiceWithoutStatusOrClass) {
  auto service = serviceFromJson(kLegacyService);
  ASSERT_TRUE(service.ok()) << service.error().describe();
  EXPECT_EQ(service->load_balancer_ip, "192.168.10.53");
  EXPECT_FALSE(service->load_balancer_class.has_value());
  EXPECT_EQ(service->external_traffic_policy, ExternalTrafficPolicy::kCluster);
  EXPECT_EQ(service->ip_family_policy, IpFamilyPolicy::kSingleStack);
  EXPECT_TRUE(service->ingress.empty());
  EXPECT_TRUE(service->meta.annotations.empty());
}

TEST(ServiceJsonTest, DefaultsWhatTheServerMayOmit) {
  auto service = serviceFromJson(
      R"({"metadata":{"name":"a","namespace":"n"},"spec":{"ports":[{"port":8080}]}})");
  ASSERT_TRUE(service.ok()) << service.error().describe();
  EXPECT_EQ(service->type, ServiceType::kClusterIP);
  EXPECT_EQ(service->ports[0], (ServicePort{"", "TCP", 8080}));
  EXPECT_FALSE(service->ip_family_policy.has_value());
}

// Each bad input: the JSON after replacing one field, and the path the error must name.
struct BadServiceCase {
  const char* json_pointer;
  nlohmann::json value;
  const char* expected_in_error;
};

TEST(ServiceJsonTest, BadFieldsAreErrorsNamingTheFieldPath) {
  const BadServiceCase cases[] = {
      {"/metadata/name", nullptr, "Service: metadata.name: required field"},
      {"/metadata/annotations/kube-vip.io~1vipHost", 5,
       "metadata.annotations.kube-vip.io/vipHost: expected a string, got number"},
      {"/metadata/labels", "app=web", "metadata.labels: expected an object, got string"},
      {"/spec/type", "Balanced", "spec.type: unknown value \"Balanced\""},
      {"/spec/ports/1/port", "443", "spec.ports[1].port: expected an integer, got string"},
      {"/spec/ports/0/port", 70000, "spec.ports[0].port: 70000 is out of range"},
      {"/spec/ports/0/port", nullptr, "spec.ports[0].port: required field is missing"},
      {"/spec/ports/0", "80/TCP", "spec.ports[0]: expected an object"},
      {"/spec/loadBalancerClass", false, "spec.loadBalancerClass: expected a string"},
      {"/spec/externalTrafficPolicy", "Nearest", "spec.externalTrafficPolicy: unknown value"},
      {"/spec/ipFamilies/1", "IPv5", "spec.ipFamilies[1]: unknown IP family \"IPv5\""},
      {"/spec/ipFamilyPolicy", 2, "spec.ipFamilyPolicy: expected a string, got number"},
      {"/status/loadBalancer/ingress/1/ip", "fd00:10::zz",
       "status.loadBalancer.ingress[1].ip: 'fd00:10::zz' is not an IPv4 or IPv6 address"},
      {"/status/loadBalancer/ingress/0/ports/1/protocol", nullptr,
       "status.loadBalancer.ingress[0].ports[1].protocol: required field"},
      {"/status/loadBalancer/ingress", "192.168.10.50",
       "status.loadBalancer.ingress: expected an array, got string"},
      {"/spec", nullptr, "Service: spec: required field is missing"},
  };
  const auto golden = nlohmann::json::parse(kDualStackService);
  for (const auto& c : cases) {
    auto doc = golden;
    doc[nlohmann::json::json_pointer(c.json_pointer)] = c.value;
    auto service = serviceFromJson(doc.dump());
    ASSERT_FALSE(service.ok()) << c.json_pointer;
    EXPECT_EQ(service.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(service.error().message.find(c.expected_in_error), std::string::npos)
        << c.json_pointer << ": " << service.error().message;
  }
}

TEST(ServiceJsonTest, NotAServiceIsAnError) {
  for (const char* bad :
       {"", "{", "[]", "42", R"({"kind":"Pod","metadata":{"name":"x"}})",
        R"({"kind":"Service","metadata":"web","spec":{}})", R"({"kind":"Service","spec":{}})"}) {
    auto service = serviceFromJson(bad);
    EXPECT_FALSE(service.ok()) << bad;
  }
}

TEST(ServiceJsonTest, StatusPatchIsAMergePatchOfTheIngress) {
  LoadBalancerIngress v4{ip("192.168.10.50"), "", "VIP", {{80, "TCP", std::nullopt}}};
  LoadBalancerIngress v6{ip("fd00:10::50"), "", std::nullopt, {}};
  const auto patch = nlohmann::json::parse(serviceStatusPatchJson({v4, v6}));
  const auto expected = nlohmann::json::parse(R"({"status":{"loadBalancer":{"ingress":[
      {"ip":"192.168.10.50","ipMode":"VIP","ports":[{"port":80,"protocol":"TCP"}]},
      {"ip":"fd00:10::50"}]}}})");
  EXPECT_EQ(patch, expected);
  EXPECT_EQ(nlohmann::json::parse(serviceStatusPatchJson({})),
            nlohmann::json::parse(R"({"status":{"loadBalancer":{"ingress":[]}}})"));
}

TEST(ServiceJsonTest, StatusPatchDecodesBackToTheSameIngress) {
  auto service = serviceFromJson(kDualStackService);
  ASSERT_TRUE(service.ok());
  auto patch = nlohmann::json::parse(serviceStatusPatchJson(service->ingress));
  auto doc = nlohmann::json::parse(kDualStackService);
  doc["status"] = patch["status"];
  auto back = serviceFromJson(doc.dump());
  ASSERT_TRUE(back.ok()) << back.error().describe();
  EXPECT_EQ(back->ingress, service->ingress);
}

TEST(ServiceJsonTest, AnnotationPatchSetsOrRemovesOneAnnotation) {
  EXPECT_EQ(
      nlohmann::json::parse(annotationPatchJson("kube-vip.io/vipHost", "worker-1")),
      nlohmann::json::parse(R"({"metadata":{"annotations":{"kube-vip.io/vipHost":"worker-1"}}})"));
  EXPECT_EQ(nlohmann::json::parse(annotationPatchJson("kube-vip.io/vipHost", std::nullopt)),
            nlohmann::json::parse(R"({"metadata":{"annotations":{"kube-vip.io/vipHost":null}}})"));
}

TEST(ServiceJsonTest, AnAnnotationPatchCanBeConditionalOnTheResourceVersion) {
  EXPECT_EQ(nlohmann::json::parse(
                annotationPatchJson("kube-vip.io/loadbalancerIPs", "192.0.2.5", "4711")),
            nlohmann::json::parse(R"({"metadata":{"resourceVersion":"4711","annotations":)"
                                  R"({"kube-vip.io/loadbalancerIPs":"192.0.2.5"}}})"));
}

}  // namespace
}  // namespace kubevip::k8s
