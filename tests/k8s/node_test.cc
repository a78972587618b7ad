#include "k8s/node.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

namespace kubevip::k8s {
namespace {

// `kubectl get node worker-3 -o json`, trimmed of status (kube-vip reads metadata only).
constexpr const char* kNode = R"({
    "apiVersion": "v1",
    "kind": "Node",
    "metadata": {
        "annotations": {"node.alpha.kubernetes.io/ttl": "0",
                        "volumes.kubernetes.io/controller-managed-attach-detach": "true"},
        "creationTimestamp": "2026-11-02T08:00:12Z",
        "labels": {
            "beta.kubernetes.io/arch": "amd64",
            "beta.kubernetes.io/os": "linux",
            "kubernetes.io/arch": "amd64",
            "kubernetes.io/hostname": "worker-3",
            "kubernetes.io/os": "linux",
            "node.kubernetes.io/exclude-from-external-load-balancers": ""
        },
        "name": "worker-3",
        "resourceVersion": "183920",
        "uid": "a3d9e6f0-1b2c-4d7e-8f90-1a2b3c4d5e6f"
    },
    "spec": {"podCIDR": "10.244.3.0/24", "podCIDRs": ["10.244.3.0/24"]},
    "status": {"addresses": [{"address": "192.168.10.13", "type": "InternalIP"},
                             {"address": "worker-3", "type": "Hostname"}]}
})";

TEST(NodeJsonTest, DecodesNameAndLabels) {
  auto node = nodeFromJson(kNode);
  ASSERT_TRUE(node.ok()) << node.error().describe();
  EXPECT_EQ(node->meta.name, "worker-3");
  EXPECT_EQ(node->meta.object_namespace, "");
  EXPECT_EQ(node->meta.labels.at("kubernetes.io/hostname"), "worker-3");
  EXPECT_EQ(node->meta.labels.count("node.kubernetes.io/exclude-from-external-load-balancers"), 1u);
}

TEST(NodeJsonTest, BadInputIsAnErrorNamingTheField) {
  auto doc = nlohmann::json::parse(kNode);
  doc["metadata"]["name"] = "";
  auto node = nodeFromJson(doc.dump());
  ASSERT_FALSE(node.ok());
  EXPECT_NE(node.error().message.find("Node: metadata.name: required field"), std::string::npos)
      << node.error().message;
  doc = nlohmann::json::parse(kNode);
  doc["metadata"]["labels"]["kubernetes.io/os"] = 1;
  node = nodeFromJson(doc.dump());
  ASSERT_FALSE(node.ok());
  EXPECT_NE(node.error().message.find("metadata.labels.kubernetes.io/os: expected a string"),
            std::string::npos)
      << node.error().message;
  EXPECT_FALSE(nodeFromJson(R"({"kind":"Service","metadata":{"name":"x"}})").ok());
}

}  // namespace
}  // namespace kubevip::k8s
