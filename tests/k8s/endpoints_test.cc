#include "k8s/endpoints.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "support/addresses.h"

namespace kubevip::k8s {
namespace {

using test::ip;

// `kubectl get endpoints web -n shop -o json` for the same Service.
constexpr const char* kEndpoints = R"({
    "apiVersion": "v1",
    "kind": "Endpoints",
    "metadata": {
        "annotations": {"endpoints.kubernetes.io/last-change-trigger-time": "2026-11-20T09:20:41Z"},
        "creationTimestamp": "2026-11-20T09:14:03Z",
        "labels": {"app.kubernetes.io/name": "web"},
        "name": "web",
        "namespace": "shop",
        "resourceVersion": "185001",
        "uid": "4b1e8d27-6c3a-4f95-b0d2-5e7a9c1f3d68"
    },
    "subsets": [
        {
            "addresses": [
                {"ip": "10.244.1.17", "nodeName": "worker-1",
                 "targetRef": {"kind": "Pod", "name": "web-6d5f7c9b8-2kq4x", "namespace": "shop",
                               "uid": "8c7e0f51-2b6d-4a0e-9d43-1f6a2c8e7b90"}}
            ],
            "notReadyAddresses": [
                {"ip": "10.244.3.4", "nodeName": "worker-3"}
            ],
            "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}]
        }
    ]
})";

TEST(EndpointsJsonTest, DecodesReadyAndNotReadyAddresses) {
  auto endpoints = endpointsFromJson(kEndpoints);
  ASSERT_TRUE(endpoints.ok()) << endpoints.error().describe();
  EXPECT_EQ(endpoints->meta.name, "web");
  ASSERT_EQ(endpoints->subsets.size(), 1u);
  EXPECT_EQ(endpoints->subsets[0].addresses,
            (std::vector<EndpointAddress>{{ip("10.244.1.17"), "worker-1"}}));
  EXPECT_EQ(endpoints->subsets[0].not_ready_addresses,
            (std::vector<EndpointAddress>{{ip("10.244.3.4"), "worker-3"}}));
}

TEST(EndpointsJsonTest, AServiceWithoutEndpointsHasNoSubsets) {
  auto endpoints =
      endpointsFromJson(R"({"kind":"Endpoints","metadata":{"name":"web","namespace":"shop"}})");
  ASSERT_TRUE(endpoints.ok()) << endpoints.error().describe();
  EXPECT_TRUE(endpoints->subsets.empty());
}

TEST(EndpointsJsonTest, BadFieldsAreErrorsNamingTheFieldPath) {
  const std::pair<const char*, nlohmann::json> edits[] = {
      {"/subsets/0/addresses/0/ip", "10.244.1"},
      {"/subsets/0/notReadyAddresses/0/ip", nullptr},
      {"/subsets/0/addresses/0/nodeName", nlohmann::json::array()},
      {"/subsets", nlohmann::json::object()},
  };
  const char* expected[] = {
      "Endpoints: subsets[0].addresses[0].ip: '10.244.1' is not an IPv4 or IPv6 address",
      "Endpoints: subsets[0].notReadyAddresses[0].ip: required field",
      "Endpoints: subsets[0].addresses[0].nodeName: expected a string, got array",
      "Endpoints: subsets: expected an array, got object",
  };
  const auto golden = nlohmann::json::parse(kEndpoints);
  for (std::size_t i = 0; i < std::size(edits); ++i) {
    auto doc = golden;
    doc[nlohmann::json::json_pointer(edits[i].first)] = edits[i].second;
    auto endpoints = endpointsFromJson(doc.dump());
    ASSERT_FALSE(endpoints.ok()) << edits[i].first;
    EXPECT_NE(endpoints.error().message.find(expected[i]), std::string::npos)
        << edits[i].first << ": " << endpoints.error().message;
  }
}

}  // namespace
}  // namespace kubevip::k8s
