#include "k8s/endpoint_slice.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "support/addresses.h"

namespace kubevip::k8s {
namespace {

using test::ip;

// `kubectl get endpointslice web-7xk2p -n shop -o json` during a rolling update: one endpoint
// ready, one terminating but still serving, one starting (not ready), one with no conditions.
constexpr const char* kSlice = R"({
    "addressType": "IPv4",
    "apiVersion": "discovery.k8s.io/v1",
    "endpoints": [
        {
            "addresses": ["10.244.1.17"],
            "conditions": {"ready": true, "serving": true, "terminating": false},
            "nodeName": "worker-1",
            "targetRef": {"kind": "Pod", "name": "web-6d5f7c9b8-2kq4x", "namespace": "shop",
                          "uid": "8c7e0f51-2b6d-4a0e-9d43-1f6a2c8e7b90"}
        },
        {
            "addresses": ["10.244.2.9"],
            "conditions": {"ready": false, "serving": true, "terminating": true},
            "nodeName": "worker-2",
            "targetRef": {"kind": "Pod", "name": "web-6d5f7c9b8-x7m2p", "namespace": "shop",
                          "uid": "c1f4a7b2-9e3d-4f68-8a15-7d2e0b6c9f41"}
        },
        {
            "addresses": ["10.244.3.4"],
            "conditions": {"ready": false, "serving": false, "terminating": false},
            "nodeName": "worker-3"
        },
        {
            "addresses": ["10.244.1.18"],
            "conditions": {},
            "nodeName": "worker-1"
        }
    ],
    "kind": "EndpointSlice",
    "metadata": {
        "annotations": {"endpoints.kubernetes.io/last-change-trigger-time": "2026-11-20T09:20:41Z"},
        "creationTimestamp": "2026-11-20T09:14:03Z",
        "generateName": "web-",
        "generation": 14,
        "labels": {
            "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io",
            "kubernetes.io/service-name": "web"
        },
        "name": "web-7xk2p",
        "namespace": "shop",
        "ownerReferences": [{"apiVersion": "v1", "blockOwnerDeletion": true, "controller": true,
                             "kind": "Service", "name": "web",
                             "uid": "5f0c8c52-3f4e-4a57-9d1e-0b7f3a3f1c2e"}],
        "resourceVersion": "185002",
        "uid": "2d6a1c3e-7f48-4b29-a0e5-93c8d1f2b6a7"
    },
    "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}]
})";

TEST(EndpointSliceJsonTest, DecodesEndpointsConditionsAndNodes) {
  auto slice = endpointSliceFromJson(kSlice);
  ASSERT_TRUE(slice.ok()) << slice.error().describe();
  EXPECT_EQ(slice->meta.name, "web-7xk2p");
  EXPECT_EQ(slice->meta.object_namespace, "shop");
  EXPECT_EQ(slice->serviceName(), "web");
  EXPECT_EQ(slice->address_type, EndpointAddressType::kIPv4);
  ASSERT_EQ(slice->endpoints.size(), 4u);
  EXPECT_EQ(slice->endpoints[0].addresses, std::vector<IpAddress>{ip("10.244.1.17")});
  EXPECT_EQ(slice->endpoints[0].node_name, "worker-1");
  EXPECT_EQ(slice->endpoints[0].conditions, (EndpointConditions{true, true, false}));
  EXPECT_EQ(slice->endpoints[1].conditions, (EndpointConditions{false, true, true}));
  EXPECT_EQ(slice->endpoints[2].node_name, "worker-3");
  EXPECT_EQ(slice->endpoints[3].conditions,
            (EndpointConditions{std::nullopt, std::nullopt, std::nullopt}));
}

TEST(EndpointSliceJsonTest, ASliceWithoutEndpointsOrServiceLabelDecodes) {
  auto slice = endpointSliceFromJson(
      R"({"kind":"EndpointSlice","addressType":"IPv6","endpoints":null,
          "metadata":{"name":"orphan","namespace":"shop"}})");
  ASSERT_TRUE(slice.ok()) << slice.error().describe();
  EXPECT_EQ(slice->address_type, EndpointAddressType::kIPv6);
  EXPECT_TRUE(slice->endpoints.empty());
  EXPECT_EQ(slice->serviceName(), "");
}

TEST(EndpointSliceJsonTest, FqdnSlicesKeepNodesButNotAddresses) {
  auto slice = endpointSliceFromJson(
      R"({"addressType":"FQDN","metadata":{"name":"ext","namespace":"shop"},
          "endpoints":[{"addresses":["db.example.org"],"nodeName":"worker-1"}]})");
  ASSERT_TRUE(slice.ok()) << slice.error().describe();
  EXPECT_TRUE(slice->endpoints[0].addresses.empty());
  EXPECT_EQ(slice->endpoints[0].node_name, "worker-1");
}

TEST(EndpointSliceJsonTest, BadFieldsAreErrorsNamingTheFieldPath) {
  const std::pair<const char*, nlohmann::json> edits[] = {
      {"/addressType", "IPv5"},
      {"/addressType", nullptr},
      {"/endpoints/2/addresses/0", "10.244.3.x"},
      {"/endpoints/2/addresses/0", "fd00::4"},
      {"/endpoints/1/addresses", nlohmann::json::array()},
      {"/endpoints/1/conditions/ready", "true"},
      {"/endpoints/0/nodeName", 1},
      {"/endpoints", "10.244.1.17"},
      {"/metadata/labels/kubernetes.io~1service-name", true},
  };
  const char* expected[] = {
      "EndpointSlice: addressType: unknown address type \"IPv5\"",
      "EndpointSlice: addressType: required field",
      "EndpointSlice: endpoints[2].addresses[0]: '10.244.3.x' is not an IPv4 or IPv6 address",
      "EndpointSlice: endpoints[2].addresses[0]: fd00::4 does not match the slice's addressType",
      "EndpointSlice: endpoints[1].addresses: required field is missing",
      "EndpointSlice: endpoints[1].conditions.ready: expected a boolean, got string",
      "EndpointSlice: endpoints[0].nodeName: expected a string, got number",
      "EndpointSlice: endpoints: expected an array, got string",
      "EndpointSlice: metadata.labels.kubernetes.io/service-name: expected a string, got boolean",
  };
  const auto golden = nlohmann::json::parse(kSlice);
  for (std::size_t i = 0; i < std::size(edits); ++i) {
    auto doc = golden;
    doc[nlohmann::json::json_pointer(edits[i].first)] = edits[i].second;
    auto slice = endpointSliceFromJson(doc.dump());
    ASSERT_FALSE(slice.ok()) << edits[i].first;
    EXPECT_NE(slice.error().message.find(expected[i]), std::string::npos)
        << edits[i].first << ": " << slice.error().message;
  }
}

}  // namespace
}  // namespace kubevip::k8s
