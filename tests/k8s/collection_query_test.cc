#include "k8s/collection_query.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

namespace kubevip::k8s {
namespace {

using std::chrono::milliseconds;

TEST(CollectionQuery, SelectorsAndTokensArePercentEncoded) {
  EXPECT_EQ(encodeQueryValue("metadata.name=kubevip"), "metadata.name%3Dkubevip");
  EXPECT_EQ(encodeQueryValue("app=web,!kube-vip.io/ignore"), "app%3Dweb%2C%21kube-vip.io%2Fignore");
  EXPECT_EQ(encodeQueryValue("env in (a, b)"), "env%20in%20%28a%2C%20b%29");
  EXPECT_EQ(encodeQueryValue("eyJ2Ijo+/x=="), "eyJ2Ijo%2B%2Fx%3D%3D");
  EXPECT_EQ(encodeQueryValue("A-z_0.9~"), "A-z_0.9~");
}

TEST(CollectionQuery, ListPaths) {
  const CollectionQuery services{"/api/v1/services", "", ""};
  EXPECT_EQ(collectionListPath(services, 500, ""), "/api/v1/services?limit=500");
  EXPECT_EQ(collectionListPath(services, 2, "c1/1042"),
            "/api/v1/services?limit=2&continue=c1%2F1042");
  const CollectionQuery configmap{"/api/v1/namespaces/kube-system/configmaps", "",
                                  "metadata.name=kubevip"};
  EXPECT_EQ(collectionListPath(configmap, 500, ""),
            "/api/v1/namespaces/kube-system/configmaps?fieldSelector=metadata.name%3Dkubevip&"
            "limit=500");
  const CollectionQuery slices{"/apis/discovery.k8s.io/v1/endpointslices",
                               "kubernetes.io/service-name", "metadata.namespace!=x"};
  EXPECT_EQ(collectionListPath(slices, 10, ""),
            "/apis/discovery.k8s.io/v1/endpointslices?labelSelector=kubernetes.io%2Fservice-name&"
            "fieldSelector=metadata.namespace%21%3Dx&limit=10");
}

TEST(CollectionQuery, WatchPaths) {
  const CollectionQuery services{"/api/v1/services", "a=b", ""};
  EXPECT_EQ(collectionWatchPath(services, "1042", 290),
            "/api/v1/services?watch=true&allowWatchBookmarks=true&labelSelector=a%3Db&"
            "resourceVersion=1042&timeoutSeconds=290");
  EXPECT_EQ(collectionWatchPath({"/api/v1/nodes", "", ""}, "", 5),
            "/api/v1/nodes?watch=true&allowWatchBookmarks=true&timeoutSeconds=5");
}

TEST(CollectionQuery, ListPageDecodes) {
  // The test API server's answer to a paged list (items omit kind and apiVersion, as the real
  // server's do).
  auto page = parseListPage(
      R"({"kind": "ServiceList", "apiVersion": "v1", "metadata": {"resourceVersion": "1077", )"
      R"("continue": "c3/1077"}, "items": [{"metadata": {"name": "a", "namespace": "default", )"
      R"("resourceVersion": "1010"}, "spec": {"type": "LoadBalancer"}}, {"metadata": )"
      R"({"name": "b", "namespace": "kube-system", "resourceVersion": "1011"}}]})",
      "services");
  ASSERT_TRUE(page.ok()) << page.error().describe();
  EXPECT_EQ(page->resource_version, "1077");
  EXPECT_EQ(page->continue_token, "c3/1077");
  ASSERT_EQ(page->items.size(), 2u);
  EXPECT_EQ(page->items[0].key, "default/a");
  EXPECT_EQ(page->items[0].resource_version, "1010");
  EXPECT_EQ(nlohmann::json::parse(page->items[0].json)["spec"]["type"], "LoadBalancer");
  EXPECT_EQ(page->items[1].key, "kube-system/b");

  auto last = parseListPage(R"({"kind":"NodeList","metadata":{"resourceVersion":"5"},"items":[]})",
                            "nodes");
  ASSERT_TRUE(last.ok());
  EXPECT_TRUE(last->items.empty());
  EXPECT_TRUE(last->continue_token.empty());
  EXPECT_TRUE(parseListPage(R"({"metadata":{"resourceVersion":"5"},"items":null})", "x").ok());
}

TEST(CollectionQuery, BadListsAreNamed) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"[]", "expected a JSON object, got array"},
      {"{", "not valid JSON"},
      {R"({"items":[]})", "no \"metadata\""},
      {R"({"metadata":{},"items":[]})", "no metadata.resourceVersion"},
      {R"({"metadata":{"resourceVersion":"1"},"items":{}})", "\"items\" is not an array"},
      {R"({"metadata":{"resourceVersion":"1"},"items":[{"metadata":{"name":"a"}},{}]})",
       "items[1]: the object has no \"metadata\""},
  };
  for (const auto& [body, why] : cases) {
    auto page = parseListPage(body, "services");
    ASSERT_FALSE(page.ok()) << body;
    EXPECT_EQ(page.error().message, "malformed list of services from the API server: " + why);
  }
}

TEST(CollectionQuery, BackoffDoublesUpToTheMaximum) {
  milliseconds backoff{500};
  std::vector<long> seen;
  for (int i = 0; i < 8; ++i) {
    seen.push_back(static_cast<long>(backoff.count()));
    backoff = nextBackoff(backoff, milliseconds(30000));
  }
  EXPECT_EQ(seen, (std::vector<long>{500, 1000, 2000, 4000, 8000, 16000, 30000, 30000}));
}

}  // namespace
}  // namespace kubevip::k8s
