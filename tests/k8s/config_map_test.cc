#include "k8s/config_map.h"

#include <gtest/gtest.h>

namespace kubevip::k8s {
namespace {

// The kube-vip-cloud-provider's ConfigMap as `kubectl get cm -n kube-system kubevip -o json`
// prints it.
constexpr const char* kPools = R"({
    "apiVersion": "v1",
    "kind": "ConfigMap",
    "metadata": {"name": "kubevip", "namespace": "kube-system", "resourceVersion": "4711",
                 "uid": "5d0a3c1e-22b7-4f0e-9a41-6f3b2f2d9c10"},
    "data": {"cidr-global": "192.168.10.64/27", "range-team-a": "192.168.10.200-192.168.10.210",
             "allow-share-team-a": "true"}
})";

TEST(ConfigMapJsonTest, DecodesData) {
  auto map = configMapFromJson(kPools);
  ASSERT_TRUE(map.ok()) << map.error().describe();
  EXPECT_EQ(map->meta.name, "kubevip");
  EXPECT_EQ(map->meta.object_namespace, "kube-system");
  EXPECT_EQ(map->data.size(), 3u);
  EXPECT_EQ(map->data.at("range-team-a"), "192.168.10.200-192.168.10.210");
}

TEST(ConfigMapJsonTest, NoDataIsAnEmptyMap) {
  auto map = configMapFromJson(R"({"metadata": {"name": "kubevip"}})");
  ASSERT_TRUE(map.ok()) << map.error().describe();
  EXPECT_TRUE(map->data.empty());
}

TEST(ConfigMapJsonTest, ANonStringValueIsNamed) {
  auto map = configMapFromJson(R"({"metadata": {"name": "kubevip"}, "data": {"cidr-x": 5}})");
  ASSERT_FALSE(map.ok());
  EXPECT_NE(map.error().message.find("ConfigMap: data"), std::string::npos) << map.error().message;
}

}  // namespace
}  // namespace kubevip::k8s
