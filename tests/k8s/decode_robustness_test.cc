// Every decoder, given a real object with any one field (leaf or not) replaced by a value of each
// JSON type, either decodes it or returns an error: nothing throws, nothing crashes. Neither does
// a document nested deeper than a thread's stack can copy or print.
#include <gtest/gtest.h>

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "k8s/api_error.h"
#include "k8s/collection_query.h"
#include "k8s/endpoint_slice.h"
#include "k8s/endpoints.h"
#include "k8s/json_fields.h"
#include "k8s/lease.h"
#include "k8s/lease_watch.h"
#include "k8s/node.h"
#include "k8s/service.h"
#include "k8s/watch_event.h"

namespace kubevip::k8s {
namespace {

using Json = nlohmann::json;

void collectPointers(const Json& value, const Json::json_pointer& here,
                     std::vector<Json::json_pointer>& out) {
  out.push_back(here);
  if (value.is_object()) {
    for (const auto& [key, child] : value.items()) collectPointers(child, here / key, out);
  } else if (value.is_array()) {
    for (std::size_t i = 0; i < value.size(); ++i) collectPointers(value[i], here / i, out);
  }
}

// Returns how many of the variants were refused (so that the test also sees errors happen).
int checkEveryVariant(const char* golden_text,
                      const std::function<bool(const std::string&)>& decodes) {
  const Json golden = Json::parse(golden_text);
  std::vector<Json::json_pointer> pointers;
  collectPointers(golden, Json::json_pointer(), pointers);
  const Json replacements[] = {nullptr,
                               true,
                               -1,
                               70000,
                               1.5,
                               "",
                               "x y",
                               Json::array(),
                               Json::object(),
                               Json::array({1, "a"}),
                               Json{{"k", 1}}};
  int refused = 0;
  for (const auto& pointer : pointers) {
    if (pointer.empty()) continue;
    for (const Json& replacement : replacements) {
      Json doc = golden;
      doc[pointer] = replacement;
      bool ok = false;
      EXPECT_NO_THROW(ok = decodes(doc.dump())) << pointer.to_string() << " = " << replacement;
      refused += ok ? 0 : 1;
    }
  }
  return refused;
}

constexpr const char* kService = R"({"apiVersion":"v1","kind":"Service",
  "metadata":{"name":"web","namespace":"shop","uid":"5f0c8c52","resourceVersion":"1",
              "annotations":{"kube-vip.io/loadbalancerIPs":"192.168.10.50"},"labels":{"a":"b"}},
  "spec":{"type":"LoadBalancer","externalTrafficPolicy":"Local","ipFamilies":["IPv4","IPv6"],
          "ipFamilyPolicy":"PreferDualStack","loadBalancerClass":"kube-vip.io/kube-vip-class",
          "loadBalancerIP":"192.168.10.50",
          "ports":[{"name":"http","port":80,"protocol":"TCP","targetPort":8080,"nodePort":30080}]},
  "status":{"loadBalancer":{"ingress":[{"ip":"192.168.10.50","ipMode":"VIP",
                                         "ports":[{"port":80,"protocol":"TCP"}]}]}}})";

constexpr const char* kSliceJson = R"({"apiVersion":"discovery.k8s.io/v1","kind":"EndpointSlice",
  "addressType":"IPv4","metadata":{"name":"web-1","namespace":"shop",
                                   "labels":{"kubernetes.io/service-name":"web"}},
  "endpoints":[{"addresses":["10.244.1.17"],"nodeName":"worker-1",
                "conditions":{"ready":true,"serving":true,"terminating":false}}],
  "ports":[{"name":"http","port":8080,"protocol":"TCP"}]})";

constexpr const char* kEndpointsJson = R"({"apiVersion":"v1","kind":"Endpoints",
  "metadata":{"name":"web","namespace":"shop"},
  "subsets":[{"addresses":[{"ip":"10.244.1.17","nodeName":"worker-1"}],
              "notReadyAddresses":[{"ip":"10.244.3.4","nodeName":"worker-3"}],
              "ports":[{"port":8080,"protocol":"TCP"}]}]})";

constexpr const char* kNodeJson = R"({"apiVersion":"v1","kind":"Node",
  "metadata":{"name":"worker-1","labels":{"kubernetes.io/hostname":"worker-1"}}})";

TEST(DecodeRobustnessTest, ServiceWithAnyFieldOfAnyType) {
  EXPECT_GT(checkEveryVariant(kService,
                              [](const std::string& text) { return serviceFromJson(text).ok(); }),
            0);
}

TEST(DecodeRobustnessTest, EndpointSliceWithAnyFieldOfAnyType) {
  EXPECT_GT(
      checkEveryVariant(kSliceJson,
                        [](const std::string& text) { return endpointSliceFromJson(text).ok(); }),
      0);
}

TEST(DecodeRobustnessTest, EndpointsWithAnyFieldOfAnyType) {
  EXPECT_GT(checkEveryVariant(kEndpointsJson,
                              [](const std::string& text) { return endpointsFromJson(text).ok(); }),
            0);
}

TEST(DecodeRobustnessTest, NodeWithAnyFieldOfAnyType) {
  EXPECT_GT(
      checkEveryVariant(kNodeJson, [](const std::string& text) { return nodeFromJson(text).ok(); }),
      0);
}

// `levels` nested arrays: 300,000 of them are far more than copying or printing a value (both
// recurse once per level) can go through on a thread's stack.
std::string nestedArrays(int levels) {
  return std::string(static_cast<size_t>(levels), '[') +
         std::string(static_cast<size_t>(levels), ']');
}

constexpr int kStackBreaking = 300000;

TEST(DecodeRobustnessTest, DeepNestingIsRefusedByEveryDecoder) {
  const std::string deep = nestedArrays(kStackBreaking);
  // A kind that is not the one expected is printed into the error: the old way to the crash.
  auto service = serviceFromJson(R"({"kind":)" + deep + "}");
  ASSERT_FALSE(service.ok());
  EXPECT_NE(service.error().message.find("nested deeper than 64 levels"), std::string::npos)
      << service.error().message;
  // Every refusal says why: the nesting, not "not valid JSON".
  const auto saysNesting = [](const auto& result) {
    return !result.ok() &&
           result.error().message.find("nested deeper than 64 levels") != std::string::npos;
  };
  // A watch event's object is kept as text (printed) for the informer.
  EXPECT_TRUE(saysNesting(parseWatchEvent(
      R"({"type":"ADDED","object":{"kind":"Service","x":)" + deep + "}}", "Services")));
  EXPECT_TRUE(saysNesting(
      parseLeaseWatchEvent(R"({"type":"MODIFIED","object":{"kind":"Lease","x":)" + deep + "}}")));
  EXPECT_TRUE(saysNesting(leaseFromJson(R"({"kind":"Lease","spec":)" + deep + "}")));
  EXPECT_TRUE(saysNesting(
      parseListPage(R"({"metadata":{"resourceVersion":"1"},"items":[)" + deep + "]}", "Services")));
  // A Status with a deep detail: the error still names the HTTP status.
  const Error refused =
      errorFromResponse(500, R"({"kind":"Status","details":)" + deep + "}", "renew the Lease");
  EXPECT_NE(refused.message.find("500"), std::string::npos) << refused.message;
}

TEST(DecodeRobustnessTest, NestingUpToTheLimitIsRead) {
  // An unknown field nested to the limit (the object itself is the first level).
  const auto with_extra = [](int levels) {
    Json service = Json::parse(kService);
    service["extra"] = Json::parse(nestedArrays(levels - 1));
    return service.dump();
  };
  EXPECT_TRUE(serviceFromJson(with_extra(json_fields::kMaxJsonNesting)).ok());
  auto over = serviceFromJson(with_extra(json_fields::kMaxJsonNesting + 1));
  ASSERT_FALSE(over.ok());
  EXPECT_NE(over.error().message.find("nested deeper"), std::string::npos) << over.error().message;
}

}  // namespace
}  // namespace kubevip::k8s
